// Consistency levels on a single node, as a one-node Cassandra answers them: a level that needs
// more live replicas than this node holds for the keyspace's replication fails with Unavailable
// (Cassandra's ConsistencyLevel.blockFor and ReplicaPlans.assureSufficientLiveReplicas), and the
// levels a request kind cannot use are InvalidRequest (ConsistencyLevel.validateFor*).
//
// The node is every replica there is: a token has one replica endpoint (this node) when the
// keyspace places any replica in the node's datacenter, none otherwise; replication factors
// count toward QUORUM and ALL as configured, so QUORUM on RF 3 needs 2 replicas and finds 1.
// LWT's Paxos phase (SERIAL, LOCAL_SERIAL) needs a majority of the replica endpoints (1 of 1 when
// the node is a replica) and reads the partition at QUORUM (LOCAL_QUORUM for LOCAL_SERIAL), as
// Cassandra's default paxos_variant v1 does, so SERIAL on RF 3 fails at QUORUM (2 required, 1
// alive); its commit is a write at the request's consistency level, made only when the
// conditions hold (CheckConditionalCommit), so an LWT that does not apply never needs it.
#pragma once

#include <optional>
#include <string_view>

#include "node/db/schema.h"
#include "postfork/cql/messages.h"

namespace postfork::node::service {

enum class RequestKind {
  kRead,              // SELECT (SERIAL/LOCAL_SERIAL: a Paxos read)
  kWrite,             // INSERT, UPDATE, DELETE, a batch of them
  kCounterWrite,      // a write to a counter table
  kConditionalWrite,  // IF ... (or a batch with conditions): Paxos, then a commit
};

// The error for a request of `kind` at `consistency` (and `serial`, the Paxos level of a
// conditional write) on `keyspace`, or nullopt when a single node can serve it. `table` names
// the table in counter messages. Keyspaces without replication (virtual ones) always pass.
std::optional<cql::ErrorMessage> CheckConsistency(const KeyspaceMetadata& keyspace,
                                                  std::string_view local_datacenter,
                                                  RequestKind kind, cql::Consistency consistency,
                                                  std::optional<cql::Consistency> serial,
                                                  std::string_view table);

// The error of an applying conditional write's commit at `consistency` (ANY: accepted
// anywhere), or nullopt. Cassandra's legacy Paxos commits only a proposal with updates.
std::optional<cql::ErrorMessage> CheckConditionalCommit(const KeyspaceMetadata& keyspace,
                                                        std::string_view local_datacenter,
                                                        cql::Consistency consistency);

// Replicas a request at `consistency` waits for on `keyspace` (Cassandra's
// ConsistencyLevel.blockFor): the block-for of a failure's error body.
int BlockFor(const KeyspaceMetadata& keyspace, std::string_view local_datacenter,
             cql::Consistency consistency);

}  // namespace postfork::node::service
