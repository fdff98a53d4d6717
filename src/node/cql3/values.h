// Literal terms to serialized cell values, and the ordering of serialized values (clustering IN
// lists and filters compare values the way Cassandra's types do).
#pragma once

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "node/cql3/ast.h"
#include "postfork/cql/status.h"
#include "postfork/cql/types.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {

// Converts a literal to a Value of `type`. `receiver` names the column (or marker) in error
// messages, as Cassandra's `Invalid STRING constant (x) for "k" of type int`. Null literals give
// cql::Null. Bind markers inside (e.g. `[?, ?]`) take their values from `binds`; without binds a
// marker is an error. Errors are InvalidRequest (0x2200).
Result<cql::Value> TermToValue(const Term& term, const cql::DataType& type,
                               std::string_view receiver,
                               const std::vector<cql::RawValue>* binds = nullptr);

// Whether a literal holds bind markers anywhere inside.
bool ContainsMarker(const Term& term);

// TermToValue, then serialized (no length prefix). Null gives std::nullopt.
Result<std::optional<std::string>> SerializeTerm(const Term& term, const cql::DataType& type,
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

// Shorthand for an InvalidRequest status.
Status InvalidRequest(std::string message);

}  // namespace postfork::node::cql3
