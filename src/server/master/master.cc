#include "server/master/master.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "postfork/base/prometheus.h"
#include "server/master/stats_server.h"
#include "server/worker/worker.h"

namespace postfork::server::master {
namespace {

constexpr int kSignals[] = {SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGTTIN, SIGTTOU};
constexpr int64_t kNsPerSecond = 1'000'000'000;
// A worker that served at least this long before dying is respawned at once.
constexpr int64_t kHealthyLifeNs = kNsPerSecond;
constexpr int kCellValues = 2 + kBucketCount;

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(status));
    return std::string("signal SIG") + (abbrev != nullptr ? abbrev : "?") + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "status " + std::to_string(status);
}

double Random01() {
  static std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

const char* StateName(uint32_t s) {
  switch (static_cast<SlotState>(s)) {
    case SlotState::kFree:
      return "free";
    case SlotState::kStarting:
      return "starting";
    case SlotState::kReady:
      return "ready";
    case SlotState::kStopping:
      return "stopping";
  }
  return "unknown";
}

}  // namespace

Master::Master(App& app, const ServerOptions& options, const http::Router& router)
    : app_(app), options_(options), router_(router), context_(options) {}

Master::~Master() {
  for (Listener& l : listeners_) CloseListener(l);
  if (signal_fd_ >= 0) close(signal_fd_);
  if (notify_read_ >= 0) close(notify_read_);
  if (notify_write_ >= 0) close(notify_write_);
}

bool Master::Setup() {
  for (const std::string& address : options_.bind) {
    auto listener = BindListener(address, options_.backlog);
    if (!listener.ok()) {
      spdlog::error("{}", listener.error().message());
      return false;
    }
    listeners_.push_back(std::move(*listener));
  }
  if (!options_.stats.empty()) {
    auto listener = BindListener(options_.stats, 64);
    if (!listener.ok()) {
      spdlog::error("stats listener: {}", listener.error().message());
      return false;
    }
    stats_ = std::make_unique<StatsServer>(
        std::move(*listener), [this](const std::string& path, std::string* type) {
          if (path == "/metrics") {
            *type = "text/plain; version=0.0.4";
            return PrometheusText();
          }
          if (path == "/" || path == "/stats" || path == "/stats.json") return StatsJson();
          return std::string();
        });
  }
  desired_ = options_.workers;
  int slots = 2 * std::max(desired_, 8) + 8;
  auto board = Scoreboard::Create(slots, static_cast<int>(router_.routes().size()));
  if (!board.ok()) {
    spdlog::error("{}", board.error().message());
    return false;
  }
  board_ = std::move(*board);
  retired_.assign(static_cast<std::size_t>(board_->route_rows()) * kStatusKinds * kCellValues, 0);
  ids_.resize(static_cast<std::size_t>(desired_));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    spdlog::error("pipe: {}", strerror(errno));
    return false;
  }
  notify_read_ = pipe_fds[0];
  notify_write_ = pipe_fds[1];
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : kSignals) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd_ < 0) {
    spdlog::error("signalfd: {}", strerror(errno));
    return false;
  }
  signal(SIGPIPE, SIG_IGN);
  return true;
}

std::string Master::ListenersText() const {
  std::string text;
  for (const Listener& l : listeners_) {
    if (!text.empty()) text += ", ";
    text += l.address;
    if (l.unix_path.empty() && l.address.ends_with(":0"))
      text += " (port " + std::to_string(l.port) + ")";
  }
  return text;
}

