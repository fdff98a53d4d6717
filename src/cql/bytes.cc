#include "postfork/cql/bytes.h"

#include <cassert>
#include <string>

namespace postfork::cql {
namespace {

Status Truncated(std::string_view what, size_t need, size_t have) {
  return Status(StatusCode::kTruncated, std::string(what) + ": need " + std::to_string(need) +
                                            " bytes, " + std::to_string(have) + " left");
}

// Cassandra's texts (CBUtil) for a [string], [long string] or [short bytes] that does not fit:
// whether its length prefix or its bytes are missing, clients see the same message. Malformed
// rather than truncated: Cassandra refuses these with a ProtocolError, where a fixed-width field
// past the end of a body fails as a server error.
Status StringTruncated(int prefix_bytes) {
  return Status(StatusCode::kMalformed,
                "Not enough bytes to read an UTF8 serialized string preceded by its " +
                    std::to_string(prefix_bytes) + " bytes length");
}

Status ShortBytesTruncated() {
  return Status(StatusCode::kMalformed,
                "Not enough bytes to read a byte array preceded by its 2 bytes length");
}

}  // namespace

Result<uint8_t> ByteReader::ReadByte() {
  if (remaining() < 1) return Truncated("[byte]", 1, remaining());
  return static_cast<uint8_t>(*p_++);
}

Result<uint16_t> ByteReader::ReadShort() {
  if (remaining() < 2) return Truncated("[short]", 2, remaining());
  uint16_t v = LoadBE16(p_);
  p_ += 2;
  return v;
}

Result<int32_t> ByteReader::ReadInt() {
  if (remaining() < 4) return Truncated("[int]", 4, remaining());
  int32_t v = static_cast<int32_t>(LoadBE32(p_));
  p_ += 4;
  return v;
}

Result<int64_t> ByteReader::ReadLong() {
  if (remaining() < 8) return Truncated("[long]", 8, remaining());
  int64_t v = static_cast<int64_t>(LoadBE64(p_));
  p_ += 8;
  return v;
}

Result<std::string_view> ByteReader::ReadRaw(size_t n) {
  if (remaining() < n) return Truncated("raw bytes", n, remaining());
  std::string_view v(p_, n);
  p_ += n;
  return v;
}

Result<std::string_view> ByteReader::ReadString() {
  if (remaining() < 2) return StringTruncated(2);
  uint16_t n = LoadBE16(p_);
  p_ += 2;
  if (remaining() < n) return StringTruncated(2);
  std::string_view v(p_, n);
  p_ += n;
  return v;
}

Result<std::string_view> ByteReader::ReadLongString() {
  if (remaining() < 4) return StringTruncated(4);
  int32_t n = static_cast<int32_t>(LoadBE32(p_));
  p_ += 4;
  if (n < 0) return StringTruncated(4);
  if (remaining() < static_cast<size_t>(n)) return StringTruncated(4);
  std::string_view v(p_, static_cast<size_t>(n));
  p_ += n;
  return v;
}

Result<std::optional<std::string_view>> ByteReader::ReadBytes() {
  PF_ASSIGN_OR_RETURN(int32_t n, ReadInt());
  if (n < 0) return std::optional<std::string_view>();
  if (remaining() < static_cast<size_t>(n))
    return Truncated("[bytes]", static_cast<size_t>(n), remaining());
  std::string_view v(p_, static_cast<size_t>(n));
  p_ += n;
  return std::optional<std::string_view>(v);
}

Result<std::string_view> ByteReader::ReadShortBytes() {
  if (remaining() < 2) return ShortBytesTruncated();
  uint16_t n = LoadBE16(p_);
  p_ += 2;
  if (remaining() < n) return ShortBytesTruncated();
  std::string_view v(p_, n);
  p_ += n;
  return v;
}

Result<RawValue> ByteReader::ReadValue() {
  PF_ASSIGN_OR_RETURN(int32_t n, ReadInt());
  if (n == -1) return RawValue::Null();
  if (n == -2) return RawValue::Unset();
  if (n < 0) return Status(StatusCode::kMalformed, "Invalid ByteBuf length " + std::to_string(n));
  if (remaining() < static_cast<size_t>(n))
    return Truncated("[value]", static_cast<size_t>(n), remaining());
  std::string_view v(p_, static_cast<size_t>(n));
  p_ += n;
  return RawValue::Of(v);
}

Status ByteReader::CheckCount(int64_t count, size_t min_item_size, std::string_view what) const {
  if (count < 0)
    return Status(StatusCode::kMalformed,
                  std::string(what) + " count " + std::to_string(count) + " is negative");
  // Items of zero bytes can't be bounded by the input; give them one byte for the check.
  size_t item = min_item_size == 0 ? 1 : min_item_size;
  if (static_cast<uint64_t>(count) > remaining() / item)
    return Status(StatusCode::kMalformed, std::string(what) + " count " + std::to_string(count) +
                                              " exceeds the " + std::to_string(remaining()) +
                                              " bytes left");
  return Status::Ok();
}

Result<std::vector<std::string_view>> ByteReader::ReadStringList() {
  PF_ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  if (!CheckCount(n, 2, "[string list]").ok()) return StringTruncated(2);
  std::vector<std::string_view> out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    PF_ASSIGN_OR_RETURN(std::string_view s, ReadString());
    out.push_back(s);
  }
  return out;
}

