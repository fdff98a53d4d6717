// Whole-system load generator for postfork-node: raw protocol v4 frames over loopback, a fixed
// number of requests in flight, prepared single-row INSERT and SELECT, a prepared full scan of a
// small table (the seed service's `SELECT col FROM columnfamily`), a lightweight transaction
// (`UPDATE ... IF EXISTS` on the inserted rows), a 100-element list append, and a
// secondary-index lookup returning one row next to the primary-key read of the same rows. Prints
// ops/s, latency percentiles and, given the node's pid, the node's CPU time per operation.
//
// The prepared SELECT reads bench.point, which the insert phase does not touch: right before the
// select phase (and outside its measurement) every one of --keys keys is written exactly once, so
// on a fresh node each read finds one row of one merge operand in the memtable, whatever the
// insert phase did. Its cost then compares between runs and builds.
//
//   node_load_generator --port 9042 [--node-pid PID] [--in-flight 64] [--connections 4]
//                       [--seconds 5] [--keys 100000] [--value-size 100] [--scan-rows 100]
//                       [--index-keys 10000] [--requests N] [--seed S] [--callgrind-out FILE]
//                       [--timeline-ms MS]
//
// --requests N ends each phase after N requests instead of --seconds, and --seed fixes the random
// keys: with both, the node's state after each phase (memtable size, operands per key) is the
// same in every run, which instruction counts need.
//
// With --callgrind-out (the node running under `valgrind --tool=callgrind
// --callgrind-out-file=FILE`), each phase zeroes the node's counters before it and dumps them
// after it, and reports the node's instructions per operation: a figure that repeats from run to
// run on a busy machine, unlike CPU time.
//
// --timeline-ms MS prints, after each phase's line, one `timeline` line per MS milliseconds of
// it: the window's start (ms into the phase and ms since the epoch, to match samples of the
// node's threads), the requests that completed in it, and their p99 and maximum latency.
#include <fmt/format.h>

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "postfork/cql/bytes.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace cql = postfork::cql;

