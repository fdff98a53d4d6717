// The node's data layer in one handle: storage, live schema and system keyspaces, wired together.
// This is what the query path holds.
#pragma once

#include <memory>

#include "node/db/connected_clients.h"
#include "node/db/node_identity.h"
#include "node/db/schema_store.h"
#include "node/storage/storage.h"
#include "postfork/base/status.h"

namespace postfork::node {

struct DatabaseOptions {
  StorageOptions storage;
  NodeIdentity identity;
};

class Database {
 public:
  // Opens RocksDB in options.storage.data_dir, loads the schema, sets up the system keyspaces
  // (system.local gets a host id and tokens persisted on first start). The same can be done by
  // hand: Storage::Open, then SchemaStore::Open(storage) (which serves the system tables).
  static Result<std::unique_ptr<Database>> Open(DatabaseOptions options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Storage& storage() { return *storage_; }
  SchemaStore& schema() { return *schema_; }
  // The client connections system_views.clients lists: the transport registers them here.
  ConnectedClients& clients() { return *clients_; }

 private:
  Database() = default;
  std::unique_ptr<ConnectedClients> clients_;  // before schema_: its system tables read it
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<SchemaStore> schema_;
};

}  // namespace postfork::node
