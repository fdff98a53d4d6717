// Response serialization: status line and headers, with the Date header cached per second.
#pragma once

#include <string>

#include "postfork/server/response.h"

namespace postfork::server::http {

// "Sun, 06 Nov 1994 08:49:37 GMT" for the current second; refreshed at most once a second.
// One per thread (not thread-safe).
class DateCache {
 public:
  const std::string& Now();

 private:
  long second_ = -1;
  std::string text_;
};

struct HeadOptions {
  int version = 11;           // 10 or 11
  bool keep_alive = true;     // the connection stays open after this response
  bool head_request = false;  // HEAD: Content-Length of the body, but no body
};

// Appends the status line and header block of `response` to `out`, adding Server, Date,
// Content-Length (except for 1xx/204/304) and Connection as needed.
void AppendResponseHead(std::string& out, const Response& response, const HeadOptions& options,
                        DateCache& date);

// Whether `status` carries no body by definition (1xx, 204, 304).
bool StatusHasNoBody(int status);

}  // namespace postfork::server::http
