#include "driver/cluster/token_map.h"

#include <gtest/gtest.h>

namespace postfork::driver {
namespace {

HostInfo MakeHost(std::string address, std::string dc, std::string rack,
                  std::vector<int64_t> tokens) {
  HostInfo h;
  h.address = std::move(address);
  h.datacenter = std::move(dc);
  h.rack = std::move(rack);
  h.tokens = std::move(tokens);
  return h;
}

ReplicationStrategy Simple(int rf) {
  return ReplicationStrategy::FromMap({{"class", "org.apache.cassandra.locator.SimpleStrategy"},
                                       {"replication_factor", std::to_string(rf)}});
}

TEST(TokenMap, TokenBelongsToTheFirstRingTokenAtOrAfterIt) {
  auto map = TokenMap::Build({MakeHost("a", "dc1", "r1", {0}), MakeHost("b", "dc1", "r1", {100}),
                              MakeHost("c", "dc1", "r1", {200})});
  EXPECT_EQ(map->Replicas(50, Simple(1)), std::vector<int>({1}));
  EXPECT_EQ(map->Replicas(100, Simple(1)), std::vector<int>({1}));
  EXPECT_EQ(map->Replicas(101, Simple(1)), std::vector<int>({2}));
  EXPECT_EQ(map->Replicas(-5, Simple(1)), std::vector<int>({0}));
  EXPECT_EQ(map->Replicas(250, Simple(1)), std::vector<int>({0})) << "wraps around the ring";
}

TEST(TokenMap, SimpleStrategyWalksTheRingSkippingRepeatedHosts) {
  // Host a owns two vnodes next to each other; RF 2 must still give two distinct hosts.
  auto map =
      TokenMap::Build({MakeHost("a", "dc1", "r1", {0, 10}), MakeHost("b", "dc1", "r1", {100}),
                       MakeHost("c", "dc1", "r1", {200})});
  EXPECT_EQ(map->Replicas(-100, Simple(2)), std::vector<int>({0, 1}));
  EXPECT_EQ(map->Replicas(150, Simple(2)), std::vector<int>({2, 0}));
  EXPECT_EQ(map->Replicas(150, Simple(5)), std::vector<int>({2, 0, 1})) << "RF capped by hosts";
}

TEST(TokenMap, NetworkTopologyPlacesPerDcPreferringDistinctRacks) {
  auto map = TokenMap::Build({
      MakeHost("a", "dc1", "r1", {0}),    // 0
      MakeHost("b", "dc1", "r1", {100}),  // 1
      MakeHost("c", "dc1", "r2", {200}),  // 2
      MakeHost("d", "dc2", "r1", {50}),   // 3
      MakeHost("e", "dc2", "r1", {150}),  // 4
  });
  auto nts = ReplicationStrategy::FromMap(
      {{"class", "org.apache.cassandra.locator.NetworkTopologyStrategy"},
       {"dc1", "2"},
       {"dc2", "1"}});
  ASSERT_EQ(nts.kind, ReplicationStrategy::Kind::kNetworkTopology);
  // Ring from 0: a(dc1,r1) d(dc2) b(dc1,r1: rack used, skipped) e c(dc1,r2).
  EXPECT_EQ(map->Replicas(0, nts), std::vector<int>({0, 3, 2}));
  // From 101: c(dc1,r2) a(dc1,r1) -> dc1 done; dc2 first is... ring from 150: e.
  EXPECT_EQ(map->Replicas(101, nts), std::vector<int>({4, 2, 0}));
}

TEST(TokenMap, NetworkTopologyUsesSkippedHostsOnceEveryRackHasAReplica) {
  auto map = TokenMap::Build({
      MakeHost("a", "dc1", "r1", {0}),
      MakeHost("b", "dc1", "r1", {100}),
      MakeHost("c", "dc1", "r2", {200}),
  });
  auto nts = ReplicationStrategy::FromMap({{"class", "NetworkTopologyStrategy"}, {"dc1", "3"}});
  // a (r1), b skipped (r1 used), c (r2): every rack seen, so b joins.
  EXPECT_EQ(map->Replicas(0, nts), std::vector<int>({0, 2, 1}));
}

TEST(TokenMap, UnknownDcAndEmptyRingGiveNoReplicas) {
  auto map = TokenMap::Build({MakeHost("a", "dc1", "r1", {0})});
  auto nts = ReplicationStrategy::FromMap({{"class", "NetworkTopologyStrategy"}, {"dc9", "3"}});
  EXPECT_TRUE(map->Replicas(0, nts).empty());
  auto empty = TokenMap::Build({});
  EXPECT_TRUE(empty->Replicas(0, Simple(3)).empty());
}

TEST(ReplicationStrategy, ParsesClassNamesShortAndLong) {
  EXPECT_EQ(Simple(3).replication_factor, 3);
  EXPECT_EQ(
      ReplicationStrategy::FromMap({{"class", "SimpleStrategy"}, {"replication_factor", "2"}}).kind,
      ReplicationStrategy::Kind::kSimple);
  EXPECT_EQ(
      ReplicationStrategy::FromMap({{"class", "org.apache.cassandra.locator.LocalStrategy"}}).kind,
      ReplicationStrategy::Kind::kLocal);
}

}  // namespace
}  // namespace postfork::driver
