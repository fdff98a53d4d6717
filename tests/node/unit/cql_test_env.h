// An in-process CQL environment for statement tests: a Database in a temporary directory and a
// QueryProcessor, driven through the same QUERY/PREPARE/EXECUTE/BATCH entry points the transport
// uses, with no server and no sockets. Results come back decoded: rows as CQL literal text (as
// cqlsh prints them, "null" for a null cell) or an error code and message.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/cql3/query_processor.h"
#include "node/db/database.h"
#include "node/service/client_state.h"
#include "node/service/metrics.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/error_codes.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/value.h"
#include "storage_test_util.h"

namespace postfork::node::testing {

// One request's outcome. `ok` false: `code` and `message` hold the ERROR; otherwise `kind` says
// which RESULT it was and, for Rows, `columns` and `rows` hold it.
struct CqlResult {
  bool ok = false;
  cql::ErrorCode code = cql::ErrorCode::kServerError;
  std::string message;
  cql::ResultKind kind = cql::ResultKind::kVoid;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::string prepared_id;  // kPrepared
  std::vector<std::string> warnings;    // client warnings of the response
  std::optional<cql::Uuid> tracing_id;  // a traced request's session
};

inline std::ostream& operator<<(std::ostream& os, const CqlResult& r) {
  if (!r.ok) return os << "error " << static_cast<int>(r.code) << ": " << r.message;
  os << "rows";
  for (const auto& row : r.rows) {
    os << " (";
    for (size_t i = 0; i < row.size(); ++i) os << (i ? ", " : "") << row[i];
    os << ")";
  }
  return os;
}

using Rows = std::vector<std::vector<std::string>>;

class CqlTestEnv {
 public:
  CqlTestEnv() {
    DatabaseOptions options;
    options.storage.data_dir = dir_.path();
    auto db = Database::Open(std::move(options));
    if (!db.ok())
      ADD_FAILURE() << "Database::Open: " << db.status().message();
    else
      db_ = std::move(*db);
    processor_ = std::make_unique<cql3::QueryProcessor>(db_.get(), &metrics_);
  }

  // Runs `query` as a QUERY with `values` bound by position.
  CqlResult Execute(std::string_view query, std::vector<cql::RawValue> values = {}) {
    cql::QueryMessage msg;
    msg.query = query;
    msg.params.values = std::move(values);
    return Decode(processor_->Query(msg, client_));
  }

  // Runs `query` as a QUERY whose frame asked for tracing (as the transport runs it): under a
  // trace that is written to system_traces, the response carrying its session id.
  CqlResult ExecuteTraced(std::string_view query) {
    cql::QueryMessage msg;
    msg.query = query;
    msg.params.page_size = 100;
    tracing::TraceState trace("127.0.0.2");
    cql3::Response response;
    {
      tracing::TraceScope scope(&trace);
      response = processor_->Query(msg, client_);
    }
    processor_->FinishTrace(trace, &response);
    return Decode(response);
  }

  // PREPAREs `query` and EXECUTEs it with `values` (bodies as the protocol carries them).
  CqlResult ExecutePrepared(std::string_view query, std::vector<cql::RawValue> values = {},
                            cql::Consistency consistency = cql::Consistency::kOne) {
    CqlResult prepared = Prepare(query);
    if (!prepared.ok) return prepared;
    cql::ExecuteMessage msg;
    msg.id = prepared.prepared_id;
    msg.params.values = std::move(values);
    msg.params.consistency = consistency;
    return Decode(processor_->Execute(msg, client_));
  }

  CqlResult Prepare(std::string_view query) {
    cql::PrepareMessage msg;
    msg.query = query;
    return Decode(processor_->Prepare(msg, client_));
  }

  // A BATCH of unprepared statements.
  CqlResult Batch(const std::vector<std::string>& queries,
                  cql::BatchType type = cql::BatchType::kLogged) {
    cql::BatchMessage msg;
    msg.type = type;
    for (const auto& q : queries) {
      cql::BatchStatement s;
      s.query_or_id = q;
      msg.statements.push_back(std::move(s));
    }
    return Decode(processor_->Batch(msg, client_));
  }

  // Fails the test when `query` fails; returns its result otherwise.
  CqlResult Ok(std::string_view query) {
    CqlResult r = Execute(query);
    EXPECT_TRUE(r.ok) << query << " -> " << r;
    return r;
  }

  // A keyspace `ks` (SimpleStrategy, RF 1) made current by USE.
  void UseKeyspace(const std::string& ks = "ks") {
    Ok("CREATE KEYSPACE " + ks +
       " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    Ok("USE " + ks);
  }

  // `query` succeeds with these result columns and rows.
  void ExpectResult(std::string_view query, const std::vector<std::string>& columns,
                    const Rows& rows) {
    CqlResult r = Execute(query);
    ASSERT_TRUE(r.ok) << query << " -> " << r;
    EXPECT_EQ(r.columns, columns) << query;
    EXPECT_EQ(r.rows, rows) << query;
  }

  Database& db() { return *db_; }
  cql3::QueryProcessor& processor() { return *processor_; }

 private:
  CqlResult Decode(const cql3::Response& response) {
    CqlResult out;
    out.warnings = response.warnings;
    out.tracing_id = response.tracing_id;
    cql::ByteReader r(response.body);
    if (response.opcode == cql::Opcode::kError) {
      auto err = cql::ErrorMessage::Decode(r);
      if (!err.ok()) {
        ADD_FAILURE() << "undecodable ERROR: " << err.status().message();
        return out;
      }
      out.code = err->code;
      out.message = err->message;
      return out;
    }
    auto res = cql::ResultMessage::Decode(r);
    if (!res.ok()) {
      ADD_FAILURE() << "undecodable RESULT: " << res.status().message();
      return out;
    }
    if (response.set_keyspace) client_.keyspace = *response.set_keyspace;
    out.ok = true;
    out.kind = res->kind;
    if (res->kind == cql::ResultKind::kPrepared) out.prepared_id = res->prepared.id;
    if (res->kind != cql::ResultKind::kRows) return out;
    const auto& rows = res->rows;
    for (const auto& col : rows.metadata.columns) out.columns.push_back(col.name);
    for (int32_t i = 0; i < rows.row_count; ++i) {
      std::vector<std::string> row;
      for (int32_t c = 0; c < rows.metadata.column_count; ++c) {
        cql::RawValue cell = rows.cell(i, c);
        if (cell.is_null()) {
          row.push_back("null");
          continue;
        }
        const auto& type = rows.metadata.columns[static_cast<size_t>(c)].type;
        auto value = cql::DeserializeValue(cell.bytes, type);
        row.push_back(value.ok() ? value->ToCqlLiteral(type) : "<bad cell>");
      }
      out.rows.push_back(std::move(row));
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
  service::NodeMetrics metrics_;
  std::unique_ptr<cql3::QueryProcessor> processor_;
  service::ClientState client_;
};

}  // namespace postfork::node::testing
