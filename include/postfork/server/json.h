// JSON helpers on Boost.JSON for handlers. Include only where JSON is used (Boost.JSON is heavy).
#pragma once

#include <boost/json/value.hpp>

#include "postfork/cql/status.h"
#include "postfork/server/request.h"
#include "postfork/server/response.h"

namespace postfork::server {

// A response whose body is `value` serialized, Content-Type application/json.
Response JsonResponse(const boost::json::value& value, int status = 200);

// Parses the request body as JSON; kMalformed with the parser's message when it is not JSON.
Result<boost::json::value> ParseJsonBody(const Request& request);

}  // namespace postfork::server
