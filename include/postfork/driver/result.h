// The outcome of executing a request: rows, a schema change, or an error carrying the server's
// code and fields. Errors are values; typed access returns Result<T> (no exceptions).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/value.h"

namespace postfork::driver {

// A decoded RESULT frame; owns the body that the rows view. Shared by a result and its rows.
struct ResultData {
  std::string body;
  cql::ResultMessage message;
  // Column specs when the response omitted them (skip_metadata): the prepared result metadata.
  std::shared_ptr<const cql::RowsMetadata> known_metadata;
  std::string host;  // the host that answered, "ip:port"
  // Warnings the server sent with the response (e.g. Cassandra's unlogged-batch or
  // USE-with-prepared-statements warnings), and the tracing id of a traced request.
  std::vector<std::string> warnings;
  std::optional<cql::Uuid> tracing_id;

  const std::vector<cql::ColumnSpec>& columns() const {
    return known_metadata ? known_metadata->columns : message.rows.metadata.columns;
  }
};

namespace internal {
template <class T>
Result<T> ExtractAs(Result<cql::Value> v, std::string_view column);
}  // namespace internal

// One row of a result. Keeps its page alive.
class Row {
 public:
  Row() = default;
  Row(std::shared_ptr<const ResultData> data, int32_t index)
      : data_(std::move(data)), index_(index) {}

  int column_count() const;
  // The cell as a Value (Null for a null cell); kInvalidArgument for a bad index, kMalformed
  // when the cell does not decode as its column type.
  Result<cql::Value> GetValue(int column) const;
  Result<cql::Value> GetValue(std::string_view name) const;
  bool IsNull(int column) const;
  // Typed access: T is a cql::Value alternative (int32_t, int64_t, std::string, bool, double,
  // cql::Uuid, cql::ValueList, ...). kInvalidArgument when the column holds another type,
  // kNotFound for an unknown name, kNotFound ("null") for a null cell.
  template <class T>
  Result<T> Get(int column) const {
    return internal::ExtractAs<T>(GetValue(column), ColumnName(column));
  }
  template <class T>
  Result<T> Get(std::string_view name) const {
    return internal::ExtractAs<T>(GetValue(name), name);
  }
  std::string_view ColumnName(int column) const;
  int ColumnIndex(std::string_view name) const;  // -1 when absent

 private:
  std::shared_ptr<const ResultData> data_;
  int32_t index_ = 0;
};

// A handle of two pointers: what the rows view (shared by copies and Rows) and, on failure, the
// failure. A completed query moves through several completion handlers on its way to the
// caller; each move copies two pointers and an OK result's destruction releases one.
class QueryResult {
 public:
  QueryResult();  // kInternal "empty result"
  // An error (an OK status makes an OK result without rows).
  explicit QueryResult(Status error) : QueryResult(std::move(error), nullptr) {}
  QueryResult(Status error, std::shared_ptr<const cql::ErrorMessage> server);
  explicit QueryResult(std::shared_ptr<const ResultData> data) : data_(std::move(data)) {}

  bool ok() const { return failure_ == nullptr; }
  // Query failures: kServerError (see server_error()), kTimeout, kNoHostAvailable, kClosed,
  // kWrongProcess, kInvalidArgument (the statement could not be encoded).
  const Status& status() const;
  // The server's ERROR with its code-specific fields (Unavailable, timeouts, AlreadyExists...).
  // With kNoHostAvailable: the last host's ERROR when that was why the next host was tried
  // (an Unavailable, say), else null.
  const cql::ErrorMessage* server_error() const {
    return failure_ ? failure_->server.get() : nullptr;
  }

  cql::ResultKind kind() const;
  int32_t row_count() const;
  int column_count() const;
  const std::vector<cql::ColumnSpec>& columns() const;
  Row row(int32_t index) const { return Row(data_, index); }
  // The serialized cell (Null for a null cell, a bad index or no rows), a view into this
  // page that stays valid while the result does: read without decoding or copying.
  cql::RawValue cell(int32_t row, int column) const;
  // Every cell of this page, row-major (row_count() x column_count()), as cell() returns them:
  // for a loop over many rows without a bounds check per cell. Empty without rows.
  std::span<const cql::RawValue> cells() const;
  // At least the sum of the byte lengths of cells() (the size of the page as received): sizes
  // a buffer written from the cells without first adding up their lengths. 0 without rows.
  size_t cells_size_bound() const;
  // Rows of this page only.
  std::vector<Row> rows() const;
  // Paging: set when the server has more rows; pass it back in StatementOptions::paging_state.
  std::optional<std::string_view> paging_state() const;
  bool has_more_pages() const { return paging_state().has_value(); }
  // The `[applied]` column of a conditional statement; kNotFound when the result has none.
  Result<bool> applied() const;
  // kSetKeyspace: the keyspace; kSchemaChange: the change.
  std::string_view keyspace() const;
  const cql::SchemaChange* schema_change() const;
  // "ip:port" of the host that answered; "" when none did.
  std::string_view host() const;
  // The server's warnings for this request; empty when none (or on failure).
  const std::vector<std::string>& warnings() const;
  const std::shared_ptr<const ResultData>& data() const { return data_; }

 private:
  struct Failure {
    Status status;
    std::shared_ptr<const cql::ErrorMessage> server;
  };
  std::shared_ptr<const Failure> failure_;  // null when ok
  std::shared_ptr<const ResultData> data_;
};

namespace internal {
template <class T>
Result<T> ExtractAs(Result<cql::Value> v, std::string_view column) {
  if (!v.ok()) return v.error();
  if (v->is_null())
    return Status(StatusCode::kNotFound, "column " + std::string(column) + " is null");
  if (const T* t = v->template get_if<T>()) return *t;
  // Integers widen when they fit, as the codec does when serializing.
  if constexpr (std::is_same_v<T, int64_t>) {
    if (auto p = v->template get_if<int32_t>()) return int64_t{*p};
    if (auto p = v->template get_if<int16_t>()) return int64_t{*p};
    if (auto p = v->template get_if<int8_t>()) return int64_t{*p};
  } else if constexpr (std::is_same_v<T, int32_t>) {
    if (auto p = v->template get_if<int16_t>()) return int32_t{*p};
    if (auto p = v->template get_if<int8_t>()) return int32_t{*p};
  } else if constexpr (std::is_same_v<T, double>) {
    if (auto p = v->template get_if<float>()) return double{*p};
  }
  return Status(StatusCode::kInvalidArgument,
                "column " + std::string(column) + " does not hold the requested type");
}
}  // namespace internal

}  // namespace postfork::driver
