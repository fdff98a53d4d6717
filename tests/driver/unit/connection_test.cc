// Connection behaviour against a scripted peer over real loopback TCP: coalesced writes,
// timeouts, cut frames, heartbeats.
#include "driver/net/connection.h"

#include <gtest/gtest.h>

#include <chrono>

#include "postfork/base/event_batch.h"
#include "scripted_server.h"

namespace postfork::driver {
namespace {

using testing::ScriptedServer;
using namespace std::chrono_literals;

struct Fixture {
  boost::asio::io_context io;
  SessionOptions options;
  std::shared_ptr<Connection> conn;

  Status Open(uint16_t port) {
    conn = std::make_shared<Connection>(io, "127.0.0.1", port,
                                        std::make_shared<SessionOptions>(options), nullptr,
                                        cql::kProtocolV4);
    std::optional<Status> result;
    conn->Open([&](Status st) { result = st; });
    RunUntil([&] { return result.has_value(); }, 5s);
    return result.value_or(Status(StatusCode::kTimeout, "open did not finish"));
  }
  template <class Pred>
  bool RunUntil(Pred done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(5ms);
    }
    return done();
  }
  Status SendOptions(std::function<void(Result<Response>)> fn, Millis timeout = Millis(0)) {
    auto* h = new CallbackHandler(std::move(fn));
    Status st = conn->Send(
        cql::Opcode::kOptions, [](cql::ByteWriter&) { return Status::Ok(); }, h, timeout);
    if (!st.ok()) delete h;
    return st;
  }
  // Queues `n` OPTIONS requests; each answer adds one to *answered.
  void SendOptionsCounted(int n, int* answered) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(SendOptions([answered](Result<Response> r) { *answered += r.ok(); }).ok());
  }
  Status SendQuery(std::string q, std::function<void(Result<Response>)> fn, Millis timeout) {
    auto* h = new CallbackHandler(std::move(fn));
    Status st = conn->Send(
        cql::Opcode::kQuery,
        [&](cql::ByteWriter& w) {
          cql::QueryMessage m;
          m.query = q;
          m.Encode(w);
          return Status::Ok();
        },
        h, timeout);
    if (!st.ok()) delete h;
    return st;
  }
};

TEST(Connection, HandshakesWithStartupAndGetsReady) {
  ScriptedServer server;
  Fixture f;
  ASSERT_TRUE(f.Open(server.port()).ok());
  EXPECT_TRUE(f.conn->ready());
  ASSERT_FALSE(server.opcodes().empty());
  EXPECT_EQ(server.opcodes()[0], cql::Opcode::kStartup) << "no OPTIONS round trip first";
}

TEST(Connection, ConnectRefusedIsAConnectFailure) {
  uint16_t port;
  {
    ScriptedServer gone;
    port = gone.port();
  }
  Fixture f;
  Status st = f.Open(port);
  EXPECT_EQ(st.code(), StatusCode::kConnectFailed) << st.ToString();
}

TEST(Connection, CoalescesRequestsQueuedInOneTurnOrOneEventBatchIntoOneWrite) {
  ScriptedServer server;
  Fixture f;
  ASSERT_TRUE(f.Open(server.port()).ok());
  uint64_t writes_before = f.conn->stats().writes;
  int answered = 0;
  f.SendOptionsCounted(200, &answered);
  ASSERT_TRUE(f.RunUntil([&] { return answered == 200; }, 5s));
  EXPECT_EQ(f.conn->stats().writes - writes_before, 1u);
  EXPECT_EQ(server.frames_received(), 201);  // STARTUP + 200
  EXPECT_EQ(f.conn->in_flight(), 0);

  writes_before = f.conn->stats().writes;
  {
    EventBatch batch(&f.io);
    f.SendOptionsCounted(50, &answered);
    EXPECT_EQ(f.conn->stats().writes, writes_before) << "nothing leaves while the batch is open";
  }
  // Written as the batch closed, with no turn of the event loop in between.
  EXPECT_EQ(f.conn->stats().writes - writes_before, 1u);
  ASSERT_TRUE(f.RunUntil([&] { return answered == 250; }, 5s));
  EXPECT_EQ(f.conn->stats().writes - writes_before, 1u);
  EXPECT_EQ(server.frames_received(), 251);

  // A batch of another loop (a handler running this loop nested, as a blocking session does)
  // holds nothing of this one: its requests leave in the loop's own turn.
  boost::asio::io_context other;
  EventBatch other_batch(&other);
  f.SendOptionsCounted(10, &answered);
  ASSERT_TRUE(f.RunUntil([&] { return answered == 260; }, 5s));
}

