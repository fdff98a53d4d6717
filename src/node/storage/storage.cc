#include "node/storage/storage.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#if defined(__linux__)
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "node/db/schema.h"
#include "node/service/tracing.h"
#include "node/storage/key_encoding.h"
#include "node/storage/kv_source.h"
#include "node/storage/row_cache.h"
#include "node/storage/row_format.h"
#include "node/timestamp.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/types.h"

namespace postfork::node {
namespace {

using rows::RowValue;

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// Writes and reads that do not fit the table (bad keys, values, paging states) come from
// clients: kInvalidArgument, which cql3 answers as InvalidRequest (node/cql_errors.h).
Status InvalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  return Status(StatusCode::kIoError, std::string(what) + ": " + s.ToString());
}

// Reconciles row values by timestamp: lets writes skip reading what they overwrite.
class RowMergeOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    if (in.existing_value == nullptr && in.operand_list.size() == 1) {
      // One write on nothing (every freshly written row until compaction): the operand is the
      // value; readers apply its deletions themselves. No decode, no copy.
      out->existing_operand = in.operand_list[0];
      return true;
    }
    RowValue merged;
    if (in.existing_value != nullptr) {
      auto base = rows::Decode(in.existing_value->ToStringView());
      if (!base.ok()) return false;
      merged = std::move(*base);
    }
    for (const rocksdb::Slice& operand : in.operand_list) {
      auto v = rows::Decode(operand.ToStringView());
      if (!v.ok()) return false;
      rows::Merge(&merged, std::move(*v));
    }
    out->new_value.clear();
    rows::Encode(merged, &out->new_value);
    return true;
  }
  bool PartialMerge(const rocksdb::Slice& key, const rocksdb::Slice& left,
                    const rocksdb::Slice& right, std::string* new_value,
                    rocksdb::Logger* logger) const override {
    auto a = rows::Decode(left.ToStringView());
    auto b = rows::Decode(right.ToStringView());
    if (!a.ok() || !b.ok()) return false;
    rows::Merge(&*a, std::move(*b));
    new_value->clear();
    rows::Encode(*a, new_value);
    return true;
  }
  const char* Name() const override { return "postfork.RowMerge"; }
};

std::string MetaKey(std::string_view key) {
  std::string out(1, keys::kMetaSpace);
  out.append(key);
  return out;
}

// ---- mutations to encoded writes ---------------------------------------------------------

Status CheckKeyComponents(const std::vector<std::string>& components, size_t expected,
                          std::string_view what) {
  if (components.size() != expected) {
    return InvalidArgument("expected " + std::to_string(expected) + " " + std::string(what) +
                           " components, got " + std::to_string(components.size()));
  }
  auto too_long = [](size_t length) {
    return InvalidArgument("Key length of " + std::to_string(length) +
                           " is longer than maximum of 65535");
  };
  // Cassandra's limits on the whole key, in its order: the sum of the components' sizes
  // (ClusteringPrefix.validate, which also names the sum when one component alone is too
  // long), then a compound partition key as its CompositeType serialization (each component
  // behind a 2-byte length and before an end byte, QueryProcessor.validateKey).
  size_t total = 0;
  for (const auto& c : components) total += c.size();
  if (total > 0xFFFF) return too_long(total);
  if (what == "partition key" && components.size() > 1) total += 3 * components.size();
  if (total > 0xFFFF) return too_long(total);
  return Status::Ok();
}

constexpr int32_t kMaxTtl = 630720000;  // 20 years, Cassandra's Attributes.MAX_TTL

Status CheckTtl(int32_t ttl) {
  if (ttl < 0)
    return InvalidArgument("A TTL must be greater or equal to 0, but was " + std::to_string(ttl));
  if (ttl > kMaxTtl) {
    return InvalidArgument("ttl is too large. requested (" + std::to_string(ttl) + ") maximum (" +
                           std::to_string(kMaxTtl) + ")");
  }
  return Status::Ok();
}

// Expiry in seconds, capped below kNoDeletionTime (Cassandra caps at 2038 the same way).
int32_t ExpirationTime(int32_t now_seconds, int32_t ttl) {
  int64_t at = int64_t{now_seconds} + ttl;
  return static_cast<int32_t>(std::min<int64_t>(at, rows::kNoDeletionTime - 1));
}

// The type of a multi-cell column's cell paths (non-frozen collections: list timeuuid, set
// element, map key; non-frozen user types: the field's position as a smallint), or nullptr for
// other columns.
const cql::DataType* PathType(const cql::DataType& type) {
  static const cql::DataType kTimeuuid(cql::TypeKind::kTimeuuid);
  static const cql::DataType kSmallint(cql::TypeKind::kSmallint);
  if (!IsMultiCell(type)) return nullptr;
  if (type.kind() == cql::TypeKind::kList) return &kTimeuuid;
  if (type.kind() == cql::TypeKind::kUdt) return &kSmallint;
  return &type.params()[0];
}

// A written cell's value, tombstone and expiry into *c (a rows::Cell, which copies the value, or a
// rows::CellRef, which views it); its column, timestamp and path are the caller's.
template <class C>
void SetCellValue(const CellWrite& w, int32_t now_seconds, C* c) {
  if (!w.value) {
    c->tombstone = true;
    c->local_deletion_time = now_seconds;
    return;
  }
  c->value = *w.value;
  if (w.ttl > 0) {
    c->ttl = w.ttl;
    c->local_deletion_time = ExpirationTime(now_seconds, w.ttl);
  }
}

// The column a cell write names, when it may be written as a static (`statics`) or regular cell
// with its TTL; its path is the caller's to check.
Result<const ColumnMetadata*> WritableColumn(const TableMetadata& table, const CellWrite& w,
                                             bool statics) {
  const ColumnMetadata* column = table.FindColumnById(w.column_id);
  if (column == nullptr) {
    return InvalidArgument("unknown column id " + std::to_string(w.column_id) + " in table " +
                           table.keyspace + "." + table.name);
  }
  if ((column->kind == ColumnKind::kStatic) != statics || column->is_primary_key()) {
    return InvalidArgument("column " + column->name + " cannot be written as a " +
                           (statics ? "static" : "regular") + " cell");
  }
  PF_RETURN_IF_ERROR(CheckTtl(w.ttl));
  return column;
}

Status ToCells(const TableMetadata& table, const std::vector<CellWrite>& writes, bool statics,
               int32_t now_seconds, std::vector<rows::Cell>* out) {
  for (const CellWrite& w : writes) {
    PF_ASSIGN_OR_RETURN(const ColumnMetadata* column, WritableColumn(table, w, statics));
    rows::Cell c;
    c.column_id = w.column_id;
    c.timestamp = w.timestamp;
    if (w.path) {
      const cql::DataType* path_type = PathType(column->type);
      if (path_type == nullptr) {
        return InvalidArgument("column " + column->name + " is not a non-frozen collection");
      }
      // Stored in the element type's order, so cells sort like the collection. Never empty:
      // every element encoding takes bytes, so an empty element ('' in a set<text>) is apart
      // from the collection deletion's empty path.
      PF_RETURN_IF_ERROR(keys::AppendClusteringComponent(*path_type, false, *w.path,
                                                         keys::ElementFormat(table), &c.path));
      if (w.value && keys::StoresWrittenPath(table, *path_type)) {
        // Kept only when the path does not give the written bytes back.
        std::string_view encoded = c.path;
        auto decoded = keys::ReadClusteringComponent(*path_type, false, keys::ElementFormat(table),
                                                     &encoded);
        if (!decoded.ok() || *decoded != *w.path) c.written_path = *w.path;
      }
    } else if (PathType(column->type) != nullptr && w.value) {
      return InvalidArgument("a non-frozen collection is written element by element");
    }
    SetCellValue(w, now_seconds, &c);
    out->push_back(std::move(c));
  }
  // One cell (a single-column write): nothing to order or merge, and libstdc++'s stable_sort
  // would still allocate its buffer.
  if (out->size() < 2) return Status::Ok();
  std::stable_sort(out->begin(), out->end(), [](const rows::Cell& a, const rows::Cell& b) {
    return a.column_id != b.column_id ? a.column_id < b.column_id : a.path < b.path;
  });
  // Two writes of one cell in one mutation: keep the winner only, the first on a full tie (as
  // Cassandra's update keeps the cell it holds).
  std::vector<rows::Cell> unique;
  for (auto& c : *out) {
    if (!unique.empty() && unique.back().column_id == c.column_id && unique.back().path == c.path) {
      if (!rows::CellSupersedes(unique.back(), c)) unique.back() = std::move(c);
    } else {
      unique.push_back(std::move(c));
    }
  }
  *out = std::move(unique);
  return Status::Ok();
}

Result<std::optional<rows::RangeDeletion>> ToRangeDeletion(const TableMetadata& table,
                                                           const RangeTombstone& rt,
                                                           int32_t now_seconds) {
  rows::RangeDeletion rd;
  PF_ASSIGN_OR_RETURN(std::string start, keys::EncodeClustering(table, rt.start.components));
  PF_ASSIGN_OR_RETURN(std::string end, keys::EncodeClustering(table, rt.end.components));
  rd.lower = (rt.start.inclusive || start.empty()) ? start : keys::PrefixSuccessor(start);
  // Nothing sorts after an exclusive start whose encoding has no successor (the largest value
  // in the declared order, e.g. `c < false` on a DESC column): the range is empty, not the
  // whole partition.
  if (!rt.start.components.empty() && !rt.start.inclusive && rd.lower.empty()) {
    return std::optional<rows::RangeDeletion>();
  }
  if (!end.empty()) {
    if (rt.end.inclusive) {
      std::string succ = keys::PrefixSuccessor(end);
      if (!succ.empty()) rd.upper = std::move(succ);
    } else {
      rd.upper = end;
    }
  }
  rd.deletion.timestamp = rt.timestamp;
  rd.deletion.local_deletion_time = now_seconds;
  return std::optional<rows::RangeDeletion>(std::move(rd));
}

// One index entry: its key and value (the base write's timestamp, BE64).
using IndexPut = std::pair<std::string, std::string>;

// Adds the entries `index` has for one cell of its column: `path` is the element's identity as
// written (list timeuuid, set element, map key; none for other columns) and `value` the cell
// value. `suffix` is the base key without its table prefix (token, partition key, section and
// clustering), so an entry's key maps back to its row. Values that cannot be encoded (an empty
// int, say) are not indexed: no lookup can ask for them. A value of 64 KiB or more is refused
// with Cassandra's InvalidRequest (CassandraIndex.validateIndexedValue).
Status AddIndexEntries(const TableMetadata& table, const ColumnMetadata& column,
                       const IndexMetadata& index, const std::optional<std::string>& path,
                       std::string_view value, int64_t timestamp, std::string_view suffix,
                       std::vector<IndexPut>* out) {
  std::string_view looked_up = value, map_value;
  if (IsMultiCell(column.type)) {
    if (!path) return Status::Ok();  // a collection deletion
    switch (column.type.kind()) {
      case cql::TypeKind::kList:
        break;  // values: the element
      case cql::TypeKind::kSet:
        looked_up = *path;
        break;
      default:  // map
        if (index.target == IndexTarget::kKeys || index.target == IndexTarget::kEntries) {
          looked_up = *path;
          map_value = value;
        }
        break;
    }
  }
  if (looked_up.size() >= kMaxIndexedValueBytes) {
    return InvalidArgument("Cannot index value of size " + std::to_string(looked_up.size()) +
                           " for index " + index.name + " on " + table.keyspace + "." + table.name +
                           "(" + column.name +
                           ") (maximum allowed size=" + std::to_string(kMaxIndexedValueBytes) + ")");
  }
  auto encoded =
      keys::EncodeIndexValue(column.type, index.target,
                             static_cast<keys::KeyFormat>(table.key_format), looked_up, map_value);
  if (!encoded.ok()) return Status::Ok();
  std::string key = keys::TablePrefix(index.storage_id);
  key.append(*encoded).append(suffix);
  std::string ts;
  cql::ByteWriter(&ts).WriteLong(timestamp);
  out->emplace_back(std::move(key), std::move(ts));
  return Status::Ok();
}

// The entries of every index of `table` for `cells` written under the base key `key`.
Status AddIndexWrites(const TableMetadata& table, const std::vector<CellWrite>& cells,
                      std::string_view key, std::vector<IndexPut>* out) {
  std::string_view suffix = key.substr(keys::TablePrefix(0).size());
  for (const IndexMetadata& index : table.indexes) {
    const ColumnMetadata* column = table.FindColumnById(index.column_id);
    if (column == nullptr) continue;
    for (const CellWrite& w : cells) {
      if (w.column_id != index.column_id || !w.value) continue;
      PF_RETURN_IF_ERROR(
          AddIndexEntries(table, *column, index, w.path, *w.value, w.timestamp, suffix, out));
    }
  }
  return Status::Ok();
}

