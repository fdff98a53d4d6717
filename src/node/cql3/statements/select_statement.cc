#include "node/cql3/statements/select_statement.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <tuple>

#include "node/cql3/functions/functions.h"
#include "node/cql3/functions/json.h"
#include "node/cql3/statements/restrictions.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "postfork/cql/murmur3.h"

namespace postfork::node::cql3 {
namespace {

constexpr std::string_view kPagingMagic = "PFP1";
constexpr int32_t kInternalPage = 10000;  // rows per storage read while aggregating

const char* kFilteringMessage =
    "Cannot execute this query as it might involve data filtering and thus may have "
    "unpredictable performance. If you want to execute this query despite the performance "
    "unpredictability, use ALLOW FILTERING";

std::string BigintBytes(int64_t v) {
  std::string out;
  cql::ByteWriter(&out).WriteLong(v);
  return out;
}
std::string IntBytes(int32_t v) {
  std::string out;
  cql::ByteWriter(&out).WriteInt(v);
  return out;
}

class SelectStatementImpl final : public CqlStatement {
 public:
  std::string_view kind() const override { return "select"; }

  Status Prepare(const SelectStatement& stmt, std::shared_ptr<const TableMetadata> table,
                 int bind_count) {
    table_meta_ = std::move(table);
    const TableMetadata& t = *table_meta_;
    keyspace_ = t.keyspace;
    table_ = t.name;
    json_ = stmt.json;
    BindCollector binds(&t, bind_count);
    distinct_ = stmt.distinct;

    // Selectors (their markers, none here, would come first).
    auto add_output = [&](Output o, std::string name, cql::DataType type) {
      outputs_.push_back(o);
      result_metadata_.columns.push_back(
          cql::ColumnSpec{t.keyspace, t.name, std::move(name), type});
    };
    if (stmt.select_star) {
      if (distinct_)
        return InvalidRequest("SELECT DISTINCT queries must request partition key columns");
      for (const auto& col : t.columns) add_output(ColumnOutput(col), col.name, col.type);
    } else {
      for (const auto& sel : stmt.selectors) {
        std::string alias = sel.alias;
        switch (sel.kind) {
          case Selector::Kind::kColumn: {
            const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
            if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
            if (distinct_ && col->kind != ColumnKind::kPartitionKey &&
                col->kind != ColumnKind::kStatic) {
              return InvalidRequest(
                  "SELECT DISTINCT queries must only request partition key columns and/or static "
                  "columns (not " +
                  col->name + ")");
            }
            add_output(ColumnOutput(*col), alias.empty() ? col->name : alias, col->type);
            break;
          }
          case Selector::Kind::kCountStar:
            has_count_ = true;
            add_output(MakeOutput(Output::Kind::kCountStar, 0), alias.empty() ? "count" : alias,
                       cql::DataType(cql::TypeKind::kBigint));
            break;
          case Selector::Kind::kCount: {
            const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
            if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
            has_count_ = true;
            Output o = ColumnOutput(*col);
            o.count = true;
            add_output(o, alias.empty() ? "system.count(" + col->name + ")" : alias,
                       cql::DataType(cql::TypeKind::kBigint));
            break;
          }
          case Selector::Kind::kField: {
            PF_ASSIGN_OR_RETURN(auto field, PrepareField(sel, t));
            auto& [output, type, name] = field;
            add_output(std::move(output), alias.empty() ? name : alias, type);
            break;
          }
          case Selector::Kind::kFunction: {
            PF_ASSIGN_OR_RETURN(auto fn, PrepareFunction(sel, t, binds));
            auto& [output, type, name] = fn;
            add_output(std::move(output), alias.empty() ? name : alias, type);
            break;
          }
          case Selector::Kind::kTerm: {
            PF_ASSIGN_OR_RETURN(auto term, PrepareTerm(sel, nullptr, binds, sel.term_text));
            auto& [output, type, name] = term;
            add_output(std::move(output), alias.empty() ? name : alias, type);
            break;
          }
          case Selector::Kind::kAggregate: {
            const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
            if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
            Output o = ColumnOutput(*col);
            o.aggregate = sel.function == "min"   ? Aggregator::kMin
                          : sel.function == "max" ? Aggregator::kMax
                          : sel.function == "sum" ? Aggregator::kSum
                                                  : Aggregator::kAvg;
            cql::DataType type = col->type.kind() == cql::TypeKind::kCounter
                                     ? cql::DataType(cql::TypeKind::kBigint)
                                     : col->type;
            bool arithmetic = o.aggregate == Aggregator::kSum || o.aggregate == Aggregator::kAvg;
            if (arithmetic && NumericWidth(type.kind()) == 0) {
              return InvalidRequest(fmt::format(
                  "Invalid call to function system.{}: its argument {} of type {} is not one of "
                  "tinyint, smallint, int, bigint, counter, float, double",
                  sel.function, col->name, col->type.ToCql()));
            }
            o.value_type = type;
            has_count_ = true;
            add_output(o, alias.empty() ? fmt::format("system.{}({})", sel.function, col->name)
                                        : alias,
                       type);
            break;
          }
          case Selector::Kind::kToken: {
            auto pk = t.PartitionKeyColumns();
            if (sel.columns.size() != pk.size()) {
              return InvalidRequest(
                  "Invalid number of arguments in call to function system.token: " +
                  std::to_string(pk.size()) + " required but " +
                  std::to_string(sel.columns.size()) + " provided");
            }
            std::string args;
            for (size_t i = 0; i < pk.size(); ++i) {
              if (sel.columns[i] != pk[i]->name) {
                return InvalidRequest("Type error: " + sel.columns[i] +
                                      " cannot be passed as argument " + std::to_string(i) +
                                      " of function system.token");
              }
              args += (i ? ", " : "") + pk[i]->name;
            }
            add_output(MakeOutput(Output::Kind::kToken, 0),
                       alias.empty() ? "system.token(" + args + ")" : alias,
                       cql::DataType(cql::TypeKind::kBigint));
            break;
          }
          case Selector::Kind::kWritetime:
          case Selector::Kind::kTtl: {
            const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
            if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
            bool wt = sel.kind == Selector::Kind::kWritetime;
            if (col->is_primary_key()) {
              return InvalidRequest(
                  fmt::format("Cannot use selection function {} on PRIMARY KEY part {}",
                              wt ? "writeTime" : "ttl", col->name));
            }
            Output o = ColumnOutput(*col);
            o.kind = wt ? Output::Kind::kWritetime : Output::Kind::kTtl;
            add_output(
                o,
                alias.empty() ? fmt::format("{}({})", wt ? "writetime" : "ttl", col->name) : alias,
                cql::DataType(wt ? cql::TypeKind::kBigint : cql::TypeKind::kInt));
            break;
          }
        }
      }
    }
    if (!stmt.group_by.empty()) {
      // GROUP BY: a prefix of the primary key, in its declared order (Cassandra's rule).
      std::vector<const ColumnMetadata*> key = t.PartitionKeyColumns();
      for (const ColumnMetadata* c : t.ClusteringColumns()) key.push_back(c);
      const char* kOrder =
          "Group by currently only support groups of columns following their declared order in "
          "the PRIMARY KEY";
      if (stmt.group_by.size() > key.size()) return InvalidRequest(kOrder);
      for (size_t i = 0; i < stmt.group_by.size(); ++i) {
        const ColumnMetadata* col = t.FindColumn(stmt.group_by[i]);
        if (!col) return InvalidRequest("Undefined column name " + stmt.group_by[i]);
        if (col != key[i]) return InvalidRequest(kOrder);
        group_by_.push_back(col);
      }
      if (group_by_.size() < t.partition_key_size()) {
        return InvalidRequest("Group by is not supported on only a part of the partition key");
      }
      has_count_ = true;
    }
    if (json_) {
      // SELECT JSON: one text column, [json], holding each row as an object.
      json_columns_ = std::move(result_metadata_.columns);
      result_metadata_.columns = {
          cql::ColumnSpec{t.keyspace, t.name, "[json]", cql::DataType(cql::TypeKind::kText)}};
    }
    result_metadata_.column_count = static_cast<int32_t>(result_metadata_.columns.size());

    PF_ASSIGN_OR_RETURN(
        where_, AnalyzeWhere(stmt.where, t, binds, /*for_select=*/true, stmt.allow_filtering));
    ChooseIndex(t);
    if (index_) {
      auto is_in = [](const KeyRestriction& r) { return r.in_marker || r.values.size() > 1; };
      bool key_in = std::any_of(where_.partition.begin(), where_.partition.end(), is_in) ||
                    std::any_of(where_.clustering_eq.begin(), where_.clustering_eq.end(), is_in) ||
                    where_.multi_values.size() > 1;
      if (key_in) {
        return InvalidRequest(
            "Select on indexed columns and with IN clause for the PRIMARY KEY are not supported");
      }
    }
    // Filters that only the key parts restrict (a partial partition key) and the restriction an
    // index answers need no ALLOW FILTERING once an index is used, as in Cassandra.
    size_t unfiltered = index_ ? 1 : 0;
    if (where_.partition_any && !where_.partition_complete) {
      if (!stmt.allow_filtering && !index_) return InvalidRequest(kFilteringMessage);
      // Partial partition keys become filters over a scan.
      for (auto& r : where_.partition) {
        if (!r.column) continue;
        WhereClause::Filter f{
            r.column,
            r.in_marker || r.values.size() != 1 ? Relation::Op::kIn : Relation::Op::kEq,
            {},
            {},
            {}};
        if (r.in_marker) return InvalidRequest("IN ? on a partial partition key is not supported");
        if (f.op == Relation::Op::kEq) {
          f.value = r.values[0];
        } else {
          f.in_values = r.values;
        }
        where_.filters.push_back(std::move(f));
        r.column = nullptr;
        ++unfiltered;
      }
      where_.partition_any = false;
    }
    // A storage-attached index answers =, ranges and CONTAINS on its column, and several of them
    // combine by AND, with no ALLOW FILTERING (the node reads the index or the table and filters).
    if (!index_ || IsStorageAttached(*index_)) {
      size_t sai_answered = 0;
      for (const auto& f : where_.filters) {
        bool op_ok = f.op != Relation::Op::kIn && f.op != Relation::Op::kNeq && !f.map_key;
        if (op_ok && SaiIndexOn(t, f.column->id)) ++sai_answered;
      }
      if (sai_answered == where_.filters.size()) unfiltered = where_.filters.size();
    }
    if (where_.filters.size() > unfiltered && !stmt.allow_filtering) {
      return InvalidRequest(kFilteringMessage);
    }
    if (!where_.partition_complete && where_.clustering_restricted() > 0 && !stmt.allow_filtering &&
        !index_) {
      return InvalidRequest(kFilteringMessage);
    }
    bool non_static_filter =
        std::any_of(where_.filters.begin(), where_.filters.end(), [](const auto& f) {
          return f.column->kind == ColumnKind::kRegular || f.column->kind == ColumnKind::kClustering;
        });
    if (distinct_ && (where_.clustering_restricted() > 0 || non_static_filter)) {
      return InvalidRequest(
          "SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or "
          "static columns.");
    }
    // Filtered columns are read along with the selected ones.
    for (const auto& f : where_.filters) {
      if (f.column->kind == ColumnKind::kRegular || f.column->kind == ColumnKind::kStatic) {
        filter_cells_.push_back(CellIndex(f.column->id));
      } else {
        filter_cells_.push_back(SIZE_MAX);
      }
    }

    if (!stmt.ann.empty()) PF_RETURN_IF_ERROR(PrepareAnn(stmt, t, binds));
    // ORDER BY.
    if (!stmt.order_by.empty() && index_) {
      return InvalidRequest("ORDER BY with 2ndary indexes is not supported.");
    }
    if (!stmt.order_by.empty()) {
      if (!where_.partition_complete) {
        return InvalidRequest(
            "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.");
      }
      auto ck = t.ClusteringColumns();
      std::optional<bool> reversed;
      for (size_t i = 0; i < stmt.order_by.size(); ++i) {
        const auto& [name, desc] = stmt.order_by[i];
        const ColumnMetadata* col = t.FindColumn(name);
        if (!col) return InvalidRequest("Undefined column name " + name);
        if (col->kind != ColumnKind::kClustering) {
          return InvalidRequest(
              "Order by is currently only supported on the clustered columns of "
              "the PRIMARY KEY, got " +
              name);
        }
        if (static_cast<size_t>(col->position) != i) {
          return InvalidRequest(
              "Order by currently only supports the ordering of columns "
              "following their declared order in the PRIMARY KEY");
        }
        bool declared_desc = col->order == ClusteringOrder::kDesc;
        bool r = desc != declared_desc;
        if (reversed && *reversed != r) {
          return InvalidRequest("Unsupported order by relation");
        }
        reversed = r;
      }
      reversed_ = reversed.value_or(false);
      ordered_ = true;
      (void)ck;
    }
    cql::DataType int_type(cql::TypeKind::kInt);
    if (stmt.per_partition_limit) {
      PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(*stmt.per_partition_limit, int_type,
                                                      "[per_partition_limit]"));
      per_partition_limit_ = std::move(v);
    }
    if (stmt.limit) {
      PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(*stmt.limit, int_type, "[limit]"));
      limit_ = std::move(v);
    }
    std::vector<const ValueSource*> pk_sources;
    for (const auto& r : where_.partition) {
      pk_sources.push_back(r.column && r.values.size() == 1 && !r.in_marker ? &r.values[0]
                                                                            : nullptr);
    }
    for (const ValueSource* s : pk_sources) {
      if (!s || s->kind != ValueSource::Kind::kMarker) {
        pk_indexes_.clear();
        break;
      }
      pk_indexes_.push_back(static_cast<uint16_t>(s->marker));
    }
    bind_specs_ = binds.Take();
    return Status::Ok();
  }

