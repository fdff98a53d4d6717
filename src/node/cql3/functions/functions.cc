#include "node/cql3/functions/functions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

#include "node/cql3/functions/collection_functions.h"
#include "node/cql3/functions/json.h"
#include "node/cql3/functions/math_functions.h"
#include "node/cql3/functions/operations.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
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
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
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
  // Java's long arithmetic wraps: so does this (an extreme timestamp must not overflow).
  uint64_t t = static_cast<uint64_t>(millis) * 10000u + static_cast<uint64_t>(kUuidEpochOffset) +
               (max ? 9999u : 0u);
  uint64_t msb =
      ((t & 0xFFFFFFFFULL) << 32) | (((t >> 32) & 0xFFFF) << 16) | ((t >> 48) & 0x0FFF) | 0x1000;
  uint64_t lsb = max ? 0x7F7F7F7F7F7F7F7FULL : 0x8080808080808080ULL;
  return Bigint(static_cast<int64_t>(msb)) + Bigint(static_cast<int64_t>(lsb));
}

bool OneOf(TypeKind k, std::initializer_list<TypeKind> kinds) {
  for (TypeKind x : kinds) {
    if (x == k) return true;
  }
  return false;
}

bool IsNumeric(TypeKind k) {
  return OneOf(k, {TypeKind::kTinyint, TypeKind::kSmallint, TypeKind::kInt, TypeKind::kBigint,
                   TypeKind::kCounter, TypeKind::kFloat, TypeKind::kDouble, TypeKind::kDecimal,
                   TypeKind::kVarint});
}

// A numeric value as an integer (Java's narrowing of the value: floats truncate toward zero and
// saturate at the long range), a double, or decimal text.
struct Number {
  bool integral = true;
  int64_t i = 0;
  double d = 0;
  std::string text;  // decimal digits for varint/decimal sources
  // varint/decimal: `i` holds the low 64 bits of the integer part (Java's BigInteger and
  // BigDecimal longValue/intValue/byteValue narrow by dropping high bits, not saturating).
  bool wraps = false;
};

// The low 64 bits of unscaled * 10^-scale truncated toward zero (two's complement), as Java's
// BigDecimal.longValue() (scale 0: BigInteger.longValue()).
int64_t LowBitsOfIntegerPart(const cql::Varint& unscaled, int32_t scale) {
  std::string digits = unscaled.ToString();
  bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  if (scale > 0) {
    digits = static_cast<size_t>(scale) >= digits.size()
                 ? "0"
                 : digits.substr(0, digits.size() - static_cast<size_t>(scale));
  }
  uint64_t acc = 0;
  for (char c : digits) acc = acc * 10 + static_cast<uint64_t>(c - '0');
  // 10^64 is a multiple of 2^64: further factors of ten leave zero.
  for (int32_t i = 0; i < -scale && i < 64; ++i) acc *= 10;
  if (negative) acc = ~acc + 1;
  return static_cast<int64_t>(acc);
}

