#include "node/cql3/statements/auth_statement.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "node/auth/auth_service.h"
#include "node/auth/password_hash.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"

namespace postfork::node::cql3 {
namespace {

using auth::DataResource;
using auth::Permission;
using auth::PermissionSet;

// LIST ROLES / LIST PERMISSIONS columns, named as Cassandra 4.1 names them.
cql::ColumnSpec Spec(std::string_view table, std::string_view name, cql::DataType type) {
  return cql::ColumnSpec{"system_auth", std::string(table), std::string(name), std::move(type)};
}

std::string TextCell(std::string_view s) { return std::string(s); }
std::string BoolCell(bool b) { return std::string(1, b ? '\1' : '\0'); }

// A ROWS body from serialized cells (row-major).
std::string RowsBody(std::vector<cql::ColumnSpec> columns, const std::vector<std::string>& cells) {
  cql::RowsMetadata meta;
  meta.column_count = static_cast<int32_t>(columns.size());
  meta.columns = std::move(columns);
  std::vector<cql::RawValue> raw;
  raw.reserve(cells.size());
  for (const auto& c : cells) raw.push_back(cql::RawValue::Of(c));
  std::string body;
  cql::ByteWriter w(&body);
  int32_t rows = meta.column_count ? static_cast<int32_t>(cells.size()) / meta.column_count : 0;
  cql::EncodeRowsResult(meta, rows, raw, w);
  return body;
}

StatementResult Void() {
  StatementResult r;
  r.body = VoidResultBody();
  return r;
}

std::string RoleResourceName(const std::string& role) {
  return role.empty() ? "<all roles>" : "<role " + role + ">";
}

// Non-superusers may not manage roles (CREATE, ALTER and DROP on roles are not grantable here).
Status RequireRolePermission(const ExecutionContext& ctx, std::string_view permission,
                             const std::string& role) {
  if (ctx.auth->IsSuperuser(ctx.client->user)) return Status::Ok();
  return Unauthorized(fmt::format("User {} has no {} permission on {} or any of its parents",
                                  ctx.client->user, permission, RoleResourceName(role)));
}

Result<std::string> HashOf(const std::string& password) {
  auto hash = auth::HashPassword(password);
  if (!hash.ok()) return InvalidRequest(hash.error().message());
  return hash;
}

Result<StatementResult> CreateRole(const CreateRoleStatement& s, ExecutionContext& ctx) {
  PF_RETURN_IF_ERROR(RequireRolePermission(ctx, "CREATE", ""));
  if (s.options.superuser.value_or(false) && !ctx.auth->IsSuperuser(ctx.client->user)) {
    return Unauthorized("Only superusers can create a role with superuser status");
  }
  if (s.role.empty()) return InvalidRequest("Role name can't be an empty string");
  auth::RoleStore& roles = ctx.auth->roles();
  if (roles.Find(s.role)) {
    if (s.if_not_exists) return Void();
    return InvalidRequest(fmt::format("{} already exists", s.role));
  }
  auth::RoleRecord r;
  r.name = s.role;
  r.can_login = s.options.login.value_or(s.is_user);
  r.is_superuser = s.options.superuser.value_or(false);
  // bcrypt on the network thread: CREATE/ALTER ROLE are rare administrative statements.
  if (s.options.password) {
    PF_ASSIGN_OR_RETURN(r.salted_hash, HashOf(*s.options.password));
  }
  PF_RETURN_IF_ERROR(roles.Put(r));
  return Void();
}

Result<StatementResult> AlterRole(const AlterRoleStatement& s, ExecutionContext& ctx) {
  if (s.options.empty()) return InvalidRequest("ALTER [ROLE|USER] can't be empty");
  auth::RoleStore& roles = ctx.auth->roles();
  std::optional<auth::RoleRecord> r = roles.Find(s.role);
  if (!r) return InvalidRequest(fmt::format("{} doesn't exist", s.role));
  const std::string& user = ctx.client->user;
  bool super = ctx.auth->IsSuperuser(user);
  bool self = ctx.auth->requires_authentication() && user == s.role;
  if (s.options.superuser && self) {
    return Unauthorized(
        "You aren't allowed to alter your own superuser status or that of a role granted to you");
  }
  if (s.options.superuser && !super) {
    return Unauthorized("Only superusers are allowed to alter superuser status");
  }
  if (!super) {
    if (!self) PF_RETURN_IF_ERROR(RequireRolePermission(ctx, "ALTER", s.role));
    if (s.options.login) return Unauthorized("You aren't allowed to alter LOGIN");
  }
  if (s.options.login) r->can_login = *s.options.login;
  if (s.options.superuser) r->is_superuser = *s.options.superuser;
  if (s.options.password) {
    PF_ASSIGN_OR_RETURN(r->salted_hash, HashOf(*s.options.password));
  }
  PF_RETURN_IF_ERROR(roles.Put(*r));
  return Void();
}

Result<StatementResult> DropRole(const DropRoleStatement& s, ExecutionContext& ctx) {
  PF_RETURN_IF_ERROR(RequireRolePermission(ctx, "DROP", s.role));
  auth::RoleStore& roles = ctx.auth->roles();
  if (!roles.Find(s.role)) {
    if (s.if_exists) return Void();
    return InvalidRequest(fmt::format("{} doesn't exist", s.role));
  }
  if (ctx.auth->requires_authentication() && ctx.client->user == s.role) {
    return InvalidRequest("Cannot DROP primary role for current login");
  }
  PF_RETURN_IF_ERROR(roles.Drop(s.role));
  return Void();
}

Result<StatementResult> ListRoles(const ListRolesStatement& s, ExecutionContext& ctx) {
  auth::RoleStore& roles = ctx.auth->roles();
  const std::string& user = ctx.client->user;
  bool super = ctx.auth->IsSuperuser(user);
  if (s.of_role) {
    if (!roles.Find(*s.of_role)) return InvalidRequest(fmt::format("{} doesn't exist", *s.of_role));
    if (!super && *s.of_role != user) {
      return Unauthorized(
          fmt::format("You are not authorized to view roles granted to {}", *s.of_role));
    }
  }
  std::vector<std::string> cells;
  for (const auth::RoleRecord& r : roles.All()) {
    // Non-superusers see the roles granted to them: their own (role grants are not supported).
    if (s.of_role ? r.name != *s.of_role : (!super && r.name != user)) continue;
    if (s.users && !r.can_login) continue;
    cells.push_back(TextCell(r.name));
    cells.push_back(BoolCell(r.is_superuser));
    if (!s.users) {
      cells.push_back(BoolCell(r.can_login));
      std::string empty_map;
      cql::ByteWriter(&empty_map).WriteInt(0);
      cells.push_back(std::move(empty_map));
    }
    cells.push_back(TextCell("ALL"));
  }
  cql::DataType text(cql::TypeKind::kText), boolean(cql::TypeKind::kBoolean);
  if (s.users) {
    return StatementResult{RowsBody({Spec("users", "name", text), Spec("users", "super", boolean),
                                     Spec("users", "datacenters", text)},
                                    cells),
                           {},
                           {}};
  }
  auto options_type = cql::DataType::Parse("map<text, text>");
  if (!options_type.ok()) return options_type.error();
  return StatementResult{
      RowsBody({Spec("roles", "role", text), Spec("roles", "super", boolean),
                Spec("roles", "login", boolean), Spec("roles", "options", *options_type),
                Spec("roles", "datacenters", text)},
               cells),
      {},
      {}};
}

Result<PermissionSet> ToPermissions(const std::vector<std::string>& names) {
  if (names.empty()) return auth::kAllDataPermissions;
  PermissionSet set = 0;
  for (const auto& n : names) {
    auto p = auth::ParsePermission(n);
    if (!p) {
      return InvalidRequest(
          "Resource type DataResource does not support any of the requested permissions");
    }
    set |= auth::Bit(*p);
  }
  return set;
}

// The resource, with an unqualified table resolved against the connection's keyspace at
// prepare time; checked to exist against the live schema.
Result<DataResource> ToResource(const ResourceName& name, const ExecutionContext& ctx) {
  DataResource r;
  switch (name.level) {
    case ResourceName::Level::kAllKeyspaces:
      return r;
    case ResourceName::Level::kKeyspace:
      r = DataResource::Keyspace(name.keyspace);
      if (!ctx.schema->FindKeyspace(name.keyspace)) {
        return InvalidRequest(fmt::format("Resource {} doesn't exist", r.ToString()));
      }
      return r;
    case ResourceName::Level::kTable:
      if (name.keyspace.empty()) {
        return InvalidRequest(
            "No keyspace has been specified. USE a keyspace, or explicitly specify "
            "keyspace.tablename");
      }
      r = DataResource::Table(name.keyspace, name.table);
      if (!ctx.schema->FindTable(name.keyspace, name.table)) {
        return InvalidRequest(fmt::format("Resource {} doesn't exist", r.ToString()));
      }
      return r;
  }
  return r;
}

Status RequireAuthorizer(const ExecutionContext& ctx, std::string_view operation) {
  if (ctx.auth->authorization_enabled()) return Status::Ok();
  return InvalidRequest(
      fmt::format("{} operation is not supported by AllowAllAuthorizer", operation));
}

Result<StatementResult> ChangePermissions(const PermissionChangeStatement& s,
                                          ExecutionContext& ctx) {
  PF_RETURN_IF_ERROR(RequireAuthorizer(ctx, s.grant ? "GRANT" : "REVOKE"));
  auth::RoleStore& roles = ctx.auth->roles();
  if (!roles.Find(s.role)) return InvalidRequest(fmt::format("Role {} doesn't exist", s.role));
  PF_ASSIGN_OR_RETURN(DataResource resource, ToResource(s.resource, ctx));
  PF_ASSIGN_OR_RETURN(PermissionSet set, ToPermissions(s.permissions));
  // As Cassandra: AUTHORIZE on the resource, and every permission granted or revoked.
  PF_RETURN_IF_ERROR(ctx.auth->Authorize(ctx.client->user, Permission::kAuthorize, resource));
  for (Permission p : auth::Permissions(set)) {
    PF_RETURN_IF_ERROR(ctx.auth->Authorize(ctx.client->user, p, resource));
  }
  Status st = s.grant ? roles.Grant(s.role, resource, set) : roles.Revoke(s.role, resource, set);
  if (st.code() == StatusCode::kNotFound) return InvalidRequest(st.message());
  PF_RETURN_IF_ERROR(st);
  return Void();
}

Result<StatementResult> ListPermissions(const ListPermissionsStatement& s, ExecutionContext& ctx) {
  PF_RETURN_IF_ERROR(RequireAuthorizer(ctx, "LIST PERMISSIONS"));
  auth::RoleStore& roles = ctx.auth->roles();
  const std::string& user = ctx.client->user;
  bool super = ctx.auth->IsSuperuser(user);
  if (s.role && !roles.Find(*s.role)) {
    return InvalidRequest(fmt::format("{} doesn't exist", *s.role));
  }
  if (!super) {
    if (!s.role) return Unauthorized("You are not authorized to view everyone's permissions");
    if (*s.role != user) {
      return Unauthorized(fmt::format("You are not authorized to view {}'s permissions", *s.role));
    }
  }
  PF_ASSIGN_OR_RETURN(PermissionSet wanted, ToPermissions(s.permissions));
  // ON a resource lists grants on it and on its parents, as Cassandra does.
  std::set<std::string> chain;
  if (s.resource) {
    PF_ASSIGN_OR_RETURN(DataResource r, ToResource(*s.resource, ctx));
    for (std::optional<DataResource> p = r; p; p = p->Parent()) chain.insert(p->Name());
  }
  // Cassandra sorts by grantee, then resource, then permission.
  std::vector<std::tuple<std::string, std::string, Permission>> rows;
  for (const auth::RoleRecord& r : roles.All()) {
    if (s.role && r.name != *s.role) continue;
    for (const auto& [name, set] : roles.GrantsOf(r.name)) {
      if (s.resource && !chain.count(name)) continue;
      auto resource = DataResource::FromName(name);
      if (!resource) continue;
      for (Permission p : auth::Permissions(set & wanted)) {
        rows.emplace_back(r.name, resource->ToString(), p);
      }
    }
  }
  std::sort(rows.begin(), rows.end());
  std::vector<std::string> cells;
  for (const auto& [role, resource, p] : rows) {
    cells.push_back(role);
    cells.push_back(role);
    cells.push_back(resource);
    cells.push_back(std::string(auth::PermissionName(p)));
  }
  cql::DataType text(cql::TypeKind::kText);
  return StatementResult{
      RowsBody({Spec("permissions", "role", text), Spec("permissions", "username", text),
                Spec("permissions", "resource", text), Spec("permissions", "permission", text)},
               cells),
      {},
      {}};
}

std::string_view KindOf(const AuthStatement& s) {
  return std::visit(
      [](const auto& v) -> std::string_view {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, CreateRoleStatement>) return "create_role";
        if constexpr (std::is_same_v<T, AlterRoleStatement>) return "alter_role";
        if constexpr (std::is_same_v<T, DropRoleStatement>) return "drop_role";
        if constexpr (std::is_same_v<T, ListRolesStatement>) return "list_roles";
        if constexpr (std::is_same_v<T, PermissionChangeStatement>) {
          return v.grant ? "grant" : "revoke";
        }
        return "list_permissions";
      },
      s.statement);
}

// One class for every role and permission statement: they check their own access.
class AuthCqlStatement final : public CqlStatement {
 public:
  explicit AuthCqlStatement(AuthStatement statement) : statement_(std::move(statement)) {}
  std::string_view kind() const override { return KindOf(statement_); }

