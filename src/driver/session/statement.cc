#include "postfork/driver/statement.h"

namespace postfork::driver {

BoundStatement PreparedStatement::Bind() const { return BoundStatement(data_); }

Result<BoundStatement> PreparedStatement::Bind(std::vector<cql::Value> values) const {
  if (!data_) return Status(StatusCode::kInvalidArgument, "statement is not prepared");
  if (values.size() != data_->bind_columns.size())
    return Status(StatusCode::kInvalidArgument,
                  "statement has " + std::to_string(data_->bind_columns.size()) +
                      " bind markers, got " + std::to_string(values.size()) + " values");
  BoundStatement b(data_);
  for (size_t i = 0; i < values.size(); ++i) PF_RETURN_IF_ERROR(b.Bind(i, std::move(values[i])));
  return b;
}

BoundStatement::BoundStatement(std::shared_ptr<const PreparedData> data) : data_(std::move(data)) {
  if (data_) values_.assign(data_->bind_columns.size(), cql::Value(cql::Unset{}));
}

Status BoundStatement::Bind(size_t index, cql::Value value) {
  if (!data_) return Status(StatusCode::kInvalidArgument, "statement is not prepared");
  if (index >= values_.size())
    return Status(StatusCode::kInvalidArgument, "bind index " + std::to_string(index) +
                                                    " out of range (" +
                                                    std::to_string(values_.size()) + " markers)");
  if (!value.is_null() && !value.is_unset()) {
    // Check the type now so the error names the column; the bytes are written at send time.
    std::string scratch;
    Status st = cql::SerializeValue(value, data_->bind_columns[index].type, &scratch);
    if (!st.ok())
      return Status(StatusCode::kInvalidArgument,
                    "value for " + data_->bind_columns[index].name + " (" +
                        data_->bind_columns[index].type.ToCql() + "): " + st.message());
  }
  values_[index] = std::move(value);
  return Status::Ok();
}

Status BoundStatement::Bind(std::string_view name, cql::Value value) {
  if (!data_) return Status(StatusCode::kInvalidArgument, "statement is not prepared");
  bool found = false;
  for (size_t i = 0; i < values_.size(); ++i) {
    if (data_->bind_columns[i].name == name) {
      PF_RETURN_IF_ERROR(Bind(i, value));
      found = true;
    }
  }
  if (!found) return Status(StatusCode::kNotFound, "no bind marker named " + std::string(name));
  return Status::Ok();
}

}  // namespace postfork::driver
