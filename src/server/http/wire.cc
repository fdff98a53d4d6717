#include "server/http/wire.h"

#include <time.h>

#include <charconv>
#include <cstring>
#include <string_view>

#include "postfork/base/ascii.h"

namespace postfork::server::http {

const std::string& DateCache::Now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  if (ts.tv_sec != second_) {
    second_ = ts.tv_sec;
    struct tm tm;
    time_t t = ts.tv_sec;
    gmtime_r(&t, &tm);
    char buf[64];
    std::size_t n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text_.assign(buf, n);
  }
  return text_;
}

bool StatusHasNoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void AppendResponseHead(std::string& out, const Response& response, const HeadOptions& options,
                        DateCache& date) {
  // Written in place into room for the longest head these parts make, then trimmed: the
  // status line and the fixed fields are constant-size copies.
  constexpr std::size_t kFixedRoom = 256;  // status line, Server, Date, Content-Length, Connection
  std::string_view content_type = response.content_type();
  std::size_t room = kFixedRoom + content_type.size() + 16;
  for (const auto& [name, value] : response.headers().entries()) {
    room += name.size() + value.size() + 4;
    if (ascii::EqualsIgnoreCase(name, "content-type")) content_type = {};
  }
  const std::size_t old = out.size();
  out.resize(old + room);
  char* p = out.data() + old;
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  put(options.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  p = std::to_chars(p, p + 20, static_cast<uint64_t>(response.status())).ptr;
  *p++ = ' ';
  put(ReasonPhrase(response.status()));
  put("\r\nServer: postfork\r\nDate: ");
  put(date.Now());
  put("\r\n");
  if (!content_type.empty()) {
    put("Content-Type: ");
    put(content_type);
    put("\r\n");
  }
  for (const auto& [name, value] : response.headers().entries()) {
    std::string_view n(name);
    // The server owns framing and connection management.
    if (ascii::EqualsIgnoreCase(n, "content-length")) continue;
    if (ascii::EqualsIgnoreCase(n, "connection")) continue;
    if (ascii::EqualsIgnoreCase(n, "transfer-encoding")) continue;
    put(n);
    put(": ");
    put(value);
    put("\r\n");
  }
  if (!StatusHasNoBody(response.status())) {
    put("Content-Length: ");
    p = std::to_chars(p, p + 20, response.body().size()).ptr;
    put("\r\n");
  }
  if (!options.keep_alive) {
    put("Connection: close\r\n");
  } else if (options.version == 10) {
    put("Connection: keep-alive\r\n");
  }
  put("\r\n");
  out.resize(static_cast<std::size_t>(p - out.data()));
}

}  // namespace postfork::server::http