int Master::Run() {
  started_ns_ = MonotonicNs();
  if (!Setup()) return 1;
  spdlog::info("postfork master (pid {}) for '{}': listening on {}; {} workers, {} mode", getpid(),
               app_.name(), ListenersText(), desired_, options_.preload ? "preload" : "lazy");
  if (stats_)
    spdlog::info("stats on {} (port {})", stats_->listener().address, stats_->listener().port);
  if (options_.preload && app_.hooks().preload) {
    Status s = app_.hooks().preload(options_);
    if (!s.ok()) {
      spdlog::error("preload failed: {}", s.message());
      return 1;
    }
  }
  for (int id = 0; id < desired_; ++id) Spawn(id);

  std::vector<struct pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({signal_fd_, POLLIN, 0});
    fds.push_back({notify_read_, POLLIN, 0});
    std::size_t stats_begin = fds.size();
    if (stats_) stats_->AddPollFds(fds);
    int n = poll(fds.data(), fds.size(), 50);
    if (n < 0 && errno != EINTR) {
      spdlog::error("poll: {}", strerror(errno));
      return 1;
    }
    if (n > 0) {
      if (fds[0].revents & POLLIN) {
        struct signalfd_siginfo info;
        while (read(signal_fd_, &info, sizeof(info)) == sizeof(info))
          OnSignal(static_cast<int>(info.ssi_signo));
      }
      if (fds[1].revents & POLLIN) ReadNotices();
      if (stats_) stats_->Handle(fds.data() + stats_begin, fds.size() - stats_begin, MonotonicNs());
    } else if (stats_) {
      stats_->Handle(fds.data() + stats_begin, 0, MonotonicNs());
    }
    Reap();
    if (stop_ != Stop::kNone && children_.empty()) break;
    Housekeeping();
  }
  if (app_.hooks().on_exit) app_.hooks().on_exit(context_);
  if (stats_) stats_->CloseAll();
  for (Listener& l : listeners_) CloseListener(l);
  spdlog::info("postfork master (pid {}) exiting", getpid());
  return 0;
}

pid_t Master::Spawn(int id) {
  int slot = -1;
  for (int i = 0; i < board_->slots(); ++i) {
    WorkerSlot& s = board_->slot(i);
    if (s.state.load() == static_cast<uint32_t>(SlotState::kFree) && s.pid.load() == 0) {
      slot = i;
      break;
    }
  }
  if (slot < 0) {
    spdlog::error("no free scoreboard slot for worker {}", id);
    return 0;
  }
  WorkerSlot& s = board_->slot(slot);
  s.worker_id.store(id);
  s.requests.store(0);
  s.oldest_request_ns.store(0);
  s.active_connections.store(0);
  s.accept_pending_ns.store(0);
  s.recycle_requested.store(0);
  s.ready_ns.store(0);
  s.start_faults.store(0);
  s.state.store(static_cast<uint32_t>(SlotState::kStarting));
  if (app_.hooks().pre_fork) app_.hooks().pre_fork(context_, id);
  uint64_t max_requests = options_.max_requests;
  if (max_requests != 0 && options_.max_requests_jitter != 0) {
    max_requests +=
        static_cast<uint64_t>(Random01() * static_cast<double>(options_.max_requests_jitter + 1));
  }
  spdlog::default_logger()->flush();
  int64_t fork_ns = MonotonicNs();
  s.fork_ns.store(fork_ns);
  pid_t master_pid = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(signal_fd_);
    close(notify_read_);
    if (stats_) stats_->CloseAll();
    worker::WorkerSetup setup;
    setup.app = &app_;
    setup.router = &router_;
    setup.options = &options_;
    for (const Listener& l : listeners_) setup.listeners.push_back(l.socket);
    setup.board = board_.get();
    setup.slot = slot;
    setup.worker_id = id;
    setup.notify_fd = notify_write_;
    setup.master_pid = master_pid;
    setup.max_requests = max_requests;
    setup.run_preload = !options_.preload;
    worker::RunWorker(setup);
  }
  if (pid < 0) {
    spdlog::error("fork failed for worker {}: {}", id, strerror(errno));
    s.state.store(static_cast<uint32_t>(SlotState::kFree));
    IdState& st = ids_[static_cast<std::size_t>(id)];
    st.next_spawn_ns =
        MonotonicNs() + static_cast<int64_t>(options_.respawn_backoff * kNsPerSecond);
    return 0;
  }
  s.pid.store(pid);
  ++spawns_;
  children_.push_back({pid, slot, id, ChildState::kStarting, fork_ns, 0, false, false});
  spdlog::info("worker {} spawned (pid {})", id, pid);
  return pid;
}

Master::Child* Master::FindChild(pid_t pid) {
  for (Child& c : children_) {
    if (c.pid == pid) return &c;
  }
  return nullptr;
}

int Master::LiveCount(int id) const {
  int n = 0;
  for (const Child& c : children_) {
    if (c.id == id && c.state != ChildState::kStopping) ++n;
  }
  return n;
}

