// Statement tests run in-process through CqlTestEnv: restrictions, selection, modification,
// batches, lightweight transactions and functions, checked against the rows, error codes and
// Cassandra message texts the node returns.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cql_test_env.h"

namespace postfork::node::testing {
namespace {

using cql::ErrorCode;

constexpr const char* kFilteringRefusal =
    "Cannot execute this query as it might involve data filtering and thus may have "
    "unpredictable performance. If you want to execute this query despite the performance "
    "unpredictability, use ALLOW FILTERING";

void ExpectError(const CqlResult& r, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(r.ok) << r;
  EXPECT_EQ(r.code, code) << r;
  EXPECT_EQ(r.message, message);
}

// A table t (pk, ck, v, s) with rows (1,1,10,'a') (1,2,20,'b') (1,3,30,'c') (2,1,40,'d').
class CqlStatementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.UseKeyspace();
    env_.Ok("CREATE TABLE t (pk int, ck int, v int, s text, PRIMARY KEY (pk, ck))");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (1, 1, 10, 'a')");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (1, 2, 20, 'b')");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (1, 3, 30, 'c')");
    env_.Ok("INSERT INTO t (pk, ck, v, s) VALUES (2, 1, 40, 'd')");
  }
  Rows RowsOf(const std::string& query) {
    CqlResult r = env_.Execute(query);
    EXPECT_TRUE(r.ok) << query << " -> " << r;
    return r.rows;
  }
  // `query` succeeds with these result columns and rows.
  void ExpectResult(const std::string& query, const std::vector<std::string>& columns,
                    const Rows& rows) {
    env_.ExpectResult(query, columns, rows);
  }
  CqlTestEnv env_;
};

// ---- restrictions ---------------------------------------------------------------------------

// A thread's reads reuse what they worked out for a table's columns (the storage reader's
// per-thread buffers) only while the table's schema stays the same: after a read of a column, a
// drop and re-add of it hides its old cells from the next reads, plain and prepared, and reads
// of other column sets of the table (a non-frozen list among them) return their own values.
TEST_F(CqlStatementTest, ReadsAfterADropAndReAddSeeTheNewSchema) {
  env_.Ok("CREATE TABLE dr (k int PRIMARY KEY, a int, l list<int>)");
  env_.Ok("INSERT INTO dr (k, a, l) VALUES (1, 10, [1, 2]) USING TIMESTAMP 1000");
  EXPECT_EQ(RowsOf("SELECT a FROM dr WHERE k = 1"), (Rows{{"10"}}));
  EXPECT_EQ(RowsOf("SELECT l FROM dr WHERE k = 1"), (Rows{{"[1, 2]"}}));
  EXPECT_EQ(RowsOf("SELECT a, l FROM dr WHERE k = 1"), (Rows{{"10", "[1, 2]"}}));
  const std::string one_bytes("\0\0\0\1", 4);  // int 1
  const cql::RawValue one = cql::RawValue::Of(one_bytes);
  CqlResult before = env_.ExecutePrepared("SELECT a, l FROM dr WHERE k = ?", {one});
  ASSERT_TRUE(before.ok) << before;
  EXPECT_EQ(before.rows, (Rows{{"10", "[1, 2]"}}));
  env_.Ok("ALTER TABLE dr DROP a USING TIMESTAMP 2000");
  env_.Ok("ALTER TABLE dr ADD a int");
  EXPECT_EQ(RowsOf("SELECT a FROM dr WHERE k = 1"), (Rows{{"null"}}));
  EXPECT_EQ(RowsOf("SELECT a, l FROM dr WHERE k = 1"), (Rows{{"null", "[1, 2]"}}));
  CqlResult after = env_.ExecutePrepared("SELECT a, l FROM dr WHERE k = ?", {one});
  ASSERT_TRUE(after.ok) << after;
  EXPECT_EQ(after.rows, (Rows{{"null", "[1, 2]"}}));
  env_.Ok("INSERT INTO dr (k, a) VALUES (1, 11) USING TIMESTAMP 3000");
  EXPECT_EQ(RowsOf("SELECT a, l FROM dr WHERE k = 1"), (Rows{{"11", "[1, 2]"}}));
}

