#include "node/transport/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <optional>

#include "cql/utf8.h"
#include "node/auth/auth_service.h"
#include "node/service/tracing.h"
#include "node/transport/server.h"
#include "postfork/base/ascii.h"
#include "postfork/cql/compression.h"
#include "postfork/cql/messages.h"

namespace postfork::node::transport {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// A request whose body is larger goes to the request threads even when it would run inline: a
// write's decoding, binding and storage cost grow with its values, and the network thread must
// not be held up by one large request.
constexpr size_t kMaxInlineBody = 4096;

// Bad input, answered as Cassandra 5.0 answers it (tests/compat/protocol_compat.py compares):
//  - Bytes after a request's body are ignored (cql/messages.cc), a custom payload is read and
//    dropped, the compression flag is ignored until STARTUP negotiated compression.
//  - A body that does not decode gets an error on its stream and the connection goes on: a
//    ProtocolError with CBUtil's text for a string, a ServerError for a fixed-width field past
//    the end (Cassandra's IndexOutOfBoundsException). A STARTUP that does not decode, a request
//    before STARTUP and a body that does not decompress are answered on stream 0, as Cassandra
//    raises them before it knows the stream.
//  - An unsupported version byte is answered on stream 0 at once, and what the connection has
//    buffered is dropped; the connection goes on. An unknown opcode, a wrong direction or v6
//    without the beta flag wedges a pre-v5 connection (wedged_answer_); a frame over the size
//    limit is read, dropped, then refused with InvalidRequest.
//  - In v5 segments, a bad CRC or a negative envelope length closes the connection (Cassandra's
//    fatal errors); other envelope errors skip the envelope.
// Where the node is stricter than Cassandra, and why:
//  - A request before AUTH_SUCCESS closes the connection, and so does a failed password check
//    (OnAuthenticated): it bounds how fast one connection can guess.
//  - A v5 segment whose envelopes do not fit it (Cassandra fails with a Java exception) closes
//    the connection: the byte stream can no longer be split into envelopes; so does an LZ4
//    segment that does not decompress (Cassandra answers a ServerError and reads on), as the
//    segment decoder does not resume after a failed segment.

// Appends one response frame: header, then the body (compressed when asked and negotiated).
// From v4 on, `warnings` go before the body, in a [string list] the warning flag announces.
// A traced request's response starts with its tracing session id (before the warnings).
void AppendFrame(std::string* out, int16_t stream, cql::Opcode opcode, std::string_view body,
                 cql::Compression compression, bool compress, uint8_t version,
                 const std::vector<std::string>* warnings = nullptr,
                 const std::optional<cql::Uuid>* tracing_id = nullptr) {
  cql::FrameHeader h;
  h.version = version;
  h.is_response = true;
  h.stream = stream;
  h.opcode = opcode;
  std::string prefixed;
  const bool traced = tracing_id && tracing_id->has_value();
  const bool warned = warnings && !warnings->empty() && version >= cql::kProtocolV4;
  if (traced || warned) {
    if (traced) prefixed.append((*tracing_id)->bytes.begin(), (*tracing_id)->bytes.end());
    if (warned) {
      cql::ByteWriter w(&prefixed);
      w.WriteStringList(*warnings);
      h.flags |= cql::frame_flags::kWarning;
    }
    if (traced) h.flags |= cql::frame_flags::kTracing;
    prefixed.append(body.data(), body.size());
    body = prefixed;
  }
  std::string compressed;
  // v5 compresses whole segments (Connection::SealOutput), never single envelopes.
  if (compress && version < cql::kProtocolV5 && compression != cql::Compression::kNone &&
      !body.empty()) {
    if (cql::Compress(compression, body, &compressed).ok()) {
      h.flags |= cql::frame_flags::kCompression;
      body = compressed;
    }
  }
  h.length = static_cast<uint32_t>(body.size());
  char header[cql::kFrameHeaderSize];
  h.Encode(header);
  out->append(header, sizeof header);
  out->append(body.data(), body.size());
}

// A decoded and executed QUERY, PREPARE, EXECUTE or BATCH. A body that does not decode gets a
// protocol error and the connection goes on (Cassandra answers such a body with a ProtocolError
// and keeps the connection: the frame's length kept the stream in step). `close` is for errors
// after which the stream cannot continue.
struct Outcome {
  cql3::Response response;
  bool close = false;
};

cql3::Response ProtocolErrorResponse(std::string message) {
  cql::ErrorMessage e;
  e.code = cql::ErrorCode::kProtocolError;
  e.message = std::move(message);
  return cql3::ErrorResponse(e);
}

// Cassandra's ProtocolVersion.toString.
std::string VersionName(uint8_t v) { return v == 6 ? "6/v6-beta" : fmt::format("{}/v{}", v, v); }

bool IsRequestOpcode(uint8_t op) {
  switch (static_cast<cql::Opcode>(op)) {
    case cql::Opcode::kStartup:
    case cql::Opcode::kOptions:
    case cql::Opcode::kQuery:
    case cql::Opcode::kPrepare:
    case cql::Opcode::kExecute:
    case cql::Opcode::kRegister:
    case cql::Opcode::kBatch:
    case cql::Opcode::kAuthResponse:
      return true;
    default:
      return false;
  }
}

// A body that does not decode: CBUtil's ProtocolError, or the ServerError Cassandra answers when
// a fixed-width field runs past the body.
cql3::Response DecodeErrorResponse(const Status& s) {
  cql::ErrorMessage e;
  e.code = s.code() == StatusCode::kTruncated ? cql::ErrorCode::kServerError
                                              : cql::ErrorCode::kProtocolError;
  e.message = s.message();
  return cql3::ErrorResponse(e);
}

// STARTUP's CQL_VERSION as Cassandra's CassandraVersion parses it (major.minor[.patch[.hotfix]]
// [-prerelease][(.|+)build], numbers where it reads numbers); the error text, or "".
std::string CheckCqlVersion(const std::string& v) {
  const std::string invalid = "Invalid version value: " + v;
  size_t i = 0;
  auto is_word = [&](size_t at) {
    return at < v.size() && (std::isalnum(static_cast<unsigned char>(v[at])) || v[at] == '_');
  };
  auto take = [&](auto&& accept) {
    size_t from = i;
    while (i < v.size() && accept(i)) ++i;
    return std::string_view(v).substr(from, i - from);
  };
  auto digit = [&](size_t at) { return std::isdigit(static_cast<unsigned char>(v[at])) != 0; };
  // A Java int: digits only, below 2^31.
  auto number = [](std::string_view part) -> std::optional<int64_t> {
    if (part.empty() || part.size() > 10) return std::nullopt;
    int64_t n = 0;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n > INT32_MAX) return std::nullopt;
    return n;
  };
  auto major = number(take(digit));
  if (!major || i >= v.size() || v[i] != '.') return invalid;
  ++i;
  auto minor = number(take(digit));
  if (!minor) return invalid;
  for (int part = 0; part < 2 && i < v.size() && v[i] == '.' && is_word(i + 1); ++part) {
    ++i;
    if (!number(take(is_word))) return invalid;  // patch, then hotfix
  }
  if (i < v.size() && v[i] == '-') {
    ++i;
    if (take([&](size_t at) { return is_word(at) || v[at] == '-' || v[at] == '.'; }).empty())
      return invalid;
  }
  if (i < v.size() && (v[i] == '.' || v[i] == '+')) {
    ++i;
    if (take([&](size_t at) { return is_word(at) || v[at] == '.'; }).empty()) return invalid;
  }
  if (i != v.size()) return invalid;
  if (*major < 2 || (*major == 2 && *minor < 99))
    return fmt::format(
        "CQL version {} is not supported by the binary protocol (supported version are >= 3.0.0)",
        v);
  return "";
}

