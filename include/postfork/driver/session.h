// A session: connections to a Cassandra-compatible cluster, bound to a keyspace, multiplexing
// requests. Every operation is asynchronous in Asio's completion-token style and runs on the
// io_context given to Connect (callbacks, `co_await ... (asio::use_awaitable)`,
// `asio::use_future`). The driver starts no thread; call everything from the thread that runs
// that io_context. See blocking.h for a synchronous wrapper.
//
// Fork: a session belongs to the process that created it. Used in a forked child it fails every
// operation with kWrongProcess ("session created in process P used in process C; create sessions
// after fork") and never touches the parent's sockets. To skip connect-time queries in workers,
// take a Snapshot in the master and use ConnectFromSnapshot after fork.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>

#include "postfork/base/status.h"
#include "postfork/driver/metadata.h"
#include "postfork/driver/options.h"
#include "postfork/driver/result.h"
#include "postfork/driver/statement.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace postfork::driver {

class SessionImpl;
class Session;

// What Connect did, for logs and tests: the price of a session, itemized.
struct ConnectReport {
  int connections_opened = 0;
  int system_queries = 0;  // queries of system.* / system_schema.* tables during connect
  int round_trips = 0;     // on the first connection, TCP connect excluded
  bool from_snapshot = false;
  int protocol_version = 0;
  double elapsed_ms = 0;
  std::vector<std::string> steps;  // "tcp 127.0.0.1:9042", "STARTUP", "system.local", ...
};

using ConnectHandler = boost::asio::any_completion_handler<void(Result<Session>)>;
using QueryHandler = boost::asio::any_completion_handler<void(QueryResult)>;

namespace internal {
// A caller's completion handler that, once called, runs on its own associated executor
// (dispatch: inline when already there). Session::Execute erases this instead of the handler
// itself: a session completes a QueryHandler by calling it, and never asks the erased handler
// for its executor, an any_completion_executor that costs an allocation per request. The
// handler's associated executor, allocator and cancellation slot stay visible through the
// wrapper (the associator below), with the defaults the caller of a query gives.
template <class Handler>
struct DispatchOnCompletion {
  Handler handler;

  void operator()(QueryResult result) {
    auto executor = boost::asio::get_associated_executor(handler);
    boost::asio::dispatch(executor, [h = std::move(handler), r = std::move(result)]() mutable {
      std::move(h)(std::move(r));
    });
  }
};
}  // namespace internal
}  // namespace postfork::driver

template <template <typename, typename> class Associator, typename Handler,
          typename DefaultCandidate>
struct boost::asio::associator<Associator, postfork::driver::internal::DispatchOnCompletion<Handler>,
                               DefaultCandidate> : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(
      const postfork::driver::internal::DispatchOnCompletion<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.handler);
  }
  static auto get(const postfork::driver::internal::DispatchOnCompletion<Handler>& h,
                  const DefaultCandidate& c) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
    return Associator<Handler, DefaultCandidate>::get(h.handler, c);
  }
};

namespace postfork::driver {
using PrepareHandler = boost::asio::any_completion_handler<void(Result<PreparedStatement>)>;
using KeyspaceHandler = boost::asio::any_completion_handler<void(Result<KeyspaceMetadata>)>;
using RowHandler = boost::asio::any_completion_handler<void(Result<std::optional<Row>>)>;

// Automatic paging: yields rows one by one, fetching the next page when the current one is
// used up. Holds its session alive.
class RowIterator {
 public:
  RowIterator(std::shared_ptr<SessionImpl> session, Request request);

  // Completes with the next row, std::nullopt after the last, or the failure of a page fetch.
  template <class Token>
  auto Next(Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<std::optional<Row>>)>(
        [this](auto handler) { NextImpl(RowHandler(std::move(handler))); }, token);
  }
  int pages_fetched() const { return pages_fetched_; }

 private:
  void NextImpl(RowHandler handler);

  std::shared_ptr<SessionImpl> session_;
  Request request_;
  QueryResult page_;
  int32_t next_row_ = 0;
  int pages_fetched_ = 0;
  bool done_ = false;
};

