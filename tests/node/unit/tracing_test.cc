// Request tracing in-process: a traced request's session and events land in system_traces with
// Cassandra's request texts, parameters and TTL, and an untraced request writes nothing.
#include <gtest/gtest.h>

#include <string>

#include "cql_test_env.h"
#include "node/service/tracing.h"

namespace postfork::node::testing {
namespace {

std::string UuidText(const cql::Uuid& u) {
  return cql::Value(u).ToCqlLiteral(cql::DataType(cql::TypeKind::kUuid));
}

class TracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.UseKeyspace();
    env_.Ok("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))");
    env_.Ok("CREATE INDEX tv ON t (v)");
  }
  // The activities of the session's events, in order.
  std::vector<std::string> Activities(const cql::Uuid& session) {
    CqlResult r = env_.Ok("SELECT activity FROM system_traces.events WHERE session_id = " +
                          UuidText(session));
    std::vector<std::string> out;
    for (const auto& row : r.rows) out.push_back(row[0]);
    return out;
  }
  CqlTestEnv env_;
};

TEST_F(TracingTest, TracedQueryWritesItsSessionAndEvents) {
  CqlResult w = env_.ExecuteTraced("INSERT INTO t (k, c, v) VALUES (1, 1, 7)");
  ASSERT_TRUE(w.ok) << w;
  ASSERT_TRUE(w.tracing_id.has_value());
  EXPECT_EQ(
      Activities(*w.tracing_id),
      (std::vector<std::string>{"'Parsing INSERT INTO t (k, c, v) VALUES (1, 1, 7)'",
                                "'Preparing statement'", "'Determining replicas for mutation'",
                                "'Appending to commitlog'", "'Adding to t memtable'"}));
  CqlResult s = env_.Ok(
      "SELECT client, command, coordinator, request, parameters, ttl(request), duration "
      "FROM system_traces.sessions WHERE session_id = " +
      UuidText(*w.tracing_id));
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(s.rows[0][0], "'127.0.0.2'");
  EXPECT_EQ(s.rows[0][1], "'QUERY'");
  EXPECT_EQ(s.rows[0][2], "'127.0.0.1'");
  EXPECT_EQ(s.rows[0][3], "'Execute CQL3 query'");
  EXPECT_EQ(s.rows[0][4],
            "{'consistency_level': 'ONE', 'page_size': '100', 'query': 'INSERT INTO t (k, c, v) "
            "VALUES (1, 1, 7)', 'serial_consistency_level': 'SERIAL'}");
  EXPECT_GT(std::stoi(s.rows[0][5]), 86400 - 60);  // tracetype_query_ttl
  EXPECT_LE(std::stoi(s.rows[0][5]), 86400);
  EXPECT_GE(std::stoi(s.rows[0][6]), 0);

  CqlResult r = env_.ExecuteTraced("SELECT * FROM t WHERE k = 1");
  ASSERT_TRUE(r.ok && r.tracing_id);
  EXPECT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(
      Activities(*r.tracing_id),
      (std::vector<std::string>{"'Parsing SELECT * FROM t WHERE k = 1'", "'Preparing statement'",
                                "'Executing single-partition query on t'",
                                "'Read 1 live rows and 0 tombstone cells'"}));
  CqlResult i = env_.ExecuteTraced("SELECT * FROM t WHERE v = 7");
  ASSERT_TRUE(i.ok && i.tracing_id);
  EXPECT_EQ(Activities(*i.tracing_id)[2], "'Executing read on ks.t using index tv'");
}

TEST_F(TracingTest, FailedRequestsAreTracedAndUntracedOnesAreNot) {
  CqlResult e = env_.ExecuteTraced("SELECT * FROM nosuch");
  EXPECT_FALSE(e.ok);
  ASSERT_TRUE(e.tracing_id.has_value());
  EXPECT_EQ(Activities(*e.tracing_id).size(), 2u);  // parsing, preparing
  CqlResult plain = env_.Ok("SELECT * FROM t");
  EXPECT_FALSE(plain.tracing_id.has_value());
  EXPECT_EQ(env_.Ok("SELECT count(*) FROM system_traces.sessions").rows[0][0], "1");
}

}  // namespace
}  // namespace postfork::node::testing
