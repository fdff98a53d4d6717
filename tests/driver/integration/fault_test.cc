// Timeouts, heartbeats and retries proven through a fault-injecting proxy in front of the node.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fault_proxy.h"
#include "node_process.h"
#include "postfork/driver/blocking.h"

namespace postfork::driver {
namespace {

using testing::FaultProxy;
using testing::NodeProcess;
using namespace std::chrono_literals;

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(node_.Start(&error)) << error;
    proxy_ = std::make_unique<FaultProxy>(node_.port());
    SessionOptions admin_options;
    admin_options.port = node_.port();
    auto admin = BlockingSession::Connect(admin_options);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    ASSERT_TRUE(admin->Execute(Statement("CREATE KEYSPACE IF NOT EXISTS flt WITH replication = "
                                         "{'class': 'SimpleStrategy', 'replication_factor': 1}"))
                    .ok());
    ASSERT_TRUE(
        admin->Execute(Statement("CREATE TABLE IF NOT EXISTS flt.kv (k int PRIMARY KEY, v int)"))
            .ok());
  }
  SessionOptions Options() {
    SessionOptions o;
    o.port = proxy_->port();
    o.keyspace = "flt";
    o.request_timeout = Millis(300);
    o.heartbeat_interval = Millis(0);
    o.reconnection = {Millis(20), Millis(100)};
    return o;
  }
  // Keeps the session's io_context turning until `pred` holds.
  static bool Eventually(BlockingSession& s, const std::function<bool()>& pred,
                         std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      s.RunFor(Millis(10));
    }
    return pred();
  }

  NodeProcess node_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultTest, SlowNodeTimesOutPerRequestThenRecovers) {
  auto s = BlockingSession::Connect(Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  proxy_->set_mode(FaultProxy::Mode::kDelay, 800ms);
  auto t0 = std::chrono::steady_clock::now();
  QueryResult r = s->Execute(Statement("INSERT INTO kv (k, v) VALUES (1, 1)"));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status().ToString();
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 700ms) << "the timeout, not the delay, ends the request";
  proxy_->set_mode(FaultProxy::Mode::kPass);
  std::this_thread::sleep_for(900ms);
  QueryResult ok = s->Execute(Statement("INSERT INTO kv (k, v) VALUES (1, 2)"));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(FaultTest, HeartbeatDetectsAHalfOpenConnectionAndTheSessionReconnects) {
  SessionOptions o = Options();
  o.heartbeat_interval = Millis(100);
  auto s = BlockingSession::Connect(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int before = proxy_->connections();
  proxy_->set_mode(FaultProxy::Mode::kBlackhole);
  // Nothing is sent by the application: only heartbeats can notice the dead peer.
  auto deadline = std::chrono::steady_clock::now() + 3s;
  bool noticed = false;
  while (!noticed && std::chrono::steady_clock::now() < deadline) {
    s->RunFor(Millis(20));
    noticed = s->session().hosts_up() == 0 || proxy_->connections() > before;
  }
  EXPECT_TRUE(noticed) << "the half-open connection was dropped";
  proxy_->set_mode(FaultProxy::Mode::kPass);
  EXPECT_TRUE(Eventually(*s, [&] { return proxy_->connections() > before && s->session().hosts_up() == 1; }, 5s));
  QueryResult ok = s->Execute(Statement("SELECT k FROM kv WHERE k = 0"));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(FaultTest, FrameCutMidwayFailsANonIdempotentRequest) {
  auto s = BlockingSession::Connect(Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  proxy_->set_mode(FaultProxy::Mode::kCutNextResponse);
  QueryResult r = s->Execute(Statement("INSERT INTO kv (k, v) VALUES (3, 3)"));
  EXPECT_EQ(r.status().code(), StatusCode::kClosed) << r.status().ToString();
  EXPECT_TRUE(Eventually(*s, [&] { return s->session().hosts_up() == 1; }, 5s));
  EXPECT_TRUE(s->Execute(Statement("INSERT INTO kv (k, v) VALUES (3, 3)")).ok());
}

TEST_F(FaultTest, FrameCutMidwayRetriesAnIdempotentRequestTransparently) {
  SessionOptions o = Options();
  o.connections_per_host = 2;
  auto s = BlockingSession::Connect(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE(Eventually(*s, [&] { return proxy_->connections() >= 2; }, 5s));
  s->RunFor(Millis(300));  // the second connection finishes its handshake
  proxy_->set_mode(FaultProxy::Mode::kCutNextResponse);
  Statement st("INSERT INTO kv (k, v) VALUES (4, 4)");
  st.options.idempotent = true;
  QueryResult r = s->Execute(st);
  EXPECT_TRUE(r.ok()) << "retried on the other connection: " << r.status().ToString();
}

}  // namespace
}  // namespace postfork::driver
