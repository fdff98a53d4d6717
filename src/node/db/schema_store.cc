// SchemaStore: validated DDL with Cassandra's errors, persisted in the node's metadata space.
#include "node/db/schema_store.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <set>

#include "node/cql_errors.h"
#include "node/db/local_node.h"
#include "node/db/node_identity.h"
#include "node/db/schema_codec.h"
#include "node/db/system_keyspaces.h"
#include "node/db/type_properties.h"
#include "node/storage/storage.h"
#include "postfork/base/ascii.h"

namespace postfork::node {
namespace {

constexpr size_t kNameLength = 48;  // SchemaConstants.NAME_LENGTH
constexpr uint32_t kFirstUserStorageId = 1000;

// Metadata keys (Storage::PutMeta space).
constexpr std::string_view kKeyspaceKeyPrefix = "schema/keyspace/";
constexpr std::string_view kTableKeyPrefix = "schema/table/";
constexpr std::string_view kTypeKeyPrefix = "schema/type/";
constexpr std::string_view kNextStorageIdKey = "schema/next_storage_id";
constexpr std::string_view kEpochKey = "schema/epoch";

Status NotUserModifiable(std::string_view keyspace) {
  return Unauthorized(std::string(keyspace) + " keyspace is not user-modifiable.");
}
Status KeyspaceMissing(std::string_view keyspace) {
  return InvalidRequest("Keyspace '" + std::string(keyspace) + "' doesn't exist");
}
Status TableMissing(std::string_view keyspace, std::string_view table) {
  return InvalidRequest("Table '" + std::string(keyspace) + "." + std::string(table) +
                        "' doesn't exist");
}

// SchemaConstants.isValidCharsName: not empty, word characters only.
bool ValidChars(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool ValidName(std::string_view name) { return ValidChars(name) && name.size() <= kNameLength; }

// SchemaConstants.TABLE_NAME_LENGTH: a table's directory name (name, '-', 32 hex digits of its
// id) must fit in 255 characters.
constexpr size_t kTableNameLength = 255 - 32 - 1;

std::string TableKey(std::string_view ks, std::string_view table) {
  return std::string(kTableKeyPrefix) + std::string(ks) + "/" + std::string(table);
}
std::string TypeKey(std::string_view ks, std::string_view type) {
  return std::string(kTypeKeyPrefix) + std::string(ks) + "/" + std::string(type);
}
std::string KeyspaceKey(std::string_view ks) {
  return std::string(kKeyspaceKeyPrefix) + std::string(ks);
}

// A user type's shape as a frozen tuple (Cassandra records dropped user-type columns so, since
// the type itself may be dropped later).
cql::DataType UdtsAsTuples(const cql::DataType& t) {
  switch (t.kind()) {
    case cql::TypeKind::kList:
      return cql::DataType::List(UdtsAsTuples(t.params()[0]), t.is_frozen());
    case cql::TypeKind::kSet:
      return cql::DataType::Set(UdtsAsTuples(t.params()[0]), t.is_frozen());
    case cql::TypeKind::kMap:
      return cql::DataType::Map(UdtsAsTuples(t.params()[0]), UdtsAsTuples(t.params()[1]),
                                t.is_frozen());
    case cql::TypeKind::kTuple:
    case cql::TypeKind::kUdt: {
      std::vector<cql::DataType> elements;
      for (const auto& p : t.params()) elements.push_back(UdtsAsTuples(p));
      return cql::DataType::Tuple(std::move(elements));
    }
    default:
      return t;
  }
}

// Whether `t` mentions the user type `name` at any depth.
bool UsesType(const cql::DataType& t, std::string_view name) {
  if (t.kind() == cql::TypeKind::kUdt && t.udt_name() == name) return true;
  for (const auto& p : t.params()) {
    if (UsesType(p, name)) return true;
  }
  return false;
}

// The names of the table's indexes on column `column_id`, joined by `separator`.
std::string DependentIndexes(const TableMetadata& table, uint32_t column_id,
                             std::string_view separator) {
  std::string out;
  for (const auto& index : table.indexes) {
    if (index.column_id == column_id)
      out += (out.empty() ? "" : std::string(separator)) + index.name;
  }
  return out;
}

// CreateTableStatement.validateCompactTable: what a COMPACT STORAGE table refuses, in Cassandra's
// order. `key_columns` names the primary key columns.
Status CheckCompactTable(const TableDefinition& def, const std::set<std::string>& key_columns) {
  std::vector<const ColumnDefinition*> others;  // by name, as Cassandra's TreeMap orders them
  for (const ColumnDefinition& c : def.columns) {
    if (!key_columns.count(c.name)) others.push_back(&c);
  }
  std::sort(others.begin(), others.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  for (const auto* c : others) {
    if (IsMultiCell(c->type)) {
      return InvalidRequest("Non-frozen collections and UDTs are not supported with COMPACT STORAGE");
    }
  }
  for (const auto* c : others) {
    if (c->is_static) {
      return InvalidRequest("Static columns are not supported in COMPACT STORAGE tables");
    }
  }
  if (def.clustering_key.empty()) {
    if (others.empty()) return InvalidRequest("No definition found that is not part of the PRIMARY KEY");
  } else if (others.size() > 1) {
    std::string names;
    for (const auto* c : others) names += (names.empty() ? "" : ", ") + c->name;
    return InvalidRequest(
        "COMPACT STORAGE with composite PRIMARY KEY allows no more than one column not part of "
        "the PRIMARY KEY (got: " +
        names + ")");
  }
  return Status::Ok();
}

// CreateTableStatement.fixupCompactTable: the shape and the hidden columns' names (DefaultNames:
// the first of column1, column2, ... and of value, value1, ... that no column has).
CompactStorage CompactShape(const TableDefinition& def, bool has_counter) {
  std::set<std::string> used;
  for (const ColumnDefinition& c : def.columns) used.insert(c.name);
  auto first_free = [&used](std::string_view base, int index) {
    for (;; ++index) {
      std::string candidate(base);
      if (index > 0) candidate += std::to_string(index);
      if (used.insert(candidate).second) return candidate;
    }
  };
  CompactStorage out;
  if (def.clustering_key.empty()) {
    out.shape = CompactStorage::Shape::kStatic;
    out.hidden_clustering = first_free("column", 1);
    out.hidden_value = first_free("value", 0);
    out.hidden_value_type = has_counter ? "counter" : "blob";
  } else {
    out.shape = CompactStorage::Shape::kDense;
    if (def.columns.size() == def.partition_key.size() + def.clustering_key.size()) {
      out.hidden_value = first_free("value", 0);
      out.hidden_value_type = "empty";
    }
  }
  return out;
}

// Checks a column type for a primary key column (Cassandra: CreateTableStatement, in its order).
Status CheckKeyColumnType(const ColumnDefinition& c) {
  const cql::DataType& t = c.type;
  if (t.is_collection() && !t.is_frozen()) {
    return InvalidRequest(fmt::format(
        "Invalid non-frozen collection type {} for PRIMARY KEY column '{}'", t.ToCql(), c.name));
  }
  if (t.kind() == cql::TypeKind::kUdt && !t.is_frozen()) {
    return InvalidRequest(
        fmt::format("Invalid non-frozen user-defined type \"{}.{}\" for PRIMARY KEY column '{}'",
                    t.udt_keyspace(), t.udt_name(), c.name));
  }
  if (t.kind() == cql::TypeKind::kCounter) {
    return InvalidRequest("counter type is not supported for PRIMARY KEY column '" + c.name + "'");
  }
  if (ReferencesDuration(t)) {
    return InvalidRequest("duration type is not supported for PRIMARY KEY column '" + c.name + "'");
  }
  return Status::Ok();
}

// Counters may not be nested in collections, nor durations be set elements or map keys (they
// have no order), at any depth (CQL3Type.Raw.RawCollection.prepare, in its order: values, then
// keys). Whether a nested type was written frozen is checked on the CQL text
// (cql3/statements/schema_statement.cc): descriptors hold every nested type frozen.
Status CheckNestedTypes(const cql::DataType& t) {
  using K = cql::TypeKind;
  if (t.is_collection()) {
    const cql::DataType& values = t.params().back();
    if (values.kind() == K::kCounter) {
      return InvalidRequest("Counters are not allowed inside collections: " + t.ToCql());
    }
    if (values.kind() == K::kDuration && t.kind() == K::kSet) {
      return InvalidRequest("Durations are not allowed inside sets: " + t.ToCql());
    }
    if (t.kind() == K::kMap) {
      const cql::DataType& keys = t.params()[0];
      if (keys.kind() == K::kCounter) {
        return InvalidRequest("Counters are not allowed inside collections: " + t.ToCql());
      }
      if (keys.kind() == K::kDuration) {
        return InvalidRequest("Durations are not allowed as map keys: " + t.ToCql());
      }
    }
  }
  if (t.kind() == K::kUdt) return Status::Ok();  // its fields were checked at CREATE TYPE
  for (const auto& p : t.params()) PF_RETURN_IF_ERROR(CheckNestedTypes(p));
  return Status::Ok();
}

// Whether `t` is a non-frozen user type of `ks` with a field declared a non-frozen collection,
// which Cassandra keeps in the type but refuses for a non-frozen column.
bool IsNonFrozenUdtOfMultiCellField(const KeyspaceMetadata& ks, const cql::DataType& t) {
  if (t.kind() != cql::TypeKind::kUdt || t.is_frozen()) return false;
  const UserTypeMetadata* type = ks.FindType(t.udt_name());
  if (type == nullptr) return false;
  for (const std::string& field : type->declared_field_types) {
    if (field.starts_with("list<") || field.starts_with("set<") || field.starts_with("map<")) {
      return true;
    }
  }
  return false;
}

Status TypeMissing(std::string_view keyspace, std::string_view name) {
  return InvalidRequest("Type '" + std::string(keyspace) + "." + std::string(name) +
                        "' doesn't exist");
}

}  // namespace

// ---- the store --------------------------------------------------------------------------------

struct SchemaStore::Impl {
  Storage* storage = nullptr;
  NodeIdentity identity;
  LocalNodeState local_node;
  std::vector<std::shared_ptr<const KeyspaceMetadata>> system_keyspaces;
  std::unique_ptr<SystemTables> system_tables;

  std::mutex ddl_mu;  // serializes DDL; guards the fields below
  std::map<std::string, std::shared_ptr<const KeyspaceMetadata>> user_keyspaces;
  // Every persisted schema value by key: what schema_version digests.
  std::map<std::string, std::string> persisted;
  uint32_t next_storage_id = kFirstUserStorageId;
  uint64_t epoch = 0;

  mutable std::mutex snapshot_mu;
  std::shared_ptr<const SchemaSnapshot> snapshot;

  std::mutex listeners_mu;
  std::vector<SchemaChangeListener> listeners;

  std::shared_ptr<const SchemaSnapshot> Snapshot() const {
    std::lock_guard lock(snapshot_mu);
    return snapshot;
  }

  // schema_version: an MD5 (as a version 3 UUID) of the persisted schema and the DDL epoch, so
  // it is stable across restarts and changes with every DDL.
  cql::Uuid Version() const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
    for (const auto& [k, v] : persisted) {
      EVP_DigestUpdate(ctx, k.data(), k.size());
      EVP_DigestUpdate(ctx, v.data(), v.size());
    }
    EVP_DigestUpdate(ctx, &epoch, sizeof(epoch));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, digest, &len);
    EVP_MD_CTX_free(ctx);
    cql::Uuid id;
    std::memcpy(id.bytes.data(), digest, 16);
    id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0F) | 0x30);
    id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3F) | 0x80);
    return id;
  }

  void Publish() {
    auto snap = std::make_shared<SchemaSnapshot>();
    for (const auto& ks : system_keyspaces) snap->keyspaces[ks->name] = ks;
    for (const auto& [name, ks] : user_keyspaces) snap->keyspaces[name] = ks;
    snap->schema_version = Version();
    std::lock_guard lock(snapshot_mu);
    snapshot = std::move(snap);
  }

  // Persists `writes` (with the new epoch) atomically, then mirrors them in `persisted`.
  Status Persist(std::vector<Storage::MetaWrite> writes) {
    uint64_t new_epoch = epoch + 1;
    writes.push_back({std::string(kEpochKey), std::to_string(new_epoch)});
    writes.push_back({std::string(kNextStorageIdKey), std::to_string(next_storage_id)});
    PF_RETURN_IF_ERROR(storage->WriteMeta(writes));
    epoch = new_epoch;
    for (auto& w : writes) {
      if (w.key == kEpochKey || w.key == kNextStorageIdKey) continue;
      if (w.value) {
        persisted[w.key] = std::move(*w.value);
      } else {
        persisted.erase(w.key);
      }
    }
    return Status::Ok();
  }

  void Notify(const cql::SchemaChange& change) {
    std::vector<SchemaChangeListener> copy;
    {
      std::lock_guard lock(listeners_mu);
      copy = listeners;
    }
    for (const auto& l : copy) l(change);
  }

  // Every record is decoded and checked; the first that fails is reported with its key.
  Status Load() {
    PF_ASSIGN_OR_RETURN(auto keyspaces, storage->ScanMeta(kKeyspaceKeyPrefix));
    std::map<std::string, std::shared_ptr<KeyspaceMetadata>> loaded;
    for (auto& [key, value] : keyspaces) {
      auto ks = DecodeKeyspace(value);
      if (!ks.ok()) return InRecord(key, ks.error());
      if (key.substr(kKeyspaceKeyPrefix.size()) != ks->name) {
        return InRecord(key, CorruptSchema("holds keyspace " + ks->name));
      }
      std::string name = ks->name;  // named first: the right-hand side is evaluated first
      loaded[name] = std::make_shared<KeyspaceMetadata>(std::move(*ks));
      persisted[key] = std::move(value);
    }
    PF_ASSIGN_OR_RETURN(auto types, storage->ScanMeta(kTypeKeyPrefix));
    std::map<std::string, std::map<std::string, StoredType>> stored_types;
    std::map<std::string, std::string> type_keys;  // keyspace -> a key of one of its types
    for (auto& [key, value] : types) {
      auto t = DecodeType(value);
      if (!t.ok()) return InRecord(key, t.error());
      if (!loaded.count(t->keyspace))
        return InRecord(key, CorruptSchema("type without its keyspace"));
      std::string ks = t->keyspace, name = t->name;
      stored_types[ks][name] = std::move(*t);
      type_keys[ks] = key;
      persisted[key] = std::move(value);
    }
    for (auto& [ks, stored] : stored_types) {
      auto resolved = ResolveTypes(ks, stored);
      if (!resolved.ok()) return InRecord(type_keys[ks], resolved.error());
      loaded[ks]->types = std::move(*resolved);
    }
    PF_ASSIGN_OR_RETURN(auto tables, storage->ScanMeta(kTableKeyPrefix));
    for (auto& [key, value] : tables) {
      std::string_view rest = std::string_view(key).substr(kTableKeyPrefix.size());
      auto ks = loaded.find(std::string(rest.substr(0, rest.find('/'))));
      if (ks == loaded.end()) return InRecord(key, CorruptSchema("table without its keyspace"));
      KeyspaceTypeResolver resolver(ks->second.get());
      auto t = DecodeTable(value, &resolver);
      if (!t.ok()) return InRecord(key, t.error());
      if (t->keyspace != ks->first)
        return InRecord(key, CorruptSchema("holds keyspace " + t->keyspace));
      next_storage_id = std::max(next_storage_id, t->storage_id + 1);
      for (const auto& index : t->indexes) {
        next_storage_id = std::max(next_storage_id, index.storage_id + 1);
      }
      std::string name = t->name;
      ks->second->tables[name] = std::make_shared<TableMetadata>(std::move(*t));
      persisted[key] = std::move(value);
    }
    for (auto& [name, ks] : loaded) user_keyspaces[name] = ks;
    PF_ASSIGN_OR_RETURN(auto next, storage->GetMeta(kNextStorageIdKey));
    if (next) {
      auto id = ParseUnsigned<uint32_t>(*next);
      if (!id)
        return InRecord(kNextStorageIdKey, CorruptSchema("not a storage id: " + Printable(*next)));
      next_storage_id = std::max(next_storage_id, *id);
    }
    PF_ASSIGN_OR_RETURN(auto stored_epoch, storage->GetMeta(kEpochKey));
    if (stored_epoch) {
      auto e = ParseUnsigned<uint64_t>(*stored_epoch);
      if (!e)
        return InRecord(kEpochKey, CorruptSchema("not an epoch: " + Printable(*stored_epoch)));
      epoch = *e;
    }
    return Status::Ok();
  }

  std::shared_ptr<const KeyspaceMetadata> UserKeyspace(std::string_view name) const {
    auto it = user_keyspaces.find(std::string(name));
    return it == user_keyspaces.end() ? nullptr : it->second;
  }

  // Replaces the keyspace's user types with `stored` (resolved) and re-resolves every table's
  // column types against them, so ALTER TYPE reaches the columns and types that use the type.
  // Nothing is persisted here.
  Status ReplaceTypes(const std::string& keyspace,
                      const std::map<std::string, StoredType>& stored) {
    auto ks = std::make_shared<KeyspaceMetadata>(*user_keyspaces[keyspace]);
    PF_ASSIGN_OR_RETURN(ks->types, ResolveTypes(keyspace, stored));
    KeyspaceTypeResolver resolver(ks.get());
    for (auto& [name, table] : ks->tables) {
      bool uses_types = false;
      for (const auto& c : table->columns) {
        uses_types = uses_types || c.type.kind() == cql::TypeKind::kUdt || !c.type.params().empty();
      }
      if (!uses_types) continue;
      auto copy = std::make_shared<TableMetadata>(*table);
      for (auto& c : copy->columns) {
        auto type = cql::DataType::Parse(c.type.ToCql(), &resolver, keyspace);
        if (!type.ok()) return type.error();
        c.type = std::move(*type);
      }
      table = std::move(copy);
    }
    user_keyspaces[keyspace] = std::move(ks);
    return Status::Ok();
  }

  // Persists `write` and publishes the keyspace's types as `all` (checked to resolve first: a
  // field may name a type dropped since the statement was prepared).
  Status CommitTypes(const std::string& keyspace, const std::map<std::string, StoredType>& all,
                     Storage::MetaWrite write) {
    PF_RETURN_IF_ERROR(ResolveTypes(keyspace, all).status());
    PF_RETURN_IF_ERROR(Persist({std::move(write)}));
    PF_RETURN_IF_ERROR(ReplaceTypes(keyspace, all));
    Publish();
    return Status::Ok();
  }

  // Runs one DDL under the DDL lock; listeners hear of a change after the lock is released.
  template <class Fn>
  Result<std::optional<cql::SchemaChange>> RunDdl(Fn&& fn) {
    std::optional<cql::SchemaChange> change;
    {
      std::lock_guard lock(ddl_mu);
      PF_ASSIGN_OR_RETURN(change, fn());
    }
    if (change) Notify(*change);
    return change;
  }

  std::map<std::string, StoredType> StoredTypes(const KeyspaceMetadata& ks) const {
    std::map<std::string, StoredType> out;
    for (const auto& [name, t] : ks.types) out[name] = ToStoredType(*t);
    return out;
  }

  // Replaces (or with nullptr removes) one table in its keyspace's copy.
  void PutTable(const std::string& keyspace, const std::string& table,
                std::shared_ptr<const TableMetadata> metadata) {
    auto ks = std::make_shared<KeyspaceMetadata>(*user_keyspaces[keyspace]);
    if (metadata) {
      ks->tables[table] = std::move(metadata);
    } else {
      ks->tables.erase(table);
    }
    user_keyspaces[keyspace] = std::move(ks);
  }
};

