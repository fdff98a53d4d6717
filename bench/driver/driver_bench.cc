// Whole-system driver benchmarks against a running node (see session_ready.sh):
//   driver_bench ready --port P --keyspace KS --iterations N [--protocol negotiate|4|5]
//       session-ready time, cold and from a snapshot: p50/p99 in ms
//   driver_bench fork --port P --keyspace KS --workers N [--protocol ...]
//       the connect a prefork worker makes: a master takes a warm-up snapshot (one prepared
//       statement), then forks N workers one after another; each measures from its first
//       instruction after fork to a session that can execute (and its first query, and the page
//       faults it took on the way). p50/p99 in ms over the N workers. --floor interleaves as
//       many workers that only connect a raw socket and exchange STARTUP/READY: the floor.
//       --schema: the master's snapshot also holds the keyspace's tables and columns
//       (fetches.schema_keyspaces), as a service that reads table metadata has it.
//   driver_bench first --port P --keyspace KS [--protocol ...]
//       the first session of this (fresh) process, then a second one: wall and CPU ms, and the
//       page faults each took
//   driver_bench throughput --port P --keyspace KS --seconds S --inflight 256 [--protocol ...]
//       prepared single-row SELECT from one thread: ops/s, client CPU us/request,
//       heap allocations/request (and the protocol version the session speaks)
// Output: one "key value" per line, for the script to compare.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "postfork/driver/blocking.h"
#include "postfork/driver/session.h"

// Counts every heap allocation of the process (single-threaded benchmark).
static std::atomic<uint64_t> g_allocations{0};
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace {

using namespace postfork;
using namespace postfork::driver;
using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[i];
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int Ready(SessionOptions options, int iterations) {
  std::vector<double> cold, warm;
  // Cold: from nothing to a session bound to the keyspace, each on a fresh io_context.
  for (int i = 0; i < iterations; ++i) {
    boost::asio::io_context io;
    auto t0 = Clock::now();
    std::optional<Result<Session>> s;
    Session::Connect(io, options, [&](Result<Session> r) { s.emplace(std::move(r)); });
    while (!s) io.run_one();
    cold.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!s->ok()) {
      std::fprintf(stderr, "connect: %s\n", s->status().ToString().c_str());
      return 1;
    }
    (*s)->Close();
    io.poll();
  }
  auto snap = TakeSnapshot(options, {});
  if (!snap.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", snap.status().ToString().c_str());
    return 1;
  }
  for (int i = 0; i < iterations; ++i) {
    boost::asio::io_context io;
    auto t0 = Clock::now();
    std::optional<Result<Session>> s;
    Session::ConnectFromSnapshot(io, *snap, [&](Result<Session> r) { s.emplace(std::move(r)); });
    while (!s) io.run_one();
    warm.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!s->ok()) {
      std::fprintf(stderr, "snapshot connect: %s\n", s->status().ToString().c_str());
      return 1;
    }
    (*s)->Close();
    io.poll();
  }
  std::printf("cold_p50_ms %.4f\ncold_p99_ms %.4f\nsnapshot_p50_ms %.4f\nsnapshot_p99_ms %.4f\n",
              Percentile(cold, 0.5), Percentile(cold, 0.99), Percentile(warm, 0.5),
              Percentile(warm, 0.99));
  return 0;
}

long MinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

double CpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// What one forked worker reports back through the pipe.
struct WorkerTimes {
  double fork_ms;       // parent's fork() call to the child's first instruction
  double ready_ms;      // child's first instruction to a session that can execute
  double query_ms;      // then its first query (a prepared single-row SELECT)
  double ready_cpu_ms;  // CPU time (user and system) the child spent between the two: its own
                        // cost, without the waits for the node and for a core
  long ready_faults;    // minor page faults taken between the two
  int ok;
};

// The physical floor of a worker's session on loopback, for comparison in the same run: a
// blocking socket, connect, a v5 STARTUP, the READY. No driver, no event loop. True on READY.
bool RawStartup(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Header (version 5, flags, stream 0, STARTUP, length) and {"CQL_VERSION": "3.0.0"}.
  static const char kStartup[] =
      "\x05\x00\x00\x00\x01\x00\x00\x00\x16\x00\x01\x00\x0b"
      "CQL_VERSION\x00\x05"
      "3.0.0";
  char reply[64];
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            send(fd, kStartup, sizeof kStartup - 1, MSG_NOSIGNAL) ==
                static_cast<ssize_t>(sizeof kStartup - 1) &&
            recv(fd, reply, sizeof reply, 0) >= 9 && reply[4] == 0x02;  // READY
  close(fd);
  return ok;
}

