// Schema metadata lookups. The SchemaStore (DDL, persistence) is in schema_store.cc.
#include "node/db/schema.h"

#include <algorithm>

#include "node/cql_errors.h"
#include "postfork/base/ascii.h"

namespace postfork::node {

std::string_view ColumnKindName(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kPartitionKey:
      return "partition_key";
    case ColumnKind::kClustering:
      return "clustering";
    case ColumnKind::kRegular:
      return "regular";
    case ColumnKind::kStatic:
      return "static";
  }
  return "regular";
}

std::string_view ClusteringOrderName(ClusteringOrder order) {
  switch (order) {
    case ClusteringOrder::kNone:
      return "none";
    case ClusteringOrder::kAsc:
      return "asc";
    case ClusteringOrder::kDesc:
      return "desc";
  }
  return "none";
}

const ColumnMetadata* TableMetadata::FindColumn(std::string_view column_name) const {
  for (const auto& c : columns) {
    if (c.name == column_name) return &c;
  }
  return nullptr;
}

const ColumnMetadata* TableMetadata::FindColumnById(uint32_t column_id) const {
  for (const auto& c : columns) {
    if (c.id == column_id) return &c;
  }
  return nullptr;
}

const TableMetadata::DroppedColumn* TableMetadata::FindDropById(uint32_t column_id) const {
  for (const auto& d : dropped_columns) {
    if (d.column_id == column_id) return &d;
  }
  return nullptr;
}

const ColumnMetadata* TableMetadata::CompactValueColumn() const {
  if (!is_dense()) return nullptr;
  for (const auto& c : columns) {
    if (c.kind == ColumnKind::kRegular) return &c;
  }
  return nullptr;
}

std::vector<const ColumnMetadata*> TableMetadata::PartitionKeyColumns() const {
  std::vector<const ColumnMetadata*> out;
  for (size_t i = 0; i < partition_key_count; ++i) out.push_back(&columns[i]);
  return out;
}

std::vector<const ColumnMetadata*> TableMetadata::ClusteringColumns() const {
  std::vector<const ColumnMetadata*> out;
  for (size_t i = 0; i < clustering_count; ++i) {
    out.push_back(&columns[partition_key_count + i]);
  }
  return out;
}

void TableMetadata::Finish() {
  auto rank = [](ColumnKind k) {
    switch (k) {
      case ColumnKind::kPartitionKey:
        return 0;
      case ColumnKind::kClustering:
        return 1;
      case ColumnKind::kStatic:
        return 2;
      default:
        return 3;  // statics, then regulars, each by name (Cassandra's selectOrderIterator)
    }
  };
  std::stable_sort(columns.begin(), columns.end(),
                   [&](const ColumnMetadata& a, const ColumnMetadata& b) {
                     int ra = rank(a.kind), rb = rank(b.kind);
                     if (ra != rb) return ra < rb;
                     if (ra < 2) return a.position < b.position;
                     return a.name < b.name;
                   });
  partition_key_count = clustering_count = static_count = 0;
  for (auto& c : columns) {
    switch (c.kind) {
      case ColumnKind::kPartitionKey:
        c.position = static_cast<int>(partition_key_count++);
        c.order = ClusteringOrder::kNone;
        break;
      case ColumnKind::kClustering:
        c.position = static_cast<int>(clustering_count++);
        if (c.order == ClusteringOrder::kNone) c.order = ClusteringOrder::kAsc;
        break;
      case ColumnKind::kStatic:
        ++static_count;
        c.position = -1;
        c.order = ClusteringOrder::kNone;
        break;
      case ColumnKind::kRegular:
        c.position = -1;
        c.order = ClusteringOrder::kNone;
        break;
    }
    next_column_id = std::max(next_column_id, c.id + 1);
  }
}

const TableMetadata* KeyspaceMetadata::FindTable(std::string_view table_name) const {
  auto it = tables.find(std::string(table_name));
  return it == tables.end() ? nullptr : it->second.get();
}

const UserTypeMetadata* KeyspaceMetadata::FindType(std::string_view type_name) const {
  auto it = types.find(std::string(type_name));
  return it == types.end() ? nullptr : it->second.get();
}

Result<cql::DataType> KeyspaceTypeResolver::Resolve(std::string_view keyspace,
                                                    std::string_view name) const {
  std::string ks = keyspace_ ? keyspace_->name : std::string();
  if (!keyspace.empty() && keyspace != ks) {
    return InvalidRequest("Statement on keyspace " + ks +
                          " cannot refer to a user type in keyspace " + std::string(keyspace) +
                          "; user types can only be used in the keyspace they are defined in");
  }
  const UserTypeMetadata* t = keyspace_ ? keyspace_->FindType(name) : nullptr;
  if (t == nullptr) {
    return InvalidRequest("Unknown type " + ks + "." + std::string(name));
  }
  return t->type;
}

bool IsStorageAttachedClass(std::string_view written) {
  return ascii::EqualsIgnoreCase(written, "sai") ||
         ascii::EqualsIgnoreCase(written, "StorageAttachedIndex") ||
         written == kStorageAttachedIndexClass;
}

bool IsStorageAttached(const IndexMetadata& index) {
  return IsStorageAttachedClass(index.custom_class);
}

bool IsMultiCell(const cql::DataType& type) {
  return (type.is_collection() || type.kind() == cql::TypeKind::kUdt) && !type.is_frozen();
}

const KeyspaceMetadata* SchemaSnapshot::FindKeyspace(std::string_view keyspace) const {
  auto it = keyspaces.find(std::string(keyspace));
  return it == keyspaces.end() ? nullptr : it->second.get();
}

std::shared_ptr<const TableMetadata> SchemaSnapshot::FindTable(std::string_view keyspace,
                                                               std::string_view table) const {
  const KeyspaceMetadata* ks = FindKeyspace(keyspace);
  if (ks == nullptr) return nullptr;
  auto it = ks->tables.find(std::string(table));
  return it == ks->tables.end() ? nullptr : it->second;
}

}  // namespace postfork::node

namespace postfork::node {

std::string IndexTargetText(const TableMetadata& table, const IndexMetadata& index) {
  const ColumnMetadata* column = table.FindColumnById(index.column_id);
  std::string name = cql::QuoteIdentifier(column ? column->name : "");
  switch (index.target) {
    case IndexTarget::kSimple:
      return name;
    case IndexTarget::kKeys:
      return "keys(" + name + ")";
    case IndexTarget::kValues:
      return "values(" + name + ")";
    case IndexTarget::kEntries:
      return "entries(" + name + ")";
    case IndexTarget::kFull:
      return "full(" + name + ")";
  }
  return name;
}

}  // namespace postfork::node
