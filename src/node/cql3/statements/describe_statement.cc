#include "node/cql3/statements/describe_statement.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "node/cql_errors.h"
#include "node/db/schema_cql.h"
#include "node/db/system_keyspaces.h"
#include "postfork/base/ascii.h"
#include "postfork/cql/bytes.h"

namespace postfork::node::cql3 {
namespace {

using Kind = DescribeStatement::Kind;

// One row of a DESCRIBE result: a schema element (Cassandra's SchemaElement).
struct Element {
  std::string keyspace;
  std::string_view type;  // "keyspace", "table", "index", "type"
  std::string name;
  std::function<std::string()> create;  // rendered only for the rows of the page sent
};

// Cassandra's SchemaElement.NAME_COMPARATOR: names compared ignoring case; ties keep their order.
bool NameLess(std::string_view a, std::string_view b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return static_cast<unsigned char>(ascii::ToLower(x)) <
           static_cast<unsigned char>(ascii::ToLower(y));
  });
}

template <typename T, typename NameOf>
void SortByName(std::vector<T>* items, NameOf name_of) {
  std::stable_sort(items->begin(), items->end(),
                   [&](const T& a, const T& b) { return NameLess(name_of(a), name_of(b)); });
}

std::vector<const KeyspaceMetadata*> SortedKeyspaces(const SchemaSnapshot& schema) {
  std::vector<const KeyspaceMetadata*> out;
  for (const auto& [name, ks] : schema.keyspaces) out.push_back(ks.get());
  SortByName(&out, [](const KeyspaceMetadata* k) -> std::string_view { return k->name; });
  return out;
}

std::vector<const TableMetadata*> SortedTables(const KeyspaceMetadata& ks) {
  std::vector<const TableMetadata*> out;
  for (const auto& [name, t] : ks.tables) out.push_back(t.get());
  SortByName(&out, [](const TableMetadata* t) -> std::string_view { return t->name; });
  return out;
}

Element KeyspaceElement(const KeyspaceMetadata& ks) {
  return {ks.name, "keyspace", ks.name, [&ks] { return KeyspaceCql(ks); }};
}

Element TableElement(const KeyspaceMetadata& ks, const TableMetadata& t, bool internals) {
  return {ks.name, "table", t.name, [&ks, &t, internals] { return TableCql(ks, t, internals); }};
}

Element TypeElement(const UserTypeMetadata& t) {
  return {t.keyspace, "type", t.name, [&t] { return UserTypeCql(t); }};
}

Element IndexElement(const TableMetadata& t, const IndexMetadata& index) {
  return {t.keyspace, "index", index.name, [&t, &index] { return IndexCql(t, index); }};
}

// A table, then its indexes by name (DescribeStatement.getTableElements; the node has no
// materialized views).
void AddTableElements(const KeyspaceMetadata& ks, const TableMetadata& t, bool internals,
                      std::vector<Element>* out) {
  out->push_back(TableElement(ks, t, internals));
  std::vector<const IndexMetadata*> indexes;
  for (const auto& index : t.indexes) indexes.push_back(&index);
  SortByName(&indexes, [](const IndexMetadata* i) -> std::string_view { return i->name; });
  for (const auto* index : indexes) out->push_back(IndexElement(t, *index));
}

// The keyspace, then (unless `only`) its types, functions, aggregates and tables.
void AddKeyspaceElements(const KeyspaceMetadata& ks, bool only, bool internals,
                         std::vector<Element>* out) {
  out->push_back(KeyspaceElement(ks));
  if (only) return;
  for (const auto* t : TypesInCreateOrder(ks)) out->push_back(TypeElement(*t));
  for (const auto* t : SortedTables(ks)) AddTableElements(ks, *t, internals, out);
}

const TableMetadata* FindIndexedTable(const KeyspaceMetadata& ks, std::string_view index,
                                      const IndexMetadata** found) {
  for (const auto& [name, t] : ks.tables) {
    for (const auto& i : t->indexes) {
      if (i.name == index) {
        *found = &i;
        return t.get();
      }
    }
  }
  return nullptr;
}

cql::ColumnSpec Spec(std::string_view name, cql::DataType type = cql::DataType()) {
  return cql::ColumnSpec{"system", "describe", std::string(name), std::move(type)};
}

// The paging state: a magic, the schema version the first page was read at, and the offset of
// the next row.
constexpr std::string_view kPagingMagic = "pfdesc";

