// Accepts connections from the listening sockets shared by all workers, on its own small thread.
//
// Why a thread: the kernel wakes only one waiter per new connection when each worker's epoll
// holds the shared socket with EPOLLEXCLUSIVE, but only a thread blocked in epoll_wait on that
// epoll counts as a waiter (nesting it in Asio's epoll would wake every worker). A worker whose
// event loop has not yet taken the previous connection, or that holds clearly more connections
// than a peer that accepts (waits, or has just delivered one), stops waiting, so the kernel gives
// new connections to others and the workers hold about as many each. Queued
// connections stay in the shared backlog, so none is lost when a worker exits.
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "server/master/scoreboard.h"

namespace postfork::server::worker {

struct ListenSocket {
  int fd = -1;
  int family = 0;  // AF_INET, AF_INET6, AF_UNIX
};

class Acceptor {
 public:
  // Called on the acceptor thread with each accepted non-blocking socket; must hand it to the
  // event loop (e.g. asio::post) and later call Adopted() there.
  using Deliver = std::function<void(int fd, int family)>;

  Acceptor(std::vector<ListenSocket> listeners, master::Scoreboard& board, int slot,
           Deliver deliver);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Registers with the listening sockets and starts the thread. false (errno set) on failure.
  bool Start();
  // Stops accepting: leaves the sockets' wait queues, then takes what this worker was already
  // woken for (delivered as usual) and joins the thread. Idempotent.
  void Stop();
  // The event loop took a delivered connection.
  void Adopted();

 private:
  void Loop();
  bool AcceptOne(const ListenSocket& listener);
  // Whether a peer that accepts holds clearly fewer connections; `counts` gets a digest of the
  // ready workers' connection counts, to tell whether they changed since the last look.
  bool Overloaded(int64_t now_ns, uint64_t& counts) const;
  void Wake();

  std::vector<ListenSocket> listeners_;
  master::Scoreboard& board_;
  int slot_;
  Deliver deliver_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> pending_{0};
  std::thread thread_;
};

}  // namespace postfork::server::worker
