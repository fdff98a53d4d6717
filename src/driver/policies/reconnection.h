// Reconnection schedule: exponential backoff with jitter. Attempt n (from 0) waits a uniformly
// random delay in [d/2, d] where d = min(base * 2^n, max), so hosts that failed together do
// not retry in lockstep. The random source is injectable for tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "postfork/driver/options.h"

namespace postfork::driver {

class ExponentialBackoff {
 public:
  // `uniform` returns a value in [0, 1); the default is a per-object xorshift seeded by the
  // address and the clock.
  explicit ExponentialBackoff(ReconnectionOptions options,
                              std::function<double()> uniform = nullptr);

  Millis NextDelay();
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  double Uniform();

  ReconnectionOptions options_;
  std::function<double()> uniform_;
  int attempt_ = 0;
  uint64_t state_;
};

}  // namespace postfork::driver
