// The node's schema: keyspaces, tables and columns as Cassandra 4.1 describes them, held in an
// immutable SchemaSnapshot that the query path looks up once per statement, and the SchemaStore
// that applies validated DDL, persists it in the node's RocksDB and publishes a new snapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::node {

class Storage;
struct NodeIdentity;

enum class ColumnKind { kPartitionKey, kClustering, kRegular, kStatic };
enum class ClusteringOrder { kNone, kAsc, kDesc };

// "partition_key", "clustering", "regular", "static" (system_schema.columns.kind).
std::string_view ColumnKindName(ColumnKind kind);
// "none", "asc", "desc" (system_schema.columns.clustering_order).
std::string_view ClusteringOrderName(ClusteringOrder order);

struct ColumnMetadata {
  std::string name;
  cql::DataType type;
  ColumnKind kind = ColumnKind::kRegular;
  // Index within the partition key or clustering key; -1 for regular and static columns.
  int position = -1;
  ClusteringOrder order = ClusteringOrder::kNone;  // kAsc/kDesc for clustering columns only
  // Storage identity of the column within its table: assigned once, never reused (a dropped and
  // re-added column gets a new id, so old cells stay invisible). Mutations and reads name
  // columns by this id.
  uint32_t id = 0;

  bool is_primary_key() const {
    return kind == ColumnKind::kPartitionKey || kind == ColumnKind::kClustering;
  }
};

// Table options as Cassandra stores them in system_schema.tables, with Cassandra 4.1's defaults
// (schema/TableParams.java).
struct TableParams {
  std::string comment;                   // Default: ''
  double bloom_filter_fp_chance = 0.01;  // Default: 0.01
  std::map<std::string, std::string> caching{{"keys", "ALL"}, {"rows_per_partition", "NONE"}};
  bool cdc = false;
  std::map<std::string, std::string> compaction{
      {"class", "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"},
      {"max_threshold", "32"},
      {"min_threshold", "4"}};
  std::map<std::string, std::string> compression{
      {"chunk_length_in_kb", "16"}, {"class", "org.apache.cassandra.io.compress.LZ4Compressor"}};
  double crc_check_chance = 1.0;
  int32_t default_time_to_live = 0;               // seconds; 0 = none
  std::map<std::string, std::string> extensions;  // values are blobs
  int32_t gc_grace_seconds = 864000;
  int32_t max_index_interval = 2048;
  std::string memtable = "default";
  int32_t memtable_flush_period_in_ms = 0;
  int32_t min_index_interval = 128;
  std::string read_repair = "BLOCKING";
  std::string speculative_retry = "99p";
  std::string additional_write_policy = "99p";
};

// The class of Cassandra's storage-attached index (SAI).
inline constexpr std::string_view kStorageAttachedIndexClass =
    "org.apache.cassandra.index.sai.StorageAttachedIndex";

// What a secondary index indexes in its column (Cassandra's IndexTarget.Type): the value of a
// simple column, the keys / values / (key, value) entries of a non-frozen collection, or a
// frozen collection as a whole.
enum class IndexTarget { kSimple, kKeys, kValues, kEntries, kFull };

// A native (legacy 2i, kind COMPOSITES) secondary index on one regular or static column. Its
// entries live in their own storage key range (storage/README.md).
struct IndexMetadata {
  std::string name;  // unique within the keyspace
  uint32_t column_id = 0;
  IndexTarget target = IndexTarget::kSimple;
  // Prefix of the index's entries: taken from the table ids' sequence, never reused.
  uint32_t storage_id = 0;
  // A CUSTOM index (Cassandra's storage-attached index, SAI): its class as written in USING
  // (system_schema.indexes reports it so: 'sai', 'StorageAttachedIndex', the full name), and the
  // options it was created with; empty for a native index. SAI indexes keep the same entries as
  // native ones; ANN queries read the table.
  std::string custom_class;
  std::map<std::string, std::string> options;
};

// Whether `index` is a storage-attached index (its class one of SAI's names).
bool IsStorageAttached(const IndexMetadata& index);

// One table's definition. Immutable once published in a snapshot; share it by shared_ptr.
struct TableMetadata {
  std::string keyspace;
  std::string name;
  cql::Uuid id;
  // Prefix of every storage key of this table: unique among live and dropped tables.
  uint32_t storage_id = 0;
  // Cassandra's SELECT * order: partition key columns in key order, clustering columns in key
  // order, then static columns by name, then regular columns by name.
  std::vector<ColumnMetadata> columns;
  TableParams params;
  // Served from rows generated from the node's state (system.local, system_schema.*, ...), not
  // from RocksDB; writes to it are rejected.
  bool is_virtual = false;
  // Next ColumnMetadata::id to hand out (ALTER TABLE ADD).
  uint32_t next_column_id = 0;
  // How this table's storage keys encode frozen composites (storage/key_encoding.h KeyFormat):
  // 1 bytewise composites, 2 composites in Cassandra's order (system tables), 3 also empty
  // fixed-size values (user tables created now). Fixed for the table's life: keys use it.
  uint8_t key_format = 2;
  // Dropped columns (system_schema.dropped_columns): name, type and drop time (microseconds).
  struct DroppedColumn {
    std::string name;
    cql::DataType type;
    ColumnKind kind = ColumnKind::kRegular;
    int64_t dropped_time_micros = 0;
  };
  std::vector<DroppedColumn> dropped_columns;
  // Secondary indexes, in creation order.
  std::vector<IndexMetadata> indexes;

