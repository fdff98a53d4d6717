#include "postfork/cql/messages.h"

#include <algorithm>
#include <string>

#include "postfork/base/ascii.h"
#include "utf8.h"

namespace postfork::cql {
namespace {

Status Malformed(std::string msg) { return Status(StatusCode::kMalformed, std::move(msg)); }

Result<Consistency> ReadConsistency(ByteReader& r) {
  PF_ASSIGN_OR_RETURN(uint16_t c, r.ReadShort());
  if (!IsValidConsistency(c))
    return Malformed("Unknown code " + std::to_string(c) + " for a consistency level");
  return static_cast<Consistency>(c);
}

// A default timestamp must leave room for a tombstone's (Cassandra's QueryOptions codec).
Result<int64_t> ReadTimestamp(ByteReader& r) {
  PF_ASSIGN_OR_RETURN(int64_t ts, r.ReadLong());
  if (ts == INT64_MIN)
    return Malformed("Out of bound timestamp, must be in [" + std::to_string(INT64_MIN + 1) + ", " +
                     std::to_string(INT64_MAX) + "] (got " + std::to_string(ts) + ")");
  return ts;
}

Status ExpectEnd(const ByteReader& r, std::string_view what) {
  if (!r.empty())
    return Malformed(std::to_string(r.remaining()) + " trailing bytes after " + std::string(what));
  return Status::Ok();
}

std::string_view SchemaChangeTypeName(SchemaChangeType t) {
  switch (t) {
    case SchemaChangeType::kCreated:
      return "CREATED";
    case SchemaChangeType::kUpdated:
      return "UPDATED";
    case SchemaChangeType::kDropped:
      return "DROPPED";
  }
  return "UPDATED";
}

std::string_view SchemaChangeTargetName(SchemaChangeTarget t) {
  switch (t) {
    case SchemaChangeTarget::kKeyspace:
      return "KEYSPACE";
    case SchemaChangeTarget::kTable:
      return "TABLE";
    case SchemaChangeTarget::kType:
      return "TYPE";
    case SchemaChangeTarget::kFunction:
      return "FUNCTION";
    case SchemaChangeTarget::kAggregate:
      return "AGGREGATE";
  }
  return "KEYSPACE";
}

void WriteStrings(ByteWriter& w, const std::vector<std::string>& l) { w.WriteStringList(l); }

Result<std::vector<std::string>> ReadStrings(ByteReader& r) {
  PF_ASSIGN_OR_RETURN(std::vector<std::string_view> l, r.ReadStringList());
  return std::vector<std::string>(l.begin(), l.end());
}

// Column specs after the flags/count/paging part of a <metadata>.
Status ReadColumnSpecs(ByteReader& r, int32_t flags, int32_t count,
                       std::vector<ColumnSpec>* columns) {
  std::string_view gks, gtable;
  bool global = flags & rows_flags::kGlobalTablesSpec;
  if (global) {
    PF_ASSIGN_OR_RETURN(gks, r.ReadString());
    PF_ASSIGN_OR_RETURN(gtable, r.ReadString());
  }
  // Each spec takes at least a name [string] and an [option] id.
  PF_RETURN_IF_ERROR(r.CheckCount(count, global ? 4 : 8, "column spec"));
  columns->reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) {
    ColumnSpec c;
    if (global) {
      c.keyspace = std::string(gks);
      c.table = std::string(gtable);
    } else {
      PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      PF_ASSIGN_OR_RETURN(std::string_view table, r.ReadString());
      c.keyspace = std::string(ks);
      c.table = std::string(table);
    }
    PF_ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
    c.name = std::string(name);
    PF_ASSIGN_OR_RETURN(c.type, DataType::Decode(r));
    columns->push_back(std::move(c));
  }
  return Status::Ok();
}

bool SharesOneTable(const std::vector<ColumnSpec>& columns) {
  if (columns.empty()) return false;
  for (const auto& c : columns)
    if (c.keyspace != columns[0].keyspace || c.table != columns[0].table) return false;
  return true;
}

void WriteColumnSpecs(ByteWriter& w, bool global, const std::vector<ColumnSpec>& columns,
                      int version) {
  if (global) {
    w.WriteString(columns[0].keyspace);
    w.WriteString(columns[0].table);
  }
  for (const auto& c : columns) {
    if (!global) {
      w.WriteString(c.keyspace);
      w.WriteString(c.table);
    }
    w.WriteString(c.name);
    c.type.Encode(w, version);
  }
}

Result<RowsMetadata> DecodeRowsMetadata(ByteReader& r, const RowsMetadata* known) {
  RowsMetadata m;
  PF_ASSIGN_OR_RETURN(int32_t flags, r.ReadInt());
  PF_ASSIGN_OR_RETURN(m.column_count, r.ReadInt());
  if (m.column_count < 0) return Malformed("negative column count");
  if (flags & rows_flags::kHasMorePages) {
    PF_ASSIGN_OR_RETURN(std::optional<std::string_view> ps, r.ReadBytes());
    if (ps) m.paging_state = std::string(*ps);
  }
  if (flags & rows_flags::kMetadataChanged) {
    if (flags & rows_flags::kNoMetadata)
      return Malformed("Metadata_changed and No_metadata flags are both set");
    PF_ASSIGN_OR_RETURN(std::string_view id, r.ReadShortBytes());
    m.new_metadata_id = std::string(id);
  }
  if (flags & rows_flags::kNoMetadata) {
    m.no_metadata = true;
    if (known) {
      if (static_cast<size_t>(m.column_count) != known->columns.size())
        return Malformed("rows have " + std::to_string(m.column_count) +
                         " columns but the known metadata has " +
                         std::to_string(known->columns.size()));
      m.columns = known->columns;
    }
    return m;
  }
  PF_RETURN_IF_ERROR(ReadColumnSpecs(r, flags, m.column_count, &m.columns));
  return m;
}

// Decodes into `rows` (a fresh RowsResult, or a recycled one: its cells are resized to this
// result's, and those it already holds are overwritten rather than initialized first).
Status DecodeRowsInto(ByteReader& r, const RowsMetadata* known, RowsResult* rows) {
  PF_ASSIGN_OR_RETURN(rows->metadata, DecodeRowsMetadata(r, known));
  PF_ASSIGN_OR_RETURN(rows->row_count, r.ReadInt());
  if (rows->row_count < 0) {
    rows->cells.clear();
    return Malformed("negative row count");
  }
  int64_t cells = int64_t{rows->row_count} * rows->metadata.column_count;
  if (rows->metadata.column_count == 0 && rows->row_count > 0) {
    rows->cells.clear();
    // Rows without columns carry no bytes; cap what we accept so nothing large is trusted.
    if (rows->row_count > 1 << 20) return Malformed("row count too large for zero columns");
    return Status::Ok();
  }
  if (Status count = r.CheckCount(cells, 4, "cell"); !count.ok()) {
    rows->cells.clear();
    return count;
  }
  // Hot loop: every cell is an [int] length then bytes, viewed in place, stored into cells
  // sized once (no capacity check per cell). On an error only the cells decoded remain.
  rows->cells.resize(static_cast<size_t>(cells), boost::container::default_init);
  RawValue* const first = rows->cells.data();
  RawValue* const last = first + cells;
  const char* p = r.position();
  const char* end = p + r.remaining();
  for (RawValue* out = first; out != last; ++out) {
    if (end - p < 4) {
      rows->cells.resize(static_cast<size_t>(out - first));
      return Status(StatusCode::kTruncated, "rows body ends inside a cell length");
    }
    int32_t n = static_cast<int32_t>(LoadBE32(p));
    p += 4;
    // One unsigned compare: 0 <= n <= the bytes left (a negative n wraps above them).
    if (static_cast<uint32_t>(n) <= static_cast<size_t>(end - p)) {
      *out = RawValue::Of(std::string_view(p, static_cast<size_t>(n)));
      p += n;
    } else if (n == -1 || n == -2) {
      *out = n == -1 ? RawValue::Null() : RawValue::Unset();
    } else {
      rows->cells.resize(static_cast<size_t>(out - first));
      if (n >= 0) return Status(StatusCode::kTruncated, "rows body ends inside a cell");
      return Malformed("cell length " + std::to_string(n) + " is invalid");
    }
  }
  PF_ASSIGN_OR_RETURN(std::string_view consumed, r.ReadRaw(static_cast<size_t>(p - r.position())));
  (void)consumed;
  return Status::Ok();
}

}  // namespace

