// A CQL server for tests that need a peer misbehaving on purpose (timeouts, cut frames,
// silence): real TCP on 127.0.0.1, a thread per connection, answers scripted per request.
// Handshake and REGISTER/OPTIONS are answered like a node unless the script says otherwise.
// It speaks v4 only: a frame of a higher version gets the protocol error Cassandra 3.x sends
// ("Invalid or unsupported protocol version") in a v4 header, then the connection is closed, so
// a negotiating driver falls back to v4 as it would against such a server.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loopback_listener.h"

#include "postfork/cql/bytes.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"

namespace postfork::driver::testing {

class ScriptedServer {
 public:
  struct Request {
    cql::FrameHeader header;
    std::string body;
  };
  // Returns the bytes to write back (possibly several frames, half a frame, or nothing).
  // Returning std::nullopt closes the connection.
  using Script = std::function<std::optional<std::string>(const Request&)>;

  explicit ScriptedServer(Script script = nullptr)
      : script_(std::move(script)), listener_([this](int fd) { Accept(fd); }) {}
  ~ScriptedServer() { listener_.Stop(); }

  uint16_t port() const { return listener_.port(); }
  int frames_received() const { return frames_.load(); }
  int reads_with_frames() const { return reads_.load(); }
  int connections() const { return connections_.load(); }
  // Requests refused for their protocol version (each closed its connection).
  int refused_versions() const { return refused_versions_.load(); }
  std::vector<cql::Opcode> opcodes() {
    std::lock_guard lock(mu_);
    return opcodes_;
  }
  void set_script(Script s) {
    std::lock_guard lock(mu_);
    script_ = std::move(s);
  }
  // Kills every open connection (the listener stays up).
  void DropConnections() { listener_.ShutdownAll(); }

  static std::string Frame(const cql::FrameHeader& request, cql::Opcode opcode,
                           const std::string& body) {
    std::string out;
    cql::FrameHeader h;
    h.version = request.version;
    h.is_response = true;
    h.stream = request.stream;
    h.opcode = opcode;
    size_t start = cql::BeginFrame(&out, h);
    out += body;
    cql::FinishFrame(&out, start);
    return out;
  }
  static std::string Ready(const cql::FrameHeader& r) { return Frame(r, cql::Opcode::kReady, ""); }
  static std::string UnsupportedVersion(const cql::FrameHeader& r) {
    cql::FrameHeader v4 = r;
    v4.version = cql::kProtocolV4;
    cql::ErrorMessage e;
    e.code = cql::ErrorCode::kProtocolError;
    e.message = "Invalid or unsupported protocol version (" + std::to_string(r.version) +
                "); supported versions are (3/v3, 4/v4)";
    std::string body;
    cql::ByteWriter w(&body);
    e.Encode(w);
    return Frame(v4, cql::Opcode::kError, body);
  }
  static std::string VoidResult(const cql::FrameHeader& r) {
    std::string body;
    cql::ByteWriter w(&body);
    w.WriteInt(static_cast<int32_t>(cql::ResultKind::kVoid));
    return Frame(r, cql::Opcode::kResult, body);
  }

  // Default answers for everything but QUERY/EXECUTE/PREPARE/BATCH.
  static std::optional<std::string> Handshake(const Request& r) {
    switch (r.header.opcode) {
      case cql::Opcode::kStartup:
      case cql::Opcode::kRegister:
        return Ready(r.header);
      case cql::Opcode::kOptions: {
        std::string body;
        cql::ByteWriter w(&body);
        cql::SupportedMessage m;
        m.options["CQL_VERSION"] = {"3.4.6"};
        m.Encode(w);
        return Frame(r.header, cql::Opcode::kSupported, body);
      }
      default:
        return VoidResult(r.header);
    }
  }

 private:
  void Accept(int fd) {
    ++connections_;
    listener_.Track(fd);
    listener_.Spawn([this, fd] { Serve(fd); });
  }

  void Serve(int fd) {
    std::string buf;
    char chunk[65536];
    for (;;) {
      ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      bool any = false;
      for (;;) {
        cql::FrameHeader h;
        auto parsed = cql::ParseFrameHeader(buf, &h);
        if (!parsed.ok() || *parsed == cql::HeaderParse::kNeedMore) break;
        if (buf.size() < cql::kFrameHeaderSize + h.length) break;
        Request req{h, buf.substr(cql::kFrameHeaderSize, h.length)};
        buf.erase(0, cql::kFrameHeaderSize + h.length);
        ++frames_;
        any = true;
        if (h.version > cql::kProtocolV4) {
          ++refused_versions_;
          std::string out = UnsupportedVersion(h);
          (void)!::write(fd, out.data(), out.size());
          ::shutdown(fd, SHUT_RDWR);
          break;
        }
        Script script;
        {
          std::lock_guard lock(mu_);
          opcodes_.push_back(h.opcode);
          script = script_;
        }
        std::optional<std::string> out = script ? script(req) : Handshake(req);
        if (!out) {
          ::shutdown(fd, SHUT_RDWR);
          break;
        }
        if (!out->empty() && ::send(fd, out->data(), out->size(), MSG_NOSIGNAL) < 0) break;
      }
      if (any) ++reads_;
    }
    listener_.Untrack(fd);
    ::close(fd);
  }

  Script script_;
  std::atomic<int> frames_{0}, reads_{0}, connections_{0}, refused_versions_{0};
  std::mutex mu_;
  std::vector<cql::Opcode> opcodes_;
  LoopbackListener listener_;  // last: its threads use the members above
};

}  // namespace postfork::driver::testing
