// Starts the real postfork-node on a free port with a temporary data directory, and stops it
// (SIGTERM, then SIGKILL) when the object goes away, also when a test fails.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace postfork::driver::testing {

class NodeProcess {
 public:
  NodeProcess() {
    char tmpl[] = "/tmp/postfork-driver-test-XXXXXX";
    data_dir_ = ::mkdtemp(tmpl);
  }
  ~NodeProcess() {
    Kill(SIGTERM);
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Flags added to the node's command line from the next Start() on (e.g. --authenticator).
  void SetExtraArgs(std::vector<std::string> args) { extra_args_ = std::move(args); }

  // Starts the node (on the same port and data directory after the first start). Returns
  // false with `error` set when it did not report ready within 60 s.
  bool Start(std::string* error) {
    int out[2];
    if (::pipe(out) != 0) return *error = "pipe failed", false;
    std::string port_arg = std::to_string(port_);
    std::string metrics_arg = "127.0.0.1:" + std::to_string(metrics_port_);
    // POSTFORK_NODE_BIN in the environment overrides the binary built alongside the test.
    const char* bin = std::getenv("POSTFORK_NODE_BIN");
    if (!bin) bin = POSTFORK_NODE_BIN;
    std::vector<std::string> args = {bin,          "--listen", "127.0.0.1", "--port",   port_arg,
                                     "--data-dir", data_dir_,  "--metrics", metrics_arg};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      // A test process that dies (a crash, a signal) takes its node along, so nothing keeps
      // ctest's output pipes open.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      ::execv(bin, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char buf[512];
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<size_t>(n));
        // "postfork-node ready: listening for CQL clients on 127.0.0.1:PORT metrics on port M"
        size_t at = text.find("listening for CQL clients on ");
        size_t eol = at == std::string::npos ? at : text.find('\n', at);
        if (eol != std::string::npos) {
          std::string line = text.substr(at, eol - at);
          port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':', line.find(" metrics")) + 1)));
          size_t m = line.find("metrics on port ");
          if (m != std::string::npos) metrics_port_ = static_cast<uint16_t>(std::stoi(line.substr(m + 16)));
          ::close(out[0]);
          return true;
        }
      }
    }
    ::close(out[0]);
    *error = "postfork-node did not become ready: " + text;
    Kill(SIGKILL);
    return false;
  }

  // Stops the node: SIGTERM (clean) or SIGKILL (crash).
  void Kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  uint16_t port() const { return port_; }
  // Statements counted by the node per keyspace.table (its --metrics endpoint).
  std::map<std::string, long> TableStatements() const {
    std::map<std::string, long> out;
    std::string body = HttpGet(metrics_port_, "/metrics");
    // postfork_node_table_statements_total{keyspace="ks",table="t"} N
    const std::string prefix = "postfork_node_table_statements_total{keyspace=\"";
    size_t at = 0;
    while ((at = body.find(prefix, at)) != std::string::npos) {
      size_t ks_end = body.find('"', at + prefix.size());
      size_t t_begin = body.find("table=\"", ks_end) + 7;
      size_t t_end = body.find('"', t_begin);
      size_t n_begin = body.find("} ", t_end) + 2;
      out[body.substr(at + prefix.size(), ks_end - at - prefix.size()) + "." +
          body.substr(t_begin, t_end - t_begin)] = std::stol(body.substr(n_begin));
      at = n_begin;
    }
    return out;
  }
  long SystemTableStatements() const {
    long n = 0;
    for (auto& [k, v] : TableStatements())
      if (k.rfind("system.", 0) == 0 || k.rfind("system_schema.", 0) == 0) n += v;
    return n;
  }

  static std::string HttpGet(uint16_t port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
      if (::write(fd, req.data(), req.size()) > 0) {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
      }
    }
    ::close(fd);
    return out;
  }

 private:
  std::vector<std::string> extra_args_;
  std::string data_dir_;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace postfork::driver::testing
