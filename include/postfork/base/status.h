// Status and Result<T>: expected failures as values, shared by every layer.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace postfork {

// Broad failure categories. Protocol-level CQL error codes live in postfork/cql/error_codes.h;
// a Status that carries one uses StatusCode::kServerError and cql_code().
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,  // caller passed something unusable (bad option, wrong value type)
  kMalformed,        // bytes from the wire are inconsistent or do not decode
  kTruncated,        // input ended before a complete item (decoders: need more bytes)
  kTooLarge,         // a length or count exceeds a configured limit
  kUnsupported,      // valid but not implemented / not supported (e.g. protocol version)
  kNotFound,
  kAlreadyExists,
  kIoError,          // OS or storage error
  kTimeout,
  kConnectFailed,    // could not open a usable connection
  kNoHostAvailable,  // every host failed or none is up
  kClosed,           // the object was closed or its connection dropped
  kWrongProcess,     // an object created before fork() used in the child
  kServerError,      // the server answered with an ERROR frame: see cql_code()
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, int cql_code = -1)
      : code_(code), cql_code_(cql_code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The CQL protocol error code (cql/error_codes.h) when code() == kServerError, else -1.
  int cql_code() const { return cql_code_; }
  const std::string& message() const { return message_; }
  // "Malformed: list length -3 is negative"
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  int cql_code_ = -1;
  std::string message_;
};

// A value or the Status that explains why there is none. The OK path costs what T costs.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {
    assert(!std::get<1>(v_).ok() && "Result built from an OK status has no value");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return *std::get_if<0>(&v_);
  }
  const T& value() const& {
    assert(ok());
    return *std::get_if<0>(&v_);
  }
  T&& value() && {
    assert(ok());
    return std::move(*std::get_if<0>(&v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The failure; an OK Status when there is a value.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }
  const Status& error() const {
    assert(!ok());
    return *std::get_if<1>(&v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace postfork

// Propagate a failed Status from an expression returning Status.
#define PF_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::postfork::Status pf_status_ = (expr);   \
    if (!pf_status_.ok()) return pf_status_;  \
  } while (0)

#define PF_CONCAT_INNER(a, b) a##b
#define PF_CONCAT(a, b) PF_CONCAT_INNER(a, b)
// Declares `lhs` from a Result expression, or returns its Status.
#define PF_ASSIGN_OR_RETURN(lhs, expr)                            \
  auto PF_CONCAT(pf_result_, __LINE__) = (expr);                  \
  if (!PF_CONCAT(pf_result_, __LINE__).ok())                      \
    return PF_CONCAT(pf_result_, __LINE__).error();               \
  lhs = std::move(PF_CONCAT(pf_result_, __LINE__)).value()