namespace {

// Blocking request/response on one socket (setup only).
cql::ResultMessage Roundtrip(tcp::socket& s, cql::Opcode op, const std::string& body) {
  std::string frame;
  cql::FrameHeader h;
  h.opcode = op;
  h.stream = 0;
  h.length = static_cast<uint32_t>(body.size());
  char header[cql::kFrameHeaderSize];
  h.Encode(header);
  frame.append(header, sizeof header);
  frame += body;
  asio::write(s, asio::buffer(frame));
  char rh[cql::kFrameHeaderSize];
  asio::read(s, asio::buffer(rh, sizeof rh));
  uint32_t len = cql::LoadBE32(rh + 5);
  std::string rb(len, '\0');
  asio::read(s, asio::buffer(rb));
  if (static_cast<uint8_t>(rh[4]) == static_cast<uint8_t>(cql::Opcode::kError)) {
    cql::ByteReader r(rb);
    auto e = cql::ErrorMessage::Decode(r);
    throw std::runtime_error("server error: " + (e.ok() ? e->message : std::string("?")));
  }
  cql::ResultMessage m;
  if (static_cast<uint8_t>(rh[4]) == static_cast<uint8_t>(cql::Opcode::kResult)) {
    cql::ByteReader r(rb);
    auto d = cql::ResultMessage::Decode(r);
    if (!d.ok()) throw std::runtime_error("bad RESULT: " + d.error().message());
    m = std::move(*d);
  }
  return m;
}

std::string StartupBody() {
  std::string b;
  cql::ByteWriter w(&b);
  cql::StartupMessage m;
  m.options["CQL_VERSION"] = "3.0.0";
  m.Encode(w);
  return b;
}

std::string QueryBody(std::string_view q) {
  std::string b;
  cql::ByteWriter w(&b);
  cql::QueryMessage m;
  m.query = q;
  m.Encode(w);
  return b;
}

std::string PrepareBody(std::string_view q) {
  std::string b;
  cql::ByteWriter w(&b);
  cql::PrepareMessage m;
  m.query = q;
  m.Encode(w);
  return b;
}

int64_t ProcessCpuMicros(int pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(f, line);
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    rest >> field;
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return (utime + stime) * 1000000 / sysconf(_SC_CLK_TCK);
}

// Runs callgrind_control with `args` for `pid`; false when it fails.
bool CallgrindControl(const std::string& args, int pid) {
  return std::system(fmt::format("callgrind_control {} {} >/dev/null", args, pid).c_str()) == 0;
}

// The instructions of the newest dump of `out_file` (callgrind names dumps FILE.N): its
// "summary:" or "totals:" line, whose first event is Ir. -1 when none is found.
int64_t LastDumpInstructions(const std::string& out_file) {
  namespace fs = std::filesystem;
  fs::path base(out_file);
  fs::path newest;
  fs::file_time_type newest_time{};
  std::error_code ec;
  for (const auto& e :
       fs::directory_iterator(base.parent_path().empty() ? "." : base.parent_path(), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(base.filename().string(), 0) != 0) continue;
    auto t = e.last_write_time(ec);
    if (newest.empty() || t > newest_time) {
      newest = e.path();
      newest_time = t;
    }
  }
  if (newest.empty()) return -1;
  std::ifstream f(newest);
  std::string line;
  int64_t total = -1;
  while (std::getline(f, line)) {
    for (std::string_view tag : {"summary: ", "totals: "}) {
      if (line.rfind(tag, 0) == 0) total = std::stoll(line.substr(tag.size()));
    }
  }
  return total;
}

// kFill writes bench.point once per key, keys 0..--keys-1 in order, and then stops (unmeasured).
// kIndexInsert writes bench.indexed rows with sequential keys (every key of --index-keys is
// written once the phase made that many requests); kKeyRead and kIndexRead then read one of
// those rows by its primary key and by its indexed column (u = k).
enum class Op { kFill, kInsert, kSelect, kScan, kLwt, kAppend, kIndexInsert, kKeyRead, kIndexRead };
struct Phase {
  std::string name;
  Op op;
};

class Worker {
 public:
  // `ids`: the prepared statement of each operation.
  Worker(asio::io_context& io, const std::string& host, int port, int in_flight,
         std::map<Op, std::string> ids, int keys, int index_keys, int value_size, unsigned seed)
      : socket_(io),
        in_flight_(in_flight),
        ids_(std::move(ids)),
        keys_(keys),
        index_keys_(index_keys),
        value_(value_size, 'v'),
        rng_(seed) {
    // list<int> of 100 elements: [int n] then n [bytes] of 4.
    cql::ByteWriter w(&list100_);
    w.WriteInt(100);
    for (int i = 0; i < 100; ++i) {
      w.WriteInt(4);
      w.WriteInt(i);
    }
    socket_.connect(tcp::endpoint(asio::ip::make_address(host), static_cast<uint16_t>(port)));
    socket_.set_option(tcp::no_delay(true));
    Roundtrip(socket_, cql::Opcode::kStartup, StartupBody());
    sent_at_.resize(static_cast<size_t>(in_flight));
  }

  void Start(Op op, Clock::time_point until) {
    op_ = op;
    until_ = until;
    latencies_.clear();
    completed_.clear();
    std::string batch;
    pending_ = 0;
    for (int s = 0; s < in_flight_ && MoreToSend(); ++s) {
      AppendRequest(static_cast<int16_t>(s), &batch);
      ++pending_;
    }
    if (pending_ == 0) return;
    Send(std::move(batch));
    Read();
  }

  // Before kFill: its next key is 0 again.
  // Before each phase: it ends after `limit` requests in all (0: at its deadline only).
  static void LimitRequests(uint64_t limit) {
    requests_sent_ = 0;
    request_limit_ = limit;
  }

  std::vector<int64_t>& latencies() { return latencies_; }
  // Completion time of each of latencies(), same order.
  const std::vector<Clock::time_point>& completed() const { return completed_; }

 private:
  bool MoreToSend() const { return request_limit_ == 0 || requests_sent_ < request_limit_; }