  bool is_point_read() const override {
    if (!where_.partition_complete || index_ || has_count_ || !where_.filters.empty()) {
      return false;
    }
    for (const auto& r : where_.partition) {
      if (r.values.size() != 1 || r.in_marker) return false;
    }
    const size_t clustering = table_meta_->clustering_count;
    if (clustering == 0) return true;
    if (where_.clustering_eq.size() != clustering) return false;
    for (const auto& r : where_.clustering_eq) {
      if (r.values.size() != 1 || r.in_marker) return false;
    }
    return true;
  }

  Result<StatementResult> Execute(ExecutionContext& ctx) const override {
    const TableMetadata& t = *table_meta_;
    for (const Output& o : outputs_) {  // bound values of term selectors, checked once
      if (o.kind == Output::Kind::kTerm) PF_RETURN_IF_ERROR(ResolveValue(*o.term, ctx).status());
    }
    ReadCommand cmd;
    cmd.table = table_meta_;
    cmd.now_seconds = ctx.now_in_seconds;
    if (where_.partition_complete) {
      PF_ASSIGN_OR_RETURN(cmd.partition_keys, ResolvePartitionKeys(where_, ctx));
    } else {
      cmd.scan = !index_;
      if (where_.token_lower) {
        PF_ASSIGN_OR_RETURN(int64_t v, ResolveInt64(*where_.token_lower, ctx));
        cmd.token_start = TokenBound{v, where_.token_lower_inclusive};
      }
      if (where_.token_upper) {
        PF_ASSIGN_OR_RETURN(int64_t v, ResolveInt64(*where_.token_upper, ctx));
        cmd.token_end = TokenBound{v, where_.token_upper_inclusive};
      }
    }
    PF_ASSIGN_OR_RETURN(cmd.slices, ResolveSlices(where_, t, ctx));
    // Storage walks the slices (kept in declared order) backwards when reversed.
    cmd.reversed = reversed_;
    if (where_.clustering_restricted() > 0 && cmd.slices.empty()) {
      // `c IN ()`: no clustering key can match, so no partition is read.
      cmd.scan = false;
      cmd.partition_keys.clear();
    }
    cmd.columns = cell_columns_;
    cmd.distinct = distinct_;
    if (per_partition_limit_) {
      PF_ASSIGN_OR_RETURN(int32_t v,
                          ResolveLimit(*per_partition_limit_, ctx, "PER PARTITION LIMIT"));
      cmd.per_partition_limit = v;
    }
    int64_t limit = INT64_MAX;
    if (limit_) {
      PF_ASSIGN_OR_RETURN(int32_t v, ResolveLimit(*limit_, ctx, "LIMIT"));
      limit = v;
    }
    if (!where_.filters.empty()) {
      std::vector<std::vector<std::string>> resolved;
      for (const auto& f : where_.filters) {
        std::vector<std::string> vals;
        auto add = [&](const ValueSource& s) -> Status {
          PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(s, ctx));
          if (raw.kind != cql::RawValue::Kind::kBytes) {
            return InvalidRequest("Unsupported null or unset value for column " + f.column->name);
          }
          vals.emplace_back(raw.bytes);
          return Status::Ok();
        };
        if (f.op == Relation::Op::kIn) {
          for (const auto& s : f.in_values) PF_RETURN_IF_ERROR(add(s));
        } else {
          PF_RETURN_IF_ERROR(add(f.value));
          if (f.map_key) PF_RETURN_IF_ERROR(add(*f.map_key));
        }
        resolved.push_back(std::move(vals));
      }
      if (index_ && !where_.partition_complete) {
        // The lookup reads the index's entries for the value; the filter re-checks each row.
        const std::vector<std::string>& v = resolved[index_filter_];
        ReadCommand::IndexLookup lookup;
        lookup.storage_id = index_->storage_id;
        lookup.column_id = index_->column_id;
        lookup.target = index_->target;
        if (index_->target == IndexTarget::kEntries) {
          lookup.value = v[1];
          lookup.map_value = v[0];
        } else {
          lookup.value = v[0];
        }
        cmd.index = std::move(lookup);
      }
      cmd.filter = [this, resolved = std::move(resolved)](const ReadRow& row) {
        for (size_t i = 0; i < where_.filters.size(); ++i) {
          const auto& f = where_.filters[i];
          std::optional<std::string_view> cell;
          if (f.column->kind == ColumnKind::kPartitionKey) {
            cell = row.partition_key[static_cast<size_t>(f.column->position)];
          } else if (f.column->kind == ColumnKind::kClustering) {
            if (static_cast<size_t>(f.column->position) < row.clustering.size()) {
              cell = row.clustering[static_cast<size_t>(f.column->position)];
            }
          } else if (row.cells[filter_cells_[i]]) {
            cell = row.cells[filter_cells_[i]]->value;
          }
          if (!Matches(f, cell, resolved[i])) return false;
        }
        return true;
      };
    }

