#include "node/cql3/statements/select_statement.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <set>

#include "node/cql3/functions/functions.h"
#include "node/cql3/selection/aggregates.h"
#include "node/cql3/selection/selection.h"
#include "node/cql3/statements/read_thresholds.h"
#include "node/cql3/statements/restrictions.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/storage/key_encoding.h"
#include "postfork/base/ascii.h"

namespace postfork::node::cql3 {
namespace {

constexpr std::string_view kPagingMagic = "PFP1";
constexpr int32_t kInternalPage = 10000;  // rows per storage read while aggregating

const char* kFilteringMessage =
    "Cannot execute this query as it might involve data filtering and thus may have "
    "unpredictable performance. If you want to execute this query despite the performance "
    "unpredictability, use ALLOW FILTERING";

class SelectStatementImpl final : public CqlStatement {
 public:
  std::string_view kind() const override { return "select"; }

  // A SELECT reads: restrictions, then selection, then ordering and limits.
  Status Prepare(const SelectStatement& stmt, std::shared_ptr<const TableMetadata> table,
                 int bind_count, const KeyspaceMetadata* keyspace) {
    table_meta_ = std::move(table);
    const TableMetadata& t = *table_meta_;
    keyspace_ = t.keyspace;
    table_ = t.name;
    distinct_ = stmt.distinct;
    select_star_ = stmt.select_star;
    BindCollector binds(&t, bind_count, keyspace);
    // Selectors' markers come first, then WHERE's, then LIMIT's.
    PF_ASSIGN_OR_RETURN(selection_, selection::Selection::Prepare(stmt, t, binds));
    if (distinct_ && stmt.per_partition_limit) {
      return InvalidRequest("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries");
    }
    PF_RETURN_IF_ERROR(PrepareGroupBy(stmt, t, binds));
    aggregating_ = selection_.has_aggregate() || !group_by_.empty();
    if (group_by_.empty() && selection_.has_aggregate() && stmt.per_partition_limit) {
      return InvalidRequest("PER PARTITION LIMIT is not allowed with aggregate queries.");
    }
    result_metadata_.columns = selection_.result_columns();
    result_metadata_.column_count = static_cast<int32_t>(result_metadata_.columns.size());
    PF_RETURN_IF_ERROR(PrepareRestrictions(stmt, t, binds));
    if (distinct_) PF_RETURN_IF_ERROR(CheckDistinctSelection(t));
    if (!stmt.ann.empty()) PF_RETURN_IF_ERROR(PrepareAnn(stmt, t, binds));
    PF_RETURN_IF_ERROR(PrepareOrdering(stmt, t));
    PF_RETURN_IF_ERROR(PrepareLimits(stmt, binds));
    bind_specs_ = binds.Take();
    return Status::Ok();
  }