// Cassandra decodes every [string] and [long string] as UTF-8 and refuses the request when one
// is not: the same message (Java's decoder reports the first malformed input; its length is
// given as 1, which is what it reports for a bad lead or continuation byte).
std::optional<cql3::Response> CheckUtf8(std::string_view text) {
  if (cql::IsValidUtf8(text)) return std::nullopt;
  std::string hex;
  hex.reserve(text.size() * 2);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : text) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return ProtocolErrorResponse(
      fmt::format("Cannot decode string as UTF8: '{}'; java.nio.charset.MalformedInputException: "
                  "Input length = 1",
                  hex));
}

// `found`: the prepared entry of an EXECUTE's id when the caller looked it up (RunsInline).
Outcome ExecuteRequest(cql3::QueryProcessor& processor, cql::Opcode opcode, std::string_view body,
                       service::ClientState& client,
                       std::shared_ptr<cql3::PreparedEntry> found = nullptr) {
  cql::ByteReader reader(body);
  auto failed = [](const Status& s) { return Outcome{DecodeErrorResponse(s)}; };
  switch (opcode) {
    case cql::Opcode::kQuery: {
      auto m = cql::QueryMessage::Decode(reader, client.protocol_version);
      if (!m.ok()) return failed(m.error());
      if (auto bad = CheckUtf8(m->query)) return Outcome{std::move(*bad)};
      return Outcome{processor.Query(*m, client)};
    }
    case cql::Opcode::kPrepare: {
      auto m = cql::PrepareMessage::Decode(reader, client.protocol_version);
      if (!m.ok()) return failed(m.error());
      if (auto bad = CheckUtf8(m->query)) return Outcome{std::move(*bad)};
      return Outcome{processor.Prepare(*m, client)};
    }
    case cql::Opcode::kExecute: {
      auto m = cql::ExecuteMessage::Decode(reader, client.protocol_version);
      if (!m.ok()) return failed(m.error());
      return Outcome{processor.Execute(std::move(*m), client, std::move(found))};
    }
    case cql::Opcode::kBatch: {
      auto m = cql::BatchMessage::Decode(reader, client.protocol_version);
      if (!m.ok()) return failed(m.error());
      for (const auto& child : m->statements) {
        if (child.is_prepared) continue;
        if (auto bad = CheckUtf8(child.query_or_id)) return Outcome{std::move(*bad)};
      }
      return Outcome{processor.Batch(*m, client)};
    }
    default:
      return failed(Status(StatusCode::kMalformed, "not a request the query processor runs"));
  }
}

