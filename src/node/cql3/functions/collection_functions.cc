#include "node/cql3/functions/collection_functions.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "postfork/cql/bytes.h"

namespace postfork::node::cql3 {
namespace {

using cql::DataType;
using cql::TypeKind;

// The elements of a serialized list or set, or the keys and values of a map.
struct Element {
  std::string_view key;
  std::string_view value;  // maps only
};
std::optional<std::vector<Element>> Elements(const DataType& type, std::string_view bytes) {
  const bool map = type.kind() == TypeKind::kMap;
  cql::ByteReader r(bytes);
  auto n = r.ReadInt();
  if (!n.ok() || *n < 0) return std::nullopt;
  std::vector<Element> out;
  for (int32_t i = 0; i < *n; ++i) {
    auto k = r.ReadBytes();
    if (!k.ok() || !*k) return std::nullopt;
    Element e{**k, {}};
    if (map) {
      auto v = r.ReadBytes();
      if (!v.ok() || !*v) return std::nullopt;
      e.value = **v;
    }
    out.push_back(e);
  }
  return out;
}

std::string Collection(const std::vector<std::string_view>& elements) {
  std::string out;
  cql::ByteWriter w(&out);
  w.WriteInt(static_cast<int32_t>(elements.size()));
  for (std::string_view e : elements) w.WriteBytes(e);
  return out;
}

bool IsListOrSet(const DataType& t) {
  return t.kind() == TypeKind::kList || t.kind() == TypeKind::kSet;
}
bool IsNumber(TypeKind k) {
  return k == TypeKind::kTinyint || k == TypeKind::kSmallint || k == TypeKind::kInt ||
         k == TypeKind::kBigint || k == TypeKind::kFloat || k == TypeKind::kDouble ||
         k == TypeKind::kDecimal || k == TypeKind::kVarint;
}

Status Requires(std::string_view function, std::string_view what, const std::vector<DataType>& args,
                const std::vector<std::string>& names) {
  return InvalidRequest(
      fmt::format("Function system.{} requires {}, but found argument {} of type {}", function,
                  what, names[0], args[0].ToCql()));
}

// ---- collection functions ---------------------------------------------------------------------

Result<DataType> CollectionResult(std::string_view fn, const std::vector<DataType>& args,
                                  const std::vector<std::string>& names) {
  const DataType& t = args[0];
  if (fn == "map_keys" || fn == "map_values") {
    if (t.kind() != TypeKind::kMap) return Requires(fn, "a map argument", args, names);
    return fn == "map_keys" ? DataType::Set(t.params()[0]) : DataType::List(t.params()[1]);
  }
  if (fn == "collection_count") {
    if (!t.is_collection()) return Requires(fn, "a collection argument", args, names);
    return DataType(TypeKind::kInt);
  }
  if (fn == "collection_min" || fn == "collection_max") {
    if (!IsListOrSet(t)) return Requires(fn, "a set/list argument", args, names);
    return t.params()[0];
  }
  if (!IsListOrSet(t) || !IsNumber(t.params()[0].kind())) {
    return Requires(fn, "a numeric set/list argument", args, names);
  }
  return t.params()[0];
}

std::optional<std::string> MapKeysBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                       const FunctionContext&) {
  auto elements = Elements(types[0], *args[0]);
  if (!elements) return std::nullopt;
  std::vector<std::string_view> keys;
  for (const Element& e : *elements) keys.push_back(e.key);
  return Collection(keys);
}

std::optional<std::string> MapValuesBody(const std::vector<DataType>& types,
                                         const FunctionArgs& args, const FunctionContext&) {
  auto elements = Elements(types[0], *args[0]);
  if (!elements) return std::nullopt;
  std::vector<std::string_view> values;
  for (const Element& e : *elements) values.push_back(e.value);
  return Collection(values);
}

std::optional<std::string> CountBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                     const FunctionContext&) {
  auto elements = Elements(types[0], *args[0]);
  if (!elements) return std::nullopt;
  std::string out;
  cql::ByteWriter(&out).WriteInt(static_cast<int32_t>(elements->size()));
  return out;
}