// The integer part (truncated toward zero) of a decimal's text ("-12.5" -> "-12",
// "1.23E+3" -> "1230", "5E-3" -> "0"); "" (not a number) past 100000 digits.
std::string IntegerPartText(const std::string& text) {
  std::string mantissa = text;
  int64_t exponent = 0;
  size_t e = text.find_first_of("eE");
  if (e != std::string::npos) {
    mantissa = text.substr(0, e);
    exponent = std::strtoll(text.c_str() + e + 1, nullptr, 10);
  }
  bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative || (!mantissa.empty() && mantissa[0] == '+')) mantissa.erase(0, 1);
  size_t dot = mantissa.find('.');
  std::string digits = mantissa;
  int64_t int_len = static_cast<int64_t>(mantissa.size());
  if (dot != std::string::npos) {
    digits = mantissa.substr(0, dot) + mantissa.substr(dot + 1);
    int_len = static_cast<int64_t>(dot);
  }
  int_len += exponent;
  if (int_len <= 0) return "0";
  if (int_len > 100000) return "";  // more digits than the node builds: no value (null)
  std::string out = static_cast<size_t>(int_len) <= digits.size()
                        ? digits.substr(0, static_cast<size_t>(int_len))
                        : digits + std::string(static_cast<size_t>(int_len) - digits.size(), '0');
  size_t nz = out.find_first_not_of('0');
  if (nz == std::string::npos) return "0";
  return (negative ? "-" : "") + out.substr(nz);
}

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
      size_t width = k == TypeKind::kTinyint    ? 1
                     : k == TypeKind::kSmallint ? 2
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
      n.text = cql::JavaFloatText(n.d, k == TypeKind::kFloat);
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
      n.wraps = true;
      n.i = k == TypeKind::kVarint ? LowBitsOfIntegerPart(*value->get_if<cql::Varint>(), 0)
                                   : LowBitsOfIntegerPart(value->get_if<cql::Decimal>()->unscaled,
                                                          value->get_if<cql::Decimal>()->scale);
      return n;
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
  if (!n.integral && !n.wraps &&
      (to == TypeKind::kTinyint || to == TypeKind::kSmallint || to == TypeKind::kInt)) {
    double d = n.d;
    integer = std::isnan(d)        ? 0
              : d >= 2147483647.0  ? INT32_MAX
              : d <= -2147483648.0 ? INT32_MIN
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
      // A decimal's integer part, exactly (BigDecimal.toBigInteger()).
      auto v = n.integral                   ? cql::Varint::Parse(n.text)
               : from == TypeKind::kDecimal ? cql::Varint::Parse(IntegerPartText(n.text))
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
  if (k == TypeKind::kInet) {
    auto value = cql::DeserializeValue(v, from);
    const cql::Inet* inet = value.ok() ? value->get_if<cql::Inet>() : nullptr;
    if (inet == nullptr) return std::nullopt;
    return JavaInetText(*inet);
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

// ---- evaluation bodies ------------------------------------------------------------------------

std::optional<std::string> NowBody(const std::vector<DataType>&, const FunctionArgs&,
                                   const FunctionContext& c) {
  return UuidBytes(NewTimeUuid(c.now_micros));
}
std::optional<std::string> UuidBody(const std::vector<DataType>&, const FunctionArgs&,
                                    const FunctionContext&) {
  return UuidBytes(NewRandomUuid());
}
std::optional<std::string> CurrentTimestampBody(const std::vector<DataType>&, const FunctionArgs&,
                                                const FunctionContext& c) {
  return Bigint(c.now_micros / 1000);
}
std::optional<std::string> CurrentDateBody(const std::vector<DataType>&, const FunctionArgs&,
                                           const FunctionContext& c) {
  return Date(c.now_micros / 1000);
}
// time: nanoseconds since midnight.
std::optional<std::string> CurrentTimeBody(const std::vector<DataType>&, const FunctionArgs&,
                                           const FunctionContext& c) {
  constexpr int64_t kMicrosPerDay = 86400000000LL;
  int64_t micros = c.now_micros % kMicrosPerDay;
  if (micros < 0) micros += kMicrosPerDay;
  return Bigint(micros * 1000);
}
std::optional<std::string> ToJsonBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                      const FunctionContext&) {
  return ToJson(args[0] ? std::optional<std::string_view>(*args[0]) : std::nullopt, types[0]);
}
std::optional<std::string> ToMillisBody(const std::vector<DataType>& types,
                                        const FunctionArgs& args, const FunctionContext&) {
  auto ms = Millis(types[0].kind(), *args[0]);
  return ms ? std::optional<std::string>(Bigint(*ms)) : std::nullopt;
}
std::optional<std::string> ToDateBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                      const FunctionContext&) {
  auto ms = Millis(types[0].kind(), *args[0]);
  return ms ? std::optional<std::string>(Date(*ms)) : std::nullopt;
}
template <bool kMax>
std::optional<std::string> TimeUuidBoundBody(const std::vector<DataType>& types,
                                             const FunctionArgs& args, const FunctionContext&) {
  auto ms = Millis(types[0].kind(), *args[0]);
  return ms ? std::optional<std::string>(TimeUuidBound(*ms, kMax)) : std::nullopt;
}
// ---- floor(time, duration[, start]) (Cassandra's TimeFcts and Duration.floorTimestamp) ------

std::nullopt_t FloorFails(const FunctionContext& c, std::string message) {
  if (c.failure && c.failure->ok()) *c.failure = InvalidRequest(std::move(message));
  return std::nullopt;
}

// A UTC calendar instant as java.util.Calendar moves it: the date, and the time of day.
struct CalendarTime {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;
  int64_t millis_of_day;

