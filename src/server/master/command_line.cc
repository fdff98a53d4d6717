#include "server/master/command_line.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "postfork/base/ascii.h"

namespace postfork::server::master {
namespace {

// Reads the --config file with toml++ (CLI11's own reader is not a full TOML parser). Keys are
// flag names; '_' may stand for '-'; tables become dotted names. A key whose environment
// variable is set is dropped, so that the environment overrides the file (CLI11 itself would
// let the file win).
class TomlConfig : public CLI::Config {
 public:
  explicit TomlConfig(const CLI::App* app) : app_(app) {}

  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return {}; }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> items;
    toml::table table;
    try {
      table = toml::parse(input);
    } catch (const toml::parse_error& e) {
      throw CLI::ConversionError("config file: " + std::string(e.description()) + " at line " +
                                 std::to_string(e.source().begin.line));
    }
    Walk(table, {}, items);
    std::erase_if(items, [this](const CLI::ConfigItem& item) {
      if (!item.parents.empty()) return false;
      const CLI::Option* option = app_->get_option_no_throw("--" + item.name);
      return option != nullptr && !option->get_envname().empty() &&
             std::getenv(option->get_envname().c_str()) != nullptr;
    });
    return items;
  }

 private:
  const CLI::App* app_;

  static std::string Scalar(const toml::node& node) {
    if (auto s = node.value<std::string>()) return *s;
    if (auto b = node.value_exact<bool>()) return *b ? "true" : "false";
    if (auto i = node.value_exact<int64_t>()) return std::to_string(*i);
    if (auto d = node.value_exact<double>()) {
      std::ostringstream out;
      out << *d;
      return out.str();
    }
    throw CLI::ConversionError("config file: unsupported value type");
  }

  static void Walk(const toml::table& table, std::vector<std::string> parents,
                   std::vector<CLI::ConfigItem>& items) {
    for (const auto& [key, node] : table) {
      std::string name(key.str());
      std::replace(name.begin(), name.end(), '_', '-');
      if (const toml::table* sub = node.as_table()) {
        auto nested = parents;
        nested.push_back(name);
        Walk(*sub, nested, items);
        continue;
      }
      CLI::ConfigItem item;
      item.parents = parents;
      item.name = name;
      if (const toml::array* array = node.as_array()) {
        for (const toml::node& element : *array) item.inputs.push_back(Scalar(element));
      } else {
        item.inputs.push_back(Scalar(node));
      }
      items.push_back(std::move(item));
    }
  }
};

std::string EnvName(const std::string& flag) {
  std::string env = "POSTFORK_";
  for (char c : flag) env.push_back(c == '-' ? '_' : ascii::ToUpper(c));
  return env;
}

}  // namespace

std::optional<int> ParseCommandLine(App& app, int argc, char** argv, ServerOptions& o) {
  CLI::App cli("postfork application server: " + app.name());
  cli.config_formatter(std::make_shared<TomlConfig>(&cli));
  cli.set_config("--config", "", "TOML file with any of these settings (keys = flag names)");
  cli.add_option("-b,--bind", o.bind, "listen on host:port, [v6]:port or unix:/path (repeatable)");
  cli.add_option("-w,--workers", o.workers, "worker processes (0 = number of cores)")
      ->check(CLI::Range(0, 128));
  cli.add_flag("--preload", o.preload, "run the preload hook in the master before fork");
  cli.add_option("--harakiri", o.harakiri, "kill a worker whose request runs longer (s, 0 = off)")
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--max-requests", o.max_requests, "recycle a worker after N requests (0 = off)");
  cli.add_option("--max-requests-jitter", o.max_requests_jitter, "random 0..N added per worker");
  cli.add_option("--reload-on-rss", o.reload_on_rss,
                 "recycle a worker above this RSS (MiB, 0 = off)");
  cli.add_option("--graceful-timeout", o.graceful_timeout, "seconds to finish in-flight requests")
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--stats", o.stats,
                 "stats listener host:port (JSON at /, Prometheus at /metrics)");
  cli.add_option("--access-log", o.access_log, "access log file, '-' for stderr");
  cli.add_option("--access-log-format", o.access_log_format, "common or json")
      ->check(CLI::IsMember({"common", "json"}));
  cli.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  cli.add_option("--max-header-bytes", o.max_header_bytes, "request line + headers limit (431)")
      ->check(CLI::Range(256, 1 << 20));
  cli.add_option("--max-body-bytes", o.max_body_bytes, "request body limit (413)");
  cli.add_option("--header-timeout", o.header_timeout, "seconds to receive a request (408)")
      ->check(CLI::PositiveNumber);
  cli.add_option("--keepalive-timeout", o.keepalive_timeout,
                 "seconds an idle connection stays open")
      ->check(CLI::PositiveNumber);
  cli.add_option("--backlog", o.backlog, "listen backlog")->check(CLI::Range(1, 65535));
  cli.add_option("--respawn-backoff", o.respawn_backoff, "first respawn delay after a failure (s)")
      ->check(CLI::PositiveNumber);
  cli.add_option("--respawn-backoff-max", o.respawn_backoff_max, "respawn delay cap (s)")
      ->check(CLI::PositiveNumber);
  for (const auto& add : app.option_adders()) add(cli);
  for (CLI::Option* option : cli.get_options()) {
    if (!option->get_envname().empty() || option->get_lnames().empty()) continue;
    const std::string& name = option->get_lnames().front();
    if (name == "help" || name == "config") continue;
    option->envname(EnvName(name));
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  if (o.workers == 0) o.workers = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  if (o.bind.empty()) {
    std::cerr << "at least one --bind address is required\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace postfork::server::master
