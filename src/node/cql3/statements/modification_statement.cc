#include "node/cql3/statements/modification_statement.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <span>

#include "node/cql3/functions/json.h"
#include "node/cql3/statements/operation.h"
#include "node/cql3/statements/restrictions.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/db/database.h"
#include "node/db/type_properties.h"
#include "node/timestamp.h"

namespace postfork::node::cql3 {
namespace {

constexpr int32_t kMaxTtl = 20 * 365 * 24 * 60 * 60;

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

int64_t LoadBigint(std::string_view b) { return static_cast<int64_t>(cql::LoadBE64(b.data())); }

// Cassandra refuses a write naming an empty value for the only clustering column of a dense
// compact table (in the legacy layout it would be no cell name); reads of it find nothing.
Status CheckCompactClustering(const TableMetadata& table,
                              std::span<const std::vector<std::string>> rows) {
  if (!table.is_dense() || table.clustering_size() != 1) return Status::Ok();
  for (const auto& row : rows) {
    if (row.size() == 1 && row[0].empty()) {
      return InvalidRequest("Invalid empty or null value for column " +
                            table.ClusteringColumns()[0]->name);
    }
  }
  return Status::Ok();
}

// State shared by the three kinds: the table, USING TIMESTAMP / TTL.
class TableModification : public ModificationStatement {
 protected:
  Status Init(std::shared_ptr<const TableMetadata> table, const UsingClause& using_clause,
              BindCollector& binds, bool allow_ttl) {
    table_meta_ = std::move(table);
    for (const auto& c : table_meta_->columns) {
      counter_ = counter_ || c.type.kind() == cql::TypeKind::kCounter;
    }
    if (counter_ && using_clause.timestamp) {
      return InvalidRequest("Cannot provide custom timestamp for counter updates");
    }
    if (counter_ && using_clause.ttl) {
      return InvalidRequest("Cannot provide custom TTL for counter updates");
    }
    keyspace_ = table_meta_->keyspace;
    table_ = table_meta_->name;
    if (table_meta_->is_virtual) {
      return InvalidRequest(
          fmt::format("Modification statements are not supported on virtual "
                      "table {}.{}",  // Cassandra: system tables are read-only
                      keyspace_, table_));
    }
    if (keyspace_ == "system_auth") {  // the role store is their only writer (auth/role_store.h)
      return Unauthorized(
          "system_auth tables are changed through CREATE/ALTER/DROP ROLE, GRANT and REVOKE only");
    }
    if (using_clause.timestamp) {
      PF_ASSIGN_OR_RETURN(
          timestamp_, binds.Source(*using_clause.timestamp, cql::DataType(cql::TypeKind::kBigint),
                                   "[timestamp]"));
      has_timestamp_ = true;
    }
    if (using_clause.ttl) {
      if (!allow_ttl) return InvalidRequest("A TTL must not be specified for DELETE statements");
      PF_ASSIGN_OR_RETURN(
          ttl_, binds.Source(*using_clause.ttl, cql::DataType(cql::TypeKind::kInt), "[ttl]"));
      has_ttl_ = true;
    }
    return Status::Ok();
  }

  Result<int64_t> Timestamp(const ExecutionContext& ctx, std::optional<int64_t> batch_ts) const {
    if (counter_) {
      // A counter write replaces the value it read: each one must be newer than the last, even
      // within one microsecond, so it never loses to an earlier write (or delete) on a tie.
      return IncreasingMicros(ctx.now_micros);
    }
    if (has_timestamp_) {
      PF_ASSIGN_OR_RETURN(cql::RawValue v, ResolveValue(timestamp_, ctx));
      if (v.is_null()) return InvalidRequest("Invalid null value of timestamp");
      if (!v.is_unset()) {
        if (v.bytes.size() != 8) return InvalidRequest("Invalid timestamp value");
        int64_t ts = LoadBigint(v.bytes);
        // The minimum stands for "no timestamp" in Cassandra's storage, so it refuses it.
        if (ts == INT64_MIN) {
          return InvalidRequest(
              fmt::format("Out of bound timestamp, must be in [{}, {}]", INT64_MIN + 1, INT64_MAX));
        }
        return ts;
      }
    }
    if (batch_ts) return *batch_ts;
    if (ctx.default_timestamp) return *ctx.default_timestamp;
    return ctx.now_micros;
  }

  Result<int32_t> Ttl(const ExecutionContext& ctx) const {
    if (has_ttl_) {
      PF_ASSIGN_OR_RETURN(cql::RawValue v, ResolveValue(ttl_, ctx));
      if (v.is_null()) return 0;
      if (!v.is_unset()) {
        if (v.bytes.size() != 4) return InvalidRequest("Invalid TTL value");
        int32_t ttl = static_cast<int32_t>(cql::LoadBE32(v.bytes.data()));
        if (ttl < 0)
          return InvalidRequest("A TTL must be greater or equal to 0, but was " +
                                std::to_string(ttl));
        if (ttl > kMaxTtl) {
          return InvalidRequest(
              fmt::format("ttl is too large. requested ({}) maximum ({})", ttl, kMaxTtl));
        }
        return ttl;
      }
    }
    return table_meta_->params.default_time_to_live;
  }

  // Serialized key component, rejecting null/unset/empty partition keys.
  static Result<std::string> KeyComponent(const ValueSource& src, const ExecutionContext& ctx,
                                          bool partition, size_t pk_size) {
    PF_ASSIGN_OR_RETURN(cql::RawValue v, ResolveValue(src, ctx));
    if (v.is_unset()) return InvalidRequest("Invalid unset value for column " + src.receiver);
    if (v.is_null()) {
      return InvalidRequest("Invalid null value in condition for column " + src.receiver);
    }
    if (partition && pk_size == 1 && v.bytes.empty()) {
      return InvalidRequest("Key may not be empty");
    }
    return std::string(v.bytes);
  }

  // Cell writes of `ops` for one row; list operations by index or value read the row first.
  // As in Cassandra, each operation on a list sees the list as the statement's earlier
  // operations left it (`SET l[2] = 8, l = l - [8]` removes the element just set), and so does
  // each increment of a counter; the statements of a batch each see the row as it was before
  // the batch.
  Status AppendOperations(const std::vector<Operation>& ops, const ExecutionContext& ctx,
                          int64_t ts, int32_t ttl, const std::vector<std::string>& partition_key,
                          const std::vector<std::string>* clustering,
                          std::vector<CellWrite>* static_cells,
                          std::vector<CellWrite>* regular_cells) const {
    std::vector<uint32_t> read_ids;
    for (const Operation& op : ops) {
      if (op.NeedsCurrentValue() &&
          std::find(read_ids.begin(), read_ids.end(), op.column->id) == read_ids.end()) {
        read_ids.push_back(op.column->id);
      }
    }
    std::vector<std::optional<CellValue>> current(read_ids.size());
    if (!read_ids.empty()) {
      ReadCommand read;
      read.table = table_meta_;
      read.now_seconds = ctx.now_in_seconds;
      read.partition_keys.push_back(partition_key);
      if (clustering) {
        ClusteringBound bound{*clustering, true};
        read.slices.push_back(ClusteringSlice{bound, bound});
      }
      read.columns = read_ids;
      read.row_limit = 1;
      PF_ASSIGN_OR_RETURN(ReadResult r, ctx.db->storage().Read(read));
      if (!r.rows.empty()) current = std::move(r.rows[0].cells);
    }
    for (const Operation& op : ops) {
      auto read = std::find(read_ids.begin(), read_ids.end(), op.column->id);
      std::optional<CellValue>* state =
          read == read_ids.end() ? nullptr : &current[static_cast<size_t>(read - read_ids.begin())];
      const CellValue* value = op.NeedsCurrentValue() && *state ? &**state : nullptr;
      std::vector<CellWrite>* out = op.is_static() ? static_cells : regular_cells;
      const size_t before = out->size();
      if (Status written = AppendCellWrites(op, ctx, ts, ttl, value, out); !written.ok()) {
        if (!ctx.cas_update_error || !op.NeedsCurrentValue()) return written;
        if (ctx.cas_update_error->ok()) *ctx.cas_update_error = std::move(written);
        out->resize(before);
        continue;
      }
      if (!state || out->size() == before) continue;
      if (op.column->type.kind() == cql::TypeKind::kList) {
        MergeListWrites(*op.column, std::span<const CellWrite>(*out).subspan(before), state);
      } else if (op.column->type.kind() == cql::TypeKind::kCounter) {
        // `c = c + 1, c = c + 2` adds both: the next increment starts from this sum, which
        // replaces the sum written before.
        auto earlier = std::find_if(out->begin(), out->begin() + static_cast<ptrdiff_t>(before),
                                    [&](const CellWrite& w) { return w.column_id == op.column->id; });
        if (earlier != out->begin() + static_cast<ptrdiff_t>(before)) out->erase(earlier);
        if (!*state) state->emplace();
        (*state)->value = *out->back().value;
      }
    }
    return Status::Ok();
  }

