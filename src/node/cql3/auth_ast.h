// The parsed form of role and permission statements (CREATE/ALTER/DROP ROLE and USER,
// LIST ROLES/USERS, GRANT, REVOKE, LIST PERMISSIONS). Kept apart from ast.h, which holds them as
// one std::shared_ptr<AuthStatement> alternative.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "node/cql3/ast.h"

namespace postfork::node::cql3 {

// WITH PASSWORD = 'p' AND LOGIN = true AND SUPERUSER = false (CREATE USER: its own keywords).
struct RoleOptions {
  std::optional<std::string> password;
  std::optional<bool> login;
  std::optional<bool> superuser;
  bool empty() const { return !password && !login && !superuser; }
};

struct CreateRoleStatement {
  std::string role;
  bool if_not_exists = false;
  bool is_user = false;  // CREATE USER: LOGIN defaults to true
  RoleOptions options;
};
struct AlterRoleStatement {
  std::string role;
  RoleOptions options;
};
struct DropRoleStatement {
  std::string role;
  bool if_exists = false;
};
struct ListRolesStatement {
  std::optional<std::string> of_role;
  bool users = false;  // LIST USERS: name and super columns
};

// ALL KEYSPACES | KEYSPACE ks | [TABLE] [ks.]t.
struct ResourceName {
  enum class Level { kAllKeyspaces, kKeyspace, kTable };
  Level level = Level::kAllKeyspaces;
  std::string keyspace;  // kTable: empty = the connection's keyspace
  std::string table;
};

// GRANT and REVOKE.
struct PermissionChangeStatement {
  bool grant = true;
  std::vector<std::string> permissions;  // upper case; empty = ALL
  ResourceName resource;
  std::string role;
};
struct ListPermissionsStatement {
  std::vector<std::string> permissions;  // empty = ALL
  std::optional<ResourceName> resource;
  std::optional<std::string> role;
  bool norecursive = false;
};

struct AuthStatement {
  std::variant<CreateRoleStatement, AlterRoleStatement, DropRoleStatement, ListRolesStatement,
               PermissionChangeStatement, ListPermissionsStatement>
      statement;
};

}  // namespace postfork::node::cql3