int Fork(SessionOptions options, int workers, bool floor) {
  const std::string query = "SELECT v FROM bench_first WHERE k = ?";
  {
    auto setup = BlockingSession::Connect(options);
    if (!setup.ok()) {
      std::fprintf(stderr, "connect: %s\n", setup.status().ToString().c_str());
      return 1;
    }
    for (const char* cql : {"CREATE TABLE IF NOT EXISTS bench_first (k int PRIMARY KEY, v text)",
                            "INSERT INTO bench_first (k, v) VALUES (1, 'one')"}) {
      QueryResult r = setup->Execute(Statement(cql));
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", cql, r.status().ToString().c_str());
        return 1;
      }
    }
  }
  // The master's warm-up, as a prefork server's preload does it: connect, prepare, snapshot,
  // close every socket.
  auto snap = TakeSnapshot(options, {query});
  if (!snap.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", snap.status().ToString().c_str());
    return 1;
  }
  std::vector<WorkerTimes> times, floor_times;
  // The workers' own clock and fault counter are bound and touched here, so that their first
  // calls in a worker measure the session, not the measuring.
  (void)MinorFaults();
  (void)CpuMs();
  (void)Clock::now();
  // With `floor`, each driver worker is followed by a raw-socket one (RawStartup).
  for (int i = 0; i < (floor ? 2 * workers : workers); ++i) {
    const bool raw = floor && i % 2 == 1;
    int fds[2];
    if (pipe(fds) != 0) return 1;
    auto before_fork = Clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      auto t0 = Clock::now();
      long f0 = MinorFaults();
      double c0 = CpuMs();
      WorkerTimes w{};
      w.fork_ms = std::chrono::duration<double, std::milli>(t0 - before_fork).count();
      if (raw) {
        w.ok = RawStartup(options.port);
        w.ready_cpu_ms = CpuMs() - c0;
        w.ready_faults = MinorFaults() - f0;
        w.ready_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      } else {
        boost::asio::io_context io(1);
        std::optional<Result<Session>> s;
        Session::ConnectFromSnapshot(io, *snap,
                                     [&](Result<Session> r) { s.emplace(std::move(r)); });
        while (!s) io.run_one();
        auto t1 = Clock::now();
        w.ready_cpu_ms = CpuMs() - c0;
        w.ready_faults = MinorFaults() - f0;
        w.ready_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        if (s->ok()) {
          std::optional<Result<PreparedStatement>> p;
          (*s)->Prepare(query, [&](Result<PreparedStatement> r) { p.emplace(std::move(r)); });
          while (!p) io.run_one();
          std::optional<QueryResult> q;
          if (p->ok()) {
            (*s)->Execute(*(*p)->Bind({int32_t{1}}),
                          [&](QueryResult r) { q.emplace(std::move(r)); });
            while (!q) io.run_one();
          }
          w.query_ms = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
          w.ok = q && q->ok() && q->row_count() == 1;
          (*s)->Close();
          io.poll();
        }
      }
      ssize_t n = write(fds[1], &w, sizeof w);
      _exit(n == sizeof w ? 0 : 1);
    }
    close(fds[1]);
    WorkerTimes w{};
    ssize_t n = read(fds[0], &w, sizeof w);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != sizeof w || !w.ok) {
      std::fprintf(stderr, "worker %d failed\n", i);
      return 1;
    }
    (raw ? floor_times : times).push_back(w);
  }
  std::vector<double> fork_ms, ready, ready_cpu, query_ms, faults;
  for (auto& w : times) {
    fork_ms.push_back(w.fork_ms);
    ready.push_back(w.ready_ms);
    ready_cpu.push_back(w.ready_cpu_ms);
    query_ms.push_back(w.query_ms);
    faults.push_back(static_cast<double>(w.ready_faults));
  }
  std::printf(
      "workers %d\nfork_p50_ms %.4f\nworker_ready_p50_ms %.4f\nworker_ready_p99_ms %.4f\n"
      "worker_ready_max_ms %.4f\nworker_ready_cpu_p50_ms %.4f\nworker_first_query_p50_ms %.4f\n"
      "worker_ready_faults_p50 %.0f\n",
      workers, Percentile(fork_ms, 0.5), Percentile(ready, 0.5), Percentile(ready, 0.99),
      Percentile(ready, 1.0), Percentile(ready_cpu, 0.5), Percentile(query_ms, 0.5),
      Percentile(faults, 0.5));
  if (floor) {
    std::vector<double> f_ready, f_cpu, f_faults;
    for (auto& w : floor_times) {
      f_ready.push_back(w.ready_ms);
      f_cpu.push_back(w.ready_cpu_ms);
      f_faults.push_back(static_cast<double>(w.ready_faults));
    }
    std::printf(
        "floor_ready_p50_ms %.4f\nfloor_ready_p99_ms %.4f\nfloor_ready_cpu_p50_ms %.4f\n"
        "floor_ready_faults_p50 %.0f\n",
        Percentile(f_ready, 0.5), Percentile(f_ready, 0.99), Percentile(f_cpu, 0.5),
        Percentile(f_faults, 0.5));
  }
  return 0;
}

int First(SessionOptions options) {
  for (const char* which : {"first", "second"}) {
    long f0 = MinorFaults();
    double c0 = CpuMs();
    auto t0 = Clock::now();
    auto s = BlockingSession::Connect(options);
    double wall = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    double cpu = CpuMs() - c0;
    long faults = MinorFaults() - f0;
    if (!s.ok()) {
      std::fprintf(stderr, "connect: %s\n", s.status().ToString().c_str());
      return 1;
    }
    std::printf("%s_wall_ms %.4f\n%s_cpu_ms %.4f\n%s_faults %ld\n", which, wall, which, cpu, which,
                faults);
    s->Close();
  }
  return 0;
}

