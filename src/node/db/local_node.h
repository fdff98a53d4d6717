// The local node's place in the ring: its host id and tokens, created once per data directory
// and persisted in the node's metadata space, so a restarted node is the same node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "node/db/node_identity.h"
#include "postfork/base/status.h"
#include "postfork/cql/value.h"

namespace postfork::node {

class Storage;

// What system.local reports beyond NodeIdentity.
struct LocalNodeState {
  cql::Uuid host_id;
  std::vector<std::string> tokens;  // decimal Murmur3 tokens
  int32_t gossip_generation = 0;    // seconds since the epoch at startup
};

// The persisted host id and tokens; on first start, a random host id and identity.num_tokens
// random tokens, persisted before returning. A damaged record is an error naming it, never a
// new identity.
Result<LocalNodeState> LoadLocalNodeState(Storage* storage, const NodeIdentity& identity);

// A random (version 4) UUID: host ids, table ids.
cql::Uuid RandomUuid();

}  // namespace postfork::node