std::string_view ConsistencyName(Consistency c) {
  switch (c) {
    case Consistency::kAny:
      return "ANY";
    case Consistency::kOne:
      return "ONE";
    case Consistency::kTwo:
      return "TWO";
    case Consistency::kThree:
      return "THREE";
    case Consistency::kQuorum:
      return "QUORUM";
    case Consistency::kAll:
      return "ALL";
    case Consistency::kLocalQuorum:
      return "LOCAL_QUORUM";
    case Consistency::kEachQuorum:
      return "EACH_QUORUM";
    case Consistency::kSerial:
      return "SERIAL";
    case Consistency::kLocalSerial:
      return "LOCAL_SERIAL";
    case Consistency::kLocalOne:
      return "LOCAL_ONE";
  }
  return "UNKNOWN";
}

bool IsValidConsistency(uint16_t c) { return c <= 0x000A; }

// ---- requests -------------------------------------------------------------------------------
// A request decoder reads what its message holds and ignores bytes after it, as Cassandra's
// codecs do (clients that pad bodies keep working). Responses are checked to their end.

void StartupMessage::Encode(ByteWriter& w) const { w.WriteStringMap(options); }

Result<StartupMessage> StartupMessage::Decode(ByteReader& r) {
  StartupMessage m;
  PF_ASSIGN_OR_RETURN(m.options, r.ReadStringMap());
  return m;
}

void AuthResponseMessage::Encode(ByteWriter& w) const { w.WriteBytes(token); }

Result<AuthResponseMessage> AuthResponseMessage::Decode(ByteReader& r) {
  AuthResponseMessage m;
  PF_ASSIGN_OR_RETURN(m.token, r.ReadBytes());
  return m;
}

