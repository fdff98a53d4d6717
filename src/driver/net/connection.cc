#include "driver/net/connection.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace postfork::driver {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
constexpr size_t kReadChunk = 64 * 1024;
// A connection's first read buffer: room for the handshake's answers and small results. Below
// glibc's large-request size (1,008 bytes), so allocating it in a forked worker neither
// consolidates the master's free lists nor splits one of its large free chunks (each a
// copy-on-write fault on a page of the master's heap). It becomes kReadChunk once a read fills it.
constexpr size_t kFirstReadChunk = 960;
// 32 x 24 bytes: a small request too (see kFirstReadChunk).
constexpr size_t kInitialSlots = 32;
// Room for STARTUP and a connection's first few requests, reserved once; small too.
constexpr size_t kFirstWriteChunk = 512;
constexpr char kDriverName[] = "postfork";
constexpr char kDriverVersion[] = "0.1.0";

void PutBE32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}
}  // namespace

void CallbackHandler::OnResponse(Connection&, const cql::FrameHeader& header,
                                 std::string_view body) {
  Fn fn = std::move(fn_);
  delete this;
  fn(Response{header, std::string(body)});
}

void CallbackHandler::OnFailure(Connection&, const Status& status, bool) {
  Fn fn = std::move(fn_);
  delete this;
  fn(status);
}

Connection::Connection(asio::io_context& io, std::string address, uint16_t port,
                       std::shared_ptr<const SessionOptions> options,
                       std::shared_ptr<asio::ssl::context> tls, int protocol_version)
    : io_(io),
      address_(std::move(address)),
      port_(port),
      endpoint_(address_ + ":" + std::to_string(port)),
      options_holder_(std::move(options)),
      options_(*options_holder_),
      tls_context_(std::move(tls)),
      socket_(io),
      connect_or_heartbeat_timer_(io),
      timeout_timer_(io),
      version_(protocol_version),
      streams_(options_.max_streams_per_connection) {}

Connection::~Connection() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void Connection::Open(std::function<void(Status)> done) {
  open_done_ = std::move(done);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address_, ec);
  if (ec) {
    FinishOpen(Status(StatusCode::kConnectFailed, "bad address " + address_ + ": " + ec.message()));
    return;
  }
  state_ = State::kConnecting;
  if (options_.connect_timeout.count() > 0) {
    connect_or_heartbeat_timer_.expires_after(options_.connect_timeout);
    connect_or_heartbeat_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) {
          if (ec || self->state_ == State::kReady || self->state_ == State::kClosed) return;
          self->Close(Status(StatusCode::kConnectFailed,
                             "connect to " + self->endpoint_ + " timed out after " +
                                 std::to_string(self->options_.connect_timeout.count()) + " ms"));
        });
  }
  socket_.async_connect(tcp::endpoint(addr, port_), [self = shared_from_this()](
                                                        boost::system::error_code ec) {
    if (self->state_ == State::kClosed) return;
    if (ec) {
      self->Close(Status(StatusCode::kConnectFailed,
                         "connect to " + self->endpoint_ + ": " + ec.message()));
      return;
    }
    boost::system::error_code ignored;
    self->socket_.set_option(tcp::no_delay(true), ignored);
    self->socket_.non_blocking(true, ignored);  // Flush's send returns instead of waiting
    self->state_ = State::kHandshake;
    self->last_read_ = Clock::now();
    if (self->tls_context_) {
      self->tls_ =
          std::make_unique<asio::ssl::stream<tcp::socket&>>(self->socket_, *self->tls_context_);
      if (!self->options_.tls.server_name.empty()) {
        SSL_set_tlsext_host_name(self->tls_->native_handle(),
                                 self->options_.tls.server_name.c_str());
      }
      self->tls_->async_handshake(
          asio::ssl::stream_base::client, [self](boost::system::error_code ec) {
            if (self->state_ == State::kClosed) return;
            if (ec) {
              self->Close(Status(StatusCode::kConnectFailed,
                                 "TLS handshake with " + self->endpoint_ + ": " + ec.message()));
              return;
            }
            self->Startup();
            self->StartRead();
          });
      return;
    }
    // STARTUP leaves before anything else is done on the socket (the read's first attempt).
    self->Startup();
    self->StartRead();
  });
}

