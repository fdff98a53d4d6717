// The driver against a real Apache Cassandra 5.0 cluster: three nodes in two datacenters
// (dc1: nodes 1 and 2, dc2: node 3), started once for the whole binary by scripts/cassandra.sh.
//
// Every claim is checked from Cassandra's side: per-node, per-table counters of the requests a
// node coordinated (system_views.coordinator_*_latency) and of the replica work it did
// (system_views.local_*_latency), its CQL counters (system_views.cql_metrics), its connected
// clients (system_views.clients) and its schema version (system.local), each read over a single
// connection to that one node (node_probe.h). The driver's own reports are never the evidence.
//
// Tests run in the order written; the last ones kill and restart a node.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "cassandra_cluster.h"
#include "forked_children.h"
#include "node_probe.h"
#include "postfork/driver/blocking.h"
#include "postfork/driver/session.h"

namespace postfork::driver {
namespace {

using testing::CassandraCluster;
using testing::NodeProbe;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The cluster, shared by every test of this binary (one start per CI run).
class ClusterEnvironment : public ::testing::Environment {
 public:
  // POSTFORK_CASSANDRA_DIR names a running cluster of that shape (the ctest fixture's, see
  // test_cluster.sh); without it the binary starts its own.
  void SetUp() override {
    auto start = Clock::now();
    std::string error;
    cluster = std::make_unique<CassandraCluster>();
    if (const char* dir = std::getenv("POSTFORK_CASSANDRA_DIR")) {
      ok = cluster->Attach(dir, &error);
    } else {
      CassandraCluster::Options o;
      o.nodes = 3;
      o.dcs = 2;
      o.address_base = "127.0.12.1";  // apart from clusters other tests start on 127.0.0.x
      o.jmx = true;
      ok = cluster->Start(o, &error);
      std::printf("cassandra cluster (3 nodes, 2 DCs) %s in %.1f s\n", ok ? "started" : "FAILED",
                  std::chrono::duration<double>(Clock::now() - start).count());
    }
    start_error = error;
  }
  void TearDown() override { cluster.reset(); }

  static inline std::unique_ptr<CassandraCluster> cluster;
  static inline bool ok = false;
  static inline std::string start_error;
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

constexpr int kNode1 = 1, kNode2 = 2, kNode3 = 3;  // dc1, dc1, dc2

class DriverCassandraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ClusterEnvironment::ok) << ClusterEnvironment::start_error;
    for (int i = 1; i <= Cluster().nodes(); ++i)
      probes_.emplace(i, std::make_unique<NodeProbe>(Cluster().Address(i), Cluster().port()));
  }

  static CassandraCluster& Cluster() { return *ClusterEnvironment::cluster; }
  NodeProbe& Probe(int node) { return *probes_.at(node); }

  static SessionOptions Options(std::string keyspace = "", std::string local_dc = "dc1") {
    SessionOptions o;
    o.contact_points = {Cluster().Address(kNode1), Cluster().Address(kNode2)};
    o.port = Cluster().port();
    o.keyspace = std::move(keyspace);
    o.local_dc = std::move(local_dc);
    o.request_timeout = Millis(20000);
    o.reconnection = {Millis(200), Millis(2000)};
    return o;
  }

