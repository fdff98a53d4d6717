// postfork-cql: an interactive and scriptable CQL shell on the postfork driver.
#include <editline/readline.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cql_shell.h"

namespace {

using postfork::tools::OutputFormat;
using postfork::tools::Shell;
using postfork::tools::StatementSplitter;

// Runs every statement of `text`; returns false if any failed.
bool RunScript(Shell& shell, std::istream& in) {
  StatementSplitter splitter;
  bool ok = true;
  std::string line;
  while (!shell.exit_requested() && std::getline(in, line)) {
    for (auto& st : splitter.AddLine(line)) {
      ok = shell.Run(st) && ok;
      if (shell.exit_requested()) return ok;
    }
  }
  std::string rest = splitter.TakeRest();
  if (!rest.empty() && !shell.exit_requested()) ok = shell.Run(rest) && ok;
  return ok;
}

void RunInteractive(Shell& shell) {
  std::string history;
  if (const char* home = std::getenv("HOME"))
    history = std::string(home) + "/.postfork_cql_history";
  using_history();
  if (!history.empty()) read_history(history.c_str());
  StatementSplitter splitter;
  std::string entry;
  while (!shell.exit_requested()) {
    std::string prompt = splitter.pending() ? "   ... " : shell.prompt();
    char* raw = readline(prompt.c_str());
    if (!raw) {  // Ctrl-D
      std::fputs("\n", stdout);
      break;
    }
    std::string line(raw);
    std::free(raw);
    if (!entry.empty()) entry += "\n";
    entry += line;
    for (auto& st : splitter.AddLine(line)) {
      shell.Run(st);
      if (shell.exit_requested()) break;
    }
    if (!splitter.pending()) {
      if (entry.find_first_not_of(" \t") != std::string::npos) add_history(entry.c_str());
      entry.clear();
    }
  }
  if (!history.empty()) write_history(history.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"postfork-cql: a CQL shell for Cassandra-compatible nodes (postfork's driver)"};
  app.set_version_flag("--version", std::string("postfork-cql 0.1.0 (native protocol v4)"));
  std::string host = "127.0.0.1";
  uint16_t port = 9042;
  std::string keyspace, user, password, execute, file, format = "table";
  bool ssl = false, timing = false;
  int connect_timeout_ms = 5000, request_timeout_ms = 12000;
  app.add_option("--host", host, "Node address (IP)")->capture_default_str();
  app.add_option("--port", port, "CQL native port")->capture_default_str();
  app.add_option("-k,--keyspace", keyspace, "Keyspace to USE after connecting");
  app.add_option("-u,--username", user, "User name (SASL PLAIN)");
  app.add_option("-p,--password", password, "Password");
  app.add_flag("--ssl", ssl, "Connect with TLS (verification: SSL_CERTFILE=ca.pem, else off)");
  app.add_option("-e,--execute", execute, "Run these statements and exit");
  app.add_option("-f,--file", file, "Run the statements of this file and exit");
  app.add_option("--format", format, "Output format for rows")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  app.add_flag("--timing", timing, "Print session-ready and per-statement times to stderr");
  app.add_option("--connect-timeout", connect_timeout_ms, "Connect timeout, ms")
      ->capture_default_str();
  app.add_option("--request-timeout", request_timeout_ms, "Request timeout, ms")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  postfork::driver::SessionOptions options;
  options.contact_points = {host};
  options.port = port;
  options.keyspace = keyspace;
  options.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  options.request_timeout = std::chrono::milliseconds(request_timeout_ms);
  options.consistency = postfork::cql::Consistency::kOne;
  if (!user.empty()) options.credentials = postfork::driver::Credentials{user, password};
  if (ssl) {
    options.tls.enabled = true;
    const char* ca = std::getenv("SSL_CERTFILE");
    options.tls.verify_peer = ca != nullptr;
    if (ca) options.tls.ca_file = ca;
  }

  auto t0 = std::chrono::steady_clock::now();
  auto session = postfork::driver::BlockingSession::Connect(options);
  if (!session.ok()) {
    fmt::print(stderr, "postfork-cql: {}\n", session.status().ToString());
    return 2;
  }
  if (timing) {
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    fmt::print(stderr, "session ready in {:.3f} ms\n", ms);
  }
  OutputFormat fmt_kind = format == "json"  ? OutputFormat::kJson
                          : format == "csv" ? OutputFormat::kCsv
                                            : OutputFormat::kTable;
  Shell shell(*session, fmt_kind, stdout, stderr, timing);
  bool ok = true;
  if (!execute.empty()) {
    std::istringstream in(execute);
    ok = RunScript(shell, in);
  } else if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      fmt::print(stderr, "postfork-cql: cannot read {}\n", file);
      return 2;
    }
    ok = RunScript(shell, in);
  } else if (::isatty(STDIN_FILENO)) {
    RunInteractive(shell);
  } else {
    ok = RunScript(shell, std::cin);
  }
  session->Close();
  return ok ? 0 : 1;
}
