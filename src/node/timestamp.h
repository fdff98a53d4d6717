// The node's wall clock in microseconds since the Unix epoch: the unit of write timestamps,
// of a request's "now" and of schema change times (Cassandra's FBUtilities.timestampMicros).
// Storage takes an injectable clock for tests (StorageOptions::clock_micros) and defaults to
// this one.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace postfork::node {

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A timestamp of at least `at_least` and greater than every one this function returned before
// in the process: for writes that must be newer than the last of their kind even within one
// microsecond (counter sums, compare-and-set ballots; Cassandra's ClientState keeps one such
// last timestamp for both).
inline int64_t IncreasingMicros(int64_t at_least) {
  static std::atomic<int64_t> last{0};
  int64_t prev = last.load();
  int64_t next;
  do {
    next = std::max(at_least, prev + 1);
  } while (!last.compare_exchange_weak(prev, next));
  return next;
}

}  // namespace postfork::node
