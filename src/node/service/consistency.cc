#include "node/service/consistency.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "node/cql_errors.h"

namespace postfork::node::service {
namespace {

using cql::Consistency;

// A keyspace's replication as a single node sees it.
struct Replication {
  bool network_topology = false;
  std::map<std::string, int> per_dc;  // NetworkTopologyStrategy: factor by datacenter
  int total = 1;                      // all replicas (the sum of the factors)
  int local_factor = 1;               // replicas in the node's datacenter
  // Replica endpoints (this node or none), overall and in the node's datacenter: the same, since
  // no other datacenter has nodes.
  int endpoints = 1;
};

// The full part of "3" or "3/1" (full/transient); 0 when unreadable (the schema checked it).
int Factor(const std::string& text) { return std::atoi(text.c_str()); }

// The option names, built once: every read and write looks them up (a key of 18 characters
// would otherwise be a heap string per request).
const std::string kClassOption = "class";
const std::string kReplicationFactorOption = "replication_factor";

Replication ReplicationOf(const KeyspaceMetadata& keyspace, std::string_view local_dc) {
  Replication r;
  auto cls = keyspace.replication.find(kClassOption);
  if (cls == keyspace.replication.end()) return r;  // LocalStrategy-like: the node holds all
  const std::string& name = cls->second;
  if (name.ends_with("NetworkTopologyStrategy")) {
    r.network_topology = true;
    r.total = 0;
    for (const auto& [key, value] : keyspace.replication) {
      if (key == "class") continue;
      r.per_dc[key] = Factor(value);
      r.total += Factor(value);
    }
    auto local = r.per_dc.find(std::string(local_dc));
    r.local_factor = local == r.per_dc.end() ? 0 : local->second;
  } else if (name.ends_with("SimpleStrategy")) {
    auto rf = keyspace.replication.find(kReplicationFactorOption);
    r.total = rf == keyspace.replication.end() ? 1 : Factor(rf->second);
    r.local_factor = r.total;
  } else {
    return r;  // LocalStrategy, EverywhereStrategy, MetaStrategy: one local replica
  }
  r.endpoints = r.local_factor > 0 ? 1 : 0;
  return r;
}

int QuorumFor(const Replication& r) { return r.total / 2 + 1; }

int LocalQuorumFor(const Replication& r, std::string_view dc) {
  if (!r.network_topology) return QuorumFor(r);
  auto it = r.per_dc.find(std::string(dc));
  return (it == r.per_dc.end() ? 0 : it->second) / 2 + 1;
}

int BlockFor(const Replication& r, Consistency cl, std::string_view local_dc) {
  switch (cl) {
    case Consistency::kAny:
    case Consistency::kOne:
    case Consistency::kLocalOne:
      return 1;
    case Consistency::kTwo:
      return 2;
    case Consistency::kThree:
      return 3;
    case Consistency::kQuorum:
    case Consistency::kSerial:
      return QuorumFor(r);
    case Consistency::kAll:
      return r.total;
    case Consistency::kLocalQuorum:
    case Consistency::kLocalSerial:
      return LocalQuorumFor(r, local_dc);
    case Consistency::kEachQuorum: {
      if (!r.network_topology) return QuorumFor(r);
      int n = 0;
      for (const auto& [dc, factor] : r.per_dc) n += LocalQuorumFor(r, dc);
      return n;
    }
  }
  return 1;
}

cql::ErrorMessage Invalid(std::string message) {
  return ToErrorMessage(InvalidRequest(std::move(message)));
}

// ReplicaPlans.assureSufficientLiveReplicas with this node's live replicas. `read`: at least one
// full replica is also needed (Cassandra's blockForFullReplicas of 1 for reads).
std::optional<cql::ErrorMessage> AssureLive(const Replication& r, Consistency cl,
                                            std::string_view local_dc, bool read) {
  const int live = r.endpoints;  // every replica endpoint is this node, alive and full
  const int block_for = BlockFor(r, cl, local_dc);
  const int block_for_full = read ? 1 : 0;
  switch (cl) {
    case Consistency::kAny:
      return std::nullopt;  // a local hint is acceptable
    case Consistency::kLocalOne:
      if (live < block_for || live < block_for_full) return UnavailableError(cl, 1, live);
      return std::nullopt;
    case Consistency::kLocalQuorum:
      if (live < block_for || live < block_for_full) return UnavailableError(cl, block_for, live);
      return std::nullopt;
    case Consistency::kEachQuorum:
      if (r.network_topology) {
        // Datacenters in the keyspace's order (Cassandra walks a hash map; one of them fails).
        for (const auto& [dc, factor] : r.per_dc) {
          int dc_block_for = LocalQuorumFor(r, dc);
          int dc_live = dc == local_dc ? live : 0;
          if (dc_live < dc_block_for) return UnavailableError(cl, dc_block_for, dc_live, dc);
        }
        return std::nullopt;
      }
      [[fallthrough]];
    default:
      if (live < block_for || live < block_for_full) return UnavailableError(cl, block_for, live);
      return std::nullopt;
  }
}

bool IsSerial(Consistency cl) {
  return cl == Consistency::kSerial || cl == Consistency::kLocalSerial;
}

// The Paxos round of Cassandra's default paxos_variant v1 (StorageProxy.getPaxosParticipants,
// then the read of the current values in legacyCas and legacyReadWithPaxos):
//  - participants: a majority of the replica endpoints (in the node's datacenter for
//    LOCAL_SERIAL; every endpoint is there), reported at the serial level;
//  - then the partition is read at QUORUM (LOCAL_QUORUM for LOCAL_SERIAL), which counts the
//    replication factor, not the endpoints: RF 3 on one node needs 2 and finds 1, reported at
//    QUORUM / LOCAL_QUORUM.
std::optional<cql::ErrorMessage> AssurePaxos(const Replication& r, Consistency serial,
                                             std::string_view local_dc) {
  int participants = r.endpoints;
  int required = participants / 2 + 1;
  if (r.endpoints < required) return UnavailableError(serial, required, r.endpoints);
  const Consistency read =
      serial == Consistency::kLocalSerial ? Consistency::kLocalQuorum : Consistency::kQuorum;
  return AssureLive(r, read, local_dc, true);
}

}  // namespace

std::optional<cql::ErrorMessage> CheckConditionalCommit(const KeyspaceMetadata& keyspace,
                                                        std::string_view local_datacenter,
                                                        Consistency consistency) {
  if (keyspace.is_virtual || consistency == Consistency::kAny) return std::nullopt;
  return AssureLive(ReplicationOf(keyspace, local_datacenter), consistency, local_datacenter,
                    false);
}

int BlockFor(const KeyspaceMetadata& keyspace, std::string_view local_datacenter,
             Consistency consistency) {
  if (keyspace.is_virtual) return 1;
  return BlockFor(ReplicationOf(keyspace, local_datacenter), consistency, local_datacenter);
}

std::optional<cql::ErrorMessage> CheckConsistency(const KeyspaceMetadata& keyspace,
                                                  std::string_view local_datacenter,
                                                  RequestKind kind, Consistency consistency,
                                                  std::optional<Consistency> serial,
                                                  std::string_view table) {
  if (keyspace.is_virtual) return std::nullopt;
  const Replication r = ReplicationOf(keyspace, local_datacenter);
  switch (kind) {
    case RequestKind::kRead:
      if (consistency == Consistency::kAny) {
        return Invalid("ANY ConsistencyLevel is only supported for writes");
      }
      if (IsSerial(consistency)) return AssurePaxos(r, consistency, local_datacenter);
      return AssureLive(r, consistency, local_datacenter, true);
    case RequestKind::kCounterWrite:
      if (consistency == Consistency::kAny) {
        return Invalid(
            fmt::format("Consistency level ANY is not yet supported for counter table {}", table));
      }
      if (IsSerial(consistency))
        return Invalid("Counter operations are inherently non-serializable");
      return AssureLive(r, consistency, local_datacenter, false);
    case RequestKind::kWrite:
      if (IsSerial(consistency)) {
        return Invalid("You must use conditional updates for serializable writes");
      }
      return AssureLive(r, consistency, local_datacenter, false);
    case RequestKind::kConditionalWrite: {
      if (IsSerial(consistency)) {
        return Invalid(fmt::format(
            "{} is not supported as conditional update commit consistency. Use ANY if you mean "
            "\"make sure it is accepted but I don't care how many replicas commit it for "
            "non-SERIAL reads\"",
            cql::ConsistencyName(consistency)));
      }
      // StorageProxy.cas: the serial level first (a request may carry any level there).
      if (serial && !IsSerial(*serial)) {
        return Invalid(
            "Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL");
      }
      if (consistency == Consistency::kEachQuorum && !r.network_topology) {
        auto cls = keyspace.replication.find("class");
        return Invalid(fmt::format(
            "consistency level EACH_QUORUM not compatible with replication strategy ({})",
            cls == keyspace.replication.end()
                ? std::string("org.apache.cassandra.locator.LocalStrategy")
                : cls->second));
      }
      return AssurePaxos(r, serial.value_or(Consistency::kSerial), local_datacenter);
    }
  }
  return std::nullopt;
}

}  // namespace postfork::node::service
