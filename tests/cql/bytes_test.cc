#include "postfork/cql/bytes.h"

#include <gtest/gtest.h>

#include <limits>

namespace postfork::cql {
namespace {

TEST(ByteWriterReader, PrimitivesRoundTripBigEndian) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteByte(0xAB);
  w.WriteShort(0xBEEF);
  w.WriteInt(-2);
  w.WriteLong(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(buf.substr(0, 3), std::string("\xAB\xBE\xEF", 3));
  ByteReader r(buf);
  EXPECT_EQ(*r.ReadByte(), 0xAB);
  EXPECT_EQ(*r.ReadShort(), 0xBEEF);
  EXPECT_EQ(*r.ReadInt(), -2);
  EXPECT_EQ(*r.ReadLong(), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(r.empty());
  auto eof = r.ReadByte();
  ASSERT_FALSE(eof.ok());
  EXPECT_EQ(eof.error().code(), StatusCode::kTruncated);
}

TEST(ByteWriterReader, StringsBytesAndValues) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteString("abc");
  w.WriteLongString("");
  w.WriteBytes(std::nullopt);
  w.WriteBytes(std::string_view("xy"));
  w.WriteShortBytes("id");
  w.WriteValue(RawValue::Null());
  w.WriteValue(RawValue::Unset());
  w.WriteValue(RawValue::Of(""));
  ByteReader r(buf);
  EXPECT_EQ(*r.ReadString(), "abc");
  EXPECT_EQ(*r.ReadLongString(), "");
  EXPECT_FALSE(r.ReadBytes()->has_value());
  EXPECT_EQ(**r.ReadBytes(), "xy");
  EXPECT_EQ(*r.ReadShortBytes(), "id");
  EXPECT_TRUE(r.ReadValue()->is_null());
  EXPECT_TRUE(r.ReadValue()->is_unset());
  RawValue empty = *r.ReadValue();
  EXPECT_EQ(empty.kind, RawValue::Kind::kBytes);
  EXPECT_EQ(empty.bytes, "");
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, RejectsNegativeAndOversizedLengths) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteInt(-3);
  ByteReader r1(buf);
  auto v = r1.ReadValue();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code(), StatusCode::kMalformed);
  ByteReader r2(buf);
  EXPECT_EQ(r2.ReadLongString().error().code(), StatusCode::kMalformed);

  buf.clear();
  w.WriteInt(1000);
  buf += "short";
  ByteReader r3(buf);
  EXPECT_EQ(r3.ReadBytes().error().code(), StatusCode::kTruncated);
  buf.clear();
  w.WriteShort(10);
  buf += "abc";
  ByteReader r4(buf);
  EXPECT_EQ(r4.ReadString().error().code(), StatusCode::kMalformed);
}

TEST(ByteWriter, OverlongStringsAreCutAtACharacterBoundary) {
  std::string text(65534, 'a');
  text += "\xE2\x82\xAC";  // a 3-byte character straddling the limit
  std::string buf;
  ByteWriter w(&buf);
  w.WriteString(text);
  ByteReader r(buf);
  auto s = r.ReadString();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 65534u);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, CheckCountRejectsCountsBeyondRemainingBytes) {
  std::string buf(10, 'x');
  ByteReader r(buf);
  EXPECT_TRUE(r.CheckCount(2, 4, "item").ok());
  EXPECT_FALSE(r.CheckCount(3, 4, "item").ok());
  EXPECT_FALSE(r.CheckCount(-1, 4, "item").ok());
  EXPECT_FALSE(r.CheckCount(int64_t{1} << 62, 4, "item").ok());
}

TEST(ByteReader, StringListMapMultimapAndHostileCounts) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteStringMap({{"CQL_VERSION", "3.0.0"}, {"COMPRESSION", "lz4"}});
  w.WriteStringMultimap({{"COMPRESSION", {"lz4", "snappy"}}, {"CQL_VERSION", {"3.4.5"}}});
  w.WriteStringList({"a", "b"});
  w.WriteBytesMap({{"k", "v"}});
  ByteReader r(buf);
  auto m = *r.ReadStringMap();
  EXPECT_EQ(m.at("COMPRESSION"), "lz4");
  auto mm = *r.ReadStringMultimap();
  EXPECT_EQ(mm.at("COMPRESSION").size(), 2u);
  auto l = *r.ReadStringList();
  EXPECT_EQ(l.size(), 2u);
  EXPECT_EQ(r.ReadBytesMap()->at("k"), "v");
  EXPECT_TRUE(r.empty());

  std::string hostile("\xFF\xFF", 2);
  ByteReader h1(hostile);
  EXPECT_EQ(h1.ReadStringList().error().code(), StatusCode::kMalformed);
  ByteReader h2(hostile);
  EXPECT_FALSE(h2.ReadStringMap().ok());
  ByteReader h3(hostile);
  EXPECT_FALSE(h3.ReadStringMultimap().ok());
}

TEST(ByteReader, InetAddrSizes) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteInetAddr(std::string("\x7F\x00\x00\x01", 4));
  ByteReader r(buf);
  EXPECT_EQ(r.ReadInetAddr()->size(), 4u);
  std::string bad("\x05\x01\x02\x03\x04\x05", 6);
  ByteReader rb(bad);
  EXPECT_EQ(rb.ReadInetAddr().error().code(), StatusCode::kMalformed);
}

TEST(VInt, RoundTripsEdgeValuesAndMatchesCassandraEncoding) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64}, int64_t{64},
                    int64_t{8191}, int64_t{1} << 40, std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min()}) {
    std::string buf;
    ByteWriter w(&buf);
    w.WriteVInt(v);
    ByteReader r(buf);
    EXPECT_EQ(*r.ReadVInt(), v) << v;
    EXPECT_TRUE(r.empty());
  }
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{16383}, uint64_t{16384},
                     ~uint64_t{0}, uint64_t{1} << 56, (uint64_t{1} << 56) - 1}) {
    std::string buf;
    ByteWriter w(&buf);
    w.WriteUnsignedVInt(v);
    ByteReader r(buf);
    EXPECT_EQ(*r.ReadUnsignedVInt(), v) << v;
    EXPECT_TRUE(r.empty());
  }
  // Cassandra: 128 is 0x80 0x80 (one extra byte), 2^64-1 is 0xFF + 8 bytes.
  std::string buf;
  ByteWriter w(&buf);
  w.WriteUnsignedVInt(128);
  EXPECT_EQ(buf, std::string("\x80\x80", 2));
  buf.clear();
  w.WriteUnsignedVInt(~uint64_t{0});
  EXPECT_EQ(buf, std::string(9, '\xFF'));
  std::string truncated("\xC0\x01", 2);
  ByteReader r(truncated);
  EXPECT_EQ(r.ReadUnsignedVInt().error().code(), StatusCode::kTruncated);
}

}  // namespace
}  // namespace postfork::cql