std::string PagingState(const cql::Uuid& schema_version, int64_t offset) {
  std::string out(kPagingMagic);
  out.append(reinterpret_cast<const char*>(schema_version.bytes.data()),
             schema_version.bytes.size());
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>((static_cast<uint64_t>(offset) >> shift) & 0xff);
  }
  return out;
}

Result<int64_t> PagingOffset(std::string_view state, const cql::Uuid& schema_version) {
  if (state.size() != kPagingMagic.size() + 16 + 8 ||
      state.substr(0, kPagingMagic.size()) != kPagingMagic) {
    return InvalidRequest("Invalid paging state.");
  }
  state.remove_prefix(kPagingMagic.size());
  if (state.substr(0, 16) !=
      std::string_view(reinterpret_cast<const char*>(schema_version.bytes.data()), 16)) {
    return InvalidRequest(
        "The schema has changed since the previous page of the DESCRIBE statement result. "
        "Please retry the DESCRIBE statement.");
  }
  auto offset = static_cast<int64_t>(cql::LoadBE64(state.data() + 16));
  return std::max<int64_t>(offset, 0);
}

class Describe final : public CqlStatement {
 public:
  explicit Describe(DescribeStatement stmt) : stmt_(std::move(stmt)) {
    keyspace_ = stmt_.keyspace;
    table_ = stmt_.name;
    result_metadata_.columns = ListsOnly() ? ListColumns() : ElementColumns();
    if (stmt_.kind == Kind::kCluster) result_metadata_.columns = ClusterColumns(false);
    result_metadata_.column_count = static_cast<int32_t>(result_metadata_.columns.size());
  }

  std::string_view kind() const override { return "describe"; }

  Result<StatementResult> Execute(ExecutionContext& ctx) const override {
    const SchemaSnapshot& schema = *ctx.schema;
    const std::string& current = ctx.client->keyspace;
    if (stmt_.kind == Kind::kCluster) return Cluster(ctx, current);

    std::vector<Element> elements;
    PF_RETURN_IF_ERROR(Collect(schema, current, &elements));

    int64_t offset = 0;
    if (ctx.paging_state && !ctx.paging_state->empty()) {
      PF_ASSIGN_OR_RETURN(offset, PagingOffset(*ctx.paging_state, schema.schema_version));
    }
    const int64_t total = static_cast<int64_t>(elements.size());
    const int64_t begin = std::min(offset, total);
    int64_t end = total;
    const bool paged = ctx.page_size && *ctx.page_size > 0;
    if (paged) end = std::min<int64_t>(total, begin + *ctx.page_size);

    cql::RowsMetadata meta;
    meta.columns = ListsOnly() ? ListColumns() : ElementColumns();
    meta.column_count = static_cast<int32_t>(meta.columns.size());
    if (paged && end - begin == *ctx.page_size) {
      meta.paging_state = PagingState(schema.schema_version, end);
    }
    std::vector<std::string> cells;
    for (int64_t i = begin; i < end; ++i) {
      const Element& e = elements[static_cast<size_t>(i)];
      cells.push_back(cql::QuoteIdentifier(e.keyspace));
      cells.emplace_back(e.type);
      cells.push_back(cql::QuoteIdentifier(e.name));
      if (!ListsOnly()) cells.push_back(e.create());
    }
    return Rows(std::move(meta), cells);
  }

 private:
  // DESCRIBE KEYSPACES / TABLES / TYPES / FUNCTIONS / AGGREGATES list names only.
  bool ListsOnly() const {
    switch (stmt_.kind) {
      case Kind::kKeyspaces:
      case Kind::kTables:
      case Kind::kTypes:
      case Kind::kFunctions:
      case Kind::kAggregates:
        return true;
      default:
        return false;
    }
  }

  static std::vector<cql::ColumnSpec> ListColumns() {
    return {Spec("keyspace_name"), Spec("type"), Spec("name")};
  }
  static std::vector<cql::ColumnSpec> ElementColumns() {
    return {Spec("keyspace_name"), Spec("type"), Spec("name"), Spec("create_statement")};
  }
  static std::vector<cql::ColumnSpec> ClusterColumns(bool ownership) {
    std::vector<cql::ColumnSpec> out = {Spec("cluster"), Spec("partitioner"), Spec("snitch")};
    if (ownership) {
      out.push_back(
          Spec("range_ownership",
               cql::DataType::Map(cql::DataType(), cql::DataType::List(cql::DataType()))));
    }
    return out;
  }