    StatementResult result;
    std::string ann_query;
    if (ann_) {
      PF_RETURN_IF_ERROR(ApplyAnn(ctx, limit_ ? limit : -1, &cmd, &ann_query));
      limit = cmd.row_limit;
    }
    if (has_count_) {
      // Cassandra's client warnings for aggregates and GROUP BY (SelectStatement.execute).
      auto is_in = [](const KeyRestriction& r) { return r.in_marker || r.values.size() > 1; };
      if (!where_.partition_complete) {
        ctx.warnings.push_back("Aggregation query used without partition key");
      } else if (std::any_of(where_.partition.begin(), where_.partition.end(), is_in)) {
        ctx.warnings.push_back(
            "Aggregation query used on multiple partition keys (IN restriction)");
      }
      PF_ASSIGN_OR_RETURN(result.body, Aggregate(ctx, cmd));
      return result;
    }

    // Paging: the state carries the rows already returned (for LIMIT) and storage's position.
    int64_t returned = 0;
    if (ctx.paging_state && !ctx.paging_state->empty()) {
      std::string_view ps = *ctx.paging_state;
      if (ps.size() < kPagingMagic.size() + 8 ||
          ps.substr(0, kPagingMagic.size()) != kPagingMagic) {
        return ProtocolError("Invalid value for the paging state");
      }
      returned = static_cast<int64_t>(cql::LoadBE64(ps.data() + kPagingMagic.size()));
      cmd.resume_position = std::string(ps.substr(kPagingMagic.size() + 8));
      if (returned < 0) returned = 0;
    }
    int64_t remaining = limit - returned;
    bool paged = ctx.page_size && *ctx.page_size > 0;
    cmd.row_limit = remaining;
    if (paged) cmd.row_limit = std::min<int64_t>(remaining, *ctx.page_size);
    if (!json_ && !ann_ && !(ordered_ && cmd.partition_keys.size() > 1) && cmd.row_limit > 0 &&
        OutputsAreStoredValues()) {
      return ExecuteDirect(ctx, cmd, returned, limit);
    }
    ReadResult rows;
    if (ann_) {
      // Exact nearest neighbours: every matching row is read and scored (rows without a vector
      // have no score, as SAI does not index them), the best `limit` in one page.
      cmd.row_limit = INT64_MAX;
      cmd.resume_position.clear();
      PF_ASSIGN_OR_RETURN(rows, ctx.db->storage().Read(cmd));
      std::vector<std::pair<float, size_t>> scored;
      for (size_t i = 0; i < rows.rows.size(); ++i) {
        const auto& cell = rows.rows[i].cells[ann_->cell];
        if (!cell || cell->value.empty()) continue;
        scored.emplace_back(VectorSimilarity(ann_->similarity, cell->value, ann_query), i);
      }
      std::stable_sort(scored.begin(), scored.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      if (static_cast<int64_t>(scored.size()) > remaining) {
        scored.resize(static_cast<size_t>(std::max<int64_t>(remaining, 0)));
      }
      std::vector<ReadRow> best;
      for (const auto& [score, i] : scored) best.push_back(std::move(rows.rows[i]));
      rows.rows = std::move(best);
      rows.has_more = false;
    } else if (ordered_ && cmd.partition_keys.size() > 1) {
      // IN on the partition key with ORDER BY: every partition's rows are merged in clustering
      // order (Cassandra's post-query ordering), so the whole result is read, then sorted.
      if (paged) {
        return InvalidRequest(
            "Cannot page queries with both ORDER BY and a IN restriction on the partition key; "
            "you must either remove the ORDER BY or the IN and sort client side, or disable "
            "paging for this query");
      }
      cmd.row_limit = INT64_MAX;
      PF_ASSIGN_OR_RETURN(rows, ctx.db->storage().Read(cmd));
      auto ck = table_meta_->ClusteringColumns();
      std::stable_sort(rows.rows.begin(), rows.rows.end(),
                       [&](const ReadRow& a, const ReadRow& b) {
                         size_t n = std::min(a.clustering.size(), b.clustering.size());
                         for (size_t i = 0; i < n && i < ck.size(); ++i) {
                           int c = CompareValues(ck[i]->type, a.clustering[i], b.clustering[i]);
                           if (c == 0) continue;
                           if (ck[i]->order == ClusteringOrder::kDesc) c = -c;
                           return reversed_ ? c > 0 : c < 0;
                         }
                         return false;
                       });
      if (static_cast<int64_t>(rows.rows.size()) > remaining) {
        rows.rows.resize(static_cast<size_t>(std::max<int64_t>(remaining, 0)));
      }
      rows.has_more = false;
    } else if (cmd.row_limit > 0) {
      PF_ASSIGN_OR_RETURN(rows, ctx.db->storage().Read(cmd));
      const std::vector<std::string>* last = LastRequestedPartitionWithOneRow(cmd);
      if (last && !rows.rows.empty() && rows.rows.back().partition_key == *last) {
        rows.has_more = false;
      }
    }
    cql::ResultMessage msg;
    msg.kind = cql::ResultKind::kRows;
    cql::RowsMetadata& meta = msg.rows.metadata;
    meta.column_count = result_metadata_.column_count;
    meta.no_metadata = ctx.skip_metadata;
    if (!ctx.skip_metadata) meta.columns = result_metadata_.columns;
    meta.new_metadata_id = ctx.new_metadata_id;
    int64_t now_returned = returned + static_cast<int64_t>(rows.rows.size());
    if (rows.has_more && now_returned < limit) {
      std::string ps(kPagingMagic);
      cql::ByteWriter(&ps).WriteLong(now_returned);
      ps += rows.resume_position;
      meta.paging_state = std::move(ps);
    }
    std::deque<std::string> computed;
    msg.rows.row_count = static_cast<int32_t>(rows.rows.size());
    msg.rows.cells.reserve(rows.rows.size() * outputs_.size());
    std::vector<std::optional<std::string_view>> json_cells;
    for (const ReadRow& row : rows.rows) {
      if (!json_) {
        for (const Output& o : outputs_) msg.rows.cells.push_back(Cell(o, row, &computed, ctx));
        continue;
      }
      json_cells.clear();
      for (const Output& o : outputs_) {
        cql::RawValue v = Cell(o, row, &computed, ctx);
        json_cells.push_back(v.is_null() ? std::nullopt : std::optional<std::string_view>(v.bytes));
      }
      computed.push_back(JsonRow(json_cells));
      msg.rows.cells.push_back(cql::RawValue::Of(computed.back()));
    }
    if (!ctx.evaluation_error.ok()) return ctx.evaluation_error;
    cql::ByteWriter w(&result.body);
    msg.Encode(w, ctx.protocol_version);
    return result;
  }

