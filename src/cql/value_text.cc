// Text forms of values: the typed wrappers' Parse/ToString, and CQL literals.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "postfork/cql/value.h"

namespace postfork::cql {
namespace {

Status BadText(std::string_view what, std::string_view text) {
  return Status(StatusCode::kInvalidArgument,
                "cannot parse " + std::string(what) + " from '" + std::string(text) + "'");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Parses an unsigned decimal that must fit in `max`.
bool ParseUnsigned(std::string_view s, uint64_t max, uint64_t* out) {
  if (!AllDigits(s)) return false;
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseSigned64(std::string_view s, int64_t* out) {
  bool neg = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  uint64_t u;
  if (!ParseUnsigned(s, neg ? (uint64_t{1} << 63) : INT64_MAX, &u)) return false;
  *out = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// "[-]YYYY-MM-DD" into days since the epoch.
bool ParseCivilDate(std::string_view s, int64_t* days) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t a = s.find('-');
  if (a == std::string_view::npos) return false;
  size_t b = s.find('-', a + 1);
  if (b == std::string_view::npos) return false;
  uint64_t y, m, d;
  if (!ParseUnsigned(s.substr(0, a), 999999999, &y) ||
      !ParseUnsigned(s.substr(a + 1, b - a - 1), 12, &m) || !ParseUnsigned(s.substr(b + 1), 31, &d))
    return false;
  int64_t year = neg ? -static_cast<int64_t>(y) : static_cast<int64_t>(y);
  if (m < 1 || d < 1 || d > DaysInMonth(year, static_cast<unsigned>(m))) return false;
  *days = DaysFromCivil(year, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

std::string FormatCivilDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%04lld-%02u-%02u", y < 0 ? "-" : "",
                static_cast<long long>(y < 0 ? -y : y), m, d);
  return buf;
}

// "HH:MM[:SS[.fffffffff]]" into nanoseconds since midnight; the seconds are required for a time
// value (Cassandra's "hh:mm:ss[.fffffffff]"), optional in a timestamp.
bool ParseTimeOfDay(std::string_view s, int64_t* nanos, int max_fraction_digits,
                    bool seconds_required = false) {
  uint64_t h, m, sec = 0, frac = 0;
  if (s.size() < 5 || s[2] != ':') return false;
  if (!ParseUnsigned(s.substr(0, 2), 23, &h) || !ParseUnsigned(s.substr(3, 2), 59, &m))
    return false;
  s.remove_prefix(5);
  if (seconds_required && s.empty()) return false;
  if (!s.empty()) {
    if (s.size() < 3 || s[0] != ':' || !ParseUnsigned(s.substr(1, 2), 59, &sec)) return false;
    s.remove_prefix(3);
    if (!s.empty()) {
      if (s[0] != '.' || s.size() < 2 || s.size() - 1 > static_cast<size_t>(max_fraction_digits))
        return false;
      std::string digits(s.substr(1));
      digits.resize(9, '0');
      if (!ParseUnsigned(digits, 999999999, &frac)) return false;
    }
  }
  *nanos = static_cast<int64_t>(((h * 60 + m) * 60 + sec) * 1000000000ull + frac);
  return true;
}

// Big-endian unsigned magnitude helpers for Varint text conversion.
std::string MagnitudeFromDecimal(std::string_view digits) {
  std::string mag;  // big-endian, may have leading zeros
  for (char c : digits) {
    unsigned carry = static_cast<unsigned>(c - '0');
    for (size_t i = mag.size(); i-- > 0;) {
      unsigned v = static_cast<unsigned char>(mag[i]) * 10u + carry;
      mag[i] = static_cast<char>(v & 0xFF);
      carry = v >> 8;
    }
    while (carry) {
      mag.insert(mag.begin(), static_cast<char>(carry & 0xFF));
      carry >>= 8;
    }
  }
  return mag;
}

// Two's complement (minimal) from sign and big-endian magnitude.
Varint FromMagnitude(bool negative, std::string mag) {
  if (mag.empty()) mag.push_back('\0');
  if (!negative) {
    if (static_cast<unsigned char>(mag[0]) & 0x80) mag.insert(mag.begin(), '\0');
    return Varint::FromBytes(mag);
  }
  mag.insert(mag.begin(), '\0');  // room for the sign
  unsigned carry = 1;
  for (size_t i = mag.size(); i-- > 0;) {
    unsigned v = (~static_cast<unsigned char>(mag[i]) & 0xFFu) + carry;
    mag[i] = static_cast<char>(v & 0xFF);
    carry = v >> 8;
  }
  return Varint::FromBytes(mag);
}

// Sign and big-endian magnitude of a two's complement number.
std::string ToMagnitude(std::string_view bytes, bool* negative) {
  std::string mag(bytes);
  *negative = !mag.empty() && (static_cast<unsigned char>(mag[0]) & 0x80);
  if (*negative) {
    unsigned carry = 1;
    for (size_t i = mag.size(); i-- > 0;) {
      unsigned v = (~static_cast<unsigned char>(mag[i]) & 0xFFu) + carry;
      mag[i] = static_cast<char>(v & 0xFF);
      carry = v >> 8;
    }
  }
  return mag;
}

std::string MagnitudeToDecimal(std::string mag) {
  std::string digits;
  size_t start = 0;
  while (true) {
    while (start < mag.size() && mag[start] == '\0') ++start;
    if (start == mag.size()) break;
    unsigned rem = 0;
    for (size_t i = start; i < mag.size(); ++i) {
      unsigned v = rem * 256 + static_cast<unsigned char>(mag[i]);
      mag[i] = static_cast<char>(v / 10);
      rem = v % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
  }
  if (digits.empty()) digits.push_back('0');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace

// ---- Uuid ------------------------------------------------------------------------------------

Result<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
    return BadText("uuid", text);
  Uuid u;
  size_t k = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '-') {
      ++i;
      continue;
    }
    int hi = HexDigit(text[i]), lo = HexDigit(text[i + 1]);
    if (hi < 0 || lo < 0) return BadText("uuid", text);
    u.bytes[k++] = static_cast<uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return u;
}

std::string Uuid::ToString() const {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[bytes[i] >> 4];
    s += kHex[bytes[i] & 15];
  }
  return s;
}

// ---- Inet ------------------------------------------------------------------------------------

Result<Inet> Inet::Parse(std::string_view text) {
  std::string s(text);
  Inet i;
  if (inet_pton(AF_INET, s.c_str(), i.bytes.data()) == 1) {
    i.size = 4;
    return i;
  }
  if (inet_pton(AF_INET6, s.c_str(), i.bytes.data()) == 1) {
    i.size = 16;
    // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address, as Java's
    // InetAddress.getByName reads it.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, i.bytes.begin())) {
      std::copy(i.bytes.begin() + 12, i.bytes.begin() + 16, i.bytes.begin());
      std::fill(i.bytes.begin() + 4, i.bytes.end(), 0);
      i.size = 4;
    }
    return i;
  }
  return BadText("inet", text);
}

std::string Inet::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (size == 4) {
    inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

// ---- Varint ------------------------------------------------------------------------------------

Varint Varint::FromInt64(int64_t v) {
  char b[8];
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i, u >>= 8) b[i] = static_cast<char>(u);
  return FromBytes(std::string_view(b, 8));
}

Varint Varint::FromBytes(std::string_view b) {
  if (b.empty()) return Varint{std::string(1, '\0')};
  size_t i = 0;
  while (i + 1 < b.size()) {
    unsigned char c0 = static_cast<unsigned char>(b[i]);
    unsigned char c1 = static_cast<unsigned char>(b[i + 1]);
    if ((c0 == 0x00 && !(c1 & 0x80)) || (c0 == 0xFF && (c1 & 0x80))) {
      ++i;
    } else {
      break;
    }
  }
  return Varint{std::string(b.substr(i))};
}

Result<Varint> Varint::Parse(std::string_view text) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (!AllDigits(s)) return BadText("varint", text);
  return FromMagnitude(neg, MagnitudeFromDecimal(s));
}

std::string Varint::ToString() const {
  bool neg;
  std::string mag = ToMagnitude(bytes, &neg);
  std::string digits = MagnitudeToDecimal(std::move(mag));
  return neg ? "-" + digits : digits;
}

// ---- Decimal -----------------------------------------------------------------------------------

Result<Decimal> Decimal::Parse(std::string_view text) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int64_t exponent = 0;
  size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    if (!ParseSigned64(s.substr(e + 1), &exponent) || exponent > INT32_MAX || exponent < INT32_MIN)
      return BadText("decimal", text);
    s = s.substr(0, e);
  }
  std::string digits;
  int64_t fraction = 0;
  size_t dot = s.find('.');
  if (dot != std::string_view::npos) {
    digits = std::string(s.substr(0, dot)) + std::string(s.substr(dot + 1));
    fraction = static_cast<int64_t>(s.size() - dot - 1);
  } else {
    digits = std::string(s);
  }
  if (!AllDigits(digits)) return BadText("decimal", text);
  int64_t scale = fraction - exponent;
  if (scale > INT32_MAX || scale < INT32_MIN) return BadText("decimal", text);
  Decimal d;
  d.scale = static_cast<int32_t>(scale);
  d.unscaled = FromMagnitude(neg, MagnitudeFromDecimal(digits));
  return d;
}

