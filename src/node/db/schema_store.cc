// SchemaStore: validated DDL with Cassandra's errors, persisted in the node's metadata space.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

#include "node/cql_errors.h"
#include "node/db/node_identity.h"
#include "node/db/schema.h"
#include "node/db/system_keyspaces.h"
#include "node/storage/storage.h"
#include "node/timestamp.h"
#include "postfork/cql/bytes.h"

namespace postfork::node {
namespace {

constexpr size_t kNameLength = 48;  // SchemaConstants.NAME_LENGTH
constexpr uint32_t kFirstUserStorageId = 1000;
constexpr uint8_t kFormatVersion = 1;
// Table records: 2 adds TableMetadata::key_format (records of version 1 are key format 1).
constexpr uint8_t kTableFormatVersion = 2;

// Metadata keys (Storage::PutMeta space).
constexpr std::string_view kKeyspaceKeyPrefix = "schema/keyspace/";
constexpr std::string_view kTableKeyPrefix = "schema/table/";
constexpr std::string_view kTypeKeyPrefix = "schema/type/";
constexpr std::string_view kNextStorageIdKey = "schema/next_storage_id";
// Key format of tables created now (storage/key_encoding.h KeyFormat::kEmptyValues); system
// tables keep the TableMetadata default, under which their stored keys were written.
constexpr uint8_t kNewTableKeyFormat = 3;
constexpr std::string_view kEpochKey = "schema/epoch";
constexpr std::string_view kHostIdKey = "local/host_id";
constexpr std::string_view kTokensKey = "local/tokens";

Status NotUserModifiable(std::string_view keyspace) {
  return Unauthorized(std::string(keyspace) + " keyspace is not user-modifiable.");
}
Status KeyspaceMissing(std::string_view keyspace) {
  return InvalidRequest("Keyspace '" + std::string(keyspace) + "' doesn't exist");
}
Status TableMissing(std::string_view keyspace, std::string_view table) {
  return InvalidRequest("Table '" + std::string(keyspace) + "." + std::string(table) +
                        "' doesn't exist");
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string TableKey(std::string_view ks, std::string_view table) {
  return std::string(kTableKeyPrefix) + std::string(ks) + "/" + std::string(table);
}
std::string TypeKey(std::string_view ks, std::string_view type) {
  return std::string(kTypeKeyPrefix) + std::string(ks) + "/" + std::string(type);
}
std::string KeyspaceKey(std::string_view ks) {
  return std::string(kKeyspaceKeyPrefix) + std::string(ks);
}

cql::Uuid RandomUuid() {
  cql::Uuid id;
  if (RAND_bytes(id.bytes.data(), static_cast<int>(id.bytes.size())) != 1) {
    // The OpenSSL RNG failing is not recoverable here; fall back to the clock for uniqueness.
    int64_t now = NowMicros();
    std::memcpy(id.bytes.data(), &now, sizeof(now));
  }
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0F) | 0x40);  // version 4
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3F) | 0x80);
  return id;
}

// ---- persistence format --------------------------------------------------------------------

void WriteDouble(double d, cql::ByteWriter& w) {
  int64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  w.WriteLong(bits);
}

std::string EncodeKeyspace(const KeyspaceMetadata& ks) {
  std::string out;
  cql::ByteWriter w(&out);
  w.WriteByte(kFormatVersion);
  w.WriteString(ks.name);
  w.WriteByte(ks.durable_writes ? 1 : 0);
  w.WriteStringMap(ks.replication);
  return out;
}

std::string EncodeTable(const TableMetadata& t) {
  std::string out;
  cql::ByteWriter w(&out);
  w.WriteByte(kTableFormatVersion);
  w.WriteString(t.keyspace);
  w.WriteString(t.name);
  w.WriteRaw(std::string_view(reinterpret_cast<const char*>(t.id.bytes.data()), 16));
  w.WriteInt(static_cast<int32_t>(t.storage_id));
  w.WriteInt(static_cast<int32_t>(t.next_column_id));
  w.WriteInt(static_cast<int32_t>(t.columns.size()));
  for (const auto& c : t.columns) {
    w.WriteString(c.name);
    w.WriteLongString(c.type.ToCql());
    w.WriteByte(static_cast<uint8_t>(c.kind));
    w.WriteInt(c.position);
    w.WriteByte(static_cast<uint8_t>(c.order));
    w.WriteInt(static_cast<int32_t>(c.id));
  }
  const TableParams& p = t.params;
  w.WriteLongString(p.comment);
  WriteDouble(p.bloom_filter_fp_chance, w);
  w.WriteStringMap(p.caching);
  w.WriteByte(p.cdc ? 1 : 0);
  w.WriteStringMap(p.compaction);
  w.WriteStringMap(p.compression);
  WriteDouble(p.crc_check_chance, w);
  w.WriteInt(p.default_time_to_live);
  w.WriteBytesMap(p.extensions);
  w.WriteInt(p.gc_grace_seconds);
  w.WriteInt(p.max_index_interval);
  w.WriteString(p.memtable);
  w.WriteInt(p.memtable_flush_period_in_ms);
  w.WriteInt(p.min_index_interval);
  w.WriteString(p.read_repair);
  w.WriteString(p.speculative_retry);
  w.WriteString(p.additional_write_policy);
  w.WriteInt(static_cast<int32_t>(t.dropped_columns.size()));
  for (const auto& d : t.dropped_columns) {
    w.WriteString(d.name);
    w.WriteLongString(d.type.ToCql());
    w.WriteByte(static_cast<uint8_t>(d.kind));
    w.WriteLong(d.dropped_time_micros);
  }
  w.WriteByte(t.key_format);
  // Indexes are a trailing section, absent when there are none (tables persisted before
  // indexes existed decode unchanged).
  if (!t.indexes.empty()) {
    w.WriteInt(static_cast<int32_t>(t.indexes.size()));
    for (const auto& index : t.indexes) {
      w.WriteString(index.name);
      w.WriteInt(static_cast<int32_t>(index.column_id));
      w.WriteByte(static_cast<uint8_t>(index.target));
      w.WriteInt(static_cast<int32_t>(index.storage_id));
    }
    // Custom (SAI) index classes and options: a further trailing section, absent when every
    // index is native.
    bool any_custom = std::any_of(t.indexes.begin(), t.indexes.end(),
                                  [](const IndexMetadata& i) { return !i.custom_class.empty(); });
    if (any_custom) {
      for (const auto& index : t.indexes) {
        w.WriteString(index.custom_class);
        w.WriteStringMap(index.options);
      }
    }
  }
  return out;
}

// A user type as persisted: field types as CQL text naming other user types, resolved against
// the keyspace's types on load (and again whenever one of them changes).
struct StoredType {
  std::string keyspace;
  std::string name;
  std::vector<std::string> field_names;
  std::vector<std::string> field_types;
};

StoredType ToStored(const UserTypeMetadata& t) {
  StoredType out{t.keyspace, t.name, t.field_names(), {}};
  for (const auto& f : t.field_types()) out.field_types.push_back(f.ToCql());
  return out;
}

std::string EncodeType(const StoredType& t) {
  std::string out;
  cql::ByteWriter w(&out);
  w.WriteByte(kFormatVersion);
  w.WriteString(t.keyspace);
  w.WriteString(t.name);
  w.WriteInt(static_cast<int32_t>(t.field_names.size()));
  for (size_t i = 0; i < t.field_names.size(); ++i) {
    w.WriteString(t.field_names[i]);
    w.WriteLongString(t.field_types[i]);
  }
  return out;
}

Status Corrupt(std::string_view what) {
  return Status(StatusCode::kInternal, "corrupt persisted schema: " + std::string(what));
}

// A record's error, naming its metadata key, so an operator can find (and restore) the record.
Status InRecord(std::string_view key, const Status& error) {
  std::string what = error.message();
  constexpr std::string_view kPrefix = "corrupt persisted schema: ";
  if (what.rfind(kPrefix, 0) == 0) what.erase(0, kPrefix.size());
  return Status(StatusCode::kInternal,
                "corrupt persisted schema record '" + std::string(key) + "': " + what);
}

// At most 64 bytes of `text` for an error message, non-printable bytes as \xNN.
std::string Printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (text.size() > 64) out += "...";
  return "'" + out + "'";
}

