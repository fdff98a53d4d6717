#include "server/worker/worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "server/worker/worker_loop.h"

namespace postfork::server::worker {
namespace asio = boost::asio;

namespace {

std::string PeerAddress(int fd) {
  struct sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<struct sockaddr*>(&addr), &len) != 0) return "-";
  char buf[INET6_ADDRSTRLEN] = "-";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<struct sockaddr_in*>(&addr)->sin_addr, buf, sizeof(buf));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<struct sockaddr_in6*>(&addr)->sin6_addr, buf,
              sizeof(buf));
  } else if (addr.ss_family == AF_UNIX) {
    return "unix";
  }
  return buf;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

WorkerLoop::WorkerLoop(asio::io_context& io, WorkerContext& ctx, const WorkerSetup& setup)
    : io_(io),
      ctx_(ctx),
      setup_(setup),
      slot_(setup.board->slot(setup.slot)),
      poller_(io),
      sweep_(io),
      stop_deadline_(io) {}

WorkerLoop::~WorkerLoop() {
  if (acceptor_) acceptor_->Stop();
}

int64_t WorkerLoop::now_ns() const { return master::MonotonicNs(); }

bool WorkerLoop::Start() {
  const ServerOptions& opt = options();
  if (opt.access_log == "-") {
    access_log_fd_ = STDERR_FILENO;
  } else if (!opt.access_log.empty()) {
    access_log_fd_ = open(opt.access_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (access_log_fd_ < 0) {
      spdlog::error("cannot open access log {}: {}", opt.access_log, strerror(errno));
      return false;
    }
  }
  if (!poller_.Start()) {
    spdlog::error("worker cannot create its connections' epoll set: {}", strerror(errno));
    return false;
  }
  acceptor_ = std::make_unique<Acceptor>(
      setup_.listeners, *setup_.board, setup_.slot, [this](int fd, int family) {
        undelivered_.fetch_add(1);
        asio::post(io_, [this, fd, family] { Adopt(fd, family); });
      });
  if (!acceptor_->Start()) {
    spdlog::error("worker cannot watch the listening sockets: {}", strerror(errno));
    return false;
  }
  ArmSweep();
  return true;
}

void WorkerLoop::ArmSweep() {
  sweep_.expires_after(std::chrono::milliseconds(250));
  sweep_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    int64_t now = now_ns();
    // Sweep may close connections; advance first.
    for (auto it = connections_.begin(); it != connections_.end();) {
      Connection& c = *it++;
      c.Sweep(now, stopping_);
    }
    ArmSweep();
  });
}

void WorkerLoop::Adopt(int fd, int family) {
  undelivered_.fetch_sub(1);
  acceptor_->Adopted();
  if (family != AF_UNIX) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  std::string peer = access_log_fd_ >= 0 ? PeerAddress(fd) : std::string();
  auto conn = std::make_shared<Connection>(*this, fd, std::move(peer));
  asio::co_spawn(io_, Connection::Run(std::move(conn)), asio::detached);
}

void WorkerLoop::OnConnectionClosed() {
  --open_connections_;
  slot_.active_connections.fetch_sub(1, std::memory_order_relaxed);
  StopIfDone();
}

void WorkerLoop::StopIfDone() {
  // Connections accepted but not yet adopted still need an answer.
  if (stopping_ && open_connections_ == 0 && undelivered_.load() == 0) io_.stop();
}

void WorkerLoop::BeginStop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  ctx_.set_stopping();
  slot_.state.store(static_cast<uint32_t>(master::SlotState::kStopping));
  spdlog::info("worker {} (pid {}) stopping ({}): {} open connections", setup_.worker_id, getpid(),
               why, open_connections_);
  acceptor_->Stop();
  // Posted after the acceptor's last deliveries, so those connections are counted first.
  asio::post(io_, [this] { StopIfDone(); });
  stop_deadline_.expires_after(
      std::chrono::milliseconds(static_cast<int64_t>(options().graceful_timeout * 1000)));
  stop_deadline_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    spdlog::warn("worker {} (pid {}): graceful timeout with {} open connections; closing them",
                 setup_.worker_id, getpid(), open_connections_);
    io_.stop();
  });
}

void WorkerLoop::PublishOldest() {
  slot_.oldest_request_ns.store(inflight_.empty() ? 0 : inflight_.front().request_start_ns(),
                                std::memory_order_relaxed);
}

void WorkerLoop::RequestStarted(Connection& c) {
  bool was_empty = inflight_.empty();
  inflight_.push_back(c);
  if (was_empty) PublishOldest();
}

int64_t WorkerLoop::RequestFinished(Connection& c, const Request* request, int route_row,
                                    int status, std::size_t body_bytes) {
  bool was_front = !inflight_.empty() && &inflight_.front() == &c;
  c.inflight_hook.unlink();
  if (was_front) PublishOldest();
  int64_t now = now_ns();
  int64_t latency = now - c.request_start_ns();
  ++requests_;
  slot_.requests.store(requests_, std::memory_order_relaxed);
  setup_.board->Record(setup_.slot, route_row, status, latency);
  if (access_log_fd_ >= 0) WriteAccessLog(c, request, status, body_bytes, latency);
  if (setup_.max_requests != 0 && requests_ >= setup_.max_requests && !recycle_sent_) {
    recycle_sent_ = true;
    slot_.recycle_requested.store(1);
    NotifyMaster(Notice::kRecycle);
  }
  return now;
}

void WorkerLoop::NotifyMaster(Notice notice) {
  NoticeMessage msg{static_cast<int32_t>(notice), setup_.slot, static_cast<int32_t>(getpid())};
  ssize_t n = write(setup_.notify_fd, &msg, sizeof(msg));
  if (n != sizeof(msg)) spdlog::error("worker cannot notify the master: {}", strerror(errno));
}

