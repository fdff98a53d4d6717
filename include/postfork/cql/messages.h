// Every v4 and v5 message body (native_protocol_v4.spec / native_protocol_v5.spec section 4),
// encoded and decoded both ways. Where v5 changed a layout, Encode/Decode take the connection's
// protocol version (default v4); v5-only fields are ignored when encoding v4.
// Decoded messages hold string_views into the frame body they came from: keep the body alive.
// No I/O here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "postfork/base/status.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/error_codes.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/types.h"

namespace postfork::cql {

enum class Consistency : uint16_t {
  kAny = 0x0000,
  kOne = 0x0001,
  kTwo = 0x0002,
  kThree = 0x0003,
  kQuorum = 0x0004,
  kAll = 0x0005,
  kLocalQuorum = 0x0006,
  kEachQuorum = 0x0007,
  kSerial = 0x0008,
  kLocalSerial = 0x0009,
  kLocalOne = 0x000A,
};
std::string_view ConsistencyName(Consistency c);  // "LOCAL_QUORUM"
bool IsValidConsistency(uint16_t c);

// ---- requests ---------------------------------------------------------------------------

struct StartupMessage {  // STARTUP: CQL_VERSION required; COMPRESSION optional
  std::map<std::string, std::string> options;
  void Encode(ByteWriter& w) const;
  static Result<StartupMessage> Decode(ByteReader& r);
};

struct AuthResponseMessage {  // AUTH_RESPONSE
  std::optional<std::string_view> token;
  void Encode(ByteWriter& w) const;
  static Result<AuthResponseMessage> Decode(ByteReader& r);
};

struct OptionsMessage {  // OPTIONS: empty body
  void Encode(ByteWriter&) const {}
  static Result<OptionsMessage> Decode(ByteReader& r);
};

namespace query_flags {  // a [byte] in v4, an [int] in v5
inline constexpr uint32_t kValues = 0x01;
inline constexpr uint32_t kSkipMetadata = 0x02;
inline constexpr uint32_t kPageSize = 0x04;
inline constexpr uint32_t kPagingState = 0x08;
inline constexpr uint32_t kSerialConsistency = 0x10;
inline constexpr uint32_t kDefaultTimestamp = 0x20;
inline constexpr uint32_t kNamesForValues = 0x40;
inline constexpr uint32_t kWithKeyspace = 0x80;     // v5
inline constexpr uint32_t kNowInSeconds = 0x100;    // v5
}  // namespace query_flags

// <query_parameters> of QUERY and EXECUTE. Flags are derived from which fields are set.
// At most 65535 values (the protocol's [short] count, Cassandra's bind marker limit): callers
// check before encoding.
struct QueryParameters {
  Consistency consistency = Consistency::kOne;
  std::vector<RawValue> values;
  std::vector<std::string_view> value_names;  // non-empty: named values (same size as values)
  bool skip_metadata = false;
  std::optional<int32_t> page_size;
  std::optional<std::string_view> paging_state;
  std::optional<Consistency> serial_consistency;
  std::optional<int64_t> default_timestamp;  // microseconds since the epoch
  std::optional<std::string_view> keyspace;  // v5: run in this keyspace, not the connection's
  std::optional<int32_t> now_in_seconds;     // v5: the query's "now" (for TTL liveness)

  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  static Result<QueryParameters> Decode(ByteReader& r, int version = kProtocolV4);
};

struct QueryMessage {  // QUERY
  std::string_view query;
  QueryParameters params;
  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  static Result<QueryMessage> Decode(ByteReader& r, int version = kProtocolV4);
};

struct PrepareMessage {  // PREPARE
  std::string_view query;
  std::optional<std::string_view> keyspace;  // v5 ([int] flags 0x01)
  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  static Result<PrepareMessage> Decode(ByteReader& r, int version = kProtocolV4);
};

struct ExecuteMessage {  // EXECUTE
  std::string_view id;   // [short bytes]
  std::string_view result_metadata_id;  // v5 [short bytes]: the id the client's metadata has
  QueryParameters params;
  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  static Result<ExecuteMessage> Decode(ByteReader& r, int version = kProtocolV4);
};

enum class BatchType : uint8_t { kLogged = 0, kUnlogged = 1, kCounter = 2 };

struct BatchStatement {
  bool is_prepared = false;  // kind 1: id; kind 0: query string
  std::string_view query_or_id;
  std::vector<RawValue> values;
};

struct BatchMessage {  // BATCH
  BatchType type = BatchType::kLogged;
  std::vector<BatchStatement> statements;
  Consistency consistency = Consistency::kOne;
  std::optional<Consistency> serial_consistency;
  std::optional<int64_t> default_timestamp;
  std::optional<std::string_view> keyspace;  // v5
  std::optional<int32_t> now_in_seconds;     // v5
  // Flag 0x40 (named values) is rejected on decode, as Cassandra does: it cannot work for batches.
  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  static Result<BatchMessage> Decode(ByteReader& r, int version = kProtocolV4);
};

struct RegisterMessage {  // REGISTER: "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"
  std::vector<std::string_view> event_types;
  void Encode(ByteWriter& w) const;
  static Result<RegisterMessage> Decode(ByteReader& r);
};

// ---- responses --------------------------------------------------------------------------

// ERROR with every code's extra fields (section 9).
struct ErrorMessage {
  ErrorCode code = ErrorCode::kServerError;
  std::string message;
  // Unavailable, WriteTimeout, ReadTimeout, ReadFailure, WriteFailure, CasWriteUnknown:
  Consistency consistency = Consistency::kOne;
  int32_t required = 0;           // Unavailable: required; timeouts/failures: blockfor
  int32_t alive_or_received = 0;  // Unavailable: alive; timeouts/failures: received
  int32_t num_failures = 0;       // Read/WriteFailure (v5: the size of reason_map)
  // Read/WriteFailure in v5: each failed replica's address (4 or 16 bytes) and failure code.
  std::vector<std::pair<std::string, uint16_t>> reason_map;
  std::string write_type;         // WriteTimeout, WriteFailure: "SIMPLE", "BATCH", "CAS", ...
  bool data_present = false;      // ReadTimeout, ReadFailure
  // FunctionFailure:
  std::string function_keyspace, function_name;
  std::vector<std::string> arg_types;
  // AlreadyExists: keyspace, and table ("" for a keyspace).
  std::string keyspace, table;
  // Unprepared: the unknown id.
  std::string unprepared_id;

  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  static Result<ErrorMessage> Decode(ByteReader& r, int version = kProtocolV4);
};

struct ReadyMessage {
  void Encode(ByteWriter&) const {}
  static Result<ReadyMessage> Decode(ByteReader& r);
};

struct AuthenticateMessage {  // the server's authenticator class
  std::string authenticator;
  void Encode(ByteWriter& w) const;
  static Result<AuthenticateMessage> Decode(ByteReader& r);
};

struct SupportedMessage {
  std::map<std::string, std::vector<std::string>> options;
  void Encode(ByteWriter& w) const;
  static Result<SupportedMessage> Decode(ByteReader& r);
};

struct AuthChallengeMessage {
  std::optional<std::string> token;
  void Encode(ByteWriter& w) const;
  static Result<AuthChallengeMessage> Decode(ByteReader& r);
};

struct AuthSuccessMessage {
  std::optional<std::string> token;
  void Encode(ByteWriter& w) const;
  static Result<AuthSuccessMessage> Decode(ByteReader& r);
};

// ---- RESULT -----------------------------------------------------------------------------

enum class ResultKind : int32_t {
  kVoid = 0x0001,
  kRows = 0x0002,
  kSetKeyspace = 0x0003,
  kPrepared = 0x0004,
  kSchemaChange = 0x0005,
};

namespace rows_flags {
inline constexpr int32_t kGlobalTablesSpec = 0x0001;
inline constexpr int32_t kHasMorePages = 0x0002;
inline constexpr int32_t kNoMetadata = 0x0004;
inline constexpr int32_t kMetadataChanged = 0x0008;  // v5
}  // namespace rows_flags

struct ColumnSpec {
  std::string keyspace;
  std::string table;
  std::string name;
  DataType type;
  bool operator==(const ColumnSpec&) const = default;
};

// <metadata> of Rows results and of Prepared result metadata. On encode, the global table spec
// flag is set when every column shares one keyspace and table (as Cassandra does).
struct RowsMetadata {
  int32_t column_count = 0;  // set even when no_metadata (columns then empty)
  bool no_metadata = false;
  std::optional<std::string> paging_state;  // has_more_pages when set
  // v5 Rows only: the statement's metadata changed since the id the EXECUTE carried; set means
  // the Metadata_changed flag, this new id, and full column specs.
  std::optional<std::string> new_metadata_id;
  std::vector<ColumnSpec> columns;

  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  static Result<RowsMetadata> Decode(ByteReader& r);
};

// Rows: metadata, then rows_count rows of column_count [bytes] cells. Cells are kept as
// RawValue views into the body (no copy, no per-cell allocation); DeserializeValue gives Values.
struct RowsResult {
  RowsMetadata metadata;
  int32_t row_count = 0;
  // Row-major, row_count * column_count. Inline up to 8 cells: a single-row result (the common
  // point read) decodes without allocating.
  boost::container::small_vector<RawValue, 8> cells;
  RawValue cell(int32_t row, int32_t column) const {
    return cells[static_cast<size_t>(row) * metadata.column_count + column];
  }
};

// Encodes a Rows result straight from serialized cells (the node's path).
void EncodeRowsResult(const RowsMetadata& metadata, int32_t row_count,
                      std::span<const RawValue> cells, ByteWriter& w, int version = kProtocolV4);

struct PreparedResult {
  std::string id;
  std::string result_metadata_id;  // v5: identifies result_metadata (ResultMetadataId)
  // <metadata> of the bind markers: flags, columns_count, pk_count + pk_index list, specs.
  std::vector<uint16_t> pk_indexes;
  std::vector<ColumnSpec> bind_columns;
  RowsMetadata result_metadata;
};

enum class SchemaChangeType { kCreated, kUpdated, kDropped };
enum class SchemaChangeTarget { kKeyspace, kTable, kType, kFunction, kAggregate };

struct SchemaChange {  // shared by RESULT Schema_change and EVENT SCHEMA_CHANGE
  SchemaChangeType change = SchemaChangeType::kCreated;
  SchemaChangeTarget target = SchemaChangeTarget::kKeyspace;
  std::string keyspace;
  std::string name;                    // table/type/function name ("" for a keyspace)
  std::vector<std::string> arg_types;  // functions and aggregates
  void Encode(ByteWriter& w) const;
  static Result<SchemaChange> Decode(ByteReader& r);
};

struct ResultMessage {
  ResultKind kind = ResultKind::kVoid;
  RowsResult rows;             // kRows
  std::string keyspace;        // kSetKeyspace
  PreparedResult prepared;     // kPrepared
  SchemaChange schema_change;  // kSchemaChange

