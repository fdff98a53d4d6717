#include "node/db/system_keyspaces.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <limits>
#include <cassert>
#include <map>
#include <set>

#include "postfork/cql/error_codes.h"

namespace postfork::node {
namespace {

constexpr const char* kLocalStrategy = "org.apache.cassandra.locator.LocalStrategy";

struct ColumnDef {
  const char* name;
  const char* type;
  char kind;  // 'p' partition key, 'c' clustering, 'r' regular
};

struct TableDef {
  const char* keyspace;
  const char* name;
  const char* comment;
  std::vector<ColumnDef> columns;
  // Non-zero: a table stored in RocksDB under this fixed storage id (below the first user id,
  // never reused); zero: a virtual table whose rows are generated.
  uint32_t stored_id = 0;
};

// Cassandra's TableId.forSystemTable: UUID.nameUUIDFromBytes(keyspace bytes + table bytes).
cql::Uuid NameUuid(std::string_view keyspace, std::string_view table) {
  std::string input = std::string(keyspace) + std::string(table);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_md5(), nullptr);
  cql::Uuid id;
  for (size_t i = 0; i < 16; ++i) id.bytes[i] = digest[i];
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0F) | 0x30);  // version 3
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3F) | 0x80);  // IETF variant
  return id;
}

const std::vector<TableDef>& SystemTableDefs() {
  static const std::vector<TableDef> defs = {
      {"system",
       "local",
       "information about the local node",
       {{"key", "text", 'p'},
        {"bootstrapped", "text", 'r'},
        {"broadcast_address", "inet", 'r'},
        {"broadcast_port", "int", 'r'},
        {"cluster_name", "text", 'r'},
        {"cql_version", "text", 'r'},
        {"data_center", "text", 'r'},
        {"gossip_generation", "int", 'r'},
        {"host_id", "uuid", 'r'},
        {"listen_address", "inet", 'r'},
        {"listen_port", "int", 'r'},
        {"native_protocol_version", "text", 'r'},
        {"partitioner", "text", 'r'},
        {"rack", "text", 'r'},
        {"release_version", "text", 'r'},
        {"rpc_address", "inet", 'r'},
        {"rpc_port", "int", 'r'},
        {"schema_version", "uuid", 'r'},
        {"tokens", "set<text>", 'r'},
        {"truncated_at", "map<uuid, blob>", 'r'}}},
      {"system",
       "peers_v2",
       "information about known peers in the cluster",
       {{"peer", "inet", 'p'},
        {"peer_port", "int", 'c'},
        {"data_center", "text", 'r'},
        {"host_id", "uuid", 'r'},
        {"preferred_ip", "inet", 'r'},
        {"preferred_port", "int", 'r'},
        {"rack", "text", 'r'},
        {"release_version", "text", 'r'},
        {"native_address", "inet", 'r'},
        {"native_port", "int", 'r'},
        {"schema_version", "uuid", 'r'},
        {"tokens", "set<text>", 'r'}}},
      {"system",
       "size_estimates",
       "per-table primary range size estimates, table is deprecated in favor of "
       "table_estimates",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"range_start", "text", 'c'},
        {"range_end", "text", 'c'},
        {"mean_partition_size", "bigint", 'r'},
        {"partitions_count", "bigint", 'r'}}},
      {"system",
       "IndexInfo",
       "built column indexes",
       {{"table_name", "text", 'p'}, {"index_name", "text", 'c'}, {"value", "blob", 'r'}}},
      {"system",
       "peers",
       "information about known peers in the cluster",
       {{"peer", "inet", 'p'},
        {"data_center", "text", 'r'},
        {"host_id", "uuid", 'r'},
        {"preferred_ip", "inet", 'r'},
        {"rack", "text", 'r'},
        {"release_version", "text", 'r'},
        {"rpc_address", "inet", 'r'},
        {"schema_version", "uuid", 'r'},
        {"tokens", "set<text>", 'r'}}},
      {"system_schema",
       "keyspaces",
       "keyspace definitions",
       {{"keyspace_name", "text", 'p'},
        {"durable_writes", "boolean", 'r'},
        {"replication", "frozen<map<text, text>>", 'r'}}},
      {"system_schema",
       "tables",
       "table definitions",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"additional_write_policy", "text", 'r'},
        {"allow_auto_snapshot", "boolean", 'r'},
        {"bloom_filter_fp_chance", "double", 'r'},
        {"caching", "frozen<map<text, text>>", 'r'},
        {"cdc", "boolean", 'r'},
        {"comment", "text", 'r'},
        {"compaction", "frozen<map<text, text>>", 'r'},
        {"compression", "frozen<map<text, text>>", 'r'},
        {"crc_check_chance", "double", 'r'},
        {"dclocal_read_repair_chance", "double", 'r'},
        {"default_time_to_live", "int", 'r'},
        {"extensions", "frozen<map<text, blob>>", 'r'},
        {"flags", "frozen<set<text>>", 'r'},
        {"gc_grace_seconds", "int", 'r'},
        {"id", "uuid", 'r'},
        {"incremental_backups", "boolean", 'r'},
        {"max_index_interval", "int", 'r'},
        {"memtable", "text", 'r'},
        {"memtable_flush_period_in_ms", "int", 'r'},
        {"min_index_interval", "int", 'r'},
        {"read_repair", "text", 'r'},
        {"read_repair_chance", "double", 'r'},
        {"speculative_retry", "text", 'r'}}},
      {"system_schema",
       "columns",
       "column definitions",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"column_name", "text", 'c'},
        {"clustering_order", "text", 'r'},
        {"column_name_bytes", "blob", 'r'},
        {"kind", "text", 'r'},
        {"position", "int", 'r'},
        {"type", "text", 'r'}}},
      {"system_schema",
       "dropped_columns",
       "dropped column registry",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"column_name", "text", 'c'},
        {"dropped_time", "timestamp", 'r'},
        {"kind", "text", 'r'},
        {"type", "text", 'r'}}},
      {"system_schema",
       "triggers",
       "trigger definitions",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"trigger_name", "text", 'c'},
        {"options", "frozen<map<text, text>>", 'r'}}},
      {"system_schema",
       "views",
       "view definitions",
       {{"keyspace_name", "text", 'p'},
        {"view_name", "text", 'c'},
        {"additional_write_policy", "text", 'r'},
        {"base_table_id", "uuid", 'r'},
        {"base_table_name", "text", 'r'},
        {"bloom_filter_fp_chance", "double", 'r'},
        {"caching", "frozen<map<text, text>>", 'r'},
        {"cdc", "boolean", 'r'},
        {"comment", "text", 'r'},
        {"compaction", "frozen<map<text, text>>", 'r'},
        {"compression", "frozen<map<text, text>>", 'r'},
        {"crc_check_chance", "double", 'r'},
        {"dclocal_read_repair_chance", "double", 'r'},
        {"default_time_to_live", "int", 'r'},
        {"extensions", "frozen<map<text, blob>>", 'r'},
        {"gc_grace_seconds", "int", 'r'},
        {"id", "uuid", 'r'},
        {"include_all_columns", "boolean", 'r'},
        {"max_index_interval", "int", 'r'},
        {"memtable", "text", 'r'},
        {"memtable_flush_period_in_ms", "int", 'r'},
        {"min_index_interval", "int", 'r'},
        {"read_repair", "text", 'r'},
        {"read_repair_chance", "double", 'r'},
        {"speculative_retry", "text", 'r'},
        {"where_clause", "text", 'r'}}},
      {"system_schema",
       "types",
       "user defined type definitions",
       {{"keyspace_name", "text", 'p'},
        {"type_name", "text", 'c'},
        {"field_names", "frozen<list<text>>", 'r'},
        {"field_types", "frozen<list<text>>", 'r'}}},
      {"system_schema",
       "functions",
       "user defined function definitions",
       {{"keyspace_name", "text", 'p'},
        {"function_name", "text", 'c'},
        {"argument_types", "frozen<list<text>>", 'c'},
        {"argument_names", "frozen<list<text>>", 'r'},
        {"body", "text", 'r'},
        {"called_on_null_input", "boolean", 'r'},
        {"language", "text", 'r'},
        {"return_type", "text", 'r'}}},
      {"system_schema",
       "aggregates",
       "user defined aggregate definitions",
       {{"keyspace_name", "text", 'p'},
        {"aggregate_name", "text", 'c'},
        {"argument_types", "frozen<list<text>>", 'c'},
        {"final_func", "text", 'r'},
        {"initcond", "text", 'r'},
        {"return_type", "text", 'r'},
        {"state_func", "text", 'r'},
        {"state_type", "text", 'r'}}},
      {"system_schema",
       "indexes",
       "secondary index definitions",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"index_name", "text", 'c'},
        {"kind", "text", 'r'},
        {"options", "frozen<map<text, text>>", 'r'}}},
      {"system_virtual_schema",
       "keyspaces",
       "virtual keyspace definitions",
       {{"keyspace_name", "text", 'p'}}},
      {"system_virtual_schema",
       "tables",
       "virtual table definitions",
       {{"keyspace_name", "text", 'p'}, {"table_name", "text", 'c'}, {"comment", "text", 'r'}}},
      {"system_virtual_schema",
       "columns",
       "virtual column definitions",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"column_name", "text", 'c'},
        {"clustering_order", "text", 'r'},
        {"column_name_bytes", "blob", 'r'},
        {"kind", "text", 'r'},
        {"position", "int", 'r'},
        {"type", "text", 'r'}}},
      // system_views: the tables of Cassandra 5.0's SystemViewsKeyspace whose rows the node has
      // (clients) or has none of, as a single node without sstables, hints, internode
      // connections, streaming or snapshots.
      {"system_views",
       "clients",
       "currently connected clients",
       {{"address", "inet", 'p'},
        {"port", "int", 'c'},
        {"client_options", "frozen<map<text, text>>", 'r'},
        {"connection_stage", "text", 'r'},
        {"driver_name", "text", 'r'},
        {"driver_version", "text", 'r'},
        {"hostname", "text", 'r'},
        {"keyspace_name", "text", 'r'},
        {"protocol_version", "int", 'r'},
        {"request_count", "bigint", 'r'},
        {"ssl_cipher_suite", "text", 'r'},
        {"ssl_enabled", "boolean", 'r'},
        {"ssl_protocol", "text", 'r'},
        {"username", "text", 'r'}}},
      {"system_views",
       "sstable_tasks",
       "current sstable tasks",
       {{"keyspace_name", "text", 'p'},
        {"table_name", "text", 'c'},
        {"task_id", "timeuuid", 'c'},
        {"completion_ratio", "double", 'r'},
        {"kind", "text", 'r'},
        {"progress", "bigint", 'r'},
        {"sstables", "int", 'r'},
        {"target_directory", "text", 'r'},
        {"total", "bigint", 'r'},
        {"unit", "text", 'r'}}},
      {"system_views",
       "pending_hints",
       "Pending hints that this node has for other nodes",
       {{"host_id", "uuid", 'p'},
        {"address", "inet", 'r'},
        {"dc", "text", 'r'},
        {"files", "int", 'r'},
        {"newest", "timestamp", 'r'},
        {"oldest", "timestamp", 'r'},
        {"port", "int", 'r'},
        {"rack", "text", 'r'},
        {"status", "text", 'r'}}},
      {"system_views",
       "internode_inbound",
       "",
       {{"address", "inet", 'p'},
        {"port", "int", 'p'},
        {"dc", "text", 'c'},
        {"rack", "text", 'c'},
        {"corrupt_frames_recovered", "bigint", 'r'},
        {"corrupt_frames_unrecovered", "bigint", 'r'},
        {"error_bytes", "bigint", 'r'},
        {"error_count", "bigint", 'r'},
        {"expired_bytes", "bigint", 'r'},
        {"expired_count", "bigint", 'r'},
        {"processed_bytes", "bigint", 'r'},
        {"processed_count", "bigint", 'r'},
        {"received_bytes", "bigint", 'r'},
        {"received_count", "bigint", 'r'},
        {"scheduled_bytes", "bigint", 'r'},
        {"scheduled_count", "bigint", 'r'},
        {"throttled_count", "bigint", 'r'},
        {"throttled_nanos", "bigint", 'r'},
        {"using_bytes", "bigint", 'r'},
        {"using_reserve_bytes", "bigint", 'r'}}},
      {"system_views",
       "internode_outbound",
       "",
       {{"address", "inet", 'p'},
        {"port", "int", 'p'},
        {"dc", "text", 'c'},
        {"rack", "text", 'c'},
        {"active_connections", "bigint", 'r'},
        {"connection_attempts", "bigint", 'r'},
        {"error_bytes", "bigint", 'r'},
        {"error_count", "bigint", 'r'},
        {"expired_bytes", "bigint", 'r'},
        {"expired_count", "bigint", 'r'},
        {"overload_bytes", "bigint", 'r'},
        {"overload_count", "bigint", 'r'},
        {"pending_bytes", "bigint", 'r'},
        {"pending_count", "bigint", 'r'},
        {"sent_bytes", "bigint", 'r'},
        {"sent_count", "bigint", 'r'},
        {"successful_connection_attempts", "bigint", 'r'},
        {"using_bytes", "bigint", 'r'},
        {"using_reserve_bytes", "bigint", 'r'}}},
      {"system_views",
       "snapshots",
       "available snapshots",
       {{"name", "text", 'p'},
        {"keyspace_name", "text", 'c'},
        {"table_name", "text", 'c'},
        {"created_at", "timestamp", 'r'},
        {"ephemeral", "boolean", 'r'},
        {"expires_at", "timestamp", 'r'},
        {"size_on_disk", "bigint", 'r'},
        {"true_size", "bigint", 'r'}}},
      {"system_views",
       "streaming",
       "",
       {{"id", "timeuuid", 'p'},
        {"bytes_received", "bigint", 'r'},
        {"bytes_sent", "bigint", 'r'},
        {"bytes_to_receive", "bigint", 'r'},
        {"bytes_to_send", "bigint", 'r'},
        {"duration_millis", "bigint", 'r'},
        {"failure_cause", "text", 'r'},
        {"files_received", "bigint", 'r'},
        {"files_sent", "bigint", 'r'},
        {"files_to_receive", "bigint", 'r'},
        {"files_to_send", "bigint", 'r'},
        {"follower", "boolean", 'r'},
        {"last_updated_at", "timestamp", 'r'},
        {"operation", "text", 'r'},
        {"peers", "frozen<list<text>>", 'r'},
        {"progress_percentage", "float", 'r'},
        {"status", "text", 'r'},
        {"status_failure_timestamp", "timestamp", 'r'},
        {"status_init_timestamp", "timestamp", 'r'},
        {"status_start_timestamp", "timestamp", 'r'},
        {"status_success_timestamp", "timestamp", 'r'},
        {"success_message", "text", 'r'}}},
      // Roles and permissions (auth/role_store.h writes them), as Cassandra 4.1 lays them out.
      {"system_auth",
       "roles",
       "role definitions",
       {{"role", "text", 'p'},
        {"can_login", "boolean", 'r'},
        {"is_superuser", "boolean", 'r'},
        {"member_of", "set<text>", 'r'},
        {"salted_hash", "text", 'r'}},
       kSystemAuthRolesStorageId},
      {"system_auth",
       "role_permissions",
       "permissions granted to db roles",
       {{"role", "text", 'p'}, {"resource", "text", 'c'}, {"permissions", "set<text>", 'r'}},
       kSystemAuthRolePermissionsStorageId},
      // Traces of requests (service/tracing.h writes them), as Cassandra 5.0's TraceKeyspace.
      {"system_traces",
       "sessions",
       "tracing sessions",
       {{"session_id", "uuid", 'p'},
        {"client", "inet", 'r'},
        {"command", "text", 'r'},
        {"coordinator", "inet", 'r'},
        {"coordinator_port", "int", 'r'},
        {"duration", "int", 'r'},
        {"parameters", "map<text, text>", 'r'},
        {"request", "text", 'r'},
        {"started_at", "timestamp", 'r'}},
       kSystemTracesSessionsStorageId},
      {"system_traces",
       "events",
       "tracing events",
       {{"session_id", "uuid", 'p'},
        {"event_id", "timeuuid", 'c'},
        {"activity", "text", 'r'},
        {"source", "inet", 'r'},
        {"source_elapsed", "int", 'r'},
        {"source_port", "int", 'r'},
        {"thread", "text", 'r'}},
       kSystemTracesEventsStorageId},
  };
  return defs;
}

