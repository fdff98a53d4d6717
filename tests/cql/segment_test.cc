#include "postfork/cql/segment.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace postfork::cql {
namespace {

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::string Unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

// An envelope (v5 request header) with `body_len` bytes of `fill`.
std::string Envelope(int16_t stream, Opcode op, size_t body_len, char fill = 'a') {
  std::string out;
  FrameHeader h;
  h.version = 5;
  h.stream = stream;
  h.opcode = op;
  size_t at = BeginFrame(&out, h);
  out.append(body_len, fill);
  FinishFrame(&out, at);
  return out;
}

// The code a fresh decoder fails `wire` with (kOk when it decodes).
StatusCode DecodeError(std::string_view wire, SegmentCompression c,
                       uint32_t max_body = kDefaultMaxBodyLength) {
  SegmentDecoder d(c, max_body);
  std::string back;
  auto n = d.Decode(wire, &back);
  return n.ok() ? StatusCode::kOk : n.error().code();
}

// Vectors from Debian's python3-cassandra (cassandra/segment.py, SegmentCodec.encode) and checked
// by hand against native_protocol_v5.spec section 2.
constexpr std::string_view kOptionsSegment = "090002a4c8c1050000010500000000b5557486";
constexpr std::string_view kOptionsLz4Segment = "0900000004c2b895050000010500000000b5557486";
constexpr std::string_view kQueryLz4Segment =
    "1400a2010421f7b4af0500000207000000c8610100af506161616161c648667c";

TEST(Segment, Crc24AndCrc32MatchCassandra) {
  // Values computed with segment.py's compute_crc24 / compute_crc32(data, CRC32_INITIAL).
  EXPECT_EQ(SegmentCrc24(0, 3), 0x7de777u);
  EXPECT_EQ(SegmentCrc24(5 | (1 << 17), 3), 0x9a9919u);
  EXPECT_EQ(SegmentCrc32(""), 0x44777ed3u);
  EXPECT_EQ(SegmentCrc32("hello"), 0xb60e8074u);
}

// SegmentCrc32 folds long payloads with PCLMULQDQ where the CPU has it: it must agree with a
// plain table CRC32 (zlib's, continued from the same four bytes) at every length and alignment.
TEST(Segment, Crc32AgreesWithTheTableCrcAtEveryLengthAndOffset) {
  std::string data(5000, '\0');
  uint32_t x = 1;
  for (char& c : data) {
    x = x * 1664525 + 1013904223;
    c = static_cast<char>(x >> 24);
  }
  for (size_t offset = 0; offset < 16; offset += 3) {
    for (size_t len = 0; len + offset <= data.size(); len += (len < 300 ? 1 : 97)) {
      std::string_view v(data.data() + offset, len);
      uint32_t want = static_cast<uint32_t>(crc32(0, nullptr, 0));
      const unsigned char prefix[4] = {0xFA, 0x2D, 0x55, 0xCA};
      want = static_cast<uint32_t>(crc32(want, prefix, 4));
      want = static_cast<uint32_t>(
          crc32(want, reinterpret_cast<const unsigned char*>(v.data()), static_cast<uInt>(len)));
      ASSERT_EQ(SegmentCrc32(v), want) << "length " << len << " offset " << offset;
    }
  }
}

// The spec's bitwise CRC24 (as segment.py computes it), against the table-driven one.
TEST(Segment, Crc24AgreesWithTheBitwiseDefinition) {
  auto bitwise = [](uint64_t bytes, int len) {
    uint32_t crc = 0x875060;
    for (int i = 0; i < len; ++i) {
      crc ^= static_cast<uint32_t>(bytes & 0xFF) << 16;
      bytes >>= 8;
      for (int bit = 0; bit < 8; ++bit) {
        crc <<= 1;
        if (crc & 0x1000000) crc ^= 0x1974F0B;
      }
    }
    return crc;
  };
  uint64_t x = 7;
  for (int i = 0; i < 100000; ++i) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    ASSERT_EQ(SegmentCrc24(x & 0xFFFFFF, 3), bitwise(x & 0xFFFFFF, 3));
    ASSERT_EQ(SegmentCrc24(x & 0xFFFFFFFFFF, 5), bitwise(x & 0xFFFFFFFFFF, 5));
  }
}

