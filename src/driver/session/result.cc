#include <algorithm>

#include "postfork/driver/result.h"

namespace postfork::driver {

int Row::column_count() const { return data_ ? data_->message.rows.metadata.column_count : 0; }

Result<cql::Value> Row::GetValue(int column) const {
  if (!data_ || column < 0 || column >= column_count())
    return Status(StatusCode::kInvalidArgument,
                  "column index " + std::to_string(column) + " out of range");
  const auto& cols = data_->columns();
  if (static_cast<size_t>(column) >= cols.size())
    return Status(StatusCode::kInvalidArgument, "no metadata for column " + std::to_string(column));
  cql::RawValue raw = data_->message.rows.cell(index_, column);
  if (raw.is_null() || raw.is_unset()) return cql::Value();
  auto v = cql::DeserializeValue(raw.bytes, cols[static_cast<size_t>(column)].type);
  if (!v.ok())
    return Status(StatusCode::kMalformed,
                  "column " + cols[static_cast<size_t>(column)].name + ": " + v.error().message());
  return v;
}

int Row::ColumnIndex(std::string_view name) const {
  if (!data_) return -1;
  const auto& cols = data_->columns();
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols[i].name == name) return static_cast<int>(i);
  return -1;
}

Result<cql::Value> Row::GetValue(std::string_view name) const {
  int i = ColumnIndex(name);
  if (i < 0) return Status(StatusCode::kNotFound, "no column named " + std::string(name));
  return GetValue(i);
}

bool Row::IsNull(int column) const {
  if (!data_ || column < 0 || column >= column_count()) return true;
  return data_->message.rows.cell(index_, column).is_null();
}

std::string_view Row::ColumnName(int column) const {
  if (!data_) return {};
  const auto& cols = data_->columns();
  if (column < 0 || static_cast<size_t>(column) >= cols.size()) return {};
  return cols[static_cast<size_t>(column)].name;
}

namespace {
const Status kOkStatus;
}  // namespace

// The default result's failure is one static object, held without a control block (the aliasing
// constructor with an empty owner): a default-constructed result allocates nothing.
QueryResult::QueryResult() {
  static const Failure kEmpty{Status(StatusCode::kInternal, "empty result"), nullptr};
  failure_ = std::shared_ptr<const Failure>(std::shared_ptr<const Failure>(), &kEmpty);
}

QueryResult::QueryResult(Status error, std::shared_ptr<const cql::ErrorMessage> server) {
  if (!error.ok()) {
    failure_ = std::make_shared<const Failure>(Failure{std::move(error), std::move(server)});
  }
}

const Status& QueryResult::status() const { return failure_ ? failure_->status : kOkStatus; }

cql::ResultKind QueryResult::kind() const {
  return data_ ? data_->message.kind : cql::ResultKind::kVoid;
}

int32_t QueryResult::row_count() const {
  return data_ && data_->message.kind == cql::ResultKind::kRows ? data_->message.rows.row_count : 0;
}

int QueryResult::column_count() const {
  return data_ && data_->message.kind == cql::ResultKind::kRows
             ? data_->message.rows.metadata.column_count
             : 0;
}

const std::vector<cql::ColumnSpec>& QueryResult::columns() const {
  static const std::vector<cql::ColumnSpec> kNone;
  return data_ ? data_->columns() : kNone;
}

cql::RawValue QueryResult::cell(int32_t row, int column) const {
  if (row < 0 || row >= row_count() || column < 0 || column >= column_count()) {
    return cql::RawValue::Null();
  }
  return data_->message.rows.cell(row, column);
}

std::span<const cql::RawValue> QueryResult::cells() const {
  if (row_count() == 0 || column_count() == 0) return {};
  const auto& cells = data_->message.rows.cells;
  size_t n = static_cast<size_t>(row_count()) * static_cast<size_t>(column_count());
  return {cells.data(), std::min(n, cells.size())};
}

size_t QueryResult::cells_size_bound() const {
  // The cells are views into the body.
  return row_count() > 0 ? data_->body.size() : 0;
}

std::vector<Row> QueryResult::rows() const {
  std::vector<Row> out;
  out.reserve(static_cast<size_t>(row_count()));
  for (int32_t i = 0; i < row_count(); ++i) out.emplace_back(data_, i);
  return out;
}

std::optional<std::string_view> QueryResult::paging_state() const {
  if (!data_ || data_->message.kind != cql::ResultKind::kRows) return std::nullopt;
  const auto& ps = data_->message.rows.metadata.paging_state;
  if (!ps) return std::nullopt;
  return std::string_view(*ps);
}

Result<bool> QueryResult::applied() const {
  if (!ok()) return failure_->status;
  if (row_count() < 1) return Status(StatusCode::kNotFound, "result has no [applied] row");
  return row(0).Get<bool>("[applied]");
}

std::string_view QueryResult::keyspace() const {
  if (!data_) return {};
  if (data_->message.kind == cql::ResultKind::kSetKeyspace) return data_->message.keyspace;
  if (data_->message.kind == cql::ResultKind::kSchemaChange)
    return data_->message.schema_change.keyspace;
  return {};
}

const cql::SchemaChange* QueryResult::schema_change() const {
  return data_ && data_->message.kind == cql::ResultKind::kSchemaChange
             ? &data_->message.schema_change
             : nullptr;
}

std::string_view QueryResult::host() const { return data_ ? std::string_view(data_->host) : ""; }

const std::vector<std::string>& QueryResult::warnings() const {
  static const std::vector<std::string> kNone;
  return data_ ? data_->warnings : kNone;
}

}  // namespace postfork::driver