void Connection::Startup() {
  // One allocation for the handshake's frames instead of one per doubling; a small request (see
  // kFirstReadChunk).
  pending_.reserve(kFirstWriteChunk);
  cql::StartupMessage startup;
  startup.options["CQL_VERSION"] = "3.0.0";
  startup.options["DRIVER_NAME"] = kDriverName;
  startup.options["DRIVER_VERSION"] = kDriverVersion;
  if (options_.compression != cql::Compression::kNone)
    startup.options["COMPRESSION"] = std::string(cql::CompressionName(options_.compression));
  // The version this connection offers; the session negotiates by reconnecting with v4.
  auto* h = new CallbackHandler(
      [self = shared_from_this()](Result<Response> r) { self->OnStartupResponse(std::move(r)); });
  in_handshake_send_ = true;
  Status st = Send(
      cql::Opcode::kStartup,
      [&](cql::ByteWriter& w) {
        startup.Encode(w);
        return Status::Ok();
      },
      h, Millis(0));
  in_handshake_send_ = false;
  if (!st.ok()) {
    delete h;
    Close(st);
    return;
  }
  Flush();
}

void Connection::OnStartupResponse(Result<Response> r) {
  if (state_ == State::kClosed) return;
  if (!r.ok()) {
    Close(Status(StatusCode::kConnectFailed,
                 "handshake with " + endpoint_ + ": " + r.error().message()));
    return;
  }
  const cql::FrameHeader& h = r->header;
  cql::ByteReader reader(r->body);
  if (h.opcode == cql::Opcode::kReady) {
    compression_ = options_.compression;
    StartSegments();
    FinishOpen(Status::Ok());
    return;
  }
  if (h.opcode == cql::Opcode::kError) {
    auto err = cql::ErrorMessage::Decode(reader);
    std::string msg = err.ok() ? err->message : err.error().message();
    if (h.version != version_ || (err.ok() && err->code == cql::ErrorCode::kProtocolError &&
                                  msg.find("version") != std::string::npos)) {
      Close(Status(StatusCode::kUnsupported, "server " + endpoint_ + " refused protocol v" +
                                                 std::to_string(version_) + " (answered v" +
                                                 std::to_string(h.version) + "): " + msg));
      return;
    }
    Close(Status(StatusCode::kConnectFailed, "STARTUP refused by " + endpoint_ + ": " + msg,
                 err.ok() ? static_cast<int>(err->code) : -1));
    return;
  }
  if (h.opcode == cql::Opcode::kAuthenticate) {
    auto auth = cql::AuthenticateMessage::Decode(reader);
    if (!options_.credentials) {
      Close(Status(StatusCode::kConnectFailed,
                   endpoint_ + " requires authentication (" +
                       (auth.ok() ? auth->authenticator : std::string("?")) +
                       "); set credentials"));
      return;
    }
    // SASL PLAIN: authzid \0 authcid \0 password; one step.
    std::string token;
    token.push_back('\0');
    token += options_.credentials->username;
    token.push_back('\0');
    token += options_.credentials->password;
    compression_ = options_.compression;
    StartSegments();  // v5: AUTH_RESPONSE already goes in a segment
    auto* handler = new CallbackHandler([self = shared_from_this()](Result<Response> r) {
      if (self->state_ == State::kClosed) return;
      if (!r.ok()) {
        self->Close(Status(StatusCode::kConnectFailed,
                           "authentication with " + self->endpoint_ + ": " + r.error().message()));
        return;
      }
      if (r->header.opcode == cql::Opcode::kAuthSuccess) {
        self->FinishOpen(Status::Ok());
        return;
      }
      cql::ByteReader rr(r->body);
      std::string msg = "unexpected " + std::string(cql::OpcodeName(r->header.opcode));
      int code = -1;
      if (r->header.opcode == cql::Opcode::kError) {
        auto err = cql::ErrorMessage::Decode(rr);
        if (err.ok()) {
          msg = err->message;
          code = static_cast<int>(err->code);
        }
      }
      self->Close(Status(StatusCode::kConnectFailed,
                         "authentication with " + self->endpoint_ + " failed: " + msg, code));
    });
    in_handshake_send_ = true;
    Status st = Send(
        cql::Opcode::kAuthResponse,
        [&](cql::ByteWriter& w) {
          w.WriteBytes(std::string_view(token));
          return Status::Ok();
        },
        handler, Millis(0));
    in_handshake_send_ = false;
    if (!st.ok()) {
      delete handler;
      Close(st);
      return;
    }
    Flush();
    return;
  }
  Close(Status(StatusCode::kConnectFailed, "unexpected " + std::string(cql::OpcodeName(h.opcode)) +
                                               " from " + endpoint_ + " during STARTUP"));
}