TEST(Segment, UncompressedHeaderLayoutIsAsTheSpecSays) {
  std::string out;
  EncodeSegment(Envelope(1, Opcode::kOptions, 0), true, SegmentCompression::kNone, &out);
  EXPECT_EQ(Hex(out), kOptionsSegment);
  // By hand: 9 | 1 << 17 = 0x020009, little-endian 09 00 02; then CRC24 0xc1c8a4 little-endian.
  EXPECT_EQ(Hex(out.substr(0, 3)), "090002");
  EXPECT_EQ(SegmentCrc24(0x020009, 3), 0xc1c8a4u);
  // CRC32 of the 9 payload bytes, little-endian, last.
  EXPECT_EQ(SegmentCrc32(out.substr(6, 9)), 0x867455b5u);
}

TEST(Segment, Lz4StoresIncompressiblePayloadAsIsAndCompressesTheRest) {
  std::string out;
  EncodeSegment(Envelope(1, Opcode::kOptions, 0), true, SegmentCompression::kLz4, &out);
  EXPECT_EQ(Hex(out), kOptionsLz4Segment);  // uncompressed length 0: payload as is
  out.clear();
  EncodeSegment(Envelope(2, Opcode::kQuery, 200), true, SegmentCompression::kLz4, &out);
  // Header by hand: compressed 20 | uncompressed 209 << 17 | self-contained << 34.
  uint64_t header = 20 | (uint64_t{209} << 17) | (uint64_t{1} << 34);
  EXPECT_EQ(Hex(out.substr(0, 5)), "1400a20104");
  EXPECT_EQ(header, 0x0401a20014u);
  EXPECT_EQ(out.size(), 8u + 20 + 4);
  EXPECT_EQ(Hex(out), kQueryLz4Segment);
}

TEST(Segment, DecodesPythonDriverSegments) {
  SegmentDecoder plain(SegmentCompression::kNone);
  std::string envelopes;
  auto n = plain.Decode(Unhex(kOptionsSegment), &envelopes);
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_EQ(*n, kOptionsSegment.size() / 2);
  EXPECT_EQ(envelopes, Envelope(1, Opcode::kOptions, 0));

  SegmentDecoder lz4(SegmentCompression::kLz4);
  envelopes.clear();
  std::string both = Unhex(kOptionsLz4Segment) + Unhex(kQueryLz4Segment);
  n = lz4.Decode(both, &envelopes);
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_EQ(*n, both.size());
  EXPECT_EQ(envelopes, Envelope(1, Opcode::kOptions, 0) + Envelope(2, Opcode::kQuery, 200));
}

TEST(Segment, SmallEnvelopesShareOneSelfContainedSegment) {
  std::string envs;
  for (int i = 0; i < 50; ++i) envs += Envelope(static_cast<int16_t>(i), Opcode::kQuery, 100);
  std::string out;
  ASSERT_TRUE(EncodeSegments(envs, SegmentCompression::kNone, &out).ok());
  EXPECT_EQ(out.size(), 6 + envs.size() + 4);  // one segment
  EXPECT_EQ(out[2] & 0x02, 0x02);              // self-contained bit (bit 17)
  SegmentDecoder d(SegmentCompression::kNone);
  std::string back;
  ASSERT_EQ(*d.Decode(out, &back), out.size());
  EXPECT_EQ(back, envs);
}

TEST(Segment, ManyEnvelopesFillSegmentsWithoutSplittingAny) {
  std::string envs;
  // 3000 envelopes of 109 bytes: 327,000 bytes, so at least three segments, cut at envelopes.
  for (int i = 0; i < 3000; ++i) envs += Envelope(static_cast<int16_t>(i), Opcode::kQuery, 100);
  std::string out;
  ASSERT_TRUE(EncodeSegments(envs, SegmentCompression::kNone, &out).ok());
  SegmentDecoder d(SegmentCompression::kNone);
  std::string back;
  // Feed byte ranges of odd sizes: the decoder must wait for whole segments.
  size_t consumed = 0;
  std::string in;
  for (size_t pos = 0; pos < out.size(); pos += 7919) {
    in.append(out, pos, 7919);
    auto n = d.Decode(in, &back);
    ASSERT_TRUE(n.ok()) << n.error().ToString();
    in.erase(0, *n);
    consumed += *n;
  }
  EXPECT_EQ(consumed, out.size());
  EXPECT_EQ(back, envs);
}

