// Every setting of the server. Each is a command-line flag (--name), a key of the TOML file given
// with --config (same name) and an environment variable (POSTFORK_NAME, '-' -> '_'), which
// overrides the file; the command line overrides both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace postfork::server {

struct ServerOptions {
  // Listening addresses: "host:port", "[v6]:port" or "unix:/path". Repeatable.
  // Default: {"127.0.0.1:8000"}.
  std::vector<std::string> bind = {"127.0.0.1:8000"};
  // Number of worker processes. Default: 0 = number of cores.
  int workers = 0;
  // Run the preload hook once in the master before forking (shared memory); otherwise each
  // worker runs it after fork (lazy, as uWSGI's lazy-apps). Default: false.
  bool preload = false;
  // Kill a worker whose current request runs longer than this many seconds. Default: 0 = off.
  double harakiri = 0;
  // Recycle a worker gracefully after this many requests. Default: 0 = never.
  uint64_t max_requests = 0;
  // Adds a random 0..jitter to max_requests per worker, so workers do not recycle together.
  // Default: 0.
  uint64_t max_requests_jitter = 0;
  // Recycle a worker gracefully when its resident memory exceeds this many MiB. Default: 0 = off.
  uint64_t reload_on_rss = 0;
  // Seconds a stopping worker has to finish in-flight requests before it is killed. Default: 30.
  double graceful_timeout = 30;
  // Stats listener "host:port" (JSON at /, Prometheus text at /metrics). Default: "" = off.
  std::string stats;
  // Access log: "" = off, "-" = stderr, else a file path. Default: "".
  std::string access_log;
  // Access log format: "common" or "json". Default: "common".
  std::string access_log_format = "common";
  // Log level: trace, debug, info, warn, error. Default: "info".
  std::string log_level = "info";

  // Rarely changed limits.
  // Largest request line plus header block in bytes; larger gets 431. Default: 8192.
  std::size_t max_header_bytes = 8192;
  // Largest request body in bytes; larger gets 413. Default: 1 MiB.
  std::size_t max_body_bytes = 1 << 20;
  // Seconds to receive a complete header (or body) once a request began; then 408. Default: 10.
  double header_timeout = 10;
  // Seconds an idle keep-alive connection stays open. Default: 15.
  double keepalive_timeout = 15;
  // listen() backlog. Default: 1024.
  int backlog = 1024;
  // First delay before respawning a worker that failed to start or crashed again soon after;
  // doubles per failure up to respawn_backoff_max, with jitter. Seconds. Default: 0.1 / 10.
  double respawn_backoff = 0.1;
  double respawn_backoff_max = 10;
};

}  // namespace postfork::server
