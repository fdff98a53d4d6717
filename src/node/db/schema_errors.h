// The CQL errors the schema catalog answers DDL with: Status code kServerError carrying the CQL
// error code (cql_code()) and Cassandra's message text. For the files of db/ only.
#pragma once

#include <string>
#include <utility>

#include "postfork/cql/error_codes.h"
#include "postfork/cql/status.h"

namespace postfork::node {

inline Status ServerError(cql::ErrorCode code, std::string message) {
  return Status(StatusCode::kServerError, std::move(message), static_cast<int>(code));
}
inline Status InvalidRequest(std::string message) {
  return ServerError(cql::ErrorCode::kInvalid, std::move(message));
}
inline Status ConfigError(std::string message) {
  return ServerError(cql::ErrorCode::kConfigError, std::move(message));
}
inline Status SyntaxError(std::string message) {
  return ServerError(cql::ErrorCode::kSyntaxError, std::move(message));
}

}  // namespace postfork::node
