#include "node/cql3/functions/scalar.h"

#include <fmt/format.h>

#include "node/cql3/functions/json.h"
#include "node/cql3/values.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {
namespace {

using cql::DataType;
using cql::TypeKind;

// 100 ns intervals between 1582-10-15 (UUID time) and 1970-01-01.
constexpr int64_t kUuidEpochOffset = 0x01B21DD213814000LL;
constexpr int64_t kMillisPerDay = 86400000;
constexpr uint32_t kDateEpoch = 1u << 31;  // CQL date: days since 1970-01-01 plus 2^31

std::string Bigint(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
  return out;
}

std::string Date(int64_t millis) {
  int64_t days = millis / kMillisPerDay - (millis % kMillisPerDay < 0 ? 1 : 0);
  uint32_t v = static_cast<uint32_t>(static_cast<int64_t>(kDateEpoch) + days);
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string UuidBytes(const cql::Uuid& u) {
  return std::string(reinterpret_cast<const char*>(u.bytes.data()), u.bytes.size());
}

// Milliseconds since the epoch of a timeuuid, timestamp or date value.
std::optional<int64_t> Millis(TypeKind kind, std::string_view v) {
  switch (kind) {
    case TypeKind::kTimeuuid: {
      if (v.size() != 16) return std::nullopt;
      auto b = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(v[i])); };
      uint64_t time_low = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
      uint64_t time_mid = b(4) << 8 | b(5);
      uint64_t time_hi = (b(6) << 8 | b(7)) & 0x0FFF;
      int64_t t = static_cast<int64_t>(time_hi << 48 | time_mid << 32 | time_low);
      return (t - kUuidEpochOffset) / 10000;
    }
    case TypeKind::kTimestamp:
      if (v.size() != 8) return std::nullopt;
      return static_cast<int64_t>(cql::LoadBE64(v.data()));
    case TypeKind::kDate:
      if (v.size() != 4) return std::nullopt;
      return (static_cast<int64_t>(cql::LoadBE32(v.data())) - static_cast<int64_t>(kDateEpoch)) *
             kMillisPerDay;
    default:
      return std::nullopt;
  }
}

// Cassandra's minTimeuuid/maxTimeuuid (UUIDGen.minTimeUUID/maxTimeUUID): the smallest and
// largest timeuuid of a millisecond, by time and then by the signed clock sequence and node.
std::string TimeUuidBound(int64_t millis, bool max) {
  uint64_t t = static_cast<uint64_t>(millis * 10000 + kUuidEpochOffset + (max ? 9999 : 0));
  uint64_t msb = ((t & 0xFFFFFFFFULL) << 32) | (((t >> 32) & 0xFFFF) << 16) |
                 ((t >> 48) & 0x0FFF) | 0x1000;
  uint64_t lsb = max ? 0x7F7F7F7F7F7F7F7FULL : 0x8080808080808080ULL;
  return Bigint(static_cast<int64_t>(msb)) + Bigint(static_cast<int64_t>(lsb));
}

bool OneOf(TypeKind k, std::initializer_list<TypeKind> kinds) {
  for (TypeKind x : kinds) {
    if (x == k) return true;
  }
  return false;
}

// "intasblob" -> int, "blobasint" -> int; only native types.
std::optional<DataType> BlobConversionType(std::string_view name, bool* to_blob) {
  std::string_view type_name;
  if (name.size() > 6 && name.substr(name.size() - 6) == "asblob") {
    *to_blob = true;
    type_name = name.substr(0, name.size() - 6);
  } else if (name.size() > 6 && name.substr(0, 6) == "blobas") {
    *to_blob = false;
    type_name = name.substr(6);
  } else {
    return std::nullopt;
  }
  auto t = DataType::Parse(type_name);
  if (!t.ok() || !t->is_native() || t->kind() == TypeKind::kCounter) return std::nullopt;
  return *t;
}

Status NoSignature(std::string_view name, const std::vector<DataType>& args) {
  std::string types;
  for (const auto& t : args) types += (types.empty() ? "" : ", ") + t.ToCql();
  return InvalidRequest(fmt::format("Invalid call to function system.{}: no signature takes ({})",
                                    name, types));
}

}  // namespace

