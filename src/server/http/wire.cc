#include "server/http/wire.h"

#include <time.h>

#include <strings.h>

#include <charconv>
#include <string_view>

namespace postfork::server::http {
namespace {

void AppendNumber(std::string& out, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

}  // namespace

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
  out.append(options.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  AppendNumber(out, static_cast<uint64_t>(response.status()));
  out.push_back(' ');
  out.append(ReasonPhrase(response.status()));
  out.append("\r\nServer: postfork\r\nDate: ");
  out.append(date.Now());
  out.append("\r\n");
  for (const auto& [name, value] : response.headers().entries()) {
    std::string_view n(name);
    // The server owns framing and connection management.
    if (n.size() == 14 && strncasecmp(n.data(), "content-length", 14) == 0) continue;
    if (n.size() == 10 && strncasecmp(n.data(), "connection", 10) == 0) continue;
    if (n.size() == 17 && strncasecmp(n.data(), "transfer-encoding", 17) == 0) continue;
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  if (!StatusHasNoBody(response.status())) {
    out.append("Content-Length: ");
    AppendNumber(out, response.body().size());
    out.append("\r\n");
  }
  if (!options.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (options.version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

}  // namespace postfork::server::http
