// The native function registry: purity, overload resolution as Cassandra's FunctionResolver,
// evaluation with the request's time, and Java's narrowing casts.
#include <gtest/gtest.h>

#include "node/cql3/functions/functions.h"
#include "node/cql3/values.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

using cql::DataType;
using cql::TypeKind;

Term Lit(Term::Kind kind, std::string text) {
  Term t;
  t.kind = kind;
  t.text = std::move(text);
  return t;
}

Term Call(std::string name, std::vector<Term> args = {}) {
  Term t;
  t.kind = Term::Kind::kFunction;
  t.text = std::move(name);
  t.elements = std::move(args);
  return t;
}

TEST(Cql3Functions, NonPureFunctionsAreDeclaredSo) {
  const auto& registry = FunctionRegistry::Native();
  for (const char* name :
       {"now", "uuid", "currenttimestamp", "currentdate", "currenttime", "currenttimeuuid"}) {
    EXPECT_TRUE(registry.Exists(name)) << name;
    EXPECT_FALSE(registry.IsPure(name)) << name;
  }
  for (const char* name : {"totimestamp", "textasblob", "blobasint", "castasint", "tojson"}) {
    EXPECT_TRUE(registry.IsPure(name)) << name;
  }
  EXPECT_FALSE(registry.Exists("nosuch"));
}

TEST(Cql3Functions, OnlyTermsWithoutMarkersOrNonPureCallsAreConstant) {
  EXPECT_TRUE(IsConstantTerm(Lit(Term::Kind::kInteger, "1")));
  EXPECT_TRUE(IsConstantTerm(Call("textasblob", {Lit(Term::Kind::kString, "x")})));
  EXPECT_FALSE(IsConstantTerm(Call("uuid")));
  EXPECT_FALSE(IsConstantTerm(Call("totimestamp", {Call("now")})));
  Term list;
  list.kind = Term::Kind::kList;
  list.elements.push_back(Call("now"));
  EXPECT_FALSE(IsConstantTerm(list));
  Term marker;
  marker.kind = Term::Kind::kBindMarker;
  marker.bind_index = 0;
  EXPECT_FALSE(IsConstantTerm(Call("textasblob", {marker})));
}

TEST(Cql3Functions, NonPureCallsUseTheRequestsTime) {
  const DataType timestamp(TypeKind::kTimestamp);
  TermInputs at{nullptr, int64_t{1700000000123456}};
  auto v = TermToValue(Call("currenttimestamp"), timestamp, "ts", at);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->get_if<cql::Timestamp>()->millis, 1700000000123);
  auto a = TermToValue(Call("uuid"), DataType(TypeKind::kUuid), "id", at);
  auto b = TermToValue(Call("uuid"), DataType(TypeKind::kUuid), "id", at);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(*a == *b);
  auto t1 = TermToValue(Call("now"), DataType(TypeKind::kTimeuuid), "id", at);
  auto t2 = TermToValue(Call("now"), DataType(TypeKind::kTimeuuid), "id", at);
  ASSERT_TRUE(t1.ok() && t2.ok());
  EXPECT_FALSE(*t1 == *t2);
}

TEST(Cql3Functions, ResolutionFollowsCassandrasFunctionResolver) {
  // A string literal fits toTimestamp(date) weakly and toTimestamp(timeuuid) not at all.
  auto r = ResolveTermCall(Call("totimestamp", {Lit(Term::Kind::kString, "2020-01-01")}), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)->params[0].kind(), TypeKind::kDate);
  // ... but toUnixTimestamp(date) and toUnixTimestamp(timestamp) both weakly: ambiguous.
  r = ResolveTermCall(Call("tounixtimestamp", {Lit(Term::Kind::kString, "2020-01-01")}), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("Ambiguous call to function tounixtimestamp"),
            std::string::npos)
      << r.error().message();
  // now() returns timeuuid exactly: toTimestamp(timeuuid).
  r = ResolveTermCall(Call("totimestamp", {Call("now")}), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)->params[0].kind(), TypeKind::kTimeuuid);
  r = ResolveTermCall(Call("uuid", {Lit(Term::Kind::kInteger, "1")}), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "Invalid number of arguments in call to function system.uuid: 0 required but 1 "
            "provided");
  r = ResolveTermCall(Call("textasblob", {Lit(Term::Kind::kInteger, "1")}), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "Type error: 1 cannot be passed as argument 0 of function system.textasblob of type "
            "text");
  r = ResolveTermCall(Call("nosuch"), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "Unknown function nosuch called");
}

TEST(Cql3Functions, NestedPureCallsEvaluate) {
  auto v = TermToValue(Call("blobastext", {Call("textasblob", {Lit(Term::Kind::kString, "hi")})}),
                       DataType(TypeKind::kText), "v");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(*v->get_if<std::string>(), "hi");
}

TEST(Cql3Functions, CastsNarrowBigNumbersAsJava) {
  // 2^70 + 0x85: BigInteger.byteValue() keeps the low byte, 0x85 = -123.
  auto n = cql::Varint::Parse("1180591620717411303557");
  ASSERT_TRUE(n.ok());
  std::string bytes;
  ASSERT_TRUE(cql::SerializeValue(cql::Value(*n), DataType(TypeKind::kVarint), &bytes).ok());
  auto out = EvaluateScalar("cast", {DataType(TypeKind::kVarint), DataType(TypeKind::kTinyint)},
                            {bytes}, 0);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(static_cast<int8_t>((*out)[0]), -123);
  auto big = EvaluateScalar("cast", {DataType(TypeKind::kVarint), DataType(TypeKind::kBigint)},
                            {bytes}, 0);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(static_cast<int64_t>(cql::LoadBE64(big->data())), 0x85);
}

}  // namespace
}  // namespace postfork::node::cql3