// A whole decimal number (no sign, space or trailing text) of type T, or nullopt.
template <typename T>
std::optional<T> ParseUnsigned(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

#define PF_READ(var, expr)                                 \
  auto PF_CONCAT(r_, __LINE__) = (expr);                   \
  if (!PF_CONCAT(r_, __LINE__).ok()) return Corrupt(#var); \
  auto var = std::move(PF_CONCAT(r_, __LINE__)).value()

Result<double> ReadDouble(cql::ByteReader& r) {
  auto bits = r.ReadLong();
  if (!bits.ok()) return bits.status();
  double d;
  int64_t b = *bits;
  std::memcpy(&d, &b, sizeof(d));
  return d;
}

Result<KeyspaceMetadata> DecodeKeyspace(std::string_view bytes) {
  cql::ByteReader r(bytes);
  PF_READ(version, r.ReadByte());
  if (version != kFormatVersion) return Corrupt("keyspace format version");
  KeyspaceMetadata ks;
  PF_READ(name, r.ReadString());
  ks.name = std::string(name);
  PF_READ(durable, r.ReadByte());
  ks.durable_writes = durable != 0;
  PF_READ(replication, r.ReadStringMap());
  ks.replication = std::move(replication);
  return ks;
}

Result<StoredType> DecodeType(std::string_view bytes) {
  cql::ByteReader r(bytes);
  PF_READ(version, r.ReadByte());
  if (version != kFormatVersion) return Corrupt("type format version");
  StoredType t;
  PF_READ(ks, r.ReadString());
  t.keyspace = std::string(ks);
  PF_READ(name, r.ReadString());
  t.name = std::string(name);
  PF_READ(n, r.ReadInt());
  if (n < 0 || static_cast<size_t>(n) > r.remaining()) return Corrupt("field count");
  for (int32_t i = 0; i < n; ++i) {
    PF_READ(fname, r.ReadString());
    t.field_names.emplace_back(fname);
    PF_READ(ftype, r.ReadLongString());
    t.field_types.emplace_back(ftype);
  }
  if (!r.empty()) return Corrupt("trailing type bytes");
  return t;
}

// Resolves a keyspace's stored types into descriptors, each user type field holding the current
// definition of the type it names. Types only name types that existed before them, so the
// recursion ends; a cycle in corrupt data is reported, not followed.
class StoredTypeResolver final : public cql::DataType::UdtResolver {
 public:
  StoredTypeResolver(std::string keyspace, const std::map<std::string, StoredType>* stored)
      : keyspace_(std::move(keyspace)), stored_(stored) {}

  Result<cql::DataType> Resolve(std::string_view keyspace, std::string_view name) const override {
    if (!keyspace.empty() && keyspace != keyspace_) return Corrupt("type of another keyspace");
    std::string key(name);
    if (auto it = done_.find(key); it != done_.end()) return it->second;
    auto it = stored_->find(key);
    if (it == stored_->end()) return Corrupt("unknown type " + key);
    if (!active_.insert(key).second) return Corrupt("circular type " + key);
    std::vector<cql::DataType> fields;
    for (const auto& text : it->second.field_types) {
      auto type = cql::DataType::Parse(text, this, keyspace_);
      if (!type.ok()) {
        active_.erase(key);
        return type.error();
      }
      fields.push_back(std::move(*type));
    }
    active_.erase(key);
    cql::DataType udt =
        cql::DataType::Udt(keyspace_, key, it->second.field_names, std::move(fields));
    done_.emplace(key, udt);
    return udt;
  }

 private:
  std::string keyspace_;
  const std::map<std::string, StoredType>* stored_;
  mutable std::map<std::string, cql::DataType> done_;
  mutable std::set<std::string> active_;
};

// Every stored type of a keyspace, resolved.
Result<std::map<std::string, std::shared_ptr<const UserTypeMetadata>>> ResolveTypes(
    const std::string& keyspace, const std::map<std::string, StoredType>& stored) {
  StoredTypeResolver resolver(keyspace, &stored);
  std::map<std::string, std::shared_ptr<const UserTypeMetadata>> out;
  for (const auto& [name, st] : stored) {
    PF_ASSIGN_OR_RETURN(cql::DataType type, resolver.Resolve(keyspace, name));
    out[name] = std::make_shared<UserTypeMetadata>(UserTypeMetadata{keyspace, name, type});
  }
  return out;
}

// A user type's shape as a frozen tuple (Cassandra records dropped user-type columns so, since
// the type itself may be dropped later).
cql::DataType UdtsAsTuples(const cql::DataType& t) {
  switch (t.kind()) {
    case cql::TypeKind::kList:
      return cql::DataType::List(UdtsAsTuples(t.params()[0]), t.is_frozen());
    case cql::TypeKind::kSet:
      return cql::DataType::Set(UdtsAsTuples(t.params()[0]), t.is_frozen());
    case cql::TypeKind::kMap:
      return cql::DataType::Map(UdtsAsTuples(t.params()[0]), UdtsAsTuples(t.params()[1]),
                                t.is_frozen());
    case cql::TypeKind::kTuple:
    case cql::TypeKind::kUdt: {
      std::vector<cql::DataType> elements;
      for (const auto& p : t.params()) elements.push_back(UdtsAsTuples(p));
      return cql::DataType::Tuple(std::move(elements));
    }
    default:
      return t;
  }
}

// Whether `t` mentions the user type `name` at any depth.
bool UsesType(const cql::DataType& t, std::string_view name) {
  if (t.kind() == cql::TypeKind::kUdt && t.udt_name() == name) return true;
  for (const auto& p : t.params()) {
    if (UsesType(p, name)) return true;
  }
  return false;
}

Result<TableMetadata> DecodeTable(std::string_view bytes,
                                  const cql::DataType::UdtResolver* types) {
  cql::ByteReader r(bytes);
  PF_READ(version, r.ReadByte());
  if (version != 1 && version != kTableFormatVersion) return Corrupt("table format version");
  TableMetadata t;
  t.key_format = 1;
  PF_READ(ks, r.ReadString());
  t.keyspace = std::string(ks);
  PF_READ(name, r.ReadString());
  t.name = std::string(name);
  PF_READ(id, r.ReadRaw(16));
  std::memcpy(t.id.bytes.data(), id.data(), 16);
  PF_READ(storage_id, r.ReadInt());
  t.storage_id = static_cast<uint32_t>(storage_id);
  PF_READ(next_column_id, r.ReadInt());
  PF_READ(ncols, r.ReadInt());
  if (ncols < 0 || static_cast<size_t>(ncols) > r.remaining()) return Corrupt("column count");
  for (int32_t i = 0; i < ncols; ++i) {
    ColumnMetadata c;
    PF_READ(cname, r.ReadString());
    c.name = std::string(cname);
    PF_READ(type_text, r.ReadLongString());
    PF_READ(type, cql::DataType::Parse(type_text, types, t.keyspace));
    c.type = std::move(type);
    PF_READ(kind, r.ReadByte());
    if (kind > static_cast<uint8_t>(ColumnKind::kStatic)) return Corrupt("column kind");
    c.kind = static_cast<ColumnKind>(kind);
    PF_READ(position, r.ReadInt());
    c.position = position;
    PF_READ(order, r.ReadByte());
    if (order > static_cast<uint8_t>(ClusteringOrder::kDesc)) return Corrupt("clustering order");
    c.order = static_cast<ClusteringOrder>(order);
    PF_READ(cid, r.ReadInt());
    c.id = static_cast<uint32_t>(cid);
    t.columns.push_back(std::move(c));
  }
  TableParams& p = t.params;
  PF_READ(comment, r.ReadLongString());
  p.comment = std::string(comment);
  PF_READ(bloom, ReadDouble(r));
  p.bloom_filter_fp_chance = bloom;
  PF_READ(caching, r.ReadStringMap());
  p.caching = std::move(caching);
  PF_READ(cdc, r.ReadByte());
  p.cdc = cdc != 0;
  PF_READ(compaction, r.ReadStringMap());
  p.compaction = std::move(compaction);
  PF_READ(compression, r.ReadStringMap());
  p.compression = std::move(compression);
  PF_READ(crc, ReadDouble(r));
  p.crc_check_chance = crc;
  PF_READ(ttl, r.ReadInt());
  p.default_time_to_live = ttl;
  PF_READ(extensions, r.ReadBytesMap());
  p.extensions = std::move(extensions);
  PF_READ(gc, r.ReadInt());
  p.gc_grace_seconds = gc;
  PF_READ(max_ii, r.ReadInt());
  p.max_index_interval = max_ii;
  PF_READ(memtable, r.ReadString());
  p.memtable = std::string(memtable);
  PF_READ(flush, r.ReadInt());
  p.memtable_flush_period_in_ms = flush;
  PF_READ(min_ii, r.ReadInt());
  p.min_index_interval = min_ii;
  PF_READ(read_repair, r.ReadString());
  p.read_repair = std::string(read_repair);
  PF_READ(spec, r.ReadString());
  p.speculative_retry = std::string(spec);
  PF_READ(awp, r.ReadString());
  p.additional_write_policy = std::string(awp);
  PF_READ(ndropped, r.ReadInt());
  if (ndropped < 0 || static_cast<size_t>(ndropped) > r.remaining()) return Corrupt("dropped");
  for (int32_t i = 0; i < ndropped; ++i) {
    TableMetadata::DroppedColumn d;
    PF_READ(dname, r.ReadString());
    d.name = std::string(dname);
    PF_READ(dtype_text, r.ReadLongString());
    PF_READ(dtype, cql::DataType::Parse(dtype_text));
    d.type = std::move(dtype);
    PF_READ(dkind, r.ReadByte());
    if (dkind > static_cast<uint8_t>(ColumnKind::kStatic)) return Corrupt("dropped kind");
    d.kind = static_cast<ColumnKind>(dkind);
    PF_READ(dtime, r.ReadLong());
    d.dropped_time_micros = dtime;
    t.dropped_columns.push_back(std::move(d));
  }
  if (version >= 2) {
    PF_READ(key_format, r.ReadByte());
    if (key_format < 1 || key_format > 3) return Corrupt("key format");
    t.key_format = key_format;
  }
  if (!r.empty()) {
    PF_READ(nindexes, r.ReadInt());
    if (nindexes < 0 || static_cast<size_t>(nindexes) > r.remaining()) return Corrupt("indexes");
    for (int32_t i = 0; i < nindexes; ++i) {
      IndexMetadata index;
      PF_READ(iname, r.ReadString());
      index.name = std::string(iname);
      PF_READ(icolumn, r.ReadInt());
      index.column_id = static_cast<uint32_t>(icolumn);
      PF_READ(itarget, r.ReadByte());
      if (itarget > static_cast<uint8_t>(IndexTarget::kFull)) return Corrupt("index target");
      index.target = static_cast<IndexTarget>(itarget);
      PF_READ(istorage, r.ReadInt());
      index.storage_id = static_cast<uint32_t>(istorage);
      t.indexes.push_back(std::move(index));
    }
    if (!r.empty()) {
      for (auto& index : t.indexes) {
        PF_READ(iclass, r.ReadString());
        index.custom_class = std::string(iclass);
        PF_READ(ioptions, r.ReadStringMap());
        index.options = std::move(ioptions);
      }
    }
  }
  if (!r.empty()) return Corrupt("trailing table bytes");
  t.Finish();
  if (t.partition_key_count == 0) return Corrupt("no partition key column");
  for (const auto& index : t.indexes) {
    bool found = std::any_of(t.columns.begin(), t.columns.end(),
                             [&](const ColumnMetadata& c) { return c.id == index.column_id; });
    if (!found) return Corrupt("index " + index.name + " on an unknown column");
  }
  t.next_column_id = std::max(t.next_column_id, static_cast<uint32_t>(next_column_id));
  return t;
}

#undef PF_READ

// ---- replication -----------------------------------------------------------------------------

Result<int> ParseReplicationFactor(const std::string& text) {
  std::string_view s = text;
  // "3" or the transient form "3/1" (full/transient).
  size_t slash = s.find('/');
  std::string_view full = s.substr(0, slash);
  if (full.empty() || !std::all_of(full.begin(), full.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
      })) {
    return ConfigError("Replication factor must be numeric; found " + text);
  }
  long v = std::strtol(std::string(full).c_str(), nullptr, 10);
  if (v < 0) return ConfigError("Replication factor must be non-negative; found " + text);
  return static_cast<int>(v);
}

Result<std::map<std::string, std::string>> ValidateReplication(
    std::string_view keyspace, const std::map<std::string, std::string>& given,
    const NodeIdentity& identity) {
  auto cls = given.find("class");
  if (cls == given.end()) return ConfigError("Missing replication strategy class");
  std::string name = cls->second;
  const std::string kPackage = "org.apache.cassandra.locator.";
  if (name.rfind(kPackage, 0) == 0) name = name.substr(kPackage.size());
  std::map<std::string, std::string> out;
  if (name == "SimpleStrategy") {
    out["class"] = kPackage + name;
    auto rf = given.find("replication_factor");
    if (rf == given.end()) {
      return ConfigError("SimpleStrategy requires a replication_factor strategy option.");
    }
    for (const auto& [k, v] : given) {
      if (k != "class" && k != "replication_factor") {
        return ConfigError("Unrecognized strategy option {" + k +
                           "} passed to SimpleStrategy for keyspace " + std::string(keyspace));
      }
    }
    PF_ASSIGN_OR_RETURN(int factor, ParseReplicationFactor(rf->second));
    (void)factor;
    out["replication_factor"] = rf->second;
    return out;
  }
  if (name == "NetworkTopologyStrategy") {
    out["class"] = kPackage + name;
    for (const auto& [k, v] : given) {
      if (k == "class") continue;
      PF_ASSIGN_OR_RETURN(int factor, ParseReplicationFactor(v));
      (void)factor;
      if (k == "replication_factor") {
        // Cassandra expands the default into every known datacenter.
        if (!given.count(identity.data_center)) out[identity.data_center] = v;
      } else {
        out[k] = v;
      }
    }
    return out;
  }
  if (name == "LocalStrategy" || name == "EverywhereStrategy") {
    return ConfigError("Unable to use given strategy class: " + kPackage + name +
                       " is reserved for internal use.");
  }
  return ConfigError("Unable to find replication strategy class '" + kPackage + name + "'");
}

// ---- table options --------------------------------------------------------------------------

Result<double> OptionDouble(const std::string& name, const OptionValue& v) {
  if (v.map)
    return SyntaxError("Invalid value for property '" + name + "'. It should be a number.");
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v.text.c_str(), &end);
  if (v.text.empty() || *end != '\0' || errno != 0) {
    return SyntaxError("Invalid double value " + v.text + " for '" + name + "'");
  }
  return d;
}

