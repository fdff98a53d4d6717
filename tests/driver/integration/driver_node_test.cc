// The driver against the real postfork-node over loopback TCP.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "forked_children.h"
#include "node_process.h"
#include "postfork/driver/blocking.h"
#include "postfork/driver/session.h"

namespace postfork::driver {
namespace {

using testing::NodeProcess;
using namespace std::chrono_literals;

class DriverNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(node_.Start(&error)) << error;
    auto admin = BlockingSession::Connect(Options(""));
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    auto r = admin->Execute(Statement(
        "CREATE KEYSPACE IF NOT EXISTS drv WITH replication = {'class': 'SimpleStrategy', "
        "'replication_factor': 1}"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  SessionOptions Options(std::string keyspace) {
    SessionOptions o;
    o.port = node_.port();
    o.keyspace = std::move(keyspace);
    o.request_timeout = Millis(10000);
    o.reconnection = {Millis(50), Millis(200)};
    return o;
  }

  BlockingSession Connect(std::string keyspace = "drv") {
    auto s = BlockingSession::Connect(Options(std::move(keyspace)));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }

  static void MustRun(BlockingSession& s, const std::string& cql) {
    QueryResult r = s.Execute(Statement(cql));
    ASSERT_TRUE(r.ok()) << cql << ": " << r.status().ToString();
  }

  NodeProcess node_;
};

TEST_F(DriverNodeTest, ColdConnectIsTwoRoundTripsAndThreeSystemQueries) {
  BlockingSession s = Connect();
  const ConnectReport& report = s.session().connect_report();
  EXPECT_EQ(report.round_trips, 2) << "STARTUP, then one pipelined write";
  EXPECT_EQ(report.system_queries, 3) << "local, peers_v2, keyspace replication";
  EXPECT_EQ(s.session().keyspace(), "drv");
  ASSERT_EQ(s.session().hosts().size(), 1u);
  EXPECT_FALSE(s.session().hosts()[0].tokens.empty());
  EXPECT_FALSE(s.session().hosts()[0].datacenter.empty());
}

TEST_F(DriverNodeTest, ConnectToAMissingKeyspaceIsAConnectFailureWithTheServerCode) {
  auto s = BlockingSession::Connect(Options("no_such_keyspace"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kConnectFailed);
  EXPECT_EQ(s.status().cql_code(), static_cast<int>(cql::ErrorCode::kInvalid))
      << s.status().ToString();
}

TEST_F(DriverNodeTest, EveryStatementKindAndType) {
  BlockingSession s = Connect();
  MustRun(s,
          "CREATE TABLE IF NOT EXISTS all_types (k int PRIMARY KEY, a ascii, b bigint, bl blob, "
          "bo boolean, de decimal, d double, f float, i inet, s smallint, t text, ts timestamp, "
          "ti time, da date, tu timeuuid, ty tinyint, u uuid, vi varint, l frozen<list<int>>, "
          "st frozen<set<text>>, m frozen<map<text, int>>, tup frozen<tuple<int, text>>)");
  auto insert = s.Prepare(
      "INSERT INTO all_types (k, a, b, bl, bo, de, d, f, i, s, t, ts, ti, da, tu, ty, u, vi, l, "
      "st, m, tup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert.ok()) << insert.status().ToString();
  std::vector<cql::Value> values = {
      int32_t{1},
      std::string("ascii"),
      int64_t{-5000000000},
      cql::Blob{std::string("\x00\x01\xff", 3)},
      true,
      *cql::Decimal::Parse("-12.345"),
      2.5,
      1.5f,
      *cql::Inet::Parse("10.1.2.3"),
      int16_t{-7},
      std::string("text ü"),
      cql::Timestamp{1700000000123},
      *cql::Time::Parse("13:30:54.234"),
      *cql::Date::Parse("2024-02-29"),
      *cql::Uuid::Parse("d2177dd0-eaa2-11de-a572-001b779c76e3"),
      int8_t{-3},
      *cql::Uuid::Parse("123e4567-e89b-12d3-a456-426614174000"),
      *cql::Varint::Parse("123456789012345678901234567890"),
      cql::ValueList{int32_t{3}, int32_t{1}},
      cql::ValueList{std::string("x"), std::string("y")},
      cql::ValueMap{{std::string("k"), int32_t{9}}},
      cql::ValueList{int32_t{4}, std::string("four")},
  };
  auto bound = insert->Bind(values);
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  QueryResult ins = s.Execute(*bound);
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();

  auto select = s.Prepare("SELECT * FROM all_types WHERE k = ?");
  ASSERT_TRUE(select.ok()) << select.status().ToString();
  BoundStatement b = select->Bind();
  ASSERT_TRUE(b.Bind("k", int32_t{1}).ok());
  QueryResult r = s.Execute(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.row_count(), 1);
  Row row = r.row(0);
  std::vector<std::string> names = {"k", "a",  "b", "bl", "bo", "de", "d",  "f",
                                    "i", "s",  "t", "ts", "ti", "da", "tu", "ty",
                                    "u", "vi", "l", "st", "m",  "tup"};
  for (size_t i = 0; i < names.size(); ++i) {
    auto v = row.GetValue(names[i]);
    ASSERT_TRUE(v.ok()) << names[i] << ": " << v.status().ToString();
    EXPECT_EQ(*v, values[i]) << "column " << names[i];
  }
  EXPECT_EQ(*row.Get<std::string>("t"), "text ü");
  EXPECT_EQ(row.Get<int32_t>("t").status().code(), StatusCode::kInvalidArgument);

  // Simple statement with values, and named values.
  QueryResult simple = s.Execute(
      Statement("INSERT INTO all_types (k, t) VALUES (?, ?)", {int32_t{2}, std::string("two")}));
  ASSERT_TRUE(simple.ok()) << simple.status().ToString();
  QueryResult two = s.Execute(Statement("SELECT t FROM all_types WHERE k = 2"));
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two.row_count(), 1);
  EXPECT_EQ(*two.row(0).Get<std::string>(0), "two");

  // Batches: logged, unlogged, counter.
  BatchStatement logged;
  logged.statements.push_back(Statement("INSERT INTO all_types (k, t) VALUES (10, 'ten')"));
  BoundStatement b11 = *insert->Bind(values);
  ASSERT_TRUE(b11.Bind(0, int32_t{11}).ok());
  logged.statements.push_back(b11);
  ASSERT_TRUE(s.Execute(logged).ok());
  BatchStatement unlogged;
  unlogged.type = cql::BatchType::kUnlogged;
  unlogged.statements.push_back(
      Statement("INSERT INTO all_types (k, t) VALUES (?, ?)", {int32_t{12}, std::string("x")}));
  QueryResult ub = s.Execute(unlogged);
  ASSERT_TRUE(ub.ok()) << ub.status().ToString();
  auto count = s.ExecuteAll(Statement("SELECT k FROM all_types"));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->size(), 5u);

  MustRun(s, "CREATE TABLE IF NOT EXISTS counters (k int PRIMARY KEY, c counter)");
  BatchStatement counter;
  counter.type = cql::BatchType::kCounter;
  counter.statements.push_back(Statement("UPDATE counters SET c = c + 5 WHERE k = 1"));
  counter.statements.push_back(
      Statement("UPDATE counters SET c = c + ? WHERE k = 1", {int64_t{2}}));
  QueryResult cb = s.Execute(counter);
  ASSERT_TRUE(cb.ok()) << cb.status().ToString();
  QueryResult c = s.Execute(Statement("SELECT c FROM counters WHERE k = 1"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c.row_count(), 1);
  EXPECT_EQ(*c.row(0).Get<int64_t>(0), 7);
}

TEST_F(DriverNodeTest, ServerErrorsAreValuesWithCodeAndFields) {
  BlockingSession s = Connect();
  QueryResult syntax = s.Execute(Statement("SELEKT nonsense"));
  EXPECT_EQ(syntax.status().code(), StatusCode::kServerError);
  EXPECT_EQ(syntax.status().cql_code(), static_cast<int>(cql::ErrorCode::kSyntaxError));
  MustRun(s, "CREATE TABLE IF NOT EXISTS dup (k int PRIMARY KEY)");
  QueryResult exists = s.Execute(Statement("CREATE TABLE dup (k int PRIMARY KEY)"));
  ASSERT_NE(exists.server_error(), nullptr);
  EXPECT_EQ(exists.server_error()->code, cql::ErrorCode::kAlreadyExists);
  EXPECT_EQ(exists.server_error()->keyspace, "drv");
  EXPECT_EQ(exists.server_error()->table, "dup");
}

TEST_F(DriverNodeTest, UnavailableTriesTheNextHostAndKeepsTheServerError) {
  BlockingSession s = Connect();
  MustRun(s,
          "CREATE KEYSPACE IF NOT EXISTS drv_rf3 WITH replication = "
          "{'class': 'SimpleStrategy', 'replication_factor': 3}");
  MustRun(s, "CREATE TABLE IF NOT EXISTS drv_rf3.t (k int PRIMARY KEY)");
  Statement quorum("INSERT INTO drv_rf3.t (k) VALUES (1)");
  quorum.options.consistency = cql::Consistency::kQuorum;
  QueryResult r = s.Execute(quorum);
  // The retry policy tries the next host after an Unavailable; the node is the only one.
  EXPECT_EQ(r.status().code(), StatusCode::kNoHostAvailable) << r.status().ToString();
  ASSERT_NE(r.server_error(), nullptr);
  EXPECT_EQ(r.server_error()->code, cql::ErrorCode::kUnavailable);
  EXPECT_EQ(r.server_error()->consistency, cql::Consistency::kQuorum);
  EXPECT_EQ(r.server_error()->required, 2);
  EXPECT_EQ(r.server_error()->alive_or_received, 1);
  Statement one("INSERT INTO drv_rf3.t (k) VALUES (1)");
  one.options.consistency = cql::Consistency::kOne;
  QueryResult ok = s.Execute(one);
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok.server_error(), nullptr);
}

TEST_F(DriverNodeTest, PagesThroughOneHundredThousandRows) {
  BlockingSession s = Connect();
  MustRun(s, "CREATE TABLE IF NOT EXISTS wide (p int, c int, v int, PRIMARY KEY (p, c))");
  auto insert = s.Prepare("INSERT INTO wide (p, c, v) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok()) << insert.status().ToString();
  // 100,000 rows in 1,000-row unlogged batches (one partition: a single scan to page through).
  for (int b = 0; b < 100; ++b) {
    BatchStatement batch;
    batch.type = cql::BatchType::kUnlogged;
    for (int i = 0; i < 1000; ++i) {
      int c = b * 1000 + i;
      batch.statements.push_back(*insert->Bind({int32_t{1}, int32_t{c}, int32_t{c * 2}}));
    }
    QueryResult r = s.Execute(batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  Statement all("SELECT c, v FROM wide WHERE p = 1");
  all.options.page_size = 5000;
  auto rows = s.ExecuteAll(all);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 100000u);
  for (int i = 0; i < 100000; i += 9973) {
    EXPECT_EQ(*(*rows)[static_cast<size_t>(i)].Get<int32_t>("c"), i);
    EXPECT_EQ(*(*rows)[static_cast<size_t>(i)].Get<int32_t>("v"), i * 2);
  }
  // Manual paging: the paging state resumes where the previous page ended.
  Statement page("SELECT c FROM wide WHERE p = 1");
  page.options.page_size = 40000;
  QueryResult p1 = s.Execute(page);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1.row_count(), 40000);
  ASSERT_TRUE(p1.has_more_pages());
  page.options.paging_state = std::string(*p1.paging_state());
  QueryResult p2 = s.Execute(page);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(*p2.row(0).Get<int32_t>(0), 40000);
}

// ---- protocol versions -----------------------------------------------------------------

TEST_F(DriverNodeTest, V5IsNegotiatedByDefaultAndV4CanBeForced) {
  BlockingSession v5 = Connect();
  EXPECT_EQ(v5.session().connect_report().protocol_version, 5);
  SessionOptions o = Options("drv");
  o.protocol_version = ProtocolVersion::kV4;
  auto v4 = BlockingSession::Connect(o);
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  EXPECT_EQ(v4->session().connect_report().protocol_version, 4);
  // Both speak to the same data: prepared statements, batches and paging on each.
  MustRun(v5, "CREATE TABLE IF NOT EXISTS proto (p int, c int, v text, PRIMARY KEY (p, c))");
  for (BlockingSession* s : {&v5, &*v4}) {
    auto insert = s->Prepare("INSERT INTO proto (p, c, v) VALUES (?, ?, ?)");
    ASSERT_TRUE(insert.ok()) << insert.status().ToString();
    int version = s->session().connect_report().protocol_version;
    BatchStatement batch;
    batch.type = cql::BatchType::kUnlogged;
    for (int i = 0; i < 50; ++i)
      batch.statements.push_back(*insert->Bind({int32_t{version}, int32_t{i}, std::string("x")}));
    ASSERT_TRUE(s->Execute(batch).ok());
    auto select = s->Prepare("SELECT c, v FROM proto WHERE p = ?");
    ASSERT_TRUE(select.ok());
    BoundStatement b = *select->Bind({int32_t{version}});
    b.options.page_size = 7;
    auto rows = s->ExecuteAll(b);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->size(), 50u) << "v" << version;
  }
}

TEST_F(DriverNodeTest, V5WithLz4SegmentsAndAResultSpanningSegments) {
  SessionOptions o = Options("drv");
  o.protocol_version = ProtocolVersion::kV5;
  o.compression = cql::Compression::kLz4;
  auto s = BlockingSession::Connect(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->session().connect_report().protocol_version, 5);
  MustRun(*s, "CREATE TABLE IF NOT EXISTS blobs (k int PRIMARY KEY, b blob)");
  // 600 KiB of incompressible bytes each way: requests and results span several segments.
  std::string big(600 * 1024, '\0');
  uint32_t x = 12345;
  for (char& c : big) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  auto insert = s->Prepare("INSERT INTO blobs (k, b) VALUES (?, ?)");
  ASSERT_TRUE(insert.ok());
  for (int k = 0; k < 3; ++k)
    ASSERT_TRUE(s->Execute(*insert->Bind({int32_t{k}, cql::Blob{big}})).ok());
  QueryResult r = s->Execute(Statement("SELECT k, b FROM blobs"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.row_count(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.row(i).Get<cql::Blob>("b")->bytes, big);
  // And a compressible result above 128 KiB, plus a plain v5 session reading the same rows.
  o.compression = cql::Compression::kNone;
  auto plain = BlockingSession::Connect(o);
  ASSERT_TRUE(plain.ok());
  QueryResult again = plain->Execute(Statement("SELECT b FROM blobs WHERE k = 2"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again.row(0).Get<cql::Blob>(0)->bytes, big);
}

TEST_F(DriverNodeTest, V5MetadataChangedAfterAlterTableReachesThePreparedStatement) {
  BlockingSession s = Connect();
  MustRun(s, "CREATE TABLE IF NOT EXISTS evolving (k int PRIMARY KEY, a int)");
  MustRun(s, "INSERT INTO evolving (k, a) VALUES (1, 10)");
  auto select = s.Prepare("SELECT * FROM evolving WHERE k = ?");
  ASSERT_TRUE(select.ok());
  QueryResult before = s.Execute(*select->Bind({int32_t{1}}));
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before.column_count(), 2);
  MustRun(s, "ALTER TABLE evolving ADD b text");
  MustRun(s, "UPDATE evolving SET b = 'new' WHERE k = 1");
  // The statement still holds the old metadata id: the node answers Metadata_changed with the
  // new columns, which the driver adopts.
  QueryResult after = s.Execute(*select->Bind({int32_t{1}}));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after.column_count(), 3);
  EXPECT_EQ(*after.row(0).Get<std::string>("b"), "new");
  // Prepare answers from the session's cache, which now holds the adopted metadata and id.
  auto again = s.Prepare("SELECT * FROM evolving WHERE k = ?");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->data().result_metadata.columns.size(), 3u);
  EXPECT_NE(again->data().result_metadata_id, select->data().result_metadata_id);
  EXPECT_FALSE(again->data().result_metadata_id.empty());
}

bool WaitUntil(BlockingSession& s, const std::function<bool()>& pred,
               std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    s.RunFor(Millis(20));
  }
  return pred();
}

TEST_F(DriverNodeTest, ReprepareTransparentlyAfterANodeRestart) {
  BlockingSession s = Connect();
  MustRun(s, "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)");
  MustRun(s, "INSERT INTO kv (k, v) VALUES (1, 'one')");
  auto select = s.Prepare("SELECT v FROM kv WHERE k = ?");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(s.Execute(*select->Bind({int32_t{1}})).ok());
  node_.Kill(SIGTERM);
  std::string error;
  ASSERT_TRUE(node_.Start(&error)) << error;  // same port, same data, empty prepared cache
  s.RunFor(Millis(300));                      // the driver notices the drop and reconnects
  ASSERT_TRUE(WaitUntil(
      s, [&] { return s.session().hosts_up() > 0; }, 10s));
  BoundStatement again = *select->Bind({int32_t{1}});
  again.options.idempotent = true;
  QueryResult r = s.Execute(again);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r.row(0).Get<std::string>(0), "one");
}

TEST_F(DriverNodeTest, NodeKilledUnderLoadFailsFastThenRecovers) {
  BlockingSession s = Connect();
  MustRun(s, "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)");
  auto insert = s.Prepare("INSERT INTO kv (k, v) VALUES (?, 'x')");
  ASSERT_TRUE(insert.ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.Execute(*insert->Bind({int32_t{i}})).ok());
  node_.Kill(SIGKILL);
  // Requests during the outage fail quickly, never hang.
  int failures = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) failures += s.Execute(*insert->Bind({int32_t{i}})).ok() ? 0 : 1;
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(failures, 50);
  EXPECT_LT(took, 2s) << "50 requests during an outage must fail fast";
  QueryResult down = s.Execute(*insert->Bind({int32_t{1}}));
  EXPECT_EQ(down.status().code(), StatusCode::kNoHostAvailable) << down.status().ToString();
  std::string error;
  ASSERT_TRUE(node_.Start(&error)) << error;
  bool recovered = false;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!recovered && std::chrono::steady_clock::now() < deadline) {
    recovered = s.Execute(*insert->Bind({int32_t{7}})).ok();
    if (!recovered) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(recovered) << "requests succeed again without user action";
}

