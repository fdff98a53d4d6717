#include "node/auth/login_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace postfork::node::auth {

LoginRateLimiter::LoginRateLimiter(LoginRateLimitOptions options, Clock clock)
    : options_(options), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  options_.burst = std::max(options_.burst, 1);
  if (options_.refill.count() <= 0) options_.refill = std::chrono::milliseconds(1);
}

void LoginRateLimiter::Refill(Bucket& b, std::chrono::steady_clock::time_point now) const {
  if (now <= b.updated) return;
  double elapsed = std::chrono::duration<double, std::milli>(now - b.updated).count();
  b.tokens = std::min<double>(options_.burst,
                              b.tokens + elapsed / static_cast<double>(options_.refill.count()));
  b.updated = now;
}

std::chrono::milliseconds LoginRateLimiter::RetryAfter(const std::string& address) {
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return std::chrono::milliseconds(0);
  Refill(it->second, clock_());
  if (it->second.tokens >= 1.0) return std::chrono::milliseconds(0);
  double missing = 1.0 - it->second.tokens;
  return std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(missing * static_cast<double>(options_.refill.count()))));
}

void LoginRateLimiter::RecordFailure(const std::string& address) {
  auto now = clock_();
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_tracked) Prune(now);
    it = buckets_.emplace(address, Bucket{static_cast<double>(options_.burst), now}).first;
  }
  Refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

void LoginRateLimiter::Prune(std::chrono::steady_clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    it = it->second.tokens >= options_.burst ? buckets_.erase(it) : std::next(it);
  }
  // Still full of addresses that keep failing: forget some rather than grow without bound.
  while (buckets_.size() >= options_.max_tracked) buckets_.erase(buckets_.begin());
}

}  // namespace postfork::node::auth