Result<int32_t> OptionInt(const std::string& name, const OptionValue& v) {
  if (v.map)
    return SyntaxError("Invalid value for property '" + name + "'. It should be a number.");
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.text.c_str(), &end, 10);
  if (v.text.empty() || *end != '\0' || errno != 0 || n < INT32_MIN || n > INT32_MAX) {
    return SyntaxError("Invalid integer value " + v.text + " for '" + name + "'");
  }
  return static_cast<int32_t>(n);
}

Result<std::map<std::string, std::string>> OptionMapValue(const std::string& name,
                                                          const OptionValue& v) {
  if (!v.map) return SyntaxError("Invalid value for property '" + name + "'. It should be a map.");
  return *v.map;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<std::map<std::string, std::string>> CompactionOption(std::map<std::string, std::string> m) {
  auto cls = m.find("class");
  if (cls == m.end()) return ConfigError("Missing sub-option 'class' for the 'compaction' option.");
  const std::string kPackage = "org.apache.cassandra.db.compaction.";
  std::string name = cls->second;
  if (name.rfind(kPackage, 0) == 0) name = name.substr(kPackage.size());
  static const std::set<std::string> kKnown = {
      "SizeTieredCompactionStrategy", "LeveledCompactionStrategy", "TimeWindowCompactionStrategy",
      "UnifiedCompactionStrategy"};
  if (!kKnown.count(name)) {
    return ConfigError("Unable to find compaction strategy class '" + cls->second + "'");
  }
  cls->second = kPackage + name;
  m.try_emplace("max_threshold", "32");
  m.try_emplace("min_threshold", "4");
  return m;
}

Result<std::map<std::string, std::string>> CompressionOption(std::map<std::string, std::string> m) {
  if (auto legacy = m.find("sstable_compression"); legacy != m.end()) {
    m["class"] = legacy->second;
    m.erase(legacy);
  }
  if (auto enabled = m.find("enabled"); enabled != m.end() && Lower(enabled->second) == "false") {
    return std::map<std::string, std::string>{{"enabled", "false"}};
  }
  m.erase("enabled");
  auto cls = m.find("class");
  if (cls == m.end()) {
    return ConfigError("Missing sub-option 'class' for the 'compression' option.");
  }
  const std::string kPackage = "org.apache.cassandra.io.compress.";
  std::string name = cls->second;
  if (name.rfind(kPackage, 0) == 0) name = name.substr(kPackage.size());
  static const std::set<std::string> kKnown = {
      "LZ4Compressor", "SnappyCompressor", "DeflateCompressor", "ZstdCompressor", "NoopCompressor"};
  if (!kKnown.count(name)) {
    return ConfigError("Could not create Compression for type " + cls->second);
  }
  cls->second = kPackage + name;
  if (auto legacy = m.find("chunk_length_kb"); legacy != m.end()) {
    m["chunk_length_in_kb"] = legacy->second;
    m.erase(legacy);
  }
  m.try_emplace("chunk_length_in_kb", "16");
  return m;
}

Status ApplyOptions(const OptionMap& options, TableParams* p) {
  for (const auto& [raw_name, v] : options) {
    std::string name = Lower(raw_name);
    if (name == "comment") {
      if (v.map) return SyntaxError("Invalid value for property 'comment'. It should be a string.");
      p->comment = v.text;
    } else if (name == "bloom_filter_fp_chance") {
      PF_ASSIGN_OR_RETURN(double d, OptionDouble(name, v));
      if (d <= 0 || d > 1) {
        return ConfigError(
            "bloom_filter_fp_chance must be larger than 0.0 and less than or equal to 1.0 (got " +
            v.text + ")");
      }
      p->bloom_filter_fp_chance = d;
    } else if (name == "crc_check_chance") {
      PF_ASSIGN_OR_RETURN(double d, OptionDouble(name, v));
      if (d < 0 || d > 1) {
        return ConfigError("crc_check_chance should be between 0.0 and 1.0 (got " + v.text + ")");
      }
      p->crc_check_chance = d;
    } else if (name == "caching") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      for (const auto& [k, val] : m) {
        if (k != "keys" && k != "rows_per_partition") {
          return ConfigError("Invalid caching sub-options " + k +
                             ": only \"keys\" and \"rows_per_partition\" are allowed");
        }
      }
      std::map<std::string, std::string> caching = p->caching;
      for (const auto& [k, val] : m) caching[k] = val;
      p->caching = std::move(caching);
    } else if (name == "cdc") {
      std::string t = Lower(v.text);
      if (v.map || (t != "true" && t != "false")) {
        return SyntaxError("Invalid boolean value " + v.text + " for 'cdc'");
      }
      p->cdc = t == "true";
    } else if (name == "compaction") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      PF_ASSIGN_OR_RETURN(p->compaction, CompactionOption(std::move(m)));
    } else if (name == "compression") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      PF_ASSIGN_OR_RETURN(p->compression, CompressionOption(std::move(m)));
    } else if (name == "default_time_to_live") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 0) {
        return ConfigError("default_time_to_live must be greater than or equal to 0 (got " +
                           v.text + ")");
      }
      if (n > 630720000) {
        return ConfigError("default_time_to_live must be less than or equal to 630720000 (got " +
                           v.text + ")");
      }
      p->default_time_to_live = n;
    } else if (name == "gc_grace_seconds") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 0) {
        return ConfigError("gc_grace_seconds must be greater than or equal to 0 (got " + v.text +
                           ")");
      }
      p->gc_grace_seconds = n;
    } else if (name == "max_index_interval") {
      PF_ASSIGN_OR_RETURN(p->max_index_interval, OptionInt(name, v));
    } else if (name == "min_index_interval") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 1) {
        return ConfigError("min_index_interval must be greater than or equal to 1 (got " + v.text +
                           ")");
      }
      p->min_index_interval = n;
    } else if (name == "memtable_flush_period_in_ms") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 0) {
        return ConfigError("memtable_flush_period_in_ms must be greater than or equal to 0 (got " +
                           v.text + ")");
      }
      p->memtable_flush_period_in_ms = n;
    } else if (name == "memtable") {
      p->memtable = v.text;
    } else if (name == "read_repair") {
      std::string t = v.text;
      for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (t != "BLOCKING" && t != "NONE") {
        return ConfigError("Invalid read_repair value " + v.text);
      }
      p->read_repair = t;
    } else if (name == "speculative_retry") {
      p->speculative_retry = v.text;
    } else if (name == "additional_write_policy") {
      p->additional_write_policy = v.text;
    } else if (name == "extensions") {
      PF_ASSIGN_OR_RETURN(p->extensions, OptionMapValue(name, v));
    } else {
      return SyntaxError("Unknown property '" + raw_name + "'");
    }
  }
  if (p->min_index_interval > p->max_index_interval) {
    return ConfigError("max_index_interval must be greater than or equal to min_index_interval");
  }
  return Status::Ok();
}

