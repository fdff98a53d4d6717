#include "postfork/cql/types.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>

#include "postfork/base/ascii.h"

namespace postfork::cql {

struct DataType::Detail {
  bool frozen = false;
  std::vector<DataType> params;
  std::string keyspace;  // UDT
  std::string name;      // UDT name, or custom class
  std::vector<std::string> field_names;
  int32_t dimension = 0;  // vector
};

namespace {

const std::vector<DataType> kNoParams;
const std::vector<std::string> kNoNames;
const std::string kEmpty;

// Nested collections, UDTs and tuples are frozen whatever the wire or text says: Cassandra
// allows nothing else inside a collection or tuple.
DataType FreezeNested(DataType t) {
  if (t.is_collection() || t.kind() == TypeKind::kUdt) return t.Frozen();
  return t;
}

constexpr TypeKind kNatives[] = {
    TypeKind::kAscii,   TypeKind::kBigint,    TypeKind::kBlob,    TypeKind::kBoolean,
    TypeKind::kCounter, TypeKind::kDecimal,   TypeKind::kDouble,  TypeKind::kFloat,
    TypeKind::kInt,     TypeKind::kTimestamp, TypeKind::kUuid,    TypeKind::kText,
    TypeKind::kVarint,  TypeKind::kTimeuuid,  TypeKind::kInet,    TypeKind::kDate,
    TypeKind::kTime,    TypeKind::kSmallint,  TypeKind::kTinyint, TypeKind::kDuration};

bool IsKnownNative(uint16_t id) { return (id >= 0x0001 && id <= 0x0015 && id != 0x000A); }

Status Malformed(std::string msg) { return Status(StatusCode::kMalformed, std::move(msg)); }

}  // namespace

bool IsReservedKeyword(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      "add",      "allow",    "alter",        "and",          "apply",  "asc",         "authorize",
      "batch",    "begin",    "by",           "columnfamily", "create", "delete",      "desc",
      "describe", "drop",     "entries",      "execute",      "from",   "full",        "grant",
      "if",       "in",       "index",        "infinity",     "insert", "into",        "is",
      "keyspace", "limit",    "materialized", "modify",       "nan",    "norecursive", "not",
      "null",     "of",       "on",           "or",           "order",  "primary",     "rename",
      "revoke",   "schema",   "select",       "set",          "table",  "to",          "token",
      "truncate", "unlogged", "update",       "use",          "using",  "view",        "where",
      "with"};
  return std::binary_search(std::begin(kReserved), std::end(kReserved), name);
}

