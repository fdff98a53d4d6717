// Session behaviour that needs a peer but not a real node: snapshot connects (no system query),
// paging-state plumbing, fork detection, fail-fast without hosts.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "driver/session/session_impl.h"
#include "postfork/driver/blocking.h"
#include "postfork/driver/session.h"
#include "scripted_server.h"

namespace postfork::driver {
namespace {

using testing::ScriptedServer;

std::shared_ptr<Snapshot> SnapshotFor(uint16_t port) {
  auto s = std::make_shared<Snapshot>();
  s->options.contact_points = {"127.0.0.1"};
  s->options.port = port;
  s->local_dc = "dc1";
  HostInfo h;
  h.address = "127.0.0.1";
  h.port = port;
  h.datacenter = "dc1";
  h.rack = "r1";
  h.tokens = {0};
  s->hosts = {h};
  return s;
}

TEST(Session, FromSnapshotOpensSocketsOnlyWithNoSystemQuery) {
  ScriptedServer server;
  auto snap = SnapshotFor(server.port());
  auto s = BlockingSession::ConnectFromSnapshot(snap);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const ConnectReport& report = s->session().connect_report();
  EXPECT_TRUE(report.from_snapshot);
  EXPECT_EQ(report.system_queries, 0);
  EXPECT_EQ(report.round_trips, 1);  // STARTUP; REGISTER follows, not waited for
  // REGISTER leaves once the session is handed over; give the server time to read it.
  for (int i = 0; i < 200 && server.opcodes().size() < 2; ++i) s->RunFor(Millis(5));
  auto ops = server.opcodes();
  ASSERT_GE(ops.size(), 2u);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), cql::Opcode::kQuery), 0);
  EXPECT_EQ(ops[0], cql::Opcode::kStartup);
  EXPECT_EQ(ops[1], cql::Opcode::kRegister);
}

TEST(Session, FromSnapshotSharesTheSnapshotsStateInsteadOfCopyingIt) {
  ScriptedServer server;
  auto snap = SnapshotFor(server.port());
  snap->options.keyspace = "ks";
  snap->token_map = TokenMap::Build(snap->hosts);
  snap->replication = std::make_shared<ReplicationMap>(ReplicationMap{{"ks", {}}});
  auto tables = std::make_shared<KeyspaceMetadata>();
  tables->name = "ks";
  snap->schema = std::make_shared<SchemaMap>(SchemaMap{{"ks", tables}});
  auto prepared = std::make_shared<PreparedData>();
  prepared->query = "SELECT v FROM t WHERE k = ?";
  prepared->keyspace = "ks";
  prepared->id = "id1";
  snap->prepared = {prepared};
  auto s = BlockingSession::ConnectFromSnapshot(snap);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // The snapshot's statement, with no PREPARE sent.
  auto p = s->Prepare("SELECT v FROM t WHERE k = ?");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(&p->data(), prepared.get());
  // A snapshot of that session holds the very same objects: nothing was copied on the way.
  auto again = s->TakeSnapshot();
  EXPECT_EQ(again->token_map.get(), snap->token_map.get());
  EXPECT_EQ(again->replication.get(), snap->replication.get());
  EXPECT_EQ(again->schema.get(), snap->schema.get());
  ASSERT_EQ(again->prepared.size(), 1u);
  EXPECT_EQ(again->prepared[0].get(), prepared.get());
  for (auto op : server.opcodes()) EXPECT_NE(op, cql::Opcode::kPrepare);
}

TEST(Session, FromSnapshotRegisterSharesAWriteWithTheFirstRequest) {
  ScriptedServer server;
  boost::asio::io_context io(1);
  std::optional<Result<Session>> session;
  std::optional<QueryResult> result;
  Session::ConnectFromSnapshot(io, SnapshotFor(server.port()), [&](Result<Session> s) {
    session.emplace(std::move(s));
    if (session->ok())
      (*session)->Execute(Statement("SELECT 1"),
                          [&](QueryResult r) { result.emplace(std::move(r)); });
  });
  for (int i = 0; i < 20000 && !result; ++i) io.run_one_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(session && session->ok());
  ASSERT_TRUE(result && result->ok()) << (result ? result->status().ToString() : "no result");
  auto ops = server.opcodes();
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0], cql::Opcode::kStartup);
  EXPECT_EQ(ops[1], cql::Opcode::kRegister);
  EXPECT_EQ(ops[2], cql::Opcode::kQuery);
  // Reads: the refused v5 STARTUP, the v4 STARTUP, then REGISTER and the query together.
  EXPECT_EQ(server.frames_received(), 4);
  EXPECT_EQ(server.reads_with_frames(), 3) << "REGISTER and the first request in one write";
  (*session)->Close();
  io.poll();
}

