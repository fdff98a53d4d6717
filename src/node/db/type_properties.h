// Properties of column types that the schema's checks and the statements' checks share.
#pragma once

#include <string>
#include <string_view>

#include "postfork/base/status.h"
#include "postfork/cql/types.h"

namespace postfork::node {

// Whether `type` is duration or holds one (in a collection, tuple or user type): such values have
// no order, so keys, indexes, slices and slice conditions refuse them (Cassandra's
// AbstractType.referencesDuration).
bool ReferencesDuration(const cql::DataType& type);

// Cassandra's refusal of `what` ("Slice restrictions", "Secondary indexes") on a type that
// references durations: "<what> are not supported on collections / tuples / UDTs containing
// durations", else `plain` (the duration itself). Ok when `type` holds no duration.
Status RefuseDurations(const cql::DataType& type, std::string_view what, std::string plain);

// Whether `type` reads values of type `previous` as they are (Cassandra's
// AbstractType.isValueCompatibleWith): the same type; anything for a blob; ascii for text;
// timeuuid for uuid; bigint and timestamp for each other; int for date; bigint for time; int,
// bigint and timestamp for varint; frozen collections, tuples and user types field by field (a
// non-frozen collection only one whose elements compare alike). Function arguments and results
// (FunctionResolver's testAssignment), type hints and re-added columns all ask it.
bool ValueCompatible(const cql::DataType& type, const cql::DataType& previous);

// Whether a column of `type` may be re-added in place of a dropped column of type `previous`,
// reading the dropped column's cells written after its drop (Cassandra's
// AbstractType.isSerializationCompatibleWith): values `type` reads as they are, with the same
// fixed length and the same cell layout (a non-frozen collection's element paths comparing
// alike). `previous` is as system_schema.dropped_columns records it (user types as tuples).
bool SerializationCompatible(const cql::DataType& type, const cql::DataType& previous);

}  // namespace postfork::node
