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

std::string ReadCommandCqlText(const ReadCommand& cmd, bool wildcard) {
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
  if (!cmd.partition_keys.empty()) {
    // One command per partition in Cassandra; the last one read stands for them here.
    const std::vector<std::string>& key = cmd.partition_keys.back();
    auto columns = t.PartitionKeyColumns();
    out += " WHERE ";
    for (size_t i = 0; i < columns.size() && i < key.size(); ++i) {
      if (i > 0) out += " AND ";
      auto value = cql::DeserializeValue(key[i], columns[i]->type);
      out += cql::QuoteIdentifier(columns[i]->name) + " = " +
             (value.ok() ? value->ToCqlLiteral(columns[i]->type) : std::string("?"));
    }
  }
  // DataLimits.toString: the command's row limit (the page size or what LIMIT leaves), then the
  // per-partition one (1 for DISTINCT).
  const int64_t per_partition = cmd.distinct ? 1 : cmd.per_partition_limit;
  if (cmd.row_limit != INT64_MAX) {
    out += fmt::format(" LIMIT {}", cmd.row_limit);
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
  if (respect && result->tombstones > ctx.thresholds.tombstone_warn) {
    std::string query = ReadCommandCqlText(cmd, wildcard);
    if (query.size() > 512) query.resize(512);  // %1.512s
    ctx.warnings.push_back(
        fmt::format("Read {} live rows and {} tombstone cells for query {}; token {} (see "
                    "tombstone_warn_threshold)",
                    result->live_rows, result->tombstones, query, result->last_token));
  }
  return result;
}

}  // namespace postfork::node::cql3
