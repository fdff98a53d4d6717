#include "node/cql3/functions/json.h"

#include <fmt/format.h>

#include <cmath>

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

void AppendDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("\"NaN\"");
  } else if (std::isinf(d)) {
    out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    out->append(fmt::format("{}", d));
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
          AppendDouble(static_cast<double>(x), out);
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
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (plain) return std::string(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
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
