// Order-preserving, prefix-free encoding of the node's RocksDB keys (layout in storage/README.md).
// Comparing two encoded keys bytewise gives Cassandra's order: table, token, partition key, then
// clustering components by their type's comparator, DESC components reversed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "node/db/schema.h"
#include "postfork/base/status.h"
#include "postfork/cql/types.h"

namespace postfork::node::keys {

// First byte of every key: which space it belongs to.
inline constexpr char kMetaSpace = 0x01;
inline constexpr char kDataSpace = 0x10;
// After the partition key: the partition header (deletion, statics, range tombstones) sorts
// before the partition's rows.
inline constexpr char kHeaderSection = 0x00;
inline constexpr char kRowSection = 0x01;

int64_t TokenOf(const std::vector<std::string>& partition_key);

// [kDataSpace][storage_id BE32]
std::string TablePrefix(uint32_t storage_id);
void AppendTablePrefix(uint32_t storage_id, std::string* out);
inline constexpr size_t kTablePrefixSize = 1 + 4;
// TablePrefix then the token's 8 bytes: where a data key's partition key components start.
inline constexpr size_t kTokenPrefixSize = kTablePrefixSize + 8;
// TablePrefix + token (BE64, sign bit flipped) + escaped partition key components.
std::string PartitionPrefix(uint32_t storage_id, int64_t token,
                            const std::vector<std::string>& partition_key);
// The same into *out (replacing what it held), which keeps its capacity for the next key.
void AssignPartitionPrefix(uint32_t storage_id, int64_t token,
                           const std::vector<std::string>& partition_key, std::string* out);
void AppendToken(int64_t token, std::string* out);

// The smallest byte string greater than every string that starts with `prefix`; empty when
// there is none (prefix all 0xFF), meaning "no upper bound".
std::string PrefixSuccessor(std::string_view prefix);

// Escaped bytes: 0x00 -> 0x00 0xFF, terminated by 0x00 0x01 (prefix-free, bytewise order kept).
void AppendEscaped(std::string_view bytes, std::string* out);
// Reads one escaped string from the front of *in, advancing it.
Result<std::string> ReadEscaped(std::string_view* in);

// How a table's keys encode frozen collections, tuples and user types (TableMetadata::key_format):
// kBytewiseComposites (tables created before format 2) as their serialized bytes;
// kTypedComposites element by element, in Cassandra's order for the type (lists and sets by
// their elements, maps by entries, tuples and UDTs field by field with null first);
// kEmptyValues as kTypedComposites, and a fixed-size value (int, uuid, timestamp, ...) is
// preceded by 0x01 so that an empty (zero-length) value, 0x00, is a key that sorts first;
// kValueOrderedNumbers as kEmptyValues, and a decimal is its value alone (earlier formats append
// its bytes), so 1230 and 1.23E+3 are one clustering key, as Cassandra's DecimalType compares
// them. Varints are their minimal two's complement bytes in every format. A table whose
// clustering key loses bytes this way keeps each row's clustering as first written in the row
// value (StoresWrittenClustering);
// kValueOrderedElements as kValueOrderedNumbers, and the cell paths of set elements and map keys
// are encoded so too (ElementFormat): 1.0 and 1.00 are one element, as Cassandra compares cell
// paths with the collection's name comparator; a cell whose path loses bytes keeps them in the
// cell (rows::Cell::written_path, StoresWrittenPath);
// kEqualBooleansAndNaNs as kValueOrderedElements, and a boolean is 0x00 (false) or 0x01 (any
// other byte) and every NaN of a float or double is one NaN, above +Infinity, so 0x01 and 0x02
// are one key or element, as are all NaN bit patterns (Cassandra's BooleanType compares zero
// against non-zero, FloatType and DoubleType as Float.compare/Double.compare); the bytes are kept
// as for decimals. Earlier formats order booleans by byte and floats by IEEE total order (NaNs
// with the sign bit below -Infinity).
// kEqualTrailingNulls as kEqualBooleansAndNaNs, and a tuple or UDT value is its fields up to the
// last non-null one, so a value that ends early (a frozen UDT written before ALTER TYPE ... ADD)
// and one whose remaining fields are null are one key or element, as Cassandra's TupleType and
// UserType compare them; the bytes are kept as for decimals. Earlier formats keep every field
// the value holds, so the two are apart.
// Empty varint and decimal values are 0x00 in every format (no older key starts so).
enum class KeyFormat : uint8_t {
  kBytewiseComposites = 1,
  kTypedComposites = 2,
  kEmptyValues = 3,
  kValueOrderedNumbers = 4,
  kValueOrderedElements = 5,
  kEqualBooleansAndNaNs = 6,
  kEqualTrailingNulls = 7,
};
inline constexpr KeyFormat kCurrentKeyFormat = KeyFormat::kEqualTrailingNulls;

// Whether `table`'s clustering keys encode equal values of different bytes (decimal, varint; from
// kEqualBooleansAndNaNs on boolean, float, double; from kEqualTrailingNulls on tuples and UDTs
// with trailing null fields; also inside frozen collections, tuples and UDTs) as one key, so that the bytes a row was first written with live in its value
// (rows::RowValue::clustering), as Cassandra's memtable keeps the existing row's Clustering on
// a merge. From kEqualBooleansAndNaNs on, a row whose key decodes to the bytes it was written
// with keeps an empty clustering there instead (WrittenClusteringIsKey).
bool StoresWrittenClustering(const TableMetadata& table);
// Whether a stored RowValue::clustering of `table` may be empty for "as the key decodes".
bool WrittenClusteringIsKey(const TableMetadata& table);

// The format of a table's collection cell paths: the table's format from kEqualBooleansAndNaNs
// on, kValueOrderedNumbers in kValueOrderedElements (equal values are one path), before it
// kEmptyValues at most (a value's bytes stay apart from other bytes of an equal value).
KeyFormat ElementFormat(const TableMetadata& table);

// Whether a cell path of `path_type` in `table` may lose the bytes it was written with (the types
// of StoresWrittenClustering in the table's ElementFormat, from kValueOrderedElements on): a cell
// whose path does not decode to its written bytes then keeps them (rows::Cell::written_path),
// and reads return them.
bool StoresWrittenPath(const TableMetadata& table, const cql::DataType& path_type);

// Appends the order-preserving encoding of one serialized clustering value of `type`
// (inverted when descending). kInvalidArgument when the value's size is wrong for its type.
Status AppendClusteringComponent(const cql::DataType& type, bool descending, std::string_view value,
                                 KeyFormat format, std::string* out);
Result<std::string> ReadClusteringComponent(const cql::DataType& type, bool descending,
                                            KeyFormat format, std::string_view* in);

// Encodes a clustering prefix (the first components.size() clustering columns of `table`).
Result<std::string> EncodeClustering(const TableMetadata& table,
                                     const std::vector<std::string>& components);
Result<std::vector<std::string>> DecodeClustering(const TableMetadata& table,
                                                  std::string_view encoded);
// DecodeClustering into *out, reusing its vector (the read path's buffer for the row in hand).
Status DecodeClusteringInto(const TableMetadata& table, std::string_view encoded,
                            std::vector<std::string>* out);

// The order-preserving encoding of a value a secondary index looks up, for a column of
// `column_type` and the index's target: the value itself (kSimple, kFull), a collection element
// (kValues: list/set element, map value), a map key (kKeys), or a map key then value
// (kEntries: `value` is the key, `map_value` the value), composites in the base table's
// `format`. Prefix-free, so entries for one value are one key range. kInvalidArgument when the
// value cannot be of its type.
Result<std::string> EncodeIndexValue(const cql::DataType& column_type, IndexTarget target,
                                     KeyFormat format, std::string_view value,
                                     std::string_view map_value = {});

// A data key split into its parts (views into the key).
struct DecodedDataKey {
  uint32_t storage_id = 0;
  int64_t token = 0;
  std::string_view partition_prefix;  // TablePrefix .. end of the partition key
  char section = kHeaderSection;
  std::string_view clustering;  // encoded clustering (row section)
};
Result<DecodedDataKey> SplitDataKey(std::string_view key, size_t partition_key_size);
Result<std::vector<std::string>> DecodePartitionKey(std::string_view partition_prefix,
                                                    size_t partition_key_size);
// DecodePartitionKey into *out, reusing its vector and strings.
Status DecodePartitionKeyInto(std::string_view partition_prefix, size_t partition_key_size,
                              std::vector<std::string>* out);

}  // namespace postfork::node::keys
