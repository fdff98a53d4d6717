// What a session executes: simple statements (CQL text with optional bound values), bound
// prepared statements and batches, each with per-statement options.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "postfork/base/status.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/value.h"

namespace postfork::driver {

// Per-statement knobs; unset fields take the session's defaults.
struct StatementOptions {
  std::optional<cql::Consistency> consistency;         // Default: SessionOptions::consistency
  std::optional<cql::Consistency> serial_consistency;  // Default: none (server uses SERIAL)
  std::optional<int32_t> page_size;                    // Default: SessionOptions::page_size
  std::optional<std::string> paging_state;  // Default: none (first page); from a previous result
  std::optional<int64_t> timestamp;         // Default: none (server time); microseconds
  bool idempotent = false;                  // Default: false (not retried after a send)
  std::optional<std::chrono::milliseconds> timeout;  // Default: SessionOptions::request_timeout
};

// CQL text with positional (`?`) or named values. Without type information the values are
// serialized by their C++ type (int32_t as int, int64_t as bigint, std::string as text, ...).
struct Statement {
  std::string query;
  std::vector<cql::Value> values;
  std::vector<std::string> value_names;  // empty, or one name per value
  StatementOptions options;

  Statement() = default;
  Statement(std::string q) : query(std::move(q)) {}
  Statement(const char* q) : query(q) {}
  Statement(std::string q, std::vector<cql::Value> v) : query(std::move(q)), values(std::move(v)) {}
};

// What the server told us about a prepared query. Shared, immutable.
struct PreparedData {
  std::string query;
  std::string keyspace;  // session keyspace at prepare time
  std::string id;
  std::vector<cql::ColumnSpec> bind_columns;
  std::vector<uint16_t> pk_indexes;
  cql::RowsMetadata result_metadata;
  std::string result_metadata_id;  // v5: sent with EXECUTE; "" on v4 connections
};

class BoundStatement;

// A handle to a prepared query (cheap to copy).
class PreparedStatement {
 public:
  PreparedStatement() = default;
  explicit PreparedStatement(std::shared_ptr<const PreparedData> data) : data_(std::move(data)) {}

  // A statement with every value unset.
  BoundStatement Bind() const;
  // A statement bound to `values` by position; kInvalidArgument on a wrong count or type.
  Result<BoundStatement> Bind(std::vector<cql::Value> values) const;

  const PreparedData& data() const { return *data_; }
  const std::shared_ptr<const PreparedData>& shared() const { return data_; }
  bool valid() const { return data_ != nullptr; }

 private:
  std::shared_ptr<const PreparedData> data_;
};

class BoundStatement {
 public:
  BoundStatement() = default;
  explicit BoundStatement(std::shared_ptr<const PreparedData> data);

  // kInvalidArgument when out of range or when the value does not fit the column's type.
  Status Bind(size_t index, cql::Value value);
  // kNotFound for an unknown name; binds every marker with that name.
  Status Bind(std::string_view name, cql::Value value);

  const PreparedData& prepared() const { return *data_; }
  const std::shared_ptr<const PreparedData>& shared() const { return data_; }
  std::span<const cql::Value> values() const { return {values_.data(), values_.size()}; }
  StatementOptions options;

 private:
  std::shared_ptr<const PreparedData> data_;
  // One per bind marker; Unset until bound. Inline up to 6 markers, so copying a bound
  // statement to execute it again costs no allocation in the common case.
  boost::container::small_vector<cql::Value, 6> values_;
};

struct BatchStatement {
  cql::BatchType type = cql::BatchType::kLogged;
  std::vector<std::variant<Statement, BoundStatement>> statements;
  StatementOptions options;  // page size and paging state do not apply
};

// Anything Session::Execute runs.
using Request = std::variant<Statement, BoundStatement, BatchStatement>;

}  // namespace postfork::driver
