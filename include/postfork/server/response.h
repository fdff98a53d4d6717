// HTTP response built by handlers. The server adds Date, Content-Length, Connection and Server.
#pragma once

#include <string>
#include <string_view>
#include <utility>

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
  Headers& headers() { return headers_; }
  const Headers& headers() const { return headers_; }

 private:
  int status_ = 200;
  std::string body_;
  Headers headers_;
};

// The standard reason phrase of `status` ("Not Found"), "Unknown" for unassigned codes.
std::string_view ReasonPhrase(int status);

}  // namespace postfork::server
