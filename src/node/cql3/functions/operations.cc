#include "node/cql3/functions/operations.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>

#include "node/cql3/functions/big_decimal.h"
#include "node/cql_errors.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

using boost::multiprecision::cpp_int;
using cql::DataType;
using cql::TypeKind;

enum class Op { kAdd, kSubtract, kMultiply, kDivide, kModulo };

struct OpName {
  Op op;
  const char* name;
  char symbol;
};
constexpr OpName kOps[] = {{Op::kAdd, "_add", '+'},
                           {Op::kSubtract, "_substract", '-'},
                           {Op::kMultiply, "_multiply", '*'},
                           {Op::kDivide, "_divide", '/'},
                           {Op::kModulo, "_modulo", '%'}};

constexpr TypeKind kNumericKinds[] = {TypeKind::kTinyint, TypeKind::kSmallint, TypeKind::kInt,
                                      TypeKind::kBigint,  TypeKind::kFloat,    TypeKind::kDouble,
                                      TypeKind::kDecimal, TypeKind::kVarint,   TypeKind::kCounter};

// Bytes of a value of the type (counter as bigint); 0 for varint and decimal (unbounded).
int Size(TypeKind k) {
  switch (k) {
    case TypeKind::kTinyint:
      return 1;
    case TypeKind::kSmallint:
      return 2;
    case TypeKind::kInt:
    case TypeKind::kFloat:
      return 4;
    case TypeKind::kBigint:
    case TypeKind::kCounter:
    case TypeKind::kDouble:
      return 8;
    default:
      return 0;
  }
}
bool IsFloatingPoint(TypeKind k) {
  return k == TypeKind::kFloat || k == TypeKind::kDouble || k == TypeKind::kDecimal;
}

// OperationFcts.returnType: floating point if either side is, of the larger size.
TypeKind ReturnKind(TypeKind left, TypeKind right) {
  int l = Size(left), r = Size(right);
  int size = (l == 0 || r == 0) ? 0 : std::max(l, r);
  if (IsFloatingPoint(left) || IsFloatingPoint(right)) {
    return size == 4 ? TypeKind::kFloat : size == 8 ? TypeKind::kDouble : TypeKind::kDecimal;
  }
  switch (size) {
    case 1:
      return TypeKind::kTinyint;
    case 2:
      return TypeKind::kSmallint;
    case 4:
      return TypeKind::kInt;
    case 8:
      return TypeKind::kBigint;
    default:
      return TypeKind::kVarint;
  }
}

// A failed operation: Cassandra's OperationExecutionException, reported once per request.
std::nullopt_t Fail(const FunctionContext& c, std::string message) {
  if (c.failure && c.failure->ok()) {
    *c.failure = CqlError(cql::ErrorCode::kFunctionFailure, std::move(message));
  }
  return std::nullopt;
}

// ---- reading and writing the operands ---------------------------------------------------------

std::optional<int64_t> ReadInteger(TypeKind k, std::string_view v) {
  size_t width = static_cast<size_t>(Size(k));
  if (width == 0 || IsFloatingPoint(k) || v.size() != width) return std::nullopt;
  int64_t x = static_cast<signed char>(v[0]);
  for (size_t i = 1; i < width; ++i) x = (x << 8) | static_cast<unsigned char>(v[i]);
  return x;
}

