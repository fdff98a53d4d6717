// The vector type, the similarity functions, storage-attached indexes and ANN queries, in
// process through CqlTestEnv: rows, error codes and Cassandra 5.0's message texts.
#include <gtest/gtest.h>

#include <string>

#include "cql_test_env.h"

namespace postfork::node::testing {
namespace {

using cql::ErrorCode;

void ExpectError(const CqlResult& r, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(r.ok) << r;
  EXPECT_EQ(r.code, code) << r;
  EXPECT_EQ(r.message, message);
}

class VectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.UseKeyspace();
    env_.Ok(
        "CREATE TABLE v (k int, c int, f vector<float, 3>, t vector<text, 2>, "
        "PRIMARY KEY (k, c))");
  }
  Rows RowsOf(const std::string& query) {
    CqlResult r = env_.Execute(query);
    EXPECT_TRUE(r.ok) << query << " -> " << r;
    return r.rows;
  }
  CqlTestEnv env_;
};

TEST_F(VectorTest, LiteralsBindValuesAndJsonRoundTrip) {
  env_.Ok("INSERT INTO v (k, c, f, t) VALUES (1, 1, [1.5, 2, -3], ['a', 'bcd'])");
  std::string body;
  ASSERT_TRUE(cql::SerializeValue(cql::ValueList{4.0f, 5.0f, 6.0f},
                                  cql::DataType::Vector(cql::DataType(cql::TypeKind::kFloat), 3),
                                  &body)
                  .ok());
  EXPECT_EQ(body.size(), 12u);  // fixed-size elements back to back
  CqlResult prepared =
      env_.ExecutePrepared("INSERT INTO v (k, c, f) VALUES (1, 2, ?)", {cql::RawValue::Of(body)});
  EXPECT_TRUE(prepared.ok) << prepared;
  env_.Ok(R"(INSERT INTO v JSON '{"k": 1, "c": 3, "f": [7, 8, 9], "t": ["x", "y"]}')");
  EXPECT_EQ(
      RowsOf("SELECT f, t FROM v WHERE k = 1"),
      (Rows{{"[1.5, 2, -3]", "['a', 'bcd']"}, {"[4, 5, 6]", "null"}, {"[7, 8, 9]", "['x', 'y']"}}));
  EXPECT_EQ(RowsOf("SELECT type FROM system_schema.columns WHERE keyspace_name = 'ks' AND "
                   "table_name = 'v' AND column_name = 'f'"),
            (Rows{{"'vector<float, 3>'"}}));
}

TEST_F(VectorTest, WrongDimensionsAndElementsAreRefusedWithCassandrasMessages) {
  ExpectError(env_.Execute("INSERT INTO v (k, c, f) VALUES (1, 1, [1.0, 2.0])"),
              ErrorCode::kInvalid,
              "Invalid vector literal for f of type vector<float, 3>; expected 3 elements, but "
              "given 2");
  ExpectError(env_.Execute("INSERT INTO v (k, c, f) VALUES (1, 1, [1.0, 'x', 2.0])"),
              ErrorCode::kInvalid, "Invalid vector literal for f: value 'x' is not of type float");
  ExpectError(env_.Execute("INSERT INTO v (k, c, f) VALUES (1, 1, [1.0, null, 2.0])"),
              ErrorCode::kInvalid, "null is not supported inside vectors");
  ExpectError(env_.Execute("CREATE TABLE bad (k int PRIMARY KEY, f vector<float, 0>)"),
              ErrorCode::kInvalid, "vectors may only have positive dimensions; given 0");
  CqlResult overflow =
      env_.Execute("CREATE TABLE bad (k int PRIMARY KEY, f vector<float, 2147483648>)");
  ASSERT_FALSE(overflow.ok);
  EXPECT_EQ(overflow.code, ErrorCode::kSyntaxError);
  EXPECT_NE(overflow.message.find("NumberFormatException"), std::string::npos) << overflow;
  EXPECT_EQ(env_.Execute("CREATE TABLE bad (k int PRIMARY KEY, f vector<float, 1.5>)").code,
            ErrorCode::kSyntaxError);
}