Status CheckPartitionKey(const TableMetadata& table, const std::vector<std::string>& key) {
  PF_RETURN_IF_ERROR(CheckKeyComponents(key, table.partition_key_count, "partition key"));
  for (const auto& c : key) {
    if (c.empty() && table.partition_key_count == 1) return InvalidArgument("Key may not be empty");
  }
  return Status::Ok();
}

// A row's clustering key, checked and encoded. A row of a table with prefix rows may be keyed by
// a non-empty prefix of the clustering columns: its key is the prefix's encoding, which sorts
// before every key extending it.
Result<std::string> RowClusteringKey(const TableMetadata& table, const RowMutation& r) {
  const bool prefix_row = table.has_clustering_prefix_rows() && !r.clustering.empty() &&
                          r.clustering.size() < table.clustering_count;
  PF_RETURN_IF_ERROR(CheckKeyComponents(
      r.clustering, prefix_row ? r.clustering.size() : table.clustering_count, "clustering"));
  return keys::EncodeClustering(table, r.clustering);
}

// A row's marker and row deletion into *row (a RowValue or a RowValueView).
template <class Row>
Status SetMarkerAndDeletion(const RowMutation& r, int32_t now_seconds, Row* row) {
  PF_RETURN_IF_ERROR(CheckTtl(r.marker_ttl));
  row->marker.reset();
  if (r.marker_timestamp) {
    rows::Marker marker;
    marker.timestamp = *r.marker_timestamp;
    if (r.marker_ttl > 0) {
      marker.ttl = r.marker_ttl;
      marker.expiration = ExpirationTime(now_seconds, r.marker_ttl);
    }
    row->marker = marker;
  }
  row->row_deletion.reset();
  if (r.deletion_timestamp) row->row_deletion = rows::Deletion{*r.deletion_timestamp, now_seconds};
  return Status::Ok();
}

// The (key, value) writes one partition mutation becomes, and the index entries it adds
// (`index_puts` may be null when the table has no indexes).
Status BuildWrites(const PartitionMutation& m, int32_t now_seconds,
                   std::vector<std::pair<std::string, RowValue>>* out,
                   std::vector<IndexPut>* index_puts = nullptr) {
  if (!m.table) return InvalidArgument("mutation without a table");
  const TableMetadata& table = *m.table;
  PF_RETURN_IF_ERROR(CheckPartitionKey(table, m.partition_key));
  std::string prefix =
      keys::PartitionPrefix(table.storage_id, keys::TokenOf(m.partition_key), m.partition_key);

  RowValue header;
  if (m.partition_deletion_timestamp) {
    header.partition_deletion = rows::Deletion{*m.partition_deletion_timestamp, now_seconds};
  }
  PF_RETURN_IF_ERROR(ToCells(table, m.static_cells, true, now_seconds, &header.cells));
  for (const RangeTombstone& rt : m.range_tombstones) {
    PF_ASSIGN_OR_RETURN(std::optional<rows::RangeDeletion> rd,
                        ToRangeDeletion(table, rt, now_seconds));
    if (rd) header.range_deletions.push_back(std::move(*rd));
  }
  if (header.partition_deletion || !header.cells.empty() || !header.range_deletions.empty()) {
    out->emplace_back(prefix + keys::kHeaderSection, std::move(header));
  }
  bool indexed = index_puts != nullptr && !table.indexes.empty();
  if (indexed && !m.static_cells.empty()) {
    PF_RETURN_IF_ERROR(
        AddIndexWrites(table, m.static_cells, prefix + keys::kHeaderSection, index_puts));
  }

  const bool written_clustering = !m.rows.empty() && keys::StoresWrittenClustering(table);
  for (const RowMutation& r : m.rows) {
    PF_ASSIGN_OR_RETURN(std::string clustering, RowClusteringKey(table, r));
    RowValue row;
    if (written_clustering) {
      row.clustering.emplace();
      // Empty where allowed and the key gives the written bytes back (RowClustering).
      bool as_key = false;
      if (keys::WrittenClusteringIsKey(table)) {
        auto decoded = keys::DecodeClustering(table, clustering);
        as_key = decoded.ok() && *decoded == r.clustering;
      }
      if (!as_key) {
        cql::ByteWriter w(&*row.clustering);
        for (const auto& c : r.clustering) w.WriteBytes(c);
      }
    }
    PF_RETURN_IF_ERROR(SetMarkerAndDeletion(r, now_seconds, &row));
    PF_RETURN_IF_ERROR(ToCells(table, r.cells, false, now_seconds, &row.cells));
    std::string key = prefix;
    key.push_back(keys::kRowSection);
    key.append(clustering);
    if (indexed) PF_RETURN_IF_ERROR(AddIndexWrites(table, r.cells, key, index_puts));
    out->emplace_back(std::move(key), std::move(row));
  }
  return Status::Ok();
}

// Whether BuildWrites would turn `m` into rows alone whose cells are simple columns' (no path)
// in increasing column order, each writable as ToCells checks it (WritableColumn), of a table
// that keeps no written clustering: what a plain INSERT or UPDATE writes. A mutation with an
// invalid cell is not plain: BuildWrites reports its error.
bool IsPlainMutation(const PartitionMutation& m) {
  if (!m.table || m.partition_deletion_timestamp || !m.static_cells.empty() ||
      !m.range_tombstones.empty() || m.rows.empty()) {
    return false;
  }
  const TableMetadata& table = *m.table;
  if (keys::StoresWrittenClustering(table)) return false;
  for (const RowMutation& r : m.rows) {
    uint32_t last_id = 0;
    for (size_t i = 0; i < r.cells.size(); ++i) {
      const CellWrite& w = r.cells[i];
      if (w.path || (i > 0 && w.column_id <= last_id)) return false;
      last_id = w.column_id;
      Result<const ColumnMetadata*> column = WritableColumn(table, w, /*statics=*/false);
      if (!column.ok() || PathType((*column)->type) != nullptr) return false;
    }
  }
  return true;
}

// A plain mutation (IsPlainMutation) into `batch`, with the checks and the bytes of BuildWrites
// and rows::Encode, but without an owned copy of its rows: each row is encoded from views of
// the mutation's cells. `key` and `value` are scratch buffers.
Status AppendPlainWrites(const PartitionMutation& m, int32_t now_seconds,
                         rocksdb::WriteBatch* batch, std::vector<IndexPut>* index_puts,
                         std::string* key, std::string* value) {
  const TableMetadata& table = *m.table;
  PF_RETURN_IF_ERROR(CheckPartitionKey(table, m.partition_key));
  keys::AssignPartitionPrefix(table.storage_id, keys::TokenOf(m.partition_key), m.partition_key,
                              key);
  const size_t prefix_size = key->size();
  const bool indexed = !table.indexes.empty();
  thread_local rows::RowValueView row;
  for (const RowMutation& r : m.rows) {
    PF_ASSIGN_OR_RETURN(std::string clustering, RowClusteringKey(table, r));
    PF_RETURN_IF_ERROR(SetMarkerAndDeletion(r, now_seconds, &row));
    row.cells.clear();
    for (const CellWrite& w : r.cells) {
      rows::CellRef& c = row.cells.emplace_back();
      c.column_id = w.column_id;
      c.timestamp = w.timestamp;
      SetCellValue(w, now_seconds, &c);
    }
    key->resize(prefix_size);
    key->push_back(keys::kRowSection);
    key->append(clustering);
    if (indexed) PF_RETURN_IF_ERROR(AddIndexWrites(table, r.cells, *key, index_puts));
    value->clear();
    rows::EncodeView(row, value);
    rocksdb::Status s = batch->Merge(ToSlice(*key), ToSlice(*value));
    if (!s.ok()) return FromRocks(s, "write batch");
  }
  return Status::Ok();
}

// ---- paging position -----------------------------------------------------------------------

// Opaque to the front end. Layout: [u8 1][u32 partition index][u8 partition done]
// [u32 n][partition prefix][u32 n][last row key][i64 rows returned from that partition], and
// for index lookups (version byte 2) then [u32 n][index entry key].
struct ResumePosition {
  uint32_t partition_index = 0;
  bool partition_done = false;  // the partition is read to its end or to its limit
  std::string partition_prefix;
  std::string last_row_key;  // empty: nothing of the partition returned yet
  int64_t partition_rows = 0;
  std::string index_entry;  // index lookups: the entry being read
};

void PutU32(uint32_t v, std::string* out) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

std::string EncodeResume(const ResumePosition& p) {
  std::string out(1, '\x01');
  PutU32(p.partition_index, &out);
  out.push_back(p.partition_done ? 1 : 0);
  PutU32(static_cast<uint32_t>(p.partition_prefix.size()), &out);
  out.append(p.partition_prefix);
  PutU32(static_cast<uint32_t>(p.last_row_key.size()), &out);
  out.append(p.last_row_key);
  uint64_t n = static_cast<uint64_t>(p.partition_rows);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(n >> (8 * i)));
  if (!p.index_entry.empty()) {
    out[0] = '\x02';
    PutU32(static_cast<uint32_t>(p.index_entry.size()), &out);
    out.append(p.index_entry);
  }
  return out;
}

Result<ResumePosition> DecodeResume(std::string_view in, uint32_t storage_id) {
  Status bad = InvalidArgument("Invalid value for the paging state");
  auto take = [&](size_t n) -> std::optional<std::string_view> {
    if (in.size() < n) return std::nullopt;
    std::string_view s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  };
  auto u32 = [&]() -> std::optional<uint32_t> {
    auto s = take(4);
    if (!s) return std::nullopt;
    return static_cast<uint32_t>(cql::LoadBE32(s->data()));
  };
  ResumePosition p;
  auto version = take(1);
  if (!version || ((*version)[0] != 1 && (*version)[0] != 2)) return bad;
  bool index_entry = (*version)[0] == 2;
  auto index = u32();
  auto done = take(1);
  if (!index || !done) return bad;
  p.partition_index = *index;
  p.partition_done = (*done)[0] != 0;
  auto n = u32();
  if (!n) return bad;
  auto prefix = take(*n);
  if (!prefix) return bad;
  p.partition_prefix = std::string(*prefix);
  n = u32();
  if (!n) return bad;
  auto last = take(*n);
  if (!last) return bad;
  p.last_row_key = std::string(*last);
  auto count = take(8);
  if (!count) return bad;
  p.partition_rows = static_cast<int64_t>(cql::LoadBE64(count->data()));
  if (index_entry) {
    n = u32();
    if (!n) return bad;
    auto entry = take(*n);
    if (!entry || entry->empty()) return bad;
    p.index_entry = std::string(*entry);  // checked against the lookup by the reader
  }
  if (!in.empty()) return bad;
  // The position must point into this table, and the row into its partition.
  std::string table_prefix = keys::TablePrefix(storage_id);
  if (p.partition_prefix.size() < 13 || p.partition_prefix.compare(0, 5, table_prefix) != 0) {
    return bad;
  }
  if (!p.last_row_key.empty() &&
      p.last_row_key.compare(0, p.partition_prefix.size(), p.partition_prefix) != 0) {
    return bad;
  }
  if (p.partition_rows < 0) return bad;
  return p;
}

// ---- the read path -------------------------------------------------------------------------

// Chooses the iterator each partition of a partition-key read is read through: the row cache's
// image of it, or RocksDB's.
class PartitionSource {
 public:
  virtual ~PartitionSource() = default;
  virtual Result<KvIterator*> For(const std::string& prefix) = 0;
};

