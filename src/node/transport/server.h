// The CQL listener and the optional Prometheus endpoint, on one Asio io_context (the network
// thread). Requests run on the request thread pool when there is one, else inline.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "node/cql3/query_processor.h"
#include "node/db/connected_clients.h"
#include "node/service/event_notifier.h"
#include "node/service/metrics.h"

namespace postfork::node::auth {
class AuthService;
}

namespace postfork::node::transport {

class Connection;

// A listening TCP acceptor on `endpoint` (SO_REUSEADDR; port 0 picks one), or kIoError naming
// the address.
Result<boost::asio::ip::tcp::acceptor> Listen(const boost::asio::any_io_executor& executor,
                                              const boost::asio::ip::tcp::endpoint& endpoint);

// What one request may weigh; Node::Start fills it from NodeOptions::max_frame_size.
struct ServerLimits {
  uint32_t max_frame_size = 0;     // a v3/v4 frame, header included
  uint32_t max_envelope_body = 0;  // a v5 envelope's body
};

class Server {
 public:
  // `auth`: null when no authentication is configured. `tls`: when set, the CQL port speaks TLS
  // only. `requests`: where requests run (null: on the network thread). `clients`: where
  // connections register for system_views.clients (null: nowhere). All must outlive the
  // server; the pool must be joined before the processor goes.
  Server(boost::asio::ip::tcp::acceptor acceptor, cql3::QueryProcessor* processor,
         service::NodeMetrics* metrics, ServerLimits limits, auth::AuthService* auth = nullptr,
         boost::asio::ssl::context* tls = nullptr, boost::asio::thread_pool* requests = nullptr,
         ConnectedClients* clients = nullptr);
  ~Server();

  void Start();
  // Serves Prometheus text on `acceptor` (GET anything).
  void StartMetrics(boost::asio::ip::tcp::acceptor acceptor);
  // Stops accepting and closes every connection.
  void Stop();
  // nodetool disablebinary/enablebinary, on the network thread: PauseClients closes the CQL
  // listener (new clients are refused) and every client connection, as Cassandra's
  // stopNativeTransport; ResumeClients listens again on the same address and port.
  void PauseClients();
  Status ResumeClients();
  bool accepting_clients() const { return accepting_; }

  cql3::QueryProcessor& processor() { return *processor_; }
  service::NodeMetrics& metrics() { return *metrics_; }
  service::EventNotifier& events() { return events_; }
  const ServerLimits& limits() const { return limits_; }
  auth::AuthService* auth() { return auth_; }
  boost::asio::thread_pool* requests() { return requests_; }
  ConnectedClients* clients() { return clients_; }
  void Forget(Connection* c) { connections_.erase(c); }

 private:
  void DoAccept();
  void DoAcceptMetrics();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> metrics_acceptor_;
  cql3::QueryProcessor* processor_;
  service::NodeMetrics* metrics_;
  ServerLimits limits_;
  auth::AuthService* auth_;
  boost::asio::ssl::context* tls_;
  boost::asio::thread_pool* requests_;
  ConnectedClients* clients_;
  service::EventNotifier events_;
  std::set<Connection*> connections_;
  boost::asio::ip::tcp::endpoint endpoint_;  // where the CQL listener is bound
  bool accepting_ = true;
  bool stopped_ = false;
};

}  // namespace postfork::node::transport
