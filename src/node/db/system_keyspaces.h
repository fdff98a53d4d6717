// The system keyspaces drivers read at connect: system (local, peers, peers_v2), system_schema
// (ten tables), system_virtual_schema (three tables) and system_views, with Cassandra's names,
// types and keys (/work/shared/spec/system-tables.md; system_views as Cassandra 5.0's). Their
// rows are generated from the live schema, the node's identity and its client connections at
// read time, except system_auth's and system_traces', which are stored.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/db/connected_clients.h"
#include "node/db/local_node.h"
#include "node/db/node_identity.h"
#include "node/db/schema.h"
#include "node/storage/storage.h"
#include "postfork/cql/value.h"

namespace postfork::node {

// system, system_schema, system_virtual_schema, system_views, and the replicated system
// keyspaces Cassandra creates (system_auth, system_distributed, system_traces).
bool IsSystemKeyspace(std::string_view keyspace);

// Storage ids of the system tables kept in RocksDB (all others are generated).
inline constexpr uint32_t kSystemAuthRolesStorageId = 900;
inline constexpr uint32_t kSystemAuthRolePermissionsStorageId = 901;
inline constexpr uint32_t kSystemTracesSessionsStorageId = 910;
inline constexpr uint32_t kSystemTracesEventsStorageId = 911;

// The metadata of every system keyspace and table (tables marked is_virtual: generated rows).
std::vector<std::shared_ptr<const KeyspaceMetadata>> SystemKeyspaceMetadata();

// Generates the rows of the system tables from the snapshot `schema()` returns.
class SystemTables final : public VirtualTableSource {
 public:
  // `clients` (null: none) lists system_views.clients; `storage` (null: none) has the tables
  // whose partitions system.size_estimates counts. Both must outlive the tables.
  SystemTables(NodeIdentity identity, LocalNodeState local,
               std::function<std::shared_ptr<const SchemaSnapshot>()> schema,
               const ConnectedClients* clients = nullptr, const Storage* storage = nullptr);
  Result<std::vector<PartitionMutation>> Generate(
      const std::shared_ptr<const TableMetadata>& table) const override;
  // Generates only the keyspaces named by the command's partition keys and, when its slices fix
  // the first clustering column (table_name), only those tables: what a driver's schema refresh
  // after a DDL asks for.
  Result<std::vector<PartitionMutation>> Generate(const std::shared_ptr<const TableMetadata>& table,
                                                  const ReadCommand& command) const override;

 private:
  NodeIdentity identity_;
  LocalNodeState local_;
  std::function<std::shared_ptr<const SchemaSnapshot>()> schema_;
  const ConnectedClients* clients_;
  const Storage* storage_;
};

}  // namespace postfork::node