Result<OptionsMessage> OptionsMessage::Decode(ByteReader& r) { return OptionsMessage{}; }

namespace {
// The options QUERY/EXECUTE and BATCH share: their flags and, in wire order, their fields.
struct SharedOptions {
  const std::optional<Consistency>& serial_consistency;
  const std::optional<int64_t>& default_timestamp;
  const std::optional<std::string_view>& keyspace;
  const std::optional<int32_t>& now_in_seconds;
  bool v5;

  uint32_t Flags() const {
    uint32_t flags = 0;
    if (serial_consistency) flags |= query_flags::kSerialConsistency;
    if (default_timestamp) flags |= query_flags::kDefaultTimestamp;
    if (v5 && keyspace) flags |= query_flags::kWithKeyspace;
    if (v5 && now_in_seconds) flags |= query_flags::kNowInSeconds;
    return flags;
  }
  // <flags>: a [byte] in v4, an [int] in v5.
  void WriteFlags(ByteWriter& w, uint32_t flags) const {
    if (v5) {
      w.WriteInt(static_cast<int32_t>(flags));
    } else {
      w.WriteByte(static_cast<uint8_t>(flags));
    }
  }
  void WriteFields(ByteWriter& w) const {
    if (serial_consistency) w.WriteShort(static_cast<uint16_t>(*serial_consistency));
    if (default_timestamp) w.WriteLong(*default_timestamp);
    if (v5 && keyspace) w.WriteString(*keyspace);
    if (v5 && now_in_seconds) w.WriteInt(*now_in_seconds);
  }
};
}  // namespace

void QueryParameters::Encode(ByteWriter& w, int version) const {
  w.WriteShort(static_cast<uint16_t>(consistency));
  uint32_t flags = 0;
  const SharedOptions shared{serial_consistency, default_timestamp, keyspace, now_in_seconds,
                             version >= kProtocolV5};
  bool named = !value_names.empty();
  if (!values.empty()) flags |= query_flags::kValues;
  if (named) flags |= query_flags::kNamesForValues;
  if (skip_metadata) flags |= query_flags::kSkipMetadata;
  if (page_size) flags |= query_flags::kPageSize;
  if (paging_state) flags |= query_flags::kPagingState;
  shared.WriteFlags(w, flags | shared.Flags());
  if (!values.empty()) {
    w.WriteShort(static_cast<uint16_t>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) {
      if (named) w.WriteString(value_names[i]);
      w.WriteValue(values[i]);
    }
  }
  if (page_size) w.WriteInt(*page_size);
  if (paging_state) w.WriteBytes(*paging_state);
  shared.WriteFields(w);
}

namespace {
// <flags> of QUERY/EXECUTE/BATCH: a [byte] in v4, an [int] in v5.
Result<uint32_t> ReadQueryFlags(ByteReader& r, int version) {
  if (version >= kProtocolV5) {
    PF_ASSIGN_OR_RETURN(int32_t f, r.ReadInt());
    return static_cast<uint32_t>(f);
  }
  PF_ASSIGN_OR_RETURN(uint8_t f, r.ReadByte());
  return uint32_t{f};
}

// The v5 tail shared by QUERY/EXECUTE and BATCH: [<keyspace>][<now_in_seconds>].
Status ReadV5Tail(ByteReader& r, uint32_t flags, std::optional<std::string_view>* keyspace,
                  std::optional<int32_t>* now_in_seconds) {
  if (flags & query_flags::kWithKeyspace) {
    PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
    if (ks.empty()) return Malformed("empty keyspace in the keyspace flag's field");
    *keyspace = ks;
  }
  if (flags & query_flags::kNowInSeconds) {
    PF_ASSIGN_OR_RETURN(int32_t now, r.ReadInt());
    *now_in_seconds = now;
  }
  return Status::Ok();
}
}  // namespace

Result<QueryParameters> QueryParameters::Decode(ByteReader& r, int version) {
  QueryParameters q;
  PF_ASSIGN_OR_RETURN(q.consistency, ReadConsistency(r));
  PF_ASSIGN_OR_RETURN(uint32_t flags, ReadQueryFlags(r, version));
  if (flags & query_flags::kValues) {
    PF_ASSIGN_OR_RETURN(uint16_t n, r.ReadShort());
    bool named = flags & query_flags::kNamesForValues;
    PF_RETURN_IF_ERROR(r.CheckCount(n, named ? 6 : 4, "bound value"));
    q.values.reserve(n);
    if (named) q.value_names.reserve(n);
    for (uint16_t i = 0; i < n; ++i) {
      if (named) {
        PF_ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
        q.value_names.push_back(name);
      }
      PF_ASSIGN_OR_RETURN(RawValue v, r.ReadValue());
      q.values.push_back(v);
    }
  }
  q.skip_metadata = flags & query_flags::kSkipMetadata;
  if (flags & query_flags::kPageSize) {
    PF_ASSIGN_OR_RETURN(int32_t ps, r.ReadInt());
    q.page_size = ps;
  }
  if (flags & query_flags::kPagingState) {
    PF_ASSIGN_OR_RETURN(std::optional<std::string_view> ps, r.ReadBytes());
    if (ps) q.paging_state = *ps;
  }
  if (flags & query_flags::kSerialConsistency) {
    PF_ASSIGN_OR_RETURN(q.serial_consistency, ReadConsistency(r));
  }
  if (flags & query_flags::kDefaultTimestamp) {
    PF_ASSIGN_OR_RETURN(q.default_timestamp, ReadTimestamp(r));
  }
  PF_RETURN_IF_ERROR(ReadV5Tail(r, flags, &q.keyspace, &q.now_in_seconds));
  return q;
}

