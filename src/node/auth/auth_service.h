// Authentication and authorization of CQL clients: Cassandra's PasswordAuthenticator and
// CassandraAuthorizer over the RoleStore, or AllowAll for either. Created by the node; the
// transport authenticates connections through it and the query processor checks statements.
//
// Threading: Authenticate and the rate limiter run on the network thread; bcrypt runs on the
// service's own small thread pool so one login does not stall other connections. Authorize and
// IsSuperuser are thread-safe (they run on the request threads).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "node/auth/login_rate_limiter.h"
#include "node/auth/permission.h"
#include "node/auth/role_store.h"
#include "postfork/base/status.h"

namespace postfork::node::auth {

enum class AuthenticatorKind { kAllowAll, kPassword };
enum class AuthorizerKind { kAllowAll, kCassandra };

struct AuthOptions {
  AuthenticatorKind authenticator = AuthenticatorKind::kAllowAll;  // Default: AllowAll
  // kCassandra requires kPassword (as Cassandra's config check does). Default: AllowAll.
  AuthorizerKind authorizer = AuthorizerKind::kAllowAll;
  LoginRateLimitOptions rate_limit;  // Default: 5 failures, then one attempt per 2 s
  int hash_threads = 1;              // Default: 1 thread for bcrypt checks
};

// "org.apache.cassandra.auth.PasswordAuthenticator", what AUTHENTICATE names.
inline constexpr const char* kPasswordAuthenticatorClass =
    "org.apache.cassandra.auth.PasswordAuthenticator";

class AuthService {
 public:
  // Validates the options. With kPassword and no role yet, creates Cassandra's default
  // superuser cassandra/cassandra (and logs a warning to change it). `roles` is owned.
  static Result<std::unique_ptr<AuthService>> Open(AuthOptions options,
                                                   std::unique_ptr<RoleStore> roles);
  ~AuthService();  // waits for checks in flight (Shutdown)
  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;

  const AuthOptions& options() const { return options_; }
  bool requires_authentication() const {
    return options_.authenticator == AuthenticatorKind::kPassword;
  }
  bool authorization_enabled() const { return options_.authorizer == AuthorizerKind::kCassandra; }
  RoleStore& roles() { return *roles_; }

  // Checks one AUTH_RESPONSE token (SASL PLAIN) from `address`. `done` runs on `executor`, never
  // inline, with the role name or a BadCredentials (0x0100) status with Cassandra's message.
  // Refused without checking while the address is rate-limited. Network thread only.
  using AuthDone = std::function<void(Result<std::string>)>;
  void Authenticate(std::string_view token, const std::string& address,
                    boost::asio::any_io_executor executor, AuthDone done);

  // OK when `user` may use `permission` on `resource` (or one of its parents), or is a
  // superuser, or authorization is off; else Unauthorized (0x2100) as Cassandra words it.
  Status Authorize(const std::string& user, Permission permission,
                   const DataResource& resource) const;
  // Whether `user` may manage roles and grants: a superuser, or anyone when the authenticator is
  // AllowAll (there are no users then).
  bool IsSuperuser(const std::string& user) const;

  // Waits for the bcrypt checks in flight; their completions are already posted to their
  // executors when this returns. Idempotent.
  void Shutdown();

 private:
  AuthService(AuthOptions options, std::unique_ptr<RoleStore> roles);

  AuthOptions options_;
  std::unique_ptr<RoleStore> roles_;
  LoginRateLimiter limiter_;
  boost::asio::thread_pool pool_;
  bool shut_down_ = false;
};

}  // namespace postfork::node::auth
