#include "postfork/server/app.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "server/http/router.h"
#include "server/master/command_line.h"
#include "server/master/master.h"

namespace postfork::server {

App& App::Route(std::string_view method, std::string_view pattern, Handler handler) {
  routes_.push_back({std::string(method), std::string(pattern), std::move(handler)});
  return *this;
}

App& App::AddOptions(std::function<void(CLI::App&)> add) {
  adders_.push_back(std::move(add));
  return *this;
}

int Run(App& app, int argc, char** argv) {
  ServerOptions options;
  if (auto code = master::ParseCommandLine(app, argc, argv, options)) return *code;
  auto logger = spdlog::stderr_color_mt("postfork");
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%P] %^%l%$: %v");
  logger->set_level(spdlog::level::from_str(options.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  MasterContext context(options);
  if (app.hooks().on_starting) app.hooks().on_starting(context);
  http::Router router;
  for (const RouteEntry& route : app.routes()) {
    Status s = router.Add(route);
    if (!s.ok()) {
      spdlog::error("invalid route: {}", s.message());
      return 2;
    }
  }
  master::Master master(app, options, router);
  return master.Run();
}

}  // namespace postfork::server
