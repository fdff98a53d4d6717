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

Result<std::unique_ptr<ModificationStatement>> PrepareInsert(
    const InsertStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count);
Result<std::unique_ptr<ModificationStatement>> PrepareUpdate(
    const UpdateStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count);
Result<std::unique_ptr<ModificationStatement>> PrepareDelete(
    const DeleteStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count);

}  // namespace postfork::node::cql3