Result<std::map<std::string, std::string>> ByteReader::ReadStringMap() {
  PF_ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  if (!CheckCount(n, 4, "[string map]").ok()) return StringTruncated(2);
  std::map<std::string, std::string> out;
  for (uint16_t i = 0; i < n; ++i) {
    PF_ASSIGN_OR_RETURN(std::string_view k, ReadString());
    PF_ASSIGN_OR_RETURN(std::string_view v, ReadString());
    out.insert_or_assign(std::string(k), std::string(v));
  }
  return out;
}

Result<std::map<std::string, std::vector<std::string>>> ByteReader::ReadStringMultimap() {
  PF_ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  PF_RETURN_IF_ERROR(CheckCount(n, 4, "[string multimap]"));
  std::map<std::string, std::vector<std::string>> out;
  for (uint16_t i = 0; i < n; ++i) {
    PF_ASSIGN_OR_RETURN(std::string_view k, ReadString());
    PF_ASSIGN_OR_RETURN(std::vector<std::string_view> l, ReadStringList());
    std::vector<std::string> values(l.begin(), l.end());
    out.insert_or_assign(std::string(k), std::move(values));
  }
  return out;
}

Result<std::map<std::string, std::string>> ByteReader::ReadBytesMap() {
  PF_ASSIGN_OR_RETURN(uint16_t n, ReadShort());
  if (!CheckCount(n, 6, "[bytes map]").ok()) return StringTruncated(2);
  std::map<std::string, std::string> out;
  for (uint16_t i = 0; i < n; ++i) {
    PF_ASSIGN_OR_RETURN(std::string_view k, ReadString());
    PF_ASSIGN_OR_RETURN(std::optional<std::string_view> v, ReadBytes());
    out.insert_or_assign(std::string(k), v ? std::string(*v) : std::string());
  }
  return out;
}

Result<std::string_view> ByteReader::ReadUuid() {
  if (remaining() < 16) return Truncated("[uuid]", 16, remaining());
  return ReadRaw(16);
}

Result<std::string_view> ByteReader::ReadInetAddr() {
  PF_ASSIGN_OR_RETURN(uint8_t n, ReadByte());
  if (n != 4 && n != 16)
    return Status(StatusCode::kMalformed,
                  "[inetaddr] size " + std::to_string(n) + " is neither 4 nor 16");
  return ReadRaw(n);
}

Result<uint64_t> ByteReader::ReadUnsignedVInt() {
  PF_ASSIGN_OR_RETURN(uint8_t first, ReadByte());
  if (first < 0x80) return uint64_t{first};
  // The count of leading 1 bits in the first byte is the number of extra bytes.
  int extra = 0;
  while (extra < 8 && (first & (0x80 >> extra))) ++extra;
  if (remaining() < static_cast<size_t>(extra)) return Truncated("[vint]", extra, remaining());
  uint64_t v = extra == 8 ? 0 : (first & (0xFFu >> extra));
  for (int i = 0; i < extra; ++i) v = (v << 8) | static_cast<uint8_t>(*p_++);
  return v;
}

