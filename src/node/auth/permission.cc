#include "node/auth/permission.h"

#include <array>

#include "postfork/base/ascii.h"

namespace postfork::node::auth {
namespace {

constexpr std::array<std::string_view, 6> kNames = {"CREATE", "ALTER",  "DROP",
                                                    "SELECT", "MODIFY", "AUTHORIZE"};
constexpr std::string_view kRootName = "data";

}  // namespace

std::string_view PermissionName(Permission p) { return kNames[static_cast<size_t>(p)]; }

std::optional<Permission> ParsePermission(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (ascii::EqualsIgnoreCase(name, kNames[i])) return static_cast<Permission>(i);
  }
  return std::nullopt;
}

std::vector<Permission> Permissions(PermissionSet set) {
  std::vector<Permission> out;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (set & Bit(static_cast<Permission>(i))) out.push_back(static_cast<Permission>(i));
  }
  return out;
}

std::string DataResource::Name() const {
  std::string out(kRootName);
  if (!keyspace.empty()) out += "/" + keyspace;
  if (!table.empty()) out += "/" + table;
  return out;
}

std::string DataResource::ToString() const {
  if (keyspace.empty()) return "<all keyspaces>";
  if (table.empty()) return "<keyspace " + keyspace + ">";
  return "<table " + keyspace + "." + table + ">";
}

std::optional<DataResource> DataResource::Parent() const {
  if (keyspace.empty()) return std::nullopt;
  if (table.empty()) return Root();
  return Keyspace(keyspace);
}

std::optional<DataResource> DataResource::FromName(std::string_view name) {
  if (name.substr(0, kRootName.size()) != kRootName) return std::nullopt;
  std::string_view rest = name.substr(kRootName.size());
  if (rest.empty()) return Root();
  if (rest[0] != '/' || rest.size() == 1) return std::nullopt;
  rest.remove_prefix(1);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Keyspace(std::string(rest));
  std::string_view table = rest.substr(slash + 1);
  if (slash == 0 || table.empty() || table.find('/') != std::string_view::npos) return std::nullopt;
  return Table(std::string(rest.substr(0, slash)), std::string(table));
}

}  // namespace postfork::node::auth