TEST_F(CqlStatementTest, ClusteringSlices) {
  EXPECT_EQ(RowsOf("SELECT ck, v FROM t WHERE pk = 1 AND ck > 1"),
            (Rows{{"2", "20"}, {"3", "30"}}));
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 AND ck >= 2 AND ck < 3"), (Rows{{"2"}}));
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 AND ck <= 1"), (Rows{{"1"}}));
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 AND ck > 3"), Rows{});
}

// Partitions come in key order, as Cassandra sorts the IN values (not in the list's order).
TEST_F(CqlStatementTest, InRestrictionsReadPartitionsInKeyOrder) {
  EXPECT_EQ(RowsOf("SELECT pk, ck FROM t WHERE pk IN (2, 1) AND ck IN (1)"),
            (Rows{{"1", "1"}, {"2", "1"}}));
  EXPECT_EQ(RowsOf("SELECT pk, ck FROM t WHERE pk IN (2, 1, 2) AND ck IN (1)"),
            (Rows{{"1", "1"}, {"2", "1"}}));
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 AND ck IN (3, 1)"), (Rows{{"1"}, {"3"}}));
}

TEST_F(CqlStatementTest, DecimalClusteringKeysCompareByValue) {
  // Cassandra's DecimalType compares by value: one row, which keeps the bytes written first.
  env_.Ok("CREATE TABLE dec (p decimal, c decimal, v int, PRIMARY KEY (p, c))");
  env_.Ok("INSERT INTO dec (p, c, v) VALUES (1, 1230, 1)");
  env_.Ok("INSERT INTO dec (p, c, v) VALUES (1, 1.23E+3, 2)");
  env_.Ok("INSERT INTO dec (p, c, v) VALUES (1, 12.3, 3)");
  EXPECT_EQ(RowsOf("SELECT c, v FROM dec WHERE p = 1"), (Rows{{"12.3", "3"}, {"1230", "2"}}));
  EXPECT_EQ(RowsOf("SELECT c, v FROM dec WHERE p = 1 AND c = 1230.0"), (Rows{{"1230", "2"}}));
  EXPECT_EQ(RowsOf("SELECT c FROM dec WHERE p = 1 AND c IN (1230, 1.23E+3, 12.30)"),
            (Rows{{"12.3"}, {"1230"}}));
  EXPECT_EQ(RowsOf("SELECT c FROM dec WHERE p = 1 AND c > 12.300 AND c <= 1.23E3"),
            (Rows{{"1230"}}));
  // Partition keys are by their bytes (token of the serialized value): two partitions.
  env_.Ok("INSERT INTO dec (p, c, v) VALUES (1.0, 1, 4)");
  EXPECT_EQ(RowsOf("SELECT p, c, v FROM dec WHERE p = 1.0"), (Rows{{"1.0", "1", "4"}}));
  // A deletion by an equal value deletes the row; a later write keeps the deleted row's bytes.
  env_.Ok("DELETE FROM dec WHERE p = 1 AND c = 12.300");
  env_.Ok("INSERT INTO dec (p, c, v) VALUES (1, 1.23E+1, 5)");
  EXPECT_EQ(RowsOf("SELECT c, v FROM dec WHERE p = 1"), (Rows{{"12.3", "5"}, {"1230", "2"}}));
  // One batch writing equal values twice: one row, the first statement's bytes.
  env_.Ok(
      "BEGIN BATCH INSERT INTO dec (p, c, v) VALUES (2, 5.0, 1); "
      "INSERT INTO dec (p, c, v) VALUES (2, 5, 2) APPLY BATCH");
  EXPECT_EQ(RowsOf("SELECT c, v FROM dec WHERE p = 2"), (Rows{{"5.0", "2"}}));
  // Frozen collections of decimals as clustering keys compare element by element.
  env_.Ok("CREATE TABLE decl (p int, c frozen<list<decimal>>, v int, PRIMARY KEY (p, c))");
  env_.Ok("INSERT INTO decl (p, c, v) VALUES (1, [1, 2.50], 1)");
  env_.Ok("INSERT INTO decl (p, c, v) VALUES (1, [1.0, 2.5], 2)");
  EXPECT_EQ(RowsOf("SELECT c, v FROM decl WHERE p = 1"), (Rows{{"[1, 2.50]", "2"}}));
  // varint: every encoding of one value is one key.
  env_.Ok("CREATE TABLE vi (p int, c varint, PRIMARY KEY (p, c))");
  const std::string five("\0\x05", 2);  // not minimal: 0x05 is the same value
  ASSERT_TRUE(env_.Execute("INSERT INTO vi (p, c) VALUES (1, ?)", {cql::RawValue::Of(five)}).ok);
  env_.Ok("INSERT INTO vi (p, c) VALUES (1, 5)");
  EXPECT_EQ(RowsOf("SELECT c FROM vi WHERE p = 1"), (Rows{{"5"}}));
}