// Checks a column type for a primary key column (Cassandra: CreateTableStatement).
Status CheckKeyColumnType(const ColumnDefinition& c) {
  const cql::DataType& t = c.type;
  if (t.is_collection() && !t.is_frozen()) {
    return InvalidRequest("Invalid non-frozen collection type " + t.ToCql() +
                          " for PRIMARY KEY component " + c.name);
  }
  if (t.kind() == cql::TypeKind::kDuration) {
    return InvalidRequest("duration type is not supported for PRIMARY KEY column '" + c.name + "'");
  }
  if (t.kind() == cql::TypeKind::kCounter) {
    return InvalidRequest("counter type is not supported for PRIMARY KEY column '" + c.name + "'");
  }
  if (t.kind() == cql::TypeKind::kUdt && !t.is_frozen()) {
    return InvalidRequest("Invalid non-frozen user-defined type " + t.ToCql() +
                          " for PRIMARY KEY component " + c.name);
  }
  return Status::Ok();
}

// Counters may not be nested in collections (CQL3Type.Raw.prepare). Whether a nested type was
// written frozen is checked on the CQL text (cql3/statements/schema_statement.cc): descriptors
// hold every nested type frozen.
Status CheckNestedTypes(const cql::DataType& t) {
  if (t.is_collection()) {
    for (const auto& p : t.params()) {
      if (p.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("Counters are not allowed inside collections: " + t.ToCql());
      }
    }
  }
  return Status::Ok();
}

Status TypeMissing(std::string_view keyspace, std::string_view name) {
  return InvalidRequest("Type '" + std::string(keyspace) + "." + std::string(name) +
                        "' doesn't exist");
}

}  // namespace

// ---- the store --------------------------------------------------------------------------------

struct SchemaStore::Impl {
  Storage* storage = nullptr;
  NodeIdentity identity;
  std::vector<std::shared_ptr<const KeyspaceMetadata>> system_keyspaces;
  std::unique_ptr<SystemTables> system_tables;

  std::mutex ddl_mu;  // serializes DDL; guards the fields below
  std::map<std::string, std::shared_ptr<const KeyspaceMetadata>> user_keyspaces;
  // Every persisted schema value by key: what schema_version digests.
  std::map<std::string, std::string> persisted;
  uint32_t next_storage_id = kFirstUserStorageId;
  uint64_t epoch = 0;

  mutable std::mutex snapshot_mu;
  std::shared_ptr<const SchemaSnapshot> snapshot;

  std::mutex listeners_mu;
  std::vector<SchemaChangeListener> listeners;

  std::shared_ptr<const SchemaSnapshot> Snapshot() const {
    std::lock_guard lock(snapshot_mu);
    return snapshot;
  }

  // schema_version: an MD5 (as a version 3 UUID) of the persisted schema and the DDL epoch, so
  // it is stable across restarts and changes with every DDL.
  cql::Uuid Version() const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
    for (const auto& [k, v] : persisted) {
      EVP_DigestUpdate(ctx, k.data(), k.size());
      EVP_DigestUpdate(ctx, v.data(), v.size());
    }
    EVP_DigestUpdate(ctx, &epoch, sizeof(epoch));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, digest, &len);
    EVP_MD_CTX_free(ctx);
    cql::Uuid id;
    std::memcpy(id.bytes.data(), digest, 16);
    id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0F) | 0x30);
    id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3F) | 0x80);
    return id;
  }

  void Publish() {
    auto snap = std::make_shared<SchemaSnapshot>();
    for (const auto& ks : system_keyspaces) snap->keyspaces[ks->name] = ks;
    for (const auto& [name, ks] : user_keyspaces) snap->keyspaces[name] = ks;
    snap->schema_version = Version();
    std::lock_guard lock(snapshot_mu);
    snapshot = std::move(snap);
  }

  // Persists `writes` (with the new epoch) atomically, then mirrors them in `persisted`.
  Status Persist(std::vector<Storage::MetaWrite> writes) {
    uint64_t new_epoch = epoch + 1;
    writes.push_back({std::string(kEpochKey), std::to_string(new_epoch)});
    writes.push_back({std::string(kNextStorageIdKey), std::to_string(next_storage_id)});
    PF_RETURN_IF_ERROR(storage->WriteMeta(writes));
    epoch = new_epoch;
    for (auto& w : writes) {
      if (w.key == kEpochKey || w.key == kNextStorageIdKey) continue;
      if (w.value) {
        persisted[w.key] = std::move(*w.value);
      } else {
        persisted.erase(w.key);
      }
    }
    return Status::Ok();
  }

  void Notify(const cql::SchemaChange& change) {
    std::vector<SchemaChangeListener> copy;
    {
      std::lock_guard lock(listeners_mu);
      copy = listeners;
    }
    for (const auto& l : copy) l(change);
  }

  // Every record is decoded and checked; the first that fails is reported with its key.
  Status Load() {
    PF_ASSIGN_OR_RETURN(auto keyspaces, storage->ScanMeta(kKeyspaceKeyPrefix));
    std::map<std::string, std::shared_ptr<KeyspaceMetadata>> loaded;
    for (auto& [key, value] : keyspaces) {
      auto ks = DecodeKeyspace(value);
      if (!ks.ok()) return InRecord(key, ks.error());
      if (key.substr(kKeyspaceKeyPrefix.size()) != ks->name) {
        return InRecord(key, Corrupt("holds keyspace " + ks->name));
      }
      std::string name = ks->name;  // named first: the right-hand side is evaluated first
      loaded[name] = std::make_shared<KeyspaceMetadata>(std::move(*ks));
      persisted[key] = std::move(value);
    }
    PF_ASSIGN_OR_RETURN(auto types, storage->ScanMeta(kTypeKeyPrefix));
    std::map<std::string, std::map<std::string, StoredType>> stored_types;
    std::map<std::string, std::string> type_keys;  // keyspace -> a key of one of its types
    for (auto& [key, value] : types) {
      auto t = DecodeType(value);
      if (!t.ok()) return InRecord(key, t.error());
      if (!loaded.count(t->keyspace)) return InRecord(key, Corrupt("type without its keyspace"));
      std::string ks = t->keyspace, name = t->name;
      stored_types[ks][name] = std::move(*t);
      type_keys[ks] = key;
      persisted[key] = std::move(value);
    }
    for (auto& [ks, stored] : stored_types) {
      auto resolved = ResolveTypes(ks, stored);
      if (!resolved.ok()) return InRecord(type_keys[ks], resolved.error());
      loaded[ks]->types = std::move(*resolved);
    }
    PF_ASSIGN_OR_RETURN(auto tables, storage->ScanMeta(kTableKeyPrefix));
    for (auto& [key, value] : tables) {
      std::string_view rest = std::string_view(key).substr(kTableKeyPrefix.size());
      auto ks = loaded.find(std::string(rest.substr(0, rest.find('/'))));
      if (ks == loaded.end()) return InRecord(key, Corrupt("table without its keyspace"));
      KeyspaceTypeResolver resolver(ks->second.get());
      auto t = DecodeTable(value, &resolver);
      if (!t.ok()) return InRecord(key, t.error());
      if (t->keyspace != ks->first) return InRecord(key, Corrupt("holds keyspace " + t->keyspace));
      next_storage_id = std::max(next_storage_id, t->storage_id + 1);
      for (const auto& index : t->indexes) {
        next_storage_id = std::max(next_storage_id, index.storage_id + 1);
      }
      std::string name = t->name;
      ks->second->tables[name] = std::make_shared<TableMetadata>(std::move(*t));
      persisted[key] = std::move(value);
    }
    for (auto& [name, ks] : loaded) user_keyspaces[name] = ks;
    PF_ASSIGN_OR_RETURN(auto next, storage->GetMeta(kNextStorageIdKey));
    if (next) {
      auto id = ParseUnsigned<uint32_t>(*next);
      if (!id) return InRecord(kNextStorageIdKey, Corrupt("not a storage id: " + Printable(*next)));
      next_storage_id = std::max(next_storage_id, *id);
    }
    PF_ASSIGN_OR_RETURN(auto stored_epoch, storage->GetMeta(kEpochKey));
    if (stored_epoch) {
      auto e = ParseUnsigned<uint64_t>(*stored_epoch);
      if (!e) return InRecord(kEpochKey, Corrupt("not an epoch: " + Printable(*stored_epoch)));
      epoch = *e;
    }
    return Status::Ok();
  }

  Result<LocalNodeState> LoadLocalState() {
    LocalNodeState local;
    local.gossip_generation = static_cast<int32_t>(NowMicros() / 1000000);
    PF_ASSIGN_OR_RETURN(auto host_id, storage->GetMeta(kHostIdKey));
    PF_ASSIGN_OR_RETURN(auto tokens, storage->GetMeta(kTokensKey));
    if (host_id || tokens) {
      // A node that has its identity keeps it: a damaged one is an error, never a new identity.
      if (!host_id || host_id->size() != 16) {
        return InRecord(kHostIdKey, Corrupt(host_id ? "not a 16-byte host id" : "missing"));
      }
      if (!tokens) return InRecord(kTokensKey, Corrupt("missing"));
      std::memcpy(local.host_id.bytes.data(), host_id->data(), 16);
      std::string_view rest = *tokens;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view token = rest.substr(0, comma);
        int64_t parsed = 0;
        auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), parsed);
        if (ec != std::errc() || end != token.data() + token.size() || token.empty()) {
          return InRecord(kTokensKey, Corrupt("not a token: " + Printable(token)));
        }
        local.tokens.emplace_back(token);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      if (local.tokens.empty()) return InRecord(kTokensKey, Corrupt("no tokens"));
      return local;
    }
    local.host_id = RandomUuid();
    for (int i = 0; i < identity.num_tokens; ++i) {
      int64_t token;
      cql::Uuid random = RandomUuid();
      std::memcpy(&token, random.bytes.data(), sizeof(token));
      if (token == INT64_MIN) token = 0;  // the minimum token is not a valid node token
      local.tokens.push_back(std::to_string(token));
    }
    // A set<text> is ordered by its elements' bytes, as Cassandra returns it.
    std::sort(local.tokens.begin(), local.tokens.end());
    std::string joined;
    for (const auto& t : local.tokens) {
      if (!joined.empty()) joined += ',';
      joined += t;
    }
    PF_RETURN_IF_ERROR(storage->WriteMeta(
        {{std::string(kHostIdKey),
          std::string(reinterpret_cast<const char*>(local.host_id.bytes.data()), 16)},
         {std::string(kTokensKey), joined}}));
    return local;
  }

  std::shared_ptr<const KeyspaceMetadata> UserKeyspace(std::string_view name) const {
    auto it = user_keyspaces.find(std::string(name));
    return it == user_keyspaces.end() ? nullptr : it->second;
  }

  // Replaces the keyspace's user types with `stored` (resolved) and re-resolves every table's
  // column types against them, so ALTER TYPE reaches the columns and types that use the type.
  // Nothing is persisted here.
  Status ReplaceTypes(const std::string& keyspace, const std::map<std::string, StoredType>& stored) {
    auto ks = std::make_shared<KeyspaceMetadata>(*user_keyspaces[keyspace]);
    PF_ASSIGN_OR_RETURN(ks->types, ResolveTypes(keyspace, stored));
    KeyspaceTypeResolver resolver(ks.get());
    for (auto& [name, table] : ks->tables) {
      bool uses_types = false;
      for (const auto& c : table->columns) {
        uses_types = uses_types || c.type.kind() == cql::TypeKind::kUdt || !c.type.params().empty();
      }
      if (!uses_types) continue;
      auto copy = std::make_shared<TableMetadata>(*table);
      for (auto& c : copy->columns) {
        auto type = cql::DataType::Parse(c.type.ToCql(), &resolver, keyspace);
        if (!type.ok()) return type.error();
        c.type = std::move(*type);
      }
      table = std::move(copy);
    }
    user_keyspaces[keyspace] = std::move(ks);
    return Status::Ok();
  }

  // Persists `write` and publishes the keyspace's types as `all` (checked to resolve first: a
  // field may name a type dropped since the statement was prepared).
  Status CommitTypes(const std::string& keyspace, const std::map<std::string, StoredType>& all,
                     Storage::MetaWrite write) {
    PF_RETURN_IF_ERROR(ResolveTypes(keyspace, all).status());
    PF_RETURN_IF_ERROR(Persist({std::move(write)}));
    PF_RETURN_IF_ERROR(ReplaceTypes(keyspace, all));
    Publish();
    return Status::Ok();
  }

  // Runs one DDL under the DDL lock; listeners hear of a change after the lock is released.
  template <class Fn>
  Result<std::optional<cql::SchemaChange>> RunDdl(Fn&& fn) {
    std::optional<cql::SchemaChange> change;
    {
      std::lock_guard lock(ddl_mu);
      PF_ASSIGN_OR_RETURN(change, fn());
    }
    if (change) Notify(*change);
    return change;
  }

  std::map<std::string, StoredType> StoredTypes(const KeyspaceMetadata& ks) const {
    std::map<std::string, StoredType> out;
    for (const auto& [name, t] : ks.types) out[name] = ToStored(*t);
    return out;
  }

  // Replaces (or with nullptr removes) one table in its keyspace's copy.
  void PutTable(const std::string& keyspace, const std::string& table,
                std::shared_ptr<const TableMetadata> metadata) {
    auto ks = std::make_shared<KeyspaceMetadata>(*user_keyspaces[keyspace]);
    if (metadata) {
      ks->tables[table] = std::move(metadata);
    } else {
      ks->tables.erase(table);
    }
    user_keyspaces[keyspace] = std::move(ks);
  }
};