TEST(Session, FromSnapshotWithAKeyspaceOnV4SendsUseBeforeReady) {
  ScriptedServer server;
  auto snap = SnapshotFor(server.port());
  snap->options.keyspace = "ks";
  auto s = BlockingSession::ConnectFromSnapshot(snap);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->session().connect_report().protocol_version, cql::kProtocolV4);
  EXPECT_EQ(s->session().connect_report().round_trips, 2);  // STARTUP, then USE (+ REGISTER)
  auto ops = server.opcodes();
  EXPECT_EQ(std::count(ops.begin(), ops.end(), cql::Opcode::kQuery), 1) << "USE";
}

TEST(Session, PagingStateAndStatementOptionsReachTheWire) {
  std::mutex mu;
  std::optional<cql::QueryParameters> seen;
  std::string seen_state;
  std::vector<std::string> seen_values;  // the params view the request body: copy what we check
  ScriptedServer server([&](const ScriptedServer::Request& r) -> std::optional<std::string> {
    if (r.header.opcode != cql::Opcode::kQuery) return ScriptedServer::Handshake(r);
    cql::ByteReader reader(r.body);
    auto q = cql::QueryMessage::Decode(reader);
    if (!q.ok()) return std::nullopt;
    {
      std::lock_guard lock(mu);
      seen = q->params;
      for (auto& v : q->params.values) seen_values.emplace_back(v.bytes);
      seen->values.clear();
      seen->paging_state.reset();
      seen_state = q->params.paging_state ? std::string(*q->params.paging_state) : "";
    }
    cql::RowsMetadata md;
    md.column_count = 1;
    md.columns = {{"ks", "t", "v", cql::DataType(cql::TypeKind::kInt)}};
    md.paging_state = std::string("page-2");
    std::string one;
    (void)cql::SerializeValue(int32_t{1}, md.columns[0].type, &one);
    std::string body;
    cql::ByteWriter w(&body);
    const cql::RawValue cells[] = {cql::RawValue::Of(one)};
    cql::EncodeRowsResult(md, 1, cells, w);
    return ScriptedServer::Frame(r.header, cql::Opcode::kResult, body);
  });
  auto s = BlockingSession::ConnectFromSnapshot(SnapshotFor(server.port()));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Statement st("SELECT v FROM ks.t WHERE k = ?", {int32_t{5}});
  st.options.page_size = 7;
  st.options.paging_state = "page-1";
  st.options.consistency = cql::Consistency::kQuorum;
  st.options.serial_consistency = cql::Consistency::kLocalSerial;
  st.options.timestamp = 1234567;
  QueryResult r = s->Execute(st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r.paging_state(), "page-2");
  std::lock_guard lock(mu);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->page_size, 7);
  EXPECT_EQ(seen_state, "page-1");
  EXPECT_EQ(seen->consistency, cql::Consistency::kQuorum);
  EXPECT_EQ(seen->serial_consistency, cql::Consistency::kLocalSerial);
  EXPECT_EQ(seen->default_timestamp, 1234567);
  ASSERT_EQ(seen_values.size(), 1u);
  EXPECT_EQ(seen_values[0], std::string("\0\0\0\5", 4));
}

// A response may carry a tracing id, warnings and a custom payload before its message
// (header flags 0x02, 0x08, 0x04). Cassandra 5.0 warns on PREPARE after USE, for example.
TEST(Session, ResponsesWithTracingIdWarningsAndCustomPayloadDecode) {
  ScriptedServer server([&](const ScriptedServer::Request& r) -> std::optional<std::string> {
    if (r.header.opcode != cql::Opcode::kQuery) return ScriptedServer::Handshake(r);
    std::string body;
    cql::ByteWriter w(&body);
    body.append("0123456789abcdef", 16);  // [uuid]
    w.WriteShort(2);
    w.WriteString("first warning");
    w.WriteString("second warning");
    w.WriteBytesMap({{"key", "value"}});
    w.WriteInt(static_cast<int32_t>(cql::ResultKind::kVoid));
    std::string frame = ScriptedServer::Frame(r.header, cql::Opcode::kResult, body);
    frame[1] = static_cast<char>(cql::frame_flags::kTracing | cql::frame_flags::kWarning |
                                 cql::frame_flags::kCustomPayload);
    return frame;
  });
  auto s = BlockingSession::ConnectFromSnapshot(SnapshotFor(server.port()));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  QueryResult r = s->Execute(Statement("INSERT INTO ks.t (k) VALUES (1)"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.kind(), cql::ResultKind::kVoid);
  EXPECT_EQ(r.warnings(), (std::vector<std::string>{"first warning", "second warning"}));
  ASSERT_TRUE(r.data()->tracing_id.has_value());
  EXPECT_EQ(r.data()->tracing_id->bytes[0], '0');
}

TEST(Session, UsedInAForkedChildFailsWithWrongProcess) {
  ScriptedServer server;
  auto s = BlockingSession::ConnectFromSnapshot(SnapshotFor(server.port()));
  ASSERT_TRUE(s.ok());
  uint64_t gen = ForkGeneration();
  int parent = static_cast<int>(::getpid());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: one request, then report through the exit status.
    QueryResult r = s->Execute(Statement("SELECT 1"));
    std::string want = "session created in process " + std::to_string(parent) +
                       " used in process " + std::to_string(::getpid()) +
                       "; create sessions after fork";
    bool ok = ForkGeneration() == gen + 1 && r.status().code() == StatusCode::kWrongProcess &&
              r.status().message() == want;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ForkGeneration(), gen) << "the parent's generation does not move";
  QueryResult r = s->Execute(Statement("SELECT 1"));
  EXPECT_TRUE(r.ok()) << "the parent's session still works: " << r.status().ToString();
}

