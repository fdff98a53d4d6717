// Cassandra's JSON encoding of CQL values (SELECT JSON, toJson()).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "postfork/cql/types.h"

namespace postfork::node::cql3 {

// The JSON text of a serialized value of `type` (nullopt = null); "null" for null, and for a
// value that does not decode.
std::string ToJson(const std::optional<std::string_view>& body, const cql::DataType& type);

// A column name as SELECT JSON writes it: as is when it reads back unquoted (lower case
// identifier), else in double quotes, as Cassandra does.
std::string JsonColumnName(std::string_view name);

// Appends `s` as a JSON string literal (quoted, escaped).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace postfork::node::cql3