void Master::RetireSlot(int slot) {
  std::size_t k = 0;
  for (int r = 0; r < board_->route_rows(); ++r) {
    for (int kind = 0; kind < kStatusKinds; ++kind) {
      MetricCell& c = board_->cell(slot, r, kind);
      retired_[k++] += c.count.exchange(0);
      retired_[k++] += c.sum_us.exchange(0);
      for (int b = 0; b < kBucketCount; ++b) retired_[k++] += c.buckets[b].exchange(0);
    }
  }
  WorkerSlot& s = board_->slot(slot);
  s.state.store(static_cast<uint32_t>(SlotState::kFree));
  s.active_connections.store(0);
  s.accept_pending_ns.store(0);
  s.oldest_request_ns.store(0);
  s.pid.store(0);
}

void Master::Reap() {
  while (true) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    Child* child = FindChild(pid);
    if (child == nullptr) continue;
    Child c = *child;
    std::erase_if(children_, [&](const Child& x) { return x.pid == pid; });
    RetireSlot(c.slot);
    std::erase(replace_queue_, pid);
    if (replace_old_ == pid) replace_old_ = 0, replace_new_ = 0;
    if (replace_new_ == pid) replace_new_ = 0;
    int64_t now = MonotonicNs();
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && c.state == ChildState::kStopping;
    if (clean) {
      spdlog::info("worker {} (pid {}) exited after a graceful stop", c.id, pid);
      continue;
    }
    if (c.id >= static_cast<int>(ids_.size())) {
      spdlog::info("worker {} (pid {}) exited ({}); no longer wanted", c.id, pid,
                   DescribeExit(status));
      continue;
    }
    IdState& st = ids_[static_cast<std::size_t>(c.id)];
    if (stop_ != Stop::kNone) {
      spdlog::info("worker {} (pid {}) ended ({})", c.id, pid, DescribeExit(status));
      continue;
    }
    ++restarts_;
    ++st.respawns;
    bool healthy = c.harakiri || (c.state != ChildState::kStarting && c.ready_ns != 0 &&
                                  now - c.ready_ns >= kHealthyLifeNs);
    if (healthy) {
      st.failures = 0;
      st.next_spawn_ns = now;
      spdlog::warn("worker {} (pid {}) died ({}){}; respawning", c.id, pid, DescribeExit(status),
                   c.harakiri ? " after harakiri" : "");
    } else {
      ++st.failures;
      double delay = std::min(options_.respawn_backoff_max,
                              options_.respawn_backoff * std::pow(2.0, st.failures - 1));
      delay *= 0.5 + 0.5 * Random01();
      st.next_spawn_ns = now + static_cast<int64_t>(delay * kNsPerSecond);
      spdlog::warn("worker {} (pid {}) died ({}) {}; failure {} in a row, respawning in {:.3f} s",
                   c.id, pid, DescribeExit(status),
                   c.state == ChildState::kStarting ? "before it was ready" : "soon after start",
                   st.failures, delay);
    }
  }
}

void Master::OnSignal(int signo) {
  switch (signo) {
    case SIGCHLD:
      break;  // Reap() runs every iteration
    case SIGHUP:
      if (stop_ != Stop::kNone) break;
      spdlog::info("SIGHUP: reloading {} workers one by one", children_.size());
      sd_notify(0, "RELOADING=1");
      if (app_.hooks().on_reload) app_.hooks().on_reload(context_);
      reloading_ = true;
      for (Child& c : children_) {
        if (c.state == ChildState::kReady && !c.recycle_queued && c.pid != replace_new_)
          Enqueue(c, "reload");
      }
      break;
    case SIGTERM:
      BeginStop(Stop::kGraceful);
      break;
    case SIGINT:
    case SIGQUIT:
      BeginStop(Stop::kFast);
      break;
    case SIGTTIN:
      if (stop_ != Stop::kNone) break;
      if (desired_ + 1 > board_->slots() / 2 - 2) {
        spdlog::warn("SIGTTIN: already at the maximum of {} workers", desired_);
        break;
      }
      ++desired_;
      ids_.resize(static_cast<std::size_t>(desired_));
      spdlog::info("SIGTTIN: workers {} -> {}", desired_ - 1, desired_);
      break;
    case SIGTTOU:
      if (stop_ != Stop::kNone) break;
      if (desired_ <= 1) {
        spdlog::warn("SIGTTOU: keeping the last worker");
        break;
      }
      --desired_;
      ids_.resize(static_cast<std::size_t>(desired_));
      spdlog::info("SIGTTOU: workers {} -> {}", desired_ + 1, desired_);
      break;
    default:
      break;
  }
}

