// Cassandra's arithmetic operators, declared as the native functions they are there
// (OperationFcts): _add, _substract, _multiply, _divide and _modulo over every pair of numeric
// types, returning the wider operand's type (floating point when either operand is; decimal or
// varint past 8 bytes), _negate of every numeric type, timestamp or date plus or minus a
// duration, and _add of text and ascii (concatenation; text when either operand is text). Evaluated with Java's semantics: fixed-width integers wrap, integer division
// truncates, varint and decimal are exact (decimal division keeps at least 32 digits after the
// point, rounded half up, trailing zeros stripped). A failure (a division by zero, a date plus a
// duration finer than a day) fails the request with Cassandra's FunctionFailure text.
#pragma once

#include <string_view>
#include <vector>

#include "node/cql3/functions/functions.h"

namespace postfork::node::cql3 {

// Appends every operation function to `out` (the registry's constructor calls it).
void AddOperationFunctions(std::vector<NativeFunction>* out);

// Whether `name` is one of the binary operation functions (_add ... _modulo).
bool IsOperationFunction(std::string_view name);
// The operator of an operation function or _negate: '+', '-', '*', '/', '%'.
char OperatorSymbol(std::string_view name);

}  // namespace postfork::node::cql3
