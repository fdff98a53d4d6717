// Cassandra's JSON encoding of CQL values (SELECT JSON, toJson()).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/types.h"

namespace postfork::node::cql3 {

// The JSON text of a serialized value of `type` (nullopt = null); "null" for null, and for a
// value that does not decode.
std::string ToJson(const std::optional<std::string_view>& body, const cql::DataType& type);

// A column or selector name as SELECT JSON writes it: in double quotes when it has upper case
// letters (a case-sensitive name), else as is, as Cassandra does.
std::string JsonColumnName(std::string_view name);

// The serialized value of `type` that a JSON text (INSERT JSON, fromJson) stands for, as
// Cassandra reads it: numbers or numeric strings for numbers, strings for text, uuids, inets,
// dates, times, durations and timestamps (or milliseconds), "0x.." for blobs, arrays for lists,
// sets and tuples, objects for maps (keys are strings). nullopt for JSON null.
Result<std::optional<std::string>> FromJson(std::string_view json, const cql::DataType& type);

// The members of a JSON object text, each value as JSON text (INSERT JSON).
Result<std::vector<std::pair<std::string, std::string>>> JsonObjectMembers(std::string_view json);

// The column an INSERT JSON key names: "\"Name\"" is case-sensitive, anything else lower-cased.
std::string JsonKeyToColumn(std::string_view key);

// Appends `s` as a JSON string literal (quoted, escaped).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace postfork::node::cql3
