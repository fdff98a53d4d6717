#include "driver/policies/reconnection.h"
#include "driver/policies/retry.h"

#include <gtest/gtest.h>

#include <set>

namespace postfork::driver {
namespace {

TEST(ExponentialBackoff, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  ReconnectionOptions o{Millis(100), Millis(1000)};
  ExponentialBackoff low(o, [] { return 0.0; });
  EXPECT_EQ(low.NextDelay(), Millis(50));
  EXPECT_EQ(low.NextDelay(), Millis(100));
  EXPECT_EQ(low.NextDelay(), Millis(200));
  EXPECT_EQ(low.NextDelay(), Millis(400));
  EXPECT_EQ(low.NextDelay(), Millis(500));  // capped at 1000, jittered down to half
  for (int i = 0; i < 100; ++i) EXPECT_EQ(low.NextDelay(), Millis(500)) << "no overflow";
  ExponentialBackoff high(o, [] { return 0.999999; });
  EXPECT_EQ(high.NextDelay(), Millis(100));
  EXPECT_EQ(high.NextDelay(), Millis(200));
  high.Reset();
  EXPECT_EQ(high.NextDelay(), Millis(100));
}

TEST(ExponentialBackoff, DefaultRandomnessSpreadsDelays) {
  ReconnectionOptions o{Millis(1000), Millis(1000)};
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) {
    ExponentialBackoff b(o);
    Millis d = b.NextDelay();
    EXPECT_GE(d, Millis(500));
    EXPECT_LE(d, Millis(1000));
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 10u) << "jitter must differ between hosts";
}

TEST(RetryPolicy, RetriesIdempotentRequestsOnDroppedConnectionsOnly) {
  RetryPolicy p(RetryChoice::kDefault);
  Status dropped(StatusCode::kClosed, "lost");
  EXPECT_EQ(p.Decide(dropped, nullptr, {0, true, true}), RetryDecision::kRetryNextHost);
  EXPECT_EQ(p.Decide(dropped, nullptr, {0, false, true}), RetryDecision::kRethrow);
  EXPECT_EQ(p.Decide(dropped, nullptr, {0, false, false}), RetryDecision::kRetryNextHost)
      << "never written, safe to move on";
  EXPECT_EQ(p.Decide(dropped, nullptr, {1, true, true}), RetryDecision::kRethrow) << "once";
}

TEST(RetryPolicy, ServerErrors) {
  RetryPolicy p(RetryChoice::kDefault);
  Status st(StatusCode::kServerError, "x");
  cql::ErrorMessage read_timeout;
  read_timeout.code = cql::ErrorCode::kReadTimeout;
  read_timeout.required = 2;
  read_timeout.alive_or_received = 2;
  read_timeout.data_present = false;
  EXPECT_EQ(p.Decide(st, &read_timeout, {0, false, true}), RetryDecision::kRetrySameHost);
  read_timeout.alive_or_received = 1;
  EXPECT_EQ(p.Decide(st, &read_timeout, {0, false, true}), RetryDecision::kRethrow);
  cql::ErrorMessage unavailable;
  unavailable.code = cql::ErrorCode::kUnavailable;
  EXPECT_EQ(p.Decide(st, &unavailable, {0, false, true}), RetryDecision::kRetryNextHost);
  cql::ErrorMessage invalid;
  invalid.code = cql::ErrorCode::kInvalid;
  EXPECT_EQ(p.Decide(st, &invalid, {0, true, true}), RetryDecision::kRethrow);
  RetryPolicy never(RetryChoice::kFallthrough);
  EXPECT_EQ(never.Decide(st, &unavailable, {0, true, true}), RetryDecision::kRethrow);
}

}  // namespace
}  // namespace postfork::driver