void Master::BeginStop(Stop how) {
  if (stop_ == Stop::kFast || stop_ == how) return;
  stop_ = how;
  sd_notify(0, "STOPPING=1");
  int64_t now = MonotonicNs();
  if (how == Stop::kGraceful) {
    spdlog::info("SIGTERM: graceful stop of {} workers (timeout {} s)", children_.size(),
                 options_.graceful_timeout);
    stop_deadline_ns_ = now + static_cast<int64_t>((options_.graceful_timeout + 1) * kNsPerSecond);
  } else {
    spdlog::info("fast stop of {} workers", children_.size());
    stop_deadline_ns_ = now + kNsPerSecond;
  }
  for (Child& c : children_) {
    kill(c.pid, how == Stop::kGraceful ? SIGTERM : SIGQUIT);
    c.state = ChildState::kStopping;
  }
}

void Master::ReadNotices() {
  worker::NoticeMessage msg;
  while (read(notify_read_, &msg, sizeof(msg)) == sizeof(msg)) {
    Child* c = FindChild(msg.pid);
    if (c == nullptr) continue;
    if (msg.type == static_cast<int32_t>(worker::Notice::kRecycle) && !c->recycle_queued &&
        c->state == ChildState::kReady) {
      Enqueue(*c, "max-requests reached");
    }
  }
}

void Master::Enqueue(Child& child, const char* why) {
  if (child.recycle_queued) return;
  child.recycle_queued = true;
  replace_queue_.push_back(child.pid);
  spdlog::info("worker {} (pid {}) will be replaced: {}", child.id, child.pid, why);
}

void Master::Housekeeping() {
  int64_t now = MonotonicNs();
  if (stop_ != Stop::kNone) {
    if (now > stop_deadline_ns_) {
      for (Child& c : children_) {
        spdlog::warn("worker {} (pid {}) did not stop in time; killing it", c.id, c.pid);
        kill(c.pid, SIGKILL);
      }
      stop_deadline_ns_ = now + kNsPerSecond;
    }
    return;
  }
  for (Child& c : children_) {
    WorkerSlot& s = board_->slot(c.slot);
    if (c.state == ChildState::kStarting &&
        s.state.load() == static_cast<uint32_t>(SlotState::kReady)) {
      c.state = ChildState::kReady;
      c.ready_ns = s.ready_ns.load();
      double ms = static_cast<double>(c.ready_ns - c.fork_ns) / 1e6;
      spawn_ms_.push_back(ms);
      if (spawn_ms_.size() > 1024) spawn_ms_.erase(spawn_ms_.begin());
      spdlog::info("worker {} (pid {}) ready in {:.2f} ms ({} page faults)", c.id, c.pid, ms,
                   s.start_faults.load());
    }
    if (c.state == ChildState::kReady && !c.recycle_queued && s.recycle_requested.load() != 0) {
      Enqueue(c, "max-requests reached");
    }
  }
  // Workers beyond the desired count (SIGTTOU) stop gracefully.
  for (Child& c : children_) {
    if (c.id >= desired_ && c.state != ChildState::kStopping) {
      spdlog::info("worker {} (pid {}) stopping: fewer workers wanted", c.id, c.pid);
      kill(c.pid, SIGTERM);
      c.state = ChildState::kStopping;
    }
  }
  for (int id = 0; id < desired_; ++id) {
    if (LiveCount(id) == 0 && now >= ids_[static_cast<std::size_t>(id)].next_spawn_ns) Spawn(id);
  }
  ProgressReplacement(now);
  CheckHarakiri(now);
  CheckRss(now);
  if (!announced_ready_) {
    int ready = 0;
    for (const Child& c : children_) ready += c.state == ChildState::kReady ? 1 : 0;
    if (ready >= desired_) {
      announced_ready_ = true;
      spdlog::info("postfork ready: {} workers serving on {} ({:.1f} ms after start)", ready,
                   ListenersText(), static_cast<double>(now - started_ns_) / 1e6);
      sd_notify(0, "READY=1");
    }
  }
}

