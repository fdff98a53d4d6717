// Cassandra's JSON: toJSONString texts (Java's numbers, null for NaN, "" for empty values) and
// the reading of INSERT JSON and fromJson() as Jackson and each type's fromJSONObject read it,
// with their error texts.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "node/cql3/functions/json.h"
#include "postfork/cql/error_codes.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

using cql::DataType;
using cql::TypeKind;

std::string Serialized(const cql::Value& v, const DataType& type) {
  std::string out;
  EXPECT_TRUE(cql::SerializeValue(v, type, &out).ok());
  return out;
}

std::string JsonOf(const cql::Value& v, const DataType& type) {
  return ToJson(Serialized(v, type), type);
}

// The message of a failed ParseInsertJson of `doc` into (p int, v <type>).
std::string InsertError(std::string_view doc, const DataType& type) {
  auto r = ParseInsertJson(doc, {{"p", DataType(TypeKind::kInt)}, {"v", type}});
  EXPECT_FALSE(r.ok()) << doc;
  return r.ok() ? "" : r.error().message();
}

TEST(Cql3Json, NumbersAsJavaPrintsThem) {
  EXPECT_EQ(JsonOf(1e-5, DataType(TypeKind::kDouble)), "1.0E-5");
  EXPECT_EQ(JsonOf(12345678.9, DataType(TypeKind::kDouble)), "1.23456789E7");
  EXPECT_EQ(JsonOf(1e10f, DataType(TypeKind::kFloat)), "1.0E10");
  EXPECT_EQ(JsonOf(1.5, DataType(TypeKind::kDouble)), "1.5");
  EXPECT_EQ(JsonOf(std::nan(""), DataType(TypeKind::kDouble)), "null");
  EXPECT_EQ(JsonOf(-std::numeric_limits<float>::infinity(), DataType(TypeKind::kFloat)), "null");
  auto inet = cql::Inet::Parse("::1");
  ASSERT_TRUE(inet.ok());
  EXPECT_EQ(JsonOf(*inet, DataType(TypeKind::kInet)), "\"0:0:0:0:0:0:0:1\"");
}

TEST(Cql3Json, EmptyValuesPrintAsEmptyStrings) {
  EXPECT_EQ(ToJson(std::string_view(), DataType(TypeKind::kInt)), "\"\"");
  EXPECT_EQ(ToJson(std::string_view(), DataType(TypeKind::kText)), "\"\"");
  EXPECT_EQ(ToJson(std::string_view(), DataType(TypeKind::kBlob)), "\"0x\"");
  EXPECT_EQ(ToJson(std::nullopt, DataType(TypeKind::kInt)), "null");
  DataType list = DataType::List(DataType(TypeKind::kInt));
  EXPECT_EQ(JsonOf(cql::ValueList{1, cql::Empty{}}, list), "[1, \"\"]");
}

TEST(Cql3Json, StringsEscapedAsJackson) {
  std::string out;
  AppendJsonString("a\"b\\\x01\n\x1f", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\\\u0001\\n\\u001F\"");
}

TEST(Cql3Json, InsertJsonNamesTheColumnInValueErrors) {
  EXPECT_EQ(InsertError(R"({"p": 1, "v": "dog"})", DataType(TypeKind::kInt)),
            "Error decoding JSON value for v: Unable to make int from 'dog'");
  EXPECT_EQ(InsertError(R"({"p": 1, "v": 2147483648})", DataType(TypeKind::kInt)),
            "Error decoding JSON value for v: Expected an int value, but got a Long: 2147483648");
  EXPECT_EQ(InsertError(R"({"p": 1, "v": 9223372036854775808})", DataType(TypeKind::kBigint)),
            "Error decoding JSON value for v: Expected a bigint value, but got a BigInteger: "
            "9223372036854775808");
  EXPECT_EQ(InsertError(R"({"p": 1, "v": [1, null]})", DataType::Set(DataType(TypeKind::kInt))),
            "Error decoding JSON value for v: Invalid null element in set");
  EXPECT_EQ(
      InsertError(R"({"p": 1, "v": {"a": [1, "x"]}})", DataType::List(DataType(TypeKind::kInt))),
      "Error decoding JSON value for v: Expected a list, but got a LinkedHashMap: "
      "{a=[1, x]}");
  EXPECT_EQ(InsertError(R"({"p": 1, "v": 1e308})", DataType(TypeKind::kSmallint)),
            "Error decoding JSON value for v: Unable to make short from '1.0E308'");
  EXPECT_EQ(InsertError(R"({"p": 1, "v": 1})", DataType(TypeKind::kBlob)),
            "Error decoding JSON value for v: Value '1' is not a valid blob representation: "
            "class java.lang.Integer cannot be cast to class java.lang.String (java.lang.Integer "
            "and java.lang.String are in module java.base of loader 'bootstrap')");
  EXPECT_EQ(InsertError(R"({"p": 1, "x": 1})", DataType(TypeKind::kInt)),
            "JSON values map contains unrecognized column: x");
}

