#include "server/master/stats_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "server/master/scoreboard.h"

namespace postfork::server::master {

StatsServer::StatsServer(Listener listener, Render render)
    : listener_(std::move(listener)), render_(std::move(render)) {}

StatsServer::~StatsServer() { CloseAll(); }

void StatsServer::CloseAll() {
  for (Client& c : clients_) close(c.fd);
  clients_.clear();
  CloseListener(listener_);
}

void StatsServer::AddPollFds(std::vector<struct pollfd>& fds) {
  fds.push_back({listener_.socket.fd, POLLIN, 0});
  for (const Client& c : clients_) fds.push_back({c.fd, POLLIN, 0});
}

void StatsServer::Handle(const struct pollfd* fds, std::size_t count, int64_t now_ns) {
  // fds[0] is the listener, then one per client in clients_ order at AddPollFds time.
  for (std::size_t i = 1; i < count && i - 1 < clients_.size(); ++i) {
    Client& c = clients_[i - 1];
    if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    char buf[2048];
    ssize_t n = read(c.fd, buf, sizeof(buf));
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      c.deadline_ns = 0;
      continue;
    }
    c.buffer.append(buf, static_cast<std::size_t>(n));
    if (c.buffer.find("\r\n\r\n") != std::string::npos ||
        c.buffer.find("\n\n") != std::string::npos || c.buffer.size() > 8192) {
      Respond(c);
      c.deadline_ns = 0;
    }
  }
  std::erase_if(clients_, [&](Client& c) {
    if (c.deadline_ns != 0 && c.deadline_ns > now_ns) return false;
    close(c.fd);
    return true;
  });
  if (count > 0 && (fds[0].revents & POLLIN) != 0) {
    for (int k = 0; k < 16; ++k) {
      int fd = accept4(listener_.socket.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      clients_.push_back({fd, now_ns + 2'000'000'000, {}});
    }
  }
}

void StatsServer::Respond(Client& c) {
  std::string path = "/";
  std::size_t sp = c.buffer.find(' ');
  if (sp != std::string::npos) {
    std::size_t end = c.buffer.find_first_of(" ?\r\n", sp + 1);
    if (end != std::string::npos) path = c.buffer.substr(sp + 1, end - sp - 1);
  }
  std::string content_type = "application/json";
  std::string body = render_(path, &content_type);
  int status = body.empty() ? 404 : 200;
  if (status == 404) body = "Not Found\n";
  std::string response =
      "HTTP/1.0 " + std::to_string(status) + (status == 200 ? " OK" : " Not Found") +
      "\r\nContent-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  // Small responses: make the socket blocking with a send timeout and write it all.
  int flags = fcntl(c.fd, F_GETFL);
  fcntl(c.fd, F_SETFL, flags & ~O_NONBLOCK);
  struct timeval tv = {1, 0};
  setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::size_t off = 0;
  while (off < response.size()) {
    ssize_t n = write(c.fd, response.data() + off, response.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  shutdown(c.fd, SHUT_WR);
}

}  // namespace postfork::server::master
