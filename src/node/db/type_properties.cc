#include "node/db/type_properties.h"

#include <fmt/format.h>

#include "node/cql_errors.h"

namespace postfork::node {

bool ReferencesDuration(const cql::DataType& type) {
  if (type.kind() == cql::TypeKind::kDuration) return true;
  for (const auto& p : type.params()) {
    if (ReferencesDuration(p)) return true;
  }
  return false;
}

Status RefuseDurations(const cql::DataType& type, std::string_view what, std::string plain) {
  if (!ReferencesDuration(type)) return Status::Ok();
  const char* holder = type.is_collection()                   ? "collections"
                       : type.kind() == cql::TypeKind::kTuple ? "tuples"
                       : type.kind() == cql::TypeKind::kUdt   ? "UDTs"
                                                              : nullptr;
  if (holder) {
    return InvalidRequest(
        fmt::format("{} are not supported on {} containing durations", what, holder));
  }
  return InvalidRequest(std::move(plain));
}

}  // namespace postfork::node
