// Frames of native protocol v4 (native_protocol_v4.spec section 2): a 9-byte header and a body.
// Message code never sees framing: a v5 segment layer can wrap these frames (v5 calls them
// envelopes) without touching messages.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "postfork/base/status.h"
#include "postfork/cql/bytes.h"

namespace postfork::cql {

enum class Opcode : uint8_t {
  kError = 0x00,
  kStartup = 0x01,
  kReady = 0x02,
  kAuthenticate = 0x03,
  kOptions = 0x05,
  kSupported = 0x06,
  kQuery = 0x07,
  kResult = 0x08,
  kPrepare = 0x09,
  kExecute = 0x0A,
  kRegister = 0x0B,
  kEvent = 0x0C,
  kBatch = 0x0D,
  kAuthChallenge = 0x0E,
  kAuthResponse = 0x0F,
  kAuthSuccess = 0x10,
};
std::string_view OpcodeName(Opcode op);
bool IsKnownOpcode(uint8_t op);

namespace frame_flags {
inline constexpr uint8_t kCompression = 0x01;
inline constexpr uint8_t kTracing = 0x02;
inline constexpr uint8_t kCustomPayload = 0x04;
inline constexpr uint8_t kWarning = 0x08;
inline constexpr uint8_t kUseBeta = 0x10;
}  // namespace frame_flags

inline constexpr size_t kFrameHeaderSize = 9;
// Protocol versions this codec speaks. Message encoders and decoders take the connection's
// version where the body layout differs (v5: [int] query flags, result metadata ids, ...).
inline constexpr uint8_t kProtocolV3 = 3;
inline constexpr uint8_t kProtocolV4 = 4;
inline constexpr uint8_t kProtocolV5 = 5;
inline constexpr uint8_t kResponseDirection = 0x80;
// Default bound on a frame body this codec allocates for (256 MiB): responses the driver reads,
// decompressed bodies. The node's request limit is its own (NodeOptions::max_frame_size).
inline constexpr uint32_t kDefaultMaxBodyLength = 256u * 1024 * 1024;

struct FrameHeader {
  uint8_t version = 4;  // without the direction bit
  bool is_response = false;
  uint8_t flags = 0;
  int16_t stream = 0;
  Opcode opcode = Opcode::kOptions;
  uint32_t length = 0;  // body length

  void Encode(char out[kFrameHeaderSize]) const;
};

// Outcome of looking at the start of a byte stream for a frame header.
enum class HeaderParse {
  kNeedMore,        // fewer than 9 bytes available
  kOk,
};

// Parses a header from `data` (at least kFrameHeaderSize bytes, else kNeedMore). The version
// is returned as sent, so the caller can answer an unsupported version on the same stream id
// (the node) or downgrade (the driver). A body length over `max_body` is kTooLarge before any
// allocation; an unknown opcode is kMalformed.
Result<HeaderParse> ParseFrameHeader(std::string_view data, FrameHeader* header,
                                     uint32_t max_body = kDefaultMaxBodyLength);

struct Frame {
  FrameHeader header;
  std::string_view body;  // views the buffer the frame was read from (decompressed if needed)
};

// Writes a header placeholder into `out`; FinishFrame fills in the body length once the message
// has been appended. Lets messages encode straight into the output buffer with no copy.
size_t BeginFrame(std::string* out, const FrameHeader& header);
void FinishFrame(std::string* out, size_t frame_start);

}  // namespace postfork::cql
