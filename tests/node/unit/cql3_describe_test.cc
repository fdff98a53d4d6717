// DESCRIBE run in-process: the CREATE statements as Cassandra 5.0 renders them (the expected
// texts are Cassandra 5.0.4's answers to the same statements), listings and error texts.
#include <gtest/gtest.h>

#include <string>

#include "cql_test_env.h"

namespace postfork::node::testing {
namespace {

// A text cell as the test environment returns it: a CQL string literal.
std::string Literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

class DescribeTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.UseKeyspace(); }

  // The create_statement of the first row `query` returns.
  std::string CreateStatement(const std::string& query) {
    CqlResult r = env_.Execute(query);
    EXPECT_TRUE(r.ok) << query << " -> " << r;
    if (!r.ok || r.rows.empty() || r.rows[0].size() < 4) return "";
    EXPECT_EQ(r.columns,
              (std::vector<std::string>{"keyspace_name", "type", "name", "create_statement"}));
    return r.rows[0][3];
  }

  void ExpectError(const std::string& query, const std::string& message) {
    CqlResult r = env_.Execute(query);
    EXPECT_FALSE(r.ok) << query;
    EXPECT_EQ(r.code, cql::ErrorCode::kInvalid) << query;
    EXPECT_EQ(r.message, message) << query;
  }

  CqlTestEnv env_;
};

TEST_F(DescribeTest, TableWithEveryOptionInCassandrasOrderAndColumnOrder) {
  env_.Ok(
      "CREATE TABLE t3 (a int, b int, c int, v1 int, v0 text, s1 int static, "
      "s0 list<int> static, z frozen<list<int>>, y list<int>, PRIMARY KEY (a, b, c)) "
      "WITH CLUSTERING ORDER BY (b ASC, c DESC) AND comment = 'it''s' AND gc_grace_seconds = 10 "
      "AND compression = {'enabled': 'false'} AND caching = {'keys': 'NONE', "
      "'rows_per_partition': '10'} AND compaction = {'class': 'LeveledCompactionStrategy', "
      "'sstable_size_in_mb': '64'} AND default_time_to_live = 100 AND speculative_retry = '50ms' "
      "AND bloom_filter_fp_chance = 0.1 AND crc_check_chance = 0.5 AND read_repair = 'NONE' "
      "AND allow_auto_snapshot = false AND incremental_backups = true AND cdc = true");
  const std::string expected =
      "CREATE TABLE ks.t3 (\n"
      "    a int,\n"
      "    b int,\n"
      "    c int,\n"
      "    s1 int static,\n"
      "    s0 list<int> static,\n"
      "    v0 text,\n"
      "    v1 int,\n"
      "    z frozen<list<int>>,\n"
      "    y list<int>,\n"
      "    PRIMARY KEY (a, b, c)\n"
      ") WITH CLUSTERING ORDER BY (b ASC, c DESC)\n"
      "    AND additional_write_policy = '99p'\n"
      "    AND allow_auto_snapshot = false\n"
      "    AND bloom_filter_fp_chance = 0.1\n"
      "    AND caching = {'keys': 'NONE', 'rows_per_partition': '10'}\n"
      "    AND cdc = true\n"
      "    AND comment = 'it''s'\n"
      "    AND compaction = {'class': "
      "'org.apache.cassandra.db.compaction.LeveledCompactionStrategy', 'max_threshold': '32', "
      "'min_threshold': '4', 'sstable_size_in_mb': '64'}\n"
      "    AND compression = {'enabled': 'false'}\n"
      "    AND memtable = 'default'\n"
      "    AND crc_check_chance = 0.5\n"
      "    AND default_time_to_live = 100\n"
      "    AND extensions = {}\n"
      "    AND gc_grace_seconds = 10\n"
      "    AND incremental_backups = true\n"
      "    AND max_index_interval = 2048\n"
      "    AND memtable_flush_period_in_ms = 0\n"
      "    AND min_index_interval = 128\n"
      "    AND read_repair = 'NONE'\n"
      "    AND speculative_retry = '50ms';";
  EXPECT_EQ(CreateStatement("DESCRIBE TABLE t3"), Literal(expected));
  EXPECT_EQ(CreateStatement("DESC ks.t3"), Literal(expected));
}

TEST_F(DescribeTest, KeyspaceListsTypesByDependencyThenTablesWithTheirIndexes) {
  env_.Ok("CREATE TYPE zaddr (street text, \"Zip\" int, \"select\" int)");
  env_.Ok("CREATE TYPE person (name text, a frozen<zaddr>)");
  env_.Ok("CREATE TABLE t1 (k int PRIMARY KEY, v text, w int)");
  env_.Ok("CREATE INDEX ON t1 (v)");
  env_.Ok("CREATE INDEX \"Idx\" ON t1 (w)");
  CqlResult r = env_.Execute("DESC KEYSPACE");
  ASSERT_TRUE(r.ok) << r;
  std::vector<std::string> names;
  for (const auto& row : r.rows) names.push_back(row[1] + " " + row[2]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"'keyspace' 'ks'", "'type' 'zaddr'", "'type' 'person'",
                                      "'table' 't1'", "'index' '\"Idx\"'", "'index' 't1_v_idx'"}));
  ASSERT_EQ(r.rows.size(), 6u);
  EXPECT_EQ(r.rows[0][3],
            Literal("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', "
                    "'replication_factor': '1'}  AND durable_writes = true;"));
  EXPECT_EQ(r.rows[1][3], Literal("CREATE TYPE ks.zaddr (\n    street text,\n    \"Zip\" int,\n"
                                  "    \"select\" int\n);"));
  EXPECT_EQ(r.rows[5][3], Literal("CREATE INDEX t1_v_idx ON ks.t1 (v);"));
  EXPECT_EQ(env_.Execute("DESC ONLY KEYSPACE ks").rows.size(), 1u);
}

