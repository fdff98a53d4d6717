#include "node/cql3/values.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "node/cql3/functions/functions.h"
#include "node/cql3/functions/json.h"
#include "node/cql3/functions/operations.h"
#include "node/cql3/timestamp_text.h"
#include "node/cql_errors.h"
#include "node/db/type_properties.h"
#include "node/storage/key_encoding.h"
#include "node/timestamp.h"
#include "postfork/base/ascii.h"
#include "postfork/cql/bytes.h"

namespace postfork::node::cql3 {

namespace {

std::string_view TermKindName(Term::Kind k) {
  switch (k) {
    case Term::Kind::kString:
      return "STRING";
    case Term::Kind::kInteger:
      return "INTEGER";
    case Term::Kind::kFloat:
      return "FLOAT";
    case Term::Kind::kBoolean:
      return "BOOLEAN";
    case Term::Kind::kUuid:
      return "UUID";
    case Term::Kind::kHex:
      return "HEX";
    case Term::Kind::kDuration:
      return "DURATION";
    default:
      return "constant";
  }
}

Status Mismatch(const Term& t, const cql::DataType& type, std::string_view receiver) {
  if (t.kind == Term::Kind::kUserType) {
    return InvalidRequest(
        fmt::format("Invalid user type literal for {} of type {}", receiver, type.ToCql()));
  }
  if (t.kind == Term::Kind::kList || t.kind == Term::Kind::kSetOrMap ||
      t.kind == Term::Kind::kTuple) {
    return InvalidRequest(fmt::format("Invalid {} literal for {} of type {}",
                                      t.kind == Term::Kind::kList    ? "list"
                                      : t.kind == Term::Kind::kTuple ? "tuple"
                                      : t.is_map                     ? "map"
                                                                     : "set",
                                      receiver, type.ToCql()));
  }
  if (t.kind == Term::Kind::kFunction) {
    return InvalidRequest(fmt::format("Type error: {}() cannot be passed as argument {} of type {}",
                                      t.text, receiver, type.ToCql()));
  }
  return InvalidRequest(
      fmt::format("Invalid {} constant ({}) for \"{}\" of type {}", TermKindName(t.kind),
                  t.kind == Term::Kind::kHex ? "0x" + t.text : t.text, receiver, type.ToCql()));
}

// An integer literal in [lo, hi]; out of range (or unparsable), Cassandra's text for the type
// (its fromString's MarshalException), `error` with {} for the literal.
Result<int64_t> ParseInteger(const Term& t, int64_t lo, int64_t hi, std::string_view error) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.text.c_str(), &end, 10);
  if (errno == ERANGE || end == t.text.c_str() || *end != '\0' || v < lo || v > hi) {
    return InvalidRequest(fmt::format(fmt::runtime(error), t.text));
  }
  return static_cast<int64_t>(v);
}

Result<double> ParseDouble(const Term& t) {
  if (t.text == "NaN" || t.text == "-NaN") return std::numeric_limits<double>::quiet_NaN();
  if (t.text == "Infinity") return std::numeric_limits<double>::infinity();
  if (t.text == "-Infinity") return -std::numeric_limits<double>::infinity();
  char* end = nullptr;
  double v = std::strtod(t.text.c_str(), &end);
  if (end == t.text.c_str() || *end != '\0') return InvalidRequest("Invalid float " + t.text);
  return v;
}

Result<cql::Blob> ParseHex(const Term& t, std::string_view receiver) {
  if (t.text.size() % 2 != 0) {
    return InvalidRequest(fmt::format("cannot parse '{}' as hex bytes", t.text));
  }
  cql::Blob b;
  b.bytes.reserve(t.text.size() / 2);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  for (size_t i = 0; i < t.text.size(); i += 2) {
    b.bytes.push_back(static_cast<char>((nibble(t.text[i]) << 4) | nibble(t.text[i + 1])));
  }
  return b;
}

}  // namespace

Result<cql::DataType> ParseHintType(std::string_view text) {
  auto type = cql::DataType::Parse(text);
  if (type.ok()) return std::move(*type);
  // CQL3Type.Raw.Vector refuses a dimension below one with its own message.
  if (type.error().message().starts_with("vectors may only have positive dimensions")) {
    return InvalidRequest(type.error().message());
  }
  return InvalidRequest(fmt::format("Unknown type {}", text));
}

namespace {

// The type a `(type) term` hint names: native types and collections of them by the text, user
// types as resolved when the statement was prepared (Term::hint_type).
Result<cql::DataType> CastType(const Term& cast) {
  if (cast.hint_type) return *cast.hint_type;
  return ParseHintType(cast.text);
}

// How well an argument term fits a parameter type: Cassandra's AssignmentTestable results
// (a literal is an exact match for its preferred type, weakly assignable to the others it
// converts to; a marker or null fits any type weakly).
enum class Fit { kExact, kWeak, kNone };

bool IsIntegral(cql::TypeKind k) {
  using K = cql::TypeKind;
  return k == K::kTinyint || k == K::kSmallint || k == K::kInt || k == K::kBigint ||
         k == K::kVarint || k == K::kCounter;
}

Fit ArgumentFit(const Term& arg, const cql::DataType& param) {
  using K = cql::TypeKind;
  using TK = Term::Kind;
  K p = param.kind();
  if (p == K::kCustom) return Fit::kWeak;  // any type (toJson)
  if (IsParenthesized(arg, param)) return ArgumentFit(arg.elements[0], param);
  if (arg.kind == TK::kString) {
    // Constants.Type.STRING's preferred type: ascii when every character is, else text.
    bool ascii = std::all_of(arg.text.begin(), arg.text.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 128; });
    if (p == (ascii ? K::kAscii : K::kText)) return Fit::kExact;
  } else if (auto preferred = PreferredLiteralType(arg); preferred && *preferred == param) {
    return Fit::kExact;
  }
  switch (arg.kind) {
    case TK::kNull:
    case TK::kBindMarker:
      return Fit::kWeak;
    case TK::kCast: {
      // Cassandra's TypeCast.testAssignment: by the hinted type alone.
      auto hinted = CastType(arg);
      if (!hinted.ok()) return Fit::kNone;
      if (*hinted == param) return Fit::kExact;
      return ValueCompatible(param, *hinted) ? Fit::kWeak : Fit::kNone;
    }
    case TK::kString:
      // A tuple takes its string form (Cassandra's Constants.Literal: weakly assignable to any
      // type that is neither native, a collection nor a user type).
      return p == K::kText || p == K::kAscii || p == K::kDate || p == K::kTime ||
                     p == K::kTimestamp || p == K::kInet || p == K::kTuple
                 ? Fit::kWeak
                 : Fit::kNone;
    case TK::kInteger:
      return IsIntegral(p) || p == K::kDecimal || p == K::kFloat || p == K::kDouble ||
                     p == K::kTimestamp || p == K::kDate || p == K::kTime || p == K::kDuration
                 ? Fit::kWeak
                 : Fit::kNone;
    case TK::kFloat:
      return p == K::kFloat || p == K::kDecimal ? Fit::kWeak : Fit::kNone;
    case TK::kUuid:
      return p == K::kTimeuuid ? Fit::kWeak : Fit::kNone;
    case TK::kBoolean:
    case TK::kHex:
    case TK::kDuration:
      return Fit::kNone;  // only their own type, an exact match above
    case TK::kList:
      if (p == K::kVector) {
        if (arg.elements.size() != static_cast<size_t>(param.dimension())) return Fit::kNone;
        for (const Term& e : arg.elements) {
          if (ArgumentFit(e, param.params()[0]) == Fit::kNone) return Fit::kNone;
        }
        return Fit::kWeak;
      }
      return p == K::kList ? Fit::kWeak : Fit::kNone;
    case TK::kSetOrMap:
      return p == (arg.is_map ? K::kMap : K::kSet) || (arg.elements.empty() && p == K::kMap)
                 ? Fit::kWeak
                 : Fit::kNone;
    case TK::kTuple:
      // Tuples.testTupleAssignment: not too many components, each assignable to its type.
      if (p != K::kTuple || arg.elements.size() > param.params().size()) return Fit::kNone;
      for (size_t i = 0; i < arg.elements.size(); ++i) {
        if (ArgumentFit(arg.elements[i], param.params()[i]) == Fit::kNone) return Fit::kNone;
      }
      return Fit::kWeak;
    case TK::kUserType:
      return p == K::kUdt ? Fit::kWeak : Fit::kNone;
    case TK::kFunction: {
      // Resolved for the parameter as its receiver, as Cassandra's FunctionCall.testAssignment.
      auto inner = ResolveTermCall(arg, &param);
      if (!inner.ok()) return Fit::kWeak;  // reported when the argument itself is resolved
      const cql::DataType& ret = (*inner)->return_type;
      if (ret == param) return Fit::kExact;
      // A blob takes any function's result, as its bytes (Cassandra's BytesType is value
      // compatible with every type).
      return ValueCompatible(param, ret) ? Fit::kWeak : Fit::kNone;
    }
  }
  return Fit::kNone;
}

