#include "postfork/cql/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace postfork::cql {
namespace {

DataType T(TypeKind k) { return DataType(k); }

void ExpectRoundTrip(const Value& v, const DataType& type) {
  std::string body;
  Status st = SerializeValue(v, type, &body);
  ASSERT_TRUE(st.ok()) << type.ToCql() << ": " << st.ToString();
  EXPECT_TRUE(ValidateValue(body, type).ok()) << type.ToCql();
  auto back = DeserializeValue(body, type);
  ASSERT_TRUE(back.ok()) << type.ToCql() << ": " << back.error().ToString();
  EXPECT_EQ(*back, v) << type.ToCql() << " " << v.ToCqlLiteral(type);
}

TEST(Value, NativeTypesRoundTripWithEdgeValues) {
  ExpectRoundTrip(true, T(TypeKind::kBoolean));
  ExpectRoundTrip(int8_t{-128}, T(TypeKind::kTinyint));
  ExpectRoundTrip(int16_t{32767}, T(TypeKind::kSmallint));
  ExpectRoundTrip(std::numeric_limits<int32_t>::min(), T(TypeKind::kInt));
  ExpectRoundTrip(std::numeric_limits<int64_t>::max(), T(TypeKind::kBigint));
  ExpectRoundTrip(int64_t{-5}, T(TypeKind::kCounter));
  ExpectRoundTrip(1.5f, T(TypeKind::kFloat));
  ExpectRoundTrip(-0.25, T(TypeKind::kDouble));
  ExpectRoundTrip(std::numeric_limits<double>::infinity(), T(TypeKind::kDouble));
  ExpectRoundTrip(std::string(""), T(TypeKind::kText));
  ExpectRoundTrip(std::string("h\xC3\xA9llo \xF0\x9F\x98\x80"), T(TypeKind::kText));
  ExpectRoundTrip(std::string("plain"), T(TypeKind::kAscii));
  ExpectRoundTrip(Blob{std::string("\x00\xFF", 2)}, T(TypeKind::kBlob));
  ExpectRoundTrip(Blob{""}, T(TypeKind::kBlob));
  ExpectRoundTrip(*Uuid::Parse("550e8400-e29b-41d4-a716-446655440000"), T(TypeKind::kUuid));
  ExpectRoundTrip(*Uuid::Parse("e7bd1a10-8d1e-11ee-b9d1-0242ac120002"), T(TypeKind::kTimeuuid));
  ExpectRoundTrip(*Inet::Parse("127.0.0.1"), T(TypeKind::kInet));
  ExpectRoundTrip(*Inet::Parse("::1"), T(TypeKind::kInet));
  ExpectRoundTrip(Varint::FromInt64(-129), T(TypeKind::kVarint));
  ExpectRoundTrip(*Varint::Parse("-123456789012345678901234567890"), T(TypeKind::kVarint));
  ExpectRoundTrip(*Decimal::Parse("-12.345"), T(TypeKind::kDecimal));
  ExpectRoundTrip(Duration{1, -0, 0}, T(TypeKind::kDuration));
  ExpectRoundTrip(Duration{-14, -3, -1000}, T(TypeKind::kDuration));
  ExpectRoundTrip(*Date::Parse("2024-02-29"), T(TypeKind::kDate));
  ExpectRoundTrip(Time{86399999999999}, T(TypeKind::kTime));
  ExpectRoundTrip(Timestamp{-1}, T(TypeKind::kTimestamp));
  ExpectRoundTrip(Blob{"raw"}, DataType::Custom("org.example.X"));
}

TEST(Value, CollectionsTuplesAndUdtsRoundTrip) {
  auto list = DataType::List(T(TypeKind::kInt));
  ExpectRoundTrip(ValueList{}, list);
  ExpectRoundTrip(ValueList{int32_t{1}, int32_t{-2}, int32_t{3}}, list);
  auto nested = DataType::Map(T(TypeKind::kText), DataType::List(DataType::Set(T(TypeKind::kInt))));
  ExpectRoundTrip(ValueMap{{Value("a"), Value(ValueList{Value(ValueList{int32_t{1}})})},
                           {Value("b"), Value(ValueList{})}},
                  nested);
  auto tuple = DataType::Tuple({T(TypeKind::kInt), T(TypeKind::kText), T(TypeKind::kBoolean)});
  ExpectRoundTrip(ValueList{int32_t{7}, Value(), true}, tuple);
  auto udt = DataType::Udt("ks", "address", {"street", "zip"},
                           {T(TypeKind::kText), DataType::Set(T(TypeKind::kBigint))});
  ExpectRoundTrip(ValueList{Value("Main St"), Value(ValueList{int64_t{1}, int64_t{2}})}, udt);
}

TEST(Value, IntegersOfOtherWidthsAreAcceptedWhenTheyFit) {
  std::string body;
  EXPECT_TRUE(SerializeValue(int64_t{5}, T(TypeKind::kInt), &body).ok());
  EXPECT_EQ(body, std::string("\x00\x00\x00\x05", 4));
  body.clear();
  EXPECT_TRUE(SerializeValue(int8_t{-1}, T(TypeKind::kBigint), &body).ok());
  EXPECT_EQ(body, std::string(8, '\xFF'));
  body.clear();
  EXPECT_EQ(SerializeValue(int32_t{300}, T(TypeKind::kTinyint), &body).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SerializeValue(std::string("x"), T(TypeKind::kInt), &body).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SerializeValue(int32_t{1}, T(TypeKind::kText), &body).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(SerializeValue(int64_t{1700000000000}, T(TypeKind::kTimestamp), &body).ok());
}

TEST(Value, TextMustBeUtf8AndAsciiSevenBit) {
  std::string body;
  EXPECT_FALSE(SerializeValue(std::string("\xC3"), T(TypeKind::kText), &body).ok());
  EXPECT_FALSE(SerializeValue(std::string("caf\xC3\xA9"), T(TypeKind::kAscii), &body).ok());
  for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "abc\x80"}) {
    EXPECT_EQ(ValidateValue(bad, T(TypeKind::kText)).code(), StatusCode::kMalformed) << bad;
    EXPECT_FALSE(DeserializeValue(bad, T(TypeKind::kText)).ok());
  }
  EXPECT_TRUE(ValidateValue("\xE2\x82\xAC", T(TypeKind::kText)).ok());
  EXPECT_FALSE(ValidateValue("\xE2\x82\xAC", T(TypeKind::kAscii)).ok());
}

