#include "node/storage/key_encoding.h"

#include <algorithm>
#include <cstring>

#include "postfork/cql/bytes.h"
#include "postfork/cql/murmur3.h"
#include "postfork/cql/value.h"

namespace postfork::node::keys {
namespace {

// Bad key values come from clients: kInvalidArgument, which cql3 answers as InvalidRequest.
Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
Status Corrupt(std::string_view what) {
  return Status(StatusCode::kInternal, "corrupt storage key: " + std::string(what));
}

void AppendBE(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t LoadBE(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

int FixedSize(cql::TypeKind kind) {
  switch (kind) {
    case cql::TypeKind::kBoolean:
    case cql::TypeKind::kTinyint:
      return 1;
    case cql::TypeKind::kSmallint:
      return 2;
    case cql::TypeKind::kInt:
    case cql::TypeKind::kFloat:
    case cql::TypeKind::kDate:
      return 4;
    case cql::TypeKind::kBigint:
    case cql::TypeKind::kCounter:
    case cql::TypeKind::kTimestamp:
    case cql::TypeKind::kTime:
    case cql::TypeKind::kDouble:
      return 8;
    case cql::TypeKind::kUuid:
    case cql::TypeKind::kTimeuuid:
      return 16;
    default:
      return 0;
  }
}

// Cassandra's TimeUUIDType order: the 60-bit timestamp first (time_hi, time_mid, time_low).
uint64_t ReorderTimestamp(uint64_t msb) {
  return (msb << 48) | ((msb << 16) & 0xFFFF00000000ull) | (msb >> 32);
}
uint64_t UnreorderTimestamp(uint64_t r) {
  return (r << 32) | ((r >> 16) & 0xFFFF0000ull) | (r >> 48);
}

// Minimal two's complement big-endian bytes (at least one byte).
std::string NormalizeVarint(std::string_view v) {
  if (v.empty()) return std::string(1, '\0');
  size_t i = 0;
  while (i + 1 < v.size()) {
    unsigned char b = static_cast<unsigned char>(v[i]);
    unsigned char next = static_cast<unsigned char>(v[i + 1]);
    if ((b == 0x00 && !(next & 0x80)) || (b == 0xFF && (next & 0x80))) {
      ++i;
    } else {
      break;
    }
  }
  return std::string(v.substr(i));
}

// Magnitude of a two's complement big-endian integer as decimal digits ("0" for zero).
std::string MagnitudeDigits(std::string_view twos, bool* negative) {
  std::vector<unsigned char> mag(twos.begin(), twos.end());
  *negative = !mag.empty() && (mag[0] & 0x80);
  if (*negative) {  // negate: invert and add one
    for (auto& b : mag) b = static_cast<unsigned char>(~b);
    for (size_t i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  std::string digits;
  size_t start = 0;
  while (true) {
    while (start < mag.size() && mag[start] == 0) ++start;
    if (start == mag.size()) break;
    unsigned rem = 0;
    for (size_t i = start; i < mag.size(); ++i) {
      unsigned cur = (rem << 8) | mag[i];
      mag[i] = static_cast<unsigned char>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
  }
  if (digits.empty()) digits.push_back('0');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

void AppendVarintKey(std::string_view value, std::string* out) {
  std::string n = NormalizeVarint(value);
  bool negative = static_cast<unsigned char>(n[0]) & 0x80;
  out->push_back(negative ? 0x7F : static_cast<char>(0x80));
  uint32_t len = static_cast<uint32_t>(n.size());
  AppendBE(negative ? ~len : len, 4, out);
  out->append(n);
}

// Decimal digits (most significant first, no sign) as minimal two's complement bytes, negated
// when `negative`.
std::string DigitsToTwos(std::string_view digits, bool negative) {
  std::vector<unsigned char> mag(1, 0);  // big-endian magnitude
  for (char d : digits) {
    unsigned carry = static_cast<unsigned>(d - '0');
    for (size_t i = mag.size(); i-- > 0;) {
      unsigned cur = mag[i] * 10u + carry;
      mag[i] = static_cast<unsigned char>(cur);
      carry = cur >> 8;
    }
    while (carry != 0) {
      mag.insert(mag.begin(), static_cast<unsigned char>(carry));
      carry >>= 8;
    }
  }
  mag.insert(mag.begin(), 0);  // room for the sign bit
  if (negative) {
    for (auto& b : mag) b = static_cast<unsigned char>(~b);
    for (size_t i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  return NormalizeVarint(std::string_view(reinterpret_cast<const char*>(mag.data()), mag.size()));
}

// Decimal: header (0x80 negative, 0x81 zero, 0x82 positive), then for non-zero values the
// decimal exponent and the significant digits (both inverted when negative), so equal values
// (1230 and 1.23E+3) encode alike, as Cassandra's DecimalType compares them. Key formats before
// kValueOrderedNumbers then append the original bytes (escaped), which keeps equal values apart.
Status AppendDecimalKey(std::string_view value, KeyFormat format, std::string* out) {
  if (value.size() < 4) return Invalid("decimal value must have at least 4 bytes");
  int32_t scale = static_cast<int32_t>(LoadBE(value, 4));
  bool negative = false;
  std::string digits = MagnitudeDigits(value.substr(4), &negative);
  size_t last = digits.find_last_not_of('0');
  if (last == std::string::npos) {
    out->push_back(static_cast<char>(0x81));
  } else {
    int64_t trailing = static_cast<int64_t>(digits.size() - 1 - last);
    digits.resize(last + 1);
    // value = 0.digits * 10^exponent
    int64_t exponent = static_cast<int64_t>(digits.size()) + trailing - scale;
    uint64_t e = static_cast<uint64_t>(exponent) ^ (1ull << 63);
    if (negative) {
      out->push_back(static_cast<char>(0x80));
      AppendBE(~e, 8, out);
      for (char d : digits) out->push_back(static_cast<char>(~d));
      out->push_back(static_cast<char>(0xFF));
    } else {
      out->push_back(static_cast<char>(0x82));
      AppendBE(e, 8, out);
      out->append(digits);
      out->push_back(0x00);
    }
  }
  if (format < KeyFormat::kValueOrderedNumbers) AppendEscaped(value, out);
  return Status::Ok();
}

// The decimal a key holds: the original bytes before kValueOrderedNumbers; from it on the
// value's shortest form (unscaled digits without trailing zeros, 1230 reads as 1.23E+3).
Result<std::string> ReadDecimalKey(std::string_view* in, KeyFormat format) {
  if (in->empty()) return Corrupt("decimal");
  unsigned char header = static_cast<unsigned char>((*in)[0]);
  in->remove_prefix(1);
  std::string digits;
  int64_t exponent = 0;
  if (header != 0x81) {
    if (header != 0x80 && header != 0x82) return Corrupt("decimal sign");
    if (in->size() < 8) return Corrupt("decimal exponent");
    uint64_t e = LoadBE(*in, 8);
    in->remove_prefix(8);
    char end = header == 0x80 ? static_cast<char>(0xFF) : '\0';
    size_t pos = in->find(end);
    if (pos == std::string_view::npos) return Corrupt("decimal digits");
    digits.assign(in->substr(0, pos));
    in->remove_prefix(pos + 1);
    if (header == 0x80) {
      e = ~e;
      for (char& d : digits) d = static_cast<char>(~d);
    }
    exponent = static_cast<int64_t>(e ^ (1ull << 63));
  }
  if (format < KeyFormat::kValueOrderedNumbers) return ReadEscaped(in);
  for (char d : digits) {
    if (d < '0' || d > '9') return Corrupt("decimal digit");
  }
  int64_t scale = static_cast<int64_t>(digits.size()) - exponent;
  if (scale > INT32_MAX) return Corrupt("decimal scale");
  if (scale < INT32_MIN) {
    // Only a value written with a scale near INT32_MIN gets here: restore its trailing zeros.
    int64_t zeros = int64_t{INT32_MIN} - scale;
    if (zeros > (1 << 20)) return Corrupt("decimal scale");
    digits.append(static_cast<size_t>(zeros), '0');
    scale = INT32_MIN;
  }
  std::string out;
  AppendBE(static_cast<uint32_t>(static_cast<int32_t>(scale)), 4, &out);
  out.append(digits.empty() ? std::string(1, '\0') : DigitsToTwos(digits, header == 0x80));
  return out;
}

Status AppendAscending(const cql::DataType& type, std::string_view value, KeyFormat format,
                       std::string* out);
Result<std::string> ReadAscending(const cql::DataType& type, KeyFormat format,
                                  std::string_view* in);

// Frozen collections, tuples and UDTs, element by element: list/set elements and map entries
// each behind 0x01, tuple/UDT fields behind 0x01 (null) or 0x02 (value) (from
// kEqualTrailingNulls on without the trailing null fields), then 0x00, so a prefix
// sorts first and the encoding stays prefix-free. Element encodings are themselves prefix-free.
Status AppendComposite(const cql::DataType& type, std::string_view value, KeyFormat format,
                       std::string* out) {
  using cql::TypeKind;
  const auto& params = type.params();
  cql::ByteReader r(value);
  auto element = [&](const cql::DataType& t) -> Status {
    auto e = r.ReadBytes();
    if (!e.ok() || !*e) return Invalid("Invalid " + type.ToCql() + " value in a key");
    return AppendAscending(t, **e, format, out);
  };
  if (value.empty()) {  // an empty value sorts as an empty collection or tuple
    out->push_back(0x00);
    return Status::Ok();
  }
  if (type.kind() == TypeKind::kVector) {  // its elements in order, each self-delimiting
    auto elements = cql::SplitVectorElements(value, type);
    if (!elements.ok()) return Invalid("Invalid " + type.ToCql() + " value in a key");
    for (std::string_view e : *elements) {
      PF_RETURN_IF_ERROR(AppendAscending(params[0], e, format, out));
    }
    return Status::Ok();
  }
  if (type.kind() == TypeKind::kTuple || type.kind() == TypeKind::kUdt) {
    // From kEqualTrailingNulls on, null fields are written only before a value, so a value that
    // ends early and one whose remaining fields are null are one key (TupleType.compareCustom).
    const bool drop_trailing_nulls = format >= KeyFormat::kEqualTrailingNulls;
    size_t pending_nulls = 0;
    for (size_t i = 0; i < params.size() && !r.empty(); ++i) {
      auto e = r.ReadBytes();
      if (!e.ok()) return Invalid("Invalid " + type.ToCql() + " value in a key");
      if (!*e) {
        if (drop_trailing_nulls) {
          ++pending_nulls;
        } else {
          out->push_back(0x01);
        }
        continue;
      }
      out->append(pending_nulls, 0x01);
      pending_nulls = 0;
      out->push_back(0x02);
      PF_RETURN_IF_ERROR(AppendAscending(params[i], **e, format, out));
    }
  } else {
    auto n = r.ReadInt();
    if (!n.ok() || *n < 0) return Invalid("Invalid " + type.ToCql() + " value in a key");
    for (int32_t i = 0; i < *n; ++i) {
      out->push_back(0x01);
      PF_RETURN_IF_ERROR(element(params[0]));
      if (type.kind() == TypeKind::kMap) PF_RETURN_IF_ERROR(element(params[1]));
    }
  }
  if (!r.empty()) return Invalid("Invalid " + type.ToCql() + " value in a key: trailing bytes");
  out->push_back(0x00);
  return Status::Ok();
}

Result<std::string> ReadComposite(const cql::DataType& type, KeyFormat format,
                                  std::string_view* in) {
  using cql::TypeKind;
  const auto& params = type.params();
  std::string out;
  cql::ByteWriter w(&out);
  auto next = [&]() -> Result<unsigned char> {
    if (in->empty()) return Corrupt("composite");
    unsigned char c = static_cast<unsigned char>((*in)[0]);
    in->remove_prefix(1);
    return c;
  };
  if (type.kind() == TypeKind::kVector) {
    bool fixed = cql::FixedValueLength(params[0]) > 0;
    for (int32_t i = 0; i < type.dimension(); ++i) {
      PF_ASSIGN_OR_RETURN(std::string e, ReadAscending(params[0], format, in));
      if (!fixed) w.WriteUnsignedVInt(e.size());
      out.append(e);
    }
    return out;
  }
  if (type.kind() == TypeKind::kTuple || type.kind() == TypeKind::kUdt) {
    for (size_t i = 0;; ++i) {
      PF_ASSIGN_OR_RETURN(unsigned char marker, next());
      if (marker == 0x00) break;
      if (i >= params.size() || (marker != 0x01 && marker != 0x02)) return Corrupt("tuple");
      if (marker == 0x01) {
        w.WriteInt(-1);
        continue;
      }
      PF_ASSIGN_OR_RETURN(std::string e, ReadAscending(params[i], format, in));
      w.WriteBytes(e);
    }
    return out;
  }
  std::vector<std::string> elements;
  size_t per_entry = type.kind() == TypeKind::kMap ? 2 : 1;
  while (true) {
    PF_ASSIGN_OR_RETURN(unsigned char marker, next());
    if (marker == 0x00) break;
    if (marker != 0x01) return Corrupt("collection");
    for (size_t j = 0; j < per_entry; ++j) {
      PF_ASSIGN_OR_RETURN(std::string e, ReadAscending(params[j], format, in));
      elements.push_back(std::move(e));
    }
  }
  w.WriteInt(static_cast<int32_t>(elements.size() / per_entry));
  for (const auto& e : elements) w.WriteBytes(e);
  return out;
}

bool IsComposite(cql::TypeKind kind) {
  return kind == cql::TypeKind::kList || kind == cql::TypeKind::kSet ||
         kind == cql::TypeKind::kMap || kind == cql::TypeKind::kTuple ||
         kind == cql::TypeKind::kUdt || kind == cql::TypeKind::kVector;
}

Status AppendAscending(const cql::DataType& type, std::string_view value, KeyFormat format,
                       std::string* out) {
  using cql::TypeKind;
  if (format >= KeyFormat::kTypedComposites && IsComposite(type.kind())) {
    return AppendComposite(type, value, format, out);
  }
  TypeKind kind = type.kind();
  int fixed = FixedSize(kind);
  // An empty value sorts before every other value of its type (Cassandra's compareCustom):
  // 0x00, below the varint and decimal headers and below the 0x01 marking a present fixed-size
  // value in kEmptyValues tables.
  if (value.empty() && (kind == TypeKind::kVarint || kind == TypeKind::kDecimal ||
                        (fixed != 0 && format >= KeyFormat::kEmptyValues))) {
    out->push_back(0x00);
    return Status::Ok();
  }
  if (fixed != 0 && static_cast<int>(value.size()) != fixed) {
    return Invalid("Expected " + std::to_string(fixed) + " or 0 byte value for " +
                   std::string(cql::NativeTypeName(kind)) + " (got " +
                   std::to_string(value.size()) + ")");
  }
  if (fixed != 0 && format >= KeyFormat::kEmptyValues) out->push_back(0x01);
  const bool canonical = format >= KeyFormat::kEqualBooleansAndNaNs;
  switch (kind) {
    case TypeKind::kBoolean:
      out->push_back(canonical ? static_cast<char>(value[0] != 0) : value[0]);
      return Status::Ok();
    case TypeKind::kTinyint:
    case TypeKind::kSmallint:
    case TypeKind::kInt:
    case TypeKind::kBigint:
    case TypeKind::kCounter:
    case TypeKind::kTimestamp:
    case TypeKind::kTime: {
      uint64_t v = LoadBE(value, fixed) ^ (1ull << (8 * fixed - 1));
      AppendBE(v, fixed, out);
      return Status::Ok();
    }
    case TypeKind::kDate:
      out->append(value);
      return Status::Ok();
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      uint64_t v = LoadBE(value, fixed);
      uint64_t sign = 1ull << (8 * fixed - 1);
      uint64_t mask = fixed == 8 ? ~0ull : (1ull << (8 * fixed)) - 1;
      // Exponent all ones and a non-zero fraction: a NaN, canonical (positive, quiet) so that
      // every NaN is one value above +Infinity.
      const uint64_t exponent = fixed == 8 ? 0x7FF0000000000000ull : 0x7F800000ull;
      if (canonical && (v & ~sign & mask) > exponent) {
        v = fixed == 8 ? 0x7FF8000000000000ull : 0x7FC00000ull;
      }
      v = (v & sign) ? (~v & mask) : (v | sign);
      AppendBE(v, fixed, out);
      return Status::Ok();
    }
    case TypeKind::kTimeuuid:
    case TypeKind::kUuid: {
      uint64_t msb = LoadBE(value, 8);
      int version = static_cast<int>((msb >> 12) & 0xF);
      if (kind == TypeKind::kUuid) out->push_back(static_cast<char>(version));
      AppendBE(version == 1 || kind == TypeKind::kTimeuuid ? ReorderTimestamp(msb) : msb, 8, out);
      // The low half compares as signed bytes in Cassandra.
      for (size_t i = 8; i < 16; ++i) out->push_back(static_cast<char>(value[i] ^ 0x80));
      return Status::Ok();
    }
    case TypeKind::kVarint:
      AppendVarintKey(value, out);
      return Status::Ok();
    case TypeKind::kDecimal:
      return AppendDecimalKey(value, format, out);
    default:
      // text, ascii, blob, inet (and composites in kBytewiseComposites tables): bytewise.
      AppendEscaped(value, out);
      return Status::Ok();
  }
}

Result<std::string> ReadAscending(const cql::DataType& type, KeyFormat format,
                                  std::string_view* in) {
  using cql::TypeKind;
  if (format >= KeyFormat::kTypedComposites && IsComposite(type.kind())) {
    return ReadComposite(type, format, in);
  }
  TypeKind kind = type.kind();
  int fixed = FixedSize(kind);
  if ((kind == TypeKind::kVarint || kind == TypeKind::kDecimal ||
       (fixed != 0 && format >= KeyFormat::kEmptyValues))) {
    if (in->empty()) return Corrupt("value");
    char marker = (*in)[0];
    if (marker == 0x00) {
      in->remove_prefix(1);
      return std::string();
    }
    if (fixed != 0 && format >= KeyFormat::kEmptyValues) {
      if (marker != 0x01) return Corrupt("value marker");
      in->remove_prefix(1);
    }
  }
  switch (kind) {
    case TypeKind::kBoolean:
    case TypeKind::kDate: {
      if (static_cast<int>(in->size()) < fixed) return Corrupt("short value");
      std::string v(in->substr(0, fixed));
      in->remove_prefix(fixed);
      return v;
    }
    case TypeKind::kTinyint:
    case TypeKind::kSmallint:
    case TypeKind::kInt:
    case TypeKind::kBigint:
    case TypeKind::kCounter:
    case TypeKind::kTimestamp:
    case TypeKind::kTime: {
      if (static_cast<int>(in->size()) < fixed) return Corrupt("short value");
      uint64_t v = LoadBE(*in, fixed) ^ (1ull << (8 * fixed - 1));
      in->remove_prefix(fixed);
      std::string out;
      AppendBE(v, fixed, &out);
      return out;
    }
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      if (static_cast<int>(in->size()) < fixed) return Corrupt("short value");
      uint64_t v = LoadBE(*in, fixed);
      uint64_t sign = 1ull << (8 * fixed - 1);
      uint64_t mask = fixed == 8 ? ~0ull : (1ull << (8 * fixed)) - 1;
      v = (v & sign) ? (v & ~sign) : (~v & mask);
      in->remove_prefix(fixed);
      std::string out;
      AppendBE(v, fixed, &out);
      return out;
    }
    case TypeKind::kTimeuuid:
    case TypeKind::kUuid: {
      size_t need = kind == TypeKind::kUuid ? 17 : 16;
      if (in->size() < need) return Corrupt("short uuid");
      int version = 1;
      if (kind == TypeKind::kUuid) {
        version = (*in)[0];
        in->remove_prefix(1);
      }
      uint64_t msb = LoadBE(*in, 8);
      if (version == 1) msb = UnreorderTimestamp(msb);
      std::string out;
      AppendBE(msb, 8, &out);
      for (size_t i = 8; i < 16; ++i) out.push_back(static_cast<char>((*in)[i] ^ 0x80));
      in->remove_prefix(16);
      return out;
    }
    case TypeKind::kVarint: {
      if (in->size() < 5) return Corrupt("short varint");
      bool negative = (*in)[0] == 0x7F;
      uint32_t len = static_cast<uint32_t>(LoadBE(in->substr(1), 4));
      if (negative) len = ~len;
      in->remove_prefix(5);
      if (in->size() < len) return Corrupt("short varint");
      std::string out(in->substr(0, len));
      in->remove_prefix(len);
      return out;
    }
    case TypeKind::kDecimal:
      return ReadDecimalKey(in, format);
    default:
      return ReadEscaped(in);
  }
}

}  // namespace

int64_t TokenOf(const std::vector<std::string>& partition_key) {
  if (partition_key.size() == 1) return cql::Murmur3Token(partition_key[0]);
  std::vector<std::string_view> parts(partition_key.begin(), partition_key.end());
  return cql::Murmur3Token(cql::CompositePartitionKey(parts));
}

std::string TablePrefix(uint32_t storage_id) {
  std::string out;
  out.reserve(kTablePrefixSize);
  AppendTablePrefix(storage_id, &out);
  return out;
}

void AppendTablePrefix(uint32_t storage_id, std::string* out) {
  out->push_back(kDataSpace);
  AppendBE(storage_id, 4, out);
}

void AppendToken(int64_t token, std::string* out) {
  AppendBE(static_cast<uint64_t>(token) ^ (1ull << 63), 8, out);
}

std::string PartitionPrefix(uint32_t storage_id, int64_t token,
                            const std::vector<std::string>& partition_key) {
  std::string out;
  AssignPartitionPrefix(storage_id, token, partition_key, &out);
  return out;
}

void AssignPartitionPrefix(uint32_t storage_id, int64_t token,
                           const std::vector<std::string>& partition_key, std::string* out) {
  size_t size = kTokenPrefixSize;
  for (const auto& c : partition_key) size += c.size() + 2;  // + the terminator, unescaped
  out->clear();
  out->reserve(size);
  AppendTablePrefix(storage_id, out);
  AppendToken(token, out);
  for (const auto& c : partition_key) AppendEscaped(c, out);
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    unsigned char last = static_cast<unsigned char>(out.back());
    if (last != 0xFF) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return out;
}

void AppendEscaped(std::string_view bytes, std::string* out) {
  for (char c : bytes) {
    out->push_back(c);
    if (c == '\0') out->push_back(static_cast<char>(0xFF));
  }
  out->push_back('\0');
  out->push_back(0x01);
}

Result<std::string> ReadEscaped(std::string_view* in) {
  std::string out;
  size_t i = 0;
  while (true) {
    size_t zero = in->find('\0', i);
    if (zero == std::string_view::npos || zero + 1 >= in->size()) return Corrupt("escaped bytes");
    out.append(in->data() + i, zero - i);
    unsigned char next = static_cast<unsigned char>((*in)[zero + 1]);
    if (next == 0x01) {
      in->remove_prefix(zero + 2);
      return out;
    }
    if (next != 0xFF) return Corrupt("escape");
    out.push_back('\0');
    i = zero + 2;
  }
}

Status AppendClusteringComponent(const cql::DataType& type, bool descending, std::string_view value,
                                 KeyFormat format, std::string* out) {
  size_t start = out->size();
  PF_RETURN_IF_ERROR(AppendAscending(type, value, format, out));
  if (descending) {
    for (size_t i = start; i < out->size(); ++i) (*out)[i] = static_cast<char>(~(*out)[i]);
  }
  return Status::Ok();
}

Result<std::string> ReadClusteringComponent(const cql::DataType& type, bool descending,
                                            KeyFormat format, std::string_view* in) {
  if (!descending) return ReadAscending(type, format, in);
  // Un-invert lazily: the component's length is only known once decoded, so invert a copy of the
  // rest (clustering keys are short) and advance by what the ascending reader consumed.
  std::string inverted(*in);
  for (char& c : inverted) c = static_cast<char>(~c);
  std::string_view view(inverted);
  auto value = ReadAscending(type, format, &view);
  if (!value.ok()) return value;
  in->remove_prefix(inverted.size() - view.size());
  return value;
}

Result<std::string> EncodeClustering(const TableMetadata& table,
                                     const std::vector<std::string>& components) {
  if (components.size() > table.clustering_count) {
    return Invalid("too many clustering components: " + std::to_string(components.size()) + " > " +
                   std::to_string(table.clustering_count));
  }
  std::string out;
  for (size_t i = 0; i < components.size(); ++i) {
    const ColumnMetadata& column = table.columns[table.partition_key_count + i];
    PF_RETURN_IF_ERROR(
        AppendClusteringComponent(column.type, column.order == ClusteringOrder::kDesc,
                                  components[i], static_cast<KeyFormat>(table.key_format), &out));
  }
  return out;
}

Result<std::vector<std::string>> DecodeClustering(const TableMetadata& table,
                                                  std::string_view encoded) {
  std::vector<std::string> out;
  out.reserve(table.clustering_count);
  PF_RETURN_IF_ERROR(DecodeClusteringInto(table, encoded, &out));
  return out;
}

Status DecodeClusteringInto(const TableMetadata& table, std::string_view encoded,
                            std::vector<std::string>* out) {
  size_t i = 0;
  for (; i < table.clustering_count && !encoded.empty(); ++i) {
    const ColumnMetadata& column = table.columns[table.partition_key_count + i];
    PF_ASSIGN_OR_RETURN(
        std::string c,
        ReadClusteringComponent(column.type, column.order == ClusteringOrder::kDesc,
                                static_cast<KeyFormat>(table.key_format), &encoded));
    if (out->size() <= i) out->emplace_back();
    (*out)[i] = std::move(c);
  }
  out->resize(i);
  if (!encoded.empty()) return Corrupt("trailing clustering bytes");
  return Status::Ok();
}

namespace {
// Whether values of `type` encoded in `format` may decode to other bytes than written.
bool LosesBytes(const cql::DataType& type, KeyFormat format) {
  using cql::TypeKind;
  switch (type.kind()) {
    case TypeKind::kDecimal:
    case TypeKind::kVarint:
      return format >= KeyFormat::kValueOrderedNumbers;
    case TypeKind::kBoolean:
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      return format >= KeyFormat::kEqualBooleansAndNaNs;
    case TypeKind::kTuple:
    case TypeKind::kUdt:  // trailing null fields
      if (format >= KeyFormat::kEqualTrailingNulls) return true;
      break;
    default:
      break;
  }
  for (const auto& p : type.params()) {
    if (LosesBytes(p, format)) return true;
  }
  return false;
}
}  // namespace

bool StoresWrittenClustering(const TableMetadata& table) {
  const auto format = static_cast<KeyFormat>(table.key_format);
  for (size_t i = 0; i < table.clustering_count; ++i) {
    if (LosesBytes(table.columns[table.partition_key_count + i].type, format)) return true;
  }
  return false;
}

bool WrittenClusteringIsKey(const TableMetadata& table) {
  return static_cast<KeyFormat>(table.key_format) >= KeyFormat::kEqualBooleansAndNaNs;
}

KeyFormat ElementFormat(const TableMetadata& table) {
  const auto format = static_cast<KeyFormat>(table.key_format);
  if (format >= KeyFormat::kEqualBooleansAndNaNs) return format;
  return format >= KeyFormat::kValueOrderedElements ? KeyFormat::kValueOrderedNumbers
                                                    : std::min(format, KeyFormat::kEmptyValues);
}

bool StoresWrittenPath(const TableMetadata& table, const cql::DataType& path_type) {
  return static_cast<KeyFormat>(table.key_format) >= KeyFormat::kValueOrderedElements &&
         LosesBytes(path_type, ElementFormat(table));
}

Result<std::string> EncodeIndexValue(const cql::DataType& column_type, IndexTarget target,
                                     KeyFormat format, std::string_view value,
                                     std::string_view map_value) {
  // Entries by the value's bytes, in every format (Cassandra keys a legacy index by them).
  format = std::min(format, KeyFormat::kEmptyValues);
  std::string out;
  const auto& params = column_type.params();
  switch (target) {
    case IndexTarget::kSimple:
    case IndexTarget::kFull:
      PF_RETURN_IF_ERROR(AppendClusteringComponent(column_type, false, value, format, &out));
      break;
    case IndexTarget::kValues: {
      if (params.empty()) return Invalid("values() of a non-collection");
      const cql::DataType& element =
          column_type.kind() == cql::TypeKind::kMap ? params[1] : params[0];
      PF_RETURN_IF_ERROR(AppendClusteringComponent(element, false, value, format, &out));
      break;
    }
    case IndexTarget::kKeys:
    case IndexTarget::kEntries:
      if (column_type.kind() != cql::TypeKind::kMap) return Invalid("keys() of a non-map");
      PF_RETURN_IF_ERROR(AppendClusteringComponent(params[0], false, value, format, &out));
      if (target == IndexTarget::kEntries) {
        PF_RETURN_IF_ERROR(AppendClusteringComponent(params[1], false, map_value, format, &out));
      }
      break;
  }
  return out;
}

Result<DecodedDataKey> SplitDataKey(std::string_view key, size_t partition_key_size) {
  if (key.size() < 13 || key[0] != kDataSpace) return Corrupt("data key prefix");
  DecodedDataKey out;
  out.storage_id = static_cast<uint32_t>(LoadBE(key.substr(1), 4));
  out.token = static_cast<int64_t>(LoadBE(key.substr(5), 8) ^ (1ull << 63));
  std::string_view rest = key.substr(13);
  for (size_t i = 0; i < partition_key_size; ++i) {
    // Skip one escaped component without copying it.
    size_t pos = 0;
    while (true) {
      size_t zero = rest.find('\0', pos);
      if (zero == std::string_view::npos || zero + 1 >= rest.size()) {
        return Corrupt("partition key");
      }
      if (static_cast<unsigned char>(rest[zero + 1]) == 0x01) {
        rest.remove_prefix(zero + 2);
        break;
      }
      pos = zero + 2;
    }
  }
  out.partition_prefix = key.substr(0, key.size() - rest.size());
  if (rest.empty()) return Corrupt("missing section");
  out.section = rest[0];
  out.clustering = rest.substr(1);
  return out;
}

Result<std::vector<std::string>> DecodePartitionKey(std::string_view partition_prefix,
                                                    size_t partition_key_size) {
  std::vector<std::string> out;
  PF_RETURN_IF_ERROR(DecodePartitionKeyInto(partition_prefix, partition_key_size, &out));
  return out;
}

Status DecodePartitionKeyInto(std::string_view partition_prefix, size_t partition_key_size,
                              std::vector<std::string>* out) {
  if (partition_prefix.size() < 13) return Corrupt("partition prefix");
  std::string_view rest = partition_prefix.substr(13);
  out->resize(partition_key_size);
  for (size_t i = 0; i < partition_key_size; ++i) {
    PF_ASSIGN_OR_RETURN(std::string c, ReadEscaped(&rest));
    (*out)[i] = std::move(c);
  }
  return Status::Ok();
}

}  // namespace postfork::node::keys
