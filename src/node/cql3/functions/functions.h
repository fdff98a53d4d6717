// The native scalar functions, declared once: each with its name, argument types, return type,
// whether it is pure, and its evaluation. The parser (which names are functions), value terms
// (function calls where a literal stands) and selectors (functions over columns) all consult
// this registry, so a non-pure function (now(), uuid(), current*()) is never folded into a
// constant: a statement evaluates it on every execution, with the request's time.
//
// Declared as Cassandra 5.0 declares them: now(), currentTimeUUID(), uuid(), currentTimestamp(),
// currentDate(), currentTime(), toTimestamp/toDate/toUnixTimestamp (5.0 has removed dateOf and
// unixTimestampOf: unknown functions), floor of a timestamp, timeuuid, date or time to a multiple
// of a duration (from an optional start), minTimeuuid/maxTimeuuid, <type>AsBlob and blobAs<type>
// for every native type, abs/exp/log/log10/round of every numeric type (math_functions.h), toJson,
// the casts castAs<type> behind `cast(x AS type)`, and the vector similarity functions
// similarity_cosine/_euclidean/_dot_product.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/types.h"

namespace postfork::node::cql3 {

// What an evaluation may read besides its arguments.
struct FunctionContext {
  int64_t now_micros = 0;  // the request's time (non-pure functions)
  // The result type of the overload running (set by Invoke).
  const cql::DataType* return_type = nullptr;
  // Where a body that fails on its input (a division by zero) puts the FunctionFailure that
  // fails the request; it then returns nullopt. Null: the failure is a null result.
  Status* failure = nullptr;
};

// Serialized arguments (nullopt = null) and their types.
using FunctionArgs = std::vector<std::optional<std::string>>;
struct NativeFunction;
using FunctionBody = std::optional<std::string> (*)(const std::vector<cql::DataType>& arg_types,
                                                    const FunctionArgs& args,
                                                    const FunctionContext& context);

// The result type of a function whose result depends on its argument types (Cassandra's
// function factories: map_keys, collection_min, mask_default, ...), or InvalidRequest with its
// message for arguments it does not take; `names` are the arguments as written.
using ResultTypeOf = Result<cql::DataType> (*)(std::string_view function,
                                               const std::vector<cql::DataType>& args,
                                               const std::vector<std::string>& names);

// Refuses arguments the body cannot take (Cassandra's InvalidRequest at execution); optional.
using FunctionCheck = Status (*)(const NativeFunction& fn,
                                 const std::vector<cql::DataType>& arg_types,
                                 const FunctionArgs& args);

struct NativeFunction {
  std::string name;                   // lower case, without the "system." keyspace
  std::vector<cql::DataType> params;  // kCustom: any type (toJson)
  cql::DataType return_type;          // kCustom: given by result_type_of
  // Pure functions give the same result for the same arguments, so a call over constants may be
  // computed once, when the statement is prepared. Non-pure ones never are.
  bool pure = true;
  FunctionBody body = nullptr;
  FunctionCheck check = nullptr;
  // Declared by a factory (Cassandra's FunctionFactory): `params` are placeholders (kCustom);
  // the call's parameter types come from InferFactoryParameters.
  bool factory = false;
  ResultTypeOf result_type_of = nullptr;  // set when return_type is kCustom
  bool called_on_null_input = false;      // the body runs on null arguments too
  // Whether the function keeps its argument's order, so GROUP BY may group by its result
  // (Cassandra's isMonotonic and isPartialApplicationMonotonic): kNo; kYes (toDate,
  // toTimestamp, toUnixTimestamp); kOverFirst, when its first argument is the only one not
  // constant (floor of a time value).
  enum class Monotonic { kNo, kYes, kOverFirst };
  Monotonic monotonic = Monotonic::kNo;

  // Cassandra's spelling in messages: "system.name(type, type)".
  std::string Signature() const;
  bool AcceptsAny(size_t i) const { return params[i].kind() == cql::TypeKind::kCustom; }
};

class FunctionRegistry {
 public:
  // The process-wide registry of native functions (immutable after construction).
  static const FunctionRegistry& Native();

  // Every overload of `name` (lower case); empty when no such function exists.
  std::vector<const NativeFunction*> Overloads(std::string_view name) const;
  bool Exists(std::string_view name) const { return !Overloads(name).empty(); }
  // Whether calls of `name` may be folded into constants (false for unknown names).
  bool IsPure(std::string_view name) const;

  // The overload of `name` that takes exactly `arg_types`, or InvalidRequest with Cassandra's
  // message ("Unknown function", "Invalid call to function ... no signature takes ...").
  Result<const NativeFunction*> Resolve(std::string_view name,
                                        const std::vector<cql::DataType>& arg_types) const;

 private:
  FunctionRegistry();
  std::vector<NativeFunction> functions_;
};

// What a call site knows of one argument before its parameter type is fixed: a column's or a
// nested call's type, a cast's or a constant literal's type (`type`), or the element count of an
// array literal `[...]`; nothing for markers and null. `text` names it in messages.
struct ArgumentHint {
  std::optional<cql::DataType> type;
  std::optional<size_t> array_literal_size;
  std::string text;
};
// The parameter types of a call of the factory function `fn` (the similarity functions: two
// float vectors of one dimension), with Cassandra 5.0's messages ("Invalid number of arguments",
// "Cannot infer type of argument", "requires a float vector argument", "All arguments must have
// the same vector dimensions").
Result<std::vector<cql::DataType>> InferFactoryParameters(const NativeFunction& fn,
                                                          const std::vector<ArgumentHint>& args);
// The score of two float vectors' serialized bodies (one dimension) by `function`: "cosine",
// "euclidean" or "dot_product" (jvector's VectorSimilarityFunction, as Cassandra computes it).
float VectorSimilarity(std::string_view function, std::string_view a, std::string_view b);
// `fn`'s check of its arguments, if it has one (Ok otherwise; nulls are never checked).
Status CheckArguments(const NativeFunction& fn, const std::vector<cql::DataType>& arg_types,
                      const FunctionArgs& args);

// Runs `fn` over serialized arguments of `arg_types` (those it was resolved for). A null
// argument gives null, except for toJson (which writes "null").
std::optional<std::string> Invoke(const NativeFunction& fn,
                                  const std::vector<cql::DataType>& arg_types,
                                  const FunctionArgs& args, const FunctionContext& context);

// The name of the cast function behind `cast(x AS type)`: "castas<type>".
std::string CastFunctionName(const cql::DataType& target);

// Shorthands over FunctionRegistry::Native(): the result type of a call (InvalidRequest when no
// overload matches; a `cast` call passes the target type as a second argument type), and its
// evaluation over serialized arguments (a null argument gives null for all but toJson).
Result<cql::DataType> ScalarResultType(std::string_view name,
                                       const std::vector<cql::DataType>& arg_types);
// `failure` (may be null) takes a body's FunctionFailure (FunctionContext::failure).
std::optional<std::string> EvaluateScalar(std::string_view name,
                                          const std::vector<cql::DataType>& arg_types,
                                          const FunctionArgs& args, int64_t now_micros,
                                          Status* failure = nullptr);

}  // namespace postfork::node::cql3