Result<DataType> ScalarResultType(std::string_view name, const std::vector<DataType>& args) {
  auto arity = [&](size_t n) { return args.size() == n; };
  TypeKind a0 = args.empty() ? TypeKind::kCustom : args[0].kind();
  if (name == "now" || name == "currenttimeuuid") {
    if (arity(0)) return DataType(TypeKind::kTimeuuid);
  } else if (name == "uuid") {
    if (arity(0)) return DataType(TypeKind::kUuid);
  } else if (name == "currenttimestamp") {
    if (arity(0)) return DataType(TypeKind::kTimestamp);
  } else if (name == "currentdate") {
    if (arity(0)) return DataType(TypeKind::kDate);
  } else if (name == "totimestamp") {
    if (arity(1) && OneOf(a0, {TypeKind::kTimeuuid, TypeKind::kDate, TypeKind::kTimestamp}))
      return DataType(TypeKind::kTimestamp);
  } else if (name == "todate") {
    if (arity(1) && OneOf(a0, {TypeKind::kTimeuuid, TypeKind::kTimestamp, TypeKind::kDate}))
      return DataType(TypeKind::kDate);
  } else if (name == "tounixtimestamp") {
    if (arity(1) && OneOf(a0, {TypeKind::kTimeuuid, TypeKind::kTimestamp, TypeKind::kDate}))
      return DataType(TypeKind::kBigint);
  } else if (name == "dateof") {
    if (arity(1) && a0 == TypeKind::kTimeuuid) return DataType(TypeKind::kTimestamp);
  } else if (name == "unixtimestampof") {
    if (arity(1) && a0 == TypeKind::kTimeuuid) return DataType(TypeKind::kBigint);
  } else if (name == "mintimeuuid" || name == "maxtimeuuid") {
    if (arity(1) && a0 == TypeKind::kTimestamp) return DataType(TypeKind::kTimeuuid);
  } else if (name == "tojson") {
    if (arity(1)) return DataType(TypeKind::kText);
  } else {
    bool to_blob = false;
    auto type = BlobConversionType(name, &to_blob);
    if (!type) return InvalidRequest(fmt::format("Unknown function '{}'", name));
    if (arity(1) && to_blob && args[0] == *type) return DataType(TypeKind::kBlob);
    if (arity(1) && !to_blob && a0 == TypeKind::kBlob) return *type;
  }
  return NoSignature(name, args);
}

std::optional<std::string> EvaluateScalar(std::string_view name,
                                          const std::vector<DataType>& arg_types,
                                          const std::vector<std::optional<std::string>>& args,
                                          int64_t now_micros) {
  if (name == "now" || name == "currenttimeuuid") return UuidBytes(NewTimeUuid(now_micros));
  if (name == "uuid") return UuidBytes(NewRandomUuid());
  if (name == "currenttimestamp") return Bigint(now_micros / 1000);
  if (name == "currentdate") return Date(now_micros / 1000);
  if (name == "tojson") {
    return ToJson(args.empty() || !args[0] ? std::nullopt
                                           : std::optional<std::string_view>(*args[0]),
                  arg_types[0]);
  }
  if (args.empty() || !args[0]) return std::nullopt;
  const std::string& v = *args[0];
  TypeKind a0 = arg_types[0].kind();
  if (name == "totimestamp" || name == "dateof") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(Bigint(*ms)) : std::nullopt;
  }
  if (name == "tounixtimestamp" || name == "unixtimestampof") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(Bigint(*ms)) : std::nullopt;
  }
  if (name == "mintimeuuid" || name == "maxtimeuuid") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(TimeUuidBound(*ms, name == "maxtimeuuid"))
              : std::nullopt;
  }
  if (name == "todate") {
    auto ms = Millis(a0, v);
    return ms ? std::optional<std::string>(Date(*ms)) : std::nullopt;
  }
  bool to_blob = false;
  auto type = BlobConversionType(name, &to_blob);
  if (!type) return std::nullopt;
  if (to_blob) return v;  // the same bytes, typed blob
  if (!cql::ValidateValue(v, *type).ok()) return std::nullopt;
  return v;
}

}  // namespace postfork::node::cql3