SchemaStore::SchemaStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SchemaStore::~SchemaStore() {
  if (impl_ && impl_->storage) impl_->storage->SetVirtualTableSource(nullptr);
}

Result<std::unique_ptr<SchemaStore>> SchemaStore::Open(Storage* storage,
                                                       const NodeIdentity& identity) {
  auto impl = std::make_unique<Impl>();
  impl->storage = storage;
  impl->identity = identity;
  impl->system_keyspaces = SystemKeyspaceMetadata();
  PF_RETURN_IF_ERROR(impl->Load());
  PF_ASSIGN_OR_RETURN(LocalNodeState local, impl->LoadLocalState());
  impl->Publish();
  Impl* raw = impl.get();
  impl->system_tables =
      std::make_unique<SystemTables>(identity, std::move(local), [raw] { return raw->Snapshot(); });
  storage->SetVirtualTableSource(impl->system_tables.get());
  return std::unique_ptr<SchemaStore>(new SchemaStore(std::move(impl)));
}

std::shared_ptr<const SchemaSnapshot> SchemaStore::snapshot() const { return impl_->Snapshot(); }

const NodeIdentity& SchemaStore::identity() const { return impl_->identity; }

void SchemaStore::AddListener(SchemaChangeListener listener) {
  std::lock_guard lock(impl_->listeners_mu);
  impl_->listeners.push_back(std::move(listener));
}

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateKeyspace(const KeyspaceDefinition& def,
                                                                     bool if_not_exists) {
  cql::SchemaChange change;
  {
    std::lock_guard lock(impl_->ddl_mu);
    if (!ValidName(def.name)) {
      return InvalidRequest(
          "Keyspace name must not be empty, more than 48 characters long, or contain "
          "non-alphanumeric-underscore characters (got \"" +
          def.name + "\")");
    }
    if (IsSystemKeyspace(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>();
      return NotUserModifiable(def.name);
    }
    if (impl_->UserKeyspace(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>();
      return AlreadyExists("Cannot add existing keyspace \"" + def.name + "\"");
    }
    PF_ASSIGN_OR_RETURN(auto replication,
                        ValidateReplication(def.name, def.replication, impl_->identity));
    auto ks = std::make_shared<KeyspaceMetadata>();
    ks->name = def.name;
    ks->durable_writes = def.durable_writes.value_or(true);
    ks->replication = std::move(replication);
    PF_RETURN_IF_ERROR(impl_->Persist({{KeyspaceKey(ks->name), EncodeKeyspace(*ks)}}));
    impl_->user_keyspaces[ks->name] = ks;
    impl_->Publish();
    change = {
        cql::SchemaChangeType::kCreated, cql::SchemaChangeTarget::kKeyspace, def.name, "", {}};
  }
  impl_->Notify(change);
  return std::optional<cql::SchemaChange>(change);
}

Result<std::optional<cql::SchemaChange>> SchemaStore::AlterKeyspace(const KeyspaceDefinition& def,
                                                                    bool if_exists) {
  cql::SchemaChange change;
  {
    std::lock_guard lock(impl_->ddl_mu);
    if (IsSystemKeyspace(def.name)) return NotUserModifiable(def.name);
    auto existing = impl_->UserKeyspace(def.name);
    if (!existing) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return KeyspaceMissing(def.name);
    }
    auto ks = std::make_shared<KeyspaceMetadata>(*existing);
    if (!def.replication.empty()) {
      PF_ASSIGN_OR_RETURN(ks->replication,
                          ValidateReplication(def.name, def.replication, impl_->identity));
    }
    if (def.durable_writes) ks->durable_writes = *def.durable_writes;
    PF_RETURN_IF_ERROR(impl_->Persist({{KeyspaceKey(ks->name), EncodeKeyspace(*ks)}}));
    impl_->user_keyspaces[ks->name] = ks;
    impl_->Publish();
    change = {
        cql::SchemaChangeType::kUpdated, cql::SchemaChangeTarget::kKeyspace, def.name, "", {}};
  }
  impl_->Notify(change);
  return std::optional<cql::SchemaChange>(change);
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropKeyspace(std::string_view keyspace,
                                                                   bool if_exists) {
  cql::SchemaChange change;
  {
    std::lock_guard lock(impl_->ddl_mu);
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto existing = impl_->UserKeyspace(keyspace);
    if (!existing) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return KeyspaceMissing(keyspace);
    }
    std::vector<Storage::MetaWrite> writes = {{KeyspaceKey(keyspace), std::nullopt}};
    for (const auto& [name, t] : existing->tables) {
      writes.push_back({TableKey(keyspace, name), std::nullopt});
    }
    for (const auto& [name, t] : existing->types) {
      writes.push_back({TypeKey(keyspace, name), std::nullopt});
    }
    PF_RETURN_IF_ERROR(impl_->Persist(std::move(writes)));
    impl_->user_keyspaces.erase(std::string(keyspace));
    impl_->Publish();
    // The schema no longer names these tables; their data can go (a failure leaves invisible
    // rows under a storage id that is never reused).
    for (const auto& [name, t] : existing->tables) {
      Status s = impl_->storage->DropTableData(t->storage_id);
      for (const auto& index : t->indexes) s = impl_->storage->DropTableData(index.storage_id);
      (void)s;
    }
    change = {cql::SchemaChangeType::kDropped,
              cql::SchemaChangeTarget::kKeyspace,
              std::string(keyspace),
              "",
              {}};
  }
  impl_->Notify(change);
  return std::optional<cql::SchemaChange>(change);
}

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateTable(const TableDefinition& def,
                                                                  bool if_not_exists) {
  cql::SchemaChange change;
  {
    std::lock_guard lock(impl_->ddl_mu);
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    if (!ValidName(def.name)) {
      return InvalidRequest(
          "Table name must not be empty, more than 48 characters long, or contain "
          "non-alphanumeric-underscore characters (got \"" +
          def.name + "\")");
    }
    if (ks->FindTable(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>();
      return AlreadyExists("Cannot add already existing table \"" + def.name + "\" to keyspace \"" +
                           def.keyspace + "\"");
    }
    if (def.partition_key.empty()) {
      return InvalidRequest("No PRIMARY KEY specifed for table '" + def.name +
                            "' (exactly one required)");
    }

    auto table = std::make_shared<TableMetadata>();
    table->keyspace = def.keyspace;
    table->name = def.name;
    table->id = RandomUuid();
    std::map<std::string, const ColumnDefinition*> by_name;
    bool has_counter = false, has_non_counter = false;
    for (const ColumnDefinition& c : def.columns) {
      PF_RETURN_IF_ERROR(CheckNestedTypes(c.type));
      if (!by_name.emplace(c.name, &c).second) {
        return InvalidRequest("Duplicate column '" + c.name + "' declaration for table " +
                              def.keyspace + "." + def.name);
      }
    }
    std::set<std::string> key_columns;
    auto add_key = [&](const std::string& name, ColumnKind kind, int position) -> Status {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        return InvalidRequest("Unknown column '" + name +
                              "' referenced in PRIMARY KEY for table '" + def.name + "'");
      }
      if (!key_columns.insert(name).second) {
        return InvalidRequest("Duplicate column '" + name + "' in PRIMARY KEY");
      }
      if (it->second->is_static) {
        return InvalidRequest("Static column '" + name + "' cannot be part of the PRIMARY KEY");
      }
      PF_RETURN_IF_ERROR(CheckKeyColumnType(*it->second));
      ColumnMetadata c;
      c.name = name;
      c.type = it->second->type;
      c.kind = kind;
      c.position = position;
      c.order = kind == ColumnKind::kClustering ? ClusteringOrder::kAsc : ClusteringOrder::kNone;
      table->columns.push_back(std::move(c));
      return Status::Ok();
    };
    for (size_t i = 0; i < def.partition_key.size(); ++i) {
      PF_RETURN_IF_ERROR(
          add_key(def.partition_key[i], ColumnKind::kPartitionKey, static_cast<int>(i)));
    }
    for (size_t i = 0; i < def.clustering_key.size(); ++i) {
      PF_RETURN_IF_ERROR(
          add_key(def.clustering_key[i], ColumnKind::kClustering, static_cast<int>(i)));
    }
    // CLUSTERING ORDER BY: clustering columns, in clustering key order.
    size_t next_clustering = 0;
    for (const auto& [name, descending] : def.clustering_order) {
      auto pos = std::find(def.clustering_key.begin(), def.clustering_key.end(), name);
      if (pos == def.clustering_key.end()) {
        return InvalidRequest(
            "Only clustering key columns can be defined in CLUSTERING ORDER "
            "directive");
      }
      size_t index = static_cast<size_t>(pos - def.clustering_key.begin());
      if (index != next_clustering) {
        return InvalidRequest(
            "The order of columns in the CLUSTERING ORDER directive must match that of the "
            "clustering columns (" +
            def.clustering_key[next_clustering] + " must appear before " + name + ")");
      }
      ++next_clustering;
      for (auto& c : table->columns) {
        if (c.name == name) c.order = descending ? ClusteringOrder::kDesc : ClusteringOrder::kAsc;
      }
    }
    for (const ColumnDefinition& c : def.columns) {
      if (c.type.kind() == cql::TypeKind::kCounter) {
        has_counter = true;
      } else if (!key_columns.count(c.name)) {
        has_non_counter = true;
      }
      if (key_columns.count(c.name)) continue;
      if (c.is_static && def.clustering_key.empty()) {
        return InvalidRequest(
            "Static columns are only useful (and thus allowed) if the table has at least one "
            "clustering column");
      }
      ColumnMetadata m;
      m.name = c.name;
      m.type = c.type;
      m.kind = c.is_static ? ColumnKind::kStatic : ColumnKind::kRegular;
      table->columns.push_back(std::move(m));
    }
    if (has_counter && has_non_counter) {
      return InvalidRequest("Cannot mix counter and non counter columns in the same table");
    }
    if (has_counter && !def.options.empty()) {
      if (auto ttl = def.options.find("default_time_to_live");
          ttl != def.options.end() && ttl->second.text != "0") {
        return InvalidRequest("Cannot set default_time_to_live on a table with counters");
      }
    }
    PF_RETURN_IF_ERROR(ApplyOptions(def.options, &table->params));
    // Ids in declaration order (key columns first), then SELECT * order.
    uint32_t id = 0;
    for (auto& c : table->columns) c.id = id++;
    table->Finish();
    table->storage_id = impl_->next_storage_id++;
    table->key_format = kNewTableKeyFormat;

    Status persisted = impl_->Persist({{TableKey(def.keyspace, def.name), EncodeTable(*table)}});
    if (!persisted.ok()) {
      --impl_->next_storage_id;
      return persisted;
    }
    impl_->PutTable(def.keyspace, def.name, table);
    impl_->Publish();
    change = {cql::SchemaChangeType::kCreated,
              cql::SchemaChangeTarget::kTable,
              def.keyspace,
              def.name,
              {}};
  }
  impl_->Notify(change);
  return std::optional<cql::SchemaChange>(change);
}

Result<std::optional<cql::SchemaChange>> SchemaStore::AlterTable(const AlterTableDefinition& def) {
  cql::SchemaChange change;
  {
    std::lock_guard lock(impl_->ddl_mu);
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    auto it = ks->tables.find(def.name);
    if (it == ks->tables.end()) {
      if (def.if_exists) return std::optional<cql::SchemaChange>();
      return TableMissing(def.keyspace, def.name);
    }
    auto table = std::make_shared<TableMetadata>(*it->second);
    std::string qualified = def.keyspace + "." + def.name;
    switch (def.kind) {
      case AlterTableDefinition::Kind::kAddColumns:
        for (const ColumnDefinition& c : def.add) {
          PF_RETURN_IF_ERROR(CheckNestedTypes(c.type));
          if (table->FindColumn(c.name)) {
            if (def.if_column_exists) continue;
            return InvalidRequest("Column with name '" + c.name + "' already exists");
          }
          if (c.is_static && table->clustering_count == 0) {
            return InvalidRequest(
                "Static columns are only useful (and thus allowed) if the table has at least one "
                "clustering column");
          }
          for (const auto& d : table->dropped_columns) {
            if (d.name == c.name && !(d.type == c.type)) {
              return InvalidRequest("Cannot re-add previously dropped column '" + c.name +
                                    "' of type " + c.type.ToCql() +
                                    ", incompatible with previous type " + d.type.ToCql());
            }
          }
          bool counter_table = false;
          for (const auto& existing : table->columns) {
            if (!existing.is_primary_key()) {
              counter_table = existing.type.kind() == cql::TypeKind::kCounter;
              break;
            }
          }
          bool is_counter = c.type.kind() == cql::TypeKind::kCounter;
          bool has_regular =
              table->columns.size() > table->partition_key_count + table->clustering_count;
          if (has_regular && is_counter != counter_table) {
            return InvalidRequest("Cannot mix counter and non counter columns in the same table");
          }
          ColumnMetadata m;
          m.name = c.name;
          m.type = c.type;
          m.kind = c.is_static ? ColumnKind::kStatic : ColumnKind::kRegular;
          m.id = table->next_column_id++;
          table->columns.push_back(std::move(m));
        }
        break;
      case AlterTableDefinition::Kind::kDropColumns:
        for (const std::string& name : def.drop) {
          const ColumnMetadata* c = table->FindColumn(name);
          if (c == nullptr) {
            if (def.if_column_exists) continue;
            return InvalidRequest("Column " + name + " was not found in table " + qualified);
          }
          if (c->is_primary_key()) {
            return InvalidRequest("Cannot drop PRIMARY KEY column " + name);
          }
          std::string dependent;
          for (const auto& index : table->indexes) {
            if (index.column_id == c->id) dependent += (dependent.empty() ? "" : ",") + index.name;
          }
          if (!dependent.empty()) {
            return InvalidRequest("Cannot drop column " + name +
                                  " because it has dependent secondary indexes (" + dependent +
                                  ")");
          }
          TableMetadata::DroppedColumn d;
          d.name = c->name;
          d.type = UdtsAsTuples(c->type);
          d.kind = c->kind;
          d.dropped_time_micros = impl_->storage->NowMicros();
          std::erase_if(table->dropped_columns,
                        [&](const TableMetadata::DroppedColumn& x) { return x.name == name; });
          table->dropped_columns.push_back(std::move(d));
          std::erase_if(table->columns, [&](const ColumnMetadata& x) { return x.name == name; });
        }
        break;
      case AlterTableDefinition::Kind::kOptions:
        PF_RETURN_IF_ERROR(ApplyOptions(def.options, &table->params));
        break;
      case AlterTableDefinition::Kind::kRename:
        for (const auto& [from, to] : def.renames) {
          ColumnMetadata* c = nullptr;
          for (auto& x : table->columns) {
            if (x.name == from) c = &x;
          }
          if (c == nullptr) {
            return InvalidRequest("Column " + from + " was not found in table " + qualified);
          }
          if (!c->is_primary_key()) {
            return InvalidRequest("Cannot rename non PRIMARY KEY column " + from);
          }
          if (table->FindColumn(to)) {
            return InvalidRequest("Cannot rename column " + from + " to " + to + " in table '" +
                                  def.name + "'; another column with that name already exists");
          }
          c->name = to;
        }
        break;
    }
    uint32_t next_id = table->next_column_id;
    table->Finish();
    table->next_column_id = std::max(table->next_column_id, next_id);
    PF_RETURN_IF_ERROR(impl_->Persist({{TableKey(def.keyspace, def.name), EncodeTable(*table)}}));
    impl_->PutTable(def.keyspace, def.name, table);
    impl_->Publish();
    change = {cql::SchemaChangeType::kUpdated,
              cql::SchemaChangeTarget::kTable,
              def.keyspace,
              def.name,
              {}};
  }
  impl_->Notify(change);
  return std::optional<cql::SchemaChange>(change);
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropTable(std::string_view keyspace,
                                                                std::string_view table,
                                                                bool if_exists) {
  cql::SchemaChange change;
  {
    std::lock_guard lock(impl_->ddl_mu);
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto ks = impl_->UserKeyspace(keyspace);
    if (!ks) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return KeyspaceMissing(keyspace);
    }
    auto it = ks->tables.find(std::string(table));
    if (it == ks->tables.end()) {
      if (if_exists) return std::optional<cql::SchemaChange>();
      return TableMissing(keyspace, table);
    }
    uint32_t storage_id = it->second->storage_id;
    std::shared_ptr<const TableMetadata> dropped = it->second;
    PF_RETURN_IF_ERROR(impl_->Persist({{TableKey(keyspace, table), std::nullopt}}));
    impl_->PutTable(std::string(keyspace), std::string(table), nullptr);
    impl_->Publish();
    Status s = impl_->storage->DropTableData(storage_id);
    (void)s;  // the storage id is never reused: leftover rows stay invisible
    for (const auto& index : dropped->indexes) {
      s = impl_->storage->DropTableData(index.storage_id);
      (void)s;
    }
    change = {cql::SchemaChangeType::kDropped,
              cql::SchemaChangeTarget::kTable,
              std::string(keyspace),
              std::string(table),
              {}};
  }
  impl_->Notify(change);
  return std::optional<cql::SchemaChange>(change);
}

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateType(const UserTypeDefinition& def,
                                                                 bool if_not_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    if (!ValidName(def.name)) {
      return InvalidRequest("Type name must not be empty, more than 48 characters long, or "
                            "contain non-alphanumeric-underscore characters (got \"" +
                            def.name + "\")");
    }
    if (ks->FindType(def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>{};
      return InvalidRequest("A user type with name '" + def.name + "' already exists");
    }
    std::set<std::string> names;
    StoredType stored{def.keyspace, def.name, def.field_names, {}};
    for (size_t i = 0; i < def.field_names.size(); ++i) {
      if (!names.insert(def.field_names[i]).second) {
        return InvalidRequest("Duplicate field name '" + def.field_names[i] + "' in type '" +
                              def.name + "'");
      }
      const cql::DataType& ft = def.field_types[i];
      if (ft.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("A user type cannot contain counters");
      }
      if (ft.kind() == cql::TypeKind::kUdt && !ft.is_frozen()) {
        return InvalidRequest("A user type cannot contain non-frozen UDTs");
      }
      PF_RETURN_IF_ERROR(CheckNestedTypes(ft));
      stored.field_types.push_back(ft.ToCql());
    }
    std::map<std::string, StoredType> all = impl_->StoredTypes(*ks);
    all[def.name] = stored;
    PF_RETURN_IF_ERROR(
        impl_->CommitTypes(def.keyspace, all, {TypeKey(def.keyspace, def.name), EncodeType(stored)}));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kCreated, cql::SchemaChangeTarget::kType,
                             def.keyspace, def.name, {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::AlterType(const AlterTypeDefinition& def) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    const UserTypeMetadata* type = ks->FindType(def.name);
    if (type == nullptr) {
      if (def.if_exists) return std::optional<cql::SchemaChange>{};
      return TypeMissing(def.keyspace, def.name);
    }
    std::map<std::string, StoredType> all = impl_->StoredTypes(*ks);
    StoredType& stored = all[def.name];
    if (def.add) {
      const auto& [field, ftype] = *def.add;
      if (std::find(stored.field_names.begin(), stored.field_names.end(), field) !=
          stored.field_names.end()) {
        if (def.if_field_not_exists) return std::optional<cql::SchemaChange>{};
        return InvalidRequest("Cannot add new field " + field + " of type " + ftype.ToCql() +
                              " to user type " + def.keyspace + "." + def.name +
                              " as a field with name " + field + " already exists");
      }
      if (UsesType(ftype, def.name)) {
        return InvalidRequest("Cannot add new field " + field + " of type " + ftype.ToCql() +
                              " to user type " + def.keyspace + "." + def.name +
                              " as this would create a circular reference");
      }
      if (ftype.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("A user type cannot contain counters");
      }
      if (ftype.kind() == cql::TypeKind::kUdt && !ftype.is_frozen()) {
        return InvalidRequest("A user type cannot contain non-frozen UDTs");
      }
      PF_RETURN_IF_ERROR(CheckNestedTypes(ftype));
      stored.field_names.push_back(field);
      stored.field_types.push_back(ftype.ToCql());
    }
    for (const auto& [from, to] : def.renames) {
      auto it = std::find(stored.field_names.begin(), stored.field_names.end(), from);
      if (it == stored.field_names.end()) {
        return InvalidRequest("Unkown field " + from + " in user type " + def.keyspace + "." +
                              def.name);
      }
      if (std::find(stored.field_names.begin(), stored.field_names.end(), to) !=
          stored.field_names.end()) {
        return InvalidRequest("Duplicate field name " + to + " in type " + def.keyspace + "." +
                              def.name);
      }
      *it = to;
    }
    std::string encoded = EncodeType(stored);
    PF_RETURN_IF_ERROR(
        impl_->CommitTypes(def.keyspace, all, {TypeKey(def.keyspace, def.name), encoded}));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kUpdated, cql::SchemaChangeTarget::kType,
                             def.keyspace, def.name, {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropType(std::string_view keyspace,
                                                               std::string_view name,
                                                               bool if_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto ks = impl_->UserKeyspace(keyspace);
    if (!ks) {
      if (if_exists) return std::optional<cql::SchemaChange>{};
      return KeyspaceMissing(keyspace);
    }
    if (!ks->FindType(name)) {
      if (if_exists) return std::optional<cql::SchemaChange>{};
      return TypeMissing(keyspace, name);
    }
    std::string qualified = std::string(keyspace) + "." + std::string(name);
    std::string users;
    for (const auto& [tname, t] : ks->types) {
      if (tname != name && UsesType(t->type, name)) users += (users.empty() ? "" : ", ") + tname;
    }
    if (!users.empty()) {
      return InvalidRequest("Cannot drop user type " + qualified +
                            " as it is still used by user types " + users);
    }
    for (const auto& [tname, t] : ks->tables) {
      if (std::any_of(t->columns.begin(), t->columns.end(),
                      [&](const ColumnMetadata& c) { return UsesType(c.type, name); })) {
        users += (users.empty() ? "" : ", ") + tname;
      }
    }
    if (!users.empty()) {
      return InvalidRequest("Cannot drop user type " + qualified + " as it is still used by tables " +
                            users);
    }
    std::map<std::string, StoredType> all = impl_->StoredTypes(*ks);
    all.erase(std::string(name));
    PF_RETURN_IF_ERROR(
        impl_->CommitTypes(std::string(keyspace), all, {TypeKey(keyspace, name), std::nullopt}));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kDropped, cql::SchemaChangeTarget::kType,
                             std::string(keyspace), std::string(name), {}});
  });
}

Status SchemaStore::Truncate(std::string_view keyspace, std::string_view table) {
  std::shared_ptr<const TableMetadata> t = snapshot()->FindTable(keyspace, table);
  if (IsSystemKeyspace(keyspace)) {
    if (!t) return TableMissing(keyspace, table);
    return NotUserModifiable(keyspace);
  }
  if (!snapshot()->FindKeyspace(keyspace)) return KeyspaceMissing(keyspace);
  if (!t) return TableMissing(keyspace, table);
  for (const auto& index : t->indexes) {
    PF_RETURN_IF_ERROR(impl_->storage->DropTableData(index.storage_id));
  }
  return impl_->storage->DropTableData(t->storage_id);
}

}  // namespace postfork::node

