#include "node/db/type_properties.h"

#include <fmt/format.h>

#include <algorithm>

#include "node/cql_errors.h"
#include "postfork/cql/value.h"

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

namespace {

using K = cql::TypeKind;

bool MultiCell(const cql::DataType& t) {
  return (t.is_collection() || t.kind() == K::kUdt) && !t.is_frozen();
}

// The type of a collection's cell values (Cassandra's CollectionType.valueComparator): a list's
// elements, a map's values; nullptr for a set (its cells are empty).
const cql::DataType* CellValueType(const cql::DataType& t) {
  if (t.kind() == K::kList) return &t.params()[0];
  if (t.kind() == K::kMap) return &t.params()[1];
  return nullptr;
}

bool SerializationCompatibleCells(const cql::DataType* type, const cql::DataType* previous) {
  if (type == nullptr || previous == nullptr) return type == previous;
  return SerializationCompatible(*type, *previous);
}

// Whether the tuple (or user type) `type` extends `previous`, a tuple or user type, each of its
// first fields passing `field` against the previous one's (TupleType's checks).
bool FieldsAll(const cql::DataType& type, const cql::DataType& previous,
               bool (*field)(const cql::DataType&, const cql::DataType&)) {
  if (previous.kind() != K::kTuple && previous.kind() != K::kUdt) return false;
  const auto& tp = type.params();
  const auto& pp = previous.params();
  if (tp.size() < pp.size()) return false;
  for (size_t i = 0; i < pp.size(); ++i) {
    if (!field(tp[i], pp[i])) return false;
  }
  return true;
}

// Whether `type` orders and reads values of `previous` alike (AbstractType.isCompatibleWith).
bool Compatible(const cql::DataType& type, const cql::DataType& previous) {
  if (type == previous) return true;
  const K t = type.kind(), p = previous.kind();
  switch (t) {
    case K::kBlob:
      return p == K::kAscii || p == K::kText;
    case K::kText:
      return p == K::kAscii;
    case K::kList:
    case K::kSet:
    case K::kMap: {
      if (p != t || MultiCell(type) != MultiCell(previous)) return false;
      const auto& tp = type.params();
      const auto& pp = previous.params();
      if (MultiCell(type)) {
        // The cell path (a list's timeuuid, a set's element, a map's key) and the cell value.
        bool paths = t == K::kList || Compatible(tp[0], pp[0]);
        return paths && SerializationCompatibleCells(CellValueType(type), CellValueType(previous));
      }
      if (t == K::kMap) return Compatible(tp[0], pp[0]) && Compatible(tp[1], pp[1]);
      return Compatible(tp[0], pp[0]);
    }
    case K::kTuple:
    case K::kUdt:  // UserType compares as TupleType does
      return FieldsAll(type, previous, Compatible);
    default:
      return false;
  }
}

}  // namespace

bool ValueCompatible(const cql::DataType& type, const cql::DataType& previous) {
  if (type == previous) return true;
  const K t = type.kind(), p = previous.kind();
  switch (t) {
    case K::kBlob:
      return true;
    case K::kBigint:
      return p == K::kTimestamp;
    case K::kTimestamp:
    case K::kTime:
      return p == K::kBigint;
    case K::kDate:
      return p == K::kInt;
    case K::kVarint:
      return p == K::kInt || p == K::kBigint || p == K::kTimestamp;
    case K::kUuid:
      return p == K::kTimeuuid;
    case K::kList:
    case K::kSet:
    case K::kMap: {
      if (MultiCell(type)) return Compatible(type, previous);
      if (p != t || MultiCell(previous)) return false;
      const auto& tp = type.params();
      const auto& pp = previous.params();
      if (t == K::kList) return ValueCompatible(tp[0], pp[0]);
      if (t == K::kSet) return Compatible(tp[0], pp[0]);  // sets keep their elements' order
      return Compatible(tp[0], pp[0]) && ValueCompatible(tp[1], pp[1]);
    }
    case K::kTuple:
      return FieldsAll(type, previous, ValueCompatible);
    case K::kUdt:
      // UserType's own rule: a user type of the same keyspace and cell layout whose fields are
      // a prefix of this one's, each passing Compatible (a dropped column records a tuple,
      // which no user type reads).
      return p == K::kUdt && MultiCell(type) == MultiCell(previous) &&
             type.udt_keyspace() == previous.udt_keyspace() &&
             type.params().size() >= previous.params().size() &&
             std::equal(previous.params().begin(), previous.params().end(),
                        type.params().begin(), [](const auto& prev, const auto& field) {
                          return Compatible(field, prev);
                        });
    default:
      return Compatible(type, previous);
  }
}

bool SerializationCompatible(const cql::DataType& type, const cql::DataType& previous) {
  if (type.is_collection()) {
    return ValueCompatible(type, previous) &&
           SerializationCompatibleCells(CellValueType(type), CellValueType(previous));
  }
  if (type.kind() == K::kBlob && (previous.is_collection() || previous.kind() == K::kUdt)) {
    return false;  // raw bytes of a collection or user type make no sense
  }
  return ValueCompatible(type, previous) && cql::FixedValueLength(type) == cql::FixedValueLength(previous) &&
         MultiCell(type) == MultiCell(previous);
}

}  // namespace postfork::node
