#include "postfork/server/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace postfork::server {

Response JsonResponse(const boost::json::value& value, int status) {
  return Response(status, boost::json::serialize(value), "application/json");
}

namespace {

// The letter of a two-character escape (\n for a newline), 0 for a control character that is
// written as \u00XX, and for the bytes written as they are.
char ShortEscape(unsigned char c) {
  switch (c) {
    case '"':
    case '\\':
      return static_cast<char>(c);
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    default:
      return 0;
  }
}

}  // namespace

void AppendJsonString(std::string_view utf8, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(utf8.data() + run, i - run);
    run = i + 1;
    if (char e = ShortEscape(c); e != 0) {
      const char escape[2] = {'\\', e};
      out->append(escape, 2);
    } else {
      const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(escape, 6);
    }
  }
  out->append(utf8.data() + run, utf8.size() - run);
  out->push_back('"');
}

Result<boost::json::value> ParseJsonBody(const Request& request) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body(), ec);
  if (ec) return Status(StatusCode::kMalformed, "request body is not JSON: " + ec.message());
  return value;
}

}  // namespace postfork::server
