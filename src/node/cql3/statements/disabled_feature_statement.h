// CREATE FUNCTION, CREATE AGGREGATE and CREATE MATERIALIZED VIEW: Cassandra 5.0 turns user-defined
// functions and materialized views off by default (user_defined_functions_enabled,
// materialized_views_enabled), and the node has neither. Executing one gives the answer Cassandra
// gives in its default configuration.
#pragma once

#include <memory>
#include <string_view>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"

namespace postfork::node::cql3 {

// `keyspace`: the connection's keyspace, for unqualified names.
Result<std::unique_ptr<CqlStatement>> PrepareDisabledFeature(const DisabledFeatureStatement& stmt,
                                                             std::string_view keyspace);

}  // namespace postfork::node::cql3