// A term as Cassandra prints it in messages (its text for literals).
std::string TermTextImpl(const Term& t) {
  switch (t.kind) {
    case Term::Kind::kString:
      return "'" + t.text + "'";
    case Term::Kind::kHex:
      return "0x" + t.text;
    case Term::Kind::kNull:
      return "NULL";
    case Term::Kind::kBindMarker:
      return "?";
    case Term::Kind::kCast:
      return "(" + t.text + ")" + (t.elements.empty() ? "" : TermTextImpl(t.elements[0]));
    case Term::Kind::kFunction: {
      std::string args;
      for (const Term& a : t.elements) args += (args.empty() ? "" : ", ") + TermTextImpl(a);
      return t.text + "(" + args + ")";
    }
    case Term::Kind::kUserType: {
      std::string out;
      for (size_t i = 0; i < t.elements.size() && i < t.fields.size(); ++i) {
        out += (out.empty() ? "" : ", ") + t.fields[i] + ": " + TermTextImpl(t.elements[i]);
      }
      return "{" + out + "}";
    }
    case Term::Kind::kList:
    case Term::Kind::kSetOrMap:
    case Term::Kind::kTuple: {
      std::string out;
      for (size_t i = 0; i < t.elements.size(); ++i) {
        if (i) out += t.kind == Term::Kind::kSetOrMap && t.is_map && i % 2 ? ": " : ", ";
        out += TermTextImpl(t.elements[i]);
      }
      if (t.kind == Term::Kind::kList) return "[" + out + "]";
      if (t.kind == Term::Kind::kTuple) return "(" + out + ")";
      return "{" + out + "}";
    }
    default:
      return t.text;
  }
}

}  // namespace

std::string TermText(const Term& term) { return TermTextImpl(term); }

bool IsAssignable(const Term& term, const cql::DataType& type) {
  return term.kind == Term::Kind::kFunction || ArgumentFit(term, type) != Fit::kNone;
}

namespace {

// Whether a function result of type `result` can be stored in a receiver of `type` (a blob
// takes any result's bytes).
bool ResultFits(const cql::DataType& result, const cql::DataType& type) {
  return ValueCompatible(type, result);
}

// The term a `(type) term` hint stands for, after Cassandra's TypeCast.prepare checks: the term
// must fit the hinted type ("Cannot cast value ...") and the hinted type the receiver ("Cannot
// assign value ..."). The term is then read as a value of the receiver's type, as Cassandra
// prepares it. Other terms are returned as they are.
Result<const Term*> UnwrapCast(const Term& t, const cql::DataType& type,
                               std::string_view receiver) {
  const Term* term = &t;
  while (term->kind == Term::Kind::kCast && !term->elements.empty()) {
    PF_ASSIGN_OR_RETURN(cql::DataType hinted, CastType(*term));
    const Term& inner = term->elements[0];
    if (ArgumentFit(inner, hinted) == Fit::kNone) {
      return InvalidRequest(
          fmt::format("Cannot cast value {} to type {}", TermTextImpl(inner), term->text));
    }
    if (ArgumentFit(*term, type) == Fit::kNone) {
      return InvalidRequest(fmt::format("Cannot assign value {} to {} of type {}",
                                        TermTextImpl(*term), receiver, type.ToCql()));
    }
    term = &inner;
  }
  return term;
}

}  // namespace

// A function call where a value stands: resolved through the FunctionRegistry, its arguments
// evaluated as the parameter types, then run (non-pure functions with the request's time).
// The result's serialized bytes (nullopt: null).
Result<std::optional<std::string>> CallFunctionBytes(const Term& t, const cql::DataType& type,
                                                     std::string_view receiver,
                                                     const TermInputs& inputs) {
  const std::string& fn = t.text;
  PF_ASSIGN_OR_RETURN(const NativeFunction* f, ResolveTermCall(t, &type));
  if (!ResultFits(f->return_type, type)) {
    if (IsOperationFunction(fn)) {
      return InvalidRequest(fmt::format(
          "Type error: cannot assign result of operation {} (type {}) to {} (type {})",
          OperatorSymbol(fn), f->return_type.ToCql(), receiver, type.ToCql()));
    }
    return InvalidRequest(
        fmt::format("Type error: cannot assign result of function system.{} "
                    "(type {}) to {} (type {})",
                    fn, f->return_type.ToCql(), receiver, type.ToCql()));
  }
  FunctionArgs args;
  for (size_t i = 0; i < t.elements.size(); ++i) {
    std::string arg_receiver = fmt::format("arg{}(system.{})", i, fn);
    const Term& arg = t.elements[i];
    if (arg.kind == Term::Kind::kBindMarker && inputs.binds && arg.bind_index >= 0 &&
        static_cast<size_t>(arg.bind_index) < inputs.binds->size() &&
        (*inputs.binds)[static_cast<size_t>(arg.bind_index)].is_unset()) {
      // Cassandra's FunctionCall.bindAndGet.
      return InvalidRequest(
          fmt::format("Invalid unset value for argument in call to function {}", fn));
    }
    PF_ASSIGN_OR_RETURN(cql::Value v,
                        TermToValue(t.elements[i], f->params[i], arg_receiver, inputs));
    if (v.is_null()) {
      args.emplace_back(std::nullopt);
      continue;
    }
    std::string bytes;
    Status s = cql::SerializeValue(v, f->params[i], &bytes);
    if (!s.ok()) return InvalidRequest(s.message());
    args.emplace_back(std::move(bytes));
  }
  Status failure;
  FunctionContext context{inputs.now_micros ? *inputs.now_micros : NowMicros()};
  context.failure = &failure;
  std::optional<std::string> bytes = Invoke(*f, f->params, args, context);
  if (!failure.ok()) return failure;
  if (!bytes && fn.rfind("blobas", 0) == 0 && args.size() == 1 && args[0]) {
    // Bytes that are no value of the type fail the statement (Cassandra's FromBlobFunction).
    std::string hex = "0x";
    for (unsigned char c : *args[0]) hex += fmt::format("{:02x}", c);
    return InvalidRequest(fmt::format(
        "In call to function system.{}, value {} is not a valid binary representation for type {}",
        fn, hex, f->return_type.ToCql()));
  }
  if (bytes) {
    Status valid = cql::ValidateValue(*bytes, type);
    if (!valid.ok()) {
      return InvalidRequest(fmt::format("Invalid value for {}: {}", receiver, valid.message()));
    }
  }
  return bytes;
}

