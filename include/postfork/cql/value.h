// One value representation for the driver (bound values, row cells) and the node (literals,
// stored cells). A Value holds a C++ representation; what CQL type it is serialized as comes
// from the DataType given to Serialize/Deserialize, which check that the two agree.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/types.h"

namespace postfork::cql {

struct Null {
  bool operator==(const Null&) const = default;
};
struct Unset {  // a bound value left unset (protocol v4+): the column is not written
  bool operator==(const Unset&) const = default;
};

struct Uuid {  // uuid and timeuuid
  std::array<uint8_t, 16> bytes{};
  static Result<Uuid> Parse(std::string_view text);  // 8-4-4-4-12 hex
  std::string ToString() const;
  int version() const { return bytes[6] >> 4; }
  bool operator==(const Uuid&) const = default;
  auto operator<=>(const Uuid&) const = default;
};

struct Inet {
  std::array<uint8_t, 16> bytes{};
  uint8_t size = 4;  // 4 (IPv4) or 16 (IPv6)
  static Result<Inet> Parse(std::string_view text);
  std::string ToString() const;
  bool operator==(const Inet&) const = default;
};

// Arbitrary-precision integer as the protocol stores it: two's complement, big-endian, minimal.
struct Varint {
  std::string bytes;
  static Varint FromInt64(int64_t v);
  // From two's complement big-endian bytes (any length >= 1), made minimal; empty reads as 0.
  static Varint FromBytes(std::string_view twos_complement);
  static Result<Varint> Parse(std::string_view decimal_text);
  std::string ToString() const;  // decimal
  bool operator==(const Varint&) const = default;
};

struct Decimal {  // unscaled * 10^-scale
  int32_t scale = 0;
  Varint unscaled;
  static Result<Decimal> Parse(std::string_view text);  // "-12.345", "1E+3"
  std::string ToString() const;
  bool operator==(const Decimal&) const = default;
};

struct Duration {
  int32_t months = 0;
  int32_t days = 0;
  int64_t nanos = 0;
  static Result<Duration> Parse(std::string_view text);  // "1h30m", "P1DT2H", "-3d"
  std::string ToString() const;
  bool operator==(const Duration&) const = default;
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's civil calendar
// algorithms): the day arithmetic behind Date and Timestamp.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

// Java's Double.toString / Float.toString (what Cassandra prints for a double or float): the
// shortest digits that read back, plain between 10^-3 and 10^7 (with at least one fraction
// digit), else d.dddE<n>.
std::string JavaFloatText(double d, bool is_float = false);

struct Date {  // days since the epoch, with 2^31 as 1970-01-01 (the wire form)
  uint32_t days = 1u << 31;
  static Result<Date> Parse(std::string_view text);  // "2024-02-29"
  std::string ToString() const;
  bool operator==(const Date&) const = default;
};

struct Time {  // nanoseconds since midnight, 0 .. 86399999999999
  int64_t nanos = 0;
  static Result<Time> Parse(std::string_view text);  // "13:30:54.234"
  std::string ToString() const;
  bool operator==(const Time&) const = default;
};

struct Timestamp {  // milliseconds since the epoch, UTC
  int64_t millis = 0;
  static Result<Timestamp> Parse(std::string_view text);  // ISO 8601 forms Cassandra accepts
  std::string ToString() const;                           // "2024-02-29 13:30:54.234000+0000"
  bool operator==(const Timestamp&) const = default;
};

struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

class Value;
// list, set, tuple and UDT values: elements (UDT: fields in declaration order).
using ValueList = std::vector<Value>;
struct MapEntry;
using ValueMap = std::vector<MapEntry>;  // in the order given (sets and maps sort when serialized)

class Value {
 public:
  // text and ascii are std::string; blob is Blob; bigint, counter use int64_t.
  using Variant = std::variant<Null, Unset, bool, int8_t, int16_t, int32_t, int64_t, float, double,
                               std::string, Blob, Uuid, Inet, Varint, Decimal, Duration, Date, Time,
                               Timestamp, ValueList, ValueMap>;

  Value() = default;  // null
  template <class T, class = std::enable_if_t<std::is_constructible_v<Variant, T&&> &&
                                              !std::is_same_v<std::decay_t<T>, Value>>>
  Value(T&& v) : v_(std::forward<T>(v)) {}
  Value(const char* s);

  bool is_null() const { return std::holds_alternative<Null>(v_); }
  bool is_unset() const { return std::holds_alternative<Unset>(v_); }
  template <class T>
  bool is() const {
    return std::holds_alternative<T>(v_);
  }
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }
  const Variant& variant() const { return v_; }
  Variant& variant() { return v_; }

  bool operator==(const Value& other) const;

  // CQL literal text, as cqlsh prints it: 'text' quoted and escaped, blobs as 0x..., collections
  // as [..], {..}, tuples as (..).
  std::string ToCqlLiteral(const DataType& type) const;

 private:
  Variant v_;
};

struct MapEntry {
  Value key;
  Value value;
  bool operator==(const MapEntry&) const = default;
};

// Defined here, where MapEntry is complete (the variant's map alternative needs it).
inline Value::Value(const char* s) : v_(std::string(s)) {}

// Serializes `v` as `type` into the cell body (no [int] length prefix). Integers of another
// width are accepted when they fit; anything else mismatched is kInvalidArgument. Null and
// Unset are not cell bodies: callers write them as [value] lengths -1 / -2.
Status SerializeValue(const Value& v, const DataType& type, std::string* out);
// Appends a [value] (length, then body; -1 for Null, -2 for Unset).
Status WriteValue(const Value& v, const DataType& type, ByteWriter& w);
// Decodes a cell body of `type`. Rejects wrong sizes, invalid UTF-8 in text, non-ASCII in ascii,
// negative collection counts and nesting beyond DataType::kMaxDepth. An empty body of a type
// other than text/ascii/blob/custom (Cassandra's "empty" value) reads as Null. Lists and sets
// come back as ValueList, maps as ValueMap, tuples and UDTs as ValueList (missing trailing
// components as Null); varints are made minimal; text is a std::string, blob/custom a Blob.
Result<Value> DeserializeValue(std::string_view body, const DataType& type);
// The size of every value of `type` when it is fixed (Cassandra's valueLengthIfFixed: boolean
// 1, int and float 4, bigint, double and timestamp 8, uuid and timeuuid 16, a vector of those its
// dimension times that), else 0. A vector's elements of a fixed size are stored back to back.
int FixedValueLength(const DataType& type);
// A vector value's elements (views into `body`), with Cassandra's messages for a body of the
// wrong size ("Not enough bytes to read a vector<float, 3>", "Unexpected 4 extraneous bytes after
// ...", "Invalid empty vector value"). `type` must be a vector.
Result<std::vector<std::string_view>> SplitVectorElements(std::string_view body,
                                                          const DataType& type);
// Validates a cell body without building a Value (the node's check of bound values).
Status ValidateValue(std::string_view body, const DataType& type);

}  // namespace postfork::cql
