// The session's state: hosts and their connection pools, the control connection, topology,
// token map, prepared cache. Single-threaded: everything runs on the session's io_context.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "driver/cluster/token_map.h"
#include "driver/net/connection.h"
#include "driver/policies/reconnection.h"
#include "driver/policies/retry.h"
#include "driver/session/shared_map.h"
#include "postfork/driver/session.h"

namespace postfork::driver {

using Clock = std::chrono::steady_clock;

// Bumped in every forked child (pthread_atfork); sessions compare it with their own.
extern std::atomic<uint64_t> g_fork_generation;
void EnsureForkHandlerInstalled();

struct Host {
  Host(boost::asio::io_context& io, HostInfo info, const ReconnectionOptions& reconnection)
      : info(std::move(info)), backoff(reconnection), reconnect_timer(io) {}
  HostInfo info;
  std::vector<std::shared_ptr<Connection>> connections;  // open or opening
  ExponentialBackoff backoff;
  boost::asio::steady_timer reconnect_timer;
  bool reconnect_scheduled = false;
  Status last_error;
  std::string endpoint;

  // The ready connection with the fewest requests in flight; nullptr when none is ready.
  Connection* Pick() const;
  bool up() const;
  int opening() const;
};

// Hosts to try for one request, best first. Fixed size: no allocation per request.
struct QueryPlan {
  static constexpr int kMaxHosts = 16;
  std::array<int16_t, kMaxHosts> hosts{};
  int size = 0;
  int next = 0;
  void Add(int h) {
    if (size == kMaxHosts) return;
    for (int i = 0; i < size; ++i)
      if (hosts[i] == h) return;
    hosts[size++] = static_cast<int16_t>(h);
  }
};

class SessionImpl : public std::enable_shared_from_this<SessionImpl> {
 public:
  // `options`: from a snapshot, the snapshot's own (shared, not copied).
  SessionImpl(boost::asio::io_context& io, std::shared_ptr<const SessionOptions> options,
              std::shared_ptr<const Snapshot> snapshot);
  ~SessionImpl();

  void Connect(ConnectHandler handler);
  void Execute(Request&& request, QueryHandler handler);
  void Prepare(std::string query, PrepareHandler handler);
  void FetchKeyspace(std::string keyspace, KeyspaceHandler handler);
  std::shared_ptr<const Snapshot> TakeSnapshot() const;
  void Close();

  // kWrongProcess when used in a forked child; the check is one integer compare.
  bool InWrongProcess() const {
    return generation_ != g_fork_generation.load(std::memory_order_relaxed);
  }
  Status WrongProcessStatus() const;

  // Fills `plan` for a request, replicas of `token` first when known.
  void BuildPlan(const std::string* keyspace, const int64_t* token, QueryPlan* plan);
  Host* host(int index) { return hosts_[static_cast<size_t>(index)].get(); }
  int host_count() const { return static_cast<int>(hosts_.size()); }
  Status NoHostAvailable(const QueryPlan& plan, const std::string& detail) const;

  // Prepared-statement cache.
  std::shared_ptr<const PreparedData> FindPrepared(const std::string& query) const;
  void StorePrepared(std::shared_ptr<const PreparedData> data);
  void OnKeyspaceChanged(const std::string& keyspace, Connection* origin);

  boost::asio::io_context& io() { return io_; }
  const SessionOptions& options() const { return options_; }
  const RetryPolicy& retry_policy() const { return retry_; }
  const ConnectReport& report() const { return report_; }
  const std::string& keyspace() const { return keyspace_; }
  bool closed() const { return closed_; }
  std::vector<HostInfo> host_infos() const;
  int hosts_up() const;

  // Sends a QUERY (consistency ONE, no paging) on `c`; `fn` gets the decoded result.
  static void SendQuery(Connection& c, const std::string& cql, std::vector<cql::Value> values,
                        Millis timeout, std::function<void(QueryResult)> fn);
  // The connection for metadata queries: the control connection, else any ready one.
  Connection* AnyConnection();
  // Polls system.local and system.peers_v2 on `conn` until the nodes agree on the schema
  // version, or options().schema_agreement_wait passes; `done(agreed)` runs once.
  void AwaitSchemaAgreement(std::shared_ptr<Connection> conn, std::function<void(bool)> done);