void Connection::StartSegments() {
  if (version_ < cql::kProtocolV5) return;
  framed_ = true;
  segment_compression_ = compression_ == cql::Compression::kLz4 ? cql::SegmentCompression::kLz4
                                                                : cql::SegmentCompression::kNone;
  segments_in_ =
      std::make_unique<cql::SegmentDecoder>(segment_compression_, cql::kDefaultMaxBodyLength);
}

void Connection::FinishOpen(Status status) {
  if (status.ok()) {
    state_ = State::kReady;
    connect_or_heartbeat_timer_.cancel();
    ArmHeartbeat();
  }
  if (open_done_) {
    auto done = std::move(open_done_);
    open_done_ = nullptr;
    done(std::move(status));
  }
}

void Connection::BeginFrame(cql::Opcode opcode, int16_t stream) {
  char h[cql::kFrameHeaderSize];
  h[0] = static_cast<char>(version_);
  h[1] = 0;
  h[2] = static_cast<char>(static_cast<uint16_t>(stream) >> 8);
  h[3] = static_cast<char>(stream);
  h[4] = static_cast<char>(opcode);
  PutBE32(h + 5, 0);
  pending_.append(h, sizeof h);
}

Status Connection::FinishFrame(size_t start, int16_t stream, ResponseHandler* handler,
                               Millis timeout) {
  size_t body_len = pending_.size() - start - cql::kFrameHeaderSize;
  // v5 compresses whole segments at Flush, never single envelopes.
  if (compression_ != cql::Compression::kNone && body_len > 0 && !framed_) {
    scratch_.assign(pending_, start + cql::kFrameHeaderSize, body_len);
    pending_.resize(start + cql::kFrameHeaderSize);
    Status st = cql::Compress(compression_, scratch_, &pending_);
    if (!st.ok()) {
      pending_.resize(start);
      streams_.Release(stream);
      return st;
    }
    pending_[start + 1] = static_cast<char>(cql::frame_flags::kCompression);
    body_len = pending_.size() - start - cql::kFrameHeaderSize;
  }
  PutBE32(&pending_[start + 5], static_cast<uint32_t>(body_len));
  if (static_cast<size_t>(stream) >= slots_.size()) {
    size_t grown = std::max<size_t>({kInitialSlots, slots_.size() * 2, size_t(stream) + 1});
    slots_.resize(std::min<size_t>(grown, static_cast<size_t>(streams_.capacity())));
  }
  Slot& slot = slots_[stream];
  slot.handler = handler;
  slot.sent = false;
  max_stream_seen_ = std::max<int>(max_stream_seen_, stream);
  if (timeout.count() > 0) {
    slot.deadline = Clock::now() + timeout;
    ArmTimeoutTimer(slot.deadline);
  } else {
    slot.deadline = {};
  }
  pending_ids_.push_back(stream);
  ++stats_.frames_sent;
  if (!in_handshake_send_) ScheduleFlush();  // a handshake frame is alone: its sender flushes
  return Status::Ok();
}

void Connection::ScheduleFlush() {
  if (flush_scheduled_ || writing_now_) return;
  flush_scheduled_ = true;
  if (EventBatch::IsOpen(&io_)) {
    EventBatch::Join(shared_from_this());
    return;
  }
  asio::post(io_, [self = shared_from_this()] { self->OnBatchEnd(); });
}

