#include "node/cql3/functions/json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "node/cql3/timestamp_text.h"
#include "node/cql_errors.h"
#include "postfork/base/ascii.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {

std::string JavaInetText(const cql::Inet& inet) {
  if (inet.size != 16) return inet.ToString();
  bool mapped =
      std::all_of(inet.bytes.begin(), inet.bytes.begin() + 10, [](uint8_t b) { return b == 0; }) &&
      inet.bytes[10] == 0xff && inet.bytes[11] == 0xff;
  if (mapped) {
    return fmt::format("{}.{}.{}.{}", inet.bytes[12], inet.bytes[13], inet.bytes[14],
                       inet.bytes[15]);
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i) out.push_back(':');
    out += fmt::format("{:x}", inet.bytes[2 * i] << 8 | inet.bytes[2 * i + 1]);
  }
  return out;
}

namespace {

// ---- writing: AbstractType.toJSONString -------------------------------------------------------

// A scalar value's JSON (collections, tuples and UDTs are walked over their bytes).
void AppendValue(const cql::Value& v, const cql::DataType& type, std::string* out) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, cql::Null> || std::is_same_v<T, cql::Unset>) {
          out->append("null");
        } else if constexpr (std::is_same_v<T, cql::Empty>) {
          out->append("\"\"");
        } else if constexpr (std::is_same_v<T, bool>) {
          out->append(x ? "true" : "false");
        } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, int16_t> ||
                             std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
          out->append(std::to_string(x));
        } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          // JSON has no NaN or infinities: Cassandra's DoubleType/FloatType write null.
          if (std::isnan(x) || std::isinf(x)) {
            out->append("null");
          } else {
            out->append(cql::JavaFloatText(x, std::is_same_v<T, float>));
          }
        } else if constexpr (std::is_same_v<T, std::string>) {
          AppendJsonString(x, out);
        } else if constexpr (std::is_same_v<T, cql::Varint> || std::is_same_v<T, cql::Decimal>) {
          out->append(x.ToString());  // BigInteger/BigDecimal.toString: a JSON number
        } else if constexpr (std::is_same_v<T, cql::Inet>) {
          AppendJsonString(JavaInetText(x), out);
        } else if constexpr (std::is_same_v<T, cql::Timestamp>) {
          // Cassandra: "yyyy-MM-dd HH:mm:ss.SSSZ" in UTC.
          std::string text = x.ToString();  // "2024-02-29 13:30:54.234000+0000"
          if (text.size() >= 23) text = text.substr(0, 23) + "Z";
          AppendJsonString(text, out);
        } else {
          // uuid, timeuuid, date, time, duration, blob: their CQL text, as a string.
          std::string text = v.ToCqlLiteral(type);
          if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
            text = text.substr(1, text.size() - 2);
          }
          AppendJsonString(text, out);
        }
      },
      v.variant());
}

bool IsStringLike(cql::TypeKind k) {
  return k == cql::TypeKind::kText || k == cql::TypeKind::kAscii || k == cql::TypeKind::kBlob ||
         k == cql::TypeKind::kCustom;
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
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
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
          out->append(
              fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c))));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string JsonColumnName(std::string_view name) {
  // Cassandra's Selection.rowToJson: a name that is not all lower case is wrapped in double
  // quotes (nothing else is: `ttl(v)` and `a b` stay as they are).
  bool upper = std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!upper) return std::string(name);
  return "\"" + std::string(name) + "\"";
}

namespace {

// toJSONString over the serialized form, so that an empty element inside a collection, tuple or
// UDT prints as "" (as Cassandra's element types print it), not as null.
std::string JsonOfBody(std::string_view body, const cql::DataType& type, int depth) {
  using K = cql::TypeKind;
  if (body.empty() && !IsStringLike(type.kind())) return "\"\"";
  const auto& params = type.params();
  cql::ByteReader r(body);
  auto element = [&](const cql::DataType& t) -> std::optional<std::string> {
    auto e = r.ReadBytes();
    if (!e.ok()) return std::nullopt;
    return *e ? JsonOfBody(**e, t, depth + 1) : std::string("null");
  };
  if (depth < cql::DataType::kMaxDepth) {
    switch (type.kind()) {
      case K::kList:
      case K::kSet:
      case K::kMap: {
        auto n = r.ReadInt();
        if (!n.ok() || *n < 0) return "null";
        const bool map = type.kind() == K::kMap;
        std::string out(1, map ? '{' : '[');
        for (int32_t i = 0; i < *n; ++i) {
          if (i) out += ", ";
          auto first = element(params[0]);
          if (!first) return "null";
          if (map) {
            // Map keys are JSON object keys, so strings: a key whose JSON is not is quoted.
            if (!first->empty() && first->front() == '"') {
              out += *first;
            } else {
              AppendJsonString(*first, &out);
            }
            auto value = element(params[1]);
            if (!value) return "null";
            out += ": " + *value;
          } else {
            out += *first;
          }
        }
        return out + (map ? "}" : "]");
      }
      case K::kVector: {  // VectorType.toJSONString: its elements as a JSON array
        auto elements = cql::SplitVectorElements(body, type);
        if (!elements.ok()) return "null";
        std::string out = "[";
        for (size_t i = 0; i < elements->size(); ++i) {
          if (i) out += ", ";
          out += JsonOfBody((*elements)[i], params[0], depth + 1);
        }
        return out + "]";
      }
      case K::kTuple:
      case K::kUdt: {
        const bool udt = type.kind() == K::kUdt;
        std::string out(1, udt ? '{' : '[');
        for (size_t i = 0; i < params.size(); ++i) {
          if (i) out += ", ";
          if (udt) {
            AppendJsonString(JsonColumnName(type.field_names()[i]), &out);
            out += ": ";
          }
          if (r.empty()) {  // missing trailing components are null
            out += "null";
            continue;
          }
          auto e = element(params[i]);
          if (!e) return "null";
          out += *e;
        }
        return out + (udt ? "}" : "]");
      }
      default:
        break;
    }
  }
  auto v = cql::DeserializeValue(body, type);
  if (!v.ok()) return "null";
  std::string out;
  AppendValue(*v, type, &out);
  return out;
}

}  // namespace

