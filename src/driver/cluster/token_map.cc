#include "driver/cluster/token_map.h"

#include <algorithm>
#include <set>

namespace postfork::driver {

const std::vector<int> TokenMap::kEmpty;

std::shared_ptr<const TokenMap> TokenMap::Build(const std::vector<HostInfo>& hosts) {
  auto map = std::make_shared<TokenMap>();
  std::map<std::string, std::set<std::string>> racks;
  for (size_t i = 0; i < hosts.size(); ++i) {
    map->hosts_.push_back({hosts[i].datacenter, hosts[i].rack});
    map->dc_host_count_[hosts[i].datacenter]++;
    racks[hosts[i].datacenter].insert(hosts[i].rack);
    for (int64_t t : hosts[i].tokens) map->ring_.emplace_back(t, static_cast<int>(i));
  }
  for (auto& [dc, set] : racks) map->dc_rack_count_[dc] = static_cast<int>(set.size());
  std::sort(map->ring_.begin(), map->ring_.end());
  return map;
}

size_t TokenMap::Position(int64_t token) const {
  auto it =
      std::lower_bound(ring_.begin(), ring_.end(), token,
                       [](const std::pair<int64_t, int>& e, int64_t t) { return e.first < t; });
  return it == ring_.end() ? 0 : static_cast<size_t>(it - ring_.begin());
}

std::vector<int> TokenMap::Place(size_t position, const ReplicationStrategy& strategy) const {
  std::vector<int> out;
  size_t n = ring_.size();
  auto contains = [&out](int h) { return std::find(out.begin(), out.end(), h) != out.end(); };
  if (strategy.kind != ReplicationStrategy::Kind::kNetworkTopology) {
    size_t rf = strategy.kind == ReplicationStrategy::Kind::kSimple
                    ? static_cast<size_t>(std::max(strategy.replication_factor, 0))
                    : 1;  // LocalStrategy and unknown: the owner only
    rf = std::min(rf, hosts_.size());
    for (size_t i = 0; i < n && out.size() < rf; ++i) {
      int h = ring_[(position + i) % n].second;
      if (!contains(h)) out.push_back(h);
    }
    return out;
  }
  // NetworkTopologyStrategy: per DC, distinct racks first; hosts on an already used rack wait
  // in `skipped` until every rack of that DC holds a replica.
  struct DcState {
    int wanted = 0;
    int placed = 0;
    std::set<std::string> racks_seen;
    std::vector<int> skipped;
  };
  std::map<std::string, DcState> dcs;
  int total_wanted = 0;
  for (auto& [dc, rf] : strategy.dc_factors) {
    auto count = dc_host_count_.find(dc);
    if (count == dc_host_count_.end()) continue;
    int wanted = std::min(rf, count->second);
    if (wanted <= 0) continue;
    dcs[dc].wanted = wanted;
    total_wanted += wanted;
  }
  int placed_total = 0;
  for (size_t i = 0; i < n && placed_total < total_wanted; ++i) {
    int h = ring_[(position + i) % n].second;
    auto it = dcs.find(hosts_[h].datacenter);
    if (it == dcs.end()) continue;
    DcState& dc = it->second;
    if (dc.placed >= dc.wanted || contains(h) ||
        std::find(dc.skipped.begin(), dc.skipped.end(), h) != dc.skipped.end())
      continue;
    int rack_count = dc_rack_count_.at(it->first);
    if (dc.racks_seen.insert(hosts_[h].rack).second) {
      out.push_back(h);
      ++dc.placed;
      ++placed_total;
      if (static_cast<int>(dc.racks_seen.size()) == rack_count) {
        // Every rack used: the skipped hosts now qualify, in ring order.
        for (int s : dc.skipped) {
          if (dc.placed >= dc.wanted) break;
          out.push_back(s);
          ++dc.placed;
          ++placed_total;
        }
        dc.skipped.clear();
      }
    } else if (static_cast<int>(dc.racks_seen.size()) == rack_count) {
      out.push_back(h);
      ++dc.placed;
      ++placed_total;
    } else {
      dc.skipped.push_back(h);
    }
  }
  return out;
}

const TokenMap::Placement& TokenMap::PlacementFor(const ReplicationStrategy& strategy) const {
  std::lock_guard lock(mu_);
  for (auto& [s, p] : placements_)
    if (s == strategy) return *p;
  auto p = std::make_unique<Placement>();
  p->by_position.reserve(ring_.size());
  for (size_t i = 0; i < ring_.size(); ++i) p->by_position.push_back(Place(i, strategy));
  placements_.emplace_back(strategy, std::move(p));
  return *placements_.back().second;
}

const std::vector<int>& TokenMap::Replicas(int64_t token,
                                           const ReplicationStrategy& strategy) const {
  if (ring_.empty()) return kEmpty;
  return PlacementFor(strategy).by_position[Position(token)];
}

}  // namespace postfork::driver
