#include "postfork/cql/messages.h"

#include <gtest/gtest.h>

namespace postfork::cql {
namespace {

using namespace std::string_view_literals;

template <class M>
M RoundTrip(const M& m, std::string* buf) {
  buf->clear();
  ByteWriter w(buf);
  m.Encode(w);
  ByteReader r(*buf);
  auto back = M::Decode(r);
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  if (!back.ok()) return M{};
  // Re-encoding the decoded message gives the same bytes.
  std::string again;
  ByteWriter w2(&again);
  back->Encode(w2);
  EXPECT_EQ(again, *buf);
  return *back;
}

// Every strict prefix of a valid body must fail to decode (and never crash).
template <class M>
void ExpectPrefixesFail(const std::string& body) {
  for (size_t n = 0; n < body.size(); ++n) {
    ByteReader r(std::string_view(body).substr(0, n));
    EXPECT_FALSE(M::Decode(r).ok()) << "prefix " << n << " of " << body.size();
  }
}

TEST(Messages, StartupAuthOptionsRegister) {
  std::string buf;
  StartupMessage s;
  s.options = {{"CQL_VERSION", "3.0.0"}, {"COMPRESSION", "lz4"}};
  EXPECT_EQ(RoundTrip(s, &buf).options, s.options);
  ExpectPrefixesFail<StartupMessage>(buf);

  AuthResponseMessage a;
  a.token = std::string_view("\0user\0pass", 10);
  EXPECT_EQ(RoundTrip(a, &buf).token, a.token);
  a.token.reset();
  EXPECT_FALSE(RoundTrip(a, &buf).token.has_value());

  buf.clear();
  ByteReader empty(buf);
  EXPECT_TRUE(OptionsMessage::Decode(empty).ok());
  // Requests ignore bytes after their body, as Cassandra's decoders do.
  ByteReader extra("x");
  EXPECT_TRUE(OptionsMessage::Decode(extra).ok());

  RegisterMessage reg;
  reg.event_types = {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"};
  EXPECT_EQ(RoundTrip(reg, &buf).event_types, reg.event_types);
  RegisterMessage bad;
  bad.event_types = {"NOPE"};
  std::string bad_buf;
  ByteWriter w(&bad_buf);
  bad.Encode(w);
  ByteReader r(bad_buf);
  EXPECT_FALSE(RegisterMessage::Decode(r).ok());
}

TEST(Messages, QueryWithEveryParameter) {
  std::string buf;
  QueryMessage q;
  q.query = "SELECT * FROM ks.t WHERE k = ?";
  q.params.consistency = Consistency::kLocalQuorum;
  q.params.values = {RawValue::Of(std::string_view("\0\0\0\1", 4)), RawValue::Null(),
                     RawValue::Unset(), RawValue::Of("")};
  q.params.skip_metadata = true;
  q.params.page_size = 5000;
  q.params.paging_state = "state";
  q.params.serial_consistency = Consistency::kLocalSerial;
  q.params.default_timestamp = 1700000000000000;
  auto back = RoundTrip(q, &buf);
  EXPECT_EQ(back.query, q.query);
  EXPECT_EQ(back.params.consistency, Consistency::kLocalQuorum);
  EXPECT_EQ(back.params.values, q.params.values);
  EXPECT_TRUE(back.params.skip_metadata);
  EXPECT_EQ(back.params.page_size, 5000);
  EXPECT_EQ(back.params.paging_state, "state");
  EXPECT_EQ(back.params.serial_consistency, Consistency::kLocalSerial);
  EXPECT_EQ(back.params.default_timestamp, 1700000000000000);
  ExpectPrefixesFail<QueryMessage>(buf);

  QueryMessage named;
  named.query = "INSERT INTO t (a, b) VALUES (:a, :b)";
  named.params.values = {RawValue::Of("x"), RawValue::Null()};
  named.params.value_names = {"a", "b"};
  auto nb = RoundTrip(named, &buf);
  ASSERT_EQ(nb.params.value_names.size(), 2u);
  EXPECT_EQ(nb.params.value_names[1], "b");

  QueryMessage plain;
  plain.query = "";
  auto pb = RoundTrip(plain, &buf);
  EXPECT_TRUE(pb.params.values.empty());
  EXPECT_FALSE(pb.params.page_size.has_value());
}

TEST(Messages, QueryParametersRejectBadConsistencyAndHostileCounts) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteLongString("q");
  w.WriteShort(0x0B);  // not a consistency
  w.WriteByte(0);
  ByteReader r(buf);
  EXPECT_FALSE(QueryMessage::Decode(r).ok());

  buf.clear();
  w.WriteLongString("q");
  w.WriteShort(1);
  w.WriteByte(query_flags::kValues);
  w.WriteShort(0xFFFF);  // 65535 values, nothing follows
  ByteReader r2(buf);
  auto res = QueryMessage::Decode(r2);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code(), StatusCode::kMalformed);

