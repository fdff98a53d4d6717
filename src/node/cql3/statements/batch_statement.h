// Batches: BATCH messages and BEGIN BATCH ... APPLY BATCH text. Plain batches apply as one
// atomic write; conditional ones check every condition and apply all or nothing under their
// partition's lock; counter batches apply statement by statement under their partitions' counter
// locks (service/storage_proxy.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"

namespace postfork::node::cql3 {

// Runs modification statements as one atomic write (BATCH message and BEGIN BATCH text).
struct BatchChild {
  const ModificationStatement* statement;
  std::vector<cql::RawValue> values;
};
// Counter batches apply statement by statement (not atomic, as in Cassandra), so increments of
// one counter in one batch add up. Checks the mix of counter and non-counter statements. A batch
// with conditional statements must stay in one partition: every condition is checked under
// that partition's lock and the whole batch applies only if all hold. Returns the RESULT body:
// Void, or the `[applied]` rows of a conditional batch.
Result<std::string> ExecuteBatch(const std::vector<BatchChild>& children, ExecutionContext& ctx,
                                 std::optional<int64_t> batch_timestamp, cql::BatchType type);

// A BEGIN BATCH text statement: markers are numbered across the whole text.
Result<std::unique_ptr<CqlStatement>> PrepareBatch(const BatchStatement& batch,
                                                   const SchemaSnapshot& schema,
                                                   std::string_view keyspace, int bind_count);

}  // namespace postfork::node::cql3
