// postfork-hooks-app: records every lifecycle hook (name, pid, ppid, time) in --hook-log so the
// integration tests can check which process ran it and in which order.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "postfork/server/app.h"

using postfork::Status;
using postfork::StatusCode;
using namespace postfork::server;

namespace {

std::string g_log;

void Record(const std::string& hook, const std::string& extra = "") {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  std::ofstream out(g_log, std::ios::app);
  out << hook << ' ' << getpid() << ' ' << getppid() << ' ' << ts.tv_sec << '.'
      << std::to_string(1000000000L + ts.tv_nsec).substr(1) << ' ' << extra << '\n';
}

int CountLines(const std::string& hook) {
  std::ifstream in(g_log);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.rfind(hook + " ", 0) == 0 ? 1 : 0;
  return n;
}

struct Session {
  int opened_by = 0;
};

}  // namespace

int main(int argc, char** argv) {
  App app("hooks");
  int post_fork_delay_ms = 0;
  int fail_post_fork = 0;
  bool async_hooks = false;
  app.AddOptions([&](CLI::App& cli) {
    cli.add_option("--hook-log", g_log, "file to append hook events to")->required();
    cli.add_option("--post-fork-delay-ms", post_fork_delay_ms, "post_fork takes this long");
    cli.add_option("--fail-post-fork", fail_post_fork, "the first N post_fork calls fail");
    cli.add_flag("--async-hooks", async_hooks, "post_fork and on_worker_exit are coroutines");
  });
  Hooks& h = app.hooks();
  h.preload = [](const ServerOptions&) {
    Record("preload");
    return Status::Ok();
  };
  h.pre_fork = [](MasterContext&, int id) { Record("pre_fork", std::to_string(id)); };
  h.post_fork = [&](WorkerContext& ctx) -> Status {
    Record("post_fork", std::to_string(ctx.worker_id()));
    if (CountLines("post_fork_failed") < fail_post_fork) {
      Record("post_fork_failed");
      return Status(StatusCode::kConnectFailed, "database unavailable");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(post_fork_delay_ms));
    ctx.EmplaceState<Session>().opened_by = getpid();
    Record("post_fork_done");
    return Status::Ok();
  };
  // The coroutine variants wait on the worker's io_context, as a driver's connect would.
  auto async_post_fork = [&](WorkerContext& ctx) -> boost::asio::awaitable<Status> {
    Record("post_fork", std::to_string(ctx.worker_id()));
    boost::asio::steady_timer timer(ctx.io_context(),
                                    std::chrono::milliseconds(post_fork_delay_ms));
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (CountLines("post_fork_failed") < fail_post_fork) {
      Record("post_fork_failed");
      co_return Status(StatusCode::kConnectFailed, "database unavailable");
    }
    ctx.EmplaceState<Session>().opened_by = getpid();
    Record("post_fork_done");
    co_return Status::Ok();
  };
  auto async_worker_exit = [](WorkerContext& ctx) -> boost::asio::awaitable<void> {
    boost::asio::steady_timer timer(ctx.io_context(), std::chrono::milliseconds(20));
    co_await timer.async_wait(boost::asio::use_awaitable);
    Record("on_worker_exit", std::to_string(ctx.State<Session>().opened_by));
  };
  h.on_worker_ready = [](WorkerContext&) { Record("on_worker_ready"); };
  h.pre_request = [](Request& req, WorkerContext&) -> std::optional<Response> {
    Record("pre_request", req.target());
    return std::nullopt;
  };
  h.post_request = [](const Request&, Response& res, WorkerContext&) {
    Record("post_request", std::to_string(res.status()));
  };
  h.on_worker_exit = [](WorkerContext& ctx) {
    Record("on_worker_exit", std::to_string(ctx.State<Session>().opened_by));
  };
  h.on_reload = [](MasterContext&) { Record("on_reload"); };
  h.on_starting = [&](MasterContext&) {
    Record("on_starting");
    if (async_hooks) {
      h.post_fork = async_post_fork;
      h.on_worker_exit = async_worker_exit;
    }
  };
  h.on_exit = [](MasterContext&) { Record("on_exit"); };
  app.Route("GET", "/", [](Request&, WorkerContext& ctx) {
    return Response(200, "session of " + std::to_string(ctx.State<Session>().opened_by) + "\n");
  });
  return Run(app, argc, argv);
}
