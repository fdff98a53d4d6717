#include "driver/net/stream_id_pool.h"

#include <gtest/gtest.h>

#include <set>

namespace postfork::driver {
namespace {

TEST(StreamIdPool, HandsOutEveryIdOnceThenRunsOut) {
  StreamIdPool pool(130);
  std::set<int16_t> seen;
  for (int i = 0; i < 130; ++i) {
    int16_t id = pool.Acquire();
    ASSERT_GE(id, 0);
    ASSERT_LT(id, 130);
    EXPECT_TRUE(seen.insert(id).second) << "id " << id << " handed out twice";
  }
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

}  // namespace
}  // namespace postfork::driver
