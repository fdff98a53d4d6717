// SASL PLAIN (RFC 4616), what PasswordAuthenticator's AUTH_RESPONSE carries:
// [authzid] NUL authcid NUL passwd.
#pragma once

#include <string>
#include <string_view>

#include "postfork/base/status.h"

namespace postfork::node::auth {

struct PlainCredentials {
  std::string username;  // authcid
  std::string password;
};

// Splits a PLAIN token. The optional authzid is ignored (as Cassandra does). kMalformed with
// Cassandra's message when a part is missing or empty, or the token holds more than two NULs.
Result<PlainCredentials> ParseSaslPlain(std::string_view token);

}  // namespace postfork::node::auth
