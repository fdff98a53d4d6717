// The master process: binds the listeners, forks and supervises the workers, handles signals
// and serves the stats listener. Single-threaded: one poll() loop over a signalfd, the workers'
// notify pipe and the stats sockets. It runs no app code after preload except the master hooks.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "postfork/server/app.h"
#include "server/http/router.h"
#include "server/master/listeners.h"
#include "server/master/scoreboard.h"

namespace postfork::server::master {

class StatsServer;

class Master {
 public:
  Master(App& app, const ServerOptions& options, const http::Router& router);
  ~Master();
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Serves until stopped by a signal; returns the exit status.
  int Run();

  // For the stats listener.
  std::string StatsJson();
  std::string PrometheusText();

 private:
  enum class ChildState { kStarting, kReady, kStopping };
  struct Child {
    pid_t pid = 0;
    int slot = -1;
    int id = 0;
    ChildState state = ChildState::kStarting;
    int64_t fork_ns = 0;
    int64_t ready_ns = 0;
    bool harakiri = false;
    bool recycle_queued = false;
  };
  struct IdState {
    int failures = 0;
    int64_t next_spawn_ns = 0;
    uint64_t respawns = 0;
  };
  enum class Stop { kNone, kGraceful, kFast };

  bool Setup();
  pid_t Spawn(int id);
  void Reap();
  void OnSignal(int signo);
  void ReadNotices();
  void Housekeeping();
  void ProgressReplacement(int64_t now);
  void CheckHarakiri(int64_t now);
  void CheckRss(int64_t now);
  void Enqueue(Child& child, const char* why);
  void BeginStop(Stop how);
  void RetireSlot(int slot);
  Child* FindChild(pid_t pid);
  int LiveCount(int id) const;
  std::string ListenersText() const;
  static int64_t RssBytes(pid_t pid);

  App& app_;
  const ServerOptions& options_;
  const http::Router& router_;
  MasterContext context_;
  std::vector<Listener> listeners_;
  std::unique_ptr<Scoreboard> board_;
  std::unique_ptr<StatsServer> stats_;
  int signal_fd_ = -1;
  int notify_read_ = -1;
  int notify_write_ = -1;
  int desired_ = 0;
  std::vector<Child> children_;
  std::vector<IdState> ids_;
  std::deque<pid_t> replace_queue_;
  pid_t replace_old_ = 0;
  pid_t replace_new_ = 0;
  bool reloading_ = false;
  bool announced_ready_ = false;
  Stop stop_ = Stop::kNone;
  int64_t stop_deadline_ns_ = 0;
  int64_t started_ns_ = 0;
  int64_t next_rss_check_ns_ = 0;
  uint64_t restarts_ = 0;
  uint64_t harakiri_kills_ = 0;
  uint64_t spawns_ = 0;
  std::vector<uint64_t> retired_;  // metrics of workers that exited, cell by cell
  std::vector<double> spawn_ms_;   // fork-to-ready times, most recent last (bounded)
};

}  // namespace postfork::server::master