  // No conditions, no counters, and none of `ops` reads the row (is_single_row_write).
  bool WritesWithoutReading(const std::vector<Operation>& ops) const {
    return lwt_ == Lwt::kNone && !counter_ &&
           std::none_of(ops.begin(), ops.end(),
                        [](const Operation& op) { return op.NeedsCurrentValue(); });
  }

  void ComputePkIndexes(const std::vector<const ValueSource*>& pk_sources) {
    pk_indexes_.clear();
    for (const ValueSource* s : pk_sources) {
      if (!s || s->kind != ValueSource::Kind::kMarker) {
        pk_indexes_.clear();
        return;
      }
      pk_indexes_.push_back(static_cast<uint16_t>(s->marker));
    }
  }

  // ---- lightweight transactions (single node: a read and a write under a partition lock) ----

  enum class Lwt { kNone, kIfNotExists, kIfExists, kConditions };

  struct ConditionImpl {
    const ColumnMetadata* column = nullptr;
    Relation::Op op = Relation::Op::kEq;
    std::optional<ValueSource> element;    // c[element]
    std::optional<size_t> field;           // u.field: the field's position
    cql::DataType value_type;              // the column's or the element's type
    std::vector<ValueSource> values;       // one, or a literal IN list
    std::optional<ValueSource> in_marker;  // IN ?
  };

  // IF conditions; call after the WHERE clause (their markers follow it in the text).
  Status PrepareConditions(const std::vector<Condition>& conditions, BindCollector& binds) {
    if (conditions.empty()) return Status::Ok();
    lwt_ = Lwt::kConditions;
    for (const Condition& c : conditions) {
      const std::string& name = c.relation.columns[0];
      const ColumnMetadata* col = table_meta_->FindColumn(name);
      if (!col) return UndefinedColumn(name, table_meta_->keyspace, table_meta_->name);
      if (col->is_primary_key()) {
        return InvalidRequest("PRIMARY KEY column '" + col->name + "' cannot have IF conditions");
      }
      if (col->type.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("Conditions on counters are not supported");
      }
      ConditionImpl ci;
      ci.column = col;
      ci.op = c.relation.op;
      ci.value_type = col->type;
      // Durations have no order (Cassandra's ColumnCondition.validateOperationOnDurations, on the
      // compared value's type).
      auto check_durations = [&](const cql::DataType& type) -> Status {
        bool slice = ci.op == Relation::Op::kLt || ci.op == Relation::Op::kLte ||
                     ci.op == Relation::Op::kGt || ci.op == Relation::Op::kGte;
        if (!slice) return Status::Ok();
        return RefuseDurations(type, "Slice conditions",
                               fmt::format("Slice conditions ( {} ) are not supported on durations",
                                           RelationOpText(ci.op)));
      };
      if (!c.field.empty()) {
        if (col->type.kind() != cql::TypeKind::kUdt) {
          return InvalidRequest(
              fmt::format("Invalid field selection: {} of type {} is not a user type", col->name,
                          col->type.ToCql()));
        }
        const auto& names = col->type.field_names();
        auto it = std::find(names.begin(), names.end(), c.field);
        if (it == names.end()) {
          return InvalidRequest(fmt::format("Unknown field {} for column {}", c.field, col->name));
        }
        ci.field = static_cast<size_t>(it - names.begin());
        ci.value_type = col->type.params()[*ci.field];
        PF_RETURN_IF_ERROR(check_durations(ci.value_type));
      }
      if (c.element) {
        cql::TypeKind kind = col->type.kind();
        if (kind != cql::TypeKind::kList && kind != cql::TypeKind::kMap) {
          return InvalidRequest(
              fmt::format("Invalid element access syntax for non-collection "
                          "column {}",
                          col->name));
        }
        bool list = kind == cql::TypeKind::kList;
        PF_RETURN_IF_ERROR(check_durations(list ? col->type.params()[0] : col->type.params()[1]));
        PF_ASSIGN_OR_RETURN(
            ValueSource key,
            binds.Source(*c.element,
                         list ? cql::DataType(cql::TypeKind::kInt) : col->type.params()[0],
                         (list ? "idx(" : "key(") + col->name + ")"));
        ci.element = std::move(key);
        ci.value_type = list ? col->type.params()[0] : col->type.params()[1];
      }
      if (c.field.empty() && !c.element) PF_RETURN_IF_ERROR(check_durations(col->type));
      if (ci.op == Relation::Op::kContains || ci.op == Relation::Op::kContainsKey) {
        // ColumnCondition's CONTAINS (any collection) and CONTAINS KEY (maps): the value is an
        // element, a map value or a map key.
        cql::TypeKind kind = col->type.kind();
        bool key = ci.op == Relation::Op::kContainsKey;
        PF_RETURN_IF_ERROR(CheckContainsType(col, c.relation));
        ci.value_type =
            key || kind != cql::TypeKind::kMap ? col->type.params()[0] : col->type.params()[1];
        PF_ASSIGN_OR_RETURN(ValueSource v,
                            binds.Source(c.relation.value, ci.value_type,
                                         (key ? "key(" : "value(") + col->name + ")"));
        ci.values.push_back(std::move(v));
      } else if (ci.op == Relation::Op::kIn) {
        if (c.relation.in_marker) {
          PF_ASSIGN_OR_RETURN(ValueSource m,
                              binds.Source(c.relation.value, cql::DataType::List(ci.value_type),
                                           "in(" + col->name + ")"));
          ci.in_marker = std::move(m);
        }
        for (const Term& t : c.relation.in_values) {
          PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(t, ci.value_type, col->name));
          ci.values.push_back(std::move(v));
        }
      } else {
        PF_ASSIGN_OR_RETURN(ValueSource v,
                            binds.Source(c.relation.value, ci.value_type, col->name));
        ci.values.push_back(std::move(v));
      }
      conditions_.push_back(std::move(ci));
    }
    return Status::Ok();
  }

  // The current value a condition compares: the cell, or the list/map element it names.
  Result<std::optional<std::string>> ConditionSubject(const ConditionImpl& c,
                                                      const ExecutionContext& ctx,
                                                      const std::optional<CellValue>& cell) const {
    if (!cell) return std::optional<std::string>();
    if (c.field) {
      cql::ByteReader r(cell->value);
      for (size_t i = 0; !r.empty(); ++i) {
        PF_ASSIGN_OR_RETURN(std::optional<std::string_view> f, r.ReadBytes());
        if (i == *c.field) return f ? std::optional<std::string>(*f) : std::optional<std::string>();
      }
      return std::optional<std::string>();
    }
    if (!c.element) return std::optional<std::string>(cell->value);
    PF_ASSIGN_OR_RETURN(cql::RawValue key, ResolveValue(*c.element, ctx));
    if (key.kind != cql::RawValue::Kind::kBytes)
      return InvalidRequest("Invalid null value for " + c.element->receiver);
    bool list = c.column->type.kind() == cql::TypeKind::kList;
    // Frozen collections have no element cells: read the serialized value's elements.
    std::vector<std::pair<std::string, std::string>> frozen;
    const auto* elements = &cell->elements;
    if (cell->elements.empty()) {
      cql::ByteReader r(cell->value);
      PF_ASSIGN_OR_RETURN(int32_t n, r.ReadInt());
      for (int32_t i = 0; i < n; ++i) {
        std::string k;
        if (!list) {
          PF_ASSIGN_OR_RETURN(auto kb, r.ReadBytes());
          k = kb ? std::string(*kb) : std::string();
        }
        PF_ASSIGN_OR_RETURN(auto vb, r.ReadBytes());
        frozen.emplace_back(std::move(k), vb ? std::string(*vb) : std::string());
      }
      elements = &frozen;
    }
    if (list) {
      if (key.bytes.size() != 4) return InvalidRequest("Invalid list index");
      auto index = static_cast<int32_t>(cql::LoadBE32(key.bytes.data()));
      if (index < 0 || static_cast<size_t>(index) >= elements->size()) {
        return std::optional<std::string>();
      }
      return std::optional<std::string>((*elements)[static_cast<size_t>(index)].second);
    }
    for (const auto& [k, v] : *elements) {
      if (CompareValues(c.column->type.params()[0], k, key.bytes) == 0) {
        return std::optional<std::string>(v);
      }
    }
    return std::optional<std::string>();
  }