  static Result<StatementResult> Rows(cql::RowsMetadata meta,
                                      const std::vector<std::string>& cells) {
    std::vector<cql::RawValue> raw;
    raw.reserve(cells.size());
    for (const auto& c : cells) raw.push_back(cql::RawValue::Of(c));
    StatementResult result;
    cql::ByteWriter w(&result.body);
    int32_t rows = meta.column_count ? static_cast<int32_t>(cells.size()) / meta.column_count : 0;
    cql::EncodeRowsResult(meta, rows, raw, w);
    return result;
  }

  // The keyspace an element statement names: its own, else the connection's.
  Result<const KeyspaceMetadata*> ElementKeyspace(const SchemaSnapshot& schema,
                                                  const std::string& current) const {
    const std::string& ks = stmt_.keyspace.empty() ? current : stmt_.keyspace;
    if (ks.empty()) return InvalidRequest("No keyspace specified and no current keyspace");
    return ValidateKeyspace(schema, ks);
  }

  static Result<const KeyspaceMetadata*> ValidateKeyspace(const SchemaSnapshot& schema,
                                                          const std::string& ks) {
    const KeyspaceMetadata* k = schema.FindKeyspace(ks);
    if (!k) return InvalidRequest(fmt::format("'{}' not found in keyspaces", ks));
    return k;
  }