namespace postfork::node {
namespace {

std::string_view TargetKeyword(IndexTarget target) {
  switch (target) {
    case IndexTarget::kKeys:
      return "keys";
    case IndexTarget::kValues:
      return "values";
    case IndexTarget::kEntries:
      return "entries";
    case IndexTarget::kFull:
      return "full";
    case IndexTarget::kSimple:
      break;
  }
  return "";
}

bool ReferencesDuration(const cql::DataType& t) {
  if (t.kind() == cql::TypeKind::kDuration) return true;
  for (const auto& p : t.params()) {
    if (ReferencesDuration(p)) return true;
  }
  return false;
}

// Cassandra 4.1's CreateIndexStatement.validateIndexTarget, in its order. `target` is already
// corrected (a plain target on a collection means values).
Status ValidateIndexTarget(const TableMetadata& table, const ColumnMetadata& column,
                           IndexTarget target) {
  const cql::DataType& type = column.type;
  if (ReferencesDuration(type)) {
    if (type.is_collection()) {
      return InvalidRequest(
          "Secondary indexes are not supported on collections containing "
          "durations");
    }
    if (type.kind() == cql::TypeKind::kTuple) {
      return InvalidRequest("Secondary indexes are not supported on tuples containing durations");
    }
    if (type.kind() == cql::TypeKind::kUdt) {
      return InvalidRequest("Secondary indexes are not supported on UDTs containing durations");
    }
    return InvalidRequest("Secondary indexes are not supported on duration columns");
  }
  const std::string& name = column.name;  // as ColumnMetadata.toString() prints it
  if (column.kind == ColumnKind::kPartitionKey && table.partition_key_count == 1) {
    return InvalidRequest("Cannot create secondary index on the only partition key column " + name);
  }
  bool frozen_collection = type.is_collection() && !IsMultiCell(type);
  if (frozen_collection && target != IndexTarget::kFull) {
    return InvalidRequest("Cannot create " + std::string(TargetKeyword(target)) +
                          "() index on frozen column " + name +
                          ". Frozen collections are immutable and must be fully indexed by using "
                          "the 'full(" +
                          name + ")' modifier");
  }
  if (!frozen_collection && target == IndexTarget::kFull) {
    return InvalidRequest("full() indexes can only be created on frozen collections");
  }
  if (!type.is_collection() && target != IndexTarget::kSimple) {
    return InvalidRequest("Cannot create " + std::string(TargetKeyword(target)) + "() index on " +
                          name + ". Non-collection columns only support simple indexes");
  }
  bool multicell_map = type.kind() == cql::TypeKind::kMap && IsMultiCell(type);
  if (!multicell_map && (target == IndexTarget::kKeys || target == IndexTarget::kEntries)) {
    return InvalidRequest("Cannot create index on " + std::string(TargetKeyword(target)) +
                          " of column " + name + " with non-map type");
  }
  if (type.kind() == cql::TypeKind::kUdt && IsMultiCell(type)) {
    return InvalidRequest("Cannot create index on non-frozen UDT column " + name);
  }
  if (column.is_primary_key()) {
    // Entries for key columns would be written per row; their queries are not planned yet.
    return InvalidRequest(
        "Secondary indexes on PRIMARY KEY columns are not supported by "
        "postfork-node yet (column " +
        name + ")");
  }
  return Status::Ok();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsSaiClass(std::string_view written) {
  return EqualsIgnoreCase(written, "sai") || EqualsIgnoreCase(written, "StorageAttachedIndex") ||
         written == kStorageAttachedIndexClass;
}

// USING 'class' checked: the storage-attached index under its aliases ('sai',
// 'StorageAttachedIndex', any case) or full name, kept as written; empty for a native index.
// Other classes do not exist here (Cassandra: FBUtilities.classForName's message).
Result<std::string> ResolveIndexClass(const std::string& written) {
  if (written.empty() || IsSaiClass(written)) return written;
  if (EqualsIgnoreCase(written, "sasi") || written == "org.apache.cassandra.index.sasi.SASIIndex") {
    return InvalidRequest("SASI indexes are disabled. Enable in cassandra.yaml to use.");
  }
  return ConfigError("Unable to find custom indexer class '" + written + "'");
}

// StorageAttachedIndex.validateOptions and IndexWriterConfig.fromOptions for the options of
// Cassandra 5.0's default configuration (custom vector graph parameters are off there), in
// their order.
Status ValidateSaiOptions(const ColumnMetadata& column,
                          const std::map<std::string, std::string>& options) {
  static const char* const kValid[] = {"target",
                                       "class_name",
                                       "maximum_node_connections",
                                       "construction_beam_width",
                                       "similarity_function",
                                       "optimize_for",
                                       "case_sensitive",
                                       "normalize",
                                       "ascii"};
  const cql::DataType& type = column.type;
  bool vector = type.kind() == cql::TypeKind::kVector;
  bool vector_options = options.count("maximum_node_connections") ||
                        options.count("construction_beam_width") ||
                        options.count("similarity_function") || options.count("optimize_for");
  if (vector && type.params()[0].kind() != cql::TypeKind::kFloat) {
    return InvalidRequest("SAI ANN indexes are only allowed on vector columns with float elements");
  }
  if (!vector && vector_options) {
    return InvalidRequest("CQL type " + type.ToCql() + " cannot have vector options");
  }
  if (options.count("maximum_node_connections")) {
    return InvalidRequest(
        "Maximum node connections cannot be set without enabling "
        "SAI_VECTOR_ALLOW_CUSTOM_PARAMETERS");
  }
  if (options.count("construction_beam_width")) {
    return InvalidRequest(
        "Construction beam width cannot be set without enabling "
        "SAI_VECTOR_ALLOW_CUSTOM_PARAMETERS");
  }
  std::string similarity = "COSINE";
  if (auto it = options.find("similarity_function"); it != options.end()) {
    similarity = it->second;
    for (char& c : similarity) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (similarity != "EUCLIDEAN" && similarity != "DOT_PRODUCT" && similarity != "COSINE") {
      // Cassandra names the index "null" here (its name is not set yet).
      return InvalidRequest("Similarity function " + similarity +
                            " was not recognized for index null. Valid values are: EUCLIDEAN, "
                            "DOT_PRODUCT, COSINE");
    }
  }
  if (auto it = options.find("optimize_for"); it != options.end()) {
    std::string v = it->second;
    for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (v != "LATENCY" && v != "RECALL") {
      return InvalidRequest("optimize_for '" + v +
                            "' was not recognized for index null. Valid values are: LATENCY, "
                            "RECALL");
    }
  }
  if (vector && similarity == "COSINE" && type.dimension() == 1) {
    return InvalidRequest("Cosine similarity is not supported for single-dimension vectors");
  }
  // Unknown options are reported last, by the caller of validateOptions.
  std::string unknown;
  for (const auto& [option, value] : options) {
    if (std::find(std::begin(kValid), std::end(kValid), option) == std::end(kValid)) {
      unknown += (unknown.empty() ? "" : ", ") + option;
    }
  }
  if (!unknown.empty()) {
    return ConfigError("Properties specified [" + unknown +
                       "] are not understood by StorageAttachedIndex");
  }
  return Status::Ok();
}

}  // namespace

bool IsStorageAttached(const IndexMetadata& index) { return IsSaiClass(index.custom_class); }

namespace {

bool KeyspaceHasIndex(const KeyspaceMetadata& ks, std::string_view name) {
  for (const auto& [tname, t] : ks.tables) {
    for (const auto& index : t->indexes) {
      if (index.name == name) return true;
    }
  }
  return false;
}

// Cassandra's IndexMetadata.generateDefaultIndexName + KeyspaceMetadata.findAvailableIndexName.
std::string DefaultIndexName(const KeyspaceMetadata& ks, const std::string& table,
                             const std::string& column) {
  std::string base;
  for (char c : table + "_" + column + "_idx") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') base.push_back(c);
  }
  if (!KeyspaceHasIndex(ks, base)) return base;
  for (int i = 1;; ++i) {
    std::string name = base + "_" + std::to_string(i);
    if (!KeyspaceHasIndex(ks, name)) return name;
  }
}

}  // namespace

Result<std::optional<cql::SchemaChange>> SchemaStore::CreateIndex(const IndexDefinition& def,
                                                                  bool if_not_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(def.keyspace)) return NotUserModifiable(def.keyspace);
    auto ks = impl_->UserKeyspace(def.keyspace);
    if (!ks) return KeyspaceMissing(def.keyspace);
    auto it = ks->tables.find(def.table);
    if (it == ks->tables.end()) return InvalidRequest("Table '" + def.table + "' doesn't exist");
    const TableMetadata& base = *it->second;
    if (!def.name.empty() && KeyspaceHasIndex(*ks, def.name)) {
      if (if_not_exists) return std::optional<cql::SchemaChange>{};
      return InvalidRequest("Index '" + def.name + "' already exists");
    }
    for (const auto& c : base.columns) {
      if (!c.is_primary_key() && c.type.kind() == cql::TypeKind::kCounter) {
        return InvalidRequest("Secondary indexes on counter tables aren't supported");
      }
    }
    const ColumnMetadata* column = base.FindColumn(def.column);
    if (column == nullptr) {
      return InvalidRequest("Undefined column name " + cql::QuoteIdentifier(def.column) +
                            " in table " + def.keyspace + "." + def.table);
    }
    IndexTarget target = def.target;
    if (target == IndexTarget::kSimple && column->type.is_collection())
      target = IndexTarget::kValues;
    PF_ASSIGN_OR_RETURN(std::string custom_class, ResolveIndexClass(def.custom_class));
    PF_RETURN_IF_ERROR(ValidateIndexTarget(base, *column, target));
    std::string name = def.name.empty() ? DefaultIndexName(*ks, def.table, column->name) : def.name;
    if (!ValidName(name)) return ConfigError("Illegal index name " + name);
    for (const auto& existing : base.indexes) {
      if (existing.column_id == column->id && existing.target == target &&
          existing.custom_class == custom_class && existing.options == def.options) {
        if (if_not_exists) return std::optional<cql::SchemaChange>{};
        return InvalidRequest("Index " + name + " is a duplicate of existing index " +
                              existing.name);
      }
    }
    if (!custom_class.empty()) {
      for (const auto& existing : base.indexes) {
        if (existing.column_id == column->id && IsStorageAttached(existing)) {
          return InvalidRequest(
              "Cannot create more than one storage-attached index on the same column: " +
              column->name);
        }
      }
      PF_RETURN_IF_ERROR(ValidateSaiOptions(*column, def.options));
    }
    auto table = std::make_shared<TableMetadata>(base);
    IndexMetadata index{name,         column->id, target, impl_->next_storage_id++,
                        custom_class, def.options};
    table->indexes.push_back(index);
    Status persisted = impl_->Persist({{TableKey(def.keyspace, def.table), EncodeTable(*table)}});
    if (!persisted.ok()) {
      --impl_->next_storage_id;
      return persisted;
    }
    impl_->PutTable(def.keyspace, def.table, table);
    impl_->Publish();
    // Writes from now on maintain the index (they see the new table); the scan covers what
    // was written before.
    PF_RETURN_IF_ERROR(impl_->storage->BuildIndex(table, index));
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kUpdated,
                                                              cql::SchemaChangeTarget::kTable,
                                                              def.keyspace,
                                                              def.table,
                                                              {}});
  });
}

