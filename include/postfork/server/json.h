// JSON helpers on Boost.JSON for handlers. Include only where JSON is used (Boost.JSON is heavy).
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

// Writes `utf8` between two quotes at `out` (room for utf8.size() + 2 bytes), unchecked, and
// returns the end of what was written: a JSON string literal only when none of its bytes needs
// escaping, which JsonHasOnlyQuotes then tells for a whole run of such writes at once. Inline
// whole-word copies for a loop over many short strings: 4 to 8 bytes (the usual short value) in
// two overlapping 4-byte words, longer ones 8 bytes at a time, the last word overlapping the
// previous one. Never reads outside `utf8`.
inline char* WriteJsonStringUnchecked(std::string_view utf8, char* out) {
  const char* s = utf8.data();
  const size_t n = utf8.size();
  *out++ = '"';
  if (n - 4 <= 4) {  // 4 <= n <= 8 (unsigned: n < 4 wraps around)
    uint32_t head, tail;
    std::memcpy(&head, s, 4);
    std::memcpy(&tail, s + n - 4, 4);
    std::memcpy(out, &head, 4);
    std::memcpy(out + n - 4, &tail, 4);
  } else if (n > 8) {
    uint64_t w;
    for (size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&w, s + i, 8);
      std::memcpy(out + i, &w, 8);
    }
    std::memcpy(&w, s + n - 8, 8);
    std::memcpy(out + n - 8, &w, 8);
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = s[i];
  }
  out[n] = '"';
  return out + n + 1;
}

// Whether `written` holds exactly `quotes` '"' bytes and no '\\' or byte below 0x20. For JSON
// text whose strings were written by WriteJsonStringUnchecked and whose other bytes (commas,
// brackets, `null`, digits) hold none of these: it is valid JSON exactly when the quotes are
// only the 2 per string written. One pass, 16 bytes at a time with SSE2.
bool JsonHasOnlyQuotes(std::string_view written, size_t quotes);

// Parses the request body as JSON; kMalformed with the parser's message when it is not JSON.
Result<boost::json::value> ParseJsonBody(const Request& request);

}  // namespace postfork::server