void WorkerLoop::WriteAccessLog(const Connection& c, const Request* request, int status,
                                std::size_t body_bytes, int64_t latency_ns) {
  std::string method = request ? request->method() : "-";
  std::string target = request ? request->target() : "-";
  int version = request ? request->version() : 11;
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char when[64];
  std::string line;
  if (options().access_log_format == "json") {
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    line = fmt::format(
        "{{\"time\":\"{}\",\"remote\":\"{}\",\"method\":\"{}\",\"target\":\"{}\",\"status\":{},"
        "\"bytes\":{},\"duration_us\":{},\"worker\":{},\"pid\":{}}}\n",
        when, JsonEscape(c.peer_), JsonEscape(method), JsonEscape(target), status, body_bytes,
        latency_ns / 1000, setup_.worker_id, getpid());
  } else {
    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
    line = fmt::format("{} - - [{}] \"{} {} HTTP/{}.{}\" {} {} {}\n", c.peer_, when, method, target,
                       version / 10, version % 10, status, body_bytes, latency_ns / 1000);
  }
  ssize_t n = write(access_log_fd_, line.data(), line.size());
  (void)n;  // a full disk must not fail requests
}

[[noreturn]] static void ExitWorker(int status) {
  spdlog::default_logger()->flush();
  std::exit(status);
}

void RunWorker(const WorkerSetup& setup) {
  const ServerOptions& options = *setup.options;
  const Hooks& hooks = setup.app->hooks();
  master::WorkerSlot& slot = setup.board->slot(setup.slot);
  slot.pid.store(getpid());
  // Stop with the master, even if it is killed.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != setup.master_pid) ExitWorker(0);  // the master died before prctl

  asio::io_context io(1);
  WorkerContext ctx(io, options, setup.worker_id);
  if (setup.run_preload && hooks.preload) {
    Status s = Status::Ok();
    try {
      s = hooks.preload(options);
    } catch (const std::exception& e) {
      s = Status(StatusCode::kInternal, e.what());
    }
    if (!s.ok()) {
      spdlog::error("worker {} (pid {}): preload failed: {}; exiting", setup.worker_id, getpid(),
                    s.message());
      ExitWorker(kExitStartupFailed);
    }
  }
  if (hooks.post_fork) {
    Status s = Status::Ok();
    try {
      if (hooks.post_fork.is_async()) {
        // Stop the loop when post_fork is done, even if it left work behind (a session's
        // timers); that work carries on once the worker serves.
        asio::co_spawn(io, hooks.post_fork.async()(ctx), [&](std::exception_ptr e, Status result) {
          io.stop();
          if (e) std::rethrow_exception(e);
          s = std::move(result);
        });
        io.run();
        io.restart();
      } else {
        s = hooks.post_fork.sync()(ctx);
      }
    } catch (const std::exception& e) {
      s = Status(StatusCode::kInternal, std::string("exception: ") + e.what());
    }
    if (!s.ok()) {
      spdlog::error("worker {} (pid {}): post_fork failed: {}; exiting without serving",
                    setup.worker_id, getpid(), s.message());
      ExitWorker(kExitStartupFailed);
    }
  }

  WorkerLoop loop(io, ctx, setup);
  if (!loop.Start()) ExitWorker(kExitStartupFailed);
  int64_t ready_ns = master::MonotonicNs();
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  slot.start_faults.store(static_cast<uint32_t>(usage.ru_minflt));
  slot.ready_ns.store(ready_ns);
  slot.state.store(static_cast<uint32_t>(master::SlotState::kReady));
  NoticeMessage ready{static_cast<int32_t>(Notice::kReady), setup.slot,
                      static_cast<int32_t>(getpid())};
  if (write(setup.notify_fd, &ready, sizeof(ready)) != sizeof(ready)) {
    spdlog::error("worker cannot notify the master: {}", strerror(errno));
  }
  if (hooks.on_worker_ready) hooks.on_worker_ready(ctx);

  asio::signal_set signals(io, SIGTERM, SIGINT, SIGQUIT);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int signo) {
    if (ec) return;
    if (signo == SIGTERM) {
      loop.BeginStop("SIGTERM");
      signals.async_wait(on_signal);
    } else {
      spdlog::info("worker {} (pid {}) fast stop ({})", setup.worker_id, getpid(),
                   strsignal(signo));
      spdlog::default_logger()->flush();
      _exit(0);
    }
  };
  signals.async_wait(on_signal);
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_UNBLOCK, &all, nullptr);

  io.run();
  loop.BeginStop("event loop ended");
  signals.cancel();
  if (hooks.on_worker_exit) {
    try {
      if (hooks.on_worker_exit.is_async()) {
        io.restart();
        asio::co_spawn(io, hooks.on_worker_exit.async()(ctx), [&io](std::exception_ptr e) {
          io.stop();
          if (e) std::rethrow_exception(e);
        });
        io.run_for(
            std::chrono::milliseconds(static_cast<int64_t>(options.graceful_timeout * 1000)));
      } else {
        hooks.on_worker_exit.sync()(ctx);
      }
    } catch (const std::exception& e) {
      spdlog::error("worker {} (pid {}): on_worker_exit failed: {}", setup.worker_id, getpid(),
                    e.what());
    }
  }
  ctx.ResetState();
  spdlog::info("worker {} (pid {}) exiting after {} requests", setup.worker_id, getpid(),
               slot.requests.load());
  ExitWorker(0);
}

}  // namespace postfork::server::worker