 private:
  friend class Session;
  void TryContactPoint(size_t index, std::shared_ptr<ConnectHandler> handler,
                       std::shared_ptr<std::string> errors);
  void Bootstrap(std::shared_ptr<Connection> conn, std::shared_ptr<ConnectHandler> handler);
  void FinishConnect(std::shared_ptr<ConnectHandler> handler, Status status);
  void ApplyTopology(std::vector<HostInfo> hosts);
  int AttachConnection(std::shared_ptr<Connection> conn);
  void OpenPools();
  void OpenConnection(int host_index);
  // A connection to address:port in the version to offer there: options_.protocol_version, or
  // under negotiation v5 unless the host is known to refuse it.
  std::shared_ptr<Connection> NewConnection(const std::string& address, uint16_t port);
  // Opens `conn`. Under negotiation, a host that refuses v5 (a protocol error naming the version,
  // native_protocol_v5.spec 2.3) is remembered as v4-only and a fresh v4 connection replaces
  // `conn`; `done` gets the connection finally opened and its outcome.
  void OpenNegotiated(std::shared_ptr<Connection> conn,
                      std::function<void(std::shared_ptr<Connection>, Status)> done);
  void OnConnectionClosed(Connection& conn, const Status& why);
  void ScheduleReconnect(Host& host);
  void MakeControl(Connection* conn);
  // Sends REGISTER on `conn` without waiting for it, with no deadline. A failure costs only
  // events, so it is logged: a warning, unless the session was closed meanwhile (then the
  // REGISTER was cut short on purpose, as when a worker closes a session that has just opened).
  void RegisterUnawaited(Connection& conn);
  // Reads system.local and the peers table again and applies them; `after` runs once done
  // (also when nothing could be read).
  void RefreshTopology(std::function<void()> after = nullptr);
  // Refreshes until `address` is a known host (present) or not, retrying every
  // kTopologyRetryDelay, at most `attempts` refreshes in all.
  void RefreshTopologyUntil(const std::string& address, bool present, int attempts);
  static constexpr int kTopologyRefreshAttempts = 10;
  static constexpr std::chrono::milliseconds kTopologyRetryDelay{1000};
  void OnEvent(const cql::EventMessage& event);
  void FetchReplication(const std::string& keyspace);
  int FindHost(const std::string& address) const;
  void PollSchemaAgreement(std::shared_ptr<Connection> conn, Clock::time_point deadline,
                           std::shared_ptr<std::function<void(bool)>> done);

  boost::asio::io_context& io_;
  std::shared_ptr<const SessionOptions> shared_options_;  // connections hold it too
  const SessionOptions& options_;                         // *shared_options_
  // What a session from a snapshot reads in place: its hosts' list, token map, replication,
  // schema and prepared statements are the snapshot's until the session changes them, so a
  // forked worker copies none of them (and writes only the snapshot's reference count).
  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  RetryPolicy retry_;
  uint64_t generation_;
  int creator_pid_;
  bool closed_ = false;
  bool ready_ = false;

  std::string keyspace_;
  std::string local_dc_;
  std::vector<std::unique_ptr<Host>> hosts_;
  std::shared_ptr<const TokenMap> token_map_;
  SharedMap<std::string, ReplicationStrategy> replication_;
  std::map<std::string, bool> replication_fetching_;
  SharedMap<std::string, std::shared_ptr<const KeyspaceMetadata>> schema_;
  // Prepared here; FindPrepared falls back to snapshot_->prepared.
  std::unordered_map<std::string, std::shared_ptr<const PreparedData>> prepared_;
  std::map<std::string, int> protocol_versions_;  // endpoint -> version, hosts that refused v5
  std::weak_ptr<Connection> control_;
  uint32_t round_robin_ = 0;
  ConnectReport report_;
  std::chrono::steady_clock::time_point connect_start_;
};

// Runs `fn` later (never inline) on `ex`, the executor associated with a caller's handler.
template <class Executor, class Fn>
void PostOn(boost::asio::io_context& io, const Executor& ex, Fn&& fn) {
  boost::asio::post(io, boost::asio::bind_executor(ex, std::forward<Fn>(fn)));
}

// Decodes a RESULT or ERROR frame into a QueryResult. `known_metadata`: column specs for rows
// sent without metadata (prepared statements executed with skip_metadata). A RESULT's body is
// copied into a recycled ResultData (result_pool.h).
QueryResult DecodeResponse(const cql::FrameHeader& header, std::string_view body,
                           std::shared_ptr<const cql::RowsMetadata> known_metadata,
                           const std::string& host);

// Picks a CQL type for a value given without one (simple statements).
cql::DataType InferType(const cql::Value& value);

}  // namespace postfork::driver