std::optional<double> ReadFloating(TypeKind k, std::string_view v) {
  if (k == TypeKind::kFloat) {
    if (v.size() != 4) return std::nullopt;
    uint32_t bits = cql::LoadBE32(v.data());
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  if (k == TypeKind::kDouble) {
    if (v.size() != 8) return std::nullopt;
    uint64_t bits = cql::LoadBE64(v.data());
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  auto i = ReadInteger(k, v);
  if (!i) return std::nullopt;
  return static_cast<double>(*i);
}

std::string WriteInteger(int64_t x, int width) {
  std::string out(static_cast<size_t>(width), '\0');
  for (int i = 0; i < width; ++i) {
    out[static_cast<size_t>(i)] =
        static_cast<char>(static_cast<uint64_t>(x) >> (8 * (width - 1 - i)));
  }
  return out;
}
std::string WriteFloat(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return WriteInteger(static_cast<int64_t>(bits), 4);
}
std::string WriteDouble(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return WriteInteger(static_cast<int64_t>(bits), 8);
}

std::optional<cpp_int> ReadBigInteger(TypeKind k, std::string_view v) {
  if (k == TypeKind::kVarint) {
    if (v.empty()) return std::nullopt;
    return cpp_int(cql::Varint::FromBytes(v).ToString());
  }
  auto i = ReadInteger(k, v);
  if (!i) return std::nullopt;
  return cpp_int(*i);
}

// An operand as a BigDecimal (Cassandra's DecimalType.toBigDecimal): decimals and varints
// exactly, every other number through its double's Java text (BigDecimal.valueOf(double), so a
// smallint 2 is 2.0 and a bigint past 2^53 rounds); NaN and infinities fail.
std::optional<BigDecimal> ReadBigDecimal(TypeKind k, std::string_view v, const FunctionContext& c,
                                         bool* failed) {
  if (k == TypeKind::kDecimal) {
    if (v.size() < 5) return std::nullopt;
    auto value = cql::DeserializeValue(v, DataType(k));
    if (!value.ok()) return std::nullopt;
    const cql::Decimal* d = value->get_if<cql::Decimal>();
    return BigDecimal{cpp_int(d->unscaled.ToString()), d->scale};
  }
  if (k == TypeKind::kFloat || k == TypeKind::kDouble) {
    auto d = ReadFloating(k, v);
    if (!d) return std::nullopt;
    if (std::isnan(*d) || std::isinf(*d)) {
      *failed = true;
      return Fail(c, std::isnan(*d) ? "A NaN cannot be converted into a decimal"
                                    : "An infinite number cannot be converted into a decimal");
    }
    auto parsed = cql::Decimal::Parse(cql::JavaFloatText(*d));
    if (!parsed.ok()) return std::nullopt;
    return BigDecimal{cpp_int(parsed->unscaled.ToString()), parsed->scale};
  }
  if (k != TypeKind::kVarint) {
    auto i = ReadInteger(k, v);
    if (!i) return std::nullopt;
    auto parsed = cql::Decimal::Parse(cql::JavaFloatText(static_cast<double>(*i)));
    if (!parsed.ok()) return std::nullopt;
    return BigDecimal{cpp_int(parsed->unscaled.ToString()), parsed->scale};
  }
  auto i = ReadBigInteger(k, v);
  if (!i) return std::nullopt;
  return BigDecimal{*i, 0};
}

// Both at the larger scale.
void Align(BigDecimal* a, BigDecimal* b) {
  if (a->scale < b->scale) {
    a->unscaled *= Pow10(b->scale - a->scale);
    a->scale = b->scale;
  } else if (b->scale < a->scale) {
    b->unscaled *= Pow10(a->scale - b->scale);
    b->scale = a->scale;
  }
}

// ---- the operations ---------------------------------------------------------------------------

std::optional<std::string> Integral(Op op, int64_t a, int64_t b, int width,
                                    const FunctionContext& c) {
  // Java computes in int or long and narrows; two's complement wrap-around is the same at 64 bits.
  auto wrap = [](uint64_t x) { return static_cast<int64_t>(x); };
  int64_t r = 0;
  switch (op) {
    case Op::kAdd:
      r = wrap(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
      break;
    case Op::kSubtract:
      r = wrap(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
      break;
    case Op::kMultiply:
      r = wrap(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
      break;
    case Op::kDivide:
    case Op::kModulo:
      if (b == 0) return Fail(c, "/ by zero");
      if (b == -1) {  // INT64_MIN / -1 overflows in C++; Java wraps to INT64_MIN, remainder 0
        r = op == Op::kDivide ? wrap(0 - static_cast<uint64_t>(a)) : 0;
      } else {
        r = op == Op::kDivide ? a / b : a % b;
      }
      break;
  }
  return WriteInteger(r, width);
}

template <typename F>
F Floating(Op op, F a, F b) {
  switch (op) {
    case Op::kAdd:
      return a + b;
    case Op::kSubtract:
      return a - b;
    case Op::kMultiply:
      return a * b;
    case Op::kDivide:
      return a / b;
    case Op::kModulo:
      return std::fmod(a, b);
  }
  return 0;
}

std::optional<std::string> Varint(Op op, const cpp_int& a, const cpp_int& b,
                                  const FunctionContext& c) {
  switch (op) {
    case Op::kAdd:
      return WriteBigInteger(a + b);
    case Op::kSubtract:
      return WriteBigInteger(a - b);
    case Op::kMultiply:
      return WriteBigInteger(a * b);
    case Op::kDivide:
    case Op::kModulo:
      if (b == 0) return Fail(c, "BigInteger divide by zero");
      return WriteBigInteger(op == Op::kDivide ? cpp_int(a / b) : cpp_int(a % b));
  }
  return std::nullopt;
}

BigDecimal StripTrailingZeros(BigDecimal x) {
  if (x.unscaled == 0) return BigDecimal{0, 0};
  while (x.unscaled % 10 == 0) {
    x.unscaled /= 10;
    --x.scale;
  }
  return x;
}

// Cassandra's DecimalType.divide: at least 32 digits after the point (more when the operands
// have more, at most 1000), rounded half up, trailing zeros stripped.
BigDecimal DecimalDivide(const BigDecimal& a, const BigDecimal& b) {
  int64_t first_digit = (Precision(a.unscaled) - a.scale) - (Precision(b.unscaled) - b.scale);
  int64_t scale = std::max({int64_t{32} - first_digit, a.scale, b.scale, int64_t{32}});
  scale = std::min<int64_t>(scale, 1000);
  // unscaled result = a.unscaled * 10^(scale - a.scale + b.scale) / b.unscaled
  int64_t e = scale - a.scale + b.scale;
  cpp_int num = a.unscaled, den = b.unscaled;
  if (e >= 0) {
    num *= Pow10(e);
  } else {
    den *= Pow10(-e);
  }
  cpp_int q = num / den, r = num % den;
  if (r != 0 &&
      cpp_int(2 * boost::multiprecision::abs(r)) >= cpp_int(boost::multiprecision::abs(den))) {
    q += ((num < 0) != (den < 0)) ? -1 : 1;
  }
  return StripTrailingZeros(BigDecimal{q, scale});
}

// Cassandra's DecimalType.MAX_PRECISION: sums, differences and products keep at most 10000
// significant digits, rounded half up (Java's MathContext(10000)).
constexpr int64_t kMaxDecimalPrecision = 10000;

BigDecimal RoundToMaxPrecision(BigDecimal x) {
  while (Precision(x.unscaled) > kMaxDecimalPrecision) {
    int64_t drop = Precision(x.unscaled) - kMaxDecimalPrecision;
    cpp_int divisor = Pow10(drop);
    cpp_int q = x.unscaled / divisor, r = x.unscaled % divisor;
    if (cpp_int(2 * boost::multiprecision::abs(r)) >= divisor) q += x.unscaled < 0 ? -1 : 1;
    x.unscaled = q;
    x.scale -= drop;
  }
  return x;
}

std::optional<std::string> Decimal(Op op, BigDecimal a, BigDecimal b, const FunctionContext& c) {
  switch (op) {
    case Op::kAdd:
    case Op::kSubtract:
      Align(&a, &b);
      return WriteBigDecimal(RoundToMaxPrecision(BigDecimal{
          op == Op::kAdd ? cpp_int(a.unscaled + b.unscaled) : cpp_int(a.unscaled - b.unscaled),
          a.scale}));
    case Op::kMultiply:
      return WriteBigDecimal(
          RoundToMaxPrecision(BigDecimal{a.unscaled * b.unscaled, a.scale + b.scale}));
    case Op::kDivide:
      if (b.unscaled == 0) return Fail(c, "BigInteger divide by zero");
      return WriteBigDecimal(DecimalDivide(a, b));
    case Op::kModulo: {
      if (b.unscaled == 0)
        return Fail(c, a.unscaled == 0 ? "Division undefined" : "Division by zero");
      // BigDecimal.remainder: a - q * b, with q = divideToIntegralValue(b), the truncated
      // quotient at the scale nearest a.scale - b.scale that keeps it exact (zero when |a| < |b|),
      // and the difference at the larger of the two scales.
      const int64_t preferred = a.scale - b.scale;
      BigDecimal x = a, y = b;
      Align(&x, &y);
      BigDecimal q{0, preferred};
      if (abs(x.unscaled) >= abs(y.unscaled)) {
        q = BigDecimal{x.unscaled / y.unscaled, 0};
        if (preferred > 0) {
          q = BigDecimal{q.unscaled * Pow10(preferred), preferred};
        } else {
          while (q.scale > preferred && q.unscaled % 10 == 0) {
            q.unscaled /= 10;
            --q.scale;
          }
        }
      }
      BigDecimal product{q.unscaled * b.unscaled, q.scale + b.scale};
      Align(&a, &product);
      return WriteBigDecimal(BigDecimal{a.unscaled - product.unscaled, a.scale});
    }
  }
  return std::nullopt;
}

template <Op kOp>
std::optional<std::string> NumericBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                       const FunctionContext& c) {
  if (!c.return_type || types.size() != 2 || !args[0] || !args[1]) return std::nullopt;
  std::string_view left = *args[0], right = *args[1];
  if (left.empty() || right.empty()) return std::nullopt;  // empty values: null, as Cassandra
  TypeKind lk = types[0].kind(), rk = types[1].kind(), result = c.return_type->kind();
  bool failed = false;
  std::optional<std::string> out;
  switch (result) {
    case TypeKind::kFloat: {
      auto a = ReadFloating(lk, left), b = ReadFloating(rk, right);
      if (a && b) out = WriteFloat(Floating(kOp, static_cast<float>(*a), static_cast<float>(*b)));
      break;
    }
    case TypeKind::kDouble: {
      auto a = ReadFloating(lk, left), b = ReadFloating(rk, right);
      if (a && b) out = WriteDouble(Floating(kOp, *a, *b));
      break;
    }
    case TypeKind::kVarint: {
      auto a = ReadBigInteger(lk, left), b = ReadBigInteger(rk, right);
      if (a && b) out = Varint(kOp, *a, *b, c);
      failed = !out;
      break;
    }
    case TypeKind::kDecimal: {
      auto a = ReadBigDecimal(lk, left, c, &failed);
      auto b = failed ? std::nullopt : ReadBigDecimal(rk, right, c, &failed);
      if (a && b) out = Decimal(kOp, std::move(*a), std::move(*b), c);
      break;
    }
    default: {
      auto a = ReadInteger(lk, left), b = ReadInteger(rk, right);
      if (a && b) out = Integral(kOp, *a, *b, Size(result), c);
      break;
    }
  }
  return out;
}

std::optional<std::string> NegateBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                      const FunctionContext&) {
  if (types.size() != 1 || !args[0] || args[0]->empty()) return std::nullopt;
  TypeKind k = types[0].kind();
  std::string_view v = *args[0];
  switch (k) {
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      auto d = ReadFloating(k, v);
      if (!d) return std::nullopt;
      return k == TypeKind::kFloat ? WriteFloat(-static_cast<float>(*d)) : WriteDouble(-*d);
    }
    case TypeKind::kVarint: {
      auto x = ReadBigInteger(k, v);
      if (!x) return std::nullopt;
      return WriteBigInteger(-*x);
    }
    case TypeKind::kDecimal: {
      bool failed = false;
      auto x = ReadBigDecimal(k, v, FunctionContext{}, &failed);
      if (!x) return std::nullopt;
      x->unscaled = -x->unscaled;
      return WriteBigDecimal(*x);
    }
    default: {
      auto x = ReadInteger(k, v);
      if (!x) return std::nullopt;
      return WriteInteger(static_cast<int64_t>(0 - static_cast<uint64_t>(*x)), Size(k));
    }
  }
}

// ---- temporals --------------------------------------------------------------------------------

constexpr int64_t kMillisPerDay = 86400000;
constexpr int64_t kNanosPerMilli = 1000000;
constexpr int64_t kDateEpoch = int64_t{1} << 31;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

unsigned DaysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Cassandra's Duration.addTo / substractFrom (Joda's plusMonths clamps the day of the month).
int64_t AddDuration(int64_t millis, const cql::Duration& d, bool subtract) {
  int64_t sign = subtract ? -1 : 1;
  if (d.months == 0) {
    return millis + sign * (int64_t{d.days} * kMillisPerDay + d.nanos / kNanosPerMilli);
  }
  int64_t days = FloorDiv(millis, kMillisPerDay);
  int64_t ms_of_day = millis - days * kMillisPerDay;
  int64_t year;
  unsigned month, day;
  cql::CivilFromDays(days, &year, &month, &day);
  int64_t months = year * 12 + (month - 1) + sign * d.months;
  int64_t new_year = FloorDiv(months, 12);
  unsigned new_month = static_cast<unsigned>(months - new_year * 12) + 1;
  unsigned new_day = std::min(day, DaysInMonth(new_year, new_month));
  int64_t out = cql::DaysFromCivil(new_year, new_month, new_day) * kMillisPerDay + ms_of_day;
  return out + sign * (int64_t{d.days} * kMillisPerDay + d.nanos / kNanosPerMilli);
}

template <bool kSubtract>
std::optional<std::string> TemporalBody(const std::vector<DataType>& types,
                                        const FunctionArgs& args, const FunctionContext& c) {
  if (types.size() != 2 || !args[0] || !args[1] || args[0]->empty() || args[1]->empty()) {
    return std::nullopt;
  }
  auto value = cql::DeserializeValue(*args[1], DataType(TypeKind::kDuration));
  if (!value.ok()) return std::nullopt;
  const cql::Duration& duration = *value->get_if<cql::Duration>();
  std::string_view t = *args[0];
  if (types[0].kind() == TypeKind::kTimestamp) {
    if (t.size() != 8) return std::nullopt;
    if (duration.nanos % kNanosPerMilli != 0) {  // TimestampType.validateDuration
      return Fail(c, fmt::format("the operation 'timestamp {} duration' failed: The duration must "
                                 "have a millisecond precision. Was: {}",
                                 kSubtract ? '-' : '+', duration.ToString()));
    }
    int64_t millis = static_cast<int64_t>(cql::LoadBE64(t.data()));
    return WriteInteger(AddDuration(millis, duration, kSubtract), 8);
  }
  if (t.size() != 4) return std::nullopt;
  if (duration.nanos != 0) {
    return Fail(c, fmt::format("the operation 'date {} duration' failed: The duration must have a "
                               "day precision. Was: {}",
                               kSubtract ? '-' : '+', duration.ToString()));
  }
  int64_t millis = (static_cast<int64_t>(cql::LoadBE32(t.data())) - kDateEpoch) * kMillisPerDay;
  int64_t days = AddDuration(millis, duration, kSubtract) / kMillisPerDay + kDateEpoch;
  return WriteInteger(days, 4);
}

// Text and ascii concatenation (Cassandra's StringType.concat): the bytes of both, in order.
std::optional<std::string> ConcatBody(const std::vector<DataType>&, const FunctionArgs& args,
                                      const FunctionContext&) {
  if (args.size() != 2 || !args[0] || !args[1]) return std::nullopt;
  return *args[0] + *args[1];
}

// The operation bodies wrap numeric failures in Cassandra's "the operation 'l op r' failed: ..."
// (OperationExecutionException); temporal bodies phrase their own.
template <Op kOp>
std::optional<std::string> OperationBody(const std::vector<DataType>& types,
                                         const FunctionArgs& args, const FunctionContext& c) {
  Status failure;
  FunctionContext inner = c;
  inner.failure = &failure;
  auto out = NumericBody<kOp>(types, args, inner);
  if (!failure.ok()) {
    char symbol = '+';
    for (const OpName& o : kOps) {
      if (o.op == kOp) symbol = o.symbol;
    }
    Fail(c, fmt::format("the operation '{} {} {}' failed: {}", types[0].ToCql(), symbol,
                        types[1].ToCql(), failure.message()));
  }
  return out;
}

FunctionBody BodyOf(Op op) {
  switch (op) {
    case Op::kAdd:
      return OperationBody<Op::kAdd>;
    case Op::kSubtract:
      return OperationBody<Op::kSubtract>;
    case Op::kMultiply:
      return OperationBody<Op::kMultiply>;
    case Op::kDivide:
      return OperationBody<Op::kDivide>;
    case Op::kModulo:
      return OperationBody<Op::kModulo>;
  }
  return nullptr;
}

}  // namespace

