#include "postfork/cql/frame.h"

#include <cassert>
#include <string>

namespace postfork::cql {

std::string_view OpcodeName(Opcode op) {
  switch (op) {
    case Opcode::kError:
      return "ERROR";
    case Opcode::kStartup:
      return "STARTUP";
    case Opcode::kReady:
      return "READY";
    case Opcode::kAuthenticate:
      return "AUTHENTICATE";
    case Opcode::kOptions:
      return "OPTIONS";
    case Opcode::kSupported:
      return "SUPPORTED";
    case Opcode::kQuery:
      return "QUERY";
    case Opcode::kResult:
      return "RESULT";
    case Opcode::kPrepare:
      return "PREPARE";
    case Opcode::kExecute:
      return "EXECUTE";
    case Opcode::kRegister:
      return "REGISTER";
    case Opcode::kEvent:
      return "EVENT";
    case Opcode::kBatch:
      return "BATCH";
    case Opcode::kAuthChallenge:
      return "AUTH_CHALLENGE";
    case Opcode::kAuthResponse:
      return "AUTH_RESPONSE";
    case Opcode::kAuthSuccess:
      return "AUTH_SUCCESS";
  }
  return "UNKNOWN";
}

bool IsKnownOpcode(uint8_t op) { return op <= 0x10 && op != 0x04; }

void FrameHeader::Encode(char out[kFrameHeaderSize]) const {
  out[0] = static_cast<char>((version & 0x7F) | (is_response ? kResponseDirection : 0));
  out[1] = static_cast<char>(flags);
  uint16_t s = static_cast<uint16_t>(stream);
  out[2] = static_cast<char>(s >> 8);
  out[3] = static_cast<char>(s);
  out[4] = static_cast<char>(opcode);
  out[5] = static_cast<char>(length >> 24);
  out[6] = static_cast<char>(length >> 16);
  out[7] = static_cast<char>(length >> 8);
  out[8] = static_cast<char>(length);
}

Result<HeaderParse> ParseFrameHeader(std::string_view data, FrameHeader* header,
                                     uint32_t max_body) {
  if (data.size() < kFrameHeaderSize) return HeaderParse::kNeedMore;
  const char* p = data.data();
  uint8_t v = static_cast<uint8_t>(p[0]);
  header->version = v & 0x7F;
  header->is_response = (v & kResponseDirection) != 0;
  header->flags = static_cast<uint8_t>(p[1]);
  header->stream = static_cast<int16_t>(LoadBE16(p + 2));
  uint8_t op = static_cast<uint8_t>(p[4]);
  header->opcode = static_cast<Opcode>(op);
  header->length = LoadBE32(p + 5);
  if (header->length > max_body)
    return Status(StatusCode::kTooLarge, "frame body of " + std::to_string(header->length) +
                                             " bytes exceeds the limit of " +
                                             std::to_string(max_body));
  if (!IsKnownOpcode(op))
    return Status(StatusCode::kMalformed, "unknown opcode " + std::to_string(op));
  return HeaderParse::kOk;
}

size_t BeginFrame(std::string* out, const FrameHeader& header) {
  size_t at = out->size();
  char h[kFrameHeaderSize];
  header.Encode(h);
  out->append(h, kFrameHeaderSize);
  return at;
}

void FinishFrame(std::string* out, size_t frame_start) {
  assert(out->size() >= frame_start + kFrameHeaderSize);
  uint32_t n = static_cast<uint32_t>(out->size() - frame_start - kFrameHeaderSize);
  char* p = out->data() + frame_start;
  p[5] = static_cast<char>(n >> 24);
  p[6] = static_cast<char>(n >> 16);
  p[7] = static_cast<char>(n >> 8);
  p[8] = static_cast<char>(n);
}

}  // namespace postfork::cql
