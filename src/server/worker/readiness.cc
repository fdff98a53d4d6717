#include "server/worker/readiness.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "postfork/base/event_batch.h"

namespace postfork::server::worker {
namespace asio = boost::asio;
using boost::system::error_code;

ReadinessPoller::ReadinessPoller(asio::io_context& io) : io_(io), epoll_(io) {}

ReadinessPoller::~ReadinessPoller() = default;

bool ReadinessPoller::Start() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return false;
  error_code ec;
  epoll_.assign(fd, ec);
  if (ec) {
    close(fd);
    errno = ec.value();
    return false;
  }
  Arm();
  return true;
}

bool ReadinessPoller::Watch(int fd, Readiness& r) {
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &r;
  return epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void ReadinessPoller::Forget(int fd) {
  struct epoll_event ev = {};
  epoll_ctl(epoll_.native_handle(), EPOLL_CTL_DEL, fd, &ev);
}

void ReadinessPoller::Wait(bool ready, Readiness::Waiter& slot, Readiness::Waiter h) {
  if (ready) {
    Complete(h, {});
    return;
  }
  // One operation of each kind per socket at a time (a connection is one coroutine). swap:
  // Boost 1.81's move assignment of any_completion_handler copies itself into a new wrapper
  // without end.
  slot.swap(h);
}

void ReadinessPoller::Complete(Readiness::Waiter& slot, error_code ec) {
  if (!slot) return;
  Readiness::Waiter h;
  h.swap(slot);
  asio::post(io_, [h = std::move(h), ec]() mutable { std::move(h)(ec); });
}

void ReadinessPoller::Cancel(Readiness& r) {
  Complete(r.read_waiter, asio::error::operation_aborted);
  Complete(r.write_waiter, asio::error::operation_aborted);
}

void ReadinessPoller::Arm() {
  // The wait re-registers the epoll set with the event loop's epoll, which reports it at once
  // if it has events already.
  epoll_.async_wait(asio::posix::stream_descriptor::wait_read, [this](error_code ec) {
    if (ec) return;
    Drain();
  });
}

void ReadinessPoller::Drain() {
  struct epoll_event events[128];
  int n = epoll_wait(epoll_.native_handle(), events, 128, 0);
  // What the connections' handlers queue while they run (CQL requests) leaves once, when the
  // whole batch has run.
  EventBatch batch(&io_);
  for (int i = 0; i < n; ++i) {
    Readiness& r = *static_cast<Readiness*>(events[i].data.ptr);
    uint32_t e = events[i].events;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) r.readable = true;
    if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) r.writable = true;
    // Resumed here, as the event loop resumes a completed operation: the connection runs until
    // it waits again, or ends (and `r` with it). Only it can end itself, and events[] holds each
    // socket once, so the rest of the batch stays valid. It waits for one thing at a time.
    Readiness::Waiter h;
    if (r.readable && r.read_waiter) {
      h.swap(r.read_waiter);
    } else if (r.writable && r.write_waiter) {
      h.swap(r.write_waiter);
    }
    if (h) std::move(h)(error_code());
  }
  Arm();
}

}  // namespace postfork::server::worker
