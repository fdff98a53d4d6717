// Literal terms to serialized cell values, and the ordering of serialized values (clustering IN
// lists and filters compare values the way Cassandra's types do).
#pragma once

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "node/cql3/ast.h"
#include "node/cql3/functions/functions.h"
#include "postfork/base/status.h"
#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {

// What evaluating a term reads besides the term itself.
struct TermInputs {
  // The request's bound values, for markers (e.g. `[?, ?]`); null: a marker is an error.
  const std::vector<cql::RawValue>* binds = nullptr;
  // The request's time, for non-pure functions (now(), currentTimestamp(), ...); nullopt: the
  // node's clock (a trial evaluation while preparing).
  std::optional<int64_t> now_micros;
};

// Converts a literal to a Value of `type`. `receiver` names the column (or marker) in error
// messages, as Cassandra's `Invalid STRING constant (x) for "k" of type int`. Null literals give
// cql::Null. Function calls are resolved and run through the FunctionRegistry
// (functions/functions.h). Errors are InvalidRequest (0x2200).
Result<cql::Value> TermToValue(const Term& term, const cql::DataType& type,
                               std::string_view receiver, const TermInputs& inputs = {});

// The type a `(type) term` hint or selector names (native types and collections of them), or
// InvalidRequest: "Unknown type ...", or the message for a vector of no dimension.
Result<cql::DataType> ParseHintType(std::string_view text);
// Whether `term` is a term in parentheses for a receiver of `type`: a tuple literal of one
// element where no tuple is expected (Cassandra's Tuples.Literal, which the grammar cannot tell
// from a parenthesized term, prepares as its element then).
bool IsParenthesized(const Term& term, const cql::DataType& type);
// Whether a literal holds bind markers anywhere inside.
bool ContainsMarker(const Term& term);
// Refuses a user type literal, anywhere inside `term`, that names a field its type lacks
// (Cassandra's UserTypes.Literal.prepare: "Unknown field ..."), so that a literal around markers
// fails at PREPARE as a constant one does.
Status CheckUserTypeFields(const Term& term, const cql::DataType& type);
// The type a literal has by itself (Cassandra's preferred type: 'x' text, 1 int, 2^40 bigint,
// 1.5 double, ...); nullopt for markers, null and composites.
std::optional<cql::DataType> PreferredLiteralType(const Term& term);

// How well a literal or marker fits a parameter of `param` type, as Cassandra's testAssignment
// answers (exact for the literal's preferred type, weakly for the other types it converts to, any
// type for a marker or null).
enum class TermFit { kExact, kWeak, kNone };
TermFit TermArgumentFit(const Term& arg, const cql::DataType& param);

// Whether a term's value is fixed by the statement's text: no bind markers and no non-pure
// function calls anywhere inside. Only such terms may be computed once, at prepare.
bool IsConstantTerm(const Term& term);

// Whether `term` can be assigned to a receiver of `type` (Cassandra's testAssignment: exactly or
// weakly assignable); a function call counts as assignable (its own resolution reports errors).
bool IsAssignable(const Term& term, const cql::DataType& type);
// The term as Cassandra prints it in messages: literals as written ('x', 0x.., [1, 2], {a: 1}),
// ? for markers, NULL, calls as f(args).
std::string TermText(const Term& term);

// A function call term run as a value of `type`: its serialized result (nullopt: null).
Result<std::optional<std::string>> CallFunctionBytes(const Term& call, const cql::DataType& type,
                                                     std::string_view receiver,
                                                     const TermInputs& inputs);

// The native function a call term names, resolved over its arguments as Cassandra's
// FunctionResolver does (exact matches first, then the one weakly assignable overload, else
// "Ambiguous call" / "none of its type signatures match"). `receiver_type` (may be null) is the
// type the result goes to.
Result<const NativeFunction*> ResolveTermCall(const Term& call, const cql::DataType* receiver_type);

// TermToValue, then serialized (no length prefix, sets and maps canonical). Null gives
// std::nullopt. A function call's bytes are kept as it returns them, so an empty value
// (`blobAsInt(0x)`) stays empty rather than null, as in Cassandra.
Result<std::optional<std::string>> SerializeTerm(const Term& term, const cql::DataType& type,
                                                 std::string_view receiver,
                                                 const TermInputs& inputs = {});

// Checks a value bound to a marker of `type` before use, as Cassandra does: lists, sets and maps
// with their serializers' structure checks and messages ("Not enough bytes to read a list",
// "Unexpected extraneous bytes after set value", ...); other types, and the elements inside, with
// cql::ValidateValue ("Invalid value for <receiver> of type <type>: ..."). Errors are
// InvalidRequest.
Status ValidateBoundValue(std::string_view bytes, const cql::DataType& type,
                          std::string_view receiver);

// <0, 0, >0 as Cassandra orders values of `type` (ascending). Both are valid cell bodies.
int CompareValues(const cql::DataType& type, std::string_view a, std::string_view b);

// Whether values of `type` hold a set or map at any depth: those are stored, compared and keyed
// in Cassandra's canonical form (NormalizeValue).
bool HasUnorderedParts(const cql::DataType& type);
// Cassandra's canonical form of a value: set elements sorted by their type's order without
// duplicates, map entries sorted by key (a repeated key keeps its last value), at every depth.
// nullopt when the value is already canonical or does not decode (validation reports that).
std::optional<std::string> NormalizeValue(const cql::DataType& type, std::string_view value);

// A version 1 (time-based) UUID for now(): node clock plus a random clock sequence and node.
cql::Uuid NewTimeUuid(int64_t unix_micros);
// A version 1 UUID for a time in 100 ns intervals since 1582-10-15 (not forced to increase: list
// prepends need decreasing times), with a random clock sequence and node.
cql::Uuid TimeUuidAt(uint64_t uuid_time);
cql::Uuid NewRandomUuid();

}  // namespace postfork::node::cql3
