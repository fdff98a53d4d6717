// One HTTP/1.1 connection: reads requests with Beast's parser, runs handlers in order, writes
// responses. Its socket is non-blocking and read and written with plain calls; the worker's
// ReadinessPoller says when it is worth trying again. Lives in the worker's event loop only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/intrusive/list.hpp>
#include <boost/system/error_code.hpp>

#include "server/worker/readiness.h"

namespace postfork::server::http {
class RequestParser;
}

namespace postfork::server::worker {

class WorkerLoop;

using ConnectionHook =
    boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;
using InflightHook =
    boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

class Connection : public std::enable_shared_from_this<Connection>, public ConnectionHook {
 public:
  // Takes `fd`, a connected non-blocking stream socket, and closes it when done.
  Connection(WorkerLoop& loop, int fd, std::string peer);
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
  // Feeds the buffered bytes to `parser`, and reads more without waiting, until its header (or
  // with `whole_message`, the whole message) is parsed or `ec` is set: then false. true when
  // the socket is drained first: wait until it is readable and call again.
  bool ParseMore(http::RequestParser& parser, bool whole_message, boost::system::error_code& ec);
  // One non-blocking read: the bytes read, or 0 with `ec` set, or 0 with `ec` unset when the
  // socket is drained (then readiness_.readable is false).
  std::size_t TryRead(boost::asio::mutable_buffer into, boost::system::error_code& ec);
  // Sends what the socket takes now without waiting; returns what is left to write, empty when
  // everything went or `ec` is set.
  std::array<boost::asio::const_buffer, 2> SendNow(std::array<boost::asio::const_buffer, 2> buffers,
                                                   boost::system::error_code& ec);
  // Sends all of `buffers`, waiting for the socket as needed.
  boost::asio::awaitable<void> Write(std::array<boost::asio::const_buffer, 2> buffers,
                                     boost::system::error_code& ec);
  boost::asio::awaitable<void> WriteError(int status);
  boost::asio::awaitable<void> CloseGracefully();

  WorkerLoop& loop_;
  int fd_;
  Readiness readiness_;
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
