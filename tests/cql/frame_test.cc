#include "postfork/cql/frame.h"

#include <gtest/gtest.h>

#include "postfork/cql/compression.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/murmur3.h"

namespace postfork::cql {
namespace {

TEST(Frame, HeaderRoundTripsAndBeginFinishFillsLength) {
  std::string out = "prefix";
  FrameHeader h;
  h.is_response = true;
  h.flags = frame_flags::kWarning;
  h.stream = -1;
  h.opcode = Opcode::kResult;
  size_t at = BeginFrame(&out, h);
  ByteWriter w(&out);
  w.WriteInt(1);
  FinishFrame(&out, at);
  FrameHeader back;
  auto res = ParseFrameHeader(std::string_view(out).substr(at), &back);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(*res, HeaderParse::kOk);
  EXPECT_EQ(back.version, 4);
  EXPECT_TRUE(back.is_response);
  EXPECT_EQ(back.flags, frame_flags::kWarning);
  EXPECT_EQ(back.stream, -1);
  EXPECT_EQ(back.opcode, Opcode::kResult);
  EXPECT_EQ(back.length, 4u);
  EXPECT_EQ(static_cast<uint8_t>(out[at]), 0x84);
}

TEST(Frame, ParseNeedsNineBytesAndChecksLimitsAndOpcodes) {
  FrameHeader h;
  EXPECT_EQ(*ParseFrameHeader(std::string_view("\x04\x00\x00", 3), &h), HeaderParse::kNeedMore);
  std::string big("\x04\x00\x00\x01\x07\x7F\xFF\xFF\xFF", 9);
  auto res = ParseFrameHeader(big, &h);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code(), StatusCode::kTooLarge);
  EXPECT_EQ(ParseFrameHeader(std::string("\x04\x00\x00\x01\x07\x00\x00\x01\x00", 9), &h, 100)
                .error()
                .code(),
            StatusCode::kTooLarge);
  auto bad_op = ParseFrameHeader(std::string("\x04\x00\x00\x01\x04\x00\x00\x00\x00", 9), &h);
  ASSERT_FALSE(bad_op.ok());
  EXPECT_EQ(bad_op.error().code(), StatusCode::kMalformed);
  // Unsupported versions are returned as sent so the caller can answer them.
  ASSERT_TRUE(ParseFrameHeader(std::string("\x05\x00\x00\x01\x05\x00\x00\x00\x00", 9), &h).ok());
  EXPECT_EQ(h.version, 5);
  EXPECT_EQ(OpcodeName(Opcode::kAuthSuccess), "AUTH_SUCCESS");
  EXPECT_FALSE(IsKnownOpcode(0x11));
}

TEST(Compression, Lz4AndSnappyRoundTripAndRejectCorruption) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += "row " + std::to_string(i % 17) + ";";
  for (Compression c : {Compression::kLz4, Compression::kSnappy}) {
    std::string packed;
    ASSERT_TRUE(Compress(c, body, &packed).ok());
    EXPECT_LT(packed.size(), body.size());
    std::string unpacked;
    ASSERT_TRUE(Decompress(c, packed, &unpacked, body.size()).ok());
    EXPECT_EQ(unpacked, body);
    std::string small;
    EXPECT_EQ(Decompress(c, packed, &small, body.size() - 1).code(), StatusCode::kTooLarge);
    std::string corrupt = packed.substr(0, packed.size() / 2);
    std::string out;
    EXPECT_FALSE(Decompress(c, corrupt, &out, 1 << 20).ok()) << CompressionName(c);
    std::string empty_packed, empty_out;
    ASSERT_TRUE(Compress(c, "", &empty_packed).ok());
    ASSERT_TRUE(Decompress(c, empty_packed, &empty_out, 10).ok());
    EXPECT_TRUE(empty_out.empty());
  }
  // LZ4's 4-byte big-endian length prefix.
  std::string packed;
  ASSERT_TRUE(Compress(Compression::kLz4, body, &packed).ok());
  EXPECT_EQ(LoadBE32(packed.data()), body.size());
  // A prefix claiming far more than the block could hold is refused before allocating.
  std::string liar("\x0F\xFF\xFF\xFF\x00", 5);
  std::string out;
  EXPECT_FALSE(Decompress(Compression::kLz4, liar, &out, kDefaultMaxBodyLength).ok());
  EXPECT_EQ(*ParseCompression("LZ4"), Compression::kLz4);
  EXPECT_EQ(*ParseCompression("snappy"), Compression::kSnappy);
  EXPECT_FALSE(ParseCompression("zstd").ok());
}

TEST(Compression, DecodesAHandBuiltSpecLz4FrameBody) {
  // Spec section 5: [int] uncompressed length, then an LZ4 block. A block holding only
  // literals is token 0xF0 + extra length byte + the bytes, so this is independent of liblz4.
  QueryMessage q;
  q.query = "SELECT * FROM system.local";
  std::string body;
  ByteWriter bw(&body);
  q.Encode(bw);
  ASSERT_GE(body.size(), 15u);
  ASSERT_LT(body.size(), 15u + 255u);
  std::string packed;
  ByteWriter pw(&packed);
  pw.WriteInt(static_cast<int32_t>(body.size()));
  pw.WriteByte(0xF0);
  pw.WriteByte(static_cast<uint8_t>(body.size() - 15));
  pw.WriteRaw(body);
  std::string frame;
  FrameHeader h;
  h.flags = frame_flags::kCompression;
  h.opcode = Opcode::kQuery;
  size_t at = BeginFrame(&frame, h);
  frame += packed;
  FinishFrame(&frame, at);

  FrameHeader parsed;
  ASSERT_TRUE(ParseFrameHeader(frame, &parsed).ok());
  EXPECT_TRUE(parsed.flags & frame_flags::kCompression);
  std::string plain;
  ASSERT_TRUE(Decompress(Compression::kLz4, std::string_view(frame).substr(kFrameHeaderSize),
                         &plain, kDefaultMaxBodyLength)
                  .ok());
  ByteReader r(plain);
  auto back = QueryMessage::Decode(r);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->query, "SELECT * FROM system.local");
}

TEST(Murmur3, MatchesCassandraTokens) {
  // Cassandra: token(1) for an int partition key.
  EXPECT_EQ(Murmur3Token(std::string("\x00\x00\x00\x01", 4)), -4069959284402364209LL);
  EXPECT_EQ(Murmur3Token(""), 0);
}

TEST(Murmur3, CompositeKeyLayout) {
  EXPECT_EQ(CompositePartitionKey({"ab"}), "ab");
  EXPECT_EQ(CompositePartitionKey({"ab", ""}), std::string("\x00\x02"
                                                           "ab\x00\x00\x00\x00",
                                                           8));
}

}  // namespace
}  // namespace postfork::cql