TEST(Value, WriteValueWritesNullUnsetAndLengths) {
  std::string buf;
  ByteWriter w(&buf);
  ASSERT_TRUE(WriteValue(Value(), T(TypeKind::kInt), w).ok());
  ASSERT_TRUE(WriteValue(Unset{}, T(TypeKind::kInt), w).ok());
  ASSERT_TRUE(WriteValue(int32_t{9}, T(TypeKind::kInt), w).ok());
  EXPECT_FALSE(WriteValue(std::string("x"), T(TypeKind::kInt), w).ok());
  ByteReader r(buf);
  EXPECT_TRUE(r.ReadValue()->is_null());
  EXPECT_TRUE(r.ReadValue()->is_unset());
  EXPECT_EQ(r.ReadValue()->bytes, std::string("\x00\x00\x00\x09", 4));
  EXPECT_TRUE(r.empty());  // the failed write left nothing behind
}

TEST(Value, DeserializeRejectsWrongSizesAndHostileCollections) {
  EXPECT_FALSE(DeserializeValue("abc", T(TypeKind::kInt)).ok());
  EXPECT_FALSE(DeserializeValue("abcdefghi", T(TypeKind::kBigint)).ok());
  EXPECT_FALSE(DeserializeValue("abc", T(TypeKind::kUuid)).ok());
  EXPECT_FALSE(DeserializeValue("abcde", T(TypeKind::kInet)).ok());
  EXPECT_FALSE(DeserializeValue("ab", T(TypeKind::kBoolean)).ok());
  EXPECT_FALSE(
      DeserializeValue(std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8), T(TypeKind::kTime))
          .ok());
  auto list = DataType::List(T(TypeKind::kInt));
  EXPECT_FALSE(DeserializeValue(std::string("\xFF\xFF\xFF\xFD", 4), list).ok());  // negative
  EXPECT_FALSE(DeserializeValue(std::string("\x7F\xFF\xFF\xFF", 4), list).ok());  // huge count
  EXPECT_FALSE(DeserializeValue(std::string("\x00\x00\x00\x01\x00\x00\x00\x04\x00", 9), list).ok());
  EXPECT_FALSE(
      DeserializeValue(std::string("\x00\x00\x00\x01\xFF\xFF\xFF\xFF", 8), list).ok());  // null
  // Trailing bytes after the elements.
  EXPECT_FALSE(DeserializeValue(std::string("\x00\x00\x00\x00z", 5), list).ok());
  // Timeuuid must be version 1.
  std::string v4(16, '\0');
  v4[6] = 0x40;
  EXPECT_FALSE(ValidateValue(v4, T(TypeKind::kTimeuuid)).ok());
  // Duration with mixed signs.
  std::string mixed;
  ByteWriter w(&mixed);
  w.WriteVInt(1);
  w.WriteVInt(-1);
  w.WriteVInt(0);
  EXPECT_FALSE(ValidateValue(mixed, T(TypeKind::kDuration)).ok());
}

