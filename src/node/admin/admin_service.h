// What nodetool asks of a node (flush, compact, snapshots, the native transport, drain, info),
// with Cassandra 5.0's checks and messages. The admin listener (admin_listener.h) serves it over
// HTTP/JSON; postfork-nodetool (tools/) is its command line.
//
// Errors: kInvalidArgument where Cassandra's nodetool reports a wrong use (it exits 1), other
// codes where the operation failed (it exits 2).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/admin/snapshots.h"
#include "postfork/base/status.h"

namespace postfork::node {

class Database;
namespace transport {
class Server;
}

struct SnapshotRequest {
  std::string tag;
  std::vector<std::string> keyspaces;  // empty: every keyspace
  std::string table;                   // with exactly one keyspace: that table only
  std::vector<std::string> kt_list;    // "ks.table" entries; excludes keyspaces and table
  bool skip_flush = false;
  std::optional<int64_t> ttl_seconds;  // at least 60, as Cassandra's default minimum
};

struct NodeInfo {
  std::string host_id;
  std::string listen_address;
  std::string data_center;
  std::string rack;
  std::string release_version;  // what system.local reports
  std::vector<std::string> tokens;
  int32_t generation = 0;
  uint64_t load_bytes = 0;  // live SST files
  int64_t uptime_seconds = 0;
  bool native_transport_active = false;
  bool drained = false;
};

// Thread-safe; operations run on the caller's thread (the admin listener's), except the
// native transport's, which run on the network thread and are waited for.
class AdminService {
 public:
  // All must outlive the service; `network` runs `server`.
  AdminService(Database* db, transport::Server* server, boost::asio::io_context* network,
               const std::string& data_dir);

  // `keyspace` empty: everything; `tables` empty: the whole keyspace. The memtable is shared, so
  // a flush of one table writes every table's unflushed data.
  Status Flush(const std::string& keyspace, const std::vector<std::string>& tables);
  // Major compaction of the named tables' data and index entries (all: the whole database).
  Status Compact(const std::string& keyspace, const std::vector<std::string>& tables);
  Status TakeSnapshot(const SnapshotRequest& request);
  Result<std::vector<SnapshotInfo>> ListSnapshots();
  // `tag` empty with `all`: every snapshot.
  Status ClearSnapshot(const std::string& tag, bool all, const std::vector<std::string>& keyspaces);
  // Closes the CQL port and every client connection; EnableBinary listens again. After Drain,
  // EnableBinary is refused, as Cassandra's.
  Status DisableBinary();
  Status EnableBinary();
  // Closes the CQL port and the client connections, then flushes: what is acknowledged is in
  // SST files and the node can be stopped.
  Status Drain();
  NodeInfo Info();

  const std::string& snapshot_directory() const { return snapshots_.directory(); }

 private:
  // Runs `fn` on the network thread and waits for it.
  template <typename Fn>
  auto OnNetworkThread(Fn fn) -> decltype(fn());

  Database* db_;
  transport::Server* server_;
  boost::asio::io_context* network_;
  SnapshotStore snapshots_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mu_;  // drained_
  bool drained_ = false;
};

}  // namespace postfork::node
