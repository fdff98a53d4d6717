// Cassandra's JSON: SELECT JSON and toJson() write values as its AbstractType.toJSONString does;
// INSERT JSON and fromJson() read a text as Jackson reads it into Java objects (Integer, Long,
// BigInteger, Double, String, Boolean, ArrayList, LinkedHashMap) and convert those as each type's
// fromJSONObject does, with Cassandra's and Jackson's error texts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {

// The JSON text of a serialized value of `type` (nullopt = null): "null" for null and for a value
// that does not decode, "\"\"" for an empty value of a non-string type, null for NaN and the
// infinities, doubles and floats as Java prints them.
std::string ToJson(const std::optional<std::string_view>& body, const cql::DataType& type);

// A column or selector name as SELECT JSON writes it: in double quotes when it is not all lower
// case (a case-sensitive name), else as is, as Cassandra does.
std::string JsonColumnName(std::string_view name);

// fromJson(json) for a receiver of `type`: the serialized value (nullopt for JSON null). Errors
// are Cassandra's FunctionFailure of system.fromjson(text).
Result<std::optional<std::string>> FromJson(std::string_view json, const cql::DataType& type);

// One column of an INSERT JSON object.
struct JsonColumnValue {
  bool given = false;                // the object names the column
  std::optional<std::string> value;  // its serialized value; nullopt: JSON null
};

// INSERT JSON's object read for `columns` (name and type, in the table's order), as Cassandra's
// Json.parseJson: member names are lower-cased unless in double quotes, each named column's value
// is converted in column order, then a member naming no column is refused. Errors are
// InvalidRequest with Cassandra's texts; JSON null gives "Got null for INSERT JSON values".
Result<std::vector<JsonColumnValue>> ParseInsertJson(
    std::string_view json, const std::vector<std::pair<std::string, cql::DataType>>& columns);

// Appends `s` as a JSON string literal, escaped as Jackson does.
void AppendJsonString(std::string_view s, std::string* out);

// An inet as Cassandra prints it in JSON and casts to text (Java's InetAddress.getHostAddress):
// IPv6 as eight groups of lower-case hex without zero compression ("0:0:0:0:0:0:0:1"), an
// IPv4-mapped address as IPv4.
std::string JavaInetText(const cql::Inet& inet);

}  // namespace postfork::node::cql3
