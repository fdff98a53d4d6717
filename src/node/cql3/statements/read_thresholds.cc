#include "node/cql3/statements/read_thresholds.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "node/cql_errors.h"
#include "node/db/database.h"
#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

// Cassandra's SchemaConstants.isLocalSystemKeyspace: reads there ignore the thresholds.
bool RespectsThresholds(const TableMetadata& t) {
  return !t.is_virtual && t.keyspace != "system" && t.keyspace != "system_schema";
}

}  // namespace

namespace {

std::string Literal(const ColumnMetadata& column, const std::string& value) {
  auto v = cql::DeserializeValue(value, column.type);
  return v.ok() ? v->ToCqlLiteral(column.type) : std::string("?");
}

// Whether every slice is one whole clustering key: Cassandra reads those with a
// ClusteringIndexNamesFilter (equalities or IN on every clustering column).
bool IsNamesFilter(const TableMetadata& t, const std::vector<ClusteringSlice>& slices) {
  if (t.clustering_count == 0 || slices.empty()) return false;
  for (const ClusteringSlice& s : slices) {
    if (s.start.components.size() != t.clustering_count || !s.start.inclusive ||
        !s.end.inclusive || s.start.components != s.end.components) {
      return false;
    }
  }
  return true;
}

// ClusteringIndexNamesFilter.toCQLString: `c = v`, `c IN (v, w)`, `(c1, c2) = (v, w)`, ...
std::string NamesText(const TableMetadata& t, const std::vector<ClusteringSlice>& slices) {
  auto columns = t.ClusteringColumns();
  const bool single_column = columns.size() == 1;
  std::string out = single_column ? "" : "(";
  for (size_t i = 0; i < columns.size(); ++i) {
    out += (i > 0 ? ", " : "") + cql::QuoteIdentifier(columns[i]->name);
  }
  out += single_column ? "" : ")";
  out += slices.size() == 1 ? " = " : " IN (";
  for (size_t j = 0; j < slices.size(); ++j) {
    if (j > 0) out += ", ";
    if (!single_column) out += "(";
    for (size_t i = 0; i < columns.size(); ++i) {
      out += (i > 0 ? ", " : "") + Literal(*columns[i], slices[j].start.components[i]);
    }
    if (!single_column) out += ")";
  }
  if (slices.size() != 1) out += ")";
  return out;
}

// Slices.ArrayBackedSlices.toCQLString: per clustering column, an equality or IN when every
// slice fixes it, otherwise the first slice's bounds on it (operators turned for DESC columns).
std::string SlicesText(const TableMetadata& t, const std::vector<ClusteringSlice>& slices) {
  auto columns = t.ClusteringColumns();
  std::string out;
  auto add = [&](const std::string& clause) { out += (out.empty() ? "" : " AND ") + clause; };
  for (size_t i = 0; i < columns.size(); ++i) {
    struct Component {
      const std::string* start = nullptr;
      bool start_inclusive = true;
      const std::string* end = nullptr;
      bool end_inclusive = true;
      bool IsEq() const {
        return (start == nullptr && end == nullptr) ||
               (start != nullptr && end != nullptr && *start == *end);
      }
    };
    std::vector<Component> components;
    for (const ClusteringSlice& s : slices) {
      if (i >= s.start.components.size() && i >= s.end.components.size()) continue;
      Component c;
      if (i < s.start.components.size()) {
        c.start = &s.start.components[i];
        c.start_inclusive = s.start.inclusive;
      }
      if (i < s.end.components.size()) {
        c.end = &s.end.components[i];
        c.end_inclusive = s.end.inclusive;
      }
      components.push_back(c);
    }
    if (components.empty()) break;
    const ColumnMetadata& column = *columns[i];
    const std::string name = cql::QuoteIdentifier(column.name);
    const Component& first = components[0];
    if (first.IsEq()) {
      std::vector<const std::string*> values;
      for (const Component& c : components) {
        if (std::none_of(values.begin(), values.end(),
                         [&](const std::string* v) { return *v == *c.start; })) {
          values.push_back(c.start);
        }
      }
      if (values.size() == 1) {
        add(name + " = " + Literal(column, *values[0]));
      } else {
        std::string in = name + " IN (";
        for (size_t j = 0; j < values.size(); ++j) {
          in += (j > 0 ? ", " : "") + Literal(column, *values[j]);
        }
        add(in + ")");
      }
      continue;
    }
    const bool reversed = column.order == ClusteringOrder::kDesc;
    if (first.start != nullptr) {
      const char* op = reversed ? (first.start_inclusive ? "<=" : "<")
                                : (first.start_inclusive ? ">=" : ">");
      add(name + " " + op + " " + Literal(column, *first.start));
    }
    if (first.end != nullptr) {
      const char* op = reversed ? (first.end_inclusive ? ">=" : ">")
                                : (first.end_inclusive ? "<=" : "<");
      add(name + " " + op + " " + Literal(column, *first.end));
    }
  }
  return out;
}

// ClusteringIndexFilter.toCQLString(metadata, rowFilter): the clustering restrictions, then
// the row filter's, then ORDER BY when reversed (` ORDER BY ...` in *order_by).
std::string ClusteringFilterText(const ReadCommand& cmd, std::string* order_by) {
  const TableMetadata& t = *cmd.table;
  std::string out = IsNamesFilter(t, cmd.slices) ? NamesText(t, cmd.slices)
                                                 : SlicesText(t, cmd.slices);
  if (!cmd.filter_text.empty()) out += (out.empty() ? "" : " AND ") + cmd.filter_text;
  if (cmd.reversed) {
    *order_by += " ORDER BY ";
    bool first = true;
    for (const ColumnMetadata* c : t.ClusteringColumns()) {
      *order_by += (first ? "" : ", ") + cql::QuoteIdentifier(c->name) +
                   (c->order == ClusteringOrder::kDesc ? " ASC" : " DESC");
      first = false;
    }
  }
  return out;
}

}  // namespace