TEST(Value, EmptyBodiesOfFixedSizeTypesReadAsNull) {
  EXPECT_TRUE(DeserializeValue("", T(TypeKind::kInt))->is_null());
  EXPECT_TRUE(ValidateValue("", T(TypeKind::kUuid)).ok());
  EXPECT_EQ(*DeserializeValue("", T(TypeKind::kText)), Value(std::string()));
}

TEST(Value, DeeplyNestedBodiesAreRejected) {
  DataType t(TypeKind::kInt);
  for (int i = 0; i < DataType::kMaxDepth + 4; ++i) t = DataType::List(t);
  // One element per level, innermost an int.
  std::string body("\x00\x00\x00\x01", 4);
  for (int i = 0; i < DataType::kMaxDepth + 3; ++i) {
    std::string outer("\x00\x00\x00\x01", 4);
    uint32_t n = static_cast<uint32_t>(body.size());
    outer += static_cast<char>(n >> 24);
    outer += static_cast<char>(n >> 16);
    outer += static_cast<char>(n >> 8);
    outer += static_cast<char>(n);
    outer += body;
    body = outer;
  }
  EXPECT_FALSE(ValidateValue(body, t).ok());
}

TEST(Varint, ParsesPrintsAndIsMinimal) {
  for (const char* s :
       {"0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "-256", "9223372036854775807",
        "-9223372036854775808", "123456789012345678901234567890", "-98765432109876543210"}) {
    auto v = Varint::Parse(s);
    ASSERT_TRUE(v.ok()) << s;
    EXPECT_EQ(v->ToString(), s);
  }
  EXPECT_EQ(Varint::FromInt64(128).bytes, std::string("\x00\x80", 2));
  EXPECT_EQ(Varint::FromInt64(-128).bytes, std::string("\x80", 1));
  EXPECT_EQ(Varint::FromInt64(-129).bytes, std::string("\xFF\x7F", 2));
  EXPECT_EQ(Varint::FromInt64(0).bytes, std::string("\x00", 1));
  EXPECT_EQ(*Varint::Parse("-255"), Varint::FromInt64(-255));
  EXPECT_EQ(Varint::FromBytes(std::string("\xFF\xFF\x80", 3)).bytes, std::string("\x80", 1));
  EXPECT_FALSE(Varint::Parse("12a").ok());
  EXPECT_FALSE(Varint::Parse("").ok());
  EXPECT_FALSE(Varint::Parse("-").ok());
}

TEST(Decimal, ParsesAndPrintsLikeJavaBigDecimal) {
  auto d = *Decimal::Parse("-12.345");
  EXPECT_EQ(d.scale, 3);
  EXPECT_EQ(d.unscaled, Varint::FromInt64(-12345));
  EXPECT_EQ(d.ToString(), "-12.345");
  auto e = *Decimal::Parse("1E+3");
  EXPECT_EQ(e.scale, -3);
  EXPECT_EQ(e.ToString(), "1E+3");
  EXPECT_EQ(Decimal::Parse("0.001")->ToString(), "0.001");
  EXPECT_EQ(Decimal::Parse("0.00000001")->ToString(), "1E-8");
  EXPECT_EQ(Decimal::Parse("100")->ToString(), "100");
  EXPECT_EQ(Decimal::Parse("-0.5")->ToString(), "-0.5");
  EXPECT_FALSE(Decimal::Parse("1.2.3").ok());
  EXPECT_FALSE(Decimal::Parse("abc").ok());
}