class Reader {
 public:
  // `index_it` walks the index's entries (ReadCommand::index only). `it` may be null for a read
  // of partition keys through a partition source (SetPartitionSource), which gives each one's.
  Reader(const ReadCommand& cmd, KvIterator* it, int32_t now_seconds,
         KvIterator* index_it = nullptr)
      : cmd_(cmd), table_(*cmd.table), it_(it), index_it_(index_it), now_(now_seconds) {
    // The flags and the returned columns depend on the table and the columns alone: a thread's
    // reads of one table (a prepared statement's, typically) reuse them. A TableMetadata is not
    // changed once shared (schema changes copy it), and the buffers hold the table they were
    // computed for, so its address cannot be reused by another.
    const bool same_table = buffers_.flags_table == cmd_.table;
    if (!same_table) {
      uint32_t max_id = 0;
      for (const auto& c : table_.columns) max_id = std::max(max_id, c.id);
      column_flags_.assign(max_id + 1, 0);  // the three flags in one buffer
      buffers_.any_readded = false;
      for (const auto& c : table_.columns) {
        if (c.kind == ColumnKind::kRegular) column_flags_[c.id] |= kRegularFlag;
        if (c.kind == ColumnKind::kStatic) column_flags_[c.id] |= kStaticFlag;
        if (PathType(c.type) != nullptr) column_flags_[c.id] |= kMultiCellFlag;
        if (table_.FindDropById(c.id) != nullptr) {
          column_flags_[c.id] |= kReaddedFlag;
          buffers_.any_readded = true;
        }
      }
      buffers_.flags_table = cmd_.table;
      buffers_.returned_valid = false;
    }
    any_readded_ = buffers_.any_readded;
    gc_before_ = static_cast<int64_t>(now_) - table_.params.gc_grace_seconds;
    if (cmd_.sink != nullptr) {
      // What each returned column needs, looked up once per read rather than once per cell.
      if (!buffers_.returned_valid || buffers_.returned_columns != cmd_.columns) {
        bool owns_cells = false;
        returned_.clear();
        returned_.reserve(cmd_.columns.size());
        for (uint32_t id : cmd_.columns) {
          const ColumnMetadata* column = table_.FindColumnById(id);
          ReturnedColumn r;
          r.is_static = HasFlag(id, kStaticFlag);
          if (column != nullptr && PathType(column->type) != nullptr) r.collection = column;
          returned_.push_back(r);
          owns_cells |= r.is_static || r.collection != nullptr;
        }
        buffers_.returned_columns = cmd_.columns;
        buffers_.returned_owns_cells = owns_cells;
        buffers_.returned_valid = true;
      }
      const bool owns_cells = buffers_.returned_owns_cells;
      cell_views_.assign(cmd_.columns.size(), RowCellView());
      // Only statics and collections are built rather than viewed.
      owned_cells_.clear();
      if (owns_cells) owned_cells_.resize(cmd_.columns.size());
    }
    slices_.clear();
    // Partition keys decoded only for whom reads them: a filter, a ReadRow, or a sink that asks.
    decode_partition_key_ = cmd_.sink == nullptr || cmd_.filter || cmd_.sink->NeedsPartitionKey();
  }

  ~Reader() { ReleaseBuffers(); }
  // Reads of partition keys then read each partition through the iterator `source` gives.
  void SetPartitionSource(PartitionSource* source) { partitions_ = source; }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  Result<ReadResult> Run() {
    // Most reads are a page or less: one allocation for the row list.
    if (cmd_.sink == nullptr) {
      result_.rows.reserve(static_cast<size_t>(std::min<int64_t>(cmd_.row_limit, 256)));
    }
    if (!cmd_.resume_position.empty()) {
      PF_ASSIGN_OR_RETURN(ResumePosition p, DecodeResume(cmd_.resume_position, table_.storage_id));
      resume_ = std::move(p);
    }
    PF_RETURN_IF_ERROR(PrepareSlices());
    if (cmd_.index) {
      PF_RETURN_IF_ERROR(IndexScan());
    } else if (cmd_.scan) {
      PF_RETURN_IF_ERROR(Scan());
    } else {
      size_t first = resume_ ? resume_->partition_index : 0;
      for (size_t i = first; i < cmd_.partition_keys.size() && !stopped_; ++i) {
        const auto& pk = cmd_.partition_keys[i];
        PF_RETURN_IF_ERROR(CheckKeyComponents(pk, table_.partition_key_count, "partition key"));
        const int64_t token = keys::TokenOf(pk);
        std::string& prefix = buffers_.partition_prefix;
        keys::AssignPartitionPrefix(table_.storage_id, token, pk, &prefix);
        const ResumePosition* resume = nullptr;
        if (resume_ && i == resume_->partition_index) {
          if (resume_->partition_prefix != prefix) {
            return InvalidArgument("Invalid value for the paging state");
          }
          if (resume_->partition_done) continue;
          resume = &*resume_;
        }
        if (partitions_ != nullptr) {
          PF_ASSIGN_OR_RETURN(it_, partitions_->For(prefix));
        }
        ReadResult::PartitionCounts counts;
        counts.partition_index = i;
        counts.rows_before = cmd_.sink != nullptr ? result_.row_count
                                                  : static_cast<int64_t>(result_.rows.size());
        counts.token = token;
        const int64_t live_before = result_.live_rows;
        tombstones_before_ = result_.tombstones;
        PF_RETURN_IF_ERROR(ReadPartition(static_cast<uint32_t>(i), prefix, pk, resume));
        counts.live_rows = result_.live_rows - live_before;
        counts.tombstones = result_.tombstones - tombstones_before_;
        result_.partitions.push_back(counts);
      }
    }
    // Null: a read through a partition source that read no partition.
    if (it_ != nullptr) PF_RETURN_IF_ERROR(it_->status());
    if (cmd_.sink == nullptr) result_.row_count = static_cast<int64_t>(result_.rows.size());
    return std::move(result_);
  }

 private:
  struct EncodedSlice {
    std::string lower;                 // relative to the row section; inclusive
    std::optional<std::string> upper;  // exclusive; nullopt = end of partition
    bool point = false;                // exactly one full clustering key: `lower`
  };

  Status PrepareSlices() {
    if (cmd_.slices.empty()) {
      EncodedSlice all;
      // Without clustering columns a partition is at most one row: a point lookup.
      all.point = table_.clustering_count == 0;
      slices_.push_back(std::move(all));
      return Status::Ok();
    }
    clustering_restricted_ = true;
    for (const ClusteringSlice& s : cmd_.slices) {
      EncodedSlice e;
      PF_ASSIGN_OR_RETURN(std::string start, keys::EncodeClustering(table_, s.start.components));
      PF_ASSIGN_OR_RETURN(std::string end, keys::EncodeClustering(table_, s.end.components));
      e.lower = (s.start.inclusive || start.empty()) ? start : keys::PrefixSuccessor(start);
      if (s.start.components.size() > 0 && !s.start.inclusive && e.lower.empty()) {
        continue;  // nothing sorts after this prefix
      }
      if (!end.empty()) {
        if (s.end.inclusive) {
          std::string succ = keys::PrefixSuccessor(end);
          if (!succ.empty()) e.upper = std::move(succ);
        } else {
          e.upper = end;
        }
      }
      if (e.upper && *e.upper <= e.lower) continue;  // empty slice
      e.point = table_.clustering_count > 0 && s.start.inclusive && s.end.inclusive &&
                s.start.components.size() == table_.clustering_count &&
                s.start.components == s.end.components;
      slices_.push_back(std::move(e));
    }
    return Status::Ok();
  }

  // The key range [*lower, *upper) of `prefix` followed by a token within the command's token
  // bounds. False when the bounds select nothing.
  bool TokenRange(const std::string& prefix, std::string* lower, std::string* upper) const {
    *lower = prefix;
    *upper = keys::PrefixSuccessor(prefix);
    if (cmd_.token_start) {
      int64_t t = cmd_.token_start->token;
      if (!cmd_.token_start->inclusive) {
        if (t == INT64_MAX) return false;
        ++t;
      }
      keys::AppendToken(t, lower);
    }
    if (cmd_.token_end) {
      int64_t t = cmd_.token_end->token;
      if (cmd_.token_end->inclusive) {
        if (t != INT64_MAX) {
          *upper = prefix;
          keys::AppendToken(t + 1, upper);
        }
      } else {
        *upper = prefix;
        keys::AppendToken(t, upper);
      }
    }
    return true;
  }

  // Index lookup: walks the entries under the looked-up value and reads the row (or, for a
  // static column's index, the partition) each points to. Stale entries read nothing or are
  // dropped by the command's filter.
  Status IndexScan() {
    const ReadCommand::IndexLookup& lookup = *cmd_.index;
    const ColumnMetadata* column = table_.FindColumnById(lookup.column_id);
    if (column == nullptr || index_it_ == nullptr) {
      return InvalidArgument("index lookup on an unknown column");
    }
    auto encoded = keys::EncodeIndexValue(column->type, lookup.target,
                                          static_cast<keys::KeyFormat>(table_.key_format),
                                          lookup.value, lookup.map_value);
    if (!encoded.ok()) return Status::Ok();  // no entry holds a value of the wrong shape
    std::string prefix = keys::TablePrefix(lookup.storage_id) + *encoded;
    std::string lower, upper;
    if (!TokenRange(prefix, &lower, &upper)) return Status::Ok();
    std::string table_prefix = keys::TablePrefix(table_.storage_id);
    if (resume_) {
      const std::string& entry = resume_->index_entry;
      std::string from;
      if (!entry.empty() && entry.compare(0, prefix.size(), prefix) == 0) {
        // The key right after a finished entry is the entry followed by a zero byte. An entry
        // of a row is finished once read; one of a partition (a static column's index) when its
        // partition is.
        const bool row_entry = resume_->last_row_key == table_prefix + entry.substr(prefix.size());
        from = resume_->partition_done || row_entry ? entry + '\0' : entry;
      } else {
        // The position of a scan, or of a lookup through another index: an index created (or
        // another one chosen) between two pages. Entries hold the rows in a scan's order (token,
        // key, clustering), so the page resumes at the entry after the last row read, as
        // Cassandra's paging state names a row, not an index position.
        const std::string& last = resume_->last_row_key;
        const std::string& partition = resume_->partition_prefix;
        if (partition.compare(0, table_prefix.size(), table_prefix) != 0 ||
            (!last.empty() && last.compare(0, table_prefix.size(), table_prefix) != 0)) {
          return InvalidArgument("Invalid value for the paging state");
        }
        if (!last.empty()) {
          from = prefix + last.substr(table_prefix.size()) + '\0';
        } else if (resume_->partition_done) {
          std::string next = keys::PrefixSuccessor(partition);
          if (next.size() < table_prefix.size()) return Status::Ok();  // nothing follows
          from = prefix + next.substr(table_prefix.size());
        } else {
          from = prefix + partition.substr(table_prefix.size());
        }
      }
      if (from > lower) lower = std::move(from);
    }
    for (index_it_->Seek(lower); index_it_->Valid() && !stopped_; index_it_->Next()) {
      std::string_view entry = index_it_->key();
      if (entry >= std::string_view(upper)) break;
      current_entry_.assign(entry);
      // The entry ends with its base key minus the table prefix.
      std::string base_key = table_prefix;
      base_key.append(entry.substr(prefix.size()));
      auto key = keys::SplitDataKey(base_key, table_.partition_key_count);
      if (!key.ok()) continue;  // not an entry of this value (cannot happen: prefix-free)
      std::string partition_prefix(key->partition_prefix);
      PF_ASSIGN_OR_RETURN(std::vector<std::string> pk,
                          keys::DecodePartitionKey(partition_prefix, table_.partition_key_count));
      if (key->section == keys::kHeaderSection) {
        const ResumePosition* resume = nullptr;
        if (resume_ && !resume_->partition_done && resume_->index_entry == current_entry_ &&
            resume_->partition_prefix == partition_prefix) {
          resume = &*resume_;
        }
        PF_RETURN_IF_ERROR(ReadPartition(0, partition_prefix, pk, resume));
      } else {
        PF_RETURN_IF_ERROR(ReadIndexedRow(partition_prefix, pk, key->clustering, base_key));
      }
    }
    return index_it_->status();
  }

  // A row's clustering components: as first written when the row keeps them
  // (keys::StoresWrittenClustering), otherwise, or when it keeps an empty one
  // (keys::WrittenClusteringIsKey), decoded from its key.
  Status RowClustering(std::string_view encoded, const std::optional<std::string_view>& written,
                       std::vector<std::string>* out) const {
    if (!written || (written->empty() && table_.clustering_count > 0)) {
      if (encoded.empty()) {  // no clustering columns, or a static-only key
        out->clear();
        return Status::Ok();
      }
      return keys::DecodeClusteringInto(table_, encoded, out);
    }
    // As many components as were written: fewer than the clustering columns for a row keyed
    // by a prefix (TableMetadata::has_clustering_prefix_rows).
    cql::ByteReader r(*written);
    size_t n = 0;
    for (; n < table_.clustering_count && !r.empty(); ++n) {
      auto v = r.ReadBytes();
      if (!v.ok() || !*v) return Status(StatusCode::kInternal, "corrupt stored clustering");
      if (out->size() <= n) out->emplace_back();
      (*out)[n].assign(**v);
    }
    out->resize(n);
    if (!r.empty()) return Status(StatusCode::kInternal, "corrupt stored clustering");
    return Status::Ok();
  }
  static std::optional<std::string_view> Written(const rows::RowValue& row) {
    if (!row.clustering) return std::nullopt;
    return std::string_view(*row.clustering);
  }

  bool InSlices(std::string_view clustering) const {
    if (!clustering_restricted_) return true;
    for (const EncodedSlice& s : slices_) {
      if (s.point ? clustering == std::string_view(s.lower)
                  : clustering >= std::string_view(s.lower) &&
                        (!s.upper || clustering < std::string_view(*s.upper))) {
        return true;
      }
    }
    return false;
  }

