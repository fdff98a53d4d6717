// Writes that read before they write, run concurrently in-process through CqlTestEnv: counter
// increments and compare-and-set lose nothing, whatever partitions the threads share
// (service/storage_proxy.h holds the locks).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "cql_test_env.h"

namespace postfork::node::testing {
namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 50;

TEST(CqlConcurrencyTest, CounterIncrementsOnSharedAndOwnPartitionsAddUp) {
  CqlTestEnv env;
  env.Ok(
      "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', "
      "'replication_factor': 1}");
  env.Ok("CREATE TABLE ks.c (pk int, ck int, n counter, PRIMARY KEY (pk, ck))");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&env, t] {
      for (int i = 0; i < kRounds; ++i) {
        // Its own partition, the partition every thread shares, and both at once (an IN that
        // takes two partitions' locks), plus a counter batch over its own and the shared one.
        const std::string own = std::to_string(100 + t);
        env.Ok("UPDATE ks.c SET n = n + 1 WHERE pk = " + own + " AND ck = 1");
        env.Ok("UPDATE ks.c SET n = n + 1 WHERE pk = 0 AND ck = 1");
        env.Ok("UPDATE ks.c SET n = n + 2 WHERE pk IN (0, " + own + ") AND ck = 2");
        CqlResult batch = env.Batch({"UPDATE ks.c SET n = n + 1 WHERE pk = 0 AND ck = 3",
                                     "UPDATE ks.c SET n = n + 1 WHERE pk = " + own + " AND ck = 3"},
                                    cql::BatchType::kCounter);
        EXPECT_TRUE(batch.ok) << batch;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CqlResult shared = env.Ok("SELECT ck, n FROM ks.c WHERE pk = 0");
  EXPECT_EQ(shared.rows, (Rows{{"1", std::to_string(kThreads * kRounds)},
                               {"2", std::to_string(2 * kThreads * kRounds)},
                               {"3", std::to_string(kThreads * kRounds)}}));
  for (int t = 0; t < kThreads; ++t) {
    CqlResult own = env.Ok("SELECT ck, n FROM ks.c WHERE pk = " + std::to_string(100 + t));
    EXPECT_EQ(own.rows, (Rows{{"1", std::to_string(kRounds)},
                              {"2", std::to_string(2 * kRounds)},
                              {"3", std::to_string(kRounds)}}));
  }
}

// Each thread adds one to a value with compare-and-set, retrying when another thread won: the
// final value counts every applied transaction exactly once.
TEST(CqlConcurrencyTest, CompareAndSetIncrementsAreLinearizable) {
  CqlTestEnv env;
  env.Ok(
      "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', "
      "'replication_factor': 1}");
  env.Ok("CREATE TABLE ks.t (pk int PRIMARY KEY, v int)");
  env.Ok("INSERT INTO ks.t (pk, v) VALUES (1, 0) IF NOT EXISTS");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&env] {
      for (int i = 0; i < kRounds; ++i) {
        for (;;) {
          CqlResult read = env.Ok("SELECT v FROM ks.t WHERE pk = 1");
          ASSERT_EQ(read.rows.size(), 1u);
          const int v = std::stoi(read.rows[0][0]);
          CqlResult cas = env.Ok("UPDATE ks.t SET v = " + std::to_string(v + 1) +
                                 " WHERE pk = 1 IF v = " + std::to_string(v));
          ASSERT_FALSE(cas.rows.empty());
          if (cas.rows[0][0] == "true") break;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(env.Ok("SELECT v FROM ks.t WHERE pk = 1").rows,
            (Rows{{std::to_string(kThreads * kRounds)}}));
}

// Conditional writes that set a list element by index race conditional replacements of the
// whole list: each reads the list, and takes its timestamp, under the partition's lock, so the
// list always holds two elements and the last applied write is the one that shows (a list read
// before the lock would set an element of a list already replaced, at a time older than the
// replacement, and the applied write would not show).
TEST(CqlConcurrencyTest, ConditionalListElementWritesSeeEveryEarlierConditionalWrite) {
  CqlTestEnv env;
  env.Ok(
      "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', "
      "'replication_factor': 1}");
  env.Ok("CREATE TABLE ks.l (pk int PRIMARY KEY, v int, l list<int>)");
  env.Ok("INSERT INTO ks.l (pk, v, l) VALUES (0, 0, [1, 1])");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&env, t] {
      for (int i = 0; i < 2 * kRounds; ++i) {
        CqlResult cas = env.Ok(t % 2 == 0 ? "UPDATE ks.l SET l = [1, 1] WHERE pk = 0 IF v = 0"
                                          : "UPDATE ks.l SET l[0] = 2 WHERE pk = 0 IF v = 0");
        ASSERT_FALSE(cas.rows.empty());
        ASSERT_EQ(cas.rows[0][0], "true");
        CqlResult read = env.Ok("SELECT l FROM ks.l WHERE pk = 0");
        ASSERT_EQ(read.rows.size(), 1u);
        ASSERT_TRUE(read.rows[0][0] == "[1, 1]" || read.rows[0][0] == "[2, 1]") << read.rows[0][0];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // The last write decides: set the element once more, alone.
  env.Ok("UPDATE ks.l SET l[0] = 2 WHERE pk = 0 IF v = 0");
  EXPECT_EQ(env.Ok("SELECT l FROM ks.l WHERE pk = 0").rows, (Rows{{"[2, 1]"}}));
}

}  // namespace
}  // namespace postfork::node::testing
