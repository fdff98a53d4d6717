// The state of one worker's event loop shared by its connections. Event-loop thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include "postfork/server/context.h"
#include "server/http/wire.h"
#include "server/worker/connection.h"
#include "server/worker/readiness.h"
#include "server/worker/worker.h"

namespace postfork::server::worker {

class WorkerLoop {
 public:
  WorkerLoop(boost::asio::io_context& io, WorkerContext& ctx, const WorkerSetup& setup);
  ~WorkerLoop();

  // Starts accepting, the sweep timer and the signal handling.
  bool Start();
  // Graceful stop: no new connections, in-flight requests finish, keep-alive connections close
  // after their current response (or when idle); the loop ends when the last one closed.
  void BeginStop(const char* why);

  void Adopt(int fd, int family);
  void OnConnectionClosed();

  // Request bookkeeping for harakiri, metrics, max-requests and the access log. RequestFinished
  // returns the time it read (now_ns()), for the caller's next deadline.
  void RequestStarted(Connection& c);
  int64_t RequestFinished(Connection& c, const Request* request, int route_row, int status,
                          std::size_t body_bytes);

  boost::asio::io_context& io() { return io_; }
  WorkerContext& ctx() { return ctx_; }
  const WorkerSetup& setup() const { return setup_; }
  const ServerOptions& options() const { return *setup_.options; }
  http::DateCache& date() { return date_; }
  ReadinessPoller& poller() { return poller_; }
  bool stopping() const { return stopping_; }
  int64_t now_ns() const;

 private:
  void ArmSweep();
  void StopIfDone();
  void PublishOldest();
  void NotifyMaster(Notice notice);
  void WriteAccessLog(const Connection& c, const Request* request, int status,
                      std::size_t body_bytes, int64_t latency_ns);

  boost::asio::io_context& io_;
  WorkerContext& ctx_;
  const WorkerSetup& setup_;
  master::WorkerSlot& slot_;
  http::DateCache date_;
  ReadinessPoller poller_;
  std::unique_ptr<Acceptor> acceptor_;
  boost::asio::steady_timer sweep_;
  boost::asio::steady_timer stop_deadline_;
  boost::intrusive::list<Connection, boost::intrusive::constant_time_size<false>> connections_;
  boost::intrusive::list<
      Connection,
      boost::intrusive::member_hook<Connection, InflightHook, &Connection::inflight_hook>,
      boost::intrusive::constant_time_size<false>>
      inflight_;
  std::size_t open_connections_ = 0;
  std::atomic<int> undelivered_{0};  // accepted on the acceptor thread, not yet adopted
  uint64_t requests_ = 0;
  bool stopping_ = false;
  bool recycle_sent_ = false;
  int access_log_fd_ = -1;
  friend class Connection;
};

}  // namespace postfork::server::worker