std::string RowFilterCqlText(const std::vector<WhereClause::Filter>& filters,
                             const std::vector<std::vector<std::string>>& values) {
  std::vector<size_t> order(filters.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto rank = [&](size_t i) {
    const ColumnMetadata& c = *filters[i].column;
    return c.kind == ColumnKind::kPartitionKey ? 0 : c.kind == ColumnKind::kClustering ? 1 : 2;
  };
  // Within one column, as its merged restriction adds them: CONTAINS, CONTAINS KEY, then
  // `m[k] = v` (ContainsRestriction); a slice's start bound before its end (SliceRestriction).
  auto op_rank = [&](size_t i) {
    const WhereClause::Filter& f = filters[i];
    if (f.map_key) return 2;
    switch (f.op) {
      case Relation::Op::kContainsKey:
      case Relation::Op::kLt:
      case Relation::Op::kLte:
        return 1;
      default:
        return 0;
    }
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    const ColumnMetadata& ca = *filters[a].column;
    const ColumnMetadata& cb = *filters[b].column;
    if (&ca != &cb) return rank(a) < 2 ? ca.position < cb.position : ca.name < cb.name;
    return op_rank(a) < op_rank(b);
  });
  std::string out;
  for (size_t i : order) {
    const WhereClause::Filter& f = filters[i];
    const std::vector<std::string>& v = values[i];
    const cql::DataType& type = f.column->type;
    std::string expression = cql::QuoteIdentifier(f.column->name);
    auto literal = [](const cql::DataType& t, const std::string& bytes) {
      auto value = cql::DeserializeValue(bytes, t);
      return value.ok() ? value->ToCqlLiteral(t) : std::string("?");
    };
    if (f.map_key && v.size() == 2) {
      expression += "[" + literal(type.params()[0], v[1]) + "] = " + literal(type.params()[1], v[0]);
    } else if (f.op == Relation::Op::kIn) {
      expression += " IN [";
      for (size_t j = 0; j < v.size(); ++j) expression += (j > 0 ? ", " : "") + literal(type, v[j]);
      expression += "]";
    } else if (!v.empty()) {
      const cql::DataType* value_type = &type;
      if (f.op == Relation::Op::kContainsKey) {
        value_type = &type.params()[0];
      } else if (f.op == Relation::Op::kContains) {
        value_type = &type.params()[type.kind() == cql::TypeKind::kMap ? 1 : 0];
      }
      expression += std::string(" ") + RelationOpText(f.op) + " " + literal(*value_type, v[0]);
    }
    out += (out.empty() ? "" : " AND ") + expression;
  }
  return out;
}

