#include "node/auth/sasl_plain.h"

namespace postfork::node::auth {

Result<PlainCredentials> ParseSaslPlain(std::string_view token) {
  size_t second = token.rfind('\0');
  if (second == std::string_view::npos || second == 0) {
    return Status(StatusCode::kMalformed, "Authentication ID must not be null");
  }
  size_t first = token.rfind('\0', second - 1);
  if (first == std::string_view::npos) {
    return Status(StatusCode::kMalformed, "Authentication ID must not be null");
  }
  if (token.substr(0, first).find('\0') != std::string_view::npos) {
    return Status(StatusCode::kMalformed, "Invalid SASL PLAIN token: more than two NUL separators");
  }
  PlainCredentials out;
  out.username = std::string(token.substr(first + 1, second - first - 1));
  out.password = std::string(token.substr(second + 1));
  if (out.username.empty()) {
    return Status(StatusCode::kMalformed, "Authentication ID must not be null");
  }
  if (out.password.empty()) return Status(StatusCode::kMalformed, "Password must not be null");
  return out;
}

}  // namespace postfork::node::auth
