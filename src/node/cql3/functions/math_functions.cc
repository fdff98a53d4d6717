#include "node/cql3/functions/math_functions.h"

#include <boost/multiprecision/cpp_dec_float.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "node/cql3/functions/big_decimal.h"
#include "node/cql_errors.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

using cpp_int = BigInteger;
using cql::DataType;
using cql::TypeKind;
// Working precision of decimal exp/log/log10: beyond the 32 digits Cassandra keeps by default.
using BigFloat = boost::multiprecision::number<boost::multiprecision::cpp_dec_float<120>>;

enum class MathOp { kAbs, kExp, kLog, kLog10, kRound };

constexpr TypeKind kNumericKinds[] = {TypeKind::kTinyint, TypeKind::kSmallint, TypeKind::kInt,
                                      TypeKind::kFloat,   TypeKind::kBigint,   TypeKind::kDouble,
                                      TypeKind::kVarint,  TypeKind::kDecimal,  TypeKind::kCounter};

std::nullopt_t Fail(const FunctionContext& c, const char* message) {
  if (c.failure && c.failure->ok()) {
    *c.failure = CqlError(cql::ErrorCode::kServerError,
                          std::string("java.lang.ArithmeticException: ") + message);
  }
  return std::nullopt;
}

std::string BigEndian(uint64_t x, size_t width) {
  std::string out(width, '\0');
  for (size_t i = 0; i < width; ++i) out[i] = static_cast<char>(x >> (8 * (width - 1 - i)));
  return out;
}

// Java's (int) and (long) of a double: toward zero, saturating, NaN 0.
int64_t JavaToInteger(double d, bool is_long) {
  const double max = is_long ? 9.2233720368547758e18 : 2147483647.0;
  const double min = is_long ? -9.2233720368547758e18 : -2147483648.0;
  if (std::isnan(d)) return 0;
  if (d >= max) return is_long ? INT64_MAX : INT32_MAX;
  if (d <= min) return is_long ? INT64_MIN : INT32_MIN;
  return static_cast<int64_t>(d);
}

// Java's Math.round: the closest integer, ties toward positive infinity, saturating, NaN 0.
int64_t JavaRound(double d, bool is_long) {
  if (std::isnan(d)) return 0;
  double r = std::floor(d);
  if (d - r >= 0.5) r += 1;
  return JavaToInteger(r, is_long);
}

double Apply(MathOp op, double x) {
  switch (op) {
    case MathOp::kExp: return std::exp(x);
    case MathOp::kLog: return std::log(x);
    case MathOp::kLog10: return std::log10(x);
    default: return x;
  }
}

std::optional<std::string> FixedWidth(MathOp op, TypeKind k, std::string_view v) {
  const size_t width = k == TypeKind::kTinyint ? 1 : k == TypeKind::kSmallint ? 2
                       : k == TypeKind::kInt   ? 4 : 8;
  if (v.size() != width) return std::nullopt;
  int64_t x = static_cast<signed char>(v[0]);
  for (size_t i = 1; i < width; ++i) x = (x << 8) | static_cast<unsigned char>(v[i]);
  switch (op) {
    case MathOp::kRound:
      return std::string(v);
    case MathOp::kAbs:  // the narrowing wraps the minimum back to itself, as Java's casts do
      return BigEndian(x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x), width);
    default:
      return BigEndian(static_cast<uint64_t>(JavaToInteger(Apply(op, static_cast<double>(x)),
                                                           width == 8)),
                       width);
  }
}

std::optional<std::string> Floating(MathOp op, TypeKind k, std::string_view v) {
  const bool is_float = k == TypeKind::kFloat;
  if (v.size() != (is_float ? 4u : 8u)) return std::nullopt;
  double x;
  if (is_float) {
    uint32_t bits = cql::LoadBE32(v.data());
    float f;
    std::memcpy(&f, &bits, 4);
    x = f;
  } else {
    uint64_t bits = cql::LoadBE64(v.data());
    std::memcpy(&x, &bits, 8);
  }
  double r = op == MathOp::kAbs     ? std::fabs(x)
             : op == MathOp::kRound ? static_cast<double>(JavaRound(x, !is_float))
                                    : Apply(op, x);
  if (is_float) {
    float f = static_cast<float>(r);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return BigEndian(bits, 4);
  }
  uint64_t bits;
  std::memcpy(&bits, &r, 8);
  return BigEndian(bits, 8);
}

// `x` rounded half even to `digits` significant digits.
BigDecimal RoundSignificant(const BigFloat& x, int64_t digits) {
  if (x == 0) return BigDecimal{0, 0};
  std::string text = x.str(static_cast<std::streamsize>(digits + 10), std::ios_base::scientific);
  bool negative = text[0] == '-';
  if (negative) text.erase(0, 1);
  size_t e = text.find('e');
  int64_t exponent = std::stoll(text.substr(e + 1));
  std::string all;
  for (char c : text.substr(0, e)) {
    if (c != '.') all += c;
  }
  std::string kept = all.substr(0, static_cast<size_t>(digits));
  std::string rest = all.substr(kept.size());
  bool up = false;
  if (!rest.empty()) {
    if (rest[0] > '5') {
      up = true;
    } else if (rest[0] == '5') {
      bool tie = rest.find_first_not_of('0', 1) == std::string::npos;
      up = !tie || ((kept.back() - '0') % 2 == 1);
    }
  }
  cpp_int unscaled(kept);
  if (up) unscaled += 1;
  if (Precision(unscaled) > digits) {  // 99..9 carried into one more digit
    unscaled /= 10;
    exponent += 1;
  }
  if (negative) unscaled = -unscaled;
  return BigDecimal{unscaled, digits - 1 - exponent};
}