  // Listings cover the connection's keyspace, or every keyspace by name when there is none.
  Result<std::vector<const KeyspaceMetadata*>> ListedKeyspaces(const SchemaSnapshot& schema,
                                                               const std::string& current) const {
    if (current.empty()) return SortedKeyspaces(schema);
    PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* k, ValidateKeyspace(schema, current));
    return std::vector<const KeyspaceMetadata*>{k};
  }

  Status Collect(const SchemaSnapshot& schema, const std::string& current,
                 std::vector<Element>* out) const {
    const bool internals = stmt_.with_internals;
    switch (stmt_.kind) {
      case Kind::kKeyspaces:
        for (const auto* ks : SortedKeyspaces(schema)) out->push_back(KeyspaceElement(*ks));
        return Status::Ok();
      case Kind::kTables: {
        PF_ASSIGN_OR_RETURN(auto keyspaces, ListedKeyspaces(schema, current));
        for (const auto* ks : keyspaces) {
          for (const auto* t : SortedTables(*ks)) out->push_back(TableElement(*ks, *t, internals));
        }
        return Status::Ok();
      }
      case Kind::kTypes: {
        PF_ASSIGN_OR_RETURN(auto keyspaces, ListedKeyspaces(schema, current));
        for (const auto* ks : keyspaces) {
          std::vector<const UserTypeMetadata*> types;
          for (const auto& [name, t] : ks->types) types.push_back(t.get());
          SortByName(&types, [](const UserTypeMetadata* t) -> std::string_view { return t->name; });
          for (const auto* t : types) out->push_back(TypeElement(*t));
        }
        return Status::Ok();
      }
      case Kind::kFunctions:
      case Kind::kAggregates:
        // No user-defined functions or aggregates exist (disabled, as in Cassandra 5.0's
        // default configuration); the keyspace is still checked.
        return ListedKeyspaces(schema, current).status();
      case Kind::kSchema:
        for (const auto* ks : SortedKeyspaces(schema)) {
          if (!stmt_.full && IsSystemKeyspace(ks->name)) continue;
          AddKeyspaceElements(*ks, /*only=*/false, internals, out);
        }
        return Status::Ok();
      case Kind::kKeyspace: {
        PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* ks, ElementKeyspace(schema, current));
        AddKeyspaceElements(*ks, stmt_.only, internals, out);
        return Status::Ok();
      }
      case Kind::kTable: {
        PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* ks, ElementKeyspace(schema, current));
        const TableMetadata* t = ks->FindTable(stmt_.name);
        if (!t) {
          return InvalidRequest(
              fmt::format("Table '{}' not found in keyspace '{}'", stmt_.name, ks->name));
        }
        AddTableElements(*ks, *t, internals, out);
        return Status::Ok();
      }
      case Kind::kIndex: {
        PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* ks, ElementKeyspace(schema, current));
        const IndexMetadata* index = nullptr;
        const TableMetadata* t = FindIndexedTable(*ks, stmt_.name, &index);
        if (!t) {
          return InvalidRequest(
              fmt::format("Table for existing index '{}' not found in '{}'", stmt_.name, ks->name));
        }
        out->push_back(IndexElement(*t, *index));
        return Status::Ok();
      }
      case Kind::kMaterializedView: {
        PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* ks, ElementKeyspace(schema, current));
        return InvalidRequest(
            fmt::format("Materialized view '{}' not found in '{}'", stmt_.name, ks->name));
      }
      case Kind::kType: {
        PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* ks, ElementKeyspace(schema, current));
        const UserTypeMetadata* t = ks->FindType(stmt_.name);
        if (!t) {
          return InvalidRequest(
              fmt::format("User defined type '{}' not found in '{}'", stmt_.name, ks->name));
        }
        out->push_back(TypeElement(*t));
        return Status::Ok();
      }
      case Kind::kFunction:
      case Kind::kAggregate: {
        PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* ks, ElementKeyspace(schema, current));
        return InvalidRequest(fmt::format("User defined {} '{}' not found in '{}'",
                                          stmt_.kind == Kind::kFunction ? "function" : "aggregate",
                                          stmt_.name, ks->name));
      }
      case Kind::kGeneric:
        return CollectGeneric(schema, current, out);
      case Kind::kCluster:
        break;
    }
    return Status::Ok();
  }

  // DESCRIBE name: a keyspace of that name, else a table, an index or a view of the named (or
  // current) keyspace, in that order.
  Status CollectGeneric(const SchemaSnapshot& schema, const std::string& current,
                        std::vector<Element>* out) const {
    std::string ks_name = stmt_.keyspace;
    if (ks_name.empty()) {
      if (const KeyspaceMetadata* ks = schema.FindKeyspace(stmt_.name)) {
        AddKeyspaceElements(*ks, /*only=*/false, stmt_.with_internals, out);
        return Status::Ok();
      }
      ks_name = current.empty() ? stmt_.name : current;
    }
    PF_ASSIGN_OR_RETURN(const KeyspaceMetadata* ks, ValidateKeyspace(schema, ks_name));
    if (const TableMetadata* t = ks->FindTable(stmt_.name)) {
      AddTableElements(*ks, *t, stmt_.with_internals, out);
      return Status::Ok();
    }
    const IndexMetadata* index = nullptr;
    if (const TableMetadata* t = FindIndexedTable(*ks, stmt_.name, &index)) {
      out->push_back(IndexElement(*t, *index));
      return Status::Ok();
    }
    return InvalidRequest(fmt::format("'{}' not found in keyspace '{}'", stmt_.name, ks_name));
  }

  // DESCRIBE CLUSTER: the cluster name, partitioner and snitch; with a current keyspace that is
  // not a system one, the ring's ranges (by their end token) and the endpoints that own them.
  // This node is the whole ring: it owns every range.
  Result<StatementResult> Cluster(ExecutionContext& ctx, const std::string& current) const {
    const bool ownership = !current.empty() && !IsSystemKeyspace(current);
    if (ownership) PF_RETURN_IF_ERROR(ValidateKeyspace(*ctx.schema, current).status());
    const NodeIdentity& identity = ctx.db->schema().identity();
    cql::RowsMetadata meta;
    meta.columns = ClusterColumns(ownership);
    meta.column_count = static_cast<int32_t>(meta.columns.size());
    std::vector<std::string> cells = {identity.cluster_name, "Murmur3Partitioner",
                                      "DynamicEndpointSnitch"};
    if (ownership) {
      const std::string endpoint =
          fmt::format("/{}:{}", identity.listen_address, identity.storage_port);
      cql::ValueMap ranges;
      for (const auto& token : ctx.db->schema().local_node().tokens) {
        ranges.push_back({cql::Value(token), cql::Value(cql::ValueList{cql::Value(endpoint)})});
      }
      std::string cell;
      PF_RETURN_IF_ERROR(
          cql::SerializeValue(cql::Value(std::move(ranges)), meta.columns.back().type, &cell));
      cells.push_back(std::move(cell));
    }
    return Rows(std::move(meta), cells);
  }

  DescribeStatement stmt_;
};

}  // namespace

std::unique_ptr<CqlStatement> PrepareDescribe(const DescribeStatement& stmt) {
  return std::make_unique<Describe>(stmt);
}

}  // namespace postfork::node::cql3