TEST_F(CqlStatementTest, MultiColumnRestrictions) {
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 AND (ck) IN ((1), (3))"), (Rows{{"1"}, {"3"}}));
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 AND (ck) > (1)"), (Rows{{"2"}, {"3"}}));
  // Multi-column EQ/IN relations beside single-column ones and each other.
  env_.Ok("CREATE TABLE mc (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d))");
  for (const char* v : {"0, 0, 0", "0, 1, 0", "0, 1, 1", "1, 0, 0", "1, 1, 0", "1, 1, 1"}) {
    env_.Ok(std::string("INSERT INTO mc (a, b, c, d) VALUES (0, ") + v + ")");
  }
  EXPECT_EQ(RowsOf("SELECT b, c, d FROM mc WHERE a = 0 AND (b, c) IN ((1, 1), (0, 1)) AND d = 0"),
            (Rows{{"0", "1", "0"}, {"1", "1", "0"}}));
  EXPECT_EQ(RowsOf("SELECT b, c, d FROM mc WHERE a = 0 AND (b) IN ((1), (0)) AND (c, d) = (1, 1)"),
            (Rows{{"0", "1", "1"}, {"1", "1", "1"}}));
  EXPECT_EQ(RowsOf("SELECT b, c, d FROM mc WHERE a = 0 AND b IN (0, 1) AND (c, d) IN ((0, 0))"),
            (Rows{{"0", "0", "0"}, {"1", "0", "0"}}));
  EXPECT_EQ(RowsOf("SELECT b, c, d FROM mc WHERE a = 0 AND (b, c) IN ((0, 1)) AND d > 0"),
            (Rows{{"0", "1", "1"}}));
  // Two inequalities, a slice before a restricted column, a multi-column slice to filter.
  const std::pair<const char*, const char*> refused[] = {
      {"SELECT * FROM mc WHERE a = 0 AND (b, c, d) > (0, 1, 0) AND c < 1",
       "Column \"c\" cannot be restricted by two inequalities not starting with the same column"},
      {"SELECT * FROM mc WHERE a = 0 AND c = 1 AND b > 0",
       "PRIMARY KEY column \"c\" cannot be restricted (preceding column \"b\" is restricted by a "
       "non-EQ relation)"},
      {"SELECT * FROM mc WHERE a = 0 AND (c, d) < (1, 1) ALLOW FILTERING",
       "Multi-column slice restrictions cannot be used for filtering."}};
  for (const auto& [query, message] : refused) {
    ExpectError(env_.Execute(query), ErrorCode::kInvalid, message);
  }
}

TEST_F(CqlStatementTest, FilteringNeedsAllowFiltering) {
  ExpectError(env_.Execute("SELECT * FROM t WHERE v = 20"), ErrorCode::kInvalid, kFilteringRefusal);
  ExpectError(env_.Execute("SELECT * FROM t WHERE ck = 1"), ErrorCode::kInvalid, kFilteringRefusal);
  EXPECT_EQ(RowsOf("SELECT * FROM t WHERE v = 20 ALLOW FILTERING"),
            (Rows{{"1", "2", "'b'", "20"}}));
}

TEST_F(CqlStatementTest, InvalidRestrictions) {
  ExpectError(env_.Execute("SELECT * FROM t WHERE pk = 1 AND ck = 1 AND ck = 2"),
              ErrorCode::kInvalid,
              "ck cannot be restricted by more than one relation if it "
              "includes an Equal");
  ExpectError(env_.Execute("SELECT * FROM t WHERE nope = 1"), ErrorCode::kInvalid,
              "Undefined column name nope in table ks.t");
}

