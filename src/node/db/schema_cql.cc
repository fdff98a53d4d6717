#include "node/db/schema_cql.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::node {
namespace {

// Cassandra's CqlBuilder indents nested lines by four spaces.
constexpr std::string_view kIndent = "    ";

// A CQL string literal: in single quotes, inner ones doubled.
std::string SingleQuoted(std::string_view s) {
  return cql::Value(std::string(s)).ToCqlLiteral(cql::DataType(cql::TypeKind::kText));
}

// {'k': 'v', ...} in key order, as CqlBuilder.append(Map) writes an option map.
std::string OptionMapText(const std::map<std::string, std::string>& map, bool quote_values = true) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : map) {
    if (!first) out += ", ";
    first = false;
    out += SingleQuoted(k) + ": " + (quote_values ? SingleQuoted(v) : v);
  }
  return out + "}";
}

std::string BoolText(bool b) { return b ? "true" : "false"; }

// Cassandra lists regular and static columns (Columns) simple ones first, then complex
// (multi-cell) ones, each group by name.
std::vector<const ColumnMetadata*> CreateOrder(const TableMetadata& table) {
  std::vector<const ColumnMetadata*> out;
  for (const auto* c : table.PartitionKeyColumns()) out.push_back(c);
  for (const auto* c : table.ClusteringColumns()) out.push_back(c);
  for (ColumnKind kind : {ColumnKind::kStatic, ColumnKind::kRegular}) {
    std::vector<const ColumnMetadata*> group;
    for (const auto& c : table.columns) {
      if (c.kind == kind) group.push_back(&c);
    }
    std::stable_sort(group.begin(), group.end(), [](const auto* a, const auto* b) {
      bool a_complex = IsMultiCell(a->type), b_complex = IsMultiCell(b->type);
      if (a_complex != b_complex) return !a_complex;
      return a->name < b->name;
    });
    out.insert(out.end(), group.begin(), group.end());
  }
  return out;
}

std::string ColumnText(std::string_view name, const cql::DataType& type, ColumnKind kind) {
  std::string out = cql::QuoteIdentifier(name) + " " + type.ToCql();
  if (kind == ColumnKind::kStatic) out += " static";
  return out;
}

// A blob literal: 0x and lower-case hex digits.
std::string HexBlob(std::string_view bytes) {
  return cql::Value(cql::Blob{std::string(bytes)})
      .ToCqlLiteral(cql::DataType(cql::TypeKind::kBlob));
}

// TableParams.appendCqlTo: every option, in Cassandra's order (not quite alphabetical).
void AppendTableOptions(const TableParams& p, std::string* out) {
  std::map<std::string, std::string> extensions;
  for (const auto& [k, v] : p.extensions) extensions[k] = HexBlob(v);
  const std::pair<std::string_view, std::string> options[] = {
      {"additional_write_policy", SingleQuoted(p.additional_write_policy)},
      {"allow_auto_snapshot", BoolText(p.allow_auto_snapshot.value_or(true))},
      {"bloom_filter_fp_chance", cql::JavaFloatText(p.bloom_filter_fp_chance)},
      {"caching", OptionMapText(p.caching)},
      {"cdc", BoolText(p.cdc)},
      {"comment", SingleQuoted(p.comment)},
      {"compaction", OptionMapText(p.compaction)},
      {"compression", OptionMapText(p.compression)},
      {"memtable", SingleQuoted(p.memtable)},
      {"crc_check_chance", cql::JavaFloatText(p.crc_check_chance)},
      {"default_time_to_live", std::to_string(p.default_time_to_live)},
      {"extensions", OptionMapText(extensions, /*quote_values=*/false)},
      {"gc_grace_seconds", std::to_string(p.gc_grace_seconds)},
      {"incremental_backups", BoolText(p.incremental_backups.value_or(true))},
      {"max_index_interval", std::to_string(p.max_index_interval)},
      {"memtable_flush_period_in_ms", std::to_string(p.memtable_flush_period_in_ms)},
      {"min_index_interval", std::to_string(p.min_index_interval)},
      {"read_repair", SingleQuoted(p.read_repair)},
      {"speculative_retry", SingleQuoted(p.speculative_retry)},
  };
  bool first = true;
  for (const auto& [name, value] : options) {
    if (!first) fmt::format_to(std::back_inserter(*out), "\n{}AND ", kIndent);
    first = false;
    fmt::format_to(std::back_inserter(*out), "{} = {}", name, value);
  }
}