  static CalendarTime At(int64_t millis) {
    int64_t days = millis / kMillisPerDay - (millis % kMillisPerDay < 0 ? 1 : 0);
    CalendarTime t{0, 1, 1, millis - days * kMillisPerDay};
    cql::CivilFromDays(days, &t.year, &t.month, &t.day);
    return t;
  }
  int64_t Millis() const {
    return cql::DaysFromCivil(year, month, day) * kMillisPerDay + millis_of_day;
  }
  // Calendar.add(MONTH, n): the day clamped to the new month's length.
  void AddMonths(int64_t n) {
    int64_t m = year * 12 + (month - 1) + n;
    year = m >= 0 ? m / 12 : -((-m + 11) / 12);
    month = static_cast<unsigned>(m - year * 12 + 1);
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    unsigned last = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
    day = std::min(day, last);
  }
};

// Duration.floorTimestamp: the largest start + k * duration not after `time` (k >= 0).
std::optional<int64_t> FloorMillis(int64_t time, const cql::Duration& d, int64_t start,
                                   const FunctionContext& c) {
  if (start > time) {
    return FloorFails(c, "The floor function starting time is greater than the provided time");
  }
  if (d.months < 0 || d.days < 0 || d.nanos < 0) {
    return FloorFails(c, "Negative durations are not supported by the floor function");
  }
  const int64_t duration_millis = d.days * kMillisPerDay + d.nanos / 1000000;
  if (d.months == 0) {
    if (duration_millis == 0) return time;
    return time - (time - start) % duration_millis;
  }
  CalendarTime at = CalendarTime::At(time);
  CalendarTime cal = CalendarTime::At(start);
  auto in_months = static_cast<int32_t>((at.year - cal.year) * 12 +
                                        (static_cast<int64_t>(at.month) - cal.month));
  int32_t multiplier = in_months / d.months;
  cal.AddMonths(static_cast<int64_t>(multiplier) * d.months);
  if (d.days == 0 && d.nanos == 0) return cal.Millis();
  int64_t floor = cal.Millis() + multiplier * duration_millis;
  while (floor > time) {
    --multiplier;
    cal.AddMonths(-d.months);
    floor = cal.Millis() + multiplier * duration_millis;
  }
  return std::max(start, floor);
}

std::optional<std::string> FloorBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                     const FunctionContext& c) {
  auto duration = cql::DeserializeValue(*args[1], DataType(TypeKind::kDuration));
  const cql::Duration* d = duration.ok() ? duration->get_if<cql::Duration>() : nullptr;
  if (d == nullptr) return std::nullopt;
  const TypeKind kind = types[0].kind();
  if (kind == TypeKind::kTime) {  // Duration.floorTime: nanoseconds of the day
    if (args[0]->size() != 8) return std::nullopt;
    auto time = static_cast<int64_t>(cql::LoadBE64(args[0]->data()));
    if (d->months < 0 || d->days < 0 || d->nanos < 0) {
      return FloorFails(c, "Negative durations are not supported by the floor function");
    }
    if (d->months != 0 || d->days != 0 || d->nanos > 24 * 3600 * 1000000000LL) {
      return FloorFails(
          c, "For time values, the floor can only be computed for durations smaller that a day");
    }
    return Bigint(d->nanos == 0 ? time : time - time % d->nanos);
  }
  if (kind == TypeKind::kDate ? d->nanos != 0 : d->nanos % 1000000 != 0) {
    return FloorFails(c, kind == TypeKind::kDate
                             ? fmt::format("The floor on date values cannot be computed for the "
                                           "{} duration as precision is below 1 day",
                                           d->ToString())
                             : fmt::format("The floor cannot be computed for the {} duration as "
                                           "precision is below 1 millisecond",
                                           d->ToString()));
  }
  auto time = Millis(kind, *args[0]);
  std::optional<int64_t> start = int64_t{0};
  if (args.size() == 3) start = Millis(types[2].kind(), *args[2]);
  if (!time || !start) return std::nullopt;
  auto floor = FloorMillis(*time, *d, *start, c);
  if (!floor) return std::nullopt;
  return kind == TypeKind::kDate ? Date(*floor) : Bigint(*floor);
}

