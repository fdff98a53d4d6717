// The row cache: merged partitions kept in memory in front of RocksDB, so that a hot point read
// or a hot scan skips the memtable search, the SST lookups and the merge of each row's operands.
// Internal to storage/; see storage/README.md ("Row cache").
//
// What is cached is the key-value view the read path walks (kv_source.h): each key of a
// partition with its merged value, exactly as a RocksDB iterator returns them. The reader then
// applies "now", TTL expiry, tombstones and dropped columns to cached values as it does to
// RocksDB's, so the cache holds no logic of its own for them.
//
// Exactness: every write to the database goes through BeginWrite/EndWrite (Storage's one write
// function), with what the write batch touches. BeginWrite drops the touched entries and marks
// the table as being written; EndWrite bumps the table's generation. A fill
// (Insert*) carries the generation it read before its RocksDB snapshot was taken, and is dropped
// when the table was written meanwhile or is being written: a fill never holds data older than
// a write that finished before it is inserted, and no fill enters while a write is in flight.
#pragma once

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "node/storage/kv_source.h"
#include "node/storage/storage.h"

namespace rocksdb {
class WriteBatch;
}

namespace postfork::node {

// An immutable sorted run of (key, value) pairs: one partition, or a whole table.
class KvImage {
 public:
  size_t size() const { return entries_.size(); }
  // i < size(); an entry's offsets lie inside bytes_ (Builder::Add).
  std::string_view key(size_t i) const {
    return std::string_view(bytes_.data() + entries_[i].key_offset, entries_[i].key_size);
  }
  std::string_view value(size_t i) const {
    const Entry& e = entries_[i];
    return std::string_view(bytes_.data() + e.key_offset + e.key_size, e.value_size);
  }
  // First index whose key is >= `key` (size() when none).
  size_t LowerBound(std::string_view key) const;
  // Bytes of memory it holds, for the cache's bound.
  size_t MemoryBytes() const;

  class Builder {
   public:
    // Keys must come in increasing order.
    void Add(std::string_view key, std::string_view value);
    size_t bytes() const { return image_->bytes_.size() + image_->entries_.size() * sizeof(Entry); }
    std::shared_ptr<const KvImage> Build();

   private:
    std::shared_ptr<KvImage> image_ = std::make_shared<KvImage>();
  };

 private:
  struct Entry {
    uint32_t key_offset;
    uint32_t key_size;
    uint32_t value_size;
  };
  std::string bytes_;  // key then value, for each entry in order
  std::vector<Entry> entries_;
};

// Walks a KvImage. Exact for every key inside the range the image covers (its partition, or its
// table); a reader must not position it outside that range.
class KvImageIterator final : public KvIterator {
 public:
  void Reset(std::shared_ptr<const KvImage> image) {
    image_ = std::move(image);
    Position(image_->size());
  }
  void Seek(std::string_view target) override { Position(image_->LowerBound(target)); }
  void SeekForPrev(std::string_view target) override;
  bool Valid() const override { return pos_ < image_->size(); }
  void Next() override { Position(pos_ + 1); }
  void Prev() override { Position(pos_ == 0 ? image_->size() : pos_ - 1); }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return Status::Ok(); }
  Result<bool> Get(std::string_view key, std::string_view* value) override;

 private:
  // The entry under the iterator, looked up once per move: readers look at a key several times.
  void Position(size_t pos) {
    pos_ = pos;
    if (pos_ < image_->size()) {
      key_ = image_->key(pos_);
      value_ = image_->value(pos_);
    }
  }

  std::shared_ptr<const KvImage> image_;
  size_t pos_ = 0;
  std::string_view key_, value_;  // Valid() only
};

class RowCache {
 public:
  // Largest entry, as a fraction of the capacity: a wide partition or a large table is read
  // from RocksDB instead (a partition larger than this is remembered as such until written).
  static constexpr size_t kMaxEntryFraction = 8;

  explicit RowCache(size_t capacity_bytes);
  RowCache(const RowCache&) = delete;
  RowCache& operator=(const RowCache&) = delete;

  size_t capacity() const { return capacity_; }
  // An image's offsets are 32-bit: no entry reaches 4 GiB, whatever the capacity.
  size_t max_entry_bytes() const {
    return std::min(capacity_ / kMaxEntryFraction, size_t{1} << 30);
  }

