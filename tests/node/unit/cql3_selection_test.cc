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
                "Cannot use selection function writetime on PRIMARY KEY part ck");
  ExpectInvalid(env_.Execute("SELECT ttl(pk) FROM t"),
                "Cannot use selection function ttl on PRIMARY KEY part pk");
}

TEST_F(SelectionTest, FunctionsOverColumnsAndTerms) {
  ExpectResult("SELECT textAsBlob(s), blobAsText(textAsBlob('hi')) FROM t WHERE pk = 2",
               {"system.textasblob(s)", "system.blobastext(system.textasblob('hi'))"},
               Rows{{"0x64", "'hi'"}});
  ExpectResult(
      "SELECT cast(v AS text), cast(v AS int), bigintAsBlob(writetime(v)) FROM t "
      "WHERE pk = 1 AND ck = 1",
      {"cast(v as text)", "v", "system.bigintasblob(writetime(v))"},
      Rows{{"'10'", "10", "0x00000000000003e8"}});
  ExpectInvalid(env_.Execute("SELECT blobAsInt(0x0001) FROM t WHERE pk = 2"),
                "In call to function system.blobasint, value 0x0001 is not a valid binary "
                "representation for type int");
  ExpectInvalid(env_.Execute("SELECT nosuch(v) FROM t"), "Unknown function 'nosuch'");
  ExpectInvalid(env_.Execute("SELECT fromJson('1') FROM t"),
                "fromjson() cannot be used in the selection clause of a SELECT statement");
  ExpectResult("SELECT system.textasblob(s) FROM t WHERE pk = 2", {"system.textasblob(s)"},
               Rows{{"0x64"}});
  ExpectInvalid(env_.Execute("SELECT token(ck) FROM t"),
                "Type error: ck cannot be passed as argument 0 of function system.token");
}

TEST_F(SelectionTest, TermSelectorsTakeTheirOwnOrTheCastType) {
  ExpectResult("SELECT (text)'x', (bigint)1 FROM t WHERE pk = 2", {"(text)'x'", "(bigint)1"},
               Rows{{"'x'", "1"}});
  // Literals have no type of their own: uncast, they cannot be selected (Cassandra 5.0).
  ExpectInvalid(env_.Execute("SELECT 'x' FROM t"),
                "Cannot infer type for term 'x' in selection clause (try using a cast to force a "
                "type)");
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

// Cassandra 5.0's operators: the overload of the wider operand's type, literals typed by it,
// names as written, Java's arithmetic, and its refusals.
TEST_F(SelectionTest, ArithmeticOperators) {
  ExpectResult("SELECT v + 1, v * 2 - ck, -v, (v + 1) % 7, v / 3.0 FROM t WHERE pk = 1 AND ck = 2",
               {"v + 1", "v * 2 - ck", "-v", "(v + 1) % 7", "v / 3.0"},
               Rows{{"21", "38", "-20", "0", "6.666666666666667"}});
  ExpectResult(
      "SELECT v + 2147483647, v + 100000000000, (tinyint)100 + (tinyint)100 FROM t "
      "WHERE pk = 2",
      {"v + 2147483647", "v + 100000000000", "(tinyint)100 + (tinyint)100"},
      Rows{{"-2147483609", "100000000040", "-56"}});
  env_.Ok("CREATE TABLE n (k int PRIMARY KEY, de decimal, vi varint, ts timestamp, dt date)");
  env_.Ok(
      "INSERT INTO n (k, de, vi, ts, dt) VALUES (1, 10, 12345678901234567890, "
      "'2024-01-31 10:00:00+0000', '2024-01-31')");
  ExpectResult("SELECT de / 3, de + 0.5, vi * 10, dt + 1mo, ts - 1d FROM n",
               {"de / 3", "de + 0.5", "vi * 10", "dt + 1mo", "ts - 1d"},
               Rows{{"3.33333333333333333333333333333333", "10.5", "123456789012345678900",
                     "'2024-02-29'", "'2024-01-30 10:00:00.000000+0000'"}});
  ExpectInvalid(env_.Execute("SELECT v + s FROM t"),
                "the '+' operation is not supported between v and s");
  ExpectInvalid(env_.Execute("SELECT v + ? FROM t"),
                "Ambiguous '+' operation with args v and ?: use type hint to disambiguate, "
                "example '(int) ?'");
  CqlResult r = env_.Execute("SELECT v / 0 FROM t WHERE pk = 2");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.code, ErrorCode::kFunctionFailure);
  EXPECT_EQ(r.message, "the operation 'int / int' failed: / by zero");
}