namespace {

bool NeedsQuoting(std::string_view name) {
  if (name.empty()) return true;
  if (!std::islower(static_cast<unsigned char>(name[0]))) return true;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!(std::islower(u) || std::isdigit(u) || c == '_')) return true;
  }
  return IsReservedKeyword(name);
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) {
  if (!NeedsQuoting(name)) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string_view NativeTypeName(TypeKind kind) {
  switch (kind) {
    case TypeKind::kCustom:
      return "custom";
    case TypeKind::kAscii:
      return "ascii";
    case TypeKind::kBigint:
      return "bigint";
    case TypeKind::kBlob:
      return "blob";
    case TypeKind::kBoolean:
      return "boolean";
    case TypeKind::kCounter:
      return "counter";
    case TypeKind::kDecimal:
      return "decimal";
    case TypeKind::kDouble:
      return "double";
    case TypeKind::kFloat:
      return "float";
    case TypeKind::kInt:
      return "int";
    case TypeKind::kTimestamp:
      return "timestamp";
    case TypeKind::kUuid:
      return "uuid";
    case TypeKind::kText:
      return "text";
    case TypeKind::kVarint:
      return "varint";
    case TypeKind::kTimeuuid:
      return "timeuuid";
    case TypeKind::kInet:
      return "inet";
    case TypeKind::kDate:
      return "date";
    case TypeKind::kTime:
      return "time";
    case TypeKind::kSmallint:
      return "smallint";
    case TypeKind::kTinyint:
      return "tinyint";
    case TypeKind::kDuration:
      return "duration";
    case TypeKind::kList:
      return "list";
    case TypeKind::kMap:
      return "map";
    case TypeKind::kSet:
      return "set";
    case TypeKind::kUdt:
      return "udt";
    case TypeKind::kTuple:
      return "tuple";
    case TypeKind::kVector:
      return "vector";
  }
  return "unknown";
}

DataType DataType::List(DataType element, bool frozen) {
  auto d = std::make_shared<Detail>();
  d->frozen = frozen;
  d->params.push_back(FreezeNested(std::move(element)));
  return DataType(TypeKind::kList, std::move(d));
}

DataType DataType::Set(DataType element, bool frozen) {
  auto d = std::make_shared<Detail>();
  d->frozen = frozen;
  d->params.push_back(FreezeNested(std::move(element)));
  return DataType(TypeKind::kSet, std::move(d));
}

DataType DataType::Map(DataType key, DataType value, bool frozen) {
  auto d = std::make_shared<Detail>();
  d->frozen = frozen;
  d->params.push_back(FreezeNested(std::move(key)));
  d->params.push_back(FreezeNested(std::move(value)));
  return DataType(TypeKind::kMap, std::move(d));
}

DataType DataType::Tuple(std::vector<DataType> elements) {
  auto d = std::make_shared<Detail>();
  d->frozen = true;
  for (auto& e : elements) d->params.push_back(FreezeNested(std::move(e)));
  return DataType(TypeKind::kTuple, std::move(d));
}

DataType DataType::Udt(std::string keyspace, std::string name, std::vector<std::string> field_names,
                       std::vector<DataType> field_types, bool frozen) {
  auto d = std::make_shared<Detail>();
  d->frozen = frozen;
  d->keyspace = std::move(keyspace);
  d->name = std::move(name);
  d->field_names = std::move(field_names);
  for (auto& e : field_types) d->params.push_back(FreezeNested(std::move(e)));
  return DataType(TypeKind::kUdt, std::move(d));
}

DataType DataType::Custom(std::string java_class) {
  auto d = std::make_shared<Detail>();
  d->name = std::move(java_class);
  return DataType(TypeKind::kCustom, std::move(d));
}

DataType DataType::Vector(DataType element, int32_t dimension) {
  auto d = std::make_shared<Detail>();
  d->frozen = true;
  d->params.push_back(element.Frozen());
  d->dimension = dimension;
  return DataType(TypeKind::kVector, std::move(d));
}

int32_t DataType::dimension() const {
  return detail_ && kind_ == TypeKind::kVector ? detail_->dimension : 0;
}

bool DataType::is_frozen() const { return detail_ && detail_->frozen; }

DataType DataType::Frozen() const {
  if (!detail_ || detail_->frozen || kind_ == TypeKind::kCustom) return *this;
  auto d = std::make_shared<Detail>(*detail_);
  d->frozen = true;
  return DataType(kind_, std::move(d));
}

const std::vector<DataType>& DataType::params() const {
  return detail_ ? detail_->params : kNoParams;
}
const std::string& DataType::udt_keyspace() const {
  return detail_ && kind_ == TypeKind::kUdt ? detail_->keyspace : kEmpty;
}
const std::string& DataType::udt_name() const {
  return detail_ && kind_ == TypeKind::kUdt ? detail_->name : kEmpty;
}
const std::vector<std::string>& DataType::field_names() const {
  return detail_ ? detail_->field_names : kNoNames;
}
const std::string& DataType::custom_class() const {
  return detail_ && kind_ == TypeKind::kCustom ? detail_->name : kEmpty;
}

std::string DataType::ToCql() const {
  std::string inner;
  switch (kind_) {
    case TypeKind::kCustom: {
      inner = "'";
      for (char c : custom_class()) {
        if (c == '\'') inner += '\'';
        inner += c;
      }
      inner += "'";
      return inner;
    }
    case TypeKind::kList:
    case TypeKind::kSet:
      inner = std::string(NativeTypeName(kind_)) + "<" + params()[0].ToCql() + ">";
      break;
    case TypeKind::kMap:
      inner = "map<" + params()[0].ToCql() + ", " + params()[1].ToCql() + ">";
      break;
    case TypeKind::kTuple: {
      inner = "tuple<";
      for (size_t i = 0; i < params().size(); ++i) {
        if (i) inner += ", ";
        inner += params()[i].ToCql();
      }
      inner += ">";
      break;
    }
    case TypeKind::kUdt:
      inner = QuoteIdentifier(udt_name());
      break;
    case TypeKind::kVector:  // frozen by nature: Cassandra never prints frozen<vector<...>>
      return "vector<" + params()[0].ToCql() + ", " + std::to_string(dimension()) + ">";
    default:
      return std::string(NativeTypeName(kind_));
  }
  if (is_frozen()) return "frozen<" + inner + ">";
  return inner;
}

void DataType::Encode(ByteWriter& w, int protocol_version) const {
  if (protocol_version < 4) {
    std::string_view v3_custom;
    switch (kind_) {
      case TypeKind::kDate:
        v3_custom = "org.apache.cassandra.db.marshal.SimpleDateType";
        break;
      case TypeKind::kTime:
        v3_custom = "org.apache.cassandra.db.marshal.TimeType";
        break;
      case TypeKind::kSmallint:
        v3_custom = "org.apache.cassandra.db.marshal.ShortType";
        break;
      case TypeKind::kTinyint:
        v3_custom = "org.apache.cassandra.db.marshal.ByteType";
        break;
      case TypeKind::kDuration:
        v3_custom = "org.apache.cassandra.db.marshal.DurationType";
        break;
      default:
        break;
    }
    if (!v3_custom.empty()) {
      w.WriteShort(static_cast<uint16_t>(TypeKind::kCustom));
      w.WriteString(v3_custom);
      return;
    }
  }
  if (kind_ == TypeKind::kVector) {
    w.WriteShort(static_cast<uint16_t>(TypeKind::kCustom));
    w.WriteString(MarshalClass());
    return;
  }
  w.WriteShort(static_cast<uint16_t>(kind_));
  switch (kind_) {
    case TypeKind::kCustom:
      w.WriteString(custom_class());
      break;
    case TypeKind::kList:
    case TypeKind::kSet:
      params()[0].Encode(w, protocol_version);
      break;
    case TypeKind::kMap:
      params()[0].Encode(w, protocol_version);
      params()[1].Encode(w, protocol_version);
      break;
    case TypeKind::kUdt:
      w.WriteString(udt_keyspace());
      w.WriteString(udt_name());
      w.WriteShort(static_cast<uint16_t>(params().size()));
      for (size_t i = 0; i < params().size(); ++i) {
        w.WriteString(field_names()[i]);
        params()[i].Encode(w, protocol_version);
      }
      break;
    case TypeKind::kTuple:
      w.WriteShort(static_cast<uint16_t>(params().size()));
      for (const auto& p : params()) p.Encode(w, protocol_version);
      break;
    default:
      break;
  }
}

namespace {

constexpr std::string_view kMarshalPackage = "org.apache.cassandra.db.marshal.";
constexpr std::string_view kVectorClass = "org.apache.cassandra.db.marshal.VectorType(";

std::string_view MarshalName(TypeKind kind) {
  switch (kind) {
    case TypeKind::kAscii:
      return "AsciiType";
    case TypeKind::kBigint:
      return "LongType";
    case TypeKind::kBlob:
      return "BytesType";
    case TypeKind::kBoolean:
      return "BooleanType";
    case TypeKind::kCounter:
      return "CounterColumnType";
    case TypeKind::kDecimal:
      return "DecimalType";
    case TypeKind::kDouble:
      return "DoubleType";
    case TypeKind::kFloat:
      return "FloatType";
    case TypeKind::kInt:
      return "Int32Type";
    case TypeKind::kTimestamp:
      return "TimestampType";
    case TypeKind::kUuid:
      return "UUIDType";
    case TypeKind::kText:
      return "UTF8Type";
    case TypeKind::kVarint:
      return "IntegerType";
    case TypeKind::kTimeuuid:
      return "TimeUUIDType";
    case TypeKind::kInet:
      return "InetAddressType";
    case TypeKind::kDate:
      return "SimpleDateType";
    case TypeKind::kTime:
      return "TimeType";
    case TypeKind::kSmallint:
      return "ShortType";
    case TypeKind::kTinyint:
      return "ByteType";
    case TypeKind::kDuration:
      return "DurationType";
    case TypeKind::kList:
      return "ListType";
    case TypeKind::kSet:
      return "SetType";
    case TypeKind::kMap:
      return "MapType";
    case TypeKind::kTuple:
      return "TupleType";
    case TypeKind::kUdt:
      return "UserType";
    case TypeKind::kVector:
      return "VectorType";
    case TypeKind::kCustom:
      break;
  }
  return {};
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

// AbstractType.toString(ignoreFreezing): a frozen collection, tuple or UDT is wrapped in
// FrozenType(...) unless an enclosing frozen type already says so.
std::string MarshalText(const DataType& t, bool ignore_freezing) {
  if (t.kind() == TypeKind::kCustom) return t.custom_class();
  std::string name = std::string(kMarshalPackage) + std::string(MarshalName(t.kind()));
  if (t.kind() == TypeKind::kVector) {
    return name + "(" + MarshalText(t.params()[0], ignore_freezing) + " , " +
           std::to_string(t.dimension()) + ")";
  }
  if (t.is_native()) return name;
  bool wrap = t.is_frozen() && !ignore_freezing;
  bool inner_ignore = ignore_freezing || t.is_frozen();
  std::string args;
  if (t.kind() == TypeKind::kUdt) {
    args = t.udt_keyspace() + "," + Hex(t.udt_name());
    for (size_t i = 0; i < t.params().size(); ++i)
      args += "," + Hex(t.field_names()[i]) + ":" + MarshalText(t.params()[i], inner_ignore);
  } else {
    for (const auto& p : t.params())
      args += (args.empty() ? "" : ",") + MarshalText(p, inner_ignore);
  }
  std::string out = name + "(" + args + ")";
  if (wrap) out = std::string(kMarshalPackage) + "FrozenType(" + out + ")";
  return out;
}

// Parses a marshal class name (MarshalText's output, for the types a vector element can be:
// native, collections, tuples, nested vectors, FrozenType and ReversedType wrappers). nullopt
// for anything else (the caller keeps the type as an opaque custom class).
std::optional<DataType> ParseMarshal(std::string_view* s, int depth) {
  if (depth > DataType::kMaxDepth) return std::nullopt;
  auto skip_space = [&] {
    while (!s->empty() && s->front() == ' ') s->remove_prefix(1);
  };
  auto consume = [&](char c) {
    skip_space();
    if (s->empty() || s->front() != c) return false;
    s->remove_prefix(1);
    return true;
  };
  skip_space();
  if (s->starts_with(kMarshalPackage)) s->remove_prefix(kMarshalPackage.size());
  size_t n = 0;
  while (n < s->size() && std::isalnum(static_cast<unsigned char>((*s)[n]))) ++n;
  std::string_view name = s->substr(0, n);
  s->remove_prefix(n);
  for (TypeKind k : kNatives) {
    if (name == MarshalName(k)) return DataType(k);
  }
  if (!consume('(')) return std::nullopt;
  std::vector<DataType> params;
  if (name == "VectorType") {
    auto element = ParseMarshal(s, depth + 1);
    if (!element || !consume(',')) return std::nullopt;
    skip_space();
    size_t d = 0;
    while (d < s->size() && std::isdigit(static_cast<unsigned char>((*s)[d]))) ++d;
    if (d == 0 || d > 10) return std::nullopt;
    int64_t dimension = std::stoll(std::string(s->substr(0, d)));
    s->remove_prefix(d);
    if (dimension <= 0 || dimension > INT32_MAX || !consume(')')) return std::nullopt;
    return DataType::Vector(*element, static_cast<int32_t>(dimension));
  }
  while (true) {
    auto p = ParseMarshal(s, depth + 1);
    if (!p) return std::nullopt;
    params.push_back(std::move(*p));
    if (consume(',')) continue;
    if (consume(')')) break;
    return std::nullopt;
  }
  if ((name == "FrozenType" || name == "ReversedType") && params.size() == 1) {
    return name == "FrozenType" ? params[0].Frozen() : params[0];
  }
  if ((name == "ListType" || name == "SetType") && params.size() == 1)
    return name == "ListType" ? DataType::List(params[0]) : DataType::Set(params[0]);
  if (name == "MapType" && params.size() == 2) return DataType::Map(params[0], params[1]);
  if (name == "TupleType") return DataType::Tuple(std::move(params));
  return std::nullopt;
}

Result<DataType> DecodeOption(ByteReader& r, int depth) {
  if (depth > DataType::kMaxDepth)
    return Malformed("type nesting deeper than " + std::to_string(DataType::kMaxDepth));
  PF_ASSIGN_OR_RETURN(uint16_t id, r.ReadShort());
  if (IsKnownNative(id)) return DataType(static_cast<TypeKind>(id));
  switch (static_cast<TypeKind>(id)) {
    case TypeKind::kCustom: {
      PF_ASSIGN_OR_RETURN(std::string_view cls, r.ReadString());
      if (cls.starts_with(kVectorClass)) {
        std::string_view rest = cls;
        auto vector = ParseMarshal(&rest, depth);
        if (vector && rest.empty()) return *vector;
      }
      return DataType::Custom(std::string(cls));
    }
    case TypeKind::kList:
    case TypeKind::kSet: {
      PF_ASSIGN_OR_RETURN(DataType e, DecodeOption(r, depth + 1));
      return id == 0x20 ? DataType::List(std::move(e)) : DataType::Set(std::move(e));
    }
    case TypeKind::kMap: {
      PF_ASSIGN_OR_RETURN(DataType k, DecodeOption(r, depth + 1));
      PF_ASSIGN_OR_RETURN(DataType v, DecodeOption(r, depth + 1));
      return DataType::Map(std::move(k), std::move(v));
    }
    case TypeKind::kUdt: {
      PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      PF_ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
      PF_ASSIGN_OR_RETURN(uint16_t n, r.ReadShort());
      PF_RETURN_IF_ERROR(r.CheckCount(n, 4, "UDT field"));
      std::vector<std::string> names;
      std::vector<DataType> types;
      names.reserve(n);
      types.reserve(n);
      for (uint16_t i = 0; i < n; ++i) {
        PF_ASSIGN_OR_RETURN(std::string_view fname, r.ReadString());
        PF_ASSIGN_OR_RETURN(DataType ft, DecodeOption(r, depth + 1));
        names.emplace_back(fname);
        types.push_back(std::move(ft));
      }
      return DataType::Udt(std::string(ks), std::string(name), std::move(names), std::move(types));
    }
    case TypeKind::kTuple: {
      PF_ASSIGN_OR_RETURN(uint16_t n, r.ReadShort());
      PF_RETURN_IF_ERROR(r.CheckCount(n, 2, "tuple element"));
      std::vector<DataType> types;
      types.reserve(n);
      for (uint16_t i = 0; i < n; ++i) {
        PF_ASSIGN_OR_RETURN(DataType t, DecodeOption(r, depth + 1));
        types.push_back(std::move(t));
      }
      return DataType::Tuple(std::move(types));
    }
    default:
      break;
  }
  return Malformed("unknown type option id " + std::to_string(id));
}

// A small recursive-descent parser over CQL type text.
class TypeParser {
 public:
  TypeParser(std::string_view text, const DataType::UdtResolver* udts, std::string_view keyspace)
      : s_(text), udts_(udts), keyspace_(keyspace) {}

  Result<DataType> ParseAll() {
    PF_ASSIGN_OR_RETURN(DataType t, ParseType(0));
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected text after the type");
    return t;
  }

 private:
  Status Error(std::string_view what) const {
    return Status(StatusCode::kInvalidArgument, "cannot parse type '" + std::string(s_) + "' at " +
                                                    std::to_string(pos_) + ": " +
                                                    std::string(what));
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // An identifier: unquoted (lower-cased, as CQL does) or "double quoted" (case kept).
  Result<std::string> ParseIdentifier(bool* quoted) {
    SkipSpace();
    *quoted = false;
    if (pos_ < s_.size() && s_[pos_] == '"') {
      *quoted = true;
      std::string out;
      ++pos_;
      while (true) {
        if (pos_ >= s_.size()) return Error("unterminated quoted identifier");
        char c = s_[pos_++];
        if (c == '"') {
          if (pos_ < s_.size() && s_[pos_] == '"') {
            out += '"';
            ++pos_;
            continue;
          }
          break;
        }
        out += c;
      }
      return out;
    }
    size_t start = pos_;
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (!(std::isalnum(c) || c == '_')) break;
      ++pos_;
    }
    if (start == pos_) return Error("expected a type name");
    return ascii::Lower(s_.substr(start, pos_ - start));
  }

  Result<std::vector<DataType>> ParseParams(int depth) {
    if (!Consume('<')) return Error("expected '<'");
    std::vector<DataType> out;
    while (true) {
      PF_ASSIGN_OR_RETURN(DataType t, ParseType(depth + 1));
      out.push_back(std::move(t));
      if (Consume(',')) continue;
      if (Consume('>')) break;
      return Error("expected ',' or '>'");
    }
    return out;
  }

  Result<DataType> ParseType(int depth) {
    if (depth > DataType::kMaxDepth) return Error("type nesting too deep");
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '\'') {
      std::string cls;
      ++pos_;
      while (true) {
        if (pos_ >= s_.size()) return Error("unterminated custom class name");
        char c = s_[pos_++];
        if (c == '\'') {
          if (pos_ < s_.size() && s_[pos_] == '\'') {
            cls += '\'';
            ++pos_;
            continue;
          }
          break;
        }
        cls += c;
      }
      if (cls.size() > 0xFFFF) return Error("custom class name longer than 65535 bytes");
      return DataType::Custom(std::move(cls));
    }
    bool quoted = false;
    PF_ASSIGN_OR_RETURN(std::string name, ParseIdentifier(&quoted));
    if (!quoted) {
      for (TypeKind k : kNatives) {
        if (name == NativeTypeName(k)) return DataType(k);
      }
      if (name == "varchar") return DataType(TypeKind::kText);
      if (name == "frozen") {
        // frozen<> wraps a level, it is not one: its type parses at this depth.
        PF_ASSIGN_OR_RETURN(std::vector<DataType> p, ParseParams(depth - 1));
        if (p.size() != 1) return Error("frozen<> takes one type");
        if (!p[0].is_collection() && p[0].kind() != TypeKind::kUdt &&
            p[0].kind() != TypeKind::kTuple && p[0].kind() != TypeKind::kVector)
          return Error("only collections, tuples and user types can be frozen");
        return FreezeDeep(p[0]);
      }
      if (name == "list" || name == "set") {
        PF_ASSIGN_OR_RETURN(std::vector<DataType> p, ParseParams(depth));
        if (p.size() != 1) return Error(name + "<> takes one type");
        return name == "list" ? DataType::List(p[0]) : DataType::Set(p[0]);
      }
      if (name == "map") {
        PF_ASSIGN_OR_RETURN(std::vector<DataType> p, ParseParams(depth));
        if (p.size() != 2) return Error("map<> takes two types");
        return DataType::Map(p[0], p[1]);
      }
      if (name == "tuple") {
        PF_ASSIGN_OR_RETURN(std::vector<DataType> p, ParseParams(depth));
        return DataType::Tuple(std::move(p));
      }
      if (name == "vector") return ParseVector(depth);
    }
    // A user type: name or keyspace.name.
    std::string ks(keyspace_);
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      ks = name;
      PF_ASSIGN_OR_RETURN(name, ParseIdentifier(&quoted));
    }
    if (!udts_)
      return Status(StatusCode::kNotFound, "unknown type '" + name + "' (no user types known)");
    PF_ASSIGN_OR_RETURN(DataType udt, udts_->Resolve(ks, name));
    return udt;
  }

  // vector<type, dimension>, dimension a Java int; Cassandra's message for one below 1.
  Result<DataType> ParseVector(int depth) {
    if (!Consume('<')) return Error("expected '<'");
    PF_ASSIGN_OR_RETURN(DataType element, ParseType(depth + 1));
    if (!Consume(',')) return Error("expected ','");
    SkipSpace();
    size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    std::string digits(s_.substr(start, pos_ - start));
    if (digits.empty() || digits == "-") return Error("expected the vector's dimension");
    if (!Consume('>')) return Error("expected '>'");
    errno = 0;
    long long dimension = std::strtoll(digits.c_str(), nullptr, 10);
    if (errno == ERANGE || dimension > INT32_MAX || dimension < INT32_MIN)
      return Error("dimension out of range");
    if (dimension <= 0) {
      return Status(StatusCode::kInvalidArgument,
                    "vectors may only have positive dimensions; given " + digits);
    }
    return DataType::Vector(std::move(element), static_cast<int32_t>(dimension));
  }

  // frozen<...> freezes everything inside too (Cassandra stores it that way).
  static DataType FreezeDeep(const DataType& t) { return t.Frozen(); }

  std::string_view s_;
  size_t pos_ = 0;
  const DataType::UdtResolver* udts_;
  std::string_view keyspace_;
};

}  // namespace

Result<DataType> DataType::Decode(ByteReader& r) { return DecodeOption(r, 0); }

std::string DataType::MarshalClass() const { return MarshalText(*this, false); }

Result<DataType> DataType::Parse(std::string_view cql, const UdtResolver* udts,
                                 std::string_view keyspace) {
  return TypeParser(cql, udts, keyspace).ParseAll();
}

bool DataType::operator==(const DataType& other) const {
  if (kind_ != other.kind_) return false;
  if (detail_ == other.detail_) return true;
  if (!detail_ || !other.detail_) return false;
  const Detail& a = *detail_;
  const Detail& b = *other.detail_;
  return a.frozen == b.frozen && a.keyspace == b.keyspace && a.name == b.name &&
         a.field_names == b.field_names && a.dimension == b.dimension && a.params == b.params;
}

}  // namespace postfork::cql
