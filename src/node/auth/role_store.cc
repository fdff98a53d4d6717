#include "node/auth/role_store.h"

#include <fmt/format.h>

#include <algorithm>

namespace postfork::node::auth {
namespace {

std::string BoolBody(bool b) { return std::string(1, b ? '\1' : '\0'); }

const ColumnMetadata& Column(const TableMetadata& table, std::string_view name) {
  const ColumnMetadata* c = table.FindColumn(name);
  // The tables come from SystemKeyspaceMetadata(), which defines these columns.
  if (!c) std::abort();
  return *c;
}

}  // namespace

RoleStore::RoleStore(Storage* storage, std::shared_ptr<const TableMetadata> roles,
                     std::shared_ptr<const TableMetadata> permissions)
    : storage_(storage),
      roles_table_(std::move(roles)),
      permissions_table_(std::move(permissions)) {}

Result<std::unique_ptr<RoleStore>> RoleStore::Open(Storage* storage, const SchemaSnapshot& schema) {
  auto roles = schema.FindTable("system_auth", "roles");
  auto permissions = schema.FindTable("system_auth", "role_permissions");
  if (!roles || !permissions || roles->is_virtual || permissions->is_virtual) {
    return Status(StatusCode::kInternal, "the schema has no stored system_auth tables");
  }
  std::unique_ptr<RoleStore> store(
      new RoleStore(storage, std::move(roles), std::move(permissions)));
  PF_RETURN_IF_ERROR(store->Load());
  return store;
}

Status RoleStore::Load() {
  const TableMetadata& rt = *roles_table_;
  ReadCommand read;
  read.table = roles_table_;
  read.scan = true;
  read.columns = {Column(rt, "can_login").id, Column(rt, "is_superuser").id,
                  Column(rt, "member_of").id, Column(rt, "salted_hash").id};
  PF_ASSIGN_OR_RETURN(ReadResult roles, storage_->Read(read));
  std::lock_guard lock(mu_);
  for (const ReadRow& row : roles.rows) {
    if (row.partition_key.empty()) continue;
    Entry e;
    e.record.name = row.partition_key[0];
    auto flag = [&](size_t i) {
      return row.cells[i] && !row.cells[i]->value.empty() && row.cells[i]->value[0] != 0;
    };
    e.record.can_login = flag(0);
    e.record.is_superuser = flag(1);
    if (row.cells[2]) {
      for (const auto& [path, value] : row.cells[2]->elements) e.record.member_of.push_back(path);
    }
    if (row.cells[3]) e.record.salted_hash = row.cells[3]->value;
    last_timestamp_ = std::max({last_timestamp_, row.cells[0] ? row.cells[0]->timestamp : 0,
                                row.cells[3] ? row.cells[3]->timestamp : 0});
    roles_[e.record.name] = std::move(e);
  }

  ReadCommand perms;
  perms.table = permissions_table_;
  perms.scan = true;
  perms.columns = {Column(*permissions_table_, "permissions").id};
  PF_ASSIGN_OR_RETURN(ReadResult grants, storage_->Read(perms));
  for (const ReadRow& row : grants.rows) {
    if (row.partition_key.empty() || row.clustering.empty() || !row.cells[0]) continue;
    auto it = roles_.find(row.partition_key[0]);
    if (it == roles_.end()) continue;  // left behind by an interrupted DROP ROLE: ignored
    PermissionSet set = 0;
    for (const auto& [path, value] : row.cells[0]->elements) {
      if (auto p = ParsePermission(path)) set |= Bit(*p);
    }
    last_timestamp_ = std::max(last_timestamp_, row.cells[0]->timestamp);
    if (set) it->second.grants[row.clustering[0]] = set;
  }
  return Status::Ok();
}

int64_t RoleStore::NextTimestamp() {
  last_timestamp_ = std::max(storage_->NowMicros(), last_timestamp_ + 1);
  return last_timestamp_;
}

std::optional<RoleRecord> RoleStore::Find(const std::string& role) const {
  std::lock_guard lock(mu_);
  auto it = roles_.find(role);
  if (it == roles_.end()) return std::nullopt;
  return it->second.record;
}

std::vector<RoleRecord> RoleStore::All() const {
  std::lock_guard lock(mu_);
  std::vector<RoleRecord> out;
  out.reserve(roles_.size());
  for (const auto& [name, e] : roles_) out.push_back(e.record);
  return out;
}

bool RoleStore::empty() const {
  std::lock_guard lock(mu_);
  return roles_.empty();
}

Status RoleStore::Put(const RoleRecord& role) {
  const TableMetadata& rt = *roles_table_;
  std::lock_guard lock(mu_);
  int64_t ts = NextTimestamp();
  PartitionMutation m;
  m.table = roles_table_;
  m.partition_key = {role.name};
  RowMutation row;
  row.marker_timestamp = ts;
  auto cell = [&](std::string_view column, std::optional<std::string> value) {
    CellWrite w;
    w.column_id = Column(rt, column).id;
    w.value = std::move(value);
    w.timestamp = ts;
    row.cells.push_back(std::move(w));
  };
  cell("can_login", BoolBody(role.can_login));
  cell("is_superuser", BoolBody(role.is_superuser));
  cell("salted_hash",
       role.salted_hash.empty() ? std::nullopt : std::optional<std::string>(role.salted_hash));
  m.rows.push_back(std::move(row));
  PF_RETURN_IF_ERROR(storage_->Apply({m}));
  Entry& e = roles_[role.name];
  e.record = role;
  return Status::Ok();
}

Status RoleStore::Drop(const std::string& role) {
  std::lock_guard lock(mu_);
  int64_t ts = NextTimestamp();
  std::vector<PartitionMutation> mutations(2);
  mutations[0].table = roles_table_;
  mutations[1].table = permissions_table_;
  for (auto& m : mutations) {
    m.partition_key = {role};
    m.partition_deletion_timestamp = ts;
  }
  PF_RETURN_IF_ERROR(storage_->Apply(mutations));
  roles_.erase(role);
  return Status::Ok();
}

Status RoleStore::WritePermissions(const std::string& role, const DataResource& resource,
                                   PermissionSet permissions, bool grant) {
  std::lock_guard lock(mu_);
  auto it = roles_.find(role);
  if (it == roles_.end()) {
    return Status(StatusCode::kNotFound, fmt::format("Role {} doesn't exist", role));
  }
  int64_t ts = NextTimestamp();
  uint32_t column = Column(*permissions_table_, "permissions").id;
  PartitionMutation m;
  m.table = permissions_table_;
  m.partition_key = {role};
  RowMutation row;
  row.clustering = {resource.Name()};
  for (Permission p : Permissions(permissions)) {
    CellWrite w;
    w.column_id = column;
    w.path = std::string(PermissionName(p));  // a set<text> element: its UTF-8 bytes
    if (grant) w.value = std::string();
    w.timestamp = ts;
    row.cells.push_back(std::move(w));
  }
  if (row.cells.empty()) return Status::Ok();
  m.rows.push_back(std::move(row));
  PF_RETURN_IF_ERROR(storage_->Apply({m}));
  PermissionSet& set = it->second.grants[resource.Name()];
  set = grant ? (set | permissions) : (set & ~permissions);
  if (set == 0) it->second.grants.erase(resource.Name());
  return Status::Ok();
}

Status RoleStore::Grant(const std::string& role, const DataResource& resource,
                        PermissionSet permissions) {
  return WritePermissions(role, resource, permissions, true);
}

Status RoleStore::Revoke(const std::string& role, const DataResource& resource,
                         PermissionSet permissions) {
  return WritePermissions(role, resource, permissions, false);
}

Status RoleStore::RevokeAllOn(const DataResource& resource) {
  const std::string name = resource.Name();
  const std::string children = name + "/";
  std::lock_guard lock(mu_);
  int64_t ts = 0;
  std::vector<PartitionMutation> mutations;
  for (auto& [role, entry] : roles_) {
    PartitionMutation m;
    for (const auto& [granted_on, set] : entry.grants) {
      if (granted_on != name && granted_on.compare(0, children.size(), children) != 0) continue;
      if (ts == 0) ts = NextTimestamp();
      RowMutation row;
      row.clustering = {granted_on};
      row.deletion_timestamp = ts;
      m.rows.push_back(std::move(row));
    }
    if (m.rows.empty()) continue;
    m.table = permissions_table_;
    m.partition_key = {role};
    mutations.push_back(std::move(m));
  }
  if (mutations.empty()) return Status::Ok();
  PF_RETURN_IF_ERROR(storage_->Apply(mutations));
  for (const PartitionMutation& m : mutations) {
    auto& grants = roles_[m.partition_key[0]].grants;
    for (const RowMutation& row : m.rows) grants.erase(row.clustering[0]);
  }
  return Status::Ok();
}

PermissionSet RoleStore::Granted(const std::string& role, const DataResource& resource) const {
  std::lock_guard lock(mu_);
  auto it = roles_.find(role);
  if (it == roles_.end()) return 0;
  auto g = it->second.grants.find(resource.Name());
  return g == it->second.grants.end() ? 0 : g->second;
}

std::map<std::string, PermissionSet> RoleStore::GrantsOf(const std::string& role) const {
  std::lock_guard lock(mu_);
  auto it = roles_.find(role);
  if (it == roles_.end()) return {};
  return it->second.grants;
}

}  // namespace postfork::node::auth