// Runs a QUERY, PREPARE, EXECUTE or BATCH; `traced` (the frame's tracing flag) runs it under
// a trace that is written before the response, which then carries its session id. Under
// `no_stall` (the network thread's), a request whose write would have waited out a storage write
// stall returns nullopt, having written nothing (no trace either): it is to run again where
// waiting is allowed.
std::optional<Outcome> RunRequest(cql3::QueryProcessor& processor, cql::Opcode opcode,
                                  std::string_view body, service::ClientState& client,
                                  bool traced, const Storage::NoStall* no_stall = nullptr,
                                  std::shared_ptr<cql3::PreparedEntry> found = nullptr) {
  auto stalled = [&] { return no_stall != nullptr && no_stall->stalled(); };
  if (!traced) {
    Outcome out = ExecuteRequest(processor, opcode, body, client, std::move(found));
    if (stalled()) return std::nullopt;
    return out;
  }
  tracing::TraceState trace(client.peer_address);
  Outcome out;
  {
    tracing::TraceScope scope(&trace);
    out = ExecuteRequest(processor, opcode, body, client, std::move(found));
  }
  if (stalled()) return std::nullopt;
  // Best effort: under `no_stall`, a trace write that would stall is dropped (FinishTrace).
  if (!out.close) processor.FinishTrace(trace, &out.response);
  return out;
}

int32_t ErrorCodeOf(const cql3::Response& r) {
  if (r.opcode != cql::Opcode::kError || r.body.size() < 4) return 0;
  return static_cast<int32_t>(cql::LoadBE32(r.body.data()));
}

std::string UnsupportedVersionMessage(int version) {
  // Cassandra 5.0's text, word for word (drivers match on it to downgrade): its list includes
  // the v6 beta, which a client reaches only with the beta flag and then gets this answer.
  return fmt::format(
      "Invalid or unsupported protocol version ({}); supported versions are (3/v3, 4/v4, 5/v5, "
      "6/v6-beta)",
      version);
}

}  // namespace

Connection::Connection(Server* server, boost::asio::ip::tcp::socket socket,
                       boost::asio::ssl::context* tls)
    : server_(server), socket_(std::move(socket)) {
  if (tls) {
    tls_ = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>>(socket_, *tls);
  }
  server_->metrics().ConnectionOpened();
}

Connection::~Connection() {
  if (subscribed_) server_->events().Unsubscribe(this);
  server_->Forget(this);
  server_->metrics().ConnectionClosed();
}

void Connection::Start() {
  boost::system::error_code ec;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  auto peer = socket_.remote_endpoint(ec);
  if (!ec) {
    peer_address_ = peer.address().to_string();
    peer_port_ = peer.port();
  }
  state_.peer_address = peer_address_;
  if (!tls_) {
    DoRead();
    return;
  }
  // A plaintext client (or one whose certificate fails verification) ends here: closed, nothing
  // else affected.
  tls_->async_handshake(boost::asio::ssl::stream_base::server,
                        [this, self = shared_from_this()](const boost::system::error_code& hec) {
                          if (hec || closed_) {
                            Close();
                            return;
                          }
                          DoRead();
                        });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  client_.reset();  // a closed connection leaves system_views.clients at once
  if (subscribed_) {
    server_->events().Unsubscribe(this);
    subscribed_ = false;
  }
  boost::system::error_code ec;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void Connection::RegisterClient() {
  ConnectedClients* clients = server_->clients();
  if (clients == nullptr || client_) return;
  ClientInfo info;
  info.address = peer_address_;
  info.port = peer_port_;
  info.protocol_version = version_;
  // Without authentication Cassandra's client state holds its anonymous user from the start.
  if (!server_->auth() || !server_->auth()->requires_authentication()) info.username = "anonymous";
  if (tls_) {
    info.ssl_enabled = true;
    const SSL* ssl = tls_->native_handle();
    info.ssl_protocol = SSL_get_version(ssl);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
      const char* iana = SSL_CIPHER_standard_name(cipher);  // Java names suites this way
      info.ssl_cipher_suite = iana ? iana : SSL_CIPHER_get_name(cipher);
    }
  }
  client_ = clients->Register(std::move(info));
}

void Connection::DoRead() {
  if (closed_) return;
  // Room for at least one read chunk, and for the rest of an incomplete frame (the input holds
  // nothing consumed here: ContinueInput dropped it).
  size_t want = kReadChunk;
  if (frame_wanted_ > in_.size()) want = std::max(want, frame_wanted_ - in_.size());
  auto buffer = boost::asio::buffer(in_.Prepare(want), want);
  auto on_read = [this, self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
    if (ec || closed_) {
      Close();
      return;
    }
    in_.Commit(n);
    ContinueInput();
  };
  if (tls_) {
    tls_->async_read_some(buffer, std::move(on_read));
  } else {
    socket_.async_read_some(buffer, std::move(on_read));
  }
}

void Connection::ContinueInput() {
  // The writes that the requests below run inline reach the OS in one system call, before any
  // of their answers is sent.
  Storage::WalBatch wal(&server_->processor().storage());
  bool keep = ProcessInput();
  if (!wal.Finish().ok()) {
    // The answers would acknowledge writes that are not in the WAL: none is sent, and the
    // connection closes, so that its client treats those requests' outcome as unknown.
    out_.clear();
    keep = false;
  }
  // Compact the buffer: drop consumed bytes.
  in_.Consume(in_pos_);
  in_pos_ = 0;
  Flush();
  if (!keep) {
    close_after_flush_ = true;
    if (!write_pending_) Close();
    return;
  }
  if (!auth_pending_ && !use_pending_ && !paused_ && !close_after_flush_) DoRead();
}

