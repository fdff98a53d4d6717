// The admin interface over HTTP/JSON (what JMX is to Cassandra's nodetool), on a thread and
// io_context of its own so that a long flush, compaction or snapshot never stalls CQL clients.
// One request per connection, answered in arrival order; postfork-nodetool is the client.
//
//   GET  /v1/info                         NodeInfo
//   GET  /v1/snapshots                    {"snapshots": [...]}
//   POST /v1/flush      {"keyspace", "tables"}
//   POST /v1/compact    {"keyspace", "tables"}
//   POST /v1/snapshot   {"tag", "keyspaces", "table", "kt_list", "skip_flush", "ttl_seconds"}
//   POST /v1/clearsnapshot {"tag", "all", "keyspaces"}
//   POST /v1/disablebinary, /v1/enablebinary, /v1/drain
//
// Answers: 200 with a JSON object; errors 400 (a wrong use) or 500 (the operation failed) with
// {"error": message}.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <thread>

#include "postfork/base/status.h"

namespace postfork::node {

class AdminService;

class AdminListener {
 public:
  // Binds `endpoint` and serves `service` (which must outlive the listener) from a new thread.
  static Result<std::unique_ptr<AdminListener>> Start(AdminService* service,
                                                      const boost::asio::ip::tcp::endpoint& endpoint);
  ~AdminListener();  // Stop()
  AdminListener(const AdminListener&) = delete;
  AdminListener& operator=(const AdminListener&) = delete;

  uint16_t port() const { return port_; }
  // Stops accepting, waits for the request in progress. Idempotent.
  void Stop();

 private:
  explicit AdminListener(AdminService* service);
  void DoAccept();

  AdminService* service_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace postfork::node
