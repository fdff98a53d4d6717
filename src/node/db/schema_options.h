// Table and keyspace options (WITH ...) as CQL writes them, validated and normalized as Cassandra
// 5.0 does (schema/TableParams, CompressionParams, CompactionParams, CachingParams,
// KeyspaceParams, ReplicationParams), with Cassandra's error codes and messages.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "node/db/node_identity.h"
#include "node/db/schema.h"
#include "postfork/base/status.h"
#include "postfork/cql/value.h"

namespace postfork::node {

// A table option's value as written in CQL: a string/number/boolean constant (its text, strings
// unquoted) or a map literal of string constants.
struct OptionValue {
  std::string text;
  std::optional<std::map<std::string, std::string>> map;  // set for map literals
};
using OptionMap = std::map<std::string, OptionValue>;

// The replication map as system_schema.keyspaces stores it (full class name, options checked as
// the strategy's validateOptions does; `identity` names the data center this node is in).
Result<std::map<std::string, std::string>> ValidateReplication(
    std::string_view keyspace, const std::map<std::string, std::string>& given,
    const NodeIdentity& identity);

// A boolean option as Cassandra's PropertyDefinitions reads it: true/yes/1, false/no/0 (any case).
Result<bool> ParseBooleanOption(const std::string& name, const OptionValue& value);

enum class TableOptionsContext { kCreate, kAlter };

// Applies `options` over `params` (CREATE TABLE: the defaults; ALTER TABLE: the table's own).
// `params` is left partly applied on error: apply to a copy. CREATE's `id` option (the table
// id) is returned in `id`; ALTER refuses it.
Status ApplyTableOptions(const OptionMap& options, TableOptionsContext context, TableParams* params,
                         std::optional<cql::Uuid>* id = nullptr);

// The first of `names` (in a Java HashMap's iteration order, as Cassandra's
// PropertyDefinitions.validate walks them) that `known` does not hold, or nullopt. Cassandra
// reports that one as "Unknown property" before it looks at any value.
std::optional<std::string> FirstUnknownProperty(const std::vector<std::string>& names,
                                                const std::set<std::string>& known);

}  // namespace postfork::node