void Connection::OnBatchEnd() {
  flush_scheduled_ = false;
  Flush();
}

void Connection::Flush() {
  if (writing_now_ || pending_.empty() || state_ == State::kClosed) return;
  for (int16_t id : pending_ids_) slots_[id].sent = true;
  pending_ids_.clear();
  if (framed_) {
    // pending_ holds whole envelopes that Send wrote: this cannot fail.
    Status st = cql::EncodeSegments(pending_, segment_compression_, &writing_);
    (void)st;
    pending_.clear();
  } else {
    std::swap(pending_, writing_);
  }
  size_t sent = 0;
  if (!tls_) {
    // Most flushes fit the socket's send buffer: one non-blocking send, and no asynchronous
    // operation (its completion would be one more queued handler). A failure other than a full
    // buffer is left to the asynchronous write, which reports it as before.
    boost::system::error_code ec;
    sent = socket_.send(asio::buffer(writing_), 0, ec);
    if (ec) {
      sent = 0;
    } else {
      ++stats_.writes;
      stats_.bytes_sent += sent;
      if (sent == writing_.size()) {
        writing_.clear();
        return;
      }
    }
  }
  WriteRest(sent);
}

void Connection::WriteRest(size_t offset) {
  writing_now_ = true;
  auto on_written = [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    self->writing_now_ = false;
    self->writing_.clear();
    if (self->state_ == State::kClosed) return;
    if (ec) {
      self->Close(
          Status(StatusCode::kIoError, "write to " + self->endpoint_ + ": " + ec.message()));
      return;
    }
    ++self->stats_.writes;
    self->stats_.bytes_sent += n;
    self->Flush();
  };
  auto rest = asio::buffer(writing_) + offset;
  if (tls_)
    asio::async_write(*tls_, rest, std::move(on_written));
  else
    asio::async_write(socket_, rest, std::move(on_written));
}

void Connection::ReserveRead(size_t capacity) {
  size_t unread = rend_ - rbeg_;
  if (capacity <= rcap_) {
    if (rbeg_ > 0) std::memmove(rbuf_.get(), rbuf_.get() + rbeg_, unread);
  } else {
    std::unique_ptr<char[]> grown(new char[capacity]);  // uninitialized on purpose
    if (unread > 0) std::memcpy(grown.get(), rbuf_.get() + rbeg_, unread);
    rbuf_ = std::move(grown);
    rcap_ = capacity;
  }
  rbeg_ = 0;
  rend_ = unread;
}

void Connection::StartRead() {
  if (reading_ || state_ == State::kClosed) return;
  if (rcap_ == 0) {
    ReserveRead(kFirstReadChunk);
  } else if (rcap_ >= kReadChunk && rcap_ - rend_ < kReadChunk / 4) {
    size_t unread = rend_ - rbeg_;
    ReserveRead(rcap_ - unread < kReadChunk / 4 ? std::max(kReadChunk, rcap_ * 2) : rcap_);
  }
  reading_ = true;
  auto on_read = [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    self->reading_ = false;
    if (self->state_ == State::kClosed) return;
    if (ec) {
      self->Close(Status(StatusCode::kClosed,
                         "connection to " + self->endpoint_ + " lost: " + ec.message()));
      return;
    }
    self->OnRead(n);
  };
  auto buf = asio::buffer(rbuf_.get() + rend_, rcap_ - rend_);
  if (tls_)
    tls_->async_read_some(buf, std::move(on_read));
  else
    socket_.async_read_some(buf, std::move(on_read));
}

