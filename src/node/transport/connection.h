// One client connection: reads frames and answers each request on its stream id. QUERY,
// PREPARE, EXECUTE and BATCH run on the server's request threads (when it has them), each with a
// copy of the connection's state, so requests on one connection run concurrently and are
// answered as they finish; their responses are encoded (and compressed) there and queued here.
// A prepared point read or single-row write runs here instead (QueryProcessor::RunsInline): it
// costs less than the hand-off.
// Other messages (OPTIONS, STARTUP, REGISTER, AUTH_RESPONSE) are handled in order on the network
// thread. At most kMaxInFlight requests run per connection: beyond that the connection stops
// reading until half have been answered. Responses queued while a write is in progress are
// coalesced into the next write. Lives on the network thread; owned by shared_ptr while Asio
// operations or requests are pending.
//
// With TLS the socket is wrapped in an ssl::stream after a server handshake (a client that does
// not speak TLS fails it and is closed); each read and write picks the stream with one branch.
// With the Password authenticator, STARTUP is answered with AUTHENTICATE and only OPTIONS,
// STARTUP and AUTH_RESPONSE are accepted until AUTH_SUCCESS; while a password is being checked
// (off the network thread) the connection reads no further frames, so requests keep their order.
//
// Protocol versions: OPTIONS is answered in any supported version; STARTUP fixes the connection's
// version (v3, v4 or v5; anything else gets Cassandra's "Invalid or unsupported protocol version"
// error so drivers downgrade). A v5 connection exchanges plain envelopes until the server has
// answered STARTUP with READY or AUTHENTICATE; from then on both directions are v5 segments
// (cql/segment.h), LZ4 ones when STARTUP asked for lz4.
//
// Bad input is answered as Cassandra 5.0 answers it (what its pre-v5 envelope decoder and its v5
// message handler do, checked by tests/compat/protocol_compat.py): most errors leave the
// connection open; see HeaderError and the comment at the top of connection.cc.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "node/db/connected_clients.h"
#include "node/service/client_state.h"
#include "node/service/event_notifier.h"
#include "node/transport/input_buffer.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/segment.h"

namespace postfork::node::transport {

class Server;

class Connection : public std::enable_shared_from_this<Connection>, public service::EventSink {
 public:
  // `tls`: the server's context when the port speaks TLS, else null.
  Connection(Server* server, boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls);
  ~Connection() override;

  void Start();
  // Closes the socket; pending operations finish with errors and release the connection.
  void Close();
  void PushEvent(const std::string& event_body) override;

 private:
  void DoRead();
  // After new input (or a finished password check): handles what is buffered, flushes, and reads
  // on unless the connection must close or waits for a password check.
  void ContinueInput();
  // Handles every complete frame in the input buffer. False when the connection must close.
  bool ProcessInput();
  // AUTH_RESPONSE: starts the password check; its outcome arrives in OnAuthenticated.
  bool HandleAuthResponse(int16_t stream, cql::ByteReader& reader);
  void OnAuthenticated(int16_t stream, Result<std::string> role);
  // Handles the complete envelopes in `buf` from `*pos` on; stops early when the connection
  // switches to segments while reading the plain stream. False when it must close.
  bool ProcessEnvelopes(std::string_view buf, size_t* pos);
  // What to do with the envelope header at the start of `avail` (at least its first byte).
  enum class HeaderCheck {
    kOk,        // a complete header to handle
    kNeedMore,  // wait for more bytes
    kSkipped,   // answered; *consumed bytes of input are dropped, the connection goes on
    kWedged,    // answered; the connection can decode nothing more (see wedged_answer_)
    kFatal,     // answered; the connection closes
  };
  HeaderCheck CheckHeader(std::string_view avail, cql::FrameHeader* header, size_t* consumed);
  // The answer version of errors: the connection's once STARTUP fixed it, else v5 (Cassandra's
  // ProtocolVersion.CURRENT, which a connection without a version answers in).
  uint8_t AnswerVersion() const;
  // v5 after READY/AUTHENTICATE: what is queued so far leaves plain, the rest in segments.
  void StartSegments();
  // Moves queued envelopes into wire_, wrapped in segments when the connection is framed.
  void SealOutput();
  // Handles one request; false when the connection must close after flushing.
  bool HandleRequest(const cql::FrameHeader& header, std::string_view body);
  // QUERY, PREPARE, EXECUTE or BATCH on the request threads; the answer comes to OnResponse.
  void Dispatch(const cql::FrameHeader& header, std::string_view body,
                std::chrono::steady_clock::time_point started);
  // A dispatched request's encoded response frame, back on the network thread.
  // `barrier`: the response to a USE, which input behind it waited for.
  void OnResponse(std::string frame, int32_t error_code, std::optional<std::string> set_keyspace,
                  std::optional<cql::SchemaChange> schema_change, bool close,
                  std::chrono::steady_clock::time_point started, bool barrier);
  void QueueFrame(int16_t stream, cql::Opcode opcode, std::string_view body, bool compress,
                  uint8_t version);
  // `version` 0: AnswerVersion().
  void QueueProtocolError(int16_t stream, std::string message, uint8_t version = 0);
  void QueueError(int16_t stream, cql::ErrorCode code, std::string message, uint8_t version);
  void Flush();
  // Registers the connection for system_views.clients (when the server keeps them), once its
  // first request has fixed the protocol version.
  void RegisterClient();

  Server* server_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::string peer_address_;   // the client's IP (login rate limiting)
  bool auth_pending_ = false;  // a password check is running: input is paused
  bool use_pending_ = false;   // a dispatched USE is running: input is paused
  static constexpr int kMaxInFlight = 1024;
  int in_flight_ = 0;    // dispatched requests not yet answered
  bool paused_ = false;  // input paused at kMaxInFlight
  service::ClientState state_;
  InputBuffer in_;
  size_t in_pos_ = 0;
  size_t frame_wanted_ = 0;  // bytes of an incomplete frame at in_pos_, when its header is in
  uint8_t version_ = 0;      // 0 until STARTUP fixes it
  // A pre-v5 frame over the size limit is read and dropped before it is answered (Cassandra's
  // discard mode): bytes still to drop, and what the answer names.
  uint64_t discard_left_ = 0;
  uint64_t too_long_total_ = 0;
  int16_t too_long_stream_ = 0;
  // Set when a pre-v5 frame header cannot be decoded (unknown opcode, wrong direction, v6 without
  // the beta flag): Cassandra leaves such a header at the head of its input and answers every
  // later read with the same error, so the connection stays open and can carry nothing more.
  std::string wedged_answer_;
  bool framed_ = false;  // v5 segments in both directions
  std::optional<cql::SegmentDecoder> segments_in_;
  cql::SegmentCompression segment_compression_ = cql::SegmentCompression::kNone;
  std::string envelopes_in_;  // decoded from segments, not yet handled
  size_t envelopes_pos_ = 0;
  std::string out_;      // envelopes queued, not yet sealed
  std::string wire_;     // bytes ready for the socket
  std::string writing_;  // being written
  bool write_pending_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool subscribed_ = false;
  // This connection's row of system_views.clients, from its first request on.
  std::unique_ptr<ConnectedClients::Registration> client_;
  int32_t peer_port_ = 0;
};

}  // namespace postfork::node::transport