std::string ReadCommandCqlText(const ReadCommand& cmd, bool wildcard,
                               const std::vector<std::string>* partition, int64_t row_limit) {
  const TableMetadata& t = *cmd.table;
  std::string out = "SELECT ";
  // ColumnFilter.toCQLString: `*` for a wildcard or when no static or regular column is
  // queried; otherwise the queried ones, statics then regulars, each by name (select order).
  std::vector<const ColumnMetadata*> statics, regulars;
  for (uint32_t id : cmd.columns) {
    const ColumnMetadata* c = t.FindColumnById(id);
    if (c == nullptr) continue;
    (c->kind == ColumnKind::kStatic ? statics : regulars).push_back(c);
  }
  if (wildcard || (statics.empty() && regulars.empty())) {
    out += "*";
  } else {
    auto by_name = [](const ColumnMetadata* a, const ColumnMetadata* b) {
      return a->name < b->name;
    };
    std::sort(statics.begin(), statics.end(), by_name);
    std::sort(regulars.begin(), regulars.end(), by_name);
    bool first = true;
    for (const auto* group : {&statics, &regulars}) {
      for (const ColumnMetadata* c : *group) {
        if (!first) out += ", ";
        first = false;
        out += cql::QuoteIdentifier(c->name);
      }
    }
  }
  out += " FROM " + cql::QuoteIdentifier(t.keyspace) + "." + cql::QuoteIdentifier(t.name);
  std::string order_by;
  const std::string clustering = ClusteringFilterText(cmd, &order_by);
  if (partition != nullptr) {
    // SinglePartitionReadCommand.appendCQLWhereClause: the key (DecoratedKey.toCQLString), then
    // the clustering and row filters, then ORDER BY.
    auto columns = t.PartitionKeyColumns();
    out += " WHERE ";
    for (size_t i = 0; i < columns.size() && i < partition->size(); ++i) {
      if (i > 0) out += " AND ";
      out += cql::QuoteIdentifier(columns[i]->name) + " = " + Literal(*columns[i], (*partition)[i]);
    }
    if (!clustering.empty()) out += " AND " + clustering;
    out += order_by;
  } else {
    // PartitionRangeReadCommand / DataRange.toCQLString: token bounds, then the clustering
    // filter.
    std::string where;
    std::string token = "token(";
    auto columns = t.PartitionKeyColumns();
    for (size_t i = 0; i < columns.size(); ++i) {
      token += (i > 0 ? ", " : "") + cql::QuoteIdentifier(columns[i]->name);
    }
    token += ")";
    if (cmd.token_start) {
      where += fmt::format("{} {} {}", token, cmd.token_start->inclusive ? ">=" : ">",
                           cmd.token_start->token);
    }
    if (cmd.token_end) {
      where += fmt::format("{}{} {} {}", where.empty() ? "" : " AND ", token,
                           cmd.token_end->inclusive ? "<=" : "<", cmd.token_end->token);
    }
    if (!clustering.empty()) where += (where.empty() ? "" : " AND ") + clustering;
    if (!where.empty()) out += " WHERE " + where;
    out += order_by;
  }
  // DataLimits.toString: the command's row limit (the page size or what LIMIT leaves), then the
  // per-partition one (1 for DISTINCT).
  const int64_t per_partition = cmd.distinct ? 1 : cmd.per_partition_limit;
  if (row_limit != INT64_MAX) {
    out += fmt::format(" LIMIT {}", row_limit);
  }
  if (per_partition != INT64_MAX) {
    out += fmt::format(" PER PARTITION LIMIT {}", per_partition);
  }
  out += " ALLOW FILTERING";
  return out;
}

Result<ReadResult> ReadWithTombstoneThresholds(ExecutionContext& ctx, ReadCommand& cmd,
                                               bool wildcard) {
  const bool respect = RespectsThresholds(*cmd.table);
  if (respect) cmd.tombstone_failure_threshold = ctx.thresholds.tombstone_failure;
  auto result = ctx.db->storage().Read(cmd);
  if (!result.ok()) {
    if (respect && result.error().code() == StatusCode::kTooLarge) {
      return CqlError(cql::ErrorCode::kReadFailure, result.error().message());
    }
    return result.error();
  }
  if (!respect) return result;
  auto warn = [&](int64_t live_rows, int64_t tombstones, int64_t token,
                  const std::vector<std::string>* partition, int64_t row_limit) {
    if (tombstones <= ctx.thresholds.tombstone_warn) return;
    std::string query = ReadCommandCqlText(cmd, wildcard, partition, row_limit);
    if (query.size() > 512) query.resize(512);  // %1.512s
    ctx.warnings.push_back(
        fmt::format("Read {} live rows and {} tombstone cells for query {}; token {} (see "
                    "tombstone_warn_threshold)",
                    live_rows, tombstones, query, token));
  };
  if (cmd.partition_keys.empty()) {
    warn(result->live_rows, result->tombstones, result->last_token, nullptr, cmd.row_limit);
    return result;
  }
  // One command per partition in Cassandra, each with its own count and warning; paged, each
  // command's limit is what the page has left after the partitions before it.
  for (const ReadResult::PartitionCounts& p : result->partitions) {
    int64_t row_limit = cmd.row_limit;
    if (ctx.page_size && row_limit != INT64_MAX) row_limit -= p.rows_before;
    warn(p.live_rows, p.tombstones, p.token, &cmd.partition_keys[p.partition_index], row_limit);
  }
  return result;
}

}  // namespace postfork::node::cql3
