// USE, CREATE/ALTER/DROP KEYSPACE, CREATE/ALTER/DROP TABLE and TRUNCATE: converted to the schema
// store's definitions, which validate and persist them.
#pragma once

#include <memory>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"

namespace postfork::node::cql3 {

// `keyspace` is the connection's current keyspace, for unqualified table names.
Result<std::unique_ptr<CqlStatement>> PrepareSchemaStatement(const Statement& stmt,
                                                             const SchemaSnapshot& schema,
                                                             std::string_view keyspace);

// A type as written, with user type names resolved in `keyspace` (Cassandra's texts: "Unknown
// type ks.t", "Statement on keyspace ks cannot refer to a user type in keyspace ...", refused
// non-frozen UDTs inside collections).
Result<cql::DataType> ResolveType(const KeyspaceMetadata& keyspace, const std::string& text);

// A RESULT Schema_change body.
std::string SchemaChangeBody(const cql::SchemaChange& change);

}  // namespace postfork::node::cql3