  // One row an index entry points to: emitted when it is live, within the slices and the
  // per-partition limit, and accepted by the filter. Consecutive entries of one partition share
  // its header.
  Status ReadIndexedRow(const std::string& partition_prefix, const std::vector<std::string>& pk,
                        std::string_view clustering, const std::string& row_key) {
    if (!InSlices(clustering)) return Status::Ok();
    if (partition_prefix != indexed_partition_) {
      indexed_partition_ = partition_prefix;
      // A partition's entries are adjacent: a page resuming inside it continues its count.
      indexed_partition_rows_ =
          resume_ && resume_->partition_prefix == partition_prefix ? resume_->partition_rows : 0;
      indexed_header_ = rows::RowValue();
      header_key_.assign(partition_prefix).push_back(keys::kHeaderSection);
      std::string_view header_bytes;
      PF_ASSIGN_OR_RETURN(bool has_header, it_->Get(header_key_, &header_bytes));
      if (has_header) {
        PF_ASSIGN_OR_RETURN(indexed_header_, rows::Decode(header_bytes));
      }
    }
    if (indexed_partition_rows_ >= cmd_.per_partition_limit) return Status::Ok();
    std::string_view row_bytes;
    PF_ASSIGN_OR_RETURN(bool found, it_->Get(row_key, &row_bytes));
    if (!found) return Status::Ok();
    PF_ASSIGN_OR_RETURN(rows::RowValue value, rows::Decode(row_bytes));
    rows::Deletion shadow = Shadow(indexed_header_, value, clustering);
    if (!RowIsLive(value, shadow)) return Status::Ok();
    rows::Deletion static_shadow;
    if (indexed_header_.partition_deletion) static_shadow = *indexed_header_.partition_deletion;
    ReadRow row;
    row.partition_key = pk;
    PF_RETURN_IF_ERROR(RowClustering(clustering, Written(value), &row.clustering));
    FillCells(&value, shadow, indexed_header_, static_shadow, &row);
    if (!Emit(std::move(row))) return Status::Ok();
    ++indexed_partition_rows_;
    if (++emitted_ >= cmd_.row_limit) {
      // As a scan's position: the partition is done only when its limit is reached, so a page
      // served by a scan (the index dropped between pages) resumes after this row.
      Stop(0, partition_prefix, indexed_partition_rows_ >= cmd_.per_partition_limit, row_key,
           indexed_partition_rows_);
    }
    return Status::Ok();
  }

  Status Scan() {
    std::string table_prefix = keys::TablePrefix(table_.storage_id);
    std::string lower, upper;
    if (!TokenRange(table_prefix, &lower, &upper)) return Status::Ok();
    if (resume_) {
      std::string from = resume_->partition_done ? keys::PrefixSuccessor(resume_->partition_prefix)
                                                 : resume_->partition_prefix;
      if (from > lower) lower = from;
    }
    std::string next = lower;
    // A scan walks the table with one iterator: after a partition read to its end, the iterator
    // already stands on the next partition's first key, so no seek (nor header Get) is needed.
    bool positioned = false;
    while (!stopped_) {
      if (!positioned) it_->Seek(next);
      if (!it_->Valid() || it_->key() >= std::string_view(upper)) break;
      std::string& prefix = scan_prefix_;  // reused: no allocation per partition
      std::string_view first = it_->key();
      if (table_.clustering_count == 0 && first.size() > kMinPartitionPrefix &&
          (first.back() == keys::kHeaderSection || first.back() == keys::kRowSection)) {
        // Without clustering columns a partition's keys are its prefix and one section byte:
        // the prefix needs no splitting of the key's components.
        AssignBytes(first.substr(0, first.size() - 1), &prefix);
      } else {
        PF_ASSIGN_OR_RETURN(keys::DecodedDataKey key,
                            keys::SplitDataKey(first, table_.partition_key_count));
        prefix.assign(key.partition_prefix);
      }
      std::vector<std::string>& pk = scan_pk_;  // reused, as the prefix; empty when not needed
      if (decode_partition_key_) {
        PF_RETURN_IF_ERROR(keys::DecodePartitionKeyInto(prefix, table_.partition_key_count, &pk));
      }
      const ResumePosition* resume = nullptr;
      if (resume_ && !resume_->partition_done && resume_->partition_prefix == prefix) {
        resume = &*resume_;
      }
      PF_RETURN_IF_ERROR(ReadPartition(0, prefix, pk, resume, /*at_partition_start=*/true));
      positioned = at_partition_end_;
      if (positioned) continue;  // the next partition's first key (or the end) is under it_
      next = keys::PrefixSuccessor(prefix);
      if (next.empty()) break;
    }
    return it_->status();
  }

  // TablePrefix, token and the end of at least one escaped partition key component.
  static constexpr size_t kMinPartitionPrefix = keys::kTokenPrefixSize + 2;

  // The effective deletion for a row: partition deletion, the row's own and covering ranges.
  template <class Row>  // rows::RowValue or rows::RowValueView
  rows::Deletion Shadow(const rows::RowValue& header, const Row& row,
                        std::string_view clustering) const {
    rows::Deletion d;
    if (header.partition_deletion) d = *header.partition_deletion;
    if (row.row_deletion && row.row_deletion->timestamp > d.timestamp) d = *row.row_deletion;
    for (const auto& rd : header.range_deletions) {
      if (rd.deletion.timestamp > d.timestamp && rd.Covers(clustering)) d = rd.deletion;
    }
    return d;
  }

  std::optional<CellValue> LiveCell(const rows::RowValue& row, uint32_t column_id,
                                    const rows::Deletion& shadow) const {
    auto it = std::lower_bound(row.cells.begin(), row.cells.end(), column_id,
                               [](const rows::Cell& c, uint32_t id) { return c.column_id < id; });
    if (it == row.cells.end() || it->column_id != column_id) return std::nullopt;
    const ColumnMetadata* column = table_.FindColumnById(column_id);
    if (column != nullptr && PathType(column->type) != nullptr) {
      return LiveCollection(row, it, *column, shadow);
    }
    if (!it->path.empty()) return std::nullopt;
    if (!it->LiveAt(now_) || shadow.Deletes(it->timestamp) || Dropped(column_id, it->timestamp)) {
      return std::nullopt;
    }
    CellValue v;
    v.value = it->value;
    v.timestamp = it->timestamp;
    if (it->expiring()) v.ttl = std::max(0, it->local_deletion_time - now_);
    return v;
  }

  // Serializes the live elements of a non-frozen collection whose first cell is `it`. An
  // empty-path tombstone (sorted first) deletes the elements at or below its timestamp.
  template <class Row, class CellIt>
  std::optional<CellValue> LiveCollection(const Row& row, CellIt it, const ColumnMetadata& column,
                                          const rows::Deletion& shadow) const {
    rows::Deletion deletion = shadow;
    if (HasFlag(column.id, kReaddedFlag)) {
      deletion.timestamp = std::max(deletion.timestamp, DropTime(column.id));
    }
    if (it->path.empty()) {
      if (it->tombstone && it->timestamp > deletion.timestamp) deletion.timestamp = it->timestamp;
      ++it;
    }
    const cql::DataType& path_type = *PathType(column.type);
    CellValue v;
    for (; it != row.cells.end() && it->column_id == column.id; ++it) {
      if (!it->LiveAt(now_) || deletion.Deletes(it->timestamp)) continue;
      std::string_view encoded = it->path;
      auto path = it->written_path.empty()
                      ? keys::ReadClusteringComponent(path_type, false,
                                                      keys::ElementFormat(table_), &encoded)
                      : Result<std::string>(std::string(it->written_path));
      if (!path.ok()) continue;  // unreadable element: skip rather than fail the row
      v.timestamp = std::max(v.timestamp, it->timestamp);
      v.elements.emplace_back(std::move(*path), std::string(it->value));
      v.element_times.push_back(CellValue::ElementTime{
          it->timestamp, it->expiring() ? std::max(0, it->local_deletion_time - now_) : 0});
    }
    if (v.elements.empty()) return std::nullopt;
    cql::ByteWriter w(&v.value);
    if (column.type.kind() == cql::TypeKind::kUdt) {
      // Fields in declaration order; fields without a live cell are null.
      size_t next = 0;
      for (const auto& [path, value] : v.elements) {
        if (path.size() != 2) continue;
        size_t field = cql::LoadBE16(path.data());
        if (field < next || field >= column.type.params().size()) continue;
        for (; next < field; ++next) w.WriteInt(-1);
        w.WriteBytes(value);
        next = field + 1;
      }
      return v;
    }
    w.WriteInt(static_cast<int32_t>(v.elements.size()));
    for (const auto& [path, value] : v.elements) {
      cql::TypeKind kind = column.type.kind();
      if (kind == cql::TypeKind::kList) {
        w.WriteBytes(value);
      } else if (kind == cql::TypeKind::kSet) {
        w.WriteBytes(path);
      } else {
        w.WriteBytes(path);
        w.WriteBytes(value);
      }
    }
    return v;
  }

  // Counts a scanned row as Cassandra's ReadCommand (MetricRecording) counts the row its merge
  // hands over: cells the row's deletions do not shadow that are not live (tombstones, expired
  // cells) count one each; a row without them that has no live data but a deletion (its own
  // row deletion, an expired row marker, a collection deletion) counts one. What is purgeable
  // (deleted before gc_grace_seconds ago) is dropped before counting, as Cassandra purges first.
  // Fails once the count passes the command's tombstone_failure_threshold.
  template <class Row>
  Status CountRow(const Row& row, const rows::Deletion& shadow, bool live) {
    int64_t dead_cells = 0;
    bool has_deletion = false;
    uint32_t complex_column = UINT32_MAX;
    int64_t complex_deletion = INT64_MIN;
    for (const auto& c : row.cells) {
      if (Dropped(c.column_id, c.timestamp)) continue;  // as if never stored
      const bool multi = HasFlag(c.column_id, kMultiCellFlag);
      if (multi && c.path.empty()) {  // a collection deletion: no cell of its own
        complex_column = c.column_id;
        complex_deletion = c.tombstone ? c.timestamp : INT64_MIN;
        if (c.tombstone && !shadow.Deletes(c.timestamp) && c.local_deletion_time >= gc_before_) {
          has_deletion = true;
        }
        continue;
      }
      if (shadow.Deletes(c.timestamp) || c.LiveAt(now_)) continue;
      if (c.column_id == complex_column && c.timestamp <= complex_deletion) continue;
      if (c.local_deletion_time < gc_before_) continue;
      ++dead_cells;
    }
    if (live) {
      ++result_.live_rows;
    } else if (dead_cells == 0) {
      if (row.marker && !row.marker->LiveAt(now_) && !shadow.Deletes(row.marker->timestamp) &&
          row.marker->expiration >= gc_before_) {
        has_deletion = true;
      }
      if (row.row_deletion && row.row_deletion->timestamp == shadow.timestamp &&
          row.row_deletion->local_deletion_time >= gc_before_) {
        has_deletion = true;
      }
      if (has_deletion) dead_cells = 1;
    }
    return AddTombstones(dead_cells);
  }

  Status AddTombstones(int64_t n) {
    if (n == 0) return Status::Ok();  // most rows: no Status to build and check
    result_.tombstones += n;
    const int64_t scanned = result_.tombstones - tombstones_before_;
    if (scanned > cmd_.tombstone_failure_threshold) {
      return Status(StatusCode::kTooLarge, "Scanned over " + std::to_string(scanned) +
                                               " tombstones during query; query aborted");
    }
    return Status::Ok();
  }

  // The range tombstones of a partition a read crosses: Cassandra hands over an opening and a
  // closing bound of each within each slice, and counts both.
  Status CountRangeTombstones(const rows::RowValue& header) {
    if (header.range_deletions.empty()) return Status::Ok();
    int64_t shadowing =
        header.partition_deletion ? header.partition_deletion->timestamp : INT64_MIN;
    int64_t n = 0;
    for (const auto& rd : header.range_deletions) {
      if (rd.deletion.timestamp <= shadowing || rd.deletion.local_deletion_time < gc_before_) {
        continue;
      }
      for (const EncodedSlice& s : slices_) {
        bool below_upper = !s.upper || std::string_view(rd.lower) < std::string_view(*s.upper);
        bool above_lower = !rd.upper || std::string_view(s.lower) < std::string_view(*rd.upper);
        if (below_upper && above_lower) n += 2;
      }
    }
    return AddTombstones(n);
  }

