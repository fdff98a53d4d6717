// INSERT, UPDATE and DELETE: checked against the table at prepare time, turned into storage
// mutations (with Cassandra's timestamp rules) at execution.
#pragma once

#include <memory>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"
#include "node/db/schema.h"

namespace postfork::node::cql3 {

// The RESULT Rows of a conditional statement or batch: `[applied]`, and when not applied the
// current values of what the conditions read (single statements: the conditioned columns, or
// every column for IF NOT EXISTS; batches: the primary key too, one row per row checked), as
// Cassandra shapes them.
std::string CasResultBody(const CasRows& rows, bool applied, bool batch);

// A compare-and-set writes its partition and range deletions just before its data (Cassandra's
// Paxos commit, PartitionUpdate.updateAllTimestamp, moves them to the ballot's time - 1): those
// at `timestamp` move to timestamp - 1, so a conditional batch that deletes a partition or a
// range and writes into it keeps what it writes. Row and cell deletions stay: Cassandra merges
// them with the row's writes before the commit, where a tie goes to the deletion.
void CasDeletionsBeforeWrites(int64_t timestamp, std::vector<PartitionMutation>* mutations);

// Whether an UPDATE or DELETE restricts a partition key column by IN (the statement's
// partition key is complete).
bool PartitionHasIn(const ModificationStatement& statement);
// Whether an UPDATE or DELETE restricts a clustering column by IN (WhereClause::clustering_in):
// refused with conditions, in a conditional batch too.
bool ClusteringHasIn(const ModificationStatement& statement);
// The refusal of `statement` with conditions when ClusteringHasIn.
Status ConditionalClusteringInError(const ModificationStatement& statement);

// `keyspace`: the table's, where type hints find user types.
Result<std::unique_ptr<ModificationStatement>> PrepareInsert(
    const InsertStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count,
    const KeyspaceMetadata* keyspace);
Result<std::unique_ptr<ModificationStatement>> PrepareUpdate(
    const UpdateStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count,
    const KeyspaceMetadata* keyspace);
Result<std::unique_ptr<ModificationStatement>> PrepareDelete(
    const DeleteStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count,
    const KeyspaceMetadata* keyspace);

}  // namespace postfork::node::cql3
