// Native scalar functions of SELECT clauses, as Cassandra 4.1 names and types them: now(),
// uuid(), current*(), toTimestamp/toDate/toUnixTimestamp (and the deprecated dateOf and
// unixTimestampOf), minTimeuuid/maxTimeuuid, <type>AsBlob and blobAs<type>, toJson, and
// cast(x AS type) (numbers to numbers, anything native to text, timestamps, dates and timeuuids
// to each other), whose target type is passed as a second argument type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/cql/status.h"
#include "postfork/cql/types.h"

namespace postfork::node::cql3 {

// The result type of `name` (lower case) applied to arguments of `arg_types`, or InvalidRequest
// with Cassandra's message when no signature matches.
Result<cql::DataType> ScalarResultType(std::string_view name,
                                       const std::vector<cql::DataType>& arg_types);

// Evaluates `name` (already type-checked by ScalarResultType) over serialized arguments
// (nullopt = null). A null argument gives null; an argument of the wrong size gives null.
std::optional<std::string> EvaluateScalar(std::string_view name,
                                          const std::vector<cql::DataType>& arg_types,
                                          const std::vector<std::optional<std::string>>& args,
                                          int64_t now_micros);

}  // namespace postfork::node::cql3