// <type>AsBlob: the same bytes, typed blob.
std::optional<std::string> ToBlobBody(const std::vector<DataType>&, const FunctionArgs& args,
                                      const FunctionContext&) {
  return *args[0];
}
// blobAs<type>: the bytes when they are a valid value of the type (types[0] is blob; the target
// type rides as types[1], see Invoke).
std::optional<std::string> FromBlobBody(const std::vector<DataType>& types,
                                        const FunctionArgs& args, const FunctionContext&) {
  if (types.size() < 2 || !cql::ValidateValue(*args[0], types[1]).ok()) return std::nullopt;
  return *args[0];
}
// castAs<type> (the target type rides as types[1]).
std::optional<std::string> CastBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                    const FunctionContext&) {
  if (types.size() < 2) return std::nullopt;
  const std::string& v = *args[0];
  TypeKind from = types[0].kind();
  TypeKind to = types[1].kind();
  if (to == TypeKind::kText || to == TypeKind::kAscii) {
    auto text = CastToText(types[0], v);
    if (text && to == TypeKind::kAscii &&
        std::any_of(text->begin(), text->end(), [](char c) { return c & 0x80; })) {
      return std::nullopt;
    }
    return text;
  }
  if (IsNumeric(from)) {
    auto n = ReadNumber(from, v);
    return n ? CastNumber(*n, from, to) : std::nullopt;
  }
  auto ms = Millis(from, v);
  if (!ms) return std::nullopt;
  return to == TypeKind::kDate ? Date(*ms) : Bigint(*ms);
}

// The similarity functions over two float vectors of one dimension (arguments already checked),
// as jvector's VectorSimilarityFunction.compare computes them in Cassandra: float sums in
// element order, the score in [0, 1].
enum class Similarity { kCosine, kEuclidean, kDotProduct };

std::vector<float> Floats(std::string_view v) {
  std::vector<float> out(v.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t u = cql::LoadBE32(v.data() + 4 * i);
    std::memcpy(&out[i], &u, 4);
  }
  return out;
}

std::string FloatBytes(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
          static_cast<char>(u)};
}

template <Similarity kKind>
std::optional<std::string> SimilarityBody(const std::vector<DataType>&, const FunctionArgs& args,
                                          const FunctionContext&) {
  return FloatBytes(VectorSimilarity(kKind == Similarity::kCosine      ? "cosine"
                                     : kKind == Similarity::kEuclidean ? "euclidean"
                                                                       : "dot_product",
                                     *args[0], *args[1]));
}

bool AllZero(std::string_view v) {
  for (float f : Floats(v)) {
    if (f != 0) return false;
  }
  return true;
}

// similarity_cosine is undefined for an all-zero vector (VectorFcts' check).
Status NoZeroVectors(const NativeFunction& fn, const std::vector<DataType>&,
                     const FunctionArgs& args) {
  for (const auto& a : args) {
    if (a && AllZero(*a)) {
      return InvalidRequest(
          fmt::format("Function system.{} doesn't support all-zero vectors.", fn.name));
    }
  }
  return Status::Ok();
}

constexpr TypeKind kNativeKinds[] = {
    TypeKind::kAscii,   TypeKind::kBigint,    TypeKind::kBlob,    TypeKind::kBoolean,
    TypeKind::kCounter, TypeKind::kDecimal,   TypeKind::kDouble,  TypeKind::kFloat,
    TypeKind::kInt,     TypeKind::kTimestamp, TypeKind::kUuid,    TypeKind::kText,
    TypeKind::kVarint,  TypeKind::kTimeuuid,  TypeKind::kInet,    TypeKind::kDate,
    TypeKind::kTime,    TypeKind::kSmallint,  TypeKind::kTinyint, TypeKind::kDuration};

