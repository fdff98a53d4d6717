#include "node/auth/auth_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "node/auth/password_hash.h"
#include "node/auth/sasl_plain.h"
#include "node/cql_errors.h"

namespace postfork::node::auth {
namespace {

constexpr const char* kDefaultSuperuser = "cassandra";
constexpr const char* kDefaultPassword = "cassandra";
// Checked against when the role does not exist, so that a missing role costs as much time as a
// wrong password (no role enumeration by timing). A real bcrypt hash of cost 10.
constexpr const char* kDummyHash = "$2b$10$4THa2Nr3l6BINTRGCIQxtO9DqNwOZ40Kdz7QKWXLaAgpzCUfsp.Ei";

}  // namespace

AuthService::AuthService(AuthOptions options, std::unique_ptr<RoleStore> roles)
    : options_(options),
      roles_(std::move(roles)),
      limiter_(options.rate_limit),
      pool_(static_cast<size_t>(std::max(options.hash_threads, 1))) {}

AuthService::~AuthService() { Shutdown(); }

void AuthService::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  pool_.join();
}

Result<std::unique_ptr<AuthService>> AuthService::Open(AuthOptions options,
                                                       std::unique_ptr<RoleStore> roles) {
  if (options.authorizer == AuthorizerKind::kCassandra &&
      options.authenticator != AuthenticatorKind::kPassword) {
    return Status(StatusCode::kInvalidArgument,
                  "the Cassandra authorizer requires the Password authenticator");
  }
  if (options.rate_limit.burst < 1 || options.rate_limit.refill.count() <= 0) {
    return Status(StatusCode::kInvalidArgument,
                  "login rate limit: burst must be >= 1 and refill > 0");
  }
  if (options.authenticator == AuthenticatorKind::kPassword && roles->empty()) {
    PF_ASSIGN_OR_RETURN(std::string hash, HashPassword(kDefaultPassword));
    RoleRecord su;
    su.name = kDefaultSuperuser;
    su.can_login = true;
    su.is_superuser = true;
    su.salted_hash = std::move(hash);
    PF_RETURN_IF_ERROR(roles->Put(su));
    spdlog::warn(
        "created the default superuser role 'cassandra' with password 'cassandra': create "
        "another superuser and drop it, or ALTER ROLE cassandra WITH PASSWORD = '...'");
  }
  return std::unique_ptr<AuthService>(new AuthService(options, std::move(roles)));
}

void AuthService::Authenticate(std::string_view token, const std::string& address,
                               boost::asio::any_io_executor executor, AuthDone done) {
  auto finish = [executor, done](Result<std::string> r) {
    boost::asio::post(executor, [done, r = std::move(r)]() mutable { done(std::move(r)); });
  };
  auto credentials = ParseSaslPlain(token);
  if (!credentials.ok()) return finish(BadCredentials(credentials.error().message()));
  auto wait = limiter_.RetryAfter(address);
  if (wait.count() > 0) {
    return finish(BadCredentials(fmt::format(
        "Too many failed login attempts from {}; try again in {} ms", address, wait.count())));
  }
  std::optional<RoleRecord> role = roles_->Find(credentials->username);
  std::string hash = role && !role->salted_hash.empty() ? role->salted_hash : kDummyHash;
  // The hash runs on the pool; the outcome (and the limiter update) comes back to `executor`,
  // the connection's thread. The service outlives both: Shutdown joins the pool and the node
  // drains the network thread's queue before destroying the service.
  boost::asio::post(pool_, [this, executor, done, address, role, hash = std::move(hash),
                            creds = std::move(*credentials)]() mutable {
    bool match = CheckPassword(creds.password, hash) && role && !role->salted_hash.empty();
    boost::asio::post(executor, [this, done, address, match, role, user = creds.username] {
      if (!match) {
        limiter_.RecordFailure(address);
        done(BadCredentials(
            fmt::format("Provided username {} and/or password are incorrect", user)));
        return;
      }
      if (!role->can_login) {
        done(BadCredentials(fmt::format("{} is not permitted to log in", user)));
        return;
      }
      done(user);
    });
  });
}

bool AuthService::IsSuperuser(const std::string& user) const {
  if (!requires_authentication()) return true;
  auto role = roles_->Find(user);
  return role && role->is_superuser;
}

Status AuthService::Authorize(const std::string& user, Permission permission,
                              const DataResource& resource) const {
  if (!authorization_enabled()) return Status::Ok();
  auto role = roles_->Find(user);
  if (role && role->is_superuser) return Status::Ok();
  if (role) {
    for (std::optional<DataResource> r = resource; r; r = r->Parent()) {
      if (roles_->Granted(user, *r) & Bit(permission)) return Status::Ok();
    }
  }
  return Unauthorized(fmt::format("User {} has no {} permission on {} or any of its parents", user,
                                  PermissionName(permission), resource.ToString()));
}

}  // namespace postfork::node::auth
