// A SELECT's reads under Cassandra's tombstone thresholds (ReadCommand's MetricRecording with
// read_thresholds_enabled false, Cassandra 5.0's default): storage counts the tombstones a read
// scans (storage/storage.h, ReadResult::tombstones); over tombstone_warn_threshold the client is
// warned, over tombstone_failure_threshold the read fails with ReadFailure
// (READ_TOO_MANY_TOMBSTONES). Tables of the node-local system keyspaces are exempt, as in
// Cassandra.
#pragma once

#include <string>

#include "node/cql3/statements/cql_statement.h"
#include "node/cql3/statements/restrictions.h"
#include "node/storage/storage.h"

namespace postfork::node::cql3 {

// Reads `cmd` with the failure threshold of ctx.thresholds, appending the warning to
// ctx.warnings when the read scanned more tombstones than the warn threshold. `wildcard`: the
// statement selects `*`. The failure is an error of code ReadFailure (QueryProcessor fills in
// its consistency, block-for and failing endpoint).
Result<ReadResult> ReadWithTombstoneThresholds(ExecutionContext& ctx, ReadCommand& cmd,
                                               bool wildcard);

// The text Cassandra's ReadCommand.toCQLString gives the read `cmd` (selected columns, table,
// partition key, clustering restrictions as its ClusteringIndexNamesFilter or Slices print
// them, ORDER BY when reversed, token bounds of a range read, limits, " ALLOW FILTERING").
// `partition`: for a read of several partition keys, the one whose command this is (Cassandra
// reads each as a command of its own); `row_limit` that command's row limit. The filtered
// restrictions (Cassandra's RowFilter) come from cmd.filter_text, after the clustering ones.
std::string ReadCommandCqlText(const ReadCommand& cmd, bool wildcard,
                               const std::vector<std::string>* partition, int64_t row_limit);

// The filtered restrictions of a read as Cassandra's RowFilter prints them: those on key
// columns first in key order, then the others by name (RestrictionSet's order), joined by
// " AND ", each as its Expression prints (`v = 1`, `v IN [1, 2]`, `s CONTAINS 5`,
// `m CONTAINS KEY 'x'`, `m['x'] = 1`). `values[i]`: filters[i]'s resolved values (IN: each;
// `m[key] = value`: the value, then the key).
std::string RowFilterCqlText(const std::vector<WhereClause::Filter>& filters,
                             const std::vector<std::vector<std::string>>& values);

}  // namespace postfork::node::cql3