  template <class Row>
  bool RowIsLive(const Row& row, const rows::Deletion& shadow) const {
    if (row.marker && row.marker->LiveAt(now_) && !shadow.Deletes(row.marker->timestamp)) {
      return true;
    }
    uint32_t deleted_column = UINT32_MAX;  // a collection deletion applies to later cells
    int64_t collection_deletion = INT64_MIN;
    for (const auto& c : row.cells) {
      if (c.path.empty()) {
        deleted_column = c.tombstone ? c.column_id : UINT32_MAX;
        collection_deletion = c.timestamp;
      } else if (c.column_id == deleted_column && c.timestamp <= collection_deletion) {
        continue;
      }
      if (HasFlag(c.column_id, kRegularFlag) && c.LiveAt(now_) &&
          !shadow.Deletes(c.timestamp) && !Dropped(c.column_id, c.timestamp)) {
        return true;
      }
    }
    return false;
  }

  bool IsStatic(uint32_t column_id) const {
    const ColumnMetadata* c = table_.FindColumnById(column_id);
    return c != nullptr && c->kind == ColumnKind::kStatic;
  }

  // Builds the cells of a row: statics from the header, the rest from the row.
  void FillCells(const rows::RowValue* row, const rows::Deletion& row_shadow,
                 const rows::RowValue& header, const rows::Deletion& static_shadow,
                 ReadRow* out) const {
    out->cells.reserve(cmd_.columns.size());
    for (uint32_t id : cmd_.columns) {
      if (HasFlag(id, kStaticFlag)) {
        out->cells.push_back(LiveCell(header, id, static_shadow));
      } else if (row != nullptr) {
        out->cells.push_back(LiveCell(*row, id, row_shadow));
      } else {
        out->cells.emplace_back();
      }
    }
  }

  // The returned cells of a stored row read in place: views into `row`'s bytes, except
  // collections and statics, which are built into owned_cells_. `plain`: every cell of the row
  // is live (handle_row).
  void FillCellViews(const rows::RowValueView& row, bool plain, const rows::Deletion& row_shadow,
                     const rows::RowValue& header, const rows::Deletion& static_shadow) {
    for (size_t i = 0; i < returned_.size(); ++i) {
      const uint32_t id = cmd_.columns[i];
      RowCellView& view = cell_views_[i];
      view = RowCellView();
      if (returned_[i].is_static) {
        owned_cells_[i] = LiveCell(header, id, static_shadow);
        SetView(owned_cells_[i], &view);
        continue;
      }
      auto it =
          std::lower_bound(row.cells.begin(), row.cells.end(), id,
                           [](const rows::CellRef& c, uint32_t id) { return c.column_id < id; });
      if (it == row.cells.end() || it->column_id != id) continue;
      if (returned_[i].collection != nullptr) {
        owned_cells_[i] = LiveCollection(row, it, *returned_[i].collection, row_shadow);
        SetView(owned_cells_[i], &view);
        continue;
      }
      if (!plain && (!it->path.empty() || !it->LiveAt(now_) || row_shadow.Deletes(it->timestamp) ||
                     Dropped(id, it->timestamp))) {
        continue;
      }
      view.present = true;
      view.value = it->value;
      view.timestamp = it->timestamp;
      if (it->expiring()) view.ttl = std::max(0, it->local_deletion_time - now_);
    }
  }

  static void SetView(const std::optional<CellValue>& cell, RowCellView* view) {
    if (!cell) return;
    view->present = true;
    view->value = cell->value;
    view->timestamp = cell->timestamp;
    view->ttl = cell->ttl;
  }

  // Emits a row if the filter accepts it; returns whether it was counted.
  bool Emit(ReadRow row) {
    if (cmd_.filter && !cmd_.filter(row)) return false;
    if (cmd_.sink != nullptr) {
      std::vector<RowCellView> cells(row.cells.size());
      for (size_t i = 0; i < cells.size(); ++i) SetView(row.cells[i], &cells[i]);
      cmd_.sink->Row(RowView{row.partition_key, row.clustering, cells});
      ++result_.row_count;
      return true;
    }
    result_.rows.push_back(std::move(row));
    return true;
  }

  void Stop(uint32_t partition_index, const std::string& prefix, bool partition_done,
            std::string last_row_key, int64_t partition_rows) {
    stopped_ = true;
    // A read of listed partitions is over once the last one is done (Cassandra's
    // SinglePartitionPager is exhausted when its partition's limit is reached): no next page.
    result_.has_more = !(partition_done && !cmd_.scan && !cmd_.index &&
                         partition_index + 1 == cmd_.partition_keys.size());
    ResumePosition p;
    p.partition_index = partition_index;
    p.partition_done = partition_done;
    p.partition_prefix = prefix;
    p.last_row_key = std::move(last_row_key);
    p.partition_rows = partition_rows;
    if (cmd_.index) p.index_entry = current_entry_;
    result_.resume_position = EncodeResume(p);
  }

  // Reads one partition. `at_partition_start`: the iterator stands on the partition's first key
  // (a scan), so the header is read from it rather than looked up. Sets at_partition_end_ when
  // the iterator is left on the first key after the partition (or past the end).
  Status ReadPartition(uint32_t index, const std::string& prefix,
                       const std::vector<std::string>& pk, const ResumePosition* resume,
                       bool at_partition_start = false) {
    at_partition_end_ = false;
    // Most partitions have no header: an empty one then, without building a RowValue.
    static const rows::RowValue kNoHeader;
    // Whether the iterator stands on the first key >= the row section (saves the first slice's
    // seek).
    bool at_rows = false;
    bool has_header = false;
    if (at_partition_start) {
      // The iterator's key starts with `prefix` (Scan split it from that key).
      std::string_view first = it_->key();
      has_header = first.size() == prefix.size() + 1 && first.back() == keys::kHeaderSection;
      if (has_header) {
        PF_ASSIGN_OR_RETURN(header_, rows::Decode(it_->value()));
        // Valid() implies an OK status: errors are looked at once the iterator is not valid.
        it_->Next();
      }
      at_rows = true;  // no key lies between the header and the first row
    } else {
      std::string& header_key = header_key_;  // reused buffers: no allocation per partition
      header_key.assign(prefix).push_back(keys::kHeaderSection);
      std::string_view header_bytes;
      PF_ASSIGN_OR_RETURN(has_header, it_->Get(header_key, &header_bytes));
      if (has_header) {
        PF_ASSIGN_OR_RETURN(header_, rows::Decode(header_bytes));
      }
    }
    const rows::RowValue& header = has_header ? header_ : kNoHeader;
    // No deletion in the header: a row's shadow is its own deletion alone.
    const bool header_deletes = header.partition_deletion || !header.range_deletions.empty();
    rows::Deletion static_shadow;
    if (header.partition_deletion) static_shadow = *header.partition_deletion;
    bool has_live_static = false;
    for (const auto& c : header.cells) {
      if (HasFlag(c.column_id, kStaticFlag) && c.LiveAt(now_) &&
          !static_shadow.Deletes(c.timestamp) && !Dropped(c.column_id, c.timestamp)) {
        has_live_static = true;
      }
    }
    // The token, from the prefix (0x10, storage id, token with its sign bit flipped).
    result_.last_token =
        static_cast<int64_t>(cql::LoadBE64(prefix.data() + 5) ^ (uint64_t{1} << 63));
    if (!header.cells.empty()) PF_RETURN_IF_ERROR(CountRow(header, static_shadow, has_live_static));
    PF_RETURN_IF_ERROR(CountRangeTombstones(header));

    int64_t partition_rows = resume ? resume->partition_rows : 0;
    if (partition_rows >= cmd_.per_partition_limit) return Status::Ok();
    // The row section's first key, built when a lookup or a seek needs it.
    const size_t row_base_size = prefix.size() + 1;
    bool row_base_built = false;
    auto row_base = [&]() -> const std::string& {
      if (!row_base_built) {
        row_base_.assign(prefix).push_back(keys::kRowSection);
        row_base_built = true;
      }
      return row_base_;
    };

    if (cmd_.distinct) {
      bool live = has_live_static;
      if (!live) {
        PF_ASSIGN_OR_RETURN(live, AnyLiveRow(header, row_base()));
      }
      if (!live) return Status::Ok();
      ReadRow row;
      row.partition_key = pk;
      FillCells(nullptr, {}, header, static_shadow, &row);
      if (Emit(std::move(row)) && ++emitted_ >= cmd_.row_limit) {
        Stop(index, prefix, true, {}, 1);
      }
      return Status::Ok();
    }

    bool any_row = partition_rows > 0;
    std::string resume_key = resume ? resume->last_row_key : std::string();
    // One stored row: emit it if live. Returns whether the partition is finished.
    const bool in_place = cmd_.sink != nullptr && !cmd_.filter;
    auto handle_row = [&](std::string_view key, std::string_view bytes) -> Result<bool> {
      std::string_view clustering = key.substr(row_base_size);
      if (in_place) {
        // The row's cells go to the sink as views into `bytes`: nothing is copied.
        PF_RETURN_IF_ERROR(rows::DecodeView(bytes, &row_view_));
        // Plain: live cells of simple columns with no deletion over them (a row written by
        // INSERTs and UPDATEs without TTL), so every cell is returned as stored.
        const bool plain =
            row_view_.plain_cells && !row_view_.row_deletion && !header_deletes && !any_readded_;
        rows::Deletion shadow = plain ? rows::Deletion() : Shadow(header, row_view_, clustering);
        const bool live = RowIsLive(row_view_, shadow);
        if (plain && live) {
          ++result_.live_rows;  // CountRow's count: no cell of it is dead
        } else {
          PF_RETURN_IF_ERROR(CountRow(row_view_, shadow, live));
        }
        if (!live) return false;
        any_row = true;
        if (clustering.empty() && (!row_view_.clustering || row_view_.clustering->empty())) {
          clustering_.clear();  // what RowClustering gives: no clustering columns
        } else {
          PF_RETURN_IF_ERROR(RowClustering(clustering, row_view_.clustering, &clustering_));
        }
        FillCellViews(row_view_, plain, shadow, header, static_shadow);
        cmd_.sink->Row(RowView{pk, clustering_, cell_views_});
        ++result_.row_count;
      } else {
        PF_ASSIGN_OR_RETURN(rows::RowValue value, rows::Decode(bytes));
        rows::Deletion shadow = Shadow(header, value, clustering);
        const bool live = RowIsLive(value, shadow);
        PF_RETURN_IF_ERROR(CountRow(value, shadow, live));
        if (!live) return false;
        any_row = true;
        ReadRow row;
        row.partition_key = pk;
        PF_RETURN_IF_ERROR(RowClustering(clustering, Written(value), &row.clustering));
        FillCells(&value, shadow, header, static_shadow, &row);
        if (!Emit(std::move(row))) return false;
      }
      ++partition_rows;
      bool partition_full = partition_rows >= cmd_.per_partition_limit;
      if (++emitted_ >= cmd_.row_limit) {
        Stop(index, prefix, partition_full, std::string(key), partition_rows);
        return true;
      }
      return partition_full;
    };
    size_t n = slices_.size();
    for (size_t si = 0; si < n && !stopped_; ++si) {
      const EncodedSlice& s = slices_[cmd_.reversed ? n - 1 - si : si];
      if (s.point) {
        if (at_rows && !cmd_.reversed && table_.clustering_count == 0 && resume_key.empty()) {
          // A scan of a table without clustering columns: the partition's only row, if any, is
          // under the iterator; the key after it starts the next partition. (A page resuming
          // here resumes after that row: the partition was done.)
          at_rows = false;
          bool last = si + 1 == n;
          // Without a header the iterator still stands on the key Scan took `prefix` from.
          if (!it_->Valid() || !IsSectionKey(it_->key(), prefix, keys::kRowSection, s.lower,
                                             /*prefix_known=*/!has_header)) {
            at_partition_end_ = last;
            continue;
          }
          PF_ASSIGN_OR_RETURN(bool done, handle_row(it_->key(), it_->value()));
          it_->Next();  // an error shows as !Valid(); Scan looks at the status then
          at_partition_end_ = last;
          if (done) return Status::Ok();
          continue;
        }
        // Full clustering key: a point lookup, no iterator.
        std::string& key = point_key_;  // reused: no allocation per partition
        key.assign(row_base()).append(s.lower);
        if (!resume_key.empty() && (cmd_.reversed ? key >= resume_key : key <= resume_key)) {
          continue;
        }
        std::string_view row_bytes;
        PF_ASSIGN_OR_RETURN(bool found, it_->Get(key, &row_bytes));
        if (!found) continue;
        PF_ASSIGN_OR_RETURN(bool done, handle_row(key, row_bytes));
        if (done) return Status::Ok();
        continue;
      }
      std::string lower = row_base() + s.lower;
      std::string upper = s.upper ? row_base() + *s.upper : keys::PrefixSuccessor(row_base());
      if (!resume_key.empty()) {
        if (cmd_.reversed) {
          if (resume_key < upper) upper = resume_key;
        } else {
          std::string after = resume_key + '\0';
          if (after > lower) lower = std::move(after);
        }
      }
      if (lower >= upper) continue;
      if (cmd_.reversed) {
        it_->SeekForPrev(upper);
        if (it_->Valid() && it_->key() >= std::string_view(upper)) it_->Prev();
      } else if (!(at_rows && lower == row_base())) {
        it_->Seek(lower);
      }
      at_rows = false;
      // Forward over every row to the partition's end: the caller's next seek can be skipped.
      bool to_partition_end = !cmd_.reversed && !s.upper && si + 1 == n;
      while (it_->Valid()) {
        std::string_view key = it_->key();
        if (cmd_.reversed ? key < std::string_view(lower) : key >= std::string_view(upper)) {
          at_partition_end_ = to_partition_end;
          break;
        }
        PF_ASSIGN_OR_RETURN(bool done, handle_row(key, it_->value()));
        if (done) return Status::Ok();
        if (cmd_.reversed) {
          it_->Prev();
        } else {
          it_->Next();
        }
      }
      if (!it_->Valid()) {
        PF_RETURN_IF_ERROR(it_->status());
        at_partition_end_ = to_partition_end;
      }
    }
    if (!any_row && has_live_static && !clustering_restricted_ && !stopped_) {
      // A partition with only static data reads as one row of statics (clustering null).
      ReadRow row;
      row.partition_key = pk;
      FillCells(nullptr, {}, header, static_shadow, &row);
      if (Emit(std::move(row)) && ++emitted_ >= cmd_.row_limit) Stop(index, prefix, true, {}, 1);
    }
    return Status::Ok();
  }

