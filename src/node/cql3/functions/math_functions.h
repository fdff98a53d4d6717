// Cassandra 5.0's math functions (MathFcts): abs, exp, log, log10 and round, each declared for
// every numeric type T as T -> T, and evaluated with Java's semantics for T. Fixed-width integers
// compute in double and narrow as Java's casts do (saturating to int or long, then wrapping to
// byte or short; Math.abs of the minimum wraps); float and double follow Math.exp/log/log10 and
// Math.round (half up, saturating, NaN 0). varint and decimal are exact for abs and round (decimal
// rounds half up to scale 0); their exp, log and log10 keep max(32, the argument's precision)
// significant digits, rounded half even (varint then truncated to an integer), and a logarithm of
// zero or less fails the request as Cassandra's ArithmeticException does (a server error).
#pragma once

#include <vector>

#include "node/cql3/functions/functions.h"

namespace postfork::node::cql3 {

// Appends every math function to `out` (the registry's constructor calls it).
void AddMathFunctions(std::vector<NativeFunction>* out);

}  // namespace postfork::node::cql3
