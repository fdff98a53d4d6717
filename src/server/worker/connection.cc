#include "server/worker/connection.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>

#include "postfork/base/ascii.h"
#include "server/http/request_parser.h"
#include "server/worker/worker_loop.h"

namespace postfork::server::worker {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

int64_t SecondsToNs(double s) { return static_cast<int64_t>(s * 1e9); }

bool IsHttpError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// The status for a failed read, or 0 when the connection should just close.
int StatusForReadError(const error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return 0;
  if (IsHttpError(ec)) return 400;
  return 0;
}

}  // namespace

Connection::Connection(WorkerLoop& loop, int fd, std::string peer)
    : loop_(loop), fd_(fd), peer_(std::move(peer)) {
  loop_.connections_.push_back(*this);
  ++loop_.open_connections_;
}

Connection::~Connection() {
  inflight_hook.unlink();
  unlink();
  loop_.OnConnectionClosed();
}

asio::awaitable<void> Connection::Run(std::shared_ptr<Connection> self) {
  ReadinessPoller& poller = self->loop_.poller();
  if (poller.Watch(self->fd_, self->readiness_)) {
    try {
      co_await self->Serve();
    } catch (const std::exception& e) {
      spdlog::error("connection from {} failed: {}", self->peer_, e.what());
    }
    poller.Forget(self->fd_);
  } else {
    spdlog::error("cannot watch a connection from {}: {}", self->peer_, strerror(errno));
  }
  close(self->fd_);
}

void Connection::Sweep(int64_t now_ns, bool stopping) {
  if (deadline_ns_ != 0 && now_ns > deadline_ns_) {
    timed_out_ = true;
    deadline_ns_ = 0;
    loop_.poller().Cancel(readiness_);
  } else if (stopping && idle_since_ns_ != 0 && buffer_.size() == 0 &&
             now_ns - idle_since_ns_ > SecondsToNs(1)) {
    // Idle long enough that no request is likely on its way: close it quietly.
    closing_ = true;
    loop_.poller().Cancel(readiness_);
  }
}