  // The order in which Cassandra evaluates the conditions (CQL3CasRequest.appliesTo): the
  // static ones, then the row's, each set in the iteration order of the Guava HashMultimap that
  // holds them, keyed by (column name, collection element): a HashMap of 16 buckets (doubled
  // past 3/4 full), a bucket's keys in insertion order. (Conditions of one key: in the order
  // written.)
  Result<std::vector<size_t>> ConditionOrder(const ExecutionContext& ctx) const {
    // Java's ByteBuffer.hashCode, over signed bytes, in 32-bit arithmetic that wraps.
    auto bytes_hash = [](std::string_view b) {
      uint32_t h = 1;
      for (size_t i = b.size(); i-- > 0;) {
        h = 31 * h + static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(b[i])));
      }
      return h;
    };
    struct Key {
      bool regular;
      uint32_t bucket;
      size_t first;  // the first condition with this key
      size_t index;
    };
    std::vector<Key> keys;
    std::vector<std::pair<std::string, std::optional<std::string>>> ids;
    for (size_t i = 0; i < conditions_.size(); ++i) {
      const ConditionImpl& c = conditions_[i];
      std::optional<std::string> element;
      if (c.element) {
        PF_ASSIGN_OR_RETURN(cql::RawValue v, ResolveValue(*c.element, ctx));
        if (v.kind == cql::RawValue::Kind::kBytes) element = v.bytes;
      }
      uint32_t h = 31 * (31 + bytes_hash(c.column->name)) + (element ? bytes_hash(*element) : 0);
      uint32_t bucket = h ^ (h >> 16);  // masked below, once the table's size is known
      std::pair<std::string, std::optional<std::string>> id{c.column->name, element};
      size_t first = static_cast<size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
      if (first == ids.size()) first = i;
      ids.push_back(std::move(id));
      keys.push_back(Key{c.column->kind != ColumnKind::kStatic, bucket, first, i});
    }
    // Statics and regular columns are two maps.
    for (bool regular : {false, true}) {
      size_t distinct = 0;
      for (const Key& k : keys) distinct += k.regular == regular && k.first == k.index;
      uint32_t buckets = 16;
      while (distinct > buckets / 4 * 3) buckets *= 2;
      for (Key& k : keys) {
        if (k.regular == regular) k.bucket &= buckets - 1;
      }
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
      return std::tie(a.regular, a.bucket, a.first, a.index) <
             std::tie(b.regular, b.bucket, b.first, b.index);
    });
    std::vector<size_t> order;
    for (const Key& k : keys) order.push_back(k.index);
    return order;
  }

  Result<bool> ConditionHolds(const ConditionImpl& c, const ExecutionContext& ctx,
                              const std::optional<CellValue>& cell) const {
    PF_ASSIGN_OR_RETURN(std::optional<std::string> current, ConditionSubject(c, ctx, cell));
    std::vector<std::optional<std::string>> given;
    if (c.in_marker) {
      PF_ASSIGN_OR_RETURN(cql::RawValue list, ResolveValue(*c.in_marker, ctx));
      if (list.is_unset()) return InvalidRequest("Invalid 'unset' value in condition");
      if (list.is_null()) return InvalidRequest("Invalid null list in IN condition");
      if (list.kind == cql::RawValue::Kind::kBytes) {
        cql::ByteReader r(list.bytes);
        PF_ASSIGN_OR_RETURN(int32_t n, r.ReadInt());
        for (int32_t i = 0; i < n; ++i) {
          PF_ASSIGN_OR_RETURN(auto e, r.ReadBytes());
          given.push_back(e ? std::optional<std::string>(*e) : std::nullopt);
        }
      }
    }
    for (const ValueSource& v : c.values) {
      PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(v, ctx));
      if (raw.is_unset()) {
        // An unset value in an IN list is left out (Cassandra's filterUnsetValuesIfNeeded).
        if (c.op == Relation::Op::kIn) continue;
        return InvalidRequest("Invalid 'unset' value in condition");
      }
      given.push_back(raw.is_null() ? std::nullopt : std::optional<std::string>(raw.bytes));
    }
    // A non-frozen collection holds no empty value, so Cassandra reads an empty collection in
    // a condition on the whole column as null: `IF m != {}` on an absent map does not apply.
    // (CONTAINS and CONTAINS KEY name an element, not a collection.)
    cql::TypeKind kind = c.value_type.kind();
    bool emptied = false;  // given[0] was an empty collection
    if (!c.element && !c.field && !c.value_type.is_frozen() &&
        c.op != Relation::Op::kContains && c.op != Relation::Op::kContainsKey &&
        (kind == cql::TypeKind::kList || kind == cql::TypeKind::kSet ||
         kind == cql::TypeKind::kMap)) {
      for (std::optional<std::string>& g : given) {
        if (g && g->size() == 4 && cql::LoadBE32(g->data()) == 0) {
          emptied |= &g == &given[0];
          g.reset();
        }
      }
    }
    auto equal = [&](const std::optional<std::string>& g) {
      if (!current || !g) return !current && !g;
      return CompareValues(c.value_type, *current, *g) == 0;
    };
    switch (c.op) {
      case Relation::Op::kEq:
        return equal(given[0]);
      case Relation::Op::kNeq:
        return !equal(given[0]);
      case Relation::Op::kIn:
        return std::any_of(given.begin(), given.end(), equal);
      default:
        break;
    }
    if (emptied) {
      return InvalidRequest(fmt::format(
          "Invalid comparison with an empty {} for operator \"{}\"",
          kind == cql::TypeKind::kList ? "list" : kind == cql::TypeKind::kSet ? "set" : "map",
          RelationOpText(c.op)));
    }
    if (!given[0]) {
      return InvalidRequest(
          fmt::format("Invalid comparison with null for operator \"{}\"", RelationOpText(c.op)));
    }
    if (!current) return false;
    if (c.op == Relation::Op::kContains || c.op == Relation::Op::kContainsKey) {
      // The collection as serialized: [n] then each element, or each map key and value.
      bool map = c.column->type.kind() == cql::TypeKind::kMap;
      bool key = c.op == Relation::Op::kContainsKey;
      cql::ByteReader r(*current);
      PF_ASSIGN_OR_RETURN(int32_t n, r.ReadInt());
      for (int32_t i = 0; i < n; ++i) {
        PF_ASSIGN_OR_RETURN(auto first, r.ReadBytes());
        std::optional<std::string_view> second;
        if (map) {
          PF_ASSIGN_OR_RETURN(second, r.ReadBytes());
        }
        const auto& element = map && !key ? second : first;
        if (element && CompareValues(c.value_type, *element, *given[0]) == 0) return true;
      }
      return false;
    }
    int cmp = CompareValues(c.value_type, *current, *given[0]);
    switch (c.op) {
      case Relation::Op::kLt:
        return cmp < 0;
      case Relation::Op::kLte:
        return cmp <= 0;
      case Relation::Op::kGt:
        return cmp > 0;
      case Relation::Op::kGte:
        return cmp >= 0;
      default:
        return InvalidRequest("Unsupported operator in IF condition");
    }
  }

  // The single partition and row a conditional statement writes, with Cassandra's errors.
  Status CheckConditionalShape(const std::vector<PartitionMutation>& mutations) const {
    const char* what = kind() == "delete" ? "deletions" : "updates";
    const bool clustering_in = ClusteringHasIn(*this);
    if (mutations.size() > 1 || (mutations.empty() && !clustering_in)) {
      return InvalidRequest(
          fmt::format("IN on the partition key is not supported with conditional {}", what));
    }
    if (clustering_in || mutations[0].rows.size() > 1) {
      return ConditionalClusteringInError(*this);
    }
    const PartitionMutation& m = mutations[0];
    if ((m.partition_deletion_timestamp || !m.range_tombstones.empty()) &&
        table_meta_->clustering_size() > 0) {
      return InvalidRequest(
          "DELETE statements must restrict all PRIMARY KEY columns with equality relations in "
          "order to use IF conditions");
    }
    return Status::Ok();
  }

  Result<bool> CheckConditions(ExecutionContext& ctx, const PartitionMutation& m,
                               CasRows* rows) const override {
    const TableMetadata& t = *table_meta_;
    if (!rows->table) {
      rows->table = table_meta_;
      for (const auto& c : t.columns) {
        if (!c.is_primary_key()) rows->cell_columns.push_back(&c);
      }
    }
    // Conditions on static columns read the partition's static row, whether or not the
    // clustering row exists (Cassandra's CQL3CasRequest checks them at STATIC_CLUSTERING).
    bool static_conditions =
        lwt_ == Lwt::kConditions &&
        std::any_of(conditions_.begin(), conditions_.end(),
                    [](const ConditionImpl& c) { return c.column->kind == ColumnKind::kStatic; });
    const bool only_static_conditions =
        static_conditions &&
        std::all_of(conditions_.begin(), conditions_.end(),
                    [](const ConditionImpl& c) { return c.column->kind == ColumnKind::kStatic; });
    ReadCommand read;
    read.table = table_meta_;
    read.now_seconds = ctx.now_in_seconds;
    read.partition_keys.push_back(m.partition_key);
    // With conditions on statics alone Cassandra reads the partition's first live row, whose
    // key a failed conditional batch shows; otherwise the statement's row.
    if (!m.rows.empty() && t.clustering_size() > 0 && !only_static_conditions) {
      ClusteringBound bound{m.rows[0].clustering, true};
      read.slices.push_back(ClusteringSlice{bound, bound});
    }
    for (const ColumnMetadata* c : rows->cell_columns) read.columns.push_back(c->id);
    read.row_limit = 1;
    PF_ASSIGN_OR_RETURN(ReadResult current, ctx.db->storage().Read(read));
    const ReadRow* row = current.rows.empty() ? nullptr : &current.rows[0];
    // A clustering prefix (TableMetadata::has_clustering_prefix_rows) also selects the rows
    // extending it; the row keyed by the prefix itself sorts first.
    if (row && !m.rows.empty() && !only_static_conditions &&
        row->clustering.size() != m.rows[0].clustering.size()) {
      row = nullptr;
    }
    // A write of static columns alone names no row: its IF NOT EXISTS / IF EXISTS ask whether
    // the partition's static row has live data (CQL3CasRequest at STATIC_CLUSTERING).
    const bool static_existence = m.rows.empty() && t.clustering_size() > 0 &&
                                  (lwt_ == Lwt::kIfNotExists || lwt_ == Lwt::kIfExists);
    // A conditional write of static columns reads the static row too (CQL3CasRequest's
    // columnsToRead): a failed condition on a missing row then shows the partition's statics.
    const bool writes_statics = (lwt_ == Lwt::kConditions || lwt_ == Lwt::kIfExists) &&
                                !m.static_cells.empty();
    ReadResult statics;
    if ((!row && (static_conditions || writes_statics) && t.clustering_size() > 0) ||
        static_existence) {
      ReadCommand sr = read;
      sr.slices.clear();
      sr.distinct = true;
      PF_ASSIGN_OR_RETURN(statics, ctx.db->storage().Read(sr));
    }
    const ReadRow* static_row = statics.rows.empty() ? nullptr : &statics.rows[0];
    // A DISTINCT read answers a partition with rows but no static data too.
    const bool static_live =
        static_row && std::any_of(static_row->cells.begin(), static_row->cells.end(),
                                  [](const auto& c) { return c.has_value(); });
    auto cell_of = [&](const ColumnMetadata* col) -> std::optional<CellValue> {
      const ReadRow* source = row ? row : col->kind == ColumnKind::kStatic ? static_row : nullptr;
      if (!source) return std::nullopt;
      for (size_t i = 0; i < rows->cell_columns.size(); ++i) {
        if (rows->cell_columns[i] == col) return source->cells[i];
      }
      return std::nullopt;
    };
    bool applied = true;
    switch (lwt_) {
      case Lwt::kIfNotExists:
        applied = static_existence ? !static_live : row == nullptr;
        rows->all_columns = true;
        break;
      case Lwt::kIfExists:
        applied = static_existence ? static_live : row != nullptr;
        if (static_existence) rows->all_columns = true;
        break;
      case Lwt::kConditions: {
        PF_ASSIGN_OR_RETURN(std::vector<size_t> order, ConditionOrder(ctx));
        for (size_t i : order) {
          const ConditionImpl& c = conditions_[i];
          PF_ASSIGN_OR_RETURN(bool holds, ConditionHolds(c, ctx, cell_of(c.column)));
          if (!holds) {
            // The first false condition decides: the later ones are not evaluated (their
            // errors are not raised either).
            applied = false;
            break;
          }
        }
        // The columns a failed condition shows: regular ones in IF order, then static ones
        // (Cassandra's ColumnConditions.getColumns()).
        for (bool statics : {false, true}) {
          for (const ConditionImpl& c : conditions_) {
            if ((c.column->kind == ColumnKind::kStatic) != statics) continue;
            if (std::find(rows->conditioned.begin(), rows->conditioned.end(), c.column) ==
                rows->conditioned.end()) {
              rows->conditioned.push_back(c.column);
            }
          }
        }
        break;
      }
      case Lwt::kNone:
        break;
    }
    if (row != nullptr) {
      bool seen = std::any_of(rows->rows.begin(), rows->rows.end(), [&](const ReadRow& r) {
        return r.partition_key == row->partition_key && r.clustering == row->clustering;
      });
      if (!seen) {
        rows->rows.push_back(std::move(current.rows[0]));
        if (static_existence) {
          // Only the static row was asked about: the partition's first row shows its key and
          // statics, its regular columns as null.
          ReadRow& shown = rows->rows.back();
          for (size_t i = 0; i < rows->cell_columns.size(); ++i) {
            if (rows->cell_columns[i]->kind != ColumnKind::kStatic) shown.cells[i].reset();
          }
        } else if (lwt_ == Lwt::kIfNotExists && m.static_cells.empty() &&
                   t.clustering_size() > 0) {
          // Cassandra reads the static row only for a statement that writes it
          // (CQL3CasRequest.columnsToRead): a refused insert of a clustering row shows its
          // statics as null.
          ReadRow& shown = rows->rows.back();
          for (size_t i = 0; i < rows->cell_columns.size(); ++i) {
            if (rows->cell_columns[i]->kind == ColumnKind::kStatic) shown.cells[i].reset();
          }
        }
      }
    } else if (static_row != nullptr && (static_live || only_static_conditions)) {
      // The live static row the conditions or a static write read, or, when only statics are
      // conditioned (Cassandra then reads the partition's first live row), the static values
      // of a partition that has rows; regular columns and clustering show as null (all of them
      // after IF EXISTS).
      if (lwt_ == Lwt::kIfExists) rows->all_columns = true;
      ReadRow shown = *static_row;
      shown.clustering.clear();
      for (size_t i = 0; i < rows->cell_columns.size(); ++i) {
        if (rows->cell_columns[i]->kind != ColumnKind::kStatic) shown.cells[i].reset();
      }
      rows->rows.push_back(std::move(shown));
    }
    return applied;
  }

  // Conditional statements: read the row, check, write if applied, answer with `[applied]` and,
  // when not applied, the current values (Cassandra's result set shapes).
  Result<StatementResult> ExecuteConditional(ExecutionContext& ctx) const {
    if (has_timestamp_) {
      return InvalidRequest("Cannot provide custom timestamp for conditional updates");
    }
    // Built once here for the partition and the statement's errors, then again under the
    // partition's lock at the ballot's timestamp (service::StorageProxy::CompareAndSet).
    std::vector<PartitionMutation> mutations;
    ctx.cas_update_error = Status::Ok();
    PF_RETURN_IF_ERROR(AddMutations(ctx, std::nullopt, &mutations));
    PF_RETURN_IF_ERROR(CheckConditionalShape(mutations));
    CasRows rows;
    auto build = [&](int64_t ballot, std::vector<PartitionMutation>* out) -> Status {
      out->clear();
      ctx.cas_update_error = Status::Ok();
      PF_RETURN_IF_ERROR(AddMutations(ctx, ballot, out));
      CasDeletionsBeforeWrites(ballot, out);
      return Status::Ok();
    };
    PF_ASSIGN_OR_RETURN(bool applied, ctx.proxy->CompareAndSet(
                                          &mutations, build,
                                          [&]() -> Result<bool> {
                                            PF_ASSIGN_OR_RETURN(
                                                bool holds,
                                                CheckConditions(ctx, mutations[0], &rows));
                                            return CasCommitAllowed(ctx, holds);
                                          },
                                          ctx.now_in_seconds));
    StatementResult result;
    result.body = CasResultBody(rows, applied, /*batch=*/false);
    return result;
  }

  bool has_timestamp() const override { return has_timestamp_; }
  bool is_conditional() const override { return lwt_ != Lwt::kNone; }
  bool is_counter() const override { return counter_; }

  Result<StatementResult> Execute(ExecutionContext& ctx) const override {
    if (lwt_ != Lwt::kNone && counter_) {
      return InvalidRequest("Conditional updates are not supported on counter tables");
    }
    if (lwt_ != Lwt::kNone) return ExecuteConditional(ctx);
    if (counter_) {
      // The read and the write of an increment, under the locks of its partitions.
      PF_ASSIGN_OR_RETURN(auto partitions, CounterPartitions(ctx));
      PF_RETURN_IF_ERROR(ctx.proxy->CounterWrite(partitions, [&] { return ApplyMutations(ctx); }));
      StatementResult r;
      r.body = VoidResultBody();
      return r;
    }
    return ModificationStatement::Execute(ctx);
  }

  bool counter_ = false;
  Lwt lwt_ = Lwt::kNone;
  std::vector<ConditionImpl> conditions_;
  std::shared_ptr<const TableMetadata> table_meta_;
  ValueSource timestamp_, ttl_;
  bool has_timestamp_ = false, has_ttl_ = false;
};