// Every user type `type` names, dependencies first (Types.addUserTypes).
void AddUserTypes(const cql::DataType& type, std::vector<std::string>* order,
                  std::set<std::string>* seen) {
  for (const auto& p : type.params()) AddUserTypes(p, order, seen);
  if (type.kind() == cql::TypeKind::kUdt && seen->insert(type.udt_name()).second) {
    order->push_back(type.udt_name());
  }
}

}  // namespace

std::string QualifiedName(std::string_view keyspace, std::string_view name) {
  return cql::QuoteIdentifier(keyspace) + "." + cql::QuoteIdentifier(name);
}

std::string KeyspaceCql(const KeyspaceMetadata& keyspace) {
  if (keyspace.is_virtual) {
    return fmt::format(
        "/*\nWarning: Keyspace {0} is a virtual keyspace and cannot be recreated with CQL.\n"
        "Structure, for reference:\nVIRTUAL KEYSPACE {0};\n*/",
        cql::QuoteIdentifier(keyspace.name));
  }
  // ReplicationParams: the strategy's simple class name first, then its options by name.
  std::string replication = "{";
  auto cls = keyspace.replication.find("class");
  if (cls != keyspace.replication.end()) {
    std::string_view name = cls->second;
    size_t dot = name.rfind('.');
    if (dot != std::string_view::npos) name.remove_prefix(dot + 1);
    replication += "'class': " + SingleQuoted(name);
  }
  for (const auto& [k, v] : keyspace.replication) {
    if (k == "class") continue;
    if (replication.size() > 1) replication += ", ";
    replication += SingleQuoted(k) + ": " + SingleQuoted(v);
  }
  replication += "}";
  return fmt::format("CREATE KEYSPACE {} WITH replication = {}  AND durable_writes = {};",
                     cql::QuoteIdentifier(keyspace.name), replication,
                     BoolText(keyspace.durable_writes));
}

