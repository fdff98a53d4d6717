#include "driver/net/stream_id_pool.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace postfork::driver {

StreamIdPool::StreamIdPool(int capacity) : capacity_(capacity) {
  assert(capacity > 0 && capacity <= kMaxStreams);
}

int16_t StreamIdPool::Acquire() {
  if (in_use_ == capacity_) return -1;
  if (static_cast<size_t>(in_use_) == free_.size() * 64) {
    // Every id held is in use: take the next word (the last one masked to `capacity_`).
    size_t first = free_.size() * 64;
    int bits = std::min(64, capacity_ - static_cast<int>(first));
    free_.push_back(bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1);
    hint_ = free_.size() - 1;
  }
  for (size_t n = 0; n < free_.size(); ++n) {
    size_t w = (hint_ + n) % free_.size();
    if (free_[w] != 0) {
      int bit = std::countr_zero(free_[w]);
      free_[w] &= free_[w] - 1;
      hint_ = w;
      ++in_use_;
      return static_cast<int16_t>(w * 64 + bit);
    }
  }
  assert(false && "in_use_ out of sync with the bitmap");
  return -1;
}

void StreamIdPool::Release(int16_t id) {
  assert(id >= 0 && static_cast<size_t>(id) < free_.size() * 64);
  uint64_t mask = uint64_t{1} << (id % 64);
  assert((free_[id / 64] & mask) == 0 && "stream id released twice");
  free_[id / 64] |= mask;
  --in_use_;
}

bool StreamIdPool::IsInUse(int16_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= free_.size() * 64) return false;
  return (free_[id / 64] & (uint64_t{1} << (id % 64))) == 0;
}

}  // namespace postfork::driver