void Connection::OnRead(size_t n) {
  rend_ += n;
  if (rcap_ < kReadChunk && rend_ == rcap_) ReserveRead(kReadChunk);  // more is on its way
  last_read_ = Clock::now();
  auto self = shared_from_this();  // handlers may drop the last other reference
  while (state_ != State::kClosed && !framed_) {
    std::string_view avail(rbuf_.get() + rbeg_, rend_ - rbeg_);
    size_t needed = 0;
    auto used = DispatchEnvelopes(avail, &needed);
    if (!used.ok()) {
      Close(used.error());
      return;
    }
    rbeg_ += *used;
    if (framed_) break;  // READY switched to segments: the rest is for the decoder
    if (needed > 0 && rcap_ - rbeg_ < needed) {
      // Make room for the whole frame.
      ReserveRead(rcap_ < needed + kReadChunk / 4 ? needed + kReadChunk : rcap_);
    }
    break;
  }
  if (state_ != State::kClosed && framed_ && rend_ > rbeg_) {
    auto used =
        segments_in_->Decode(std::string_view(rbuf_.get() + rbeg_, rend_ - rbeg_), &envelopes_in_);
    if (!used.ok()) {
      Close(Status(StatusCode::kMalformed,
                   "bad segment from " + endpoint_ + ": " + used.error().message()));
      return;
    }
    rbeg_ += *used;
    size_t needed = 0;
    auto dispatched = DispatchEnvelopes(envelopes_in_, &needed);
    if (!dispatched.ok()) {
      Close(dispatched.error());
      return;
    }
    if (state_ != State::kClosed) envelopes_in_.erase(0, *dispatched);
  }
  if (state_ == State::kClosed) return;
  if (rbeg_ == rend_) rbeg_ = rend_ = 0;
  StartRead();
}

Result<size_t> Connection::DispatchEnvelopes(std::string_view buf, size_t* needed) {
  const bool was_framed = framed_;
  size_t pos = 0;
  *needed = 0;
  while (state_ != State::kClosed && pos < buf.size()) {
    std::string_view avail = buf.substr(pos);
    cql::FrameHeader header;
    auto parsed = cql::ParseFrameHeader(avail, &header);
    if (!parsed.ok())
      return Status(StatusCode::kMalformed,
                    "bad frame from " + endpoint_ + ": " + parsed.error().message());
    if (*parsed == cql::HeaderParse::kNeedMore) break;
    if (!header.is_response)
      return Status(StatusCode::kMalformed, "request frame received from " + endpoint_);
    size_t total = cql::kFrameHeaderSize + header.length;
    if (avail.size() < total) {
      *needed = total;
      break;
    }
    // The body is handed over in place (handlers copy what they keep), or decompressed into a
    // buffer of this connection's.
    std::string_view body = avail.substr(cql::kFrameHeaderSize, header.length);
    if ((header.flags & cql::frame_flags::kCompression) && !was_framed) {
      decompressed_.clear();
      Status st = cql::Decompress(compression_, body, &decompressed_, cql::kDefaultMaxBodyLength);
      if (!st.ok())
        return Status(StatusCode::kMalformed,
                      "bad compressed frame from " + endpoint_ + ": " + st.message());
      body = decompressed_;
    }
    pos += total;
    ++stats_.frames_received;
    Dispatch(header, body);
    if (framed_ != was_framed) break;
  }
  return pos;
}

void Connection::Dispatch(const cql::FrameHeader& header, std::string_view body) {
  if (header.stream < 0) {
    if (header.opcode == cql::Opcode::kEvent && on_event_) {
      cql::ByteReader r(body);
      auto ev = cql::EventMessage::Decode(r);
      if (ev.ok()) on_event_(*ev);
    }
    return;
  }
  int16_t id = header.stream;
  if (!streams_.IsInUse(id)) return;  // a response to nothing we sent: ignore
  Slot& slot = slots_[id];
  ResponseHandler* h = slot.handler;
  slot.handler = nullptr;
  streams_.Release(id);
  if (!h) {  // the request timed out earlier; its id is free again now
    --orphans_;
    return;
  }
  h->OnResponse(*this, header, body);
}

void Connection::ArmTimeoutTimer(Clock::time_point deadline) {
  // Deadlines mostly arrive in increasing order, so the timer is rarely re-armed.
  if (timeout_armed_ && timeout_armed_for_ <= deadline) return;
  timeout_armed_ = true;
  timeout_armed_for_ = deadline;
  timeout_timer_.expires_at(deadline);
  timeout_timer_.async_wait([self = shared_from_this(), deadline](boost::system::error_code ec) {
    if (ec || self->state_ == State::kClosed) return;
    if (self->timeout_armed_for_ != deadline) return;  // superseded
    self->timeout_armed_ = false;
    self->OnTimeoutTimer();
  });
}

