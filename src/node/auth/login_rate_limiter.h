// Limits failed logins per client address with a token bucket: each address may fail `burst`
// times in a row; a token comes back every `refill` after that. With no token left, attempts are
// refused without checking the password until one comes back. A successful login does not
// refill the bucket (one known account must not reset the guessing budget for others). Used on
// the network thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <unordered_map>

namespace postfork::node::auth {

struct LoginRateLimitOptions {
  int burst = 5;                           // Default: 5 failures before refusing
  std::chrono::milliseconds refill{2000};  // Default: one more attempt every 2 s
  size_t max_tracked = 10000;  // Default: 10,000 addresses; full buckets are dropped first
};

class LoginRateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `clock` defaults to the steady clock; tests inject their own.
  explicit LoginRateLimiter(LoginRateLimitOptions options, Clock clock = {});

  // Zero when `address` may try now; otherwise how long until it may.
  std::chrono::milliseconds RetryAfter(const std::string& address);
  // A wrong password (or unknown role) from `address`: takes one token.
  void RecordFailure(const std::string& address);

  size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
  };
  // Refills `b` up to now.
  void Refill(Bucket& b, std::chrono::steady_clock::time_point now) const;
  void Prune(std::chrono::steady_clock::time_point now);

  LoginRateLimitOptions options_;
  Clock clock_;
  std::unordered_map<std::string, Bucket> buckets_;  // only addresses that failed recently
};

}  // namespace postfork::node::auth
