// Unit tests of the server's HTTP pieces: routing, targets and queries, response heads.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "postfork/server/app.h"
#include "postfork/server/json.h"
#include "server/http/router.h"
#include "server/http/wire.h"

namespace postfork::server {
namespace {

Handler Ok() {
  return [](Request&, WorkerContext&) { return Response(200, "ok"); };
}

TEST(Json, AppendJsonStringEscapesAsBoostJsonSerializes) {
  std::vector<std::string> samples = {"",
                                      "value number 7",
                                      "quote \" and backslash \\",
                                      "slash / stays",
                                      "tab\tnewline\nreturn\rff\fbs\b",
                                      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                      "del \x7f"};
  std::string every_control;
  for (int c = 0; c < 0x20; ++c) every_control.push_back(static_cast<char>(c));
  samples.push_back(every_control);
  for (const std::string& s : samples) {
    std::string out = "x";
    AppendJsonString(s, &out);
    EXPECT_EQ(out, "x" + boost::json::serialize(boost::json::string(s))) << s;
    EXPECT_EQ(JsonStringSize(s), out.size() - 1) << s;
  }
}

TEST(Json, WriteJsonStringUncheckedQuotesEveryLengthAndJsonHasOnlyQuotesFindsWhatNeedsEscaping) {
  // Every length from 0 to 40 (the word loop, the overlapping last word, the 4-byte and byte
  // paths), then arrays of such strings (past 16 bytes: the SSE2 loop and its tail), each with
  // one byte that needs escaping at every position, and bytes >= 0x80.
  for (size_t n = 0; n <= 40; ++n) {
    std::string plain;
    for (size_t i = 0; i < n; ++i) {
      // Bytes next to the ones that need escaping: >= 0x80, 0xff, space, DEL, '#' and ']'.
      const char near[] = {'\xc3', '\xff', ' ', '\x7f', '#', ']'};
      plain.push_back(i % 5 == 4 ? near[(i / 5) % 6] : static_cast<char>('a' + i % 26));
    }
    std::string out(n + 2, '?');
    char* end = WriteJsonStringUnchecked(plain, out.data());
    EXPECT_EQ(end, out.data() + out.size()) << n;
    EXPECT_EQ(out, boost::json::serialize(boost::json::string(plain))) << n;
    const std::string array = "[" + out + ",null," + out + "," + out + "]";
    EXPECT_TRUE(JsonHasOnlyQuotes(array, 6)) << n;
    EXPECT_FALSE(JsonHasOnlyQuotes(array, 4)) << n;
    for (size_t at = 0; at < n; ++at) {
      for (char bad : {'"', '\\', '\n', '\x1f', '\0'}) {
        std::string s = plain;
        s[at] = bad;
        std::string written(n + 2, '?');
        WriteJsonStringUnchecked(s, written.data());
        EXPECT_FALSE(JsonHasOnlyQuotes("[" + out + ",null," + written + "]", 4)) << n << " " << at;
      }
    }
  }
}

TEST(WorkerContext, RecyclesWrittenBodiesStorageForHandlers) {
  boost::asio::io_context io;
  ServerOptions options;
  WorkerContext ctx(io, options, 0);
  EXPECT_EQ(ctx.TakeBodyBuffer(), "");
  std::string body(1000, 'x');
  const char* storage = body.data();
  ctx.RecycleBodyBuffer(std::move(body));
  std::string again = ctx.TakeBodyBuffer();
  EXPECT_EQ(again, "") << "handed back empty";
  EXPECT_EQ(again.data(), storage) << "with the written body's storage";
  EXPECT_GE(again.capacity(), 1000u);
  EXPECT_EQ(ctx.TakeBodyBuffer().capacity(), std::string().capacity()) << "one buffer, taken";
  // Inline strings and very large ones are not kept.
  ctx.RecycleBodyBuffer("short");
  ctx.RecycleBodyBuffer(std::string(WorkerContext::kMaxKeptBodyBuffer + 1, 'y'));
  EXPECT_EQ(ctx.TakeBodyBuffer().capacity(), std::string().capacity());
}

TEST(Router, MatchesLiteralAndParameterSegments) {
  http::Router router;
  ASSERT_TRUE(router.Add({"GET", "/rows/{key}", Ok()}).ok());
  ASSERT_TRUE(router.Add({"GET", "/rows/{key}/cells/{col}", Ok()}).ok());
  std::vector<Request::Param> params;
  auto m = router.Find("GET", "/rows/abc/cells/7", &params);
  ASSERT_EQ(m.outcome, http::Router::Outcome::kFound);
  EXPECT_EQ(m.route_index, 1);
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0], (Request::Param{"key", "abc"}));
  EXPECT_EQ(params[1], (Request::Param{"col", "7"}));
  EXPECT_EQ(router.Find("GET", "/rows/", &params).outcome, http::Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find("GET", "/rows/a/b", &params).outcome, http::Router::Outcome::kNotFound);
}