  static BlockingSession Connect(SessionOptions o) {
    auto s = BlockingSession::Connect(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }

  // Runs the session's background work until `n` hosts have an open connection (pools open
  // after Connect returns).
  static void WaitForPools(BlockingSession& s, int n) {
    for (auto deadline = Clock::now() + 30s; Clock::now() < deadline;) {
      if (s.session().hosts_up() >= n) return;
      s.RunFor(50ms);
    }
    ADD_FAILURE() << "only " << s.session().hosts_up() << " of " << n << " hosts up after 30 s";
  }

  static void MustRun(BlockingSession& s, const std::string& cql) {
    QueryResult r = s.Execute(Statement(cql));
    ASSERT_TRUE(r.ok()) << cql << ": " << r.status().ToString();
  }

  // Per node: the counter `view` of keyspace.table.
  std::map<int, long> Counts(const std::string& view, const std::string& ks,
                             const std::string& table) {
    std::map<int, long> out;
    for (auto& [i, p] : probes_) out[i] = p->TableCount(view, ks, table);
    return out;
  }

  // Drops `table` (keyspace.name, the first words of `definition`) and creates it anew: fresh
  // data and fresh per-table counters on every node, also when the binary runs again on the
  // same cluster.
  static void CreateFresh(BlockingSession& s, const std::string& definition) {
    std::string table = definition.substr(0, definition.find(' '));
    MustRun(s, "DROP TABLE IF EXISTS " + table);
    MustRun(s, "CREATE TABLE " + definition);
  }

  static void CreateSchema(BlockingSession& s) {
    MustRun(s,
            "CREATE KEYSPACE IF NOT EXISTS nts1 WITH replication = {'class': "
            "'NetworkTopologyStrategy', 'dc1': 1, 'dc2': 1}");
    MustRun(s,
            "CREATE KEYSPACE IF NOT EXISTS rf3 WITH replication = {'class': "
            "'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}");
    MustRun(s,
            "CREATE KEYSPACE IF NOT EXISTS simple3 WITH replication = {'class': "
            "'SimpleStrategy', 'replication_factor': 3}");
  }

  std::map<int, std::unique_ptr<NodeProbe>> probes_;
};

// Token-aware routing: with one replica per partition in dc1, a request coordinated by a
// replica is also a local write (or read) on that same node; one sent elsewhere is a
// coordinator count on one node and a local count on another. So on each dc1 node the two
// counters agree exactly when every request went to a replica. A session with token awareness
// off writes a second table as the control: there the counters must disagree.
TEST_F(DriverCassandraTest, EveryPreparedSinglePartitionRequestIsCoordinatedByAReplica) {
  BlockingSession admin = Connect(Options());
  CreateSchema(admin);
  CreateFresh(admin, "nts1.routed (k int PRIMARY KEY, v text)");
  CreateFresh(admin, "nts1.unrouted (k int PRIMARY KEY, v text)");
  CreateFresh(admin,
              "nts1.composite (a int, b text, v int, "
              "PRIMARY KEY ((a, b)))");
  admin.Close();

  constexpr int kKeys = 300;
  BlockingSession s = Connect(Options("nts1"));
  WaitForPools(s, 2);
  auto insert = s.Prepare("INSERT INTO routed (k, v) VALUES (?, ?)");
  auto select = s.Prepare("SELECT v FROM routed WHERE k = ?");
  auto insert2 = s.Prepare("INSERT INTO composite (a, b, v) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok() && select.ok() && insert2.ok()) << insert.status().ToString();
  for (int k = 0; k < kKeys; ++k) {
    QueryResult w = s.Execute(*insert->Bind({int32_t{k}, std::string("v")}));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    QueryResult r = s.Execute(*select->Bind({int32_t{k}}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r.row_count(), 1);
    QueryResult c = s.Execute(*insert2->Bind({int32_t{k}, std::to_string(k), int32_t{k}}));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  for (auto [table, kind] :
       {std::pair{"routed", "write"}, {"routed", "read"}, {"composite", "write"}}) {
    auto coordinated = Counts(std::string("coordinator_") + kind + "_latency", "nts1", table);
    auto local = Counts(std::string("local_") + kind + "_latency", "nts1", table);
    SCOPED_TRACE(std::string(table) + " " + kind);
    EXPECT_EQ(coordinated[kNode1] + coordinated[kNode2], kKeys);
    EXPECT_EQ(coordinated[kNode3], 0) << "dc2 coordinated nothing";
    for (int node : {kNode1, kNode2}) {
      EXPECT_GT(coordinated[node], 0) << "node " << node << " owns part of the ring";
      EXPECT_EQ(coordinated[node], local[node])
          << "node " << node << " coordinated requests for partitions it does not own";
    }
  }

  SessionOptions blind = Options("nts1");
  blind.token_aware = false;
  BlockingSession control = Connect(blind);
  WaitForPools(control, 2);
  auto insert3 = control.Prepare("INSERT INTO unrouted (k, v) VALUES (?, ?)");
  ASSERT_TRUE(insert3.ok());
  for (int k = 0; k < kKeys; ++k)
    ASSERT_TRUE(control.Execute(*insert3->Bind({int32_t{k}, std::string("v")})).ok());
  auto coordinated = Counts("coordinator_write_latency", "nts1", "unrouted");
  auto local = Counts("local_write_latency", "nts1", "unrouted");
  EXPECT_TRUE(coordinated[kNode1] != local[kNode1] || coordinated[kNode2] != local[kNode2])
      << "round-robin routing sends some requests to the non-replica: the check can fail "
      << "(coordinated " << coordinated[kNode1] << "/" << coordinated[kNode2] << ", local "
      << local[kNode1] << "/" << local[kNode2] << ")";
}

// DC-aware routing: with local DC dc1 nothing reaches dc2's node, by any statement kind; a
// session whose local DC is dc2 sends everything there.
TEST_F(DriverCassandraTest, WithLocalDcDc1NoRequestReachesDc2) {
  BlockingSession admin = Connect(Options());
  CreateSchema(admin);
  CreateFresh(admin, "rf3.dcaware (k int PRIMARY KEY, v int)");
  CreateFresh(admin, "rf3.remote (k int PRIMARY KEY, v int)");
  admin.Close();

  SessionOptions o = Options("rf3");
  o.consistency = cql::Consistency::kLocalQuorum;  // the scan below sees every write
  BlockingSession s = Connect(o);
  WaitForPools(s, 2);
  auto insert = s.Prepare("INSERT INTO dcaware (k, v) VALUES (?, ?)");
  ASSERT_TRUE(insert.ok()) << insert.status().ToString();
  for (int k = 0; k < 200; ++k) {
    ASSERT_TRUE(s.Execute(*insert->Bind({int32_t{k}, int32_t{k}})).ok());
    Statement simple("SELECT v FROM dcaware WHERE k = ?", {int32_t{k}});
    ASSERT_TRUE(s.Execute(simple).ok());
  }
  Statement scan("SELECT k FROM dcaware");
  scan.options.page_size = 50;
  auto rows = s.ExecuteAll(scan);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), 200u);

  auto writes = Counts("coordinator_write_latency", "rf3", "dcaware");
  auto reads = Counts("coordinator_read_latency", "rf3", "dcaware");
  auto scans = Counts("coordinator_scan_latency", "rf3", "dcaware");
  EXPECT_EQ(writes[kNode1] + writes[kNode2], 200);
  EXPECT_EQ(reads[kNode1] + reads[kNode2], 200);
  EXPECT_GE(scans[kNode1] + scans[kNode2], 1);
  EXPECT_EQ(writes[kNode3], 0);
  EXPECT_EQ(reads[kNode3], 0);
  EXPECT_EQ(scans[kNode3], 0);
  EXPECT_GT(writes[kNode1], 0) << "both dc1 nodes take requests";
  EXPECT_GT(writes[kNode2], 0) << "both dc1 nodes take requests";

  BlockingSession remote = Connect(Options("rf3", "dc2"));
  WaitForPools(remote, 2);  // node 3, and node 1 (the contact point: control connection)
  auto insert2 = remote.Prepare("INSERT INTO remote (k, v) VALUES (?, ?)");
  ASSERT_TRUE(insert2.ok()) << insert2.status().ToString();
  for (int k = 0; k < 50; ++k)
    ASSERT_TRUE(remote.Execute(*insert2->Bind({int32_t{k}, int32_t{k}})).ok());
  auto remote_writes = Counts("coordinator_write_latency", "rf3", "remote");
  EXPECT_EQ(remote_writes[kNode3], 50) << "local DC dc2: its node coordinates everything";
  EXPECT_EQ(remote_writes[kNode1] + remote_writes[kNode2], 0);
}

// Protocol v5 with LZ4 segments, as Cassandra itself records the connection
// (system_views.clients), carrying paging, LWT with SERIAL and batches.
TEST_F(DriverCassandraTest, PagingLwtSerialAndBatchesOverProtocolV5WithLz4) {
  BlockingSession admin = Connect(Options());
  CreateSchema(admin);
  CreateFresh(admin,
              "simple3.wide (p int, c int, v text, "
              "PRIMARY KEY (p, c))");
  CreateFresh(admin, "simple3.lwt (k int PRIMARY KEY, v int)");
  CreateFresh(admin, "simple3.counts (k int PRIMARY KEY, n counter)");
  admin.Close();

  SessionOptions o = Options("simple3");
  o.protocol_version = ProtocolVersion::kV5;
  o.compression = cql::Compression::kLz4;
  o.consistency = cql::Consistency::kQuorum;
  BlockingSession s = Connect(o);
  EXPECT_EQ(s.session().connect_report().protocol_version, 5);

  // Paging: 1,234 rows of one partition in pages of 100, in clustering order.
  auto insert = s.Prepare("INSERT INTO wide (p, c, v) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  BatchStatement batch;
  batch.type = cql::BatchType::kUnlogged;
  for (int c = 0; c < 1234; ++c) {
    batch.statements.push_back(*insert->Bind({int32_t{1}, int32_t{c}, std::string(40, 'x')}));
    if (batch.statements.size() == 100 || c == 1233) {
      QueryResult r = s.Execute(batch);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      batch.statements.clear();
    }
  }
  Statement page("SELECT c FROM wide WHERE p = 1");
  page.options.page_size = 100;
  auto rows = s.ExecuteAll(page);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1234u);
  for (int c = 0; c < 1234; ++c) ASSERT_EQ(*(*rows)[static_cast<size_t>(c)].Get<int32_t>(0), c);
  QueryResult first = s.Execute(page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.row_count(), 100);
  EXPECT_TRUE(first.has_more_pages());

  // LWT: IF NOT EXISTS, a conditional update with SERIAL, a read at SERIAL.
  Statement put("INSERT INTO lwt (k, v) VALUES (1, 10) IF NOT EXISTS");
  put.options.serial_consistency = cql::Consistency::kSerial;
  QueryResult a = s.Execute(put);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(*a.applied());
  QueryResult again = s.Execute(put);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again.applied());
  EXPECT_EQ(*again.row(0).Get<int32_t>("v"), 10) << "the row that won comes back";
  auto cas = s.Prepare("UPDATE lwt SET v = ? WHERE k = ? IF v = ?");
  ASSERT_TRUE(cas.ok());
  BoundStatement b = *cas->Bind({int32_t{11}, int32_t{1}, int32_t{10}});
  b.options.serial_consistency = cql::Consistency::kSerial;
  QueryResult u = s.Execute(b);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_TRUE(*u.applied());
  QueryResult stale = s.Execute(b);
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale.applied());
  EXPECT_EQ(*stale.row(0).Get<int32_t>("v"), 11);
  Statement serial_read("SELECT v FROM lwt WHERE k = 1");
  serial_read.options.consistency = cql::Consistency::kSerial;
  QueryResult sr = s.Execute(serial_read);
  ASSERT_TRUE(sr.ok()) << sr.status().ToString();
  EXPECT_EQ(*sr.row(0).Get<int32_t>(0), 11);

