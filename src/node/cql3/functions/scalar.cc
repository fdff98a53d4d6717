#include "node/cql3/functions/scalar.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "node/cql3/functions/json.h"
#include "node/cql3/values.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

using cql::DataType;
using cql::TypeKind;

// 100 ns intervals between 1582-10-15 (UUID time) and 1970-01-01.
constexpr int64_t kUuidEpochOffset = 0x01B21DD213814000LL;
constexpr int64_t kMillisPerDay = 86400000;
constexpr uint32_t kDateEpoch = 1u << 31;  // CQL date: days since 1970-01-01 plus 2^31

std::string Bigint(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
  return out;
}

std::string Date(int64_t millis) {
  int64_t days = millis / kMillisPerDay - (millis % kMillisPerDay < 0 ? 1 : 0);
  uint32_t v = static_cast<uint32_t>(static_cast<int64_t>(kDateEpoch) + days);
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string UuidBytes(const cql::Uuid& u) {
  return std::string(reinterpret_cast<const char*>(u.bytes.data()), u.bytes.size());
}

// Milliseconds since the epoch of a timeuuid, timestamp or date value.
std::optional<int64_t> Millis(TypeKind kind, std::string_view v) {
  switch (kind) {
    case TypeKind::kTimeuuid: {
      if (v.size() != 16) return std::nullopt;
      auto b = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(v[i])); };
      uint64_t time_low = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
      uint64_t time_mid = b(4) << 8 | b(5);
      uint64_t time_hi = (b(6) << 8 | b(7)) & 0x0FFF;
      int64_t t = static_cast<int64_t>(time_hi << 48 | time_mid << 32 | time_low);
      return (t - kUuidEpochOffset) / 10000;
    }
    case TypeKind::kTimestamp:
      if (v.size() != 8) return std::nullopt;
      return static_cast<int64_t>(cql::LoadBE64(v.data()));
    case TypeKind::kDate:
      if (v.size() != 4) return std::nullopt;
      return (static_cast<int64_t>(cql::LoadBE32(v.data())) - static_cast<int64_t>(kDateEpoch)) *
             kMillisPerDay;
    default:
      return std::nullopt;
  }
}

// Cassandra's minTimeuuid/maxTimeuuid (UUIDGen.minTimeUUID/maxTimeUUID): the smallest and
// largest timeuuid of a millisecond, by time and then by the signed clock sequence and node.
std::string TimeUuidBound(int64_t millis, bool max) {
  uint64_t t = static_cast<uint64_t>(millis * 10000 + kUuidEpochOffset + (max ? 9999 : 0));
  uint64_t msb = ((t & 0xFFFFFFFFULL) << 32) | (((t >> 32) & 0xFFFF) << 16) |
                 ((t >> 48) & 0x0FFF) | 0x1000;
  uint64_t lsb = max ? 0x7F7F7F7F7F7F7F7FULL : 0x8080808080808080ULL;
  return Bigint(static_cast<int64_t>(msb)) + Bigint(static_cast<int64_t>(lsb));
}

bool OneOf(TypeKind k, std::initializer_list<TypeKind> kinds) {
  for (TypeKind x : kinds) {
    if (x == k) return true;
  }
  return false;
}

// "intasblob" -> int, "blobasint" -> int; only native types.
std::optional<DataType> BlobConversionType(std::string_view name, bool* to_blob) {
  std::string_view type_name;
  if (name.size() > 6 && name.substr(name.size() - 6) == "asblob") {
    *to_blob = true;
    type_name = name.substr(0, name.size() - 6);
  } else if (name.size() > 6 && name.substr(0, 6) == "blobas") {
    *to_blob = false;
    type_name = name.substr(6);
  } else {
    return std::nullopt;
  }
  auto t = DataType::Parse(type_name);
  if (!t.ok() || !t->is_native() || t->kind() == TypeKind::kCounter) return std::nullopt;
  return *t;
}

bool IsNumeric(TypeKind k) {
  return OneOf(k, {TypeKind::kTinyint, TypeKind::kSmallint, TypeKind::kInt, TypeKind::kBigint,
                   TypeKind::kCounter, TypeKind::kFloat, TypeKind::kDouble, TypeKind::kDecimal,
                   TypeKind::kVarint});
}