void QueryMessage::Encode(ByteWriter& w, int version) const {
  w.WriteLongString(query);
  params.Encode(w, version);
}

Result<QueryMessage> QueryMessage::Decode(ByteReader& r, int version) {
  QueryMessage m;
  PF_ASSIGN_OR_RETURN(m.query, r.ReadLongString());
  PF_ASSIGN_OR_RETURN(m.params, QueryParameters::Decode(r, version));
  return m;
}

namespace prepare_flags {
inline constexpr int32_t kWithKeyspace = 0x01;
}  // namespace prepare_flags

void PrepareMessage::Encode(ByteWriter& w, int version) const {
  w.WriteLongString(query);
  if (version < kProtocolV5) return;
  w.WriteInt(keyspace ? prepare_flags::kWithKeyspace : 0);
  if (keyspace) w.WriteString(*keyspace);
}

Result<PrepareMessage> PrepareMessage::Decode(ByteReader& r, int version) {
  PrepareMessage m;
  PF_ASSIGN_OR_RETURN(m.query, r.ReadLongString());
  if (version >= kProtocolV5) {
    PF_ASSIGN_OR_RETURN(int32_t flags, r.ReadInt());
    if (flags & prepare_flags::kWithKeyspace) {
      PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      if (ks.empty()) return Malformed("empty keyspace in PREPARE");
      m.keyspace = ks;
    }
  }
  return m;
}

void ExecuteMessage::Encode(ByteWriter& w, int version) const {
  w.WriteShortBytes(id);
  if (version >= kProtocolV5) w.WriteShortBytes(result_metadata_id);
  params.Encode(w, version);
}

Result<ExecuteMessage> ExecuteMessage::Decode(ByteReader& r, int version) {
  ExecuteMessage m;
  PF_ASSIGN_OR_RETURN(m.id, r.ReadShortBytes());
  if (version >= kProtocolV5) {
    PF_ASSIGN_OR_RETURN(m.result_metadata_id, r.ReadShortBytes());
  }
  PF_ASSIGN_OR_RETURN(m.params, QueryParameters::Decode(r, version));
  return m;
}

void BatchMessage::Encode(ByteWriter& w, int version) const {
  w.WriteByte(static_cast<uint8_t>(type));
  w.WriteShort(static_cast<uint16_t>(statements.size()));
  for (const auto& s : statements) {
    w.WriteByte(s.is_prepared ? 1 : 0);
    if (s.is_prepared) {
      w.WriteShortBytes(s.query_or_id);
    } else {
      w.WriteLongString(s.query_or_id);
    }
    w.WriteShort(static_cast<uint16_t>(s.values.size()));
    for (const auto& v : s.values) w.WriteValue(v);
  }
  w.WriteShort(static_cast<uint16_t>(consistency));
  const SharedOptions shared{serial_consistency, default_timestamp, keyspace, now_in_seconds,
                             version >= kProtocolV5};
  shared.WriteFlags(w, shared.Flags());
  shared.WriteFields(w);
}

Result<BatchMessage> BatchMessage::Decode(ByteReader& r, int version) {
  BatchMessage m;
  PF_ASSIGN_OR_RETURN(uint8_t type, r.ReadByte());
  if (type > 2) return Malformed("Invalid BATCH message type " + std::to_string(type));
  m.type = static_cast<BatchType>(type);
  PF_ASSIGN_OR_RETURN(uint16_t n, r.ReadShort());
  PF_RETURN_IF_ERROR(r.CheckCount(n, 5, "batch statement"));
  m.statements.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    BatchStatement s;
    PF_ASSIGN_OR_RETURN(uint8_t kind, r.ReadByte());
    if (kind > 1)
      return Malformed("Invalid query kind in BATCH messages. Must be 0 or 1 but got " +
                       std::to_string(kind));
    s.is_prepared = kind == 1;
    if (s.is_prepared) {
      PF_ASSIGN_OR_RETURN(s.query_or_id, r.ReadShortBytes());
    } else {
      PF_ASSIGN_OR_RETURN(s.query_or_id, r.ReadLongString());
    }
    PF_ASSIGN_OR_RETURN(uint16_t nv, r.ReadShort());
    PF_RETURN_IF_ERROR(r.CheckCount(nv, 4, "batch value"));
    s.values.reserve(nv);
    for (uint16_t k = 0; k < nv; ++k) {
      PF_ASSIGN_OR_RETURN(RawValue v, r.ReadValue());
      s.values.push_back(v);
    }
    m.statements.push_back(std::move(s));
  }
  // The rest is read as QUERY's parameters (Cassandra's QueryOptions codec): flags a batch has
  // no use for (values, page size, paging state) still announce fields to read.
  {
    ByteReader peek = r;
    PF_RETURN_IF_ERROR(ReadConsistency(peek).status());
    PF_ASSIGN_OR_RETURN(uint32_t flags, ReadQueryFlags(peek, version));
    if (flags & query_flags::kNamesForValues)
      return Malformed("named values are not supported in BATCH");
  }
  PF_ASSIGN_OR_RETURN(QueryParameters q, QueryParameters::Decode(r, version));
  m.consistency = q.consistency;
  m.serial_consistency = q.serial_consistency;
  m.default_timestamp = q.default_timestamp;
  m.keyspace = q.keyspace;
  m.now_in_seconds = q.now_in_seconds;
  return m;
}

