// Starting a postfork node in-process: the same Cassandra-compatible CQL server as the
// `postfork-node` binary, for tests and embedding.
//
//   postfork::node::NodeOptions options;
//   options.data_dir = "/tmp/node";
//   options.port = 0;  // pick a free port
//   auto node = postfork::node::Node::Start(options);
//   if (!node.ok()) ...;
//   connect to 127.0.0.1:(*node)->port()
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "postfork/base/status.h"

namespace postfork::node {

struct NodeOptions {
  // Address to listen on. Default: 127.0.0.1.
  std::string listen_address = "127.0.0.1";
  // CQL native port. 0 picks a free port (see Node::port()). Default: 9042.
  uint16_t port = 9042;
  // Directory of the RocksDB data (created if missing). Required.
  std::string data_dir;
  // periodic: acknowledged writes are in the OS-buffered WAL (survive a killed process);
  // batch: the WAL is fsynced before each acknowledgement (survive power loss). Default: periodic.
  enum class CommitlogSync { kPeriodic, kBatch };
  CommitlogSync commitlog_sync = CommitlogSync::kPeriodic;
  // Largest accepted request in bytes, as Cassandra's native_transport_max_frame_size: a v3/v4
  // frame counted whole, its 9-byte header included. A larger frame is read and dropped without
  // being buffered and refused with "Request is too big" (INVALID); the connection goes on. v5
  // envelopes are bounded by their body, as Cassandra's native_transport_max_message_size
  // (whose default, half the commit log segment, is 16 MiB too), and this value stands for that
  // limit as well. Default: 16 MiB, Cassandra's.
  uint32_t max_frame_size = 16u * 1024 * 1024;
  // Threads that run QUERY, PREPARE, EXECUTE and BATCH requests, so that requests on one
  // connection (and on different connections) run concurrently and are answered by stream id as
  // they finish; the network thread only reads, decodes frames and writes. 0 runs requests on
  // the network thread in arrival order. Default: 2.
  int request_threads = 2;
  // Capacity of the prepared statement cache in MiB, as Cassandra's
  // prepared_statements_cache_size: least recently used statements are evicted beyond it (their
  // clients get UNPREPARED and prepare again). Default: 10, Cassandra's floor for the setting.
  uint32_t prepared_statements_cache_size_mib = 10;
  // Storage memory, in MiB. A memtable (RocksDB write buffer) is written to disk when it reaches
  // memtable_size_mib; up to two exist while one is being flushed. The block cache holds
  // uncompressed data blocks read from disk. Together with the prepared cache they bound the
  // node's memory for data. Defaults: 32, 64.
  uint32_t memtable_size_mib = 32;
  uint32_t block_cache_size_mib = 64;
  // The row cache in MiB (ScyllaDB's row cache, Cassandra's row_cache_size): merged partitions
  // and whole small tables kept in memory in front of storage, least recently used evicted; hot
  // reads then skip the memtable search and the merge of each row's versions. 0 = off.
  // Default: 64, as the block cache: enough for the hot rows of a small service, and a bound
  // the operator sees beside the other memory settings.
  uint32_t row_cache_size_mib = 64;
  // Tests only: storage stalls writes for seconds after every flush of a tiny memtable
  // (StorageOptions::provoke_write_stalls).
  bool provoke_write_stalls = false;
  // Priority of flushes and of compactions (StorageOptions::flush_nice, compaction_nice): each
  // 1-19 at that nice value with a 100 µs slice; kBackgroundIdle in SCHED_IDLE; 0 at the node's
  // own. Defaults: 19, 19.
  static constexpr int kBackgroundIdle = 20;
  int flush_nice = 19;
  int compaction_nice = 19;
  // Client warnings, as Cassandra's settings of the same names (defaults: Cassandra's): a batch
  // over several partitions larger than batch_size_warn_threshold warns and larger than
  // batch_size_fail_threshold is refused; an unlogged batch over more partitions than
  // unlogged_batch_across_partitions_warn_threshold warns. Default: 5 KiB, 50 KiB, 10.
  uint32_t batch_size_warn_threshold_kib = 5;
  uint32_t batch_size_fail_threshold_kib = 50;
  int unlogged_batch_across_partitions_warn_threshold = 10;
  // A read that scans more tombstones than tombstone_warn_threshold warns the client; more than
  // tombstone_failure_threshold fails with ReadFailure (READ_TOO_MANY_TOMBSTONES), as
  // Cassandra's settings of the same names. Default: 1000, 100000.
  int32_t tombstone_warn_threshold = 1000;
  int32_t tombstone_failure_threshold = 100000;
  // Seconds a request's trace (system_traces.sessions and events) lives, as Cassandra's
  // tracetype_query_ttl. Default: 86400 (1 day).
  int32_t tracetype_query_ttl_seconds = 86400;
  // "host:port" for Prometheus text metrics; empty disables them; port 0 picks one.
  // Default: disabled.
  std::string metrics_address;

  // The admin interface postfork-nodetool speaks (HTTP/JSON: flush, compact, snapshots, the
  // native transport, drain, info) on admin_address:admin_port. Port 0 disables it. Bind it to
  // loopback: it has no authentication. Default: disabled here (the binary's --admin-port
  // default is 7199), 127.0.0.1.
  std::string admin_address = "127.0.0.1";
  uint16_t admin_port = 0;
  // Rarely changed: when the admin port is taken, start without the admin interface
  // (admin_port() is then 0) instead of failing. Default: false.
  bool admin_port_optional = false;

  // Who may connect. kAllowAll: anyone, no login. kPassword: Cassandra's PasswordAuthenticator
  // (SASL PLAIN checked against bcrypt hashes of the roles in system_auth.roles; the default
  // superuser cassandra/cassandra is created on the first start with no role, with a warning).
  // Default: kAllowAll.
  enum class Authenticator { kAllowAll, kPassword };
  Authenticator authenticator = Authenticator::kAllowAll;
  // What a logged-in role may do. kAllowAll: everything. kCassandra: Cassandra's
  // CassandraAuthorizer (GRANT/REVOKE, checked on every statement); requires kPassword.
  // Default: kAllowAll.
  enum class Authorizer { kAllowAll, kCassandra };
  Authorizer authorizer = Authorizer::kAllowAll;

  // Client TLS. With a certificate (PEM chain) and its key, the CQL port speaks TLS only.
  // Default: "" (plain TCP).
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle to verify client certificates with. Default: "" (none asked for).
  std::string tls_ca_file;
  // Refuse clients without a certificate signed by tls_ca_file (requires it). Default: false.
  bool tls_require_client_cert = false;

  // Rarely changed: failed logins per client address. After `login_failure_burst` failures in a
  // row, attempts are refused without checking until a new one is allowed every
  // `login_failure_refill`. Default: 5 and 2 s.
  int login_failure_burst = 5;
  std::chrono::milliseconds login_failure_refill{2000};
};

// A running node: one network thread serving CQL, request threads running statements, RocksDB
// underneath. Stop() (or destruction)
// closes connections and the database; everything acknowledged is already durable.
class Node {
 public:
  // Validates options, opens the data directory, binds the ports and starts serving. On
  // return the node accepts connections.
  static Result<std::unique_ptr<Node>> Start(const NodeOptions& options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  uint16_t port() const;          // the bound CQL port
  uint16_t metrics_port() const;  // 0 when metrics are off
  uint16_t admin_port() const;    // 0 when the admin interface is off
  const std::string& listen_address() const;
  // Idempotent; safe from any thread except the node's own.
  void Stop();

 private:
  struct Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "0.1.0": the project's version, printed by --version.
const char* NodeVersion();

}  // namespace postfork::node