// ---- selection ------------------------------------------------------------------------------

TEST_F(CqlStatementTest, Aggregates) {
  ExpectResult("SELECT count(*), max(v), min(v), sum(v), avg(v) FROM t WHERE pk = 1",
               {"count", "system.max(v)", "system.min(v)", "system.sum(v)", "system.avg(v)"},
               Rows{{"3", "30", "10", "60", "20"}});
  EXPECT_EQ(RowsOf("SELECT count(*) FROM t"), (Rows{{"4"}}));
}

TEST_F(CqlStatementTest, AliasesNameColumns) {
  ExpectResult("SELECT ck AS c, v AS val FROM t WHERE pk = 2", {"c", "val"}, Rows{{"1", "40"}});
}

TEST_F(CqlStatementTest, FunctionCallsInSelectors) {
  // The second value is the Murmur3 token of int 2.
  ExpectResult("SELECT blobAsInt(intAsBlob(v)), token(pk) FROM t WHERE pk = 2",
               {"system.blobasint(system.intasblob(v))", "system.token(pk)"},
               Rows{{"40", "-3248873570005575792"}});
  ExpectError(env_.Execute("SELECT nofunc(v) FROM t"), ErrorCode::kInvalid,
              "Unknown function 'nofunc'");
}

TEST_F(CqlStatementTest, JsonRows) {
  ExpectResult("SELECT JSON ck, s FROM t WHERE pk = 1 AND ck = 1", {"[json]"},
               Rows{{"'{\"ck\": 1, \"s\": \"a\"}'"}});
  env_.Ok("INSERT INTO t JSON '{\"pk\": 3, \"ck\": 4, \"s\": \"j\"}'");
  EXPECT_EQ(RowsOf("SELECT pk, ck, v, s FROM t WHERE pk = 3"), (Rows{{"3", "4", "null", "'j'"}}));
}

TEST_F(CqlStatementTest, OrderingLimitsAndDistinct) {
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 ORDER BY ck DESC"), (Rows{{"3"}, {"2"}, {"1"}}));
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1 LIMIT 2"), (Rows{{"1"}, {"2"}}));
  EXPECT_EQ(RowsOf("SELECT pk, ck FROM t PER PARTITION LIMIT 1").size(), 2u);
  EXPECT_EQ(RowsOf("SELECT DISTINCT pk FROM t").size(), 2u);
}

// ---- modification ---------------------------------------------------------------------------

TEST_F(CqlStatementTest, UpdateUpsertsAndDeleteRemoves) {
  env_.Ok("UPDATE t SET v = 99 WHERE pk = 3 AND ck = 3");
  EXPECT_EQ(RowsOf("SELECT * FROM t WHERE pk = 3"), (Rows{{"3", "3", "null", "99"}}));
  env_.Ok("DELETE v FROM t WHERE pk = 3 AND ck = 3");
  // An UPDATE-created row has no row marker: without cells it is gone.
  EXPECT_EQ(RowsOf("SELECT * FROM t WHERE pk = 3"), Rows{});
  env_.Ok("DELETE FROM t WHERE pk = 1 AND ck > 2");
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1"), (Rows{{"1"}, {"2"}}));
  env_.Ok("DELETE FROM t WHERE pk = 1");
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 1"), Rows{});
}

TEST_F(CqlStatementTest, TtlAndTimestamp) {
  env_.Ok("UPDATE t USING TTL 100 SET v = 5 WHERE pk = 4 AND ck = 4");
  Rows ttl = RowsOf("SELECT ttl(v) FROM t WHERE pk = 4 AND ck = 4");
  ASSERT_EQ(ttl.size(), 1u);
  int seconds = std::stoi(ttl[0][0]);
  EXPECT_GT(seconds, 90);
  EXPECT_LE(seconds, 100);
  EXPECT_EQ(RowsOf("SELECT ttl(v) FROM t WHERE pk = 2"), (Rows{{"null"}}));
  env_.Ok("INSERT INTO t (pk, ck, v) VALUES (5, 5, 5) USING TIMESTAMP 42");
  EXPECT_EQ(RowsOf("SELECT writetime(v) FROM t WHERE pk = 5"), (Rows{{"42"}}));
  ExpectError(env_.Execute("INSERT INTO t (pk, ck, v) VALUES (1, 1, 1) USING TTL -1"),
              ErrorCode::kInvalid, "A TTL must be greater or equal to 0, but was -1");
}