TEST(Cql3Json, ParseErrorsAreJacksons) {
  const std::string at =
      "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); ";
  EXPECT_EQ(InsertError("{\"p\": 1, }", DataType(TypeKind::kInt)),
            "Could not decode JSON string as a map: com.fasterxml.jackson.core.JsonParseException: "
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field "
            "name" +
                at + "line: 1, column: 10]. (String was: {\"p\": 1, })");
  EXPECT_EQ(InsertError("{\"p\": tru}", DataType(TypeKind::kInt)),
            "Could not decode JSON string as a map: com.fasterxml.jackson.core.JsonParseException: "
            "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token "
            "'null', 'true' or 'false')" +
                at + "line: 1, column: 10]. (String was: {\"p\": tru})");
  EXPECT_EQ(
      InsertError("{\"p\": 1", DataType(TypeKind::kInt)),
      "Could not decode JSON string as a map: com.fasterxml.jackson.core.io.JsonEOFException: "
      "Unexpected end-of-input: expected close marker for Object (start marker at "
      "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, "
      "column: 1])" +
          at + "line: 1, column: 8]. (String was: {\"p\": 1)");
  EXPECT_EQ(InsertError("{\"p\": 01}", DataType(TypeKind::kInt)),
            "Could not decode JSON string as a map: com.fasterxml.jackson.core.JsonParseException: "
            "Invalid numeric value: Leading zeroes not allowed" +
                at + "line: 1, column: 8]. (String was: {\"p\": 01})");
  EXPECT_EQ(InsertError("", DataType(TypeKind::kInt)),
            "Could not decode JSON string as a map: "
            "com.fasterxml.jackson.databind.exc.MismatchedInputException: No content to map due "
            "to end-of-input" +
                at + "line: 1]. (String was: )");
  EXPECT_EQ(InsertError("null", DataType(TypeKind::kInt)), "Got null for INSERT JSON values");
  // Anything after the object is ignored, as Jackson does by default.
  EXPECT_TRUE(ParseInsertJson("{\"p\": 1} x", {{"p", DataType(TypeKind::kInt)}}).ok());
}

TEST(Cql3Json, InsertJsonNamesAndNulls) {
  auto r = ParseInsertJson(R"({"P": 1, "\"V\"": null})", {{"p", DataType(TypeKind::kInt)},
                                                          {"V", DataType(TypeKind::kInt)},
                                                          {"w", DataType(TypeKind::kInt)}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].given && (*r)[0].value);
  EXPECT_TRUE((*r)[1].given && !(*r)[1].value);  // an explicit null
  EXPECT_FALSE((*r)[2].given);
}

TEST(Cql3Json, UdtsTuplesAndNestedJsonStrings) {
  DataType udt =
      DataType::Udt("ks", "ut", {"a", "B"}, {DataType(TypeKind::kInt), DataType(TypeKind::kText)});
  auto r = ParseInsertJson(R"({"p": 1, "v": {"A": 1, "\"B\"": "x"}})",
                           {{"p", DataType(TypeKind::kInt)}, {"v", udt}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(ToJson(*(*r)[1].value, udt), R"({"a": 1, "\"B\"": "x"})");
  EXPECT_EQ(InsertError(R"({"p": 1, "v": {"a": 1, "x": 2}})", udt),
            "Error decoding JSON value for v: Unknown field 'x' in value of user defined type ut");
  DataType tuple = DataType::Tuple({DataType(TypeKind::kInt), DataType(TypeKind::kText)});
  EXPECT_EQ(InsertError(R"({"p": 1, "v": [1]})", tuple),
            "Error decoding JSON value for v: Tuple is missing items (expected 2): [1]");
  DataType set = DataType::Set(DataType(TypeKind::kInt));
  auto s = FromJson(R"("[2, 1]")", set);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(ToJson(**s, set), "[2, 1]");  // in the order given: storage sorts the elements
}

TEST(Cql3Json, FromJsonFailuresAreFunctionFailures) {
  auto r = FromJson("\"dog\"", DataType(TypeKind::kInt));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cql_code(), static_cast<int>(cql::ErrorCode::kFunctionFailure));
  EXPECT_EQ(r.error().message(),
            "org.apache.cassandra.serializers.MarshalException: Unable to make int from 'dog'");
  r = FromJson("dog", DataType(TypeKind::kInt));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().cql_code(), static_cast<int>(cql::ErrorCode::kFunctionFailure));
  EXPECT_EQ(r.error().message().rfind("execution of 'system.fromjson[text]' failed: Could not "
                                      "decode JSON string 'dog': com.fasterxml.jackson.core."
                                      "JsonParseException: Unrecognized token 'dog'",
                                      0),
            0u);
  // "" is an empty int, JSON null is null.
  r = FromJson("\"\"", DataType(TypeKind::kInt));
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_TRUE((*r)->empty());
  r = FromJson("null", DataType(TypeKind::kInt));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

}  // namespace
}  // namespace postfork::node::cql3