TEST_F(DescribeTest, WithInternalsAddsTheIdAndTheDroppedColumns) {
  env_.Ok("CREATE TABLE t4 (k int PRIMARY KEY, v int)");
  env_.Ok("ALTER TABLE t4 DROP v");
  env_.Ok("ALTER TABLE t4 ADD w int");
  std::string plain = CreateStatement("DESC TABLE t4");
  EXPECT_EQ(plain.find("ID = "), std::string::npos);
  EXPECT_NE(plain.find("    k int PRIMARY KEY,\n    w int\n) WITH additional_write_policy"),
            std::string::npos)
      << plain;
  std::string internals = CreateStatement("DESC TABLE t4 WITH INTERNALS");
  EXPECT_NE(internals.find("    k int PRIMARY KEY,\n    w int,\n    v int\n) WITH ID = "),
            std::string::npos)
      << internals;
  EXPECT_NE(internals.find("';\nALTER TABLE ks.t4 DROP v USING TIMESTAMP "), std::string::npos)
      << internals;
}

// Cassandra 5.0.8's texts: a compact table is an approximate structure inside a comment, with
// the hidden clustering column of a static compact table in CLUSTERING ORDER BY only.
TEST_F(DescribeTest, CompactTablesAreCommentedApproximateStructures) {
  env_.Ok("CREATE TABLE s (k int PRIMARY KEY, v int, w text) WITH COMPACT STORAGE");
  env_.Ok("CREATE TABLE d (k int, c int, c2 text, PRIMARY KEY (k, c, c2)) WITH COMPACT STORAGE "
          "AND CLUSTERING ORDER BY (c DESC)");
  const std::string warning =
      "/*\nWarning: Table ks.{} omitted because it has constructs not compatible with CQL (was "
      "created via legacy API).\nApproximate structure, for reference:\n(this should not be used "
      "to reproduce this schema)\n\n";
  auto with_name = [&](const std::string& name) {
    std::string out = warning;
    out.replace(out.find("{}"), 2, name);
    return out;
  };
  // The text of a cell the environment returns as a CQL string literal.
  auto text = [](std::string literal) {
    std::string out;
    for (size_t i = 1; i + 1 < literal.size(); ++i) {
      out += literal[i];
      if (literal[i] == '\'') ++i;
    }
    return out;
  };
  std::string s = text(CreateStatement("DESC TABLE s"));
  EXPECT_EQ(s.rfind(with_name("s") +
                        "CREATE TABLE ks.s (\n    k int,\n    v int,\n    w text,\n"
                        "    PRIMARY KEY (k)\n) WITH COMPACT STORAGE\n"
                        "    AND CLUSTERING ORDER BY (column1 ASC)\n"
                        "    AND additional_write_policy = '99p'\n",
                    0),
            0u)
      << s;
  const std::string tail = "\n    AND speculative_retry = '99p';\n*/";
  EXPECT_TRUE(s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0)
      << s;
  std::string d = text(CreateStatement("DESC TABLE d WITH INTERNALS"));
  EXPECT_EQ(d.rfind(with_name("d") +
                        "CREATE TABLE ks.d (\n    k int,\n    c int,\n    c2 text,\n"
                        "    PRIMARY KEY (k, c, c2)\n) WITH COMPACT STORAGE\n    AND ID = ",
                    0),
            0u)
      << d;
  EXPECT_NE(d.find("\n    AND CLUSTERING ORDER BY (c DESC, c2 ASC)\n"), std::string::npos) << d;
}

TEST_F(DescribeTest, ListingsAndErrorsAsCassandra) {
  env_.Ok("CREATE TABLE \"Tab\" (k int PRIMARY KEY)");
  env_.Ok("CREATE TABLE a (k int PRIMARY KEY)");
  env_.ExpectResult("DESC TABLES", {"keyspace_name", "type", "name"},
                    {{"'ks'", "'table'", "'a'"}, {"'ks'", "'table'", "'\"Tab\"'"}});
  env_.ExpectResult("DESC FUNCTIONS", {"keyspace_name", "type", "name"}, {});
  ExpectError("DESC TABLE nope", "Table 'nope' not found in keyspace 'ks'");
  ExpectError("DESC TYPE nope", "User defined type 'nope' not found in 'ks'");
  ExpectError("DESC INDEX nope", "Table for existing index 'nope' not found in 'ks'");
  ExpectError("DESC KEYSPACE nope", "'nope' not found in keyspaces");
  ExpectError("DESC nope.t", "'nope' not found in keyspaces");
  ExpectError("DESC nope", "'nope' not found in keyspace 'ks'");
  ExpectError("DESC FUNCTION f", "User defined function 'f' not found in 'ks'");
  ExpectError("DESC MATERIALIZED VIEW v", "Materialized view 'v' not found in 'ks'");
}

TEST_F(DescribeTest, VirtualKeyspacesAreComments) {
  EXPECT_EQ(CreateStatement("DESC ONLY KEYSPACE system_views"),
            Literal("/*\nWarning: Keyspace system_views is a virtual keyspace and cannot be "
                    "recreated with CQL.\nStructure, for reference:\nVIRTUAL KEYSPACE "
                    "system_views;\n*/"));
}

}  // namespace
}  // namespace postfork::node::testing