TEST_F(CqlStatementTest, InvalidModifications) {
  ExpectError(env_.Execute("INSERT INTO t (pk, v) VALUES (5, 5)"), ErrorCode::kInvalid,
              "Some clustering keys are missing: ck");
  ExpectError(env_.Execute("UPDATE t SET pk = 3 WHERE pk = 3 AND ck = 3"), ErrorCode::kInvalid,
              "PRIMARY KEY part pk found in SET part");
}

TEST_F(CqlStatementTest, Collections) {
  env_.Ok("CREATE TABLE c (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>)");
  env_.Ok("INSERT INTO c (k, l, s, m) VALUES (1, [1, 2], {'b', 'a'}, {'x': 1})");
  env_.Ok("UPDATE c SET l = l + [3], s = s - {'a'}, m['y'] = 2 WHERE k = 1");
  env_.Ok("UPDATE c SET l = [0] + l WHERE k = 1");
  EXPECT_EQ(RowsOf("SELECT l FROM c WHERE k = 1"), (Rows{{"[0, 1, 2, 3]"}}));
  env_.Ok("DELETE l[0] FROM c WHERE k = 1");
  EXPECT_EQ(RowsOf("SELECT l, s, m FROM c WHERE k = 1"),
            (Rows{{"[1, 2, 3]", "{'b'}", "{'x': 1, 'y': 2}"}}));
  ExpectError(env_.Execute("UPDATE c SET l[10] = 1 WHERE k = 1"), ErrorCode::kInvalid,
              "List index 10 out of bound, list has size 3");
}

// Each operation on a list sees the list as the statement's earlier operations left it, the
// statements of a batch see it as it was before the batch (checked against Cassandra 5.0).
TEST_F(CqlStatementTest, ListOperationsOfOneStatementApplyInTurn) {
  env_.Ok("CREATE TABLE c (k int PRIMARY KEY, l list<int>)");
  env_.Ok("CREATE TABLE cnt (k int PRIMARY KEY, n counter)");
  auto reset = [&] { env_.Ok("INSERT INTO c (k, l) VALUES (1, [1, 2, 3, 4, 5, 6])"); };
  auto list = [&] { return RowsOf("SELECT l FROM c WHERE k = 1"); };
  reset();
  env_.Ok("UPDATE c SET l[2] = 9, l[2] = 6 WHERE k = 1");  // a tie: the greater value
  EXPECT_EQ(list(), (Rows{{"[1, 2, 9, 4, 5, 6]"}}));
  env_.Ok("DELETE l[2], l[2] FROM c WHERE k = 1");
  EXPECT_EQ(list(), (Rows{{"[1, 2, 5, 6]"}}));
  reset();
  env_.Ok("UPDATE c SET l = l + [3, 4], l[7] = 7, l = [0] + l, l[0] = 8 WHERE k = 1");
  EXPECT_EQ(list(), (Rows{{"[8, 1, 2, 3, 4, 5, 6, 3, 7]"}}));
  reset();
  env_.Ok("UPDATE c SET l[2] = 8, l = l - [8] WHERE k = 1");
  EXPECT_EQ(list(), (Rows{{"[1, 2, 4, 5, 6]"}}));
  ExpectError(env_.Execute("UPDATE c SET l = l - [6], l[4] = 4 WHERE k = 1"),
              ErrorCode::kInvalid, "List index 4 out of bound, list has size 4");
  ExpectError(env_.Execute("DELETE l, l[0] FROM c WHERE k = 1"), ErrorCode::kInvalid,
              "Attempted to delete an element from a list which is null");
  env_.Ok("BEGIN BATCH DELETE l[2] FROM c WHERE k = 1; DELETE l[2] FROM c WHERE k = 1; "
          "APPLY BATCH");
  EXPECT_EQ(list(), (Rows{{"[1, 2, 5, 6]"}}));
  env_.Ok("UPDATE cnt SET n = n + 1, n = n + 2, n = n - 10 WHERE k = 1");
  EXPECT_EQ(RowsOf("SELECT n FROM cnt WHERE k = 1"), (Rows{{"-7"}}));
  ExpectError(env_.Execute("UPDATE c SET l = l + [1], l = [2] WHERE k = 1"),
              ErrorCode::kSyntaxError, "Multiple incompatible setting of column l");
}

