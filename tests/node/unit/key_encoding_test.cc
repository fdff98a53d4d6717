// Key encoding: byte order equals Cassandra's value order for each clustering type, DESC
// reverses it, every encoding decodes back to the value, and row values merge as Cassandra does.
#include "node/storage/key_encoding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "node/storage/row_format.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/value.h"

namespace postfork::node {
namespace {

std::string Serialize(const cql::Value& v, cql::TypeKind kind) {
  std::string out;
  Status s = cql::SerializeValue(v, cql::DataType(kind), &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string Encode(const cql::DataType& type, bool desc, const std::string& body) {
  std::string out;
  Status s = keys::AppendClusteringComponent(type, desc, body, keys::kCurrentKeyFormat, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Checks that encoding `sorted` (in ascending value order) yields strictly ascending keys
// (descending with desc), and that each key decodes to its value.
void ExpectOrderPreserved(const cql::DataType& type, const std::vector<std::string>& sorted) {
  for (bool desc : {false, true}) {
    std::vector<std::string> encoded;
    for (const auto& body : sorted) {
      encoded.push_back(Encode(type, desc, body));
      std::string with_suffix = encoded.back() + "\x05rest";
      std::string_view in = with_suffix;
      auto decoded = keys::ReadClusteringComponent(type, desc, keys::kCurrentKeyFormat, &in);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(in, "\x05rest");
      if (type.kind() == cql::TypeKind::kDecimal || type.kind() == cql::TypeKind::kTuple ||
          type.kind() == cql::TypeKind::kUdt) {
        // The value, maybe shorter (a decimal's shortest form, a tuple without trailing nulls).
        EXPECT_EQ(Encode(type, desc, *decoded), encoded.back());
      } else if (type.kind() != cql::TypeKind::kVarint) {
        EXPECT_EQ(*decoded, body);
      }
    }
    for (size_t i = 1; i < encoded.size(); ++i) {
      if (desc) {
        EXPECT_GT(encoded[i - 1], encoded[i]) << type.ToCql() << " at " << i;
      } else {
        EXPECT_LT(encoded[i - 1], encoded[i]) << type.ToCql() << " at " << i;
      }
    }
  }
}
void ExpectOrderPreserved(cql::TypeKind kind, const std::vector<std::string>& sorted) {
  ExpectOrderPreserved(cql::DataType(kind), sorted);
}

std::string SerializeAs(const cql::Value& v, const cql::DataType& type) {
  std::string out;
  Status s = cql::SerializeValue(v, type, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(KeyEncodingTest, FrozenCollectionsOrderElementByElement) {
  using cql::Value;
  using cql::ValueList;
  cql::DataType list = cql::DataType::List(cql::DataType(cql::TypeKind::kInt), true);
  // Cassandra's ListType order: element by element, a prefix first.
  std::vector<ValueList> lists = {{},
                                  {Value(-5)},
                                  {Value(-5), Value(3)},
                                  {Value(1)},
                                  {Value(1), Value(-2)},
                                  {Value(1), Value(2)},
                                  {Value(2)},
                                  {Value(10)}};
  std::vector<std::string> sorted;
  for (const auto& l : lists) sorted.push_back(SerializeAs(Value(l), list));
  ExpectOrderPreserved(list, sorted);

  cql::DataType map = cql::DataType::Map(cql::DataType(cql::TypeKind::kText),
                                         cql::DataType(cql::TypeKind::kInt), true);
  std::vector<cql::ValueMap> maps = {{},
                                     {cql::MapEntry{Value(std::string("a")), Value(-1)}},
                                     {cql::MapEntry{Value(std::string("a")), Value(2)}},
                                     {cql::MapEntry{Value(std::string("a")), Value(2)},
                                      cql::MapEntry{Value(std::string("b")), Value(0)}},
                                     {cql::MapEntry{Value(std::string("b")), Value(-9)}}};
  sorted.clear();
  for (const auto& m : maps) sorted.push_back(SerializeAs(Value(m), map));
  ExpectOrderPreserved(map, sorted);

  // Lists of lists: nested elements are compared by their own order.
  cql::DataType nested = cql::DataType::List(list, true);
  sorted.clear();
  for (const auto& outer : std::vector<std::vector<ValueList>>{
           {{}}, {{Value(-1)}}, {{Value(-1)}, {}}, {{Value(3)}}, {{Value(3), Value(1)}}}) {
    ValueList v;
    for (const auto& inner : outer) v.emplace_back(inner);
    sorted.push_back(SerializeAs(Value(v), nested));
  }
  ExpectOrderPreserved(nested, sorted);
}

TEST(KeyEncodingTest, TuplesAndUdtsOrderFieldByFieldWithNullFirst) {
  using cql::Value;
  cql::DataType tuple = cql::DataType::Tuple(
      {cql::DataType(cql::TypeKind::kInt), cql::DataType(cql::TypeKind::kText)});
  std::vector<cql::ValueList> tuples = {
      {Value(), Value(std::string("z"))},        {Value(-3), Value()},
      {Value(-3), Value(std::string(""))},       {Value(-3), Value(std::string("a"))},
      {Value(7), Value(std::string("a\0b", 3))}, {Value(7), Value(std::string("b"))}};
  std::vector<std::string> sorted;
  for (const auto& t : tuples) sorted.push_back(SerializeAs(Value(t), tuple));
  ExpectOrderPreserved(tuple, sorted);
  cql::DataType udt = cql::DataType::Udt(
      "ks", "u", {"a", "b"},
      {cql::DataType(cql::TypeKind::kBigint), cql::DataType(cql::TypeKind::kBoolean)}, true);
  sorted.clear();
  for (const auto& t : std::vector<cql::ValueList>{{Value(int64_t{-1})},
                                                   {Value(int64_t{-1}), Value(false)},
                                                   {Value(int64_t{4}), Value(true)}}) {
    sorted.push_back(SerializeAs(Value(t), udt));
  }
  ExpectOrderPreserved(udt, sorted);
}

// TupleType.compareCustom: a value that ends early equals one whose remaining fields are null
// (a frozen UDT written before ALTER TYPE ... ADD), from key format 7 on; inside a frozen
// collection too. Format 6 tables keep them apart: their stored keys were written so.
TEST(KeyEncodingTest, TrailingNullFieldsAreOneKeyFromFormatSeven) {
  using keys::KeyFormat;
  using cql::Value;
  cql::DataType udt = cql::DataType::Udt(
      "ks", "u", {"a", "b", "c"},
      {cql::DataType(cql::TypeKind::kInt), cql::DataType(cql::TypeKind::kText),
       cql::DataType(cql::TypeKind::kInt)},
      true);
  auto encode = [&](const cql::DataType& type, KeyFormat format, const std::string& body) {
    std::string out;
    EXPECT_TRUE(keys::AppendClusteringComponent(type, false, body, format, &out).ok());
    return out;
  };
  const std::string short_value = SerializeAs(Value(cql::ValueList{Value(1)}), udt);
  const std::string two_nulls = SerializeAs(Value(cql::ValueList{Value(1), Value(), Value()}), udt);
  const std::string one_null = SerializeAs(Value(cql::ValueList{Value(1), Value()}), udt);
  const std::string inner_null =
      SerializeAs(Value(cql::ValueList{Value(1), Value(), Value(0)}), udt);
  const std::string valued =
      SerializeAs(Value(cql::ValueList{Value(1), Value(std::string("")), Value()}), udt);
  const auto f7 = KeyFormat::kEqualTrailingNulls;
  EXPECT_EQ(encode(udt, f7, short_value), encode(udt, f7, two_nulls));
  EXPECT_EQ(encode(udt, f7, short_value), encode(udt, f7, one_null));
  EXPECT_LT(encode(udt, f7, two_nulls), encode(udt, f7, inner_null));  // null before a value
  EXPECT_LT(encode(udt, f7, inner_null), encode(udt, f7, valued));
  // Every null field reads back as written, the trailing ones dropped.
  for (const std::string& body : {two_nulls, inner_null, valued}) {
    std::string key = encode(udt, f7, body);
    std::string_view in = key;
    auto back = keys::ReadClusteringComponent(udt, false, f7, &in);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(encode(udt, f7, *back), key);
  }
  std::string_view in;
  std::string key = encode(udt, f7, two_nulls);
  in = key;
  EXPECT_EQ(*keys::ReadClusteringComponent(udt, false, f7, &in), short_value);
  key = encode(udt, f7, inner_null);
  in = key;
  EXPECT_EQ(*keys::ReadClusteringComponent(udt, false, f7, &in), inner_null);

  cql::DataType set = cql::DataType::Set(udt, true);
  std::string set_short("\0\0\0\x01", 4), set_nulls = set_short;
  cql::ByteWriter(&set_short).WriteBytes(short_value);
  cql::ByteWriter(&set_nulls).WriteBytes(two_nulls);
  EXPECT_EQ(encode(set, f7, set_short), encode(set, f7, set_nulls));

  const auto f6 = KeyFormat::kEqualBooleansAndNaNs;
  EXPECT_NE(encode(udt, f6, short_value), encode(udt, f6, two_nulls));
  EXPECT_NE(encode(set, f6, set_short), encode(set, f6, set_nulls));
}

TEST(KeyEncodingTest, BytewiseCompositesKeepTheFormatOfOlderTables) {
  cql::DataType list = cql::DataType::List(cql::DataType(cql::TypeKind::kInt), true);
  std::string body = SerializeAs(cql::Value(cql::ValueList{cql::Value(1)}), list);
  std::string out, escaped;
  ASSERT_TRUE(
      keys::AppendClusteringComponent(list, false, body, keys::KeyFormat::kBytewiseComposites, &out)
          .ok());
  keys::AppendEscaped(body, &escaped);
  EXPECT_EQ(out, escaped);
  std::string_view in = out;
  auto back = keys::ReadClusteringComponent(list, false, keys::KeyFormat::kBytewiseComposites, &in);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, body);
}

TEST(KeyEncodingTest, IntegersOrderNumerically) {
  std::vector<std::string> ints, bigints, tinys;
  for (int32_t v : {INT32_MIN, -65536, -256, -1, 0, 1, 255, 256, 70000, INT32_MAX}) {
    ints.push_back(Serialize(v, cql::TypeKind::kInt));
  }
  for (int64_t v :
       {INT64_MIN, int64_t{-1} << 40, int64_t{-1}, int64_t{0}, int64_t{1} << 40, INT64_MAX}) {
    bigints.push_back(Serialize(v, cql::TypeKind::kBigint));
  }
  for (int8_t v : {int8_t{-128}, int8_t{-1}, int8_t{0}, int8_t{127}}) {
    tinys.push_back(Serialize(v, cql::TypeKind::kTinyint));
  }
  ExpectOrderPreserved(cql::TypeKind::kInt, ints);
  ExpectOrderPreserved(cql::TypeKind::kBigint, bigints);
  ExpectOrderPreserved(cql::TypeKind::kTinyint, tinys);
  ExpectOrderPreserved(cql::TypeKind::kTimestamp,
                       {Serialize(cql::Timestamp{-1000}, cql::TypeKind::kTimestamp),
                        Serialize(cql::Timestamp{0}, cql::TypeKind::kTimestamp),
                        Serialize(cql::Timestamp{1000}, cql::TypeKind::kTimestamp)});
}

TEST(KeyEncodingTest, FloatingPointOrdersLikeJavaCompare) {
  double inf = std::numeric_limits<double>::infinity();
  std::vector<std::string> doubles;
  for (double v : {-inf, -1e300, -2.5, -0.0, 0.0, 1e-300, 2.5, 1e300, inf}) {
    doubles.push_back(Serialize(v, cql::TypeKind::kDouble));
  }
  ExpectOrderPreserved(cql::TypeKind::kDouble, doubles);
  std::vector<std::string> floats;
  for (float v : {-3.5f, -1.0f, 0.0f, 0.25f, 1e30f}) {
    floats.push_back(Serialize(v, cql::TypeKind::kFloat));
  }
  ExpectOrderPreserved(cql::TypeKind::kFloat, floats);
}

std::string Bits(uint64_t bits, int size) {
  std::string out;
  for (int i = size - 1; i >= 0; --i) out.push_back(static_cast<char>(bits >> (8 * i)));
  return out;
}
std::string EncodeIn(keys::KeyFormat format, cql::TypeKind kind, const std::string& body) {
  std::string out;
  Status s = keys::AppendClusteringComponent(cql::DataType(kind), false, body, format, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(KeyEncodingTest, BooleansAndNaNsAreOneKeyFromFormatSix) {
  using keys::KeyFormat;
  const auto kBool = cql::TypeKind::kBoolean;
  // BooleanType: false is 0x00, true any other byte.
  EXPECT_EQ(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kBool, "\x01"),
            EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kBool, "\x02"));
  EXPECT_EQ(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kBool, "\x01"),
            EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kBool, "\xff"));
  EXPECT_LT(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kBool, std::string(1, '\0')),
            EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kBool, "\x80"));
  // Tables of format 5 keep them apart: their stored keys were written so.
  EXPECT_NE(EncodeIn(KeyFormat::kValueOrderedElements, kBool, "\x01"),
            EncodeIn(KeyFormat::kValueOrderedElements, kBool, "\x02"));

  // Float.compare: every NaN is one value, above +Infinity; -0.0 below 0.0.
  const auto kFloat = cql::TypeKind::kFloat;
  const std::string nan = EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kFloat, Bits(0x7FC00000, 4));
  for (uint64_t bits : {0x7F800001ull, 0xFFC00000ull, 0xFFFFFFFFull, 0x7FFFFFFFull}) {
    EXPECT_EQ(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kFloat, Bits(bits, 4)), nan) << bits;
  }
  EXPECT_LT(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kFloat, Bits(0x7F800000, 4)), nan);
  EXPECT_LT(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kFloat, Bits(0xFF800000, 4)),
            EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kFloat, Bits(0x80000000, 4)));
  EXPECT_LT(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kFloat, Bits(0x80000000, 4)),
            EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kFloat, Bits(0, 4)));
  EXPECT_NE(EncodeIn(KeyFormat::kValueOrderedElements, kFloat, Bits(0xFFC00000, 4)),
            EncodeIn(KeyFormat::kValueOrderedElements, kFloat, Bits(0x7FC00000, 4)));

  const auto kDouble = cql::TypeKind::kDouble;
  const std::string dnan =
      EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kDouble, Bits(0x7FF8000000000000ull, 8));
  for (uint64_t bits : {0x7FF0000000000001ull, 0xFFF8000000000000ull, ~0ull}) {
    EXPECT_EQ(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kDouble, Bits(bits, 8)), dnan) << bits;
  }
  EXPECT_LT(EncodeIn(KeyFormat::kEqualBooleansAndNaNs, kDouble, Bits(0x7FF0000000000000ull, 8)),
            dnan);

  // Inside a frozen set too.
  cql::DataType set = cql::DataType::Set(cql::DataType(kBool), true);
  std::string a, b;
  ASSERT_TRUE(keys::AppendClusteringComponent(set, false, SerializeAs(cql::ValueList{true}, set),
                                              KeyFormat::kEqualBooleansAndNaNs, &a)
                  .ok());
  std::string raw("\0\0\0\x01\0\0\0\x01\x02", 9);
  ASSERT_TRUE(keys::AppendClusteringComponent(set, false, raw, KeyFormat::kEqualBooleansAndNaNs,
                                              &b)
                  .ok());
  EXPECT_EQ(a, b);
}