// Java BigDecimal.toString's form, which Cassandra and cqlsh print.
std::string Decimal::ToString() const {
  bool neg;
  std::string coeff = MagnitudeToDecimal(ToMagnitude(unscaled.bytes, &neg));
  std::string sign = neg ? "-" : "";
  if (scale == 0) return sign + coeff;
  int64_t len = static_cast<int64_t>(coeff.size());
  int64_t adjusted = -static_cast<int64_t>(scale) + (len - 1);
  if (scale > 0 && adjusted >= -6) {
    if (len > scale) return sign + coeff.substr(0, len - scale) + "." + coeff.substr(len - scale);
    return sign + "0." + std::string(static_cast<size_t>(scale - len), '0') + coeff;
  }
  std::string out = sign + coeff.substr(0, 1);
  if (len > 1) out += "." + coeff.substr(1);
  out += "E";
  out += adjusted >= 0 ? "+" : "-";
  out += std::to_string(adjusted >= 0 ? adjusted : -adjusted);
  return out;
}

// ---- Duration ----------------------------------------------------------------------------------

namespace {

constexpr int64_t kNanosPerMicro = 1000;
constexpr int64_t kNanosPerMilli = 1000 * kNanosPerMicro;
constexpr int64_t kNanosPerSecond = 1000 * kNanosPerMilli;
constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
constexpr int64_t kNanosPerHour = 60 * kNanosPerMinute;

// Cassandra's Duration.Builder: units added in their order (years 1 .. nanoseconds 10), each at
// most once, the totals within int32 months and days and int64 nanoseconds.
class DurationBuilder {
 public:
  enum Unit { kYears = 1, kMonths, kWeeks, kDays, kHours, kMinutes, kSeconds, kMillis, kMicros,
              kNanos };

