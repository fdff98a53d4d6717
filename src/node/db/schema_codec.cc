// The schema records' binary format (schema_codec.h).
#include "node/db/schema_codec.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "postfork/cql/bytes.h"

namespace postfork::node {
namespace {

constexpr uint8_t kFormatVersion = 1;
// Table records: 2 adds TableMetadata::key_format (records of version 1 are key format 1); 3
// adds allow_auto_snapshot and incremental_backups.
constexpr uint8_t kTableFormatVersion = 3;
// Version 4 adds a COMPACT STORAGE section after version 3's fields; only compact tables are
// written with it, so every other table's record stays as version 3 wrote it.
constexpr uint8_t kCompactTableFormatVersion = 4;
// Version 5 adds each dropped column's storage id (int, -1 unknown) and the time its cells are
// hidden through (long) after its drop time, and
// always has the compact section, whose shape byte is 0 for a table without compact storage.
// Only tables with dropped columns are written with it.
constexpr uint8_t kDroppedIdTableFormatVersion = 5;

// An optional boolean as one byte: 0 unset, 1 false, 2 true.
uint8_t OptionalBoolByte(const std::optional<bool>& b) { return b ? (*b ? 2 : 1) : 0; }
std::optional<bool> OptionalBoolFromByte(uint8_t b) {
  return b == 0 ? std::nullopt : std::optional<bool>(b == 2);
}

void WriteDouble(double d, cql::ByteWriter& w) {
  int64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  w.WriteLong(bits);
}

#define PF_READ(var, expr)                                       \
  auto PF_CONCAT(r_, __LINE__) = (expr);                         \
  if (!PF_CONCAT(r_, __LINE__).ok()) return CorruptSchema(#var); \
  auto var = std::move(PF_CONCAT(r_, __LINE__)).value()

Result<double> ReadDouble(cql::ByteReader& r) {
  auto bits = r.ReadLong();
  if (!bits.ok()) return bits.status();
  double d;
  int64_t b = *bits;
  std::memcpy(&d, &b, sizeof(d));
  return d;
}

// Resolves a keyspace's stored types into descriptors, each user type field holding the current
// definition of the type it names. Types only name types that existed before them, so the
// recursion ends; a cycle in corrupt data is reported, not followed.
class StoredTypeResolver final : public cql::DataType::UdtResolver {
 public:
  StoredTypeResolver(std::string keyspace, const std::map<std::string, StoredType>* stored)
      : keyspace_(std::move(keyspace)), stored_(stored) {}

  Result<cql::DataType> Resolve(std::string_view keyspace, std::string_view name) const override {
    if (!keyspace.empty() && keyspace != keyspace_)
      return CorruptSchema("type of another keyspace");
    std::string key(name);
    if (auto it = done_.find(key); it != done_.end()) return it->second;
    auto it = stored_->find(key);
    if (it == stored_->end()) return CorruptSchema("unknown type " + key);
    if (!active_.insert(key).second) return CorruptSchema("circular type " + key);
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

}  // namespace

Status CorruptSchema(std::string_view what) {
  return Status(StatusCode::kInternal, "corrupt persisted schema: " + std::string(what));
}

Status InRecord(std::string_view key, const Status& error) {
  std::string what = error.message();
  constexpr std::string_view kPrefix = "corrupt persisted schema: ";
  if (what.rfind(kPrefix, 0) == 0) what.erase(0, kPrefix.size());
  return Status(StatusCode::kInternal,
                "corrupt persisted schema record '" + std::string(key) + "': " + what);
}

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
  const uint8_t version = !t.dropped_columns.empty() ? kDroppedIdTableFormatVersion
                          : t.is_compact()           ? kCompactTableFormatVersion
                                                     : kTableFormatVersion;
  w.WriteByte(version);
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
    if (version >= kDroppedIdTableFormatVersion) {
      w.WriteInt(d.column_id ? static_cast<int32_t>(*d.column_id) : -1);
      w.WriteLong(d.hidden_through_micros);
    }
  }
  w.WriteByte(t.key_format);
  w.WriteByte(OptionalBoolByte(p.allow_auto_snapshot));
  w.WriteByte(OptionalBoolByte(p.incremental_backups));
  if (version >= kDroppedIdTableFormatVersion) w.WriteByte(static_cast<uint8_t>(t.compact.shape));
  if (t.is_compact()) {
    if (version < kDroppedIdTableFormatVersion) w.WriteByte(static_cast<uint8_t>(t.compact.shape));
    w.WriteString(t.compact.hidden_clustering);
    w.WriteString(t.compact.hidden_value);
    w.WriteString(t.compact.hidden_value_type);
  }
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

StoredType ToStoredType(const UserTypeMetadata& t) {
  StoredType out{t.keyspace, t.name, t.field_names(), {}};
  for (size_t i = 0; i < t.field_names().size(); ++i) {
    out.field_types.push_back(t.declared_field_type(i));
  }
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

Result<KeyspaceMetadata> DecodeKeyspace(std::string_view bytes) {
  cql::ByteReader r(bytes);
  PF_READ(version, r.ReadByte());
  if (version != kFormatVersion) return CorruptSchema("keyspace format version");
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
  if (version != kFormatVersion) return CorruptSchema("type format version");
  StoredType t;
  PF_READ(ks, r.ReadString());
  t.keyspace = std::string(ks);
  PF_READ(name, r.ReadString());
  t.name = std::string(name);
  PF_READ(n, r.ReadInt());
  if (n < 0 || static_cast<size_t>(n) > r.remaining()) return CorruptSchema("field count");
  for (int32_t i = 0; i < n; ++i) {
    PF_READ(fname, r.ReadString());
    t.field_names.emplace_back(fname);
    PF_READ(ftype, r.ReadLongString());
    t.field_types.emplace_back(ftype);
  }
  if (!r.empty()) return CorruptSchema("trailing type bytes");
  return t;
}

Result<std::map<std::string, std::shared_ptr<const UserTypeMetadata>>> ResolveTypes(
    const std::string& keyspace, const std::map<std::string, StoredType>& stored) {
  StoredTypeResolver resolver(keyspace, &stored);
  std::map<std::string, std::shared_ptr<const UserTypeMetadata>> out;
  for (const auto& [name, st] : stored) {
    PF_ASSIGN_OR_RETURN(cql::DataType type, resolver.Resolve(keyspace, name));
    out[name] =
        std::make_shared<UserTypeMetadata>(UserTypeMetadata{keyspace, name, type, st.field_types});
  }
  return out;
}

Result<TableMetadata> DecodeTable(std::string_view bytes, const cql::DataType::UdtResolver* types) {
  cql::ByteReader r(bytes);
  PF_READ(version, r.ReadByte());
  if (version < 1 || version > kDroppedIdTableFormatVersion) {
    return CorruptSchema("table format version");
  }
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
  if (ncols < 0 || static_cast<size_t>(ncols) > r.remaining()) return CorruptSchema("column count");
  for (int32_t i = 0; i < ncols; ++i) {
    ColumnMetadata c;
    PF_READ(cname, r.ReadString());
    c.name = std::string(cname);
    PF_READ(type_text, r.ReadLongString());
    PF_READ(type, cql::DataType::Parse(type_text, types, t.keyspace));
    c.type = std::move(type);
    PF_READ(kind, r.ReadByte());
    if (kind > static_cast<uint8_t>(ColumnKind::kStatic)) return CorruptSchema("column kind");
    c.kind = static_cast<ColumnKind>(kind);
    PF_READ(position, r.ReadInt());
    c.position = position;
    PF_READ(order, r.ReadByte());
    if (order > static_cast<uint8_t>(ClusteringOrder::kDesc))
      return CorruptSchema("clustering order");
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
  if (ndropped < 0 || static_cast<size_t>(ndropped) > r.remaining())
    return CorruptSchema("dropped");
  for (int32_t i = 0; i < ndropped; ++i) {
    TableMetadata::DroppedColumn d;
    PF_READ(dname, r.ReadString());
    d.name = std::string(dname);
    PF_READ(dtype_text, r.ReadLongString());
    PF_READ(dtype, cql::DataType::Parse(dtype_text));
    d.type = std::move(dtype);
    PF_READ(dkind, r.ReadByte());
    if (dkind > static_cast<uint8_t>(ColumnKind::kStatic)) return CorruptSchema("dropped kind");
    d.kind = static_cast<ColumnKind>(dkind);
    PF_READ(dtime, r.ReadLong());
    d.dropped_time_micros = dtime;
    if (version >= kDroppedIdTableFormatVersion) {
      PF_READ(did, r.ReadInt());
      if (did < -1) return CorruptSchema("dropped column id");
      if (did >= 0) d.column_id = static_cast<uint32_t>(did);
      PF_READ(hidden, r.ReadLong());
      d.hidden_through_micros = hidden;
    } else {
      d.hidden_through_micros = dtime;
    }
    t.dropped_columns.push_back(std::move(d));
  }
  if (version >= 2) {
    PF_READ(key_format, r.ReadByte());
    if (key_format < 1) return CorruptSchema("key format");
    if (key_format > kNewTableKeyFormat) {
      return CorruptSchema("key format " + std::to_string(key_format) +
                           " is newer than this node reads (up to " +
                           std::to_string(kNewTableKeyFormat) + ")");
    }
    t.key_format = key_format;
  }
  if (version >= 3) {
    PF_READ(auto_snapshot, r.ReadByte());
    PF_READ(backups, r.ReadByte());
    if (auto_snapshot > 2 || backups > 2) return CorruptSchema("optional boolean");
    p.allow_auto_snapshot = OptionalBoolFromByte(auto_snapshot);
    p.incremental_backups = OptionalBoolFromByte(backups);
  }
  if (version >= kCompactTableFormatVersion) {
    PF_READ(shape, r.ReadByte());
    const uint8_t lowest = version == kCompactTableFormatVersion ? 1 : 0;
    if (shape < lowest || shape > static_cast<uint8_t>(CompactStorage::Shape::kDense)) {
      return CorruptSchema("compact storage shape");
    }
    t.compact.shape = static_cast<CompactStorage::Shape>(shape);
  }
  if (t.is_compact()) {
    PF_READ(hidden_clustering, r.ReadString());
    t.compact.hidden_clustering = std::string(hidden_clustering);
    PF_READ(hidden_value, r.ReadString());
    t.compact.hidden_value = std::string(hidden_value);
    PF_READ(hidden_value_type, r.ReadString());
    t.compact.hidden_value_type = std::string(hidden_value_type);
  }
  if (!r.empty()) {
    PF_READ(nindexes, r.ReadInt());
    if (nindexes < 0 || static_cast<size_t>(nindexes) > r.remaining())
      return CorruptSchema("indexes");
    for (int32_t i = 0; i < nindexes; ++i) {
      IndexMetadata index;
      PF_READ(iname, r.ReadString());
      index.name = std::string(iname);
      PF_READ(icolumn, r.ReadInt());
      index.column_id = static_cast<uint32_t>(icolumn);
      PF_READ(itarget, r.ReadByte());
      if (itarget > static_cast<uint8_t>(IndexTarget::kFull)) return CorruptSchema("index target");
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
  if (!r.empty()) return CorruptSchema("trailing table bytes");
  t.Finish();
  if (t.partition_key_count == 0) return CorruptSchema("no partition key column");
  for (const auto& index : t.indexes) {
    bool found = std::any_of(t.columns.begin(), t.columns.end(),
                             [&](const ColumnMetadata& c) { return c.id == index.column_id; });
    if (!found) return CorruptSchema("index " + index.name + " on an unknown column");
  }
  t.next_column_id = std::max(t.next_column_id, static_cast<uint32_t>(next_column_id));
  return t;
}

#undef PF_READ

}  // namespace postfork::node