class InsertStatementImpl final : public TableModification {
 public:
  std::string_view kind() const override { return "insert"; }
  bool is_single_row_write() const override { return !json_ && WritesWithoutReading(ops_); }

  Status Prepare(const InsertStatement& stmt, std::shared_ptr<const TableMetadata> table,
                 int bind_count, const KeyspaceMetadata* keyspace) {
    BindCollector binds(table.get(), bind_count, keyspace);
    PF_RETURN_IF_ERROR(Init(std::move(table), stmt.using_clause, binds, true));
    if (stmt.if_not_exists) lwt_ = Lwt::kIfNotExists;
    if (counter_) {
      return InvalidRequest(
          "INSERT statements are not allowed on counter tables, use UPDATE instead");
    }
    if (stmt.json) {
      // INSERT JSON: the object is read at execution (it may be a bind marker).
      PF_ASSIGN_OR_RETURN(ValueSource json,
                          binds.Source(*stmt.json, cql::DataType(cql::TypeKind::kText), "[json]"));
      json_ = std::move(json);
      json_default_unset_ = stmt.json_default_unset;
      bind_specs_ = binds.Take();
      return Status::Ok();
    }
    if (stmt.columns.size() != stmt.values.size()) {
      return InvalidRequest("Unmatched column names/values");
    }
    for (size_t i = 0; i < stmt.columns.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (stmt.columns[j] == stmt.columns[i]) {
          return InvalidRequest("The column names contains duplicates");
        }
      }
    }
    std::vector<std::pair<const ColumnMetadata*, ValueSource>> values;
    for (size_t i = 0; i < stmt.columns.size(); ++i) {
      const ColumnMetadata* col = table_meta_->FindColumn(stmt.columns[i]);
      if (!col) return UndefinedColumn(stmt.columns[i], table_meta_->keyspace, table_meta_->name);
      PF_ASSIGN_OR_RETURN(ValueSource src, binds.Source(stmt.values[i], col->type, col->name));
      values.emplace_back(col, std::move(src));
    }
    PF_RETURN_IF_ERROR(PrepareValues(std::move(values)));
    bind_specs_ = binds.Take();
    return Status::Ok();
  }

  // The columns an INSERT writes, with where each value comes from.
  Status PrepareValues(std::vector<std::pair<const ColumnMetadata*, ValueSource>> values) {
    const auto& t = *table_meta_;
    pk_.assign(t.partition_key_size(), ValueSource());
    ck_.assign(t.clustering_size(), ValueSource());
    ops_.clear();
    std::vector<bool> seen_pk(pk_.size()), seen_ck(ck_.size());
    for (auto& [col, src] : values) {
      size_t pos = static_cast<size_t>(col->position);
      if (col->kind == ColumnKind::kPartitionKey) {
        pk_[pos] = std::move(src);
        seen_pk[pos] = true;
      } else if (col->kind == ColumnKind::kClustering) {
        ck_[pos] = std::move(src);
        seen_ck[pos] = true;
      } else {
        Operation op;
        op.column = col;
        op.value = std::move(src);
        ops_.push_back(std::move(op));
      }
    }
    std::vector<std::string> missing;
    for (size_t i = 0; i < pk_.size(); ++i) {
      if (!seen_pk[i]) missing.push_back(t.PartitionKeyColumns()[i]->name);
    }
    if (!missing.empty()) {
      return InvalidRequest("Some partition key parts are missing: " + Join(missing));
    }
    bool only_static = !ops_.empty();
    for (const Operation& op : ops_) only_static &= op.is_static();
    bool any_ck = false;
    for (bool b : seen_ck) any_ck |= b;
    if (any_ck && t.has_clustering_prefix_rows()) {
      // A dense table's row may be keyed by the given prefix of its clustering columns; a
      // column given after a missing one is refused as Cassandra's
      // processClusteringColumnsRestrictions refuses it.
      size_t given = 0;
      while (given < ck_.size() && seen_ck[given]) ++given;
      for (size_t i = given; i < ck_.size(); ++i) {
        if (seen_ck[i]) {
          return InvalidRequest(fmt::format(
              "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not "
              "restricted",
              t.ClusteringColumns()[i]->name, t.ClusteringColumns()[given]->name));
        }
      }
      ck_.resize(given);
      seen_ck.resize(given);
    }
    for (size_t i = 0; i < ck_.size(); ++i) {
      if (!seen_ck[i] && (!only_static || any_ck)) {
        missing.push_back(t.ClusteringColumns()[i]->name);
      }
    }
    if (!missing.empty()) {
      return InvalidRequest("Some clustering keys are missing: " + Join(missing));
    }
    // Cassandra's columns of a static compact table are static: an INSERT of the key alone
    // names no row, and its hidden clustering column is missing.
    if (t.is_static_compact() && ops_.empty()) {
      return InvalidRequest("Some clustering keys are missing: " + t.compact.hidden_clustering);
    }
    static_only_ = only_static && !any_ck && !ck_.empty();
    std::vector<const ValueSource*> pk_sources;
    for (const auto& s : pk_) pk_sources.push_back(&s);
    ComputePkIndexes(pk_sources);
    return Status::Ok();
  }

  // INSERT JSON at execution: the object's members become constant values of a plain INSERT.
  Status AddJsonMutations(const ExecutionContext& ctx, std::optional<int64_t> batch_ts,
                          std::vector<PartitionMutation>* out) const {
    PF_ASSIGN_OR_RETURN(cql::RawValue text, ResolveValue(*json_, ctx));
    if (text.kind != cql::RawValue::Kind::kBytes) {
      return InvalidRequest("Got null for INSERT JSON values");
    }
    const auto& t = *table_meta_;
    std::vector<std::pair<std::string, cql::DataType>> columns;
    for (const auto& c : t.columns) columns.emplace_back(c.name, c.type);
    PF_ASSIGN_OR_RETURN(std::vector<JsonColumnValue> given, ParseInsertJson(text.bytes, columns));
    std::vector<std::pair<const ColumnMetadata*, ValueSource>> values;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const ColumnMetadata* col = &t.columns[i];
      // DEFAULT NULL: every column the object omits is written null; DEFAULT UNSET skips it,
      // and refuses an omitted key column as the unset value Cassandra binds to it.
      if (!given[i].given && json_default_unset_) {
        if (col->is_primary_key()) {
          return InvalidRequest("Invalid unset value for column " + col->name);
        }
        continue;
      }
      std::optional<std::string>& bytes = given[i].value;
      if (bytes) {
        if (auto canonical = NormalizeValue(col->type, *bytes)) bytes = std::move(canonical);
      }
      ValueSource src;
      src.type = col->type;
      src.receiver = col->name;
      if (bytes) {
        src.kind = ValueSource::Kind::kConstant;
        src.constant = std::move(*bytes);
      }
      values.emplace_back(col, std::move(src));
    }
    InsertStatementImpl resolved(*this);
    resolved.json_.reset();
    PF_RETURN_IF_ERROR(resolved.PrepareValues(std::move(values)));
    return resolved.AddMutations(ctx, batch_ts, out);
  }

  Status AddMutations(const ExecutionContext& ctx, std::optional<int64_t> batch_ts,
                      std::vector<PartitionMutation>* out) const override {
    if (json_) return AddJsonMutations(ctx, batch_ts, out);
    // UpdateStatement.addUpdateForKey: a compact row lives only through its value (no row
    // marker), so the value cannot be left out; checked when the statement runs.
    if (ops_.empty()) {
      if (const ColumnMetadata* value = table_meta_->CompactValueColumn()) {
        // INSERT JSON ... DEFAULT UNSET binds the omitted value as unset: nothing to write.
        if (json_default_unset_) return Status::Ok();
        return InvalidRequest("Column " + value->name +
                              " is mandatory for this COMPACT STORAGE table");
      }
    }
    PF_ASSIGN_OR_RETURN(int64_t ts, Timestamp(ctx, batch_ts));
    PF_ASSIGN_OR_RETURN(int32_t ttl, Ttl(ctx));
    PartitionMutation m;
    m.table = table_meta_;
    for (const auto& s : pk_) {
      PF_ASSIGN_OR_RETURN(std::string c, KeyComponent(s, ctx, true, pk_.size()));
      m.partition_key.push_back(std::move(c));
    }
    RowMutation row;
    for (const auto& s : ck_) {
      if (static_only_) break;
      PF_ASSIGN_OR_RETURN(std::string c, KeyComponent(s, ctx, false, 0));
      row.clustering.push_back(std::move(c));
    }
    PF_RETURN_IF_ERROR(CheckCompactClustering(*table_meta_, {&row.clustering, 1}));
    PF_RETURN_IF_ERROR(AppendOperations(ops_, ctx, ts, ttl, m.partition_key, &row.clustering,
                                        &m.static_cells, &row.cells));
    if (!static_only_) {
      if (table_meta_->writes_row_marker()) {
        row.marker_timestamp = ts;
        row.marker_ttl = ttl;
      }
      m.rows.push_back(std::move(row));
    }
    out->push_back(std::move(m));
    return Status::Ok();
  }

 private:
  std::vector<ValueSource> pk_, ck_;
  std::vector<Operation> ops_;
  bool static_only_ = false;
  std::optional<ValueSource> json_;  // INSERT JSON
  bool json_default_unset_ = false;

  Result<std::vector<service::PartitionRef>> CounterPartitions(
      const ExecutionContext&) const override {
    return InvalidRequest(
        "INSERT statements are not allowed on counter tables, use UPDATE instead");
  }
};