// Java's Double.toString / Float.toString (what Cassandra's cast to text prints): the shortest
// digits that read back, plain between 10^-3 and 10^7 (with at least one fraction digit), else
// d.dddE<n>.
std::string JavaFloatText(double d, bool is_float) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = is_float ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(d),
                                      std::chars_format::scientific)
                      : std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // "-1.2345e+06"
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exponent = std::stoi(sci.substr(e + 1));
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string out;
  double magnitude = std::fabs(d);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      while (digits.size() < static_cast<size_t>(exponent) + 1) digits += '0';
      out = digits.substr(0, static_cast<size_t>(exponent) + 1) + "." +
            (digits.size() > static_cast<size_t>(exponent) + 1
                 ? digits.substr(static_cast<size_t>(exponent) + 1)
                 : "0");
    } else {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
  } else {
    out = digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
          std::to_string(exponent);
  }
  return negative ? "-" + out : out;
}

// A numeric value as an integer (Java's narrowing of the value: floats truncate toward zero and
// saturate at the long range), a double, or decimal text.
struct Number {
  bool integral = true;
  int64_t i = 0;
  double d = 0;
  std::string text;  // decimal digits for varint/decimal sources
};

std::optional<Number> ReadNumber(TypeKind k, std::string_view v) {
  Number n;
  auto as_signed = [&](size_t width) -> std::optional<int64_t> {
    if (v.size() != width) return std::nullopt;
    int64_t x = static_cast<signed char>(v[0]);
    for (size_t i = 1; i < width; ++i) x = (x << 8) | static_cast<unsigned char>(v[i]);
    return x;
  };
  switch (k) {
    case TypeKind::kTinyint:
    case TypeKind::kSmallint:
    case TypeKind::kInt:
    case TypeKind::kBigint:
    case TypeKind::kCounter: {
      size_t width = k == TypeKind::kTinyint ? 1 : k == TypeKind::kSmallint ? 2
                                                 : k == TypeKind::kInt      ? 4
                                                                            : 8;
      auto x = as_signed(width);
      if (!x) return std::nullopt;
      n.i = *x;
      n.d = static_cast<double>(*x);
      n.text = std::to_string(*x);
      return n;
    }
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      auto x = as_signed(k == TypeKind::kFloat ? 4 : 8);
      if (!x) return std::nullopt;
      if (k == TypeKind::kFloat) {
        uint32_t bits = static_cast<uint32_t>(*x);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        n.d = f;
      } else {
        uint64_t bits = static_cast<uint64_t>(*x);
        std::memcpy(&n.d, &bits, sizeof n.d);
      }
      n.integral = false;
      n.text = JavaFloatText(n.d, k == TypeKind::kFloat);
      break;
    }
    case TypeKind::kVarint:
    case TypeKind::kDecimal: {
      auto value = cql::DeserializeValue(v, DataType(k));
      if (!value.ok()) return std::nullopt;
      n.text = k == TypeKind::kVarint ? value->get_if<cql::Varint>()->ToString()
                                      : value->get_if<cql::Decimal>()->ToString();
      n.d = std::strtod(n.text.c_str(), nullptr);
      n.integral = k == TypeKind::kVarint;
      break;
    }
    default:
      return std::nullopt;
  }
  // Java's (long) of a double: toward zero, saturating, NaN is 0.
  if (std::isnan(n.d)) {
    n.i = 0;
  } else if (n.d >= 9.2233720368547758e18) {
    n.i = INT64_MAX;
  } else if (n.d <= -9.2233720368547758e18) {
    n.i = INT64_MIN;
  } else if (!n.integral || k == TypeKind::kVarint) {
    n.i = static_cast<int64_t>(n.d);
  }
  return n;
}

