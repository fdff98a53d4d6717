#include "node/storage/row_cache.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "node/storage/key_encoding.h"
#include "postfork/cql/bytes.h"

namespace postfork::node {

// ---- KvImage ----------------------------------------------------------------------------------

size_t KvImage::LowerBound(std::string_view key) const {
  size_t lo = 0, hi = entries_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (this->key(mid) < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t KvImage::MemoryBytes() const {
  return sizeof(KvImage) + bytes_.capacity() + entries_.capacity() * sizeof(Entry);
}

void KvImage::Builder::Add(std::string_view key, std::string_view value) {
  image_->entries_.push_back(Entry{static_cast<uint32_t>(image_->bytes_.size()),
                                   static_cast<uint32_t>(key.size()),
                                   static_cast<uint32_t>(value.size())});
  image_->bytes_.append(key).append(value);
}

std::shared_ptr<const KvImage> KvImage::Builder::Build() {
  image_->bytes_.shrink_to_fit();
  image_->entries_.shrink_to_fit();
  return std::move(image_);
}

void KvImageIterator::SeekForPrev(std::string_view target) {
  size_t i = image_->LowerBound(target);
  if (i < image_->size() && image_->key(i) == target) {
    Position(i);
  } else {
    Position(i == 0 ? image_->size() : i - 1);
  }
}

Result<bool> KvImageIterator::Get(std::string_view key, std::string_view* value) {
  size_t i = image_->LowerBound(key);
  if (i == image_->size() || image_->key(i) != key) return false;
  *value = image_->value(i);
  return true;
}

// ---- RowCache ---------------------------------------------------------------------------------

namespace {

using keys::kTablePrefixSize;
using keys::kTokenPrefixSize;
// Hash node and bucket, key string, token index node and LRU node of an entry, roughly.
constexpr size_t kEntryOverhead = 208;

bool IsDataKey(std::string_view key) {
  return key.size() >= kTablePrefixSize && key[0] == keys::kDataSpace;
}
uint32_t StorageIdOf(std::string_view key) { return cql::LoadBE32(key.data() + 1); }

// Collects the tables and tokens a write batch changes.
class TouchedCollector final : public rocksdb::WriteBatch::Handler {
 public:
  explicit TouchedCollector(RowCache::Touched* out) : out_(out) {}
  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    Key(key.ToStringView());
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    Key(key.ToStringView());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice& key) override {
    Key(key.ToStringView());
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t, const rocksdb::Slice& key) override {
    Key(key.ToStringView());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice& begin,
                                const rocksdb::Slice& end) override {
    std::string_view b = begin.ToStringView(), e = end.ToStringView();
    if (!IsDataKey(b) || !IsDataKey(e)) {
      // Not within the data space: only metadata (below it) is spared.
      if (!(e <= std::string_view(&keys::kDataSpace, 1))) out_->all = true;
      return rocksdb::Status::OK();
    }
    // Every table from begin's to end's (end's included when end lies inside it).
    uint32_t first = StorageIdOf(b), last = StorageIdOf(e);
    if (last - first > 1024) {
      out_->all = true;
      return rocksdb::Status::OK();
    }
    for (uint32_t id = first;; ++id) {
      out_->tables.push_back(id);
      if (id == last) break;
    }
    return rocksdb::Status::OK();
  }

 private:
  void Key(std::string_view key) {
    if (!IsDataKey(key)) {
      if (!key.empty() && key[0] == keys::kMetaSpace) return;  // node metadata: never cached
      out_->all = true;
      return;
    }
    if (key.size() < kTokenPrefixSize) {
      out_->tables.push_back(StorageIdOf(key));
      return;
    }
    out_->tokens.push_back(
        RowCache::Touched::Token{StorageIdOf(key), cql::LoadBE64(key.data() + kTablePrefixSize)});
  }
  RowCache::Touched* out_;
};

}  // namespace

RowCache::RowCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

RowCache::Touched RowCache::TouchedBy(const rocksdb::WriteBatch& batch) {
  Touched touched;
  TouchedCollector collector(&touched);
  rocksdb::Status s = batch.Iterate(&collector);
  if (!s.ok()) touched.all = true;  // unreadable: assume it changes everything
  std::sort(touched.tokens.begin(), touched.tokens.end());
  touched.tokens.erase(std::unique(touched.tokens.begin(), touched.tokens.end()),
                       touched.tokens.end());
  std::sort(touched.tables.begin(), touched.tables.end());
  touched.tables.erase(std::unique(touched.tables.begin(), touched.tables.end()),
                       touched.tables.end());
  return touched;
}

RowCache::EntryRef RowCache::Find(std::string_view key) {
  auto found = entries_.find(key);
  return found == entries_.end() ? nullptr : &*found;
}

namespace {
// The (table, token) of a partition entry's key; nullopt for a table's image.
std::optional<RowCache::Touched::Token> TokenOfEntry(std::string_view key) {
  if (key.size() < kTokenPrefixSize) return std::nullopt;
  return RowCache::Touched::Token{StorageIdOf(key), cql::LoadBE64(key.data() + kTablePrefixSize)};
}
}  // namespace

void RowCache::Erase(EntryRef e) {
  bytes_ -= e->second.bytes;
  lru_.erase(e->second.lru);
  if (std::optional<Touched::Token> token = TokenOfEntry(e->first)) {
    auto [first, last] = by_token_.equal_range(*token);
    for (auto it = first; it != last; ++it) {
      if (it->second == e) {
        by_token_.erase(it);
        break;
      }
    }
  }
  entries_.erase(entries_.find(std::string_view(e->first)));
}

void RowCache::EraseTable(uint32_t storage_id) {
  const std::string prefix = keys::TablePrefix(storage_id);
  std::vector<EntryRef> dropped;
  for (auto& entry : entries_) {
    if (std::string_view(entry.first).starts_with(prefix)) dropped.push_back(&entry);
  }
  for (EntryRef e : dropped) Erase(e);
  stats_.invalidations += dropped.size();
}

void RowCache::EraseToken(const Touched::Token& token) {
  auto [first, last] = by_token_.equal_range(token);
  std::vector<EntryRef> dropped;
  for (auto it = first; it != last; ++it) dropped.push_back(it->second);
  for (EntryRef e : dropped) Erase(e);
  stats_.invalidations += dropped.size();
}

void RowCache::Invalidate(const Touched& touched) {
  if (touched.all) {
    stats_.invalidations += entries_.size();
    entries_.clear();
    by_token_.clear();
    lru_.clear();
    bytes_ = 0;
    return;
  }
  for (uint32_t id : touched.tables) EraseTable(id);
  uint32_t image_dropped_for = 0;
  bool any_image_dropped = false;
  for (const Touched::Token& t : touched.tokens) {
    if (!any_image_dropped || image_dropped_for != t.storage_id) {
      // The table's image no longer holds the table.
      if (EntryRef image = Find(keys::TablePrefix(t.storage_id))) {
        Erase(image);
        ++stats_.invalidations;
      }
      image_dropped_for = t.storage_id;
      any_image_dropped = true;
    }
    EraseToken(t);
  }
}

void RowCache::BeginWrite(const Touched& touched) {
  std::lock_guard lock(mu_);
  Invalidate(touched);
  if (touched.all) ++global_writers_;
  for (uint32_t id : touched.tables) ++Table(id).writers;
  for (size_t i = 0; i < touched.tokens.size(); ++i) {
    if (i == 0 || touched.tokens[i].storage_id != touched.tokens[i - 1].storage_id) {
      ++Table(touched.tokens[i].storage_id).writers;
    }
  }
}

void RowCache::EndWrite(const Touched& touched) {
  std::lock_guard lock(mu_);
  // Nothing to drop again: no fill of these tables was kept while the write was in flight.
  // Generations come from one counter, so a fill's generation (the larger of its table's and
  // the global one) changes with any write it must not survive.
  if (touched.all) {
    --global_writers_;
    global_generation_ = ++counter_;
  }
  for (uint32_t id : touched.tables) {
    TableState& t = Table(id);
    --t.writers;
    t.generation = ++counter_;
  }
  for (size_t i = 0; i < touched.tokens.size(); ++i) {
    if (i == 0 || touched.tokens[i].storage_id != touched.tokens[i - 1].storage_id) {
      TableState& t = Table(touched.tokens[i].storage_id);
      --t.writers;
      t.generation = ++counter_;
    }
  }
}

bool RowCache::FillAllowed(uint32_t storage_id, uint64_t generation) {
  if (global_writers_ > 0) return false;
  auto it = tables_.find(storage_id);
  uint64_t current = global_generation_;
  if (it != tables_.end()) {
    if (it->second.writers > 0) return false;
    current = std::max(current, it->second.generation);
  }
  return current == generation;
}

RowCache::Lookup RowCache::FindPartition(uint32_t storage_id, std::string_view prefix) {
  std::lock_guard lock(mu_);
  Lookup out;
  EntryRef e = Find(prefix);
  if (e == nullptr) {
    e = Find(prefix.substr(0, kTablePrefixSize));
    // A table too large for an image says nothing about its partitions.
    if (e != nullptr && e->second.image == nullptr) e = nullptr;
  }
  if (e != nullptr) {
    Touch(e);
    if (e->second.image == nullptr) {
      out.too_large = true;
    } else {
      ++stats_.hits;
      out.image = e->second.image;
      return out;
    }
  } else {
    ++stats_.misses;
  }
  auto t = tables_.find(storage_id);
  out.generation = std::max(global_generation_, t == tables_.end() ? 0 : t->second.generation);
  return out;
}

RowCache::Lookup RowCache::FindTable(uint32_t storage_id) {
  std::lock_guard lock(mu_);
  Lookup out;
  if (EntryRef e = Find(keys::TablePrefix(storage_id))) {
    Touch(e);
    if (e->second.image == nullptr) {
      out.too_large = true;
      return out;
    }
    ++stats_.hits;
    out.image = e->second.image;
    return out;
  }
  ++stats_.misses;
  auto t = tables_.find(storage_id);
  out.generation = std::max(global_generation_, t == tables_.end() ? 0 : t->second.generation);
  return out;
}

void RowCache::Insert(uint32_t storage_id, std::string key, std::shared_ptr<const KvImage> image,
                      uint64_t generation) {
  size_t bytes = kEntryOverhead + key.size() + (image ? image->MemoryBytes() : 0);
  std::lock_guard lock(mu_);
  if (!FillAllowed(storage_id, generation)) {
    ++stats_.fills_discarded;
    return;
  }
  if (bytes > max_entry_bytes()) return;
  auto [it, inserted] = entries_.try_emplace(std::move(key));
  EntryRef e = &*it;
  if (inserted) {
    if (std::optional<Touched::Token> token = TokenOfEntry(e->first)) by_token_.emplace(*token, e);
  } else {
    bytes_ -= e->second.bytes;
    lru_.erase(e->second.lru);
  }
  e->second.image = std::move(image);
  e->second.bytes = bytes;
  lru_.push_front(e);
  e->second.lru = lru_.begin();
  bytes_ += bytes;
  ++stats_.fills;
  while (bytes_ > capacity_ && !lru_.empty()) {
    auto victim = lru_.back();
    if (victim->second.referenced) {  // read since it last got here: spared once more
      victim->second.referenced = false;
      lru_.splice(lru_.begin(), lru_, std::prev(lru_.end()));
      continue;
    }
    Erase(victim);
    ++stats_.evictions;
  }
}

void RowCache::InsertPartition(uint32_t storage_id, std::string_view prefix,
                               std::shared_ptr<const KvImage> image, uint64_t generation) {
  Insert(storage_id, std::string(prefix), std::move(image), generation);
}

void RowCache::InsertTable(uint32_t storage_id, std::shared_ptr<const KvImage> image,
                           uint64_t generation) {
  Insert(storage_id, keys::TablePrefix(storage_id), std::move(image), generation);
}

RowCache::Stats RowCache::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.entries = entries_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace postfork::node