template <bool kMax>
std::optional<std::string> ExtremeBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                       const FunctionContext&) {
  auto elements = Elements(types[0], *args[0]);
  if (!elements || elements->empty()) return std::nullopt;
  const DataType& element = types[0].params()[0];
  std::string_view best = (*elements)[0].key;
  for (const Element& e : *elements) {
    int c = CompareValues(element, e.key, best);
    if (kMax ? c > 0 : c < 0) best = e.key;
  }
  return std::string(best);
}

// The sum with the element type's own addition (Java's, as Cassandra's), the average that sum
// divided by the count in that type.
template <bool kAverage>
std::optional<std::string> SumBody(const std::vector<DataType>& types, const FunctionArgs& args,
                                   const FunctionContext& c) {
  auto elements = Elements(types[0], *args[0]);
  if (!elements) return std::nullopt;
  const DataType& t = types[0].params()[0];
  const DataType int_type(TypeKind::kInt);
  auto as_type = [&](int32_t n) {
    std::string v;
    cql::ByteWriter(&v).WriteInt(n);
    // (Cassandra declares no cast of a type to itself.)
    if (t.kind() == TypeKind::kInt) return std::optional<std::string>(std::move(v));
    return EvaluateScalar("cast", {int_type, t}, {v}, c.now_micros);
  };
  std::optional<std::string> sum = as_type(0);
  for (const Element& e : *elements) {
    if (!sum) return std::nullopt;
    sum = EvaluateScalar("_add", {t, t}, {sum, std::string(e.key)}, c.now_micros, c.failure);
  }
  if (!kAverage || elements->empty() || !sum) return sum;
  return EvaluateScalar("_divide", {t, t}, {sum, as_type(static_cast<int32_t>(elements->size()))},
                        c.now_micros, c.failure);
}

// ---- masking functions ------------------------------------------------------------------------

Result<DataType> SameType(std::string_view fn, const std::vector<DataType>& args,
                          const std::vector<std::string>& names) {
  if (fn == "mask_replace") {
    const DataType& a = args[0];
    const DataType& b = args[1];
    auto textual = [](TypeKind k) { return k == TypeKind::kText || k == TypeKind::kAscii; };
    if (!(a == b) && !(textual(a.kind()) && textual(b.kind()))) {
      return InvalidRequest(fmt::format(
          "Type error: {} cannot be passed as argument 1 of function system.mask_replace of type "
          "{}",
          names[1], a.ToCql()));
    }
  }
  return args[0];
}

Result<DataType> TextType(std::string_view fn, const std::vector<DataType>& args,
                          const std::vector<std::string>& names) {
  if (args[0].kind() != TypeKind::kText && args[0].kind() != TypeKind::kAscii) {
    return Requires(fn, "an argument of type [text|varchar|ascii]", args, names);
  }
  return args[0];
}

Result<DataType> BlobType(std::string_view, const std::vector<DataType>&,
                          const std::vector<std::string>&) {
  return DataType(TypeKind::kBlob);
}

std::optional<std::string> NullBody(const std::vector<DataType>&, const FunctionArgs&,
                                    const FunctionContext&) {
  return std::nullopt;
}

// Cassandra's masked value of each type: "****" for text, zero, false, the epoch, empty.
std::optional<std::string> DefaultBody(const std::vector<DataType>& types, const FunctionArgs&,
                                       const FunctionContext&) {
  switch (types[0].kind()) {
    case TypeKind::kText:
    case TypeKind::kAscii:
      return std::string("****");
    case TypeKind::kTinyint:
    case TypeKind::kBoolean:
      return std::string(1, '\0');
    case TypeKind::kSmallint:
      return std::string(2, '\0');
    case TypeKind::kInt:
    case TypeKind::kFloat:
    case TypeKind::kInet:
      return std::string(4, '\0');
    case TypeKind::kBigint:
    case TypeKind::kCounter:
    case TypeKind::kDouble:
    case TypeKind::kTimestamp:
    case TypeKind::kTime:
      return std::string(8, '\0');
    case TypeKind::kDate:
      return std::string("\x80\0\0\0", 4);
    case TypeKind::kUuid:
    case TypeKind::kTimeuuid:
      return std::string(16, '\0');
    case TypeKind::kVarint:
      return std::string(1, '\0');
    case TypeKind::kDecimal:
      return std::string(5, '\0');
    case TypeKind::kDuration:
      return std::string(3, '\0');
    case TypeKind::kBlob:
      return std::string();
    case TypeKind::kList:
    case TypeKind::kSet:
    case TypeKind::kMap:
      return std::string(4, '\0');
    default:
      return std::nullopt;
  }
}

