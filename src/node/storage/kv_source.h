// The sorted key-value view the read path walks: RocksDB for stored tables, an in-memory map for
// virtual tables generated on demand. Internal to storage/.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "postfork/base/status.h"

namespace rocksdb {
class DB;
class Iterator;
}  // namespace rocksdb

namespace postfork::node {

class KvIterator {
 public:
  virtual ~KvIterator() = default;
  virtual void Seek(std::string_view target) = 0;         // first key >= target
  virtual void SeekForPrev(std::string_view target) = 0;  // last key <= target
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
  // Point lookup, independent of the iterator's position: whether `key` exists (its value in
  // *value, a view valid until the next Get on this object: the engine's buffer, not a copy).
  virtual Result<bool> Get(std::string_view key, std::string_view* value) = 0;
};

// Iterates a RocksDB database; keys >= upper_bound are invisible ("" = no bound). The RocksDB
// iterator is only created by the first positioning call, so point reads never pay for it.
std::unique_ptr<KvIterator> NewRocksIterator(rocksdb::DB* db, std::string upper_bound);

// Iterates a std::map the caller keeps alive.
std::unique_ptr<KvIterator> NewMapIterator(const std::map<std::string, std::string>* map);

}  // namespace postfork::node