// UPDATE and DELETE share the WHERE handling: full partition key, and clustering keys.
class WhereModification : public TableModification {
 public:
  bool clustering_has_in() const { return where_.clustering_in; }
  bool partition_has_in() const {
    return std::any_of(where_.partition.begin(), where_.partition.end(),
                       [](const KeyRestriction& r) { return r.in_marker || r.values.size() != 1; });
  }

  Result<std::vector<service::PartitionRef>> CounterPartitions(
      const ExecutionContext& ctx) const override {
    PF_ASSIGN_OR_RETURN(auto keys, ResolvePartitionKeys(where_, ctx));
    std::vector<service::PartitionRef> out;
    out.reserve(keys.size());
    for (auto& key : keys) out.push_back({table_meta_->storage_id, std::move(key)});
    return out;
  }

 protected:
  Status PrepareWhere(const std::vector<Relation>& where, BindCollector& binds) {
    // Cassandra's StatementRestrictions refuses CONTAINS and IS NOT NULL before it looks at the
    // columns.
    for (const Relation& rel : where) {
      if (rel.op == Relation::Op::kContains || rel.op == Relation::Op::kContainsKey) {
        return InvalidRequest(fmt::format("Cannot use {} with {}",
                                          kind() == "update" ? "UPDATE" : "DELETE",
                                          RelationOpText(rel.op)));
      }
      if (rel.op == Relation::Op::kIsNotNull) break;  // AnalyzeWhere refuses it
    }
    PF_ASSIGN_OR_RETURN(where_, AnalyzeWhere(where, *table_meta_, binds, /*for_select=*/false));
    if (!where_.partition_complete) {
      std::vector<std::string> missing;
      for (size_t i = 0; i < where_.partition.size(); ++i) {
        if (!where_.partition[i].column) {
          missing.push_back(table_meta_->PartitionKeyColumns()[i]->name);
        }
      }
      return InvalidRequest("Some partition key parts are missing: " + Join(missing));
    }
    std::vector<const ValueSource*> pk_sources;
    for (const auto& r : where_.partition) {
      pk_sources.push_back(r.values.size() == 1 && !r.in_marker ? &r.values[0] : nullptr);
    }
    ComputePkIndexes(pk_sources);
    return Status::Ok();
  }