int Throughput(SessionOptions options, double seconds, int inflight) {
  boost::asio::io_context io;
  std::optional<Result<Session>> s;
  Session::Connect(io, options, [&](Result<Session> r) { s.emplace(std::move(r)); });
  while (!s) io.run_one();
  if (!s->ok()) {
    std::fprintf(stderr, "connect: %s\n", s->status().ToString().c_str());
    return 1;
  }
  Session& session = s->value();
  {
    bool done = false;
    session.Execute(Statement("CREATE TABLE IF NOT EXISTS bench_kv (k int PRIMARY KEY, v text)"),
                    [&](QueryResult) { done = true; });
    while (!done) io.run_one();
    done = false;
    session.Execute(Statement("INSERT INTO bench_kv (k, v) VALUES (1, 'hello')"),
                    [&](QueryResult) { done = true; });
    while (!done) io.run_one();
  }
  std::optional<Result<PreparedStatement>> prepared;
  session.Prepare("SELECT v FROM bench_kv WHERE k = ?",
                  [&](Result<PreparedStatement> p) { prepared.emplace(std::move(p)); });
  while (!prepared) io.run_one();
  if (!prepared->ok()) {
    std::fprintf(stderr, "prepare: %s\n", prepared->status().ToString().c_str());
    return 1;
  }
  BoundStatement bound = *(*prepared)->Bind({int32_t{1}});
  uint64_t completed = 0, errors = 0;
  bool stop = false;
  int outstanding = 0;
  std::function<void()> launch;
  launch = [&] {
    ++outstanding;
    session.Execute(bound, [&](QueryResult r) {
      --outstanding;
      ++completed;
      if (!r.ok() || r.row_count() != 1) ++errors;
      if (!stop) launch();
    });
  };
  // Warm up, then measure.
  for (int i = 0; i < inflight; ++i) launch();
  auto warm_until = Clock::now() + std::chrono::milliseconds(500);
  while (Clock::now() < warm_until) io.run_one();
  uint64_t c0 = completed;
  uint64_t a0 = g_allocations.load();
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  auto until = t0 + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) io.run_one();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = CpuSeconds() - cpu0;
  uint64_t n = completed - c0;
  uint64_t allocs = g_allocations.load() - a0;
  stop = true;
  while (outstanding > 0) io.run_one();
  std::printf(
      "protocol_version %d\nops_per_s %.0f\nclient_cpu_us_per_request %.3f\n"
      "allocations_per_request %.2f\nerrors %llu\n",
      session.connect_report().protocol_version, static_cast<double>(n) / wall,
      cpu * 1e6 / static_cast<double>(n), static_cast<double>(allocs) / static_cast<double>(n),
      static_cast<unsigned long long>(errors));
  session.Close();
  io.poll();
  return errors ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"postfork driver benchmarks"};
  app.require_subcommand(1);
  uint16_t port = 9042;
  std::string keyspace;
  int iterations = 200, inflight = 256;
  double seconds = 5;
  std::string protocol = "negotiate";
  auto* ready = app.add_subcommand("ready", "session-ready time, cold and from a snapshot");
  auto* tput = app.add_subcommand("throughput", "prepared single-row SELECT, N in flight");
  auto* fork_cmd = app.add_subcommand("fork", "session ready in forked workers, from a snapshot");
  int workers = 50;
  auto* first = app.add_subcommand("first", "the first session of this process, then a second");
  fork_cmd->add_option("--workers", workers);
  bool floor = false;
  fork_cmd->add_flag("--floor", floor,
                     "also fork as many raw-socket workers (connect, STARTUP, READY; no driver)");
  bool schema = false;
  fork_cmd->add_flag("--schema", schema, "the snapshot holds the keyspace's tables and columns");
  for (auto* sc : {ready, tput, fork_cmd, first}) {
    sc->add_option("--port", port)->required();
    sc->add_option("--keyspace", keyspace)->required();
    sc->add_option("--protocol", protocol, "negotiate (default), 4 or 5");
  }
  ready->add_option("--iterations", iterations);
  tput->add_option("--seconds", seconds);
  tput->add_option("--inflight", inflight);
  CLI11_PARSE(app, argc, argv);
  SessionOptions options;
  options.port = port;
  options.keyspace = keyspace;
  options.heartbeat_interval = Millis(0);
  auto version = ParseProtocolVersion(protocol);
  if (!version.ok()) {
    std::fprintf(stderr, "%s\n", version.error().message().c_str());
    return 2;
  }
  options.protocol_version = *version;
  if (ready->parsed()) return Ready(options, iterations);
  if (fork_cmd->parsed()) {
    if (schema) options.fetches.schema_keyspaces = {keyspace};
    return Fork(options, workers, floor);
  }
  if (first->parsed()) return First(options);
  return Throughput(options, seconds, inflight);
}