Result<int64_t> ByteReader::ReadVInt() {
  PF_ASSIGN_OR_RETURN(uint64_t u, ReadUnsignedVInt());
  return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

void ByteWriter::WriteString(std::string_view s) {
  if (s.size() > 0xFFFF) {
    // Cut at a UTF-8 character boundary: error messages may quote arbitrary query text.
    size_t n = 0xFFFF;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
  }
  WriteShort(static_cast<uint16_t>(s.size()));
  WriteRaw(s);
}

void ByteWriter::WriteLongString(std::string_view s) {
  WriteInt(static_cast<int32_t>(s.size()));
  WriteRaw(s);
}

void ByteWriter::WriteBytes(std::optional<std::string_view> b) {
  if (!b) {
    WriteInt(-1);
    return;
  }
  WriteInt(static_cast<int32_t>(b->size()));
  WriteRaw(*b);
}

void ByteWriter::WriteShortBytes(std::string_view b) {
  assert(b.size() <= 0xFFFF && "[short bytes] longer than 65535 bytes");
  WriteShort(static_cast<uint16_t>(b.size()));
  WriteRaw(b);
}

void ByteWriter::WriteValue(const RawValue& v) {
  switch (v.kind) {
    case RawValue::Kind::kNull:
      WriteInt(-1);
      return;
    case RawValue::Kind::kUnset:
      WriteInt(-2);
      return;
    case RawValue::Kind::kBytes:
      WriteInt(static_cast<int32_t>(v.bytes.size()));
      WriteRaw(v.bytes);
      return;
  }
}

void ByteWriter::WriteStringList(const std::vector<std::string>& l) {
  WriteShort(static_cast<uint16_t>(l.size()));
  for (const auto& s : l) WriteString(s);
}

void ByteWriter::WriteStringMap(const std::map<std::string, std::string>& m) {
  WriteShort(static_cast<uint16_t>(m.size()));
  for (const auto& [k, v] : m) {
    WriteString(k);
    WriteString(v);
  }
}

void ByteWriter::WriteStringMultimap(const std::map<std::string, std::vector<std::string>>& m) {
  WriteShort(static_cast<uint16_t>(m.size()));
  for (const auto& [k, v] : m) {
    WriteString(k);
    WriteStringList(v);
  }
}

void ByteWriter::WriteBytesMap(const std::map<std::string, std::string>& m) {
  WriteShort(static_cast<uint16_t>(m.size()));
  for (const auto& [k, v] : m) {
    WriteString(k);
    WriteBytes(v);
  }
}

void ByteWriter::WriteInetAddr(std::string_view addr_bytes) {
  assert((addr_bytes.size() == 4 || addr_bytes.size() == 16) && "inet address is 4 or 16 bytes");
  WriteByte(static_cast<uint8_t>(addr_bytes.size()));
  WriteRaw(addr_bytes);
}

void ByteWriter::WriteUnsignedVInt(uint64_t v) {
  if (v < 0x80) {
    WriteByte(static_cast<uint8_t>(v));
    return;
  }
  // Bytes needed: 7 value bits fit in the first byte per extra byte used.
  int bits = 64 - __builtin_clzll(v);
  int size = bits > 56 ? 9 : (bits + 6) / 7;  // total bytes, 1..9
  int extra = size - 1;
  char buf[9];
  uint64_t x = v;
  for (int i = size - 1; i >= 1; --i, x >>= 8) buf[i] = static_cast<char>(x);
  uint8_t first = static_cast<uint8_t>(0xFF00u >> extra);
  if (extra < 8) first |= static_cast<uint8_t>(x & (0xFFu >> (extra + 1)));
  buf[0] = static_cast<char>(first);
  out_->append(buf, static_cast<size_t>(size));
}

void ByteWriter::WriteVInt(int64_t v) {
  WriteUnsignedVInt((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

}  // namespace postfork::cql