std::string ToJson(const std::optional<std::string_view>& body, const cql::DataType& type) {
  if (!body) return "null";
  return JsonOfBody(*body, type, 0);
}

}  // namespace postfork::node::cql3

// ---- reading: Jackson's object model and fromJSONObject ----------------------------------------

namespace postfork::node::cql3 {
namespace {

struct JavaMember;

// A JSON value as Jackson's ObjectMapper reads it into Java objects.
struct JavaObject {
  enum class Kind { kNull, kBoolean, kInteger, kLong, kBigInteger, kDouble, kString, kList, kMap };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;              // Integer, Long
  double number = 0;                // Double
  std::string text;                 // String; BigInteger digits
  std::vector<JavaObject> items;    // ArrayList
  std::vector<JavaMember> members;  // LinkedHashMap, insertion order

  bool is_null() const { return kind == Kind::kNull; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_number() const {
    return kind == Kind::kInteger || kind == Kind::kLong || kind == Kind::kBigInteger ||
           kind == Kind::kDouble;
  }

  // getClass().getSimpleName()
  const char* ClassName() const {
    switch (kind) {
      case Kind::kBoolean:
        return "Boolean";
      case Kind::kInteger:
        return "Integer";
      case Kind::kLong:
        return "Long";
      case Kind::kBigInteger:
        return "BigInteger";
      case Kind::kDouble:
        return "Double";
      case Kind::kString:
        return "String";
      case Kind::kList:
        return "ArrayList";
      case Kind::kMap:
        return "LinkedHashMap";
      default:
        return "Object";
    }
  }
  // The fully qualified class name (ClassCastException texts).
  std::string QualifiedClassName() const {
    switch (kind) {
      case Kind::kBigInteger:
        return "java.math.BigInteger";
      case Kind::kList:
        return "java.util.ArrayList";
      case Kind::kMap:
        return "java.util.LinkedHashMap";
      default:
        return std::string("java.lang.") + ClassName();
    }
  }

  // toString(), what String.format's %s prints.
  std::string ToString() const;
};

// One entry of a JSON object, in the LinkedHashMap's insertion order. (A struct rather than a
// std::pair: the pair would need JavaObject complete inside JavaObject.)
struct JavaMember {
  JavaMember(std::string name, JavaObject value)
      : first(std::move(name)), second(std::move(value)) {}
  std::string first;
  JavaObject second;
};

std::string JavaObject::ToString() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return boolean ? "true" : "false";
    case Kind::kInteger:
    case Kind::kLong:
      return std::to_string(integer);
    case Kind::kDouble:
      return cql::JavaFloatText(number);
    case Kind::kBigInteger:
    case Kind::kString:
      return text;
    case Kind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += items[i].ToString();
      }
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "{";
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) out += ", ";
        out += members[i].first + "=" + members[i].second.ToString();
      }
      return out + "}";
    }
  }
  return "";
}

// A Jackson exception: its class and its message (with the location).
struct JacksonError {
  std::string class_name;
  std::string message;
  std::string ToString() const { return class_name + ": " + message; }
};

constexpr std::string_view kSource =
    "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); ";
constexpr std::string_view kValidValues =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

// Reads one JSON value as Jackson's ObjectMapper.readValue does with Cassandra's configuration:
// standard JSON only, numbers as Integer/Long/BigInteger/Double, duplicate names keep the last
// value, anything after the first value ignored.
class JacksonReader {
 public:
  explicit JacksonReader(std::string_view in) : in_(in) {}

  // readValue(text, Object.class); with `map_only`, readValue(text, Map.class).
  std::optional<JacksonError> ReadRoot(bool map_only, JavaObject* out) {
    SkipSpace();
    if (at_ >= in_.size()) {
      return JacksonError{
          "com.fasterxml.jackson.databind.exc.MismatchedInputException",
          "No content to map due to end-of-input\n at " + std::string(kSource) + "line: 1]"};
    }
    size_t start = at_;
    if (auto e = ReadValue(out, "")) return e;
    if (!map_only || out->kind == JavaObject::Kind::kMap || out->is_null()) return std::nullopt;
    std::string what;
    switch (out->kind) {
      case JavaObject::Kind::kList:
        what = "from Array value (token `JsonToken.START_ARRAY`)";
        break;
      case JavaObject::Kind::kBoolean:
        what = out->boolean ? "from Boolean value (token `JsonToken.VALUE_TRUE`)"
                            : "from Boolean value (token `JsonToken.VALUE_FALSE`)";
        break;
      case JavaObject::Kind::kDouble:
        what = "from Floating-point value (token `JsonToken.VALUE_NUMBER_FLOAT`)";
        break;
      case JavaObject::Kind::kString:
        return JacksonError{
            "com.fasterxml.jackson.databind.exc.MismatchedInputException",
            "Cannot construct instance of `java.util.LinkedHashMap` (although at least one "
            "Creator exists): no String-argument constructor/factory method to deserialize from "
            "String value ('" +
                out->text + "')\n at " + Location(start)};
      default:
        what = "from Integer value (token `JsonToken.VALUE_NUMBER_INT`)";
    }
    return JacksonError{"com.fasterxml.jackson.databind.exc.MismatchedInputException",
                        "Cannot deserialize value of type "
                        "`java.util.LinkedHashMap<java.lang.Object,java.lang.Object>` " +
                            what + "\n at " + Location(start)};
  }

