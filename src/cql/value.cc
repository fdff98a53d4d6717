// Serialization of Values as cell bodies, and the one walker that both deserializes and validates.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "postfork/cql/value.h"
#include "utf8.h"

namespace postfork::cql {
namespace {

Status Mismatch(const Value& v, const DataType& type) {
  return Status(StatusCode::kInvalidArgument, "value (alternative " +
                                                  std::to_string(v.variant().index()) +
                                                  ") cannot be serialized as " + type.ToCql());
}

// Any integer alternative, widened to int64.
bool AsInt64(const Value& v, int64_t* out) {
  return std::visit(
      [out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, int16_t> ||
                      std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
          *out = x;
          return true;
        } else {
          return false;
        }
      },
      v.variant());
}

void PutBE(std::string* out, uint64_t v, int bytes) {
  char b[8];
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v);
  out->append(b, static_cast<size_t>(bytes));
}

void PutInt32(std::string* out, int32_t v) { PutBE(out, static_cast<uint32_t>(v), 4); }

Status SerializeIntegral(const Value& v, const DataType& type, int bytes, int64_t lo, int64_t hi,
                         std::string* out) {
  int64_t x;
  if (!AsInt64(v, &x)) return Mismatch(v, type);
  if (x < lo || x > hi)
    return Status(StatusCode::kInvalidArgument,
                  std::to_string(x) + " does not fit in " + type.ToCql());
  PutBE(out, static_cast<uint64_t>(x), bytes);
  return Status::Ok();
}

Status SerializeElement(const Value& e, const DataType& type, std::string* out, bool allow_null,
                        int depth);

}  // namespace

int FixedValueLength(const DataType& type) {
  switch (type.kind()) {
    case TypeKind::kBoolean:
      return 1;
    case TypeKind::kInt:
    case TypeKind::kFloat:
      return 4;
    case TypeKind::kBigint:
    case TypeKind::kDouble:
    case TypeKind::kTimestamp:
      return 8;
    case TypeKind::kUuid:
    case TypeKind::kTimeuuid:
      return 16;
    case TypeKind::kVector: {
      int element = FixedValueLength(type.params()[0]);
      if (element == 0) return 0;
      int64_t total = int64_t{element} * type.dimension();
      return total > INT32_MAX ? 0 : static_cast<int>(total);
    }
    default:
      return 0;
  }
}