// Whether Cassandra declares castAs<to> for arguments of `from`.
// Cassandra's CastFcts: numbers to numbers, and numbers, ascii, inet, boolean, uuids, dates
// and times to text and ascii; timestamp and date to each other, timeuuid to both.
bool Castable(TypeKind from, TypeKind to) {
  const bool to_text = to == TypeKind::kText || to == TypeKind::kAscii;
  const bool text_source =
      IsNumeric(from) ||
      OneOf(from, {TypeKind::kInet, TypeKind::kBoolean, TypeKind::kTimeuuid, TypeKind::kTimestamp,
                   TypeKind::kDate, TypeKind::kTime, TypeKind::kUuid});
  if (from == to) return false;
  return (IsNumeric(from) && IsNumeric(to) && to != TypeKind::kCounter) ||
         (to_text && text_source) || (from == TypeKind::kAscii && to == TypeKind::kText) ||
         (from == TypeKind::kTimestamp && to == TypeKind::kDate) ||
         (from == TypeKind::kDate && to == TypeKind::kTimestamp) ||
         (from == TypeKind::kTimeuuid && OneOf(to, {TypeKind::kTimestamp, TypeKind::kDate}));
}

}  // namespace

std::string NativeFunction::Signature() const {
  std::string types;
  for (const auto& t : params) {
    types += (types.empty() ? "" : ", ") + (t.kind() == TypeKind::kCustom ? "any" : t.ToCql());
  }
  // Names that are no plain identifiers (the operators' _add, ...) are quoted, as in Cassandra.
  bool plain = !name.empty() && std::isalpha(static_cast<unsigned char>(name[0]));
  return fmt::format("system.{} : ({}) -> {}", plain ? name : "\"" + name + "\"", types,
                     return_type.ToCql());
}

std::string CastFunctionName(const DataType& target) { return "castas" + target.ToCql(); }

FunctionRegistry::FunctionRegistry() {
  auto add = [&](std::string name, std::vector<DataType> params, DataType ret, bool pure,
                 FunctionBody body) {
    functions_.push_back(
        NativeFunction{std::move(name), std::move(params), std::move(ret), pure, body});
  };
  const DataType timeuuid(TypeKind::kTimeuuid), timestamp(TypeKind::kTimestamp),
      date(TypeKind::kDate), bigint(TypeKind::kBigint), blob(TypeKind::kBlob);
  add("now", {}, timeuuid, false, NowBody);
  add("currenttimeuuid", {}, timeuuid, false, NowBody);
  add("uuid", {}, DataType(TypeKind::kUuid), false, UuidBody);
  add("currenttimestamp", {}, timestamp, false, CurrentTimestampBody);
  add("currentdate", {}, date, false, CurrentDateBody);
  add("currenttime", {}, DataType(TypeKind::kTime), false, CurrentTimeBody);
  // Overloads in the order Cassandra lists them in its messages.
  for (const DataType& temporal : {timeuuid, timestamp, date}) {
    if (temporal != timestamp) add("totimestamp", {temporal}, timestamp, true, ToMillisBody);
    if (temporal != date) add("todate", {temporal}, date, true, ToDateBody);
    add("tounixtimestamp", {temporal}, bigint, true, ToMillisBody);
  }
  const DataType duration(TypeKind::kDuration), time(TypeKind::kTime);
  add("floor", {timestamp, duration}, timestamp, true, FloorBody);
  add("floor", {timestamp, duration, timestamp}, timestamp, true, FloorBody);
  add("floor", {timeuuid, duration}, timestamp, true, FloorBody);
  add("floor", {timeuuid, duration, timestamp}, timestamp, true, FloorBody);
  add("floor", {date, duration}, date, true, FloorBody);
  add("floor", {date, duration, date}, date, true, FloorBody);
  add("floor", {time, duration}, time, true, FloorBody);
  add("mintimeuuid", {timestamp}, timeuuid, true, TimeUuidBoundBody<false>);
  add("maxtimeuuid", {timestamp}, timeuuid, true, TimeUuidBoundBody<true>);
  add("tojson", {DataType(TypeKind::kCustom)}, DataType(TypeKind::kText), true, ToJsonBody);
  for (TypeKind k : kNativeKinds) {
    DataType type(k);
    if (k != TypeKind::kBlob) {
      add(type.ToCql() + "asblob", {type}, blob, true, ToBlobBody);
      add("blobas" + type.ToCql(), {blob}, type, true, FromBlobBody);
    }
    for (TypeKind to : kNativeKinds) {
      if (Castable(k, to))
        add(CastFunctionName(DataType(to)), {type}, DataType(to), true, CastBody);
    }
  }
  const DataType any(TypeKind::kCustom), float_type(TypeKind::kFloat);
  struct Similar {
    const char* name;
    FunctionBody body;
    FunctionCheck check;
  };
  for (const Similar& f :
       {Similar{"similarity_cosine", SimilarityBody<Similarity::kCosine>, NoZeroVectors},
        Similar{"similarity_euclidean", SimilarityBody<Similarity::kEuclidean>, nullptr},
        Similar{"similarity_dot_product", SimilarityBody<Similarity::kDotProduct>, nullptr}}) {
    functions_.push_back(
        NativeFunction{f.name, {any, any}, float_type, true, f.body, f.check, /*factory=*/true});
  }
  // Cassandra's blobAsVarchar and varcharAsBlob: text under its other name.
  add("varcharasblob", {DataType(TypeKind::kText)}, blob, true, ToBlobBody);
  add("blobasvarchar", {blob}, DataType(TypeKind::kText), true, FromBlobBody);
  for (NativeFunction& f : functions_) {
    if (f.name == "todate" || f.name == "totimestamp" || f.name == "tounixtimestamp") {
      f.monotonic = NativeFunction::Monotonic::kYes;
    } else if (f.name == "floor") {  // the time floors; the numeric ones come below
      f.monotonic = NativeFunction::Monotonic::kOverFirst;
    }
  }
  AddOperationFunctions(&functions_);
  AddMathFunctions(&functions_);
  AddCollectionFunctions(&functions_);
  AddMaskingFunctions(&functions_);
  // Sorted by name (overloads keep their declaration order) for binary-search lookups.
  std::stable_sort(
      functions_.begin(), functions_.end(),
      [](const NativeFunction& a, const NativeFunction& b) { return a.name < b.name; });
}