TEST(Session, ConnectFailsWithEveryContactPointsReason) {
  uint16_t port;
  {
    ScriptedServer gone;
    port = gone.port();
  }
  SessionOptions o;
  o.contact_points = {"127.0.0.1", "127.0.0.2"};
  o.port = port;
  auto s = BlockingSession::Connect(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kConnectFailed);
  EXPECT_NE(s.status().message().find("127.0.0.1:"), std::string::npos);
  EXPECT_NE(s.status().message().find("127.0.0.2:"), std::string::npos);
  o.connections_per_host = 0;
  EXPECT_EQ(BlockingSession::Connect(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(Session, FailsFastWithNoHostAvailableWhenTheOnlyHostIsDown) {
  auto server = std::make_unique<ScriptedServer>();
  auto snap = SnapshotFor(server->port());
  snap->options.reconnection = {Millis(5000), Millis(5000)};
  auto s = BlockingSession::ConnectFromSnapshot(snap);
  ASSERT_TRUE(s.ok());
  server.reset();  // the node goes away
  // Wait for the drop to be noticed, then expect an immediate failure.
  QueryResult first = s->Execute(Statement("SELECT 1"));
  EXPECT_FALSE(first.ok());
  auto t0 = std::chrono::steady_clock::now();
  QueryResult r = s->Execute(Statement("SELECT 1"));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status().code(), StatusCode::kNoHostAvailable) << r.status().ToString();
  EXPECT_LT(took, std::chrono::milliseconds(50));
}

// Against a server that only speaks v4 (the scripted server answers v5 as Cassandra 3.x does),
// negotiation falls back to v4 on that host, remembers it, and hands the memory to snapshots.
TEST(Session, NegotiationFallsBackToV4OnAV4OnlyServerAndRemembersIt) {
  ScriptedServer server;
  auto snap = SnapshotFor(server.port());
  ASSERT_EQ(snap->options.protocol_version, ProtocolVersion::kNegotiate);  // the default
  auto s = BlockingSession::ConnectFromSnapshot(snap);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->session().connect_report().protocol_version, 4);
  EXPECT_EQ(server.refused_versions(), 1);
  EXPECT_TRUE(s->Execute(Statement("SELECT 1")).ok());
  auto again = BlockingSession::ConnectFromSnapshot(s->TakeSnapshot());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->session().connect_report().protocol_version, 4);
  EXPECT_EQ(server.refused_versions(), 1) << "the second session must not offer v5 again";
}

TEST(Session, FixedV5FailsAgainstAV4OnlyServerAndFixedV4NeverOffersV5) {
  ScriptedServer server;
  auto snap = SnapshotFor(server.port());
  snap->options.protocol_version = ProtocolVersion::kV5;
  auto s = BlockingSession::ConnectFromSnapshot(snap);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported) << s.status().ToString();
  snap->options.protocol_version = ProtocolVersion::kV4;
  int refused = server.refused_versions();
  auto v4 = BlockingSession::ConnectFromSnapshot(snap);
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  EXPECT_EQ(server.refused_versions(), refused);
}

TEST(Session, ProtocolVersionOptionParses) {
  EXPECT_EQ(*ParseProtocolVersion("negotiate"), ProtocolVersion::kNegotiate);
  EXPECT_EQ(*ParseProtocolVersion("4"), ProtocolVersion::kV4);
  EXPECT_EQ(*ParseProtocolVersion("v5"), ProtocolVersion::kV5);
  EXPECT_EQ(ParseProtocolVersion("3").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace postfork::driver
