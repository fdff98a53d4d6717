#include "node/auth/password_hash.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>

namespace postfork::node::auth {

Result<std::string> HashPassword(std::string_view password, int cost) {
  if (password.find('\0') != std::string_view::npos) {
    return Status(StatusCode::kInvalidArgument, "a password must not contain NUL characters");
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  // A null random source makes libxcrypt read the OS's random bytes.
  if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof salt)) {
    return Status(StatusCode::kInternal,
                  std::string("crypt_gensalt_rn failed: ") + std::strerror(errno));
  }
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: keep it off the stack
  std::string pw(password);
  const char* hash = crypt_r(pw.c_str(), salt, data.get());
  OPENSSL_cleanse(pw.data(), pw.size());
  if (!hash || hash[0] == '*') {
    return Status(StatusCode::kInternal, "crypt_r could not hash the password");
  }
  return std::string(hash);
}

bool CheckPassword(std::string_view password, const std::string& salted_hash) {
  if (salted_hash.size() < 4 || salted_hash[0] != '$') return false;
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* hash = crypt_r(pw.c_str(), salted_hash.c_str(), data.get());
  OPENSSL_cleanse(pw.data(), pw.size());
  if (!hash || hash[0] == '*') return false;
  size_t n = std::strlen(hash);
  return n == salted_hash.size() && CRYPTO_memcmp(hash, salted_hash.data(), n) == 0;
}

}  // namespace postfork::node::auth