TEST(Connection, RequestTimesOutAndTheConnectionKeepsWorking) {
  ScriptedServer server([](const ScriptedServer::Request& r) -> std::optional<std::string> {
    if (r.header.opcode == cql::Opcode::kQuery) return std::string();  // never answer
    return ScriptedServer::Handshake(r);
  });
  Fixture f;
  ASSERT_TRUE(f.Open(server.port()).ok());
  std::optional<Status> failed;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(f.SendQuery(
                   "SELECT 1", [&](Result<Response> r) { failed = r.status(); }, Millis(100))
                  .ok());
  ASSERT_TRUE(f.RunUntil([&] { return failed.has_value(); }, 3s));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(failed->code(), StatusCode::kTimeout);
  EXPECT_GE(took, 95ms);
  EXPECT_LT(took, 1s);
  bool ok = false;
  ASSERT_TRUE(f.SendOptions([&](Result<Response> r) { ok = r.ok(); }).ok());
  ASSERT_TRUE(f.RunUntil([&] { return ok; }, 3s));
  EXPECT_TRUE(f.conn->ready());
}

TEST(Connection, FrameCutMidwayFailsInFlightRequestsWithClosed) {
  ScriptedServer server([](const ScriptedServer::Request& r) -> std::optional<std::string> {
    if (r.header.opcode == cql::Opcode::kQuery) {
      std::string full = ScriptedServer::VoidResult(r.header);
      full += std::string(100, 'x');
      // Claim a 104-byte body, send half of it, then hang up.
      full[5] = 0;
      full[6] = 0;
      full[7] = 0;
      full[8] = 104;
      return full.substr(0, 50);
    }
    return ScriptedServer::Handshake(r);
  });
  Fixture f;
  ASSERT_TRUE(f.Open(server.port()).ok());
  std::optional<Status> failed;
  ASSERT_TRUE(f.SendQuery(
                   "SELECT 1", [&](Result<Response> r) { failed = r.status(); }, Millis(0))
                  .ok());
  f.RunUntil([&] { return server.frames_received() >= 2; }, 3s);
  server.DropConnections();
  ASSERT_TRUE(f.RunUntil([&] { return failed.has_value(); }, 3s));
  EXPECT_EQ(failed->code(), StatusCode::kClosed) << failed->ToString();
  EXPECT_TRUE(f.conn->closed());
}

TEST(Connection, HeartbeatKeepsAnIdleConnectionAndDetectsASilentPeer) {
  std::atomic<bool> silent{false};
  ScriptedServer server([&](const ScriptedServer::Request& r) -> std::optional<std::string> {
    if (silent && r.header.opcode == cql::Opcode::kOptions) return std::string();
    return ScriptedServer::Handshake(r);
  });
  Fixture f;
  f.options.heartbeat_interval = Millis(50);
  f.options.request_timeout = Millis(100);
  ASSERT_TRUE(f.Open(server.port()).ok());
  f.RunUntil([] { return false; }, 300ms);
  EXPECT_TRUE(f.conn->ready());
  EXPECT_GE(f.conn->stats().heartbeats, 2u);
  silent = true;
  std::optional<Status> closed;
  f.conn->set_close_callback([&](Connection&, const Status& st) { closed = st; });
  ASSERT_TRUE(f.RunUntil([&] { return closed.has_value(); }, 3s));
  EXPECT_EQ(closed->code(), StatusCode::kTimeout) << closed->ToString();
}

TEST(Connection, CompressesWithLz4WhenNegotiated) {
  std::atomic<int> compressed_frames{0};
  ScriptedServer server([&](const ScriptedServer::Request& r) -> std::optional<std::string> {
    if (r.header.flags & cql::frame_flags::kCompression) {
      std::string plain;
      if (cql::Decompress(cql::Compression::kLz4, r.body, &plain, 1 << 20).ok())
        ++compressed_frames;
    }
    return ScriptedServer::Handshake(r);
  });
  Fixture f;
  f.options.compression = cql::Compression::kLz4;
  ASSERT_TRUE(f.Open(server.port()).ok());
  bool ok = false;
  ASSERT_TRUE(f.SendQuery(
                   std::string(500, ' ') + "SELECT 1", [&](Result<Response> r) { ok = r.ok(); },
                   Millis(1000))
                  .ok());
  ASSERT_TRUE(f.RunUntil([&] { return ok; }, 3s));
  EXPECT_EQ(compressed_frames.load(), 1) << "STARTUP is never compressed; the query is";
}

}  // namespace
}  // namespace postfork::driver
