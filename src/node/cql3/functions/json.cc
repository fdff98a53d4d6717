#include "node/cql3/functions/json.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

void AppendValue(const cql::Value& v, const cql::DataType& type, std::string* out);

// Map keys are JSON object keys, so always strings: text as is, anything else its JSON text.
void AppendKey(const cql::Value& k, const cql::DataType& type, std::string* out) {
  if (const auto* s = k.get_if<std::string>()) {
    AppendJsonString(*s, out);
    return;
  }
  std::string text;
  AppendValue(k, type, &text);
  if (!text.empty() && text.front() == '"') {
    out->append(text);
  } else {
    AppendJsonString(text, out);
  }
}

void AppendDouble(double d, bool is_float, std::string* out) {
  // JSON has no NaN or infinities: Cassandra's DoubleType/FloatType.toJSONString write null.
  if (std::isnan(d) || std::isinf(d)) {
    out->append("null");
  } else {
    out->append(cql::JavaFloatText(d, is_float));
  }
}

void AppendValue(const cql::Value& v, const cql::DataType& type, std::string* out) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, cql::Null> || std::is_same_v<T, cql::Unset>) {
          out->append("null");
        } else if constexpr (std::is_same_v<T, bool>) {
          out->append(x ? "true" : "false");
        } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, int16_t> ||
                             std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
          out->append(std::to_string(x));
        } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          AppendDouble(static_cast<double>(x), std::is_same_v<T, float>, out);
        } else if constexpr (std::is_same_v<T, std::string>) {
          AppendJsonString(x, out);
        } else if constexpr (std::is_same_v<T, cql::Varint> || std::is_same_v<T, cql::Decimal>) {
          out->append(v.ToCqlLiteral(type));  // digits: a JSON number
        } else if constexpr (std::is_same_v<T, cql::Timestamp>) {
          // Cassandra: "yyyy-MM-dd HH:mm:ss.SSSZ" in UTC.
          std::string text = x.ToString();  // "2024-02-29 13:30:54.234000+0000"
          if (text.size() >= 23) text = text.substr(0, 23) + "Z";
          AppendJsonString(text, out);
        } else if constexpr (std::is_same_v<T, cql::ValueList>) {
          const auto& params = type.params();
          bool tuple = type.kind() == cql::TypeKind::kTuple || type.kind() == cql::TypeKind::kUdt;
          bool udt = type.kind() == cql::TypeKind::kUdt;
          out->push_back(udt ? '{' : '[');
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out->append(", ");
            if (udt) {
              AppendJsonString(JsonColumnName(type.field_names()[i]), out);
              out->append(": ");
            }
            const cql::DataType& et = tuple ? params[i] : params[0];
            AppendValue(x[i], et, out);
          }
          out->push_back(udt ? '}' : ']');
        } else if constexpr (std::is_same_v<T, cql::ValueMap>) {
          const auto& params = type.params();
          out->push_back('{');
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out->append(", ");
            AppendKey(x[i].key, params[0], out);
            out->append(": ");
            AppendValue(x[i].value, params[1], out);
          }
          out->push_back('}');
        } else {
          // uuid, timeuuid, inet, date, time, duration, blob: their CQL text, as a string.
          std::string text = v.ToCqlLiteral(type);
          if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
            text = text.substr(1, text.size() - 2);
          }
          AppendJsonString(text, out);
        }
      },
      v.variant());
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append(fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c))));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string JsonColumnName(std::string_view name) {
  // Cassandra's Selection.rowToJson: a name with upper case letters is wrapped in double quotes
  // (nothing else is escaped or quoted: `ttl(v)` and `a b` stay as they are).
  bool upper = std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!upper) return std::string(name);
  return "\"" + std::string(name) + "\"";
}

std::string ToJson(const std::optional<std::string_view>& body, const cql::DataType& type) {
  if (!body) return "null";
  auto v = cql::DeserializeValue(*body, type);
  if (!v.ok()) return "null";
  std::string out;
  AppendValue(*v, type, &out);
  return out;
}

}  // namespace postfork::node::cql3

