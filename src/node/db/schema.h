// The node's schema metadata: keyspaces, tables and columns as Cassandra describes them, held in
// an immutable SchemaSnapshot that the query path looks up once per statement. The SchemaStore
// that changes it is in schema_store.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::node {

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
  // Storage identity of the column within its table: assigned once and kept by name (a dropped
  // and re-added column takes its dropped id back, as Cassandra identifies a column by name;
  // TableMetadata::DroppedColumn hides its cells up to the drop time). Mutations and reads name
  // columns by this id.
  uint32_t id = 0;

  bool is_primary_key() const {
    return kind == ColumnKind::kPartitionKey || kind == ColumnKind::kClustering;
  }
};

// Table options as Cassandra stores them in system_schema.tables, with Cassandra 5.0's defaults
// (schema/TableParams.java), normalized as schema_options.h validates them.
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
  // Values are blobs. Empty for every table: CQL's `extensions` option sets nothing, as in
  // Cassandra 5.0, whose extensions only its server-side plugins write.
  std::map<std::string, std::string> extensions;
  int32_t gc_grace_seconds = 864000;
  int32_t max_index_interval = 2048;
  std::string memtable = "default";
  int32_t memtable_flush_period_in_ms = 0;
  int32_t min_index_interval = 128;
  std::string read_repair = "BLOCKING";
  std::string speculative_retry = "99p";
  std::string additional_write_policy = "99p";
  // Set only when a statement names them (system_schema reports null otherwise).
  std::optional<bool> allow_auto_snapshot;  // Default: unset (true)
  std::optional<bool> incremental_backups;  // Default: unset (true)
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

// Whether `written` (a USING class) names the storage-attached index: 'sai' or
// 'StorageAttachedIndex' in any case, or kStorageAttachedIndexClass.
bool IsStorageAttachedClass(std::string_view written);
// Whether `index` is a storage-attached index (its class one of SAI's names).
bool IsStorageAttached(const IndexMetadata& index);
// The largest value a legacy (non-SAI) index takes: its entries are keyed by the value, whose
// length is an unsigned short (Cassandra's FBUtilities.MAX_UNSIGNED_SHORT).
inline constexpr size_t kMaxIndexedValueBytes = 65535;

// A table created WITH COMPACT STORAGE, as Cassandra 5.0 exposes it through CQL
// (CreateTableStatement.fixupCompactTable). Its declared columns are stored as a CQL table's;
// what differs is reported in system_schema and enforced by the statements:
// - kStatic ("static compact", no clustering column declared): Cassandra makes the declared
//   regular columns static and adds a hidden text clustering column (column1) and a hidden blob
//   (or counter) regular column (value). Rows are the partitions' static rows.
// - kDense (clustering columns and at most one regular column): that column is the compact value,
//   mandatory on INSERT; with none declared, Cassandra adds a hidden value column of type empty.
// Neither writes a row marker: a row lives only while a cell does (the node keeps the marker of
// a dense table without a value column, which stands for Cassandra's empty value cell).
struct CompactStorage {
  enum class Shape : uint8_t { kNone, kStatic, kDense };
  Shape shape = Shape::kNone;
  // The hidden columns, which system_schema.columns lists and no statement names: the clustering
  // column of a static compact table ("" for dense), the hidden value column ("" when a dense
  // table declares its value) and that column's type as system_schema shows it (blob, counter,
  // empty). Named at CREATE as Cassandra's DefaultNames does: column1, column2, ... and value,
  // value1, ... skipping declared names.
  std::string hidden_clustering;
  std::string hidden_value;
  std::string hidden_value_type;
};

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
  // The entry stays when the column is re-added and a later drop replaces it. Cells of the
  // column written at or before a drop time are hidden for good, those written after it are
  // the re-added column's (Cassandra's DeserializationHelper.isDropped).
  struct DroppedColumn {
    std::string name;
    cql::DataType type;
    ColumnKind kind = ColumnKind::kRegular;
    int64_t dropped_time_micros = 0;
    // The greatest drop time of the column: cells at or below it stay hidden even after a later
    // drop at a lower USING TIMESTAMP (Cassandra purges them from its memtable as it drops).
    int64_t hidden_through_micros = 0;
    // The column's storage id, which a re-added column takes back; unknown for drops recorded
    // by nodes that did not keep it (their re-added columns get a new id, hiding every old
    // cell).
    std::optional<uint32_t> column_id;
  };
  std::vector<DroppedColumn> dropped_columns;
  // Secondary indexes, in creation order.
  std::vector<IndexMetadata> indexes;
  CompactStorage compact;

  bool is_compact() const { return compact.shape != CompactStorage::Shape::kNone; }
  bool is_static_compact() const { return compact.shape == CompactStorage::Shape::kStatic; }
  bool is_dense() const { return compact.shape == CompactStorage::Shape::kDense; }
  // The compact value column of a dense table that declares one (Cassandra's
  // compactValueColumn, mandatory on INSERT); nullptr otherwise.
  const ColumnMetadata* CompactValueColumn() const;
  // Whether Cassandra holds `c` as a static column: static columns, and the declared columns of
  // a static compact table (kept here as the regular columns of a table without clustering).
  bool IsStaticInCassandra(const ColumnMetadata& c) const {
    return c.kind == ColumnKind::kStatic || (is_static_compact() && c.kind == ColumnKind::kRegular);
  }
  // Whether a row may be keyed by a prefix of the clustering columns: a dense table's INSERT or
  // UPDATE may leave out trailing clustering columns (Cassandra's compact tables, CASSANDRA-7990).
  // The missing components read as null and the row sorts before the rows extending its prefix,
  // as a Clustering with trailing nulls compares in Cassandra (storage/README.md).
  bool has_clustering_prefix_rows() const { return is_dense(); }
  // Whether writes create the row marker: every table but compact ones with a value (a dense
  // table with no declared value keeps it in place of Cassandra's empty value cell).
  bool writes_row_marker() const {
    return !is_compact() || (is_dense() && CompactValueColumn() == nullptr);
  }

  // nullptr when there is no such column. Names are case-sensitive (the parser folds unquoted
  // identifiers to lower case before calling).
  const ColumnMetadata* FindColumn(std::string_view column_name) const;
  const ColumnMetadata* FindColumnById(uint32_t column_id) const;
  // The drop of the column with storage id `column_id`, whose cells at or before its time are
  // hidden; nullptr when that column was never dropped (or dropped under another id).
  const DroppedColumn* FindDropById(uint32_t column_id) const;
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
  cql::DataType type;  // kind() == kUdt; every field frozen, as in every use of the type
  // The fields' types as declared (CQL text), which system_schema.types and DESCRIBE show: a
  // collection field may be non-frozen there, as Cassandra keeps it (CQL3Type.RawCollection).
  std::vector<std::string> declared_field_types;

  const std::vector<std::string>& field_names() const { return type.field_names(); }
  const std::vector<cql::DataType>& field_types() const { return type.params(); }
  // Field i's declared type (its frozen type's text when none was recorded).
  std::string declared_field_type(size_t i) const {
    return i < declared_field_types.size() ? declared_field_types[i] : field_types()[i].ToCql();
  }
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

}  // namespace postfork::node