bool Connection::ProcessInput() {
  if (!wedged_answer_.empty()) {
    // Every read gets the same answer; the bytes are never decoded.
    in_pos_ = in_.size();
    out_ += wedged_answer_;
    return true;
  }
  if (!framed_) {
    if (!ProcessEnvelopes(in_.view(), &in_pos_)) return false;
    if (!framed_) return true;
    // STARTUP was answered: what follows it in `in_` is segments.
  }
  std::string_view avail = in_.view().substr(in_pos_);
  auto consumed = segments_in_->Decode(avail, &envelopes_in_);
  if (!consumed.ok()) {
    // The stream cannot be resynchronised after a bad segment: answer and close.
    // Cassandra names the channel first; this connection's address stands for it.
    QueueProtocolError(
        0,
        fmt::format("{:08x} {}", static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this)),
                    consumed.error().message()),
        version_);
    return false;
  }
  in_pos_ += *consumed;
  bool keep = ProcessEnvelopes(envelopes_in_, &envelopes_pos_);
  envelopes_in_.erase(0, envelopes_pos_);
  envelopes_pos_ = 0;
  return keep;
}

uint8_t Connection::AnswerVersion() const { return version_ != 0 ? version_ : cql::kProtocolV5; }

Connection::HeaderCheck Connection::CheckHeader(std::string_view avail, cql::FrameHeader* header,
                                                size_t* consumed) {
  const uint8_t first = static_cast<uint8_t>(avail[0]);
  const uint8_t version = first & 0x7F;
  const bool known_version = version >= cql::kProtocolV3 && version <= 6;
  if (!framed_ && !known_version) {
    // Cassandra checks the version byte alone, answers on stream 0 and drops what it buffered.
    const std::string message = UnsupportedVersionMessage(version);
    if (version == 1 || version == 2) {
      // Answered in the client's own version: v1/v2 headers have a one-byte stream id.
      std::string body;
      cql::ErrorMessage e;
      e.code = cql::ErrorCode::kProtocolError;
      e.message = message;
      cql::ByteWriter w(&body);
      e.Encode(w);
      out_.push_back(static_cast<char>(version | 0x80));
      out_.append(2, '\0');  // flags, stream
      out_.push_back(static_cast<char>(cql::Opcode::kError));
      cql::ByteWriter(&out_).WriteInt(static_cast<int32_t>(body.size()));
      out_ += body;
      server_->metrics().Error(static_cast<int32_t>(e.code));
    } else {
      QueueProtocolError(0, message, AnswerVersion());
    }
    *consumed = avail.size();
    return HeaderCheck::kSkipped;
  }
  if (avail.size() < cql::kFrameHeaderSize) return HeaderCheck::kNeedMore;
  const uint8_t flags = static_cast<uint8_t>(avail[1]);
  const uint8_t op = static_cast<uint8_t>(avail[4]);
  header->version = version;
  header->is_response = (first & 0x80) != 0;
  header->flags = flags;
  header->stream = static_cast<int16_t>(cql::LoadBE16(avail.data() + 2));
  header->opcode = static_cast<cql::Opcode>(op);
  header->length = cql::LoadBE32(avail.data() + 5);
  const uint64_t total = uint64_t{cql::kFrameHeaderSize} + header->length;
  // Message.Type.fromOpcode's errors, then Envelope.Decoder.decodeFlags's.
  std::string error;
  uint8_t error_version = AnswerVersion();
  int16_t error_stream = header->stream;
  if (!known_version) {
    error = UnsupportedVersionMessage(version);
  } else if (version == 6 && !(flags & cql::frame_flags::kUseBeta)) {
    error = "Beta version of the protocol used (6/v6-beta), but USE_BETA flag is unset";
    error_version = 6;
    error_stream = 0;
  } else if (!cql::IsKnownOpcode(op)) {
    error = fmt::format("Unknown opcode {}", op);
  } else if (header->is_response || !IsRequestOpcode(op)) {
    const bool request = IsRequestOpcode(op);
    error =
        fmt::format("Wrong protocol direction (expected {}, got {}) for opcode {} ({})",
                    request ? "REQUEST" : "RESPONSE", header->is_response ? "RESPONSE" : "REQUEST",
                    op, cql::OpcodeName(header->opcode));
  }
  if (framed_) {
    // v5 (Envelope.Decoder.extractHeader): a negative length ends the connection; other header
    // errors are answered on the envelope's stream, and the envelope is skipped.
    if (static_cast<int32_t>(header->length) < 0) {
      QueueProtocolError(header->stream,
                         fmt::format("Invalid value for envelope header body length field: {}",
                                     static_cast<int32_t>(header->length)));
      return HeaderCheck::kFatal;
    }
    if (error.empty()) return HeaderCheck::kOk;
    if (avail.size() < total) return HeaderCheck::kNeedMore;
    QueueProtocolError(header->stream, error, error_version);
    *consumed = total;
    return HeaderCheck::kSkipped;
  }
  if (version == 6 && error.empty()) {
    // v6 with the beta flag: a version the node does not speak.
    QueueProtocolError(0, UnsupportedVersionMessage(version), AnswerVersion());
    *consumed = avail.size();
    return HeaderCheck::kSkipped;
  }
  if (!error.empty()) {
    size_t before = out_.size();
    QueueProtocolError(error_stream, error, error_version);
    wedged_answer_ = out_.substr(before);
    return HeaderCheck::kWedged;
  }
  // Envelope.Decoder: the whole frame, header included, against native_transport_max_frame_size.
  if (total > server_->limits().max_frame_size) {
    discard_left_ = total;
    too_long_total_ = total;
    too_long_stream_ = header->stream;
    *consumed = 0;
    return HeaderCheck::kSkipped;
  }
  return HeaderCheck::kOk;
}

