// Arbitrary bytes as a v5 segment stream: the first byte picks plain or LZ4 segments and the read
// sizes, the rest is fed to SegmentDecoder in chunks, and every envelope that comes out is parsed
// and its body decoded as a v5 message. Must never crash, leak or allocate from an untrusted
// length; what decodes must survive an encode/decode round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/segment.h"

namespace postfork::cql {
namespace {

constexpr uint32_t kMaxBody = 1 << 20;

void Envelopes(std::string_view envs) {
  while (!envs.empty()) {
    FrameHeader h;
    auto parsed = ParseFrameHeader(envs, &h, kMaxBody);
    if (!parsed.ok() || *parsed != HeaderParse::kOk) return;
    if (envs.size() < kFrameHeaderSize + h.length) return;
    ByteReader r(envs.substr(kFrameHeaderSize, h.length));
    switch (h.opcode) {
      case Opcode::kQuery:
        (void)QueryMessage::Decode(r, kProtocolV5);
        break;
      case Opcode::kExecute:
        (void)ExecuteMessage::Decode(r, kProtocolV5);
        break;
      case Opcode::kBatch:
        (void)BatchMessage::Decode(r, kProtocolV5);
        break;
      case Opcode::kPrepare:
        (void)PrepareMessage::Decode(r, kProtocolV5);
        break;
      case Opcode::kResult:
        (void)ResultMessage::Decode(r, nullptr, kProtocolV5);
        break;
      case Opcode::kError:
        (void)ErrorMessage::Decode(r, kProtocolV5);
        break;
      default:
        break;
    }
    envs.remove_prefix(kFrameHeaderSize + h.length);
  }
}

}  // namespace
}  // namespace postfork::cql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace postfork::cql;
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const SegmentCompression c = (mode & 1) ? SegmentCompression::kLz4 : SegmentCompression::kNone;
  const size_t chunk = 1 + (mode >> 1) * 97;  // read sizes from 1 to ~12 KiB
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  SegmentDecoder decoder(c, kMaxBody);
  std::string buffered, envelopes;
  bool failed = false;
  for (size_t pos = 0; pos < in.size() && !failed; pos += chunk) {
    buffered.append(in.substr(pos, chunk));
    auto n = decoder.Decode(buffered, &envelopes);
    if (!n.ok()) {
      failed = true;
      break;
    }
    buffered.erase(0, *n);
  }
  Envelopes(envelopes);
  // Whole envelopes that came out must go back into segments and out again unchanged.
  std::string again;
  if (EncodeSegments(envelopes, c, &again).ok()) {
    SegmentDecoder second(c, kMaxBody);
    std::string back;
    auto n = second.Decode(again, &back);
    if (!n.ok() || *n != again.size() || back != envelopes) __builtin_trap();
  }
  return 0;
}