 private:
  // "[Source: ...; line: L, column: C]" of the character at `pos` (columns count characters).
  std::string Location(size_t pos) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos && i < in_.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(in_[i]);
      if (c == '\n') {
        ++line;
        column = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++column;
      }
    }
    return fmt::format("{}line: {}, column: {}]", kSource, line, column);
  }

  static JacksonError ParseError(std::string message) {
    return JacksonError{"com.fasterxml.jackson.core.JsonParseException", std::move(message)};
  }
  JacksonError Eof(std::string_view what) const {
    return JacksonError{
        "com.fasterxml.jackson.core.io.JsonEOFException",
        "Unexpected end-of-input" + std::string(what) + "\n at " + Location(in_.size())};
  }
  // Jackson's description of a character: 'c' (code N), or (CTRL-CHAR, code N).
  std::string CharDesc(size_t pos) const {
    unsigned char c = static_cast<unsigned char>(in_[pos]);
    if (c < 0x20) return fmt::format("(CTRL-CHAR, code {})", c);
    if (c < 0x80) return fmt::format("'{}' (code {})", static_cast<char>(c), c);
    // A UTF-8 sequence: the code point it encodes.
    uint32_t cp = 0;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n && pos + i < in_.size(); ++i) {
      cp = cp << 6 | (static_cast<unsigned char>(in_[pos + i]) & 0x3F);
    }
    std::string ch(in_.substr(pos, n));
    if (cp > 255) return fmt::format("'{}' (code {} / 0x{:x})", ch, cp, cp);
    return fmt::format("'{}' (code {})", ch, cp);
  }
  JacksonError Unexpected(size_t pos, std::string_view what) const {
    return ParseError("Unexpected character (" + CharDesc(pos) + "): " + std::string(what) +
                      "\n at " + Location(pos));
  }

  void SkipSpace() {
    while (at_ < in_.size() &&
           (in_[at_] == ' ' || in_[at_] == '\t' || in_[at_] == '\n' || in_[at_] == '\r')) {
      ++at_;
    }
  }

  static bool IdentifierStart(unsigned char c) {
    return std::isalpha(c) || c == '_' || c == '$' || c >= 0x80;
  }
  static bool IdentifierPart(unsigned char c) { return IdentifierStart(c) || std::isdigit(c); }

  // A value at at_ (not at the end). `eof` is the end-of-input text where a value is missing.
  std::optional<JacksonError> ReadValue(JavaObject* out, std::string_view eof) {
    if (at_ >= in_.size()) return Eof(eof);
    char c = in_[at_];
    if (c == '{') return ReadObject(out);
    if (c == '[') return ReadArray(out);
    if (c == '"') {
      out->kind = JavaObject::Kind::kString;
      return ReadString(&out->text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber(out);
    if (IdentifierStart(static_cast<unsigned char>(c))) {
      size_t start = at_;
      while (at_ < in_.size() && IdentifierPart(static_cast<unsigned char>(in_[at_]))) ++at_;
      std::string_view token = in_.substr(start, at_ - start);
      if (token == "true" || token == "false") {
        out->kind = JavaObject::Kind::kBoolean;
        out->boolean = token == "true";
        return std::nullopt;
      }
      if (token == "null") {
        out->kind = JavaObject::Kind::kNull;
        return std::nullopt;
      }
      return ParseError("Unrecognized token '" + std::string(token) + "': was expecting " +
                        std::string(kValidValues) + "\n at " + Location(at_));
    }
    return Unexpected(at_, "expected a valid value " + std::string(kValidValues));
  }

  std::optional<JacksonError> ReadObject(JavaObject* out) {
    std::string unclosed;
    if (OpenContainer(JavaObject::Kind::kMap, '}', "Object", out, &unclosed)) return std::nullopt;
    while (true) {
      if (at_ >= in_.size()) return Eof(unclosed);
      if (in_[at_] != '"') return Unexpected(at_, "was expecting double-quote to start field name");
      std::string name;
      if (auto e = ReadString(&name)) return e;
      SkipSpace();
      if (at_ >= in_.size()) return Eof(" within/between Object entries");
      if (in_[at_] != ':') {
        return Unexpected(at_, "was expecting a colon to separate field name and value");
      }
      ++at_;
      SkipSpace();
      JavaObject value;
      if (auto e = ReadValue(&value, " within/between Object entries")) return e;
      auto it = std::find_if(out->members.begin(), out->members.end(),
                             [&](const auto& m) { return m.first == name; });
      if (it != out->members.end()) {
        it->second = std::move(value);
      } else {
        out->members.emplace_back(std::move(name), std::move(value));
      }
      bool closed = false;
      if (auto e = AfterEntry('}', unclosed, "Object", &closed)) return e;
      if (closed) return std::nullopt;
    }
  }

  // After an entry of an Object or Array: its closing character (*closed) or a comma.
  std::optional<JacksonError> AfterEntry(char close, const std::string& unclosed,
                                         std::string_view container, bool* closed) {
    SkipSpace();
    if (at_ >= in_.size()) return Eof(unclosed);
    if (in_[at_] == close) {
      ++at_;
      *closed = true;
      return std::nullopt;
    }
    if (in_[at_] != ',') {
      return Unexpected(at_, fmt::format("was expecting comma to separate {} entries", container));
    }
    ++at_;
    SkipSpace();
    return std::nullopt;
  }

  // The opening character at at_: the container's kind, its unclosed-end text, and whether it
  // is empty (then consumed whole).
  bool OpenContainer(JavaObject::Kind kind, char close, std::string_view name, JavaObject* out,
                     std::string* unclosed) {
    const size_t open = at_++;
    out->kind = kind;
    *unclosed =
        fmt::format(": expected close marker for {} (start marker at {})", name, Location(open));
    SkipSpace();
    if (at_ < in_.size() && in_[at_] == close) {
      ++at_;
      return true;
    }
    return false;
  }

  std::optional<JacksonError> ReadArray(JavaObject* out) {
    std::string unclosed;
    if (OpenContainer(JavaObject::Kind::kList, ']', "Array", out, &unclosed)) return std::nullopt;
    while (true) {
      if (at_ >= in_.size()) return Eof(unclosed);
      JavaObject item;
      if (auto e = ReadValue(&item, " within/between Array entries")) return e;
      out->items.push_back(std::move(item));
      bool closed = false;
      if (auto e = AfterEntry(']', unclosed, "Array", &closed)) return e;
      if (closed) return std::nullopt;
    }
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | cp >> 6));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | cp >> 12));
      out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | cp >> 18));
      out->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Four hex digits of a \u escape at at_.
  std::optional<JacksonError> ReadHex4(uint32_t* out) {
    *out = 0;
    for (int i = 0; i < 4; ++i) {
      if (at_ >= in_.size()) return Eof(" in character escape sequence");
      int d = std::isxdigit(static_cast<unsigned char>(in_[at_]))
                  ? (std::isdigit(static_cast<unsigned char>(in_[at_]))
                         ? in_[at_] - '0'
                         : ascii::ToLower(in_[at_]) - 'a' + 10)
                  : -1;
      if (d < 0) {
        return Unexpected(at_, "expected a hex-digit for character escape sequence");
      }
      *out = *out << 4 | static_cast<uint32_t>(d);
      ++at_;
    }
    return std::nullopt;
  }

  std::optional<JacksonError> ReadString(std::string* out) {
    ++at_;  // the opening quote
    while (true) {
      if (at_ >= in_.size()) return Eof(": was expecting closing quote for a string value");
      unsigned char c = static_cast<unsigned char>(in_[at_]);
      if (c == '"') {
        ++at_;
        return std::nullopt;
      }
      if (c < 0x20) {
        return ParseError("Illegal unquoted character (" + CharDesc(at_) +
                          "): has to be escaped using backslash to be included in string value"
                          "\n at " +
                          Location(at_));
      }
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++at_;
        continue;
      }
      ++at_;
      if (at_ >= in_.size()) return Eof(" in character escape sequence");
      char e = in_[at_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (auto err = ReadHex4(&cp)) return err;
          if (cp >= 0xD800 && cp < 0xDC00 && at_ + 1 < in_.size() && in_[at_] == '\\' &&
              in_[at_ + 1] == 'u') {
            size_t save = at_;
            at_ += 2;
            uint32_t low = 0;
            if (auto err = ReadHex4(&low)) return err;
            if (low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              at_ = save;
            }
          }
          if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;  // a lone surrogate
          AppendUtf8(cp, out);
          break;
        }
        default:
          return ParseError("Unrecognized character escape " + CharDesc(at_ - 1) + "\n at " +
                            Location(at_ - 1));
      }
    }
  }

  std::optional<JacksonError> ReadNumber(JavaObject* out) {
    const size_t start = at_;
    auto digit = [&](size_t i) { return i < in_.size() && in_[i] >= '0' && in_[i] <= '9'; };
    if (in_[at_] == '-') {
      ++at_;
      if (!digit(at_)) {
        if (at_ >= in_.size()) return Eof(" in a Number value");
        return ParseError("Unexpected character (" + CharDesc(at_) +
                          ") in numeric value: expected digit (0-9) to follow minus sign, for "
                          "valid numeric value\n at " +
                          Location(at_));
      }
    }
    if (in_[at_] == '0' && digit(at_ + 1)) {
      return ParseError("Invalid numeric value: Leading zeroes not allowed\n at " +
                        Location(at_ + 1));
    }
    while (digit(at_)) ++at_;
    bool floating = false;
    if (at_ < in_.size() && in_[at_] == '.') {
      floating = true;
      ++at_;
      if (!digit(at_)) {
        if (at_ >= in_.size()) return Eof(" in a Number value");
        return ParseError("Unexpected character (" + CharDesc(at_) +
                          ") in numeric value: Decimal point not followed by a digit\n at " +
                          Location(at_));
      }
      while (digit(at_)) ++at_;
    }
    if (at_ < in_.size() && (in_[at_] == 'e' || in_[at_] == 'E')) {
      floating = true;
      ++at_;
      if (at_ < in_.size() && (in_[at_] == '+' || in_[at_] == '-')) ++at_;
      if (!digit(at_)) {
        if (at_ >= in_.size()) return Eof(" in a Number value");
        return ParseError("Unexpected character (" + CharDesc(at_) +
                          ") in numeric value: Exponent indicator not followed by a digit\n at " +
                          Location(at_));
      }
      while (digit(at_)) ++at_;
    }
    std::string text(in_.substr(start, at_ - start));
    if (floating) {
      out->kind = JavaObject::Kind::kDouble;
      out->number = std::strtod(text.c_str(), nullptr);
      return std::nullopt;
    }
    errno = 0;
    long long v = std::strtoll(text.c_str(), nullptr, 10);
    if (errno == ERANGE) {
      out->kind = JavaObject::Kind::kBigInteger;
      out->text = text == "-0" ? "0" : text;
    } else if (v >= std::numeric_limits<int32_t>::min() &&
               v <= std::numeric_limits<int32_t>::max()) {
      out->kind = JavaObject::Kind::kInteger;
      out->integer = v;
    } else {
      out->kind = JavaObject::Kind::kLong;
      out->integer = v;
    }
    return std::nullopt;
  }

  std::string_view in_;
  size_t at_ = 0;
};