// DecimalType's exp/log/log10 at max(32, precision) digits (MathContext, HALF_EVEN).
std::optional<BigDecimal> Transcendental(MathOp op, const BigDecimal& x, const FunctionContext& c) {
  if (op != MathOp::kExp && x.unscaled <= 0) {
    return Fail(c, op == MathOp::kLog ? "Natural log of number zero or less"
                                      : "Log10 of number zero or less");
  }
  if (op == MathOp::kExp && x.unscaled == 0) return BigDecimal{1, 0};
  if (op == MathOp::kLog && x.scale >= 0 && x.scale < 10000 && x.unscaled == Pow10(x.scale))
    return BigDecimal{0, 0};  // log(1)
  const int64_t digits = std::min<int64_t>(std::max<int64_t>(32, Precision(x.unscaled)), 10000);
  BigFloat value(x.unscaled.str() + "e" + std::to_string(-x.scale));
  // Past this the result (or its integer part) has more digits than the node builds: Cassandra
  // reaches its own "Overflow" somewhat later.
  if (op == MathOp::kExp && boost::multiprecision::abs(value) > 200000) return Fail(c, "Overflow");
  BigFloat r = op == MathOp::kExp   ? BigFloat(boost::multiprecision::exp(value))
               : op == MathOp::kLog ? BigFloat(boost::multiprecision::log(value))
                                    : BigFloat(boost::multiprecision::log10(value));
  return RoundSignificant(r, digits);
}

std::optional<std::string> Exact(MathOp op, TypeKind k, std::string_view v,
                                 const FunctionContext& c) {
  auto value = cql::DeserializeValue(v, DataType(k));
  if (!value.ok() || v.empty()) return std::nullopt;
  BigDecimal x;
  if (k == TypeKind::kVarint) {
    x.unscaled = cpp_int(value->get_if<cql::Varint>()->ToString());
  } else {
    const cql::Decimal* d = value->get_if<cql::Decimal>();
    if (d == nullptr) return std::nullopt;
    x = BigDecimal{cpp_int(d->unscaled.ToString()), d->scale};
  }
  if (op == MathOp::kAbs) {
    x.unscaled = boost::multiprecision::abs(x.unscaled);
    return k == TypeKind::kVarint ? WriteBigInteger(x.unscaled) : WriteBigDecimal(x);
  }
  if (op == MathOp::kRound) {
    if (k == TypeKind::kVarint) return WriteBigInteger(x.unscaled);
    if (x.scale <= 0) {
      if (-x.scale > 200000) return Fail(c, "Overflow");  // more digits than the node builds
      return WriteBigDecimal(BigDecimal{x.unscaled * Pow10(-x.scale), 0});
    }
    if (x.scale > Precision(x.unscaled)) return WriteBigDecimal(BigDecimal{0, 0});  // |x| < 0.1
    cpp_int p = Pow10(x.scale);
    cpp_int q = x.unscaled / p, rem = boost::multiprecision::abs(x.unscaled % p);
    if (rem * 2 >= p) q += x.unscaled < 0 ? -1 : 1;  // HALF_UP: ties away from zero
    return WriteBigDecimal(BigDecimal{q, 0});
  }
  auto r = Transcendental(op, x, c);
  if (!r) return std::nullopt;
  if (k == TypeKind::kDecimal) return WriteBigDecimal(*r);
  // BigDecimal.toBigInteger: the integer part.
  if (r->scale <= 0) {
    if (-r->scale > 200000) return Fail(c, "Overflow");
    return WriteBigInteger(r->unscaled * Pow10(-r->scale));
  }
  return WriteBigInteger(r->scale > 20000 ? cpp_int(0) : cpp_int(r->unscaled / Pow10(r->scale)));
}

template <MathOp kOp>
std::optional<std::string> MathBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                    const FunctionContext& c) {
  const TypeKind k = types[0].kind();
  const std::string& v = *args[0];
  switch (k) {
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      return Floating(kOp, k, v);
    case TypeKind::kVarint:
    case TypeKind::kDecimal:
      return Exact(kOp, k, v, c);
    default:
      return FixedWidth(kOp, k, v);
  }
}

}  // namespace

void AddMathFunctions(std::vector<NativeFunction>* out) {
  struct Fn {
    const char* name;
    FunctionBody body;
  };
  for (TypeKind k : kNumericKinds) {
    DataType type(k);
    for (const Fn& f : {Fn{"abs", MathBody<MathOp::kAbs>}, Fn{"exp", MathBody<MathOp::kExp>},
                        Fn{"log", MathBody<MathOp::kLog>}, Fn{"log10", MathBody<MathOp::kLog10>},
                        Fn{"round", MathBody<MathOp::kRound>}}) {
      out->push_back(NativeFunction{f.name, {type}, type, true, f.body});
    }
  }
}

}  // namespace postfork::node::cql3