 private:
  enum class Aggregator { kNone, kMin, kMax, kSum, kAvg };

  struct FunctionCall;

  struct Output {
    enum class Kind {
      kPartitionKey,
      kClustering,
      kCell,
      kToken,
      kWritetime,
      kTtl,
      kCountStar,
      kFunction,
      kField,  // field `index` of the user type value call->args[0]
      kTerm,   // a constant or bound value (`term`)
    };
    Kind kind = Kind::kCell;
    size_t index = 0;    // key position or index into cell_columns_
    bool count = false;  // count(column)
    Aggregator aggregate = Aggregator::kNone;  // min, max, sum, avg of the column
    std::shared_ptr<const FunctionCall> call;  // kFunction
    std::shared_ptr<const ValueSource> term;   // kTerm
    cql::DataType value_type;                  // the aggregate's argument and result type
  };

  // A scalar function over columns or nested calls (functions/scalar.h).
  struct FunctionCall {
    std::string name;
    std::vector<cql::DataType> arg_types;
    std::vector<Output> args;
    // The function when it checks its arguments at execution (similarity_cosine), else null.
    const NativeFunction* check = nullptr;
  };

  // Whether every output is a stored value as read (a key component or a cell), so rows can be
  // encoded as storage finds them.
  bool OutputsAreStoredValues() const {
    for (const Output& o : outputs_) {
      if (o.kind != Output::Kind::kPartitionKey && o.kind != Output::Kind::kClustering &&
          o.kind != Output::Kind::kCell) {
        return false;
      }
    }
    return true;
  }

  // Writes each row's cells, as storage hands them over, into a ROWS body's row content: the
  // same bytes Cell() and EncodeRowsResult produce, without a ReadRow or a RawValue per cell.
  // Without clustering columns a partition holds one row at most, so a page that ends on the
  // last requested partition ends the result: no paging state, as Cassandra sends none. The
  // partition to look for, or null where the rule does not apply.
  const std::vector<std::string>* LastRequestedPartitionWithOneRow(const ReadCommand& cmd) const {
    if (cmd.partition_keys.empty() || !table_meta_->ClusteringColumns().empty()) return nullptr;
    return &cmd.partition_keys.back();
  }

  class RowsWriter final : public RowSink {
   public:
    // `last_requested`: a partition key (or null) for last_row_in_it().
    RowsWriter(const std::vector<Output>& outputs, std::string* out,
               const std::vector<std::string>* last_requested)
        : outputs_(outputs), out_(out), last_requested_(last_requested) {}
    // Whether the last row written is in `last_requested`.
    bool last_row_in_it() const { return last_row_in_it_; }
    void Row(const RowView& row) override {
      if (last_requested_) last_row_in_it_ = row.partition_key == *last_requested_;
      cql::ByteWriter w(out_);
      for (const Output& o : outputs_) {
        switch (o.kind) {
          case Output::Kind::kPartitionKey:
            w.WriteBytes(std::string_view(row.partition_key[o.index]));
            break;
          case Output::Kind::kClustering:
            if (o.index < row.clustering.size()) {
              w.WriteBytes(std::string_view(row.clustering[o.index]));
            } else {
              w.WriteInt(-1);
            }
            break;
          default:  // kCell (OutputsAreStoredValues)
            if (row.cells[o.index].present) {
              w.WriteBytes(row.cells[o.index].value);
            } else {
              w.WriteInt(-1);
            }
            break;
        }
      }
    }

   private:
    const std::vector<Output>& outputs_;
    std::string* out_;
    const std::vector<std::string>* last_requested_;
    bool last_row_in_it_ = false;
  };

  // A plain SELECT (OutputsAreStoredValues, no JSON, no post-query ordering): the rows are
  // encoded as storage reads them into a per-thread buffer that keeps its capacity, then put
  // behind the metadata.
  Result<StatementResult> ExecuteDirect(const ExecutionContext& ctx, ReadCommand& cmd,
                                        int64_t returned, int64_t limit) const {
    thread_local std::string row_bytes;
    row_bytes.clear();
    RowsWriter writer(outputs_, &row_bytes, LastRequestedPartitionWithOneRow(cmd));
    cmd.sink = &writer;
    PF_ASSIGN_OR_RETURN(ReadResult rows, ctx.db->storage().Read(cmd));
    if (writer.last_row_in_it()) rows.has_more = false;
    cql::RowsMetadata meta;
    meta.column_count = result_metadata_.column_count;
    meta.no_metadata = ctx.skip_metadata;
    if (!ctx.skip_metadata) meta.columns = result_metadata_.columns;
    meta.new_metadata_id = ctx.new_metadata_id;
    int64_t now_returned = returned + rows.row_count;
    if (rows.has_more && now_returned < limit) {
      std::string ps(kPagingMagic);
      cql::ByteWriter(&ps).WriteLong(now_returned);
      ps += rows.resume_position;
      meta.paging_state = std::move(ps);
    }
    StatementResult result;
    result.body.reserve(row_bytes.size() + 64);
    cql::ByteWriter w(&result.body);
    cql::EncodeRowsResult(meta, static_cast<int32_t>(rows.row_count), {}, w, ctx.protocol_version);
    result.body.append(row_bytes);
    // A huge page should not pin its buffer for the thread's life.
    if (row_bytes.capacity() > (1u << 20)) std::string().swap(row_bytes);
    return result;
  }