  // Batches: logged across partitions, a conditional batch on one, a counter batch.
  BatchStatement logged;
  logged.statements.push_back(Statement("INSERT INTO lwt (k, v) VALUES (2, 2)"));
  logged.statements.push_back(*insert->Bind({int32_t{2}, int32_t{0}, std::string("y")}));
  ASSERT_TRUE(s.Execute(logged).ok());
  BatchStatement conditional;
  conditional.options.serial_consistency = cql::Consistency::kSerial;
  conditional.statements.push_back(Statement("UPDATE lwt SET v = 3 WHERE k = 2 IF v = 2"));
  QueryResult cb = s.Execute(conditional);
  ASSERT_TRUE(cb.ok()) << cb.status().ToString();
  EXPECT_TRUE(*cb.applied());
  BatchStatement counters;
  counters.type = cql::BatchType::kCounter;
  for (int i = 0; i < 3; ++i)
    counters.statements.push_back(Statement("UPDATE counts SET n = n + 1 WHERE k = 7"));
  ASSERT_TRUE(s.Execute(counters).ok());
  QueryResult n = s.Execute(Statement("SELECT n FROM counts WHERE k = 7"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n.row(0).Get<int64_t>(0), 3);
  QueryResult v2 = s.Execute(Statement("SELECT v FROM lwt WHERE k = 2"));
  EXPECT_EQ(*v2.row(0).Get<int32_t>(0), 3);

  // Cassandra's record of our connections: protocol v5, LZ4 asked for in STARTUP.
  int v5_lz4 = 0;
  for (int node : {kNode1, kNode2}) {
    QueryResult clients = Probe(node).Query(
        "SELECT protocol_version, client_options, request_count FROM system_views.clients");
    ASSERT_TRUE(clients.ok()) << clients.status().ToString();
    for (const Row& row : clients.rows()) {
      auto options = row.Get<cql::ValueMap>(1);
      if (!options.ok()) continue;
      bool lz4 = false;
      for (auto& [k, v] : *options)
        if (k.get_if<std::string>() && *k.get_if<std::string>() == "COMPRESSION" &&
            v.get_if<std::string>() && *v.get_if<std::string>() == "lz4")
          lz4 = true;
      if (lz4 && *row.Get<int32_t>(0) == 5 && *row.Get<int64_t>(2) > 0) ++v5_lz4;
    }
  }
  EXPECT_GE(v5_lz4, 2) << "each dc1 node serves a v5 LZ4 connection of ours that made requests";
}

// A DDL statement returns once every node reports the same schema version (system.local on
// each node, read directly right after the statement returns).
TEST_F(DriverCassandraTest, DdlReturnsOnlyOnceEveryNodeAgreesOnTheSchema) {
  BlockingSession s = Connect(Options());
  CreateSchema(s);
  auto versions_agree = [&](std::string* seen) {
    std::set<std::string> versions;
    for (int node : {kNode1, kNode2, kNode3}) {
      QueryResult r = Probe(node).Query("SELECT schema_version FROM system.local");
      if (!r.ok() || r.row_count() != 1) return false;
      auto v = r.row(0).GetValue(0);
      versions.insert(v.ok() && v->get_if<cql::Uuid>() ? v->get_if<cql::Uuid>()->ToString() : "?");
    }
    *seen = std::to_string(versions.size()) + " versions";
    return versions.size() == 1;
  };
  for (int i = 0; i < 6; ++i) {
    std::string t = "rf3.agree" + std::to_string(i);
    MustRun(s, "CREATE TABLE " + t + " (k int PRIMARY KEY, v int)");
    std::string seen;
    EXPECT_TRUE(versions_agree(&seen)) << "after CREATE " << t << ": " << seen;
    MustRun(s, "ALTER TABLE " + t + " ADD w text");
    EXPECT_TRUE(versions_agree(&seen)) << "after ALTER " << t << ": " << seen;
    MustRun(s, "DROP TABLE " + t);
    EXPECT_TRUE(versions_agree(&seen)) << "after DROP " << t << ": " << seen;
  }
}

// The sum, over every node, of the requests coordinated for the system tables a session reads
// on connect (topology and keyspace replication).
long SystemReads(std::map<int, std::unique_ptr<NodeProbe>>& probes) {
  long n = 0;
  for (auto& [i, p] : probes) {
    n += p->TableCount("coordinator_read_latency", "system", "local");
    n += p->TableCount("coordinator_scan_latency", "system", "local");
    n += p->TableCount("coordinator_scan_latency", "system", "peers_v2");
    n += p->TableCount("coordinator_scan_latency", "system", "peers");
    n += p->TableCount("coordinator_read_latency", "system_schema", "keyspaces");
    n += p->TableCount("coordinator_read_latency", "system_schema", "tables");
    n += p->TableCount("coordinator_read_latency", "system_schema", "columns");
  }
  return n;
}

// A master takes a warm-up snapshot; forked workers open sessions from it and serve requests.
// Cassandra's own counters show no system-table query from the workers, while a cold connect
// moves them (the check can fail).
TEST_F(DriverCassandraTest, SnapshotWorkersOpenSessionsWithNoSystemTableQuery) {
  {
    BlockingSession admin = Connect(Options());
    CreateSchema(admin);
    CreateFresh(admin, "rf3.kv (k int PRIMARY KEY, v text)");
    MustRun(admin, "INSERT INTO rf3.kv (k, v) VALUES (1, 'one')");
  }
  auto snapshot = TakeSnapshot(Options("rf3"), {"SELECT v FROM kv WHERE k = ?"});
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  ASSERT_EQ((*snapshot)->hosts.size(), 3u);

  long before = SystemReads(probes_);
  auto executed = [&] {
    double n = 0;
    for (int node : {kNode1, kNode2}) n += Probe(node).CqlMetric("prepared_statements_executed");
    return n;
  };
  double executed_before = executed();
  constexpr int kWorkers = 4;
  postfork::testing::ExpectForkedChildrenSucceed(kWorkers, [&]() -> int {
    auto s = BlockingSession::ConnectFromSnapshot(*snapshot);
    if (!s.ok()) return 2;
    auto prepared = s->Prepare("SELECT v FROM kv WHERE k = ?");
    if (!prepared.ok()) return 3;
    for (int n = 0; n < 10; ++n) {
      QueryResult r = s->Execute(*prepared->Bind({int32_t{1}}));
      if (!r.ok() || r.row_count() != 1 || *r.row(0).Get<std::string>(0) != "one") return 4;
    }
    s->Close();
    return 0;
  });
  EXPECT_EQ(SystemReads(probes_), before)
      << "Cassandra coordinated system-table reads for the workers' sessions";
  EXPECT_GE(executed() - executed_before, kWorkers * 10.0) << "the workers' requests arrived";

  BlockingSession cold = Connect(Options("rf3"));
  EXPECT_GT(SystemReads(probes_), before) << "a cold connect reads system tables: the check works";
}

// Runs `total` idempotent prepared writes with `window` in flight on `io`, alternating
// consistency ONE and QUORUM; calls `at_half` once when half have completed.
struct Load {
  int total = 0;
  int window = 0;
  int sent = 0;
  int done = 0;
  int failed = 0;
  std::string first_failure;
  std::function<void()> at_half;
};

void Pump(Session& s, const PreparedStatement& insert, Load& load, int key_base) {
  while (load.sent < load.total && load.sent - load.done < load.window) {
    int k = key_base + load.sent++;
    BoundStatement b = *insert.Bind({int32_t{k}, int32_t{k}});
    b.options.idempotent = true;
    b.options.consistency = k % 2 ? cql::Consistency::kQuorum : cql::Consistency::kOne;
    s.Execute(std::move(b), [&s, &insert, &load, key_base](QueryResult r) {
      ++load.done;
      if (!r.ok() && load.failed++ == 0) load.first_failure = r.status().ToString();
      if (load.done == load.total / 2 && load.at_half) {
        auto fn = std::move(load.at_half);
        load.at_half = nullptr;
        fn();
      }
      Pump(s, insert, load, key_base);
    });
  }
}

// kill -9 of a dc1 node (the contact point and control connection's host) in the middle of a
// stream of idempotent writes at ONE and QUORUM: none fails, every one is readable afterwards,
// and from then on the surviving dc1 node coordinates everything (its counter grows by exactly
// the number sent). When the node returns, requests reach it again within the reconnection
// backoff, and a statement prepared while it was away runs there.
TEST_F(DriverCassandraTest, KillNineUnderLoadLosesNothingThenTheNodeReturns) {
  {
    BlockingSession admin = Connect(Options());
    CreateSchema(admin);
    CreateFresh(admin, "rf3.failover (k int PRIMARY KEY, v int)");
    CreateFresh(admin, "rf3.after (k int PRIMARY KEY, v int)");
  }
  boost::asio::io_context io;
  SessionOptions o = Options("rf3");
  std::optional<Result<Session>> connected;
  Session::Connect(io, o, [&](Result<Session> r) { connected.emplace(std::move(r)); });
  while (!connected) io.run_one();
  ASSERT_TRUE(connected->ok()) << connected->status().ToString();
  Session& s = connected->value();
  auto run_until = [&io](auto done, std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    io.restart();
    while (!done() && Clock::now() < deadline) io.run_for(20ms);
    return done();
  };
  std::optional<Result<PreparedStatement>> prepared;
  s.Prepare("INSERT INTO failover (k, v) VALUES (?, ?)",
            [&](Result<PreparedStatement> p) { prepared.emplace(std::move(p)); });
  ASSERT_TRUE(run_until([&] { return prepared.has_value(); }, 20s));
  ASSERT_TRUE(prepared->ok());
  PreparedStatement insert = prepared->value();
  ASSERT_TRUE(run_until([&] { return s.hosts_up() == 2; }, 20s)) << "both dc1 pools open";

  // Whatever happens below, node 1 runs again for the tests after this one.
  struct RestartAtExit {
    bool armed = true;
    ~RestartAtExit() {
      std::string ignored;
      if (armed) Cluster().StartNode(kNode1, &ignored);
    }
  } restart_at_exit;
  Load load;
  load.total = 4000;
  load.window = 32;
  bool killed = false;
  load.at_half = [&] { killed = Cluster().Kill(kNode1); };
  Pump(s, insert, load, 0);
  ASSERT_TRUE(run_until([&] { return load.done == load.total; }, 120s))
      << load.done << " of " << load.total << " completed";
  ASSERT_TRUE(killed);
  EXPECT_EQ(load.failed, 0) << load.first_failure;
  EXPECT_EQ(s.hosts_up(), 1);

  // From now on, node 2 coordinates every request: its counter grows by exactly the count.
  long before2 = Probe(kNode2).TableCount("coordinator_write_latency", "rf3", "failover");
  long before3 = Probe(kNode3).TableCount("coordinator_write_latency", "rf3", "failover");
  Load after;
  after.total = 300;
  after.window = 8;
  Pump(s, insert, after, load.total);
  ASSERT_TRUE(run_until([&] { return after.done == after.total; }, 60s));
  EXPECT_EQ(after.failed, 0) << after.first_failure;
  EXPECT_EQ(Probe(kNode2).TableCount("coordinator_write_latency", "rf3", "failover") - before2,
            after.total);
  EXPECT_EQ(Probe(kNode3).TableCount("coordinator_write_latency", "rf3", "failover") - before3, 0);

  // Every acknowledged write is there (a QUORUM scan through node 2).
  {
    BlockingSession reader = Connect([] {
      SessionOptions r = Options("rf3");
      r.contact_points = {Cluster().Address(kNode2)};
      r.consistency = cql::Consistency::kQuorum;
      return r;
    }());
    // Until node 2's failure detector convicts node 1, a QUORUM read may still wait for it.
    auto all = reader.ExecuteAll(Statement("SELECT k FROM failover"));
    for (int attempt = 0; !all.ok() && attempt < 20; ++attempt) {
      std::this_thread::sleep_for(1s);
      all = reader.ExecuteAll(Statement("SELECT k FROM failover"));
    }
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(static_cast<int>(all->size()), load.total + after.total);
  }

  // A statement prepared while node 1 is away.
  std::optional<Result<PreparedStatement>> prepared_after;
  s.Prepare("INSERT INTO after (k, v) VALUES (?, ?)",
            [&](Result<PreparedStatement> p) { prepared_after.emplace(std::move(p)); });
  ASSERT_TRUE(run_until([&] { return prepared_after.has_value(); }, 20s));
  ASSERT_TRUE(prepared_after->ok());

  // The node returns. Keep requests flowing; node 1's counter (fresh after its restart) moves
  // once the driver routes to it again, within its backoff (at most 2 s) after CQL answers.
  std::string error;
  restart_at_exit.armed = false;
  ASSERT_TRUE(Cluster().StartNode(kNode1, &error)) << error;
  auto back = Clock::now();
  Load probe_load;
  probe_load.total = 1 << 30;
  probe_load.window = 2;
  Pump(s, insert, probe_load, 100000);
  bool routed = false;
  double routed_after_s = 0;
  while (!routed && Clock::now() - back < 30s) {
    run_until([] { return false; }, 200ms);
    long n = Probe(kNode1).TableCount("coordinator_write_latency", "rf3", "failover");
    if (n > 0) {
      routed = true;
      routed_after_s = std::chrono::duration<double>(Clock::now() - back).count();
    }
  }
  probe_load.total = probe_load.sent;
  run_until([&] { return probe_load.done == probe_load.total; }, 30s);
  EXPECT_TRUE(routed) << "node 1 coordinated nothing within 30 s of its return";
  std::printf("routed to the returning node %.2f s after it answered CQL\n", routed_after_s);
  EXPECT_LT(routed_after_s, 2.0 + 3.0) << "backoff at most 2 s, plus slack for a busy machine";
  EXPECT_EQ(probe_load.failed, 0) << probe_load.first_failure;

  double executed_before = Probe(kNode1).CqlMetric("prepared_statements_executed");
  Load late;
  late.total = 200;
  late.window = 4;
  Pump(s, prepared_after->value(), late, 0);
  ASSERT_TRUE(run_until([&] { return late.done == late.total; }, 60s));
  EXPECT_EQ(late.failed, 0) << late.first_failure;
  EXPECT_GT(Probe(kNode1).CqlMetric("prepared_statements_executed"), executed_before)
      << "the statement prepared while node 1 was down ran on node 1";
  s.Close();
  io.restart();
  io.poll();
}

// A node that joins the ring appears in the driver's hosts (TOPOLOGY_CHANGE NEW_NODE), with
// the data center and token Cassandra gives it; after `nodetool decommission` it is gone
// (REMOVED_NODE). Cassandra's own peers table is the reference for both.
TEST_F(DriverCassandraTest, NodeAddedAndRemovedChangeTheDriversTopology) {
  BlockingSession s = Connect(Options("rf3"));
  ASSERT_EQ(s.session().hosts().size(), 3u);
  auto peers_of_node1 = [&] {
    std::set<std::string> out;
    QueryResult r = Probe(kNode1).Query("SELECT native_address FROM system.peers_v2");
    for (const Row& row : r.rows()) {
      auto v = row.GetValue(0);
      if (v.ok() && v->get_if<cql::Inet>()) out.insert(v->get_if<cql::Inet>()->ToString());
    }
    return out;
  };
  auto driver_hosts = [&] {
    std::set<std::string> out;
    for (auto& h : s.session().hosts()) out.insert(h.address);
    return out;
  };
  auto wait_for_hosts = [&](size_t n) {
    for (auto deadline = Clock::now() + 60s; Clock::now() < deadline;) {
      if (driver_hosts().size() == n) return true;
      s.RunFor(200ms);
    }
    return false;
  };

  std::string error;
  int added = Cluster().AddNode("dc2", &error);
  ASSERT_GT(added, 0) << error;
  std::string address = Cluster().Address(added);
  ASSERT_TRUE(peers_of_node1().count(address)) << "Cassandra lists the new node as a peer";
  ASSERT_TRUE(wait_for_hosts(4)) << "the driver never saw the new node";
  for (auto& h : s.session().hosts()) {
    if (h.address != address) continue;
    EXPECT_EQ(h.datacenter, "dc2");
    EXPECT_EQ(h.tokens.size(), 1u);
  }
  std::set<std::string> expected = peers_of_node1();
  expected.insert(Cluster().Address(kNode1));
  EXPECT_EQ(driver_hosts(), expected);
  EXPECT_TRUE(s.Execute(Statement("SELECT * FROM rf3.kv WHERE k = 1")).ok());

  std::string out;
  ASSERT_TRUE(Cluster().Nodetool(added, "decommission", &out)) << out;
  ASSERT_FALSE(peers_of_node1().count(address)) << "Cassandra no longer lists it";
  ASSERT_TRUE(wait_for_hosts(3)) << "the driver kept the decommissioned node";
  EXPECT_FALSE(driver_hosts().count(address));
  EXPECT_TRUE(s.Execute(Statement("SELECT * FROM rf3.kv WHERE k = 1")).ok());
}

}  // namespace
}  // namespace postfork::driver
