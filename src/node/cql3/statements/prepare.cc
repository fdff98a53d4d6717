#include "node/cql3/statements/prepare.h"

#include <fmt/format.h>

#include "node/cql3/statements/auth_statement.h"
#include "node/cql3/statements/batch_statement.h"
#include "node/cql3/statements/describe_statement.h"
#include "node/cql3/statements/disabled_feature_statement.h"
#include "node/cql3/statements/modification_statement.h"
#include "node/cql3/statements/schema_statement.h"
#include "node/cql3/statements/select_statement.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"

namespace postfork::node::cql3 {

Result<std::unique_ptr<ModificationStatement>> PrepareModification(const Statement& stmt,
                                                                   const SchemaSnapshot& schema,
                                                                   std::string_view keyspace,
                                                                   int bind_count) {
  if (auto* s = std::get_if<InsertStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    const KeyspaceMetadata* ks = schema.FindKeyspace(table->keyspace);
    return PrepareInsert(*s, std::move(table), bind_count, ks);
  }
  if (auto* s = std::get_if<UpdateStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    const KeyspaceMetadata* ks = schema.FindKeyspace(table->keyspace);
    return PrepareUpdate(*s, std::move(table), bind_count, ks);
  }
  if (auto* s = std::get_if<DeleteStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    const KeyspaceMetadata* ks = schema.FindKeyspace(table->keyspace);
    return PrepareDelete(*s, std::move(table), bind_count, ks);
  }
  return InvalidRequest(
      "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.");
}

Result<std::shared_ptr<const TableMetadata>> ResolveTable(const TableName& name,
                                                          const SchemaSnapshot& schema,
                                                          std::string_view keyspace) {
  std::string_view ks = name.keyspace.empty() ? keyspace : std::string_view(name.keyspace);
  if (ks.empty()) {
    return InvalidRequest(
        "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename");
  }
  if (!schema.FindKeyspace(ks)) return UnknownKeyspace(ks);
  auto table = schema.FindTable(ks, name.name);
  if (!table) return UnknownTable(name.name);
  return table;
}

Result<std::unique_ptr<CqlStatement>> PrepareStatement(const ParsedStatement& parsed,
                                                       const SchemaSnapshot& schema,
                                                       std::string_view keyspace) {
  const Statement& stmt = parsed.statement;
  if (auto* s = std::get_if<SelectStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    const KeyspaceMetadata* ks = schema.FindKeyspace(table->keyspace);
    return PrepareSelect(*s, std::move(table), parsed.bind_count, ks);
  }
  if (std::holds_alternative<InsertStatement>(stmt) ||
      std::holds_alternative<UpdateStatement>(stmt) ||
      std::holds_alternative<DeleteStatement>(stmt)) {
    PF_ASSIGN_OR_RETURN(auto s, PrepareModification(stmt, schema, keyspace, parsed.bind_count));
    return std::unique_ptr<CqlStatement>(std::move(s));
  }
  if (auto* b = std::get_if<std::shared_ptr<BatchStatement>>(&stmt)) {
    return PrepareBatch(**b, schema, keyspace, parsed.bind_count);
  }
  if (auto* a = std::get_if<std::shared_ptr<AuthStatement>>(&stmt)) {
    return PrepareAuthStatement(*a, keyspace);
  }
  if (auto* d = std::get_if<DisabledFeatureStatement>(&stmt)) {
    return PrepareDisabledFeature(*d, keyspace);
  }
  if (auto* d = std::get_if<DescribeStatement>(&stmt)) return PrepareDescribe(*d);
  return PrepareSchemaStatement(stmt, schema, keyspace);
}

}  // namespace postfork::node::cql3