void AddOperationFunctions(std::vector<NativeFunction>* out) {
  for (TypeKind left : kNumericKinds) {
    for (TypeKind right : kNumericKinds) {
      DataType result(ReturnKind(left, right));
      for (const OpName& o : kOps) {
        out->push_back(
            NativeFunction{o.name, {DataType(left), DataType(right)}, result, true, BodyOf(o.op)});
      }
    }
  }
  // In the order Cassandra lists them in its messages.
  for (TypeKind k : {TypeKind::kBigint, TypeKind::kVarint, TypeKind::kSmallint, TypeKind::kTinyint,
                     TypeKind::kInt, TypeKind::kCounter, TypeKind::kDecimal, TypeKind::kFloat,
                     TypeKind::kDouble}) {
    out->push_back(NativeFunction{"_negate", {DataType(k)}, DataType(k), true, NegateBody});
  }
  for (TypeKind temporal : {TypeKind::kTimestamp, TypeKind::kDate}) {
    DataType t(temporal), duration(TypeKind::kDuration);
    out->push_back(NativeFunction{"_add", {t, duration}, t, true, TemporalBody<false>});
    out->push_back(NativeFunction{"_substract", {t, duration}, t, true, TemporalBody<true>});
  }
  // String concatenation, in the order of Cassandra's OperationFcts: text wins over ascii.
  DataType text(TypeKind::kText), ascii(TypeKind::kAscii);
  for (const auto& [left, right, result] : {std::tuple{text, text, text},
                                            std::tuple{ascii, ascii, ascii},
                                            std::tuple{ascii, text, text},
                                            std::tuple{text, ascii, text}}) {
    out->push_back(NativeFunction{"_add", {left, right}, result, true, ConcatBody});
  }
}

bool IsOperationFunction(std::string_view name) {
  return std::any_of(std::begin(kOps), std::end(kOps),
                     [&](const OpName& o) { return name == o.name; });
}

char OperatorSymbol(std::string_view name) {
  for (const OpName& o : kOps) {
    if (name == o.name) return o.symbol;
  }
  return '-';  // _negate
}

}  // namespace postfork::node::cql3
