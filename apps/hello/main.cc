// postfork-hello: the smallest app on the postfork server, used by the tests and the benchmark.
//   GET /              a small fixed body ("Hello, World!\n"), or --body-bytes N bytes of 'x'
//   GET /sleep?ms=N    answers after N ms without blocking the worker
// With --test-routes also:
//   GET /crash         the worker dies of SIGSEGV
//   GET /hang          the handler never returns (blocks its worker)
//   GET /throw         the handler throws (500)
//   POST /echo         the request body back
//   GET /params/{a}/{b}, POST /json (echoes {"a":..,"b":..} / the parsed JSON)
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include "postfork/server/app.h"
#include "postfork/server/json.h"

namespace asio = boost::asio;
using postfork::server::Request;
using postfork::server::Response;
using postfork::server::WorkerContext;

int main(int argc, char** argv) {
  postfork::server::App app("hello");
  bool test_routes = false;
  size_t body_bytes = 0;
  app.AddOptions([&](CLI::App& cli) {
    cli.add_flag("--test-routes", test_routes, "add /crash, /hang, /throw, /echo, /params, /json");
    cli.add_option("--body-bytes", body_bytes,
                   "GET / answers this many bytes (benchmarks: an HTTP exchange the size of "
                   "another app's response); default the 14-byte greeting")
        ->check(CLI::Range(size_t{1}, size_t{1} << 24));
  });

  // Built once the command line is parsed (on_starting, before the routes are compiled).
  std::string body = "Hello, World!\n";
  app.Route("GET", "/", [&body](Request&, WorkerContext&) { return Response(200, body); });
  app.Route("GET", "/sleep", [](Request& req, WorkerContext& ctx) -> asio::awaitable<Response> {
    long ms = 0;
    if (auto text = req.Query("ms")) {
      auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), ms);
      if (ec != std::errc() || ptr != text->data() + text->size() || ms < 0 || ms > 600000) {
        co_return Response(400, "ms must be 0..600000\n");
      }
    }
    asio::steady_timer timer(ctx.io_context(), std::chrono::milliseconds(ms));
    co_await timer.async_wait(asio::use_awaitable);
    co_return Response(200, "slept " + std::to_string(ms) + " ms\n");
  });

  // The flag is known only once Run() parsed the command line: on_starting runs then, before
  // the routes are compiled.
  app.hooks().on_starting = [&](postfork::server::MasterContext&) {
    if (body_bytes > 0) body.assign(body_bytes, 'x');
    if (!test_routes) return;
    postfork::server::App& a = app;
    a.Route("GET", "/crash", [](Request&, WorkerContext&) -> Response {
      signal(SIGSEGV, SIG_DFL);
      raise(SIGSEGV);
      return Response(500, "still alive\n");
    });
    a.Route("GET", "/hang", [](Request&, WorkerContext&) -> Response {
      while (true) pause();
    });
    a.Route("GET", "/throw", [](Request&, WorkerContext&) -> Response {
      throw std::runtime_error("handler failed on purpose");
    });
    a.Route("POST", "/echo", [](Request& req, WorkerContext&) {
      return Response(200, req.body(), "application/octet-stream");
    });
    a.Route("GET", "/params/{a}/{b}", [](Request& req, WorkerContext&) {
      boost::json::object o;
      o["a"] = *req.PathParam("a");
      o["b"] = *req.PathParam("b");
      if (auto q = req.Query("q")) o["q"] = *q;
      return postfork::server::JsonResponse(o);
    });
    a.Route("POST", "/json", [](Request& req, WorkerContext&) {
      auto parsed = postfork::server::ParseJsonBody(req);
      if (!parsed.ok()) return Response(400, parsed.error().message() + "\n");
      return postfork::server::JsonResponse(*parsed);
    });
  };
  return postfork::server::Run(app, argc, argv);
}
