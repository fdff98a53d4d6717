// A Cassandra datastore for postfork apps: one CQL session per worker, opened right after fork.
//
//   postfork::server::App app("seed");
//   postfork::server::CassandraOptions defaults;  // flag defaults
//   defaults.keyspace = "seed";
//   postfork::server::CassandraDatastore db(app, defaults);
//   db.AddStatement("SELECT col FROM columnfamily WHERE key = ?");
//   app.Route("GET", "/x", [&](Request&, WorkerContext& ctx) -> awaitable<Response> {
//     CassandraWorker* cass = CassandraDatastore::Worker(ctx);
//     ...
//   });
//
// Lifecycle (hooks the datastore installs on the App; the app must not replace them):
//   on_starting  master: without --preload, runs the app's setup (schema) with a short-lived
//                session, so an unreachable cluster stops the service with a clear error after
//                the connect timeout.
//   preload      master with --preload: setup, then connects, prepares the statements, takes the
//                driver's Snapshot and closes every socket.
//   post_fork    worker: a session from the snapshot (sockets only: STARTUP, REGISTER, USE on v4)
//                or a normal connect without one (lazy mode). If the cluster is down the worker
//                still starts; its session connects in the background and requests get 503.
//   on_worker_exit  worker: closes the session.
// Flags (also config-file keys): --contact-points --cql-port --keyspace --local-dc --cql-user
// --cql-password --cql-ssl --cql-protocol --connect-timeout-ms --request-timeout-ms.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "postfork/base/status.h"
#include "postfork/driver/session.h"
#include "postfork/server/app.h"

namespace postfork::driver {
class BlockingSession;
}

namespace postfork::server {

struct CassandraOptions {
  std::vector<std::string> contact_points{"127.0.0.1"};  // Default: {"127.0.0.1"}
  uint16_t cql_port = 9042;                              // Default: 9042
  std::string keyspace;                                  // Default: "" (no USE)
  std::string local_dc;           // Default: "" (the DC of the first contact point that answers)
  std::string user;               // Default: "" (no authentication)
  std::string password;           // Default: ""
  bool ssl = false;               // Default: false
  int connect_timeout_ms = 5000;  // Default: 5 s per connection attempt
  int request_timeout_ms = 2000;  // Default: 2 s; a request that needs the DB gets 503 after it
  // Native protocol (--cql-protocol negotiate|4|5). Default: kNegotiate (v5, else v4).
  driver::ProtocolVersion protocol_version = driver::ProtocolVersion::kNegotiate;

  driver::SessionOptions ToSessionOptions() const;
};

// The per-worker side: the worker's session and its state. Lives in the WorkerContext's state
// from post_fork until the worker exits. Only the worker's event-loop thread may use it.
class CassandraWorker {
 public:
  CassandraWorker(WorkerContext& ctx, driver::SessionOptions options,
                  std::shared_ptr<const driver::Snapshot> snapshot,
                  std::vector<std::string> statements);
  CassandraWorker(const CassandraWorker&) = delete;
  CassandraWorker& operator=(const CassandraWorker&) = delete;
  ~CassandraWorker();

  // The session, or nullptr while none could be opened yet (outage at worker start).
  driver::Session* session() { return session_ ? &*session_ : nullptr; }
  // The prepared statement of `query` (one of the datastore's statements), or kNoHostAvailable
  // while the session is not open.
  Result<driver::PreparedStatement> Prepared(std::string_view query) const;
  // OK when the session is open and has a host up; otherwise why not.
  Status Health() const;
  // Milliseconds from post_fork to a ready session; nullopt until then.
  std::optional<double> ready_ms() const { return ready_ms_; }
  const driver::SessionOptions& options() const { return options_; }

  // Opens the session (retrying in the background on failure). Called by post_fork.
  boost::asio::awaitable<void> Start();
  void Close();

 private:
  boost::asio::awaitable<Status> ConnectOnce();
  boost::asio::awaitable<void> RetryInBackground();

  WorkerContext& ctx_;
  driver::SessionOptions options_;
  std::shared_ptr<const driver::Snapshot> snapshot_;
  std::vector<std::string> statements_;
  std::optional<driver::Session> session_;
  std::vector<std::pair<std::string, driver::PreparedStatement>> prepared_;
  Status last_error_;
  std::optional<double> ready_ms_;
  std::chrono::steady_clock::time_point started_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class CassandraDatastore {
 public:
  // Adds the flags to `app` and installs the hooks. `defaults` are the flags' defaults.
  CassandraDatastore(App& app, CassandraOptions defaults = {});
  CassandraDatastore(const CassandraDatastore&) = delete;
  CassandraDatastore& operator=(const CassandraDatastore&) = delete;

  // A query every worker's session prepares (from the snapshot, or at connect in lazy mode).
  void AddStatement(std::string query) { statements_.push_back(std::move(query)); }
  // Runs once in the master before the snapshot, with a session that has no keyspace (create
  // the schema here). A failure stops the service.
  void SetSetup(std::function<Status(driver::BlockingSession&)> setup) {
    setup_ = std::move(setup);
  }
  // Replaces the per-worker session with nothing: post_fork opens no session (handlers connect
  // themselves, e.g. per request). Setup still runs in the master.
  void set_worker_sessions(bool enabled) { worker_sessions_ = enabled; }

  const CassandraOptions& options() const { return options_; }
  const std::vector<std::string>& statements() const { return statements_; }
  // The snapshot taken by preload; nullptr in lazy mode.
  const std::shared_ptr<const driver::Snapshot>& snapshot() const { return snapshot_; }

  // The worker's datastore state; nullptr when post_fork did not create one.
  static CassandraWorker* Worker(WorkerContext& ctx);

 private:
  Status RunSetup();
  Status Preload();

  CassandraOptions options_;
  std::string contact_points_flag_;
  std::vector<std::string> statements_;
  std::function<Status(driver::BlockingSession&)> setup_;
  std::shared_ptr<const driver::Snapshot> snapshot_;
  bool setup_done_ = false;
  bool worker_sessions_ = true;
};

// The HTTP status for a failed query: 503 when the cluster is unreachable, overloaded or timed
// out (retry later), 500 otherwise.
int HttpStatusFor(const Status& status);

}  // namespace postfork::server
