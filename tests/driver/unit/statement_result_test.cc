// Binding values to prepared statements and reading typed values back from rows.
#include <gtest/gtest.h>

#include "driver/session/session_impl.h"
#include "postfork/driver/result.h"
#include "postfork/driver/statement.h"

namespace postfork::driver {
namespace {

using cql::DataType;
using cql::TypeKind;

std::shared_ptr<const PreparedData> MakePrepared() {
  auto p = std::make_shared<PreparedData>();
  p->query = "INSERT INTO ks.t (id, name, tags) VALUES (?, ?, ?)";
  p->id = "abc";
  p->bind_columns = {{"ks", "t", "id", DataType(TypeKind::kInt)},
                     {"ks", "t", "name", DataType(TypeKind::kText)},
                     {"ks", "t", "tags", DataType::Set(DataType(TypeKind::kText))}};
  p->pk_indexes = {0};
  return p;
}

TEST(BoundStatement, StartsUnsetAndBindsByIndexAndName) {
  PreparedStatement prepared(MakePrepared());
  BoundStatement b = prepared.Bind();
  ASSERT_EQ(b.values().size(), 3u);
  for (auto& v : b.values()) EXPECT_TRUE(v.is_unset());
  EXPECT_TRUE(b.Bind(0, int32_t{7}).ok());
  EXPECT_TRUE(b.Bind("name", "alice").ok());
  EXPECT_EQ(b.values()[1], cql::Value("alice"));
  EXPECT_TRUE(b.Bind(2, cql::Value()).ok()) << "null is always bindable";
}

TEST(BoundStatement, RejectsWrongTypesIndexesAndNames) {
  PreparedStatement prepared(MakePrepared());
  BoundStatement b = prepared.Bind();
  Status st = b.Bind(0, std::string("seven"));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("id"), std::string::npos) << st.message();
  EXPECT_EQ(b.Bind(3, int32_t{1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Bind("nope", int32_t{1}).code(), StatusCode::kNotFound);
  auto wrong_count = prepared.Bind({int32_t{1}});
  EXPECT_EQ(wrong_count.status().code(), StatusCode::kInvalidArgument);
  auto all = prepared.Bind({int32_t{1}, "bob", cql::ValueList{"a", "b"}});
  EXPECT_TRUE(all.ok()) << all.status().ToString();
}

QueryResult MakeRows() {
  cql::RowsMetadata md;
  md.column_count = 4;
  md.columns = {{"ks", "t", "id", DataType(TypeKind::kInt)},
                {"ks", "t", "name", DataType(TypeKind::kText)},
                {"ks", "t", "[applied]", DataType(TypeKind::kBoolean)},
                {"ks", "t", "score", DataType(TypeKind::kDouble)}};
  md.paging_state = std::string("\x01\x02next", 6);
  std::vector<std::string> storage;
  auto ser = [&](const cql::Value& v, const DataType& t) {
    std::string s;
    EXPECT_TRUE(cql::SerializeValue(v, t, &s).ok());
    storage.push_back(s);
  };
  storage.reserve(8);
  ser(int32_t{42}, md.columns[0].type);
  ser("alice", md.columns[1].type);
  ser(true, md.columns[2].type);
  std::vector<cql::RawValue> cells = {cql::RawValue::Of(storage[0]), cql::RawValue::Of(storage[1]),
                                      cql::RawValue::Of(storage[2]), cql::RawValue::Null()};
  std::string body;
  cql::ByteWriter w(&body);
  cql::EncodeRowsResult(md, 1, cells, w);
  cql::FrameHeader h;
  h.opcode = cql::Opcode::kResult;
  return DecodeResponse(h, body, nullptr, "127.0.0.1:9042");
}

// A one-column page of `rows` text cells "<tag> <i>", with a paging state.
QueryResult MakeTextPage(const std::string& tag, int rows) {
  cql::RowsMetadata md;
  md.column_count = 1;
  md.columns = {{"ks", "t", "col", DataType(TypeKind::kText)}};
  if (rows % 2 == 0) md.paging_state = tag;
  std::vector<std::string> storage;
  for (int i = 0; i < rows; ++i) storage.push_back(tag + " " + std::to_string(i));
  std::vector<cql::RawValue> cells(static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) cells[static_cast<size_t>(i)] = cql::RawValue::Of(storage[i]);
  std::string body;
  cql::ByteWriter w(&body);
  cql::EncodeRowsResult(md, rows, cells, w);
  cql::FrameHeader h;
  h.opcode = cql::Opcode::kResult;
  return DecodeResponse(h, body, nullptr, "127.0.0.1:9042");
}

void ExpectTextPage(const QueryResult& r, const std::string& tag, int rows) {
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.row_count(), rows) << tag;
  ASSERT_EQ(r.cells().size(), static_cast<size_t>(rows)) << tag;
  for (int i = 0; i < rows; ++i) {
    EXPECT_EQ(r.cell(i, 0).bytes, tag + " " + std::to_string(i));
    EXPECT_EQ(*r.row(i).Get<std::string>(0), tag + " " + std::to_string(i));
  }
  EXPECT_EQ(r.has_more_pages(), rows % 2 == 0) << tag;
  EXPECT_EQ(r.keyspace(), "");
  EXPECT_TRUE(r.warnings().empty());
}

TEST(QueryResult, RecycledResultsNeverShowAnotherResultsRows) {
  // Results are decoded into recycled storage once released (result_pool.h). Held results,
  // more than the pool keeps, stay intact while others are decoded, released and decoded again
  // with fewer and more rows, and after a result of another kind.
  std::vector<QueryResult> held;
  for (int i = 0; i < 12; ++i) held.push_back(MakeTextPage("held" + std::to_string(i), 50 + i));
  {
    cql::FrameHeader h;
    h.opcode = cql::Opcode::kResult;
    std::string body;
    cql::ByteWriter w(&body);
    w.WriteInt(static_cast<int32_t>(cql::ResultKind::kSetKeyspace));
    w.WriteString("other_ks");
    QueryResult use = DecodeResponse(h, body, nullptr, "127.0.0.1:9042");
    ASSERT_TRUE(use.ok()) << use.status().ToString();
    EXPECT_EQ(use.keyspace(), "other_ks");
  }
  for (int round = 0; round < 3; ++round) {
    for (int rows : {200, 3, 0, 101}) {
      std::string tag = "r" + std::to_string(round) + "-" + std::to_string(rows);
      QueryResult r = MakeTextPage(tag, rows);
      ExpectTextPage(r, tag, rows);
      Row kept = r.row(0);  // a Row holds its page like a QueryResult
      if (rows > 0) {
        QueryResult next = MakeTextPage(tag + "b", rows + 1);
        ExpectTextPage(next, tag + "b", rows + 1);
        EXPECT_EQ(*kept.Get<std::string>(0), tag + " 0");
      }
    }
  }
  for (int i = 0; i < 12; ++i) ExpectTextPage(held[i], "held" + std::to_string(i), 50 + i);
}

TEST(QueryResult, TypedAccessByIndexAndName) {
  QueryResult r = MakeRows();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.row_count(), 1);
  Row row = r.row(0);
  EXPECT_EQ(*row.Get<int32_t>(0), 42);
  EXPECT_EQ(*row.Get<int64_t>("id"), 42) << "int widens to int64";
  EXPECT_EQ(*row.Get<std::string>("name"), "alice");
  EXPECT_EQ(row.Get<int32_t>("name").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(row.Get<int32_t>("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(row.Get<double>("score").status().code(), StatusCode::kNotFound) << "null cell";
  EXPECT_TRUE(row.IsNull(3));
  EXPECT_EQ(row.Get<int32_t>(9).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.applied().value(), true);
  EXPECT_EQ(r.host(), "127.0.0.1:9042");
}

TEST(QueryResult, PagingStateIsExposedForManualPaging) {
  QueryResult r = MakeRows();
  ASSERT_TRUE(r.has_more_pages());
  EXPECT_EQ(*r.paging_state(), std::string_view("\x01\x02next", 6));
}

TEST(QueryResult, ServerErrorsCarryTheirCodeAndFields) {
  cql::ErrorMessage e;
  e.code = cql::ErrorCode::kUnavailable;
  e.message = "Cannot achieve consistency level QUORUM";
  e.consistency = cql::Consistency::kQuorum;
  e.required = 2;
  e.alive_or_received = 1;
  std::string body;
  cql::ByteWriter w(&body);
  e.Encode(w);
  cql::FrameHeader h;
  h.opcode = cql::Opcode::kError;
  QueryResult r = DecodeResponse(h, body, nullptr, "127.0.0.1:9042");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kServerError);
  EXPECT_EQ(r.status().cql_code(), static_cast<int>(cql::ErrorCode::kUnavailable));
  ASSERT_NE(r.server_error(), nullptr);
  EXPECT_EQ(r.server_error()->required, 2);
  EXPECT_EQ(r.server_error()->alive_or_received, 1);
  EXPECT_EQ(r.server_error()->consistency, cql::Consistency::kQuorum);
}

TEST(QueryResult, StatusSurvivesCopiesMovesAndTheEmptyResult) {
  QueryResult empty;
  EXPECT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInternal);
  EXPECT_EQ(empty.status().message(), "empty result");
  EXPECT_EQ(empty.server_error(), nullptr);
  EXPECT_EQ(empty.row_count(), 0);

  QueryResult failed(Status(StatusCode::kTimeout, "no answer in 12 ms"));
  QueryResult copy = failed;
  QueryResult moved = std::move(failed);
  for (const QueryResult* r : {&copy, &moved}) {
    EXPECT_FALSE(r->ok());
    EXPECT_EQ(r->status().code(), StatusCode::kTimeout);
    EXPECT_EQ(r->status().message(), "no answer in 12 ms");
    EXPECT_EQ(r->server_error(), nullptr);
    EXPECT_EQ(r->applied().status().code(), StatusCode::kTimeout);
  }

  QueryResult ok_without_rows{Status::Ok()};
  EXPECT_TRUE(ok_without_rows.ok());
  EXPECT_TRUE(ok_without_rows.status().ok());
  EXPECT_EQ(ok_without_rows.kind(), cql::ResultKind::kVoid);

  QueryResult rows = MakeRows();
  QueryResult assigned;
  assigned = rows;
  EXPECT_TRUE(assigned.ok());
  EXPECT_TRUE(assigned.status().ok());
  EXPECT_EQ(assigned.status().message(), "");
  EXPECT_EQ(assigned.row_count(), 1);
  assigned = QueryResult(Status(StatusCode::kClosed, "connection lost"));
  EXPECT_EQ(assigned.status().code(), StatusCode::kClosed);
  EXPECT_EQ(assigned.row_count(), 0);
  EXPECT_EQ(rows.row_count(), 1);
}

TEST(SessionOptions, ValidateNamesTheBadField) {
  SessionOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.contact_points = {"not-an-ip"};
  EXPECT_NE(o.Validate().message().find("contact_points"), std::string::npos);
  o = SessionOptions();
  o.connections_per_host = 0;
  EXPECT_NE(o.Validate().message().find("connections_per_host"), std::string::npos);
  o = SessionOptions();
  o.reconnection.max_delay = Millis(1);
  EXPECT_EQ(o.Validate().code(), StatusCode::kInvalidArgument);
}

TEST(InferType, MapsCxxTypesToCqlTypes) {
  EXPECT_EQ(InferType(int32_t{1}).kind(), TypeKind::kInt);
  EXPECT_EQ(InferType(int64_t{1}).kind(), TypeKind::kBigint);
  EXPECT_EQ(InferType("x").kind(), TypeKind::kText);
  EXPECT_EQ(InferType(cql::ValueList{int64_t{1}}).ToCql(), "list<bigint>");
}

}  // namespace
}  // namespace postfork::driver
