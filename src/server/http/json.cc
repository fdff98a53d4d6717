#include "postfork/server/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace postfork::server {

Response JsonResponse(const boost::json::value& value, int status) {
  return Response(status, boost::json::serialize(value), "application/json");
}

Result<boost::json::value> ParseJsonBody(const Request& request) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body(), ec);
  if (ec) return Status(StatusCode::kMalformed, "request body is not JSON: " + ec.message());
  return value;
}

}  // namespace postfork::server