const FunctionRegistry& FunctionRegistry::Native() {
  static const FunctionRegistry registry;
  return registry;
}

std::vector<const NativeFunction*> FunctionRegistry::Overloads(std::string_view name) const {
  std::vector<const NativeFunction*> out;
  auto it =
      std::lower_bound(functions_.begin(), functions_.end(), name,
                       [](const NativeFunction& f, std::string_view n) { return f.name < n; });
  for (; it != functions_.end() && it->name == name; ++it) out.push_back(&*it);
  return out;
}

bool FunctionRegistry::IsPure(std::string_view name) const {
  auto overloads = Overloads(name);
  return !overloads.empty() &&
         std::all_of(overloads.begin(), overloads.end(), [](auto* f) { return f->pure; });
}

Result<const NativeFunction*> FunctionRegistry::Resolve(std::string_view name,
                                                        const std::vector<DataType>& args) const {
  auto overloads = Overloads(name);
  if (overloads.empty()) return InvalidRequest(fmt::format("Unknown function '{}'", name));
  for (const NativeFunction* f : overloads) {
    if (f->params.size() != args.size()) continue;
    bool fits = true;
    for (size_t i = 0; i < args.size() && fits; ++i) {
      fits = f->AcceptsAny(i) || f->params[i] == args[i];
    }
    if (fits) return f;
  }
  std::string types;
  for (const auto& t : args) types += (types.empty() ? "" : ", ") + t.ToCql();
  return InvalidRequest(
      fmt::format("Invalid call to function system.{}: no signature takes ({})", name, types));
}

namespace {

// `cast` calls carry the target type as a second argument type: they name castAs<target>.
Result<const NativeFunction*> ResolveCall(std::string_view name,
                                          const std::vector<DataType>& args) {
  if (name == "cast" && args.size() == 2) {
    const std::string fn = CastFunctionName(args[1]);
    auto f = FunctionRegistry::Native().Resolve(fn, {args[0]});
    if (!f.ok()) {
      // Cassandra 5.0 names the casts cast_as_<type> in its messages.
      const std::string shown = "cast_as_" + args[1].ToCql();
      std::string known;
      for (const NativeFunction* o : FunctionRegistry::Native().Overloads(fn)) {
        known += fmt::format("{}system.{} : ({}) -> {}", known.empty() ? "" : ", ", shown,
                             o->params[0].ToCql(), o->return_type.ToCql());
      }
      return InvalidRequest(
          fmt::format("Invalid call to function system.{}, none of its type signatures match "
                      "(known type signatures: {})",
                      shown, known));
    }
    return f;
  }
  return FunctionRegistry::Native().Resolve(name, args);
}

}  // namespace

