// INSERT, UPDATE and DELETE: checked against the table at prepare time, turned into storage
// mutations (with Cassandra's timestamp rules) at execution.
#pragma once

#include <memory>
#include <mutex>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"
#include "node/db/schema.h"

namespace postfork::node::cql3 {

// Held across the read and the write of counter updates (single statements and batches).
std::mutex& CounterMutex();

Result<std::unique_ptr<ModificationStatement>> PrepareInsert(
    const InsertStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count);
Result<std::unique_ptr<ModificationStatement>> PrepareUpdate(
    const UpdateStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count);
Result<std::unique_ptr<ModificationStatement>> PrepareDelete(
    const DeleteStatement& stmt, std::shared_ptr<const TableMetadata> table, int bind_count);

}  // namespace postfork::node::cql3
