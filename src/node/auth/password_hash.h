// bcrypt password hashes through libxcrypt: the "$2b$10$..." strings Cassandra stores in
// system_auth.roles.salted_hash (its jBCrypt writes "$2a$", which libxcrypt also verifies).
// Both calls are CPU-bound (cost 10 is ~50-100 ms) and thread-safe: run them off the network
// thread.
#pragma once

#include <string>
#include <string_view>

#include "postfork/base/status.h"

namespace postfork::node::auth {

inline constexpr int kBcryptCost = 10;  // Cassandra's default gensalt log rounds

// A new random salt and the hash of `password`. kInvalidArgument for a password containing NUL
// (bcrypt reads a C string); bcrypt uses the first 72 bytes only, as Cassandra's does.
Result<std::string> HashPassword(std::string_view password, int cost = kBcryptCost);

// Whether `password` hashes to `salted_hash` (false for malformed hashes).
bool CheckPassword(std::string_view password, const std::string& salted_hash);

}  // namespace postfork::node::auth