namespace {

Status SerializeImpl(const Value& v, const DataType& type, std::string* out, int depth) {
  if (depth > DataType::kMaxDepth)
    return Status(StatusCode::kInvalidArgument, "value nesting too deep");
  if (v.is_null() || v.is_unset())
    return Status(StatusCode::kInvalidArgument, "null or unset is not a cell body");
  switch (type.kind()) {
    case TypeKind::kBoolean:
      if (auto b = v.get_if<bool>()) {
        out->push_back(*b ? 1 : 0);
        return Status::Ok();
      }
      return Mismatch(v, type);
    case TypeKind::kTinyint:
      return SerializeIntegral(v, type, 1, INT8_MIN, INT8_MAX, out);
    case TypeKind::kSmallint:
      return SerializeIntegral(v, type, 2, INT16_MIN, INT16_MAX, out);
    case TypeKind::kInt:
      return SerializeIntegral(v, type, 4, INT32_MIN, INT32_MAX, out);
    case TypeKind::kBigint:
    case TypeKind::kCounter:
      return SerializeIntegral(v, type, 8, INT64_MIN, INT64_MAX, out);
    case TypeKind::kTimestamp:
      if (auto t = v.get_if<Timestamp>()) {
        PutBE(out, static_cast<uint64_t>(t->millis), 8);
        return Status::Ok();
      }
      return SerializeIntegral(v, type, 8, INT64_MIN, INT64_MAX, out);
    case TypeKind::kTime: {
      int64_t n;
      if (auto t = v.get_if<Time>()) {
        n = t->nanos;
      } else if (!AsInt64(v, &n)) {
        return Mismatch(v, type);
      }
      if (n < 0 || n > 86399999999999LL)
        return Status(StatusCode::kInvalidArgument, "time out of range: " + std::to_string(n));
      PutBE(out, static_cast<uint64_t>(n), 8);
      return Status::Ok();
    }
    case TypeKind::kDate: {
      if (auto d = v.get_if<Date>()) {
        PutBE(out, d->days, 4);
        return Status::Ok();
      }
      return SerializeIntegral(v, type, 4, 0, UINT32_MAX, out);
    }
    case TypeKind::kFloat:
      if (auto f = v.get_if<float>()) {
        uint32_t u;
        std::memcpy(&u, f, 4);
        PutBE(out, u, 4);
        return Status::Ok();
      }
      return Mismatch(v, type);
    case TypeKind::kDouble: {
      double d;
      if (auto p = v.get_if<double>()) {
        d = *p;
      } else if (auto f = v.get_if<float>()) {
        d = *f;
      } else {
        return Mismatch(v, type);
      }
      uint64_t u;
      std::memcpy(&u, &d, 8);
      PutBE(out, u, 8);
      return Status::Ok();
    }
    case TypeKind::kAscii:
    case TypeKind::kText: {
      auto s = v.get_if<std::string>();
      if (!s) return Mismatch(v, type);
      if (type.kind() == TypeKind::kAscii ? !IsAscii(*s) : !IsValidUtf8(*s))
        return Status(StatusCode::kInvalidArgument, type.kind() == TypeKind::kAscii
                                                        ? "non-ASCII byte in ascii value"
                                                        : "invalid UTF-8 in text value");
      out->append(*s);
      return Status::Ok();
    }
    case TypeKind::kBlob:
    case TypeKind::kCustom:
      if (auto b = v.get_if<Blob>()) {
        out->append(b->bytes);
        return Status::Ok();
      }
      if (auto s = v.get_if<std::string>()) {
        out->append(*s);
        return Status::Ok();
      }
      return Mismatch(v, type);
    case TypeKind::kUuid:
    case TypeKind::kTimeuuid:
      if (auto u = v.get_if<Uuid>()) {
        if (type.kind() == TypeKind::kTimeuuid && u->version() != 1)
          return Status(StatusCode::kInvalidArgument, "timeuuid must be a version 1 UUID");
        out->append(reinterpret_cast<const char*>(u->bytes.data()), 16);
        return Status::Ok();
      }
      return Mismatch(v, type);
    case TypeKind::kInet:
      if (auto i = v.get_if<Inet>()) {
        if (i->size != 4 && i->size != 16)
          return Status(StatusCode::kInvalidArgument, "inet size must be 4 or 16");
        out->append(reinterpret_cast<const char*>(i->bytes.data()), i->size);
        return Status::Ok();
      }
      return Mismatch(v, type);
    case TypeKind::kVarint: {
      if (auto p = v.get_if<Varint>()) {
        if (p->bytes.empty()) return Status(StatusCode::kInvalidArgument, "empty varint");
        out->append(p->bytes);
        return Status::Ok();
      }
      int64_t x;
      if (!AsInt64(v, &x)) return Mismatch(v, type);
      out->append(Varint::FromInt64(x).bytes);
      return Status::Ok();
    }
    case TypeKind::kDecimal:
      if (auto d = v.get_if<Decimal>()) {
        if (d->unscaled.bytes.empty())
          return Status(StatusCode::kInvalidArgument, "empty decimal unscaled value");
        PutInt32(out, d->scale);
        out->append(d->unscaled.bytes);
        return Status::Ok();
      }
      return Mismatch(v, type);
    case TypeKind::kDuration:
      if (auto d = v.get_if<Duration>()) {
        bool neg = d->months < 0 || d->days < 0 || d->nanos < 0;
        bool pos = d->months > 0 || d->days > 0 || d->nanos > 0;
        if (neg && pos)
          return Status(StatusCode::kInvalidArgument,
                        "duration months, days and nanos must share a sign");
        ByteWriter w(out);
        w.WriteVInt(d->months);
        w.WriteVInt(d->days);
        w.WriteVInt(d->nanos);
        return Status::Ok();
      }
      return Mismatch(v, type);
    case TypeKind::kList:
    case TypeKind::kSet: {
      auto l = v.get_if<ValueList>();
      if (!l) return Mismatch(v, type);
      PutInt32(out, static_cast<int32_t>(l->size()));
      for (const Value& e : *l)
        PF_RETURN_IF_ERROR(SerializeElement(e, type.params()[0], out, false, depth + 1));
      return Status::Ok();
    }
    case TypeKind::kMap: {
      auto m = v.get_if<ValueMap>();
      if (!m) return Mismatch(v, type);
      PutInt32(out, static_cast<int32_t>(m->size()));
      for (const MapEntry& e : *m) {
        PF_RETURN_IF_ERROR(SerializeElement(e.key, type.params()[0], out, false, depth + 1));
        PF_RETURN_IF_ERROR(SerializeElement(e.value, type.params()[1], out, false, depth + 1));
      }
      return Status::Ok();
    }
    case TypeKind::kVector: {
      auto l = v.get_if<ValueList>();
      if (!l) return Mismatch(v, type);
      if (l->size() != static_cast<size_t>(type.dimension()))
        return Status(StatusCode::kInvalidArgument, "Required " + std::to_string(type.dimension()) +
                                                        " elements, but saw " +
                                                        std::to_string(l->size()));
      const DataType& element = type.params()[0];
      bool fixed = FixedValueLength(element) > 0;
      std::string body;
      for (const Value& e : *l) {
        if (e.is_null() || e.is_unset())
          return Status(StatusCode::kInvalidArgument, "null is not supported inside vectors");
        body.clear();
        PF_RETURN_IF_ERROR(SerializeImpl(e, element, &body, depth + 1));
        if (!fixed) ByteWriter(out).WriteUnsignedVInt(body.size());
        out->append(body);
      }
      return Status::Ok();
    }
    case TypeKind::kTuple:
    case TypeKind::kUdt: {
      auto l = v.get_if<ValueList>();
      if (!l) return Mismatch(v, type);
      if (l->size() > type.params().size())
        return Status(StatusCode::kInvalidArgument, std::to_string(l->size()) + " components for " +
                                                        type.ToCql() + " of " +
                                                        std::to_string(type.params().size()));
      for (size_t i = 0; i < l->size(); ++i)
        PF_RETURN_IF_ERROR(SerializeElement((*l)[i], type.params()[i], out, true, depth + 1));
      return Status::Ok();
    }
  }
  return Mismatch(v, type);
}

Status SerializeElement(const Value& e, const DataType& type, std::string* out, bool allow_null,
                        int depth) {
  if (e.is_null() || e.is_unset()) {
    if (!allow_null)
      return Status(StatusCode::kInvalidArgument, "null is not allowed inside a collection");
    PutInt32(out, -1);
    return Status::Ok();
  }
  size_t at = out->size();
  out->append(4, '\0');
  PF_RETURN_IF_ERROR(SerializeImpl(e, type, out, depth));
  uint32_t n = static_cast<uint32_t>(out->size() - at - 4);
  for (int i = 0; i < 4; ++i) (*out)[at + i] = static_cast<char>(n >> (24 - 8 * i));
  return Status::Ok();
}

Status Bad(const DataType& type, std::string_view what) {
  return Status(StatusCode::kMalformed,
                std::string("invalid ") + type.ToCql() + " value: " + std::string(what));
}

Status BadSize(const DataType& type, size_t size) {
  return Bad(type, "size " + std::to_string(size));
}

// Decodes `body` as `type` into *out, or only validates it when out is null.
Status Walk(std::string_view body, const DataType& type, int depth, Value* out) {
  if (depth > DataType::kMaxDepth) return Bad(type, "nesting too deep");
  const char* p = body.data();
  size_t n = body.size();
  TypeKind kind = type.kind();
  // An empty body is a legal "empty" value for every type Cassandra allows it for; it reads as
  // null except for the string-like types.
  if (n == 0 && kind == TypeKind::kVector) return Bad(type, "Invalid empty vector value");
  if (n == 0 && kind != TypeKind::kText && kind != TypeKind::kAscii && kind != TypeKind::kBlob &&
      kind != TypeKind::kCustom) {
    if (out) *out = Null{};
    return Status::Ok();
  }
  switch (kind) {
    case TypeKind::kBoolean:
      if (n != 1) return BadSize(type, n);
      if (out) *out = (*p != 0);
      return Status::Ok();
    case TypeKind::kTinyint:
      if (n != 1) return BadSize(type, n);
      if (out) *out = static_cast<int8_t>(*p);
      return Status::Ok();
    case TypeKind::kSmallint:
      if (n != 2) return BadSize(type, n);
      if (out) *out = static_cast<int16_t>(LoadBE16(p));
      return Status::Ok();
    case TypeKind::kInt:
      if (n != 4) return BadSize(type, n);
      if (out) *out = static_cast<int32_t>(LoadBE32(p));
      return Status::Ok();
    case TypeKind::kBigint:
    case TypeKind::kCounter:
      if (n != 8) return BadSize(type, n);
      if (out) *out = static_cast<int64_t>(LoadBE64(p));
      return Status::Ok();
    case TypeKind::kTimestamp:
      if (n != 8) return BadSize(type, n);
      if (out) *out = Timestamp{static_cast<int64_t>(LoadBE64(p))};
      return Status::Ok();
    case TypeKind::kTime: {
      if (n != 8) return BadSize(type, n);
      int64_t t = static_cast<int64_t>(LoadBE64(p));
      if (t < 0 || t > 86399999999999LL) return Bad(type, "out of range");
      if (out) *out = Time{t};
      return Status::Ok();
    }
    case TypeKind::kDate:
      if (n != 4) return BadSize(type, n);
      if (out) *out = Date{LoadBE32(p)};
      return Status::Ok();
    case TypeKind::kFloat: {
      if (n != 4) return BadSize(type, n);
      if (out) {
        uint32_t u = LoadBE32(p);
        float f;
        std::memcpy(&f, &u, 4);
        *out = f;
      }
      return Status::Ok();
    }
    case TypeKind::kDouble: {
      if (n != 8) return BadSize(type, n);
      if (out) {
        uint64_t u = LoadBE64(p);
        double d;
        std::memcpy(&d, &u, 8);
        *out = d;
      }
      return Status::Ok();
    }
    case TypeKind::kAscii:
      if (!IsAscii(body)) return Bad(type, "non-ASCII byte");
      if (out) *out = std::string(body);
      return Status::Ok();
    case TypeKind::kText:
      if (!IsValidUtf8(body)) return Bad(type, "invalid UTF-8");
      if (out) *out = std::string(body);
      return Status::Ok();
    case TypeKind::kBlob:
    case TypeKind::kCustom:
      if (out) *out = Blob{std::string(body)};
      return Status::Ok();
    case TypeKind::kUuid:
    case TypeKind::kTimeuuid: {
      if (n != 16) return BadSize(type, n);
      Uuid u;
      std::memcpy(u.bytes.data(), p, 16);
      if (kind == TypeKind::kTimeuuid && u.version() != 1) return Bad(type, "not version 1");
      if (out) *out = u;
      return Status::Ok();
    }
    case TypeKind::kInet: {
      if (n != 4 && n != 16) return BadSize(type, n);
      if (out) {
        Inet i;
        i.size = static_cast<uint8_t>(n);
        std::memcpy(i.bytes.data(), p, n);
        *out = i;
      }
      return Status::Ok();
    }
    case TypeKind::kVarint:
      if (out) *out = Varint::FromBytes(body);
      return Status::Ok();
    case TypeKind::kDecimal: {
      if (n < 5) return BadSize(type, n);
      if (out) {
        Decimal d;
        d.scale = static_cast<int32_t>(LoadBE32(p));
        d.unscaled = Varint::FromBytes(body.substr(4));
        *out = std::move(d);
      }
      return Status::Ok();
    }
    case TypeKind::kDuration: {
      ByteReader r(body);
      auto months = r.ReadVInt();
      if (!months.ok()) return Bad(type, "truncated months");
      auto days = r.ReadVInt();
      if (!days.ok()) return Bad(type, "truncated days");
      auto nanos = r.ReadVInt();
      if (!nanos.ok()) return Bad(type, "truncated nanoseconds");
      if (!r.empty()) return Bad(type, "trailing bytes");
      if (*months < INT32_MIN || *months > INT32_MAX || *days < INT32_MIN || *days > INT32_MAX)
        return Bad(type, "months or days out of range");
      bool neg = *months < 0 || *days < 0 || *nanos < 0;
      bool pos = *months > 0 || *days > 0 || *nanos > 0;
      if (neg && pos) return Bad(type, "mixed signs");
      if (out) *out = Duration{static_cast<int32_t>(*months), static_cast<int32_t>(*days), *nanos};
      return Status::Ok();
    }
    case TypeKind::kList:
    case TypeKind::kSet:
    case TypeKind::kMap: {
      ByteReader r(body);
      auto count = r.ReadInt();
      if (!count.ok()) return Bad(type, "truncated element count");
      bool is_map = kind == TypeKind::kMap;
      Status st = r.CheckCount(*count, is_map ? 8 : 4, "collection element");
      if (!st.ok()) return Bad(type, st.message());
      ValueList list;
      ValueMap map;
      if (out) {
        if (is_map) {
          map.reserve(static_cast<size_t>(*count));
        } else {
          list.reserve(static_cast<size_t>(*count));
        }
      }
      for (int32_t i = 0; i < *count; ++i) {
        Value kv[2];
        for (int part = 0; part < (is_map ? 2 : 1); ++part) {
          auto e = r.ReadBytes();
          if (!e.ok()) return Bad(type, "truncated element");
          if (!*e) return Bad(type, "null element");
          PF_RETURN_IF_ERROR(Walk(**e, type.params()[part], depth + 1, out ? &kv[part] : nullptr));
        }
        if (out) {
          if (is_map) {
            map.push_back(MapEntry{std::move(kv[0]), std::move(kv[1])});
          } else {
            list.push_back(std::move(kv[0]));
          }
        }
      }
      if (!r.empty()) return Bad(type, "trailing bytes");
      if (out) {
        if (is_map) {
          *out = std::move(map);
        } else {
          *out = std::move(list);
        }
      }
      return Status::Ok();
    }
    case TypeKind::kVector: {
      auto elements = SplitVectorElements(body, type);
      if (!elements.ok()) return Bad(type, elements.error().message());
      ValueList list;
      if (out) list.reserve(elements->size());
      for (std::string_view e : *elements) {
        Value v;
        PF_RETURN_IF_ERROR(Walk(e, type.params()[0], depth + 1, out ? &v : nullptr));
        if (out) list.push_back(std::move(v));
      }
      if (out) *out = std::move(list);
      return Status::Ok();
    }
    case TypeKind::kTuple:
    case TypeKind::kUdt: {
      ByteReader r(body);
      ValueList list;
      const auto& params = type.params();
      if (out) list.reserve(params.size());
      // Trailing components may be missing (a UDT that gained fields): they read as null.
      for (size_t i = 0; i < params.size() && !r.empty(); ++i) {
        auto e = r.ReadBytes();
        if (!e.ok()) return Bad(type, "truncated component");
        Value v;
        if (*e) PF_RETURN_IF_ERROR(Walk(**e, params[i], depth + 1, out ? &v : nullptr));
        if (out) list.push_back(std::move(v));
      }
      if (!r.empty()) return Bad(type, "trailing bytes");
      if (out) *out = std::move(list);
      return Status::Ok();
    }
  }
  return Bad(type, "unknown type");
}

}  // namespace

