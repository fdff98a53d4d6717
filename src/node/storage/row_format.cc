#include "node/storage/row_format.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace postfork::node::rows {
namespace {

// Flags byte of an encoded RowValue.
constexpr uint8_t kHasMarker = 0x01;
constexpr uint8_t kHasRowDeletion = 0x02;
constexpr uint8_t kHasPartitionDeletion = 0x04;
constexpr uint8_t kHasRangeDeletions = 0x08;
constexpr uint8_t kHasClustering = 0x10;  // after the cells, so older values decode unchanged
// Flags byte of an encoded cell.
constexpr uint8_t kCellTombstone = 0x01;
constexpr uint8_t kCellHasPath = 0x02;
constexpr uint8_t kCellExpiring = 0x04;
constexpr uint8_t kCellHasWrittenPath = 0x08;  // Cell::written_path follows the path

template <class T>
void Put(T v, std::string* out) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}
void PutBytes(std::string_view b, std::string* out) {
  Put<uint32_t>(static_cast<uint32_t>(b.size()), out);
  out->append(b);
}

// Reads an encoded value. Every read checks the bytes left first and fails (false) on a short
// value; fields the caller checked with Has() are taken without a further check.
class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool Has(size_t n) const { return left() >= n; }
  template <class T>
  T Take() {  // unchecked: the caller checked Has(sizeof(T))
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  template <class T>
  bool Get(T* v) {
    if (!Has(sizeof(T))) return false;
    *v = Take<T>();
    return true;
  }
  // [u32 n][n bytes] into a string_view or a std::string.
  template <class S>
  bool GetBytes(S* out) {
    if (!Has(4)) return false;
    const uint32_t n = Take<uint32_t>();
    if (left() < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

void PutDeletion(const Deletion& d, std::string* out) {
  Put<int64_t>(d.timestamp, out);
  Put<int32_t>(d.local_deletion_time, out);
}
bool GetDeletion(Reader& r, Deletion* d) {
  if (!r.Has(12)) return false;
  d->timestamp = r.Take<int64_t>();
  d->local_deletion_time = r.Take<int32_t>();
  return true;
}

// One encoded cell into a Cell (owned strings) or a CellRef (views into the bytes). *plain is
// cleared unless the cell is live, non-expiring and of a simple column (RowValueView).
template <class C>
bool GetCell(Reader& r, C* c, bool* plain) {
  // Column id, flags and timestamp: the least any cell takes.
  if (!r.Has(13)) return false;
  c->column_id = r.Take<uint32_t>();
  const uint8_t cf = r.Take<uint8_t>();
  if (cf == 0) {  // most cells
    c->timestamp = r.Take<int64_t>();
    return r.GetBytes(&c->value);
  }
  *plain = false;
  c->tombstone = cf & kCellTombstone;
  if ((cf & kCellHasPath) && !r.GetBytes(&c->path)) return false;
  if ((cf & kCellHasWrittenPath) && !r.GetBytes(&c->written_path)) return false;
  if (!r.Get(&c->timestamp)) return false;
  if ((cf & (kCellTombstone | kCellExpiring)) && !r.Get(&c->local_deletion_time)) return false;
  if ((cf & kCellExpiring) && !r.Get(&c->ttl)) return false;
  return c->tombstone || r.GetBytes(&c->value);
}

// Every field of an encoded value into a RowValue or a RowValueView, whose range deletions are
// skipped (nullptr).
template <class Row>
bool DecodeInto(std::string_view bytes, Row* row, std::vector<RangeDeletion>* range_deletions) {
  Reader r(bytes);
  uint8_t flags;
  if (!r.Get(&flags)) return false;
  if (flags & kHasMarker) {
    if (!r.Has(16)) return false;
    Marker m;
    m.timestamp = r.Take<int64_t>();
    m.ttl = r.Take<int32_t>();
    m.expiration = r.Take<int32_t>();
    row->marker = m;
  }
  if ((flags & kHasRowDeletion) && !GetDeletion(r, &row->row_deletion.emplace())) return false;
  if ((flags & kHasPartitionDeletion) && !GetDeletion(r, &row->partition_deletion.emplace())) {
    return false;
  }
  if (flags & kHasRangeDeletions) {
    uint32_t n;
    if (!r.Get(&n)) return false;
    for (uint32_t i = 0; i < n; ++i) {
      RangeDeletion rd;
      uint8_t has_upper;
      if (!r.GetBytes(&rd.lower) || !r.Get(&has_upper)) return false;
      if (has_upper != 0 && !r.GetBytes(&rd.upper.emplace())) return false;
      if (!GetDeletion(r, &rd.deletion)) return false;
      if (range_deletions != nullptr) range_deletions->push_back(std::move(rd));
    }
  }
  uint32_t n;
  if (!r.Get(&n) || n > r.left()) return false;  // every cell takes bytes: a bogus count is corrupt
  row->cells.reserve(n);
  bool plain = true;
  for (uint32_t i = 0; i < n; ++i) {
    if (!GetCell(r, &row->cells.emplace_back(), &plain)) return false;
  }
  if constexpr (requires { row->plain_cells; }) row->plain_cells = plain;
  if ((flags & kHasClustering) && !r.GetBytes(&row->clustering.emplace())) return false;
  return r.left() == 0;
}

bool DeletionSupersedes(const Deletion& a, const Deletion& b) {
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  return a.local_deletion_time > b.local_deletion_time;
}

void MergeDeletion(std::optional<Deletion>* base, const std::optional<Deletion>& other) {
  if (!other) return;
  if (!*base || DeletionSupersedes(*other, **base)) *base = other;
}

// LivenessInfo.supersedes: higher timestamp; on a tie an expiring marker wins over a
// non-expiring one, then the later expiration.
bool MarkerSupersedes(const Marker& a, const Marker& b) {
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  bool a_exp = a.expiration != kNoDeletionTime, b_exp = b.expiration != kNoDeletionTime;
  if (a_exp != b_exp) return a_exp;
  return a.expiration > b.expiration;
}

bool CellKeyLess(const Cell& a, const Cell& b) {
  if (a.column_id != b.column_id) return a.column_id < b.column_id;
  return a.path < b.path;
}

// Encode's one implementation, for a RowValue (owned cells) and a RowValueView (cells as views,
// no range deletions).
template <class Row>
void EncodeRow(const Row& row, std::string* out) {
  constexpr bool kWithRanges = requires { row.range_deletions; };
  uint8_t flags = 0;
  if (row.marker) flags |= kHasMarker;
  if (row.row_deletion) flags |= kHasRowDeletion;
  if (row.partition_deletion) flags |= kHasPartitionDeletion;
  if constexpr (kWithRanges) {
    if (!row.range_deletions.empty()) flags |= kHasRangeDeletions;
  }
  if (row.clustering) flags |= kHasClustering;
  out->push_back(static_cast<char>(flags));
  if (row.marker) {
    Put<int64_t>(row.marker->timestamp, out);
    Put<int32_t>(row.marker->ttl, out);
    Put<int32_t>(row.marker->expiration, out);
  }
  if (row.row_deletion) PutDeletion(*row.row_deletion, out);
  if (row.partition_deletion) PutDeletion(*row.partition_deletion, out);
  if constexpr (kWithRanges) {
    if (!row.range_deletions.empty()) {
      Put<uint32_t>(static_cast<uint32_t>(row.range_deletions.size()), out);
      for (const auto& rd : row.range_deletions) {
        PutBytes(rd.lower, out);
        out->push_back(rd.upper ? 1 : 0);
        if (rd.upper) PutBytes(*rd.upper, out);
        PutDeletion(rd.deletion, out);
      }
    }
  }
  Put<uint32_t>(static_cast<uint32_t>(row.cells.size()), out);
  for (const auto& c : row.cells) {
    Put<uint32_t>(c.column_id, out);
    uint8_t cf = 0;
    if (c.tombstone) cf |= kCellTombstone;
    if (!c.path.empty()) cf |= kCellHasPath;
    if (c.expiring()) cf |= kCellExpiring;
    if (!c.written_path.empty()) cf |= kCellHasWrittenPath;
    out->push_back(static_cast<char>(cf));
    if (!c.path.empty()) PutBytes(c.path, out);
    if (!c.written_path.empty()) PutBytes(c.written_path, out);
    Put<int64_t>(c.timestamp, out);
    if (c.tombstone || c.expiring()) Put<int32_t>(c.local_deletion_time, out);
    if (c.expiring()) Put<int32_t>(c.ttl, out);
    if (!c.tombstone) PutBytes(c.value, out);
  }
  if (row.clustering) PutBytes(*row.clustering, out);
}

}  // namespace

void Encode(const RowValue& row, std::string* out) { EncodeRow(row, out); }

void EncodeView(const RowValueView& row, std::string* out) { EncodeRow(row, out); }

Result<RowValue> Decode(std::string_view bytes) {
  RowValue row;
  if (!DecodeInto(bytes, &row, &row.range_deletions)) {
    return Status(StatusCode::kInternal, "corrupt stored row value");
  }
  return row;
}

Status DecodeView(std::string_view bytes, RowValueView* out) {
  out->marker.reset();
  out->row_deletion.reset();
  out->partition_deletion.reset();
  out->cells.clear();
  out->clustering.reset();
  if (!DecodeInto(bytes, out, nullptr)) {
    return Status(StatusCode::kInternal, "corrupt stored row value");
  }
  return Status::Ok();
}

bool CellSupersedes(const Cell& a, const Cell& b) {
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  bool a_dead = a.tombstone || a.expiring();
  bool b_dead = b.tombstone || b.expiring();
  if (a_dead || b_dead) {
    if (a_dead != b_dead) return a_dead;
    if (a.local_deletion_time != b.local_deletion_time) {
      return a.local_deletion_time > b.local_deletion_time;
    }
    if (a.tombstone != b.tombstone) return a.tombstone;
  }
  return a.value >= b.value;
}

void Merge(RowValue* base, RowValue&& other) {
  if (!base->clustering) base->clustering = std::move(other.clustering);
  if (other.marker && (!base->marker || MarkerSupersedes(*other.marker, *base->marker))) {
    base->marker = other.marker;
  }
  MergeDeletion(&base->row_deletion, other.row_deletion);
  MergeDeletion(&base->partition_deletion, other.partition_deletion);
  for (auto& rd : other.range_deletions) {
    bool duplicate = false;
    for (auto& existing : base->range_deletions) {
      if (existing.lower == rd.lower && existing.upper == rd.upper) {
        if (DeletionSupersedes(rd.deletion, existing.deletion)) existing.deletion = rd.deletion;
        duplicate = true;
        break;
      }
    }
    if (!duplicate) base->range_deletions.push_back(std::move(rd));
  }

  if (!other.cells.empty()) {
    std::vector<Cell> merged;
    merged.reserve(base->cells.size() + other.cells.size());
    auto a = base->cells.begin(), ae = base->cells.end();
    auto b = other.cells.begin(), be = other.cells.end();
    while (a != ae || b != be) {
      if (b == be || (a != ae && CellKeyLess(*a, *b))) {
        merged.push_back(std::move(*a++));
      } else if (a == ae || CellKeyLess(*b, *a)) {
        merged.push_back(std::move(*b++));
      } else {
        merged.push_back(CellSupersedes(*a, *b) ? std::move(*a) : std::move(*b));
        ++a;
        ++b;
      }
    }
    base->cells = std::move(merged);
  }

  // A collection deletion (empty-path tombstone, sorted first among its column's cells) drops
  // the elements at or below its timestamp.
  {
    uint32_t column = UINT32_MAX;
    int64_t deleted_at = INT64_MIN;
    std::erase_if(base->cells, [&](const Cell& c) {
      if (c.path.empty()) {
        column = c.tombstone ? c.column_id : UINT32_MAX;
        deleted_at = c.timestamp;
        return false;
      }
      return c.column_id == column && c.timestamp <= deleted_at;
    });
  }

  // Drop what this value's own deletions shadow: they can never become visible again.
  std::optional<Deletion> shadow = base->row_deletion;
  MergeDeletion(&shadow, base->partition_deletion);
  if (shadow) {
    if (base->marker && shadow->Deletes(base->marker->timestamp)) base->marker.reset();
    std::erase_if(base->cells, [&](const Cell& c) { return shadow->Deletes(c.timestamp); });
  }
  if (base->partition_deletion) {
    const Deletion pd = *base->partition_deletion;
    std::erase_if(base->range_deletions,
                  [&](const RangeDeletion& rd) { return pd.Deletes(rd.deletion.timestamp); });
  }
}

}  // namespace postfork::node::rows
