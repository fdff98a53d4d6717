// A fault-injecting TCP proxy on 127.0.0.1 between the driver and the node: passes bytes
// through, or delays them, or stops forwarding while keeping sockets open (half-open), or cuts
// the next server-to-client chunk in the middle of a frame and drops that connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace postfork::driver::testing {

class FaultProxy {
 public:
  enum class Mode { kPass, kDelay, kBlackhole, kCutNextResponse };

  explicit FaultProxy(uint16_t target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = Loopback(0);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~FaultProxy() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }

  uint16_t port() const { return port_; }
  void set_mode(Mode m, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    delay_ms_ = static_cast<int>(delay.count());
    mode_ = m;
  }
  int connections() const { return connections_.load(); }

 private:
  static sockaddr_in Loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

  void AcceptLoop() {
    while (!stopping_) {
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a = Loopback(target_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      ++connections_;
      std::lock_guard lock(mu_);
      fds_.push_back(client);
      fds_.push_back(server);
      threads_.emplace_back([this, client, server] { Pump(client, server, false); });
      threads_.emplace_back([this, client, server] { Pump(server, client, true); });
    }
  }

  // Copies from -> to until either side closes.
  void Pump(int from, int to, bool from_server) {
    char buf[65536];
    for (;;) {
      pollfd p{from, POLLIN, 0};
      int ready = ::poll(&p, 1, 50);
      if (stopping_) break;
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
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<Mode> mode_{Mode::kPass};
  std::atomic<int> delay_ms_{0};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::thread acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace postfork::driver::testing