void RegisterMessage::Encode(ByteWriter& w) const {
  w.WriteShort(static_cast<uint16_t>(event_types.size()));
  for (auto e : event_types) w.WriteString(e);
}

Result<RegisterMessage> RegisterMessage::Decode(ByteReader& r) {
  RegisterMessage m;
  PF_ASSIGN_OR_RETURN(m.event_types, r.ReadStringList());
  for (std::string_view e : m.event_types) {
    if (!ParseEventType(e)) return Malformed("Invalid value '" + std::string(e) + "' for Type");
  }
  return m;
}

std::optional<EventMessage::Type> ParseEventType(std::string_view name) {
  auto is = [name](std::string_view upper) { return ascii::EqualsIgnoreCase(name, upper); };
  if (is("TOPOLOGY_CHANGE")) return EventMessage::Type::kTopologyChange;
  if (is("STATUS_CHANGE")) return EventMessage::Type::kStatusChange;
  if (is("SCHEMA_CHANGE")) return EventMessage::Type::kSchemaChange;
  return std::nullopt;
}

// ---- responses ------------------------------------------------------------------------------

namespace {
// <numfailures> in v4; in v5 the <reasonmap>: [int] n, then n times [inetaddr] [short].
void WriteFailures(ByteWriter& w, const ErrorMessage& e, int version) {
  if (version < kProtocolV5) {
    w.WriteInt(e.num_failures);
    return;
  }
  w.WriteInt(static_cast<int32_t>(e.reason_map.size()));
  for (const auto& [addr, code] : e.reason_map) {
    w.WriteInetAddr(addr);
    w.WriteShort(code);
  }
}

Status ReadFailures(ByteReader& r, ErrorMessage* e, int version) {
  PF_ASSIGN_OR_RETURN(e->num_failures, r.ReadInt());
  if (version < kProtocolV5) return Status::Ok();
  // Each entry takes at least 1 + 4 + 2 bytes.
  PF_RETURN_IF_ERROR(r.CheckCount(e->num_failures, 7, "failure reason"));
  for (int32_t i = 0; i < e->num_failures; ++i) {
    PF_ASSIGN_OR_RETURN(std::string_view addr, r.ReadInetAddr());
    PF_ASSIGN_OR_RETURN(uint16_t code, r.ReadShort());
    e->reason_map.emplace_back(std::string(addr), code);
  }
  return Status::Ok();
}
}  // namespace

void ErrorMessage::Encode(ByteWriter& w, int version) const {
  w.WriteInt(static_cast<int32_t>(code));
  // A [string] is UTF-8, and drivers drop a connection that sends anything else; messages may
  // quote bytes from a request.
  if (IsValidUtf8(message)) {
    w.WriteString(message);
  } else {
    w.WriteString(ToValidUtf8(message));
  }
  switch (code) {
    case ErrorCode::kUnavailable:
      w.WriteShort(static_cast<uint16_t>(consistency));
      w.WriteInt(required);
      w.WriteInt(alive_or_received);
      break;
    case ErrorCode::kWriteTimeout:
      w.WriteShort(static_cast<uint16_t>(consistency));
      w.WriteInt(alive_or_received);
      w.WriteInt(required);
      w.WriteString(write_type);
      break;
    case ErrorCode::kReadTimeout:
      w.WriteShort(static_cast<uint16_t>(consistency));
      w.WriteInt(alive_or_received);
      w.WriteInt(required);
      w.WriteByte(data_present ? 1 : 0);
      break;
    case ErrorCode::kReadFailure:
      w.WriteShort(static_cast<uint16_t>(consistency));
      w.WriteInt(alive_or_received);
      w.WriteInt(required);
      WriteFailures(w, *this, version);
      w.WriteByte(data_present ? 1 : 0);
      break;
    case ErrorCode::kWriteFailure:
      w.WriteShort(static_cast<uint16_t>(consistency));
      w.WriteInt(alive_or_received);
      w.WriteInt(required);
      WriteFailures(w, *this, version);
      w.WriteString(write_type);
      break;
    case ErrorCode::kCasWriteUnknown:
      w.WriteShort(static_cast<uint16_t>(consistency));
      w.WriteInt(alive_or_received);
      w.WriteInt(required);
      break;
    case ErrorCode::kFunctionFailure:
      w.WriteString(function_keyspace);
      w.WriteString(function_name);
      WriteStrings(w, arg_types);
      break;
    case ErrorCode::kAlreadyExists:
      w.WriteString(keyspace);
      w.WriteString(table);
      break;
    case ErrorCode::kUnprepared:
      w.WriteShortBytes(unprepared_id);
      break;
    default:
      break;
  }
}