// A function of aggregates is computed from their results, once per group.
TEST_F(SelectionTest, FunctionsOfAggregates) {
  ExpectResult("SELECT pk, max(v) + 1, count(*) * 2, sum(v) / count(*) FROM t GROUP BY pk",
               {"pk", "system.max(v) + 1", "count * 2", "system.sum(v) / count"},
               Rows{{"1", "31", "6", "20"}, {"2", "41", "2", "40"}});
  ExpectResult("SELECT max(v) + 1 FROM t WHERE pk = 9", {"system.max(v) + 1"}, Rows{{"null"}});
}

// Cassandra's FunctionResolver: one overload checks each argument; several pick the exact match,
// else the one weakly assignable overload.
TEST_F(SelectionTest, FunctionOverloadsResolveAsCassandra) {
  ExpectInvalid(env_.Execute("SELECT bigintAsBlob(v) FROM t"),
                "Type error: v cannot be passed as argument 0 of function system.bigintasblob of "
                "type bigint");
  ExpectInvalid(env_.Execute("SELECT blobAsInt(4) FROM t"),
                "Type error: 4 cannot be passed as argument 0 of function system.blobasint of "
                "type blob");
  ExpectInvalid(env_.Execute("SELECT toDate(?) FROM t"),
                "Ambiguous call to function todate (can be matched by following signatures: "
                "system.todate : (timeuuid) -> date, system.todate : (timestamp) -> date): use "
                "type casts to disambiguate");
  // varint reads an int's bytes: a weakly assignable argument.
  ExpectResult("SELECT varintAsBlob(v), max(1) FROM t WHERE pk = 2",
               {"system.varintasblob(v)", "system.max(1)"}, Rows{{"0x00000028", "1"}});
}

// Cassandra 5.0's collection and masking functions: results typed by their argument.
TEST_F(SelectionTest, CollectionAndMaskingFunctions) {
  env_.Ok("CREATE TABLE c (k int PRIMARY KEY, l list<int>, m map<text, int>)");
  env_.Ok("INSERT INTO c (k, l, m) VALUES (1, [3, 1, 2], {'a': 1, 'b': 2})");
  ExpectResult("SELECT map_keys(m), map_values(m), collection_max(l), collection_avg(l) FROM c",
               {"system.map_keys(m)", "system.map_values(m)", "system.collection_max(l)",
                "system.collection_avg(l)"},
               Rows{{"{'a', 'b'}", "[1, 2]", "3", "2"}});
  ExpectInvalid(env_.Execute("SELECT map_keys(l) FROM c"),
                "Function system.map_keys requires a map argument, but found argument l of type "
                "list<int>");
  ExpectResult(
      "SELECT mask_inner(s, 1, 0), mask_outer(s, 0, 1, '#'), mask_default(v), "
      "mask_null(v) FROM t WHERE pk = 2",
      {"system.mask_inner(s, 1, 0)", "system.mask_outer(s, 0, 1, '#')", "system.mask_default(v)",
       "system.mask_null(v)"},
      Rows{{"'d'", "'#'", "0", "null"}});
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
  // Over function calls and elements too.
  ExpectResult("SELECT sum(cast(v AS bigint)), avg(cast(v AS double)) FROM t WHERE pk = 1",
               {"system.sum(cast(v as bigint))", "system.avg(cast(v as double))"},
               Rows{{"60", "20"}});
  env_.Ok("CREATE TABLE am (k int PRIMARY KEY, m map<int, int>)");
  env_.Ok("INSERT INTO am (k, m) VALUES (1, {1: 5, 2: 7})");
  env_.Ok("INSERT INTO am (k, m) VALUES (2, {1: 9})");
  ExpectResult("SELECT max(m[1]), sum(m[2]) FROM am", {"system.max(m[1])", "system.sum(m[2])"},
               Rows{{"9", "7"}});
  ExpectInvalid(env_.Execute("SELECT sum(s) FROM t"),
                "Invalid call to function sum, none of its type signatures match (known type "
                "signatures: system.sum : (tinyint) -> tinyint, system.sum : (smallint) -> "
                "smallint, system.sum : (int) -> int, system.sum : (bigint) -> bigint, "
                "system.sum : (float) -> float, system.sum : (double) -> double, system.sum : "
                "(decimal) -> decimal, system.sum : (varint) -> varint, system.sum : (counter) -> "
                "counter)");
}