  // A function selector: its output, result type and Cassandra's column name.
  Result<std::tuple<Output, cql::DataType, std::string>> PrepareFunction(const Selector& sel,
                                                                         const TableMetadata& t,
                                                                         BindCollector& binds) {
    auto call = std::make_shared<FunctionCall>();
    call->name = sel.function;
    std::string args_text;
    PF_ASSIGN_OR_RETURN(std::optional<std::vector<cql::DataType>> factory_params,
                        FactoryParameters(sel, t, binds));
    for (const Selector& a : sel.args) {
      Output o;
      cql::DataType type;
      std::string text;
      if (a.kind == Selector::Kind::kColumn) {
        const ColumnMetadata* col = t.FindColumn(a.columns[0]);
        if (!col) return InvalidRequest("Undefined column name " + a.columns[0]);
        o = ColumnOutput(*col);
        type = col->type;
        text = col->name;
      } else if (a.kind == Selector::Kind::kFunction) {
        PF_ASSIGN_OR_RETURN(auto nested, PrepareFunction(a, t, binds));
        std::tie(o, type, text) = std::move(nested);
      } else if (a.kind == Selector::Kind::kField) {
        PF_ASSIGN_OR_RETURN(auto nested, PrepareField(a, t));
        std::tie(o, type, text) = std::move(nested);
      } else if (a.kind == Selector::Kind::kTerm) {
        // A literal or marker argument takes the parameter's type when every overload of this
        // arity agrees on it (Cassandra infers it from the function's signature).
        std::optional<cql::DataType> expected;
        std::string fn = sel.function == "cast" ? "" : sel.function;
        size_t position = call->args.size();
        bool agreed = !fn.empty();
        for (const NativeFunction* f : FunctionRegistry::Native().Overloads(fn)) {
          if (f->params.size() != sel.args.size() || f->AcceptsAny(position)) continue;
          if (expected && !(*expected == f->params[position])) agreed = false;
          expected = f->params[position];
        }
        if (!agreed) expected.reset();
        if (factory_params) {
          expected = (*factory_params)[position];
          if (!IsAssignable(a.term, *expected)) {
            return InvalidRequest(fmt::format(
                "Type error: {} cannot be passed as argument {} of function system.{} of type {}",
                TermText(a.term), position, sel.function, expected->ToCql()));
          }
        }
        PF_ASSIGN_OR_RETURN(auto term,
                            PrepareTerm(a, expected ? &*expected : nullptr, binds,
                                        fmt::format("arg{}(system.{})", position, sel.function)));
        std::tie(o, type, text) = std::move(term);
      } else {
        return InvalidRequest("Arguments of system." + sel.function +
                              " must be columns or function calls");
      }
      call->args.push_back(std::move(o));
      call->arg_types.push_back(std::move(type));
      args_text += (args_text.empty() ? "" : ", ") + text;
    }
    std::string name = fmt::format("system.{}({})", sel.function, args_text);
    if (sel.function == "cast") {
      // The target type rides as a second argument type; Cassandra names the column
      // cast(x as type).
      auto target = cql::DataType::Parse(sel.cast_type);
      if (!target.ok() || !target->is_native()) {
        return InvalidRequest(fmt::format("Unknown type {} in cast", sel.cast_type));
      }
      call->arg_types.push_back(*target);
      name = fmt::format("cast({} as {})", args_text, target->ToCql());
    }
    PF_ASSIGN_OR_RETURN(cql::DataType result, ScalarResultType(call->name, call->arg_types));
    if (auto f = FunctionRegistry::Native().Resolve(call->name, call->arg_types);
        f.ok() && (*f)->check) {
      call->check = *f;
    }
    Output out = MakeOutput(Output::Kind::kFunction, 0);
    out.call = std::move(call);
    return std::make_tuple(std::move(out), std::move(result), std::move(name));
  }

  // The parameter types of a call of a factory function (functions/functions.h), inferred from
  // its arguments as Cassandra's FunctionFactory does; nullopt for other functions.
  Result<std::optional<std::vector<cql::DataType>>> FactoryParameters(const Selector& sel,
                                                                      const TableMetadata& t,
                                                                      BindCollector& binds) {
    auto overloads = FunctionRegistry::Native().Overloads(sel.function);
    if (overloads.size() != 1 || !overloads[0]->factory)
      return std::optional<std::vector<cql::DataType>>();
    std::vector<ArgumentHint> hints;
    for (const Selector& a : sel.args) {
      ArgumentHint h;
      if (a.kind == Selector::Kind::kColumn) {
        const ColumnMetadata* col = t.FindColumn(a.columns[0]);
        if (!col) return InvalidRequest("Undefined column name " + a.columns[0]);
        h.type = col->type;
        h.text = col->name;
      } else if (a.kind == Selector::Kind::kFunction) {
        PF_ASSIGN_OR_RETURN(auto nested, PrepareFunction(a, t, binds));
        h.type = std::get<1>(nested);
        h.text = std::get<2>(nested);
      } else if (a.kind == Selector::Kind::kTerm) {
        h.text = a.term_text;
        if (!a.cast_type.empty()) {
          auto parsed = cql::DataType::Parse(a.cast_type);
          if (parsed.ok()) h.type = *parsed;
        } else if (a.term.kind == Term::Kind::kList) {
          h.array_literal_size = a.term.elements.size();
        } else if (a.term.kind == Term::Kind::kSetOrMap && !a.term.elements.empty()) {
          // Cassandra's getCompatibleTypeIfKnown: a set or map of its elements' types.
          auto first = PreferredLiteralType(a.term.elements[0]);
          auto second =
              a.term.elements.size() > 1 ? PreferredLiteralType(a.term.elements[1]) : std::nullopt;
          if (first && !a.term.is_map) h.type = cql::DataType::Set(*first);
          if (first && second && a.term.is_map) h.type = cql::DataType::Map(*first, *second);
        } else if (a.term.kind == Term::Kind::kString) {
          h.type = cql::DataType(cql::TypeKind::kAscii);  // Constants' compatible type
        } else {
          h.type = PreferredLiteralType(a.term);
        }
      }
      hints.push_back(std::move(h));
    }
    PF_ASSIGN_OR_RETURN(auto params, InferFactoryParameters(*overloads[0], hints));
    return std::optional<std::vector<cql::DataType>>(std::move(params));
  }

  // A term selector (or argument): its type is the cast's, else `expected`, else the literal's
  // own (Cassandra's getExactTypeIfKnown); a marker without either cannot be typed.
  Result<std::tuple<Output, cql::DataType, std::string>> PrepareTerm(const Selector& sel,
                                                                     const cql::DataType* expected,
                                                                     BindCollector& binds,
                                                                     const std::string& receiver) {
    std::optional<cql::DataType> type;
    if (!sel.cast_type.empty()) {
      auto parsed = cql::DataType::Parse(sel.cast_type);
      if (!parsed.ok()) return InvalidRequest("Unknown type " + sel.cast_type);
      type = *parsed;
    } else if (expected) {
      type = *expected;
    } else {
      type = PreferredLiteralType(sel.term);
      if (!type) {
        return InvalidRequest(fmt::format(
            "Cannot infer type for term {} in selection clause (try using a cast to force a "
            "type)",
            sel.term_text));
      }
    }
    PF_ASSIGN_OR_RETURN(ValueSource source, binds.Source(sel.term, *type, receiver));
    Output out = MakeOutput(Output::Kind::kTerm, 0);
    out.term = std::make_shared<const ValueSource>(std::move(source));
    return std::make_tuple(std::move(out), *type, sel.term_text);
  }

  // `u.f`: a field of a user type column (or of a field selection), named as Cassandra does.
  Result<std::tuple<Output, cql::DataType, std::string>> PrepareField(const Selector& sel,
                                                                     const TableMetadata& t) {
    const Selector& inner = sel.args[0];
    Output in;
    cql::DataType type;
    std::string text;
    if (inner.kind == Selector::Kind::kColumn) {
      const ColumnMetadata* col = t.FindColumn(inner.columns[0]);
      if (!col) return InvalidRequest("Undefined column name " + inner.columns[0]);
      in = ColumnOutput(*col);
      type = col->type;
      text = col->name;
    } else if (inner.kind == Selector::Kind::kField) {
      PF_ASSIGN_OR_RETURN(auto nested, PrepareField(inner, t));
      std::tie(in, type, text) = std::move(nested);
    } else {
      return InvalidRequest("Invalid field selection: only columns and fields have fields");
    }
    if (type.kind() != cql::TypeKind::kUdt) {
      return InvalidRequest(fmt::format("Invalid field selection: {} of type {} is not a user type",
                                        text, type.ToCql()));
    }
    const auto& names = type.field_names();
    auto it = std::find(names.begin(), names.end(), sel.function);
    if (it == names.end()) {
      return InvalidRequest(fmt::format("{} of type {} has no field {}", text, type.ToCql(),
                                        sel.function));
    }
    size_t index = static_cast<size_t>(it - names.begin());
    auto call = std::make_shared<FunctionCall>();
    call->args.push_back(std::move(in));
    Output out = MakeOutput(Output::Kind::kField, index);
    out.call = std::move(call);
    return std::make_tuple(std::move(out), type.params()[index], text + "." + sel.function);
  }

