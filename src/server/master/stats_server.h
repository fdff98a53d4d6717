// The stats listener: a tiny HTTP/1.0 responder polled by the master's loop. Each connection
// sends one request and gets one response ("/" JSON, "/metrics" Prometheus text).
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server/master/listeners.h"

namespace postfork::server::master {

class StatsServer {
 public:
  using Render = std::function<std::string(const std::string& path, std::string* content_type)>;

  StatsServer(Listener listener, Render render);
  ~StatsServer();

  // Adds the sockets to watch to `fds`; Handle() then gets the same vector slice back.
  void AddPollFds(std::vector<struct pollfd>& fds);
  void Handle(const struct pollfd* fds, std::size_t count, int64_t now_ns);
  // Closes every socket (the child side of fork).
  void CloseAll();
  const Listener& listener() const { return listener_; }

 private:
  struct Client {
    int fd;
    int64_t deadline_ns;
    std::string buffer;
  };
  void Respond(Client& client);

  Listener listener_;
  Render render_;
  std::vector<Client> clients_;
};

}  // namespace postfork::server::master