namespace postfork::node::cql3 {
namespace {

Status JsonError(const cql::DataType& type, std::string_view why) {
  return InvalidRequest(fmt::format("Error decoding JSON value for {}: {}", type.ToCql(), why));
}

// The text a JSON scalar stands for: strings as is, numbers and booleans as written.
std::optional<std::string> ScalarText(const boost::json::value& j) {
  if (j.is_string()) return std::string(j.as_string());
  if (j.is_int64()) return std::to_string(j.as_int64());
  if (j.is_uint64()) return std::to_string(j.as_uint64());
  if (j.is_double()) return fmt::format("{}", j.as_double());
  if (j.is_bool()) return std::string(j.as_bool() ? "true" : "false");
  return std::nullopt;
}

Result<cql::Value> ToValue(const boost::json::value& j, const cql::DataType& type);

Result<cql::Value> Integer(const boost::json::value& j, const cql::DataType& type, int64_t lo,
                           int64_t hi) {
  int64_t v = 0;
  if (j.is_int64()) {
    v = j.as_int64();
  } else if (j.is_uint64() && j.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    v = static_cast<int64_t>(j.as_uint64());
  } else if (j.is_string()) {
    const std::string s(j.as_string());
    char* end = nullptr;
    errno = 0;
    long long parsed = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0) return JsonError(type, "not an integer");
    v = parsed;
  } else {
    return JsonError(type, "expected an integer");
  }
  if (v < lo || v > hi) return JsonError(type, "out of range");
  switch (type.kind()) {
    case cql::TypeKind::kTinyint:
      return cql::Value(static_cast<int8_t>(v));
    case cql::TypeKind::kSmallint:
      return cql::Value(static_cast<int16_t>(v));
    case cql::TypeKind::kInt:
      return cql::Value(static_cast<int32_t>(v));
    default:
      return cql::Value(v);
  }
}

Result<cql::Value> ToValue(const boost::json::value& j, const cql::DataType& type) {
  using K = cql::TypeKind;
  if (j.is_null()) return cql::Value();
  switch (type.kind()) {
    case K::kAscii:
    case K::kText:
      if (!j.is_string()) return JsonError(type, "expected a string");
      return cql::Value(std::string(j.as_string()));
    case K::kBoolean:
      if (j.is_bool()) return cql::Value(j.as_bool());
      if (j.is_string() && (j.as_string() == "true" || j.as_string() == "false")) {
        return cql::Value(j.as_string() == "true");
      }
      return JsonError(type, "expected a boolean");
    case K::kTinyint:
      return Integer(j, type, INT8_MIN, INT8_MAX);
    case K::kSmallint:
      return Integer(j, type, INT16_MIN, INT16_MAX);
    case K::kInt:
      return Integer(j, type, INT32_MIN, INT32_MAX);
    case K::kBigint:
    case K::kCounter:
      return Integer(j, type, INT64_MIN, INT64_MAX);
    case K::kTimestamp:
      if (j.is_int64() || j.is_uint64()) {
        PF_ASSIGN_OR_RETURN(cql::Value ms, Integer(j, cql::DataType(K::kBigint), INT64_MIN,
                                                   INT64_MAX));
        return cql::Value(cql::Timestamp{*ms.get_if<int64_t>()});
      }
      break;
    case K::kFloat:
    case K::kDouble: {
      double d = 0;
      if (j.is_number()) {
        d = j.to_number<double>();
      } else if (j.is_string()) {
        const std::string s(j.as_string());
        char* end = nullptr;
        d = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return JsonError(type, "not a number");
      } else {
        return JsonError(type, "expected a number");
      }
      if (type.kind() == K::kFloat) return cql::Value(static_cast<float>(d));
      return cql::Value(d);
    }
    case K::kVector: {  // VectorType.fromJSONObject: a list (or a string holding one)
      boost::json::value parsed = j;
      if (j.is_string()) {
        boost::system::error_code ec;
        parsed = boost::json::parse(std::string(j.as_string()), ec);
        if (ec) return JsonError(type, "expected a list");
      }
      if (!parsed.is_array()) return JsonError(type, "expected a list");
      const auto& a = parsed.as_array();
      if (a.size() != static_cast<size_t>(type.dimension())) {
        return JsonError(type, fmt::format("List had incorrect size: expected {} but given {}",
                                           type.dimension(), a.size()));
      }
      cql::ValueList list;
      for (const auto& e : a) {
        if (e.is_null()) return JsonError(type, "Invalid null element in list");
        PF_ASSIGN_OR_RETURN(cql::Value v, ToValue(e, type.params()[0]));
        list.push_back(std::move(v));
      }
      return cql::Value(std::move(list));
    }
    case K::kList:
    case K::kSet:
    case K::kTuple: {
      if (!j.is_array()) return JsonError(type, "expected an array");
      const auto& a = j.as_array();
      const auto& params = type.params();
      if (type.kind() == K::kTuple && a.size() > params.size()) {
        return JsonError(type, "too many tuple components");
      }
      cql::ValueList list;
      for (size_t i = 0; i < a.size(); ++i) {
        const cql::DataType& et = type.kind() == K::kTuple ? params[i] : params[0];
        PF_ASSIGN_OR_RETURN(cql::Value e, ToValue(a[i], et));
        if (e.is_null() && type.kind() != K::kTuple) {
          return JsonError(type, "null is not supported inside collections");
        }
        list.push_back(std::move(e));
      }
      return cql::Value(std::move(list));
    }
    case K::kMap: {
      if (!j.is_object()) return JsonError(type, "expected an object");
      const auto& params = type.params();
      cql::ValueMap map;
      for (const auto& [key, value] : j.as_object()) {
        // Keys are strings: text keys as is, others parsed as the key type's JSON.
        boost::json::value kj;
        if (params[0].kind() == K::kText || params[0].kind() == K::kAscii) {
          kj = boost::json::string(key);
        } else {
          boost::system::error_code ec;
          kj = boost::json::parse(key, ec);
          if (ec) kj = boost::json::string(key);
        }
        PF_ASSIGN_OR_RETURN(cql::Value k, ToValue(kj, params[0]));
        PF_ASSIGN_OR_RETURN(cql::Value v, ToValue(value, params[1]));
        if (k.is_null() || v.is_null()) {
          return JsonError(type, "null is not supported inside collections");
        }
        map.push_back(cql::MapEntry{std::move(k), std::move(v)});
      }
      return cql::Value(std::move(map));
    }
    default:
      break;
  }
  // Everything else is written as its CQL text in a JSON string: uuids, inets, dates, times,
  // timestamps, durations, varints, decimals, blobs (0x..).
  std::optional<std::string> text = ScalarText(j);
  if (!text) return JsonError(type, "unexpected JSON value");
  switch (type.kind()) {
    case K::kUuid:
    case K::kTimeuuid: {
      PF_ASSIGN_OR_RETURN(cql::Uuid u, cql::Uuid::Parse(*text));
      return cql::Value(u);
    }
    case K::kInet: {
      PF_ASSIGN_OR_RETURN(cql::Inet v, cql::Inet::Parse(*text));
      return cql::Value(v);
    }
    case K::kDate: {
      PF_ASSIGN_OR_RETURN(cql::Date v, cql::Date::Parse(*text));
      return cql::Value(v);
    }
    case K::kTime: {
      PF_ASSIGN_OR_RETURN(cql::Time v, cql::Time::Parse(*text));
      return cql::Value(v);
    }
    case K::kTimestamp: {
      PF_ASSIGN_OR_RETURN(cql::Timestamp v, cql::Timestamp::Parse(*text));
      return cql::Value(v);
    }
    case K::kDuration: {
      PF_ASSIGN_OR_RETURN(cql::Duration v, cql::Duration::Parse(*text));
      return cql::Value(v);
    }
    case K::kVarint: {
      PF_ASSIGN_OR_RETURN(cql::Varint v, cql::Varint::Parse(*text));
      return cql::Value(v);
    }
    case K::kDecimal: {
      PF_ASSIGN_OR_RETURN(cql::Decimal v, cql::Decimal::Parse(*text));
      return cql::Value(v);
    }
    case K::kBlob: {
      std::string_view hex = *text;
      if (hex.size() < 2 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X') || hex.size() % 2) {
        return JsonError(type, "a blob is a \"0x...\" string");
      }
      cql::Blob b;
      for (size_t i = 2; i < hex.size(); i += 2) {
        auto nibble = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return JsonError(type, "bad hex digit");
        b.bytes.push_back(static_cast<char>(hi << 4 | lo));
      }
      return cql::Value(std::move(b));
    }
    default:
      return JsonError(type, "this type is not supported in JSON yet");
  }
}

}  // namespace

