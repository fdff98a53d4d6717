#include "driver/net/stream_id_pool.h"

#include <gtest/gtest.h>

#include <set>

namespace postfork::driver {
namespace {

// Acquires `n` ids and checks that each is new and below `n` (ids are taken lowest first).
void AcquireDistinct(StreamIdPool& pool, int n) {
  std::set<int16_t> seen;
  for (int i = 0; i < n; ++i) {
    int16_t id = pool.Acquire();
    ASSERT_GE(id, 0);
    ASSERT_LT(id, n);
    EXPECT_TRUE(seen.insert(id).second) << "id " << id << " handed out twice";
  }
}

TEST(StreamIdPool, HandsOutEveryIdOnceThenRunsOut) {
  StreamIdPool pool(130);
  AcquireDistinct(pool, 130);
  EXPECT_EQ(pool.Acquire(), -1);
  EXPECT_EQ(pool.in_use(), 130);
  EXPECT_EQ(pool.available(), 0);
}

TEST(StreamIdPool, ReleasedIdsComeBack) {
  StreamIdPool pool(64);
  for (int i = 0; i < 64; ++i) ASSERT_GE(pool.Acquire(), 0);
  pool.Release(17);
  EXPECT_FALSE(pool.IsInUse(17));
  EXPECT_EQ(pool.Acquire(), 17);
  EXPECT_TRUE(pool.IsInUse(17));
  EXPECT_EQ(pool.Acquire(), -1);
}

TEST(StreamIdPool, FullV4RangeIsUsable) {
  StreamIdPool pool;
  EXPECT_EQ(pool.capacity(), 32768);
  int16_t last = -1;
  for (int i = 0; i < 32768; ++i) last = std::max(last, pool.Acquire());
  EXPECT_EQ(last, 32767);
  EXPECT_EQ(pool.Acquire(), -1);
  EXPECT_FALSE(pool.IsInUse(-1));
}

TEST(StreamIdPool, GrowsPastEachWordAndKeepsReleasedIdsFree) {
  StreamIdPool pool(200);
  AcquireDistinct(pool, 150);
  EXPECT_FALSE(pool.IsInUse(150));
  EXPECT_FALSE(pool.IsInUse(199));
  pool.Release(3);
  pool.Release(70);
  EXPECT_FALSE(pool.IsInUse(3));
  EXPECT_TRUE(pool.IsInUse(4));
  std::set<int16_t> next;
  for (int i = 0; i < 52; ++i) next.insert(pool.Acquire());
  EXPECT_EQ(next.size(), 52u);
  EXPECT_TRUE(next.count(3) && next.count(70));
  EXPECT_EQ(pool.Acquire(), -1);
  EXPECT_EQ(pool.in_use(), 200);
}

}  // namespace
}  // namespace postfork::driver