  // Cassandra refuses clustering restrictions on an UPDATE or DELETE that applies only to static
  // columns (no operation or condition on a regular column, at least one on a static one).
  Status CheckStaticOnly(bool ops_static, bool ops_regular,
                         const std::vector<Condition>& conditions, std::string_view type) const {
    bool static_used = ops_static, regular_used = ops_regular;
    for (const Condition& c : conditions) {
      const ColumnMetadata* col = table_meta_->FindColumn(c.relation.columns[0]);
      if (!col) continue;
      static_used |= col->kind == ColumnKind::kStatic;
      regular_used |= col->kind == ColumnKind::kRegular;
    }
    if (!static_used || regular_used) return Status::Ok();
    if (where_.clustering_restricted() > 0 || where_.slice_size > 0) {
      return InvalidRequest(fmt::format(
          "Invalid restrictions on clustering columns since the {} statement modifies only "
          "static columns",
          type));
    }
    return Status::Ok();
  }

  bool ClusteringComplete() const {
    return where_.slice_size == 0 &&
           where_.clustering_restricted() == table_meta_->clustering_size();
  }
  Status RequireFullClustering() const {
    if (ClusteringComplete()) return Status::Ok();
    if (where_.slice_size) {
      return InvalidRequest(fmt::format(
          "Slice restrictions are not supported on the clustering columns in {} statements",
          kind() == "update" ? "UPDATE" : "DELETE"));
    }
    // The row keyed by the restricted prefix. Not for counters: Cassandra 5.0.8 accepts the
    // statement and its replica fails to apply it (a NullPointerException building the counter
    // cache key), so the client gets a write timeout and nothing is written; refused here.
    if (where_.clustering_restricted() > 0 && table_meta_->has_clustering_prefix_rows() &&
        !counter_) {
      return Status::Ok();
    }
    std::vector<std::string> missing;
    auto ck = table_meta_->ClusteringColumns();
    for (size_t i = where_.clustering_restricted(); i < ck.size(); ++i) {
      missing.push_back(ck[i]->name);
    }
    return InvalidRequest("Some clustering keys are missing: " + Join(missing));
  }

