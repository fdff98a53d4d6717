// DESCRIBE / DESC: the node answers with the schema as CQL, as Cassandra 4.0 and later do
// (cql3/statements/DescribeStatement.java): listings give rows (keyspace_name, type, name),
// element descriptions add create_statement, DESCRIBE CLUSTER gives (cluster, partitioner,
// snitch[, range_ownership]). Results page by row: the paging state holds the schema version
// and the offset, and a schema change between pages fails the next page, as Cassandra's does.
#pragma once

#include <memory>
#include <string_view>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"

namespace postfork::node::cql3 {

// Never fails: names are resolved at execution (against the schema and the connection's
// keyspace then), as Cassandra does.
std::unique_ptr<CqlStatement> PrepareDescribe(const DescribeStatement& stmt);

}  // namespace postfork::node::cql3