bool IsVirtualKeyspaceName(std::string_view ks) {
  return ks == "system_virtual_schema" || ks == "system_views";
}

std::shared_ptr<const TableMetadata> BuildTable(const TableDef& def, uint32_t storage_id) {
  auto t = std::make_shared<TableMetadata>();
  t->keyspace = def.keyspace;
  t->name = def.name;
  t->id = NameUuid(def.keyspace, def.name);
  t->storage_id = def.stored_id != 0 ? def.stored_id : storage_id;
  t->is_virtual = def.stored_id == 0;
  t->params.comment = def.comment;
  int pk = 0, ck = 0;
  uint32_t id = 0;
  for (const ColumnDef& c : def.columns) {
    ColumnMetadata column;
    column.name = c.name;
    auto type = cql::DataType::Parse(c.type);
    assert(type.ok() && "system table column types are valid CQL");
    column.type = *type;
    column.id = id++;
    if (c.kind == 'p') {
      column.kind = ColumnKind::kPartitionKey;
      column.position = pk++;
    } else if (c.kind == 'c') {
      column.kind = ColumnKind::kClustering;
      column.position = ck++;
      column.order = ClusteringOrder::kAsc;
    }
    t->columns.push_back(std::move(column));
  }
  // The parameters Cassandra's keyspaces give their tables (SystemKeyspace, SchemaKeyspace,
  // AuthKeyspace, TraceKeyspace); DESCRIBE and system_schema.tables show them.
  const std::string_view ks = def.keyspace;
  if (ks == "system" || ks == "system_traces") t->params.gc_grace_seconds = 0;
  if (ks == "system_schema") t->params.gc_grace_seconds = 7 * 24 * 3600;
  if (ks == "system_auth") t->params.gc_grace_seconds = 90 * 24 * 3600;
  if (ks == "system" || ks == "system_schema") t->params.memtable_flush_period_in_ms = 3600 * 1000;
  t->Finish();
  return t;
}

