#include "postfork/server/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstring>

namespace postfork::server {

Response JsonResponse(const boost::json::value& value, int status) {
  return Response(status, boost::json::serialize(value), "application/json");
}

namespace {

// Bytes each input byte takes in a JSON string literal: 1 as it is, 2 for a two-character
// escape (\n for a newline, \" and \\), 6 for a control character written as \u00XX.
struct EscapeTable {
  uint8_t width[256];
  char letter[256];  // the letter of a two-character escape
  constexpr EscapeTable() : width(), letter() {
    for (int c = 0; c < 256; ++c) width[c] = c < 0x20 ? 6 : 1;
    const char pairs[][2] = {{'"', '"'},  {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
                             {'\n', 'n'}, {'\r', 'r'},  {'\t', 't'}};
    for (const auto& [c, e] : pairs) {
      width[static_cast<unsigned char>(c)] = 2;
      letter[static_cast<unsigned char>(c)] = e;
    }
  }
};
constexpr EscapeTable kEscape;

// The length of the longest prefix of `s` written as it is, 8 bytes at a time.
size_t PlainPrefix(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (JsonWordNeedsEscape(w)) break;
  }
  while (i < s.size() && kEscape.width[static_cast<unsigned char>(s[i])] == 1) ++i;
  return i;
}

}  // namespace

size_t JsonStringSize(std::string_view utf8) {
  size_t i = PlainPrefix(utf8);
  size_t n = i + 2;
  for (; i < utf8.size(); ++i) n += kEscape.width[static_cast<unsigned char>(utf8[i])];
  return n;
}

char* WriteJsonString(std::string_view utf8, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = PlainPrefix(utf8); i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (kEscape.width[c] == 1) continue;
    std::memcpy(out, utf8.data() + run, i - run);
    out += i - run;
    run = i + 1;
    *out++ = '\\';
    if (kEscape.width[c] == 2) {
      *out++ = kEscape.letter[c];
    } else {
      const char escape[5] = {'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      std::memcpy(out, escape, 5);
      out += 5;
    }
  }
  std::memcpy(out, utf8.data() + run, utf8.size() - run);
  out += utf8.size() - run;
  *out++ = '"';
  return out;
}

void AppendJsonString(std::string_view utf8, std::string* out) {
  size_t old = out->size();
  out->resize(old + JsonStringSize(utf8));
  WriteJsonString(utf8, out->data() + old);
}

Result<boost::json::value> ParseJsonBody(const Request& request) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body(), ec);
  if (ec) return Status(StatusCode::kMalformed, "request body is not JSON: " + ec.message());
  return value;
}

}  // namespace postfork::server