bool Connection::ProcessEnvelopes(std::string_view buf, size_t* pos) {
  const bool plain_stream = !framed_;
  while (buf.size() - *pos > 0) {
    // Once the plain stream has switched to segments, the rest of it is for the decoder.
    if (plain_stream && framed_) return true;
    if (use_pending_) return true;  // OnResponse of the USE resumes
    if (in_flight_ >= kMaxInFlight) {
      paused_ = true;  // OnResponse resumes
      return true;
    }
    std::string_view avail = buf.substr(*pos);
    if (discard_left_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(discard_left_, avail.size()));
      *pos += n;
      discard_left_ -= n;
      if (discard_left_ > 0) return true;
      QueueError(too_long_stream_, cql::ErrorCode::kInvalid,
                 fmt::format("Request is too big: length {} exceeds maximum allowed length {}.",
                             too_long_total_, server_->limits().max_frame_size),
                 AnswerVersion());
      continue;
    }
    cql::FrameHeader header;
    size_t consumed = 0;
    switch (CheckHeader(avail, &header, &consumed)) {
      case HeaderCheck::kOk:
        break;
      case HeaderCheck::kNeedMore:
        return true;
      case HeaderCheck::kSkipped:
        *pos += consumed;
        continue;
      case HeaderCheck::kWedged:
        *pos = buf.size();
        return true;
      case HeaderCheck::kFatal:
        return false;
    }
    size_t total = cql::kFrameHeaderSize + header.length;
    if (avail.size() < total) {
      if (plain_stream) frame_wanted_ = total;  // DoRead makes room for all of it
      return true;
    }
    if (plain_stream) frame_wanted_ = 0;
    *pos += total;
    if (state_.started && header.version != version_) {
      // After STARTUP, every frame is in its version (the v5 text lacks a space, as Cassandra's).
      QueueProtocolError(
          header.stream,
          fmt::format("Invalid message version. Got {} but previous{}messages on "
                      "this connection had version {}",
                      VersionName(header.version), framed_ ? "" : " ", VersionName(version_)));
      continue;
    }
    std::string_view body = avail.substr(cql::kFrameHeaderSize, header.length);
    if (!HandleRequest(header, body)) return false;
    // The rest waits for the password check, or for a USE whose keyspace it may rely on.
    if (auth_pending_ || use_pending_) return true;
  }
  return true;
}

