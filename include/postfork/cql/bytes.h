// Bounds-checked readers and appending writers for the protocol's notations ([int], [string],
// [bytes], [value], ...; native_protocol_v4.spec section 3). Big-endian throughout. No I/O.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"

namespace postfork::cql {

// A [value] on the wire: bytes, null (length -1) or unset (length -2, v4+).
struct RawValue {
  enum class Kind : uint8_t { kBytes, kNull, kUnset };
  Kind kind = Kind::kNull;
  std::string_view bytes;  // valid when kind == kBytes; views the decoded buffer

  static RawValue Null() { return {Kind::kNull, {}}; }
  static RawValue Unset() { return {Kind::kUnset, {}}; }
  static RawValue Of(std::string_view b) { return {Kind::kBytes, b}; }
  bool is_null() const { return kind == Kind::kNull; }
  bool is_unset() const { return kind == Kind::kUnset; }
  bool operator==(const RawValue&) const = default;
};

// Reads from a borrowed buffer. Every read checks the remaining length first and never reads
// past the end; string_views it returns point into the buffer (the caller keeps it alive).
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  ByteReader(const void* data, size_t size)
      : p_(static_cast<const char*>(data)), end_(static_cast<const char*>(data) + size) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  const char* position() const { return p_; }
  std::string_view rest() const { return {p_, remaining()}; }

  Result<uint8_t> ReadByte();
  Result<uint16_t> ReadShort();  // [short], unsigned
  Result<int32_t> ReadInt();     // [int]
  Result<int64_t> ReadLong();    // [long]
  Result<std::string_view> ReadRaw(size_t n);
  Result<std::string_view> ReadString();      // [string]: [short] n + n bytes
  Result<std::string_view> ReadLongString();  // [long string]: [int] n + n bytes
  // [bytes]: [int] n + n bytes; n < 0 is null (std::nullopt).
  Result<std::optional<std::string_view>> ReadBytes();
  Result<std::string_view> ReadShortBytes();  // [short bytes]
  Result<RawValue> ReadValue();               // [value]: n >= 0, -1 null, -2 unset
  Result<std::vector<std::string_view>> ReadStringList();
  Result<std::map<std::string, std::string>> ReadStringMap();
  Result<std::map<std::string, std::vector<std::string>>> ReadStringMultimap();
  Result<std::map<std::string, std::string>> ReadBytesMap();  // values as raw bytes
  Result<std::string_view> ReadUuid();                        // 16 raw bytes
  // [inet]: [byte] n (4 or 16) + address + [int] port. Returns the address bytes.
  Result<std::string_view> ReadInetAddr();  // [inetaddr]: [byte] n + n bytes
  Result<uint64_t> ReadUnsignedVInt();      // [unsigned vint] (v5 and duration)
  Result<int64_t> ReadVInt();               // [vint], zig-zag

  // Checks that `count` items of at least `min_item_size` bytes each could still follow, so a
  // hostile count is rejected before anything is allocated for it.
  Status CheckCount(int64_t count, size_t min_item_size, std::string_view what) const;

 private:
  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

// Appends to a caller-owned std::string (the frame being built). Never fails; callers check
// protocol limits (e.g. [short] lengths) through the Status-returning helpers.
class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  std::string* buffer() { return out_; }
  size_t size() const { return out_->size(); }

  void WriteByte(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void WriteShort(uint16_t v) {
    char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    out_->append(b, 2);
  }
  void WriteInt(int32_t v) {
    uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
                 static_cast<char>(u)};
    out_->append(b, 4);
  }
  void WriteLong(int64_t v) {
    uint64_t u = static_cast<uint64_t>(v);
    char b[8];
    for (int i = 7; i >= 0; --i, u >>= 8) b[i] = static_cast<char>(u);
    out_->append(b, 8);
  }
  void WriteRaw(std::string_view b) { out_->append(b.data(), b.size()); }
  // [string]; text beyond 65535 bytes is cut there (at a UTF-8 boundary), never mis-framed.
  void WriteString(std::string_view s);
  void WriteLongString(std::string_view s);            // [long string]
  void WriteBytes(std::optional<std::string_view> b);  // [bytes]; nullopt writes -1
  void WriteShortBytes(std::string_view b);
  void WriteValue(const RawValue& v);
  void WriteStringList(const std::vector<std::string>& l);
  void WriteStringMap(const std::map<std::string, std::string>& m);
  void WriteStringMultimap(const std::map<std::string, std::vector<std::string>>& m);
  void WriteBytesMap(const std::map<std::string, std::string>& m);
  void WriteInetAddr(std::string_view addr_bytes);  // 4 or 16 bytes
  void WriteUnsignedVInt(uint64_t v);
  void WriteVInt(int64_t v);

  // Reserves an [int] length slot; FinishLength fills it with the bytes written since.
  size_t BeginLength() {
    size_t at = out_->size();
    out_->append(4, '\0');
    return at;
  }
  void FinishLength(size_t at) {
    uint32_t n = static_cast<uint32_t>(out_->size() - at - 4);
    (*out_)[at] = static_cast<char>(n >> 24);
    (*out_)[at + 1] = static_cast<char>(n >> 16);
    (*out_)[at + 2] = static_cast<char>(n >> 8);
    (*out_)[at + 3] = static_cast<char>(n);
  }

 private:
  std::string* out_;
};

// Big-endian loads for hot decoders that have already checked bounds.
inline uint16_t LoadBE16(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t LoadBE32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t LoadBE64(const char* p) { return (uint64_t{LoadBE32(p)} << 32) | LoadBE32(p + 4); }

}  // namespace postfork::cql