Result<ErrorMessage> ErrorMessage::Decode(ByteReader& r, int version) {
  ErrorMessage m;
  PF_ASSIGN_OR_RETURN(int32_t code, r.ReadInt());
  // Unknown codes are kept as they are; callers treat them as server errors.
  m.code = static_cast<ErrorCode>(code);
  PF_ASSIGN_OR_RETURN(std::string_view msg, r.ReadString());
  m.message = std::string(msg);
  switch (m.code) {
    case ErrorCode::kUnavailable: {
      PF_ASSIGN_OR_RETURN(m.consistency, ReadConsistency(r));
      PF_ASSIGN_OR_RETURN(m.required, r.ReadInt());
      PF_ASSIGN_OR_RETURN(m.alive_or_received, r.ReadInt());
      break;
    }
    case ErrorCode::kWriteTimeout:
    case ErrorCode::kReadTimeout:
    case ErrorCode::kReadFailure:
    case ErrorCode::kWriteFailure:
    case ErrorCode::kCasWriteUnknown: {
      PF_ASSIGN_OR_RETURN(m.consistency, ReadConsistency(r));
      PF_ASSIGN_OR_RETURN(m.alive_or_received, r.ReadInt());
      PF_ASSIGN_OR_RETURN(m.required, r.ReadInt());
      if (m.code == ErrorCode::kReadFailure || m.code == ErrorCode::kWriteFailure) {
        PF_RETURN_IF_ERROR(ReadFailures(r, &m, version));
      }
      if (m.code == ErrorCode::kWriteTimeout || m.code == ErrorCode::kWriteFailure) {
        PF_ASSIGN_OR_RETURN(std::string_view wt, r.ReadString());
        m.write_type = std::string(wt);
      }
      if (m.code == ErrorCode::kReadTimeout || m.code == ErrorCode::kReadFailure) {
        PF_ASSIGN_OR_RETURN(uint8_t dp, r.ReadByte());
        m.data_present = dp != 0;
      }
      break;
    }
    case ErrorCode::kFunctionFailure: {
      PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      PF_ASSIGN_OR_RETURN(std::string_view fn, r.ReadString());
      m.function_keyspace = std::string(ks);
      m.function_name = std::string(fn);
      PF_ASSIGN_OR_RETURN(m.arg_types, ReadStrings(r));
      break;
    }
    case ErrorCode::kAlreadyExists: {
      PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      PF_ASSIGN_OR_RETURN(std::string_view table, r.ReadString());
      m.keyspace = std::string(ks);
      m.table = std::string(table);
      break;
    }
    case ErrorCode::kUnprepared: {
      PF_ASSIGN_OR_RETURN(std::string_view id, r.ReadShortBytes());
      m.unprepared_id = std::string(id);
      break;
    }
    default:
      break;
  }
  PF_RETURN_IF_ERROR(ExpectEnd(r, "ERROR"));
  return m;
}

Result<ReadyMessage> ReadyMessage::Decode(ByteReader& r) {
  PF_RETURN_IF_ERROR(ExpectEnd(r, "READY"));
  return ReadyMessage{};
}

void AuthenticateMessage::Encode(ByteWriter& w) const { w.WriteString(authenticator); }

Result<AuthenticateMessage> AuthenticateMessage::Decode(ByteReader& r) {
  AuthenticateMessage m;
  PF_ASSIGN_OR_RETURN(std::string_view a, r.ReadString());
  m.authenticator = std::string(a);
  PF_RETURN_IF_ERROR(ExpectEnd(r, "AUTHENTICATE"));
  return m;
}

void SupportedMessage::Encode(ByteWriter& w) const { w.WriteStringMultimap(options); }

Result<SupportedMessage> SupportedMessage::Decode(ByteReader& r) {
  SupportedMessage m;
  PF_ASSIGN_OR_RETURN(m.options, r.ReadStringMultimap());
  PF_RETURN_IF_ERROR(ExpectEnd(r, "SUPPORTED"));
  return m;
}

namespace {
Result<std::optional<std::string>> ReadToken(ByteReader& r, std::string_view what) {
  PF_ASSIGN_OR_RETURN(std::optional<std::string_view> t, r.ReadBytes());
  PF_RETURN_IF_ERROR(ExpectEnd(r, what));
  if (!t) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*t));
}
}  // namespace

void AuthChallengeMessage::Encode(ByteWriter& w) const {
  w.WriteBytes(token ? std::optional<std::string_view>(*token) : std::nullopt);
}

Result<AuthChallengeMessage> AuthChallengeMessage::Decode(ByteReader& r) {
  AuthChallengeMessage m;
  PF_ASSIGN_OR_RETURN(m.token, ReadToken(r, "AUTH_CHALLENGE"));
  return m;
}

void AuthSuccessMessage::Encode(ByteWriter& w) const {
  w.WriteBytes(token ? std::optional<std::string_view>(*token) : std::nullopt);
}

