// The CQL errors the node answers with, built in one place (Cassandra's exceptions: request
// validation, syntax, authorization, configuration, already exists, unavailable).
//
// An error a statement returns is a Status of kind kServerError carrying its protocol code
// (Status::cql_code(), postfork/cql/error_codes.h); errors with more fields than a message
// (Unavailable) are cql::ErrorMessage values. Layers that do not speak CQL (storage, auth's
// password hashing) return their own Status kinds; CqlErrorCodeOf maps those at the edge.
#pragma once

#include <string>
#include <string_view>

#include "postfork/base/status.h"
#include "postfork/cql/error_codes.h"
#include "postfork/cql/messages.h"

namespace postfork::node {

// A request error with protocol code `code`.
inline Status CqlError(cql::ErrorCode code, std::string message) {
  return Status(StatusCode::kServerError, std::move(message), static_cast<int>(code));
}

// InvalidRequestException (0x2200).
inline Status InvalidRequest(std::string message) {
  return CqlError(cql::ErrorCode::kInvalid, std::move(message));
}
// SyntaxException (0x2000).
inline Status SyntaxError(std::string message) {
  return CqlError(cql::ErrorCode::kSyntaxError, std::move(message));
}
// UnauthorizedException (0x2100).
inline Status Unauthorized(std::string message) {
  return CqlError(cql::ErrorCode::kUnauthorized, std::move(message));
}
// AuthenticationException (0x0100).
inline Status BadCredentials(std::string message) {
  return CqlError(cql::ErrorCode::kBadCredentials, std::move(message));
}
// ConfigurationException (0x2300).
inline Status ConfigError(std::string message) {
  return CqlError(cql::ErrorCode::kConfigError, std::move(message));
}
// AlreadyExistsException (0x2400); the query processor adds the statement's keyspace and table.
inline Status AlreadyExists(std::string message) {
  return CqlError(cql::ErrorCode::kAlreadyExists, std::move(message));
}
// FunctionExecutionException (0x1400) of fromJson(text), the one native function whose execution
// fails with it: the error body names system.fromjson and its argument types [text].
inline Status FunctionFailure(std::string message) {
  return CqlError(cql::ErrorCode::kFunctionFailure, std::move(message));
}
// ProtocolException (0x000A).
inline Status ProtocolError(std::string message) {
  return CqlError(cql::ErrorCode::kProtocolError, std::move(message));
}

// A statement's keyspace or table missing (Cassandra's Schema.validateTable).
inline Status UnknownKeyspace(std::string_view keyspace) {
  return InvalidRequest("keyspace " + std::string(keyspace) + " does not exist");
}
inline Status UnknownTable(std::string_view table) {
  return InvalidRequest("table " + std::string(table) + " does not exist");
}

// "Undefined column name c in table ks.t" (Cassandra's TableMetadata.getExistingColumn; names
// quoted where CQL needs it).
Status UndefinedColumn(std::string_view column, std::string_view keyspace, std::string_view table);

// UnavailableException: "Cannot achieve consistency level X" (with " in DC d" when `dc` is
// given), with the required and alive replica counts.
cql::ErrorMessage UnavailableError(cql::Consistency consistency, int required, int alive,
                                   std::string_view dc = {});

// The protocol code `status` (not OK) is answered with: its own when it carries one; otherwise
// by kind, for errors of layers that do not speak CQL: bad arguments and missing things are
// Invalid, kAlreadyExists AlreadyExists, undecodable input a protocol error, the rest (I/O,
// corruption, internal) a server error.
cql::ErrorCode CqlErrorCodeOf(const Status& status);

// `status` as an ERROR message body: its CqlErrorCodeOf and its message.
cql::ErrorMessage ToErrorMessage(const Status& status);

}  // namespace postfork::node
