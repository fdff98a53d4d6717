#include "driver/policies/reconnection.h"

#include <algorithm>

namespace postfork::driver {

ExponentialBackoff::ExponentialBackoff(ReconnectionOptions options, std::function<double()> uniform)
    : options_(options), uniform_(std::move(uniform)) {
  state_ = reinterpret_cast<uintptr_t>(this) ^
           static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  // splitmix64 finalizer: nearby seeds (same address, close clocks) give unrelated streams.
  state_ += 0x9E3779B97F4A7C15ull;
  state_ = (state_ ^ (state_ >> 30)) * 0xBF58476D1CE4E5B9ull;
  state_ = (state_ ^ (state_ >> 27)) * 0x94D049BB133111EBull;
  state_ ^= state_ >> 31;
  if (state_ == 0) state_ = 0x9E3779B97F4A7C15ull;
}

double ExponentialBackoff::Uniform() {
  if (uniform_) return uniform_();
  state_ ^= state_ << 13;
  state_ ^= state_ >> 7;
  state_ ^= state_ << 17;
  return static_cast<double>(state_ >> 11) * (1.0 / 9007199254740992.0);
}

Millis ExponentialBackoff::NextDelay() {
  int64_t base = std::max<int64_t>(1, options_.base_delay.count());
  int64_t cap = std::max<int64_t>(base, options_.max_delay.count());
  int shift = std::min(attempt_, 40);
  int64_t d = cap;
  if (shift < 62 && base <= (cap >> shift)) d = std::min(cap, base << shift);
  ++attempt_;
  double u = Uniform();
  int64_t lo = d / 2;
  int64_t delay = lo + static_cast<int64_t>(u * static_cast<double>(d - lo + 1));
  return Millis(std::clamp<int64_t>(delay, lo, d));
}

}  // namespace postfork::driver