// Builds one generated row: keys and cells by column name.
class RowBuilder {
 public:
  explicit RowBuilder(const std::shared_ptr<const TableMetadata>& table) : table_(*table) {
    mutation_.table = table;
  }

  // Starts a row in partition `pk` (a single text key) with the given clustering values.
  void Row(std::string pk, std::vector<std::string> clustering) {
    if (mutation_.partition_key.empty() || mutation_.partition_key[0] != pk) {
      Flush();
      mutation_.partition_key = {std::move(pk)};
    }
    RowMutation row;
    row.clustering = std::move(clustering);
    row.marker_timestamp = 0;
    mutation_.rows.push_back(std::move(row));
  }

  void Set(std::string_view column, const cql::Value& value) {
    const ColumnMetadata* c = table_.FindColumn(column);
    assert(c != nullptr && "generated a column the system table does not have");
    if (c->type.is_collection() && !c->type.is_frozen()) {
      SetElements(*c, value);
      return;
    }
    CellWrite w;
    w.column_id = c->id;
    w.timestamp = 0;
    std::string body;
    Status s = cql::SerializeValue(value, c->type, &body);
    if (!s.ok()) return;  // a system value that does not serialize is left null
    w.value = std::move(body);
    mutation_.rows.back().cells.push_back(std::move(w));
  }