std::optional<std::string> ReplaceBody(const std::vector<DataType>&, const FunctionArgs& args,
                                       const FunctionContext&) {
  return args[1];
}

// The UTF-8 code points of `s`.
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) {
      n = 4;
    } else if (c >= 0xE0) {
      n = 3;
    } else if (c >= 0xC0) {
      n = 2;
    }
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// mask_inner keeps `begin` leading and `end` trailing characters and pads the rest; mask_outer
// pads those and keeps the rest. Null or negative counts are zero; the padding defaults to '*'.
template <bool kInner>
std::optional<std::string> PartialBody(const std::vector<DataType>&, const FunctionArgs& args,
                                       const FunctionContext&) {
  if (!args[0]) return std::nullopt;
  auto count = [&](size_t i) -> size_t {
    if (!args[i] || args[i]->size() != 4) return 0;
    int32_t n = static_cast<int32_t>(cql::LoadBE32(args[i]->data()));
    return n < 0 ? 0 : static_cast<size_t>(n);
  };
  size_t begin = count(1), end = count(2);
  std::string pad = args.size() > 3 && args[3] ? *args[3] : std::string("*");
  auto chars = CodePoints(*args[0]);
  std::string out;
  for (size_t i = 0; i < chars.size(); ++i) {
    bool outer = i < begin || i + end >= chars.size();
    out += outer == kInner ? std::string(chars[i]) : pad;
  }
  return out;
}

std::optional<std::string> HashBody(const std::vector<DataType>&, const FunctionArgs& args,
                                    const FunctionContext& c) {
  if (!args[0]) return std::nullopt;
  std::string algorithm = args.size() > 1 && args[1] ? *args[1] : "SHA-256";
  const EVP_MD* md = EVP_get_digestbyname(algorithm.c_str());
  if (!md) {
    if (c.failure && c.failure->ok()) {
      *c.failure = InvalidRequest("Hash algorithm not found: " + algorithm);
    }
    return std::nullopt;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(args[0]->data(), args[0]->size(), digest, &size, md, nullptr) != 1) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace

void AddCollectionFunctions(std::vector<NativeFunction>* out) {
  const DataType any(TypeKind::kCustom);
  auto add = [&](const char* name, FunctionBody body) {
    out->push_back(NativeFunction{.name = name,
                                  .params = {any},
                                  .return_type = any,
                                  .body = body,
                                  .result_type_of = CollectionResult});
  };
  add("map_keys", MapKeysBody);
  add("map_values", MapValuesBody);
  add("collection_count", CountBody);
  add("collection_min", ExtremeBody<false>);
  add("collection_max", ExtremeBody<true>);
  add("collection_sum", SumBody<false>);
  add("collection_avg", SumBody<true>);
}

void AddMaskingFunctions(std::vector<NativeFunction>* out) {
  const DataType any(TypeKind::kCustom), integer(TypeKind::kInt), text(TypeKind::kText);
  auto add = [&](const char* name, std::vector<DataType> params, FunctionBody body,
                 ResultTypeOf result) {
    out->push_back(NativeFunction{.name = name,
                                  .params = std::move(params),
                                  .return_type = any,
                                  .body = body,
                                  .result_type_of = result,
                                  .called_on_null_input = true});
  };
  add("mask_null", {any}, NullBody, SameType);
  add("mask_default", {any}, DefaultBody, SameType);
  add("mask_replace", {any, any}, ReplaceBody, SameType);
  add("mask_inner", {any, integer, integer}, PartialBody<true>, TextType);
  add("mask_inner", {any, integer, integer, text}, PartialBody<true>, TextType);
  add("mask_outer", {any, integer, integer}, PartialBody<false>, TextType);
  add("mask_outer", {any, integer, integer, text}, PartialBody<false>, TextType);
  add("mask_hash", {any}, HashBody, BlobType);
  add("mask_hash", {any, text}, HashBody, BlobType);
}

}  // namespace postfork::node::cql3