  Result<StatementResult> Execute(ExecutionContext& ctx) const override {
    if (!ctx.auth) return InvalidRequest("roles are not available on this node");
    return std::visit(
        [&](const auto& v) -> Result<StatementResult> {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, CreateRoleStatement>) return CreateRole(v, ctx);
          if constexpr (std::is_same_v<T, AlterRoleStatement>) return AlterRole(v, ctx);
          if constexpr (std::is_same_v<T, DropRoleStatement>) return DropRole(v, ctx);
          if constexpr (std::is_same_v<T, ListRolesStatement>) return ListRoles(v, ctx);
          if constexpr (std::is_same_v<T, PermissionChangeStatement>) {
            return ChangePermissions(v, ctx);
          }
          if constexpr (std::is_same_v<T, ListPermissionsStatement>) {
            return ListPermissions(v, ctx);
          }
        },
        statement_.statement);
  }

 private:
  AuthStatement statement_;
};

bool ReadableByEveryone(std::string_view keyspace) {
  return keyspace == "system" || keyspace == "system_schema" ||
         keyspace == "system_virtual_schema" || keyspace == "system_views";
}

// What a statement of `kind` on keyspace.table needs. nullopt: nothing (USE).
struct Requirement {
  Permission permission;
  DataResource resource;
};
Result<std::optional<Requirement>> RequirementOf(const CqlStatement& s) {
  std::string_view kind = s.kind();
  auto table = [&](Permission p) {
    return std::optional<Requirement>(Requirement{p, DataResource::Table(s.keyspace(), s.table())});
  };
  auto keyspace = [&](Permission p) {
    return std::optional<Requirement>(Requirement{p, DataResource::Keyspace(s.keyspace())});
  };
  if (kind == "select") {
    if (ReadableByEveryone(s.keyspace())) return std::optional<Requirement>();
    return table(Permission::kSelect);
  }
  if (kind == "insert" || kind == "update" || kind == "delete" || kind == "truncate") {
    return table(Permission::kModify);
  }
  // DESCRIBE checks no permission (Cassandra's DescribeStatement.authorize is empty).
  if (kind == "use" || kind == "describe") return std::optional<Requirement>();
  if (kind == "create_keyspace") {
    return std::optional<Requirement>(Requirement{Permission::kCreate, DataResource::Root()});
  }
  if (kind == "create_table" || kind == "create_type") return keyspace(Permission::kCreate);
  if (kind == "alter_keyspace" || kind == "alter_type") return keyspace(Permission::kAlter);
  if (kind == "drop_type") return keyspace(Permission::kDrop);
  if (kind == "alter_table") return table(Permission::kAlter);
  if (kind == "drop_keyspace") return keyspace(Permission::kDrop);
  if (kind == "drop_table") return table(Permission::kDrop);
  if (kind == "create_index" || kind == "drop_index") {
    // ALTER on the indexed table, as Cassandra; DROP INDEX of an unknown index checks nothing
    // (it fails as missing).
    if (s.table().empty()) return std::optional<Requirement>();
    return table(Permission::kAlter);
  }
  // A statement kind without a rule: only superusers (fail closed).
  return Status(StatusCode::kNotFound, std::string(kind));
}

}  // namespace

