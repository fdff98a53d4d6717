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

// INSERT, UPDATE or DELETE (a batch's statements); anything else is InvalidRequest.
Result<std::unique_ptr<ModificationStatement>> PrepareModification(const Statement& stmt,
                                                                   const SchemaSnapshot& schema,
                                                                   std::string_view keyspace,
                                                                   int bind_count);

}  // namespace postfork::node::cql3
