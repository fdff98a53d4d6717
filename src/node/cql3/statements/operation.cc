#include "node/cql3/statements/operation.h"

#include <fmt/format.h>

#include <algorithm>

#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "postfork/cql/bytes.h"

namespace postfork::node::cql3 {
namespace {

using Kind = Operation::Kind;

// 100 ns intervals since 1582-10-15 (UUID time) of 2010-01-01, Cassandra's reference for list
// prepends: a prepended element gets a time as far before it as now is after it.
constexpr uint64_t kUuidEpochOffset = 0x01B21DD213814000ULL;
constexpr uint64_t kPrependReference = 1262304000000000ULL * 10 + kUuidEpochOffset;

std::string FieldPath(size_t field) {
  return {static_cast<char>(field >> 8), static_cast<char>(field & 0xFF)};
}

// The position of `field` in a non-frozen user type column, with Cassandra's errors.
Result<size_t> FieldOf(const ColumnMetadata& column, const std::string& field,
                       std::string_view operation) {
  const cql::DataType& type = column.type;
  if (type.kind() != cql::TypeKind::kUdt) {
    return InvalidRequest(
        fmt::format("Invalid operation ({}) for non-UDT column {}", operation, column.name));
  }
  if (type.is_frozen()) {
    return InvalidRequest(
        fmt::format("Invalid operation ({}) for frozen UDT column {}", operation, column.name));
  }
  const auto& names = type.field_names();
  auto it = std::find(names.begin(), names.end(), field);
  if (it == names.end()) {
    return InvalidRequest(
        fmt::format("UDT column {} does not have a field named {}", column.name, field));
  }
  return static_cast<size_t>(it - names.begin());
}

// An assignment as Cassandra prints it in messages (Operation.RawUpdate.toString).
std::string Describe(const Assignment& a) {
  const std::string value = TermText(a.value);
  switch (a.op) {
    case Assignment::Op::kAdd:
      return fmt::format("{0} = {0} + {1}", a.column, value);
    case Assignment::Op::kSubtract:
      return fmt::format("{0} = {0} - {1}", a.column, value);
    case Assignment::Op::kPrepend:  // sic: Cassandra prints a prepend with '-'
      return fmt::format("{0} = {1} - {0}", a.column, value);
    case Assignment::Op::kSetElement:
      return fmt::format("{}[{}] = {}", a.column, TermText(a.key), value);
    case Assignment::Op::kSetField:
      return fmt::format("{}.{} = {}", a.column, a.field, value);
    case Assignment::Op::kSet:
      break;
  }
  return a.column + " = " + value;
}

// The elements of a serialized collection (protocol v3+ layout: [int] n, then n [bytes], or n
// key/value pairs for maps). Values were validated against the type before.
Result<std::vector<std::string_view>> Elements(std::string_view body, bool map,
                                               const std::string& column) {
  cql::ByteReader r(body);
  PF_ASSIGN_OR_RETURN(int32_t n, r.ReadInt());
  if (n < 0) return InvalidRequest("Invalid collection value for " + column);
  size_t items = static_cast<size_t>(n) * (map ? 2 : 1);
  PF_RETURN_IF_ERROR(r.CheckCount(static_cast<int64_t>(items), 4, "collection elements"));
  std::vector<std::string_view> out;
  out.reserve(items);
  for (size_t i = 0; i < items; ++i) {
    PF_ASSIGN_OR_RETURN(std::optional<std::string_view> e, r.ReadBytes());
    if (!e) return InvalidRequest("null is not supported inside collections");
    out.push_back(*e);
  }
  return out;
}


std::string UuidBytes(const cql::Uuid& u) {
  return std::string(reinterpret_cast<const char*>(u.bytes.data()), u.bytes.size());
}

// Timeuuid paths for `n` list elements that sort before every element prepended earlier.
std::vector<std::string> PrependPaths(int64_t now_micros, size_t n) {
  static thread_local uint64_t last = UINT64_MAX;
  uint64_t now = static_cast<uint64_t>(now_micros) * 10 + kUuidEpochOffset;
  uint64_t base = now < 2 * kPrependReference ? 2 * kPrependReference - now : n + 1;
  if (base >= last) base = last - 1;
  if (base < n + 1) base = n + 1;
  last = base - n;
  std::vector<std::string> paths;
  for (size_t i = 0; i < n; ++i) paths.push_back(UuidBytes(TimeUuidAt(base - n + i)));
  return paths;
}

// A cell write; `path` none for a simple column or a whole collection's deletion.
CellWrite Write(uint32_t column, std::optional<std::string> path, std::optional<std::string> value,
                int64_t ts, int32_t ttl) {
  CellWrite w;
  w.column_id = column;
  w.path = std::move(path);
  w.timestamp = ts;
  if (value) {
    w.value = std::move(value);
    w.ttl = ttl;
  }
  return w;
}

// The element of the list `current` that `key` (not unset) names, with Cassandra's messages
// (Lists.SetterByIndex and Lists.DiscarderByIndex).
Result<size_t> ListIndex(const cql::RawValue& key, const CellValue* current, bool deleting) {
  if (key.is_null()) return InvalidRequest("Invalid null value for list index");
  if (key.bytes.size() != 4) return InvalidRequest("Invalid list index");
  auto index = static_cast<int32_t>(cql::LoadBE32(key.bytes.data()));
  size_t size = current ? current->elements.size() : 0;
  if (size == 0) {
    return InvalidRequest(deleting ? "Attempted to delete an element from a list which is null"
                                   : "Attempted to set an element on a list which is null");
  }
  if (index < 0 || static_cast<size_t>(index) >= size) {
    return InvalidRequest(fmt::format("List index {} out of bound, list has size {}", index, size));
  }
  return static_cast<size_t>(index);
}

}  // namespace

bool Operation::NeedsCurrentValue() const {
  if (column->type.kind() == cql::TypeKind::kCounter) {
    return kind == Kind::kAdd || kind == Kind::kSubtract;
  }
  if (column->type.kind() != cql::TypeKind::kList || column->type.is_frozen()) return false;
  return kind == Kind::kSetElement || kind == Kind::kDeleteElement || kind == Kind::kSubtract;
}

Result<Operation> PrepareAssignment(const Assignment& a, const ColumnMetadata& column,
                                    BindCollector& binds) {
  Operation op;
  op.column = &column;
  const cql::DataType& type = column.type;
  if (a.op == Assignment::Op::kSetField) {
    PF_ASSIGN_OR_RETURN(op.field, FieldOf(column, a.field, Describe(a)));
    op.kind = Kind::kSetField;
    PF_ASSIGN_OR_RETURN(op.value, binds.Source(a.value, type.params()[op.field],
                                               column.name + "." + a.field));
    return op;
  }
  if (a.op == Assignment::Op::kSet) {
    // Operation.SetValue prepares the value (its errors first) before refusing a counter.
    op.kind = Kind::kSet;
    PF_ASSIGN_OR_RETURN(op.value, binds.Source(a.value, type, column.name));
    if (type.kind() == cql::TypeKind::kCounter) {
      return InvalidRequest("Cannot set the value of counter column " + column.name +
                            " (counters can only be incremented/decremented, not set)");
    }
    return op;
  }
  if (type.kind() == cql::TypeKind::kCounter) {
    if (a.op != Assignment::Op::kAdd && a.op != Assignment::Op::kSubtract) {
      return InvalidRequest(fmt::format("Invalid operation ({}) for counter column {}", Describe(a),
                                        column.name));
    }
    op.kind = a.op == Assignment::Op::kAdd ? Kind::kAdd : Kind::kSubtract;
    // A null literal is not assignable to a counter (Constants.NullLiteral.prepare).
    if (a.value.kind == Term::Kind::kNull) {
      return InvalidRequest("Invalid null value for counter increment/decrement");
    }
    // The increment has the counter type (its literal errors and marker metadata say counter).
    PF_ASSIGN_OR_RETURN(op.value, binds.Source(a.value, type, column.name));
    return op;
  }
  if (!type.is_collection()) {
    if (a.op == Assignment::Op::kAdd && type.kind() == cql::TypeKind::kTuple) {
      return InvalidRequest(
          fmt::format("Invalid operation ({}) for tuple column {}", Describe(a), column.name));
    }
    return InvalidRequest(fmt::format("Invalid operation ({}) for non {} column {}", Describe(a),
                                      a.op == Assignment::Op::kSetElement ? "list or map" : "counter",
                                      column.name));
  }
  if (type.is_frozen()) {
    return InvalidRequest(fmt::format("Invalid operation ({}) for frozen collection column {}",
                                      Describe(a), column.name));
  }
  const auto& params = type.params();
  switch (a.op) {
    case Assignment::Op::kAdd: {
      op.kind = Kind::kAdd;
      PF_ASSIGN_OR_RETURN(op.value, binds.Source(a.value, type, column.name));
      break;
    }
    case Assignment::Op::kSubtract: {
      op.kind = Kind::kSubtract;
      // Maps lose keys: the operand is a set of the key type.
      PF_ASSIGN_OR_RETURN(op.value, binds.Source(a.value,
                                                 type.kind() == cql::TypeKind::kMap
                                                     ? cql::DataType::Set(params[0], true)
                                                     : type,
                                                 column.name));
      break;
    }
    case Assignment::Op::kPrepend: {
      if (type.kind() != cql::TypeKind::kList) {
        return InvalidRequest(fmt::format("Invalid operation ({}) for non list column {}",
                                          Describe(a), column.name));
      }
      op.kind = Kind::kPrepend;
      PF_ASSIGN_OR_RETURN(op.value, binds.Source(a.value, type, column.name));
      break;
    }
    case Assignment::Op::kSetElement: {
      if (type.kind() == cql::TypeKind::kSet) {
        return InvalidRequest(fmt::format("Invalid operation ({}) for set column {}", Describe(a),
                                          column.name));
      }
      bool list = type.kind() == cql::TypeKind::kList;
      op.kind = Kind::kSetElement;
      PF_ASSIGN_OR_RETURN(op.key, binds.Source(a.key,
                                               list ? cql::DataType(cql::TypeKind::kInt) : params[0],
                                               (list ? "idx(" : "key(") + column.name + ")"));
      PF_ASSIGN_OR_RETURN(op.value, binds.Source(a.value, list ? params[0] : params[1],
                                                 "value(" + column.name + ")"));
      break;
    }
    case Assignment::Op::kSet:
    case Assignment::Op::kSetField:
      break;
  }
  return op;
}

Result<Operation> PrepareDeletion(const ColumnMetadata& column, const std::optional<Term>& key,
                                  const std::string& field, BindCollector& binds) {
  Operation op;
  op.column = &column;
  if (!field.empty()) {
    if (column.type.kind() != cql::TypeKind::kUdt) {
      return InvalidRequest(
          fmt::format("Invalid deletion operation for non-UDT column {}", column.name));
    }
    if (column.type.is_frozen()) {
      return InvalidRequest(
          fmt::format("Frozen UDT column {} does not support field deletion", column.name));
    }
    PF_ASSIGN_OR_RETURN(op.field, FieldOf(column, field, "DELETE " + column.name + "." + field));
    op.kind = Kind::kDeleteField;
    return op;
  }
  if (!key) {
    op.kind = Kind::kDelete;
    return op;
  }
  // Operation.ElementDeletion: by list index, set element or map key.
  const cql::DataType& type = column.type;
  // Operation.ElementDeletion: a list element by index, a set element, a map entry by key.
  const cql::TypeKind kind = type.kind();
  if (kind != cql::TypeKind::kList && kind != cql::TypeKind::kSet && kind != cql::TypeKind::kMap) {
    return InvalidRequest(
        fmt::format("Invalid deletion operation for non collection column {}", column.name));
  }
  if (type.is_frozen()) {
    return InvalidRequest(fmt::format("Invalid deletion operation for frozen collection column {}",
                                      column.name));
  }
  op.kind = Kind::kDeleteElement;
  if (kind == cql::TypeKind::kList) {
    PF_ASSIGN_OR_RETURN(
        op.key, binds.Source(*key, cql::DataType(cql::TypeKind::kInt), "idx(" + column.name + ")"));
  } else if (kind == cql::TypeKind::kSet) {
    PF_ASSIGN_OR_RETURN(op.key, binds.Source(*key, type.params()[0], "value(" + column.name + ")"));
  } else {
    PF_ASSIGN_OR_RETURN(op.key, binds.Source(*key, type.params()[0], "key(" + column.name + ")"));
  }
  return op;
}

Status AppendCellWrites(const Operation& op, const ExecutionContext& ctx, int64_t ts, int32_t ttl,
                        const CellValue* current, std::vector<CellWrite>* out) {
  const ColumnMetadata& col = *op.column;
  const uint32_t id = col.id;
  if (op.kind == Kind::kDelete) {
    // For a non-frozen collection no path deletes every element at or before `ts`.
    out->push_back(Write(id, std::nullopt, std::nullopt, ts, 0));
    return Status::Ok();
  }
  if (op.kind == Kind::kDeleteField) {
    out->push_back(Write(id, FieldPath(op.field), std::nullopt, ts, 0));
    return Status::Ok();
  }
  cql::RawValue key;
  if (op.kind == Kind::kSetElement || op.kind == Kind::kDeleteElement) {
    // Lists.SetterByIndex and DiscarderByIndex, Maps.SetterByKey and DiscarderByKey,
    // Sets.ElementDiscarder.
    PF_ASSIGN_OR_RETURN(key, ResolveValue(op.key, ctx));
  }
  cql::RawValue value;
  if (op.kind != Kind::kDeleteElement) {
    PF_ASSIGN_OR_RETURN(value, ResolveValue(op.value, ctx));
    // An element setter checks its index or key before an unset value makes it a no-op.
    if (value.is_unset() && op.kind != Kind::kSetElement) return Status::Ok();
  }
  const cql::TypeKind kind = col.type.kind();
  if (kind == cql::TypeKind::kCounter) {
    // Read, add, write: the caller holds the counter lock and gives a timestamp newer than any
    // earlier write of this counter.
    if (value.is_null()) return InvalidRequest("Invalid null value for counter increment");
    if (value.bytes.size() != 8) return InvalidRequest("Invalid counter increment");
    uint64_t delta = cql::LoadBE64(value.bytes.data());
    uint64_t sum = current && current->value.size() == 8 ? cql::LoadBE64(current->value.data()) : 0;
    sum = op.kind == Kind::kSubtract ? sum - delta : sum + delta;  // wraps as Java's long
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>(sum >> (56 - 8 * i));
    out->push_back(Write(id, {}, std::move(bytes), ts, 0));
    return Status::Ok();
  }
  if (op.kind == Kind::kSetField) {
    out->push_back(Write(id, FieldPath(op.field),
                         value.is_null() ? std::nullopt : std::optional<std::string>(value.bytes),
                         ts, ttl));
    return Status::Ok();
  }
  if (kind == cql::TypeKind::kUdt && IsMultiCell(col.type)) {
    // Replace: delete the fields written before, then write each non-null field.
    out->push_back(Write(id, {}, std::nullopt, value.is_null() ? ts : ts - 1, 0));
    if (value.is_null()) return Status::Ok();
    cql::ByteReader r(value.bytes);
    for (size_t i = 0; i < col.type.params().size() && !r.empty(); ++i) {
      PF_ASSIGN_OR_RETURN(std::optional<std::string_view> field, r.ReadBytes());
      if (field) out->push_back(Write(id, FieldPath(i), std::string(*field), ts, ttl));
    }
    return Status::Ok();
  }
  if (!IsMultiCell(col.type)) {  // kSet on a simple or frozen column
    out->push_back(Write(id, {}, value.is_null() ? std::nullopt
                                                 : std::optional<std::string>(value.bytes),
                         ts, ttl));
    return Status::Ok();
  }
  const bool map = kind == cql::TypeKind::kMap;
  switch (op.kind) {
    case Kind::kSet:
      if (value.is_null()) {
        out->push_back(Write(id, {}, std::nullopt, ts, 0));
        return Status::Ok();
      }
      // Replace: delete what was there just before this write, then add the new elements.
      out->push_back(Write(id, {}, std::nullopt, ts - 1, 0));
      [[fallthrough]];
    case Kind::kAdd: {
      // Adding null to a non-frozen collection adds nothing (Lists.Appender, Sets.Adder,
      // Maps.Putter), as do prepending and removing null below.
      if (value.is_null()) return Status::Ok();
      PF_ASSIGN_OR_RETURN(auto elems, Elements(value.bytes, map, col.name));
      if (kind == cql::TypeKind::kList) {
        for (std::string_view e : elems) {
          out->push_back(
              Write(id, UuidBytes(NewTimeUuid(ctx.now_micros)), std::string(e), ts, ttl));
        }
      } else if (map) {
        for (size_t i = 0; i + 1 < elems.size(); i += 2) {
          out->push_back(Write(id, std::string(elems[i]), std::string(elems[i + 1]), ts, ttl));
        }
      } else {
        for (std::string_view e : elems) {
          out->push_back(Write(id, std::string(e), std::string(), ts, ttl));
        }
      }
      return Status::Ok();
    }
    case Kind::kPrepend: {
      if (value.is_null()) return Status::Ok();
      PF_ASSIGN_OR_RETURN(auto elems, Elements(value.bytes, false, col.name));
      std::vector<std::string> paths = PrependPaths(ctx.now_micros, elems.size());
      for (size_t i = 0; i < elems.size(); ++i) {
        out->push_back(Write(id, std::move(paths[i]), std::string(elems[i]), ts, ttl));
      }
      return Status::Ok();
    }
    case Kind::kSubtract: {
      if (value.is_null()) return Status::Ok();
      PF_ASSIGN_OR_RETURN(auto elems, Elements(value.bytes, false, col.name));
      if (kind != cql::TypeKind::kList) {  // set elements and map keys are the paths
        for (std::string_view e : elems) out->push_back(Write(id, std::string(e), {}, ts, 0));
        return Status::Ok();
      }
      if (!current) return Status::Ok();
      for (const auto& [path, v] : current->elements) {
        if (std::find(elems.begin(), elems.end(), std::string_view(v)) != elems.end()) {
          out->push_back(Write(id, path, std::nullopt, ts, 0));
        }
      }
      return Status::Ok();
    }
    case Kind::kSetElement:
    case Kind::kDeleteElement: {
      // The checks and messages of Lists.SetterByIndex/DiscarderByIndex, Maps.SetterByKey/
      // DiscarderByKey and Sets.ElementDiscarder.
      const bool deleting = op.kind == Kind::kDeleteElement;
      std::optional<std::string> element;
      if (!deleting && !value.is_null()) element = std::string(value.bytes);
      if (kind == cql::TypeKind::kList) {
        if (key.is_unset()) {
          if (deleting) return Status::Ok();
          return InvalidRequest("Invalid unset value for list index");
        }
        PF_ASSIGN_OR_RETURN(size_t index, ListIndex(key, current, deleting));
        if (value.is_unset()) return Status::Ok();
        out->push_back(Write(id, current->elements[index].first, std::move(element), ts, ttl));
        return Status::Ok();
      }
      if (kind == cql::TypeKind::kSet) {
        if (key.is_null()) return InvalidRequest("Invalid null set element");
        // An unset element binds to Cassandra's empty unset buffer, which names the empty element.
        out->push_back(Write(id, key.is_unset() ? std::string() : std::string(key.bytes),
                             std::nullopt, ts, 0));
        return Status::Ok();
      }
      if (key.is_null()) return InvalidRequest("Invalid null map key");
      if (key.is_unset()) return InvalidRequest("Invalid unset map key");
      if (value.is_unset()) return Status::Ok();
      out->push_back(Write(id, std::string(key.bytes), std::move(element), ts, ttl));
      return Status::Ok();
    }
    case Kind::kDelete:
    case Kind::kDeleteField:
    case Kind::kSetField:
      break;
  }
  return Status::Ok();
}

void MergeListWrites(const ColumnMetadata& column, std::span<const CellWrite> writes,
                     std::optional<CellValue>* list) {
  using Time = CellValue::ElementTime;
  // Cells.reconcile for two cells of one path: whether `incoming` (a live cell when it has a
  // value) replaces the element with `old` time and `old_value`. TTLs are remaining seconds at
  // one "now", so the greater TTL is the later local deletion time.
  auto replaces = [](const CellWrite& incoming, const Time& old, std::string_view old_value) {
    if (incoming.timestamp != old.timestamp) return incoming.timestamp > old.timestamp;
    if (!incoming.value) return true;  // a tombstone wins a tie
    bool expiring = incoming.ttl > 0;
    if (expiring != (old.ttl > 0)) return expiring;
    if (expiring && incoming.ttl != old.ttl) return incoming.ttl > old.ttl;
    return std::string_view(*incoming.value).compare(old_value) >= 0;  // unsigned bytes
  };
  const cql::DataType path_type(cql::TypeKind::kTimeuuid);
  for (const CellWrite& w : writes) {
    if (w.column_id != column.id) continue;
    if (!w.path && !w.value) {  // the whole list's deletion
      if (!*list) continue;
      CellValue& l = **list;
      size_t kept = 0;
      for (size_t i = 0; i < l.elements.size(); ++i) {
        if (l.element_times[i].timestamp <= w.timestamp) continue;
        l.elements[kept] = std::move(l.elements[i]);
        l.element_times[kept++] = l.element_times[i];
      }
      l.elements.resize(kept);
      l.element_times.resize(kept);
      continue;
    }
    if (!w.path) continue;  // not a list element write
    if (!*list) list->emplace();
    CellValue& l = **list;
    auto it = std::lower_bound(l.elements.begin(), l.elements.end(), *w.path,
                               [&](const auto& element, const std::string& path) {
                                 return CompareValues(path_type, element.first, path) < 0;
                               });
    const size_t i = static_cast<size_t>(it - l.elements.begin());
    const Time time{w.timestamp, w.value ? w.ttl : 0};
    if (it != l.elements.end() && it->first == *w.path) {
      if (!replaces(w, l.element_times[i], it->second)) continue;
      if (w.value) {
        it->second = *w.value;
        l.element_times[i] = time;
      } else {  // purged at once: a deleted element is no longer part of the list
        l.elements.erase(it);
        l.element_times.erase(l.element_times.begin() + static_cast<ptrdiff_t>(i));
      }
      continue;
    }
    if (!w.value) continue;
    l.elements.emplace(it, *w.path, *w.value);
    l.element_times.insert(l.element_times.begin() + static_cast<ptrdiff_t>(i), time);
  }
  if (*list && (*list)->elements.empty()) list->reset();
}

}  // namespace postfork::node::cql3