  // A non-frozen set or map is stored element by element (cell path = element or key).
  void SetElements(const ColumnMetadata& column, const cql::Value& value) {
    auto element = [&](const cql::Value& path, const cql::DataType& path_type,
                       std::string cell_value) {
      CellWrite w;
      w.column_id = column.id;
      if (!cql::SerializeValue(path, path_type, &w.path.emplace()).ok()) return;
      w.value = std::move(cell_value);
      mutation_.rows.back().cells.push_back(std::move(w));
    };
    const auto& params = column.type.params();
    if (const auto* list = value.get_if<cql::ValueList>();
        list && column.type.kind() == cql::TypeKind::kSet) {
      for (const auto& e : *list) element(e, params[0], "");
    } else if (const auto* map = value.get_if<cql::ValueMap>();
               map && column.type.kind() == cql::TypeKind::kMap) {
      for (const auto& e : *map) {
        std::string body;
        if (!cql::SerializeValue(e.value, params[1], &body).ok()) continue;
        element(e.key, params[0], std::move(body));
      }
    }
  }

  std::vector<PartitionMutation> Finish() {
    Flush();
    return std::move(out_);
  }

 private:
  void Flush() {
    if (!mutation_.rows.empty()) out_.push_back(mutation_);
    mutation_.rows.clear();
  }
  const TableMetadata& table_;
  PartitionMutation mutation_;
  std::vector<PartitionMutation> out_;
};