TEST(Duration, ParsesCassandraAndIsoFormsAndPrints) {
  EXPECT_EQ(*Duration::Parse("1h30m"), (Duration{0, 0, 90LL * 60 * 1000000000}));
  EXPECT_EQ(*Duration::Parse("P1DT2H"), (Duration{0, 1, 2LL * 3600 * 1000000000}));
  EXPECT_EQ(*Duration::Parse("-3d"), (Duration{0, -3, 0}));
  EXPECT_EQ(*Duration::Parse("1y2mo"), (Duration{14, 0, 0}));
  EXPECT_EQ(*Duration::Parse("P2W"), (Duration{0, 14, 0}));
  EXPECT_EQ(*Duration::Parse("5ms7us3ns"), (Duration{0, 0, 5007003}));
  EXPECT_EQ((Duration{14, 3, 3661000000001}).ToString(), "1y2mo3d1h1m1s1ns");
  EXPECT_EQ((Duration{0, -3, 0}).ToString(), "-3d");
  for (const char* s : {"1h30m", "-3d", "1y2mo3d4h5m6s7ms8us9ns"})
    EXPECT_EQ(Duration::Parse(Duration::Parse(s)->ToString())->ToString(),
              Duration::Parse(s)->ToString());
  EXPECT_FALSE(Duration::Parse("").ok());
  EXPECT_FALSE(Duration::Parse("3x").ok());
  EXPECT_FALSE(Duration::Parse("h").ok());
  EXPECT_FALSE(Duration::Parse("99999999999y").ok());
}

TEST(Duration, FollowsCassandrasDurationFrom) {
  constexpr int64_t kHour = 3600LL * 1000000000;
  EXPECT_EQ(*Duration::Parse("P0001-02-03T04:05:06"),
            (Duration{14, 3, 4 * kHour + 5 * 60000000000LL + 6000000000LL}));
  EXPECT_EQ(*Duration::Parse("-P2W"), (Duration{0, -14, 0}));
  EXPECT_EQ(*Duration::Parse("PT30H20M"), (Duration{0, 0, 30 * kHour + 20 * 60000000000LL}));
  EXPECT_EQ(*Duration::Parse("1\xC2\xB5s"), (Duration{0, 0, 1000}));
  auto message = [](std::string_view text) { return Duration::Parse(text).error().message(); };
  EXPECT_EQ(message("2m3m"), "Invalid duration. The minutes are specified multiple times");
  EXPECT_EQ(message("12s3m"), "Invalid duration. The seconds should be after minutes");
  EXPECT_EQ(message("1D2MO3Ms"), "Invalid duration. The days should be after months");
  EXPECT_EQ(message("1y3m4d"), "Invalid duration. The minutes should be after days");
  EXPECT_EQ(message("3000000000mo"),
            "Invalid duration. The total number of months must be less or equal to 2147483647");
  EXPECT_EQ(message("-3x"), "Unable to convert '3x' to a duration");
  EXPECT_EQ(message("p1D"), "Unable to convert 'p1D' to a duration");  // ISO is upper case
  EXPECT_EQ(message("P1Y2W"), "Unable to convert 'P1Y2W' to a duration");
}

TEST(DateTime, ParseAndPrint) {
  EXPECT_EQ(Date::Parse("1970-01-01")->days, 1u << 31);
  EXPECT_EQ(Date::Parse("2024-02-29")->ToString(), "2024-02-29");
  EXPECT_EQ(Date::Parse("1969-12-31")->days, (1u << 31) - 1);
  EXPECT_FALSE(Date::Parse("2023-02-29").ok());
  EXPECT_FALSE(Date::Parse("2023-13-01").ok());
  EXPECT_EQ(Time::Parse("13:30:54.234")->nanos,
            ((13 * 60 + 30) * 60 + 54) * 1000000000LL + 234000000LL);
  EXPECT_EQ(Time::Parse("13:30:54.234")->ToString(), "13:30:54.234000000");
  EXPECT_FALSE(Time::Parse("24:00:00").ok());
  EXPECT_EQ(Timestamp::Parse("1970-01-01 00:00:00+0000")->millis, 0);
  EXPECT_EQ(Timestamp::Parse("2024-02-29T13:30:54.234Z")->millis, 1709213454234);
  EXPECT_EQ(Timestamp::Parse("2024-02-29 14:30:54.234+01:00")->millis, 1709213454234);
  EXPECT_EQ(Timestamp::Parse("2024-02-29")->millis, 1709164800000);
  EXPECT_EQ(Timestamp::Parse("1709213454234")->millis, 1709213454234);
  EXPECT_EQ(Timestamp{1709213454234}.ToString(), "2024-02-29 13:30:54.234000+0000");
  EXPECT_EQ(Timestamp{-1}.ToString(), "1969-12-31 23:59:59.999000+0000");
  EXPECT_FALSE(Timestamp::Parse("yesterday").ok());
}