Result<std::unique_ptr<CqlStatement>> PrepareAuthStatement(
    const std::shared_ptr<AuthStatement>& statement, std::string_view keyspace) {
  AuthStatement copy = *statement;
  auto fill = [&](ResourceName& r) {
    if (r.level == ResourceName::Level::kTable && r.keyspace.empty()) {
      r.keyspace = std::string(keyspace);
    }
  };
  if (auto* g = std::get_if<PermissionChangeStatement>(&copy.statement)) fill(g->resource);
  if (auto* l = std::get_if<ListPermissionsStatement>(&copy.statement); l && l->resource) {
    fill(*l->resource);
  }
  return std::unique_ptr<CqlStatement>(std::make_unique<AuthCqlStatement>(std::move(copy)));
}

Status CheckAccess(const CqlStatement& statement, const ExecutionContext& ctx) {
  if (!ctx.auth || !ctx.auth->authorization_enabled()) return Status::Ok();
  if (dynamic_cast<const AuthCqlStatement*>(&statement)) return Status::Ok();
  std::vector<const CqlStatement*> children = statement.batch_children();
  if (!children.empty()) {
    for (const CqlStatement* c : children) PF_RETURN_IF_ERROR(CheckAccess(*c, ctx));
    return Status::Ok();
  }
  const std::string& user = ctx.client->user;
  auto requirement = RequirementOf(statement);
  if (!requirement.ok()) {
    if (ctx.auth->IsSuperuser(user)) return Status::Ok();
    return Unauthorized(
        fmt::format("User {} may not run {} statements", user, requirement.error().message()));
  }
  if (!*requirement) return Status::Ok();
  return ctx.auth->Authorize(user, (*requirement)->permission, (*requirement)->resource);
}

}  // namespace postfork::node::cql3
