// A TCP listener on 127.0.0.1, on a port the kernel picks, for the test peers of the driver's
// tests. One thread accepts and hands each connection to the owner's callback; the owner starts
// a thread per connection with Spawn and registers its sockets with Track. Stop() shuts down every
// tracked socket and joins every thread, so the owner calls it first in its destructor, while the
// members its threads use still exist.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace postfork::driver::testing {

inline sockaddr_in LoopbackAddress(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

class LoopbackListener {
 public:
  // on_accept runs on the accept thread, once per connection, and owns the socket.
  explicit LoopbackListener(std::function<void(int fd)> on_accept)
      : on_accept_(std::move(on_accept)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = LoopbackAddress(0);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
      while (!stopping_) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        on_accept_(fd);
      }
    });
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  ~LoopbackListener() { Stop(); }

  uint16_t port() const { return port_; }
  bool stopping() const { return stopping_; }

  void Track(int fd) {
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
  }
  void Untrack(int fd) {
    std::lock_guard lock(mu_);
    std::erase(fds_, fd);
  }
  // Shuts down every tracked socket; the listener keeps accepting.
  void ShutdownAll() {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  void Spawn(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    threads_.emplace_back(std::move(fn));
  }

  // Idempotent. Stops accepting, shuts down the tracked sockets and joins every thread.
  void Stop() {
    if (stopping_.exchange(true)) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    ShutdownAll();
    // No thread is spawned after the acceptor ended, so the list no longer changes.
    for (auto& t : threads_) t.join();
  }

 private:
  std::function<void(int fd)> on_accept_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace postfork::driver::testing