  static Output MakeOutput(Output::Kind kind, size_t index) {
    Output o;
    o.kind = kind;
    o.index = index;
    return o;
  }

  size_t CellIndex(uint32_t column_id) {
    for (size_t i = 0; i < cell_columns_.size(); ++i) {
      if (cell_columns_[i] == column_id) return i;
    }
    cell_columns_.push_back(column_id);
    return cell_columns_.size() - 1;
  }

  Output ColumnOutput(const ColumnMetadata& col) {
    switch (col.kind) {
      case ColumnKind::kPartitionKey:
        return MakeOutput(Output::Kind::kPartitionKey, static_cast<size_t>(col.position));
      case ColumnKind::kClustering:
        return MakeOutput(Output::Kind::kClustering, static_cast<size_t>(col.position));
      default:
        return MakeOutput(Output::Kind::kCell, CellIndex(col.id));
    }
  }

  cql::RawValue Cell(const Output& o, const ReadRow& row, std::deque<std::string>* computed,
                     const ExecutionContext& ctx) const {
    switch (o.kind) {
      case Output::Kind::kPartitionKey:
        return cql::RawValue::Of(row.partition_key[o.index]);
      case Output::Kind::kClustering:
        if (o.index < row.clustering.size()) return cql::RawValue::Of(row.clustering[o.index]);
        return cql::RawValue::Null();
      case Output::Kind::kCell:
        if (row.cells[o.index]) return cql::RawValue::Of(row.cells[o.index]->value);
        return cql::RawValue::Null();
      case Output::Kind::kToken: {
        std::string key;
        if (row.partition_key.size() == 1) {
          key = row.partition_key[0];
        } else {
          std::vector<std::string_view> comps(row.partition_key.begin(), row.partition_key.end());
          key = cql::CompositePartitionKey(comps);
        }
        computed->push_back(BigintBytes(cql::Murmur3Token(key)));
        return cql::RawValue::Of(computed->back());
      }
      case Output::Kind::kWritetime:
        if (!row.cells[o.index]) return cql::RawValue::Null();
        computed->push_back(BigintBytes(row.cells[o.index]->timestamp));
        return cql::RawValue::Of(computed->back());
      case Output::Kind::kTtl:
        if (!row.cells[o.index] || row.cells[o.index]->ttl == 0) return cql::RawValue::Null();
        computed->push_back(IntBytes(row.cells[o.index]->ttl));
        return cql::RawValue::Of(computed->back());
      case Output::Kind::kFunction: {
        std::vector<std::optional<std::string>> args;
        for (const Output& a : o.call->args) {
          cql::RawValue v = Cell(a, row, computed, ctx);
          args.push_back(v.is_null() ? std::nullopt : std::optional<std::string>(v.bytes));
        }
        if (o.call->check && ctx.evaluation_error.ok()) {
          ctx.evaluation_error = CheckArguments(*o.call->check, o.call->arg_types, args);
        }
        auto r = EvaluateScalar(o.call->name, o.call->arg_types, args, ctx.now_micros);
        if (!r) return cql::RawValue::Null();
        computed->push_back(std::move(*r));
        return cql::RawValue::Of(computed->back());
      }
      case Output::Kind::kField: {
        cql::RawValue v = Cell(o.call->args[0], row, computed, ctx);
        if (v.is_null()) return v;
        cql::ByteReader r(v.bytes);
        for (size_t i = 0; !r.empty(); ++i) {
          auto f = r.ReadBytes();
          if (!f.ok()) break;
          if (i == o.index) return *f ? cql::RawValue::Of(**f) : cql::RawValue::Null();
        }
        return cql::RawValue::Null();
      }
      case Output::Kind::kTerm: {
        // Markers were type-checked by ResolveValue; an unset one reads as null.
        auto v = ResolveValue(*o.term, ctx);
        if (!v.ok() || v->kind != cql::RawValue::Kind::kBytes) return cql::RawValue::Null();
        computed->push_back(std::string(v->bytes));
        return cql::RawValue::Of(computed->back());
      }
      case Output::Kind::kCountStar:
        break;
    }
    return cql::RawValue::Null();
  }

  // Bytes of an integer type (tinyint 1 .. bigint/counter 8), -4/-8 for float/double, 0 for
  // the rest (not summable).
  static int NumericWidth(cql::TypeKind k) {
    switch (k) {
      case cql::TypeKind::kTinyint:
        return 1;
      case cql::TypeKind::kSmallint:
        return 2;
      case cql::TypeKind::kInt:
        return 4;
      case cql::TypeKind::kBigint:
      case cql::TypeKind::kCounter:
        return 8;
      case cql::TypeKind::kFloat:
        return -4;
      case cql::TypeKind::kDouble:
        return -8;
      default:
        return 0;
    }
  }

  // min/max/sum/avg state of one output over every row read.
  struct Accumulator {
    std::optional<std::string> best;  // min, max
    int64_t integer_sum = 0;          // wraps as Java's long; narrowed like Java's int/short
    double float_sum = 0;
    int64_t count = 0;
  };

  void Accumulate(const Output& o, std::string_view v, Accumulator* acc) const {
    if (o.aggregate == Aggregator::kMin || o.aggregate == Aggregator::kMax) {
      int cmp = acc->best ? CompareValues(o.value_type, v, *acc->best) : 0;
      if (!acc->best || (o.aggregate == Aggregator::kMin ? cmp < 0 : cmp > 0)) acc->best = v;
      return;
    }
    int width = NumericWidth(o.value_type.kind());
    if (static_cast<int>(v.size()) != (width < 0 ? -width : width)) return;  // empty value
    ++acc->count;
    if (width == -4) {
      uint32_t bits = cql::LoadBE32(v.data());
      float f;
      std::memcpy(&f, &bits, sizeof f);
      acc->float_sum += f;
    } else if (width == -8) {
      uint64_t bits = cql::LoadBE64(v.data());
      double d;
      std::memcpy(&d, &bits, sizeof d);
      acc->float_sum += d;
    } else {
      uint64_t raw = 0;
      for (int i = 0; i < width; ++i) raw = (raw << 8) | static_cast<uint8_t>(v[static_cast<size_t>(i)]);
      int shift = 64 - 8 * width;  // sign-extend
      int64_t value = static_cast<int64_t>(raw << shift) >> shift;
      acc->integer_sum = static_cast<int64_t>(static_cast<uint64_t>(acc->integer_sum) +
                                              static_cast<uint64_t>(value));
    }
  }