SchemaStore::SchemaStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SchemaStore::~SchemaStore() {
  if (impl_ && impl_->storage) impl_->storage->SetVirtualTableSource(nullptr);
}

Result<std::unique_ptr<SchemaStore>> SchemaStore::Open(Storage* storage,
                                                       const NodeIdentity& identity,
                                                       const ConnectedClients* clients) {
  auto impl = std::make_unique<Impl>();
  impl->storage = storage;
  impl->identity = identity;
  impl->system_keyspaces = SystemKeyspaceMetadata();
  PF_RETURN_IF_ERROR(impl->Load());
  PF_ASSIGN_OR_RETURN(LocalNodeState local, LoadLocalNodeState(storage, identity));
  impl->local_node = local;
  impl->Publish();
  Impl* raw = impl.get();
  impl->system_tables =
      std::make_unique<SystemTables>(identity, std::move(local), [raw] { return raw->Snapshot(); },
                                     clients, storage);
  storage->SetVirtualTableSource(impl->system_tables.get());
  return std::unique_ptr<SchemaStore>(new SchemaStore(std::move(impl)));
}

std::shared_ptr<const SchemaSnapshot> SchemaStore::snapshot() const { return impl_->Snapshot(); }

const NodeIdentity& SchemaStore::identity() const { return impl_->identity; }