bool Connection::HandleRequest(const cql::FrameHeader& header, std::string_view raw_body) {
  auto started = std::chrono::steady_clock::now();
  auto& metrics = server_->metrics();
  metrics.Request(static_cast<uint8_t>(header.opcode));
  if (client_) client_->CountRequest();
  const int16_t stream = header.stream;
  if (!state_.started && header.opcode != cql::Opcode::kOptions &&
      header.opcode != cql::Opcode::kStartup) {
    // Cassandra's InitialConnectionHandler: on stream 0, in the frame's version.
    QueueProtocolError(0,
                       fmt::format("Unexpected message {}, expecting STARTUP or OPTIONS",
                                   cql::OpcodeName(header.opcode)),
                       header.version);
    return true;
  }
  std::string decompressed;
  std::string_view body = raw_body;
  // Only once STARTUP negotiated compression (before, Cassandra ignores the flag); v5 compresses
  // segments, not envelopes, and ignores the flag too.
  if ((header.flags & cql::frame_flags::kCompression) && version_ < cql::kProtocolV5 &&
      state_.compression != cql::Compression::kNone) {
    // The frame limit counts the compressed bytes (as Cassandra's); the decompressed body is
    // bounded only to cap the allocation a lying length could ask for.
    Status s = cql::Decompress(
        state_.compression, raw_body, &decompressed,
        std::max<uint32_t>(server_->limits().max_frame_size, cql::kDefaultMaxBodyLength));
    if (!s.ok()) {
      // Raised before Cassandra knows the stream: its Snappy decompressor's ProtocolError, or
      // the ServerError that carries LZ4's exception.
      if (state_.compression == cql::Compression::kSnappy) {
        QueueProtocolError(0, "Provided frame does not appear to be Snappy compressed");
      } else {
        QueueError(0, cql::ErrorCode::kServerError, "Invalid compressed frame: " + s.message(),
                   AnswerVersion());
      }
      return true;
    }
    body = decompressed;
  }
  // A body that does not decode: answered on `at` (the request's stream, or 0 for STARTUP,
  // which Cassandra decodes before it knows the stream); the connection goes on.
  auto decode_error = [&](const Status& s, int16_t at) {
    cql3::Response r = DecodeErrorResponse(s);
    if (int32_t code = ErrorCodeOf(r); code != 0) metrics.Error(code);
    QueueFrame(at, r.opcode, r.body, false, header.version);
    return true;
  };
  if (header.flags & cql::frame_flags::kCustomPayload) {
    // A request's custom payload (v4+) precedes its body. The node uses none of its entries and
    // drops it, as Cassandra does with payloads no query handler reads.
    cql::ByteReader payload(body);
    auto entries = payload.ReadBytesMap();
    if (!entries.ok()) return decode_error(entries.error(), stream);
    if (header.version < cql::kProtocolV4) {
      // Cassandra's answer; the connection goes on.
      QueueProtocolError(stream,
                         "Received frame with CUSTOM_PAYLOAD flag for native protocol version < 4");
      return true;
    }
    body.remove_prefix(body.size() - payload.remaining());
  }
  cql::ByteReader reader(body);
  auto require_startup = [&]() {
    if (state_.started && state_.authenticated) return true;
    QueueProtocolError(
        stream, fmt::format("Unexpected message {}, expecting {}", cql::OpcodeName(header.opcode),
                            state_.started ? "SASL_RESPONSE" : "STARTUP or OPTIONS"));
    return false;
  };
  cql3::Response response;
  bool compressible = true;
  switch (header.opcode) {
    case cql::Opcode::kOptions: {
      cql::SupportedMessage m;
      m.options["CQL_VERSION"] = {"3.4.6"};
      m.options["COMPRESSION"] = {"lz4", "snappy"};
      m.options["PROTOCOL_VERSIONS"] = {"3/v3", "4/v4", "5/v5"};
      response.opcode = cql::Opcode::kSupported;
      cql::ByteWriter w(&response.body);
      m.Encode(w);
      break;
    }
    case cql::Opcode::kStartup: {
      if (state_.started) {
        QueueProtocolError(stream, state_.authenticated
                                       ? "Unexpected message STARTUP, the connection is already "
                                         "initialized"
                                       : "Unexpected message STARTUP, expecting SASL_RESPONSE");
        return true;
      }
      // STARTUP fixes the connection's version, before its body is read (as Cassandra); a
      // STARTUP that failed fixed nothing the next one must keep.
      version_ = header.version;
      state_.protocol_version = version_;
      RegisterClient();
      if (client_) client_->Update([&](ClientInfo& c) { c.protocol_version = version_; });
      auto m = cql::StartupMessage::Decode(reader);
      if (!m.ok()) return decode_error(m.error(), 0);
      for (const auto& [key, value] : m->options) {
        for (const std::string* text : {&key, &value}) {
          if (auto bad = CheckUtf8(*text)) {
            QueueFrame(0, bad->opcode, bad->body, false, header.version);
            return true;
          }
        }
      }
      auto cql_version = m->options.find("CQL_VERSION");
      if (cql_version == m->options.end()) {
        QueueProtocolError(stream, "Missing value CQL_VERSION in STARTUP message");
        return true;
      }
      if (std::string bad = CheckCqlVersion(cql_version->second); !bad.empty()) {
        QueueProtocolError(stream, bad);
        return true;
      }
      auto it = m->options.find("COMPRESSION");
      if (it != m->options.end()) {
        std::string name = ascii::Lower(it->second);
        auto c = cql::ParseCompression(name);
        // Only the two algorithms: Cassandra refuses "none" and "" too.
        if (!c.ok() || *c == cql::Compression::kNone) {
          QueueProtocolError(stream, "Unknown compression algorithm: " + name);
          return true;
        }
        if (header.version >= cql::kProtocolV5 && *c == cql::Compression::kSnappy) {
          // v5 compresses segments, and only with LZ4 (native_protocol_v5.spec 2.3.2).
          QueueProtocolError(stream, "Snappy compression is not supported in protocol V5");
          return true;
        }
        state_.compression = *c;
      }
      state_.started = true;
      compressible = false;  // drivers switch compression on after reading READY
      const bool authenticate =
          server_->auth() && server_->auth()->requires_authentication() && !state_.authenticated;
      if (client_) {
        client_->Update([&](ClientInfo& c) {
          c.client_options = m->options;
          if (auto name = m->options.find("DRIVER_NAME"); name != m->options.end()) {
            c.driver_name = name->second;
            auto version = m->options.find("DRIVER_VERSION");
            if (version != m->options.end()) c.driver_version = version->second;
          }
          c.connection_stage = authenticate ? "authenticating" : "ready";
        });
      }
      if (authenticate) {
        cql::AuthenticateMessage a;
        a.authenticator = auth::kPasswordAuthenticatorClass;
        cql::ByteWriter w(&response.body);
        a.Encode(w);
        response.opcode = cql::Opcode::kAuthenticate;
        break;
      }
      state_.authenticated = true;
      response.opcode = cql::Opcode::kReady;
      break;
    }
    case cql::Opcode::kRegister: {
      if (!require_startup()) return false;
      auto m = cql::RegisterMessage::Decode(reader);
      if (!m.ok()) return decode_error(m.error(), stream);
      for (std::string_view name : m->event_types) {
        switch (*cql::ParseEventType(name)) {  // Decode let only the three through
          case cql::EventMessage::Type::kSchemaChange:
            state_.schema_events = true;
            break;
          case cql::EventMessage::Type::kTopologyChange:
            state_.topology_events = true;
            break;
          case cql::EventMessage::Type::kStatusChange:
            state_.status_events = true;
            break;
        }
      }
      if (state_.schema_events && !subscribed_) {
        server_->events().Subscribe(this);
        subscribed_ = true;
      }
      response.opcode = cql::Opcode::kReady;
      break;
    }
    case cql::Opcode::kQuery:
    case cql::Opcode::kPrepare:
    case cql::Opcode::kExecute:
    case cql::Opcode::kBatch: {
      if (!require_startup()) return false;
      // A point read or a single-row write costs less than the hand-off to a request thread and
      // back: it runs here.
      std::shared_ptr<cql3::PreparedEntry> inline_entry;
      if (server_->requests() &&
          (body.size() > kMaxInlineBody ||
           !(inline_entry = server_->processor().RunsInline(header.opcode, body)))) {
        Dispatch(header, body, started);
        return true;
      }
      // With request threads to hand it to, a write that would wait out a storage write stall
      // goes there instead, having written nothing: the network thread never waits.
      std::optional<Storage::NoStall> no_stall;
      if (server_->requests()) no_stall.emplace(&server_->processor().storage());
      std::optional<Outcome> ran =
          RunRequest(server_->processor(), header.opcode, body, state_,
                     header.flags & cql::frame_flags::kTracing, no_stall ? &*no_stall : nullptr,
                     std::move(inline_entry));
      if (!ran) {
        no_stall.reset();
        Dispatch(header, body, started);
        return true;
      }
      Outcome& out = *ran;
      if (out.close) {
        metrics.Error(static_cast<int32_t>(cql::ErrorCode::kProtocolError));
        QueueFrame(stream, out.response.opcode, out.response.body, false, version_);
        return false;
      }
      response = std::move(out.response);
      if (response.set_keyspace) {
        state_.keyspace = *response.set_keyspace;
        if (client_) client_->Update([&](ClientInfo& c) { c.keyspace_name = state_.keyspace; });
      }
      break;
    }
    case cql::Opcode::kAuthResponse:
      return HandleAuthResponse(stream, reader);
    default:
      QueueProtocolError(stream, fmt::format("Unexpected message {} from a client",
                                             cql::OpcodeName(header.opcode)));
      return false;
  }
  if (int32_t code = ErrorCodeOf(response); code != 0) metrics.Error(code);
  // In the request's version: before STARTUP, OPTIONS is answered in whichever it came in.
  AppendFrame(&out_, stream, response.opcode, response.body, state_.compression, compressible,
              header.version, &response.warnings, &response.tracing_id);
  // v5: the answer to STARTUP leaves plain, everything after it in segments (spec 2.3.1).
  if (header.opcode == cql::Opcode::kStartup && version_ >= cql::kProtocolV5 && !framed_ &&
      (response.opcode == cql::Opcode::kReady || response.opcode == cql::Opcode::kAuthenticate))
    StartSegments();
  if (response.schema_change) server_->events().PublishSchemaChange(*response.schema_change);
  metrics.Latency(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count());
  return true;
}

