#include "driver/policies/retry.h"

namespace postfork::driver {

RetryDecision RetryPolicy::Decide(const Status& status, const cql::ErrorMessage* server,
                                  const RetryContext& ctx) const {
  if (choice_ == RetryChoice::kFallthrough || ctx.retries_so_far >= 1) {
    // A request that never left (no connection) may always move on, bounded by the plan.
    if (!server && !ctx.maybe_sent && choice_ != RetryChoice::kFallthrough &&
        ctx.retries_so_far < 8)
      return RetryDecision::kRetryNextHost;
    return RetryDecision::kRethrow;
  }
  if (server) {
    switch (server->code) {
      case cql::ErrorCode::kReadTimeout:
        // Enough replicas answered but the data holder did not: one more try is likely to work.
        return server->alive_or_received >= server->required && !server->data_present
                   ? RetryDecision::kRetrySameHost
                   : RetryDecision::kRethrow;
      case cql::ErrorCode::kWriteTimeout:
        return server->write_type == "BATCH_LOG" ? RetryDecision::kRetrySameHost
                                                 : RetryDecision::kRethrow;
      case cql::ErrorCode::kUnavailable:
        return RetryDecision::kRetryNextHost;
      case cql::ErrorCode::kOverloaded:
      case cql::ErrorCode::kIsBootstrapping:
      case cql::ErrorCode::kServerError:
        return ctx.idempotent ? RetryDecision::kRetryNextHost : RetryDecision::kRethrow;
      default:
        return RetryDecision::kRethrow;
    }
  }
  switch (status.code()) {
    case StatusCode::kClosed:
    case StatusCode::kIoError:
    case StatusCode::kTimeout:
      if (!ctx.maybe_sent || ctx.idempotent) return RetryDecision::kRetryNextHost;
      return RetryDecision::kRethrow;
    case StatusCode::kConnectFailed:
      return RetryDecision::kRetryNextHost;
    default:
      return RetryDecision::kRethrow;
  }
}

}  // namespace postfork::driver
