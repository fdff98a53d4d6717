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
#include "postfork/cql/value.h"

namespace postfork::node {
namespace {

std::string Serialize(const cql::Value& v, cql::TypeKind kind) {
  std::string out;
  Status s = cql::SerializeValue(v, cql::DataType(kind), &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string Encode(cql::TypeKind kind, bool desc, const std::string& body) {
  std::string out;
  Status s = keys::AppendClusteringComponent(cql::DataType(kind), desc, body, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Checks that encoding `sorted` (in ascending value order) yields strictly ascending keys
// (descending with desc), and that each key decodes to its value.
void ExpectOrderPreserved(cql::TypeKind kind, const std::vector<std::string>& sorted) {
  for (bool desc : {false, true}) {
    std::vector<std::string> encoded;
    for (const auto& body : sorted) {
      encoded.push_back(Encode(kind, desc, body));
      std::string with_suffix = encoded.back() + "\x05rest";
      std::string_view in = with_suffix;
      auto decoded = keys::ReadClusteringComponent(cql::DataType(kind), desc, &in);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(in, "\x05rest");
      if (kind != cql::TypeKind::kVarint) {
        EXPECT_EQ(*decoded, body);
      }
    }
    for (size_t i = 1; i < encoded.size(); ++i) {
      if (desc) {
        EXPECT_GT(encoded[i - 1], encoded[i]) << cql::NativeTypeName(kind) << " at " << i;
      } else {
        EXPECT_LT(encoded[i - 1], encoded[i]) << cql::NativeTypeName(kind) << " at " << i;
      }
    }
  }
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
  Status s =
      keys::AppendClusteringComponent(cql::DataType(cql::TypeKind::kInt), false, "abc", &out);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.cql_code(), 0x2200);
}

TEST(KeyEncodingTest, CorruptKeysFailToDecodeInsteadOfCrashing) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 24, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    for (auto kind : {cql::TypeKind::kText, cql::TypeKind::kVarint, cql::TypeKind::kDecimal,
                      cql::TypeKind::kUuid, cql::TypeKind::kInt}) {
      std::string_view in = junk;
      auto r = keys::ReadClusteringComponent(cql::DataType(kind), i % 2 == 0, &in);
      (void)r;
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

TEST(RowFormatTest, ReconcileTiesLikeCassandra) {
  EXPECT_TRUE(rows::CellSupersedes(MakeCell(5, "", true), MakeCell(5, "zzz")));
  EXPECT_FALSE(rows::CellSupersedes(MakeCell(5, "zzz"), MakeCell(5, "", true)));
  EXPECT_TRUE(rows::CellSupersedes(MakeCell(5, "b"), MakeCell(5, "a")));
  EXPECT_FALSE(rows::CellSupersedes(MakeCell(5, "a"), MakeCell(5, "b")));
  EXPECT_TRUE(rows::CellSupersedes(MakeCell(6, "a"), MakeCell(5, "", true)));
}

}  // namespace
}  // namespace postfork::node