TEST(KeyEncodingTest, TextAndBlobOrderBytewiseWithPrefixesFirst) {
  std::vector<std::string> texts = {
      "", std::string("\0", 1), std::string("\0a", 2), "a", "a\x01", "ab", "b", "\xc3\xa9"};
  ExpectOrderPreserved(cql::TypeKind::kBlob, texts);
  ExpectOrderPreserved(cql::TypeKind::kText, {"", "A", "a", "aa", "b"});
}

TEST(KeyEncodingTest, VarintAndDecimalOrderNumerically) {
  std::vector<std::string> varints;
  for (const char* text : {"-100000000000000000000", "-256", "-255", "-1", "0", "1", "127", "128",
                           "255", "100000000000000000000"}) {
    auto v = cql::Varint::Parse(text);
    ASSERT_TRUE(v.ok()) << text;
    varints.push_back(Serialize(*v, cql::TypeKind::kVarint));
  }
  ExpectOrderPreserved(cql::TypeKind::kVarint, varints);

  std::vector<std::string> decimals;
  for (const char* text : {"-1000.5", "-2", "-1.5", "-1.25", "-0.001", "0", "0.001", "0.5", "1",
                           "1.25", "1.5", "10", "12", "1000.5"}) {
    auto d = cql::Decimal::Parse(text);
    ASSERT_TRUE(d.ok()) << text;
    decimals.push_back(Serialize(*d, cql::TypeKind::kDecimal));
  }
  ExpectOrderPreserved(cql::TypeKind::kDecimal, decimals);
}

