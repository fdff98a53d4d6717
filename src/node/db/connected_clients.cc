#include "node/db/connected_clients.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace postfork::node {
namespace {

// The host name of `address` as Java's InetAddress.getHostName gives it: the name a reverse
// lookup finds, else the address itself.
std::string HostName(const std::string& address) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) return address;
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (ip.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    auto bytes = ip.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), reinterpret_cast<unsigned char*>(&sin->sin_addr));
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    auto bytes = ip.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), reinterpret_cast<unsigned char*>(&sin6->sin6_addr));
    len = sizeof(sockaddr_in6);
  }
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&storage), len, host, sizeof(host), nullptr, 0,
                  NI_NAMEREQD) != 0) {
    return address;
  }
  return host;
}

}  // namespace

ConnectedClients::Registration::~Registration() {
  std::lock_guard<std::mutex> lock(owner_->mu_);
  auto& r = owner_->registered_;
  r.erase(std::remove(r.begin(), r.end(), this), r.end());
}

std::unique_ptr<ConnectedClients::Registration> ConnectedClients::Register(ClientInfo info) {
  std::unique_ptr<Registration> registration(new Registration(this, std::move(info)));
  std::lock_guard<std::mutex> lock(mu_);
  registered_.push_back(registration.get());
  return registration;
}

std::vector<ClientInfo> ConnectedClients::List() const {
  std::vector<ClientInfo> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.reserve(registered_.size());
    for (Registration* r : registered_) {
      std::lock_guard<std::mutex> row_lock(r->mu_);
      out.push_back(r->info_);
      out.back().request_count = r->requests_.load(std::memory_order_relaxed);
    }
  }
  // Outside the locks: a lookup may wait on DNS.
  for (ClientInfo& c : out) c.hostname = HostName(c.address);
  return out;
}

}  // namespace postfork::node