void Master::ProgressReplacement(int64_t now) {
  if (replace_old_ == 0) {
    while (!replace_queue_.empty()) {
      pid_t pid = replace_queue_.front();
      replace_queue_.pop_front();
      Child* c = FindChild(pid);
      if (c != nullptr && c->state == ChildState::kReady) {
        replace_old_ = pid;
        replace_new_ = 0;
        break;
      }
      if (c != nullptr) c->recycle_queued = false;
    }
    if (replace_old_ == 0) {
      if (reloading_) {
        reloading_ = false;
        spdlog::info("reload complete");
        sd_notify(0, "READY=1");
      }
      return;
    }
  }
  Child* old = FindChild(replace_old_);
  if (old == nullptr) {
    replace_old_ = 0;
    return;
  }
  if (old->state == ChildState::kStopping) return;  // waiting for it to exit
  if (replace_new_ == 0) {
    if (now >= ids_[static_cast<std::size_t>(std::min(old->id, desired_ - 1))].next_spawn_ns) {
      int id = old->id;
      replace_new_ = Spawn(id);
    }
    return;
  }
  Child* fresh = FindChild(replace_new_);
  if (fresh != nullptr && fresh->state == ChildState::kReady) {
    old = FindChild(replace_old_);
    spdlog::info("worker {} (pid {}) replaced by pid {}; stopping it gracefully", old->id, old->pid,
                 fresh->pid);
    kill(old->pid, SIGTERM);
    old->state = ChildState::kStopping;
  }
}

void Master::CheckHarakiri(int64_t now) {
  if (options_.harakiri <= 0) return;
  auto limit = static_cast<int64_t>(options_.harakiri * kNsPerSecond);
  for (Child& c : children_) {
    if (c.harakiri) continue;
    int64_t oldest = board_->slot(c.slot).oldest_request_ns.load();
    if (oldest != 0 && now - oldest > limit) {
      spdlog::warn("harakiri: worker {} (pid {}) has a request running for {:.1f} s; killing it",
                   c.id, c.pid, static_cast<double>(now - oldest) / 1e9);
      kill(c.pid, SIGKILL);
      c.harakiri = true;
      ++harakiri_kills_;
    }
  }
}

int64_t Master::RssBytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  long size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

void Master::CheckRss(int64_t now) {
  if (options_.reload_on_rss == 0 || now < next_rss_check_ns_) return;
  next_rss_check_ns_ = now + kNsPerSecond;
  auto limit = static_cast<int64_t>(options_.reload_on_rss) * 1024 * 1024;
  for (Child& c : children_) {
    if (c.state != ChildState::kReady || c.recycle_queued) continue;
    int64_t rss = RssBytes(c.pid);
    if (rss > limit) {
      Enqueue(c,
              fmt::format("RSS {} MiB above --reload-on-rss {}", rss >> 20, options_.reload_on_rss)
                  .c_str());
    }
  }
}

std::string Master::StatsJson() {
  int64_t now = MonotonicNs();
  boost::json::object master;
  master["pid"] = getpid();
  master["uptime_s"] = static_cast<double>(now - started_ns_) / 1e9;
  master["workers_desired"] = desired_;
  master["ready"] = announced_ready_;
  master["reloading"] = reloading_ || replace_old_ != 0;
  master["stopping"] = stop_ != Stop::kNone;
  master["spawns"] = spawns_;
  master["restarts"] = restarts_;
  master["harakiri_kills"] = harakiri_kills_;
  boost::json::array listeners;
  for (const Listener& l : listeners_) listeners.push_back(boost::json::value(l.address));
  master["listeners"] = std::move(listeners);
  if (!spawn_ms_.empty()) {
    std::vector<double> sorted = spawn_ms_;
    std::sort(sorted.begin(), sorted.end());
    master["spawn_ms_p50"] = sorted[sorted.size() / 2];
    master["spawn_ms_last"] = spawn_ms_.back();
    master["spawn_samples"] = sorted.size();
  }
  boost::json::array workers;
  for (const Child& c : children_) {
    WorkerSlot& s = board_->slot(c.slot);
    boost::json::object w;
    w["id"] = c.id;
    w["pid"] = c.pid;
    w["slot"] = c.slot;
    w["status"] = c.state == ChildState::kStopping ? "stopping" : StateName(s.state.load());
    w["requests"] = s.requests.load();
    int64_t oldest = s.oldest_request_ns.load();
    w["current_request_age_s"] = oldest == 0 ? 0.0 : static_cast<double>(now - oldest) / 1e9;
    w["active_connections"] = s.active_connections.load();
    w["rss_bytes"] = RssBytes(c.pid);
    w["respawns"] =
        c.id < static_cast<int>(ids_.size()) ? ids_[static_cast<std::size_t>(c.id)].respawns : 0;
    if (c.ready_ns != 0) w["spawn_ms"] = static_cast<double>(c.ready_ns - c.fork_ns) / 1e6;
    workers.push_back(std::move(w));
  }
  boost::json::object root;
  root["master"] = std::move(master);
  root["workers"] = std::move(workers);
  return boost::json::serialize(root) + "\n";
}