  explicit DurationBuilder(bool negative) : negative_(negative) {}

  Status Add(Unit unit, int64_t n) {
    if (unit == current_)
      return Invalid(std::string("Invalid duration. The ") + Name(unit) +
                     " are specified multiple times");
    if (unit < current_)
      return Invalid(std::string("Invalid duration. The ") + Name(current_) +
                     " should be after " + Name(unit));
    current_ = unit;
    switch (unit) {
      case kYears: return AddTo(&months_, INT32_MAX, n, 12, "months");
      case kMonths: return AddTo(&months_, INT32_MAX, n, 1, "months");
      case kWeeks: return AddTo(&days_, INT32_MAX, n, 7, "days");
      case kDays: return AddTo(&days_, INT32_MAX, n, 1, "days");
      case kHours: return AddTo(&nanos_, INT64_MAX, n, kNanosPerHour, "nanoseconds");
      case kMinutes: return AddTo(&nanos_, INT64_MAX, n, kNanosPerMinute, "nanoseconds");
      case kSeconds: return AddTo(&nanos_, INT64_MAX, n, kNanosPerSecond, "nanoseconds");
      case kMillis: return AddTo(&nanos_, INT64_MAX, n, kNanosPerMilli, "nanoseconds");
      case kMicros: return AddTo(&nanos_, INT64_MAX, n, kNanosPerMicro, "nanoseconds");
      case kNanos: return AddTo(&nanos_, INT64_MAX, n, 1, "nanoseconds");
    }
    return Status::Ok();
  }

