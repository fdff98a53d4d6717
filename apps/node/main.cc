// postfork-node: a single-node Cassandra 4.1-compatible CQL server on RocksDB.
#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "postfork/node/node.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// glibc's malloc for a process whose memory the flags bound (memtable, block cache, prepared
// statements): left alone, its mmap threshold rises to the size of the largest block freed (the
// memtable's arena blocks, a memtable/8 each), after which those blocks come from the heap and
// stay there, fragmented, after each flush; and each thread that allocates gets an arena of its
// own (up to 8 per core) holding its own free memory. A fixed threshold keeps blocks of 128 KiB
// and more in mappings of their own, given back when freed, and two arenas bound the spread:
// RSS then levels off (docs/bench-node-soak.md). GLIBC_TUNABLES, when set, decides instead. A
// process that embeds the node keeps its own allocator settings: this is the binary's choice.
void TuneAllocator() {
#if defined(__GLIBC__)
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_ARENA_MAX, 2);
#endif
}

// One nice setting of --background-nice: idle (SCHED_IDLE) or a nice value 0-19.
std::optional<int> ParseNice(std::string_view value) {
  if (value == "idle") return postfork::node::NodeOptions::kBackgroundIdle;
  if (value.empty() || value.size() > 2) return std::nullopt;
  int nice = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    nice = nice * 10 + (c - '0');
  }
  if (nice > 19) return std::nullopt;
  return nice;
}

// --background-nice's value, FLUSHES[,COMPACTIONS]: (flush, compaction) nice settings; one value
// sets both.
std::optional<std::pair<int, int>> ParseBackgroundNice(std::string_view value) {
  const size_t comma = value.find(',');
  const std::optional<int> flush = ParseNice(value.substr(0, comma));
  const std::optional<int> compaction =
      comma == std::string_view::npos ? flush : ParseNice(value.substr(comma + 1));
  if (!flush || !compaction) return std::nullopt;
  return std::pair{*flush, *compaction};
}

}  // namespace

