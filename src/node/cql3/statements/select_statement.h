// SELECT: restrictions to a storage ReadCommand, rows to a Rows result with paging.
#pragma once

#include <memory>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"
#include "node/db/schema.h"

namespace postfork::node::cql3 {

// `keyspace`: the table's, where type hints find user types.
Result<std::unique_ptr<CqlStatement>> PrepareSelect(const SelectStatement& stmt,
                                                    std::shared_ptr<const TableMetadata> table,
                                                    int bind_count,
                                                    const KeyspaceMetadata* keyspace);

}  // namespace postfork::node::cql3