TEST(Segment, LargeEnvelopeSpansNonSelfContainedSegments) {
  for (auto c : {SegmentCompression::kNone, SegmentCompression::kLz4}) {
    std::string big = Envelope(7, Opcode::kResult, 300 * 1024, 'x');
    std::string small = Envelope(8, Opcode::kResult, 10);
    std::string envs = small + big + small;
    std::string out;
    ASSERT_TRUE(EncodeSegments(envs, c, &out).ok());
    SegmentDecoder d(c);
    std::string back;
    auto n = d.Decode(out, &back);
    ASSERT_TRUE(n.ok()) << n.error().ToString();
    EXPECT_EQ(*n, out.size());
    EXPECT_EQ(back, envs);
    EXPECT_FALSE(d.in_large_envelope());
  }
  // Three segments for the big one: 131071 + 131071 + the rest, none self-contained.
  std::string out;
  ASSERT_TRUE(
      EncodeSegments(Envelope(7, Opcode::kResult, 300 * 1024), SegmentCompression::kNone, &out)
          .ok());
  EXPECT_EQ(out[2] & 0x02, 0);
  EXPECT_EQ(out.size(), 3 * 10 + 300 * 1024 + 9);
}

TEST(Segment, CorruptHeaderOrPayloadIsMalformedNotACrash) {
  std::string out;
  EncodeSegment(Envelope(1, Opcode::kQuery, 50), true, SegmentCompression::kNone, &out);
  for (size_t i = 0; i < out.size(); ++i) {
    std::string bad = out;
    bad[i] ^= 0x10;
    SegmentDecoder d(SegmentCompression::kNone);
    std::string back;
    auto n = d.Decode(bad, &back);
    // The CRC24 catches a flipped length bit before the decoder waits for a longer payload.
    ASSERT_FALSE(n.ok()) << "byte " << i;
    EXPECT_EQ(n.error().code(), StatusCode::kMalformed) << "byte " << i;
    EXPECT_TRUE(back.empty());
  }
  // The header CRC is checked first, so a forged 128 KiB length never waits for a payload.
  std::string forged = out;
  forged[0] = static_cast<char>(0xFF);
  forged[1] = static_cast<char>(0xFF);
  SegmentDecoder d(SegmentCompression::kNone);
  std::string back;
  auto n = d.Decode(forged, &back);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message().find("CRC mismatch detected in frame header"), std::string::npos);
  // Once failed, always failed.
  EXPECT_FALSE(d.Decode(out, &back).ok());
}

TEST(Segment, SelfContainedSegmentMustHoldWholeEnvelopes) {
  std::string env = Envelope(1, Opcode::kQuery, 50);
  std::string out;
  EncodeSegment(std::string_view(env).substr(0, 30), true, SegmentCompression::kNone, &out);
  EXPECT_EQ(DecodeError(out, SegmentCompression::kNone), StatusCode::kMalformed);
}

TEST(Segment, LargeEnvelopeOverTheLimitIsRefusedBeforeBuffering) {
  std::string out;
  std::string env = Envelope(1, Opcode::kQuery, 200 * 1024);
  ASSERT_TRUE(EncodeSegments(env, SegmentCompression::kNone, &out).ok());
  EXPECT_EQ(DecodeError(out, SegmentCompression::kNone, 64 * 1024), StatusCode::kTooLarge);
}

TEST(Segment, SegmentRunningPastItsLargeEnvelopeIsMalformed) {
  std::string env = Envelope(1, Opcode::kQuery, 20);
  std::string out;
  EncodeSegment(env + env, false, SegmentCompression::kNone, &out);
  EXPECT_EQ(DecodeError(out, SegmentCompression::kNone), StatusCode::kMalformed);
}

TEST(Segment, CorruptLz4PayloadIsMalformed) {
  std::string out;
  EncodeSegment(Envelope(2, Opcode::kQuery, 200), true, SegmentCompression::kLz4, &out);
  // Break the LZ4 block but keep the CRC32 right, so only decompression can notice.
  std::string payload = out.substr(8, out.size() - 12);
  payload[0] = static_cast<char>(0xFF);  // token: a literal run longer than the block
  uint32_t crc = SegmentCrc32(payload);
  std::string bad = out.substr(0, 8) + payload;
  for (int i = 0; i < 4; ++i) bad.push_back(static_cast<char>(crc >> (8 * i)));
  EXPECT_EQ(DecodeError(bad, SegmentCompression::kLz4), StatusCode::kMalformed);
}

TEST(Segment, EncodeSegmentsRefusesATruncatedEnvelope) {
  std::string env = Envelope(1, Opcode::kQuery, 20);
  std::string out = "keep";
  EXPECT_FALSE(
      EncodeSegments(std::string_view(env).substr(0, 15), SegmentCompression::kNone, &out).ok());
  EXPECT_EQ(out, "keep");
}

}  // namespace
}  // namespace postfork::cql
