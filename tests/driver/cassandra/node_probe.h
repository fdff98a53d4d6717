// One CQL connection to one Cassandra node, for reading that node's own view of the world:
// its counters (system_views.*) and its system tables. Independent of the session under test:
// a single socket to a fixed address, no routing, no topology, no retries.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "driver/net/connection.h"
#include "driver/session/session_impl.h"

namespace postfork::driver::testing {

class NodeProbe {
 public:
  NodeProbe(std::string address, uint16_t port) : address_(std::move(address)), port_(port) {}

  // Runs `cql` on this node (consistency ONE, no paging). Reconnects when the last connection
  // dropped (the node restarted).
  QueryResult Query(const std::string& cql) {
    if (!conn_ || !conn_->ready()) {
      Status st = Open();
      if (!st.ok()) return QueryResult(st);
    }
    std::optional<QueryResult> out;
    SessionImpl::SendQuery(*conn_, cql, {}, Millis(20000),
                           [&out](QueryResult r) { out.emplace(std::move(r)); });
    RunUntil([&] { return out.has_value(); });
    return std::move(*out);
  }

  // The `count` of a per-table metric view (system_views.coordinator_write_latency,
  // local_read_latency, ...) for keyspace.table; -1 when it cannot be read.
  long TableCount(const std::string& view, const std::string& keyspace, const std::string& table) {
    QueryResult r = Query("SELECT count FROM system_views." + view + " WHERE keyspace_name = '" +
                          keyspace + "' AND table_name = '" + table + "'");
    if (!r.ok() || r.row_count() != 1) return -1;
    auto n = r.row(0).Get<int64_t>(0);
    return n.ok() ? static_cast<long>(*n) : -1;
  }

  // A row of system_views.cql_metrics (prepared_statements_executed, ...); -1 when absent.
  double CqlMetric(const std::string& name) {
    QueryResult r = Query("SELECT value FROM system_views.cql_metrics WHERE name = '" + name + "'");
    if (!r.ok() || r.row_count() != 1) return -1;
    auto v = r.row(0).Get<double>(0);
    return v.ok() ? *v : -1;
  }

  const std::string& address() const { return address_; }

 private:
  Status Open() {
    if (conn_) conn_->Close(Status(StatusCode::kClosed, "probe reopens"));
    auto options = std::make_shared<SessionOptions>();
    options->heartbeat_interval = Millis(0);
    conn_ = std::make_shared<Connection>(io_, address_, port_, options, nullptr, cql::kProtocolV4);
    std::optional<Status> out;
    conn_->Open([&out](Status st) { out.emplace(std::move(st)); });
    RunUntil([&] { return out.has_value(); });
    return *out;
  }

  template <class Done>
  void RunUntil(Done done) {
    io_.restart();
    while (!done()) {
      if (io_.run_one() == 0) io_.restart();
    }
  }

  std::string address_;
  uint16_t port_;
  boost::asio::io_context io_;
  std::shared_ptr<Connection> conn_;
};

}  // namespace postfork::driver::testing