  // s->assign(v) for a `v` outside *s, without assign's handling of overlapping bytes.
  static void AssignBytes(std::string_view v, std::string* s) {
    s->resize(v.size());
    std::memcpy(s->data(), v.data(), v.size());
  }

  // Whether `key` is `prefix`, then `section`, then `rest`. `prefix_known`: the caller knows that
  // `key` starts with `prefix`.
  static bool IsSectionKey(std::string_view key, std::string_view prefix, char section,
                           std::string_view rest, bool prefix_known) {
    return key.size() == prefix.size() + 1 + rest.size() && key[prefix.size()] == section &&
           (prefix_known || std::memcmp(key.data(), prefix.data(), prefix.size()) == 0) &&
           (rest.empty() ||
            std::memcmp(key.data() + prefix.size() + 1, rest.data(), rest.size()) == 0);
  }

  Result<bool> AnyLiveRow(const rows::RowValue& header, const std::string& row_base) {
    std::string upper = keys::PrefixSuccessor(row_base);
    for (it_->Seek(row_base); it_->Valid() && it_->key() < std::string_view(upper); it_->Next()) {
      PF_ASSIGN_OR_RETURN(rows::RowValue value, rows::Decode(it_->value()));
      std::string_view clustering = it_->key().substr(row_base.size());
      if (RowIsLive(value, Shadow(header, value, clustering))) return true;
    }
    PF_RETURN_IF_ERROR(it_->status());
    return false;
  }

  const ReadCommand& cmd_;
  const TableMetadata& table_;
  KvIterator* it_;
  KvIterator* index_it_;
  PartitionSource* partitions_ = nullptr;
  int32_t now_;
  // Index lookups: the entry being read, and the partition of the last row read through one.
  std::string current_entry_;
  std::string indexed_partition_;
  rows::RowValue indexed_header_;
  int64_t indexed_partition_rows_ = 0;
  // By column id: regular, static, non-frozen collection or user type, dropped and re-added.
  static constexpr uint8_t kRegularFlag = 1, kStaticFlag = 2, kMultiCellFlag = 4,
                           kReaddedFlag = 8;
  bool HasFlag(uint32_t column_id, uint8_t flag) const {
    return column_id < column_flags_.size() && (column_flags_[column_id] & flag) != 0;
  }
  // A re-added column's drop time: its cells written at or before it are the dropped column's.
  int64_t DropTime(uint32_t column_id) const {
    return table_.FindDropById(column_id)->hidden_through_micros;
  }
  // Whether a cell written at `timestamp` belongs to a dropped column (hidden from every read).
  bool Dropped(uint32_t column_id, int64_t timestamp) const {
    return HasFlag(column_id, kReaddedFlag) && timestamp <= DropTime(column_id);
  }
  int64_t gc_before_ = 0;         // tombstones deleted before it (seconds) are purgeable
  // ReadResult::tombstones when the partition in hand began (reads of partition keys, whose
  // failure threshold is per partition); 0 for scans.
  int64_t tombstones_before_ = 0;
  // ReadCommand::sink only: per returned column, and the reused buffers of the row in hand.
  struct ReturnedColumn {
    bool is_static = false;
    const ColumnMetadata* collection = nullptr;  // a non-frozen collection or user type
  };
  // The buffers a read refills: kept with their capacity for the thread's next read, so that a
  // point read allocates none of them. The constructor and each use reset what they read.
  struct Buffers {
    std::vector<uint8_t> column_flags;
    std::vector<ReturnedColumn> returned;
    rows::RowValueView row_view;
    std::vector<std::string> clustering;
    std::vector<RowCellView> cell_views;
    std::vector<std::optional<CellValue>> owned_cells;
    std::vector<EncodedSlice> slices;
    std::string scan_prefix, header_key, row_base, point_key, partition_prefix;
    std::vector<std::string> scan_pk;
    // What column_flags and any_readded were computed for, and returned for returned_columns
    // (valid while returned_valid: computed for a read with a sink, of flags_table).
    std::shared_ptr<const TableMetadata> flags_table;
    bool any_readded = false;
    std::vector<uint32_t> returned_columns;
    bool returned_owns_cells = false;
    bool returned_valid = false;

    // Whether keeping them would hold on to much memory after a large read.
    bool Large() const {
      constexpr size_t kMaxEntries = 256, kMaxBytes = 4096;
      auto large_strings = [&](const std::vector<std::string>& v) {
        if (v.capacity() > kMaxEntries) return true;
        for (const auto& x : v) {
          if (x.capacity() > kMaxBytes) return true;
        }
        return false;
      };
      return column_flags.capacity() > 4 * kMaxEntries || returned.capacity() > kMaxEntries ||
             row_view.cells.capacity() > kMaxEntries || cell_views.capacity() > kMaxEntries ||
             owned_cells.capacity() > kMaxEntries || slices.capacity() > kMaxEntries ||
             returned_columns.capacity() > kMaxEntries ||
             large_strings(clustering) || large_strings(scan_pk) ||
             scan_prefix.capacity() > kMaxBytes || header_key.capacity() > kMaxBytes ||
             row_base.capacity() > kMaxBytes || point_key.capacity() > kMaxBytes ||
             partition_prefix.capacity() > kMaxBytes;
    }
  };
  // This thread's buffers; `in_use` while a Reader holds them.
  struct ThreadBuffers {
    Buffers buffers;
    bool in_use = false;
  };
  static ThreadBuffers& ThisThread() {
    thread_local ThreadBuffers t;
    return t;
  }
  // The thread's buffers, or fresh ones (kept in `own`) while another Reader on this thread
  // holds them.
  static Buffers& AcquireBuffers(std::unique_ptr<Buffers>* own) {
    ThreadBuffers& t = ThisThread();
    if (t.in_use) {
      *own = std::make_unique<Buffers>();
      return **own;
    }
    t.in_use = true;
    return t.buffers;
  }
  void ReleaseBuffers() {
    if (own_buffers_ != nullptr) return;
    if (buffers_.Large()) buffers_ = Buffers();  // a large read's buffers are not kept
    ThisThread().in_use = false;
  }
  std::unique_ptr<Buffers> own_buffers_;
  Buffers& buffers_ = AcquireBuffers(&own_buffers_);
  std::vector<uint8_t>& column_flags_ = buffers_.column_flags;
  std::vector<ReturnedColumn>& returned_ = buffers_.returned;
  rows::RowValueView& row_view_ = buffers_.row_view;
  std::vector<std::string>& clustering_ = buffers_.clustering;
  std::vector<RowCellView>& cell_views_ = buffers_.cell_views;
  std::vector<std::optional<CellValue>>& owned_cells_ = buffers_.owned_cells;
  std::vector<EncodedSlice>& slices_ = buffers_.slices;
  std::string& scan_prefix_ = buffers_.scan_prefix;
  std::string& header_key_ = buffers_.header_key;
  std::string& row_base_ = buffers_.row_base;
  std::string& point_key_ = buffers_.point_key;
  std::vector<std::string>& scan_pk_ = buffers_.scan_pk;
  std::optional<ResumePosition> resume_;
  bool clustering_restricted_ = false;
  bool stopped_ = false;
  bool at_partition_end_ = false;
  bool decode_partition_key_ = true;
  bool any_readded_ = false;  // some column has kReaddedFlag
  rows::RowValue header_;     // ReadPartition: the header of the partition in hand, if it has one
  int64_t emitted_ = 0;
  ReadResult result_;
};

// Lowers the priority of the RocksDB background thread it runs on, once per thread, as the job
// (flush or compaction) starts: StorageOptions::flush_nice on the flush pool's threads,
// compaction_nice on the compaction pools'.
class BackgroundPriority : public rocksdb::EventListener {
 public:
  BackgroundPriority(int flush_nice, int compaction_nice)
      : flush_nice_(flush_nice), compaction_nice_(compaction_nice) {}
  void OnFlushBegin(rocksdb::DB*, const rocksdb::FlushJobInfo&) override {
    Apply(NiceOfThisThread(flush_nice_));
  }
  void OnCompactionBegin(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override {
    Apply(NiceOfThisThread(compaction_nice_));
  }

 private:
  // By the thread's pool, not by the job, because an unprivileged thread can lower its priority
  // but never raise it again: a thread that took a compaction's SCHED_IDLE would run every later
  // flush in it. RocksDB names its pools' threads; flushes run on rocksdb:high whenever that pool
  // has a thread (max_background_jobs gives it one), compactions on rocksdb:low (and
  // rocksdb:bottom, which the node gives no threads). A thread of another name: the job's.
  int NiceOfThisThread(int job_nice) const {
#if defined(__linux__)
    char name[16] = {};
    if (pthread_getname_np(pthread_self(), name, sizeof(name)) == 0) {
      const std::string_view pool(name);
      if (pool == "rocksdb:high") return flush_nice_;
      if (pool == "rocksdb:low" || pool == "rocksdb:bottom") return compaction_nice_;
    }
#endif
    return job_nice;
  }

  static void Apply(int nice) {
#if defined(__linux__)
    // RocksDB's thread pools are the process's: a thread keeps what the last storage to run a
    // job on it set.
    thread_local int applied = -1;
    if (nice == 0 || applied == nice) return;
    applied = nice;
    const bool idle = nice == StorageOptions::kBackgroundIdle;
    // struct sched_attr (linux/sched/types.h, SCHED_ATTR_SIZE_VER0). SCHED_IDLE (5): a waking
    // SCHED_OTHER thread preempts it at once. SCHED_OTHER (0) at nice: sched_runtime is the
    // slice EEVDF gives the thread (Linux 6.12+; older kernels ignore it).
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
    } attr{48, idle ? 5u : 0u, 0, idle ? 0 : nice, 0, idle ? 0u : 100'000u, 0, 0};
    static_assert(sizeof(attr) == 48);
    if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
      // No sched_setattr, or it is refused (leaving SCHED_IDLE takes CAP_SYS_NICE): a nice
      // value alone, SCHED_IDLE's nearest for kBackgroundIdle.
      (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), idle ? 19 : nice);
    }
#else
    (void)nice;
#endif
  }

  int flush_nice_;
  int compaction_nice_;
};

}  // namespace

struct Storage::Impl {
  StorageOptions options;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;
  // write_options with no_slowdown, for writes inside a Storage::NoStall.
  rocksdb::WriteOptions no_stall_write_options;
  rocksdb::WriteOptions meta_write_options;
  // RocksDB's manual_wal_flush (kPeriodic): a write's WAL record stays in RocksDB's buffer until
  // FlushWAL (Storage::WalWritten, WalBatch::Finish). Synced writes flush it themselves.
  bool manual_wal_flush = false;
  std::atomic<const VirtualTableSource*> virtual_source{nullptr};
  std::unique_ptr<RowCache> row_cache;  // null when off

  // Every write to the database goes through here, so that the row cache drops what the batch
  // changes (row_cache.h: before and after the write, so no fill can keep what it replaced).
  rocksdb::Status WriteRaw(const rocksdb::WriteOptions& write_options,
                           rocksdb::WriteBatch* batch) {
    if (!row_cache) return db->Write(write_options, batch);
    RowCache::Touched touched = RowCache::TouchedBy(*batch);
    row_cache->BeginWrite(touched);
    rocksdb::Status s = db->Write(write_options, batch);
    row_cache->EndWrite(touched);
    return s;
  }
  Status Write(const rocksdb::WriteOptions& write_options, rocksdb::WriteBatch* batch,
               std::string_view what) {
    rocksdb::Status s = WriteRaw(write_options, batch);
    if (!s.ok()) return FromRocks(s, what);
    return Status::Ok();
  }