  // Any known level decodes as the serial one (Cassandra checks it only for a conditional
  // statement); an unknown code does not.
  buf.clear();
  w.WriteLongString("q");
  w.WriteShort(1);
  w.WriteByte(query_flags::kSerialConsistency);
  w.WriteShort(static_cast<uint16_t>(Consistency::kQuorum));
  ByteReader r3(buf);
  EXPECT_TRUE(QueryMessage::Decode(r3).ok());
  buf.clear();
  w.WriteLongString("q");
  w.WriteShort(1);
  w.WriteByte(query_flags::kSerialConsistency);
  w.WriteShort(0x42);
  ByteReader r4(buf);
  EXPECT_FALSE(QueryMessage::Decode(r4).ok());
}

TEST(Messages, PrepareExecuteBatch) {
  std::string buf;
  PrepareMessage p;
  p.query = "SELECT 1";
  EXPECT_EQ(RoundTrip(p, &buf).query, "SELECT 1");

  ExecuteMessage e;
  e.id = std::string_view("\x01\x02\x03\x04", 4);
  e.params.values = {RawValue::Of("a"), RawValue::Of("bb")};
  e.params.page_size = 100;
  auto eb = RoundTrip(e, &buf);
  EXPECT_EQ(eb.id, e.id);
  EXPECT_EQ(eb.params.values, e.params.values);
  ExpectPrefixesFail<ExecuteMessage>(buf);

  BatchMessage b;
  b.type = BatchType::kUnlogged;
  b.statements.push_back({false, "INSERT INTO t (k) VALUES (?)", {RawValue::Of("k")}});
  b.statements.push_back({true, "\xAA\xBB", {RawValue::Null(), RawValue::Unset()}});
  b.consistency = Consistency::kQuorum;
  b.serial_consistency = Consistency::kSerial;
  b.default_timestamp = 42;
  auto bb = RoundTrip(b, &buf);
  ASSERT_EQ(bb.statements.size(), 2u);
  EXPECT_TRUE(bb.statements[1].is_prepared);
  EXPECT_EQ(bb.statements[1].values, b.statements[1].values);
  EXPECT_EQ(bb.type, BatchType::kUnlogged);
  EXPECT_EQ(bb.default_timestamp, 42);
  ExpectPrefixesFail<BatchMessage>(buf);

  std::string named = buf;
  // Flags byte sits after the consistency; find it from the end: [flags][short sc][long ts].
  named[named.size() - 11] |= query_flags::kNamesForValues;
  ByteReader r(named);
  EXPECT_FALSE(BatchMessage::Decode(r).ok());
}

TEST(Messages, ErrorWithEveryCodesExtraFields) {
  std::string buf;
  for (ErrorCode code :
       {ErrorCode::kServerError,     ErrorCode::kProtocolError,   ErrorCode::kBadCredentials,
        ErrorCode::kUnavailable,     ErrorCode::kOverloaded,      ErrorCode::kIsBootstrapping,
        ErrorCode::kTruncateError,   ErrorCode::kWriteTimeout,    ErrorCode::kReadTimeout,
        ErrorCode::kReadFailure,     ErrorCode::kFunctionFailure, ErrorCode::kWriteFailure,
        ErrorCode::kCdcWriteFailure, ErrorCode::kCasWriteUnknown, ErrorCode::kSyntaxError,
        ErrorCode::kUnauthorized,    ErrorCode::kInvalid,         ErrorCode::kConfigError,
        ErrorCode::kAlreadyExists,   ErrorCode::kUnprepared}) {
    EXPECT_TRUE(IsKnownErrorCode(static_cast<int32_t>(code)));
    EXPECT_NE(ErrorCodeName(code), "Unknown");
    ErrorMessage m;
    m.code = code;
    m.message = "boom";
    m.consistency = Consistency::kQuorum;
    m.required = 3;
    m.alive_or_received = 1;
    m.num_failures = 2;
    m.write_type = "BATCH";
    m.data_present = true;
    m.function_keyspace = "ks";
    m.function_name = "f";
    m.arg_types = {"int", "text"};
    m.keyspace = "ks";
    m.table = "t";
    m.unprepared_id = "\x01\x02";
    auto back = RoundTrip(m, &buf);
    EXPECT_EQ(back.code, code);
    EXPECT_EQ(back.message, "boom");
    ExpectPrefixesFail<ErrorMessage>(buf);
  }
  ErrorMessage u;
  u.code = ErrorCode::kUnavailable;
  u.required = 3;
  u.alive_or_received = 1;
  auto ub = RoundTrip(u, &buf);
  EXPECT_EQ(ub.required, 3);
  EXPECT_EQ(ub.alive_or_received, 1);
  ErrorMessage wt;
  wt.code = ErrorCode::kWriteFailure;
  wt.num_failures = 4;
  wt.write_type = "CAS";
  auto wb = RoundTrip(wt, &buf);
  EXPECT_EQ(wb.num_failures, 4);
  EXPECT_EQ(wb.write_type, "CAS");
  EXPECT_FALSE(IsKnownErrorCode(0x7777));
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(0x7777)), "Unknown");
}

