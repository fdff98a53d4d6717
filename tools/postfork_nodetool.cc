// postfork-nodetool: Cassandra's nodetool for postfork-node. The same command line (-h host
// -p port, subcommands and their arguments) and output, for the commands a single RocksDB node
// has a meaning for; it speaks the node's admin interface (HTTP/JSON, src/node/admin/) where
// nodetool speaks JMX.
//
// Exit status as nodetool's: 0 done, 1 a wrong use or no node to talk to, 2 the operation failed.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "postfork/base/ascii.h"

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::ip::tcp;

constexpr const char* kProgram = "postfork-nodetool";
constexpr const char* kVersion = "0.1.0";

// How a command ended, as nodetool's exit status.
enum Exit { kOk = 0, kWrongUse = 1, kFailed = 2 };

// nodetool prints a wrong use on stdout with a pointer to help, a failure on stderr.
Exit WrongUse(const std::string& message) {
  fmt::print("{}: {}\nSee '{} --help' or '{} <command> --help'.\n", kProgram, message, kProgram,
             kProgram);
  return kWrongUse;
}

Exit Failed(const std::string& message) {
  fmt::print(stderr, "error: {}\n", message);
  return kFailed;
}

struct Reply {
  Exit exit = kOk;  // kOk: body holds the answer
  json::object body;
};

// One request to the node's admin interface.
class AdminClient {
 public:
  AdminClient(std::string host, std::string port) : host_(std::move(host)), port_(std::move(port)) {}

  Reply Get(const std::string& target) { return Call(http::verb::get, target, {}); }
  Reply Post(const std::string& target, const json::object& args = {}) {
    return Call(http::verb::post, target, args);
  }

 private:
  Reply Call(http::verb method, const std::string& target, const json::object& args) {
    Reply reply;
    boost::asio::io_context io;
    tcp::socket socket(io);
    boost::system::error_code ec;
    auto endpoints = tcp::resolver(io).resolve(host_, port_, ec);
    if (!ec) boost::asio::connect(socket, endpoints, ec);
    if (ec) {
      fmt::print(stderr,
                 "{}: Failed to connect to '{}:{}' - {}: '{}'.\nIs postfork-node running there "
                 "with its admin interface on port {} (--admin-port; its ready line names the "
                 "port)? Choose the node with -h HOST -p PORT.\n",
                 kProgram, host_, port_,
                 ec == boost::asio::error::connection_refused ? "ConnectException" : "IOException",
                 ec.message(), port_);
      reply.exit = kWrongUse;
      return reply;
    }
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, host_);
    request.set(http::field::content_type, "application/json");
    if (method == http::verb::post) request.body() = json::serialize(args);
    request.prepare_payload();
    http::write(socket, request, ec);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    if (!ec) http::read(socket, buffer, parser, ec);
    if (ec) {
      reply.exit = Failed(fmt::format("the node at {}:{} did not answer: {}", host_, port_,
                                      ec.message()));
      return reply;
    }
    const auto& response = parser.get();
    json::value v = json::parse(response.body(), ec);
    if (ec || !v.is_object()) {
      reply.exit = Failed(fmt::format("{}:{} is not a postfork-node admin port (HTTP {})", host_,
                                      port_, response.result_int()));
      return reply;
    }
    reply.body = std::move(v.as_object());
    if (response.result() != http::status::ok) {
      const json::value* error = reply.body.if_contains("error");
      std::string message = error && error->is_string() ? std::string(error->as_string())
                                                        : "HTTP " + std::to_string(response.result_int());
      reply.exit = response.result() == http::status::bad_request ? WrongUse(message)
                                                                  : Failed(message);
    }
    return reply;
  }

  std::string host_, port_;
};

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

std::string JoinComma(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Cassandra's FileUtils.stringifyFileSize: two decimals at most, binary units.
std::string FileSize(double bytes) {
  static const std::pair<double, const char*> kUnits[] = {
      {1024.0 * 1024 * 1024 * 1024, "TiB"}, {1024.0 * 1024 * 1024, "GiB"},
      {1024.0 * 1024, "MiB"}, {1024.0, "KiB"}};
  const char* unit = "bytes";
  for (const auto& [size, name] : kUnits) {
    if (bytes >= size) {
      bytes /= size;
      unit = name;
      break;
    }
  }
  std::string number = fmt::format("{:.2f}", bytes);
  while (number.back() == '0') number.pop_back();
  if (number.back() == '.') number.pop_back();
  return number + " " + unit;
}

// Cassandra's TableBuilder: columns padded to their widest cell, joined by `delimiter`.
void PrintTable(const std::vector<std::vector<std::string>>& rows, const std::string& delimiter) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      cell.resize(std::max(cell.size(), widths[i]), ' ');
      line += cell;
      if (i + 1 < widths.size()) line += delimiter;
    }
    fmt::print("{}\n", line);
  }
}