// A MarshalException: Cassandra's message, the text after "Error decoding JSON value for c: ".
Status Marshal(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

Status Expected(std::string_view what, const JavaObject& got) {
  return Marshal(
      fmt::format("Expected {}, but got a {}: {}", what, got.ClassName(), got.ToString()));
}

// JsonUtils.handleCaseSensitivity: a member name in double quotes keeps its case (quotes
// removed), any other is lower-cased; a renamed member moves to the end, replacing a member of
// that name in place.
void HandleCaseSensitivity(std::vector<JavaMember>* members) {
  std::vector<std::string> keys;
  for (const auto& m : *members) keys.push_back(m.first);
  for (const std::string& key : keys) {
    std::string renamed;
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') {
      renamed = key.substr(1, key.size() - 2);
    } else {
      renamed = ascii::Lower(key);
      if (renamed == key) continue;
    }
    auto it = std::find_if(members->begin(), members->end(),
                           [&](const auto& m) { return m.first == key; });
    if (it == members->end()) continue;
    JavaObject value = std::move(it->second);
    members->erase(it);
    auto existing = std::find_if(members->begin(), members->end(),
                                 [&](const auto& m) { return m.first == renamed; });
    if (existing != members->end()) {
      existing->second = std::move(value);
    } else {
      members->emplace_back(std::move(renamed), std::move(value));
    }
  }
}