cql::Value TextMap(const std::map<std::string, std::string>& m) {
  cql::ValueMap out;
  for (const auto& [k, v] : m) out.push_back({cql::Value(k), cql::Value(v)});
  return out;
}
cql::Value BlobMap(const std::map<std::string, std::string>& m) {
  cql::ValueMap out;
  for (const auto& [k, v] : m) out.push_back({cql::Value(k), cql::Value(cql::Blob{v})});
  return out;
}

std::string TypeText(const cql::DataType& type) { return type.ToCql(); }

// A key component as stored: the value's serialized form.
std::string Serialized(const cql::Value& value, const cql::DataType& type) {
  std::string body;
  Status s = cql::SerializeValue(value, type, &body);
  assert(s.ok() && "generated key values serialize");
  (void)s;
  return body;
}

cql::Value InetValue(const std::string& address) {
  auto inet = cql::Inet::Parse(address);
  if (!inet.ok()) return cql::Value(cql::Null{});
  return *inet;
}

// system_schema.columns rows of `table`, in column name order (the table's clustering order).
// A compact table shows what Cassandra keeps (schema.h CompactStorage): a static compact
// table's declared columns as static, and the hidden columns.
void AddColumnRows(const TableMetadata& table, RowBuilder* b) {
  struct Row {
    std::string_view kind, order;
    std::string type;
    int32_t position;
  };
  std::map<std::string, Row> rows;
  for (const ColumnMetadata& c : table.columns) {
    ColumnKind kind = table.IsStaticInCassandra(c) ? ColumnKind::kStatic : c.kind;
    rows[c.name] = Row{ColumnKindName(kind), ClusteringOrderName(c.order), TypeText(c.type),
                       static_cast<int32_t>(c.position)};
  }
  const CompactStorage& compact = table.compact;
  if (!compact.hidden_clustering.empty()) {
    rows[compact.hidden_clustering] =
        Row{ColumnKindName(ColumnKind::kClustering), ClusteringOrderName(ClusteringOrder::kAsc),
            "text", 0};
  }
  if (!compact.hidden_value.empty()) {
    rows[compact.hidden_value] = Row{ColumnKindName(ColumnKind::kRegular),
                                     ClusteringOrderName(ClusteringOrder::kNone),
                                     compact.hidden_value_type, -1};
  }
  for (const auto& [name, row] : rows) {
    b->Row(table.keyspace, {table.name, name});
    b->Set("clustering_order", std::string(row.order));
    b->Set("column_name_bytes", cql::Blob{name});
    b->Set("kind", std::string(row.kind));
    b->Set("position", row.position);
    b->Set("type", row.type);
  }
}