  WhereClause where_;
};

class UpdateStatementImpl final : public WhereModification {
 public:
  std::string_view kind() const override { return "update"; }
  bool is_single_row_write() const override {
    return !partition_has_in() && !clustering_has_in() && WritesWithoutReading(ops_);
  }

  Status Prepare(const UpdateStatement& stmt, std::shared_ptr<const TableMetadata> table,
                 int bind_count, const KeyspaceMetadata* keyspace) {
    BindCollector binds(table.get(), bind_count, keyspace);
    PF_RETURN_IF_ERROR(Init(std::move(table), stmt.using_clause, binds, true));
    if (stmt.if_exists) lwt_ = Lwt::kIfExists;
    bool only_static = true;
    // Assignments come first in the text, so their markers are bound first.
    for (const auto& a : stmt.assignments) {
      const ColumnMetadata* col = table_meta_->FindColumn(a.column);
      if (!col) return UndefinedColumn(a.column, table_meta_->keyspace, table_meta_->name);
      if (col->is_primary_key()) {
        return InvalidRequest("PRIMARY KEY part " + col->name + " found in SET part");
      }
      only_static &= col->kind == ColumnKind::kStatic;
      PF_ASSIGN_OR_RETURN(Operation op, PrepareAssignment(a, *col, binds));
      ops_.push_back(std::move(op));
    }
    PF_RETURN_IF_ERROR(PrepareWhere(stmt.where, binds));
    PF_RETURN_IF_ERROR(PrepareConditions(stmt.conditions, binds));
    PF_RETURN_IF_ERROR(CheckStaticOnly(only_static, !only_static, stmt.conditions, "UPDATE"));
    // A condition on a regular column needs a row, as an assignment to one does (Cassandra's
    // appliesOnlyToStaticColumns counts conditions too).
    for (const Condition& c : stmt.conditions) {
      const ColumnMetadata* col = table_meta_->FindColumn(c.relation.columns[0]);
      if (col && col->kind == ColumnKind::kRegular) only_static = false;
    }
    static_only_ = only_static && where_.clustering_restricted() == 0;
    if (!static_only_) PF_RETURN_IF_ERROR(RequireFullClustering());
    bind_specs_ = binds.Take();
    return Status::Ok();
  }

  Status AddMutations(const ExecutionContext& ctx, std::optional<int64_t> batch_ts,
                      std::vector<PartitionMutation>* out) const override {
    PF_ASSIGN_OR_RETURN(int64_t ts, Timestamp(ctx, batch_ts));
    PF_ASSIGN_OR_RETURN(int32_t ttl, Ttl(ctx));
    PF_ASSIGN_OR_RETURN(auto keys, ResolvePartitionKeys(where_, ctx));
    std::vector<std::vector<std::string>> rows;
    if (!static_only_) {
      PF_ASSIGN_OR_RETURN(rows, ResolveClusteringPrefixes(where_, *table_meta_, ctx));
      PF_RETURN_IF_ERROR(CheckCompactClustering(*table_meta_, rows));
    }
    for (auto& key : keys) {
      if (key.size() == 1 && key[0].empty()) return InvalidRequest("Key may not be empty");
      PartitionMutation m;
      m.table = table_meta_;
      m.partition_key = std::move(key);
      if (static_only_) {
        std::vector<CellWrite> unused;
        PF_RETURN_IF_ERROR(AppendOperations(ops_, ctx, ts, ttl, m.partition_key, nullptr,
                                            &m.static_cells, &unused));
      }
      for (size_t i = 0; i < rows.size(); ++i) {
        RowMutation row;
        row.clustering = rows[i];
        // Static cells once per partition, however many rows the statement names.
        std::vector<CellWrite> statics;
        PF_RETURN_IF_ERROR(AppendOperations(ops_, ctx, ts, ttl, m.partition_key, &row.clustering,
                                            i == 0 ? &m.static_cells : &statics, &row.cells));
        m.rows.push_back(std::move(row));
      }
      out->push_back(std::move(m));
    }
    return Status::Ok();
  }

 private:
  std::vector<Operation> ops_;
  bool static_only_ = false;
};

class DeleteStatementImpl final : public WhereModification {
 public:
  std::string_view kind() const override { return "delete"; }

  Status Prepare(const DeleteStatement& stmt, std::shared_ptr<const TableMetadata> table,
                 int bind_count, const KeyspaceMetadata* keyspace) {
    BindCollector binds(table.get(), bind_count, keyspace);
    PF_RETURN_IF_ERROR(Init(std::move(table), stmt.using_clause, binds, false));
    if (stmt.if_exists) lwt_ = Lwt::kIfExists;
    bool only_static = !stmt.columns.empty();
    for (size_t i = 0; i < stmt.columns.size(); ++i) {
      const std::string& name = stmt.columns[i];
      const ColumnMetadata* col = table_meta_->FindColumn(name);
      if (!col) return UndefinedColumn(name, table_meta_->keyspace, table_meta_->name);
      if (col->is_primary_key()) {
        return InvalidRequest("Invalid identifier " + col->name +
                              " for deletion (should not be a PRIMARY KEY part)");
      }
      only_static &= col->kind == ColumnKind::kStatic;
      PF_ASSIGN_OR_RETURN(
          Operation op,
          PrepareDeletion(*col, i < stmt.element_keys.size() ? stmt.element_keys[i] : std::nullopt,
                          i < stmt.fields.size() ? stmt.fields[i] : std::string(), binds));
      ops_.push_back(std::move(op));
    }
    PF_RETURN_IF_ERROR(PrepareWhere(stmt.where, binds));
    PF_RETURN_IF_ERROR(PrepareConditions(stmt.conditions, binds));
    PF_RETURN_IF_ERROR(CheckStaticOnly(only_static, !only_static, stmt.conditions, "DELETE"));
    if ((stmt.if_exists || !stmt.conditions.empty()) && !ClusteringComplete()) {
      // A conditional DELETE of more than one row may touch static columns only.
      const char* kPrefix =
          "DELETE statements must restrict all PRIMARY KEY columns with equality relations";
      if (!only_static) {
        return InvalidRequest(fmt::format("{} in order to delete non static columns", kPrefix));
      }
      for (const Condition& c : stmt.conditions) {
        const ColumnMetadata* col = table_meta_->FindColumn(c.relation.columns[0]);
        if (col && col->kind == ColumnKind::kRegular) {
          return InvalidRequest(
              fmt::format("{} in order to use IF condition on non static columns", kPrefix));
        }
      }
    }
    static_only_ = only_static && where_.clustering_restricted() == 0;
    // Cassandra prepares a column deletion over a range of rows and refuses it when it runs
    // (DeleteStatement.addUpdateForKey).
    range_with_columns_ = !ops_.empty() && !static_only_ && !ClusteringComplete();
    bind_specs_ = binds.Take();
    return Status::Ok();
  }