// JsonUtils.decodeJson: a collection, tuple or UDT given as a string holds its JSON.
Result<JavaObject> DecodeNested(const JavaObject& parsed) {
  if (!parsed.is_string()) return parsed;
  JavaObject out;
  JacksonReader reader(parsed.text);
  if (auto e = reader.ReadRoot(false, &out)) {
    return Marshal("Error decoding JSON string: " + e->message);
  }
  return out;
}

// Java's Integer.parseInt / Long.parseLong / Short.parseShort / Byte.parseByte.
bool ParseJavaInteger(std::string_view s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] < '0' || s[j] > '9') return false;
  }
  std::string text(s);
  errno = 0;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// Java's Double.valueOf / Float.parseFloat for the forms JSON texts carry: decimal numbers,
// NaN and Infinity with an optional sign, surrounding whitespace ignored.
bool ParseJavaDouble(std::string_view s, double* out) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  if (!s.empty() && (s.back() == 'd' || s.back() == 'D' || s.back() == 'f' || s.back() == 'F')) {
    s.remove_suffix(1);
  }
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (body == "Infinity") {
    *out = negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
    return true;
  }
  if (body.empty()) return false;
  for (char c : body) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != 'e' && c != 'E' &&
        c != '-' && c != '+') {
      return false;
    }
  }
  std::string text(s);
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

Result<cql::Value> FromJavaObject(const JavaObject& parsed, const cql::DataType& type);

// Int32Type, LongType, ShortType and ByteType.
// Each integer type's range and names in Cassandra's messages.
struct IntegerType {
  int64_t lo, hi;
  std::string_view java_name;  // "Unable to make <java_name> from '...'"
  std::string_view expected;   // "Expected <expected>, but got ..."
};

template <class T>
constexpr IntegerType Range(std::string_view java_name, std::string_view expected) {
  return {std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), java_name, expected};
}

