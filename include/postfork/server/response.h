// HTTP response built by handlers. The server adds Date, Content-Length, Connection and Server.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <boost/container/small_vector.hpp>

#include "postfork/server/request.h"

namespace postfork::server {

class Response {
 public:
  // 200 with an empty body.
  Response() = default;
  // `status` with `body` of type `content_type`.
  Response(int status, std::string body,
           std::string_view content_type = "text/plain; charset=utf-8");

  int status() const { return status_; }
  void set_status(int status) { status_ = status; }
  const std::string& body() const { return body_; }
  // Moves the body out, leaving it empty (the server recycles written bodies' storage).
  std::string TakeBody() { return std::move(body_); }
  void set_body(std::string body, std::string_view content_type);
  // The Content-Type field's value, empty for none. A Content-Type field added to headers()
  // replaces it.
  std::string_view content_type() const { return {content_type_.data(), content_type_.size()}; }
  void set_content_type(std::string_view content_type);
  // Fields besides Content-Type.
  Headers& headers() { return headers_; }
  const Headers& headers() const { return headers_; }

 private:
  int status_ = 200;
  std::string body_;
  // Inline up to 48 bytes, so the usual types ("application/json" is one byte longer than what
  // a std::string holds inline) cost no allocation per response.
  boost::container::small_vector<char, 48> content_type_;
  Headers headers_;
};

// The standard reason phrase of `status` ("Not Found"), "Unknown" for unassigned codes.
std::string_view ReasonPhrase(int status);

}  // namespace postfork::server
