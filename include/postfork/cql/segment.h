// Native protocol v5 framing (native_protocol_v5.spec section 2): after the STARTUP exchange,
// envelopes (the v4-style frames of frame.h) travel inside segments. A segment is a header
// (3 bytes, or 5 with LZ4) protected by a CRC24, a payload of at most 128 KiB - 1 and a CRC32 of
// the payload as sent. A self-contained segment holds one or more whole envelopes; an envelope
// too large for one segment is cut into a run of non-self-contained segments holding only it.
// No I/O here: the encoder appends to a buffer, the decoder consumes from one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "postfork/base/status.h"
#include "postfork/cql/frame.h"

namespace postfork::cql {

inline constexpr size_t kMaxSegmentPayload = 128 * 1024 - 1;
inline constexpr size_t kSegmentHeaderSize = 3;     // + 3 bytes of CRC24
inline constexpr size_t kLz4SegmentHeaderSize = 5;  // + 3 bytes of CRC24
inline constexpr size_t kSegmentCrc24Size = 3;
inline constexpr size_t kSegmentCrc32Size = 4;

// Cassandra's CRC24 (init 0x875060, polynomial 0x1974F0B) of the low `len` bytes of `bytes`,
// taken least significant byte first: the header as the little-endian integer it encodes.
uint32_t SegmentCrc24(uint64_t bytes, int len);
// Cassandra's payload CRC32: the IEEE CRC32 continued from the bytes FA 2D 55 CA.
uint32_t SegmentCrc32(std::string_view payload);

enum class SegmentCompression { kNone, kLz4 };

// Appends one segment holding `payload` (at most kMaxSegmentPayload bytes). With kLz4 the
// payload is compressed unless that does not make it smaller, in which case it is stored as is
// (uncompressed length 0), as Cassandra does.
void EncodeSegment(std::string_view payload, bool self_contained, SegmentCompression c,
                   std::string* out);

// Appends `envelopes` (whole envelopes, back to back, as BeginFrame/FinishFrame produce them) as
// segments: consecutive envelopes are packed into self-contained segments of up to
// kMaxSegmentPayload bytes; an envelope larger than that is cut into non-self-contained segments.
// kMalformed if `envelopes` does not end on an envelope boundary (nothing is appended then).
Status EncodeSegments(std::string_view envelopes, SegmentCompression c, std::string* out);

// Streaming decoder for one direction of one connection. Feed it the bytes read from the socket;
// it validates both CRCs and every length before using it and appends the envelopes' bytes to the
// caller's buffer, where frame.h's ParseFrameHeader takes over. Allocation is bounded by the
// segment size and by `max_envelope_body` for an envelope spanning segments.
class SegmentDecoder {
 public:
  explicit SegmentDecoder(SegmentCompression c, uint32_t max_envelope_body = kDefaultMaxBodyLength)
      : compression_(c), max_body_(max_envelope_body) {}

  // Consumes every complete segment at the start of `in`, appending the payloads of
  // self-contained segments and of completed envelope runs to `envelopes`. Returns the number of
  // bytes consumed (an incomplete segment stays unconsumed). A CRC mismatch, a corrupt LZ4 block
  // or a payload that does not hold whole envelopes as its flag says is kMalformed; an envelope
  // over the limit is kTooLarge. After an error the stream is unusable: close the connection.
  Result<size_t> Decode(std::string_view in, std::string* envelopes);

  // True while a large envelope is partly received.
  bool in_large_envelope() const { return large_remaining_ > 0; }

 private:
  Status TakePayload(std::string_view payload, bool self_contained, std::string* envelopes);

  SegmentCompression compression_;
  uint32_t max_body_;
  std::string scratch_;         // decompressed payload
  std::string large_;           // the large envelope received so far
  size_t large_remaining_ = 0;  // bytes still missing from `large_`
  bool failed_ = false;
};

}  // namespace postfork::cql