TEST(InetText, AnIpv4MappedAddressIsTheIpv4Address) {
  auto mapped = Inet::Parse("::ffff:1.2.3.4");
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->size, 4);
  EXPECT_EQ(mapped->ToString(), "1.2.3.4");
  EXPECT_EQ(*mapped, *Inet::Parse("1.2.3.4"));
  EXPECT_EQ(Inet::Parse("::1")->size, 16);
}

TEST(DateTime, TimestampFieldsAsJavasPatternsReadThem) {
  // With a time, every field takes one digit or more (y-M-d H:m[:s]); SMART resolution.
  EXPECT_EQ(Timestamp::Parse("2024-01-01 1:2")->millis, 1704070920000);
  EXPECT_EQ(Timestamp::Parse("2024-1-1T1:2:3.4")->millis, 1704070923400);
  EXPECT_EQ(Timestamp::Parse("2024-01-01 24:00")->millis, 1704153600000);
  EXPECT_EQ(Timestamp::Parse("2024-02-30 10:00")->millis, 1709200800000);
  EXPECT_EQ(Timestamp::Parse("2024-01-01 10:00:00.")->millis, 1704103200000);
  EXPECT_EQ(Timestamp::Parse("2024-01-01 1:2 +01:00")->millis, 1704067320000);
  // A date alone is yyyy-MM-dd, a longer year signed.
  EXPECT_EQ(Timestamp::Parse("2024-01-01 +01:00")->millis, 1704063600000);
  EXPECT_EQ(Timestamp::Parse("+12024-01-01")->millis, 317273587200000);
  EXPECT_EQ(Timestamp::Parse("2024-02-30")->millis, 1709164800000);
  for (const char* text : {"2024-1-01", "202-01-01", "12024-01-01", "2024-01-01 24:01",
                           "2024-01-01 10:00.5", "-2024-01-01 10:00", "2024-02-32 10:00",
                           "2024-01-01 10:00:00.1234567891", "2024-01-01T", "2024-01-01 10:00 "}) {
    EXPECT_FALSE(Timestamp::Parse(text).ok()) << text;
  }
}

TEST(DateTime, TimestampWithAUtcZoneName) {
  // Cassandra's TimestampSerializer reads " z" and " zzzz" zone names after one space.
  const int64_t t = 1296705900000;  // 2011-02-03 04:05:00 UTC
  for (const char* text : {"2011-02-03 04:05:00 UTC", "2011-02-03 04:05:00 GMT",
                           "2011-02-03 04:05:00 UT", "2011-02-03T04:05 UTC",
                           "2011-02-03 04:05:00 Coordinated Universal Time",
                           "2011-02-03 04:05:00 Etc/UTC", "2011-02-03 05:05:00 UTC+01:00",
                           "2011-02-03 03:05:00 GMT-1"}) {
    auto ts = Timestamp::Parse(text);
    ASSERT_TRUE(ts.ok()) << text;
    EXPECT_EQ(ts->millis, t) << text;
  }
  EXPECT_EQ(Timestamp::Parse("2011-02-03 04:05:00.123 UTC")->millis, t + 123);
  EXPECT_EQ(Timestamp::Parse("2011-02-03 UTC")->millis, t - (4 * 60 + 5) * 60000);
  // Case matters; one space only; regions need a zone database the node does not carry.
  for (const char* text : {"2011-02-03 04:05:00 utc", "2011-02-03 04:05:00  UTC",
                           "2011-02-03 04:05:00UTC", "2011-02-03 04:05:00 Europe/Paris"}) {
    EXPECT_FALSE(Timestamp::Parse(text).ok()) << text;
  }
  // Extremes print without overflow; dates beyond int64 milliseconds are rejected.
  EXPECT_FALSE(Timestamp{INT64_MIN}.ToString().empty());
  EXPECT_FALSE(Timestamp{INT64_MAX}.ToString().empty());
  EXPECT_FALSE(Timestamp::Parse("292278994-08-17 07:12:55.807Z").ok());
  EXPECT_EQ(Timestamp::Parse(Timestamp{-86400001}.ToString())->millis, -86400001);
}

