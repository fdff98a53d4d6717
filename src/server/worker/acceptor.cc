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
constexpr int kOverloadedRecheckMs = 20;
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

bool Acceptor::Overloaded() const {
  uint32_t mine = board_.slot(slot_).active_connections.load(std::memory_order_relaxed);
  if (mine < 2) return false;
  uint32_t peer_min = UINT32_MAX;
  for (int i = 0; i < board_.slots(); ++i) {
    if (i == slot_) continue;
    const master::WorkerSlot& s = board_.slot(i);
    if (s.state.load(std::memory_order_relaxed) !=
            static_cast<uint32_t>(master::SlotState::kReady) ||
        s.accept_waiting.load(std::memory_order_relaxed) == 0) {
      continue;
    }
    peer_min = std::min(peer_min, s.active_connections.load(std::memory_order_relaxed));
  }
  // Only an idle, accepting peer can take the connection instead.
  return peer_min != UINT32_MAX && mine > peer_min + 1 + mine / 16;
}

void Acceptor::Loop() {
  master::WorkerSlot& me = board_.slot(slot_);
  struct epoll_event events[8];
  while (!stop_.load()) {
    if (pending_.load() > 0 || Overloaded()) {
      // Not waiting in epoll_wait: the kernel passes new connections to other workers. Adopted()
      // ends the wait for a delivered connection. The peers' counts change without a wake-up, so
      // an overloaded worker looks again every kOverloadedRecheckMs (each look a wake-up of a
      // busy worker that mostly finds nothing; a peer meanwhile takes the new connections).
      struct pollfd p = {wake_fd_, POLLIN, 0};
      poll(&p, 1, pending_.load() > 0 ? 50 : kOverloadedRecheckMs);
      uint64_t drained;
      ssize_t n = read(wake_fd_, &drained, sizeof(drained));
      (void)n;
      continue;
    }
    me.accept_waiting.store(1, std::memory_order_relaxed);
    int n = epoll_wait(epoll_fd_, events, 8, 1000);
    me.accept_waiting.store(0, std::memory_order_relaxed);
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