std::string Master::PrometheusText() {
  std::vector<uint64_t> totals = retired_;
  for (const Child& c : children_) {
    std::size_t k = 0;
    for (int r = 0; r < board_->route_rows(); ++r) {
      for (int kind = 0; kind < kStatusKinds; ++kind) {
        MetricCell& cell = board_->cell(c.slot, r, kind);
        totals[k++] += cell.count.load();
        totals[k++] += cell.sum_us.load();
        for (int b = 0; b < kBucketCount; ++b) totals[k++] += cell.buckets[b].load();
      }
    }
  }
  std::string out;
  out += "# HELP postfork_requests_total Requests answered, by route and status.\n";
  out += "# TYPE postfork_requests_total counter\n";
  std::string hist;
  hist +=
      "# HELP postfork_request_duration_seconds Time from complete request header to response "
      "ready to write.\n";
  hist += "# TYPE postfork_request_duration_seconds histogram\n";
  std::size_t k = 0;
  const auto& routes = router_.routes();
  for (int r = 0; r < board_->route_rows(); ++r) {
    std::string route = r < static_cast<int>(routes.size())
                            ? routes[r].method + " " + routes[r].pattern
                            : "unmatched";
    for (int kind = 0; kind < kStatusKinds; ++kind) {
      uint64_t count = totals[k];
      uint64_t sum_us = totals[k + 1];
      const uint64_t* buckets = &totals[k + 2];
      k += kCellValues;
      if (count == 0) continue;
      int status = Scoreboard::KindStatus(kind);
      std::string labels = fmt::format("route=\"{}\",status=\"{}\"", PrometheusLabelValue(route),
                                       status == 0 ? std::string("other") : std::to_string(status));
      out += fmt::format("postfork_requests_total{{{}}} {}\n", labels, count);
      uint64_t cumulative = 0;
      for (int b = 0; b < kBucketCount; ++b) {
        cumulative += buckets[b];
        hist += fmt::format("postfork_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                            kLatencyBuckets[b], cumulative);
      }
      hist += fmt::format("postfork_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels,
                          count);
      hist += fmt::format("postfork_request_duration_seconds_sum{{{}}} {}\n", labels,
                          static_cast<double>(sum_us) / 1e6);
      hist += fmt::format("postfork_request_duration_seconds_count{{{}}} {}\n", labels, count);
    }
  }
  out += hist;
  int ready = 0, starting = 0, stopping = 0;
  for (const Child& c : children_) {
    ready += c.state == ChildState::kReady;
    starting += c.state == ChildState::kStarting;
    stopping += c.state == ChildState::kStopping;
  }
  out += "# HELP postfork_workers Worker processes by state.\n# TYPE postfork_workers gauge\n";
  out += fmt::format(
      "postfork_workers{{state=\"ready\"}} {}\npostfork_workers{{state=\"starting\"}} {}\n"
      "postfork_workers{{state=\"stopping\"}} {}\n",
      ready, starting, stopping);
  out += "# HELP postfork_worker_restarts_total Workers respawned after dying.\n";
  out += "# TYPE postfork_worker_restarts_total counter\n";
  out += fmt::format("postfork_worker_restarts_total {}\n", restarts_);
  out += "# HELP postfork_harakiri_kills_total Workers killed by --harakiri.\n";
  out += "# TYPE postfork_harakiri_kills_total counter\n";
  out += fmt::format("postfork_harakiri_kills_total {}\n", harakiri_kills_);
  return out;
}

}  // namespace postfork::server::master
