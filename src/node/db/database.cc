#include "node/db/database.h"

namespace postfork::node {

Database::~Database() {
  schema_.reset();  // unregisters the system tables from the storage before it closes
  storage_.reset();
}

Result<std::unique_ptr<Database>> Database::Open(DatabaseOptions options) {
  std::unique_ptr<Database> db(new Database());
  db->clients_ = std::make_unique<ConnectedClients>();
  PF_ASSIGN_OR_RETURN(db->storage_, Storage::Open(std::move(options.storage)));
  PF_ASSIGN_OR_RETURN(db->schema_, SchemaStore::Open(db->storage_.get(), options.identity,
                                                     db->clients_.get()));
  return db;
}

}  // namespace postfork::node
