// Reading the cluster's topology and keyspace metadata from system tables (system-tables.md).
// The queries are the ones every driver sends, so any Cassandra 4.x / ScyllaDB node answers them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/driver/metadata.h"
#include "postfork/driver/result.h"

namespace postfork::driver {

inline constexpr std::string_view kLocalQuery = "SELECT * FROM system.local WHERE key='local'";
inline constexpr std::string_view kPeersV2Query = "SELECT * FROM system.peers_v2";
inline constexpr std::string_view kPeersQuery = "SELECT * FROM system.peers";

// CQL string literal with quotes doubled.
std::string QuoteLiteral(std::string_view text);
std::string ReplicationQuery(std::string_view keyspace);
std::string TablesQuery(std::string_view keyspace);
std::string ColumnsQuery(std::string_view keyspace);

// Hosts from a system.local row and peers rows (peers_v2 or legacy peers). The local host is
// first and keeps the address we connected to (its rpc_address may be a wildcard). Peers
// without an address, host_id, data_center or tokens are skipped, as other drivers do.
Result<std::vector<HostInfo>> HostsFromSystemTables(const QueryResult& local,
                                                    const QueryResult& peers,
                                                    const std::string& connected_address,
                                                    uint16_t connected_port, uint16_t default_port);

ReplicationStrategy ParseReplication(const cql::ValueMap& replication);
std::map<std::string, std::string> ToStringMap(const cql::ValueMap& m);

// Builds a keyspace's metadata from the rows of the three queries above.
Result<KeyspaceMetadata> KeyspaceFromSystemSchema(std::string_view keyspace,
                                                  const QueryResult& keyspaces,
                                                  const QueryResult& tables,
                                                  const QueryResult& columns);

}  // namespace postfork::driver