float VectorSimilarity(std::string_view function, std::string_view a, std::string_view b) {
  std::vector<float> x = Floats(a), y = Floats(b);
  size_t n = std::min(x.size(), y.size());
  if (function == "euclidean") {
    float sum = 0;
    for (size_t i = 0; i < n; ++i) {
      float d = x[i] - y[i];
      sum += d * d;
    }
    return 1 / (1 + sum);
  }
  float dot = 0, norm_x = 0, norm_y = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += x[i] * y[i];
    norm_x += x[i] * x[i];
    norm_y += y[i] * y[i];
  }
  if (function == "dot_product") return (1 + dot) / 2;
  auto cosine = static_cast<float>(dot / std::sqrt(static_cast<double>(norm_x) * norm_y));
  return (1 + cosine) / 2;
}

Result<std::vector<DataType>> InferFactoryParameters(const NativeFunction& fn,
                                                     const std::vector<ArgumentHint>& args) {
  // Cassandra's FunctionFactory over (vector<float, n>, vector<float, n>), each parameter
  // "the same as the other" when its own argument says nothing.
  std::string signature = fmt::format("system.{}(vector<float, n>, vector<float, n>)", fn.name);
  if (args.size() != fn.params.size()) {
    return InvalidRequest("Invalid number of arguments for function " + signature);
  }
  auto own_type = [](const ArgumentHint& a) -> std::optional<DataType> {
    if (a.array_literal_size) {
      return DataType::Vector(DataType(TypeKind::kFloat),
                              static_cast<int32_t>(*a.array_literal_size));
    }
    return a.type;
  };
  std::vector<std::optional<DataType>> first_pass;
  for (const auto& a : args) first_pass.push_back(own_type(a));
  std::vector<DataType> out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::optional<DataType> type = first_pass[i] ? first_pass[i] : first_pass[1 - i];
    if (!type) {
      return InvalidRequest(
          fmt::format("Cannot infer type of argument {} in call to function {}: use type casts to "
                      "disambiguate",
                      args[i].text, signature));
    }
    bool float_vector =
        type->kind() == TypeKind::kVector && type->params()[0].kind() == TypeKind::kFloat;
    if (!float_vector) {
      return InvalidRequest(fmt::format(
          "Function system.{} requires a float vector argument, but found argument {} of type {}",
          fn.name, args[i].text, type->ToCql()));
    }
    out.push_back(*type);
  }
  if (out[0].dimension() != out[1].dimension()) {
    return InvalidRequest("All arguments must have the same vector dimensions");
  }
  return out;
}

Status CheckArguments(const NativeFunction& fn, const std::vector<DataType>& arg_types,
                      const FunctionArgs& args) {
  return fn.check ? fn.check(fn, arg_types, args) : Status::Ok();
}

Result<DataType> ScalarResultType(std::string_view name, const std::vector<DataType>& args) {
  PF_ASSIGN_OR_RETURN(const NativeFunction* f, ResolveCall(name, args));
  return f->return_type;
}

std::optional<std::string> Invoke(const NativeFunction& fn, const std::vector<DataType>& arg_types,
                                  const FunctionArgs& args, const FunctionContext& context) {
  if (args.size() != fn.params.size() || arg_types.size() != args.size()) return std::nullopt;
  if (fn.name != "tojson" && !fn.called_on_null_input &&
      std::any_of(args.begin(), args.end(), [](const auto& a) { return !a.has_value(); })) {
    return std::nullopt;
  }
  FunctionContext with_type = context;
  with_type.return_type = &fn.return_type;
  // Conversions whose body needs the target type get it as a second type.
  if (fn.body == FromBlobBody || fn.body == CastBody) {
    std::vector<DataType> types{arg_types[0], fn.return_type};
    return fn.body(types, args, with_type);
  }
  return fn.body(arg_types, args, with_type);
}

std::optional<std::string> EvaluateScalar(std::string_view name,
                                          const std::vector<DataType>& arg_types,
                                          const FunctionArgs& args, int64_t now_micros,
                                          Status* failure) {
  auto f = ResolveCall(name, arg_types);
  if (!f.ok()) return std::nullopt;
  std::vector<DataType> types = arg_types;
  if (name == "cast") types.resize(1);
  FunctionContext context;
  context.now_micros = now_micros;
  context.failure = failure;
  return Invoke(**f, types, args, context);
}

}  // namespace postfork::node::cql3
