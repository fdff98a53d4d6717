// The SchemaStore: applies validated DDL to the node's schema, persists it in the node's RocksDB
// and publishes a new SchemaSnapshot (schema.h). Records are encoded by schema_codec.h, options
// validated by schema_options.h, the local node's host id and tokens kept by local_node.h.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/db/local_node.h"
#include "node/db/schema.h"
#include "node/db/schema_options.h"
#include "postfork/base/status.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/types.h"

namespace postfork::node {

class Storage;
struct NodeIdentity;
class ConnectedClients;

// ---- DDL requests (what the CQL front end parsed) ----------------------------------------

struct KeyspaceDefinition {
  std::string name;
  // As written: {'class': 'SimpleStrategy', 'replication_factor': 1}. Short class names are
  // expanded to org.apache.cassandra.locator.*; values are kept as their text.
  std::map<std::string, std::string> replication;
  std::optional<bool> durable_writes;  // Default: true (ALTER: unchanged)
};

struct ColumnDefinition {
  std::string name;
  cql::DataType type;
  bool is_static = false;
};

struct TableDefinition {
  std::string keyspace;
  std::string name;
  std::vector<ColumnDefinition> columns;   // every column, in declaration order
  std::vector<std::string> partition_key;  // column names, in key order
  std::vector<std::string> clustering_key;
  // CLUSTERING ORDER BY: column -> descending? Columns not named are ascending. Cassandra
  // requires the named columns to be a prefix of the clustering key in order.
  std::vector<std::pair<std::string, bool>> clustering_order;
  OptionMap options;  // WITH ... (except CLUSTERING ORDER BY / COMPACT STORAGE)
  bool compact_storage = false;  // WITH COMPACT STORAGE (schema.h CompactStorage)
};

struct AlterTableDefinition {
  std::string keyspace;
  std::string name;
  // kDropCompactStorage: refused once the table is found, as Cassandra 5.0 does by default
  // (cassandra.yaml drop_compact_storage_enabled: false).
  enum class Kind {
    kAddColumns,
    kDropColumns,
    kOptions,
    kRename,
    kDropCompactStorage
  } kind = Kind::kOptions;
  std::vector<ColumnDefinition> add;  // kAddColumns
  std::vector<std::string> drop;      // kDropColumns
  std::optional<int64_t> drop_timestamp;  // kDropColumns: the drop time (default: now)
  OptionMap options;                  // kOptions
  bool if_exists = false;             // ALTER TABLE IF EXISTS
  bool if_column_exists = false;      // DROP IF EXISTS / ADD IF NOT EXISTS (4.1 syntax)
  // kRename: primary key column renames (old -> new).
  std::vector<std::pair<std::string, std::string>> renames;
};

// CREATE TYPE: fields in declaration order, types as parsed against the keyspace's types.
struct UserTypeDefinition {
  std::string keyspace;
  std::string name;
  std::vector<std::string> field_names;
  std::vector<cql::DataType> field_types;
};

// ALTER TYPE: ADD one field, or RENAME fields (old -> new).
struct AlterTypeDefinition {
  std::string keyspace;
  std::string name;
  bool if_exists = false;
  std::optional<std::pair<std::string, cql::DataType>> add;
  bool if_field_not_exists = false;  // ADD IF NOT EXISTS
  std::vector<std::pair<std::string, std::string>> renames;
};

// CREATE INDEX: `column` as written (case already folded), the target form as written (kSimple
// for a plain `(c)`), `name` empty for Cassandra's default name.
struct IndexDefinition {
  std::string keyspace;
  std::string table;
  std::string name;
  std::string column;
  IndexTarget target = IndexTarget::kSimple;
  // USING 'class' as written (empty: a native index) and WITH OPTIONS.
  std::string custom_class;
  std::map<std::string, std::string> options;
};

// ---- the store ---------------------------------------------------------------------------

// Owns the live schema. Every DDL is validated with Cassandra's error kinds and messages
// (Status code kServerError with cql_code() = cql::ErrorCode::kAlreadyExists / kInvalid /
// kConfigError, and Cassandra's text), persisted in the node's RocksDB (durably: synced) before
// the new snapshot is published, bumps schema_version, notifies listeners and returns the change
// to send as RESULT Schema_change. A DDL that does nothing (IF NOT EXISTS on an existing object,
// IF EXISTS on a missing one) returns std::nullopt: answer RESULT Void.
// Thread-safe: DDL is serialized internally; snapshot() may be called from any thread.
class SchemaStore {
 public:
  using SchemaChangeListener = std::function<void(const cql::SchemaChange&)>;

  // Loads the persisted schema from `storage` (which must outlive the store) and adds the system
  // keyspaces. `identity` feeds system.local; `clients` (null: none; must outlive the store)
  // system_views.clients.
  static Result<std::unique_ptr<SchemaStore>> Open(Storage* storage, const NodeIdentity& identity,
                                                   const ConnectedClients* clients = nullptr);
  ~SchemaStore();
  SchemaStore(const SchemaStore&) = delete;
  SchemaStore& operator=(const SchemaStore&) = delete;

  // The live schema; cheap (one refcount). Hold it for the duration of a statement.
  std::shared_ptr<const SchemaSnapshot> snapshot() const;

  Result<std::optional<cql::SchemaChange>> CreateKeyspace(const KeyspaceDefinition& def,
                                                          bool if_not_exists);
  Result<std::optional<cql::SchemaChange>> AlterKeyspace(const KeyspaceDefinition& def,
                                                         bool if_exists);
  Result<std::optional<cql::SchemaChange>> DropKeyspace(std::string_view keyspace, bool if_exists);
  Result<std::optional<cql::SchemaChange>> CreateTable(const TableDefinition& def,
                                                       bool if_not_exists);
  Result<std::optional<cql::SchemaChange>> AlterTable(const AlterTableDefinition& def);
  Result<std::optional<cql::SchemaChange>> DropTable(std::string_view keyspace,
                                                     std::string_view table, bool if_exists);
  Result<std::optional<cql::SchemaChange>> CreateType(const UserTypeDefinition& def,
                                                      bool if_not_exists);
  Result<std::optional<cql::SchemaChange>> AlterType(const AlterTypeDefinition& def);
  Result<std::optional<cql::SchemaChange>> DropType(std::string_view keyspace,
                                                    std::string_view name, bool if_exists);
  // CREATE INDEX: validated as Cassandra 4.1's CreateIndexStatement, persisted, then built from
  // the table's existing rows before returning (synchronously). Change: UPDATED TABLE.
  Result<std::optional<cql::SchemaChange>> CreateIndex(const IndexDefinition& def,
                                                       bool if_not_exists);
  // DROP INDEX: removes the definition and the index's entries. Change: UPDATED TABLE.
  Result<std::optional<cql::SchemaChange>> DropIndex(std::string_view keyspace,
                                                     std::string_view name, bool if_exists);
  // Removes every row of the table (no schema change; the front end answers RESULT Void).
  Status Truncate(std::string_view keyspace, std::string_view table);

  // Called after each successful DDL, on the thread that ran it, with no lock held.
  void AddListener(SchemaChangeListener listener);

  const NodeIdentity& identity() const;
  // The host id and tokens system.local reports.
  const LocalNodeState& local_node() const;

 private:
  struct Impl;
  explicit SchemaStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace postfork::node