  void AppendRequest(int16_t stream, std::string* out) {
    cql::ExecuteMessage m;
    std::string k(4, '\0');
    bool indexed = op_ == Op::kIndexInsert || op_ == Op::kKeyRead || op_ == Op::kIndexRead;
    uint32_t key =
        static_cast<uint32_t>(rng_() % static_cast<uint32_t>(indexed ? index_keys_ : keys_));
    if (op_ == Op::kIndexInsert) key = static_cast<uint32_t>(next_index_key_++ % index_keys_);
    if (op_ == Op::kFill) key = static_cast<uint32_t>(requests_sent_);  // 0, 1, ... (limit: keys)
    ++requests_sent_;
    for (int i = 0; i < 4; ++i) k[i] = static_cast<char>(key >> (24 - 8 * i));
    m.id = ids_[op_];
    switch (op_) {
      case Op::kFill:
      case Op::kInsert:
        m.params.values.push_back(cql::RawValue::Of(k));
        m.params.values.push_back(cql::RawValue::Of(value_));
        break;
      case Op::kIndexInsert:
        m.params.values.push_back(cql::RawValue::Of(k));
        m.params.values.push_back(cql::RawValue::Of(k));
        m.params.values.push_back(cql::RawValue::Of(value_));
        break;
      case Op::kSelect:
      case Op::kKeyRead:
      case Op::kIndexRead:
        m.params.values.push_back(cql::RawValue::Of(k));
        m.params.skip_metadata = true;
        break;
      case Op::kScan:
        m.params.skip_metadata = true;
        break;
      case Op::kLwt:
        m.params.values.push_back(cql::RawValue::Of(value_));
        m.params.values.push_back(cql::RawValue::Of(k));
        m.params.skip_metadata = true;
        break;
      case Op::kAppend:
        m.params.values.push_back(cql::RawValue::Of(list100_));
        m.params.values.push_back(cql::RawValue::Of(k));
        break;
    }
    cql::FrameHeader h;
    h.opcode = cql::Opcode::kExecute;
    h.stream = stream;
    size_t at = cql::BeginFrame(out, h);
    cql::ByteWriter w(out);
    m.Encode(w);
    cql::FinishFrame(out, at);
    sent_at_[static_cast<size_t>(stream)] = Clock::now();
  }

  void Send(std::string data) {
    out_queue_ += data;
    if (writing_) return;
    writing_ = true;
    current_.swap(out_queue_);
    out_queue_.clear();
    asio::async_write(socket_, asio::buffer(current_),
                      [this](boost::system::error_code ec, size_t) {
                        writing_ = false;
                        if (ec) throw std::runtime_error("write: " + ec.message());
                        if (!out_queue_.empty()) Send({});
                      });
  }

  void Read() {
    size_t old = in_.size();
    in_.resize(old + 65536);
    socket_.async_read_some(asio::buffer(in_.data() + old, 65536),
                            [this, old](boost::system::error_code ec, size_t n) {
                              if (ec) throw std::runtime_error("read: " + ec.message());
                              in_.resize(old + n);
                              OnData();
                            });
  }