TEST(Messages, ServerHandshakeMessages) {
  std::string buf;
  buf.clear();
  ByteReader r(buf);
  EXPECT_TRUE(ReadyMessage::Decode(r).ok());
  AuthenticateMessage a;
  a.authenticator = "org.apache.cassandra.auth.PasswordAuthenticator";
  EXPECT_EQ(RoundTrip(a, &buf).authenticator, a.authenticator);
  SupportedMessage s;
  s.options = {{"CQL_VERSION", {"3.4.5"}}, {"COMPRESSION", {"lz4", "snappy"}}};
  EXPECT_EQ(RoundTrip(s, &buf).options, s.options);
  AuthChallengeMessage c;
  c.token = "challenge";
  EXPECT_EQ(RoundTrip(c, &buf).token, c.token);
  AuthSuccessMessage ok;
  EXPECT_FALSE(RoundTrip(ok, &buf).token.has_value());
}

RowsMetadata SampleMetadata() {
  RowsMetadata m;
  m.columns = {{"ks", "t", "k", DataType(TypeKind::kInt)},
               {"ks", "t", "v", DataType::Map(DataType(), DataType(TypeKind::kBigint))}};
  m.column_count = 2;
  return m;
}

TEST(Messages, RowsResultRoundTripsWithAllMetadataFlags) {
  std::string buf;
  ResultMessage m;
  m.kind = ResultKind::kRows;
  m.rows.metadata = SampleMetadata();
  m.rows.metadata.paging_state = "more";
  m.rows.row_count = 3;
  m.rows.cells = {RawValue::Of("\0\0\0\1"sv), RawValue::Null(),
                  RawValue::Of("\0\0\0\2"sv), RawValue::Of(""),
                  RawValue::Of("\0\0\0\3"sv), RawValue::Null()};
  auto back = RoundTrip(m, &buf);
  EXPECT_EQ(back.rows.row_count, 3);
  EXPECT_EQ(back.rows.metadata.columns, m.rows.metadata.columns);
  EXPECT_EQ(back.rows.metadata.paging_state, "more");
  EXPECT_EQ(back.rows.cell(2, 0), RawValue::Of("\0\0\0\3"sv));
  EXPECT_TRUE(back.rows.cell(0, 1).is_null());
  ExpectPrefixesFail<ResultMessage>(buf);

  // Columns from different tables: no global spec.
  m.rows.metadata.columns[1].table = "other";
  back = RoundTrip(m, &buf);
  EXPECT_EQ(back.rows.metadata.columns[1].table, "other");

  // no_metadata: the count comes from the body; columns from the caller when given.
  ResultMessage nm;
  nm.kind = ResultKind::kRows;
  nm.rows.metadata.no_metadata = true;
  nm.rows.metadata.column_count = 2;
  nm.rows.row_count = 1;
  nm.rows.cells = {RawValue::Of("a"), RawValue::Of("b")};
  back = RoundTrip(nm, &buf);
  EXPECT_TRUE(back.rows.metadata.no_metadata);
  EXPECT_EQ(back.rows.metadata.column_count, 2);
  EXPECT_TRUE(back.rows.metadata.columns.empty());
  RowsMetadata known = SampleMetadata();
  ByteReader r(buf);
  auto with_known = ResultMessage::Decode(r, &known);
  ASSERT_TRUE(with_known.ok());
  EXPECT_EQ(with_known->rows.metadata.columns, known.columns);
  known.columns.pop_back();
  ByteReader r2(buf);
  EXPECT_FALSE(ResultMessage::Decode(r2, &known).ok());
}