  // ---- reads ------------------------------------------------------------------------------
  struct Lookup {
    std::shared_ptr<const KvImage> image;  // null: not cached
    bool too_large = false;                // the partition is known not to fit: do not fill
    uint64_t generation = 0;               // what a fill read after this must present
  };
  // The image holding partition `prefix` (keys::PartitionPrefix) of table `storage_id`: the
  // partition's own entry, or the table's whole image.
  Lookup FindPartition(uint32_t storage_id, std::string_view prefix);
  // The table's whole image (every key of the table).
  Lookup FindTable(uint32_t storage_id);
  // Fills: kept unless the table was written since `generation` was read (or is being written).
  // A null image records that the partition (or the table) does not fit, until it is written.
  void InsertPartition(uint32_t storage_id, std::string_view prefix,
                       std::shared_ptr<const KvImage> image, uint64_t generation);
  void InsertTable(uint32_t storage_id, std::shared_ptr<const KvImage> image, uint64_t generation);

  // ---- writes ------------------------------------------------------------------------------
  // What one write batch changes: partitions by (table, token), whole tables, or everything.
  struct Touched {
    struct Token {
      uint32_t storage_id;
      uint64_t token;  // the key's 8 token bytes (keys::PartitionPrefix's), big-endian
      bool operator<(const Token& o) const {
        return storage_id != o.storage_id ? storage_id < o.storage_id : token < o.token;
      }
      bool operator==(const Token& o) const = default;
    };
    std::vector<Token> tokens;     // sorted, unique
    std::vector<uint32_t> tables;  // sorted, unique: whole tables
    bool all = false;              // a range this cache cannot map to tables
  };
  static Touched TouchedBy(const rocksdb::WriteBatch& batch);
  void BeginWrite(const Touched& touched);
  void EndWrite(const Touched& touched);

  // ---- statistics --------------------------------------------------------------------------
  using Stats = Storage::RowCacheStats;
  Stats stats() const;

 private:
  struct Entry;
  // Finds an entry by its exact key (a string_view finds it: no key string is built). With
  // 100,000 cached partitions a search of an ordered map missed the CPU cache at each of its
  // ~17 levels; a hash lookup touches a few cache lines.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };
  using EntryMap = std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>>;
  using EntryRef = EntryMap::value_type*;  // stable while the entry exists (rehash included)
  struct TokenHash {
    size_t operator()(const Touched::Token& t) const noexcept {
      return static_cast<size_t>(t.token ^ (uint64_t{t.storage_id} * 0x9E3779B97F4A7C15ull));
    }
  };
  struct Entry {
    std::shared_ptr<const KvImage> image;  // null: a partition too large to cache
    size_t bytes = 0;
    std::list<EntryRef>::iterator lru;
    bool referenced = false;  // read since it last passed the eviction hand
  };
  struct TableState {
    uint64_t generation = 0;
    int writers = 0;  // writes in flight
  };

  TableState& Table(uint32_t storage_id) { return tables_[storage_id]; }
  bool FillAllowed(uint32_t storage_id, uint64_t generation);
  void Insert(uint32_t storage_id, std::string key, std::shared_ptr<const KvImage> image,
              uint64_t generation);
  EntryRef Find(std::string_view key);  // null when absent
  void Touch(EntryRef e) { e->second.referenced = true; }
  void Erase(EntryRef e);
  void EraseTable(uint32_t storage_id);  // its image and every partition of it
  void EraseToken(const Touched::Token& token);  // every partition of the token
  void Invalidate(const Touched& touched);

  const size_t capacity_;
  mutable std::mutex mu_;
  // Keyed by partition prefix (a partition's entry) or table prefix (the table's image).
  EntryMap entries_;
  // The partition entries of each (table, token): what a write of a key drops. A write that
  // drops a whole table (TRUNCATE, DROP) walks every entry instead.
  std::unordered_multimap<Touched::Token, EntryRef, TokenHash> by_token_;
  // Every entry, newest (or last spared) first. Eviction takes the oldest entry that was not
  // read since it last reached the end (second chance, or CLOCK: it approximates least recently
  // used without a list move per hit, which misses the cache on three list nodes).
  std::list<EntryRef> lru_;
  std::unordered_map<uint32_t, TableState> tables_;
  uint64_t counter_ = 0;            // the last generation handed out
  uint64_t global_generation_ = 0;  // set by writes touching `all`
  int global_writers_ = 0;
  size_t bytes_ = 0;
  Stats stats_;
};

}  // namespace postfork::node
