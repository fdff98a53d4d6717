// JSON helpers on Boost.JSON for handlers. Include only where JSON is used (Boost.JSON is heavy).
#pragma once

#include <boost/json/value.hpp>
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

// Parses the request body as JSON; kMalformed with the parser's message when it is not JSON.
Result<boost::json::value> ParseJsonBody(const Request& request);

}  // namespace postfork::server