// system_schema.tables.flags (TableMetadata.Flag): compound for every CQL table, dense (and
// compound with more than one clustering column) for a dense compact one, counter for counters.
cql::ValueList TableFlags(const TableMetadata& table) {
  cql::ValueList flags;
  bool counter = std::any_of(table.columns.begin(), table.columns.end(), [](const auto& c) {
    return c.type.kind() == cql::TypeKind::kCounter;
  });
  bool compound = !table.is_compact() || (table.is_dense() && table.clustering_size() > 1);
  if (compound) flags.emplace_back(std::string("compound"));
  if (counter) flags.emplace_back(std::string("counter"));
  if (table.is_dense()) flags.emplace_back(std::string("dense"));
  return flags;
}

}  // namespace

bool IsSystemKeyspace(std::string_view keyspace) {
  return keyspace == "system" || keyspace == "system_schema" ||
         keyspace == "system_virtual_schema" || keyspace == "system_views" ||
         keyspace == "system_auth" || keyspace == "system_distributed" ||
         keyspace == "system_traces";
}

std::vector<std::shared_ptr<const KeyspaceMetadata>> SystemKeyspaceMetadata() {
  std::map<std::string, std::shared_ptr<KeyspaceMetadata>> keyspaces;
  uint32_t storage_id = 1;
  for (const TableDef& def : SystemTableDefs()) {
    auto& ks = keyspaces[def.keyspace];
    if (!ks) {
      ks = std::make_shared<KeyspaceMetadata>();
      ks->name = def.keyspace;
      ks->durable_writes = true;
      ks->is_virtual = IsVirtualKeyspaceName(def.keyspace);
      if (!ks->is_virtual) ks->replication = {{"class", kLocalStrategy}};
      if (ks->name == "system_auth") {  // replicated in Cassandra; one replica here
        ks->replication = {{"class", "org.apache.cassandra.locator.SimpleStrategy"},
                           {"replication_factor", "1"}};
      }
      if (ks->name == "system_traces") {  // Cassandra's default (SYSTEM_TRACES_DEFAULT_RF)
        ks->replication = {{"class", "org.apache.cassandra.locator.SimpleStrategy"},
                           {"replication_factor", "2"}};
      }
    }
    ks->tables[def.name] = BuildTable(def, storage_id++);
  }
  std::vector<std::shared_ptr<const KeyspaceMetadata>> out;
  for (auto& [name, ks] : keyspaces) out.push_back(ks);
  return out;
}

SystemTables::SystemTables(NodeIdentity identity, LocalNodeState local,
                           std::function<std::shared_ptr<const SchemaSnapshot>()> schema,
                           const ConnectedClients* clients, const Storage* storage)
    : identity_(std::move(identity)),
      local_(std::move(local)),
      schema_(std::move(schema)),
      clients_(clients),
      storage_(storage) {}

Result<std::vector<PartitionMutation>> SystemTables::Generate(
    const std::shared_ptr<const TableMetadata>& table) const {
  return Generate(table, ReadCommand{});
}