TEST_F(SelectionTest, GroupByAMonotonicFunctionOfTheLastClusteringColumn) {
  env_.Ok("CREATE TABLE e (pk int, ts timestamp, v int, PRIMARY KEY (pk, ts))");
  env_.Ok("INSERT INTO e (pk, ts, v) VALUES (1, '2020-01-01 10:00:00+0000', 1)");
  env_.Ok("INSERT INTO e (pk, ts, v) VALUES (1, '2020-01-01 10:30:00+0000', 2)");
  env_.Ok("INSERT INTO e (pk, ts, v) VALUES (1, '2020-01-01 11:00:00+0000', 3)");
  ExpectResult("SELECT pk, count(*), sum(v) FROM e GROUP BY pk, floor(ts, 1h)",
               {"pk", "count", "system.sum(v)"}, Rows{{"1", "2", "3"}, {"1", "1", "3"}});
  ExpectInvalid(env_.Execute("SELECT pk, count(*) FROM t GROUP BY pk, abs(ck)"),
                "Only monotonic functions are supported in the GROUP BY clause. Got: system.abs "
                ": (int) -> int ");
  ExpectInvalid(env_.Execute("SELECT pk, count(*) FROM t GROUP BY pk, cast(ck AS bigint)"),
                "Only column names and monotonic scalar functions are supported in the GROUP BY "
                "clause.");
  ExpectInvalid(env_.Execute("SELECT pk, count(*) FROM t GROUP BY pk, max(ck)"),
                "Aggregate functions are not supported within the GROUP BY clause, got: "
                "system.max");
}

TEST_F(SelectionTest, JsonObjectsOfTheSelectors) {
  ExpectResult("SELECT JSON pk, v AS val, ttl(s) FROM t WHERE pk = 1 AND ck = 1", {"[json]"},
               Rows{{"'{\"pk\": 1, \"val\": 10, \"ttl(s)\": null}'"}});
  ExpectResult("SELECT JSON count(*) FROM t WHERE pk = 1", {"[json]"}, Rows{{"'{\"count\": 3}'"}});
}

// fromJson() with a bound JSON text, in VALUES and in SET.
TEST_F(SelectionTest, FromJsonOfABindMarker) {
  env_.Ok("CREATE TABLE fj (k int PRIMARY KEY, m map<text, int>)");
  CqlResult r = env_.ExecutePrepared("INSERT INTO fj (k, m) VALUES (?, fromJson(?))",
                                     {cql::RawValue::Of(std::string("\0\0\0\1", 4)),
                                      cql::RawValue::Of(std::string("{\"a\": 7}"))});
  ASSERT_TRUE(r.ok) << r;
  r = env_.ExecutePrepared("UPDATE fj SET m = fromJson(?) WHERE k = 2",
                           {cql::RawValue::Of(std::string("{\"b\": 8}"))});
  ASSERT_TRUE(r.ok) << r;
  ExpectResult("SELECT k, m FROM fj WHERE k IN (1, 2)", {"k", "m"},
               Rows{{"1", "{'a': 7}"}, {"2", "{'b': 8}"}});
}

TEST_F(SelectionTest, DistinctSelectsPartitionKeysAndStatics) {
  ExpectResult("SELECT DISTINCT pk FROM t", {"pk"}, Rows{{"1"}, {"2"}});
  ExpectInvalid(env_.Execute("SELECT DISTINCT * FROM t"),
                "SELECT DISTINCT queries must only request partition key columns and/or static "
                "columns (not ck)");
  ExpectInvalid(env_.Execute("SELECT DISTINCT pk, v FROM t"),
                "SELECT DISTINCT queries must only request partition key columns and/or static "
                "columns (not v)");
  ExpectInvalid(env_.Execute("SELECT DISTINCT pk, writetime(v) FROM t"),
                "SELECT DISTINCT queries must only request partition key columns and/or static "
                "columns (not v)");
  // Over a range of partitions every partition key column is requested; count(*) names none.
  ExpectInvalid(env_.Execute("SELECT DISTINCT count(*) FROM t"),
                "SELECT DISTINCT queries must request all the partition key columns (missing pk)");
  ExpectResult("SELECT DISTINCT count(*) FROM t WHERE pk = 1", {"count"}, Rows{{"1"}});
}

