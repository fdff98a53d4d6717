#include "postfork/server/cassandra.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "postfork/cql/error_codes.h"
#include "postfork/driver/blocking.h"

namespace postfork::server {

namespace asio = boost::asio;

namespace {

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string JoinHosts(const driver::SessionOptions& options) {
  std::string out;
  for (const std::string& host : options.contact_points) {
    if (!out.empty()) out += ',';
    out += host + ":" + std::to_string(options.port);
  }
  return out;
}

}  // namespace

driver::SessionOptions CassandraOptions::ToSessionOptions() const {
  driver::SessionOptions options;
  options.contact_points = contact_points;
  options.port = cql_port;
  options.keyspace = keyspace;
  options.local_dc = local_dc;
  if (!user.empty()) options.credentials = driver::Credentials{user, password};
  options.tls.enabled = ssl;
  options.connect_timeout = driver::Millis(connect_timeout_ms);
  options.request_timeout = driver::Millis(request_timeout_ms);
  options.protocol_version = protocol_version;
  // Recover within about a second of the cluster coming back.
  options.reconnection.base_delay = driver::Millis(50);
  options.reconnection.max_delay = driver::Millis(1000);
  return options;
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kTimeout:
    case StatusCode::kNoHostAvailable:
    case StatusCode::kConnectFailed:
    case StatusCode::kClosed:
    case StatusCode::kIoError:
      return 503;
    case StatusCode::kServerError:
      switch (static_cast<cql::ErrorCode>(status.cql_code())) {
        case cql::ErrorCode::kUnavailable:
        case cql::ErrorCode::kOverloaded:
        case cql::ErrorCode::kIsBootstrapping:
        case cql::ErrorCode::kReadTimeout:
        case cql::ErrorCode::kWriteTimeout:
          return 503;
        default:
          return 500;
      }
    default:
      return 500;
  }
}

// ---------------------------------------------------------------------------------------------
// CassandraWorker

CassandraWorker::CassandraWorker(WorkerContext& ctx, driver::SessionOptions options,
                                 std::shared_ptr<const driver::Snapshot> snapshot,
                                 std::vector<std::string> statements)
    : ctx_(ctx),
      options_(std::move(options)),
      snapshot_(std::move(snapshot)),
      statements_(std::move(statements)),
      last_error_(StatusCode::kNoHostAvailable, "session not opened yet") {}

CassandraWorker::~CassandraWorker() {
  *alive_ = false;
  Close();
}

void CassandraWorker::Close() {
  if (session_) session_->Close();
}

Result<driver::PreparedStatement> CassandraWorker::Prepared(std::string_view query) const {
  if (!session_) return Status(last_error_.code(), last_error_.message());
  for (const auto& [text, prepared] : prepared_) {
    if (text == query) return prepared;
  }
  return Status(StatusCode::kInvalidArgument, "statement not registered: " + std::string(query));
}

Status CassandraWorker::Health() const {
  if (!session_) {
    return Status(StatusCode::kNoHostAvailable, "no session yet: " + last_error_.ToString());
  }
  if (session_->hosts_up() == 0) {
    return Status(StatusCode::kNoHostAvailable, "no host up (reconnecting)");
  }
  return Status::Ok();
}

asio::awaitable<Status> CassandraWorker::ConnectOnce() {
  // Two statements, not `?:`: GCC 12 miscompiles co_await inside a conditional expression.
  Result<driver::Session> session = Status(StatusCode::kInternal, "not connected");
  if (snapshot_) {
    session = co_await driver::Session::ConnectFromSnapshot(ctx_.io_context(), snapshot_,
                                                            asio::use_awaitable);
  } else {
    session = co_await driver::Session::Connect(ctx_.io_context(), options_, asio::use_awaitable);
  }
  if (!session.ok()) {
    last_error_ = session.error();
    co_return last_error_;
  }
  std::vector<std::pair<std::string, driver::PreparedStatement>> prepared;
  for (const std::string& query : statements_) {
    // From a snapshot the statements are already known: no round trip.
    Result<driver::PreparedStatement> p = co_await session->Prepare(query, asio::use_awaitable);
    if (!p.ok()) {
      session->Close();
      last_error_ = Status(p.error().code(), "prepare " + query + ": " + p.error().message(),
                           p.error().cql_code());
      co_return last_error_;
    }
    prepared.emplace_back(query, std::move(*p));
  }
  session_.emplace(std::move(*session));
  prepared_ = std::move(prepared);
  ready_ms_ = MillisSince(started_);
  const driver::ConnectReport& report = session_->connect_report();
  spdlog::info(
      "worker {} (pid {}): CQL session ready in {:.3f} ms ({}; {} connection(s), {} system "
      "queries)",
      ctx_.worker_id(), getpid(), *ready_ms_, report.from_snapshot ? "from snapshot" : "connect",
      report.connections_opened, report.system_queries);
  co_return Status::Ok();
}

asio::awaitable<void> CassandraWorker::Start() {
  started_ = std::chrono::steady_clock::now();
  Status status = co_await ConnectOnce();
  if (status.ok()) co_return;
  spdlog::warn("worker {}: cluster unreachable ({}); serving 503 and reconnecting in background",
               ctx_.worker_id(), status.ToString());
  asio::co_spawn(ctx_.io_context(), RetryInBackground(), asio::detached);
}