Result<cql::Value> IntegerFromJson(const JavaObject& parsed, const cql::DataType& type) {
  using K = cql::TypeKind;
  const auto [lo, hi, java_name, expected] =
      type.kind() == K::kInt        ? Range<int32_t>("int", "an int value")
      : type.kind() == K::kSmallint ? Range<int16_t>("short", "a short value")
      : type.kind() == K::kTinyint  ? Range<int8_t>("byte", "a byte value")
                                    : Range<int64_t>("long", "a bigint value");
  std::string text;
  if (parsed.is_string()) {
    text = parsed.text;
  } else if (parsed.is_number() && (type.kind() == K::kSmallint || type.kind() == K::kTinyint)) {
    text = parsed.ToString();  // String.valueOf(parsed), parsed again
  } else if (parsed.kind == JavaObject::Kind::kInteger ||
             (parsed.kind == JavaObject::Kind::kLong && type.kind() != K::kInt)) {
    text = parsed.ToString();
  } else {
    return Expected(expected, parsed);
  }
  if (text.empty()) return cql::Value(cql::Empty{});
  int64_t v = 0;
  if (!ParseJavaInteger(text, lo, hi, &v)) {
    return Marshal(fmt::format("Unable to make {} from '{}'", java_name, text));
  }
  switch (type.kind()) {
    case K::kTinyint:
      return cql::Value(static_cast<int8_t>(v));
    case K::kSmallint:
      return cql::Value(static_cast<int16_t>(v));
    case K::kInt:
      return cql::Value(static_cast<int32_t>(v));
    default:
      return cql::Value(v);
  }
}

// ClassCastException's text for a cast of `parsed` to String.
std::string CastToStringError(const JavaObject& parsed) {
  std::string from = parsed.QualifiedClassName();
  bool base = from.rfind("java.lang.", 0) == 0 || from.rfind("java.util.", 0) == 0 ||
              from.rfind("java.math.", 0) == 0;
  return fmt::format(
      "class {} cannot be cast to class java.lang.String ({} and java.lang.String "
      "are in {} of loader 'bootstrap')",
      from, from, base ? "module java.base" : "unnamed module");
}

