// One client connection: reads frames, dispatches each request in arrival order and answers on
// the request's stream id. Responses produced while handling one read are coalesced into a single
// write. Lives on the network thread; owned by shared_ptr while Asio operations are pending.
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
#include <memory>
#include <string>

#include "node/service/client_state.h"
#include "node/service/event_notifier.h"
#include "postfork/cql/frame.h"

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
  void QueueFrame(int16_t stream, cql::Opcode opcode, std::string_view body, bool compress,
                  uint8_t version = 4);
  void QueueProtocolError(int16_t stream, std::string message, uint8_t version = 4);
  void Flush();

  Server* server_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::string peer_address_;   // the client's IP (login rate limiting)
  bool auth_pending_ = false;  // a password check is running: input is paused
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
