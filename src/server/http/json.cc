#include "postfork/server/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <algorithm>
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

// Whether any of the 8 bytes in `w` must be escaped in a JSON string: below 0x20, '"' or '\\'.
// Exact, not a heuristic: SSE2's byte compares where the target has them (x86-64 always does),
// else the classic "has a zero byte" and "has a byte less than n" tricks.
bool JsonWordNeedsEscape(uint64_t w) {
#if defined(__SSE2__)
  const __m128i v = _mm_cvtsi64_si128(static_cast<long long>(w));
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);  // v <= 0x1f
  // The upper 8 lanes are zeros (control characters): only the low 8 lanes count.
  return (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) & 0xff) != 0;
#else
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  return (below_space | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'))) != 0;
#endif
}

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

bool JsonHasOnlyQuotes(std::string_view written, size_t quotes) {
  const char* p = written.data();
  const char* end = p + written.size();
  size_t counted = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i max_control = _mm_set1_epi8(0x1f);
  __m128i bad = _mm_setzero_si128();
  while (end - p >= 16) {
    // Per-lane quote counts in bytes, summed (psadbw) before a lane can wrap at 255.
    __m128i lanes = _mm_setzero_si128();
    const char* stop = p + std::min<size_t>(static_cast<size_t>(end - p) / 16, 255) * 16;
    for (; p < stop; p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(v, quote));
      bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, backslash));
      bad = _mm_or_si128(bad, _mm_cmpeq_epi8(_mm_min_epu8(v, max_control), v));  // v <= 0x1f
    }
    const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
    counted += static_cast<size_t>(_mm_cvtsi128_si32(sums)) +
               static_cast<size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums)));
  }
  if (_mm_movemask_epi8(bad) != 0) return false;
#endif
  for (; p < end; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '\\') return false;
    counted += c == '"';
  }
  return counted == quotes;
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
