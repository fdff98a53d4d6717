// The token ring and replica placement (Murmur3Partitioner). A token t belongs to the range
// (previous ring token, owning token]; replicas follow the ring from the owner as Cassandra's
// SimpleStrategy and NetworkTopologyStrategy place them. Immutable; built once per topology.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "postfork/driver/metadata.h"

namespace postfork::driver {

class TokenMap {
 public:
  // Host indexes below refer to positions in `hosts`.
  static std::shared_ptr<const TokenMap> Build(const std::vector<HostInfo>& hosts);

  // Replicas of `token` under `strategy`, primary first. Empty when the ring is empty.
  // Cached per strategy: after the first call for a strategy a lookup is a binary search.
  const std::vector<int>& Replicas(int64_t token, const ReplicationStrategy& strategy) const;

  size_t ring_size() const { return ring_.size(); }
  size_t host_count() const { return hosts_.size(); }

 private:
  struct Placement {
    std::vector<std::vector<int>> by_position;  // ring position -> replicas
  };
  const Placement& PlacementFor(const ReplicationStrategy& strategy) const;
  std::vector<int> Place(size_t position, const ReplicationStrategy& strategy) const;
  size_t Position(int64_t token) const;

  struct HostRef {
    std::string datacenter;
    std::string rack;
  };
  std::vector<HostRef> hosts_;
  std::vector<std::pair<int64_t, int>> ring_;  // sorted by token
  std::map<std::string, int> dc_host_count_;
  std::map<std::string, int> dc_rack_count_;
  // Lazily filled; the session is single-threaded, the mutex guards snapshots shared by threads.
  mutable std::mutex mu_;
  mutable std::vector<std::pair<ReplicationStrategy, std::unique_ptr<Placement>>> placements_;
  static const std::vector<int> kEmpty;
};

}  // namespace postfork::driver
