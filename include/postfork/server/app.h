// An application on the postfork server: routes, hooks and extra settings, then Run().
//
//   postfork::server::App app("hello");
//   app.Route("GET", "/rows/{key}", [](Request& req, WorkerContext& ctx) -> awaitable<Response> {
//     co_return Response(200, std::string(*req.PathParam("key")));
//   });
//   app.hooks().post_fork = [](WorkerContext& ctx) { return OpenSession(ctx); };
//   return postfork::server::Run(app, argc, argv);
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "postfork/base/status.h"
#include "postfork/server/context.h"
#include "postfork/server/options.h"
#include "postfork/server/request.h"
#include "postfork/server/response.h"

namespace CLI {
class App;
}

namespace postfork::server {

// A callable that is either a plain function returning R or a C++20 coroutine returning
// boost::asio::awaitable<R>, which the worker runs on its io_context.
template <class R, class... Args>
class SyncOrAsync {
 public:
  using Sync = std::function<R(Args...)>;
  using Async = std::function<boost::asio::awaitable<R>(Args...)>;

  SyncOrAsync() = default;
  template <class F>
  requires std::invocable<F&, Args...> &&(!std::is_same_v<std::decay_t<F>, SyncOrAsync>)
      SyncOrAsync(F f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
    if constexpr (std::is_same_v<std::invoke_result_t<F&, Args...>, boost::asio::awaitable<R>>) {
      async_ = std::move(f);
    } else {
      sync_ = std::move(f);
    }
  }

  explicit operator bool() const { return sync_ || async_; }
  bool is_async() const { return static_cast<bool>(async_); }
  const Sync& sync() const { return sync_; }
  const Async& async() const { return async_; }

 private:
  Sync sync_;
  Async async_;
};

using Handler = SyncOrAsync<Response, Request&, WorkerContext&>;

// Lifecycle hooks, in the order they run. Every hook is optional.
struct Hooks {
  // Master, once, after the settings are parsed and before the listeners are bound. Routes may
  // still be added here (e.g. depending on an app flag).
  std::function<void(MasterContext&)> on_starting;
  // Loads the app: with --preload in the master before any fork (keep no sockets open),
  // otherwise in each worker right after fork, before post_fork. A failure stops the master
  // (preload) or fails the worker like post_fork.
  std::function<Status(const ServerOptions&)> preload;
  // Master, before each fork, with the id of the worker about to start.
  std::function<void(MasterContext&, int worker_id)> pre_fork;
  // Worker, right after fork, before it accepts any connection: open database sessions here
  // (keep them with WorkerContext::EmplaceState). A failure is logged, the worker exits and the
  // master respawns it with capped exponential backoff.
  SyncOrAsync<Status, WorkerContext&> post_fork;
  // Worker, once it accepts connections.
  std::function<void(WorkerContext&)> on_worker_ready;
  // Worker, before the handler. Returning a response answers the request without the handler.
  std::function<std::optional<Response>(Request&, WorkerContext&)> pre_request;
  // Worker, after the handler, before the response is written.
  std::function<void(const Request&, Response&, WorkerContext&)> post_request;
  // Worker, on a graceful exit after the last in-flight request: close sessions here.
  SyncOrAsync<void, WorkerContext&> on_worker_exit;
  // Master, when a reload (SIGHUP) begins.
  std::function<void(MasterContext&)> on_reload;
  // Master, once, after the last worker exited.
  std::function<void(MasterContext&)> on_exit;
};

struct RouteEntry {
  std::string method;
  std::string pattern;
  Handler handler;
};

class App {
 public:
  explicit App(std::string name) : name_(std::move(name)) {}
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Routes `method` requests whose path matches `pattern` to `handler`. A pattern is a path
  // whose segments may be parameters: "/rows/{key}". HEAD is served by the GET route when no
  // HEAD route exists. Invalid patterns are reported by Run() before anything starts.
  App& Route(std::string_view method, std::string_view pattern, Handler handler);
  Hooks& hooks() { return hooks_; }
  // Adds app-defined flags to the server's parser. They are also keys of the --config file and,
  // unless given their own envname, environment variables POSTFORK_<NAME>.
  App& AddOptions(std::function<void(CLI::App&)> add);

  const std::string& name() const { return name_; }
  const std::vector<RouteEntry>& routes() const { return routes_; }
  const std::vector<std::function<void(CLI::App&)>>& option_adders() const { return adders_; }

 private:
  std::string name_;
  std::vector<RouteEntry> routes_;
  Hooks hooks_;
  std::vector<std::function<void(CLI::App&)>> adders_;
};

// Parses the command line (and --config FILE, and the environment), binds the listeners, forks
// the workers and supervises them until stopped. Returns the process exit status. In a worker
// process it does not return: the worker exits when it is done.
int Run(App& app, int argc, char** argv);

}  // namespace postfork::server