class Session {
 public:
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Closes the session: in-flight requests complete with kClosed.
  ~Session();

  // Opens a session: TCP connect to the first contact point that answers, STARTUP (+ SASL),
  // then, pipelined in one write: system.local, system.peers_v2 (system.peers if absent),
  // the keyspace's replication (if token-aware), REGISTER, USE. Other hosts' pools open in the
  // background. Fails with kInvalidArgument (bad options) or kConnectFailed (with every
  // contact point's reason).
  template <class Token>
  static auto Connect(boost::asio::io_context& io, SessionOptions options, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<Session>)>(
        [&io](auto handler, SessionOptions options) {
          StartConnect(io, std::make_shared<const SessionOptions>(std::move(options)), nullptr,
                       ConnectHandler(std::move(handler)));
        },
        token, std::move(options));
  }

  // From a Snapshot: sockets only, no system query; ready at READY (v4: + USE), REGISTER unawaited.
  template <class Token>
  static auto ConnectFromSnapshot(boost::asio::io_context& io, std::shared_ptr<const Snapshot> snap,
                                  Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<Session>)>(
        [&io](auto handler, std::shared_ptr<const Snapshot> snap) {
          // The snapshot's options, shared: a forked worker copies none of them.
          std::shared_ptr<const SessionOptions> options(snap, &snap->options);
          StartConnect(io, std::move(options), std::move(snap), ConnectHandler(std::move(handler)));
        },
        token, std::move(snap));
  }

  template <class Token>
  auto Execute(Request request, Token&& token) {
    return boost::asio::async_initiate<Token, void(QueryResult)>(
        [this](auto handler, Request&& request) {
          ExecuteImpl(std::move(request),
                      QueryHandler(internal::DispatchOnCompletion<decltype(handler)>{
                          std::move(handler)}));
        },
        token, std::move(request));
  }

  // Prepares `query` (cached by query string: a second call costs no round trip).
  template <class Token>
  auto Prepare(std::string query, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<PreparedStatement>)>(
        [this](auto handler, std::string query) {
          PrepareImpl(std::move(query), PrepareHandler(std::move(handler)));
        },
        token, std::move(query));
  }

  // Reads one keyspace's tables and columns (system_schema), and keeps it for snapshots.
  template <class Token>
  auto FetchKeyspace(std::string keyspace, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<KeyspaceMetadata>)>(
        [this](auto handler, std::string keyspace) {
          FetchKeyspaceImpl(std::move(keyspace), KeyspaceHandler(std::move(handler)));
        },
        token, std::move(keyspace));
  }

  RowIterator Iterate(Request request) const;

  // The session's current view (topology, token map, prepared statements, fetched schema).
  std::shared_ptr<const Snapshot> TakeSnapshot() const;
  // Closes every connection; pending requests complete with kClosed. Idempotent.
  void Close();

  const ConnectReport& connect_report() const;
  const std::string& keyspace() const;  // current keyspace (follows USE)
  std::vector<HostInfo> hosts() const;
  // Hosts with at least one open connection.
  int hosts_up() const;

  // For tests and tools: the implementation object.
  const std::shared_ptr<SessionImpl>& impl() const { return impl_; }

 private:
  explicit Session(std::shared_ptr<SessionImpl> impl);
  friend class SessionImpl;
  static void StartConnect(boost::asio::io_context& io,
                           std::shared_ptr<const SessionOptions> options,
                           std::shared_ptr<const Snapshot> snapshot, ConnectHandler handler);
  // The request by rvalue reference down to the execution that owns it: each move of a bound
  // statement copies its inline values.
  void ExecuteImpl(Request&& request, QueryHandler handler);
  void PrepareImpl(std::string query, PrepareHandler handler);
  void FetchKeyspaceImpl(std::string keyspace, KeyspaceHandler handler);

  std::shared_ptr<SessionImpl> impl_;
};

// Fork detection. The generation is bumped in every child by a pthread_atfork handler; sessions
// compare it with the value they were created under (one integer compare per request).
uint64_t ForkGeneration();

}  // namespace postfork::driver