  void Encode(ByteWriter& w, int version = kProtocolV4) const;
  // Rows with the no_metadata flag (the request asked to skip metadata) decode with empty
  // metadata.columns unless `known` (the prepared statement's result metadata) is given: then
  // they are copied from it, and a column count that differs is kMalformed.
  static Result<ResultMessage> Decode(ByteReader& r, const RowsMetadata* known = nullptr,
                                      int version = kProtocolV4);
  // The same into `*m`, a default-constructed message (or a decoded one whose rows' cells are
  // reused: their storage is kept, their count reset). On failure `*m` is unspecified.
  static Status DecodeInto(ByteReader& r, const RowsMetadata* known, int version, ResultMessage* m);
};

// ---- EVENT ------------------------------------------------------------------------------

struct EventMessage {
  enum class Type { kTopologyChange, kStatusChange, kSchemaChange };
  Type type = Type::kSchemaChange;
  std::string change;   // TOPOLOGY: NEW_NODE/REMOVED_NODE; STATUS: UP/DOWN
  std::string address;  // 4 or 16 address bytes, with port
  int32_t port = 0;
  SchemaChange schema_change;
  void Encode(ByteWriter& w) const;
  static Result<EventMessage> Decode(ByteReader& r);
};

// A REGISTER event type, in any case as Cassandra reads it (CBUtil.readEnumValue upper-cases the
// name); nullopt for any other name.
std::optional<EventMessage::Type> ParseEventType(std::string_view name);

}  // namespace postfork::cql
