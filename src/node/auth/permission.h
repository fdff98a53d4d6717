// Cassandra's data permissions and data resources, as GRANT names them and as
// system_auth.role_permissions stores them ("data", "data/ks", "data/ks/t").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postfork::node::auth {

enum class Permission : uint8_t { kCreate, kAlter, kDrop, kSelect, kModify, kAuthorize };

// A set of permissions, one bit per Permission.
using PermissionSet = uint32_t;
constexpr PermissionSet Bit(Permission p) { return PermissionSet{1} << static_cast<unsigned>(p); }
// What ALL PERMISSIONS means on a data resource.
constexpr PermissionSet kAllDataPermissions =
    Bit(Permission::kCreate) | Bit(Permission::kAlter) | Bit(Permission::kDrop) |
    Bit(Permission::kSelect) | Bit(Permission::kModify) | Bit(Permission::kAuthorize);

// "CREATE", "SELECT", ... (as stored and as LIST PERMISSIONS prints them).
std::string_view PermissionName(Permission p);
// Case-insensitive; nullopt for names that are not data permissions.
std::optional<Permission> ParsePermission(std::string_view name);
// The permissions in `set`, in Cassandra's order (CREATE, ALTER, DROP, SELECT, MODIFY, AUTHORIZE).
std::vector<Permission> Permissions(PermissionSet set);

// <all keyspaces>, <keyspace ks> or <table ks.t>.
struct DataResource {
  std::string keyspace;  // empty: all keyspaces
  std::string table;     // empty: the whole keyspace (or all keyspaces)

  static DataResource Root() { return {}; }
  static DataResource Keyspace(std::string ks) { return {std::move(ks), {}}; }
  static DataResource Table(std::string ks, std::string t) { return {std::move(ks), std::move(t)}; }

  bool is_root() const { return keyspace.empty(); }
  bool is_table() const { return !table.empty(); }
  // The stored name: "data", "data/ks", "data/ks/t".
  std::string Name() const;
  // As Cassandra prints it in messages: "<all keyspaces>", "<keyspace ks>", "<table ks.t>".
  std::string ToString() const;
  // The resource one level up; nullopt for the root.
  std::optional<DataResource> Parent() const;
  // From a stored name; nullopt when it is not a data resource name.
  static std::optional<DataResource> FromName(std::string_view name);

  bool operator==(const DataResource&) const = default;
};

}  // namespace postfork::node::auth