  void OnData() {
    size_t pos = 0;
    std::string batch;
    auto now = Clock::now();
    while (in_.size() - pos >= cql::kFrameHeaderSize) {
      uint32_t len = cql::LoadBE32(in_.data() + pos + 5);
      if (in_.size() - pos < cql::kFrameHeaderSize + len) break;
      int16_t stream = static_cast<int16_t>(cql::LoadBE16(in_.data() + pos + 2));
      if (static_cast<uint8_t>(in_[pos + 4]) != static_cast<uint8_t>(cql::Opcode::kResult)) {
        throw std::runtime_error("request failed (ERROR response)");
      }
      latencies_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               now - sent_at_[static_cast<size_t>(stream)])
                               .count());
      completed_.push_back(now);
      pos += cql::kFrameHeaderSize + len;
      if (now < until_ && MoreToSend()) {
        AppendRequest(stream, &batch);
      } else {
        --pending_;
      }
    }
    in_.erase(0, pos);
    if (!batch.empty()) Send(std::move(batch));
    if (pending_ > 0) Read();
  }

  tcp::socket socket_;
  int in_flight_;
  std::map<Op, std::string> ids_;
  int keys_;
  int index_keys_;
  // Shared by every worker (one io thread): the next key kIndexInsert writes.
  static inline uint64_t next_index_key_ = 0;
  // Shared likewise: the requests this phase sent, and its limit (0: none).
  static inline uint64_t requests_sent_ = 0, request_limit_ = 0;
  std::string value_;
  std::string list100_;
  std::mt19937 rng_;
  Op op_ = Op::kSelect;
  Clock::time_point until_;
  std::vector<Clock::time_point> sent_at_;
  std::vector<int64_t> latencies_;
  std::vector<Clock::time_point> completed_;
  std::string in_, out_queue_, current_;
  bool writing_ = false;
  int pending_ = 0;
};

}  // namespace

