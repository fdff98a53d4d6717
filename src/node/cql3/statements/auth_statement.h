// Role and permission statements (CREATE/ALTER/DROP ROLE and USER, LIST ROLES/USERS, GRANT,
// REVOKE, LIST PERMISSIONS) over the node's AuthService, with Cassandra 4.1's rules, result
// columns and messages; and the access check every other statement passes before it runs.
#pragma once

#include <memory>
#include <string_view>

#include "node/cql3/auth_ast.h"
#include "node/cql3/statements/cql_statement.h"

namespace postfork::node::cql3 {

// `keyspace` is the connection's keyspace, for unqualified table resources.
Result<std::unique_ptr<CqlStatement>> PrepareAuthStatement(
    const std::shared_ptr<AuthStatement>& statement, std::string_view keyspace);

// With the Cassandra authorizer: OK when the connection's role may run `statement` (SELECT needs
// SELECT, INSERT/UPDATE/DELETE/TRUNCATE need MODIFY on the table, CREATE TABLE and CREATE TYPE
// need CREATE on the keyspace, ...; each statement of a batch is checked). Superusers pass; system tables that
// drivers read at connect are readable by every role. Unauthorized (0x2100) otherwise.
Status CheckAccess(const CqlStatement& statement, const ExecutionContext& ctx);

}  // namespace postfork::node::cql3
