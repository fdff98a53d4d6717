// The binary records the schema store persists in the node's metadata space: one record per
// keyspace, table and user type. Decoding checks every field; a record that fails gives a
// kInternal Status ("corrupt persisted schema: ...") and never throws.
#pragma once

#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/db/schema.h"
#include "postfork/base/status.h"
#include "postfork/cql/types.h"

namespace postfork::node {

// Key format of tables created now (storage/key_encoding.h KeyFormat::kEqualTrailingNulls);
// system tables keep the TableMetadata default, under which their stored keys were written.
// A stored table with a newer format is refused: reading its keys under an older one misreads.
inline constexpr uint8_t kNewTableKeyFormat = 7;

// A user type as persisted: field types as CQL text naming other user types, resolved against
// the keyspace's types on load (and again whenever one of them changes).
struct StoredType {
  std::string keyspace;
  std::string name;
  std::vector<std::string> field_names;
  std::vector<std::string> field_types;
};

StoredType ToStoredType(const UserTypeMetadata& t);

std::string EncodeKeyspace(const KeyspaceMetadata& ks);
std::string EncodeTable(const TableMetadata& t);
std::string EncodeType(const StoredType& t);

Result<KeyspaceMetadata> DecodeKeyspace(std::string_view bytes);
Result<StoredType> DecodeType(std::string_view bytes);
// Column types are resolved with `types` (the keyspace's user types).
Result<TableMetadata> DecodeTable(std::string_view bytes, const cql::DataType::UdtResolver* types);

// Every stored type of a keyspace, resolved: each user type field holds the current definition
// of the type it names. A cycle or an unknown type (corrupt data) is an error.
Result<std::map<std::string, std::shared_ptr<const UserTypeMetadata>>> ResolveTypes(
    const std::string& keyspace, const std::map<std::string, StoredType>& stored);

// "corrupt persisted schema: <what>" (kInternal).
Status CorruptSchema(std::string_view what);
// A record's error, naming its metadata key, so an operator can find (and restore) the record.
Status InRecord(std::string_view key, const Status& error);
// At most 64 bytes of `text` for an error message, non-printable bytes as \xNN, quoted.
std::string Printable(std::string_view text);

// A whole decimal number (no sign, space or trailing text) of type T, or nullopt.
template <typename T>
std::optional<T> ParseUnsigned(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace postfork::node