Result<std::optional<std::string>> FromJson(std::string_view json, const cql::DataType& type) {
  boost::system::error_code ec;
  boost::json::value j = boost::json::parse(json, ec);
  if (ec) return InvalidRequest("Could not decode JSON string: " + ec.message());
  PF_ASSIGN_OR_RETURN(cql::Value v, ToValue(j, type));
  if (v.is_null()) return std::optional<std::string>();
  std::string out;
  PF_RETURN_IF_ERROR(cql::SerializeValue(v, type, &out));
  return std::optional<std::string>(std::move(out));
}

Result<std::vector<std::pair<std::string, std::string>>> JsonObjectMembers(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value j = boost::json::parse(json, ec);
  if (ec) return InvalidRequest("Could not decode JSON string: " + ec.message());
  if (!j.is_object()) return InvalidRequest("Could not decode JSON string: not an object");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : j.as_object()) {
    out.emplace_back(std::string(key), boost::json::serialize(value));
  }
  return out;
}

std::string JsonKeyToColumn(std::string_view key) {
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"') {
    std::string name;
    for (size_t i = 1; i + 1 < key.size(); ++i) {
      if (key[i] == '"' && i + 2 < key.size() && key[i + 1] == '"') ++i;
      name.push_back(key[i]);
    }
    return name;
  }
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

}  // namespace postfork::node::cql3
