// The node's auth building blocks: SASL PLAIN parsing, the login rate limiter (with an injected
// clock), bcrypt hashes, data resource names, and roles and grants surviving a reopen.
#include <gtest/gtest.h>

#include "node/auth/login_rate_limiter.h"
#include "node/auth/password_hash.h"
#include "node/auth/permission.h"
#include "node/auth/role_store.h"
#include "node/auth/sasl_plain.h"
#include "node/db/database.h"
#include "storage_test_util.h"

namespace postfork::node::auth {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

TEST(SaslPlainTest, SplitsAuthzidUserAndPassword) {
  auto c = ParseSaslPlain("\0alice\0s3cret"s);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "s3cret");
  auto with_authzid = ParseSaslPlain("admin\0bob\0pw"s);
  ASSERT_TRUE(with_authzid.ok());
  EXPECT_EQ(with_authzid->username, "bob");
  EXPECT_EQ(with_authzid->password, "pw");
}

TEST(SaslPlainTest, RejectsMissingPartsAndExtraSeparators) {
  EXPECT_FALSE(ParseSaslPlain("").ok());
  EXPECT_FALSE(ParseSaslPlain("alice").ok());
  EXPECT_FALSE(ParseSaslPlain("\0alice"s).ok());
  EXPECT_EQ(ParseSaslPlain("\0alice\0"s).error().message(), "Password must not be null");
  EXPECT_EQ(ParseSaslPlain("\0\0pw"s).error().message(), "Authentication ID must not be null");
  EXPECT_FALSE(ParseSaslPlain("a\0b\0c\0d"s).ok());
}

class FakeClock {
 public:
  LoginRateLimiter::Clock fn() {
    return [this] { return now_; };
  }
  void Advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::seconds(1000)};
};

TEST(LoginRateLimiterTest, RefusesAfterTheBurstUntilATokenRefills) {
  FakeClock clock;
  LoginRateLimiter limiter({.burst = 5, .refill = 2000ms, .max_tracked = 100}, clock.fn());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limiter.RetryAfter("10.0.0.1").count(), 0) << "attempt " << i;
    limiter.RecordFailure("10.0.0.1");
  }
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1"), 2000ms);
  EXPECT_EQ(limiter.RetryAfter("10.0.0.2").count(), 0) << "other addresses are not affected";
  clock.Advance(1500ms);
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1"), 500ms);
  clock.Advance(500ms);
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1").count(), 0);
  limiter.RecordFailure("10.0.0.1");
  EXPECT_GT(limiter.RetryAfter("10.0.0.1").count(), 0) << "one token back, spent again";
  clock.Advance(10000ms);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(limiter.RetryAfter("10.0.0.1").count(), 0) << "full again after 5 refills";
    limiter.RecordFailure("10.0.0.1");
  }
  EXPECT_GT(limiter.RetryAfter("10.0.0.1").count(), 0);
}

TEST(LoginRateLimiterTest, TracksABoundedNumberOfAddresses) {
  FakeClock clock;
  LoginRateLimiter limiter({.burst = 2, .refill = 1000ms, .max_tracked = 10}, clock.fn());
  for (int i = 0; i < 100; ++i) limiter.RecordFailure("10.0.1." + std::to_string(i));
  EXPECT_LE(limiter.tracked(), 10u);
}

TEST(PasswordHashTest, BcryptRoundTripInCassandrasFormat) {
  auto hash = HashPassword("s3cret", 4);  // the lowest cost: the format is what is tested
  ASSERT_TRUE(hash.ok()) << hash.error().ToString();
  EXPECT_EQ(hash->substr(0, 7), "$2b$04$");
  EXPECT_EQ(hash->size(), 60u);
  EXPECT_TRUE(CheckPassword("s3cret", *hash));
  EXPECT_FALSE(CheckPassword("s3cret!", *hash));
  EXPECT_FALSE(CheckPassword("s3cret", "not a hash"));
  auto again = HashPassword("s3cret", 4);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *hash) << "a fresh salt each time";
  EXPECT_FALSE(HashPassword(std::string("a\0b", 3), 4).ok());
}

TEST(PasswordHashTest, VerifiesJBCryptsTwoAHashes) {
  // jBCrypt (Cassandra's) writes $2a$; the same password hashes identically under $2a$ and $2b$.
  auto b = HashPassword("cassandra", 4);
  ASSERT_TRUE(b.ok());
  std::string a = *b;
  a[2] = 'a';
  EXPECT_TRUE(CheckPassword("cassandra", a));
}

TEST(DataResourceTest, NamesAndParents) {
  auto t = DataResource::Table("ks", "t");
  EXPECT_EQ(t.Name(), "data/ks/t");
  EXPECT_EQ(t.ToString(), "<table ks.t>");
  EXPECT_EQ(t.Parent()->ToString(), "<keyspace ks>");
  EXPECT_EQ(t.Parent()->Parent()->ToString(), "<all keyspaces>");
  EXPECT_FALSE(DataResource::Root().Parent());
  EXPECT_EQ(DataResource::FromName("data/ks/t"), t);
  EXPECT_EQ(DataResource::FromName("data"), DataResource::Root());
  EXPECT_FALSE(DataResource::FromName("roles/x"));
  EXPECT_FALSE(DataResource::FromName("data/"));
  EXPECT_FALSE(DataResource::FromName("data/a/b/c"));
}