TEST_F(DriverNodeTest, SnapshotGivesEightForkedWorkersSessionsWithZeroSystemQueries) {
  {
    BlockingSession s = Connect();
    MustRun(s, "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)");
    MustRun(s, "INSERT INTO kv (k, v) VALUES (1, 'one')");
  }
  auto snapshot = TakeSnapshot(Options("drv"), {"SELECT v FROM kv WHERE k = ?"});
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  ASSERT_EQ((*snapshot)->prepared.size(), 1u);
  long system_before = node_.SystemTableStatements();
  ASSERT_GT(system_before, 0) << "the metrics endpoint counts system-table statements";
  postfork::testing::ExpectForkedChildrenSucceed(8, [&]() -> int {
    auto s = BlockingSession::ConnectFromSnapshot(*snapshot);
    if (!s.ok()) return 2;
    if (s->session().connect_report().system_queries != 0) return 3;
    auto prepared = s->Prepare("SELECT v FROM kv WHERE k = ?");  // from the snapshot: no I/O
    if (!prepared.ok()) return 4;
    QueryResult r = s->Execute(*prepared->Bind({int32_t{1}}));
    if (!r.ok() || r.row_count() != 1 || *r.row(0).Get<std::string>(0) != "one") return 5;
    s->Close();
    return 0;
  });
  EXPECT_EQ(node_.SystemTableStatements(), system_before)
      << "workers opened their sessions without a single system-table query";
  EXPECT_GE(node_.TableStatements()["drv.kv"], 8);
}

