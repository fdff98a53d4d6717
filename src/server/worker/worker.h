// A worker process: one single-threaded Asio event loop serving HTTP/1.1 connections.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "postfork/server/app.h"
#include "server/http/router.h"
#include "server/master/scoreboard.h"
#include "server/worker/acceptor.h"

namespace postfork::server::worker {

// Messages from workers to the master over the notify pipe (one write each, < PIPE_BUF).
enum class Notice : int32_t { kReady = 1, kRecycle = 2 };
struct NoticeMessage {
  int32_t type;
  int32_t slot;
  int32_t pid;
};

struct WorkerSetup {
  App* app = nullptr;
  const http::Router* router = nullptr;
  const ServerOptions* options = nullptr;
  std::vector<ListenSocket> listeners;
  master::Scoreboard* board = nullptr;
  int slot = -1;
  int worker_id = 0;
  int notify_fd = -1;         // write end of the master's notify pipe
  pid_t master_pid = 0;       // the forking master (a worker exits if it is gone)
  uint64_t max_requests = 0;  // with jitter applied; 0 = never recycle
  bool run_preload = false;   // lazy mode: the worker runs the preload hook
};

// Runs the worker in the forked child and exits the process when it is done (status 0 after a
// graceful stop, kExitStartupFailed when preload/post_fork failed). Signals must be blocked on
// entry; the worker unblocks them once its handlers are installed.
[[noreturn]] void RunWorker(const WorkerSetup& setup);

// Exit status of a worker whose preload or post_fork failed.
inline constexpr int kExitStartupFailed = 3;

}  // namespace postfork::server::worker
