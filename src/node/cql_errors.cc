#include "node/cql_errors.h"

#include <fmt/format.h>

#include "postfork/cql/types.h"

namespace postfork::node {

Status UndefinedColumn(std::string_view column, std::string_view keyspace, std::string_view table) {
  return InvalidRequest(fmt::format("Undefined column name {} in table {}.{}",
                                    cql::QuoteIdentifier(column), cql::QuoteIdentifier(keyspace),
                                    cql::QuoteIdentifier(table)));
}

cql::ErrorMessage UnavailableError(cql::Consistency consistency, int required, int alive,
                                   std::string_view dc) {
  cql::ErrorMessage e;
  e.code = cql::ErrorCode::kUnavailable;
  e.message = fmt::format("Cannot achieve consistency level {}", cql::ConsistencyName(consistency));
  if (!dc.empty()) e.message += fmt::format(" in DC {}", dc);
  e.consistency = consistency;
  e.required = required;
  e.alive_or_received = alive;
  return e;
}

cql::ErrorCode CqlErrorCodeOf(const Status& status) {
  if (status.cql_code() >= 0) return static_cast<cql::ErrorCode>(status.cql_code());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      return cql::ErrorCode::kInvalid;
    case StatusCode::kAlreadyExists:
      return cql::ErrorCode::kAlreadyExists;
    case StatusCode::kMalformed:
    case StatusCode::kTruncated:
    case StatusCode::kTooLarge:
      return cql::ErrorCode::kProtocolError;
    default:
      return cql::ErrorCode::kServerError;
  }
}

cql::ErrorMessage ToErrorMessage(const Status& status) {
  cql::ErrorMessage e;
  e.code = CqlErrorCodeOf(status);
  e.message = status.message();
  if (e.code == cql::ErrorCode::kFunctionFailure) {
    e.function_keyspace = "system";
    e.function_name = "fromjson";
    e.arg_types = {"text"};
  }
  return e;
}

}  // namespace postfork::node