TEST_F(DriverNodeTest, V5SessionFromASnapshotNamesItsKeyspaceOnEachRequestInsteadOfUse) {
  {
    BlockingSession s = Connect();
    MustRun(s, "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)");
    MustRun(s, "INSERT INTO kv (k, v) VALUES (1, 'one')");
  }
  auto snapshot = TakeSnapshot(Options("drv"), {});
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  auto s = BlockingSession::ConnectFromSnapshot(*snapshot);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const ConnectReport& report = s->session().connect_report();
  ASSERT_EQ(report.protocol_version, cql::kProtocolV5);
  EXPECT_EQ(report.round_trips, 1) << "STARTUP only: no USE, REGISTER not waited for";
  for (const std::string& step : report.steps) EXPECT_NE(step.rfind("USE", 0), 0u) << step;
  // Unqualified names resolve in the session keyspace: QUERY, PREPARE and BATCH carry it.
  QueryResult q = s->Execute(Statement("SELECT v FROM kv WHERE k = 1"));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q.row_count(), 1u);
  auto prepared = s->Prepare("SELECT v FROM kv WHERE k = ?");
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  BatchStatement batch;
  batch.statements.push_back(Statement("INSERT INTO kv (k, v) VALUES (2, 'two')"));
  QueryResult b = s->Execute(batch);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  QueryResult r = s->Execute(*prepared->Bind({int32_t{2}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(*r.row(0).Get<std::string>(0), "two");
  // USE still switches the keyspace the requests name.
  MustRun(*s,
          "CREATE KEYSPACE IF NOT EXISTS drv2 WITH replication = {'class': 'SimpleStrategy', "
          "'replication_factor': 1}");
  MustRun(*s, "USE drv2");
  EXPECT_EQ(s->session().keyspace(), "drv2");
  QueryResult missing = s->Execute(Statement("SELECT v FROM kv WHERE k = 1"));
  EXPECT_FALSE(missing.ok()) << "drv2 has no table kv";
}

TEST_F(DriverNodeTest, SessionUsedAcrossForkFailsInTheChildAndKeepsWorkingInTheParent) {
  BlockingSession s = Connect();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    QueryResult r = s.Execute(Statement("SELECT key FROM system.local"));
    ::_exit(r.status().code() == StatusCode::kWrongProcess ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(s.Execute(Statement("SELECT key FROM system.local")).ok());
}

}  // namespace
}  // namespace postfork::driver