void Connection::OnTimeoutTimer() {
  auto now = Clock::now();
  Clock::time_point next{};
  bool have_next = false;
  auto self = shared_from_this();
  for (int id = 0; id <= max_stream_seen_ && state_ != State::kClosed; ++id) {
    Slot& slot = slots_[id];
    if (!slot.handler || slot.deadline == Clock::time_point{}) continue;
    if (slot.deadline <= now) {
      ResponseHandler* h = slot.handler;
      slot.handler = nullptr;
      ++orphans_;  // the id stays taken until the late response arrives
      h->OnFailure(*this, Status(StatusCode::kTimeout, "request to " + endpoint_ + " timed out"),
                   slot.sent);
    } else if (!have_next || slot.deadline < next) {
      next = slot.deadline;
      have_next = true;
    }
  }
  if (state_ == State::kClosed) return;
  if (orphans_ > streams_.capacity() / 2) {
    Close(Status(StatusCode::kTimeout, "too many timed-out requests on " + endpoint_));
    return;
  }
  if (have_next) ArmTimeoutTimer(next);
}

void Connection::ArmHeartbeat() {
  if (options_.heartbeat_interval.count() <= 0) return;
  connect_or_heartbeat_timer_.expires_after(options_.heartbeat_interval);
  connect_or_heartbeat_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->state_ != State::kReady) return;
    auto idle = Clock::now() - self->last_read_;
    if (idle >= self->options_.heartbeat_interval && !self->heartbeat_outstanding_) {
      self->heartbeat_outstanding_ = true;
      ++self->stats_.heartbeats;
      Millis timeout =
          self->options_.request_timeout.count() > 0
              ? std::min(self->options_.request_timeout, self->options_.heartbeat_interval)
              : self->options_.heartbeat_interval;
      std::weak_ptr<Connection> weak = self;
      auto* h = new CallbackHandler([weak](Result<Response> r) {
        auto c = weak.lock();
        if (!c) return;
        c->heartbeat_outstanding_ = false;
        if (!r.ok() && !c->closed())
          c->Close(Status(StatusCode::kTimeout,
                          "heartbeat to " + c->endpoint_ + " failed: " + r.error().message()));
      });
      Status st = self->Send(
          cql::Opcode::kOptions, [](cql::ByteWriter&) { return Status::Ok(); }, h, timeout);
      if (!st.ok()) {
        delete h;
        self->heartbeat_outstanding_ = false;
      }
    }
    self->ArmHeartbeat();
  });
}

void Connection::Close(const Status& why) {
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();
  bool was_opening = state_ != State::kReady;
  state_ = State::kClosed;
  close_reason_ = why;
  boost::system::error_code ignored;
  socket_.close(ignored);
  connect_or_heartbeat_timer_.cancel();
  timeout_timer_.cancel();
  for (int id = 0; id <= max_stream_seen_; ++id) {
    Slot& slot = slots_[id];
    if (!slot.handler) continue;
    ResponseHandler* h = slot.handler;
    slot.handler = nullptr;
    h->OnFailure(*this, why, slot.sent);
  }
  pending_.clear();
  pending_ids_.clear();
  if (was_opening && open_done_) {
    FinishOpen(why.code() == StatusCode::kConnectFailed || why.code() == StatusCode::kUnsupported
                   ? why
                   : Status(StatusCode::kConnectFailed, why.message()));
  }
  if (on_close_) {
    auto fn = std::move(on_close_);
    on_close_ = nullptr;
    fn(*this, why);
  }
}

void Connection::Abandon() {
  state_ = State::kClosed;
  on_close_ = nullptr;
  on_event_ = nullptr;
  open_done_ = nullptr;
  for (auto& slot : slots_) slot.handler = nullptr;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace postfork::driver
