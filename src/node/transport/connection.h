// One client connection: reads frames and answers each request on its stream id. QUERY,
// PREPARE, EXECUTE and BATCH run on the server's request threads (when it has them), each with a
// copy of the connection's state, so requests on one connection run concurrently and are
// answered as they finish; their responses are encoded (and compressed) there and queued here.
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
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "node/service/client_state.h"
#include "node/service/event_notifier.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"

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
  // Handles one request; false when the connection must close after flushing.
  bool HandleRequest(const cql::FrameHeader& header, std::string_view body);
  // QUERY, PREPARE, EXECUTE or BATCH on the request threads; the answer comes to OnResponse.
  void Dispatch(const cql::FrameHeader& header, std::string_view body,
                std::chrono::steady_clock::time_point started);
  // A dispatched request's encoded response frame, back on the network thread.
  void OnResponse(std::string frame, int32_t error_code, std::optional<std::string> set_keyspace,
                  std::optional<cql::SchemaChange> schema_change, bool close,
                  std::chrono::steady_clock::time_point started);
  void QueueFrame(int16_t stream, cql::Opcode opcode, std::string_view body, bool compress,
                  uint8_t version = 4);
  void QueueProtocolError(int16_t stream, std::string message, uint8_t version = 4);
  void Flush();

  Server* server_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::string peer_address_;   // the client's IP (login rate limiting)
  bool auth_pending_ = false;  // a password check is running: input is paused
  static constexpr int kMaxInFlight = 1024;
  int in_flight_ = 0;    // dispatched requests not yet answered
  bool paused_ = false;  // input paused at kMaxInFlight
  service::ClientState state_;
  std::string in_;
  size_t in_pos_ = 0;
  std::string out_;      // queued, not yet written
  std::string writing_;  // being written
  bool write_pending_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool subscribed_ = false;
};

}  // namespace postfork::node::transport