  std::mutex sync_mu;
  std::condition_variable sync_cv;
  bool stopping = false;
  std::thread sync_thread;

  int64_t Now() const { return options.clock_micros ? options.clock_micros() : node::NowMicros(); }
  int32_t NowSeconds() const { return static_cast<int32_t>(Now() / 1000000); }

  ~Impl() {
    if (sync_thread.joinable()) {
      {
        std::lock_guard lock(sync_mu);
        stopping = true;
      }
      sync_cv.notify_all();
      sync_thread.join();
    }
    if (db) {
      rocksdb::Status s = db->FlushWAL(/*sync=*/true);
      (void)s;  // best effort at close: every acknowledged write is already in the WAL
      s = db->Close();
      (void)s;
    }
  }
};

Storage::Storage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Storage::~Storage() = default;

Result<std::unique_ptr<Storage>> Storage::Open(StorageOptions options) {
  if (options.data_dir.empty()) {
    return Status(StatusCode::kInvalidArgument, "storage: data_dir is required");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Status(StatusCode::kIoError,
                  "cannot create data directory " + options.data_dir + ": " + ec.message());
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.merge_operator = std::make_shared<RowMergeOperator>();
  db_options.write_buffer_size = impl->options.write_buffer_bytes;
  // Point reads look up the partition header first, and most partitions have none: memtable and
  // SST bloom filters answer those misses without searching.
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.05;
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  if (impl->options.flush_nice != 0 || impl->options.compaction_nice != 0) {
    db_options.listeners.push_back(std::make_shared<BackgroundPriority>(
        impl->options.flush_nice, impl->options.compaction_nice));
  }
  impl->manual_wal_flush = impl->options.sync_mode == StorageOptions::SyncMode::kPeriodic;
  db_options.manual_wal_flush = impl->manual_wal_flush;
  if (impl->options.provoke_write_stalls) {
    db_options.write_buffer_size = 64 << 10;  // RocksDB's smallest
    // Slowdown from the first level-0 file (the triggers cannot be below the compaction's).
    db_options.level0_file_num_compaction_trigger = 1;
    db_options.level0_slowdown_writes_trigger = 1;
    db_options.delayed_write_rate = 16 << 10;
    // Flushes and compactions write at 32 KiB/s: a stall lasts seconds, not milliseconds.
    db_options.rate_limiter.reset(rocksdb::NewGenericRateLimiter(32 << 10));
  }
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(impl->options.block_cache_bytes);
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  db_options.compression = rocksdb::kLZ4Compression;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, impl->options.data_dir, &raw);
  if (s.IsNotSupported() || s.IsInvalidArgument()) {  // a RocksDB built without LZ4
    db_options.compression = rocksdb::kSnappyCompression;
    s = rocksdb::DB::Open(db_options, impl->options.data_dir, &raw);
  }
  if (!s.ok()) return FromRocks(s, "cannot open storage in " + impl->options.data_dir);
  impl->db.reset(raw);
  if (impl->options.row_cache_bytes > 0) {
    impl->row_cache = std::make_unique<RowCache>(impl->options.row_cache_bytes);
  }

  impl->write_options.sync = impl->options.sync_mode == StorageOptions::SyncMode::kBatch;
  impl->no_stall_write_options = impl->write_options;
  impl->no_stall_write_options.no_slowdown = true;
  impl->meta_write_options.sync = true;
  if (impl->options.sync_mode == StorageOptions::SyncMode::kPeriodic &&
      impl->options.periodic_sync_ms > 0) {
    Impl* p = impl.get();
    impl->sync_thread = std::thread([p] {
      std::unique_lock lock(p->sync_mu);
      while (!p->stopping) {
        p->sync_cv.wait_for(lock, std::chrono::milliseconds(p->options.periodic_sync_ms));
        if (p->stopping) break;
        lock.unlock();
        rocksdb::Status st = p->db->FlushWAL(/*sync=*/true);
        (void)st;  // a failed periodic sync is retried next period; writes already succeeded
        lock.lock();
      }
    });
  }
  return std::unique_ptr<Storage>(new Storage(std::move(impl)));
}

namespace {
// The storage whose WalBatch the thread is in, and whether a write was made in it.
thread_local Storage* t_wal_batch = nullptr;
thread_local bool t_wal_pending = false;
// The thread's NoStall, if any.
thread_local Storage::NoStall* t_no_stall = nullptr;
}  // namespace

Status Storage::Apply(const std::vector<PartitionMutation>& mutations,
                      std::optional<int32_t> now_seconds) {
  int32_t now = now_seconds.value_or(impl_->NowSeconds());
  // The batch and the key and row encoding buffers are the thread's, cleared for each call: they
  // allocate as they first grow, not on every write. One that grew past kKeptBatchBytes is let
  // go below. Each mutation's rows go into the batch in order, so two writes of one key in a
  // call are merged in the order they were given.
  thread_local rocksdb::WriteBatch batch;
  thread_local std::string key;
  thread_local std::string value;
  batch.Clear();
  std::vector<std::pair<std::string, RowValue>> writes;
  std::vector<IndexPut> index_puts;
  for (const PartitionMutation& m : mutations) {
    if (m.table && m.table->is_virtual) {
      return InvalidArgument(m.table->keyspace + " keyspace is not user-modifiable.");
    }
    if (IsPlainMutation(m)) {
      PF_RETURN_IF_ERROR(AppendPlainWrites(m, now, &batch, &index_puts, &key, &value));
      continue;
    }
    writes.clear();
    PF_RETURN_IF_ERROR(BuildWrites(m, now, &writes, &index_puts));
    for (const auto& [row_key, row] : writes) {
      value.clear();
      rows::Encode(row, &value);
      rocksdb::Status s = batch.Merge(ToSlice(row_key), ToSlice(value));
      if (!s.ok()) return FromRocks(s, "write batch");
    }
  }
  if (batch.Count() == 0) return Status::Ok();
  // Index entries go in the same batch: a row and its entries are written atomically.
  for (const auto& [key, ts] : index_puts) {
    rocksdb::Status s = batch.Put(ToSlice(key), ToSlice(ts));
    if (!s.ok()) return FromRocks(s, "write batch");
  }
  if (tracing::Current() != nullptr) {
    tracing::Trace("Appending to commitlog");
    const TableMetadata* last = nullptr;
    for (const PartitionMutation& m : mutations) {
      if (m.table.get() != last) tracing::Trace("Adding to {} memtable", m.table->name);
      last = m.table.get();
    }
  }
  NoStall* no_stall = t_no_stall != nullptr && t_no_stall->storage_ == this ? t_no_stall : nullptr;
  rocksdb::Status s =
      impl_->WriteRaw(no_stall ? impl_->no_stall_write_options : impl_->write_options, &batch);
  constexpr size_t kKeptBatchBytes = 1 << 20;
  if (batch.GetDataSize() > kKeptBatchBytes) batch = rocksdb::WriteBatch();
  if (value.capacity() > kKeptBatchBytes) std::string().swap(value);
  if (key.capacity() > kKeptBatchBytes) std::string().swap(key);
  if (s.IsIncomplete() && no_stall) no_stall->stalled_ = true;
  if (!s.ok()) return FromRocks(s, "write failed");
  return WalWritten();
}

Storage::NoStall::NoStall(Storage* storage) : storage_(storage) {
  assert(t_no_stall == nullptr);
  t_no_stall = this;
}

Storage::NoStall::~NoStall() { t_no_stall = nullptr; }

bool Storage::NoStall::StalledOnThisThread(const Storage& storage) {
  return t_no_stall != nullptr && t_no_stall->storage_ == &storage && t_no_stall->stalled_;
}

Status Storage::WalWritten() {
  if (!impl_->manual_wal_flush) return Status::Ok();
  if (t_wal_batch == this) {
    t_wal_pending = true;
    return Status::Ok();
  }
  rocksdb::Status s = impl_->db->FlushWAL(/*sync=*/false);
  if (!s.ok()) return FromRocks(s, "write failed: WAL");
  return Status::Ok();
}

Storage::WalBatch::WalBatch(Storage* storage) : storage_(storage) {
  assert(t_wal_batch == nullptr);
  t_wal_batch = storage;
  t_wal_pending = false;
}

Storage::WalBatch::~WalBatch() {
  if (!finished_) (void)Finish();
}

Status Storage::WalBatch::Finish() {
  finished_ = true;
  t_wal_batch = nullptr;
  if (!t_wal_pending) return Status::Ok();
  t_wal_pending = false;
  return storage_->WalWritten();  // outside the batch now: flushes
}

namespace {

// A read's partitions through the row cache: each from its cached image, or read from RocksDB
// into a new image (the fill) that the cache keeps unless a write raced it.
class CachedPartitions final : public PartitionSource {
 public:
  // The RocksDB iterator (partitions not cached) is made when a partition first needs it: a
  // read that the cache answers makes none. It takes its snapshot at its first positioning, so
  // after the generation of any lookup before it was read.
  CachedPartitions(const TableMetadata& table, RowCache* cache, rocksdb::DB* db)
      : table_(table), cache_(cache), db_(db) {}

  Result<KvIterator*> For(const std::string& prefix) override {
    RowCache::Lookup found = cache_->FindPartition(table_.storage_id, prefix);
    if (found.image) {
      image_it_.Reset(std::move(found.image));
      return &image_it_;
    }
    KvIterator* rocks = Rocks();
    if (found.too_large) return rocks;
    KvImage::Builder builder;
    if (table_.clustering_count == 0) {
      // The partition is at most two keys, its header and its one row: two point lookups, as
      // a read without the cache makes. They are read after the lookup read the generation;
      // a write between them changes the generation, and the fill is then discarded.
      std::string& key = key_;
      key.assign(prefix).push_back(keys::kHeaderSection);
      std::string_view value;
      PF_ASSIGN_OR_RETURN(bool found_header, rocks->Get(key, &value));
      if (found_header) builder.Add(key, value);  // copied before the next Get reuses `value`
      key.back() = keys::kRowSection;
      PF_ASSIGN_OR_RETURN(bool found_row, rocks->Get(key, &value));
      if (found_row) builder.Add(key, value);
      return Filled(prefix, builder, found.generation);
    }
    // Its own iterator, created after the lookup read the generation: its snapshot is newer.
    auto fill = NewRocksIterator(db_, keys::PrefixSuccessor(prefix));
    const size_t max_bytes = cache_->max_entry_bytes();
    for (fill->Seek(prefix); fill->Valid(); fill->Next()) {
      builder.Add(fill->key(), fill->value());
      if (builder.bytes() > max_bytes) {
        cache_->InsertPartition(table_.storage_id, prefix, nullptr, found.generation);
        return rocks;
      }
    }
    PF_RETURN_IF_ERROR(fill->status());
    return Filled(prefix, builder, found.generation);
  }

 private:
  // Keeps the partition read into `builder` (unless a write raced it) and reads from it.
  KvIterator* Filled(const std::string& prefix, KvImage::Builder& builder, uint64_t generation) {
    std::shared_ptr<const KvImage> image = builder.Build();
    cache_->InsertPartition(table_.storage_id, prefix, image, generation);
    image_it_.Reset(std::move(image));
    return &image_it_;
  }

  KvIterator* Rocks() {
    if (!rocks_) {
      rocks_ = NewRocksIterator(db_, keys::PrefixSuccessor(keys::TablePrefix(table_.storage_id)));
    }
    return rocks_.get();
  }

  const TableMetadata& table_;
  RowCache* cache_;
  rocksdb::DB* db_;
  std::unique_ptr<KvIterator> rocks_;  // null until a partition needs it
  KvImageIterator image_it_;
  std::string key_;  // reused: the point lookups' keys
};

// Passes a scan's iterator through, keeping what it walks: when the walk was one Seek to the
// table's first key and then Next to the table's end, what it kept is the whole table.
class RecordingIterator final : public KvIterator {
 public:
  RecordingIterator(KvIterator* inner, std::string start, size_t max_bytes)
      : inner_(inner), start_(std::move(start)), max_bytes_(max_bytes) {}

  // The whole table, when the walk covered it.
  std::shared_ptr<const KvImage> Take() {
    return state_ == kComplete ? builder_.Build() : nullptr;
  }
  // Whether the walk stopped keeping because the table is larger than an entry may be.
  bool too_large() const { return too_large_; }

