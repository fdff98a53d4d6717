// The value stored under a row key or a partition header key, and Cassandra's reconciliation of
// two such values (what the RocksDB merge operator runs). Layout in storage/README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"

namespace postfork::node::rows {

// Cassandra's Cell.NO_DELETION_TIME: a live, non-expiring cell.
inline constexpr int32_t kNoDeletionTime = INT32_MAX;

struct Cell {
  uint32_t column_id = 0;
  std::string path;  // collection element path (encoded); empty for simple columns
  // The element's bytes as written when `path` does not keep them (keys::StoresWrittenPath:
  // 1.00 and 1.0 are one path); empty otherwise. Reconciliation keeps the winning cell's, and
  // the older cell's on a full tie, as Cassandra's memtable keeps the existing cell.
  std::string written_path;
  bool tombstone = false;
  int64_t timestamp = 0;
  int32_t ttl = 0;  // seconds, expiring cells only
  // Tombstones: when deleted (seconds since the epoch); expiring cells: when they expire;
  // otherwise kNoDeletionTime.
  int32_t local_deletion_time = kNoDeletionTime;
  std::string value;

  bool expiring() const { return !tombstone && local_deletion_time != kNoDeletionTime; }
  bool LiveAt(int32_t now_seconds) const {
    return !tombstone &&
           (local_deletion_time == kNoDeletionTime || now_seconds < local_deletion_time);
  }
};

// The row marker (Cassandra's primary key LivenessInfo), written by INSERT.
struct Marker {
  int64_t timestamp = 0;
  int32_t ttl = 0;
  int32_t expiration = kNoDeletionTime;  // seconds; kNoDeletionTime = never
  bool LiveAt(int32_t now_seconds) const {
    return expiration == kNoDeletionTime || now_seconds < expiration;
  }
};

struct Deletion {
  int64_t timestamp = INT64_MIN;
  int32_t local_deletion_time = 0;
  // Whether data written at `ts` is shadowed by this deletion.
  bool Deletes(int64_t ts) const { return ts <= timestamp; }
};

// Rows whose encoded clustering key k satisfies lower <= k < upper (no upper: unbounded).
struct RangeDeletion {
  std::string lower;
  std::optional<std::string> upper;
  Deletion deletion;
  bool Covers(std::string_view clustering) const {
    return clustering >= std::string_view(lower) &&
           (!upper || clustering < std::string_view(*upper));
  }
};

struct RowValue {
  std::optional<Marker> marker;
  std::optional<Deletion> row_deletion;
  // Partition header values only:
  std::optional<Deletion> partition_deletion;
  std::vector<RangeDeletion> range_deletions;
  // Sorted by (column_id, path), at most one cell per pair.
  std::vector<Cell> cells;
  // Rows of tables whose key loses a clustering value's bytes (keys::StoresWrittenClustering):
  // the clustering components as first written, each as the protocol's [bytes]. A merge keeps
  // the older value's.
  std::optional<std::string> clustering;
};

void Encode(const RowValue& row, std::string* out);
Result<RowValue> Decode(std::string_view bytes);

// A cell of an encoded row, as views into the encoded bytes.
struct CellRef {
  uint32_t column_id = 0;
  std::string_view path;
  std::string_view written_path;
  bool tombstone = false;
  int64_t timestamp = 0;
  int32_t ttl = 0;
  int32_t local_deletion_time = kNoDeletionTime;
  std::string_view value;

  bool expiring() const { return !tombstone && local_deletion_time != kNoDeletionTime; }
  bool LiveAt(int32_t now_seconds) const {
    return !tombstone &&
           (local_deletion_time == kNoDeletionTime || now_seconds < local_deletion_time);
  }
};

// A row value read in place: what the read path needs of a stored row without copying it.
// Range deletions (partition header values only) are skipped: decode headers with Decode.
struct RowValueView {
  std::optional<Marker> marker;
  std::optional<Deletion> row_deletion;
  std::optional<Deletion> partition_deletion;
  std::vector<CellRef> cells;  // sorted by (column_id, path)
  std::optional<std::string_view> clustering;
  // Every cell is live and non-expiring, of a simple column (no path, no tombstone, no TTL):
  // what a row written by plain INSERTs and UPDATEs holds.
  bool plain_cells = true;
};

// Decodes `bytes` into *out, reusing its cell vector: no allocation once its capacity suffices.
// The views stay valid while `bytes` does. Fails exactly where Decode fails.
Status DecodeView(std::string_view bytes, RowValueView* out);

// Appends to *out the bytes Encode writes for a RowValue of the same fields (a row's value: a
// view holds no range deletions; `plain_cells` is not stored), for a writer whose cells' bytes
// live elsewhere and need no owned copy.
void EncodeView(const RowValueView& row, std::string* out);

// Whether `a` wins over `b` for the same cell (Cassandra 4.1 Cells.reconcile): the higher
// timestamp; on a tie a tombstone or expiring cell beats a plain live one, then the later local
// deletion time, then the greater value; true on a full tie (Cassandra keeps its left cell).
bool CellSupersedes(const Cell& a, const Cell& b);

// Merges `other` into `*base`, then drops what the merged deletions shadow. `other` is the newer
// value (RocksDB hands operands oldest first): everything but `clustering` and a cell's
// `written_path` merges commutatively and associatively; `clustering` stays the oldest one
// present, and of two cells that tie in every way the older stays.
void Merge(RowValue* base, RowValue&& other);

}  // namespace postfork::node::rows
