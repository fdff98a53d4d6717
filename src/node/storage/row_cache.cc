#include "node/storage/row_cache.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

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
// Map node, key string, index node and bucket, and LRU node of an entry, roughly.
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

RowCache::EntryMap::iterator RowCache::Find(std::string_view key) {
  auto found = index_.find(key);
  return found == index_.end() ? entries_.end() : found->second;
}

void RowCache::Erase(EntryMap::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  index_.erase(std::string_view(it->first));
  entries_.erase(it);
}

void RowCache::EraseRange(std::string_view begin, std::string_view end) {
  auto it = entries_.lower_bound(begin);
  while (it != entries_.end() && (end.empty() || std::string_view(it->first) < end)) {
    auto next = std::next(it);
    Erase(it);
    ++stats_.invalidations;
    it = next;
  }
}

void RowCache::Invalidate(const Touched& touched) {
  if (touched.all) {
    stats_.invalidations += entries_.size();
    entries_.clear();
    index_.clear();
    lru_.clear();
    bytes_ = 0;
    return;
  }
  std::string begin, end;
  for (uint32_t id : touched.tables) {
    begin = keys::TablePrefix(id);
    end = keys::PrefixSuccessor(begin);
    EraseRange(begin, end);
  }
  uint32_t image_dropped_for = 0;
  bool any_image_dropped = false;
  for (const Touched::Token& t : touched.tokens) {
    begin = keys::TablePrefix(t.storage_id);
    if (!any_image_dropped || image_dropped_for != t.storage_id) {
      // The table's image no longer holds the table.
      auto image = Find(begin);
      if (image != entries_.end()) {
        Erase(image);
        ++stats_.invalidations;
      }
      image_dropped_for = t.storage_id;
      any_image_dropped = true;
    }
    for (int shift = 56; shift >= 0; shift -= 8)
      begin.push_back(static_cast<char>(t.token >> shift));
    end = keys::PrefixSuccessor(begin);
    EraseRange(begin, end);
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
  auto it = Find(prefix);
  if (it == entries_.end()) {
    it = Find(prefix.substr(0, kTablePrefixSize));
    // A table too large for an image says nothing about its partitions.
    if (it != entries_.end() && it->second.image == nullptr) it = entries_.end();
  }
  if (it != entries_.end()) {
    Touch(it);
    if (it->second.image == nullptr) {
      out.too_large = true;
    } else {
      ++stats_.hits;
      out.image = it->second.image;
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
  auto it = Find(keys::TablePrefix(storage_id));
  if (it != entries_.end()) {
    Touch(it);
    if (it->second.image == nullptr) {
      out.too_large = true;
      return out;
    }
    ++stats_.hits;
    out.image = it->second.image;
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
  if (inserted) {
    index_.emplace(std::string_view(it->first), it);
  } else {
    bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
  }
  it->second.image = std::move(image);
  it->second.bytes = bytes;
  lru_.push_front(it);
  it->second.lru = lru_.begin();
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