std::optional<std::string> CastNumber(const Number& n, TypeKind from, TypeKind to) {
  auto be = [](uint64_t x, size_t width) {
    std::string out(width, '\0');
    for (size_t i = 0; i < width; ++i) out[i] = static_cast<char>(x >> (8 * (width - 1 - i)));
    return out;
  };
  // Java narrows doubles to int first for byte and short (Number.byteValue/shortValue).
  int64_t integer = n.i;
  if (!n.integral && (to == TypeKind::kTinyint || to == TypeKind::kSmallint || to == TypeKind::kInt)) {
    double d = n.d;
    integer = std::isnan(d) ? 0 : d >= 2147483647.0 ? INT32_MAX : d <= -2147483648.0 ? INT32_MIN
                                                                                 : static_cast<int32_t>(d);
  }
  switch (to) {
    case TypeKind::kTinyint:
      return be(static_cast<uint64_t>(integer), 1);
    case TypeKind::kSmallint:
      return be(static_cast<uint64_t>(integer), 2);
    case TypeKind::kInt:
      return be(static_cast<uint64_t>(integer), 4);
    case TypeKind::kBigint:
      return be(static_cast<uint64_t>(integer), 8);
    case TypeKind::kFloat: {
      float f = static_cast<float>(n.d);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      return be(bits, 4);
    }
    case TypeKind::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &n.d, sizeof bits);
      return be(bits, 8);
    }
    case TypeKind::kVarint: {
      auto v = n.integral && from != TypeKind::kDecimal ? cql::Varint::Parse(n.text)
                                                        : Result<cql::Varint>(cql::Varint::FromInt64(integer));
      if (!v.ok()) return std::nullopt;
      std::string out;
      if (!cql::SerializeValue(cql::Value(*v), DataType(to), &out).ok()) return std::nullopt;
      return out;
    }
    case TypeKind::kDecimal: {
      if (!std::isfinite(n.d) && !n.integral) return std::nullopt;
      auto v = cql::Decimal::Parse(n.text);
      if (!v.ok()) return std::nullopt;
      std::string out;
      if (!cql::SerializeValue(cql::Value(*v), DataType(to), &out).ok()) return std::nullopt;
      return out;
    }
    default:
      return std::nullopt;
  }
}

// cast(x AS text): the value as Cassandra's serializers print it.
std::optional<std::string> CastToText(const DataType& from, std::string_view v) {
  TypeKind k = from.kind();
  if (k == TypeKind::kText || k == TypeKind::kAscii) return std::string(v);
  if (IsNumeric(k)) {
    auto n = ReadNumber(k, v);
    return n ? std::optional<std::string>(n->text) : std::nullopt;
  }
  if (k == TypeKind::kTimestamp) {
    auto ms = Millis(k, v);
    if (!ms) return std::nullopt;
    std::string text = cql::Timestamp{*ms}.ToString();  // "2024-02-29 13:30:54.234000+0000"
    if (text.size() < 23) return text;
    return text.substr(0, 10) + "T" + text.substr(11, 12) + "Z";
  }
  if (k == TypeKind::kBlob) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : v) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return out;
  }
  auto value = cql::DeserializeValue(v, from);
  if (!value.ok()) return std::nullopt;
  std::string text = value->ToCqlLiteral(from);
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

Status NoSignature(std::string_view name, const std::vector<DataType>& args) {
  std::string types;
  for (const auto& t : args) types += (types.empty() ? "" : ", ") + t.ToCql();
  return InvalidRequest(fmt::format("Invalid call to function system.{}: no signature takes ({})",
                                    name, types));
}

}  // namespace

