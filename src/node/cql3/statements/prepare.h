// From a parsed statement to an executable one, checked against a schema snapshot.
#pragma once

#include <memory>
#include <string_view>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"

namespace postfork::node::cql3 {

// `keyspace` is the connection's current keyspace ("" when none). Errors carry Cassandra's
// codes and messages (InvalidRequest for unknown keyspaces/tables/columns, ...).
Result<std::unique_ptr<CqlStatement>> PrepareStatement(const ParsedStatement& parsed,
                                                       const SchemaSnapshot& schema,
                                                       std::string_view keyspace);

// The table a DML statement names, or InvalidRequest as Cassandra words it.
Result<std::shared_ptr<const TableMetadata>> ResolveTable(const TableName& name,
                                                          const SchemaSnapshot& schema,
                                                          std::string_view keyspace);

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

}  // namespace postfork::node::cql3