std::string DecimalBytes(const char* text) {
  auto d = cql::Decimal::Parse(text);
  EXPECT_TRUE(d.ok()) << text;
  return Serialize(*d, cql::TypeKind::kDecimal);
}

TEST(KeyEncodingTest, EqualDecimalsAreOneKeyFromValueOrderedFormat) {
  cql::DataType decimal(cql::TypeKind::kDecimal);
  for (auto group : std::vector<std::vector<const char*>>{
           {"1230", "1.23E+3", "1230.000", "12300E-1"},
           {"-128", "-1.28E+2", "-128.0"},
           {"0", "0.000", "0E+5"},
           {"123456789012345678901234567890", "1.23456789012345678901234567890E+29"}}) {
    std::string first = Encode(decimal, false, DecimalBytes(group[0]));
    for (const char* text : group) {
      std::string body = DecimalBytes(text);
      EXPECT_EQ(Encode(decimal, false, body), first) << text;
      // Format 3 keeps the bytes in the key: equal values stay apart and decode exactly.
      std::string three;
      ASSERT_TRUE(keys::AppendClusteringComponent(decimal, false, body,
                                                  keys::KeyFormat::kEmptyValues, &three)
                      .ok());
      std::string_view in = three;
      auto back = keys::ReadClusteringComponent(decimal, false, keys::KeyFormat::kEmptyValues, &in);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(*back, body);
      EXPECT_TRUE(in.empty());
    }
    // Read back under the value-ordered format: the shortest form of the value.
    std::string_view in = first;
    auto back = keys::ReadClusteringComponent(decimal, false, keys::kCurrentKeyFormat, &in);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(Encode(decimal, false, *back), first);
  }
  std::string a, b;
  ASSERT_TRUE(keys::AppendClusteringComponent(decimal, false, DecimalBytes("1230"),
                                              keys::KeyFormat::kEmptyValues, &a)
                  .ok());
  ASSERT_TRUE(keys::AppendClusteringComponent(decimal, false, DecimalBytes("1.23E+3"),
                                              keys::KeyFormat::kEmptyValues, &b)
                  .ok());
  EXPECT_NE(a, b);
}