// The network thread runs a prepared point read or single-row write itself; anything that reads
// before it writes, takes a lock, or writes several rows goes to the request threads.
// A prepared statement remembers the consistency levels its keyspace's replication allowed; a
// schema change (here the replication factor) checks them again.
TEST_F(CqlStatementTest, APreparedStatementsConsistencyIsCheckedAgainAfterASchemaChange) {
  const std::string read = "SELECT v FROM t WHERE pk = 1 AND ck = 1";
  const std::string write = "INSERT INTO t (pk, ck, v) VALUES (5, 5, 5)";
  for (const std::string& q : {read, write}) {
    EXPECT_TRUE(env_.ExecutePrepared(q, {}, cql::Consistency::kQuorum).ok) << q;
    EXPECT_TRUE(env_.ExecutePrepared(q, {}, cql::Consistency::kQuorum).ok) << q;  // remembered
  }
  env_.Ok("ALTER KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', "
          "'replication_factor': 3}");
  for (const std::string& q : {read, write}) {
    // QUORUM of 3 needs 2 live replicas; the one node is 1.
    CqlResult r = env_.ExecutePrepared(q, {}, cql::Consistency::kQuorum);
    EXPECT_FALSE(r.ok) << q;
    EXPECT_EQ(r.code, cql::ErrorCode::kUnavailable) << q << " -> " << r;
    EXPECT_TRUE(env_.ExecutePrepared(q, {}, cql::Consistency::kOne).ok) << q;
    r = env_.ExecutePrepared(q, {}, cql::Consistency::kQuorum);
    EXPECT_EQ(r.code, cql::ErrorCode::kUnavailable) << q << " -> " << r;
  }
}

TEST_F(CqlStatementTest, PreparedPointReadsAndSingleRowWritesRunInline) {
  env_.Ok("CREATE TABLE c (k int PRIMARY KEY, n counter)");
  env_.Ok("CREATE TABLE l (k int PRIMARY KEY, l list<int>)");
  auto runs_inline = [&](std::string_view query) {
    CqlResult prepared = env_.Prepare(query);
    EXPECT_TRUE(prepared.ok) << query << " -> " << prepared;
    std::string body;
    cql::ByteWriter(&body).WriteShortBytes(prepared.prepared_id);
    return env_.processor().RunsInline(cql::Opcode::kExecute, body) != nullptr;
  };
  EXPECT_TRUE(runs_inline("SELECT v FROM t WHERE pk = ? AND ck = ?"));
  EXPECT_TRUE(runs_inline("INSERT INTO t (pk, ck, v) VALUES (?, ?, ?)"));
  EXPECT_TRUE(runs_inline("INSERT INTO t (pk, ck, v) VALUES (?, ?, ?) USING TTL 10"));
  EXPECT_TRUE(runs_inline("UPDATE t SET v = ? WHERE pk = ? AND ck = ?"));
  EXPECT_TRUE(runs_inline("UPDATE l SET l = l + ? WHERE k = ?"));
  EXPECT_FALSE(runs_inline("SELECT v FROM t WHERE pk = ?"));
  EXPECT_FALSE(runs_inline("INSERT INTO t (pk, ck, v) VALUES (?, ?, ?) IF NOT EXISTS"));
  EXPECT_FALSE(runs_inline("UPDATE t SET v = ? WHERE pk = ? AND ck = ? IF v = ?"));
  EXPECT_FALSE(runs_inline("UPDATE t SET v = ? WHERE pk IN (?, ?) AND ck = ?"));
  EXPECT_FALSE(runs_inline("UPDATE t SET v = ? WHERE pk = ? AND ck IN (?, ?)"));
  EXPECT_FALSE(runs_inline("UPDATE c SET n = n + 1 WHERE k = ?"));
  EXPECT_FALSE(runs_inline("UPDATE l SET l[0] = ? WHERE k = ?"));
  EXPECT_FALSE(runs_inline("UPDATE l SET l = l - ? WHERE k = ?"));
  EXPECT_FALSE(runs_inline("INSERT INTO t JSON ?"));
  EXPECT_FALSE(runs_inline("DELETE FROM t WHERE pk = ? AND ck = ?"));
  EXPECT_FALSE(runs_inline("BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (?, ?, ?) APPLY BATCH"));
}