// Element and slice selection on sets and maps, frozen or not (Cassandra 5.0).
TEST_F(SelectionTest, ElementsAndSlicesOfSetsAndMaps) {
  env_.Ok(
      "CREATE TABLE c (k int PRIMARY KEY, m map<int, text>, fm frozen<map<int, text>>, "
      "s set<text>, fs frozen<set<text>>, l list<int>)");
  env_.Ok(
      "INSERT INTO c (k, m, fm, s, fs, l) VALUES (1, {1: 'a', 2: 'b', 3: 'c'}, "
      "{1: 'a', 2: 'b', 3: 'c'}, {'x', 'y'}, {'x', 'y'}, [1])");
  ExpectResult("SELECT m[2], fm[2], m[9], s['x'], fs['z'] FROM c WHERE k = 1",
               {"m[2]", "fm[2]", "m[9]", "s['x']", "fs['z']"},
               Rows{{"'b'", "'b'", "null", "'x'", "null"}});
  ExpectResult("SELECT m[2..3], fm[..1], s['y'..], m[5..], fm[5..] FROM c WHERE k = 1",
               {"m[2..3]", "fm[..1]", "s['y'..]", "m[5..]", "fm[5..]"},
               Rows{{"{2: 'b', 3: 'c'}", "{1: 'a'}", "{'y'}", "null", "{}"}});
  ExpectResult("SELECT m[1] AS one FROM c WHERE k = 2", {"one"}, Rows{});
  CqlResult r = env_.ExecutePrepared("SELECT m[?] FROM c WHERE k = 1",
                                     {cql::RawValue::Of(std::string("\0\0\0\3", 4))});
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.rows, (Rows{{"'c'"}}));
  ExpectInvalid(env_.Execute("SELECT l[0] FROM c"),
                "Element selection is only allowed on sets and maps, but l is a list");
  ExpectInvalid(env_.Execute("SELECT l[0..1] FROM c"),
                "Slice selection is only allowed on sets and maps, but l is a list");
  ExpectInvalid(env_.Execute("SELECT k[0] FROM c"),
                "Invalid element selection: k is of type int is not a collection");
  ExpectInvalid(env_.Execute("SELECT m[null] FROM c"),
                "Invalid null value for element selection on m");
}

// writetime()/ttl() of elements (one time) and of whole non-frozen collections or their slices
// (one per element); of a frozen value, the whole value's.
TEST_F(SelectionTest, TimesOfElementsAndFields) {
  env_.Ok("CREATE TYPE pt (a int, b int)");
  env_.Ok("CREATE TABLE w (k int PRIMARY KEY, s set<int>, fs frozen<set<int>>, u pt, l list<int>)");
  env_.Ok("INSERT INTO w (k, s, fs, u, l) VALUES (1, {1}, {1}, {a: 1}, [7]) USING TIMESTAMP 10");
  env_.Ok("UPDATE w USING TIMESTAMP 20 SET s = s + {2}, u.b = 2 WHERE k = 1");
  ExpectResult(
      "SELECT writetime(s[1]), writetime(s[2]), writetime(s[3]), writetime(fs[1]), "
      "writetime(u.a), writetime(u.b) FROM w WHERE k = 1",
      {"writetime(s[1])", "writetime(s[2])", "writetime(s[3])", "writetime(fs[1])",
       "writetime(u.a)", "writetime(u.b)"},
      Rows{{"10", "20", "null", "10", "10", "20"}});
  ExpectResult(
      "SELECT writetime(s), writetime(s[2..]), maxwritetime(s), writetime(l) FROM w WHERE k = 1",
      {"writetime(s)", "writetime(s[2..])", "maxwritetime(s)", "writetime(l)"},
      Rows{{"[10, 20]", "[20]", "20", "[10]"}});
  env_.Ok("INSERT INTO w (k, s) VALUES (2, {5}) USING TTL 1000");
  CqlResult r = env_.Execute("SELECT ttl(s), ttl(s[5]) FROM w WHERE k = 2");
  ASSERT_TRUE(r.ok) << r;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_TRUE(r.rows[0][0] == "[1000]" || r.rows[0][0].rfind("[99", 0) == 0) << r;
  EXPECT_TRUE(r.rows[0][1] == "1000" || r.rows[0][1].rfind("99", 0) == 0) << r;
  ExpectInvalid(env_.Execute("SELECT writetime(l[0]) FROM w"),
                "Element selection is only allowed on sets and maps, but l is a list");
  ExpectInvalid(env_.Execute("SELECT ttl(k) FROM w"),
                "Cannot use selection function ttl on PRIMARY KEY part k");
}

}  // namespace
}  // namespace postfork::node::testing
