// The node's wall clock in microseconds since the Unix epoch: the unit of write timestamps,
// of a request's "now" and of schema change times (Cassandra's FBUtilities.timestampMicros).
// Storage takes an injectable clock for tests (StorageOptions::clock_micros) and defaults to
// this one.
#pragma once

#include <chrono>
#include <cstdint>

namespace postfork::node {

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace postfork::node
