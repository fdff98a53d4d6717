// Java's BigInteger and BigDecimal as the native functions compute with them (arithmetic
// operators, math functions, sum and avg): an arbitrary-precision unscaled value and a scale
// (unscaled * 10^-scale), and their wire forms, varint and decimal.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "postfork/cql/bytes.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {

using BigInteger = boost::multiprecision::cpp_int;

struct BigDecimal {
  BigInteger unscaled;
  int64_t scale = 0;
};

// 10^n, n >= 0.
inline BigInteger Pow10(int64_t n) {
  return boost::multiprecision::pow(BigInteger(10), static_cast<unsigned>(n));
}

// Decimal digits of |x| (1 for zero): BigDecimal.precision() of an unscaled value.
inline int64_t Precision(const BigInteger& x) {
  if (x == 0) return 1;
  return static_cast<int64_t>(BigInteger(boost::multiprecision::abs(x)).str().size());
}

// The varint wire form (nullopt: not representable).
inline std::optional<std::string> WriteBigInteger(const BigInteger& x) {
  auto v = cql::Varint::Parse(x.str());
  if (!v.ok()) return std::nullopt;
  return v->bytes;
}

// The decimal wire form: [int scale][varint unscaled]; nullopt past an int32 scale.
inline std::optional<std::string> WriteBigDecimal(const BigDecimal& x) {
  if (x.scale > std::numeric_limits<int32_t>::max() ||
      x.scale < std::numeric_limits<int32_t>::min()) {
    return std::nullopt;
  }
  auto unscaled = cql::Varint::Parse(x.unscaled.str());
  if (!unscaled.ok()) return std::nullopt;
  std::string out;
  cql::ByteWriter(&out).WriteInt(static_cast<int32_t>(x.scale));
  out += unscaled->bytes;
  return out;
}

}  // namespace postfork::node::cql3
