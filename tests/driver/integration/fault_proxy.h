// A fault-injecting TCP proxy on 127.0.0.1 between the driver and the node: passes bytes
// through, or delays them, or stops forwarding while keeping sockets open (half-open), or cuts
// the next server-to-client chunk in the middle of a frame and drops that connection.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../loopback_listener.h"

namespace postfork::driver::testing {

class FaultProxy {
 public:
  enum class Mode { kPass, kDelay, kBlackhole, kCutNextResponse };

  explicit FaultProxy(uint16_t target_port)
      : target_port_(target_port), listener_([this](int client) { Accept(client); }) {}
  ~FaultProxy() { listener_.Stop(); }

  uint16_t port() const { return listener_.port(); }
  void set_mode(Mode m, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    delay_ms_ = static_cast<int>(delay.count());
    mode_ = m;
  }
  int connections() const { return connections_.load(); }

 private:
  void Accept(int client) {
    int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = LoopbackAddress(target_port_);
    if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(client);
      ::close(server);
      return;
    }
    ++connections_;
    listener_.Track(client);
    listener_.Track(server);
    listener_.Spawn([this, client, server] { Pump(client, server, false); });
    listener_.Spawn([this, client, server] { Pump(server, client, true); });
  }

  // Copies from -> to until either side closes.
  void Pump(int from, int to, bool from_server) {
    char buf[65536];
    for (;;) {
      pollfd p{from, POLLIN, 0};
      int ready = ::poll(&p, 1, 50);
      if (listener_.stopping()) break;
      if (ready <= 0) continue;
      if (mode_ == Mode::kBlackhole) {  // leave the bytes in the kernel: nothing flows
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) break;
      Mode m = mode_;
      if (m == Mode::kDelay) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      if (m == Mode::kCutNextResponse && from_server) {
        Mode expected = Mode::kCutNextResponse;
        if (mode_.compare_exchange_strong(expected, Mode::kPass)) {
          // Half of the chunk; at least the header, never the whole frame.
          ssize_t half = n > 10 ? n / 2 : 5;
          if (::send(to, buf, static_cast<size_t>(half), MSG_NOSIGNAL) < 0) break;
          break;
        }
      }
      if (::send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) < 0) break;
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
  }

  uint16_t target_port_;
  std::atomic<Mode> mode_{Mode::kPass};
  std::atomic<int> delay_ms_{0};
  std::atomic<int> connections_{0};
  LoopbackListener listener_;  // last: its threads use the members above
};

}  // namespace postfork::driver::testing