std::string TableCql(const KeyspaceMetadata& keyspace, const TableMetadata& table,
                     bool with_internals) {
  std::string out;
  auto add = [&out](std::string_view s) { out += s; };
  const std::string name = QualifiedName(table.keyspace, table.name);
  if (keyspace.is_virtual) {
    add(
        fmt::format("/*\nWarning: Table {} is a virtual table and cannot be recreated with CQL.\n"
                    "Structure, for reference:\nVIRTUAL TABLE ",
                    name));
  } else if (table.is_compact()) {
    // Cassandra 5.0 describes a compact table inside a comment, as a structure for reference.
    add(fmt::format(
        "/*\nWarning: Table {} omitted because it has constructs not compatible with CQL (was "
        "created via legacy API).\nApproximate structure, for reference:\n(this should not be "
        "used to reproduce this schema)\n\nCREATE TABLE ",
        name));
  } else {
    add("CREATE TABLE ");
  }
  add(name);
  add(" (\n");

  // A static compact table has a hidden clustering column: no PRIMARY KEY beside its key.
  const bool single_key = table.partition_key_size() == 1 && table.clustering_size() == 0 &&
                          !table.is_static_compact();
  const bool with_dropped = with_internals && !keyspace.is_virtual;
  auto dropped = [&](std::string_view column) {
    return std::any_of(table.dropped_columns.begin(), table.dropped_columns.end(),
                       [&](const auto& d) { return d.name == column; });
  };
  std::vector<const ColumnMetadata*> columns = CreateOrder(table);
  // A column dropped and added again is listed after the dropped ones, by ALTER TABLE ADD.
  if (with_dropped) {
    std::erase_if(columns, [&](const ColumnMetadata* c) { return dropped(c->name); });
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnMetadata* c = columns[i];
    add(kIndent);
    add(ColumnText(c->name, c->type, c->kind));
    if (single_key && c->kind == ColumnKind::kPartitionKey) add(" PRIMARY KEY");
    if (!single_key || (with_dropped && !table.dropped_columns.empty()) || i + 1 < columns.size()) {
      add(",");
    }
    add("\n");
  }
  if (with_dropped) {
    for (size_t i = 0; i < table.dropped_columns.size(); ++i) {
      const auto& d = table.dropped_columns[i];
      add(kIndent);
      add(ColumnText(d.name, d.type, d.kind));
      if (!single_key || i + 1 < table.dropped_columns.size()) add(",");
      add("\n");
    }
  }
  if (!single_key) {
    add(kIndent);
    add("PRIMARY KEY (");
    auto keys = table.PartitionKeyColumns();
    if (keys.size() > 1) add("(");
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i) add(", ");
      add(cql::QuoteIdentifier(keys[i]->name));
    }
    if (keys.size() > 1) add(")");
    for (const auto* c : table.ClusteringColumns()) {
      add(", ");
      add(cql::QuoteIdentifier(c->name));
    }
    add(")\n");
  }
  add(") WITH ");

  std::string and_line = fmt::format("\n{}AND ", kIndent);
  if (table.is_compact()) {
    add("COMPACT STORAGE");
    add(and_line);
  }
  if (with_internals) {
    add("ID = " + table.id.ToString());
    add(and_line);
  }
  std::vector<std::pair<std::string, ClusteringOrder>> clustering;
  for (const auto* c : table.ClusteringColumns()) clustering.emplace_back(c->name, c->order);
  if (!table.compact.hidden_clustering.empty()) {
    clustering.emplace_back(table.compact.hidden_clustering, ClusteringOrder::kAsc);
  }
  if (!clustering.empty()) {
    add("CLUSTERING ORDER BY (");
    for (size_t i = 0; i < clustering.size(); ++i) {
      if (i) add(", ");
      add(cql::QuoteIdentifier(clustering[i].first));
      add(clustering[i].second == ClusteringOrder::kDesc ? " DESC" : " ASC");
    }
    add(")");
    add(and_line);
  }
  if (keyspace.is_virtual) {
    add("comment = " + SingleQuoted(table.params.comment));
  } else {
    AppendTableOptions(table.params, &out);
  }
  add(";");
  if (keyspace.is_virtual || table.is_compact()) add("\n*/");

  if (with_dropped) {
    for (const auto& d : table.dropped_columns) {
      add(fmt::format("\nALTER TABLE {} DROP {} USING TIMESTAMP {};", name,
                      cql::QuoteIdentifier(d.name), d.dropped_time_micros));
      if (const ColumnMetadata* c = table.FindColumn(d.name)) {
        add(fmt::format("\nALTER TABLE {} ADD {};", name, ColumnText(c->name, c->type, c->kind)));
      }
    }
  }
  return out;
}

std::string UserTypeCql(const UserTypeMetadata& type) {
  std::string out = "CREATE TYPE " + QualifiedName(type.keyspace, type.name) + " (\n";
  const auto& names = type.field_names();
  for (size_t i = 0; i < names.size(); ++i) {
    out += kIndent;
    out += cql::QuoteIdentifier(names[i]) + " " + type.declared_field_type(i);
    if (i + 1 < names.size()) out += ",";
    out += "\n";
  }
  return out + ");";
}

std::string IndexCql(const TableMetadata& table, const IndexMetadata& index) {
  std::string target = fmt::format("{} ON {} ({})", cql::QuoteIdentifier(index.name),
                                   QualifiedName(table.keyspace, table.name),
                                   IndexTargetText(table, index));
  if (index.custom_class.empty()) return "CREATE INDEX " + target + ";";
  std::string out = "CREATE CUSTOM INDEX " + target + " USING " + SingleQuoted(index.custom_class);
  if (!index.options.empty()) out += " WITH OPTIONS = " + OptionMapText(index.options);
  return out + ";";
}

std::vector<const UserTypeMetadata*> TypesInCreateOrder(const KeyspaceMetadata& keyspace) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const auto& [name, type] : keyspace.types) AddUserTypes(type->type, &order, &seen);
  std::vector<const UserTypeMetadata*> out;
  for (const auto& name : order) {
    if (const UserTypeMetadata* t = keyspace.FindType(name)) out.push_back(t);
  }
  return out;
}

}  // namespace postfork::node
