#include "server/master/listeners.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace postfork::server::master {
namespace {

Status Errno(const std::string& what) {
  return Status(StatusCode::kIoError, what + ": " + strerror(errno));
}

}  // namespace

Result<Listener> BindListener(const std::string& address, int backlog) {
  Listener listener;
  listener.address = address;
  if (address.rfind("unix:", 0) == 0) {
    std::string path = address.substr(5);
    struct sockaddr_un addr = {};
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
      return Status(StatusCode::kInvalidArgument, "bad unix socket path in '" + address + "'");
    }
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Errno("socket");
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());
    if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd, backlog) != 0) {
      Status s = Errno("cannot listen on " + address);
      close(fd);
      return s;
    }
    listener.socket = {fd, AF_UNIX};
    listener.unix_path = path;
    return listener;
  }
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status(StatusCode::kInvalidArgument,
                  "bind address must be host:port, got '" + address + "'");
  }
  std::string host = address.substr(0, colon);
  std::string port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Status(StatusCode::kInvalidArgument, "bad port in bind address '" + address + "'");
  }
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  struct addrinfo* info = nullptr;
  int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &info);
  if (rc != 0) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot resolve '" + host + "': " + gai_strerror(rc));
  }
  int fd = socket(info->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(info);
    return Errno("socket");
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int family = info->ai_family;
  if (bind(fd, info->ai_addr, info->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
    Status s = Errno("cannot listen on " + address);
    freeaddrinfo(info);
    close(fd);
    return s;
  }
  freeaddrinfo(info);
  struct sockaddr_storage bound;
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<struct sockaddr*>(&bound), &len);
  listener.port =
      ntohs(family == AF_INET ? reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port
                              : reinterpret_cast<struct sockaddr_in6*>(&bound)->sin6_port);
  listener.socket = {fd, family};
  return listener;
}

void CloseListener(Listener& listener) {
  if (listener.socket.fd >= 0) close(listener.socket.fd);
  listener.socket.fd = -1;
  if (!listener.unix_path.empty()) unlink(listener.unix_path.c_str());
}

}  // namespace postfork::server::master
