// Literal conversion and value ordering used by the query processor.
#include <gtest/gtest.h>

#include "node/cql3/values.h"
#include "postfork/cql/error_codes.h"

namespace postfork::node::cql3 {
namespace {

Term Lit(Term::Kind kind, std::string text) {
  Term t;
  t.kind = kind;
  t.text = std::move(text);
  return t;
}

std::string Bytes(const cql::Value& v, const cql::DataType& type) {
  std::string out;
  EXPECT_TRUE(cql::SerializeValue(v, type, &out).ok());
  return out;
}

TEST(Cql3Values, LiteralsOfTheWrongKindGetCassandrasMessage) {
  auto r = SerializeTerm(Lit(Term::Kind::kString, "x"), cql::DataType(cql::TypeKind::kInt), "k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cql_code(), static_cast<int>(cql::ErrorCode::kInvalid));
  EXPECT_EQ(r.error().message(), "Invalid STRING constant (x) for \"k\" of type int");
  r = SerializeTerm(Lit(Term::Kind::kInteger, "1"), cql::DataType(cql::TypeKind::kText), "v");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "Invalid INTEGER constant (1) for \"v\" of type text");
}

TEST(Cql3Values, IntegersAreRangeChecked) {
  EXPECT_TRUE(
      SerializeTerm(Lit(Term::Kind::kInteger, "127"), cql::DataType(cql::TypeKind::kTinyint), "t")
          .ok());
  EXPECT_FALSE(
      SerializeTerm(Lit(Term::Kind::kInteger, "128"), cql::DataType(cql::TypeKind::kTinyint), "t")
          .ok());
  EXPECT_FALSE(SerializeTerm(Lit(Term::Kind::kInteger, "99999999999999999999"),
                             cql::DataType(cql::TypeKind::kBigint), "b")
                   .ok());
}

TEST(Cql3Values, SerializesLiteralsAsTheirTypes) {
  auto r = SerializeTerm(Lit(Term::Kind::kHex, "cafe"), cql::DataType(cql::TypeKind::kBlob), "b");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(**r, std::string("\xca\xfe"));
  r = SerializeTerm(Lit(Term::Kind::kInteger, "1"), cql::DataType(cql::TypeKind::kTimestamp), "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(**r, std::string("\0\0\0\0\0\0\0\1", 8));
  Term null_term;
  r = SerializeTerm(null_term, cql::DataType(cql::TypeKind::kInt), "n");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  Term list;
  list.kind = Term::Kind::kList;
  list.elements = {Lit(Term::Kind::kInteger, "1"), Lit(Term::Kind::kInteger, "2")};
  r = SerializeTerm(list, cql::DataType::List(cql::DataType(cql::TypeKind::kInt)), "l");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)->size(), 4u + 2 * (4 + 4));
}

TEST(Cql3Values, OrdersValuesAsCassandraTypesDo) {
  cql::DataType i(cql::TypeKind::kInt), t(cql::TypeKind::kText), v(cql::TypeKind::kVarint),
      d(cql::TypeKind::kDouble);
  EXPECT_LT(CompareValues(i, Bytes(int32_t{-1}, i), Bytes(int32_t{1}, i)), 0);
  EXPECT_GT(CompareValues(i, Bytes(int32_t{256}, i), Bytes(int32_t{255}, i)), 0);
  EXPECT_LT(CompareValues(t, Bytes("a", t), Bytes("b", t)), 0);
  EXPECT_LT(CompareValues(t, Bytes("z", t), Bytes("\xc3\xa9", t)), 0);  // UTF-8 bytes order
  EXPECT_LT(
      CompareValues(v, Bytes(cql::Varint::FromInt64(-300), v), Bytes(cql::Varint::FromInt64(2), v)),
      0);
  EXPECT_GT(CompareValues(v, Bytes(cql::Varint::FromInt64(70000), v),
                          Bytes(cql::Varint::FromInt64(300), v)),
            0);
  EXPECT_LT(CompareValues(d, Bytes(-2.5, d), Bytes(1.0, d)), 0);
}

TEST(Cql3Values, BooleansAndNaNsCompareAsCassandraTypesDo) {
  cql::DataType b(cql::TypeKind::kBoolean), f(cql::TypeKind::kFloat), d(cql::TypeKind::kDouble);
  // BooleanType: empty, then false, then every other byte as one true.
  EXPECT_EQ(CompareValues(b, "\x01", "\x02"), 0);
  EXPECT_LT(CompareValues(b, std::string(1, '\0'), "\x02"), 0);
  EXPECT_LT(CompareValues(b, "", std::string(1, '\0')), 0);
  // Float.compare: NaNs equal whatever their bits, after +Infinity; -0.0 before 0.0.
  EXPECT_EQ(CompareValues(f, std::string("\x7f\xc0\0\0", 4), std::string("\xff\xc0\0\1", 4)), 0);
  EXPECT_GT(CompareValues(f, std::string("\xff\xc0\0\0", 4), std::string("\x7f\x80\0\0", 4)), 0);
  EXPECT_LT(CompareValues(f, std::string("\x80\0\0\0", 4), std::string(4, '\0')), 0);
  EXPECT_EQ(CompareValues(d, std::string("\x7f\xf0\0\0\0\0\0\1", 8),
                          std::string("\xff\xf8\0\0\0\0\0\0", 8)),
            0);
  // Set elements and map keys compare so too: {0x01} and {0x02} are one frozen set, and a set
  // given both keeps one element, the first's bytes.
  cql::DataType set = cql::DataType::Set(b, true);
  std::string one("\0\0\0\x01\0\0\0\x01\x01", 9), two("\0\0\0\x01\0\0\0\x01\x02", 9);
  EXPECT_EQ(CompareValues(set, one, two), 0);
  std::string both("\0\0\0\x02\0\0\0\x01\x02\0\0\0\x01\x01", 14);
  auto normalized = NormalizeValue(set, both);
  ASSERT_TRUE(normalized.has_value());
  EXPECT_EQ(*normalized, two);
  // A map keeps the first key's bytes with the last value, as Java's maps do on a put.
  cql::DataType map = cql::DataType::Map(b, cql::DataType(cql::TypeKind::kInt), true);
  std::string entries("\0\0\0\x02"
                      "\0\0\0\x01\x02\0\0\0\x04\0\0\0\x01"
                      "\0\0\0\x01\x05\0\0\0\x04\0\0\0\x02",
                      4 + 13 + 13);
  auto canonical = NormalizeValue(map, entries);
  ASSERT_TRUE(canonical.has_value());
  EXPECT_EQ(*canonical, std::string("\0\0\0\x01\0\0\0\x01\x02\0\0\0\x04\0\0\0\x02", 17));
}

TEST(Cql3Values, TimeUuidsIncreaseWithTheClock) {
  cql::Uuid a = NewTimeUuid(1'000'000), b = NewTimeUuid(1'000'000), c = NewTimeUuid(2'000'000);
  EXPECT_EQ(a.version(), 1);
  cql::DataType tu(cql::TypeKind::kTimeuuid);
  std::string sa(a.bytes.begin(), a.bytes.end()), sb(b.bytes.begin(), b.bytes.end()),
      sc(c.bytes.begin(), c.bytes.end());
  EXPECT_LT(CompareValues(tu, sa, sb), 0);
  EXPECT_LT(CompareValues(tu, sb, sc), 0);
  EXPECT_EQ(NewRandomUuid().version(), 4);
}

}  // namespace
}  // namespace postfork::node::cql3
