#include "node/storage/kv_source.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

namespace postfork::node {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

class RocksIterator final : public KvIterator {
 public:
  RocksIterator(rocksdb::DB* db, std::string upper_bound)
      : db_(db), upper_(std::move(upper_bound)) {}
  void Seek(std::string_view target) override {
    Iter()->Seek(ToSlice(target));
    Positioned();
  }
  void SeekForPrev(std::string_view target) override {
    Iter()->SeekForPrev(ToSlice(target));
    Positioned();
  }
  bool Valid() const override { return valid_; }
  void Next() override {
    it_->Next();
    Positioned();
  }
  void Prev() override {
    it_->Prev();
    Positioned();
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override {
    if (!it_) return Status::Ok();
    rocksdb::Status s = it_->status();
    if (s.ok()) return Status::Ok();
    return Status(StatusCode::kIoError, "storage read failed: " + s.ToString());
  }
  Result<bool> Get(std::string_view key, std::string_view* value) override {
    pinned_.Reset();
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), ToSlice(key), &pinned_);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return Status(StatusCode::kIoError, "storage read failed: " + s.ToString());
    *value = pinned_.ToStringView();
    return true;
  }

 private:
  rocksdb::Iterator* Iter() {
    if (!it_) {
      rocksdb::ReadOptions options;
      options.total_order_seek = true;
      // Values stay pinned for the iterator's life (one read): a row's one merge operand is
      // then handed to the merge as a slice, not copied into a string per row.
      options.pin_data = true;
      if (!upper_.empty()) {
        upper_slice_ = rocksdb::Slice(upper_);
        options.iterate_upper_bound = &upper_slice_;
      }
      it_.reset(db_->NewIterator(options));
    }
    return it_.get();
  }

  // The entry under the iterator, read once per move: readers look at a key several times, and
  // each look through RocksDB's iterator is a chain of virtual calls.
  void Positioned() {
    valid_ = it_->Valid();
    if (valid_) {
      key_ = it_->key().ToStringView();
      value_ = it_->value().ToStringView();
    }
  }

  rocksdb::DB* db_;
  bool valid_ = false;
  std::string_view key_, value_;  // valid_ only; RocksDB's buffers, valid until the next move
  std::string upper_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  rocksdb::PinnableSlice pinned_;  // the last Get's value
};

class MapIterator final : public KvIterator {
 public:
  explicit MapIterator(const std::map<std::string, std::string>* map)
      : map_(map), it_(map->end()) {}
  void Seek(std::string_view target) override { it_ = map_->lower_bound(std::string(target)); }
  void SeekForPrev(std::string_view target) override {
    it_ = map_->upper_bound(std::string(target));
    if (it_ == map_->begin()) {
      it_ = map_->end();
    } else {
      --it_;
    }
  }
  bool Valid() const override { return it_ != map_->end(); }
  void Next() override { ++it_; }
  void Prev() override {
    if (it_ == map_->begin()) {
      it_ = map_->end();
    } else {
      --it_;
    }
  }
  std::string_view key() const override { return it_->first; }
  std::string_view value() const override { return it_->second; }
  Status status() const override { return Status::Ok(); }
  Result<bool> Get(std::string_view key, std::string_view* value) override {
    auto it = map_->find(std::string(key));
    if (it == map_->end()) return false;
    *value = it->second;
    return true;
  }

 private:
  const std::map<std::string, std::string>* map_;
  std::map<std::string, std::string>::const_iterator it_;
};

}  // namespace

std::unique_ptr<KvIterator> NewRocksIterator(rocksdb::DB* db, std::string upper_bound) {
  return std::make_unique<RocksIterator>(db, std::move(upper_bound));
}

std::unique_ptr<KvIterator> NewMapIterator(const std::map<std::string, std::string>* map) {
  return std::make_unique<MapIterator>(map);
}

}  // namespace postfork::node