asio::awaitable<void> CassandraWorker::RetryInBackground() {
  // The worker state may be destroyed while this waits: `alive` outlives it.
  std::shared_ptr<bool> alive = alive_;
  auto delay = options_.reconnection.base_delay;
  asio::steady_timer timer(ctx_.io_context());
  while (true) {
    timer.expires_after(delay);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!*alive || ctx_.stopping()) co_return;
    Status status = co_await ConnectOnce();
    if (!*alive) co_return;
    if (status.ok()) co_return;
    delay = std::min(delay * 2, options_.reconnection.max_delay);
  }
}

// ---------------------------------------------------------------------------------------------
// CassandraDatastore

CassandraDatastore::CassandraDatastore(App& app, CassandraOptions defaults)
    : options_(std::move(defaults)) {
  app.AddOptions([this](CLI::App& cli) {
    cli.add_option("--contact-points", options_.contact_points,
                   "Cassandra contact points (IP addresses), comma-separated")
        ->delimiter(',')
        ->capture_default_str();
    cli.add_option("--cql-port", options_.cql_port, "CQL native port")->capture_default_str();
    cli.add_option("--keyspace", options_.keyspace, "keyspace")->capture_default_str();
    cli.add_option("--local-dc", options_.local_dc, "local data center (default: discovered)");
    cli.add_option("--cql-user", options_.user, "CQL user (PasswordAuthenticator)");
    cli.add_option("--cql-password", options_.password, "CQL password");
    cli.add_flag("--cql-ssl", options_.ssl, "connect with TLS");
    const std::map<std::string, driver::ProtocolVersion> versions{
        {"negotiate", driver::ProtocolVersion::kNegotiate},
        {"4", driver::ProtocolVersion::kV4},
        {"5", driver::ProtocolVersion::kV5}};
    cli.add_option("--cql-protocol", options_.protocol_version,
                   "native protocol: negotiate (v5 where the cluster has it, else v4), 4 or 5")
        ->transform(CLI::CheckedTransformer(versions))
        ->option_text("negotiate|4|5 (default: negotiate)");
    cli.add_option("--connect-timeout-ms", options_.connect_timeout_ms,
                   "per-connection connect timeout (ms)")
        ->capture_default_str();
    cli.add_option("--request-timeout-ms", options_.request_timeout_ms,
                   "per-request timeout (ms); requests needing the DB then get 503")
        ->capture_default_str();
  });

  Hooks& hooks = app.hooks();
  hooks.on_starting = [this, previous = hooks.on_starting](MasterContext& master) {
    if (previous) previous(master);
    if (master.options().preload) return;  // preload does the setup
    Status status = RunSetup();
    if (!status.ok()) {
      spdlog::critical("cannot start: {}", status.ToString());
      std::exit(1);
    }
  };
  hooks.preload = [this](const ServerOptions& server) -> Status {
    // Without --preload this runs in every worker after fork: lazy mode, nothing to do here.
    if (!server.preload) return Status::Ok();
    return Preload();
  };
  hooks.post_fork = [this](WorkerContext& ctx) -> asio::awaitable<Status> {
    if (!worker_sessions_) co_return Status::Ok();
    CassandraWorker& worker = ctx.EmplaceState<CassandraWorker>(
        ctx, snapshot_ ? snapshot_->options : options_.ToSessionOptions(), snapshot_, statements_);
    co_await worker.Start();
    co_return Status::Ok();
  };
  hooks.on_worker_exit = [](WorkerContext& ctx) {
    if (CassandraWorker* worker = Worker(ctx)) worker->Close();
  };
}

CassandraWorker* CassandraDatastore::Worker(WorkerContext& ctx) {
  return ctx.FindState<CassandraWorker>();
}

Status CassandraDatastore::RunSetup() {
  if (setup_done_) return Status::Ok();
  driver::SessionOptions options = options_.ToSessionOptions();
  PF_RETURN_IF_ERROR(options.Validate());
  auto start = std::chrono::steady_clock::now();
  if (setup_) {
    // No keyspace: the setup may be what creates it.
    options.keyspace.clear();
    Result<driver::BlockingSession> session = driver::BlockingSession::Connect(options);
    if (!session.ok()) {
      return Status(session.error().code(), "Cassandra unreachable at " + JoinHosts(options) +
                                                ": " + session.error().message());
    }
    Status status = setup_(*session);
    session->Close();
    PF_RETURN_IF_ERROR(status);
  }
  setup_done_ = true;
  spdlog::info("datastore setup done in {:.1f} ms", MillisSince(start));
  return Status::Ok();
}

Status CassandraDatastore::Preload() {
  PF_RETURN_IF_ERROR(RunSetup());
  auto start = std::chrono::steady_clock::now();
  Result<std::shared_ptr<const driver::Snapshot>> snapshot =
      driver::TakeSnapshot(options_.ToSessionOptions(), statements_);
  if (!snapshot.ok()) {
    return Status(snapshot.error().code(), "warm-up snapshot: " + snapshot.error().message());
  }
  snapshot_ = std::move(*snapshot);
  spdlog::info(
      "warm-up snapshot taken in {:.1f} ms ({} host(s), {} prepared statement(s)); "
      "master keeps no CQL socket",
      MillisSince(start), snapshot_->hosts.size(), snapshot_->prepared.size());
  return Status::Ok();
}

}  // namespace postfork::server