  Status AddMutations(const ExecutionContext& ctx, std::optional<int64_t> batch_ts,
                      std::vector<PartitionMutation>* out) const override {
    PF_ASSIGN_OR_RETURN(int64_t ts, Timestamp(ctx, batch_ts));
    PF_ASSIGN_OR_RETURN(auto keys, ResolvePartitionKeys(where_, ctx));
    bool whole_partition = ops_.empty() && where_.clustering_restricted() == 0;
    bool full_rows = ClusteringComplete();
    std::vector<std::vector<std::string>> rows;
    std::vector<ClusteringSlice> slices;
    if (!whole_partition && !static_only_) {
      if (full_rows) {
        PF_ASSIGN_OR_RETURN(rows, ResolveClusteringPrefixes(where_, *table_meta_, ctx));
        PF_RETURN_IF_ERROR(CheckCompactClustering(*table_meta_, rows));
      } else {
        PF_ASSIGN_OR_RETURN(slices, ResolveSlices(where_, *table_meta_, ctx));
      }
    }
    if (range_with_columns_) {
      // Ranges that select nothing delete nothing (Cassandra's Slices drop them); without
      // clustering restrictions the range is the whole partition.
      bool nothing = where_.clustering_restricted() > 0 &&
                     std::all_of(slices.begin(), slices.end(),
                                 [&](const ClusteringSlice& s) { return SelectsNothing(s); });
      if (nothing) return Status::Ok();
      return InvalidRequest("Range deletions are not supported for specific columns");
    }
    for (auto& key : keys) {
      PartitionMutation m;
      m.table = table_meta_;
      m.partition_key = std::move(key);
      if (whole_partition) {
        m.partition_deletion_timestamp = ts;
      } else if (static_only_) {
        std::vector<CellWrite> unused;
        PF_RETURN_IF_ERROR(
            AppendOperations(ops_, ctx, ts, 0, m.partition_key, nullptr, &m.static_cells, &unused));
      } else if (full_rows) {
        for (size_t i = 0; i < rows.size(); ++i) {
          RowMutation row;
          row.clustering = rows[i];
          if (ops_.empty()) {
            row.deletion_timestamp = ts;
          } else {
            std::vector<CellWrite> statics;
            PF_RETURN_IF_ERROR(AppendOperations(ops_, ctx, ts, 0, m.partition_key, &row.clustering,
                                                i == 0 ? &m.static_cells : &statics, &row.cells));
          }
          m.rows.push_back(std::move(row));
        }
      } else {
        for (const auto& s : slices)
          m.range_tombstones.push_back(RangeTombstone{s.start, s.end, ts});
      }
      out->push_back(std::move(m));
    }
    return Status::Ok();
  }

 private:
  // Whether `s` (bounds in declared order) holds no clustering at all.
  bool SelectsNothing(const ClusteringSlice& s) const {
    auto ck = table_meta_->ClusteringColumns();
    const auto& lo = s.start.components;
    const auto& hi = s.end.components;
    for (size_t i = 0; i < lo.size() && i < hi.size(); ++i) {
      int c = CompareValues(ck[i]->type, lo[i], hi[i]);
      if (ck[i]->order == ClusteringOrder::kDesc) c = -c;
      if (c != 0) return c > 0;
    }
    if (lo.size() == hi.size()) return !(s.start.inclusive && s.end.inclusive);
    // A shorter bound covers every clustering under it when inclusive, none when exclusive.
    return lo.size() < hi.size() ? !s.start.inclusive : !s.end.inclusive;
  }

  std::vector<Operation> ops_;
  bool static_only_ = false;
  bool range_with_columns_ = false;
};

}  // namespace

void CasDeletionsBeforeWrites(int64_t timestamp, std::vector<PartitionMutation>* mutations) {
  for (PartitionMutation& m : *mutations) {
    if (m.partition_deletion_timestamp == timestamp) *m.partition_deletion_timestamp = timestamp - 1;
    for (RangeTombstone& rt : m.range_tombstones) {
      if (rt.timestamp == timestamp) rt.timestamp = timestamp - 1;
    }
  }
}

std::string CasResultBody(const CasRows& rows, bool applied, bool batch) {
  cql::RowsMetadata meta;
  const std::string ks = rows.table ? rows.table->keyspace : std::string();
  const std::string name = rows.table ? rows.table->name : std::string();
  meta.columns.push_back(
      cql::ColumnSpec{ks, name, "[applied]", cql::DataType(cql::TypeKind::kBoolean)});
  std::vector<const ColumnMetadata*> shown;
  if (!applied && !rows.rows.empty()) {
    // IF NOT EXISTS shows every column in SELECT * order; conditions show their columns in
    // the order they were recorded, after the primary key in batches.
    for (const auto& col : rows.table->columns) {
      if (rows.all_columns || (batch && col.is_primary_key())) shown.push_back(&col);
    }
    if (!rows.all_columns) {
      for (const ColumnMetadata* col : rows.conditioned) {
        if (!col->is_primary_key()) shown.push_back(col);
      }
    }
    for (const ColumnMetadata* col : shown) {
      meta.columns.push_back(cql::ColumnSpec{ks, name, col->name, col->type});
    }
  }
  meta.column_count = static_cast<int32_t>(meta.columns.size());
  const std::string applied_byte(1, applied ? '\x01' : '\x00');
  std::vector<cql::RawValue> cells;
  size_t row_count = applied || rows.rows.empty() ? 1 : rows.rows.size();
  if (shown.empty()) {
    cells.push_back(cql::RawValue::Of(applied_byte));
  } else {
    for (const ReadRow& row : rows.rows) {
      cells.push_back(cql::RawValue::Of(applied_byte));
      for (const ColumnMetadata* col : shown) {
        auto pos = static_cast<size_t>(col->position);
        if (col->kind == ColumnKind::kPartitionKey) {
          cells.push_back(cql::RawValue::Of(row.partition_key[pos]));
        } else if (col->kind == ColumnKind::kClustering) {
          cells.push_back(pos < row.clustering.size() ? cql::RawValue::Of(row.clustering[pos])
                                                      : cql::RawValue::Null());
        } else {
          auto it = std::find(rows.cell_columns.begin(), rows.cell_columns.end(), col);
          const auto& cell = row.cells[static_cast<size_t>(it - rows.cell_columns.begin())];
          cells.push_back(cell ? cql::RawValue::Of(cell->value) : cql::RawValue::Null());
        }
      }
    }
  }
  std::string body;
  cql::ByteWriter w(&body);
  cql::EncodeRowsResult(meta, static_cast<int32_t>(row_count), cells, w);
  return body;
}

bool PartitionHasIn(const ModificationStatement& statement) {
  const auto* where = dynamic_cast<const WhereModification*>(&statement);
  return where != nullptr && where->partition_has_in();
}

bool ClusteringHasIn(const ModificationStatement& statement) {
  const auto* where = dynamic_cast<const WhereModification*>(&statement);
  return where != nullptr && where->clustering_has_in();
}

Status ConditionalClusteringInError(const ModificationStatement& statement) {
  return InvalidRequest(
      fmt::format("IN on the clustering key columns is not supported with conditional {}",
                  statement.kind() == "delete" ? "deletions" : "updates"));
}

Result<std::unique_ptr<ModificationStatement>> PrepareInsert(
    const InsertStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count,
    const KeyspaceMetadata* keyspace) {
  auto s = std::make_unique<InsertStatementImpl>();
  PF_RETURN_IF_ERROR(s->Prepare(stmt, std::move(table), bind_count, keyspace));
  return std::unique_ptr<ModificationStatement>(std::move(s));
}

Result<std::unique_ptr<ModificationStatement>> PrepareUpdate(
    const UpdateStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count,
    const KeyspaceMetadata* keyspace) {
  auto s = std::make_unique<UpdateStatementImpl>();
  PF_RETURN_IF_ERROR(s->Prepare(stmt, std::move(table), bind_count, keyspace));
  return std::unique_ptr<ModificationStatement>(std::move(s));
}

Result<std::unique_ptr<ModificationStatement>> PrepareDelete(
    const DeleteStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count,
    const KeyspaceMetadata* keyspace) {
  auto s = std::make_unique<DeleteStatementImpl>();
  PF_RETURN_IF_ERROR(s->Prepare(stmt, std::move(table), bind_count, keyspace));
  return std::unique_ptr<ModificationStatement>(std::move(s));
}

}  // namespace postfork::node::cql3
