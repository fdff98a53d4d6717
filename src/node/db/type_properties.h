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

// Whether a column of `type` may be re-added in place of a dropped column of type `previous`,
// reading the dropped column's cells written after its drop (Cassandra's
// AbstractType.isSerializationCompatibleWith): values `type` reads as they are, with the same
// fixed length and the same cell layout (a non-frozen collection's element paths comparing
// alike). `previous` is as system_schema.dropped_columns records it (user types as tuples).
bool SerializationCompatible(const cql::DataType& type, const cql::DataType& previous);

}  // namespace postfork::node