Result<AuthSuccessMessage> AuthSuccessMessage::Decode(ByteReader& r) {
  AuthSuccessMessage m;
  PF_ASSIGN_OR_RETURN(m.token, ReadToken(r, "AUTH_SUCCESS"));
  return m;
}

// ---- RESULT ---------------------------------------------------------------------------------

void RowsMetadata::Encode(ByteWriter& w, int version) const {
  int32_t flags = 0;
  // Metadata_changed requires the columns, whatever the request asked.
  const bool changed = version >= kProtocolV5 && new_metadata_id.has_value();
  const bool skip = no_metadata && !changed;
  bool global = !skip && SharesOneTable(columns);
  if (global) flags |= rows_flags::kGlobalTablesSpec;
  if (paging_state) flags |= rows_flags::kHasMorePages;
  if (skip) flags |= rows_flags::kNoMetadata;
  if (changed) flags |= rows_flags::kMetadataChanged;
  w.WriteInt(flags);
  w.WriteInt(skip ? column_count : static_cast<int32_t>(columns.size()));
  if (paging_state) w.WriteBytes(*paging_state);
  if (changed) w.WriteShortBytes(*new_metadata_id);
  if (!skip) WriteColumnSpecs(w, global, columns, version);
}

Result<RowsMetadata> RowsMetadata::Decode(ByteReader& r) { return DecodeRowsMetadata(r, nullptr); }

void EncodeRowsResult(const RowsMetadata& metadata, int32_t row_count,
                      std::span<const RawValue> cells, ByteWriter& w, int version) {
  w.WriteInt(static_cast<int32_t>(ResultKind::kRows));
  metadata.Encode(w, version);
  w.WriteInt(row_count);
  for (const auto& c : cells) w.WriteValue(c);
}

void SchemaChange::Encode(ByteWriter& w) const {
  w.WriteString(SchemaChangeTypeName(change));
  w.WriteString(SchemaChangeTargetName(target));
  w.WriteString(keyspace);
  if (target != SchemaChangeTarget::kKeyspace) w.WriteString(name);
  if (target == SchemaChangeTarget::kFunction || target == SchemaChangeTarget::kAggregate)
    WriteStrings(w, arg_types);
}

Result<SchemaChange> SchemaChange::Decode(ByteReader& r) {
  SchemaChange s;
  PF_ASSIGN_OR_RETURN(std::string_view change, r.ReadString());
  if (change == "CREATED") {
    s.change = SchemaChangeType::kCreated;
  } else if (change == "UPDATED") {
    s.change = SchemaChangeType::kUpdated;
  } else if (change == "DROPPED") {
    s.change = SchemaChangeType::kDropped;
  } else {
    return Malformed("unknown schema change type '" + std::string(change) + "'");
  }
  PF_ASSIGN_OR_RETURN(std::string_view target, r.ReadString());
  if (target == "KEYSPACE") {
    s.target = SchemaChangeTarget::kKeyspace;
  } else if (target == "TABLE") {
    s.target = SchemaChangeTarget::kTable;
  } else if (target == "TYPE") {
    s.target = SchemaChangeTarget::kType;
  } else if (target == "FUNCTION") {
    s.target = SchemaChangeTarget::kFunction;
  } else if (target == "AGGREGATE") {
    s.target = SchemaChangeTarget::kAggregate;
  } else {
    return Malformed("unknown schema change target '" + std::string(target) + "'");
  }
  PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
  s.keyspace = std::string(ks);
  if (s.target != SchemaChangeTarget::kKeyspace) {
    PF_ASSIGN_OR_RETURN(std::string_view name, r.ReadString());
    s.name = std::string(name);
  }
  if (s.target == SchemaChangeTarget::kFunction || s.target == SchemaChangeTarget::kAggregate) {
    PF_ASSIGN_OR_RETURN(s.arg_types, ReadStrings(r));
  }
  return s;
}

void ResultMessage::Encode(ByteWriter& w, int version) const {
  switch (kind) {
    case ResultKind::kVoid:
      w.WriteInt(static_cast<int32_t>(kind));
      break;
    case ResultKind::kRows:
      EncodeRowsResult(rows.metadata, rows.row_count, {rows.cells.data(), rows.cells.size()}, w,
                       version);
      break;
    case ResultKind::kSetKeyspace:
      w.WriteInt(static_cast<int32_t>(kind));
      w.WriteString(keyspace);
      break;
    case ResultKind::kPrepared: {
      w.WriteInt(static_cast<int32_t>(kind));
      w.WriteShortBytes(prepared.id);
      if (version >= kProtocolV5) w.WriteShortBytes(prepared.result_metadata_id);
      const auto& cols = prepared.bind_columns;
      bool global = SharesOneTable(cols);
      w.WriteInt(global ? rows_flags::kGlobalTablesSpec : 0);
      w.WriteInt(static_cast<int32_t>(cols.size()));
      if (version >= kProtocolV4) {  // v3's prepared metadata has no partition key indexes
        w.WriteInt(static_cast<int32_t>(prepared.pk_indexes.size()));
        for (uint16_t i : prepared.pk_indexes) w.WriteShort(i);
      }
      WriteColumnSpecs(w, global, cols, version);
      prepared.result_metadata.Encode(w, version);
      break;
    }
    case ResultKind::kSchemaChange:
      w.WriteInt(static_cast<int32_t>(kind));
      schema_change.Encode(w);
      break;
  }
}

