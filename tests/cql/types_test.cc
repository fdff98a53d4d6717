#include "postfork/cql/types.h"

#include <gtest/gtest.h>

namespace postfork::cql {
namespace {

struct AddressResolver : DataType::UdtResolver {
  Result<DataType> Resolve(std::string_view keyspace, std::string_view name) const override {
    if (name == "address")
      return DataType::Udt(std::string(keyspace), "address", {"street", "zip"},
                           {DataType(TypeKind::kText), DataType(TypeKind::kInt)});
    return Status(StatusCode::kNotFound, "no type " + std::string(name));
  }
};

TEST(DataType, ToCqlUsesCanonicalSpelling) {
  EXPECT_EQ(DataType().ToCql(), "text");
  EXPECT_EQ(DataType(TypeKind::kTimeuuid).ToCql(), "timeuuid");
  EXPECT_EQ(DataType::Map(DataType(TypeKind::kText), DataType(TypeKind::kInt)).ToCql(),
            "map<text, int>");
  EXPECT_EQ(
      DataType::Map(DataType(TypeKind::kText), DataType::List(DataType(TypeKind::kInt))).ToCql(),
      "map<text, frozen<list<int>>>");
  EXPECT_EQ(DataType::Set(DataType(TypeKind::kBlob), true).ToCql(), "frozen<set<blob>>");
  EXPECT_EQ(DataType::Tuple({DataType(TypeKind::kInt), DataType()}).ToCql(),
            "frozen<tuple<int, text>>");
  EXPECT_EQ(DataType::Custom("org.example.My'Type").ToCql(), "'org.example.My''Type'");
  EXPECT_EQ(DataType::Udt("ks", "Addr", {}, {}).ToCql(), "\"Addr\"");
}

TEST(DataType, ParsesCassandraSpellingsAndRoundTripsToCql) {
  for (const char* text :
       {"int", "text", "map<text, int>", "frozen<list<text>>", "set<frozen<map<int, blob>>>",
        "list<frozen<tuple<int, text, frozen<set<uuid>>>>>", "frozen<tuple<int, text>>",
        "'org.apache.cassandra.db.marshal.BytesType'", "duration",
        "map<text, frozen<list<int>>>"}) {
    auto t = DataType::Parse(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.error().ToString();
    EXPECT_EQ(t->ToCql(), text);
    EXPECT_EQ(*DataType::Parse(t->ToCql()), *t);
  }
  EXPECT_EQ(*DataType::Parse("VARCHAR"), DataType(TypeKind::kText));
  EXPECT_EQ(*DataType::Parse(" Map < VarChar ,BigInt > "),
            DataType::Map(DataType(TypeKind::kText), DataType(TypeKind::kBigint)));
  EXPECT_EQ(*DataType::Parse("tuple<int>"), *DataType::Parse("frozen<tuple<int>>"));
  EXPECT_EQ(*DataType::Parse("list<set<int>>"), *DataType::Parse("list<frozen<set<int>>>"));
}

TEST(DataType, RejectsMalformedText) {
  for (const char* text : {"", "int>", "list<int", "map<int>", "list<int, int>", "frozen<int>",
                           "unknowntype", "map<text,>", "'unterminated", "int int"}) {
    EXPECT_FALSE(DataType::Parse(text).ok()) << text;
  }
  EXPECT_EQ(DataType::Parse("address").error().code(), StatusCode::kNotFound);
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "list<";
  deep += "int";
  for (int i = 0; i < 300; ++i) deep += ">";
  EXPECT_FALSE(DataType::Parse(deep).ok());
}

TEST(DataType, ResolvesUserTypes) {
  AddressResolver udts;
  auto t = DataType::Parse("frozen<address>", &udts, "ks");
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->kind(), TypeKind::kUdt);
  EXPECT_TRUE(t->is_frozen());
  EXPECT_EQ(t->udt_keyspace(), "ks");
  EXPECT_EQ(t->field_names().size(), 2u);
  EXPECT_EQ(t->ToCql(), "frozen<address>");
  auto qualified = DataType::Parse("list<other.address>", &udts, "ks");
  ASSERT_TRUE(qualified.ok());
  EXPECT_EQ(qualified->params()[0].udt_keyspace(), "other");
  EXPECT_FALSE(DataType::Parse("frozen<nothere>", &udts, "ks").ok());
}

TEST(DataType, OptionEncodingRoundTripsEveryKind) {
  std::vector<DataType> types;
  for (uint16_t id = 1; id <= 0x15; ++id)
    if (id != 0x0A) types.emplace_back(static_cast<TypeKind>(id));
  types.push_back(DataType::Custom("org.example.Custom"));
  types.push_back(DataType::List(DataType(TypeKind::kInt)));
  types.push_back(DataType::Set(DataType::Map(DataType(TypeKind::kUuid), DataType())));
  types.push_back(DataType::Tuple({DataType(TypeKind::kInt), DataType::List(DataType())}));
  types.push_back(
      DataType::Udt("ks", "u", {"a", "b"}, {DataType(TypeKind::kInt), DataType::Set(DataType())}));
  for (const auto& t : types) {
    std::string buf;
    ByteWriter w(&buf);
    t.Encode(w);
    ByteReader r(buf);
    auto back = DataType::Decode(r);
    ASSERT_TRUE(back.ok()) << t.ToCql();
    EXPECT_EQ(*back, t) << t.ToCql();
    EXPECT_TRUE(r.empty());
  }
}

TEST(DataType, FrozenCountsInEquality) {
  auto a = DataType::List(DataType(TypeKind::kInt));
  EXPECT_NE(a, a.Frozen());
  EXPECT_EQ(a.Frozen(), DataType::List(DataType(TypeKind::kInt), true));
  EXPECT_EQ(DataType(TypeKind::kInt).Frozen(), DataType(TypeKind::kInt));
}

TEST(DataType, DecodeRejectsUnknownIdsTruncationAndDepth) {
  std::string unknown("\x00\x0A", 2);
  ByteReader r1(unknown);
  EXPECT_FALSE(DataType::Decode(r1).ok());
  std::string truncated("\x00\x21\x00\x09", 4);  // map<int, ?>
  ByteReader r2(truncated);
  EXPECT_FALSE(DataType::Decode(r2).ok());
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += std::string("\x00\x20", 2);
  deep += std::string("\x00\x09", 2);
  ByteReader r3(deep);
  EXPECT_FALSE(DataType::Decode(r3).ok());
  std::string hostile_udt("\x00\x30\x00\x01k\x00\x01u\xFF\xFF", 11);
  ByteReader r4(hostile_udt);
  EXPECT_FALSE(DataType::Decode(r4).ok());
}

TEST(DataType, VectorsTravelAsCassandrasVectorTypeClass) {
  auto parsed = DataType::Parse("vector<float, 3>");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind(), TypeKind::kVector);
  EXPECT_EQ(parsed->dimension(), 3);
  EXPECT_EQ(parsed->ToCql(), "vector<float, 3>");
  EXPECT_EQ(parsed->MarshalClass(),
            "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType "
            ", 3)");
  auto nested = DataType::Parse("vector<set<int>, 2>");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->ToCql(), "vector<frozen<set<int>>, 2>");
  EXPECT_EQ(nested->MarshalClass(),
            "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FrozenType("
            "org.apache.cassandra.db.marshal.SetType(org.apache.cassandra.db.marshal.Int32Type)) , "
            "2)");
  for (const DataType& t : {*parsed, *nested}) {
    std::string wire;
    ByteWriter w(&wire);
    t.Encode(w);
    EXPECT_EQ(LoadBE16(wire.data()), static_cast<uint16_t>(TypeKind::kCustom));
    ByteReader r(wire);
    auto back = DataType::Decode(r);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
  auto zero = DataType::Parse("vector<float, 0>");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "vectors may only have positive dimensions; given 0");
  EXPECT_FALSE(DataType::Parse("vector<float>").ok());
  EXPECT_FALSE(DataType::Parse("vector<float, 2147483648>").ok());
}

}  // namespace
}  // namespace postfork::cql