namespace {

// Types whose zero-length value is an ordinary value ('' and 0x), not Cassandra's empty value.
bool IsStringLike(const cql::DataType& type) {
  auto k = type.kind();
  return k == cql::TypeKind::kText || k == cql::TypeKind::kAscii || k == cql::TypeKind::kBlob ||
         k == cql::TypeKind::kCustom;
}

Result<cql::Value> CallFunction(const Term& t, const cql::DataType& type, std::string_view receiver,
                                const TermInputs& inputs) {
  if (t.text == "fromjson") {
    if (t.elements.size() != 1 || (t.elements[0].kind != Term::Kind::kString &&
                                   t.elements[0].kind != Term::Kind::kBindMarker &&
                                   t.elements[0].kind != Term::Kind::kNull)) {
      return InvalidRequest("fromJson() takes one string literal or bind marker argument");
    }
    if (t.elements[0].kind == Term::Kind::kNull) return cql::Value();  // fromJson(null) is null
    std::string json = t.elements[0].text;
    if (t.elements[0].kind == Term::Kind::kBindMarker) {
      // A bound text; null (or a trial evaluation without values) gives null.
      const int at = t.elements[0].bind_index;
      if (!inputs.binds || at < 0 || static_cast<size_t>(at) >= inputs.binds->size()) {
        return cql::Value();
      }
      const cql::RawValue& bound = (*inputs.binds)[static_cast<size_t>(at)];
      if (bound.kind != cql::RawValue::Kind::kBytes) return cql::Value();
      json = std::string(bound.bytes);
    }
    PF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, FromJson(json, type));
    if (!bytes) return cql::Value();
    if (bytes->empty() && !IsStringLike(type)) return cql::Value(cql::Empty{});
    auto v = cql::DeserializeValue(*bytes, type);
    if (!v.ok()) return InvalidRequest(v.error().message());
    return std::move(*v);
  }
  PF_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                      CallFunctionBytes(t, type, receiver, inputs));
  if (!bytes) return cql::Value();
  // An empty result (blobAsInt(0x)) stays empty, also as a collection element.
  if (bytes->empty() && !IsStringLike(type)) return cql::Value(cql::Empty{});
  auto v = cql::DeserializeValue(*bytes, type);
  if (!v.ok())
    return InvalidRequest(fmt::format("Invalid value for {}: {}", receiver, v.error().message()));
  return std::move(*v);
}

template <class T>
Result<T> ParseWith(const Term& t, std::string_view error) {
  auto r = T::Parse(t.text);
  if (!r.ok()) return InvalidRequest(fmt::format(fmt::runtime(error), t.text));
  return std::move(r).value();
}

}  // namespace

namespace {

// ListSerializer, SetSerializer and MapSerializer on a bound value. A list bound to a marker is
// deserialized (a null element reads as one, a negative count is refused); a set or map, and any
// collection nested in an element, is validated first (a null element is refused, a negative
// count passes the walk and is refused when deserialized).
Status CheckBoundCollection(std::string_view body, const cql::DataType& type,
                            std::string_view receiver, bool nested) {
  const cql::TypeKind kind = type.kind();
  const char* what = kind == cql::TypeKind::kList  ? "list"
                     : kind == cql::TypeKind::kSet ? "set"
                                                   : "map";
  auto not_enough = [&] {
    return InvalidRequest(fmt::format("Not enough bytes to read a {}", what));
  };
  const bool validating = nested || kind != cql::TypeKind::kList;
  if (body.size() < 4) return not_enough();
  const auto count = static_cast<int32_t>(cql::LoadBE32(body.data()));
  if (!validating && count < 0) return InvalidRequest("The data cannot be deserialized as a list");
  const size_t parts = kind == cql::TypeKind::kMap ? 2 : 1;
  size_t offset = 4;
  for (int32_t i = 0; i < count; ++i) {
    for (size_t part = 0; part < parts; ++part) {
      if (body.size() - offset < 4) return not_enough();
      const auto size = static_cast<int32_t>(cql::LoadBE32(body.data() + offset));
      offset += 4;
      if (size < 0) {
        if (validating) return InvalidRequest("Null value read when not allowed");
        continue;  // cql::ValidateValue refuses the null element afterwards
      }
      if (body.size() - offset < static_cast<size_t>(size)) return not_enough();
      std::string_view element = body.substr(offset, static_cast<size_t>(size));
      offset += static_cast<size_t>(size);
      const cql::DataType& element_type = type.params()[part];
      if (element_type.is_collection()) {
        PF_RETURN_IF_ERROR(CheckBoundCollection(element, element_type, receiver, true));
      } else if (Status st = cql::ValidateValue(element, element_type); !st.ok()) {
        return InvalidRequest(fmt::format("Invalid value for {} of type {}: {}", receiver,
                                          type.ToCql(), st.message()));
      }
    }
  }
  if (offset != body.size()) {
    return InvalidRequest(fmt::format("Unexpected extraneous bytes after {} value", what));
  }
  if (count < 0)
    return InvalidRequest(fmt::format("The data cannot be deserialized as a {}", what));
  return Status::Ok();
}

// Cassandra's DurationSerializer.validate texts, which it returns as they are.
Status CheckBoundDuration(std::string_view bytes) {
  if (bytes.size() < 3) {
    return InvalidRequest(
        fmt::format("Expected at least 3 bytes for a duration ({})", bytes.size()));
  }
  cql::ByteReader r(bytes);
  auto months = r.ReadVInt();
  auto days = r.ReadVInt();
  auto nanos = r.ReadVInt();
  if (!months.ok() || !days.ok() || !nanos.ok()) return Status::Ok();  // ValidateValue refuses
  auto is_int = [](int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; };
  if (!is_int(*months)) {
    return InvalidRequest(
        fmt::format("The duration months must be a 32 bits integer but was: {}", *months));
  }
  if (!is_int(*days)) {
    return InvalidRequest(
        fmt::format("The duration days must be a 32 bits integer but was: {}", *days));
  }
  if (!((*months >= 0 && *days >= 0 && *nanos >= 0) ||
        (*months <= 0 && *days <= 0 && *nanos <= 0))) {
    return InvalidRequest(fmt::format(
        "The duration months, days and nanoseconds must be all of the same sign ({}, {}, {})",
        *months, *days, *nanos));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateBoundValue(std::string_view bytes, const cql::DataType& type,
                          std::string_view receiver) {
  if (type.is_collection()) {
    PF_RETURN_IF_ERROR(CheckBoundCollection(bytes, type, receiver, /*nested=*/false));
  }
  if (type.kind() == cql::TypeKind::kDuration) PF_RETURN_IF_ERROR(CheckBoundDuration(bytes));
  Status st = cql::ValidateValue(bytes, type);
  if (!st.ok()) {
    return InvalidRequest(
        fmt::format("Invalid value for {} of type {}: {}", receiver, type.ToCql(), st.message()));
  }
  return Status::Ok();
}

static bool IsStringKind(cql::TypeKind k) {
  return k == cql::TypeKind::kText || k == cql::TypeKind::kAscii;
}

// A tuple written as a string, as Cassandra's TupleType.fromString reads one: components split
// on unescaped ':', `@` for a null, `\:` and `\@` for the characters themselves; missing
// trailing components are null. Each component is read as the literal of its type it spells.
static Result<cql::Value> TupleFromString(std::string_view text, const cql::DataType& type,
                                          std::string_view receiver, const TermInputs& inputs) {
  using K = cql::TypeKind;
  std::vector<std::string> parts;
  if (!text.empty()) parts.emplace_back();  // AbstractCompositeType.split: none for ""
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      parts.back() += text.substr(i, 2);  // kept escaped until the component is known
      ++i;
    } else if (text[i] == ':') {
      parts.emplace_back();
    } else {
      parts.back() += text[i];
    }
  }
  const auto& params = type.params();
  if (parts.size() > params.size()) {
    return InvalidRequest(fmt::format(
        "Invalid tuple literal: too many elements. Type {} expects {} but got {}", type.ToCql(),
        params.size(), parts.size()));
  }
  cql::ValueList out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "@") {
      out.push_back(cql::Value());
      continue;
    }
    std::string field;
    for (size_t j = 0; j < parts[i].size(); ++j) {
      bool escape = parts[i][j] == '\\' && j + 1 < parts[i].size() &&
                    (parts[i][j + 1] == ':' || parts[i][j + 1] == '@');
      if (!escape) field += parts[i][j];
    }
    if (field.empty() && !IsStringKind(params[i].kind())) {
      out.push_back(cql::Value(cql::Empty{}));  // fromString("") of a non-string type
      continue;
    }
    Term component;
    component.text = std::move(field);
    switch (params[i].kind()) {
      case K::kTinyint:
      case K::kSmallint:
      case K::kInt:
      case K::kBigint:
      case K::kVarint:
      case K::kCounter:
        component.kind = Term::Kind::kInteger;
        break;
      case K::kFloat:
      case K::kDouble:
      case K::kDecimal:
        component.kind = Term::Kind::kFloat;
        break;
      case K::kBoolean:
        component.kind = Term::Kind::kBoolean;
        component.text = ascii::Lower(component.text);
        break;
      case K::kUuid:
      case K::kTimeuuid:
        component.kind = Term::Kind::kUuid;
        break;
      case K::kBlob:
        component.kind = Term::Kind::kHex;
        break;
      case K::kDuration:
        component.kind = Term::Kind::kDuration;
        break;
      default:
        component.kind = Term::Kind::kString;
        break;
    }
    PF_ASSIGN_OR_RETURN(cql::Value v, TermToValue(component, params[i], receiver, inputs));
    out.push_back(std::move(v));
  }
  return cql::Value(std::move(out));
}

