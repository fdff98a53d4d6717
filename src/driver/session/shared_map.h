// A std::map that a session shares, read-only, with the snapshot it came from and the snapshots
// it takes, until the session changes it. A session from a snapshot starts with no copy: in a
// forked worker that is no work per entry and no write into the master's pages. A change copies
// the map first (changes are rare: a keyspace fetched, a schema event); readers never copy.
#pragma once

#include <map>
#include <memory>
#include <utility>

namespace postfork::driver {

template <class K, class V>
class SharedMap {
 public:
  using Map = std::map<K, V>;

  SharedMap() = default;
  explicit SharedMap(std::shared_ptr<const Map> map) : map_(std::move(map)) {}

  const Map& get() const { return map_ ? *map_ : Empty(); }
  // The current map, for a snapshot to share; nullptr when empty and never set.
  const std::shared_ptr<const Map>& shared() const { return map_; }

  const V* Find(const K& key) const {
    if (!map_) return nullptr;
    auto it = map_->find(key);
    return it == map_->end() ? nullptr : &it->second;
  }
  bool Contains(const K& key) const { return Find(key) != nullptr; }

  void Set(const K& key, V value) {
    auto next = std::make_shared<Map>(get());
    (*next)[key] = std::move(value);
    map_ = std::move(next);
  }
  void Erase(const K& key) {
    if (!Contains(key)) return;
    auto next = std::make_shared<Map>(get());
    next->erase(key);
    map_ = std::move(next);
  }

 private:
  static const Map& Empty() {
    static const Map empty;
    return empty;
  }
  std::shared_ptr<const Map> map_;
};

}  // namespace postfork::driver