Result<DataType> ScalarResultType(std::string_view name, const std::vector<DataType>& args) {
  auto arity = [&](size_t n) { return args.size() == n; };
  TypeKind a0 = args.empty() ? TypeKind::kCustom : args[0].kind();
  if (name == "now" || name == "currenttimeuuid") {
    if (arity(0)) return DataType(TypeKind::kTimeuuid);
  } else if (name == "uuid") {
    if (arity(0)) return DataType(TypeKind::kUuid);
  } else if (name == "currenttimestamp") {
    if (arity(0)) return DataType(TypeKind::kTimestamp);
  } else if (name == "currentdate") {
    if (arity(0)) return DataType(TypeKind::kDate);
  } else if (name == "totimestamp") {
    if (arity(1) && OneOf(a0, {TypeKind::kTimeuuid, TypeKind::kDate, TypeKind::kTimestamp}))
      return DataType(TypeKind::kTimestamp);
  } else if (name == "todate") {
    if (arity(1) && OneOf(a0, {TypeKind::kTimeuuid, TypeKind::kTimestamp, TypeKind::kDate}))
      return DataType(TypeKind::kDate);
  } else if (name == "tounixtimestamp") {
    if (arity(1) && OneOf(a0, {TypeKind::kTimeuuid, TypeKind::kTimestamp, TypeKind::kDate}))
      return DataType(TypeKind::kBigint);
  } else if (name == "dateof") {
    if (arity(1) && a0 == TypeKind::kTimeuuid) return DataType(TypeKind::kTimestamp);
  } else if (name == "unixtimestampof") {
    if (arity(1) && a0 == TypeKind::kTimeuuid) return DataType(TypeKind::kBigint);
  } else if (name == "cast") {
    // args: the value's type and the target type (see select_statement.cc).
    if (args.size() == 2) {
      TypeKind to = args[1].kind();
      bool ok = (IsNumeric(a0) && IsNumeric(to) && to != TypeKind::kCounter) ||
                ((to == TypeKind::kText || to == TypeKind::kAscii) && args[0].is_native()) ||
                (a0 == TypeKind::kTimestamp && to == TypeKind::kDate) ||
                (a0 == TypeKind::kDate && to == TypeKind::kTimestamp) ||
                (a0 == TypeKind::kTimeuuid && OneOf(to, {TypeKind::kTimestamp, TypeKind::kDate}));
      if (ok) return args[1];
      return InvalidRequest(fmt::format("{} cannot be cast to {}", args[0].ToCql(), args[1].ToCql()));
    }
  } else if (name == "mintimeuuid" || name == "maxtimeuuid") {
    if (arity(1) && a0 == TypeKind::kTimestamp) return DataType(TypeKind::kTimeuuid);
  } else if (name == "tojson") {
    if (arity(1)) return DataType(TypeKind::kText);
  } else {
    bool to_blob = false;
    auto type = BlobConversionType(name, &to_blob);
    if (!type) return InvalidRequest(fmt::format("Unknown function '{}'", name));
    if (arity(1) && to_blob && args[0] == *type) return DataType(TypeKind::kBlob);
    if (arity(1) && !to_blob && a0 == TypeKind::kBlob) return *type;
  }
  return NoSignature(name, args);
}

std::optional<std::string> EvaluateScalar(std::string_view name,
                                          const std::vector<DataType>& arg_types,
                                          const std::vector<std::optional<std::string>>& args,
                                          int64_t now_micros) {
  if (name == "now" || name == "currenttimeuuid") return UuidBytes(NewTimeUuid(now_micros));
  if (name == "uuid") return UuidBytes(NewRandomUuid());
  if (name == "currenttimestamp") return Bigint(now_micros / 1000);
  if (name == "currentdate") return Date(now_micros / 1000);
  if (name == "tojson") {
    return ToJson(args.empty() || !args[0] ? std::nullopt
                                           : std::optional<std::string_view>(*args[0]),
                  arg_types[0]);
  }
  if (args.empty() || !args[0]) return std::nullopt;
  const std::string& v = *args[0];
  TypeKind a0 = arg_types[0].kind();
  if (name == "totimestamp" || name == "dateof") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(Bigint(*ms)) : std::nullopt;
  }
  if (name == "tounixtimestamp" || name == "unixtimestampof") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(Bigint(*ms)) : std::nullopt;
  }
  if (name == "cast" && arg_types.size() == 2) {
    TypeKind to = arg_types[1].kind();
    if (to == TypeKind::kText || to == TypeKind::kAscii) {
      auto text = CastToText(arg_types[0], v);
      if (text && to == TypeKind::kAscii &&
          std::any_of(text->begin(), text->end(), [](char c) { return c & 0x80; })) {
        return std::nullopt;
      }
      return text;
    }
    if (IsNumeric(a0)) {
      auto n = ReadNumber(a0, v);
      return n ? CastNumber(*n, a0, to) : std::nullopt;
    }
    auto ms = Millis(a0, v);
    if (!ms) return std::nullopt;
    return to == TypeKind::kDate ? Date(*ms) : Bigint(*ms);
  }
  if (name == "mintimeuuid" || name == "maxtimeuuid") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(TimeUuidBound(*ms, name == "maxtimeuuid"))
              : std::nullopt;
  }
  if (name == "todate") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(Date(*ms)) : std::nullopt;
  }
  bool to_blob = false;
  auto type = BlobConversionType(name, &to_blob);
  if (!type) return std::nullopt;
  if (to_blob) return v;  // the same bytes, typed blob
  if (!cql::ValidateValue(v, *type).ok()) return std::nullopt;
  return v;
}

}  // namespace postfork::node::cql3