TEST_F(CqlStatementTest, PreparedStatementsBindValues) {
  CqlResult r = env_.ExecutePrepared("SELECT v FROM t WHERE pk = ? AND ck = ?",
                                     {cql::RawValue::Of(Int(1)), cql::RawValue::Of(Int(2))});
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.rows, (Rows{{"20"}}));
  std::string text = "bound";
  r = env_.ExecutePrepared(
      "INSERT INTO t (pk, ck, s) VALUES (?, ?, ?)",
      {cql::RawValue::Of(Int(6)), cql::RawValue::Of(Int(1)), cql::RawValue::Of(text)});
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(RowsOf("SELECT s FROM t WHERE pk = 6"), (Rows{{"'bound'"}}));
  // Cassandra words the count mismatch of a QUERY and of an EXECUTE differently.
  ExpectError(env_.Execute("SELECT v FROM t WHERE pk = ?"), ErrorCode::kInvalid,
              "Invalid amount of bind variables");
  ExpectError(env_.ExecutePrepared("SELECT v FROM t WHERE pk = ?", {}), ErrorCode::kInvalid,
              "there were 1 markers(?) in CQL but 0 bound variables");
}

// ---- batches --------------------------------------------------------------------------------

TEST_F(CqlStatementTest, PlainBatchAppliesEveryStatement) {
  env_.Ok(
      "BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (11, 1, 1); "
      "UPDATE t SET v = 2 WHERE pk = 12 AND ck = 1; DELETE FROM t WHERE pk = 2 AND ck = 1; "
      "APPLY BATCH");
  EXPECT_EQ(RowsOf("SELECT pk, ck, v FROM t WHERE pk IN (2, 11, 12)"),
            (Rows{{"11", "1", "1"}, {"12", "1", "2"}}));
  env_.Ok(
      "BEGIN UNLOGGED BATCH USING TIMESTAMP 5 INSERT INTO t (pk, ck, v) VALUES (13, 1, 1); "
      "APPLY BATCH");
  EXPECT_EQ(RowsOf("SELECT writetime(v) FROM t WHERE pk = 13"), (Rows{{"5"}}));
}

TEST_F(CqlStatementTest, BatchMessageOfQueries) {
  CqlResult r = env_.Batch({"INSERT INTO t (pk, ck, v) VALUES (20, 1, 1)",
                            "INSERT INTO t (pk, ck, v) VALUES (20, 2, 2)"});
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.kind, cql::ResultKind::kVoid);
  EXPECT_EQ(RowsOf("SELECT ck, v FROM t WHERE pk = 20"), (Rows{{"1", "1"}, {"2", "2"}}));
}

TEST_F(CqlStatementTest, ConditionalBatch) {
  CqlResult r = env_.Execute(
      "BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (9, 1, 1) IF NOT EXISTS; "
      "INSERT INTO t (pk, ck, v) VALUES (9, 2, 2) IF NOT EXISTS; APPLY BATCH");
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.rows, (Rows{{"true"}}));
  // A failed condition applies nothing and returns the existing row.
  r = env_.Execute(
      "BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (9, 1, 7) IF NOT EXISTS; "
      "INSERT INTO t (pk, ck, v) VALUES (9, 3, 3); APPLY BATCH");
  ASSERT_TRUE(r.ok) << r;
  EXPECT_EQ(r.columns, (std::vector<std::string>{"[applied]", "pk", "ck", "s", "v"}));
  EXPECT_EQ(r.rows, (Rows{{"false", "9", "1", "null", "1"}}));
  EXPECT_EQ(RowsOf("SELECT ck FROM t WHERE pk = 9"), (Rows{{"1"}, {"2"}}));
  ExpectError(env_.Execute("BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (9, 1, 1) IF NOT EXISTS; "
                           "INSERT INTO t (pk, ck, v) VALUES (10, 3, 3) IF NOT EXISTS; "
                           "APPLY BATCH"),
              ErrorCode::kInvalid, "Batch with conditions cannot span multiple partitions");
}