TEST(KeyEncodingTest, TimeuuidOrdersByTime) {
  // Version 1 uuids whose time fields sort differently from their bytes.
  std::vector<std::string> ordered;
  for (const char* text :
       {"00000001-0002-1003-8000-000000000000", "00000000-0003-1003-8000-000000000000",
        "00000000-0000-1004-8000-000000000000",
        // The low half compares as signed bytes: 0x80 sorts before 0x00.
        "00000000-0000-1004-8000-000000000001", "00000000-0000-1004-0000-000000000002"}) {
    auto u = cql::Uuid::Parse(text);
    ASSERT_TRUE(u.ok()) << text;
    ordered.push_back(std::string(reinterpret_cast<const char*>(u->bytes.data()), 16));
  }
  ExpectOrderPreserved(cql::TypeKind::kTimeuuid, ordered);
}

TEST(KeyEncodingTest, WrongSizedValuesAreRejected) {
  std::string out;
  Status s = keys::AppendClusteringComponent(cql::DataType(cql::TypeKind::kInt), false, "abc",
                                             keys::kCurrentKeyFormat, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(KeyEncodingTest, EmptyValuesSortFirstAndRoundTrip) {
  // Cassandra's compareCustom puts an empty value before every other value of its type.
  ExpectOrderPreserved(cql::TypeKind::kInt, {"", Serialize(INT32_MIN, cql::TypeKind::kInt),
                                             Serialize(int32_t{0}, cql::TypeKind::kInt)});
  ExpectOrderPreserved(cql::TypeKind::kBoolean, {"", std::string(1, '\0'), "\x01"});
  ExpectOrderPreserved(cql::TypeKind::kUuid, {"", std::string(16, '\0')});
  ExpectOrderPreserved(cql::TypeKind::kTimeuuid, {"", std::string(16, '\0')});
  ExpectOrderPreserved(
      cql::TypeKind::kDouble,
      {"", Serialize(-std::numeric_limits<double>::infinity(), cql::TypeKind::kDouble)});
  ExpectOrderPreserved(cql::TypeKind::kDecimal, {"", std::string("\0\0\0\0\x80", 5)});
  std::string out;
  ASSERT_TRUE(keys::AppendClusteringComponent(cql::DataType(cql::TypeKind::kVarint), false, "",
                                              keys::kCurrentKeyFormat, &out)
                  .ok());
  std::string_view in = out;
  auto varint = keys::ReadClusteringComponent(cql::DataType(cql::TypeKind::kVarint), false,
                                              keys::kCurrentKeyFormat, &in);
  ASSERT_TRUE(varint.ok());
  EXPECT_EQ(*varint, "");
  // Inside a frozen tuple too.
  auto tuple = cql::DataType::Tuple({cql::DataType(cql::TypeKind::kInt)});
  std::string empty_field("\0\0\0\0", 4);
  ExpectOrderPreserved(tuple, {empty_field, std::string("\0\0\0\x04\x80\0\0\0", 8)});
}

TEST(KeyEncodingTest, TablesOfEarlierFormatsKeepTheirKeys) {
  // Format 2 tables have no presence marker and still refuse an empty int; format 3 keys differ.
  cql::DataType int_type(cql::TypeKind::kInt);
  std::string v = Serialize(int32_t{7}, cql::TypeKind::kInt), two, three;
  ASSERT_TRUE(
      keys::AppendClusteringComponent(int_type, false, v, keys::KeyFormat::kTypedComposites, &two)
          .ok());
  ASSERT_TRUE(
      keys::AppendClusteringComponent(int_type, false, v, keys::KeyFormat::kEmptyValues, &three)
          .ok());
  EXPECT_EQ(two, std::string("\x80\0\0\x07", 4));
  EXPECT_EQ(three, "\x01" + two);
  std::string_view in = two;
  auto back =
      keys::ReadClusteringComponent(int_type, false, keys::KeyFormat::kTypedComposites, &in);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  std::string out;
  EXPECT_FALSE(
      keys::AppendClusteringComponent(int_type, false, "", keys::KeyFormat::kTypedComposites, &out)
          .ok());
}

TEST(KeyEncodingTest, CorruptKeysFailToDecodeInsteadOfCrashing) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 24, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    for (auto kind : {cql::TypeKind::kText, cql::TypeKind::kVarint, cql::TypeKind::kDecimal,
                      cql::TypeKind::kUuid, cql::TypeKind::kInt}) {
      std::string_view in = junk;
      auto r = keys::ReadClusteringComponent(cql::DataType(kind), i % 2 == 0,
                                             keys::kCurrentKeyFormat, &in);
      (void)r;
    }
    for (const auto& type :
         {cql::DataType::List(cql::DataType(cql::TypeKind::kText), true),
          cql::DataType::Map(cql::DataType(cql::TypeKind::kInt),
                             cql::DataType::Tuple({cql::DataType(cql::TypeKind::kUuid)}), true)}) {
      std::string_view in = junk;
      auto r = keys::ReadClusteringComponent(type, i % 2 == 0, keys::kCurrentKeyFormat, &in);
      (void)r;
      std::string out;  // junk as a serialized value: rejected or encoded, never a crash
      (void)keys::AppendClusteringComponent(type, false, junk, keys::kCurrentKeyFormat, &out);
    }
    auto split = keys::SplitDataKey(junk, 2);
    (void)split;
    auto row = rows::Decode(junk);
    (void)row;
  }
}