const LocalNodeState& SchemaStore::local_node() const { return impl_->local_node; }

void SchemaStore::AddListener(SchemaChangeListener listener) {
  std::lock_guard lock(impl_->listeners_mu);
  impl_->listeners.push_back(std::move(listener));
}

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateKeyspace(const KeyspaceDefinition& def,
                                                                     bool if_not_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (!ValidName(def.name)) {
      return InvalidRequest(
          "Keyspace name must not be empty, more than 48 characters long, or contain "
          "non-alphanumeric-underscore characters (got \"" +
          def.name + "\")");
    }
    if (IsSystemKeyspace(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>();
      return InvalidRequest("System keyspace '" + def.name + "' is not user-modifiable");
    }
    if (impl_->UserKeyspace(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>();
      return AlreadyExists("Cannot add existing keyspace \"" + def.name + "\"");
    }
    PF_ASSIGN_OR_RETURN(auto replication,
                        ValidateReplication(def.name, def.replication, impl_->identity));
    auto ks = std::make_shared<KeyspaceMetadata>();
    ks->name = def.name;
    ks->durable_writes = def.durable_writes.value_or(true);
    ks->replication = std::move(replication);
    PF_RETURN_IF_ERROR(impl_->Persist({{KeyspaceKey(ks->name), EncodeKeyspace(*ks)}}));
    impl_->user_keyspaces[ks->name] = ks;
    impl_->Publish();
    return std::optional<cql::SchemaChange>(cql::SchemaChange{
        cql::SchemaChangeType::kCreated, cql::SchemaChangeTarget::kKeyspace, def.name, "", {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::AlterKeyspace(const KeyspaceDefinition& def,
                                                                    bool if_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.name)) return NotUserModifiable(def.name);
    auto existing = impl_->UserKeyspace(def.name);
    if (!existing) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return KeyspaceMissing(def.name);
    }
    auto ks = std::make_shared<KeyspaceMetadata>(*existing);
    if (!def.replication.empty()) {
      PF_ASSIGN_OR_RETURN(ks->replication,
                          ValidateReplication(def.name, def.replication, impl_->identity));
    }
    if (def.durable_writes) ks->durable_writes = *def.durable_writes;
    PF_RETURN_IF_ERROR(impl_->Persist({{KeyspaceKey(ks->name), EncodeKeyspace(*ks)}}));
    impl_->user_keyspaces[ks->name] = ks;
    impl_->Publish();
    return std::optional<cql::SchemaChange>(cql::SchemaChange{
        cql::SchemaChangeType::kUpdated, cql::SchemaChangeTarget::kKeyspace, def.name, "", {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropKeyspace(std::string_view keyspace,
                                                                   bool if_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto existing = impl_->UserKeyspace(keyspace);
    if (!existing) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return KeyspaceMissing(keyspace);
    }
    std::vector<Storage::MetaWrite> writes = {{KeyspaceKey(keyspace), std::nullopt}};
    for (const auto& [name, t] : existing->tables) {
      writes.push_back({TableKey(keyspace, name), std::nullopt});
    }
    for (const auto& [name, t] : existing->types) {
      writes.push_back({TypeKey(keyspace, name), std::nullopt});
    }
    PF_RETURN_IF_ERROR(impl_->Persist(std::move(writes)));
    impl_->user_keyspaces.erase(std::string(keyspace));
    impl_->Publish();
    // The schema no longer names these tables; their data can go (a failure leaves invisible
    // rows under a storage id that is never reused).
    for (const auto& [name, t] : existing->tables) {
      Status s = impl_->storage->DropTableData(t->storage_id);
      for (const auto& index : t->indexes) s = impl_->storage->DropTableData(index.storage_id);
      (void)s;
    }
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kDropped,
                                                              cql::SchemaChangeTarget::kKeyspace,
                                                              std::string(keyspace),
                                                              "",
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateTable(const TableDefinition& def,
                                                                  bool if_not_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    // TableMetadata.validateTableName, with its "ks.table: " prefix.
    if (!ValidChars(def.name)) {
      return ConfigError(fmt::format(
          "{}.{}: Table name must not be empty or not contain non-alphanumeric-underscore "
          "characters (got \"{}\")",
          def.keyspace, def.name, def.name));
    }
    if (def.name.size() > kTableNameLength) {
      return ConfigError(fmt::format(
          "{}.{}: Table name must not be more than {} characters long (got {} characters for "
          "\"{}\")",
          def.keyspace, def.name, kTableNameLength, def.name.size(), def.name));
    }
    if (ks->FindTable(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>();
      return AlreadyExists("Cannot add already existing table \"" + def.name + "\" to keyspace \"" +
                           def.keyspace + "\"");
    }
    if (def.partition_key.empty()) {
      return InvalidRequest("No PRIMARY KEY specifed for table '" + def.name +
                            "' (exactly one required)");
    }

    auto table = std::make_shared<TableMetadata>();
    table->keyspace = def.keyspace;
    table->name = def.name;
    table->id = RandomUuid();
    std::map<std::string, const ColumnDefinition*> by_name;
    bool has_counter = false, has_non_counter = false;
    for (const ColumnDefinition& c : def.columns) {
      PF_RETURN_IF_ERROR(CheckNestedTypes(c.type));
      if (IsNonFrozenUdtOfMultiCellField(*ks, c.type)) {
        return InvalidRequest(
            "Non-frozen UDTs with nested non-frozen collections are not supported");
      }
      if (!by_name.emplace(c.name, &c).second) {
        return InvalidRequest("Duplicate column '" + c.name + "' declaration for table '" +
                              def.name + "'");
      }
    }
    std::set<std::string> key_columns;
    auto add_key = [&](const std::string& name, ColumnKind kind, int position) -> Status {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        return InvalidRequest("Unknown column '" + name +
                              "' referenced in PRIMARY KEY for table '" + def.name + "'");
      }
      if (!key_columns.insert(name).second) {
        return InvalidRequest("Duplicate column '" + name + "' in PRIMARY KEY clause for table '" +
                              def.name + "'");
      }
      if (it->second->is_static) {
        return InvalidRequest("Static column '" + name + "' cannot be part of the PRIMARY KEY");
      }
      PF_RETURN_IF_ERROR(CheckKeyColumnType(*it->second));
      ColumnMetadata c;
      c.name = name;
      c.type = it->second->type;
      c.kind = kind;
      c.position = position;
      c.order = kind == ColumnKind::kClustering ? ClusteringOrder::kAsc : ClusteringOrder::kNone;
      table->columns.push_back(std::move(c));
      return Status::Ok();
    };
    for (size_t i = 0; i < def.partition_key.size(); ++i) {
      PF_RETURN_IF_ERROR(
          add_key(def.partition_key[i], ColumnKind::kPartitionKey, static_cast<int>(i)));
    }
    for (size_t i = 0; i < def.clustering_key.size(); ++i) {
      PF_RETURN_IF_ERROR(
          add_key(def.clustering_key[i], ColumnKind::kClustering, static_cast<int>(i)));
    }
    // CLUSTERING ORDER BY, checked as Cassandra's CreateTableStatement does: no column twice,
    // only clustering columns, then a prefix of the clustering key in key order.
    std::set<std::string> ordered;
    std::vector<std::string> not_clustering;
    for (const auto& [name, descending] : def.clustering_order) {
      if (!ordered.insert(name).second) {
        return InvalidRequest("Duplicate column '" + name +
                              "' in CLUSTERING ORDER BY clause for table '" + def.name + "'");
      }
      if (std::find(def.clustering_key.begin(), def.clustering_key.end(), name) ==
          def.clustering_key.end()) {
        not_clustering.push_back(name);
      }
    }
    if (!not_clustering.empty()) {
      std::string names;
      for (const auto& n : not_clustering) names += (names.empty() ? "" : ", ") + n;
      return InvalidRequest(
          "Only clustering key columns can be defined in CLUSTERING ORDER directive: [" + names +
          "] are not clustering columns");
    }
    for (size_t i = 0; i < def.clustering_order.size(); ++i) {
      const auto& [name, descending] = def.clustering_order[i];
      const std::string& expected = def.clustering_key[i];
      if (name != expected) {
        if (ordered.count(expected)) {
          return InvalidRequest(
              "The order of columns in the CLUSTERING ORDER directive must match that of the "
              "clustering columns (" +
              expected + " must appear before " + name + ")");
        }
        return InvalidRequest("Missing CLUSTERING ORDER for column " + expected);
      }
      for (auto& c : table->columns) {
        if (c.name == name) c.order = descending ? ClusteringOrder::kDesc : ClusteringOrder::kAsc;
      }
    }
    if (def.compact_storage) {
      PF_RETURN_IF_ERROR(CheckCompactTable(def, key_columns));
    }
    for (const ColumnDefinition& c : def.columns) {
      if (c.type.kind() == cql::TypeKind::kCounter) {
        has_counter = true;
      } else if (!key_columns.count(c.name)) {
        has_non_counter = true;
      }
      if (key_columns.count(c.name)) continue;
      if (c.is_static && def.clustering_key.empty()) {
        return InvalidRequest(
            "Static columns are only useful (and thus allowed) if the table has at least one "
            "clustering column");
      }
      ColumnMetadata m;
      m.name = c.name;
      m.type = c.type;
      m.kind = c.is_static ? ColumnKind::kStatic : ColumnKind::kRegular;
      table->columns.push_back(std::move(m));
    }
    if (has_counter && has_non_counter) {
      return InvalidRequest("Cannot mix counter and non counter columns in the same table");
    }
    if (has_counter && !def.options.empty()) {
      if (auto ttl = def.options.find("default_time_to_live");
          ttl != def.options.end() && ttl->second.text != "0") {
        return InvalidRequest("Cannot set default_time_to_live on a table with counters");
      }
    }
    std::optional<cql::Uuid> requested_id;
    PF_RETURN_IF_ERROR(ApplyTableOptions(def.options, TableOptionsContext::kCreate, &table->params,
                                         &requested_id));
    if (requested_id) table->id = *requested_id;
    if (def.compact_storage) table->compact = CompactShape(def, has_counter);
    // Ids in declaration order (key columns first), then SELECT * order.
    uint32_t id = 0;
    for (auto& c : table->columns) c.id = id++;
    table->Finish();
    table->storage_id = impl_->next_storage_id++;
    table->key_format = kNewTableKeyFormat;

    Status persisted = impl_->Persist({{TableKey(def.keyspace, def.name), EncodeTable(*table)}});
    if (!persisted.ok()) {
      --impl_->next_storage_id;
      return persisted;
    }
    impl_->PutTable(def.keyspace, def.name, table);
    impl_->Publish();
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kCreated,
                                                              cql::SchemaChangeTarget::kTable,
                                                              def.keyspace,
                                                              def.name,
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::AlterTable(const AlterTableDefinition& def) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    auto it = ks->tables.find(def.name);
    if (it == ks->tables.end()) {
      if (def.if_exists) return std::optional<cql::SchemaChange>();
      return TableMissing(def.keyspace, def.name);
    }
    auto table = std::make_shared<TableMetadata>(*it->second);
    std::string qualified = def.keyspace + "." + def.name;
    switch (def.kind) {
      case AlterTableDefinition::Kind::kDropCompactStorage:
        return InvalidRequest("DROP COMPACT STORAGE is disabled. Enable in cassandra.yaml to use.");
      case AlterTableDefinition::Kind::kAddColumns:
        if (table->is_compact()) {
          return InvalidRequest("Cannot add new column to a COMPACT STORAGE table");
        }
        for (const ColumnDefinition& c : def.add) {
          PF_RETURN_IF_ERROR(CheckNestedTypes(c.type));
          if (table->FindColumn(c.name)) {
            if (def.if_column_exists) continue;
            return InvalidRequest("Column with name '" + c.name + "' already exists");
          }
          if (c.is_static && table->clustering_count == 0) {
            return InvalidRequest(
                "Static columns are only useful (and thus allowed) if the table has at least one "
                "clustering column");
          }
          if (IsNonFrozenUdtOfMultiCellField(*ks, c.type)) {
            return InvalidRequest(
                "Non-frozen UDTs with nested non-frozen collections are not supported for column " +
                c.name);
          }
          std::optional<uint32_t> dropped_id;
          for (const auto& d : table->dropped_columns) {
            if (d.name != c.name) continue;
            if (!SerializationCompatible(c.type, d.type)) {
              return InvalidRequest(fmt::format(
                  "Cannot add a column '{}' of type {}, incompatible with previously dropped "
                  "column '{}' of type {}",
                  c.name, c.type.ToCql(), c.name, d.type.ToCql()));
            }
            bool dropped_static = d.kind == ColumnKind::kStatic;
            if (dropped_static != c.is_static) {
              return InvalidRequest(fmt::format(
                  "Cannot re-add previously dropped column '{}' of kind {}, incompatible with "
                  "previous kind {}",
                  c.name, c.is_static ? "STATIC" : "REGULAR",
                  dropped_static ? "STATIC" : "REGULAR"));
            }
            bool counter = d.type.kind() == cql::TypeKind::kCounter;
            for (const auto& existing : table->columns) {
              counter |= existing.type.kind() == cql::TypeKind::kCounter;
            }
            if (counter) {
              return InvalidRequest("Cannot re-add previously dropped counter column " + c.name);
            }
            dropped_id = d.column_id;
          }
          bool counter_table = false;
          for (const auto& existing : table->columns) {
            if (!existing.is_primary_key()) {
              counter_table = existing.type.kind() == cql::TypeKind::kCounter;
              break;
            }
          }
          bool is_counter = c.type.kind() == cql::TypeKind::kCounter;
          if (is_counter != counter_table) {
            // Cassandra's TableMetadata.validate, after the change.
            return ConfigError(fmt::format("{}: Cannot have a {} column (\"{}\") in a {} table",
                                           qualified, is_counter ? "counter" : "non counter",
                                           c.name, counter_table ? "counter" : "non counter"));
          }
          ColumnMetadata m;
          m.name = c.name;
          m.type = c.type;
          m.kind = c.is_static ? ColumnKind::kStatic : ColumnKind::kRegular;
          // The dropped column's id: its cells written after the drop are the new column's.
          m.id = dropped_id ? *dropped_id : table->next_column_id++;
          table->columns.push_back(std::move(m));
        }
        break;
      case AlterTableDefinition::Kind::kDropColumns:
        for (const std::string& name : def.drop) {
          const ColumnMetadata* c = table->FindColumn(name);
          if (c == nullptr) {
            if (def.if_column_exists) continue;
            return InvalidRequest("Column " + name + " was not found in table '" + qualified + "'");
          }
          if (c->is_primary_key()) {
            return InvalidRequest("Cannot drop PRIMARY KEY column " + name);
          }
          if (c == table->CompactValueColumn()) {
            // Cassandra 5.0 fails this way (its dense table would be left with no regular
            // column) and keeps the table as it was.
            return CqlError(cql::ErrorCode::kServerError,
                            "java.lang.IndexOutOfBoundsException: 0 not in range [0..0)");
          }
          std::string dependent = DependentIndexes(*table, c->id, ",");
          if (!dependent.empty()) {
            return InvalidRequest("Cannot drop column " + name +
                                  " because it has dependent secondary indexes (" + dependent +
                                  ")");
          }
          TableMetadata::DroppedColumn d;
          d.name = c->name;
          d.type = UdtsAsTuples(c->type);
          d.kind = c->kind;
          d.dropped_time_micros = def.drop_timestamp.value_or(impl_->storage->NowMicros());
          d.column_id = c->id;
          d.hidden_through_micros = d.dropped_time_micros;
          for (const auto& earlier : table->dropped_columns) {
            if (earlier.name == name && earlier.column_id == d.column_id) {
              d.hidden_through_micros =
                  std::max(d.hidden_through_micros, earlier.hidden_through_micros);
            }
          }
          std::erase_if(table->dropped_columns,
                        [&](const TableMetadata::DroppedColumn& x) { return x.name == name; });
          table->dropped_columns.push_back(std::move(d));
          std::erase_if(table->columns, [&](const ColumnMetadata& x) { return x.name == name; });
        }
        break;
      case AlterTableDefinition::Kind::kOptions:
        PF_RETURN_IF_ERROR(
            ApplyTableOptions(def.options, TableOptionsContext::kAlter, &table->params));
        break;
      case AlterTableDefinition::Kind::kRename:
        // Cassandra 5.0 reads the column before it consults IF EXISTS: an unknown column is an
        // error either way.
        for (const auto& [from, to] : def.renames) {
          ColumnMetadata* c = nullptr;
          for (auto& x : table->columns) {
            if (x.name == from) c = &x;
          }
          if (c == nullptr) {
            return UndefinedColumn(from, def.keyspace, def.name);
          }
          if (!c->is_primary_key()) {
            return InvalidRequest("Cannot rename non PRIMARY KEY column " + from);
          }
          if (table->FindColumn(to) || to == table->compact.hidden_clustering ||
              to == table->compact.hidden_value) {
            return InvalidRequest("Cannot rename column " + from + " to " + to + " in table '" +
                                  qualified + "'; another column with that name already exists");
          }
          std::string dependent = DependentIndexes(*table, c->id, ", ");
          if (!dependent.empty()) {
            return InvalidRequest("Can't rename column " + from +
                                  " because it has dependent secondary indexes (" + dependent +
                                  ")");
          }
          c->name = to;
        }
        break;
    }
    uint32_t next_id = table->next_column_id;
    table->Finish();
    table->next_column_id = std::max(table->next_column_id, next_id);
    PF_RETURN_IF_ERROR(impl_->Persist({{TableKey(def.keyspace, def.name), EncodeTable(*table)}}));
    impl_->PutTable(def.keyspace, def.name, table);
    impl_->Publish();
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kUpdated,
                                                              cql::SchemaChangeTarget::kTable,
                                                              def.keyspace,
                                                              def.name,
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropTable(std::string_view keyspace,
                                                                std::string_view table,
                                                                bool if_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto ks = impl_->UserKeyspace(keyspace);
    if (!ks) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return KeyspaceMissing(keyspace);
    }
    auto it = ks->tables.find(std::string(table));
    if (it == ks->tables.end()) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return TableMissing(keyspace, table);
    }
    uint32_t storage_id = it->second->storage_id;
    std::shared_ptr<const TableMetadata> dropped = it->second;
    PF_RETURN_IF_ERROR(impl_->Persist({{TableKey(keyspace, table), std::nullopt}}));
    impl_->PutTable(std::string(keyspace), std::string(table), nullptr);
    impl_->Publish();
    Status s = impl_->storage->DropTableData(storage_id);
    (void)s;  // the storage id is never reused: leftover rows stay invisible
    for (const auto& index : dropped->indexes) {
      s = impl_->storage->DropTableData(index.storage_id);
      (void)s;
    }
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kDropped,
                                                              cql::SchemaChangeTarget::kTable,
                                                              std::string(keyspace),
                                                              std::string(table),
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateType(const UserTypeDefinition& def,
                                                                 bool if_not_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    // Cassandra 5.0 takes any type name (CreateTypeStatement checks none).
    if (ks->FindType(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>{};
      return InvalidRequest("A user type with name '" + def.name + "' already exists");
    }
    std::set<std::string> names;
    StoredType stored{def.keyspace, def.name, def.field_names, {}};
    for (size_t i = 0; i < def.field_names.size(); ++i) {
      if (!names.insert(def.field_names[i]).second) {
        return InvalidRequest("Duplicate field name '" + def.field_names[i] + "' in type '" +
                              def.name + "'");
      }
      const cql::DataType& ft = def.field_types[i];
      if (ft.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("A user type cannot contain counters");
      }
      if (ft.kind() == cql::TypeKind::kUdt && !ft.is_frozen()) {
        return InvalidRequest("A user type cannot contain non-frozen UDTs");
      }
      PF_RETURN_IF_ERROR(CheckNestedTypes(ft));
      stored.field_types.push_back(ft.ToCql());
    }
    std::map<std::string, StoredType> all = impl_->StoredTypes(*ks);
    all[def.name] = stored;
    PF_RETURN_IF_ERROR(impl_->CommitTypes(def.keyspace, all,
                                          {TypeKey(def.keyspace, def.name), EncodeType(stored)}));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kCreated,
                                                              cql::SchemaChangeTarget::kType,
                                                              def.keyspace,
                                                              def.name,
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::AlterType(const AlterTypeDefinition& def) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    const UserTypeMetadata* type = ks->FindType(def.name);
    if (type == nullptr) {
      if (def.if_exists) return std::optional<cql::SchemaChange>{};
      return TypeMissing(def.keyspace, def.name);
    }
    std::map<std::string, StoredType> all = impl_->StoredTypes(*ks);
    StoredType& stored = all[def.name];
    if (def.add) {
      // Cassandra's AlterTypeStatement.AddField checks, in its order.
      const auto& [field, ftype] = *def.add;
      const std::string qualified = def.keyspace + "." + def.name;
      if (ftype.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("A user type cannot contain counters");
      }
      if (ftype.kind() == cql::TypeKind::kUdt && !ftype.is_frozen()) {
        return InvalidRequest("A user type cannot contain non-frozen UDTs");
      }
      if (std::find(stored.field_names.begin(), stored.field_names.end(), field) !=
          stored.field_names.end()) {
        if (def.if_field_not_exists) return std::optional<cql::SchemaChange>{};
        return InvalidRequest(
            fmt::format("Cannot add field {} to type {}: a field with name {} already exists",
                        field, qualified, field));
      }
      if (UsesType(ftype, def.name)) {
        return InvalidRequest(
            fmt::format("Cannot add new field {} of type {} to user type {} as it would create a "
                        "circular reference",
                        field, ftype.ToCql(), qualified));
      }
      // A partition key's serialized form would change with the new field.
      std::string key_users;
      for (const auto& [tname, t] : ks->tables) {
        for (const ColumnMetadata& c : t->columns) {
          if (c.kind == ColumnKind::kPartitionKey && UsesType(c.type, def.name)) {
            key_users += (key_users.empty() ? "" : ", ") + def.keyspace + "." + tname;
            break;
      }
      }
      }
      if (!key_users.empty()) {
        return InvalidRequest(fmt::format(
            "Cannot add new field {} of type {} to user type {} as the type is being used in "
            "partition key by the following tables: {}",
            field, ftype.ToCql(), qualified, key_users));
      }
      PF_RETURN_IF_ERROR(CheckNestedTypes(ftype));
      stored.field_names.push_back(field);
      stored.field_types.push_back(ftype.ToCql());
    }
    for (const auto& [from, to] : def.renames) {
      auto it = std::find(stored.field_names.begin(), stored.field_names.end(), from);
      if (it == stored.field_names.end()) {
        return InvalidRequest("Unkown field " + from + " in user type " + def.keyspace + "." +
                              def.name);
      }
      if (std::find(stored.field_names.begin(), stored.field_names.end(), to) !=
          stored.field_names.end()) {
        return InvalidRequest("Duplicate field name " + to + " in type " + def.keyspace + "." +
                              def.name);
      }
      *it = to;
    }
    std::string encoded = EncodeType(stored);
    PF_RETURN_IF_ERROR(
        impl_->CommitTypes(def.keyspace, all, {TypeKey(def.keyspace, def.name), encoded}));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kUpdated,
                                                              cql::SchemaChangeTarget::kType,
                                                              def.keyspace,
                                                              def.name,
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropType(std::string_view keyspace,
                                                               std::string_view name,
                                                               bool if_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto ks = impl_->UserKeyspace(keyspace);
    if (!ks) {
      if (if_exists) return std::optional<cql::SchemaChange>{};
      return KeyspaceMissing(keyspace);
    }
    if (!ks->FindType(name)) {
      if (if_exists) return std::optional<cql::SchemaChange>{};
      return TypeMissing(keyspace, name);
    }
    std::string qualified = "'" + std::string(keyspace) + "." + std::string(name) + "'";
    std::string users;
    for (const auto& [tname, t] : ks->types) {
      if (tname != name && UsesType(t->type, name)) users += (users.empty() ? "" : ", ") + tname;
    }
    if (!users.empty()) {
      return InvalidRequest("Cannot drop user type " + qualified +
                            " as it is still used by user types " + users);
    }
    for (const auto& [tname, t] : ks->tables) {
      if (std::any_of(t->columns.begin(), t->columns.end(),
                      [&](const ColumnMetadata& c) { return UsesType(c.type, name); })) {
        users += (users.empty() ? "" : ", ") + tname;
      }
    }
    if (!users.empty()) {
      return InvalidRequest("Cannot drop user type " + qualified +
                            " as it is still used by tables " + users);
    }
    std::map<std::string, StoredType> all = impl_->StoredTypes(*ks);
    all.erase(std::string(name));
    PF_RETURN_IF_ERROR(
        impl_->CommitTypes(std::string(keyspace), all, {TypeKey(keyspace, name), std::nullopt}));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kDropped,
                                                              cql::SchemaChangeTarget::kType,
                                                              std::string(keyspace),
                                                              std::string(name),
                                                              {}});
  });
}

Status SchemaStore::Truncate(std::string_view keyspace, std::string_view table) {
  std::shared_ptr<const TableMetadata> t = snapshot()->FindTable(keyspace, table);
  if (IsSystemKeyspace(keyspace)) {
    if (!t) return TableMissing(keyspace, table);
    return NotUserModifiable(keyspace);
  }
  if (!snapshot()->FindKeyspace(keyspace)) return KeyspaceMissing(keyspace);
  if (!t) return TableMissing(keyspace, table);
  for (const auto& index : t->indexes) {
    PF_RETURN_IF_ERROR(impl_->storage->DropTableData(index.storage_id));
  }
  return impl_->storage->DropTableData(t->storage_id);
}

}  // namespace postfork::node

namespace postfork::node {
namespace {

std::string_view TargetKeyword(IndexTarget target) {
  switch (target) {
    case IndexTarget::kKeys:
      return "keys";
    case IndexTarget::kValues:
      return "values";
    case IndexTarget::kEntries:
      return "entries";
    case IndexTarget::kFull:
      return "full";
    case IndexTarget::kSimple:
      break;
  }
  return "";
}

// Cassandra 4.1's CreateIndexStatement.validateIndexTarget, in its order. `target` is already
// corrected (a plain target on a collection means values).
Status ValidateIndexTarget(const TableMetadata& table, const ColumnMetadata& column,
                           IndexTarget target) {
  const cql::DataType& type = column.type;
  PF_RETURN_IF_ERROR(RefuseDurations(type, "Secondary indexes",
                                     "Secondary indexes are not supported on duration columns"));
  if (table.is_compact()) {
    if (column.is_primary_key()) {
      return InvalidRequest(
          "Secondary indexes are not supported on PRIMARY KEY columns in COMPACT STORAGE tables");
    }
    if (&column == table.CompactValueColumn()) {
      return InvalidRequest(
          "Secondary indexes are not supported on compact value column of COMPACT STORAGE tables");
    }
  }
  const std::string& name = column.name;  // as ColumnMetadata.toString() prints it
  if (column.kind == ColumnKind::kPartitionKey && table.partition_key_count == 1) {
    return InvalidRequest("Cannot create secondary index on the only partition key column " + name);
  }
  bool frozen_collection = type.is_collection() && !IsMultiCell(type);
  if (frozen_collection && target != IndexTarget::kFull) {
    return InvalidRequest("Cannot create " + std::string(TargetKeyword(target)) +
                          "() index on frozen column " + name +
                          ". Frozen collections are immutable and must be fully indexed by using "
                          "the 'full(" +
                          name + ")' modifier");
  }
  if (!frozen_collection && target == IndexTarget::kFull) {
    return InvalidRequest("full() indexes can only be created on frozen collections");
  }
  if (!type.is_collection() && target != IndexTarget::kSimple) {
    return InvalidRequest("Cannot create " + std::string(TargetKeyword(target)) + "() index on " +
                          name + ". Non-collection columns only support simple indexes");
  }
  bool multicell_map = type.kind() == cql::TypeKind::kMap && IsMultiCell(type);
  if (!multicell_map && (target == IndexTarget::kKeys || target == IndexTarget::kEntries)) {
    return InvalidRequest("Cannot create index on " + std::string(TargetKeyword(target)) +
                          " of column " + name + " with non-map type");
  }
  if (type.kind() == cql::TypeKind::kUdt && IsMultiCell(type)) {
    return InvalidRequest("Cannot create index on non-frozen UDT column " + name);
  }
  return Status::Ok();
}

// USING 'class' checked: the storage-attached index under its aliases ('sai',
// 'StorageAttachedIndex', any case) or full name, kept as written; empty for a native index.
// Other classes do not exist here (Cassandra: FBUtilities.classForName's message).
Result<std::string> ResolveIndexClass(const std::string& written) {
  if (written.empty() || IsStorageAttachedClass(written)) return written;
  if (ascii::EqualsIgnoreCase(written, "sasi") ||
      written == "org.apache.cassandra.index.sasi.SASIIndex") {
    return InvalidRequest("SASI indexes are disabled. Enable in cassandra.yaml to use.");
  }
  return ConfigError("Unable to find custom indexer class '" + written + "'");
}

// StorageAttachedIndex.validateOptions and IndexWriterConfig.fromOptions for the options of
// Cassandra 5.0's default configuration (custom vector graph parameters are off there), in
// their order.
Status ValidateSaiOptions(const ColumnMetadata& column,
                          const std::map<std::string, std::string>& options) {
  static const char* const kValid[] = {"target",
                                       "class_name",
                                       "maximum_node_connections",
                                       "construction_beam_width",
                                       "similarity_function",
                                       "optimize_for",
                                       "case_sensitive",
                                       "normalize",
                                       "ascii"};
  const cql::DataType& type = column.type;
  bool vector = type.kind() == cql::TypeKind::kVector;
  bool vector_options = options.count("maximum_node_connections") ||
                        options.count("construction_beam_width") ||
                        options.count("similarity_function") || options.count("optimize_for");
  if (vector && type.params()[0].kind() != cql::TypeKind::kFloat) {
    return InvalidRequest("SAI ANN indexes are only allowed on vector columns with float elements");
  }
  if (!vector && vector_options) {
    return InvalidRequest("CQL type " + type.ToCql() + " cannot have vector options");
  }
  if (options.count("maximum_node_connections")) {
    return InvalidRequest(
        "Maximum node connections cannot be set without enabling "
        "SAI_VECTOR_ALLOW_CUSTOM_PARAMETERS");
  }
  if (options.count("construction_beam_width")) {
    return InvalidRequest(
        "Construction beam width cannot be set without enabling "
        "SAI_VECTOR_ALLOW_CUSTOM_PARAMETERS");
  }
  std::string similarity = "COSINE";
  if (auto it = options.find("similarity_function"); it != options.end()) {
    similarity = ascii::Upper(it->second);
    if (similarity != "EUCLIDEAN" && similarity != "DOT_PRODUCT" && similarity != "COSINE") {
      // Cassandra names the index "null" here (its name is not set yet).
      return InvalidRequest("Similarity function " + similarity +
                            " was not recognized for index null. Valid values are: EUCLIDEAN, "
                            "DOT_PRODUCT, COSINE");
    }
  }
  if (auto it = options.find("optimize_for"); it != options.end()) {
    std::string v = ascii::Upper(it->second);
    if (v != "LATENCY" && v != "RECALL") {
      return InvalidRequest("optimize_for '" + v +
                            "' was not recognized for index null. Valid values are: LATENCY, "
                            "RECALL");
    }
  }
  if (vector && similarity == "COSINE" && type.dimension() == 1) {
    return InvalidRequest("Cosine similarity is not supported for single-dimension vectors");
  }
  // Unknown options are reported last, by the caller of validateOptions.
  std::string unknown;
  for (const auto& [option, value] : options) {
    if (std::find(std::begin(kValid), std::end(kValid), option) == std::end(kValid)) {
      unknown += (unknown.empty() ? "" : ", ") + option;
    }
  }
  if (!unknown.empty()) {
    return ConfigError("Properties specified [" + unknown +
                       "] are not understood by StorageAttachedIndex");
  }
  return Status::Ok();
}

bool KeyspaceHasIndex(const KeyspaceMetadata& ks, std::string_view name) {
  for (const auto& [tname, t] : ks.tables) {
    for (const auto& index : t->indexes) {
      if (index.name == name) return true;
    }
  }
  return false;
}

// Cassandra's IndexMetadata.generateDefaultIndexName + KeyspaceMetadata.findAvailableIndexName.
std::string DefaultIndexName(const KeyspaceMetadata& ks, const std::string& table,
                             const std::string& column) {
  std::string base;
  for (char c : table + "_" + column + "_idx") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') base.push_back(c);
  }
  if (!KeyspaceHasIndex(ks, base)) return base;
  for (int i = 1;; ++i) {
    std::string name = base + "_" + std::to_string(i);
    if (!KeyspaceHasIndex(ks, name)) return name;
  }
}

}  // namespace

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateIndex(const IndexDefinition& def,
                                                                  bool if_not_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    auto it = ks->tables.find(def.table);
    if (it == ks->tables.end()) return InvalidRequest("Table '" + def.table + "' doesn't exist");
    const TableMetadata& base = *it->second;
    if (!def.name.empty() && KeyspaceHasIndex(*ks, def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>{};
      return InvalidRequest("Index '" + def.name + "' already exists");
    }
    for (const auto& c : base.columns) {
      if (!c.is_primary_key() && c.type.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("Secondary indexes on counter tables aren't supported");
      }
    }
    const ColumnMetadata* column = base.FindColumn(def.column);
    if (column == nullptr) {
      return UndefinedColumn(def.column, def.keyspace, def.table);
    }
    IndexTarget target = def.target;
    if (target == IndexTarget::kSimple && column->type.is_collection())
      target = IndexTarget::kValues;
    PF_ASSIGN_OR_RETURN(std::string custom_class, ResolveIndexClass(def.custom_class));
    PF_RETURN_IF_ERROR(ValidateIndexTarget(base, *column, target));
    std::string name = def.name.empty() ? DefaultIndexName(*ks, def.table, column->name) : def.name;
    // IndexMetadata.validate checks the characters only (no length limit in Cassandra 5.0).
    if (!ValidChars(name)) return ConfigError("Illegal index name " + name);
    for (const auto& existing : base.indexes) {
      if (existing.column_id == column->id && existing.target == target &&
          existing.custom_class == custom_class && existing.options == def.options) {
        if (if_not_exists) return std::optional<cql::SchemaChange>{};
        return InvalidRequest("Index " + name + " is a duplicate of existing index " +
                              existing.name);
      }
    }
    if (!custom_class.empty()) {
      for (const auto& existing : base.indexes) {
        if (existing.column_id == column->id && IsStorageAttached(existing)) {
          return InvalidRequest(
              "Cannot create more than one storage-attached index on the same column: " +
              column->name);
        }
      }
      PF_RETURN_IF_ERROR(ValidateSaiOptions(*column, def.options));
    }
    auto table = std::make_shared<TableMetadata>(base);
    IndexMetadata index{name,         column->id, target, impl_->next_storage_id++,
                        custom_class, def.options};
    table->indexes.push_back(index);
    Status persisted = impl_->Persist({{TableKey(def.keyspace, def.table), EncodeTable(*table)}});
    if (!persisted.ok()) {
      --impl_->next_storage_id;
      return persisted;
    }
    impl_->PutTable(def.keyspace, def.table, table);
    impl_->Publish();
    // Writes from now on maintain the index (they see the new table); the scan covers what
    // was written before.
    PF_RETURN_IF_ERROR(impl_->storage->BuildIndex(table, index));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kUpdated,
                                                              cql::SchemaChangeTarget::kTable,
                                                              def.keyspace,
                                                              def.table,
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropIndex(std::string_view keyspace,
                                                                std::string_view name,
                                                                bool if_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto ks = impl_->UserKeyspace(keyspace);
    std::shared_ptr<const TableMetadata> base;
    if (ks) {
      for (const auto& [tname, t] : ks->tables) {
        for (const auto& index : t->indexes) {
          if (index.name == name) base = t;
        }
      }
    }
    if (!base) {
      if (if_exists) return std::optional<cql::SchemaChange>{};
      // Cassandra's message has the stray trailing quote.
      return InvalidRequest("Index '" + std::string(keyspace) + "." + std::string(name) +
                            "' doesn't exist'");
    }
    auto table = std::make_shared<TableMetadata>(*base);
    auto pos = std::find_if(table->indexes.begin(), table->indexes.end(),
                            [&](const IndexMetadata& i) { return i.name == name; });
    uint32_t storage_id = pos->storage_id;
    table->indexes.erase(pos);
    PF_RETURN_IF_ERROR(impl_->Persist({{TableKey(keyspace, table->name), EncodeTable(*table)}}));
    impl_->PutTable(std::string(keyspace), table->name, table);
    impl_->Publish();
    Status s = impl_->storage->DropTableData(storage_id);
    (void)s;  // the storage id is never reused: leftover entries stay invisible
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kUpdated,
                                                              cql::SchemaChangeTarget::kTable,
                                                              std::string(keyspace),
                                                              table->name,
                                                              {}});
  });
}

}  // namespace postfork::node