// --timeline-ms: one line per window of the phase that started at `start` (`start_epoch`).
template <typename Workers>
void PrintTimeline(const std::string& phase, const Workers& workers, Clock::time_point start,
                   std::chrono::system_clock::time_point start_epoch, int window_ms) {
  std::vector<std::vector<int64_t>> windows;
  for (const auto& w : workers) {
    for (size_t i = 0; i < w->latencies().size(); ++i) {
      auto at = std::chrono::duration_cast<std::chrono::milliseconds>(w->completed()[i] - start);
      size_t k = static_cast<size_t>(at.count() / window_ms);
      if (k >= windows.size()) windows.resize(k + 1);
      windows[k].push_back(w->latencies()[i]);
    }
  }
  int64_t epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         start_epoch.time_since_epoch())
                         .count();
  for (size_t k = 0; k < windows.size(); ++k) {
    std::vector<int64_t>& l = windows[k];
    std::sort(l.begin(), l.end());
    double p99 = l.empty() ? 0 : l[static_cast<size_t>(0.99 * static_cast<double>(l.size() - 1))] / 1000.0;
    double max = l.empty() ? 0 : l.back() / 1000.0;
    fmt::print("timeline {} {} {} {} {:.0f} {:.0f}\n", phase, k * window_ms,
               epoch_ms + static_cast<int64_t>(k) * window_ms, l.size(), p99, max);
  }
}

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 9042, node_pid = 0, in_flight = 64, connections = 4, keys = 100000, value_size = 100,
      scan_rows = 100, index_keys = 10000;
  double seconds = 5;
  CLI::App app{"postfork-node load generator (prepared INSERT and SELECT on raw frames)"};
  app.add_option("--host", host);
  app.add_option("--port", port);
  app.add_option("--node-pid", node_pid, "pid of the node, for CPU time per operation");
  app.add_option("--in-flight", in_flight, "requests in flight in total");
  app.add_option("--connections", connections);
  app.add_option("--seconds", seconds, "duration of each phase");
  app.add_option("--keys", keys, "distinct partition keys");
  app.add_option("--value-size", value_size, "bytes per value");
  app.add_option("--scan-rows", scan_rows, "rows of the scanned table (0: no scan phase)");
  app.add_option("--index-keys", index_keys,
                 "rows of the secondary-index table (0: no index phases)");
  bool skip_model = false;
  app.add_flag("--no-model", skip_model, "skip the LWT and 100-element list append phases");
  std::string only;
  app.add_option("--only", only, "run just these phases (comma-separated names, e.g. scan100)");
  uint64_t requests = 0;
  app.add_option("--requests", requests,
                 "end each phase after this many requests (0: after --seconds)");
  unsigned seed = 0;
  app.add_option("--seed", seed, "seed of the random keys (0: a random seed)");
  std::string callgrind_out;
  app.add_option("--callgrind-out", callgrind_out,
                 "the node runs under callgrind writing this file: report its instructions/op");
  int timeline_ms = 0;
  app.add_option("--timeline-ms", timeline_ms,
                 "after each phase, completions, p99 and max latency per window of this many ms");
  CLI11_PARSE(app, argc, argv);
  if (connections < 1 || in_flight < connections || keys < 1 || index_keys < 0) {
    fmt::print(stderr, "need in-flight >= connections >= 1 and keys >= 1\n");
    return 2;
  }
  try {
    asio::io_context io(1);
    tcp::socket setup(io);
    setup.connect(tcp::endpoint(asio::ip::make_address(host), static_cast<uint16_t>(port)));
    Roundtrip(setup, cql::Opcode::kStartup, StartupBody());
    Roundtrip(setup, cql::Opcode::kQuery,
              QueryBody("CREATE KEYSPACE IF NOT EXISTS bench WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}"));
    Roundtrip(setup, cql::Opcode::kQuery,
              QueryBody("CREATE TABLE IF NOT EXISTS bench.kv (k int PRIMARY KEY, v blob)"));
    auto ins = Roundtrip(setup, cql::Opcode::kPrepare,
                         PrepareBody("INSERT INTO bench.kv (k, v) VALUES (?, ?)"));
    Roundtrip(setup, cql::Opcode::kQuery,
              QueryBody("CREATE TABLE IF NOT EXISTS bench.point (k int PRIMARY KEY, v blob)"));
    auto fill = Roundtrip(setup, cql::Opcode::kPrepare,
                          PrepareBody("INSERT INTO bench.point (k, v) VALUES (?, ?)"));
    auto sel = Roundtrip(setup, cql::Opcode::kPrepare,
                         PrepareBody("SELECT v FROM bench.point WHERE k = ?"));
    // The seed service's table: `key text PRIMARY KEY, col text`, scanned whole.
    Roundtrip(setup, cql::Opcode::kQuery,
              QueryBody("CREATE TABLE IF NOT EXISTS bench.scan (key text PRIMARY KEY, col text)"));
    for (int i = 0; i < scan_rows; ++i) {
      Roundtrip(setup, cql::Opcode::kQuery,
                QueryBody(fmt::format("INSERT INTO bench.scan (key, col) VALUES ('key{}', "
                                      "'value number {}')",
                                      i, i)));
    }
    auto scan =
        Roundtrip(setup, cql::Opcode::kPrepare, PrepareBody("SELECT col FROM bench.scan"));
    auto lwt = Roundtrip(setup, cql::Opcode::kPrepare,
                         PrepareBody("UPDATE bench.kv SET v = ? WHERE k = ? IF EXISTS"));
    Roundtrip(setup, cql::Opcode::kQuery,
              QueryBody("CREATE TABLE IF NOT EXISTS bench.lists (k int PRIMARY KEY, l list<int>)"));
    auto append = Roundtrip(setup, cql::Opcode::kPrepare,
                            PrepareBody("UPDATE bench.lists SET l = l + ? WHERE k = ?"));
    std::map<Op, std::string> ids{{Op::kFill, fill.prepared.id},
                                  {Op::kInsert, ins.prepared.id},
                                  {Op::kSelect, sel.prepared.id},
                                  {Op::kScan, scan.prepared.id},
                                  {Op::kLwt, lwt.prepared.id},
                                  {Op::kAppend, append.prepared.id}};
    if (index_keys > 0) {
      // A secondary index on u (= k, so a lookup returns one row), compared with reading the
      // same rows by primary key.
      Roundtrip(setup, cql::Opcode::kQuery,
                QueryBody("CREATE TABLE IF NOT EXISTS bench.indexed (k int PRIMARY KEY, u int, "
                          "v blob)"));
      Roundtrip(setup, cql::Opcode::kQuery,
                QueryBody("CREATE INDEX IF NOT EXISTS indexed_u ON bench.indexed (u)"));
      auto prepare = [&](std::string_view q) {
        return Roundtrip(setup, cql::Opcode::kPrepare, PrepareBody(q)).prepared.id;
      };
      ids[Op::kIndexInsert] = prepare("INSERT INTO bench.indexed (k, u, v) VALUES (?, ?, ?)");
      ids[Op::kKeyRead] = prepare("SELECT v FROM bench.indexed WHERE k = ?");
      ids[Op::kIndexRead] = prepare("SELECT v FROM bench.indexed WHERE u = ?");
    }
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < connections; ++i) {
      int share = in_flight / connections + (i < in_flight % connections ? 1 : 0);
      workers.push_back(std::make_unique<Worker>(io, host, port, share, ids, keys,
                                                 std::max(index_keys, 1), value_size,
                                                 seed ? seed + i : std::random_device{}()));
    }
    const bool callgrind = !callgrind_out.empty() && node_pid != 0;
    fmt::print("{:<10} {:>10} {:>9} {:>9} {:>9} {:>12}{}\n", "op", "ops/s", "p50_us", "p99_us",
               "p999_us", "node_cpu_us/op", callgrind ? "  node_instr/op" : "");
    std::vector<Phase> phases{{"insert", Op::kInsert}, {"select", Op::kSelect}};
    if (scan_rows > 0) phases.push_back({fmt::format("scan{}", scan_rows), Op::kScan});
    if (!skip_model) {
      phases.push_back({"lwt", Op::kLwt});
      phases.push_back({"append100", Op::kAppend});
    }
    if (index_keys > 0) {
      phases.push_back({"idx_ins", Op::kIndexInsert});
      phases.push_back({"pk_read", Op::kKeyRead});
      phases.push_back({"idx_read", Op::kIndexRead});
    }
    if (!only.empty()) {
      std::erase_if(phases, [&](const Phase& p) {
        return ("," + only + ",").find("," + p.name + ",") == std::string::npos;
      });
    }
    for (const Phase& phase : phases) {
      if (phase.op == Op::kSelect) {
        Worker::LimitRequests(static_cast<uint64_t>(keys));
        for (auto& w : workers) w->Start(Op::kFill, Clock::time_point::max());
        io.restart();
        io.run();
      }
      Worker::LimitRequests(requests);
      if (callgrind && !CallgrindControl("--zero", node_pid)) {
        throw std::runtime_error("callgrind_control --zero failed");
      }
      int64_t cpu0 = node_pid ? ProcessCpuMicros(node_pid) : 0;
      auto start = Clock::now();
      auto start_epoch = std::chrono::system_clock::now();
      auto until = requests > 0 ? Clock::time_point::max()
                                : start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(seconds));
      for (auto& w : workers) w->Start(phase.op, until);
      io.restart();
      io.run();
      double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      int64_t cpu1 = node_pid ? ProcessCpuMicros(node_pid) : 0;
      std::vector<int64_t> all;
      for (auto& w : workers) all.insert(all.end(), w->latencies().begin(), w->latencies().end());
      std::sort(all.begin(), all.end());
      auto pct = [&](double p) {
        return all.empty()
                   ? 0.0
                   : all[static_cast<size_t>(p * static_cast<double>(all.size() - 1))] / 1000.0;
      };
      double ops = static_cast<double>(all.size()) / elapsed;
      std::string cpu = node_pid ? fmt::format("{:.1f}", static_cast<double>(cpu1 - cpu0) /
                                                             static_cast<double>(all.size()))
                                 : "-";
      std::string instructions;
      if (callgrind) {
        if (!CallgrindControl("--dump=" + phase.name, node_pid)) {
          throw std::runtime_error("callgrind_control --dump failed");
        }
        int64_t total = LastDumpInstructions(callgrind_out);
        instructions =
            fmt::format("  {:>13.0f}", all.empty() ? 0.0 : static_cast<double>(total) / all.size());
      }
      fmt::print("{:<10} {:>10.0f} {:>9.1f} {:>9.1f} {:>9.1f} {:>12}{}\n", phase.name, ops,
                 pct(0.5), pct(0.99), pct(0.999), cpu, instructions);
      if (timeline_ms > 0) PrintTimeline(phase.name, workers, start, start_epoch, timeline_ms);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "load generator: {}\n", e.what());
    return 1;
  }
  return 0;
}