TEST(KeyEncodingTest, PrefixSuccessorBoundsEveryExtension) {
  EXPECT_EQ(keys::PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(keys::PrefixSuccessor(std::string("a\xff", 2)), "b");
  EXPECT_EQ(keys::PrefixSuccessor(std::string("\xff\xff", 2)), "");
}

rows::Cell MakeCell(int64_t ts, std::string value, bool tombstone = false) {
  rows::Cell c;
  c.column_id = 1;
  c.timestamp = ts;
  c.tombstone = tombstone;
  if (tombstone) {
    c.local_deletion_time = 100;
  } else {
    c.value = std::move(value);
  }
  return c;
}

TEST(RowFormatTest, MergeIsOrderIndependentAndRoundTrips) {
  std::vector<rows::RowValue> parts(4);
  parts[0].cells = {MakeCell(10, "a")};
  parts[1].cells = {MakeCell(12, "", true)};
  parts[2].cells = {MakeCell(11, "z")};
  parts[3].marker = rows::Marker{5, 0, rows::kNoDeletionTime};
  parts[3].row_deletion = rows::Deletion{6, 100};
  std::vector<int> order = {0, 1, 2, 3};
  std::string first;
  do {
    rows::RowValue merged;
    for (int i : order) rows::Merge(&merged, rows::RowValue(parts[i]));
    std::string bytes;
    rows::Encode(merged, &bytes);
    if (first.empty()) first = bytes;
    EXPECT_EQ(bytes, first);
    auto back = rows::Decode(bytes);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->cells.size(), 1u);
    EXPECT_TRUE(back->cells[0].tombstone);
    EXPECT_EQ(back->cells[0].timestamp, 12);
    EXPECT_FALSE(back->marker.has_value());  // shadowed by the row deletion at 6
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(RowFormatTest, MergeKeepsTheClusteringFirstWritten) {
  rows::RowValue older, newer;
  older.cells = {MakeCell(10, "a")};
  older.clustering = "first";
  newer.cells = {MakeCell(11, "b")};
  newer.clustering = "second";
  rows::RowValue merged;
  rows::Merge(&merged, rows::RowValue(older));
  rows::Merge(&merged, rows::RowValue(newer));
  EXPECT_EQ(merged.clustering, "first");
  EXPECT_EQ(merged.cells[0].value, "b");
  std::string bytes;
  rows::Encode(merged, &bytes);
  auto back = rows::Decode(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->clustering, "first");
  rows::RowValueView view;
  ASSERT_TRUE(rows::DecodeView(bytes, &view).ok());
  EXPECT_EQ(view.clustering, "first");
  // A value without one (older data) decodes without one.
  bytes.clear();
  older.clustering.reset();
  rows::Encode(older, &bytes);
  ASSERT_TRUE(rows::DecodeView(bytes, &view).ok());
  EXPECT_FALSE(view.clustering.has_value());
}

// One cell of each kind the format stores: plain, tombstone, expiring, collection element with a
// written path (columns 1 to 4).
std::vector<rows::Cell> CellsOfEveryKind() {
  rows::Cell plain = MakeCell(10, "v");
  rows::Cell tombstone = MakeCell(11, "", true);
  tombstone.column_id = 2;
  rows::Cell expiring = MakeCell(12, "e");
  expiring.column_id = 3;
  expiring.ttl = 30;
  expiring.local_deletion_time = 2000;
  rows::Cell element = MakeCell(13, "x");
  element.column_id = 4;
  element.path = "p";
  element.written_path = "wp";
  return {plain, tombstone, expiring, element};
}

TEST(RowFormatTest, DecodeViewReadsWhatDecodeReadsAndFailsWhereItFails) {
  rows::RowValue row;
  row.marker = rows::Marker{7, 60, 1000};
  row.row_deletion = rows::Deletion{5, 900};
  row.partition_deletion = rows::Deletion{4, 800};
  row.range_deletions.push_back(rows::RangeDeletion{"a", "b", rows::Deletion{3, 700}});
  row.range_deletions.push_back(rows::RangeDeletion{"c", std::nullopt, rows::Deletion{2, 600}});
  row.cells = CellsOfEveryKind();
  const rows::Cell plain = row.cells[0];
  row.clustering = "ck";
  std::string bytes;
  rows::Encode(row, &bytes);

  auto decoded = rows::Decode(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->range_deletions.size(), 2u);
  EXPECT_EQ(decoded->range_deletions[0].upper, "b");
  EXPECT_FALSE(decoded->range_deletions[1].upper.has_value());
  rows::RowValueView view;
  ASSERT_TRUE(rows::DecodeView(bytes, &view).ok());
  EXPECT_FALSE(view.plain_cells);
  EXPECT_EQ(view.marker->expiration, 1000);
  EXPECT_EQ(view.row_deletion->local_deletion_time, 900);
  EXPECT_EQ(view.partition_deletion->timestamp, 4);
  EXPECT_EQ(view.clustering, "ck");
  ASSERT_EQ(view.cells.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const rows::Cell& c = decoded->cells[i];
    const rows::CellRef& v = view.cells[i];
    EXPECT_EQ(v.column_id, c.column_id);
    EXPECT_EQ(v.path, c.path);
    EXPECT_EQ(v.written_path, c.written_path);
    EXPECT_EQ(v.tombstone, c.tombstone);
    EXPECT_EQ(v.timestamp, c.timestamp);
    EXPECT_EQ(v.ttl, c.ttl);
    EXPECT_EQ(v.local_deletion_time, c.local_deletion_time);
    EXPECT_EQ(v.value, c.value);
  }
  // Every cut of the value is corrupt to both, and so is a byte too many.
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(rows::Decode(bytes.substr(0, n)).ok()) << n;
    EXPECT_FALSE(rows::DecodeView(bytes.substr(0, n), &view).ok()) << n;
  }
  EXPECT_FALSE(rows::Decode(bytes + "x").ok());
  EXPECT_FALSE(rows::DecodeView(bytes + "x", &view).ok());

  // Live, non-expiring cells of simple columns only: plain, whatever the marker.
  rows::RowValue simple;
  simple.marker = rows::Marker{7, 60, 1000};
  simple.cells = {plain};
  bytes.clear();
  rows::Encode(simple, &bytes);
  ASSERT_TRUE(rows::DecodeView(bytes, &view).ok());
  EXPECT_TRUE(view.plain_cells);
  ASSERT_EQ(view.cells.size(), 1u);
  EXPECT_EQ(view.cells[0].value, "v");
  EXPECT_FALSE(view.row_deletion.has_value());
}

TEST(RowFormatTest, EncodeViewWritesTheBytesEncodeWrites) {
  const std::vector<rows::Cell> cells = CellsOfEveryKind();
  rows::RowValue full;
  full.marker = rows::Marker{7, 60, 1000};
  full.row_deletion = rows::Deletion{5, 900};
  full.partition_deletion = rows::Deletion{4, 800};
  full.cells = cells;
  full.clustering = "ck";
  rows::RowValue insert;  // what a plain INSERT writes
  insert.marker = rows::Marker{7, 0, rows::kNoDeletionTime};
  insert.cells = {cells[0]};
  rows::RowValue deletion;  // a row deletion, no cells
  deletion.row_deletion = rows::Deletion{5, 900};
  for (const rows::RowValue* row : {&full, &insert, &deletion}) {
    std::string bytes;
    rows::Encode(*row, &bytes);
    rows::RowValueView view;
    ASSERT_TRUE(rows::DecodeView(bytes, &view).ok());
    std::string again = "prefix";  // appends, as Encode does
    rows::EncodeView(view, &again);
    EXPECT_EQ(again, "prefix" + bytes);
  }
}

TEST(RowFormatTest, ReconcileTiesLikeCassandra) {
  EXPECT_TRUE(rows::CellSupersedes(MakeCell(5, "", true), MakeCell(5, "zzz")));
  EXPECT_FALSE(rows::CellSupersedes(MakeCell(5, "zzz"), MakeCell(5, "", true)));
  EXPECT_TRUE(rows::CellSupersedes(MakeCell(5, "b"), MakeCell(5, "a")));
  EXPECT_FALSE(rows::CellSupersedes(MakeCell(5, "a"), MakeCell(5, "b")));
  EXPECT_TRUE(rows::CellSupersedes(MakeCell(6, "a"), MakeCell(5, "", true)));
}

}  // namespace
}  // namespace postfork::node
