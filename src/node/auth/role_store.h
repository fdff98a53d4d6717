// Roles and their permissions, kept durably in the node's RocksDB as Cassandra lays them out:
// system_auth.roles (role, can_login, is_superuser, member_of, salted_hash) and
// system_auth.role_permissions (role, resource, permissions). Every row is also held in memory
// (loaded at Open; the store is the only writer: CQL writes to system_auth are refused), so
// lookups on the request path never touch the disk. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/auth/permission.h"
#include "node/db/schema.h"
#include "node/storage/storage.h"
#include "postfork/base/status.h"

namespace postfork::node::auth {

struct RoleRecord {
  std::string name;
  bool can_login = false;
  bool is_superuser = false;
  std::vector<std::string> member_of;  // read and kept; GRANT role TO role is not supported yet
  std::string salted_hash;             // bcrypt; empty: no password (cannot log in)
};

class RoleStore {
 public:
  // Reads every role and permission from `storage` (which must outlive the store). `schema`
  // supplies the system_auth tables' metadata.
  static Result<std::unique_ptr<RoleStore>> Open(Storage* storage, const SchemaSnapshot& schema);

  std::optional<RoleRecord> Find(const std::string& role) const;
  // Every role, ordered by name.
  std::vector<RoleRecord> All() const;
  bool empty() const;

  // Creates or replaces the role's row (its permissions are kept).
  Status Put(const RoleRecord& role);
  // Deletes the role and every permission granted to it.
  Status Drop(const std::string& role);

  // Adds / removes permissions of `role` on `resource`.
  Status Grant(const std::string& role, const DataResource& resource, PermissionSet permissions);
  Status Revoke(const std::string& role, const DataResource& resource, PermissionSet permissions);
  // Removes every grant on `resource` and on the resources below it, from every role: what a
  // DROP KEYSPACE or DROP TABLE does, so that a re-created table starts with no grants.
  Status RevokeAllOn(const DataResource& resource);
  // What `role` was granted on exactly `resource` (not its parents).
  PermissionSet Granted(const std::string& role, const DataResource& resource) const;
  // Every (resource name, permissions) granted to `role`, ordered by resource name.
  std::map<std::string, PermissionSet> GrantsOf(const std::string& role) const;

 private:
  struct Entry {
    RoleRecord record;
    std::map<std::string, PermissionSet> grants;  // by DataResource::Name()
  };
  RoleStore(Storage* storage, std::shared_ptr<const TableMetadata> roles,
            std::shared_ptr<const TableMetadata> permissions);
  Status Load();
  // A write timestamp strictly after the previous one (a DROP then CREATE of one role within a
  // microsecond must not be shadowed by its own tombstone). Called with mu_ held.
  int64_t NextTimestamp();
  Status WritePermissions(const std::string& role, const DataResource& resource,
                          PermissionSet permissions, bool grant);

  Storage* storage_;
  std::shared_ptr<const TableMetadata> roles_table_;
  std::shared_ptr<const TableMetadata> permissions_table_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> roles_;
  int64_t last_timestamp_ = 0;
};

}  // namespace postfork::node::auth
