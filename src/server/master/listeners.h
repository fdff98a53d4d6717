// Binds the listening sockets in the master; workers inherit them across fork.
#pragma once

#include <string>
#include <vector>

#include "postfork/base/status.h"
#include "server/worker/acceptor.h"

namespace postfork::server::master {

struct Listener {
  worker::ListenSocket socket;
  std::string address;    // as given: "127.0.0.1:8000", "unix:/run/app.sock"
  std::string unix_path;  // non-empty for Unix sockets (unlinked by CloseListeners)
  int port = 0;           // the bound TCP port (resolved when 0 was asked)
};

// Binds one non-blocking listening socket per address ("host:port", "[v6]:port",
// "unix:/path"). kInvalidArgument for a malformed address, kIoError when bind/listen fails.
Result<Listener> BindListener(const std::string& address, int backlog);
void CloseListener(Listener& listener);

}  // namespace postfork::server::master