  bool is_point_read() const override {
    if (!where_.partition_complete || index_ || aggregating_ || !where_.filters.empty()) {
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

  // A token relation beside a complete partition key keeps the keys whose token it admits.
  Status KeepKeysInTokenRange(ExecutionContext& ctx,
                              std::vector<std::vector<std::string>>* partition_keys) const {
    if (!where_.token_lower && !where_.token_upper) return Status::Ok();
    std::optional<int64_t> lower, upper;
    if (where_.token_lower) {
      PF_ASSIGN_OR_RETURN(lower, ResolveInt64(*where_.token_lower, ctx));
    }
    if (where_.token_upper) {
      PF_ASSIGN_OR_RETURN(upper, ResolveInt64(*where_.token_upper, ctx));
    }
    std::erase_if(*partition_keys, [&](const std::vector<std::string>& key) {
      int64_t token = keys::TokenOf(key);
      bool above = !lower || token > *lower || (where_.token_lower_inclusive && token == *lower);
      bool below = !upper || token < *upper || (where_.token_upper_inclusive && token == *upper);
      return !(above && below);
    });
    return Status::Ok();
  }

  Result<StatementResult> Execute(ExecutionContext& ctx) const override {
    const TableMetadata& t = *table_meta_;
    PF_RETURN_IF_ERROR(selection_.CheckBoundTerms(ctx));
    ReadCommand cmd;
    cmd.table = table_meta_;
    cmd.now_seconds = ctx.now_in_seconds;
    if (where_.partition_complete) {
      PF_ASSIGN_OR_RETURN(cmd.partition_keys, ResolvePartitionKeys(where_, ctx));
      PF_RETURN_IF_ERROR(KeepKeysInTokenRange(ctx, &cmd.partition_keys));
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
    if (!where_.partition_complete) PF_RETURN_IF_ERROR(CheckIndexedKeyValueSizes(ctx));
    PF_ASSIGN_OR_RETURN(cmd.slices, ResolveSlices(where_, t, ctx));
    // Storage walks the slices (kept in declared order) backwards when reversed.
    cmd.reversed = reversed_;
    if (where_.clustering_restricted() > 0 && cmd.slices.empty()) {
      // `c IN ()`: no clustering key can match, so no partition is read.
      cmd.scan = false;
      cmd.partition_keys.clear();
    }
    cmd.columns = selection_.cell_columns();
    // A static compact table has one row a partition and no static row: its DISTINCT is a
    // plain read.
    cmd.distinct = distinct_ && !table_meta_->is_static_compact();
    if (per_partition_limit_) {
      PF_ASSIGN_OR_RETURN(int32_t v, ResolveLimit(*per_partition_limit_, ctx));
      cmd.per_partition_limit = v;
    }
    int64_t limit = INT64_MAX;
    if (limit_) {
      PF_ASSIGN_OR_RETURN(int32_t v, ResolveLimit(*limit_, ctx));
      limit = v;
    }
    if (!where_.filters.empty()) {
      std::vector<std::vector<std::string>> resolved;
      for (const auto& f : where_.filters) {
        std::vector<std::string> vals;
        // `what`: "value", or "map key" / "map value" for `m[key] = value` (Cassandra's RowFilter
        // checks the key first).
        auto resolve = [&](const ValueSource& s, std::string_view what) -> Result<std::string> {
          PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(s, ctx));
          if (raw.kind != cql::RawValue::Kind::kBytes) {
            return InvalidRequest(fmt::format("Unsupported {} {} for column {}",
                                              raw.is_null() ? "null" : "unset", what,
                                              f.column->name));
          }
          return std::string(raw.bytes);
        };
        if (f.op == Relation::Op::kIn) {
          for (const auto& s : f.in_values) {
            PF_ASSIGN_OR_RETURN(std::string v, resolve(s, "value"));
            vals.push_back(std::move(v));
          }
        } else if (f.map_key) {
          PF_ASSIGN_OR_RETURN(std::string key, resolve(*f.map_key, "map key"));
          PF_ASSIGN_OR_RETURN(std::string value, resolve(f.value, "map value"));
          vals.push_back(std::move(value));
          vals.push_back(std::move(key));
        } else {
          PF_ASSIGN_OR_RETURN(std::string v, resolve(f.value, "value"));
          vals.push_back(std::move(v));
        }
        resolved.push_back(std::move(vals));
      }
      cmd.filter_text = RowFilterCqlText(where_.filters, resolved);
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
        // A legacy index keys its entries by the value, which a 16-bit length bounds: Cassandra
        // refuses a longer one before reading (CassandraIndex.validate). Entries index the
        // composite of key and value (2 length bytes and an end byte per component).
        size_t indexed_size = lookup.value.size();
        if (index_->target == IndexTarget::kEntries) indexed_size += lookup.map_value.size() + 6;
        if (!IsStorageAttached(*index_) && indexed_size > kMaxIndexedValueBytes) {
          return InvalidRequest("Index expression values may not be larger than 64K");
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
    if (aggregating_) {
      // Cassandra's client warnings for aggregates and GROUP BY (SelectStatement.execute).
      auto is_in = [](const KeyRestriction& r) { return r.in_marker || r.values.size() > 1; };
      if (!where_.partition_complete) {
        ctx.warnings.push_back("Aggregation query used without partition key");
      } else if (std::any_of(where_.partition.begin(), where_.partition.end(), is_in)) {
        ctx.warnings.push_back(
            "Aggregation query used on multiple partition keys (IN restriction)");
      }
    }
    // IN on the partition key with ORDER BY is ordered after the read (Cassandra's
    // needsPostQueryOrdering), which a page cannot do; refused after the aggregation warnings.
    const bool post_ordered = ordered_ && cmd.partition_keys.size() > 1;
    if (post_ordered && !ann_ && ctx.page_size && *ctx.page_size > 0) {
      return InvalidRequest(
          "Cannot page queries with both ORDER BY and a IN restriction on the partition key; "
          "you must either remove the ORDER BY or the IN and sort client side, or disable "
          "paging for this query");
    }
    if (aggregating_) {
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
    if (!selection_.json() && !ann_ && !(ordered_ && cmd.partition_keys.size() > 1) &&
        cmd.row_limit > 0 && selection_.OutputsAreStoredValues()) {
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
    } else if (post_ordered) {
      // IN on the partition key with ORDER BY: every partition's rows are merged in clustering
      // order (Cassandra's post-query ordering), so the whole result is read, then sorted.
      cmd.row_limit = INT64_MAX;
      PF_ASSIGN_OR_RETURN(rows, ReadWithTombstoneThresholds(ctx, cmd, select_star_));
      std::stable_sort(rows.rows.begin(), rows.rows.end(), [&](const ReadRow& a, const ReadRow& b) {
        return PostOrderedBefore(a.clustering, b.clustering);
      });
      if (static_cast<int64_t>(rows.rows.size()) > remaining) {
        rows.rows.resize(static_cast<size_t>(std::max<int64_t>(remaining, 0)));
      }
      rows.has_more = false;
    } else if (cmd.row_limit > 0) {
      PF_ASSIGN_OR_RETURN(rows, ReadWithTombstoneThresholds(ctx, cmd, select_star_));
      const std::vector<std::string>* last = LastRequestedPartition(cmd);
      if (last && !rows.rows.empty() && rows.rows.back().partition_key == *last &&
          rows.rows.back().clustering.empty()) {
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
    selection::Scratch computed;
    msg.rows.row_count = static_cast<int32_t>(rows.rows.size());
    msg.rows.cells.reserve(rows.rows.size() * result_metadata_.columns.size());
    for (const ReadRow& row : rows.rows) selection_.AppendRow(row, &computed, ctx, &msg.rows);
    PF_RETURN_IF_ERROR(computed.error);
    cql::ByteWriter w(&result.body);
    msg.Encode(w, ctx.protocol_version);
    return result;
  }

 private:
  // Post-query ordering (Cassandra's orderResults): only the ORDER BY columns decide, a null (a
  // static-only row's clustering) before any value; rows equal in them keep their order.
  bool PostOrderedBefore(const std::vector<std::string>& a,
                         const std::vector<std::string>& b) const {
    auto ck = table_meta_->ClusteringColumns();
    for (size_t i = 0; i < ck.size() && i < order_columns_; ++i) {
      int c;
      if (i >= a.size() || i >= b.size()) {
        c = (i < a.size()) - (i < b.size());
      } else {
        c = CompareValues(ck[i]->type, a[i], b[i]);
        if (ck[i]->order == ClusteringOrder::kDesc) c = -c;
      }
      if (c == 0) continue;
      return reversed_ ? c > 0 : c < 0;
    }
    return false;
  }

  // Cassandra's single-partition pager knows a partition is over after a row without clustering:
  // the one row of a table without clustering columns, the static row of a partition that holds
  // only static data, or a DISTINCT row (one a partition). A page that ends on such a row of the
  // last requested partition ends the result: no paging state, as Cassandra sends none. The
  // partition to look for, or null for a range scan, which Cassandra's range pager never ends
  // early.
  const std::vector<std::string>* LastRequestedPartition(const ReadCommand& cmd) const {
    if (cmd.partition_keys.empty()) return nullptr;
    return &cmd.partition_keys.back();
  }

  // A plain SELECT (OutputsAreStoredValues, no JSON, no post-query ordering): the rows are
  // encoded as storage reads them into a per-thread buffer that keeps its capacity, then put
  // behind the metadata.
  Result<StatementResult> ExecuteDirect(ExecutionContext& ctx, ReadCommand& cmd, int64_t returned,
                                        int64_t limit) const {
    thread_local std::string row_bytes;
    row_bytes.clear();
    selection::RowsWriter writer(selection_, &row_bytes, LastRequestedPartition(cmd));
    cmd.sink = &writer;
    PF_ASSIGN_OR_RETURN(ReadResult rows, ReadWithTombstoneThresholds(ctx, cmd, select_star_));
    if (writer.last_row_ends_it()) rows.has_more = false;
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

  // GROUP BY: primary key columns in their declared order, where a key column left out must be
  // restricted by equality (Cassandra's rule); the groups are then those of the whole key prefix
  // up to the last column named. The last element may instead be a function of a clustering
  // column (Cassandra 5.0's getAggregationSpecFactory, its checks in its order): rows then group
  // by the prefix before that column and the function's value.
  Status PrepareGroupBy(const SelectStatement& stmt, const TableMetadata& t, BindCollector& binds) {
    if (stmt.group_by.empty()) return Status::Ok();
    std::vector<const ColumnMetadata*> key = t.PartitionKeyColumns();
    for (const ColumnMetadata* c : t.ClusteringColumns()) key.push_back(c);
    const char* kOrder =
        "Group by currently only support groups of columns following their declared order in "
        "the PRIMARY KEY";
    auto restricted_by_eq = [&](const ColumnMetadata* col) {
      return std::any_of(stmt.where.begin(), stmt.where.end(), [&](const Relation& r) {
        return r.lhs == Relation::Lhs::kColumn && r.op == Relation::Op::kEq && !r.map_key &&
               r.columns.size() == 1 && t.FindColumn(r.columns[0]) == col;
      });
    };
    size_t next = 0;
    for (const Selector& sel : stmt.group_by) {
      const ColumnMetadata* col = nullptr;
      if (sel.kind == Selector::Kind::kColumn) {
        col = t.FindColumn(sel.columns[0]);
        if (!col) return UndefinedColumn(sel.columns[0], t.keyspace, t.name);
        if (!col->is_primary_key()) {
          return InvalidRequest(
              "Group by is currently only supported on the columns of the PRIMARY KEY, got " +
              col->name);
        }
        if (group_function_) {
          return InvalidRequest(
              "Functions are only supported on the last element of the GROUP BY "
              "clause");
        }
      } else if (sel.kind == Selector::Kind::kAggregate || sel.kind == Selector::Kind::kCount ||
                 sel.kind == Selector::Kind::kCountStar) {
        return InvalidRequest(
            "Aggregate functions are not supported within the GROUP BY clause, got: system." +
            (sel.kind == Selector::Kind::kAggregate ? sel.function : std::string("count")));
      } else if ((sel.kind == Selector::Kind::kFunction && sel.function != "cast") ||
                 sel.kind == Selector::Kind::kOperation) {
        std::vector<const ColumnMetadata*> columns;
        PF_ASSIGN_OR_RETURN(selection::Output f,
                            selection_.PrepareGroupByFunction(sel, t, binds, &columns));
        if (columns.empty()) {
          return InvalidRequest(
              "GROUP BY functions must have one clustering column name as "
              "parameter");
        }
        if (columns.size() > 1) {
          std::string names;
          for (const ColumnMetadata* c : columns) {
            names += (names.empty() ? "" : ",") + cql::QuoteIdentifier(c->name);
          }
          return InvalidRequest(
              "GROUP BY functions accept only one clustering column as parameter, got: " + names);
        }
        col = columns[0];
        if (col->kind != ColumnKind::kClustering) {
          return InvalidRequest(
              "Group by functions are only supported on clustering columns, got " + col->name);
        }
        group_function_ = std::make_shared<const selection::Output>(std::move(f));
      } else {
        // Terms, casts, write times and the like: Cassandra 5.0 fails them with a server error
        // (a ClassCastException); the node refuses them with Selector.validateForGroupBy's text.
        return InvalidRequest(
            "Only column names and monotonic scalar functions are supported in the GROUP BY "
            "clause.");
      }
      while (true) {
        if (next == key.size()) return InvalidRequest(kOrder);
        const ColumnMetadata* k = key[next++];
        group_by_.push_back(k);
        if (k == col) break;
        if (!restricted_by_eq(k)) return InvalidRequest(kOrder);
      }
    }
    if (group_by_.size() < t.partition_key_size()) {
      return InvalidRequest("Group by is not supported on only a part of the partition key");
    }
    if (stmt.distinct && group_by_.size() > t.partition_key_size()) {
      return InvalidRequest(
          "Grouping on clustering columns is not allowed for SELECT DISTINCT queries");
    }
    return Status::Ok();
  }

  // Cassandra's selectOnlyStaticColumns: named selectors that read static columns and no column
  // but those and the partition key's.
  static bool SelectsOnlyStaticColumns(const SelectStatement& stmt, const TableMetadata& t) {
    if (stmt.select_star || stmt.selectors.empty()) return false;
    bool any_static = false, other = false;
    auto visit = [&](const Selector& sel, auto&& self) -> void {
      for (const std::string& name : sel.columns) {
        const ColumnMetadata* c = t.FindColumn(name);
        if (!c) continue;
        any_static |= c->kind == ColumnKind::kStatic;
        other |= c->kind == ColumnKind::kRegular || c->kind == ColumnKind::kClustering;
      }
      for (const Selector& a : sel.args) self(a, self);
    };
    for (const Selector& sel : stmt.selectors) visit(sel, visit);
    return any_static && !other;
  }

  // WHERE: the restrictions, the index that answers one of them, and Cassandra's refusals of
  // filtering without ALLOW FILTERING.
  Status PrepareRestrictions(const SelectStatement& stmt, const TableMetadata& t,
                             BindCollector& binds) {
    // With an index on a key column that an EQ restricts, a clustering column after a gap is a
    // filter (as under ALLOW FILTERING); when such an index answers the query alone, no ALLOW
    // FILTERING is needed.
    std::vector<const ColumnMetadata*> key_indexed = IndexedKeyEqs(stmt, t);
    // A range on a clustering column with a storage-attached index, after an unrestricted one:
    // SAI answers it (a filter), provided no other clustering restriction needs filtering.
    sai_clustering_gap_ = SaiClusteringRangeAfterGap(stmt, t);
    // A restriction that an index serves makes Cassandra query the index (hasQueriableIndex):
    // a clustering column after a gap then joins the row filter rather than being refused.
    PF_ASSIGN_OR_RETURN(
        where_, AnalyzeWhere(stmt.where, t, binds, /*for_select=*/true,
                             stmt.allow_filtering || !key_indexed.empty() || sai_clustering_gap_ ||
                                 HasIndexedRegularRelation(stmt, t)));
    // Cassandra's StatementRestrictions: an indexed vector column is only for ANN ordering.
    if (stmt.ann.empty()) {
      for (const auto& f : where_.filters) {
        const ColumnMetadata& col = *f.column;
        if (col.is_primary_key() || col.type.kind() != cql::TypeKind::kVector) continue;
        if (std::any_of(t.indexes.begin(), t.indexes.end(),
                        [&](const IndexMetadata& i) { return i.column_id == col.id; })) {
          return InvalidRequest("Vector indexes only support ANN queries");
        }
      }
    }
    if (sai_clustering_gap_ && !stmt.allow_filtering && where_.clustering_restricted() > 0) {
      return InvalidRequest(kFilteringMessage);
    }
    ChooseIndex(t);
    if (!stmt.allow_filtering && !index_) {
      for (const ColumnMetadata* col : key_indexed) key_index_used_ |= KeyIndexAnswers(*col);
    }
    const bool allow_filtering = stmt.allow_filtering || key_index_used_;
    if (index_ || key_index_used_) {
      // Only an IN on the partition key is refused (Cassandra's keyIsInRelation); a clustering
      // IN selects the index's rows by their clustering.
      auto is_in = [](const KeyRestriction& r) { return r.in_marker || r.values.size() > 1; };
      if (std::any_of(where_.partition.begin(), where_.partition.end(), is_in)) {
        return InvalidRequest(
            "Select on indexed columns and with IN clause for the PRIMARY KEY are not supported");
      }
    }
    if (!stmt.allow_filtering && index_ && !IndexAnswersKeyRestrictions(t)) {
      return InvalidRequest(kFilteringMessage);
    }
    // Filters that only the key parts restrict (a partial partition key) and the restriction an
    // index answers need no ALLOW FILTERING once an index is used.
    size_t unfiltered = index_ ? 1 : 0;
    if (where_.partition_any && !where_.partition_complete) {
      if (!allow_filtering && !index_) return InvalidRequest(kFilteringMessage);
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
    // CONTAINS on a clustering column filters; Cassandra refuses it apart when no index serves
    // any restriction of the query (processClusteringColumnsRestrictions), else it needs ALLOW
    // FILTERING as any other filter.
    bool clustering_contains =
        std::any_of(where_.filters.begin(), where_.filters.end(), [](const auto& f) {
          return f.column->kind == ColumnKind::kClustering &&
                 (f.op == Relation::Op::kContains || f.op == Relation::Op::kContainsKey);
        });
    bool queriable_index = index_ || !key_indexed.empty() ||
                           std::any_of(where_.filters.begin(), where_.filters.end(),
                                       [&](const auto& f) { return SaiIndexOn(t, f.column->id); });
    if (clustering_contains && !allow_filtering && !queriable_index) {
      return InvalidRequest(
          "Clustering columns can only be restricted with CONTAINS with a secondary index or "
          "filtering");
    }
    if (SelectsOnlyStaticColumns(stmt, t) &&
        (where_.clustering_restricted() > 0 ||
         std::any_of(where_.filters.begin(), where_.filters.end(),
                     [](const auto& f) { return f.column->kind == ColumnKind::kClustering; }))) {
      return InvalidRequest(
          "Cannot restrict clustering columns when selecting only static columns");
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
    if (where_.filters.size() > unfiltered && !allow_filtering) {
      return InvalidRequest(kFilteringMessage);
    }
    if (!where_.partition_complete && where_.clustering_restricted() > 0 && !allow_filtering &&
        !index_) {
      return InvalidRequest(kFilteringMessage);
    }
    bool non_static_filter =
        std::any_of(where_.filters.begin(), where_.filters.end(), [&t](const auto& f) {
          return f.column->kind == ColumnKind::kClustering ||
                 (f.column->kind == ColumnKind::kRegular && !t.IsStaticInCassandra(*f.column));
        });
    if (distinct_ && (where_.clustering_restricted() > 0 || non_static_filter)) {
      return InvalidRequest(
          "SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or "
          "static columns.");
    }
    // Filtered columns are read along with the selected ones.
    for (const auto& f : where_.filters) {
      if (f.column->kind == ColumnKind::kRegular || f.column->kind == ColumnKind::kStatic) {
        filter_cells_.push_back(selection_.ReadCell(f.column->id));
      } else {
        filter_cells_.push_back(SIZE_MAX);
      }
    }
    // The partition key's markers, for PREPARE's pk_indexes (all or none).
    for (const auto& r : where_.partition) {
      const ValueSource* s =
          r.column && r.values.size() == 1 && !r.in_marker ? &r.values[0] : nullptr;
      if (!s || s->kind != ValueSource::Kind::kMarker) {
        pk_indexes_.clear();
        break;
      }
      pk_indexes_.push_back(static_cast<uint16_t>(s->marker));
    }
    return Status::Ok();
  }

  // SelectStatement.validateDistinctSelection, after the WHERE clause's check in
  // PrepareRestrictions: only partition key and static columns, and over a range of partitions
  // every partition key column (so no rows need grouping after the read).
  Status CheckDistinctSelection(const TableMetadata& t) const {
    const auto& requested = selection_.columns();
    for (const ColumnMetadata* col : requested) {
      if (col->kind != ColumnKind::kPartitionKey && !t.IsStaticInCassandra(*col)) {
        return InvalidRequest(
            "SELECT DISTINCT queries must only request partition key columns and/or static "
            "columns (not " +
            col->name + ")");
      }
    }
    if (where_.partition_complete) return Status::Ok();
    for (const ColumnMetadata& col : t.columns) {
      if (col.kind == ColumnKind::kPartitionKey &&
          std::find(requested.begin(), requested.end(), &col) == requested.end()) {
        return InvalidRequest(
            "SELECT DISTINCT queries must request all the partition key columns (missing " +
            col.name + ")");
      }
    }
    return Status::Ok();
  }

  // ORDER BY: clustering columns in declared order, all reversed or none.
  Status PrepareOrdering(const SelectStatement& stmt, const TableMetadata& t) {
    if (stmt.order_by.empty()) return Status::Ok();
    if (index_ || key_index_used_ || sai_clustering_gap_) {
      return InvalidRequest(
          "ORDER BY with 2ndary indexes is not supported, except for ANN queries.");
    }
    if (!where_.partition_complete) {
      return InvalidRequest(
          "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.");
    }
    // A column restricted to one value may be skipped (Cassandra's isReversed): one EQ, alone or
    // in a multi-column EQ; an IN of one value is an EQ to Cassandra too.
    auto restricted_by_eq = [&](size_t p) {
      if (p < where_.clustering_eq.size()) {
        const KeyRestriction& r = where_.clustering_eq[p];
        return r.values.size() == 1 && !r.in_marker;
      }
      for (const auto& seg : where_.segments) {
        if (p >= seg.first && p < seg.first + seg.size) return seg.one_value();
      }
      return false;
    };
    std::optional<bool> reversed;
    size_t next = 0;  // the next clustering position ORDER BY may name
    for (size_t i = 0; i < stmt.order_by.size(); ++i) {
      const auto& [name, desc] = stmt.order_by[i];
      const ColumnMetadata* col = t.FindColumn(name);
      if (!col) return UndefinedColumn(name, t.keyspace, t.name);
      if (col->kind != ColumnKind::kClustering) {
        return InvalidRequest(
            "Order by is currently only supported on the clustered columns of the PRIMARY KEY, "
            "got " +
            name);
      }
      const size_t position = static_cast<size_t>(col->position);
      while (next < position && restricted_by_eq(next)) ++next;
      if (next != position) {
        return InvalidRequest(
            "Order by currently only supports the ordering of columns following their declared "
            "order in the PRIMARY KEY");
      }
      ++next;
      bool declared_desc = col->order == ClusteringOrder::kDesc;
      bool r = desc != declared_desc;
      if (reversed && *reversed != r) return InvalidRequest("Unsupported order by relation");
      reversed = r;
    }
    reversed_ = reversed.value_or(false);
    ordered_ = true;
    order_columns_ = next;
    return Status::Ok();
  }

  Status PrepareLimits(const SelectStatement& stmt, BindCollector& binds) {
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
    return Status::Ok();
  }

  // The GROUP BY columns' values of a row (empty without GROUP BY: one group); with a GROUP BY
  // function, its value for the last column instead (null for a static row). Computed values
  // live in `computed`, which takes the function's error.
  std::vector<std::optional<std::string_view>> GroupKey(const ReadRow& row,
                                                        selection::Scratch* computed,
                                                        const ExecutionContext& ctx) const {
    std::vector<std::optional<std::string_view>> key;
    for (const ColumnMetadata* c : group_by_) {
      size_t pos = static_cast<size_t>(c->position);
      if (c->kind == ColumnKind::kPartitionKey) {
        key.emplace_back(row.partition_key[pos]);
      } else if (group_function_ && c == group_by_.back()) {
        std::optional<std::string_view> out;
        if (pos < row.clustering.size()) {
          cql::RawValue v = selection_.Value(*group_function_, row, computed, ctx);
          if (v.kind == cql::RawValue::Kind::kBytes) out = v.bytes;
        }
        key.push_back(out);
      } else {
        key.emplace_back(pos < row.clustering.size() ? std::string_view(row.clustering[pos])
                                                     : std::string_view());
      }
    }
    return key;
  }

  // Aggregates and GROUP BY: rows fold into one result row per group (one row in all without
  // GROUP BY, even over no rows). Plain columns show the group's first row, as in Cassandra.
  // LIMIT counts result rows.
  Result<std::string> Aggregate(ExecutionContext& ctx, ReadCommand& cmd) const {
    int64_t limit = INT64_MAX;
    if (limit_) {
      PF_ASSIGN_OR_RETURN(int32_t v, ResolveLimit(*limit_, ctx));
      limit = v;
    }
    // GROUP BY pages count groups, as Cassandra's GroupByAwareCounter: a page ends after
    // page_size groups (a full page says more may follow, so the last page may be empty). The
    // paging state holds the groups already returned; each page aggregates again from the start
    // and skips them.
    //
    // One exception: a group counts when the next one starts, or when its read ends with fewer
    // rows than the page size (GroupByAwareCounter.onClose). Without clustering columns a
    // partition is one row, so with a page size of 1 no partition read by its key (one partition
    // or an IN list, each read by a SinglePartitionPager done after its one row) counts a
    // group, and Cassandra answers them all in one page. (A scan is paged; Cassandra 5.0 answers
    // its first page and then refuses its paging state, see docs/compatibility.md.)
    // SELECT DISTINCT with GROUP BY has DISTINCT's limits, which Cassandra's
    // AggregationQueryPager reads to the end in one page.
    const bool one_row_partitions_unpaged = ctx.page_size && *ctx.page_size == 1 &&
                                            where_.partition_complete &&
                                            table_meta_->clustering_size() == 0;
    const bool paged = !group_by_.empty() && !distinct_ && ctx.page_size &&
                       *ctx.page_size > 0 && !one_row_partitions_unpaged;
    int64_t skip = 0;
    if (paged && ctx.paging_state && !ctx.paging_state->empty()) {
      std::string_view ps = *ctx.paging_state;
      if (ps.size() != kPagingMagic.size() + 8 ||
          ps.substr(0, kPagingMagic.size()) != kPagingMagic) {
        return InvalidRequest("Invalid value for the paging state");
      }
      skip = std::max<int64_t>(
          0, static_cast<int64_t>(cql::LoadBE64(ps.data() + kPagingMagic.size())));
    }
    const int64_t page_end = paged ? skip + *ctx.page_size : INT64_MAX;
    // Groups ordered after the read are all built, then sorted, then cut to the limit (Cassandra
    // reads without the user limit when it orders after the query).
    const bool post_ordered = ordered_ && cmd.partition_keys.size() > 1 && !group_by_.empty();
    const int64_t stop = post_ordered ? INT64_MAX : std::min(limit, page_end);
    std::vector<std::optional<std::string>> cells;  // finished groups, row-major
    int64_t groups_out = 0;
    selection::GroupAccumulator group(selection_);
    bool in_group = false;
    std::vector<std::optional<std::string>> group_key;
    if (group_function_) PF_RETURN_IF_ERROR(selection::ValidateForGroupBy(*group_function_));
    // With post-ordering: each finished group's first-row clustering, which its selected
    // clustering columns show (a simple selector keeps a group's first value).
    std::vector<std::string> group_clustering;
    std::vector<std::vector<std::string>> finished_clustering;
    auto finish = [&]() -> Status {
      in_group = false;
      if (post_ordered) finished_clustering.push_back(std::move(group_clustering));
      if (groups_out++ >= skip) return group.Finish(ctx, &cells);  // else an earlier page's
      return Status::Ok();
    };
    // With GROUP BY, PER PARTITION LIMIT counts groups, not rows (Cassandra's
    // GroupByAwareCounter): storage reads every row and groups past the limit are skipped.
    int64_t groups_per_partition = INT64_MAX;
    if (!group_by_.empty()) std::swap(groups_per_partition, cmd.per_partition_limit);
    std::vector<std::string> partition;
    int64_t partition_groups = 0;
    // Whether the last row folded into a group ended the last requested partition
    // (LastRequestedPartition): then a full page is the last one.
    bool last_row_ends_it = false;
    const std::vector<std::string>* last_requested = LastRequestedPartition(cmd);
    bool done = false;
    while (!done) {
      cmd.row_limit = kInternalPage;
      PF_ASSIGN_OR_RETURN(ReadResult rows, ReadWithTombstoneThresholds(ctx, cmd, select_star_));
      for (const ReadRow& row : rows.rows) {
        if (row.partition_key != partition) {
          partition = row.partition_key;
          partition_groups = 0;
        }
        if (in_group && !group_by_.empty()) {
          selection::Scratch computed;
          auto key = GroupKey(row, &computed, ctx);
          PF_RETURN_IF_ERROR(computed.error);
          if (!std::equal(key.begin(), key.end(), group_key.begin(), group_key.end())) {
            PF_RETURN_IF_ERROR(finish());
            if (groups_out >= stop) {
              done = true;
              break;
            }
          }
        }
        if (!in_group) {
          if (partition_groups >= groups_per_partition) continue;
          PF_RETURN_IF_ERROR(group.Start(&row, ctx));
          if (post_ordered) group_clustering = row.clustering;
          group_key.clear();
          selection::Scratch computed;
          for (auto k : GroupKey(row, &computed, ctx)) {
            group_key.push_back(k ? std::optional<std::string>(*k) : std::nullopt);
          }
          PF_RETURN_IF_ERROR(computed.error);
          in_group = true;
          ++partition_groups;
        }
        PF_RETURN_IF_ERROR(group.Add(row, ctx));
        last_row_ends_it = last_requested && row.clustering.empty() &&
                           row.partition_key == *last_requested;
      }
      if (done || !rows.has_more) break;
      cmd.resume_position = rows.resume_position;
    }
    if (in_group && groups_out < stop) PF_RETURN_IF_ERROR(finish());
    if (!in_group && groups_out == 0 && group_by_.empty()) {  // no rows: one row of empty results
      PF_RETURN_IF_ERROR(group.Start(nullptr, ctx));
      PF_RETURN_IF_ERROR(finish());
    }
    if (post_ordered) {
      const size_t width = selection_.outputs().size();
      std::vector<size_t> order(finished_clustering.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return PostOrderedBefore(finished_clustering[a], finished_clustering[b]);
      });
      if (static_cast<int64_t>(order.size()) > limit) order.resize(static_cast<size_t>(limit));
      std::vector<std::optional<std::string>> sorted;
      sorted.reserve(order.size() * width);
      for (size_t g : order) {
        for (size_t i = 0; i < width; ++i) sorted.push_back(std::move(cells[g * width + i]));
      }
      cells = std::move(sorted);
      groups_out = static_cast<int64_t>(order.size());
    }
    cql::ResultMessage msg;
    msg.kind = cql::ResultKind::kRows;
    msg.rows.metadata.column_count = result_metadata_.column_count;
    msg.rows.metadata.no_metadata = ctx.skip_metadata;
    if (!ctx.skip_metadata) msg.rows.metadata.columns = result_metadata_.columns;
    msg.rows.metadata.new_metadata_id = ctx.new_metadata_id;
    msg.rows.row_count = static_cast<int32_t>(groups_out - std::min(groups_out, skip));
    if (paged && groups_out >= page_end && groups_out < limit && !last_row_ends_it) {
      std::string ps(kPagingMagic);
      cql::ByteWriter(&ps).WriteLong(groups_out);
      msg.rows.metadata.paging_state = std::move(ps);
    }
    if (selection_.json()) {
      const size_t width = selection_.outputs().size();
      std::vector<std::optional<std::string>> rows_json;
      std::vector<std::optional<std::string_view>> row;
      for (size_t at = 0; at < cells.size(); at += width) {
        row.clear();
        for (size_t i = 0; i < width; ++i) {
          const auto& c = cells[at + i];
          row.push_back(c ? std::optional<std::string_view>(*c) : std::nullopt);
        }
        rows_json.push_back(selection_.JsonRow(row));
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

  // `token(k) > x AND k = y`: the named partitions whose token is outside the bounds are not
  // read (Cassandra's TokenFilter).
  static Result<int64_t> ResolveInt64(const ValueSource& s, const ExecutionContext& ctx) {
    PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(s, ctx));
    if (raw.is_null()) return InvalidRequest("Invalid null token value");
    if (raw.kind != cql::RawValue::Kind::kBytes || raw.bytes.size() != 8) {
      return InvalidRequest("Invalid null or unset value for " + s.receiver);
    }
    return static_cast<int64_t>(cql::LoadBE64(raw.bytes.data()));
  }

  // LIMIT and PER PARTITION LIMIT share Cassandra's checks and texts (SelectStatement.getLimit);
  // unset means no limit.
  static Result<int32_t> ResolveLimit(const ValueSource& s, const ExecutionContext& ctx) {
    PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(s, ctx));
    if (raw.is_unset()) return INT32_MAX;
    if (raw.is_null()) return InvalidRequest("Invalid null value of limit");
    if (raw.bytes.size() != 4) return InvalidRequest("Invalid limit value");
    int32_t v = static_cast<int32_t>(cql::LoadBE32(raw.bytes.data()));
    if (v <= 0) return InvalidRequest("LIMIT must be strictly positive");
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

  // Whether `stmt` restricts a clustering column that has a storage-attached index by a range
  // (<, <=, >, >=) while an earlier clustering column has no EQ relation.
  static bool SaiClusteringRangeAfterGap(const SelectStatement& stmt, const TableMetadata& t) {
    std::set<int> eq_positions;
    std::vector<const ColumnMetadata*> ranged;
    for (const Relation& rel : stmt.where) {
      if (rel.lhs != Relation::Lhs::kColumn || rel.map_key || rel.columns.size() != 1) continue;
      const ColumnMetadata* col = t.FindColumn(rel.columns[0]);
      if (!col || col->kind != ColumnKind::kClustering) continue;
      if (rel.op == Relation::Op::kEq) eq_positions.insert(col->position);
      bool range = rel.op == Relation::Op::kLt || rel.op == Relation::Op::kLte ||
                   rel.op == Relation::Op::kGt || rel.op == Relation::Op::kGte;
      if (range && SaiIndexOn(t, col->id)) ranged.push_back(col);
    }
    for (const ColumnMetadata* col : ranged) {
      for (int p = 0; p < col->position; ++p) {
        if (!eq_positions.count(p)) return true;
      }
    }
    return false;
  }

  // Whether a relation of `stmt` on a regular or static column is one an index on it serves
  // (Cassandra's supportsExpression): EQ on a simple or full() index, CONTAINS on values(),
  // CONTAINS KEY on keys(), `m[k] = v` on entries(); SAI also ranges.
  static bool HasIndexedRegularRelation(const SelectStatement& stmt, const TableMetadata& t) {
    for (const Relation& rel : stmt.where) {
      if (rel.lhs != Relation::Lhs::kColumn) continue;
      const ColumnMetadata* col = t.FindColumn(rel.columns[0]);
      if (!col || col->is_primary_key()) continue;
      const bool eq = rel.op == Relation::Op::kEq && !rel.map_key;
      const bool range = rel.op == Relation::Op::kLt || rel.op == Relation::Op::kLte ||
                         rel.op == Relation::Op::kGt || rel.op == Relation::Op::kGte;
      for (const IndexMetadata& index : t.indexes) {
        if (index.column_id != col->id) continue;
        if (IsStorageAttached(index)) {
          if (eq || range || rel.op == Relation::Op::kContains ||
              rel.op == Relation::Op::kContainsKey) {
            return true;
          }
          continue;
        }
        if ((eq && (index.target == IndexTarget::kSimple || index.target == IndexTarget::kFull)) ||
            (rel.op == Relation::Op::kContains && index.target == IndexTarget::kValues) ||
            (rel.op == Relation::Op::kContainsKey && index.target == IndexTarget::kKeys) ||
            (rel.map_key && index.target == IndexTarget::kEntries)) {
          return true;
        }
      }
    }
    return false;
  }

  // A legacy index on a clustering column restricted by one value joins a range query's index
  // expressions (`(b, c) = (?, ?)` included), whose values Cassandra bounds
  // (CassandraIndex.validate) even when ALLOW FILTERING is given.
  Status CheckIndexedKeyValueSizes(const ExecutionContext& ctx) const {
    for (const KeyRestriction& r : where_.clustering_eq) {
      if (r.values.size() != 1 || r.in_marker) continue;
      bool legacy =
          std::any_of(table_meta_->indexes.begin(), table_meta_->indexes.end(),
                      [&](const IndexMetadata& index) {
                        return index.column_id == r.column->id && !IsStorageAttached(index);
                      });
      if (!legacy) continue;
      PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(r.values[0], ctx));
      if (raw.kind == cql::RawValue::Kind::kBytes && raw.bytes.size() > kMaxIndexedValueBytes) {
        return InvalidRequest("Index expression values may not be larger than 64K");
      }
    }
    return Status::Ok();
  }

  // The key columns (partition key components, clustering columns) that an index covers and an
  // EQ relation of `stmt` restricts (`(c) = (v)`, a tuple of one, restricts as `c = v`).
  static std::vector<const ColumnMetadata*> IndexedKeyEqs(const SelectStatement& stmt,
                                                          const TableMetadata& t) {
    std::vector<const ColumnMetadata*> out;
    for (const Relation& rel : stmt.where) {
      bool single = rel.lhs == Relation::Lhs::kColumn ||
                    (rel.lhs == Relation::Lhs::kTuple && rel.columns.size() == 1 &&
                     rel.value.kind == Term::Kind::kTuple);
      if (!single || rel.op != Relation::Op::kEq || rel.map_key) continue;
      const ColumnMetadata* col = t.FindColumn(rel.columns[0]);
      if (!col || !col->is_primary_key()) continue;
      for (const IndexMetadata& index : t.indexes) {
        if (index.column_id == col->id) {
          out.push_back(col);
          break;
        }
      }
    }
    return out;
  }

  // Whether the chosen index (index_) also answers the query's key restrictions, as Cassandra's
  // checkNeedsFiltering asks: without the whole partition key or a token range, the restrictions
  // of the partition key and of the clustering columns join the index query's row filter, and
  // each must be one the index (a legacy index: none on key columns; SAI: the table's SAI
  // indexes together) answers. Otherwise the query filters.
  bool IndexAnswersKeyRestrictions(const TableMetadata& t) const {
    if (where_.partition_complete || where_.token_lower || where_.token_upper) return true;
    std::vector<const ColumnMetadata*> restricted;
    for (const auto& r : where_.partition) {
      if (r.column) restricted.push_back(r.column);
    }
    auto ck = t.ClusteringColumns();
    for (size_t i = 0; i < where_.clustering_restricted() && i < ck.size(); ++i) {
      restricted.push_back(ck[i]);
    }
    if (restricted.empty()) return true;
    if (!IsStorageAttached(*index_)) return false;
    return std::all_of(restricted.begin(), restricted.end(),
                       [&](const ColumnMetadata* c) { return SaiIndexOn(t, c->id) != nullptr; });
  }

  // Whether the index on the key column `col` answers the query alone, as Cassandra uses it:
  // the EQ on `col` is the one restriction that the primary key cannot bound (a partition key
  // component without the rest of the key, or a clustering column without a complete
  // partition key or after a gap). The node keeps no entries for such an index: the query scans
  // and filters on the key, which gives the rows in the index's order (token, then clustering).
  bool KeyIndexAnswers(const ColumnMetadata& col) const {
    auto single = [](const KeyRestriction& r) { return !r.in_marker && r.values.size() == 1; };
    size_t partition_restricted = 0;
    for (const auto& r : where_.partition) partition_restricted += r.column ? 1 : 0;
    if (col.kind == ColumnKind::kPartitionKey) {
      return !where_.partition_complete && partition_restricted == 1 && where_.filters.empty() &&
             where_.clustering_restricted() == 0 &&
             where_.partition[static_cast<size_t>(col.position)].column == &col &&
             single(where_.partition[static_cast<size_t>(col.position)]);
    }
    if (partition_restricted > 0 && !where_.partition_complete) return false;
    bool filtered_alone = where_.filters.size() == 1 && where_.filters[0].column == &col &&
                          where_.filters[0].op == Relation::Op::kEq &&
                          where_.clustering_restricted() == 0;
    if (where_.partition_complete) return filtered_alone;
    bool prefix_alone = where_.filters.empty() && where_.clustering_restricted() == 1 &&
                        where_.clustering_eq.size() == 1 &&
                        where_.clustering_eq[0].column == &col && single(where_.clustering_eq[0]);
    return filtered_alone || prefix_alone;
  }

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
    if (col->type.kind() != cql::TypeKind::kVector ||
        col->type.params()[0].kind() != cql::TypeKind::kFloat) {
      return InvalidRequest("ANN ordering is only supported on float vector indexes");
    }
    const IndexMetadata* sai = SaiIndexOn(t, col->id);
    if (!sai) return InvalidRequest("ANN ordering by vector requires the column to be indexed");
    bool unindexed_filter =
        std::any_of(where_.filters.begin(), where_.filters.end(),
                    [&](const auto& f) { return !SaiIndexOn(t, f.column->id); });
    if (unindexed_filter || where_.clustering_restricted() > 0) {
      return InvalidRequest(
          "ANN ordering by vector requires all restricted column(s) to be indexed");
    }
    if (aggregating_) return InvalidRequest("Top-K queries can not be run with aggregation");
    if (stmt.per_partition_limit) {
      return InvalidRequest("Top-K queries do not support per-partition limits");
    }
    plan.column = col;
    plan.cell = selection_.ReadCell(col->id);
    auto it = sai->options.find("similarity_function");
    plan.similarity = it == sai->options.end() ? "cosine" : ascii::Lower(it->second);
    ann_ = std::make_shared<AnnPlan>(std::move(plan));
    return Status::Ok();
  }

  static const IndexMetadata* SaiIndexOn(const TableMetadata& t, uint32_t column_id) {
    for (const IndexMetadata& index : t.indexes) {
      if (index.column_id == column_id && IsStorageAttached(index)) return &index;
    }
    return nullptr;
  }

  // The execution-time checks of an ANN query (LIMIT required and at most SAI's top-k maximum),
  // and its query vector (*query). `limit` is -1 without a LIMIT clause. Sets cmd->row_limit to
  // the limit.
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

  // Picks the index that answers one of the filters (the first such, in WHERE order):
  // EQ on a simple or full() index, CONTAINS on values(), CONTAINS KEY on keys(), `m[k] = v` on
  // entries(). Used unless the partition key is fully restricted (a partition read is cheaper).
  // Indexes on key columns have no entries (KeyIndexAnswers).
  void ChooseIndex(const TableMetadata& t) {
    for (size_t i = 0; i < where_.filters.size() && !index_; ++i) {
      const WhereClause::Filter& f = where_.filters[i];
      if (f.column->is_primary_key()) continue;
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
  bool key_index_used_ = false;         // an index on a key column answers (KeyIndexAnswers)
  bool sai_clustering_gap_ = false;  // SAI answers a clustering range (SaiClusteringRangeAfterGap)
  // ORDER BY c ANN OF v.
  struct AnnPlan {
    const ColumnMetadata* column = nullptr;
    size_t cell = 0;         // the vector's cell in read rows
    ValueSource vector;      // the query vector
    std::string similarity;  // cosine, euclidean or dot_product (the index's option)
  };
  std::shared_ptr<const AnnPlan> ann_;
  selection::Selection selection_;
  std::vector<size_t> filter_cells_;  // per filter: its index in ReadRow::cells (SIZE_MAX: a key)
  bool distinct_ = false;
  bool select_star_ = false;
  bool aggregating_ = false;  // an aggregate or GROUP BY: rows are folded into result rows
  std::vector<const ColumnMetadata*> group_by_;
  // GROUP BY's function of its last column (group_by_.back()), if any: checked when executed
  // (ValidateForGroupBy), as Cassandra binds it.
  std::shared_ptr<const selection::Output> group_function_;
  bool reversed_ = false;
  bool ordered_ = false;      // ORDER BY given
  size_t order_columns_ = 0;  // clustering positions up to the last one ORDER BY names
  std::optional<ValueSource> limit_, per_partition_limit_;
};

}  // namespace

Result<std::unique_ptr<CqlStatement>> PrepareSelect(const SelectStatement& stmt,
                                                    std::shared_ptr<const TableMetadata> table,
                                                    int bind_count,
                                                    const KeyspaceMetadata* keyspace) {
  auto s = std::make_unique<SelectStatementImpl>();
  PF_RETURN_IF_ERROR(s->Prepare(stmt, std::move(table), bind_count, keyspace));
  return std::unique_ptr<CqlStatement>(std::move(s));
}

}  // namespace postfork::node::cql3