// ---- lightweight transactions ---------------------------------------------------------------

TEST_F(CqlStatementTest, InsertIfNotExists) {
  ExpectResult("INSERT INTO t (pk, ck, v) VALUES (7, 7, 7) IF NOT EXISTS", {"[applied]"},
               Rows{{"true"}});
  // Not applied: the existing row comes back after [applied].
  ExpectResult("INSERT INTO t (pk, ck, v) VALUES (7, 7, 8) IF NOT EXISTS",
               {"[applied]", "pk", "ck", "s", "v"}, Rows{{"false", "7", "7", "null", "7"}});
  EXPECT_EQ(RowsOf("SELECT v FROM t WHERE pk = 7 AND ck = 7"), (Rows{{"7"}}));
}

TEST_F(CqlStatementTest, ConditionalUpdateAndDelete) {
  ExpectResult("UPDATE t SET v = 9 WHERE pk = 1 AND ck = 1 IF v = 1", {"[applied]", "v"},
               Rows{{"false", "10"}});
  EXPECT_EQ(env_.Execute("UPDATE t SET v = 9 WHERE pk = 1 AND ck = 1 IF v = 10").rows,
            (Rows{{"true"}}));
  EXPECT_EQ(RowsOf("SELECT v FROM t WHERE pk = 1 AND ck = 1"), (Rows{{"9"}}));
  EXPECT_EQ(env_.Execute("DELETE FROM t WHERE pk = 1 AND ck = 1 IF EXISTS").rows, (Rows{{"true"}}));
  EXPECT_EQ(env_.Execute("DELETE FROM t WHERE pk = 1 AND ck = 1 IF EXISTS").rows,
            (Rows{{"false"}}));
  EXPECT_EQ(env_.Execute("UPDATE t SET v = 1 WHERE pk = 8 AND ck = 8 IF EXISTS").rows,
            (Rows{{"false"}}));
  EXPECT_EQ(RowsOf("SELECT * FROM t WHERE pk = 8"), Rows{});
}

// ---- functions ------------------------------------------------------------------------------

TEST_F(CqlStatementTest, NonPureFunctionsAreEvaluatedPerExecution) {
  env_.Ok("CREATE TABLE u (k int PRIMARY KEY, id timeuuid)");
  CqlResult prepared = env_.Prepare("INSERT INTO u (k, id) VALUES (?, now())");
  ASSERT_TRUE(prepared.ok) << prepared;
  ASSERT_TRUE(
      env_.ExecutePrepared("INSERT INTO u (k, id) VALUES (?, now())", {cql::RawValue::Of(Int(1))})
          .ok);
  ASSERT_TRUE(
      env_.ExecutePrepared("INSERT INTO u (k, id) VALUES (?, now())", {cql::RawValue::Of(Int(2))})
          .ok);
  Rows ids = RowsOf("SELECT id FROM u");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0][0], ids[1][0]);
  // One call per row within a single SELECT, too.
  Rows uuids = RowsOf("SELECT uuid() FROM u");
  ASSERT_EQ(uuids.size(), 2u);
  EXPECT_NE(uuids[0][0], uuids[1][0]);
  EXPECT_NE(RowsOf("SELECT now() FROM u WHERE k = 1"), RowsOf("SELECT now() FROM u WHERE k = 1"));
}

TEST_F(CqlStatementTest, ToJsonAndTimestampFunctions) {
  EXPECT_EQ(RowsOf("SELECT toJson(s), toJson(v) FROM t WHERE pk = 2"), (Rows{{"'\"d\"'", "'40'"}}));
  EXPECT_EQ(RowsOf("SELECT toTimestamp(minTimeuuid('2020-01-02 03:04:05+0000')) FROM t "
                   "WHERE pk = 2"),
            (Rows{{"'2020-01-02 03:04:05.000000+0000'"}}));
}

}  // namespace
}  // namespace postfork::node::testing