int main(int argc, char** argv) {
  TuneAllocator();
  postfork::node::NodeOptions options;
  std::string sync = "periodic";
  CLI::App app{"postfork-node: a single-node Cassandra-compatible CQL server on RocksDB"};
  app.set_version_flag("--version", std::string("postfork-node ") + postfork::node::NodeVersion());
  app.add_option("--listen", options.listen_address, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "CQL native port (0 picks a free one)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Data directory (created if missing)")->required();
  app.add_option("--commitlog-sync", sync,
                 "periodic: WAL in the OS buffer before ack (survives kill); batch: fsync before "
                 "ack (survives power loss)")
      ->check(CLI::IsMember({"periodic", "batch"}))
      ->capture_default_str();
  app.add_option("--request-threads", options.request_threads,
                 "Threads running requests concurrently (0: on the network thread)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--max-frame-size", options.max_frame_size,
                 "Largest accepted request frame, header included (Cassandra's "
                 "native_transport_max_frame_size): bytes, or with a unit as 16MiB")
      ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true))
      ->check(CLI::Range(1024, 2147483646))
      ->capture_default_str();
  app.add_option("--prepared-statements-cache-size", options.prepared_statements_cache_size_mib,
                 "Prepared statement cache capacity in MiB (Cassandra's "
                 "prepared_statements_cache_size); least recently used statements are evicted")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--memtable-size", options.memtable_size_mib,
                 "MiB a memtable holds before it is written to disk (two at most while flushing)")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--block-cache-size", options.block_cache_size_mib,
                 "MiB of data blocks read from disk kept in memory")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  app.add_option("--row-cache-size", options.row_cache_size_mib,
                 "MiB of merged rows kept in memory for reads (0 = off); least recently used "
                 "partitions are evicted")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  std::string background_nice = "19";
  app.add_option("--background-nice", background_nice,
                 "Priority of flushes and of compactions, so that requests on their core wait "
                 "little for them: FLUSHES[,COMPACTIONS] (one value sets both), each a nice value "
                 "1-19 (with a 100 µs scheduler slice), idle (SCHED_IDLE: a waking request "
                 "preempts it at once, but it starves while reads saturate the core: behind a "
                 "starved flush writes stop within seconds, behind a starved compaction they slow "
                 "from 20 level-0 files and stop at 36), or 0 (the node's own priority). Lower "
                 "values give them more of a saturated core")
      ->check(CLI::Validator(
          [](std::string& value) {
            return ParseBackgroundNice(value)
                       ? std::string()
                       : "'" + value + "': expected FLUSHES[,COMPACTIONS], each idle or 0-19";
          },
          "FLUSHES[,COMPACTIONS]"))
      ->capture_default_str();
  app.add_flag("--provoke-write-stalls", options.provoke_write_stalls,
               "Tests only: a tiny memtable, and writes stalled after every flush")
      ->group("");  // hidden
  app.add_option("--batch-size-warn-threshold", options.batch_size_warn_threshold_kib,
                 "KiB: a batch over several partitions with more data warns the client")
      ->capture_default_str();
  app.add_option("--batch-size-fail-threshold", options.batch_size_fail_threshold_kib,
                 "KiB: a batch over several partitions with more data is refused")
      ->capture_default_str();
  app.add_option("--unlogged-batch-across-partitions-warn-threshold",
                 options.unlogged_batch_across_partitions_warn_threshold,
                 "An unlogged batch over more partitions warns the client")
      ->capture_default_str();
  app.add_option("--tombstone-warn-threshold", options.tombstone_warn_threshold,
                 "A read scanning more tombstones warns the client")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--tombstone-failure-threshold", options.tombstone_failure_threshold,
                 "A read scanning more tombstones fails (ReadFailure, READ_TOO_MANY_TOMBSTONES)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--tracetype-query-ttl", options.tracetype_query_ttl_seconds,
                 "Seconds a request's trace lives in system_traces (Cassandra's "
                 "tracetype_query_ttl)")
      ->check(CLI::Range(1, 630720000))
      ->capture_default_str();
  app.add_option("--metrics", options.metrics_address,
                 "Serve Prometheus metrics on host:port (port 0 picks one)");
  options.admin_port = 7199;
  auto* admin_port_flag =
      app.add_option("--admin-port", options.admin_port,
                     "Port of the admin interface postfork-nodetool speaks (0 disables it; when "
                     "not given and 7199 is taken, the node starts without it)")
          ->capture_default_str();
  app.add_option("--admin-address", options.admin_address,
                 "Address of the admin interface (no authentication: keep it on loopback)")
      ->capture_default_str();
  std::string authenticator = "AllowAll", authorizer = "AllowAll";
  app.add_option("--authenticator", authenticator,
                 "AllowAll: no login; Password: Cassandra's PasswordAuthenticator (roles in "
                 "system_auth; cassandra/cassandra created on first start)")
      ->check(CLI::IsMember({"AllowAll", "Password"}))
      ->capture_default_str();
  app.add_option("--authorizer", authorizer,
                 "AllowAll: every statement allowed; Cassandra: GRANT/REVOKE permissions, checked "
                 "on every statement (needs --authenticator Password)")
      ->check(CLI::IsMember({"AllowAll", "Cassandra"}))
      ->capture_default_str();
  app.add_option("--tls-cert", options.tls_cert_file,
                 "PEM certificate chain: the CQL port then speaks TLS only");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key of --tls-cert");
  app.add_option("--tls-ca", options.tls_ca_file, "PEM CA bundle to verify client certificates");
  app.add_flag("--tls-require-client-cert", options.tls_require_client_cert,
               "Refuse TLS clients without a certificate signed by --tls-ca");
  CLI11_PARSE(app, argc, argv);
  options.admin_port_optional = admin_port_flag->count() == 0;
  options.authenticator = authenticator == "Password"
                              ? postfork::node::NodeOptions::Authenticator::kPassword
                              : postfork::node::NodeOptions::Authenticator::kAllowAll;
  options.authorizer = authorizer == "Cassandra"
                           ? postfork::node::NodeOptions::Authorizer::kCassandra
                           : postfork::node::NodeOptions::Authorizer::kAllowAll;
  std::tie(options.flush_nice, options.compaction_nice) = *ParseBackgroundNice(background_nice);
  options.commitlog_sync = sync == "batch" ? postfork::node::NodeOptions::CommitlogSync::kBatch
                                           : postfork::node::NodeOptions::CommitlogSync::kPeriodic;

  // Block the stop signals before any thread starts, then wait for one synchronously.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto node = postfork::node::Node::Start(options);
  if (!node.ok()) {
    fmt::print(stderr, "postfork-node: {}\n", node.error().ToString());
    return 1;
  }
  std::string metrics;
  if ((*node)->metrics_port())
    metrics = fmt::format(" metrics on port {}", (*node)->metrics_port());
  std::string admin;
  if ((*node)->admin_port()) {
    admin = fmt::format(" admin on {}:{}", options.admin_address, (*node)->admin_port());
  }
  std::string security;
  if (!options.tls_cert_file.empty()) security += " TLS";
  if (options.authenticator == postfork::node::NodeOptions::Authenticator::kPassword)
    security += " PasswordAuthenticator";
  if (options.authorizer == postfork::node::NodeOptions::Authorizer::kCassandra)
    security += " CassandraAuthorizer";
  if (!security.empty()) security = " with" + security;
  fmt::print("postfork-node ready: listening for CQL clients on {}:{}{}{}{}\n",
             (*node)->listen_address(), (*node)->port(), metrics, admin, security);
  std::fflush(stdout);
  // After the ready line, which scripts read first.
  if (!(*node)->admin_port() && options.admin_port != 0) {
    fmt::print(stderr,
               "postfork-node: admin interface off: {}:{} is taken (give --admin-port to choose "
               "another port)\n",
               options.admin_address, options.admin_port);
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*node)->Stop();
  fmt::print("postfork-node: stopped on signal {}\n", sig);
  return 0;
}