  std::optional<std::string> Finish(const Output& o, const Accumulator& acc) const {
    if (o.aggregate == Aggregator::kMin || o.aggregate == Aggregator::kMax) return acc.best;
    int width = NumericWidth(o.value_type.kind());
    bool avg = o.aggregate == Aggregator::kAvg;
    std::string out;
    if (width < 0) {
      double v = avg ? (acc.count ? acc.float_sum / static_cast<double>(acc.count) : 0) : acc.float_sum;
      if (width == -4) {
        float f = static_cast<float>(v);
        uint32_t bits;
        std::memcpy(&bits, &f, sizeof bits);
        for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(bits >> (8 * i)));
      } else {
        uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(bits >> (8 * i)));
      }
      return out;
    }
    int64_t v = avg ? (acc.count ? acc.integer_sum / acc.count : 0) : acc.integer_sum;
    for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
    return out;
  }

  // The GROUP BY columns' values of a row (empty without GROUP BY: one group).
  std::vector<std::string_view> GroupKey(const ReadRow& row) const {
    std::vector<std::string_view> key;
    for (const ColumnMetadata* c : group_by_) {
      size_t pos = static_cast<size_t>(c->position);
      if (c->kind == ColumnKind::kPartitionKey) {
        key.push_back(row.partition_key[pos]);
      } else {
        key.push_back(pos < row.clustering.size() ? std::string_view(row.clustering[pos])
                                                  : std::string_view());
      }
    }
    return key;
  }

  // Aggregates and GROUP BY: rows fold into one result row per group (one row in all without
  // GROUP BY, even over no rows). Plain columns show the group's first row, as in Cassandra.
  // LIMIT counts result rows.
  Result<std::string> Aggregate(const ExecutionContext& ctx, ReadCommand& cmd) const {
    int64_t limit = INT64_MAX;
    if (limit_) {
      PF_ASSIGN_OR_RETURN(int32_t v, ResolveLimit(*limit_, ctx, "LIMIT"));
      limit = v;
    }
    struct Group {
      std::vector<int64_t> counts;
      std::vector<Accumulator> accumulators;
      std::vector<std::optional<std::string>> firsts;  // plain columns, from the first row
      std::vector<std::string> key;
    };
    std::vector<std::optional<std::string>> cells;  // finished groups, row-major
    int64_t groups_out = 0;
    std::optional<Group> group;
    auto finish = [&](Group& g) {
      for (size_t i = 0; i < outputs_.size(); ++i) {
        const Output& o = outputs_[i];
        if (o.kind == Output::Kind::kCountStar || o.count) {
          cells.push_back(BigintBytes(g.counts[i]));
        } else if (o.aggregate != Aggregator::kNone) {
          cells.push_back(Finish(o, g.accumulators[i]));
        } else {
          cells.push_back(g.firsts[i]);
        }
      }
      ++groups_out;
    };
    auto start = [&](const ReadRow* row) {
      Group g;
      g.counts.assign(outputs_.size(), 0);
      g.accumulators.resize(outputs_.size());
      g.firsts.resize(outputs_.size());
      if (row) {
        for (auto k : GroupKey(*row)) g.key.emplace_back(k);
        std::deque<std::string> scratch;
        for (size_t i = 0; i < outputs_.size(); ++i) {
          cql::RawValue v = Cell(outputs_[i], *row, &scratch, ctx);
          if (!v.is_null()) g.firsts[i] = std::string(v.bytes);
        }
      }
      return g;
    };
    // With GROUP BY, PER PARTITION LIMIT counts groups, not rows (Cassandra's
    // GroupByAwareCounter): storage reads every row and groups past the limit are skipped.
    int64_t groups_per_partition = INT64_MAX;
    if (!group_by_.empty()) std::swap(groups_per_partition, cmd.per_partition_limit);
    std::vector<std::string> partition;
    int64_t partition_groups = 0;
    bool done = false;
    while (!done) {
      cmd.row_limit = kInternalPage;
      PF_ASSIGN_OR_RETURN(ReadResult rows, ctx.db->storage().Read(cmd));
      for (const ReadRow& row : rows.rows) {
        if (row.partition_key != partition) {
          partition = row.partition_key;
          partition_groups = 0;
        }
        if (group && !group_by_.empty()) {
          auto key = GroupKey(row);
          if (!std::equal(key.begin(), key.end(), group->key.begin(), group->key.end())) {
            finish(*group);
            group.reset();
            if (groups_out >= limit) {
              done = true;
              break;
            }
          }
        }
        if (!group) {
          if (partition_groups >= groups_per_partition) continue;
          group = start(&row);
          ++partition_groups;
        }
        for (size_t i = 0; i < outputs_.size(); ++i) {
          const Output& o = outputs_[i];
          if (o.kind == Output::Kind::kCountStar) {
            ++group->counts[i];
            continue;
          }
          std::deque<std::string> scratch;
          cql::RawValue v = Cell(o, row, &scratch, ctx);
          if (v.is_null()) continue;
          ++group->counts[i];
          if (o.aggregate != Aggregator::kNone) Accumulate(o, v.bytes, &group->accumulators[i]);
        }
      }
      if (done || !rows.has_more) break;
      cmd.resume_position = rows.resume_position;
    }
    if (group && groups_out < limit) finish(*group);
    if (!group && groups_out == 0 && group_by_.empty()) {  // no rows: one row of empty results
      Group empty = start(nullptr);
      finish(empty);
    }
    cql::ResultMessage msg;
    msg.kind = cql::ResultKind::kRows;
    msg.rows.metadata.column_count = result_metadata_.column_count;
    msg.rows.metadata.no_metadata = ctx.skip_metadata;
    if (!ctx.skip_metadata) msg.rows.metadata.columns = result_metadata_.columns;
    msg.rows.metadata.new_metadata_id = ctx.new_metadata_id;
    msg.rows.row_count = static_cast<int32_t>(groups_out);
    if (json_) {
      std::vector<std::optional<std::string>> rows_json;
      std::vector<std::optional<std::string_view>> row;
      for (size_t at = 0; at < cells.size(); at += outputs_.size()) {
        row.clear();
        for (size_t i = 0; i < outputs_.size(); ++i) {
          const auto& c = cells[at + i];
          row.push_back(c ? std::optional<std::string_view>(*c) : std::nullopt);
        }
        rows_json.push_back(JsonRow(row));
      }
      cells = std::move(rows_json);
    }
    msg.rows.cells.reserve(cells.size());
    for (const auto& c : cells) {
      msg.rows.cells.push_back(c ? cql::RawValue::Of(*c) : cql::RawValue::Null());
    }
    std::string body;
    cql::ByteWriter w(&body);
    msg.Encode(w, ctx.protocol_version);
    return body;
  }

  static Result<int64_t> ResolveInt64(const ValueSource& s, const ExecutionContext& ctx) {
    PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(s, ctx));
    if (raw.kind != cql::RawValue::Kind::kBytes || raw.bytes.size() != 8) {
      return InvalidRequest("Invalid null or unset value for " + s.receiver);
    }
    return static_cast<int64_t>(cql::LoadBE64(raw.bytes.data()));
  }

  static Result<int32_t> ResolveLimit(const ValueSource& s, const ExecutionContext& ctx,
                                      std::string_view what) {
    PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(s, ctx));
    if (raw.is_unset()) return INT32_MAX;
    if (raw.is_null())
      return InvalidRequest(fmt::format("Invalid null value of {}",
                                        what == "LIMIT" ? "limit" : "per partition limit"));
    if (raw.bytes.size() != 4) return InvalidRequest(fmt::format("Invalid {} value", what));
    int32_t v = static_cast<int32_t>(cql::LoadBE32(raw.bytes.data()));
    if (v <= 0) return InvalidRequest(fmt::format("{} must be strictly positive", what));
    return v;
  }

  bool Matches(const WhereClause::Filter& f, std::optional<std::string_view> cell,
               const std::vector<std::string>& values) const {
    if (!cell) return false;
    const cql::DataType& type = f.column->type;
    if (f.op == Relation::Op::kContains || f.op == Relation::Op::kContainsKey || f.map_key) {
      return CollectionHas(f, *cell, values);
    }
    switch (f.op) {
      case Relation::Op::kEq:
        return CompareValues(type, *cell, values[0]) == 0;
      case Relation::Op::kNeq:
        return CompareValues(type, *cell, values[0]) != 0;
      case Relation::Op::kLt:
        return CompareValues(type, *cell, values[0]) < 0;
      case Relation::Op::kLte:
        return CompareValues(type, *cell, values[0]) <= 0;
      case Relation::Op::kGt:
        return CompareValues(type, *cell, values[0]) > 0;
      case Relation::Op::kGte:
        return CompareValues(type, *cell, values[0]) >= 0;
      case Relation::Op::kIn:
        for (const auto& v : values) {
          if (CompareValues(type, *cell, v) == 0) return true;
        }
        return false;
      default:
        return false;
    }
  }

  // CONTAINS (an element; a map's value), CONTAINS KEY and `m[key] = value` on the serialized
  // collection `cell`. `values`: the element or key, then (map element) the key.
  static bool CollectionHas(const WhereClause::Filter& f, std::string_view cell,
                            const std::vector<std::string>& values) {
    const cql::DataType& type = f.column->type;
    bool is_map = type.kind() == cql::TypeKind::kMap;
    cql::ByteReader r(cell);
    auto n = r.ReadInt();
    if (!n.ok()) return false;
    for (int32_t i = 0; i < *n; ++i) {
      auto element = r.ReadBytes();
      if (!element.ok() || !*element) return false;
      std::optional<std::string_view> map_value;
      if (is_map) {
        auto v = r.ReadBytes();
        if (!v.ok() || !*v) return false;
        map_value = **v;
      }
      if (f.map_key) {
        if (CompareValues(type.params()[0], **element, values[1]) == 0) {
          return CompareValues(type.params()[1], *map_value, values[0]) == 0;
        }
      } else if (f.op == Relation::Op::kContainsKey || !is_map) {
        if (CompareValues(type.params()[0], **element, values[0]) == 0) return true;
      } else if (CompareValues(type.params()[1], *map_value, values[0]) == 0) {
        return true;
      }
    }
    return false;
  }

  // Picks the index that answers one of the filters (the first such, in WHERE order):
  // EQ on a simple or full() index, CONTAINS on values(), CONTAINS KEY on keys(), `m[k] = v` on
  // entries(). Used unless the partition key is fully restricted (a partition read is cheaper).
  // ORDER BY c ANN OF v: Cassandra 5.0's checks (StatementRestrictions, SelectStatement).
  Status PrepareAnn(const SelectStatement& stmt, const TableMetadata& t, BindCollector& binds) {
    if (stmt.ann.size() > 1) return InvalidRequest("Cannot specify more than one ANN ordering");
    const auto& ann = stmt.ann[0];
    const ColumnMetadata* col = t.FindColumn(ann.column);
    if (!col) {
      return InvalidRequest(
          fmt::format("Undefined column name {} in table {}.{}", ann.column, t.keyspace, t.name));
    }
    // The query vector is prepared against the column first (Ordering.Raw.Ann).
    if (col->type.kind() != cql::TypeKind::kVector && ann.vector.kind == Term::Kind::kList &&
        col->type.kind() != cql::TypeKind::kList) {
      return InvalidRequest(fmt::format(
          "Unexpected receiver type '{}'; only list and vector are expected", col->type.ToCql()));
    }
    AnnPlan plan;
    PF_ASSIGN_OR_RETURN(plan.vector, binds.Source(ann.vector, col->type, col->name));
    if (!stmt.order_by.empty()) {
      return InvalidRequest("ANN ordering does not support any other ordering");
    }
    if (ann.descending) return InvalidRequest("Descending ANN ordering is not supported");
    const IndexMetadata* sai = SaiIndexOn(t, col->id);
    if (!sai) return InvalidRequest("ANN ordering by vector requires the column to be indexed");
    if (col->type.kind() != cql::TypeKind::kVector ||
        col->type.params()[0].kind() != cql::TypeKind::kFloat) {
      return InvalidRequest("ANN ordering is only supported on float vector indexes");
    }
    bool unindexed_filter =
        std::any_of(where_.filters.begin(), where_.filters.end(),
                    [&](const auto& f) { return !SaiIndexOn(t, f.column->id); });
    if (unindexed_filter || where_.clustering_restricted() > 0) {
      return InvalidRequest(
          "ANN ordering by vector requires all restricted column(s) to be indexed");
    }
    if (has_count_) return InvalidRequest("Top-K queries can not be run with aggregation");
    if (stmt.per_partition_limit) {
      return InvalidRequest("Top-K queries do not support per-partition limits");
    }
    plan.column = col;
    plan.cell = CellIndex(col->id);
    auto it = sai->options.find("similarity_function");
    plan.similarity = it == sai->options.end() ? "cosine" : it->second;
    for (char& c : plan.similarity) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    ann_ = std::make_shared<AnnPlan>(std::move(plan));
    return Status::Ok();
  }

  static const IndexMetadata* SaiIndexOn(const TableMetadata& t, uint32_t column_id) {
    for (const IndexMetadata& index : t.indexes) {
      if (index.column_id == column_id && IsStorageAttached(index)) {
        return &index;
      }
    }
    return nullptr;
  }

  // The execution-time checks of an ANN query (LIMIT required and at most SAI's top-k maximum),
  // and its query vector (*query). `limit` is -1 without a LIMIT clause. Sets cmd->row_limit to the
  // limit.
  Status ApplyAnn(const ExecutionContext& ctx, int64_t limit, ReadCommand* cmd,
                  std::string* query) const {
    if (limit < 0) {
      return InvalidRequest(
          "Top-K queries must have a limit specified and the limit must be less than the query "
          "page size");
    }
    constexpr int64_t kMaxTopK = 1000;  // cassandra.sai.vector_search.max_top_k
    if (limit > kMaxTopK) {
      return InvalidRequest(fmt::format(
          "Use of ANN OF in an ORDER BY clause requires a LIMIT that is not greater than {}. "
          "LIMIT was {}",
          kMaxTopK, limit));
    }
    PF_ASSIGN_OR_RETURN(cql::RawValue v, ResolveValue(ann_->vector, ctx));
    if (v.kind != cql::RawValue::Kind::kBytes) {
      return InvalidRequest("Unsupported null value for column " + ann_->column->name);
    }
    *query = std::string(v.bytes);
    cmd->row_limit = limit;
    return Status::Ok();
  }

  void ChooseIndex(const TableMetadata& t) {
    for (size_t i = 0; i < where_.filters.size() && !index_; ++i) {
      const WhereClause::Filter& f = where_.filters[i];
      for (const IndexMetadata& index : t.indexes) {
        if (index.column_id != f.column->id) continue;
        bool eq = f.op == Relation::Op::kEq && !f.map_key;
        bool answers =
            (eq && (index.target == IndexTarget::kSimple || index.target == IndexTarget::kFull)) ||
            (f.op == Relation::Op::kContains && index.target == IndexTarget::kValues) ||
            (f.op == Relation::Op::kContainsKey && index.target == IndexTarget::kKeys) ||
            (f.map_key && index.target == IndexTarget::kEntries);
        if (answers) {
          index_ = index;
          index_filter_ = i;
          break;
        }
      }
    }
  }

  std::shared_ptr<const TableMetadata> table_meta_;
  WhereClause where_;
  std::optional<IndexMetadata> index_;  // the index the query reads, if any
  size_t index_filter_ = 0;             // the filter it answers (re-checked on every row)
  // ORDER BY c ANN OF v.
  struct AnnPlan {
    const ColumnMetadata* column = nullptr;
    size_t cell = 0;         // the vector's cell in read rows
    ValueSource vector;      // the query vector
    std::string similarity;  // cosine, euclidean or dot_product (the index's option)
  };
  std::shared_ptr<const AnnPlan> ann_;
  std::vector<Output> outputs_;
  std::vector<uint32_t> cell_columns_;
  std::vector<size_t> filter_cells_;
  bool distinct_ = false;
  // SELECT JSON: each result row is one JSON object of the selected columns.
  std::string JsonRow(const std::vector<std::optional<std::string_view>>& cells) const {
    std::string out = "{";
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out.append(", ");
      AppendJsonString(JsonColumnName(json_columns_[i].name), &out);
      out.append(": ");
      out.append(ToJson(cells[i], json_columns_[i].type));
    }
    out.push_back('}');
    return out;
  }

  bool json_ = false;
  std::vector<cql::ColumnSpec> json_columns_;  // SELECT JSON: the columns inside the objects
  bool has_count_ = false;  // an aggregate or GROUP BY: rows are folded into result rows
  std::vector<const ColumnMetadata*> group_by_;
  bool reversed_ = false;
  bool ordered_ = false;  // ORDER BY given
  std::optional<ValueSource> limit_, per_partition_limit_;
};

}  // namespace

Result<std::unique_ptr<CqlStatement>> PrepareSelect(const SelectStatement& stmt,
                                                    std::shared_ptr<const TableMetadata> table,
                                                    int bind_count) {
  auto s = std::make_unique<SelectStatementImpl>();
  PF_RETURN_IF_ERROR(s->Prepare(stmt, std::move(table), bind_count));
  return std::unique_ptr<CqlStatement>(std::move(s));
}

}  // namespace postfork::node::cql3