Result<cql::Value> TermToValue(const Term& term, const cql::DataType& type,
                               std::string_view receiver, const TermInputs& inputs) {
  PF_ASSIGN_OR_RETURN(const Term* unwrapped, UnwrapCast(term, type, receiver));
  const Term& t = *unwrapped;
  const std::vector<cql::RawValue>* binds = inputs.binds;
  using K = cql::TypeKind;
  using TK = Term::Kind;
  if (t.kind == TK::kNull) {
    // Constants.NullLiteral: null is not assignable to a counter, wherever it stands.
    if (type.kind() == K::kCounter) {
      return InvalidRequest("Invalid null value for counter increment/decrement");
    }
    return cql::Value();
  }
  if (t.kind == TK::kBindMarker) {
    if (!binds) return InvalidRequest("bind marker where a literal was expected");
    if (t.bind_index < 0 || static_cast<size_t>(t.bind_index) >= binds->size()) {
      return InvalidRequest(
          fmt::format("No value bound for marker {} ({})", t.bind_index, receiver));
    }
    const cql::RawValue& v = (*binds)[static_cast<size_t>(t.bind_index)];
    if (v.is_unset()) return InvalidRequest(fmt::format("Invalid unset value for {}", receiver));
    if (v.is_null()) return cql::Value();
    PF_RETURN_IF_ERROR(ValidateBoundValue(v.bytes, type, receiver));
    auto value = cql::DeserializeValue(v.bytes, type);
    if (!value.ok()) {
      return InvalidRequest(fmt::format("Invalid value for {} of type {}: {}", receiver,
                                        type.ToCql(), value.error().message()));
    }
    return std::move(*value);
  }
  if (t.kind == TK::kFunction) return CallFunction(t, type, receiver, inputs);
  if (IsParenthesized(t, type)) return TermToValue(t.elements[0], type, receiver, inputs);
  switch (type.kind()) {
    case K::kAscii:
    case K::kText:
      if (t.kind != TK::kString) return Mismatch(t, type, receiver);
      if (type.kind() == K::kAscii) {
        for (char c : t.text) {
          const auto byte = static_cast<unsigned char>(c);
          if (byte > 127) {
            // Java's encoder names the unmappable input in UTF-16 units: 2 for a code point
            // past the BMP (a 4-byte UTF-8 sequence), else 1.
            return InvalidRequest(
                fmt::format("Invalid ASCII character in string literal: "
                            "java.nio.charset.UnmappableCharacterException: Input length = {}",
                            byte >= 0xF0 ? 2 : 1));
          }
        }
      }
      return cql::Value(t.text);
    case K::kBigint:
    case K::kCounter: {
      if (t.kind != TK::kInteger) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(int64_t v,
                          ParseInteger(t, INT64_MIN, INT64_MAX, "Unable to make long from '{}'"));
      return cql::Value(v);
    }
    case K::kInt: {
      if (t.kind != TK::kInteger) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(int64_t v,
                          ParseInteger(t, INT32_MIN, INT32_MAX, "Unable to make int from '{}'"));
      return cql::Value(static_cast<int32_t>(v));
    }
    case K::kSmallint: {
      if (t.kind != TK::kInteger) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(int64_t v,
                          ParseInteger(t, INT16_MIN, INT16_MAX, "Unable to make short from '{}'"));
      return cql::Value(static_cast<int16_t>(v));
    }
    case K::kTinyint: {
      if (t.kind != TK::kInteger) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(int64_t v,
                          ParseInteger(t, INT8_MIN, INT8_MAX, "Unable to make byte from '{}'"));
      return cql::Value(static_cast<int8_t>(v));
    }
    case K::kFloat:
    case K::kDouble: {
      if (t.kind != TK::kInteger && t.kind != TK::kFloat) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(double v, ParseDouble(t));
      if (type.kind() == K::kFloat) return cql::Value(static_cast<float>(v));
      return cql::Value(v);
    }
    case K::kBoolean:
      if (t.kind != TK::kBoolean) return Mismatch(t, type, receiver);
      return cql::Value(t.text == "true");
    case K::kUuid:
    case K::kTimeuuid: {
      if (t.kind != TK::kUuid) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(cql::Uuid u, ParseWith<cql::Uuid>(t, "Unable to make UUID from '{}'"));
      if (type.kind() == K::kTimeuuid && u.version() != 1) {
        return InvalidRequest("TimeUUID supports only version 1 UUIDs");
      }
      return cql::Value(u);
    }
    case K::kBlob:
    case K::kCustom: {
      // Custom types (CompositeType, DynamicCompositeType, ...) take their serialized bytes as
      // a blob literal, as Cassandra's Constants.Literal does for any validator.
      if (t.kind != TK::kHex) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(cql::Blob b, ParseHex(t, receiver));
      return cql::Value(std::move(b));
    }
    case K::kTimestamp: {
      if (t.kind == TK::kInteger) {
        PF_ASSIGN_OR_RETURN(int64_t v, ParseInteger(t, INT64_MIN, INT64_MAX,
                                                    "Unable to make long (for date) from: '{}'"));
        return cql::Value(cql::Timestamp{v});
      }
      if (t.kind != TK::kString) return Mismatch(t, type, receiver);
      auto ts = ParseTimestampText(t.text);
      if (!ts.ok()) {
        return InvalidRequest(fmt::format("Unable to parse a date/time from '{}'", t.text));
      }
      return cql::Value(*ts);
    }
    case K::kDate: {
      if (t.kind == TK::kInteger) {
        PF_ASSIGN_OR_RETURN(
            int64_t v,
            ParseInteger(t, 0, UINT32_MAX, "Unable to make unsigned int (for date) from: '{}'"));
        return cql::Value(cql::Date{static_cast<uint32_t>(v)});
      }
      if (t.kind != TK::kString) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(
          cql::Date d, ParseWith<cql::Date>(t, "Unable to coerce '{}' to a formatted date (long)"));
      return cql::Value(d);
    }
    case K::kTime: {
      if (t.kind == TK::kInteger) {
        PF_ASSIGN_OR_RETURN(int64_t v, ParseInteger(t, 0, 86399999999999LL,
                                                    "Unable to make long (for time) from: '{}'"));
        return cql::Value(cql::Time{v});
      }
      if (t.kind != TK::kString) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(
          cql::Time tm,
          ParseWith<cql::Time>(t, "(TimeType) Unable to coerce '{}' to a formatted time (long)"));
      return cql::Value(tm);
    }
    case K::kInet: {
      if (t.kind != TK::kString) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(cql::Inet i,
                          ParseWith<cql::Inet>(t, "Unable to make inet address from '{}'"));
      return cql::Value(i);
    }
    case K::kVarint: {
      if (t.kind != TK::kInteger) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(cql::Varint v, ParseWith<cql::Varint>(t, "Unable to make int from '{}'"));
      return cql::Value(std::move(v));
    }
    case K::kDecimal: {
      if (t.kind != TK::kInteger && t.kind != TK::kFloat) return Mismatch(t, type, receiver);
      PF_ASSIGN_OR_RETURN(cql::Decimal d,
                          ParseWith<cql::Decimal>(t, "unable to make BigDecimal from '{}'"));
      return cql::Value(std::move(d));
    }
    case K::kDuration: {
      // Cassandra assigns duration and integer literals to a duration, never strings.
      if (t.kind != TK::kDuration && t.kind != TK::kInteger) return Mismatch(t, type, receiver);
      auto d = cql::Duration::Parse(t.text);  // its errors are Cassandra's texts
      if (!d.ok()) return InvalidRequest(d.error().message());
      return cql::Value(*d);
    }
    case K::kList:
    case K::kSet: {
      bool ok_kind = type.kind() == K::kList
                         ? t.kind == TK::kList
                         : (t.kind == TK::kSetOrMap && (!t.is_map || t.elements.empty()));
      if (!ok_kind) return Mismatch(t, type, receiver);
      for (const Term& e : t.elements) {
        if (ArgumentFit(e, type.params()[0]) == Fit::kNone) {
          return InvalidRequest(fmt::format("Invalid {} literal for {}: value {} is not of type {}",
                                            type.kind() == K::kList ? "list" : "set", receiver,
                                            TermText(e), type.params()[0].ToCql()));
        }
      }
      cql::ValueList out;
      for (const Term& e : t.elements) {
        if (e.kind == TK::kNull) {
          return InvalidRequest(fmt::format("null is not supported inside collections"));
        }
        PF_ASSIGN_OR_RETURN(cql::Value v, TermToValue(e, type.params()[0], receiver, inputs));
        if (v.is_null()) return InvalidRequest("null is not supported inside collections");
        out.push_back(std::move(v));
      }
      return cql::Value(std::move(out));
    }
    case K::kVector: {
      if (t.kind != TK::kList) return Mismatch(t, type, receiver);
      auto dimension = static_cast<size_t>(type.dimension());
      if (t.elements.size() != dimension) {
        return InvalidRequest(fmt::format(
            "Invalid vector literal for {} of type {}; expected {} elements, but given {}",
            receiver, type.ToCql(), dimension, t.elements.size()));
      }
      const cql::DataType& element = type.params()[0];
      cql::ValueList out;
      for (const Term& e : t.elements) {
        if (ArgumentFit(e, element) == Fit::kNone) {
          return InvalidRequest(
              fmt::format("Invalid vector literal for {}: value {} is not of type {}", receiver,
                          TermTextImpl(e), element.ToCql()));
        }
        PF_ASSIGN_OR_RETURN(cql::Value v,
                            TermToValue(e, element, fmt::format("value({})", receiver), inputs));
        if (v.is_null()) return InvalidRequest("null is not supported inside vectors");
        out.push_back(std::move(v));
      }
      return cql::Value(std::move(out));
    }
    case K::kMap: {
      if (t.kind != TK::kSetOrMap || (!t.is_map && !t.elements.empty())) {
        return Mismatch(t, type, receiver);
      }
      for (size_t i = 0; i + 1 < t.elements.size(); i += 2) {
        for (size_t part = 0; part < 2; ++part) {
          if (ArgumentFit(t.elements[i + part], type.params()[part]) == Fit::kNone) {
            return InvalidRequest(fmt::format("Invalid map literal for {}: {} {} is not of type {}",
                                              receiver, part ? "value" : "key",
                                              TermText(t.elements[i + part]),
                                              type.params()[part].ToCql()));
          }
        }
      }
      cql::ValueMap out;
      for (size_t i = 0; i + 1 < t.elements.size(); i += 2) {
        PF_ASSIGN_OR_RETURN(cql::Value k,
                            TermToValue(t.elements[i], type.params()[0], receiver, inputs));
        PF_ASSIGN_OR_RETURN(cql::Value v,
                            TermToValue(t.elements[i + 1], type.params()[1], receiver, inputs));
        if (k.is_null() || v.is_null()) {
          return InvalidRequest("null is not supported inside collections");
        }
        out.push_back(cql::MapEntry{std::move(k), std::move(v)});
      }
      return cql::Value(std::move(out));
    }
    case K::kTuple: {
      if (t.kind == TK::kString) return TupleFromString(t.text, type, receiver, inputs);
      if (t.kind != TK::kTuple) return Mismatch(t, type, receiver);
      // Tuples.validateTupleAssignableTo: component by component, too many when one is left.
      for (size_t i = 0; i < t.elements.size(); ++i) {
        if (i >= type.params().size()) {
          return InvalidRequest(fmt::format(
              "Invalid tuple literal for {}: too many elements. Type {} expects {} but got {}",
              receiver, type.ToCql(), type.params().size(), t.elements.size()));
        }
        if (ArgumentFit(t.elements[i], type.params()[i]) == Fit::kNone) {
          return InvalidRequest(
              fmt::format("Invalid tuple literal for {}: component {} is not of type {}", receiver,
                          i, type.params()[i].ToCql()));
        }
      }
      cql::ValueList out;
      for (size_t i = 0; i < t.elements.size(); ++i) {
        PF_ASSIGN_OR_RETURN(cql::Value v,
                            TermToValue(t.elements[i], type.params()[i], receiver, inputs));
        out.push_back(std::move(v));
      }
      return cql::Value(std::move(out));
    }
    case K::kUdt: {
      if (t.kind != TK::kUserType) {
        if (t.kind == TK::kSetOrMap && t.elements.empty()) return cql::Value(cql::ValueList{});
        return InvalidRequest(
            fmt::format("Invalid user type literal for {} of type {}", receiver, type.ToCql()));
      }
      const auto& names = type.field_names();
      cql::ValueList out(names.size(), cql::Value(cql::Null{}));
      std::vector<bool> seen(names.size(), false);
      for (size_t i = 0; i < t.fields.size(); ++i) {
        auto it = std::find(names.begin(), names.end(), t.fields[i]);
        if (it == names.end()) {
          return InvalidRequest(fmt::format("Unknown field '{}' in value of user defined type {}",
                                            t.fields[i], type.udt_name()));
        }
        size_t index = static_cast<size_t>(it - names.begin());
        if (seen[index]) {
          return InvalidRequest(
              fmt::format("Duplicate field '{}' in user type literal", t.fields[i]));
        }
        seen[index] = true;
        if (ArgumentFit(t.elements[i], type.params()[index]) == Fit::kNone) {
          return InvalidRequest(
              fmt::format("Invalid user type literal for {}: field {} is not of type {}", receiver,
                          t.fields[i], type.params()[index].ToCql()));
        }
        PF_ASSIGN_OR_RETURN(out[index],
                            TermToValue(t.elements[i], type.params()[index],
                                        fmt::format("{}.{}", receiver, t.fields[i]), inputs));
      }
      return cql::Value(std::move(out));
    }
    default:
      return InvalidRequest(
          fmt::format("Literals of type {} are not supported for \"{}\"", type.ToCql(), receiver));
  }
}

