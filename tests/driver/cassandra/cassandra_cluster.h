// A real Apache Cassandra cluster for a test binary, run by scripts/cassandra.sh (the project's
// one launcher): started once, nodes killed and restarted by the tests, stopped at the end.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace postfork::driver::testing {

class CassandraCluster {
 public:
  struct Options {
    int nodes = 3;
    int dcs = 2;                             // the script's split: 3 nodes are dc1: 1,2; dc2: 3
    std::string address_base = "127.0.0.1";  // node i gets the last octet + i - 1
    bool jmx = false;                        // nodetool (decommission, ...) through JMX
  };

  CassandraCluster() {
    char tmpl[] = "/tmp/postfork-cassandra-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~CassandraCluster() {
    if (attached_) return;
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  CassandraCluster(const CassandraCluster&) = delete;
  CassandraCluster& operator=(const CassandraCluster&) = delete;

  // Starts every node on free ports and returns once CQL answers on each and the nodes agree
  // on peers and schema; false with `error` (the script's output) otherwise.
  bool Start(const Options& options, std::string* error) {
    options_ = options;
    nodes_ = options.nodes;
    port_ = FreePort();
    uint16_t storage = FreePort();
    std::string cmd = Script() + " start --fresh --dir " + dir_ + " --nodes " +
                      std::to_string(options.nodes) + " --dcs " + std::to_string(options.dcs) +
                      " --address-base " + options.address_base + " --native-port " +
                      std::to_string(port_) + " --storage-port " + std::to_string(storage) +
                      " --heap 384M";
    if (options.jmx) cmd += " --jmx-port " + std::to_string(FreePortRun(options.nodes + 2));
    started_ = true;
    return Run(cmd, error);
  }

  // Uses the running cluster of `dir` (a ctest fixture's), which stays up afterwards.
  bool Attach(const std::string& dir, std::string* error) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_ = dir;
    attached_ = true;
    std::string env;
    if (!Run(Script() + " env --dir " + dir_, &env)) return *error = env, false;
    std::map<std::string, std::string> settings;  // KEY=VALUE lines
    std::istringstream lines(env);
    for (std::string line; std::getline(lines, line);)
      if (size_t eq = line.find('='); eq != std::string::npos)
        settings[line.substr(0, eq)] = line.substr(eq + 1);
    auto value = [&settings](const std::string& key) { return settings[key]; };
    try {
      nodes_ = std::stoi(value("NODES"));
      options_.nodes = nodes_;
      options_.address_base = value("ADDRESS_BASE");
      port_ = static_cast<uint16_t>(std::stoi(value("NATIVE_PORT")));
    } catch (const std::exception&) {
      return *error = "cannot read the cluster settings of " + dir_ + ": " + env, false;
    }
    return true;
  }

  // kill -9 of node `i` (1-based): no clean shutdown, sockets reset by the kernel.
  bool Kill(int i) {
    std::string out;
    return Run(Script() + " kill-node " + std::to_string(i) + " --dir " + dir_, &out);
  }

  // Starts node `i` again (same data, address and port) and waits until CQL answers there and
  // the cluster has settled.
  bool StartNode(int i, std::string* error) {
    return Run(Script() + " start-node " + std::to_string(i) + " --dir " + dir_, error);
  }

  // Adds a node to datacenter `dc` (it joins the ring); returns its number, 0 on failure.
  int AddNode(const std::string& dc, std::string* error) {
    if (!Run(Script() + " add-node --dc " + dc + " --dir " + dir_, error)) return 0;
    return ++nodes_;
  }

  // nodetool against node `i` (needs Options::jmx).
  bool Nodetool(int i, const std::string& args, std::string* output) {
    return Run(Script() + " nodetool " + std::to_string(i) + " --dir " + dir_ + " " + args, output);
  }

  void Stop() {
    if (!started_) return;
    started_ = false;
    std::string ignored;
    Run(Script() + " stop --dir " + dir_, &ignored);
  }

  std::string Address(int i) const {
    size_t dot = options_.address_base.rfind('.');
    int last = std::stoi(options_.address_base.substr(dot + 1)) + i - 1;
    return options_.address_base.substr(0, dot + 1) + std::to_string(last);
  }
  uint16_t port() const { return port_; }
  int nodes() const { return nodes_; }
  const std::string& dir() const { return dir_; }

 private:
  static std::string Script() {
    const char* s = std::getenv("POSTFORK_CASSANDRA_SH");
    return s ? s : POSTFORK_CASSANDRA_SH;
  }

  // Runs `cmd`, collecting its output into `*output`; true on exit status 0.
  static bool Run(const std::string& cmd, std::string* output) {
    output->clear();
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return false;
    char buf[4096];
    size_t n;
    while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
    int status = ::pclose(p);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  static bool PortFree(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  static uint16_t FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  // The first of `count` consecutive free ports.
  static uint16_t FreePortRun(int count) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      uint16_t first = FreePort();
      bool ok = first + count < 65535;
      for (int k = 1; ok && k < count; ++k) ok = PortFree(static_cast<uint16_t>(first + k));
      if (ok) return first;
    }
    return 0;
  }

  std::string dir_;
  Options options_;
  int nodes_ = 0;
  uint16_t port_ = 0;
  bool started_ = false;
  bool attached_ = false;
};

}  // namespace postfork::driver::testing
