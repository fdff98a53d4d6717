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

struct Reader {
  std::string_view in;
  bool ok = true;
  template <class T>
  T Get() {
    T v{};
    if (in.size() < sizeof(T)) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in.data(), sizeof(T));
    in.remove_prefix(sizeof(T));
    return v;
  }
  std::string_view GetBytesView() {
    uint32_t n = Get<uint32_t>();
    if (!ok || in.size() < n) {
      ok = false;
      return {};
    }
    std::string_view s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  }
  std::string GetBytes() { return std::string(GetBytesView()); }
};

void PutDeletion(const Deletion& d, std::string* out) {
  Put<int64_t>(d.timestamp, out);
  Put<int32_t>(d.local_deletion_time, out);
}
Deletion GetDeletion(Reader& r) {
  Deletion d;
  d.timestamp = r.Get<int64_t>();
  d.local_deletion_time = r.Get<int32_t>();
  return d;
}

// One encoded cell into a Cell (owned strings) or a CellRef (views into the bytes).
template <class C>
void GetCell(Reader& r, C* c) {
  c->column_id = r.Get<uint32_t>();
  uint8_t cf = r.Get<uint8_t>();
  c->tombstone = cf & kCellTombstone;
  if (cf & kCellHasPath) c->path = r.GetBytesView();
  if (cf & kCellHasWrittenPath) c->written_path = r.GetBytesView();
  c->timestamp = r.Get<int64_t>();
  if (cf & (kCellTombstone | kCellExpiring)) c->local_deletion_time = r.Get<int32_t>();
  if (cf & kCellExpiring) c->ttl = r.Get<int32_t>();
  if (!c->tombstone) c->value = r.GetBytesView();
}

// The fields before the cells that every row value may have: marker and deletions.
template <class Row>
void GetMarkerAndDeletions(Reader& r, uint8_t flags, Row* row) {
  if (flags & kHasMarker) {
    Marker m;
    m.timestamp = r.Get<int64_t>();
    m.ttl = r.Get<int32_t>();
    m.expiration = r.Get<int32_t>();
    row->marker = m;
  }
  if (flags & kHasRowDeletion) row->row_deletion = GetDeletion(r);
  if (flags & kHasPartitionDeletion) row->partition_deletion = GetDeletion(r);
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

}  // namespace

void Encode(const RowValue& row, std::string* out) {
  uint8_t flags = 0;
  if (row.marker) flags |= kHasMarker;
  if (row.row_deletion) flags |= kHasRowDeletion;
  if (row.partition_deletion) flags |= kHasPartitionDeletion;
  if (!row.range_deletions.empty()) flags |= kHasRangeDeletions;
  if (row.clustering) flags |= kHasClustering;
  out->push_back(static_cast<char>(flags));
  if (row.marker) {
    Put<int64_t>(row.marker->timestamp, out);
    Put<int32_t>(row.marker->ttl, out);
    Put<int32_t>(row.marker->expiration, out);
  }
  if (row.row_deletion) PutDeletion(*row.row_deletion, out);
  if (row.partition_deletion) PutDeletion(*row.partition_deletion, out);
  if (!row.range_deletions.empty()) {
    Put<uint32_t>(static_cast<uint32_t>(row.range_deletions.size()), out);
    for (const auto& rd : row.range_deletions) {
      PutBytes(rd.lower, out);
      out->push_back(rd.upper ? 1 : 0);
      if (rd.upper) PutBytes(*rd.upper, out);
      PutDeletion(rd.deletion, out);
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

Result<RowValue> Decode(std::string_view bytes) {
  Reader r{bytes};
  RowValue row;
  uint8_t flags = r.Get<uint8_t>();
  GetMarkerAndDeletions(r, flags, &row);
  if (flags & kHasRangeDeletions) {
    uint32_t n = r.Get<uint32_t>();
    for (uint32_t i = 0; i < n && r.ok; ++i) {
      RangeDeletion rd;
      rd.lower = r.GetBytes();
      if (r.Get<uint8_t>()) rd.upper = r.GetBytes();
      rd.deletion = GetDeletion(r);
      row.range_deletions.push_back(std::move(rd));
    }
  }
  uint32_t n = r.Get<uint32_t>();
  if (r.ok && n > r.in.size()) r.ok = false;  // every cell takes bytes: a bogus count is corrupt
  if (r.ok) row.cells.reserve(n);
  for (uint32_t i = 0; i < n && r.ok; ++i) GetCell(r, &row.cells.emplace_back());
  if (flags & kHasClustering) row.clustering = r.GetBytes();
  if (!r.ok || !r.in.empty()) {
    return Status(StatusCode::kInternal, "corrupt stored row value");
  }
  return row;
}

Status DecodeView(std::string_view bytes, RowValueView* out) {
  Reader r{bytes};
  out->marker.reset();
  out->row_deletion.reset();
  out->partition_deletion.reset();
  out->cells.clear();
  out->clustering.reset();
  uint8_t flags = r.Get<uint8_t>();
  GetMarkerAndDeletions(r, flags, out);
  if (flags & kHasRangeDeletions) {
    uint32_t n = r.Get<uint32_t>();
    for (uint32_t i = 0; i < n && r.ok; ++i) {
      r.GetBytesView();
      if (r.Get<uint8_t>()) r.GetBytesView();
      GetDeletion(r);
    }
  }
  uint32_t n = r.Get<uint32_t>();
  if (r.ok && n > r.in.size()) r.ok = false;
  for (uint32_t i = 0; i < n && r.ok; ++i) GetCell(r, &out->cells.emplace_back());
  if (flags & kHasClustering) out->clustering = r.GetBytesView();
  if (!r.ok || !r.in.empty()) {
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
