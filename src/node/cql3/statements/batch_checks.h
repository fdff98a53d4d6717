// Cassandra's checks of a batch's mutations before they apply (BatchStatement.getMutations,
// verifyBatchSize and verifyBatchType): client warnings for a logged batch on a table with
// gc_grace_seconds 0, for a large batch and for an unlogged batch over many partitions, and
// "Batch too large" past the fail threshold.
#pragma once

#include <cstdint>
#include <vector>

#include "node/cql3/statements/cql_statement.h"
#include "node/storage/storage.h"
#include "postfork/cql/messages.h"

namespace postfork::node::cql3 {

// The data size of a partition update as Cassandra's PartitionUpdate.dataSize counts it: cell
// values and clustering bytes plus the fixed sizes of timestamps, TTLs and deletion times.
int64_t MutationDataSize(const PartitionMutation& m);

// Checks the mutations of a batch of `type` against ctx.thresholds: appends Cassandra's warnings
// to ctx.warnings, or refuses a batch over the fail threshold. Sizes and partitions are checked
// only for batches that touch more than one partition, as in Cassandra.
Status CheckBatchMutations(const std::vector<PartitionMutation>& mutations, cql::BatchType type,
                           ExecutionContext& ctx);

}  // namespace postfork::node::cql3
