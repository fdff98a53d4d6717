#include "postfork/base/status.h"

#include <cstdio>
#include <string>

namespace postfork {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kMalformed:
      return "Malformed";
    case StatusCode::kTruncated:
      return "Truncated";
    case StatusCode::kTooLarge:
      return "TooLarge";
    case StatusCode::kUnsupported:
      return "Unsupported";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kIoError:
      return "IoError";
    case StatusCode::kTimeout:
      return "Timeout";
    case StatusCode::kConnectFailed:
      return "ConnectFailed";
    case StatusCode::kNoHostAvailable:
      return "NoHostAvailable";
    case StatusCode::kClosed:
      return "Closed";
    case StatusCode::kWrongProcess:
      return "WrongProcess";
    case StatusCode::kServerError:
      return "ServerError";
    case StatusCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code_));
  if (cql_code_ >= 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, " 0x%04X", static_cast<unsigned>(cql_code_));
    s += buf;
  }
  s += ": ";
  s += message_;
  return s;
}

}  // namespace postfork
