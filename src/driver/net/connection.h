// One CQL connection: TCP (optionally TLS), the STARTUP/auth handshake, request multiplexing
// over stream ids, coalesced writes, per-request timeouts and idle heartbeats.
//
// Protocol v4 or v5, fixed at construction. A v5 connection sends STARTUP as a plain envelope
// and, once READY or AUTHENTICATE has come back, frames both directions in v5 segments
// (cql/segment.h; LZ4 segments when compression is on). A server that refuses the version fails
// Open with kUnsupported; the session then retries with v4 when it negotiates.
//
// Threading: everything runs on the io_context's thread; no locks. Requests queued during one
// turn of the event loop leave in one write: at the end of the open EventBatch (a worker's batch
// of ready HTTP connections), or else in a flush posted once per turn (so that what a connect
// callback sends shares the write of what the handshake queued last, e.g. REGISTER). The write is a plain non-blocking send; only what the socket does not take at once (and
// everything under TLS) goes through an asynchronous write.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "driver/net/stream_id_pool.h"
#include "postfork/base/event_batch.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/compression.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/segment.h"
#include "postfork/driver/options.h"

namespace postfork::driver {

class Connection;

// Receives the outcome of one request exactly once: a response frame or a failure.
class ResponseHandler {
 public:
  // `body` is decompressed, and valid during the call only (it views the connection's read
  // buffer): copy what is kept. The stream id is already free again.
  virtual void OnResponse(Connection& connection, const cql::FrameHeader& header,
                          std::string_view body) = 0;
  // kTimeout (the request's deadline passed), kClosed/kIoError (the connection dropped).
  // `maybe_sent`: the frame was handed to the socket, so the server may have executed it.
  virtual void OnFailure(Connection& connection, const Status& status, bool maybe_sent) = 0;

 protected:
  ~ResponseHandler() = default;
};

// A ResponseHandler that calls a function once and deletes itself (handshakes, control queries).
struct Response {
  cql::FrameHeader header;
  std::string body;
};
class CallbackHandler final : public ResponseHandler {
 public:
  using Fn = std::function<void(Result<Response>)>;
  explicit CallbackHandler(Fn fn) : fn_(std::move(fn)) {}
  void OnResponse(Connection&, const cql::FrameHeader& header, std::string_view body) override;
  void OnFailure(Connection&, const Status& status, bool) override;

 private:
  Fn fn_;
};

struct ConnectionStats {
  uint64_t writes = 0;  // flushes written (one send, more when the socket takes part at a time)
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t heartbeats = 0;
};

class Connection : public std::enable_shared_from_this<Connection>, public EventBatch::Member {
 public:
  // `protocol_version`: 4 or 5.
  Connection(boost::asio::io_context& io, std::string address, uint16_t port,
             std::shared_ptr<const SessionOptions> options,
             std::shared_ptr<boost::asio::ssl::context> tls, int protocol_version);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // TCP connect, TLS handshake, STARTUP (+ SASL PLAIN). `done` gets kConnectFailed,
  // kUnsupported (protocol version) or a kServerError (e.g. bad credentials). Once.
  // options.connect_timeout bounds the whole of it (the handshake frames have no deadline of
  // their own: one timer, armed once); each handshake frame is written as soon as it is queued.
  void Open(std::function<void(Status)> done);

  // Queues one request. `encode(ByteWriter&) -> Status` appends the message body. On a non-OK
  // return nothing is queued and `handler` is not called. A zero timeout means none.
  template <class Encode>
  Status Send(cql::Opcode opcode, Encode&& encode, ResponseHandler* handler, Millis timeout) {
    if (state_ != State::kReady && !(state_ == State::kHandshake && in_handshake_send_))
      return Status(StatusCode::kClosed, "connection to " + endpoint_ + " is not open");
    int16_t id = streams_.Acquire();
    if (id < 0) return Status(StatusCode::kTooLarge, "no free stream id on " + endpoint_);
    size_t start = pending_.size();
    BeginFrame(opcode, id);
    cql::ByteWriter w(&pending_);
    Status st = encode(w);
    if (!st.ok()) {
      pending_.resize(start);
      streams_.Release(id);
      return st;
    }
    return FinishFrame(start, id, handler, timeout);
  }

  // Fails every in-flight request with `why` and closes the socket. Idempotent. The close
  // callback runs once, after the handlers.
  void Close(const Status& why);
  // Closes the socket without failing handlers or calling back: for a forked child, which
  // must not write to or shut down the parent's socket.
  void Abandon();