TEST(Messages, RowsDecodedIntoARecycledResultHoldExactlyTheirCells) {
  // One column, `cells` text cells of 6 bytes, each its index's digit, the last one null.
  auto rows_body = [](int cells) {
    ResultMessage m;
    m.kind = ResultKind::kRows;
    m.rows.metadata.no_metadata = true;
    m.rows.metadata.column_count = 1;
    m.rows.row_count = cells;
    static const std::string kDigits = [] {
      std::string s;
      for (char c = '0'; c <= '9'; ++c) s.append(6, c);
      return s;
    }();
    for (int i = 0; i < cells; ++i) {
      m.rows.cells.push_back(i + 1 == cells ? RawValue::Null()
                                            : RawValue::Of(std::string_view(kDigits).substr(6 * i, 6)));
    }
    std::string buf;
    ByteWriter w(&buf);
    m.Encode(w, kProtocolV5);
    return buf;
  };
  ResultMessage recycled;
  for (int cells : {9, 3, 10, 0, 4}) {  // fewer, more, none and again some cells than before
    std::string buf = rows_body(cells);
    ByteReader r(buf);
    ASSERT_TRUE(ResultMessage::DecodeInto(r, nullptr, kProtocolV5, &recycled).ok()) << cells;
    ASSERT_EQ(recycled.rows.cells.size(), static_cast<size_t>(cells));
    for (int i = 0; i + 1 < cells; ++i) {
      EXPECT_EQ(recycled.rows.cell(i, 0), RawValue::Of(std::string(6, static_cast<char>('0' + i))));
    }
    if (cells > 0) {
      EXPECT_TRUE(recycled.rows.cell(cells - 1, 0).is_null());
    }
  }
  // Bodies cut inside the third cell's bytes and inside its length (cells of 4 + 6 bytes, the
  // last one null: 4): the two cells before it remain, nothing stale after them.
  for (size_t cut : {17, 22}) {
    std::string buf = rows_body(5);
    buf.resize(buf.size() - cut);
    ByteReader r(buf);
    Status decoded = ResultMessage::DecodeInto(r, nullptr, kProtocolV5, &recycled);
    EXPECT_EQ(decoded.code(), StatusCode::kTruncated) << cut;
    EXPECT_EQ(recycled.rows.cells.size(), 2u) << cut;
  }
}