bool Value::operator==(const Value& other) const { return v_ == other.v_; }

Result<std::vector<std::string_view>> SplitVectorElements(std::string_view body,
                                                          const DataType& type) {
  auto bad = [&](std::string what) { return Status(StatusCode::kMalformed, std::move(what)); };
  if (body.empty()) return bad("Invalid empty vector value");
  const DataType& element = type.params()[0];
  auto fixed = static_cast<size_t>(FixedValueLength(element));
  auto dimension = static_cast<size_t>(type.dimension());
  std::vector<std::string_view> out;
  out.reserve(std::min(dimension, body.size()));
  ByteReader r(body);
  if (fixed > 0 && body.size() < fixed * dimension)
    return bad("Not enough bytes to read a " + type.ToCql());
  for (size_t i = 0; i < dimension; ++i) {
    if (fixed > 0) {
      out.push_back(body.substr(i * fixed, fixed));
      continue;
    }
    if (r.empty()) return bad("Not enough bytes to read a " + type.ToCql());
    auto size = r.ReadUnsignedVInt();
    if (!size.ok() || *size > r.remaining()) return bad("truncated vector element");
    out.push_back(*r.ReadRaw(static_cast<size_t>(*size)));
  }
  size_t consumed = fixed > 0 ? fixed * dimension : body.size() - r.remaining();
  if (consumed != body.size())
    return bad("Unexpected " + std::to_string(body.size() - consumed) + " extraneous bytes after " +
               type.ToCql() + " value");
  return out;
}

Status SerializeValue(const Value& v, const DataType& type, std::string* out) {
  return SerializeImpl(v, type, out, 0);
}

Status WriteValue(const Value& v, const DataType& type, ByteWriter& w) {
  if (v.is_null()) {
    w.WriteInt(-1);
    return Status::Ok();
  }
  if (v.is_unset()) {
    w.WriteInt(-2);
    return Status::Ok();
  }
  std::string* out = w.buffer();
  size_t at = w.BeginLength();
  Status st = SerializeImpl(v, type, out, 0);
  if (!st.ok()) {
    out->resize(at);  // leave the buffer as it was
    return st;
  }
  w.FinishLength(at);
  return Status::Ok();
}

Result<Value> DeserializeValue(std::string_view body, const DataType& type) {
  Value v;
  PF_RETURN_IF_ERROR(Walk(body, type, 0, &v));
  return v;
}

Status ValidateValue(std::string_view body, const DataType& type) {
  return Walk(body, type, 0, nullptr);
}

}  // namespace postfork::cql