  bool ready() const { return state_ == State::kReady; }
  bool closed() const { return state_ == State::kClosed; }
  int in_flight() const { return streams_.in_use() - orphans_; }
  int available_streams() const { return streams_.available(); }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }
  int protocol_version() const { return version_; }
  const ConnectionStats& stats() const { return stats_; }
  const Status& close_reason() const { return close_reason_; }

  void set_event_callback(std::function<void(const cql::EventMessage&)> fn) {
    on_event_ = std::move(fn);
  }
  void set_close_callback(std::function<void(Connection&, const Status&)> fn) {
    on_close_ = std::move(fn);
  }

 private:
  enum class State { kNew, kConnecting, kHandshake, kReady, kClosed };
  struct Slot {
    ResponseHandler* handler = nullptr;
    std::chrono::steady_clock::time_point deadline{};
    bool sent = false;
  };

  void BeginFrame(cql::Opcode opcode, int16_t stream);
  Status FinishFrame(size_t start, int16_t stream, ResponseHandler* handler, Millis timeout);
  void ScheduleFlush();
  void OnBatchEnd() override;
  void Flush();
  // Writes writing_ from `offset` with an asynchronous write, then flushes what was queued since.
  void WriteRest(size_t offset);
  // Moves the unread bytes to the front and makes the buffer at least `capacity` bytes.
  void ReserveRead(size_t capacity);
  void StartRead();
  void OnRead(size_t n);
  // Dispatches the whole envelopes at the start of `buf`; returns the bytes consumed, and in
  // `*needed` the size of an incomplete envelope that starts there (0 when none). Stops after
  // the READY/AUTHENTICATE that switches a v5 connection to segments.
  Result<size_t> DispatchEnvelopes(std::string_view buf, size_t* needed);
  void StartSegments();
  void Dispatch(const cql::FrameHeader& header, std::string_view body);
  void ArmTimeoutTimer(std::chrono::steady_clock::time_point deadline);
  void OnTimeoutTimer();
  void ArmHeartbeat();
  void Startup();
  void OnStartupResponse(Result<Response> r);
  void FinishOpen(Status status);

  boost::asio::io_context& io_;
  std::string address_;
  uint16_t port_;
  std::string endpoint_;
  std::shared_ptr<const SessionOptions> options_holder_;
  const SessionOptions& options_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  // The connect deadline until the connection is ready, then the idle heartbeat: one timer, so
  // that a Connection stays below glibc's large-request size (see kFirstReadChunk).
  boost::asio::steady_timer connect_or_heartbeat_timer_;
  boost::asio::steady_timer timeout_timer_;
  std::chrono::steady_clock::time_point timeout_armed_for_{};
  bool timeout_armed_ = false;

  State state_ = State::kNew;
  bool in_handshake_send_ = false;
  int version_ = 4;
  cql::Compression compression_ = cql::Compression::kNone;  // active after READY
  bool framed_ = false;  // v5 segments in both directions (after READY/AUTHENTICATE)
  cql::SegmentCompression segment_compression_ = cql::SegmentCompression::kNone;
  std::unique_ptr<cql::SegmentDecoder> segments_in_;  // v5, once framed
  std::string envelopes_in_;                          // decoded from segments, not yet dispatched
  StreamIdPool streams_;
  // Indexed by stream id; grows with the highest id in use (ids are taken lowest first), so a
  // connection touches memory for the requests it has had in flight, not for 32,768 slots.
  std::vector<Slot> slots_;
  int max_stream_seen_ = -1;
  int orphans_ = 0;  // timed-out ids whose response has not come back yet

  std::string pending_;  // frames queued in this turn
  std::vector<int16_t> pending_ids_;
  std::string writing_;  // frames being written
  std::string scratch_;  // compression
  std::string decompressed_;  // the body of the compressed frame being dispatched
  bool flush_scheduled_ = false;
  bool writing_now_ = false;

  // Received bytes [rbeg_, rend_) of rbuf_'s rcap_; left uninitialized, so pages are touched
  // only as data arrives.
  std::unique_ptr<char[]> rbuf_;
  size_t rcap_ = 0;
  size_t rbeg_ = 0, rend_ = 0;
  bool reading_ = false;
  std::chrono::steady_clock::time_point last_read_{};
  bool heartbeat_outstanding_ = false;

  std::function<void(Status)> open_done_;
  std::function<void(const cql::EventMessage&)> on_event_;
  std::function<void(Connection&, const Status&)> on_close_;
  Status close_reason_;
  ConnectionStats stats_;
};

}  // namespace postfork::driver