Result<std::optional<cql::SchemaChange>> SchemaStore::DropIndex(std::string_view keyspace,
                                                                std::string_view name,
                                                                bool if_exists) {
  return impl_->RunDdl([&]() -> Result<std::optional<cql::SchemaChange>> {
    if (IsSystemKeyspace(keyspace)) return NotUserModifiable(keyspace);
    auto ks = impl_->UserKeyspace(keyspace);
    std::shared_ptr<const TableMetadata> base;
    if (ks) {
      for (const auto& [tname, t] : ks->tables) {
        for (const auto& index : t->indexes) {
          if (index.name == name) base = t;
        }
      }
    }
    if (!base) {
      if (if_exists) return std::optional<cql::SchemaChange>{};
      // Cassandra's message has the stray trailing quote.
      return InvalidRequest("Index '" + std::string(keyspace) + "." + std::string(name) +
                            "' doesn't exist'");
    }
    auto table = std::make_shared<TableMetadata>(*base);
    auto pos = std::find_if(table->indexes.begin(), table->indexes.end(),
                            [&](const IndexMetadata& i) { return i.name == name; });
    uint32_t storage_id = pos->storage_id;
    table->indexes.erase(pos);
    PF_RETURN_IF_ERROR(impl_->Persist({{TableKey(keyspace, table->name), EncodeTable(*table)}}));
    impl_->PutTable(std::string(keyspace), table->name, table);
    impl_->Publish();
    Status s = impl_->storage->DropTableData(storage_id);
    (void)s;  // the storage id is never reused: leftover entries stay invisible
    return std::optional<cql::SchemaChange>(cql::SchemaChange{cql::SchemaChangeType::kUpdated,
                                                              cql::SchemaChangeTarget::kTable,
                                                              std::string(keyspace),
                                                              table->name,
                                                              {}});
  });
}

}  // namespace postfork::node
