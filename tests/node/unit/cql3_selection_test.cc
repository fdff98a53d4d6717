// Selection tests (cql3/selection/): what SELECT outputs, run in-process through CqlTestEnv:
// result column names as Cassandra names them, writetime/ttl, function calls and terms in
// selectors, UDT fields, aggregates folded per group, and SELECT JSON's objects.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cql_test_env.h"

namespace postfork::node::testing {
namespace {

using cql::ErrorCode;

void ExpectInvalid(const CqlResult& r, const std::string& message) {
  ASSERT_FALSE(r.ok) << r;
  EXPECT_EQ(r.code, ErrorCode::kInvalid) << r;
  EXPECT_EQ(r.message, message);
}

// A table t (pk, ck, v, s) with rows (1,1,10,'a') (1,2,20,'b') (1,3,30,'c') (2,1,40,'d').
class SelectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.UseKeyspace();
    env_.Ok("CREATE TABLE t (pk int, ck int, v int, s text, PRIMARY KEY (pk, ck))");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (1, 1, 10, 'a') USING TIMESTAMP 1000");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (1, 2, 20, 'b')");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (1, 3, 30, 'c')");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (2, 1, 40, 'd') USING TTL 1000");
  }
  void ExpectResult(const std::string& query, const std::vector<std::string>& columns,
                    const Rows& rows) {
    env_.ExpectResult(query, columns, rows);
  }
  CqlTestEnv env_;
};

TEST_F(SelectionTest, StarSelectsEveryColumnInTableOrder) {
  ExpectResult("SELECT * FROM t WHERE pk = 2", {"pk", "ck", "s", "v"},
               Rows{{"2", "1", "'d'", "40"}});
}

TEST_F(SelectionTest, WritetimeAndTtlOfCells) {
  ExpectResult("SELECT writetime(v), ttl(v), ttl(s) FROM t WHERE pk = 1 AND ck = 1",
               {"writetime(v)", "ttl(v)", "ttl(s)"}, Rows{{"1000", "null", "null"}});
  CqlResult r = env_.Execute("SELECT ttl(v) FROM t WHERE pk = 2");
  ASSERT_TRUE(r.ok) << r;
  ASSERT_EQ(r.rows.size(), 1u);
  int ttl = std::stoi(r.rows[0][0]);
  EXPECT_GT(ttl, 990);
  EXPECT_LE(ttl, 1000);
  ExpectInvalid(env_.Execute("SELECT writetime(ck) FROM t"),
                "Cannot use selection function writeTime on PRIMARY KEY part ck");
  ExpectInvalid(env_.Execute("SELECT ttl(pk) FROM t"),
                "Cannot use selection function ttl on PRIMARY KEY part pk");
}

TEST_F(SelectionTest, FunctionsOverColumnsAndTerms) {
  ExpectResult("SELECT textAsBlob(s), blobAsText(textAsBlob('hi')) FROM t WHERE pk = 2",
               {"system.textasblob(s)", "system.blobastext(system.textasblob('hi'))"},
               Rows{{"0x64", "'hi'"}});
  ExpectResult("SELECT cast(v AS text) FROM t WHERE pk = 2", {"cast(v as text)"}, Rows{{"'40'"}});
  ExpectInvalid(env_.Execute("SELECT token(ck) FROM t"),
                "Type error: ck cannot be passed as argument 0 of function system.token");
}

TEST_F(SelectionTest, TermSelectorsTakeTheirOwnOrTheCastType) {
  ExpectResult("SELECT 'x', (bigint)1, 2 FROM t WHERE pk = 2", {"'x'", "(bigint)1", "2"},
               Rows{{"'x'", "1", "2"}});
  ExpectInvalid(env_.Execute("SELECT ? FROM t"),
                "Cannot infer type for term ? in selection clause (try using a cast to force a "
                "type)");
  // A marker among the selectors is the first bound value, before WHERE's.
  CqlResult r = env_.ExecutePrepared("SELECT (int)?, v FROM t WHERE pk = ?",
                                     {cql::RawValue::Of(std::string("\0\0\0\7", 4)),
                                      cql::RawValue::Of(std::string("\0\0\0\2", 4))});
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.rows, (Rows{{"7", "40"}}));
}

TEST_F(SelectionTest, UserTypeFields) {
  env_.Ok("CREATE TYPE addr (street text, n int)");
  env_.Ok("CREATE TABLE u (k int PRIMARY KEY, a frozen<addr>)");
  env_.Ok("INSERT INTO u (k, a) VALUES (1, {street: 'main', n: 5})");
  ExpectResult("SELECT a.street, a.n FROM u WHERE k = 1", {"a.street", "a.n"},
               Rows{{"'main'", "5"}});
  ExpectInvalid(env_.Execute("SELECT a.zip FROM u"), "a of type frozen<addr> has no field zip");
}

TEST_F(SelectionTest, AggregatesFoldEachGroup) {
  ExpectResult("SELECT pk, count(*), min(v), max(s), sum(v), avg(v) FROM t GROUP BY pk",
               {"pk", "count", "system.min(v)", "system.max(s)", "system.sum(v)", "system.avg(v)"},
               Rows{{"1", "3", "10", "'c'", "60", "20"}, {"2", "1", "40", "'d'", "40", "40"}});
  // Over no rows: one row of zero counts and null extremes.
  ExpectResult("SELECT count(v), max(v) FROM t WHERE pk = 9", {"system.count(v)", "system.max(v)"},
               Rows{{"0", "null"}});
  ExpectInvalid(env_.Execute("SELECT sum(s) FROM t"),
                "Invalid call to function system.sum: its argument s of type text is not one of "
                "tinyint, smallint, int, bigint, counter, float, double");
}

TEST_F(SelectionTest, JsonObjectsOfTheSelectors) {
  ExpectResult("SELECT JSON pk, v AS val, ttl(s) FROM t WHERE pk = 1 AND ck = 1", {"[json]"},
               Rows{{"'{\"pk\": 1, \"val\": 10, \"ttl(s)\": null}'"}});
  ExpectResult("SELECT JSON count(*) FROM t WHERE pk = 1", {"[json]"}, Rows{{"'{\"count\": 3}'"}});
}

TEST_F(SelectionTest, DistinctSelectsPartitionKeysAndStatics) {
  ExpectResult("SELECT DISTINCT pk FROM t", {"pk"}, Rows{{"1"}, {"2"}});
  ExpectInvalid(env_.Execute("SELECT DISTINCT * FROM t"),
                "SELECT DISTINCT queries must request partition key columns");
  ExpectInvalid(env_.Execute("SELECT DISTINCT pk, v FROM t"),
                "SELECT DISTINCT queries must only request partition key columns and/or static "
                "columns (not v)");
}

}  // namespace
}  // namespace postfork::node::testing
