// One HTTP/1.1 connection: reads requests with Beast's parser, runs handlers in order, writes
// responses. Lives in the worker's event loop only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/intrusive/list.hpp>

namespace postfork::server::worker {

class WorkerLoop;

using ConnectionHook =
    boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;
using InflightHook =
    boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

class Connection : public std::enable_shared_from_this<Connection>, public ConnectionHook {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;

  Connection(WorkerLoop& loop, Socket socket, std::string peer);
  ~Connection();

  // Serves requests until the connection closes; `self` keeps the connection alive meanwhile.
  static boost::asio::awaitable<void> Run(std::shared_ptr<Connection> self);

  // Called by the worker's periodic sweep.
  void Sweep(int64_t now_ns, bool stopping);

  int64_t request_start_ns() const { return request_start_ns_; }
  InflightHook inflight_hook;

 private:
  friend class WorkerLoop;
  boost::asio::awaitable<void> Serve();
  boost::asio::awaitable<void> WriteError(int status);
  // Sends what the socket takes now without waiting (the socket is non-blocking); returns what
  // is left to write, empty when everything went or `ec` is set.
  std::array<boost::asio::const_buffer, 2> SendNow(std::string_view head, std::string_view body,
                                                   boost::system::error_code& ec);
  boost::asio::awaitable<void> CloseGracefully();

  WorkerLoop& loop_;
  Socket socket_;
  std::string peer_;
  boost::beast::flat_buffer buffer_;
  std::string head_;
  int64_t deadline_ns_ = 0;    // 0: no deadline (a handler is running)
  int64_t idle_since_ns_ = 0;  // waiting for the first byte of a request since; 0 otherwise
  int64_t request_start_ns_ = 0;
  bool timed_out_ = false;
  bool closing_ = false;  // the sweep closed an idle connection of a stopping worker
};

}  // namespace postfork::server::worker