Result<std::vector<PartitionMutation>> SystemTables::Generate(
    const std::shared_ptr<const TableMetadata>& table, const ReadCommand& command) const {
  // Narrowing: text keys are their UTF-8 bytes, so serialized values compare as names.
  std::set<std::string> keyspace_filter, table_filter;
  if (!command.scan) {
    for (const auto& pk : command.partition_keys) {
      if (!pk.empty()) keyspace_filter.insert(pk[0]);
    }
  }
  bool tables_fixed = !command.slices.empty();
  for (const auto& slice : command.slices) {
    if (slice.start.components.empty() || slice.end.components.empty() ||
        slice.start.components[0] != slice.end.components[0]) {
      tables_fixed = false;
      break;
    }
    table_filter.insert(slice.start.components[0]);
  }
  if (!tables_fixed) table_filter.clear();
  auto skip_keyspace = [&](const std::string& name) {
    return !command.scan && !command.partition_keys.empty() && !keyspace_filter.count(name);
  };
  auto skip_table = [&](const std::string& name) {
    return tables_fixed && !table_filter.count(name);
  };

  std::shared_ptr<const SchemaSnapshot> schema = schema_();
  RowBuilder b(table);
  const std::string& ks = table->keyspace;
  const std::string& name = table->name;

  if (ks == "system" && name == "local") {
    b.Row("local", {});
    b.Set("bootstrapped", std::string("COMPLETED"));
    b.Set("broadcast_address", InetValue(identity_.listen_address));
    b.Set("broadcast_port", identity_.storage_port);
    b.Set("cluster_name", identity_.cluster_name);
    b.Set("cql_version", identity_.cql_version);
    b.Set("data_center", identity_.data_center);
    b.Set("gossip_generation", local_.gossip_generation);
    b.Set("host_id", local_.host_id);
    b.Set("listen_address", InetValue(identity_.listen_address));
    b.Set("listen_port", identity_.storage_port);
    b.Set("native_protocol_version", identity_.native_protocol_version);
    b.Set("partitioner", std::string("org.apache.cassandra.dht.Murmur3Partitioner"));
    b.Set("rack", identity_.rack);
    b.Set("release_version", identity_.release_version);
    b.Set("rpc_address", InetValue(identity_.listen_address));
    b.Set("rpc_port", identity_.native_port);
    b.Set("schema_version", schema->schema_version);
    cql::ValueList tokens;
    for (const auto& t : local_.tokens) tokens.emplace_back(t);
    b.Set("tokens", tokens);
    return b.Finish();
  }

  if (ks == "system" && name == "size_estimates") {
    // Cassandra's SizeEstimatesRecorder: per table of every keyspace not of LocalStrategy, one
    // row per primary range of the node's tokens (the wrapping one split at the minimum token),
    // its partitions counted. The node counts them exactly when asked (Cassandra estimates from
    // sstables every few minutes) and has no partition size to report: mean_partition_size is
    // null.
    if (storage_ == nullptr) return b.Finish();
    std::vector<int64_t> tokens;
    for (const auto& t : local_.tokens) tokens.push_back(std::stoll(t));
    std::sort(tokens.begin(), tokens.end());
    if (tokens.empty()) return b.Finish();
    struct Range {
      std::optional<int64_t> left, right;  // (left, right]; nullopt: the ring's minimum
    };
    std::vector<Range> ranges;
    for (size_t i = 1; i < tokens.size(); ++i) ranges.push_back({tokens[i - 1], tokens[i]});
    ranges.push_back({tokens.back(), std::nullopt});
    ranges.push_back({std::nullopt, tokens.front()});
    const std::string kMin = std::to_string(std::numeric_limits<int64_t>::min());
    for (const auto& [ks_name, keyspace] : schema->keyspaces) {
      if (keyspace->is_virtual || skip_keyspace(ks_name)) continue;
      auto cls = keyspace->replication.find("class");
      if (cls != keyspace->replication.end() && cls->second == kLocalStrategy) continue;
      for (const auto& [table_name, t] : keyspace->tables) {
        if (skip_table(table_name)) continue;
        std::map<std::pair<std::string, std::string>, int64_t> counts;  // clustering order
        struct Discard final : RowSink {
          void Row(const RowView&) override {}
        } discard;  // counted, not kept
        for (const Range& r : ranges) {
          ReadCommand count;
          count.table = t;
          count.scan = true;
          count.distinct = true;
          count.sink = &discard;
          if (r.left) count.token_start = TokenBound{*r.left, false};
          if (r.right) count.token_end = TokenBound{*r.right, true};
          PF_ASSIGN_OR_RETURN(ReadResult result, storage_->Read(count));
          counts[{r.left ? std::to_string(*r.left) : kMin,
                  r.right ? std::to_string(*r.right) : kMin}] =
              result.row_count;
        }
        for (const auto& [range, n] : counts) {
          b.Row(ks_name, {table_name, range.first, range.second});
          b.Set("partitions_count", n);
        }
      }
    }
    return b.Finish();
  }

  if (ks == "system" && name == "IndexInfo") {
    // Every index is built when CREATE INDEX answers; a row per index (its keyspace in
    // table_name, as Cassandra writes it), with no value.
    for (const auto& [ks_name, keyspace] : schema->keyspaces) {
      if (keyspace->is_virtual || skip_keyspace(ks_name)) continue;
      std::set<std::string> names;
      for (const auto& [table_name, t] : keyspace->tables) {
        for (const auto& index : t->indexes) names.insert(index.name);
      }
      for (const auto& index_name : names) b.Row(ks_name, {index_name});
    }
    return b.Finish();
  }

  if (ks == "system_schema") {
    for (const auto& [ks_name, keyspace] : schema->keyspaces) {
      if (keyspace->is_virtual || skip_keyspace(ks_name)) continue;
      if (name == "keyspaces") {
        b.Row(ks_name, {});
        b.Set("durable_writes", keyspace->durable_writes);
        b.Set("replication", TextMap(keyspace->replication));
        continue;
      }
      if (name == "types") {
        for (const auto& [type_name, t] : keyspace->types) {
          if (skip_table(type_name)) continue;
          b.Row(ks_name, {type_name});
          cql::ValueList names, types;
          for (const auto& f : t->field_names()) names.emplace_back(f);
          for (size_t i = 0; i < t->field_names().size(); ++i) {
            types.emplace_back(t->declared_field_type(i));
          }
          b.Set("field_names", names);
          b.Set("field_types", types);
        }
        continue;
      }
      for (const auto& [table_name, t] : keyspace->tables) {
        if (skip_table(table_name)) continue;
        if (name == "tables") {
          const TableParams& p = t->params;
          b.Row(ks_name, {table_name});
          b.Set("additional_write_policy", p.additional_write_policy);
          if (p.allow_auto_snapshot) b.Set("allow_auto_snapshot", *p.allow_auto_snapshot);
          b.Set("bloom_filter_fp_chance", p.bloom_filter_fp_chance);
          b.Set("caching", TextMap(p.caching));
          // cdc is written only when cdc_enabled is set in cassandra.yaml (off by default), the
          // memtable only when it is not the default configuration.
          b.Set("comment", p.comment);
          b.Set("compaction", TextMap(p.compaction));
          b.Set("compression", TextMap(p.compression));
          b.Set("crc_check_chance", p.crc_check_chance);
          b.Set("dclocal_read_repair_chance", 0.0);
          b.Set("default_time_to_live", p.default_time_to_live);
          b.Set("extensions", BlobMap(p.extensions));
          b.Set("flags", TableFlags(*t));
          b.Set("gc_grace_seconds", p.gc_grace_seconds);
          b.Set("id", t->id);
          if (p.incremental_backups) b.Set("incremental_backups", *p.incremental_backups);
          b.Set("max_index_interval", p.max_index_interval);
          if (p.memtable != "default") b.Set("memtable", p.memtable);
          b.Set("memtable_flush_period_in_ms", p.memtable_flush_period_in_ms);
          b.Set("min_index_interval", p.min_index_interval);
          b.Set("read_repair", p.read_repair);
          b.Set("read_repair_chance", 0.0);
          b.Set("speculative_retry", p.speculative_retry);
        } else if (name == "columns") {
          AddColumnRows(*t, &b);
        } else if (name == "dropped_columns") {
          for (const auto& d : t->dropped_columns) {
            b.Row(ks_name, {table_name, d.name});
            b.Set("dropped_time", cql::Timestamp{d.dropped_time_micros / 1000});
            b.Set("kind", std::string(ColumnKindName(d.kind)));
            b.Set("type", TypeText(d.type));
          }
        } else if (name == "indexes") {
          for (const auto& index : t->indexes) {
            b.Row(ks_name, {table_name, index.name});
            if (index.custom_class.empty()) {
              b.Set("kind", std::string("COMPOSITES"));
              b.Set("options", TextMap({{"target", IndexTargetText(*t, index)}}));
            } else {
              std::map<std::string, std::string> options = index.options;
              options["class_name"] = index.custom_class;
              options["target"] = IndexTargetText(*t, index);
              b.Set("kind", std::string("CUSTOM"));
              b.Set("options", TextMap(options));
            }
          }
        }
        // triggers, views, functions, aggregates: none yet.
      }
    }
    return b.Finish();
  }

  if (ks == "system_virtual_schema") {
    for (const auto& [ks_name, keyspace] : schema->keyspaces) {
      if (!keyspace->is_virtual || skip_keyspace(ks_name)) continue;
      if (name == "keyspaces") {
        b.Row(ks_name, {});
        continue;
      }
      for (const auto& [table_name, t] : keyspace->tables) {
        if (skip_table(table_name)) continue;
        if (name == "tables") {
          b.Row(ks_name, {table_name});
          b.Set("comment", t->params.comment);
        } else if (name == "columns") {
          AddColumnRows(*t, &b);
        }
      }
    }
    return b.Finish();
  }
  if (ks == "system_views" && name == "clients") {
    if (clients_ == nullptr) return b.Finish();
    for (const ClientInfo& c : clients_->List()) {
      auto address = cql::Inet::Parse(c.address);
      if (!address.ok()) continue;
      b.Row(Serialized(*address, cql::DataType(cql::TypeKind::kInet)),
            {Serialized(c.port, cql::DataType(cql::TypeKind::kInt))});
      b.Set("hostname", c.hostname);
      if (c.username) b.Set("username", *c.username);
      b.Set("connection_stage", c.connection_stage);
      b.Set("protocol_version", c.protocol_version);
      if (c.client_options) b.Set("client_options", TextMap(*c.client_options));
      if (c.driver_name) b.Set("driver_name", *c.driver_name);
      if (c.driver_version) b.Set("driver_version", *c.driver_version);
      b.Set("request_count", c.request_count);
      b.Set("ssl_enabled", c.ssl_enabled);
      if (c.ssl_protocol) b.Set("ssl_protocol", *c.ssl_protocol);
      if (c.ssl_cipher_suite) b.Set("ssl_cipher_suite", *c.ssl_cipher_suite);
      if (c.keyspace_name) b.Set("keyspace_name", *c.keyspace_name);
    }
    return b.Finish();
  }
  // system.peers, system.peers_v2, the other system_views tables: a single node has none.
  return b.Finish();
}

}  // namespace postfork::node
