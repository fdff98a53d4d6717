// Prints response frames we encode, one "name hex" line each, for check_responses.py to decode
// with python3-cassandra's own decoder.
#include <cstdio>
#include <string>

#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/value.h"

namespace postfork::cql {
namespace {

template <class M>
void Print(const char* name, Opcode op, const M& m, int16_t stream = 1,
           int version = kProtocolV4) {
  std::string out;
  FrameHeader h;
  h.version = static_cast<uint8_t>(version);
  h.is_response = true;
  h.opcode = op;
  h.stream = stream;
  size_t at = BeginFrame(&out, h);
  ByteWriter w(&out);
  if constexpr (requires { m.Encode(w, version); }) {
    m.Encode(w, version);
  } else {
    m.Encode(w);
  }
  FinishFrame(&out, at);
  std::printf("%s ", name);
  for (unsigned char c : out) std::printf("%02x", c);
  std::printf("\n");
}

ErrorMessage Error(ErrorCode code) {
  ErrorMessage e;
  e.code = code;
  e.message = "boom";
  e.consistency = Consistency::kLocalQuorum;
  e.required = 3;
  e.alive_or_received = 1;
  e.num_failures = 2;
  e.write_type = "BATCH";
  e.data_present = true;
  e.function_keyspace = "ks";
  e.function_name = "f";
  e.arg_types = {"int", "text"};
  e.keyspace = "ks";
  e.table = "t";
  e.unprepared_id = "\x01\x02\x03";
  return e;
}

int Run() {
  Print("ready", Opcode::kReady, ReadyMessage{});
  AuthenticateMessage auth;
  auth.authenticator = "org.apache.cassandra.auth.PasswordAuthenticator";
  Print("authenticate", Opcode::kAuthenticate, auth);
  SupportedMessage sup;
  sup.options = {{"CQL_VERSION", {"3.4.5"}}, {"COMPRESSION", {"lz4", "snappy"}}};
  Print("supported", Opcode::kSupported, sup);
  AuthChallengeMessage challenge;
  challenge.token = "chal";
  Print("auth_challenge", Opcode::kAuthChallenge, challenge);
  AuthSuccessMessage success;
  success.token = "done";
  Print("auth_success", Opcode::kAuthSuccess, success);

  Print("error_server", Opcode::kError, Error(ErrorCode::kServerError));
  Print("error_syntax", Opcode::kError, Error(ErrorCode::kSyntaxError));
  Print("error_invalid", Opcode::kError, Error(ErrorCode::kInvalid));
  Print("error_unavailable", Opcode::kError, Error(ErrorCode::kUnavailable));
  Print("error_write_timeout", Opcode::kError, Error(ErrorCode::kWriteTimeout));
  Print("error_read_timeout", Opcode::kError, Error(ErrorCode::kReadTimeout));
  Print("error_read_failure", Opcode::kError, Error(ErrorCode::kReadFailure));
  Print("error_write_failure", Opcode::kError, Error(ErrorCode::kWriteFailure));
  Print("error_function_failure", Opcode::kError, Error(ErrorCode::kFunctionFailure));
  Print("error_already_exists", Opcode::kError, Error(ErrorCode::kAlreadyExists));
  Print("error_unprepared", Opcode::kError, Error(ErrorCode::kUnprepared));

  ResultMessage v;
  Print("result_void", Opcode::kResult, v);
  ResultMessage ks;
  ks.kind = ResultKind::kSetKeyspace;
  ks.keyspace = "my_ks";
  Print("result_set_keyspace", Opcode::kResult, ks);
  ResultMessage sc;
  sc.kind = ResultKind::kSchemaChange;
  sc.schema_change.change = SchemaChangeType::kCreated;
  sc.schema_change.target = SchemaChangeTarget::kTable;
  sc.schema_change.keyspace = "ks";
  sc.schema_change.name = "t";
  Print("result_schema_change", Opcode::kResult, sc);

  // Rows with a column of every type: row 0 has values, row 1 nulls.
  auto udt = DataType::Udt("ks", "address", {"street", "zip"},
                           {DataType(TypeKind::kText), DataType(TypeKind::kInt)}, true);
  std::vector<std::pair<std::string, std::pair<DataType, Value>>> cols = {
      {"c_int", {DataType(TypeKind::kInt), int32_t{-7}}},
      {"c_bigint", {DataType(TypeKind::kBigint), int64_t{INT64_MIN}}},
      {"c_smallint", {DataType(TypeKind::kSmallint), int16_t{-300}}},
      {"c_tinyint", {DataType(TypeKind::kTinyint), int8_t{-128}}},
      {"c_boolean", {DataType(TypeKind::kBoolean), true}},
      {"c_float", {DataType(TypeKind::kFloat), 1.5f}},
      {"c_double", {DataType(TypeKind::kDouble), -2.25}},
      {"c_text", {DataType(TypeKind::kText), Value("h\xC3\xA9llo")}},
      {"c_ascii", {DataType(TypeKind::kAscii), Value("plain")}},
      {"c_blob", {DataType(TypeKind::kBlob), Blob{std::string("\x00\xFF", 2)}}},
      {"c_uuid", {DataType(TypeKind::kUuid), *Uuid::Parse("550e8400-e29b-41d4-a716-446655440000")}},
      {"c_timeuuid",
       {DataType(TypeKind::kTimeuuid), *Uuid::Parse("e7bd1a10-8d1e-11ee-b9d1-0242ac120002")}},
      {"c_inet", {DataType(TypeKind::kInet), *Inet::Parse("2001:db8::1")}},
      {"c_varint",
       {DataType(TypeKind::kVarint), *Varint::Parse("-123456789012345678901234567890")}},
      {"c_decimal", {DataType(TypeKind::kDecimal), *Decimal::Parse("-12.345")}},
      {"c_date", {DataType(TypeKind::kDate), *Date::Parse("2024-02-29")}},
      {"c_time", {DataType(TypeKind::kTime), *Time::Parse("13:30:54.234")}},
      {"c_timestamp",
       {DataType(TypeKind::kTimestamp), *Timestamp::Parse("2024-02-29 13:30:54.234Z")}},
      {"c_duration", {DataType(TypeKind::kDuration), Duration{14, 3, 3661000000001}}},
      {"c_list", {DataType::List(DataType(TypeKind::kInt)), ValueList{int32_t{1}, int32_t{2}}}},
      {"c_set", {DataType::Set(DataType(TypeKind::kText)), ValueList{Value("a"), Value("b")}}},
      {"c_map",
       {DataType::Map(DataType(TypeKind::kText), DataType::List(DataType(TypeKind::kInt))),
        ValueMap{{Value("x"), Value(ValueList{int32_t{3}})}}}},
      {"c_tuple",
       {DataType::Tuple({DataType(TypeKind::kInt), DataType(TypeKind::kText)}),
        ValueList{int32_t{7}, Value()}}},
      {"c_udt", {udt, ValueList{Value("Main St"), Value(int32_t{12345})}}},
  };
  ResultMessage rows;
  rows.kind = ResultKind::kRows;
  std::vector<std::string> bodies;
  bodies.reserve(cols.size());
  for (const auto& [name, tv] : cols) {
    rows.rows.metadata.columns.push_back({"ks", "t", name, tv.first});
    std::string body;
    if (!SerializeValue(tv.second, tv.first, &body).ok()) return 1;
    bodies.push_back(std::move(body));
  }
  rows.rows.metadata.column_count = static_cast<int32_t>(cols.size());
  rows.rows.metadata.paging_state = "page2";
  rows.rows.row_count = 2;
  for (const auto& b : bodies) rows.rows.cells.push_back(RawValue::Of(b));
  for (size_t i = 0; i < cols.size(); ++i) rows.rows.cells.push_back(RawValue::Null());
  Print("result_rows", Opcode::kResult, rows);

  ResultMessage prepared;
  prepared.kind = ResultKind::kPrepared;
  prepared.prepared.id = "\xAA\xBB\xCC";
  prepared.prepared.pk_indexes = {0};
  prepared.prepared.bind_columns = {{"ks", "t", "k", DataType(TypeKind::kInt)},
                                    {"ks", "t", "v", DataType(TypeKind::kText)}};
  prepared.prepared.result_metadata.columns = {{"ks", "t", "v", DataType(TypeKind::kText)}};
  prepared.prepared.result_metadata.column_count = 1;
  Print("result_prepared", Opcode::kResult, prepared);
  // v5: the Prepared result carries the result metadata id; Rows may say Metadata_changed.
  prepared.prepared.result_metadata_id = "\x11\x22";
  Print("v5_result_prepared", Opcode::kResult, prepared, 1, kProtocolV5);
  ResultMessage changed;
  changed.kind = ResultKind::kRows;
  changed.rows.metadata.columns = {{"ks", "t", "v", DataType(TypeKind::kText)}};
  changed.rows.metadata.column_count = 1;
  changed.rows.metadata.no_metadata = true;  // the request skipped metadata; it changed anyway
  changed.rows.metadata.new_metadata_id = "\x33\x44";
  changed.rows.row_count = 1;
  changed.rows.cells.push_back(RawValue::Of("x"));
  Print("v5_result_rows_changed", Opcode::kResult, changed, 1, kProtocolV5);
  ErrorMessage rf = Error(ErrorCode::kReadFailure);
  rf.reason_map = {{std::string("\x7F\x00\x00\x01", 4), 0x0001}};
  Print("v5_error_read_failure", Opcode::kError, rf, 1, kProtocolV5);

  EventMessage topo;
  topo.type = EventMessage::Type::kTopologyChange;
  topo.change = "NEW_NODE";
  topo.address = std::string("\x7F\x00\x00\x01", 4);
  topo.port = 9042;
  Print("event_topology", Opcode::kEvent, topo, -1);
  EventMessage status;
  status.type = EventMessage::Type::kStatusChange;
  status.change = "DOWN";
  status.address = std::string("\x0A\x00\x00\x02", 4);
  status.port = 9043;
  Print("event_status", Opcode::kEvent, status, -1);
  EventMessage schema;
  schema.type = EventMessage::Type::kSchemaChange;
  schema.schema_change.change = SchemaChangeType::kUpdated;
  schema.schema_change.target = SchemaChangeTarget::kFunction;
  schema.schema_change.keyspace = "ks";
  schema.schema_change.name = "f";
  schema.schema_change.arg_types = {"int", "text"};
  Print("event_schema", Opcode::kEvent, schema, -1);
  return 0;
}

}  // namespace
}  // namespace postfork::cql

int main() { return postfork::cql::Run(); }