TEST(Router, WrongMethodListsAllowedMethodsAndHeadFallsBackToGet) {
  http::Router router;
  ASSERT_TRUE(router.Add({"GET", "/x", Ok()}).ok());
  ASSERT_TRUE(router.Add({"POST", "/x", Ok()}).ok());
  auto m = router.Find("DELETE", "/x", nullptr);
  EXPECT_EQ(m.outcome, http::Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(router.Find("HEAD", "/x", nullptr).outcome, http::Router::Outcome::kFound);
}

TEST(Router, RejectsMalformedAndDuplicatePatterns) {
  http::Router router;
  EXPECT_FALSE(router.Add({"GET", "rows", Ok()}).ok());
  EXPECT_FALSE(router.Add({"GET", "/rows/{}", Ok()}).ok());
  EXPECT_FALSE(router.Add({"GET", "/rows/a{b}", Ok()}).ok());
  EXPECT_FALSE(router.Add({"get", "/rows", Ok()}).ok());
  EXPECT_TRUE(router.Add({"GET", "/rows", Ok()}).ok());
  EXPECT_FALSE(router.Add({"GET", "/rows", Ok()}).ok());
}

TEST(Request, DecodesPathAndQuery) {
  Request r;
  ASSERT_TRUE(r.SetTarget("/a%20b/c?x=1&y=two+words&z=%41&flag"));
  EXPECT_EQ(r.path(), "/a b/c");
  EXPECT_EQ(r.query_string(), "x=1&y=two+words&z=%41&flag");
  EXPECT_EQ(r.Query("y"), "two words");
  EXPECT_EQ(r.Query("z"), "A");
  EXPECT_EQ(r.Query("flag"), "");
  EXPECT_FALSE(r.Query("missing").has_value());
  EXPECT_FALSE(r.SetTarget("/bad%zz"));
  EXPECT_FALSE(r.SetTarget("/bad%4"));
  EXPECT_FALSE(r.SetTarget("http://absolute/form"));
}

TEST(Headers, LookupIsCaseInsensitive) {
  Headers h;
  h.Add("Content-Type", "a");
  h.Add("X-One", "1");
  EXPECT_EQ(h.Get("content-type"), "a");
  h.Set("CONTENT-TYPE", "b");
  EXPECT_EQ(h.Get("Content-Type"), "b");
  h.Remove("x-one");
  EXPECT_FALSE(h.Has("X-One"));
}

TEST(Wire, ResponseHeadCarriesFramingAndConnectionHeaders) {
  http::DateCache date;
  Response res(404, "gone", "text/plain");
  res.headers().Add("Content-Length", "999");  // the server owns framing
  std::string head;
  http::AppendResponseHead(head, res, {11, false, false}, date);
  EXPECT_EQ(head.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_NE(head.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_EQ(head.find("999"), std::string::npos);
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(head.find("Date: "), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  head.clear();
  http::AppendResponseHead(head, Response(204, ""), {10, true, false}, date);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_NE(head.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(Wire, ResponseHeadCarriesTheContentTypeOnceAndAnExplicitFieldReplacesIt) {
  http::DateCache date;
  Response res(200, "[]", "application/json");
  EXPECT_EQ(res.content_type(), "application/json");
  std::string head;
  http::AppendResponseHead(head, res, {11, true, false}, date);
  EXPECT_NE(head.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  res.headers().Add("content-type", "text/csv");
  head.clear();
  http::AppendResponseHead(head, res, {11, true, false}, date);
  EXPECT_EQ(head.find("application/json"), std::string::npos);
  EXPECT_NE(head.find("\r\ncontent-type: text/csv\r\n"), std::string::npos);
  head.clear();
  http::AppendResponseHead(head, Response(200, "x", ""), {11, true, false}, date);
  EXPECT_EQ(head.find("Content-Type"), std::string::npos);
}

}  // namespace
}  // namespace postfork::server
