// Retry decisions after a failed attempt. Decisions depend on the error, the attempt count and
// whether the request is idempotent; they never resend a non-idempotent request that may have
// reached the server, except where the server guarantees nothing was applied.
#pragma once

#include "postfork/base/status.h"
#include "postfork/cql/messages.h"
#include "postfork/driver/options.h"

namespace postfork::driver {

enum class RetryDecision { kRethrow, kRetrySameHost, kRetryNextHost };

struct RetryContext {
  int retries_so_far = 0;
  bool idempotent = false;
  // The request was written to a connection that then dropped or timed out (outcome unknown).
  bool maybe_sent = false;
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryChoice choice) : choice_(choice) {}
  // `server` is set when the server answered with ERROR; else `status` is the client failure.
  RetryDecision Decide(const Status& status, const cql::ErrorMessage* server,
                       const RetryContext& ctx) const;

 private:
  RetryChoice choice_;
};

}  // namespace postfork::driver