TEST(Messages, RowsDecoderRejectsHostileCounts) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteInt(static_cast<int32_t>(ResultKind::kRows));
  w.WriteInt(rows_flags::kNoMetadata);
  w.WriteInt(1000);        // columns
  w.WriteInt(0x7FFFFFFF);  // rows
  ByteReader r(buf);
  EXPECT_FALSE(ResultMessage::Decode(r).ok());

  buf.clear();
  w.WriteInt(static_cast<int32_t>(ResultKind::kRows));
  w.WriteInt(0);
  w.WriteInt(0x10000000);  // column specs that cannot be there
  ByteReader r2(buf);
  EXPECT_FALSE(ResultMessage::Decode(r2).ok());

  buf.clear();
  w.WriteInt(static_cast<int32_t>(ResultKind::kRows));
  w.WriteInt(rows_flags::kNoMetadata);
  w.WriteInt(1);
  w.WriteInt(1);
  w.WriteInt(-7);  // bad cell length
  ByteReader r3(buf);
  EXPECT_FALSE(ResultMessage::Decode(r3).ok());

  buf.clear();
  w.WriteInt(0x99);
  ByteReader r4(buf);
  EXPECT_FALSE(ResultMessage::Decode(r4).ok());
}

TEST(Messages, PreparedSetKeyspaceSchemaChangeVoid) {
  std::string buf;
  ResultMessage v;
  EXPECT_EQ(RoundTrip(v, &buf).kind, ResultKind::kVoid);

  ResultMessage ks;
  ks.kind = ResultKind::kSetKeyspace;
  ks.keyspace = "my_ks";
  EXPECT_EQ(RoundTrip(ks, &buf).keyspace, "my_ks");

  ResultMessage p;
  p.kind = ResultKind::kPrepared;
  p.prepared.id = std::string("\x12\x34\x56", 3);
  p.prepared.pk_indexes = {0};
  p.prepared.bind_columns = {{"ks", "t", "k", DataType(TypeKind::kInt)}};
  p.prepared.result_metadata = SampleMetadata();
  auto pb = RoundTrip(p, &buf);
  EXPECT_EQ(pb.prepared.id, p.prepared.id);
  EXPECT_EQ(pb.prepared.pk_indexes, p.prepared.pk_indexes);
  EXPECT_EQ(pb.prepared.bind_columns, p.prepared.bind_columns);
  EXPECT_EQ(pb.prepared.result_metadata.columns, p.prepared.result_metadata.columns);
  ExpectPrefixesFail<ResultMessage>(buf);

  for (auto target :
       {SchemaChangeTarget::kKeyspace, SchemaChangeTarget::kTable, SchemaChangeTarget::kType,
        SchemaChangeTarget::kFunction, SchemaChangeTarget::kAggregate}) {
    ResultMessage sc;
    sc.kind = ResultKind::kSchemaChange;
    sc.schema_change.change = SchemaChangeType::kDropped;
    sc.schema_change.target = target;
    sc.schema_change.keyspace = "ks";
    if (target != SchemaChangeTarget::kKeyspace) sc.schema_change.name = "n";
    if (target == SchemaChangeTarget::kFunction || target == SchemaChangeTarget::kAggregate)
      sc.schema_change.arg_types = {"int"};
    auto back = RoundTrip(sc, &buf);
    EXPECT_EQ(back.schema_change.target, target);
    EXPECT_EQ(back.schema_change.name, sc.schema_change.name);
    EXPECT_EQ(back.schema_change.arg_types, sc.schema_change.arg_types);
  }
}

TEST(Messages, Events) {
  std::string buf;
  EventMessage t;
  t.type = EventMessage::Type::kTopologyChange;
  t.change = "NEW_NODE";
  t.address = std::string("\x7F\x00\x00\x01", 4);
  t.port = 9042;
  auto tb = RoundTrip(t, &buf);
  EXPECT_EQ(tb.address, t.address);
  EXPECT_EQ(tb.port, 9042);
  ExpectPrefixesFail<EventMessage>(buf);
  EventMessage s;
  s.type = EventMessage::Type::kSchemaChange;
  s.schema_change.target = SchemaChangeTarget::kTable;
  s.schema_change.keyspace = "ks";
  s.schema_change.name = "t";
  EXPECT_EQ(RoundTrip(s, &buf).schema_change.name, "t");
}