Result<std::optional<std::string>> SerializeTerm(const Term& hinted, const cql::DataType& type,
                                                 std::string_view receiver,
                                                 const TermInputs& inputs) {
  PF_ASSIGN_OR_RETURN(const Term* unwrapped, UnwrapCast(hinted, type, receiver));
  const Term& term = *unwrapped;
  if (term.kind == Term::Kind::kFunction && term.text != "fromjson") {
    // The function's bytes as they are: an empty result (blobAsInt(0x)) stays empty, not null.
    return CallFunctionBytes(term, type, receiver, inputs);
  }
  PF_ASSIGN_OR_RETURN(cql::Value v, TermToValue(term, type, receiver, inputs));
  if (v.is_null()) return std::optional<std::string>();
  std::string out;
  Status s = cql::SerializeValue(v, type, &out);
  if (!s.ok()) return InvalidRequest(s.message());
  if (auto normalized = NormalizeValue(type, out)) out = std::move(*normalized);
  return std::optional<std::string>(std::move(out));
}

namespace {

int CompareBytes(std::string_view a, std::string_view b) {
  int c = a.compare(b);  // std::string_view compares as unsigned char via char_traits
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int64_t LoadSigned(std::string_view v) {
  if (v.empty()) return 0;
  int64_t x = static_cast<signed char>(v[0]);
  for (size_t i = 1; i < v.size(); ++i) x = (x << 8) | static_cast<unsigned char>(v[i]);
  return x;
}

int CompareVarint(std::string_view a, std::string_view b) {
  bool na = !a.empty() && (static_cast<unsigned char>(a[0]) & 0x80);
  bool nb = !b.empty() && (static_cast<unsigned char>(b[0]) & 0x80);
  if (na != nb) return na ? -1 : 1;
  if (a.size() != b.size()) return (a.size() < b.size()) != na ? -1 : 1;
  return CompareBytes(a, b);
}

int64_t UuidTimestamp(std::string_view u) {
  auto b = [&](int i) { return static_cast<uint64_t>(static_cast<unsigned char>(u[i])); };
  uint64_t time_low = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
  uint64_t time_mid = (b(4) << 8) | b(5);
  uint64_t time_hi = ((b(6) & 0x0F) << 8) | b(7);
  return static_cast<int64_t>((time_hi << 48) | (time_mid << 32) | time_low);
}

long double DecimalApprox(std::string_view v) {
  if (v.size() < 4) return 0;
  int32_t scale = static_cast<int32_t>(cql::LoadBE32(v.data()));
  std::string_view unscaled = v.substr(4);
  long double x = 0;
  bool neg = !unscaled.empty() && (static_cast<unsigned char>(unscaled[0]) & 0x80);
  for (char c : unscaled) x = x * 256 + static_cast<unsigned char>(c);
  if (neg) x -= std::pow(256.0L, static_cast<long double>(unscaled.size()));
  return x * std::pow(10.0L, -static_cast<long double>(scale));
}

template <class T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Java's Float.compare and Double.compare, which Cassandra's float and double types use: NaN
// equals itself and sorts after every other value, -0.0 sorts before 0.0.
template <typename F>
int CompareFloating(F a, F b) {
  if (a < b) return -1;
  if (a > b) return 1;
  bool nan_a = std::isnan(a), nan_b = std::isnan(b);
  if (nan_a || nan_b) return nan_a == nan_b ? 0 : (nan_a ? 1 : -1);
  return static_cast<int>(std::signbit(b)) - static_cast<int>(std::signbit(a));
}

// Frozen collections element by element (a prefix first), tuples and UDTs field by field with
// null first, as Cassandra's ListType/MapType/TupleType compare. nullopt when a value does not
// decode (the caller falls back to bytes).
std::optional<int> CompareComposite(const cql::DataType& type, std::string_view a,
                                    std::string_view b) {
  using K = cql::TypeKind;
  cql::ByteReader ra(a), rb(b);
  const auto& params = type.params();
  auto element = [&](const cql::DataType& t, int* out) -> bool {
    auto ea = ra.ReadBytes();
    auto eb = rb.ReadBytes();
    if (!ea.ok() || !eb.ok()) return false;
    if (!*ea || !*eb) {
      *out = (*ea ? 1 : 0) - (*eb ? 1 : 0);  // null first
      return true;
    }
    *out = CompareValues(t, **ea, **eb);
    return true;
  };
  if (type.kind() == K::kTuple || type.kind() == K::kUdt) {
    // An empty value sorts first; a value that ends early equals one whose remaining fields
    // are all null (TupleType.compareCustom), else sorts before it.
    if (a.empty() || b.empty()) return Cmp(!a.empty(), !b.empty());
    auto rest_null = [](cql::ByteReader r) {
      while (!r.empty()) {
        auto e = r.ReadBytes();
        if (!e.ok() || *e) return false;
      }
      return true;
    };
    for (size_t i = 0; i < params.size(); ++i) {
      if (ra.empty() || rb.empty()) {
        if (rest_null(ra) && rest_null(rb)) return 0;
        return Cmp(ra.empty() ? 0 : 1, rb.empty() ? 0 : 1);
      }
      int c = 0;
      if (!element(params[i], &c)) return std::nullopt;
      if (c != 0) return c;
    }
    return 0;
  }
  auto na = ra.ReadInt();
  auto nb = rb.ReadInt();
  if (!na.ok() || !nb.ok()) return std::nullopt;
  bool map = type.kind() == K::kMap;
  for (int32_t i = 0; i < std::min(*na, *nb); ++i) {
    int c = 0;
    if (!element(params[0], &c)) return std::nullopt;
    if (c != 0) return c;
    if (map) {
      if (!element(params[1], &c)) return std::nullopt;
      if (c != 0) return c;
    }
  }
  return Cmp(*na, *nb);
}

}  // namespace

int CompareValues(const cql::DataType& type, std::string_view a, std::string_view b) {
  using K = cql::TypeKind;
  switch (type.kind()) {
    case K::kVector: {  // element by element, as VectorType.compareCustom
      auto ea = cql::SplitVectorElements(a, type);
      auto eb = cql::SplitVectorElements(b, type);
      if (!ea.ok() || !eb.ok()) return CompareBytes(a, b);
      for (size_t i = 0; i < ea->size() && i < eb->size(); ++i) {
        int c = CompareValues(type.params()[0], (*ea)[i], (*eb)[i]);
        if (c != 0) return c;
      }
      return 0;
    }
    case K::kList:
    case K::kSet:
    case K::kMap:
    case K::kTuple:
    case K::kUdt: {
      auto c = CompareComposite(type, a, b);
      return c ? *c : CompareBytes(a, b);
    }
    case K::kTinyint:
    case K::kSmallint:
    case K::kInt:
    case K::kBigint:
    case K::kCounter:
    case K::kTimestamp:
    case K::kTime:
      if (a.size() == b.size()) return Cmp(LoadSigned(a), LoadSigned(b));
      return Cmp(a.size(), b.size());
    case K::kBoolean:  // BooleanType: empty first, then false (0x00), then any other byte
      if (a.empty() || b.empty()) return Cmp(!a.empty(), !b.empty());
      return Cmp(a[0] != 0, b[0] != 0);
    case K::kFloat:
      if (a.size() == 4 && b.size() == 4) {
        uint32_t ua = cql::LoadBE32(a.data()), ub = cql::LoadBE32(b.data());
        float fa, fb;
        std::memcpy(&fa, &ua, 4);
        std::memcpy(&fb, &ub, 4);
        return CompareFloating(fa, fb);
      }
      return CompareBytes(a, b);
    case K::kDouble:
      if (a.size() == 8 && b.size() == 8) {
        uint64_t ua = cql::LoadBE64(a.data()), ub = cql::LoadBE64(b.data());
        double fa, fb;
        std::memcpy(&fa, &ua, 8);
        std::memcpy(&fb, &ub, 8);
        return CompareFloating(fa, fb);
      }
      return CompareBytes(a, b);
    case K::kVarint:
      return CompareVarint(a, b);
    case K::kDecimal: {
      // Exactly, as BigDecimal.compareTo: the value-ordered key encoding compares bytewise.
      std::string ka, kb;
      if (keys::AppendClusteringComponent(type, false, a, keys::KeyFormat::kValueOrderedNumbers,
                                          &ka)
              .ok() &&
          keys::AppendClusteringComponent(type, false, b, keys::KeyFormat::kValueOrderedNumbers,
                                          &kb)
              .ok()) {
        return CompareBytes(ka, kb);
      }
      return Cmp(DecimalApprox(a), DecimalApprox(b));
    }
    case K::kTimeuuid:
      if (a.size() == 16 && b.size() == 16) {
        int c = Cmp(UuidTimestamp(a), UuidTimestamp(b));
        if (c != 0) return c;
      }
      return CompareBytes(a, b);
    case K::kUuid:
      if (a.size() == 16 && b.size() == 16) {
        int va = static_cast<unsigned char>(a[6]) >> 4, vb = static_cast<unsigned char>(b[6]) >> 4;
        if (va != vb) return Cmp(va, vb);
        if (va == 1) {
          int c = Cmp(UuidTimestamp(a), UuidTimestamp(b));
          if (c != 0) return c;
        }
      }
      return CompareBytes(a, b);
    default:
      return CompareBytes(a, b);
  }
}

TermFit TermArgumentFit(const Term& arg, const cql::DataType& param) {
  switch (ArgumentFit(arg, param)) {
    case Fit::kExact:
      return TermFit::kExact;
    case Fit::kWeak:
      return TermFit::kWeak;
    default:
      return TermFit::kNone;
  }
}

std::optional<cql::DataType> PreferredLiteralType(const Term& term) {
  using K = cql::TypeKind;
  switch (term.kind) {
    case Term::Kind::kString:
      return cql::DataType(K::kText);
    case Term::Kind::kInteger: {
      errno = 0;
      long long v = std::strtoll(term.text.c_str(), nullptr, 10);
      if (errno == ERANGE) return cql::DataType(K::kVarint);
      return cql::DataType(v >= INT32_MIN && v <= INT32_MAX ? K::kInt : K::kBigint);
    }
    case Term::Kind::kFloat:
      return cql::DataType(K::kDouble);
    case Term::Kind::kBoolean:
      return cql::DataType(K::kBoolean);
    case Term::Kind::kUuid:
      return cql::DataType(K::kUuid);
    case Term::Kind::kHex:
      return cql::DataType(K::kBlob);
    case Term::Kind::kDuration:
      return cql::DataType(K::kDuration);
    case Term::Kind::kCast: {
      auto hinted = CastType(term);
      if (!hinted.ok()) return std::nullopt;
      return std::move(*hinted);
    }
    default:
      return std::nullopt;
  }
}

bool IsConstantTerm(const Term& term) {
  if (term.kind == Term::Kind::kBindMarker) return false;
  if (term.kind == Term::Kind::kFunction && term.text != "fromjson" &&
      !FunctionRegistry::Native().IsPure(term.text)) {
    return false;
  }
  return std::all_of(term.elements.begin(), term.elements.end(), IsConstantTerm);
}

Result<const NativeFunction*> ResolveTermCall(const Term& call,
                                              const cql::DataType* receiver_type) {
  const std::string& name = call.text;
  if (name == "tojson") {
    return InvalidRequest(
        "toJson() may only be used within the selection clause of SELECT statements");
  }
  auto candidates = FunctionRegistry::Native().Overloads(name);
  if (candidates.empty() &&
      (name == "count" || name == "min" || name == "max" || name == "sum" || name == "avg")) {
    // Cassandra's FunctionCall.Raw.prepare, for a native aggregate where a value stands.
    return InvalidRequest("Aggregation function are not supported in the where clause");
  }
  if (candidates.empty()) return InvalidRequest(fmt::format("Unknown function {} called", name));
  const size_t n = call.elements.size();
  if (candidates.size() == 1) {
    const NativeFunction* f = candidates[0];
    if (f->params.size() != n) {
      return InvalidRequest(fmt::format(
          "Invalid number of arguments in call to function system.{}: {} required but {} provided",
          name, f->params.size(), n));
    }
    for (size_t i = 0; i < n; ++i) {
      if (ArgumentFit(call.elements[i], f->params[i]) == Fit::kNone) {
        return InvalidRequest(fmt::format(
            "Type error: {} cannot be passed as argument {} of function system.{} of type {}",
            TermText(call.elements[i]), i, name, f->params[i].ToCql()));
      }
    }
    return f;
  }
  std::vector<const NativeFunction*> compatible;
  for (const NativeFunction* f : candidates) {
    if (receiver_type && !ResultFits(f->return_type, *receiver_type)) continue;
    if (f->params.size() != n) continue;
    Fit fit = Fit::kExact;
    for (size_t i = 0; i < n && fit != Fit::kNone; ++i) {
      Fit a = ArgumentFit(call.elements[i], f->params[i]);
      if (a == Fit::kNone || (a == Fit::kWeak && fit == Fit::kExact)) fit = a;
    }
    if (fit == Fit::kExact) return f;
    if (fit == Fit::kWeak) compatible.push_back(f);
  }
  auto list = [](const std::vector<const NativeFunction*>& fs) {
    std::string out;
    for (const NativeFunction* f : fs) out += (out.empty() ? "" : ", ") + f->Signature();
    return out;
  };
  const bool operation = IsOperationFunction(name);
  if (compatible.empty() && operation && n == 2) {
    return InvalidRequest(fmt::format("the '{}' operation is not supported between {} and {}",
                                      OperatorSymbol(name), TermText(call.elements[0]),
                                      TermText(call.elements[1])));
  }
  if (compatible.size() > 1 && operation && n == 2) {
    // An operation whose operands are no markers goes to the overload of the receiver's type,
    // if there is one; only direct operands count (FunctionResolver.containsMarkers), so in
    // 1 * (? + 1) the inner operation is the ambiguous one.
    bool marker_operand = std::any_of(call.elements.begin(), call.elements.end(), [](const Term& e) {
      return e.kind == Term::Kind::kBindMarker;
    });
    if (receiver_type && !marker_operand) {
      for (const NativeFunction* f : compatible) {
        if (f->params[0] == *receiver_type && f->params[1] == *receiver_type) return f;
      }
    }
    return InvalidRequest(fmt::format(
        "Ambiguous '{}' operation with args {} and {}: use type hint to disambiguate, example "
        "'(int) ?'",
        OperatorSymbol(name), TermText(call.elements[0]), TermText(call.elements[1])));
  }
  if (compatible.size() > 1 && name == "_negate") {
    return InvalidRequest("Ambiguous negation: use type casts to disambiguate");
  }
  if (compatible.empty()) {
    return InvalidRequest(
        fmt::format("Invalid call to function {}, none of its type signatures match (known type "
                    "signatures: {})",
                    name, list(candidates)));
  }
  if (compatible.size() > 1) {
    return InvalidRequest(fmt::format(
        "Ambiguous call to function {} (can be matched by following signatures: {}): use type "
        "casts to disambiguate",
        name, list(compatible)));
  }
  return compatible[0];
}

bool IsParenthesized(const Term& term, const cql::DataType& type) {
  return term.kind == Term::Kind::kTuple && term.elements.size() == 1 &&
         type.kind() != cql::TypeKind::kTuple;
}

bool ContainsMarker(const Term& term) {
  if (term.kind == Term::Kind::kBindMarker) return true;
  return std::any_of(term.elements.begin(), term.elements.end(), ContainsMarker);
}

Status CheckUserTypeFields(const Term& term, const cql::DataType& type) {
  using K = cql::TypeKind;
  const auto& params = type.params();
  if (term.kind == Term::Kind::kUserType && type.kind() == K::kUdt) {
    const auto& names = type.field_names();
    for (size_t i = 0; i < term.fields.size() && i < term.elements.size(); ++i) {
      auto it = std::find(names.begin(), names.end(), term.fields[i]);
      if (it == names.end()) {
        return InvalidRequest(fmt::format("Unknown field '{}' in value of user defined type {}",
                                          term.fields[i], type.udt_name()));
      }
      PF_RETURN_IF_ERROR(
          CheckUserTypeFields(term.elements[i], params[static_cast<size_t>(it - names.begin())]));
    }
    return Status::Ok();
  }
  for (size_t i = 0; i < term.elements.size(); ++i) {
    const cql::DataType* inner = nullptr;
    if (term.kind == Term::Kind::kTuple && type.kind() == K::kTuple && i < params.size()) {
      inner = &params[i];
    } else if (term.kind == Term::Kind::kList &&
               (type.kind() == K::kList || type.kind() == K::kVector) && !params.empty()) {
      inner = &params[0];
    } else if (term.kind == Term::Kind::kSetOrMap && type.kind() == K::kSet && !params.empty()) {
      inner = &params[0];
    } else if (term.kind == Term::Kind::kSetOrMap && type.kind() == K::kMap &&
               params.size() == 2) {
      inner = &params[i % 2];
    }
    if (inner) PF_RETURN_IF_ERROR(CheckUserTypeFields(term.elements[i], *inner));
  }
  return Status::Ok();
}

bool HasUnorderedParts(const cql::DataType& type) {
  if (type.kind() == cql::TypeKind::kSet || type.kind() == cql::TypeKind::kMap) return true;
  for (const auto& p : type.params()) {
    if (HasUnorderedParts(p)) return true;
  }
  return false;
}

std::optional<std::string> NormalizeValue(const cql::DataType& type, std::string_view value) {
  using K = cql::TypeKind;
  if (!HasUnorderedParts(type) || value.empty()) return std::nullopt;
  const auto& params = type.params();
  cql::ByteReader r(value);
  // Each element, itself normalized; nullopt entries are nulls (tuples and UDTs only).
  auto element = [&](const cql::DataType& t) -> std::optional<std::optional<std::string>> {
    auto e = r.ReadBytes();
    if (!e.ok()) return std::nullopt;
    if (!*e) return std::optional<std::string>();
    auto inner = NormalizeValue(t, **e);
    return std::optional<std::string>(inner ? std::move(*inner) : std::string(**e));
  };
  std::string out;
  cql::ByteWriter w(&out);
  if (type.kind() == K::kTuple || type.kind() == K::kUdt) {
    for (size_t i = 0; i < params.size() && !r.empty(); ++i) {
      auto e = element(params[i]);
      if (!e) return std::nullopt;
      if (*e) {
        w.WriteBytes(**e);
      } else {
        w.WriteInt(-1);
      }
    }
  } else {
    auto n = r.ReadInt();
    if (!n.ok() || *n < 0) return std::nullopt;
    bool map = type.kind() == K::kMap;
    std::vector<std::pair<std::string, std::string>> items;
    for (int32_t i = 0; i < *n; ++i) {
      auto k = element(params[0]);
      if (!k || !*k) return std::nullopt;
      std::string v;
      if (map) {
        auto mv = element(params[1]);
        if (!mv || !*mv) return std::nullopt;
        v = std::move(**mv);
      }
      items.emplace_back(std::move(**k), std::move(v));
    }
    if (type.kind() != K::kList) {
      const cql::DataType& key_type = params[0];
      // Stable, so of two equal keys the later stays behind the earlier. Of equal keys the
      // first one's bytes stay with the last one's value, as Java's maps and sets keep the key
      // they hold on a put (Cassandra's Sets.Value and Maps.Value).
      std::stable_sort(items.begin(), items.end(), [&](const auto& a, const auto& b) {
        return CompareValues(key_type, a.first, b.first) < 0;
      });
      std::vector<std::pair<std::string, std::string>> unique;
      for (auto& item : items) {
        if (!unique.empty() && CompareValues(key_type, unique.back().first, item.first) == 0) {
          unique.back().second = std::move(item.second);
        } else {
          unique.push_back(std::move(item));
        }
      }
      items = std::move(unique);
    }
    w.WriteInt(static_cast<int32_t>(items.size()));
    for (const auto& [k, v] : items) {
      w.WriteBytes(k);
      if (map) w.WriteBytes(v);
    }
  }
  if (!r.empty()) return std::nullopt;
  if (out == value) return std::nullopt;
  return out;
}

cql::Uuid NewTimeUuid(int64_t unix_micros) {
  static thread_local uint64_t last = 0;
  // 100 ns intervals since 1582-10-15; strictly increasing per thread.
  uint64_t ts = static_cast<uint64_t>(unix_micros) * 10 + 0x01B21DD213814000ULL;
  if (ts <= last) ts = last + 1;
  last = ts;
  return TimeUuidAt(ts);
}

cql::Uuid TimeUuidAt(uint64_t ts) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  cql::Uuid u;
  uint32_t time_low = static_cast<uint32_t>(ts);
  uint16_t time_mid = static_cast<uint16_t>(ts >> 32);
  uint16_t time_hi = static_cast<uint16_t>((ts >> 48) & 0x0FFF) | 0x1000;
  u.bytes = {static_cast<uint8_t>(time_low >> 24), static_cast<uint8_t>(time_low >> 16),
             static_cast<uint8_t>(time_low >> 8),  static_cast<uint8_t>(time_low),
             static_cast<uint8_t>(time_mid >> 8),  static_cast<uint8_t>(time_mid),
             static_cast<uint8_t>(time_hi >> 8),   static_cast<uint8_t>(time_hi)};
  uint64_t rest = rng();
  for (int i = 8; i < 16; ++i, rest >>= 8) u.bytes[i] = static_cast<uint8_t>(rest);
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3F) | 0x80);
  return u;
}

cql::Uuid NewRandomUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  cql::Uuid u;
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 8; ++i, a >>= 8, b >>= 8) {
    u.bytes[i] = static_cast<uint8_t>(a);
    u.bytes[8 + i] = static_cast<uint8_t>(b);
  }
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0F) | 0x40);
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3F) | 0x80);
  return u;
}

}  // namespace postfork::node::cql3