Result<cql::Value> FromJavaObject(const JavaObject& parsed, const cql::DataType& type) {
  using K = cql::TypeKind;
  switch (type.kind()) {
    case K::kInt:
    case K::kBigint:
    case K::kCounter:
    case K::kSmallint:
    case K::kTinyint:
      return IntegerFromJson(parsed, type);
    case K::kFloat:
    case K::kDouble: {
      const bool is_float = type.kind() == K::kFloat;
      double d = 0;
      if (parsed.is_string()) {
        if (parsed.text.empty()) return cql::Value(cql::Empty{});
        if (!ParseJavaDouble(parsed.text, &d)) {
          return Marshal(fmt::format("Unable to make {} from '{}'", is_float ? "float" : "double",
                                     parsed.text));
        }
      } else if (parsed.kind == JavaObject::Kind::kDouble) {
        d = parsed.number;
      } else if (parsed.kind == JavaObject::Kind::kInteger ||
                 parsed.kind == JavaObject::Kind::kLong) {
        d = static_cast<double>(parsed.integer);
      } else if (parsed.kind == JavaObject::Kind::kBigInteger) {
        d = std::strtod(parsed.text.c_str(), nullptr);
      } else {
        return Expected(is_float ? "a float value" : "a double value", parsed);
      }
      if (is_float) return cql::Value(static_cast<float>(d));
      return cql::Value(d);
    }
    case K::kDecimal: {
      // DecimalType: fromString(Objects.toString(parsed)).
      std::string text = parsed.ToString();
      if (text.empty()) return cql::Value(cql::Empty{});
      auto v = cql::Decimal::Parse(text);
      if (!v.ok()) {
        return Marshal(
            fmt::format("Value '{}' is not a valid representation of a decimal value", text));
      }
      return cql::Value(std::move(*v));
    }
    case K::kVarint: {
      std::string text = parsed.ToString();
      std::string_view digits = text;
      if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
      bool ok = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
      auto v = ok ? cql::Varint::Parse(text[0] == '+' ? text.substr(1) : text)
                  : Result<cql::Varint>(Marshal(""));
      if (!v.ok()) {
        return Marshal(
            fmt::format("Value '{}' is not a valid representation of a varint value", text));
      }
      return cql::Value(std::move(*v));
    }
    case K::kBoolean: {
      if (parsed.kind == JavaObject::Kind::kBoolean) return cql::Value(parsed.boolean);
      if (!parsed.is_string()) return Expected("a boolean value", parsed);
      std::string lower = ascii::Lower(parsed.text);
      if (lower.empty() || lower == "false") return cql::Value(false);
      if (lower == "true") return cql::Value(true);
      return Marshal(fmt::format("Unable to make boolean from '{}'", parsed.text));
    }
    case K::kAscii: {
      if (!parsed.is_string()) return Expected("an ascii string", parsed);
      for (size_t i = 0; i < parsed.text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(parsed.text[i]);
        if (c >= 0x80) {
          return Marshal(
              fmt::format("Invalid ASCII character in string literal: "
                          "java.nio.charset.UnmappableCharacterException: Input length = {}",
                          c >= 0xF0 ? 2 : 1));  // UTF-16 units of the character
        }
      }
      return cql::Value(parsed.text);
    }
    case K::kText:
      if (!parsed.is_string()) return Expected("a UTF-8 string", parsed);
      return cql::Value(parsed.text);
    case K::kBlob:
    case K::kCustom: {
      if (!parsed.is_string()) {
        return Marshal(fmt::format("Value '{}' is not a valid blob representation: {}",
                                   parsed.ToString(), CastToStringError(parsed)));
      }
      const std::string& s = parsed.text;
      if (s.rfind("0x", 0) != 0) {
        return Marshal(fmt::format(
            "Value '{}' is not a valid blob representation: String representation of blob is "
            "missing 0x prefix: {}",
            s, s));
      }
      std::string_view hex = std::string_view(s).substr(2);
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      bool ok = hex.size() % 2 == 0;
      cql::Blob b;
      for (size_t i = 0; ok && i < hex.size(); i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) {
          ok = false;
        } else {
          b.bytes.push_back(static_cast<char>(hi << 4 | lo));
        }
      }
      if (!ok) {
        return Marshal(fmt::format(
            "Value '{}' is not a valid blob representation: cannot parse '{}' as hex bytes", s,
            hex));
      }
      return cql::Value(std::move(b));
    }
    case K::kUuid:
    case K::kTimeuuid: {
      const bool time = type.kind() == K::kTimeuuid;
      if (!parsed.is_string()) {
        return Expected(
            time ? "a string representation of a timeuuid" : "a string representation of a uuid",
            parsed);
      }
      if (parsed.text.empty()) return cql::Value(cql::Empty{});
      auto u = cql::Uuid::Parse(parsed.text);
      if (!u.ok()) {
        return Marshal(time ? fmt::format("Unknown timeuuid representation: {}", parsed.text)
                            : fmt::format("Unable to make UUID from '{}'", parsed.text));
      }
      if (time && u->version() != 1) return Marshal("TimeUUID supports only version 1 UUIDs");
      return cql::Value(*u);
    }
    case K::kTimestamp: {
      if (parsed.kind == JavaObject::Kind::kLong) {
        return cql::Value(cql::Timestamp{parsed.integer});
      }
      if (!parsed.is_string()) {
        return Expected("a long or a datestring representation of a timestamp value", parsed);
      }
      if (parsed.text.empty()) return cql::Value(cql::Empty{});
      int64_t millis = 0;
      if (ParseJavaInteger(parsed.text, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max(), &millis)) {
        return cql::Value(cql::Timestamp{millis});
      }
      auto v = ParseTimestampText(parsed.text);
      if (!v.ok()) {
        return Marshal(fmt::format("Unable to parse a date/time from '{}'", parsed.text));
      }
      return cql::Value(*v);
    }
    case K::kDate: {
      if (!parsed.is_string()) {
        return Expected("a string representation of a date value", parsed);
      }
      auto v = cql::Date::Parse(parsed.text);
      if (!v.ok()) {
        return Marshal(
            fmt::format("Unable to coerce '{}' to a formatted date (long)", parsed.text));
      }
      return cql::Value(*v);
    }
    case K::kTime: {
      if (!parsed.is_string()) {
        return Expected("a string representation of a time value", parsed);
      }
      auto v = cql::Time::Parse(parsed.text);
      if (!v.ok()) {
        return Marshal(fmt::format("(TimeType) Unable to coerce '{}' to a formatted time (long)",
                                   parsed.text));
      }
      return cql::Value(*v);
    }
    case K::kInet: {
      if (!parsed.is_string()) {
        return Expected("a string representation of an inet value", parsed);
      }
      if (parsed.text.empty()) return cql::Value(cql::Empty{});
      auto v = cql::Inet::Parse(parsed.text);
      if (!v.ok()) {
        return Marshal(fmt::format("Unable to make inet address from '{}'", parsed.text));
      }
      return cql::Value(*v);
    }
    case K::kDuration: {
      if (!parsed.is_string()) {
        return Expected("a string representation of a duration", parsed);
      }
      if (parsed.text.empty()) return cql::Value(cql::Empty{});
      auto v = cql::Duration::Parse(parsed.text);
      if (!v.ok()) return Marshal(v.error().message());
      return cql::Value(*v);
    }
    case K::kList:
    case K::kSet: {
      const bool set = type.kind() == K::kSet;
      PF_ASSIGN_OR_RETURN(JavaObject list, DecodeNested(parsed));
      if (list.kind != JavaObject::Kind::kList) {
        return Expected(set ? "a list (representing a set)" : "a list", list);
      }
      cql::ValueList out;
      for (const JavaObject& item : list.items) {
        if (item.is_null()) {
          return Marshal(set ? "Invalid null element in set" : "Invalid null element in list");
        }
        PF_ASSIGN_OR_RETURN(cql::Value e, FromJavaObject(item, type.params()[0]));
        out.push_back(std::move(e));
      }
      return cql::Value(std::move(out));
    }
    case K::kMap: {
      PF_ASSIGN_OR_RETURN(JavaObject map, DecodeNested(parsed));
      if (map.kind != JavaObject::Kind::kMap) return Expected("a map", map);
      cql::ValueMap out;
      for (const auto& [name, value] : map.members) {
        if (value.is_null()) return Marshal("Invalid null value in map");
        JavaObject key;
        key.kind = JavaObject::Kind::kString;
        key.text = name;
        PF_ASSIGN_OR_RETURN(cql::Value k, FromJavaObject(key, type.params()[0]));
        PF_ASSIGN_OR_RETURN(cql::Value v, FromJavaObject(value, type.params()[1]));
        out.push_back(cql::MapEntry{std::move(k), std::move(v)});
      }
      return cql::Value(std::move(out));
    }
    case K::kVector: {
      PF_ASSIGN_OR_RETURN(JavaObject list, DecodeNested(parsed));
      if (list.kind != JavaObject::Kind::kList) return Expected("a list", list);
      const auto dimension = static_cast<size_t>(type.dimension());
      if (list.items.size() != dimension) {
        return Marshal(fmt::format("List had incorrect size: expected {} but given {}; {}",
                                   dimension, list.items.size(), list.ToString()));
      }
      cql::ValueList out;
      for (const JavaObject& item : list.items) {
        if (item.is_null()) return Marshal("Invalid null element in list");
        PF_ASSIGN_OR_RETURN(cql::Value e, FromJavaObject(item, type.params()[0]));
        out.push_back(std::move(e));
      }
      return cql::Value(std::move(out));
    }
    case K::kTuple: {
      PF_ASSIGN_OR_RETURN(JavaObject list, DecodeNested(parsed));
      if (list.kind != JavaObject::Kind::kList) {
        return Expected("a list representation of a tuple", list);
      }
      const auto& params = type.params();
      if (list.items.size() > params.size()) {
        return Marshal(fmt::format("Tuple contains extra items (expected {}): {}", params.size(),
                                   list.ToString()));
      }
      if (list.items.size() < params.size()) {
        return Marshal(fmt::format("Tuple is missing items (expected {}): {}", params.size(),
                                   list.ToString()));
      }
      cql::ValueList out;
      for (size_t i = 0; i < params.size(); ++i) {
        if (list.items[i].is_null()) {
          out.emplace_back();
          continue;
        }
        PF_ASSIGN_OR_RETURN(cql::Value e, FromJavaObject(list.items[i], params[i]));
        out.push_back(std::move(e));
      }
      return cql::Value(std::move(out));
    }
    case K::kUdt: {
      PF_ASSIGN_OR_RETURN(JavaObject map, DecodeNested(parsed));
      if (map.kind != JavaObject::Kind::kMap) return Expected("a map", map);
      HandleCaseSensitivity(&map.members);
      const auto& names = type.field_names();
      const auto& params = type.params();
      size_t found = 0;
      cql::ValueList out;
      for (size_t i = 0; i < params.size(); ++i) {
        auto it = std::find_if(map.members.begin(), map.members.end(),
                               [&](const auto& m) { return m.first == names[i]; });
        if (it == map.members.end() || it->second.is_null()) {
          if (it != map.members.end()) ++found;
          out.emplace_back();
          continue;
        }
        PF_ASSIGN_OR_RETURN(cql::Value e, FromJavaObject(it->second, params[i]));
        out.push_back(std::move(e));
        ++found;
      }
      if (found != map.members.size()) {
        for (const auto& [name, value] : map.members) {
          if (std::find(names.begin(), names.end(), name) == names.end()) {
            return Marshal(fmt::format("Unknown field '{}' in value of user defined type {}", name,
                                       type.udt_name()));
          }
        }
      }
      return cql::Value(std::move(out));
    }
    default:
      return Marshal(fmt::format("{} values are not supported in JSON", type.ToCql()));
  }
}