std::string Str(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

int64_t Int(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return 0;
}

bool Bool(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_bool() && v->as_bool();
}

// Cassandra's DurationSpec: a number and a unit (d, h, m, s, ms, us, µs, ns); whole seconds here.
std::optional<int64_t> DurationSeconds(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  int64_t n = std::stoll(text.substr(0, digits));
  std::string unit = postfork::ascii::Lower(text.substr(digits));
  static const std::map<std::string, double> kSeconds = {
      {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6},
      {"µs", 1e-6}, {"ns", 1e-9}};
  auto it = kSeconds.find(unit);
  if (it == kSeconds.end()) return std::nullopt;
  return static_cast<int64_t>(static_cast<double>(n) * it->second);
}

// nodetool's options with several letters after one dash, as CLI11 spells them.
std::vector<std::string> NormalizeArgs(int argc, char** argv) {
  static const std::map<std::string, std::string> kAliases = {
      {"-kt", "--kt-list"}, {"-kc", "--kt-list"}, {"--kc.list", "--kt-list"},
      {"-cf", "--table"},   {"--column-family", "--table"}, {"-sf", "--skip-flush"},
      {"-nt", "--no-ttl"},  {"-pw", "--password"},  {"-pwf", "--password-file"},
      {"-pp", "--print-port"}};
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    auto it = kAliases.find(argv[i]);
    out.push_back(it == kAliases.end() ? argv[i] : it->second);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "postfork-nodetool: Cassandra's nodetool for postfork-node, over the node's admin "
      "interface (postfork-node --admin-port, default 7199)",
      kProgram};
  app.set_help_flag("--help", "Print this help and exit");
  app.set_version_flag("--version", std::string(kProgram) + " " + kVersion);
  app.require_subcommand(1);
  app.fallthrough();
  std::string host = "127.0.0.1", port = "7199", user, password, password_file;
  bool print_port = false;
  app.add_option("-h,--host", host, "Node hostname or ip address")->capture_default_str();
  app.add_option("-p,--port", port, "Admin port of the node")->capture_default_str();
  app.add_option("-u,--username", user, "Not supported: the admin interface has no login");
  app.add_option("--password", password, "Not supported: the admin interface has no login");
  app.add_option("--password-file", password_file, "Not supported");
  app.add_flag("--print-port", print_port, "Accepted for nodetool's command lines; no effect");

  std::vector<std::string> args;
  auto* flush = app.add_subcommand("flush", "Flush one or more tables (the memtable is shared: "
                                            "every table is flushed)");
  flush->add_option("keyspace_tables", args, "[<keyspace> <tables>...]");
  auto* compact = app.add_subcommand("compact", "Force a (major) compaction on one or more tables");
  compact->add_option("keyspace_tables", args, "[<keyspace> <tables>...]");

  auto* snapshot = app.add_subcommand(
      "snapshot", "Take a snapshot of specified keyspaces or a snapshot of the specified table");
  std::string tag = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  std::string table, kt_list, ttl;
  bool skip_flush = false;
  snapshot->add_option("keyspaces", args, "List of keyspaces. By default, all keyspaces");
  snapshot->add_option("-t,--tag", tag, "The name of the snapshot");
  snapshot->add_option("--table", table,
                       "The table name (you must specify one and only one keyspace for using this "
                       "option) (also -cf, --column-family)");
  snapshot->add_option("--kt-list", kt_list,
                       "The list of Keyspace.table to take snapshot (also -kt, -kc, --kc.list)");
  snapshot->add_flag("--skip-flush", skip_flush,
                     "Do not flush memtables before snapshotting (the snapshot then carries the "
                     "write-ahead log) (also -sf)");
  snapshot->add_option("--ttl", ttl, "Specify a TTL of created snapshot (e.g. 1h, 30m; at least 60s)");

  bool no_ttl = false, ephemeral = false;
  auto* listsnapshots = app.add_subcommand(
      "listsnapshots", "Lists all the snapshots along with the size on disk and true size");
  listsnapshots->add_flag("--no-ttl", no_ttl, "Skip snapshots with TTL (also -nt)");
  listsnapshots->add_flag("-e,--ephemeral", ephemeral, "Include ephemeral snapshots (none here)");

  auto* clearsnapshot = app.add_subcommand(
      "clearsnapshot", "Remove the snapshot with the given name from the given keyspaces");
  std::string clear_tag;
  bool clear_all = false;
  clearsnapshot->add_option("keyspaces", args, "Remove snapshots from the given keyspaces");
  clearsnapshot->add_option("-t", clear_tag, "Remove the snapshot with a given name");
  clearsnapshot->add_flag("--all", clear_all, "Removes all snapshots");

  bool force = false;
  auto* disablebinary = app.add_subcommand("disablebinary", "Disable native transport (binary protocol)");
  disablebinary->add_flag("-f,--force", force, "Accepted; connections are always closed at once");
  auto* enablebinary = app.add_subcommand("enablebinary", "Reenable native transport (binary protocol)");
  auto* statusbinary = app.add_subcommand("statusbinary", "Status of native transport (binary protocol)");
  auto* drain = app.add_subcommand(
      "drain", "Drain the node (stop accepting client connections and flush all tables)");
  bool tokens_flag = false;
  auto* info = app.add_subcommand("info", "Print node information (uptime, load, ...)");
  info->add_flag("-T,--tokens", tokens_flag, "Display all tokens");
  auto* status = app.add_subcommand("status", "Print cluster information (state, load, IDs, ...)");
  bool verbose = false;
  auto* version = app.add_subcommand("version", "Print the Cassandra version the node reports");
  version->add_flag("-v,--verbose", verbose, "Include additional information");

  std::vector<std::string> normalized = NormalizeArgs(argc, argv);
  std::reverse(normalized.begin(), normalized.end());  // CLI11 takes them last first
  try {
    app.parse(normalized);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A word where the command goes that is no command: say so, as nodetool does.
    static const std::set<std::string> kTakesValue = {"-h", "--host", "-p", "--port", "-u",
                                                      "--username", "--password", "--password-file"};
    for (int i = 1; i < argc; ++i) {
      std::string word = argv[i];
      if (kTakesValue.count(word)) {
        ++i;
        continue;
      }
      if (word.empty() || word[0] == '-') continue;
      if (app.get_subcommands([&](CLI::App* c) { return c->check_name(word); }).empty()) {
        return WrongUse("Command '" + word + "' not recognized");
      }
      break;
    }
    return WrongUse(e.what());
  }
  if (!user.empty() || !password.empty() || !password_file.empty()) {
    return WrongUse("the admin interface has no login: leave out -u, -pw and -pwf");
  }

  AdminClient client(host, port);
  auto keyspace_tables = [&](const std::string& target) -> int {
    json::object a;
    if (!args.empty()) {
      a["keyspace"] = args.front();
      a["tables"] = Strings(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    return client.Post(target, a).exit;
  };

  if (flush->parsed()) return keyspace_tables("/v1/flush");
  if (compact->parsed()) return keyspace_tables("/v1/compact");
  if (snapshot->parsed()) {
    std::string options = fmt::format("{{skipFlush={}", skip_flush ? "true" : "false");
    std::optional<int64_t> ttl_seconds;
    if (!ttl.empty()) {
      ttl_seconds = DurationSeconds(ttl);
      if (!ttl_seconds) {
        return Failed("Invalid duration: " + ttl +
                      " Accepted units:[NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS, "
                      "MINUTES, HOURS, DAYS] where case matters and only non-negative values.");
      }
      options += ", ttl=" + ttl;
    }
    options += "}";
    if (tag.find(':') != std::string::npos) return Failed("Snapshot name cannot contain :");
    json::object a;
    a["tag"] = tag;
    a["skip_flush"] = skip_flush;
    if (ttl_seconds) a["ttl_seconds"] = *ttl_seconds;
    std::string what;
    if (!kt_list.empty()) {
      std::erase(kt_list, ' ');
      if (!args.empty() || !table.empty()) {
        return Failed(
            "When specifying the Keyspace table list (using -kt,--kt-list,-kc,--kc.list), you "
            "must not also specify keyspaces to snapshot");
      }
      std::vector<std::string> entries;
      for (size_t start = 0; start <= kt_list.size();) {
        size_t comma = kt_list.find(',', start);
        if (comma == std::string::npos) comma = kt_list.size();
        if (comma > start) entries.push_back(kt_list.substr(start, comma - start));
        start = comma + 1;
      }
      a["kt_list"] = Strings(entries);
      what = "[" + kt_list + "]";
    } else {
      what = args.empty() ? "[all keyspaces]" : "[" + JoinComma(args) + "]";
      if (!table.empty() && args.size() != 1) {
        fmt::print("Requested creating snapshot(s) for {} with snapshot name [{}] and options {}\n",
                   what, tag, options);
        return Failed(
            "When specifying the table for a snapshot, you must specify one and only one "
            "keyspace");
      }
      a["keyspaces"] = Strings(args);
      a["table"] = table;
    }
    fmt::print("Requested creating snapshot(s) for {}{} and options {}\n", what,
               tag.empty() ? "" : " with snapshot name [" + tag + "]", options);
    std::fflush(stdout);
    Reply r = client.Post("/v1/snapshot", a);
    if (r.exit != kOk) return r.exit;
    fmt::print("Snapshot directory: {}\n", tag);
    return kOk;
  }
  if (listsnapshots->parsed()) {
    fmt::print("Snapshot Details: \n");
    std::fflush(stdout);
    Reply r = client.Get("/v1/snapshots");
    if (r.exit != kOk) return r.exit;
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"Snapshot name", "Keyspace name", "Column family name", "True size",
                    "Size on disk", "Creation time", "Expiration time"});
    if (ephemeral) rows.back().push_back("Ephemeral");
    uint64_t true_total = 0;
    const json::value* list = r.body.if_contains("snapshots");
    if (list && list->is_array()) {
      for (const json::value& v : list->as_array()) {
        const json::object& s = v.as_object();
        std::string expires = Str(s, "expires_at");
        if (no_ttl && !expires.empty()) continue;
        true_total += static_cast<uint64_t>(Int(s, "true_size"));
        for (const json::value& t : s.at("tables").as_array()) {
          rows.push_back({Str(s, "tag"), std::string(t.as_array()[0].as_string()),
                          std::string(t.as_array()[1].as_string()),
                          FileSize(static_cast<double>(Int(s, "true_size"))),
                          FileSize(static_cast<double>(Int(s, "size_on_disk"))),
                          Str(s, "created_at"), expires});
          if (ephemeral) rows.back().push_back("false");
        }
      }
    }
    if (rows.size() == 1) {
      fmt::print("There are no snapshots\n");
      return kOk;
    }
    PrintTable(rows, " ");
    fmt::print("\nTotal TrueDiskSpaceUsed: {}\n\n", FileSize(static_cast<double>(true_total)));
    return kOk;
  }
  if (clearsnapshot->parsed()) {
    if (clear_tag.empty() && !clear_all) return WrongUse("Specify snapshot name or --all");
    if (!clear_tag.empty() && clear_all) return WrongUse("Specify only one of snapshot name or --all");
    fmt::print("Requested clearing snapshot(s) for {} with {}\n",
               args.empty() ? "[all keyspaces]" : "[" + JoinComma(args) + "]",
               clear_tag.empty() ? "[all snapshots]" : "snapshot name [" + clear_tag + "]");
    std::fflush(stdout);
    json::object a;
    a["tag"] = clear_tag;
    a["all"] = clear_all;
    a["keyspaces"] = Strings(args);
    return client.Post("/v1/clearsnapshot", a).exit;
  }
  if (disablebinary->parsed()) return client.Post("/v1/disablebinary").exit;
  if (enablebinary->parsed()) return client.Post("/v1/enablebinary").exit;
  if (drain->parsed()) return client.Post("/v1/drain").exit;

  // The rest read the node's state.
  Reply r = client.Get("/v1/info");
  if (r.exit != kOk) return r.exit;
  const json::object& n = r.body;
  if (statusbinary->parsed()) {
    fmt::print("{}\n", Bool(n, "native_transport_active") ? "running" : "not running");
    return kOk;
  }
  if (version->parsed()) {
    fmt::print("ReleaseVersion: {}\n", Str(n, "release_version"));
    if (verbose) fmt::print("postfork-node admin interface, {} {}\n", kProgram, kVersion);
    return kOk;
  }
  const json::array& tokens = n.at("tokens").as_array();
  std::string load = FileSize(static_cast<double>(Int(n, "load_bytes")));
  if (info->parsed()) {
    auto line = [](const char* name, const std::string& value) {
      fmt::print("{:<23}: {}\n", name, value);
    };
    line("ID", Str(n, "host_id"));
    line("Gossip active", "false");
    line("Native Transport active", Bool(n, "native_transport_active") ? "true" : "false");
    line("Load", load);
    line("Generation No", std::to_string(Int(n, "generation")));
    line("Uptime (seconds)", std::to_string(Int(n, "uptime_seconds")));
    line("Data Center", Str(n, "data_center"));
    line("Rack", Str(n, "rack"));
    if (tokens.size() == 1 || tokens_flag) {
      for (const json::value& t : tokens) line("Token", std::string(t.as_string()));
    } else {
      line("Token", fmt::format("(invoke with -T/--tokens to see all {} tokens)", tokens.size()));
    }
    return kOk;
  }
  if (status->parsed()) {
    std::string header = "Datacenter: " + Str(n, "data_center");
    fmt::print("{}\n{}\n", header, std::string(header.size(), '='));
    fmt::print("Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n");
    PrintTable({{"--", "Address", "Load", "Tokens", "Owns (effective)", "Host ID", "Rack"},
                {"UN", Str(n, "listen_address"), load, std::to_string(tokens.size()), "100.0%",
                 Str(n, "host_id"), Str(n, "rack")}},
               "  ");
    fmt::print("\n");
    return kOk;
  }
  return WrongUse("no command given");
}