TEST(Consistency, NamesAndValidity) {
  EXPECT_EQ(ConsistencyName(Consistency::kLocalQuorum), "LOCAL_QUORUM");
  EXPECT_TRUE(IsValidConsistency(0x0A));
  EXPECT_FALSE(IsValidConsistency(0x0B));
}

}  // namespace
}  // namespace postfork::cql

namespace postfork::cql {
namespace {

TEST(MessagesV5, RowsMetadataChangedCarriesTheNewIdAndColumnsEvenWhenSkipped) {
  ResultMessage m;
  m.kind = ResultKind::kRows;
  m.rows.metadata.columns = {{"ks", "t", "v", DataType(TypeKind::kInt)}};
  m.rows.metadata.column_count = 1;
  m.rows.metadata.no_metadata = true;
  m.rows.metadata.new_metadata_id = "new-id";
  std::string v5, v4;
  ByteWriter w5(&v5), w4(&v4);
  m.Encode(w5, kProtocolV5);
  m.Encode(w4, kProtocolV4);
  ByteReader r5(v5);
  auto back = ResultMessage::Decode(r5, nullptr, kProtocolV5);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->rows.metadata.new_metadata_id, "new-id");
  EXPECT_FALSE(back->rows.metadata.no_metadata);
  EXPECT_EQ(back->rows.metadata.columns, m.rows.metadata.columns);
  // v4 has no such flag: the request's skip_metadata holds.
  ByteReader r4(v4);
  auto old = ResultMessage::Decode(r4);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->rows.metadata.no_metadata);
  EXPECT_FALSE(old->rows.metadata.new_metadata_id.has_value());
}

TEST(MessagesV5, FailureErrorsCarryAReasonMapInV5AndACountInV4) {
  ErrorMessage e;
  e.code = ErrorCode::kWriteFailure;
  e.message = "m";
  e.write_type = "SIMPLE";
  e.reason_map = {{std::string("\x0A\x00\x00\x01", 4), 1}, {std::string(16, '\x01'), 2}};
  e.num_failures = 2;
  std::string v5;
  ByteWriter w(&v5);
  e.Encode(w, kProtocolV5);
  ByteReader r(v5);
  auto back = ErrorMessage::Decode(r, kProtocolV5);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->reason_map, e.reason_map);
  EXPECT_EQ(back->num_failures, 2);
  EXPECT_EQ(back->write_type, "SIMPLE");
  // A reason map claiming more entries than bytes is refused before allocating.
  std::string lie;
  ByteWriter lw(&lie);
  lw.WriteInt(0x1500);
  lw.WriteString("m");
  lw.WriteShort(1);
  lw.WriteInt(0);
  lw.WriteInt(1);
  lw.WriteInt(0x7FFFFFFF);
  ByteReader lr(lie);
  EXPECT_FALSE(ErrorMessage::Decode(lr, kProtocolV5).ok());
}

TEST(MessagesV5, QueryFlagsAreAnIntAndKeyspaceAndNowFollowTheTimestamp) {
  QueryMessage q;
  q.query = "SELECT 1";
  q.params.keyspace = "ks";
  q.params.now_in_seconds = 1234;
  q.params.default_timestamp = 5;
  std::string v5;
  ByteWriter w(&v5);
  q.Encode(w, kProtocolV5);
  // [long string] query, [short] consistency, then the [int] flags 0x1A0.
  EXPECT_EQ(LoadBE32(v5.data() + 4 + 8 + 2), 0x20u | 0x80u | 0x100u);
  ByteReader r(v5);
  auto back = QueryMessage::Decode(r, kProtocolV5);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->params.keyspace, std::optional<std::string_view>("ks"));
  EXPECT_EQ(back->params.now_in_seconds, 1234);
  // Encoded as v4, the v5-only fields are left out.
  std::string v4;
  ByteWriter w4(&v4);
  q.Encode(w4, kProtocolV4);
  ByteReader r4(v4);
  auto old = QueryMessage::Decode(r4, kProtocolV4);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->params.keyspace.has_value());
}

}  // namespace
}  // namespace postfork::cql