// A converted value as a cell body; an empty value stays empty.
Result<std::optional<std::string>> Serialize(const cql::Value& v, const cql::DataType& type) {
  if (v.is_null()) return std::optional<std::string>();
  std::string out;
  Status s = cql::SerializeValue(v, type, &out);
  if (!s.ok()) return Marshal(s.message());
  return std::optional<std::string>(std::move(out));
}

}  // namespace

Result<std::optional<std::string>> FromJson(std::string_view json, const cql::DataType& type) {
  JavaObject parsed;
  JacksonReader reader(json);
  if (auto e = reader.ReadRoot(false, &parsed)) {
    return FunctionFailure(fmt::format(
        "execution of 'system.fromjson[text]' failed: Could not decode JSON string '{}': {}", json,
        e->ToString()));
  }
  if (parsed.is_null()) return std::optional<std::string>();
  auto v = FromJavaObject(parsed, type);
  if (!v.ok()) {
    return FunctionFailure("org.apache.cassandra.serializers.MarshalException: " +
                           v.error().message());
  }
  auto bytes = Serialize(*v, type);
  if (!bytes.ok()) {
    return FunctionFailure("org.apache.cassandra.serializers.MarshalException: " +
                           bytes.error().message());
  }
  return bytes;
}

Result<std::vector<JsonColumnValue>> ParseInsertJson(
    std::string_view json, const std::vector<std::pair<std::string, cql::DataType>>& columns) {
  JavaObject object;
  JacksonReader reader(json);
  if (auto e = reader.ReadRoot(true, &object)) {
    return InvalidRequest(fmt::format("Could not decode JSON string as a map: {}. (String was: {})",
                                      e->ToString(), json));
  }
  if (object.is_null()) return InvalidRequest("Got null for INSERT JSON values");
  HandleCaseSensitivity(&object.members);
  std::vector<JsonColumnValue> out(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string& name = columns[i].first;  // (a structured binding cannot be captured)
    const cql::DataType& type = columns[i].second;
    auto it = std::find_if(object.members.begin(), object.members.end(),
                           [&](const auto& m) { return m.first == name; });
    if (it == object.members.end()) continue;
    out[i].given = true;
    if (!it->second.is_null()) {
      auto v = FromJavaObject(it->second, type);
      Result<std::optional<std::string>> bytes =
          v.ok() ? Serialize(*v, type) : Result<std::optional<std::string>>(v.error());
      if (!bytes.ok()) {
        return InvalidRequest(
            fmt::format("Error decoding JSON value for {}: {}", name, bytes.error().message()));
      }
      out[i].value = std::move(*bytes);
    }
    object.members.erase(it);
  }
  if (!object.members.empty()) {
    return InvalidRequest("JSON values map contains unrecognized column: " +
                          object.members.front().first);
  }
  return out;
}

}  // namespace postfork::node::cql3