bool Connection::HandleAuthResponse(int16_t stream, cql::ByteReader& reader) {
  auth::AuthService* auth = server_->auth();
  if (!auth || !auth->requires_authentication()) {
    // Cassandra's AllowAllAuthenticator takes any token (once the body decodes).
    auto m = cql::AuthResponseMessage::Decode(reader);
    if (!m.ok()) {
      cql3::Response r = DecodeErrorResponse(m.error());
      QueueFrame(stream, r.opcode, r.body, false, version_);
      return true;
    }
    std::string body;
    cql::ByteWriter w(&body);
    cql::AuthSuccessMessage{}.Encode(w);
    QueueFrame(stream, cql::Opcode::kAuthSuccess, body, false, version_);
    return true;
  }
  if (!state_.started || state_.authenticated) {
    QueueProtocolError(stream, state_.started
                                   ? "Unexpected AUTH_RESPONSE: the connection is authenticated"
                                   : "Unexpected message AUTH_RESPONSE, expecting STARTUP or "
                                     "OPTIONS");
    return false;
  }
  auto m = cql::AuthResponseMessage::Decode(reader);
  if (!m.ok()) {
    QueueProtocolError(stream, "Invalid AUTH_RESPONSE message: " + m.error().message());
    return false;
  }
  auth_pending_ = true;
  auth->Authenticate(m->token.value_or(std::string_view()), peer_address_, socket_.get_executor(),
                     [self = shared_from_this(), stream](Result<std::string> role) {
                       self->OnAuthenticated(stream, std::move(role));
                     });
  return true;
}

void Connection::OnAuthenticated(int16_t stream, Result<std::string> role) {
  auth_pending_ = false;
  if (closed_) return;
  if (!role.ok()) {
    // Cassandra closes nothing here, but a client that guessed wrong has nothing more to say on
    // this connection; closing also bounds how fast one connection can guess.
    cql3::Response error = cql3::ErrorResponse(role.error());
    server_->metrics().Error(static_cast<int32_t>(cql::ErrorCode::kBadCredentials));
    QueueFrame(stream, error.opcode, error.body, false, version_);
    close_after_flush_ = true;
    Flush();
    if (!write_pending_) Close();
    return;
  }
  state_.user = std::move(*role);
  state_.authenticated = true;
  if (client_) {
    client_->Update([&](ClientInfo& c) {
      c.username = state_.user;
      c.connection_stage = "ready";
    });
  }
  std::string body;
  cql::ByteWriter w(&body);
  cql::AuthSuccessMessage{}.Encode(w);
  QueueFrame(stream, cql::Opcode::kAuthSuccess, body, false, version_);
  ContinueInput();
}

