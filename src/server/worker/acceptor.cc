#include "server/worker/acceptor.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace postfork::server::worker {
namespace {
constexpr uint32_t kWakeTag = 0xffffffffu;
// An overloaded acceptor looks at the counts again after 1 ms while they change (a burst of new
// connections being spread: the peer stops taking them once it holds clearly more than this
// worker, and then nobody takes them until this one looks), backing off to 20 ms while they do
// not (each look a wake-up of a busy worker that mostly finds nothing).
constexpr int kOverloadedRecheckMinMs = 1;
constexpr int kOverloadedRecheckMaxMs = 20;
// A peer whose event loop has not taken a delivered connection for this long is stuck (a long
// handler): it does not count as one that would take new connections.
constexpr int64_t kStuckPeerNs = 100'000'000;
}

Acceptor::Acceptor(std::vector<ListenSocket> listeners, master::Scoreboard& board, int slot,
                   Deliver deliver)
    : listeners_(std::move(listeners)), board_(board), slot_(slot), deliver_(std::move(deliver)) {}

Acceptor::~Acceptor() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

bool Acceptor::Start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return false;
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    struct epoll_event ev = {};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listeners_[i].fd, &ev) != 0) return false;
  }
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u32 = kWakeTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) return false;
  thread_ = std::thread([this] { Loop(); });
  return true;
}

void Acceptor::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  Wake();
  thread_.join();
}

void Acceptor::Adopted() {
  pending_.fetch_sub(1);
  Wake();
}

void Acceptor::Wake() {
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // a full counter already means "wake up"
}

bool Acceptor::AcceptOne(const ListenSocket& listener) {
  int fd = accept4(listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      spdlog::error("accept failed: {}; pausing 10 ms", strerror(errno));
      usleep(10000);
    }
    return false;
  }
  pending_.fetch_add(1);
  board_.slot(slot_).active_connections.fetch_add(1, std::memory_order_relaxed);
  deliver_(fd, listener.family);
  return true;
}

bool Acceptor::Overloaded(int64_t now_ns, uint64_t& counts) const {
  uint32_t mine = board_.slot(slot_).active_connections.load(std::memory_order_relaxed);
  counts = mine;
  uint32_t peer_min = UINT32_MAX;
  for (int i = 0; i < board_.slots(); ++i) {
    if (i == slot_) continue;
    const master::WorkerSlot& s = board_.slot(i);
    if (s.state.load(std::memory_order_relaxed) !=
        static_cast<uint32_t>(master::SlotState::kReady)) {
      continue;
    }
    uint32_t theirs = s.active_connections.load(std::memory_order_relaxed);
    counts = counts * 1'000'003 + theirs;
    int64_t pending_since = s.accept_pending_ns.load(std::memory_order_relaxed);
    if (pending_since != 0 && now_ns - pending_since >= kStuckPeerNs) continue;
    peer_min = std::min(peer_min, theirs);
  }
  // A ready peer takes the connection instead, unless it is stuck. (Not only a peer waiting in
  // epoll_wait at this moment: while a burst arrives, a fast worker's acceptor and loop take
  // turns on both cores and find the peer's acceptor between two waits nearly every time, and
  // then took 40-62 of wrk's 64 connections.)
  return mine >= 2 && peer_min != UINT32_MAX && mine > peer_min + 1 + mine / 16;
}

void Acceptor::Loop() {
  master::WorkerSlot& me = board_.slot(slot_);
  struct epoll_event events[8];
  uint64_t last_counts = 0;
  int recheck_ms = kOverloadedRecheckMinMs;
  while (!stop_.load()) {
    int64_t now = master::MonotonicNs();
    bool pending = pending_.load() > 0;
    if (!pending) {
      me.accept_pending_ns.store(0, std::memory_order_relaxed);
    } else if (me.accept_pending_ns.load(std::memory_order_relaxed) == 0) {
      me.accept_pending_ns.store(now, std::memory_order_relaxed);
    }
    uint64_t counts = 0;
    if (pending || Overloaded(now, counts)) {
      // Not waiting in epoll_wait: the kernel passes new connections to other workers. Adopted()
      // ends the wait for a delivered connection. The peers' counts change without a wake-up, so
      // an overloaded worker looks again after recheck_ms (a peer meanwhile takes the new
      // connections).
      int timeout_ms = 50;
      if (!pending) {
        recheck_ms = counts != last_counts ? kOverloadedRecheckMinMs
                                           : std::min(recheck_ms * 2, kOverloadedRecheckMaxMs);
        last_counts = counts;
        timeout_ms = recheck_ms;
      }
      struct pollfd p = {wake_fd_, POLLIN, 0};
      poll(&p, 1, timeout_ms);
      uint64_t drained;
      ssize_t n = read(wake_fd_, &drained, sizeof(drained));
      (void)n;
      continue;
    }
    int n = epoll_wait(epoll_fd_, events, 8, 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("epoll_wait on listeners failed: {}", strerror(errno));
      usleep(10000);
      continue;
    }
    if (n == 0) {
      // Safety net: a connection whose wake-up went to a worker that died before accepting it.
      for (const ListenSocket& l : listeners_) AcceptOne(l);
      continue;
    }
    for (int i = 0; i < n; ++i) {
      uint32_t tag = events[i].data.u32;
      if (tag == kWakeTag) {
        uint64_t drained;
        ssize_t r = read(wake_fd_, &drained, sizeof(drained));
        (void)r;
        continue;
      }
      // One connection per wake-up; level-triggered epoll reports the socket again if more wait.
      AcceptOne(listeners_[tag]);
      break;
    }
  }
  // Leave the wait queues first, so that new connections wake other workers; then take the ones
  // this worker may have been woken for.
  close(epoll_fd_);
  epoll_fd_ = -1;
  for (const ListenSocket& l : listeners_) {
    for (int i = 0; i < 256 && AcceptOne(l); ++i) {
    }
  }
}

}  // namespace postfork::server::worker
