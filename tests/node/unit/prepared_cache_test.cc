// PreparedCache: bounded by weight, least recently used evicted first, statements dropped with
// their table or keyspace.
#include "node/cql3/prepared_cache.h"

#include <gtest/gtest.h>

namespace postfork::node::cql3 {
namespace {

std::shared_ptr<PreparedEntry> Entry(const std::string& id, const std::string& keyspace,
                                     const std::string& table, size_t weight = 100) {
  auto e = std::make_shared<PreparedEntry>();
  e->id = id;
  e->query = "SELECT * FROM " + keyspace + "." + table;
  e->statement_keyspace = keyspace;
  e->statement_table = table;
  e->weight = weight;
  return e;
}

TEST(PreparedCacheTest, EvictsTheLeastRecentlyUsedBeyondItsCapacity) {
  PreparedCache cache(350);
  cache.Insert(Entry("a", "ks", "t"));
  cache.Insert(Entry("b", "ks", "t"));
  cache.Insert(Entry("c", "ks", "t"));
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recently used
  cache.Insert(Entry("d", "ks", "t"));  // 400 > 350: b goes
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_NE(cache.Find("d"), nullptr);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.weight(), 300u);
}

TEST(PreparedCacheTest, StaysWithinItsCapacityUnderManyDistinctStatements) {
  PreparedCache cache(10'000);
  for (int i = 0; i < 5000; ++i) {
    cache.Insert(Entry("id" + std::to_string(i), "ks", "t", 97));
    ASSERT_LE(cache.weight(), 10'000u);
  }
  EXPECT_EQ(cache.size(), 10'000u / 97);
  EXPECT_NE(cache.Find("id4999"), nullptr);
  EXPECT_EQ(cache.Find("id0"), nullptr);
}

TEST(PreparedCacheTest, KeepsTheCachedEntryForAnIdPreparedTwice) {
  PreparedCache cache(1000);
  auto first = cache.Insert(Entry("a", "ks", "t"));
  auto second = cache.Insert(Entry("a", "ks", "t"));
  EXPECT_EQ(first, second);
  EXPECT_EQ(cache.weight(), 100u);
}

TEST(PreparedCacheTest, AnEntryHeavierThanTheCapacityIsNotCached) {
  PreparedCache cache(1000);
  cache.Insert(Entry("a", "ks", "t"));
  auto big = cache.Insert(Entry("big", "ks", "t", 1001));
  EXPECT_NE(big, nullptr);
  EXPECT_EQ(cache.Find("big"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr);
}

TEST(PreparedCacheTest, DropsStatementsWithTheirTableOrKeyspace) {
  PreparedCache cache(10'000);
  cache.Insert(Entry("t1", "ks", "t"));
  cache.Insert(Entry("t2", "ks", "t"));
  cache.Insert(Entry("u", "ks", "u"));
  cache.Insert(Entry("other", "ks2", "t"));
  cache.Invalidate("ks", "t");
  EXPECT_EQ(cache.Find("t1"), nullptr);
  EXPECT_EQ(cache.Find("t2"), nullptr);
  EXPECT_NE(cache.Find("u"), nullptr);
  cache.Invalidate("ks", "");
  EXPECT_EQ(cache.Find("u"), nullptr);
  EXPECT_NE(cache.Find("other"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.weight(), 100u);
}

}  // namespace
}  // namespace postfork::node::cql3
