// JSON helpers on Boost.JSON for handlers. Include only where JSON is used (Boost.JSON is heavy).
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "postfork/base/status.h"
#include "postfork/server/request.h"
#include "postfork/server/response.h"

namespace postfork::server {

// A response whose body is `value` serialized, Content-Type application/json.
Response JsonResponse(const boost::json::value& value, int status = 200);

// Appends `utf8` as a JSON string literal, escaped as Boost.JSON's serializer escapes it: the
// JSON array or object of a hot handler can be written straight into its response body.
void AppendJsonString(std::string_view utf8, std::string* out);
// The same in two steps, for a caller that sizes its buffer once for many strings: the bytes
// the literal for `utf8` takes, and writing it at `out` (room for JsonStringSize(utf8) bytes),
// returning the end of what was written.
size_t JsonStringSize(std::string_view utf8);
char* WriteJsonString(std::string_view utf8, char* out);

// Parses the request body as JSON; kMalformed with the parser's message when it is not JSON.
Result<boost::json::value> ParseJsonBody(const Request& request);

}  // namespace postfork::server