TEST(UuidInet, ParseAndPrint) {
  auto u = Uuid::Parse("550E8400-e29b-41d4-a716-446655440000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->ToString(), "550e8400-e29b-41d4-a716-446655440000");
  EXPECT_EQ(u->version(), 4);
  EXPECT_FALSE(Uuid::Parse("550e8400e29b41d4a716446655440000").ok());
  EXPECT_FALSE(Uuid::Parse("g50e8400-e29b-41d4-a716-446655440000").ok());
  EXPECT_EQ(Inet::Parse("10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_EQ(Inet::Parse("2001:db8::1")->ToString(), "2001:db8::1");
  EXPECT_FALSE(Inet::Parse("300.1.1.1").ok());
}

TEST(Value, ToCqlLiteralPrintsAsCqlsh) {
  EXPECT_EQ(Value("it's").ToCqlLiteral(T(TypeKind::kText)), "'it''s'");
  EXPECT_EQ(Value(Blob{"\x01\xAB"}).ToCqlLiteral(T(TypeKind::kBlob)), "0x01ab");
  EXPECT_EQ(Value(int32_t{-4}).ToCqlLiteral(T(TypeKind::kInt)), "-4");
  EXPECT_EQ(Value().ToCqlLiteral(T(TypeKind::kInt)), "null");
  EXPECT_EQ(Value(std::nan("")).ToCqlLiteral(T(TypeKind::kDouble)), "NaN");
  EXPECT_EQ(Value(1.5).ToCqlLiteral(T(TypeKind::kDouble)), "1.5");
  auto map = DataType::Map(T(TypeKind::kText), DataType::List(T(TypeKind::kInt)));
  Value m(ValueMap{{Value("a"), Value(ValueList{int32_t{1}, int32_t{2}})}});
  EXPECT_EQ(m.ToCqlLiteral(map), "{'a': [1, 2]}");
  EXPECT_EQ(Value(ValueList{int32_t{1}, Value("x")})
                .ToCqlLiteral(DataType::Tuple({T(TypeKind::kInt), T(TypeKind::kText)})),
            "(1, 'x')");
  auto udt = DataType::Udt("ks", "u", {"a", "b"}, {T(TypeKind::kInt), T(TypeKind::kText)});
  EXPECT_EQ(Value(ValueList{int32_t{1}, Value("x")}).ToCqlLiteral(udt), "{a: 1, b: 'x'}");
  EXPECT_EQ(Value(ValueList{int32_t{3}}).ToCqlLiteral(DataType::Set(T(TypeKind::kInt))), "{3}");
}

TEST(Value, VectorsSerializeAsVectorType) {
  DataType floats = DataType::Vector(DataType(TypeKind::kFloat), 2);
  std::string body;
  ASSERT_TRUE(SerializeValue(ValueList{1.0f, -2.0f}, floats, &body).ok());
  EXPECT_EQ(body, std::string("\x3f\x80\x00\x00\xc0\x00\x00\x00", 8));  // no lengths
  auto back = DeserializeValue(body, floats);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Value(ValueList{1.0f, -2.0f}));
  // Variable-size elements each behind an unsigned vint length.
  DataType texts = DataType::Vector(DataType(TypeKind::kText), 2);
  body.clear();
  ASSERT_TRUE(SerializeValue(ValueList{std::string("a"), std::string("bcd")}, texts, &body).ok());
  EXPECT_EQ(body, std::string("\x01"
                              "a"
                              "\x03"
                              "bcd"));
  ASSERT_TRUE(DeserializeValue(body, texts).ok());
  // Wrong sizes, counts and empty bodies are refused with Cassandra's messages.
  EXPECT_FALSE(SerializeValue(ValueList{1.0f}, floats, &body).ok());
  EXPECT_FALSE(ValidateValue(std::string(4, '\0'), floats).ok());
  Status extra = ValidateValue(std::string(12, '\0'), floats);
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.message().find("Unexpected 4 extraneous bytes after vector<float, 2> value"),
            std::string::npos);
  EXPECT_FALSE(ValidateValue("", floats).ok());
  EXPECT_FALSE(ValidateValue(std::string("\x05"
                                         "a",
                                         2),
                             texts)
                   .ok());
}

}  // namespace
}  // namespace postfork::cql
