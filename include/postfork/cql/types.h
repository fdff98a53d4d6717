// CQL type descriptors: what a column, bind marker or UDT field holds. Printed as CQL
// ("map<text, frozen<list<int>>>") and parsed back; encoded as the protocol's [option].
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/bytes.h"

namespace postfork::cql {

// Option ids of native_protocol_v4.spec section 6 (Rows metadata). kText is CQL's text/varchar
// (id 0x000D on the wire).
enum class TypeKind : uint16_t {
  kCustom = 0x0000,
  kAscii = 0x0001,
  kBigint = 0x0002,
  kBlob = 0x0003,
  kBoolean = 0x0004,
  kCounter = 0x0005,
  kDecimal = 0x0006,
  kDouble = 0x0007,
  kFloat = 0x0008,
  kInt = 0x0009,
  kTimestamp = 0x000B,
  kUuid = 0x000C,
  kText = 0x000D,
  kVarint = 0x000E,
  kTimeuuid = 0x000F,
  kInet = 0x0010,
  kDate = 0x0011,
  kTime = 0x0012,
  kSmallint = 0x0013,
  kTinyint = 0x0014,
  kDuration = 0x0015,
  kList = 0x0020,
  kMap = 0x0021,
  kSet = 0x0022,
  kUdt = 0x0030,
  kTuple = 0x0031,
  // Not a protocol id: Cassandra 5.0's vector<subtype, dimension> travels as the custom type
  // "org.apache.cassandra.db.marshal.VectorType(<subtype class> , <dimension>)" (Encode/Decode
  // translate).
  kVector = 0x0100,
};

// An immutable type descriptor with value semantics. Native types carry no heap state, so
// copying one is free; collection, tuple, UDT and custom types share their detail by refcount.
class DataType {
 public:
  DataType() = default;  // text
  explicit DataType(TypeKind native) : kind_(native) {}

  static DataType List(DataType element, bool frozen = false);
  static DataType Set(DataType element, bool frozen = false);
  static DataType Map(DataType key, DataType value, bool frozen = false);
  static DataType Tuple(std::vector<DataType> elements);  // tuples are always frozen
  static DataType Udt(std::string keyspace, std::string name, std::vector<std::string> field_names,
                      std::vector<DataType> field_types, bool frozen = false);
  static DataType Custom(std::string java_class);
  // vector<element, dimension>: always frozen, its element frozen too; dimension > 0.
  static DataType Vector(DataType element, int32_t dimension);

  TypeKind kind() const { return kind_; }
  bool is_native() const { return kind_ != TypeKind::kCustom && static_cast<uint16_t>(kind_) < 0x20; }
  bool is_collection() const {
    return kind_ == TypeKind::kList || kind_ == TypeKind::kSet || kind_ == TypeKind::kMap;
  }
  bool is_frozen() const;
  DataType Frozen() const;  // the same type marked frozen (collections, UDTs)

  // list/set: [element]; map: [key, value]; tuple: elements; udt: field types.
  const std::vector<DataType>& params() const;
  // UDT only.
  const std::string& udt_keyspace() const;
  const std::string& udt_name() const;
  const std::vector<std::string>& field_names() const;
  // Custom only: the Java class name.
  const std::string& custom_class() const;
  // Vector only: the number of elements (params()[0] is the element type).
  int32_t dimension() const;
  // Cassandra's AbstractType class name of this type ("org.apache.cassandra.db.marshal.Int32Type",
  // "...VectorType(...FloatType , 3)"): what a custom type option carries on the wire.
  std::string MarshalClass() const;

  // CQL text as Cassandra prints it: "int", "frozen<list<text>>", "map<text, int>",
  // "frozen<tuple<int, text>>" (tuples are always frozen), a UDT by its name, a custom type as
  // its quoted class name. Collections, UDTs and tuples nested in another type are frozen.
  std::string ToCql() const;
  // Parses ToCql's output and Cassandra's spellings (varchar, text, case-insensitive keywords,
  // spaces). UDT names need a resolver; without one they fail with kNotFound.
  struct UdtResolver {
    virtual ~UdtResolver() = default;
    virtual Result<DataType> Resolve(std::string_view keyspace, std::string_view name) const = 0;
  };
  static Result<DataType> Parse(std::string_view cql, const UdtResolver* udts = nullptr,
                                std::string_view keyspace = {});

  // The protocol's [option] (frozen is not visible on the wire). Before v4, date, time, smallint
  // and tinyint have no ids: v3 sends them, and
  // duration, as the custom types of their Cassandra classes, as Cassandra does.
  void Encode(ByteWriter& w, int protocol_version = 4) const;
  // Rejects unknown ids and nesting deeper than kMaxDepth.
  static Result<DataType> Decode(ByteReader& r);

  // Deep equality; `frozen` counts.
  bool operator==(const DataType& other) const;

  // Deepest nesting of collections, tuples and user types (frozen<> is not a level) that types,
  // values and their decoders accept: a bound on recursion for input from the wire. Cassandra
  // sets none (its recursion is bounded by the JVM's stack); 256 is beyond what its own tests
  // and drivers nest.
  static constexpr int kMaxDepth = 256;

 private:
  struct Detail;
  DataType(TypeKind kind, std::shared_ptr<const Detail> detail)
      : kind_(kind), detail_(std::move(detail)) {}

  TypeKind kind_ = TypeKind::kText;
  std::shared_ptr<const Detail> detail_;
};

// CQL name of a native kind ("int", "text", ...).
std::string_view NativeTypeName(TypeKind kind);
// A CQL identifier as Cassandra prints it (ColumnIdentifier.maybeQuote): as is when it is a
// lower-case word that is not a reserved keyword, else in double quotes with inner quotes doubled.
std::string QuoteIdentifier(std::string_view name);
// Whether a lower-case word is one of Cassandra 5.0's reserved keywords (its
// cql3/reserved_keywords.txt): never an unquoted identifier, always quoted when printed.
bool IsReservedKeyword(std::string_view word);

}  // namespace postfork::cql
