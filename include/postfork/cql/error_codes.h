// The one table of CQL protocol error codes (native_protocol_v4.spec section 9), used by the
// node to encode ERROR frames and by the driver to decode them.
#pragma once

#include <cstdint>
#include <string_view>

namespace postfork::cql {

enum class ErrorCode : int32_t {
  kServerError = 0x0000,
  kProtocolError = 0x000A,
  kBadCredentials = 0x0100,
  kUnavailable = 0x1000,
  kOverloaded = 0x1001,
  kIsBootstrapping = 0x1002,
  kTruncateError = 0x1003,
  kWriteTimeout = 0x1100,
  kReadTimeout = 0x1200,
  kReadFailure = 0x1300,
  kFunctionFailure = 0x1400,
  kWriteFailure = 0x1500,
  kCdcWriteFailure = 0x1600,
  kCasWriteUnknown = 0x1700,
  kSyntaxError = 0x2000,
  kUnauthorized = 0x2100,
  kInvalid = 0x2200,
  kConfigError = 0x2300,
  kAlreadyExists = 0x2400,
  kUnprepared = 0x2500,
};

// "Invalid", "Unprepared", ...; "Unknown" for codes not in the table.
std::string_view ErrorCodeName(ErrorCode code);
// Whether `code` is in the table (decoders accept unknown codes as plain server errors).
bool IsKnownErrorCode(int32_t code);

}  // namespace postfork::cql
