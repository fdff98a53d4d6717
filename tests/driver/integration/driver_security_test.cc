// The driver's credentials (SASL PLAIN) and TLS options against the real postfork-node started
// with --authenticator Password and with --tls-cert/--tls-key (a self-signed certificate made
// by openssl for each test).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "node_process.h"
#include "postfork/cql/error_codes.h"
#include "postfork/driver/blocking.h"

namespace postfork::driver {
namespace {

using testing::NodeProcess;

class DriverSecurityTest : public ::testing::Test {
 protected:
  SessionOptions Options() {
    SessionOptions o;
    o.port = node_.port();
    o.connect_timeout = Millis(5000);
    o.request_timeout = Millis(10000);
    o.reconnection = {Millis(50), Millis(200)};
    return o;
  }

  // A self-signed certificate for 127.0.0.1 in a temporary directory; false when openssl fails.
  bool MakeCertificate(const std::string& name) {
    if (dir_.empty()) {
      char tmpl[] = "/tmp/postfork-driver-tls-XXXXXX";
      dir_ = ::mkdtemp(tmpl);
    }
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        dir_ + "/" + name + ".key -out " + dir_ + "/" + name + ".pem 2>/dev/null";
    return std::system(cmd.c_str()) == 0;
  }
  std::string Pem(const std::string& name) { return dir_ + "/" + name + ".pem"; }
  std::string Key(const std::string& name) { return dir_ + "/" + name + ".key"; }

  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  static void MustSelectLocal(BlockingSession& s) {
    QueryResult r = s.Execute(Statement("SELECT key FROM system.local"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  NodeProcess node_;
  std::string dir_;
};

TEST_F(DriverSecurityTest, CredentialsLogInAndWrongOnesAreBadCredentials) {
  node_.SetExtraArgs({"--authenticator", "Password", "--authorizer", "Cassandra"});
  std::string error;
  ASSERT_TRUE(node_.Start(&error)) << error;

  SessionOptions good = Options();
  good.credentials = Credentials{"cassandra", "cassandra"};
  auto s = BlockingSession::Connect(good);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  MustSelectLocal(*s);
  QueryResult created =
      s->Execute(Statement("CREATE ROLE reader WITH PASSWORD = 'r1' AND LOGIN = true"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();

  SessionOptions reader = Options();
  reader.credentials = Credentials{"reader", "r1"};
  auto r = BlockingSession::Connect(reader);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  QueryResult denied =
      r->Execute(Statement("CREATE KEYSPACE k WITH replication = "
                           "{'class': 'SimpleStrategy', 'replication_factor': 1}"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().cql_code(), static_cast<int>(cql::ErrorCode::kUnauthorized))
      << denied.status().ToString();

  SessionOptions wrong = Options();
  wrong.credentials = Credentials{"cassandra", "nope"};
  auto bad = BlockingSession::Connect(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kConnectFailed);
  EXPECT_EQ(bad.status().cql_code(), static_cast<int>(cql::ErrorCode::kBadCredentials))
      << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("and/or password are incorrect"), std::string::npos)
      << bad.status().ToString();

  auto none = BlockingSession::Connect(Options());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("requires authentication"), std::string::npos)
      << none.status().ToString();
}

TEST_F(DriverSecurityTest, TlsWithVerifiedServerAndClientCertificates) {
  ASSERT_TRUE(MakeCertificate("server"));
  ASSERT_TRUE(MakeCertificate("client"));
  node_.SetExtraArgs({"--tls-cert", Pem("server"), "--tls-key", Key("server"), "--tls-ca",
                      Pem("client"), "--tls-require-client-cert", "--authenticator", "Password"});
  std::string error;
  ASSERT_TRUE(node_.Start(&error)) << error;

  SessionOptions tls = Options();
  tls.credentials = Credentials{"cassandra", "cassandra"};
  tls.tls.enabled = true;
  tls.tls.ca_file = Pem("server");
  tls.tls.cert_file = Pem("client");
  tls.tls.key_file = Key("client");
  auto s = BlockingSession::Connect(tls);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  MustSelectLocal(*s);

  SessionOptions no_client_cert = tls;
  no_client_cert.tls.cert_file.clear();
  no_client_cert.tls.key_file.clear();
  auto refused = BlockingSession::Connect(no_client_cert);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kConnectFailed) << refused.status().ToString();

  SessionOptions plaintext = Options();
  plaintext.credentials = Credentials{"cassandra", "cassandra"};
  auto plain = BlockingSession::Connect(plaintext);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), StatusCode::kConnectFailed) << plain.status().ToString();

  MustSelectLocal(*s);  // the TLS session was not affected
}

TEST_F(DriverSecurityTest, TlsClientRefusesAServerCertificateItDoesNotTrust) {
  ASSERT_TRUE(MakeCertificate("server"));
  ASSERT_TRUE(MakeCertificate("stranger"));
  node_.SetExtraArgs({"--tls-cert", Pem("server"), "--tls-key", Key("server")});
  std::string error;
  ASSERT_TRUE(node_.Start(&error)) << error;

  SessionOptions trusting = Options();
  trusting.tls.enabled = true;
  trusting.tls.ca_file = Pem("server");
  auto s = BlockingSession::Connect(trusting);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  MustSelectLocal(*s);

  SessionOptions wary = trusting;
  wary.tls.ca_file = Pem("stranger");
  auto refused = BlockingSession::Connect(wary);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("TLS handshake"), std::string::npos)
      << refused.status().ToString();
}

}  // namespace
}  // namespace postfork::driver