void Connection::Dispatch(const cql::FrameHeader& header, std::string_view body,
                          std::chrono::steady_clock::time_point started) {
  ++in_flight_;
  // A USE (by statement: a commented or prepared USE too) holds back the requests behind it.
  const bool barrier = server_->processor().IsUseRequest(header.opcode, body);
  if (barrier) use_pending_ = true;
  auto task = [self = shared_from_this(), executor = socket_.get_executor(), opcode = header.opcode,
               stream = header.stream, body = std::string(body), client = state_, started, barrier,
               traced = (header.flags & cql::frame_flags::kTracing) != 0]() mutable {
    Outcome out = *RunRequest(self->server_->processor(), opcode, body, client, traced);
    std::string frame;
    AppendFrame(&frame, stream, out.response.opcode, out.response.body, client.compression,
                !out.close, client.protocol_version, &out.response.warnings,
                &out.response.tracing_id);
    int32_t error = ErrorCodeOf(out.response);
    boost::asio::post(executor, [self = std::move(self), frame = std::move(frame), error,
                                 set_keyspace = std::move(out.response.set_keyspace),
                                 change = std::move(out.response.schema_change), close = out.close,
                                 started, barrier]() mutable {
      self->OnResponse(std::move(frame), error, std::move(set_keyspace), std::move(change), close,
                       started, barrier);
    });
  };
  boost::asio::post(*server_->requests(), std::move(task));
}

void Connection::OnResponse(std::string frame, int32_t error_code,
                            std::optional<std::string> set_keyspace,
                            std::optional<cql::SchemaChange> schema_change, bool close,
                            std::chrono::steady_clock::time_point started, bool barrier) {
  --in_flight_;
  if (barrier) use_pending_ = false;
  auto& metrics = server_->metrics();
  if (error_code != 0) metrics.Error(error_code);
  // A schema change happened whether or not this client is still there to hear of it.
  if (schema_change) server_->events().PublishSchemaChange(*schema_change);
  if (closed_) return;
  if (set_keyspace) {
    state_.keyspace = std::move(*set_keyspace);
    if (client_) client_->Update([&](ClientInfo& c) { c.keyspace_name = state_.keyspace; });
  }
  out_ += frame;
  metrics.Latency(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count());
  if (close) {
    close_after_flush_ = true;
    Flush();
    if (!write_pending_) Close();
    return;
  }
  if (barrier || (paused_ && in_flight_ <= kMaxInFlight / 2)) {
    if (in_flight_ <= kMaxInFlight / 2) paused_ = false;
    ContinueInput();  // handles what is buffered, flushes, reads on
    return;
  }
  Flush();
}

void Connection::QueueFrame(int16_t stream, cql::Opcode opcode, std::string_view body,
                            bool compress, uint8_t version) {
  AppendFrame(&out_, stream, opcode, body, state_.compression, compress, version);
}

void Connection::QueueProtocolError(int16_t stream, std::string message, uint8_t version) {
  QueueError(stream, cql::ErrorCode::kProtocolError, std::move(message), version);
}

void Connection::QueueError(int16_t stream, cql::ErrorCode code, std::string message,
                            uint8_t version) {
  if (version == 0) version = AnswerVersion();
  cql::ErrorMessage e;
  e.code = code;
  e.message = std::move(message);
  std::string body;
  cql::ByteWriter w(&body);
  e.Encode(w);
  server_->metrics().Error(static_cast<int32_t>(e.code));
  // Never compressed: the failure may be about compression itself.
  QueueFrame(stream, cql::Opcode::kError, body, false, version);
}

void Connection::PushEvent(const std::string& event_body) {
  if (closed_) return;
  QueueFrame(-1, cql::Opcode::kEvent, event_body, true, version_ != 0 ? version_ : 4);
  Flush();
}

void Connection::StartSegments() {
  SealOutput();  // READY/AUTHENTICATE and anything before it stay plain
  framed_ = true;
  segment_compression_ = state_.compression == cql::Compression::kLz4
                             ? cql::SegmentCompression::kLz4
                             : cql::SegmentCompression::kNone;
  segments_in_.emplace(segment_compression_, server_->limits().max_envelope_body);
}

void Connection::SealOutput() {
  if (out_.empty()) return;
  if (!framed_) {
    if (wire_.empty()) {
      wire_.swap(out_);
    } else {
      wire_ += out_;
    }
  } else {
    // out_ holds only whole envelopes that QueueFrame wrote, so this cannot fail.
    Status st = cql::EncodeSegments(out_, segment_compression_, &wire_);
    (void)st;
  }
  out_.clear();
}

void Connection::Flush() {
  SealOutput();
  if (write_pending_ || wire_.empty() || closed_) return;
  writing_.swap(wire_);
  wire_.clear();
  write_pending_ = true;
  auto on_written = [this, self = shared_from_this()](const boost::system::error_code& ec, size_t) {
    write_pending_ = false;
    writing_.clear();
    if (ec) {
      Close();
      return;
    }
    if (!out_.empty() || !wire_.empty()) {
      Flush();
    } else if (close_after_flush_) {
      Close();
    }
  };
  if (tls_) {
    boost::asio::async_write(*tls_, boost::asio::buffer(writing_), std::move(on_written));
  } else {
    boost::asio::async_write(socket_, boost::asio::buffer(writing_), std::move(on_written));
  }
}

}  // namespace postfork::node::transport
