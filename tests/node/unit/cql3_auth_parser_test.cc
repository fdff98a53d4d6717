// Parsing of the role and permission statements (cql3/auth_ast.h).
#include <gtest/gtest.h>

#include "node/cql3/auth_ast.h"
#include "node/cql3/parser.h"
#include "postfork/cql/error_codes.h"

namespace postfork::node::cql3 {
namespace {

template <class T>
T MustParseAuth(std::string_view text) {
  auto r = ParseStatement(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  if (!r.ok()) return T{};
  auto* a = std::get_if<std::shared_ptr<AuthStatement>>(&r->statement);
  EXPECT_TRUE(a && std::holds_alternative<T>((*a)->statement)) << text;
  if (!a || !std::holds_alternative<T>((*a)->statement)) return T{};
  return std::get<T>((*a)->statement);
}

// The message of the syntax error `text` gets; "" when it parses or fails otherwise.
std::string SyntaxError(std::string_view text) {
  auto r = ParseStatement(text);
  bool syntax = !r.ok() && r.error().cql_code() == static_cast<int>(cql::ErrorCode::kSyntaxError);
  return syntax ? r.error().message() : std::string();
}

TEST(Cql3AuthParser, CreateRoleWithEveryOption) {
  auto s = MustParseAuth<CreateRoleStatement>(
      "CREATE ROLE IF NOT EXISTS Alice WITH PASSWORD = 'p''w' AND LOGIN = true AND "
      "SUPERUSER = false");
  EXPECT_EQ(s.role, "alice");
  EXPECT_TRUE(s.if_not_exists);
  EXPECT_FALSE(s.is_user);
  EXPECT_EQ(s.options.password, "p'w");
  EXPECT_EQ(s.options.login, true);
  EXPECT_EQ(s.options.superuser, false);
  auto quoted = MustParseAuth<CreateRoleStatement>("CREATE ROLE \"Bob\"");
  EXPECT_EQ(quoted.role, "Bob");
  EXPECT_TRUE(quoted.options.empty());
  EXPECT_EQ(MustParseAuth<CreateRoleStatement>("CREATE ROLE 'Carol'").role, "Carol");
}

TEST(Cql3AuthParser, UserFormsAndAlterDropList) {
  auto u = MustParseAuth<CreateRoleStatement>("CREATE USER dave WITH PASSWORD 'x' SUPERUSER");
  EXPECT_TRUE(u.is_user);
  EXPECT_EQ(u.options.password, "x");
  EXPECT_EQ(u.options.superuser, true);
  auto alter = MustParseAuth<AlterRoleStatement>("ALTER ROLE dave WITH LOGIN = false");
  EXPECT_EQ(alter.options.login, false);
  EXPECT_EQ(MustParseAuth<AlterRoleStatement>("ALTER USER dave NOSUPERUSER").options.superuser,
            false);
  auto drop = MustParseAuth<DropRoleStatement>("DROP USER IF EXISTS dave;");
  EXPECT_TRUE(drop.if_exists);
  EXPECT_EQ(MustParseAuth<ListRolesStatement>("LIST ROLES OF dave NORECURSIVE").of_role, "dave");
  EXPECT_TRUE(MustParseAuth<ListRolesStatement>("LIST USERS").users);
}

TEST(Cql3AuthParser, GrantRevokeAndListPermissionsOnEveryDataResource) {
  auto all =
      MustParseAuth<PermissionChangeStatement>("GRANT ALL PERMISSIONS ON ALL KEYSPACES TO r");
  EXPECT_TRUE(all.grant);
  EXPECT_TRUE(all.permissions.empty());
  EXPECT_EQ(all.resource.level, ResourceName::Level::kAllKeyspaces);
  auto ks = MustParseAuth<PermissionChangeStatement>("GRANT select ON KEYSPACE k TO r");
  EXPECT_EQ(ks.permissions, std::vector<std::string>{"SELECT"});
  EXPECT_EQ(ks.resource.level, ResourceName::Level::kKeyspace);
  EXPECT_EQ(ks.resource.keyspace, "k");
  auto t = MustParseAuth<PermissionChangeStatement>("REVOKE MODIFY PERMISSION ON TABLE k.t FROM r");
  EXPECT_FALSE(t.grant);
  EXPECT_EQ(t.resource.level, ResourceName::Level::kTable);
  EXPECT_EQ(t.resource.table, "t");
  auto bare = MustParseAuth<PermissionChangeStatement>("GRANT AUTHORIZE ON t TO r");
  EXPECT_EQ(bare.resource.keyspace, "");  // resolved against USE at prepare time
  auto list = MustParseAuth<ListPermissionsStatement>("LIST ALL PERMISSIONS ON k.t OF r");
  EXPECT_EQ(list.role, "r");
  ASSERT_TRUE(list.resource);
  EXPECT_EQ(list.resource->table, "t");
  auto everything = MustParseAuth<ListPermissionsStatement>("LIST ALL");
  EXPECT_FALSE(everything.role);
  EXPECT_FALSE(everything.resource);
}

TEST(Cql3AuthParser, CassandrasSyntaxErrors) {
  EXPECT_NE(SyntaxError("CREATE ROLE r WITH LOGIN = true AND LOGIN = false")
                .find("Multiple definition for property LOGIN"),
            std::string::npos);
  EXPECT_NE(SyntaxError("CREATE ROLE r WITH PASSWORD = 5").find("STRING_LITERAL"),
            std::string::npos);
  EXPECT_NE(SyntaxError("CREATE ROLE r WITH COLOR = 'red'").find("K_PASSWORD"), std::string::npos);
  EXPECT_NE(SyntaxError("GRANT SELECT ON ALL ROLES TO r").find("only data resources"),
            std::string::npos);
  EXPECT_NE(SyntaxError("GRANT SELECT TO r"), "");
  EXPECT_NE(SyntaxError("GRANT FLY ON KEYSPACE k TO r"), "");
}

}  // namespace
}  // namespace postfork::node::cql3
