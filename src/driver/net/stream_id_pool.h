// Stream ids of one connection (v4: 0..32767; negative ids are the server's events).
// Acquire/Release are O(1) amortized over a bitmap of free ids. The bitmap grows by a word (64
// ids) when every id it holds is in use, so a connection writes memory for the requests it has
// had in flight, not for `capacity` ids: ids are handed out lowest first within what it holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace postfork::driver {

class StreamIdPool {
 public:
  static constexpr int kMaxStreams = 32768;
  explicit StreamIdPool(int capacity = kMaxStreams);

  // A free id, or -1 when all `capacity` ids are in use.
  int16_t Acquire();
  // Returns an id obtained from Acquire. Releasing a free id is a programmer error.
  void Release(int16_t id);
  bool IsInUse(int16_t id) const;

  int in_use() const { return in_use_; }
  int capacity() const { return capacity_; }
  int available() const { return capacity_ - in_use_; }

 private:
  std::vector<uint64_t> free_;  // bit set = id free; ids beyond free_.size() * 64 are free too
  int capacity_;
  int in_use_ = 0;
  size_t hint_ = 0;  // a word that had a free bit
};

}  // namespace postfork::driver
