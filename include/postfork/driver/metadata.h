// Cluster metadata the driver keeps: hosts (from system.local / peers), keyspace replication,
// optional table schema, and the warm-up Snapshot that carries them across fork().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "postfork/cql/messages.h"
#include "postfork/driver/options.h"
#include "postfork/driver/statement.h"

namespace postfork::driver {

struct HostInfo {
  std::string address;  // client-facing IP (rpc_address / native_address)
  uint16_t port = 9042;
  std::string datacenter;
  std::string rack;
  std::string host_id;          // uuid text
  std::string release_version;  // "4.1.5"
  std::vector<int64_t> tokens;  // Murmur3 tokens
  bool operator==(const HostInfo&) const = default;
  std::string Endpoint() const { return address + ":" + std::to_string(port); }
};

// A keyspace's replication as system_schema.keyspaces stores it.
struct ReplicationStrategy {
  enum class Kind { kSimple, kNetworkTopology, kLocal, kOther };
  Kind kind = Kind::kSimple;
  int replication_factor = 1;             // kSimple
  std::map<std::string, int> dc_factors;  // kNetworkTopology: datacenter -> RF
  // From the `replication` map ({'class': '...SimpleStrategy', 'replication_factor': '3'}).
  static ReplicationStrategy FromMap(const std::map<std::string, std::string>& replication);
  bool operator==(const ReplicationStrategy&) const = default;
};

struct ColumnMetadata {
  std::string name;
  std::string type;  // CQL text, as system_schema.columns stores it
  std::string kind;  // "partition_key", "clustering", "regular", "static"
  int position = -1;
  std::string clustering_order;  // "asc", "desc", "none"
};

struct TableMetadata {
  std::string keyspace;
  std::string name;
  std::vector<ColumnMetadata> columns;  // partition key, clustering (in order), then the rest
  // CREATE TABLE text reconstructed from the columns (DESCRIBE TABLE).
  std::string ToCql() const;
};

struct KeyspaceMetadata {
  std::string name;
  bool durable_writes = true;
  std::map<std::string, std::string> replication;
  std::map<std::string, TableMetadata> tables;
  std::string ToCql() const;  // CREATE KEYSPACE text
};

class TokenMap;

// Keyspace -> replication, and keyspace -> fetched tables. Sessions and snapshots share them
// read-only (a session from a snapshot copies neither).
using ReplicationMap = std::map<std::string, ReplicationStrategy>;
using SchemaMap = std::map<std::string, std::shared_ptr<const KeyspaceMetadata>>;

// Everything a forked worker needs to open a session with no system-table query: take it in
// the master (Session::TakeSnapshot, or TakeSnapshot in blocking.h), close that session, fork,
// and call Session::ConnectFromSnapshot in each worker. Holds no socket. Immutable once taken.
struct Snapshot {
  SessionOptions options;
  std::string local_dc;         // resolved
  std::vector<HostInfo> hosts;  // hosts[0] answered the snapshot's connect
  std::shared_ptr<const ReplicationMap> replication;  // null when none
  std::shared_ptr<const TokenMap> token_map;
  std::vector<std::shared_ptr<const PreparedData>> prepared;  // by query string in the session
  std::shared_ptr<const SchemaMap> schema;                    // fetched keyspaces; null when none
  // Hosts ("address:port") that refused v5 during negotiation: later sessions speak v4 there.
  std::map<std::string, int> protocol_versions;
};

}  // namespace postfork::driver
