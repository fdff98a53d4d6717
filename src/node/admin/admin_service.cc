#include "node/admin/admin_service.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <future>

#include "node/db/database.h"
#include "node/transport/server.h"

namespace postfork::node {

namespace {

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// The storage ids of a table and of its indexes' entries.
void AddStorageIds(const TableMetadata& table, std::vector<uint32_t>* ids) {
  ids->push_back(table.storage_id);
  for (const IndexMetadata& index : table.indexes) ids->push_back(index.storage_id);
}

// The tables nodetool flush/compact name: the keyspace must exist (a wrong use), each table in
// it (a failure: Cassandra's "Unknown keyspace/cf pair").
Result<std::vector<std::shared_ptr<const TableMetadata>>> ResolveTables(
    const SchemaSnapshot& schema, const std::string& keyspace,
    const std::vector<std::string>& tables) {
  std::vector<std::shared_ptr<const TableMetadata>> out;
  const KeyspaceMetadata* ks = schema.FindKeyspace(keyspace);
  if (ks == nullptr) return Invalid("Keyspace [" + keyspace + "] does not exist.");
  if (tables.empty()) {
    for (const auto& [name, t] : ks->tables) out.push_back(t);
    return out;
  }
  for (const std::string& name : tables) {
    auto t = schema.FindTable(keyspace, name);
    if (!t) {
      return Status(StatusCode::kNotFound,
                    fmt::format("Unknown keyspace/cf pair ({}.{})", keyspace, name));
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

AdminService::AdminService(Database* db, transport::Server* server,
                           boost::asio::io_context* network, const std::string& data_dir)
    : db_(db), server_(server), network_(network), snapshots_(&db->storage(), data_dir) {}

template <typename Fn>
auto AdminService::OnNetworkThread(Fn fn) -> decltype(fn()) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  boost::asio::post(*network_, [&task] { task(); });
  return result.get();
}

Status AdminService::Flush(const std::string& keyspace, const std::vector<std::string>& tables) {
  if (!keyspace.empty()) {
    PF_RETURN_IF_ERROR(ResolveTables(*db_->schema().snapshot(), keyspace, tables).status());
  }
  return db_->storage().Flush();
}

Status AdminService::Compact(const std::string& keyspace, const std::vector<std::string>& tables) {
  std::vector<uint32_t> ids;
  if (!keyspace.empty()) {
    PF_ASSIGN_OR_RETURN(auto resolved,
                        ResolveTables(*db_->schema().snapshot(), keyspace, tables));
    for (const auto& t : resolved) {
      if (!t->is_virtual) AddStorageIds(*t, &ids);
    }
    if (ids.empty()) return Status::Ok();  // only virtual tables: nothing stored
  }
  return db_->storage().Compact(ids);
}

Status AdminService::TakeSnapshot(const SnapshotRequest& r) {
  if (r.ttl_seconds && *r.ttl_seconds < 60) {
    return Invalid("ttl for snapshot must be at least 60 seconds");
  }
  auto schema = db_->schema().snapshot();
  std::vector<std::pair<std::string, std::string>> tables;
  auto add_keyspace = [&](const KeyspaceMetadata& ks) {
    if (ks.is_virtual) return;
    for (const auto& [name, t] : ks.tables) tables.emplace_back(ks.name, name);
  };
  if (!r.kt_list.empty()) {
    for (const std::string& entry : r.kt_list) {
      auto dot = entry.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == entry.size() ||
          entry.find('.', dot + 1) != std::string::npos) {
        return Invalid(
            "Cannot take a snapshot on secondary index or invalid column family name. You must "
            "supply a column family name in the form of keyspace.columnfamily");
      }
      std::string ks = entry.substr(0, dot), table = entry.substr(dot + 1);
      if (schema->FindKeyspace(ks) == nullptr) return Invalid("Keyspace " + ks + " does not exist");
      if (!schema->FindTable(ks, table)) {
        return Invalid(fmt::format("Unknown keyspace/cf pair ({}.{})", ks, table));
      }
      tables.emplace_back(ks, table);
    }
  } else if (r.keyspaces.empty()) {
    for (const auto& [name, ks] : schema->keyspaces) add_keyspace(*ks);
  } else {
    for (const std::string& name : r.keyspaces) {
      const KeyspaceMetadata* ks = schema->FindKeyspace(name);
      if (ks == nullptr) return Invalid("Keyspace " + name + " does not exist");
      if (r.table.empty()) {
        add_keyspace(*ks);
      } else if (ks->FindTable(r.table) == nullptr) {
        return Invalid(fmt::format("Unknown keyspace/cf pair ({}.{})", name, r.table));
      } else {
        tables.emplace_back(name, r.table);
      }
    }
  }
  std::optional<std::chrono::seconds> ttl;
  if (r.ttl_seconds) ttl = std::chrono::seconds(*r.ttl_seconds);
  return snapshots_.Take(r.tag, std::move(tables), !r.skip_flush, ttl);
}

Result<std::vector<SnapshotInfo>> AdminService::ListSnapshots() { return snapshots_.List(); }

Status AdminService::ClearSnapshot(const std::string& tag, bool all,
                                   const std::vector<std::string>& keyspaces) {
  if (tag.empty() && !all) return Invalid("Specify snapshot name or --all");
  if (!tag.empty() && all) return Invalid("Specify only one of snapshot name or --all");
  return snapshots_.Clear(tag, keyspaces);
}

Status AdminService::DisableBinary() {
  OnNetworkThread([this] { server_->PauseClients(); });
  return Status::Ok();
}

Status AdminService::EnableBinary() {
  {
    std::lock_guard lock(mu_);
    if (drained_) {
      return Status(StatusCode::kClosed,
                    "Unable to start native transport because the node was drained.");
    }
  }
  return OnNetworkThread([this] { return server_->ResumeClients(); });
}

Status AdminService::Drain() {
  {
    std::lock_guard lock(mu_);
    drained_ = true;
  }
  PF_RETURN_IF_ERROR(DisableBinary());
  return db_->storage().Flush();
}

NodeInfo AdminService::Info() {
  NodeInfo info;
  const NodeIdentity& identity = db_->schema().identity();
  const LocalNodeState& local = db_->schema().local_node();
  info.host_id = local.host_id.ToString();
  info.tokens = local.tokens;
  info.generation = local.gossip_generation;
  info.listen_address = identity.listen_address;
  info.data_center = identity.data_center;
  info.rack = identity.rack;
  info.release_version = identity.release_version;
  info.load_bytes = db_->storage().DiskBytes();
  info.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - started_)
                            .count();
  info.native_transport_active = OnNetworkThread([this] { return server_->accepting_clients(); });
  std::lock_guard lock(mu_);
  info.drained = drained_;
  return info;
}

}  // namespace postfork::node