asio::awaitable<void> Connection::Serve() {
  const ServerOptions& opt = loop_.options();
  const http::Router& router = *loop_.setup().router;
  const Hooks& hooks = loop_.setup().app->hooks();
  bool first = true;
  int64_t now = 0;  // the clock read that ended the previous request, when nothing waited since
  while (true) {
    Request req;
    http::RequestParser parser(req);
    parser.header_limit(static_cast<std::uint32_t>(opt.max_header_bytes));
    parser.body_limit(opt.max_body_bytes);
    if (now == 0) now = loop_.now_ns();
    if (buffer_.size() == 0) {
      idle_since_ns_ = now;
      deadline_ns_ = now + SecondsToNs(first ? opt.header_timeout : opt.keepalive_timeout);
    } else {
      deadline_ns_ = now + SecondsToNs(opt.header_timeout);
    }
    first = false;
    error_code ec;
    while (ParseMore(parser, false, ec)) {
      co_await loop_.poller().AsyncWaitReadable(readiness_,
                                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    idle_since_ns_ = 0;
    if (ec) {
      if (closing_) co_return;
      if (timed_out_) {
        if (buffer_.size() > 0) co_await WriteError(408);
        co_return;
      }
      int status = StatusForReadError(ec);
      if (status != 0) co_await WriteError(status);
      co_return;
    }
    request_start_ns_ = loop_.now_ns();
    loop_.RequestStarted(*this);

    if (!parser.is_done()) {
      std::string_view expect = req.Header("Expect").value_or("");
      if (!expect.empty()) {
        if (!ascii::EqualsIgnoreCase(expect, "100-continue")) {
          co_await WriteError(417);
          co_return;
        }
        if (req.version() >= 11) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await Write({asio::buffer(kContinue.data(), kContinue.size()), asio::const_buffer()},
                         ec);
          if (ec) co_return;
        }
      }
      deadline_ns_ = loop_.now_ns() + SecondsToNs(opt.header_timeout);
      while (ParseMore(parser, true, ec)) {
        co_await loop_.poller().AsyncWaitReadable(readiness_,
                                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      if (ec) {
        if (timed_out_) {
          co_await WriteError(408);
        } else if (int status = StatusForReadError(ec); status != 0) {
          co_await WriteError(status);
        }
        co_return;
      }
    }
    deadline_ns_ = 0;

    if (!req.SetTarget(parser.target()) || (req.version() >= 11 && !req.Header("Host"))) {
      co_await WriteError(400);
      co_return;
    }

    Response res;
    int route_row = static_cast<int>(router.routes().size());
    auto match = router.Find(req.method(), req.path(), &req.mutable_path_params());
    if (match.outcome == http::Router::Outcome::kNotFound) {
      res = Response(404, "Not Found\n");
    } else if (match.outcome == http::Router::Outcome::kMethodNotAllowed) {
      res = Response(405, "Method Not Allowed\n");
      res.headers().Add("Allow", match.allow);
    } else {
      route_row = match.route_index;
      const RouteEntry& route = router.routes()[match.route_index];
      req.set_route(route.pattern);
      WorkerContext& ctx = loop_.ctx();
      bool failed = false;
      try {
        std::optional<Response> early;
        if (hooks.pre_request) early = hooks.pre_request(req, ctx);
        if (early) {
          res = std::move(*early);
        } else if (route.handler.is_async()) {
          res = co_await route.handler.async()(req, ctx);
        } else {
          res = route.handler.sync()(req, ctx);
        }
        if (hooks.post_request) hooks.post_request(req, res, ctx);
      } catch (const std::exception& e) {
        spdlog::error("{} {} failed: {}", req.method(), req.target(), e.what());
        failed = true;
      } catch (...) {
        spdlog::error("{} {} threw a non-standard exception", req.method(), req.target());
        failed = true;
      }
      if (failed) res = Response(500, "Internal Server Error\n");
    }

    auto connection_header = res.headers().Get("Connection");
    bool keep_alive = req.keep_alive() && !loop_.stopping() &&
                      !(connection_header && ascii::EqualsIgnoreCase(*connection_header, "close"));
    bool head = req.method() == "HEAD";
    head_.clear();
    http::AppendResponseHead(head_, res, {req.version(), keep_alive, head}, loop_.date());
    std::string_view body = (head || http::StatusHasNoBody(res.status()))
                                ? std::string_view()
                                : std::string_view(res.body());
    // Counted before the write, so a client that has its response also sees it in the stats.
    now = loop_.RequestFinished(*this, &req, route_row, res.status(), body.size());
    deadline_ns_ = now + SecondsToNs(opt.keepalive_timeout);
    // Most responses fit the socket's send buffer: one non-blocking send writes them and the
    // coroutine goes on without an asynchronous operation; the rest waits for the socket.
    auto rest = SendNow(
        {asio::buffer(head_.data(), head_.size()), asio::buffer(body.data(), body.size())}, ec);
    if (!ec && asio::buffer_size(rest) > 0) {
      co_await Write(rest, ec);
      now = 0;
    }
    deadline_ns_ = 0;
    loop_.ctx().RecycleBodyBuffer(res.TakeBody());  // for handlers' TakeBodyBuffer
    if (ec) co_return;
    if (!keep_alive) {
      co_await CloseGracefully();
      co_return;
    }
  }
}

bool Connection::ParseMore(http::RequestParser& parser, bool whole_message, error_code& ec) {
  // What Beast's read_header and read do over a socket, without waiting: parse what is buffered
  // (a pipelined request needs no read), and read more while the parser needs it.
  parser.eager(whole_message);
  while (true) {
    if (buffer_.size() > 0) {
      buffer_.consume(parser.put(buffer_.data(), ec));
      if (ec == bhttp::error::need_more) {
        ec = {};
      } else if (ec || (whole_message ? parser.is_done() : parser.is_header_done())) {
        return false;
      } else {
        continue;
      }
    }
    if (!readiness_.readable) return true;
    std::size_t room = boost::beast::read_size(buffer_, 65536);
    if (room == 0) {
      ec = bhttp::error::buffer_overflow;
      return false;
    }
    buffer_.commit(TryRead(buffer_.prepare(room), ec));
    if (ec == asio::error::eof) {
      ec = {};
      if (!parser.got_some()) {
        ec = bhttp::error::end_of_stream;
      } else {
        parser.put_eof(ec);  // partial_message: the message was cut short
      }
      return false;
    }
    if (ec) return false;
  }
}

std::size_t Connection::TryRead(asio::mutable_buffer into, error_code& ec) {
  while (true) {
    ssize_t n = recv(fd_, into.data(), into.size(), 0);
    if (n > 0) {
      // A short read emptied the socket: the next read waits for the next edge first.
      if (static_cast<std::size_t>(n) < into.size()) readiness_.readable = false;
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      ec = asio::error::eof;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readiness_.readable = false;
    } else {
      ec = error_code(errno, boost::system::system_category());
    }
    return 0;
  }
}

std::array<asio::const_buffer, 2> Connection::SendNow(std::array<asio::const_buffer, 2> buffers,
                                                      error_code& ec) {
  struct iovec iov[2] = {{const_cast<void*>(buffers[0].data()), buffers[0].size()},
                         {const_cast<void*>(buffers[1].data()), buffers[1].size()}};
  struct msghdr msg = {};
  msg.msg_iov = iov[0].iov_len > 0 ? iov : iov + 1;
  msg.msg_iovlen = (iov[0].iov_len > 0 ? 1 : 0) + (iov[1].iov_len > 0 ? 1 : 0);
  ssize_t n;
  do {
    n = sendmsg(fd_, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  std::size_t written = 0;
  if (n >= 0) {
    written = static_cast<std::size_t>(n);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
    ec = error_code(errno, boost::system::system_category());
    return {};
  }
  if (written < buffers[0].size()) {
    buffers[0] += written;
  } else {
    buffers[1] += written - buffers[0].size();
    buffers[0] = asio::const_buffer();
  }
  // The socket did not take everything: wait for its next writable edge.
  if (asio::buffer_size(buffers) > 0) readiness_.writable = false;
  return buffers;
}

asio::awaitable<void> Connection::Write(std::array<asio::const_buffer, 2> buffers, error_code& ec) {
  while (asio::buffer_size(buffers) > 0) {
    if (!readiness_.writable) {
      co_await loop_.poller().AsyncWaitWritable(readiness_,
                                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    buffers = SendNow(buffers, ec);
    if (ec) co_return;
  }
}

asio::awaitable<void> Connection::WriteError(int status) {
  if (!inflight_hook.is_linked()) {
    request_start_ns_ = loop_.now_ns();
    loop_.RequestStarted(*this);
  }
  Response res(status, std::string(ReasonPhrase(status)) + "\n");
  head_.clear();
  http::AppendResponseHead(head_, res, {11, false, false}, loop_.date());
  head_.append(res.body());
  deadline_ns_ = loop_.now_ns() + SecondsToNs(loop_.options().keepalive_timeout);
  loop_.RequestFinished(*this, nullptr, static_cast<int>(loop_.setup().router->routes().size()),
                        status, res.body().size());
  timed_out_ = false;
  error_code ec;
  co_await Write({asio::buffer(head_), asio::const_buffer()}, ec);
  if (!ec) co_await CloseGracefully();
}

asio::awaitable<void> Connection::CloseGracefully() {
  // Half-close, then read until the client closes (bounded), so unread request bytes do not
  // turn the close into a reset that could destroy the response in flight.
  if (shutdown(fd_, SHUT_WR) != 0) co_return;
  deadline_ns_ = loop_.now_ns() + SecondsToNs(1);
  std::array<char, 4096> sink;
  error_code ec;
  while (!timed_out_ && !ec) {
    if (!readiness_.readable) {
      co_await loop_.poller().AsyncWaitReadable(readiness_,
                                                asio::redirect_error(asio::use_awaitable, ec));
    } else {
      TryRead(asio::buffer(sink), ec);
    }
  }
  deadline_ns_ = 0;
}

}  // namespace postfork::server::worker
