// Edge-triggered readiness of the worker's HTTP connections, kept as nginx keeps it.
//
// Every connection's socket sits in one epoll set of its own (EPOLLIN | EPOLLOUT | EPOLLRDHUP |
// EPOLLET) that the event loop watches as a single descriptor. A connection reads and writes with
// plain non-blocking calls; after a read that came back short (the socket is drained) or a write
// the socket did not take whole, it waits for the next edge instead of trying again. So a
// keep-alive request costs one read and one write. (An Asio socket tries a read after every
// completed one before it waits: one recvfrom failing with EAGAIN per keep-alive request.)
//
// Event-loop thread only.
#pragma once

#include <cstdint>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

namespace postfork::server::worker {

// One socket's readiness and its waiting operations. Lives as long as the socket is watched.
struct Readiness {
  using Waiter = boost::asio::any_completion_handler<void(boost::system::error_code)>;
  bool readable = true;  // not known to be drained: the next read is worth trying
  bool writable = true;
  Waiter read_waiter;
  Waiter write_waiter;
};

class ReadinessPoller {
 public:
  explicit ReadinessPoller(boost::asio::io_context& io);
  ~ReadinessPoller();
  ReadinessPoller(const ReadinessPoller&) = delete;
  ReadinessPoller& operator=(const ReadinessPoller&) = delete;

  // Creates the epoll set and starts watching it. false (errno set) on failure.
  bool Start();

  // Watches `fd` for `r` until Forget. false (errno set) on failure.
  bool Watch(int fd, Readiness& r);
  // Stops watching `fd` (before it is closed: a forked child may hold a copy of it).
  void Forget(int fd);

  // Completes when the socket is (or may be) readable or writable; operation_aborted after
  // Cancel. A socket not known to be drained completes at once.
  template <typename Token>
  auto AsyncWaitReadable(Readiness& r, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this, &r](Readiness::Waiter h) { Wait(r.readable, r.read_waiter, std::move(h)); }, token);
  }
  template <typename Token>
  auto AsyncWaitWritable(Readiness& r, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this, &r](Readiness::Waiter h) { Wait(r.writable, r.write_waiter, std::move(h)); }, token);
  }
  // Completes the socket's waiting operations with operation_aborted.
  void Cancel(Readiness& r);

 private:
  void Wait(bool ready, Readiness::Waiter& slot, Readiness::Waiter h);
  void Complete(Readiness::Waiter& slot, boost::system::error_code ec);
  void Arm();
  void Drain();

  boost::asio::io_context& io_;
  boost::asio::posix::stream_descriptor epoll_;
};

}  // namespace postfork::server::worker