  void Seek(std::string_view target) override {
    state_ = state_ == kFresh && target == start_ ? kRecording : kBroken;
    inner_->Seek(target);
    Record();
  }
  void SeekForPrev(std::string_view target) override {
    state_ = kBroken;
    inner_->SeekForPrev(target);
  }
  bool Valid() const override { return inner_->Valid(); }
  void Next() override {
    inner_->Next();
    Record();
  }
  void Prev() override {
    state_ = kBroken;
    inner_->Prev();
  }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  Status status() const override { return inner_->status(); }
  Result<bool> Get(std::string_view key, std::string_view* value) override {
    state_ = kBroken;
    return inner_->Get(key, value);
  }

 private:
  void Record() {
    if (state_ != kRecording) return;
    if (!inner_->Valid()) {
      state_ = inner_->status().ok() ? kComplete : kBroken;
      return;
    }
    builder_.Add(inner_->key(), inner_->value());
    if (builder_.bytes() > max_bytes_) {
      state_ = kBroken;
      too_large_ = true;
      builder_ = KvImage::Builder();  // its memory is not held for the rest of the scan
    }
  }

  enum State { kFresh, kRecording, kComplete, kBroken };
  KvIterator* inner_;
  std::string start_;
  size_t max_bytes_;
  State state_ = kFresh;
  bool too_large_ = false;
  KvImage::Builder builder_;
};

// A scan through the row cache: from the table's image when it has one; otherwise from
// RocksDB, keeping the table's image when the scan walked all of it.
Result<ReadResult> CachedScan(RowCache& cache, rocksdb::DB* db, const ReadCommand& command,
                              int32_t now) {
  const uint32_t storage_id = command.table->storage_id;
  RowCache::Lookup found = cache.FindTable(storage_id);
  if (found.image) {
    KvImageIterator it;
    it.Reset(std::move(found.image));
    return Reader(command, &it, now).Run();
  }
  // Created after FindTable read the generation: its snapshot is newer.
  std::string table_prefix = keys::TablePrefix(storage_id);
  auto rocks = NewRocksIterator(db, keys::PrefixSuccessor(table_prefix));
  if (found.too_large || command.token_start || command.token_end ||
      !command.resume_position.empty()) {
    return Reader(command, rocks.get(), now).Run();  // will not walk the whole table
  }
  RecordingIterator recording(rocks.get(), std::move(table_prefix), cache.max_entry_bytes());
  Result<ReadResult> result = Reader(command, &recording, now).Run();
  if (result.ok()) {
    if (std::shared_ptr<const KvImage> image = recording.Take()) {
      cache.InsertTable(storage_id, std::move(image), found.generation);
    } else if (recording.too_large()) {
      cache.InsertTable(storage_id, nullptr, found.generation);  // scans stop keeping it
    }
  }
  return result;
}

// The events Cassandra's read path traces, where the node has a counterpart.
void TraceReadStart(const ReadCommand& command) {
  if (tracing::Current() == nullptr) return;
  const TableMetadata& table = *command.table;
  if (command.index) {
    std::string_view index_name;
    for (const IndexMetadata& i : table.indexes) {
      if (i.storage_id == command.index->storage_id) index_name = i.name;
    }
    tracing::Trace("Executing read on {}.{} using index {}", table.keyspace, table.name,
                   index_name);
  } else if (command.scan) {
    tracing::Trace("Computing ranges to query");
  } else {
    for (size_t i = 0; i < command.partition_keys.size(); ++i) {
      tracing::Trace("Executing single-partition query on {}", table.name);
    }
  }
}

}  // namespace

Result<ReadResult> Storage::Read(const ReadCommand& command) const {
  if (!command.table) return InvalidArgument("read without a table");
  const TableMetadata& table = *command.table;
  if (command.row_limit <= 0 || command.per_partition_limit <= 0) return ReadResult{};
  if (table.is_virtual) {
    const VirtualTableSource* source = impl_->virtual_source.load();
    if (source == nullptr) return ReadResult{};
    PF_ASSIGN_OR_RETURN(std::vector<PartitionMutation> generated,
                        source->Generate(command.table, command));
    std::vector<std::pair<std::string, RowValue>> writes;
    int32_t now = command.now_seconds.value_or(impl_->NowSeconds());
    for (const auto& m : generated) PF_RETURN_IF_ERROR(BuildWrites(m, now, &writes));
    std::map<std::string, RowValue> merged;
    for (auto& [key, row] : writes) {
      auto [it, inserted] = merged.try_emplace(key);
      rows::Merge(&it->second, std::move(row));
    }
    std::map<std::string, std::string> encoded;
    for (const auto& [key, row] : merged) rows::Encode(row, &encoded[key]);
    auto it = NewMapIterator(&encoded);
    return Reader(command, it.get(), now).Run();
  }
  const int32_t now = command.now_seconds.value_or(impl_->NowSeconds());
  TraceReadStart(command);
  RowCache* cache = impl_->row_cache.get();
  // Each branch's result is constructed where `result` lives (no move of the rows between
  // Results: a point read is short enough for those moves to show).
  auto run = [&]() -> Result<ReadResult> {
    if (cache != nullptr && command.scan && !command.index) {
      return CachedScan(*cache, impl_->db.get(), command, now);
    }
    if (cache != nullptr && !command.index) {
      // The generation a partition fill presents is read before the RocksDB iterator exists, so
      // before the snapshot the iterator takes at its first positioning.
      CachedPartitions partitions(table, cache, impl_->db.get());
      Reader reader(command, /*it=*/nullptr, now);  // each partition's comes from `partitions`
      reader.SetPartitionSource(&partitions);
      return reader.Run();
    }
    auto it = NewRocksIterator(impl_->db.get(),
                               keys::PrefixSuccessor(keys::TablePrefix(table.storage_id)));
    if (command.index) {
      auto index_it = NewRocksIterator(
          impl_->db.get(), keys::PrefixSuccessor(keys::TablePrefix(command.index->storage_id)));
      return Reader(command, it.get(), now, index_it.get()).Run();
    }
    return Reader(command, it.get(), now).Run();
  };
  Result<ReadResult> result = run();
  if (result.ok()) tracing::Trace("Read {} live rows and 0 tombstone cells", result->row_count);
  return result;
}

Status Storage::BuildIndex(const std::shared_ptr<const TableMetadata>& table,
                           const IndexMetadata& index) {
  const ColumnMetadata* column = table->FindColumnById(index.column_id);
  if (column == nullptr) return InvalidArgument("index on an unknown column");
  // An index on a key column keeps no entries: its queries scan and filter on the key.
  if (column->is_primary_key()) return Status::Ok();
  bool is_static = column->kind == ColumnKind::kStatic;
  ReadCommand cmd;
  cmd.table = table;
  cmd.scan = true;
  cmd.columns = {index.column_id};
  cmd.distinct = is_static;  // one row per partition, statics as cells
  while (true) {
    cmd.row_limit = 1000;
    PF_ASSIGN_OR_RETURN(ReadResult page, Read(cmd));
    std::vector<IndexPut> puts;
    for (const ReadRow& row : page.rows) {
      if (!row.cells[0]) continue;
      const CellValue& cell = *row.cells[0];
      std::string key = keys::PartitionPrefix(table->storage_id, keys::TokenOf(row.partition_key),
                                              row.partition_key);
      if (is_static) {
        key.push_back(keys::kHeaderSection);
      } else {
        key.push_back(keys::kRowSection);
        PF_ASSIGN_OR_RETURN(std::string clustering, keys::EncodeClustering(*table, row.clustering));
        key.append(clustering);
      }
      std::string_view suffix = std::string_view(key).substr(keys::TablePrefix(0).size());
      if (IsMultiCell(column->type)) {
        for (const auto& [path, value] : cell.elements) {
          // A value too large to index is skipped (a write of it is refused).
          (void)AddIndexEntries(*table, *column, index, path, value, cell.timestamp, suffix,
                                &puts);
        }
      } else {
        (void)AddIndexEntries(*table, *column, index, std::nullopt, cell.value, cell.timestamp,
                              suffix, &puts);
      }
    }
    if (!puts.empty()) {
      rocksdb::WriteBatch batch;
      for (const auto& [key, ts] : puts) {
        rocksdb::Status s = batch.Put(ToSlice(key), ToSlice(ts));
        if (!s.ok()) return FromRocks(s, "index build batch");
      }
      PF_RETURN_IF_ERROR(impl_->Write(impl_->write_options, &batch, "index build write"));
      PF_RETURN_IF_ERROR(WalWritten());
    }
    if (!page.has_more) break;
    cmd.resume_position = page.resume_position;
  }
  return Status::Ok();
}

Status Storage::DropTableData(uint32_t storage_id) {
  std::string begin = keys::TablePrefix(storage_id);
  std::string end = keys::PrefixSuccessor(begin);
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.DeleteRange(ToSlice(begin), ToSlice(end));
  if (!s.ok()) return FromRocks(s, "cannot delete table data");
  return impl_->Write(impl_->meta_write_options, &batch, "cannot delete table data");
}

Status Storage::Flush() {
  rocksdb::FlushOptions options;
  options.wait = true;
  rocksdb::Status s = impl_->db->Flush(options);
  if (!s.ok()) return FromRocks(s, "flush failed");
  return Status::Ok();
}

Status Storage::Compact(std::span<const uint32_t> storage_ids) {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  if (storage_ids.empty()) {
    rocksdb::Status s = impl_->db->CompactRange(options, nullptr, nullptr);
    if (!s.ok()) return FromRocks(s, "compaction failed");
    return Status::Ok();
  }
  for (uint32_t id : storage_ids) {
    std::string begin = keys::TablePrefix(id);
    std::string end = keys::PrefixSuccessor(begin);
    rocksdb::Slice b = ToSlice(begin), e = ToSlice(end);
    rocksdb::Status s = impl_->db->CompactRange(options, &b, &e);
    if (!s.ok()) return FromRocks(s, "compaction failed");
  }
  return Status::Ok();
}

Status Storage::Checkpoint(const std::string& dir, bool flush) {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(impl_->db.get(), &raw);
  if (!s.ok()) return FromRocks(s, "cannot create a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // The copied WAL holds every write made so far, not only the acknowledged ones.
  s = impl_->db->FlushWAL(/*sync=*/false);
  if (!s.ok()) return FromRocks(s, "checkpoint into " + dir + " failed: WAL");
  // log_size_for_flush: 0 flushes always; the largest value never does (the WAL is copied).
  s = checkpoint->CreateCheckpoint(dir, flush ? 0 : std::numeric_limits<uint64_t>::max());
  if (!s.ok()) return FromRocks(s, "checkpoint into " + dir + " failed");
  return Status::Ok();
}

uint64_t Storage::DiskBytes() const {
  uint64_t bytes = 0;
  if (!impl_->db->GetIntProperty(rocksdb::DB::Properties::kLiveSstFilesSize, &bytes)) return 0;
  return bytes;
}

void Storage::SetVirtualTableSource(const VirtualTableSource* source) {
  impl_->virtual_source.store(source);
}

Status Storage::WriteMeta(const std::vector<MetaWrite>& writes) {
  rocksdb::WriteBatch batch;
  for (const MetaWrite& w : writes) {
    std::string key = MetaKey(w.key);
    rocksdb::Status s =
        w.value ? batch.Put(ToSlice(key), ToSlice(*w.value)) : batch.Delete(ToSlice(key));
    if (!s.ok()) return FromRocks(s, "metadata batch");
  }
  return impl_->Write(impl_->meta_write_options, &batch, "metadata write failed");
}

Status Storage::PutMeta(std::string_view key, std::string_view value) {
  return WriteMeta({MetaWrite{std::string(key), std::string(value)}});
}

Result<std::optional<std::string>> Storage::GetMeta(std::string_view key) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), ToSlice(MetaKey(key)), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "metadata read failed");
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::pair<std::string, std::string>>> Storage::ScanMeta(
    std::string_view prefix) const {
  std::string start = MetaKey(prefix);
  auto it = NewRocksIterator(impl_->db.get(), keys::PrefixSuccessor(start));
  std::vector<std::pair<std::string, std::string>> out;
  for (it->Seek(start); it->Valid(); it->Next()) {
    out.emplace_back(std::string(it->key().substr(1)), std::string(it->value()));
  }
  PF_RETURN_IF_ERROR(it->status());
  return out;
}

Storage::MemoryUsage Storage::Memory() const {
  MemoryUsage m;
  impl_->db->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &m.memtables);
  impl_->db->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &m.block_cache);
  if (impl_->row_cache) m.row_cache = impl_->row_cache->stats().bytes;
  return m;
}

Storage::RowCacheStats Storage::RowCacheCounters() const {
  return impl_->row_cache ? impl_->row_cache->stats() : RowCacheStats{};
}

int64_t Storage::NowMicros() const { return impl_->Now(); }
const StorageOptions& Storage::options() const { return impl_->options; }

}  // namespace postfork::node
