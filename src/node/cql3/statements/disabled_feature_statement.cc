#include "node/cql3/statements/disabled_feature_statement.h"

#include <fmt/format.h>

#include "node/cql3/values.h"
#include "node/cql_errors.h"

namespace postfork::node::cql3 {
namespace {

class DisabledFeature final : public CqlStatement {
 public:
  DisabledFeature(DisabledFeatureStatement stmt, std::string keyspace) : stmt_(std::move(stmt)) {
    keyspace_ = std::move(keyspace);
  }

  std::string_view kind() const override {
    switch (stmt_.kind) {
      case DisabledFeatureStatement::Kind::kFunction:
        return "create_function";
      case DisabledFeatureStatement::Kind::kAggregate:
        return "create_aggregate";
      case DisabledFeatureStatement::Kind::kMaterializedView:
        return "create_view";
      case DisabledFeatureStatement::Kind::kDropMaterializedView:
        return "drop_view";
    }
    return "create_function";
  }

  // The checks of Cassandra's CreateViewStatement, CreateFunctionStatement and
  // CreateAggregateStatement apply(), in their order, up to the first that fails with the
  // features off.
  Result<StatementResult> Execute(ExecutionContext& ctx) const override {
    if (stmt_.kind == DisabledFeatureStatement::Kind::kDropMaterializedView) {
      // DropViewStatement.apply: no view exists, so IF EXISTS changes nothing.
      if (stmt_.if_exists) {
        StatementResult result;
        result.body = VoidResultBody();
        return result;
      }
      return InvalidRequest(fmt::format("Materialized view '{}.{}' doesn't exist", keyspace_,
                                        stmt_.name.name));
    }
    if (stmt_.kind == DisabledFeatureStatement::Kind::kMaterializedView) {
      return InvalidRequest("Materialized views are disabled. Enable in cassandra.yaml to use.");
    }
    if (stmt_.or_replace && stmt_.if_not_exists) {
      return InvalidRequest("Cannot use both 'OR REPLACE' and 'IF NOT EXISTS' directives");
    }
    if (stmt_.kind == DisabledFeatureStatement::Kind::kFunction) {
      return InvalidRequest(
          "User-defined functions are disabled in cassandra.yaml - set "
          "user_defined_functions_enabled=true to enable");
    }
    if (!ctx.schema->FindKeyspace(keyspace_)) {
      return InvalidRequest(fmt::format("Keyspace '{}' doesn't exist", keyspace_));
    }
    // The argument and state types as CQL3Type.Raw prepares them: a user type of another
    // keyspace is refused.
    std::vector<std::string> types = stmt_.argument_types;
    types.push_back(stmt_.state_type);
    for (const std::string& type : types) {
      size_t dot = type.find('.');
      if (type.empty() || type[0] == '\'' || dot == std::string::npos) continue;
      std::string type_keyspace = type.substr(0, dot);
      if (type_keyspace.find('<') == std::string::npos && type_keyspace != keyspace_) {
        return InvalidRequest(fmt::format(
            "Statement on keyspace {} cannot refer to a user type in keyspace {}; user types can "
            "only be used in the keyspace they are defined in",
            keyspace_, type_keyspace));
      }
    }
    // No user-defined function can exist, so the state function is never found.
    std::string signature = stmt_.state_type;
    for (const auto& t : stmt_.argument_types) signature += ", " + t;
    return InvalidRequest(fmt::format("State function {}.{}({}) doesn't exist", keyspace_,
                                      stmt_.state_function, signature));
  }

 private:
  DisabledFeatureStatement stmt_;
};

}  // namespace

Result<std::unique_ptr<CqlStatement>> PrepareDisabledFeature(const DisabledFeatureStatement& stmt,
                                                             std::string_view keyspace) {
  std::string ks = stmt.name.keyspace.empty() ? std::string(keyspace) : stmt.name.keyspace;
  if (ks.empty()) {
    return InvalidRequest(
        "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename");
  }
  return std::unique_ptr<CqlStatement>(std::make_unique<DisabledFeature>(stmt, std::move(ks)));
}

}  // namespace postfork::node::cql3