Result<ResultMessage> ResultMessage::Decode(ByteReader& r, const RowsMetadata* known, int version) {
  ResultMessage m;
  PF_RETURN_IF_ERROR(DecodeInto(r, known, version, &m));
  return m;
}

Status ResultMessage::DecodeInto(ByteReader& r, const RowsMetadata* known, int version,
                                 ResultMessage* m) {
  PF_ASSIGN_OR_RETURN(int32_t kind, r.ReadInt());
  switch (kind) {
    case static_cast<int32_t>(ResultKind::kVoid):
      m->kind = ResultKind::kVoid;
      break;
    case static_cast<int32_t>(ResultKind::kRows): {
      m->kind = ResultKind::kRows;
      PF_RETURN_IF_ERROR(DecodeRowsInto(r, known, &m->rows));
      break;
    }
    case static_cast<int32_t>(ResultKind::kSetKeyspace): {
      m->kind = ResultKind::kSetKeyspace;
      PF_ASSIGN_OR_RETURN(std::string_view ks, r.ReadString());
      m->keyspace = std::string(ks);
      break;
    }
    case static_cast<int32_t>(ResultKind::kPrepared): {
      m->kind = ResultKind::kPrepared;
      PF_ASSIGN_OR_RETURN(std::string_view id, r.ReadShortBytes());
      m->prepared.id = std::string(id);
      if (version >= kProtocolV5) {
        PF_ASSIGN_OR_RETURN(std::string_view mid, r.ReadShortBytes());
        m->prepared.result_metadata_id = std::string(mid);
      }
      PF_ASSIGN_OR_RETURN(int32_t flags, r.ReadInt());
      PF_ASSIGN_OR_RETURN(int32_t count, r.ReadInt());
      if (count < 0) return Malformed("negative bind marker count");
      PF_ASSIGN_OR_RETURN(int32_t pk_count, r.ReadInt());
      PF_RETURN_IF_ERROR(r.CheckCount(pk_count, 2, "partition key index"));
      m->prepared.pk_indexes.reserve(static_cast<size_t>(pk_count));
      for (int32_t i = 0; i < pk_count; ++i) {
        PF_ASSIGN_OR_RETURN(uint16_t idx, r.ReadShort());
        if (idx >= count) return Malformed("partition key index beyond the bind markers");
        m->prepared.pk_indexes.push_back(idx);
      }
      PF_RETURN_IF_ERROR(ReadColumnSpecs(r, flags, count, &m->prepared.bind_columns));
      PF_ASSIGN_OR_RETURN(m->prepared.result_metadata, DecodeRowsMetadata(r, nullptr));
      break;
    }
    case static_cast<int32_t>(ResultKind::kSchemaChange): {
      m->kind = ResultKind::kSchemaChange;
      PF_ASSIGN_OR_RETURN(m->schema_change, SchemaChange::Decode(r));
      break;
    }
    default:
      return Malformed("unknown result kind " + std::to_string(kind));
  }
  PF_RETURN_IF_ERROR(ExpectEnd(r, "RESULT"));
  return Status::Ok();
}

// ---- EVENT ----------------------------------------------------------------------------------

void EventMessage::Encode(ByteWriter& w) const {
  switch (type) {
    case Type::kTopologyChange:
    case Type::kStatusChange:
      w.WriteString(type == Type::kTopologyChange ? "TOPOLOGY_CHANGE" : "STATUS_CHANGE");
      w.WriteString(change);
      w.WriteInetAddr(address);
      w.WriteInt(port);
      break;
    case Type::kSchemaChange:
      w.WriteString("SCHEMA_CHANGE");
      schema_change.Encode(w);
      break;
  }
}

Result<EventMessage> EventMessage::Decode(ByteReader& r) {
  EventMessage m;
  PF_ASSIGN_OR_RETURN(std::string_view type, r.ReadString());
  if (type == "TOPOLOGY_CHANGE" || type == "STATUS_CHANGE") {
    m.type = type == "TOPOLOGY_CHANGE" ? Type::kTopologyChange : Type::kStatusChange;
    PF_ASSIGN_OR_RETURN(std::string_view change, r.ReadString());
    m.change = std::string(change);
    PF_ASSIGN_OR_RETURN(std::string_view addr, r.ReadInetAddr());
    m.address = std::string(addr);
    PF_ASSIGN_OR_RETURN(m.port, r.ReadInt());
  } else if (type == "SCHEMA_CHANGE") {
    m.type = Type::kSchemaChange;
    PF_ASSIGN_OR_RETURN(m.schema_change, SchemaChange::Decode(r));
  } else {
    return Malformed("unknown event type '" + std::string(type) + "'");
  }
  PF_RETURN_IF_ERROR(ExpectEnd(r, "EVENT"));
  return m;
}

}  // namespace postfork::cql