TEST_F(VectorTest, SimilarityFunctions) {
  env_.Ok("INSERT INTO v (k, c, f) VALUES (1, 1, [0.1, 0.2, 0.0])");
  // Cassandra's documented examples: cosine 1.0 and 0.964238, euclidean 0.5, dot 0.625.
  Rows rows = RowsOf(
      "SELECT similarity_cosine(f, [0.1, 0.2, 0.0]), similarity_euclidean(f, [0.9, 0.8, 0.0]), "
      "similarity_dot_product([0.1, 0.2], [0.9, 0.8]), similarity_cosine(f, null) FROM v");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(std::stod(rows[0][0]), 1.0, 1e-6);
  EXPECT_NEAR(std::stod(rows[0][1]), 0.5, 1e-6);
  EXPECT_NEAR(std::stod(rows[0][2]), 0.625, 1e-6);
  EXPECT_EQ(rows[0][3], "null");
  ExpectError(env_.Execute("SELECT similarity_cosine(f, [0.0, 0.0, 0.0]) FROM v"),
              ErrorCode::kInvalid,
              "Function system.similarity_cosine doesn't support all-zero vectors.");
  ExpectError(env_.Execute("SELECT similarity_euclidean(k, [1.0, 2.0, 3.0]) FROM v"),
              ErrorCode::kInvalid,
              "Function system.similarity_euclidean requires a float vector argument, but found "
              "argument k of type int");
  ExpectError(env_.Execute("SELECT similarity_cosine(f, [1.0, 2.0]) FROM v"), ErrorCode::kInvalid,
              "All arguments must have the same vector dimensions");
  ExpectError(env_.Execute("SELECT similarity_cosine(f) FROM v"), ErrorCode::kInvalid,
              "Invalid number of arguments for function system.similarity_cosine(vector<float, "
              "n>, vector<float, n>)");
  ExpectError(env_.Execute("SELECT similarity_dot_product(?, ?) FROM v"), ErrorCode::kInvalid,
              "Cannot infer type of argument ? in call to function "
              "system.similarity_dot_product(vector<float, n>, vector<float, n>): use type casts "
              "to disambiguate");
}

TEST_F(VectorTest, SaiIndexesAndAnnQueries) {
  env_.Ok("CREATE TABLE a (k int, c int, v vector<float, 2>, n int, x int, PRIMARY KEY (k, c))");
  ExpectError(env_.Execute("SELECT k FROM a ORDER BY v ANN OF [1.0, 0.0] LIMIT 2"),
              ErrorCode::kInvalid, "ANN ordering by vector requires the column to be indexed");
  env_.Ok("CREATE CUSTOM INDEX a_v ON a (v) USING 'sai'");
  env_.Ok("CREATE INDEX a_n ON a (n) USING 'StorageAttachedIndex'");
  EXPECT_EQ(RowsOf("SELECT index_name, kind, options FROM system_schema.indexes WHERE "
                   "keyspace_name = 'ks' AND table_name = 'a'"),
            // The class as written in USING, as Cassandra records it.
            (Rows{{"'a_n'", "'CUSTOM'", "{'class_name': 'StorageAttachedIndex', 'target': 'n'}"},
                  {"'a_v'", "'CUSTOM'", "{'class_name': 'sai', 'target': 'v'}"}}));
  env_.Ok("INSERT INTO a (k, c, v, n) VALUES (1, 1, [1.0, 0.0], 1)");
  env_.Ok("INSERT INTO a (k, c, v, n) VALUES (1, 2, [0.0, 1.0], 2)");
  env_.Ok("INSERT INTO a (k, c, v, n) VALUES (2, 1, [0.7, 0.7], 1)");
  env_.Ok("INSERT INTO a (k, c, n) VALUES (3, 1, 3)");
  EXPECT_EQ(RowsOf("SELECT k, c FROM a ORDER BY v ANN OF [0.9, 0.1] LIMIT 2"),
            (Rows{{"1", "1"}, {"2", "1"}}));
  EXPECT_EQ(RowsOf("SELECT k, c FROM a WHERE n = 1 ORDER BY v ANN OF [0.0, 1.0] LIMIT 5"),
            (Rows{{"2", "1"}, {"1", "1"}}));
  EXPECT_EQ(RowsOf("SELECT k, c FROM a WHERE n > 1"), (Rows{{"1", "2"}, {"3", "1"}}));
  ExpectError(env_.Execute("SELECT k FROM a ORDER BY v ANN OF [0.9, 0.1]"), ErrorCode::kInvalid,
              "Top-K queries must have a limit specified and the limit must be less than the "
              "query page size");
  ExpectError(env_.Execute("SELECT k FROM a ORDER BY v ANN OF [0.9, 0.1] LIMIT 1001"),
              ErrorCode::kInvalid,
              "Use of ANN OF in an ORDER BY clause requires a LIMIT that is not greater than "
              "1000. LIMIT was 1001");
  ExpectError(env_.Execute("SELECT k FROM a ORDER BY v ANN OF [0.9, 0.1] DESC LIMIT 1"),
              ErrorCode::kInvalid, "Descending ANN ordering is not supported");
  ExpectError(env_.Execute("SELECT k FROM a ORDER BY v ANN OF null LIMIT 1"), ErrorCode::kInvalid,
              "Unsupported null value for column v");
  ExpectError(env_.Execute("CREATE CUSTOM INDEX ON a (x) USING 'sai' WITH OPTIONS = {'bad': 'x'}"),
              ErrorCode::kConfigError,
              "Properties specified [bad] are not understood by StorageAttachedIndex");
}

}  // namespace
}  // namespace postfork::node::testing