  Duration Build() const {
    Duration d;
    d.months = static_cast<int32_t>(negative_ ? -months_ : months_);
    d.days = static_cast<int32_t>(negative_ ? -days_ : days_);
    d.nanos = negative_ ? -nanos_ : nanos_;
    return d;
  }

 private:
  static Status Invalid(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static const char* Name(int unit) {
    static constexpr const char* kNames[] = {"",        "years",   "months",       "weeks",
                                             "days",    "hours",   "minutes",      "seconds",
                                             "milliseconds", "microseconds", "nanoseconds"};
    return kNames[unit];
  }
  // The limit message names Integer.MAX_VALUE for every unit, nanoseconds included, as Cassandra's.
  static Status AddTo(int64_t* total, int64_t max, int64_t n, int64_t per_unit, const char* what) {
    if (n > (max - *total) / per_unit)
      return Invalid(std::string("Invalid duration. The total number of ") + what +
                     " must be less or equal to 2147483647");
    *total += n * per_unit;
    return Status::Ok();
  }

  bool negative_;
  int current_ = 0;
  int64_t months_ = 0, days_ = 0, nanos_ = 0;
};

}  // namespace

// Cassandra's Duration.from: a leading '-' negates; an upper-case 'P' starts ISO 8601 (PnW when
// it ends in 'W', PYYYY-MM-DDThh:mm:ss when it holds a '-', else P[nY][nM][nD][T[nH][nM][nS]]);
// anything else is (digits unit)+ with units y mo w d h m s ms us µs ns in any case. Errors carry
// Cassandra's texts, the source named without its '-'.
Result<Duration> Duration::Parse(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string_view source = negative ? text.substr(1) : text;
  const Status unable(StatusCode::kInvalidArgument,
                      "Unable to convert '" + std::string(source) + "' to a duration");
  DurationBuilder b(negative);
  size_t pos = 0;
  // Digits at pos (a Java long), advancing past them; false when there are none.
  auto number = [&](int64_t* n) {
    size_t k = pos;
    while (k < source.size() && source[k] >= '0' && source[k] <= '9') ++k;
    uint64_t u;
    if (k == pos || !ParseUnsigned(source.substr(pos, k - pos), INT64_MAX, &u)) return false;
    *n = static_cast<int64_t>(u);
    pos = k;
    return true;
  };
  auto eat = [&](char c) {
    if (pos < source.size() && source[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  using U = DurationBuilder::Unit;
  if (!source.empty() && source[0] == 'P') {
    pos = 1;
    if (source.back() == 'W') {
      int64_t n;
      if (!number(&n) || !eat('W') || pos != source.size()) return unable;
      PF_RETURN_IF_ERROR(b.Add(U::kWeeks, n));
      return b.Build();
    }
    if (source.find('-') != std::string_view::npos) {
      static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
      if (source.size() != 1 + kShape.size()) return unable;
      for (size_t k = 0; k < kShape.size(); ++k) {
        char c = source[1 + k];
        if (kShape[k] == 'd' ? !(c >= '0' && c <= '9') : c != kShape[k]) return unable;
      }
      auto field = [&](size_t at, size_t len) {
        int64_t v = 0;
        for (size_t k = 0; k < len; ++k) v = v * 10 + (source[1 + at + k] - '0');
        return v;
      };
      PF_RETURN_IF_ERROR(b.Add(U::kYears, field(0, 4)));
      PF_RETURN_IF_ERROR(b.Add(U::kMonths, field(5, 2)));
      PF_RETURN_IF_ERROR(b.Add(U::kDays, field(8, 2)));
      PF_RETURN_IF_ERROR(b.Add(U::kHours, field(11, 2)));
      PF_RETURN_IF_ERROR(b.Add(U::kMinutes, field(14, 2)));
      PF_RETURN_IF_ERROR(b.Add(U::kSeconds, field(17, 2)));
      return b.Build();
    }
    // The whole text must match before any unit is added (Matcher.matches, then the groups).
    struct Part {
      U unit;
      int64_t n;
    };
    std::vector<Part> parts;
    auto designators = [&](std::initializer_list<std::pair<char, U>> units) {
      for (auto [letter, unit] : units) {
        size_t at = pos;
        int64_t n;
        if (number(&n) && eat(letter)) {
          parts.push_back({unit, n});
        } else {
          pos = at;
        }
      }
    };
    designators({{'Y', U::kYears}, {'M', U::kMonths}, {'D', U::kDays}});
    if (eat('T')) designators({{'H', U::kHours}, {'M', U::kMinutes}, {'S', U::kSeconds}});
    if (pos != source.size()) return unable;
    for (const Part& p : parts) PF_RETURN_IF_ERROR(b.Add(p.unit, p.n));
    return b.Build();
  }
  // (digits unit)+, each unit added as it is found; a text that stops matching is refused after
  // the units before it were added (an out-of-order unit is reported first).
  static constexpr std::pair<std::string_view, U> kUnits[] = {
      {"y", U::kYears},   {"mo", U::kMonths},        {"w", U::kWeeks},  {"d", U::kDays},
      {"h", U::kHours},   {"s", U::kSeconds},        {"ms", U::kMillis}, {"us", U::kMicros},
      {"\xC2\xB5s", U::kMicros}, {"ns", U::kNanos},  {"m", U::kMinutes}};
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
  bool any = false;
  while (pos < source.size()) {
    int64_t n;
    if (!number(&n)) break;
    const std::pair<std::string_view, U>* found = nullptr;
    for (const auto& unit : kUnits) {
      std::string_view name = unit.first;
      if (source.size() - pos < name.size()) continue;
      bool same = true;
      for (size_t k = 0; k < name.size() && same; ++k) same = lower(source[pos + k]) == name[k];
      if (same) {
        found = &unit;
        break;
      }
    }
    if (found == nullptr) break;
    pos += found->first.size();
    PF_RETURN_IF_ERROR(b.Add(found->second, n));
    any = true;
  }
  if (!any || pos != source.size()) return unable;
  return b.Build();
}

std::string Duration::ToString() const {
  if (months == 0 && days == 0 && nanos == 0) return "0s";
  std::string out;
  if (months < 0 || days < 0 || nanos < 0) out += '-';
  auto append = [&out](uint64_t& rest, uint64_t unit, const char* name) {
    if (rest >= unit) {
      out += std::to_string(rest / unit);
      out += name;
      rest %= unit;
    }
  };
  uint64_t m = months < 0 ? 0 - static_cast<uint64_t>(static_cast<int64_t>(months))
                          : static_cast<uint64_t>(months);
  append(m, 12, "y");
  append(m, 1, "mo");
  uint64_t d = days < 0 ? 0 - static_cast<uint64_t>(static_cast<int64_t>(days))
                        : static_cast<uint64_t>(days);
  append(d, 1, "d");
  uint64_t n = nanos < 0 ? 0 - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  append(n, kNanosPerHour, "h");
  append(n, kNanosPerMinute, "m");
  append(n, kNanosPerSecond, "s");
  append(n, kNanosPerMilli, "ms");
  append(n, kNanosPerMicro, "us");
  append(n, 1, "ns");
  return out;
}

// ---- Date, Time, Timestamp --------------------------------------------------------------------

Result<Date> Date::Parse(std::string_view text) {
  int64_t days;
  if (ParseCivilDate(text, &days)) {
    int64_t wire = days + (int64_t{1} << 31);
    if (wire < 0 || wire > UINT32_MAX) return BadText("date", text);
    return Date{static_cast<uint32_t>(wire)};
  }
  uint64_t raw;  // the wire form as a number, as Cassandra accepts
  if (ParseUnsigned(text, UINT32_MAX, &raw)) return Date{static_cast<uint32_t>(raw)};
  return BadText("date", text);
}

std::string Date::ToString() const {
  return FormatCivilDate(static_cast<int64_t>(days) - (int64_t{1} << 31));
}

Result<Time> Time::Parse(std::string_view text) {
  int64_t nanos;
  if (ParseTimeOfDay(text, &nanos, 9, /*seconds_required=*/true)) return Time{nanos};
  uint64_t raw;
  if (ParseUnsigned(text, 86399999999999ull, &raw)) return Time{static_cast<int64_t>(raw)};
  return BadText("time", text);
}

std::string Time::ToString() const {
  int64_t n = nanos;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%09lld",
                static_cast<long long>(n / kNanosPerHour),
                static_cast<long long>(n / kNanosPerMinute % 60),
                static_cast<long long>(n / kNanosPerSecond % 60),
                static_cast<long long>(n % kNanosPerSecond));
  return buf;
}

namespace {

// A time zone named after one space (Java's " z" and " zzzz" patterns in Cassandra's
// TimestampSerializer) written as the offset the rest of Timestamp::Parse reads: UTC and its
// aliases, alone or with an offset (UTC+01:00). Regions (Europe/Paris, PST) need the time zone
// database and stay unparsable.
std::optional<std::string> ZoneNameAsOffset(std::string_view text) {
  static constexpr std::string_view kNames[] = {
      " Coordinated Universal Time", " Greenwich Mean Time", " Etc/UTC", " Etc/GMT", " UTC",
      " GMT", " UT"};
  for (std::string_view name : kNames) {
    size_t at = text.rfind(name);
    if (at == std::string_view::npos || at == 0 || text[at - 1] == ' ') continue;
    std::string_view offset = text.substr(at + name.size());
    std::string head(text.substr(0, at));
    if (offset.empty()) return head + "Z";
    if (name.find(' ', 1) != std::string_view::npos || name.find('/') != std::string_view::npos ||
        (offset[0] != '+' && offset[0] != '-')) {
      continue;
    }
    // ZoneId's prefixed offsets: +h, +hh, +hh:mm, +hhmm.
    std::string_view digits = offset.substr(1);
    std::string hh, mm = "00";
    if (digits.size() == 1 || digits.size() == 2) {
      hh = std::string(digits);
    } else if (digits.size() == 4) {
      hh = std::string(digits.substr(0, 2));
      mm = std::string(digits.substr(2));
    } else if (digits.size() == 5 && digits[2] == ':') {
      hh = std::string(digits.substr(0, 2));
      mm = std::string(digits.substr(3));
    } else {
      return std::nullopt;
    }
    if (hh.size() == 1) hh = "0" + hh;
    return head + offset[0] + hh + ":" + mm;
  }
  return std::nullopt;
}

}  // namespace

namespace {

// A run of one to 19 digits at `*pos` (as far as Java's fields read), advanced past.
bool ReadDigits(std::string_view s, size_t* pos, uint64_t max, uint64_t* out) {
  size_t end = *pos;
  while (end < s.size() && end - *pos < 19 && s[end] >= '0' && s[end] <= '9') ++end;
  if (end == *pos || !ParseUnsigned(s.substr(*pos, end - *pos), max, out)) return false;
  *pos = end;
  return true;
}

// An offset as Java's X, XXX and (after a space) z patterns read it: Z, +HH, +HHmm, +HH:MM.
bool ParseOffsetMinutes(std::string_view zone, int64_t* minutes) {
  *minutes = 0;
  if (zone.empty() || zone == "Z") return true;
  if (zone[0] != '+' && zone[0] != '-') return false;
  bool neg = zone[0] == '-';
  std::string digits;
  for (char c : zone.substr(1))
    if (c != ':') digits += c;
  uint64_t hh, mm = 0;
  if (digits.size() == 2) {
    if (!ParseUnsigned(digits, 23, &hh)) return false;
  } else if (digits.size() == 4) {
    if (!ParseUnsigned(digits.substr(0, 2), 23, &hh) || !ParseUnsigned(digits.substr(2), 59, &mm))
      return false;
  } else {
    return false;
  }
  *minutes = static_cast<int64_t>(hh * 60 + mm) * (neg ? -1 : 1);
  return true;
}

// Days since the epoch of a date whose day of month (1 to 31) is cut to the month's last, as
// Java's SMART resolver does (2024-02-30 is 2024-02-29).
int64_t SmartDays(int64_t year, uint64_t month, uint64_t day) {
  unsigned m = static_cast<unsigned>(month);
  return DaysFromCivil(year, m, std::min(static_cast<unsigned>(day), DaysInMonth(year, m)));
}

// The zone after a date or a date-time: an offset directly, or after one space.
bool ParseTrailingZone(std::string_view zone, int64_t* minutes) {
  if (!zone.empty() && zone[0] == ' ') {
    zone.remove_prefix(1);
    if (zone.empty()) return false;
  }
  return ParseOffsetMinutes(zone, minutes);
}

}  // namespace

// Java's DateTimeFormatter patterns of Cassandra's TimestampSerializer: a date-time,
// "y-M-d'T'H:m[:s]" or "y-M-d H:m[:s]" with a fraction of up to nine digits (each field one
// digit or more, a fraction only after seconds; 24:00 is the next midnight and a day past the
// month's end its last day, as the SMART resolver reads them), or a date alone,
// "yyyy-MM-dd" (a year of four digits, or signed and longer, as ISO_DATE reads it); then an
// offset, directly or after one space (zone names are rewritten to offsets before).
Result<Timestamp> Timestamp::Parse(std::string_view text) {
  int64_t millis;
  if (ParseSigned64(text, &millis)) return Timestamp{millis};
  if (auto rewritten = ZoneNameAsOffset(text)) {
    auto parsed = Parse(*rewritten);
    if (!parsed.ok()) return BadText("timestamp", text);
    return parsed;
  }
  const std::string_view s = text;
  size_t sep = s.find_first_of(" T", 1);
  const bool has_time =
      sep != std::string_view::npos && sep + 1 < s.size() && s[sep + 1] >= '0' && s[sep + 1] <= '9';
  int64_t days;
  int64_t nanos = 0;
  std::string_view zone;
  if (has_time) {
    // y-M-d: a year of era (no sign), a month and a day of one digit or more.
    size_t pos = 0;
    uint64_t y, mo, d, h, mi, sec = 0, frac = 0;
    if (!ReadDigits(s, &pos, 999999999, &y) || pos >= sep || s[pos++] != '-' ||
        !ReadDigits(s, &pos, 12, &mo) || pos >= sep || s[pos++] != '-' ||
        !ReadDigits(s, &pos, 31, &d) || pos != sep || y < 1 || mo < 1 || d < 1) {
      return BadText("timestamp", text);
    }
    days = SmartDays(static_cast<int64_t>(y), mo, d);
    pos = sep + 1;
    if (!ReadDigits(s, &pos, 24, &h) || pos >= s.size() || s[pos++] != ':' ||
        !ReadDigits(s, &pos, 59, &mi)) {
      return BadText("timestamp", text);
    }
    bool seconds = pos < s.size() && s[pos] == ':';
    if (seconds) {
      ++pos;
      if (!ReadDigits(s, &pos, 59, &sec)) return BadText("timestamp", text);
    }
    if (seconds && pos < s.size() && s[pos] == '.') {
      size_t start = ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos - start > 9) return BadText("timestamp", text);
      std::string digits(s.substr(start, pos - start));
      digits.resize(9, '0');
      if (!ParseUnsigned(digits, 999999999, &frac)) return BadText("timestamp", text);
    }
    if (h == 24 && (mi != 0 || sec != 0 || frac != 0)) return BadText("timestamp", text);
    nanos = static_cast<int64_t>(((h * 60 + mi) * 60 + sec) * 1000000000ull + frac);
    zone = s.substr(pos);
  } else {
    // yyyy-MM-dd: four year digits, or a sign and four to ten; two month and day digits.
    size_t pos = 0;
    bool neg = false, sign = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      sign = true;
      neg = s[0] == '-';
      ++pos;
    }
    size_t year_start = pos;
    uint64_t y, mo, d;
    if (!ReadDigits(s, &pos, 9999999999ull, &y)) return BadText("timestamp", text);
    size_t year_digits = pos - year_start;
    if (year_digits < 4 || (year_digits > 4 && !sign) || year_digits > 10 || s.size() < pos + 6 ||
        s[pos] != '-' || s[pos + 3] != '-' ||
        !ParseUnsigned(s.substr(pos + 1, 2), 12, &mo) ||
        !ParseUnsigned(s.substr(pos + 4, 2), 31, &d)) {
      return BadText("timestamp", text);
    }
    if (mo < 1 || d < 1) return BadText("timestamp", text);
    days = SmartDays(neg ? -static_cast<int64_t>(y) : static_cast<int64_t>(y), mo, d);
    zone = s.substr(pos + 6);
  }
  int64_t offset_minutes;
  if (!ParseTrailingZone(zone, &offset_minutes)) return BadText("timestamp", text);
  // Keeps days * 86400000 plus the time of day and zone offset inside int64.
  if (days > 106751991166LL || days < -106751991166LL) return BadText("timestamp", text);
  int64_t ms = days * 86400000 + nanos / 1000000 - offset_minutes * 60000;
  return Timestamp{ms};
}

std::string Timestamp::ToString() const {
  // Floor division without overflow, also for INT64_MIN.
  int64_t days = millis / 86400000;
  int64_t ms_of_day = millis % 86400000;
  if (ms_of_day < 0) {
    ms_of_day += 86400000;
    --days;
  }
  char buf[48];
  std::snprintf(
      buf, sizeof buf, " %02lld:%02lld:%02lld.%03lld000+0000",
      static_cast<long long>(ms_of_day / 3600000), static_cast<long long>(ms_of_day / 60000 % 60),
      static_cast<long long>(ms_of_day / 1000 % 60), static_cast<long long>(ms_of_day % 1000));
  return FormatCivilDate(days) + buf;
}

// ---- CQL literals ------------------------------------------------------------------------------

namespace {

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string Hex(std::string_view b) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  for (unsigned char c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

template <class F>
std::string FloatLiteral(F f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f);
  return std::string(buf, res.ptr);
}

const DataType& Param(const DataType& t, size_t i) {
  static const DataType kText;
  return i < t.params().size() ? t.params()[i] : kText;
}

}  // namespace

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

std::string Value::ToCqlLiteral(const DataType& type) const {
  return std::visit(
      [&type](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Null>) {
          return "null";
        } else if constexpr (std::is_same_v<T, Unset>) {
          return "unset";
        } else if constexpr (std::is_same_v<T, Empty>) {
          return "''";
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_integral_v<T>) {
          return std::to_string(static_cast<int64_t>(x));
        } else if constexpr (std::is_floating_point_v<T>) {
          return FloatLiteral(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (type.kind() == TypeKind::kBlob || type.kind() == TypeKind::kCustom) return Hex(x);
          return Quote(x);
        } else if constexpr (std::is_same_v<T, Blob>) {
          return Hex(x.bytes);
        } else if constexpr (std::is_same_v<T, Uuid> || std::is_same_v<T, Varint> ||
                             std::is_same_v<T, Decimal> || std::is_same_v<T, Duration>) {
          return x.ToString();
        } else if constexpr (std::is_same_v<T, Inet> || std::is_same_v<T, Date> ||
                             std::is_same_v<T, Time> || std::is_same_v<T, Timestamp>) {
          return Quote(x.ToString());
        } else if constexpr (std::is_same_v<T, ValueList>) {
          std::string open = "[", close = "]";
          bool udt = type.kind() == TypeKind::kUdt;
          if (type.kind() == TypeKind::kSet || udt) {
            open = "{";
            close = "}";
          } else if (type.kind() == TypeKind::kTuple) {
            open = "(";
            close = ")";
          }
          std::string out = open;
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out += ", ";
            if (udt) {
              const auto& names = type.field_names();
              out += i < names.size() ? names[i] : std::to_string(i);
              out += ": ";
            }
            bool per_index = type.kind() == TypeKind::kTuple || udt;
            out += x[i].ToCqlLiteral(Param(type, per_index ? i : 0));
          }
          return out + close;
        } else {
          static_assert(std::is_same_v<T, ValueMap>);
          std::string out = "{";
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out += ", ";
            out += x[i].key.ToCqlLiteral(Param(type, 0));
            out += ": ";
            out += x[i].value.ToCqlLiteral(Param(type, 1));
          }
          return out + "}";
        }
      },
      v_);
}

}  // namespace postfork::cql