  // nullptr when there is no such column. Names are case-sensitive (the parser folds unquoted
  // identifiers to lower case before calling).
  const ColumnMetadata* FindColumn(std::string_view column_name) const;
  const ColumnMetadata* FindColumnById(uint32_t column_id) const;
  // Partition key / clustering columns in key order (pointers into `columns`).
  std::vector<const ColumnMetadata*> PartitionKeyColumns() const;
  std::vector<const ColumnMetadata*> ClusteringColumns() const;
  size_t partition_key_size() const { return partition_key_count; }
  size_t clustering_size() const { return clustering_count; }
  bool has_static_columns() const { return static_count > 0; }

  // Filled by Finish(): counts and kind-sorted order. Call after building `columns`.
  size_t partition_key_count = 0;
  size_t clustering_count = 0;
  size_t static_count = 0;
  // Sorts `columns` into SELECT * order and renumbers positions and counts. Set each key
  // column's kind and its position (index in its key) first; ids are kept.
  void Finish();
};

// A user-defined type (CREATE TYPE). `type` is its resolved, non-frozen descriptor: fields that
// are user types hold those types' current definitions.
struct UserTypeMetadata {
  std::string keyspace;
  std::string name;
  cql::DataType type;  // kind() == kUdt

  const std::vector<std::string>& field_names() const { return type.field_names(); }
  const std::vector<cql::DataType>& field_types() const { return type.params(); }
};

struct KeyspaceMetadata {
  std::string name;
  bool durable_writes = true;
  // system_schema.keyspaces.replication: full class name plus options, e.g.
  // {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}.
  std::map<std::string, std::string> replication;
  bool is_virtual = false;  // system_virtual_schema, system_views
  // Tables by name (ordered, as system_schema lists them).
  std::map<std::string, std::shared_ptr<const TableMetadata>> tables;
  // User-defined types by name (ordered, as system_schema.types lists them).
  std::map<std::string, std::shared_ptr<const UserTypeMetadata>> types;

  const TableMetadata* FindTable(std::string_view table_name) const;
  const UserTypeMetadata* FindType(std::string_view type_name) const;
};

// Resolves user type names in CQL type text against one keyspace's types, as Cassandra does for
// a statement on that keyspace (a type of another keyspace is refused).
class KeyspaceTypeResolver final : public cql::DataType::UdtResolver {
 public:
  explicit KeyspaceTypeResolver(const KeyspaceMetadata* keyspace) : keyspace_(keyspace) {}
  Result<cql::DataType> Resolve(std::string_view keyspace, std::string_view name) const override;

 private:
  const KeyspaceMetadata* keyspace_;
};

// Whether values of `type` are stored cell by cell: non-frozen collections (one cell per element)
// and non-frozen user types (one cell per field).
bool IsMultiCell(const cql::DataType& type);

// The index's target as system_schema.indexes reports it: `c`, `keys(c)`, `values(c)`,
// `entries(c)`, `full(c)` (column names quoted when they need it).
std::string IndexTargetText(const TableMetadata& table, const IndexMetadata& index);

// An immutable view of the whole schema (system keyspaces included). Safe to share across threads.
struct SchemaSnapshot {
  cql::Uuid schema_version;
  std::map<std::string, std::shared_ptr<const KeyspaceMetadata>> keyspaces;

  const KeyspaceMetadata* FindKeyspace(std::string_view keyspace) const;
  // The table, or nullptr. The returned shared_ptr keeps it alive beyond the snapshot.
  std::shared_ptr<const TableMetadata> FindTable(std::string_view keyspace,
                                                 std::string_view table) const;
};

// ---- DDL requests (what the CQL front end parsed) -----------------------------------------

// A table option's value as written in CQL: a string/number/boolean constant (its text, strings
// unquoted) or a map literal of string constants.
struct OptionValue {
  std::string text;
  std::optional<std::map<std::string, std::string>> map;  // set for map literals
};
using OptionMap = std::map<std::string, OptionValue>;

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
};

struct AlterTableDefinition {
  std::string keyspace;
  std::string name;
  enum class Kind { kAddColumns, kDropColumns, kOptions, kRename } kind = Kind::kOptions;
  std::vector<ColumnDefinition> add;  // kAddColumns
  std::vector<std::string> drop;      // kDropColumns
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
  // keyspaces. `identity` feeds system.local.
  static Result<std::unique_ptr<SchemaStore>> Open(Storage* storage, const NodeIdentity& identity);
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

 private:
  struct Impl;
  explicit SchemaStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace postfork::node