TEST(PermissionTest, ParsesCaseInsensitivelyAndListsInCassandrasOrder) {
  EXPECT_EQ(ParsePermission("select"), Permission::kSelect);
  EXPECT_EQ(ParsePermission("AUTHORIZE"), Permission::kAuthorize);
  EXPECT_FALSE(ParsePermission("EXECUTE"));
  auto all = Permissions(kAllDataPermissions);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(PermissionName(all.front()), "CREATE");
  EXPECT_EQ(PermissionName(all.back()), "AUTHORIZE");
}

class RoleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    roles_.reset();
    db_.reset();
    DatabaseOptions options;
    options.storage.data_dir = dir_.path();
    options.identity.listen_address = "127.0.0.1";
    auto db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto roles = RoleStore::Open(&db_->storage(), *db_->schema().snapshot());
    ASSERT_TRUE(roles.ok()) << roles.error().ToString();
    roles_ = std::move(*roles);
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<RoleStore> roles_;
};

TEST_F(RoleStoreTest, RolesAndGrantsSurviveAReopen) {
  EXPECT_TRUE(roles_->empty());
  ASSERT_TRUE(roles_->Put({"alice", true, false, {}, "$2b$04$hash"}).ok());
  ASSERT_TRUE(roles_->Put({"admin", true, true, {}, ""}).ok());
  auto t = DataResource::Table("ks", "t");
  ASSERT_TRUE(roles_->Grant("alice", t, Bit(Permission::kSelect) | Bit(Permission::kModify)).ok());
  ASSERT_TRUE(roles_->Revoke("alice", t, Bit(Permission::kModify)).ok());
  ASSERT_TRUE(roles_->Grant("alice", DataResource::Keyspace("ks"), kAllDataPermissions).ok());
  EXPECT_EQ(roles_->Grant("nobody", t, Bit(Permission::kSelect)).code(), StatusCode::kNotFound);
  Reopen();
  auto alice = roles_->Find("alice");
  ASSERT_TRUE(alice);
  EXPECT_TRUE(alice->can_login);
  EXPECT_FALSE(alice->is_superuser);
  EXPECT_EQ(alice->salted_hash, "$2b$04$hash");
  EXPECT_TRUE(roles_->Find("admin")->is_superuser);
  EXPECT_EQ(roles_->Granted("alice", t), Bit(Permission::kSelect));
  EXPECT_EQ(roles_->Granted("alice", DataResource::Keyspace("ks")), kAllDataPermissions);
  ASSERT_EQ(roles_->All().size(), 2u);
  EXPECT_EQ(roles_->All()[0].name, "admin");
}

TEST_F(RoleStoreTest, DropRemovesTheRoleAndItsGrantsAndARecreatedRoleStartsEmpty) {
  auto ks = DataResource::Keyspace("ks");
  ASSERT_TRUE(roles_->Put({"bob", true, false, {}, ""}).ok());
  ASSERT_TRUE(roles_->Grant("bob", ks, Bit(Permission::kSelect)).ok());
  ASSERT_TRUE(roles_->Drop("bob").ok());
  ASSERT_TRUE(roles_->Put({"bob", false, false, {}, ""}).ok());  // same microsecond is fine
  EXPECT_EQ(roles_->Granted("bob", ks), 0u);
  Reopen();
  ASSERT_TRUE(roles_->Find("bob"));
  EXPECT_FALSE(roles_->Find("bob")->can_login);
  EXPECT_EQ(roles_->Granted("bob", ks), 0u);
  EXPECT_TRUE(roles_->GrantsOf("bob").empty());
}

TEST_F(RoleStoreTest, RevokeAllOnAKeyspaceTakesItsTablesGrantsFromEveryRole) {
  ASSERT_TRUE(roles_->Put({"a", true, false, {}, ""}).ok());
  ASSERT_TRUE(roles_->Put({"b", true, false, {}, ""}).ok());
  auto ks = DataResource::Keyspace("ks");
  auto t = DataResource::Table("ks", "t");
  auto other = DataResource::Keyspace("ks2");  // "data/ks2" shares the prefix "data/ks"
  ASSERT_TRUE(roles_->Grant("a", ks, Bit(Permission::kSelect)).ok());
  ASSERT_TRUE(roles_->Grant("b", t, Bit(Permission::kModify)).ok());
  ASSERT_TRUE(roles_->Grant("b", other, Bit(Permission::kSelect)).ok());
  ASSERT_TRUE(roles_->RevokeAllOn(ks).ok());
  Reopen();
  EXPECT_EQ(roles_->Granted("a", ks), 0u);
  EXPECT_EQ(roles_->Granted("b", t), 0u);
  EXPECT_EQ(roles_->Granted("b", other), Bit(Permission::kSelect));
}

}  // namespace
}  // namespace postfork::node::auth
