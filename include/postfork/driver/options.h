// What a session connects to, how, and what connecting costs. Validated once by Validate();
// Session::Connect refuses invalid options with kInvalidArgument before opening anything.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/cql/compression.h"
#include "postfork/cql/messages.h"

namespace postfork::driver {

using Millis = std::chrono::milliseconds;

struct Credentials {  // SASL PLAIN (PasswordAuthenticator)
  std::string username;
  std::string password;
};

struct TlsOptions {
  bool enabled = false;     // Default: false (plain TCP)
  bool verify_peer = true;  // Default: true; verify the server certificate against ca_file
  std::string ca_file;      // Default: "" (system default verify paths)
  std::string cert_file;    // Default: "" (no client certificate)
  std::string key_file;     // Default: ""
  std::string server_name;  // Default: "" (SNI and hostname check skipped)
};

// Exponential backoff with full jitter: attempt n waits a uniformly random time in
// [base * 2^n / 2, base * 2^n], capped at max.
struct ReconnectionOptions {
  Millis base_delay{100};   // Default: 100 ms
  Millis max_delay{10000};  // Default: 10 s
};

enum class LoadBalancing {
  kDcAwareRoundRobin,  // Default: hosts of local_dc in turn; remote DCs only as a last resort
};

enum class RetryChoice {
  kDefault,      // Default: retry read timeouts with enough replicas once, unavailable once on the
                 // next host, write timeouts of BATCH_LOG once; idempotent requests on a
                 // dropped connection once on the next host
  kFallthrough,  // never retry
};

// What Connect reads before it reports the session ready. Topology (system.local and the peers
// table) is always read, once; everything else is opt-in.
struct ConnectFetches {
  // Replication of the session keyspace (one row of system_schema.keyspaces), needed for
  // token-aware routing. Default: true when token_aware and keyspace are set.
  bool keyspace_replication = true;
  // Tables and columns of these keyspaces (system_schema.tables/columns), kept in the session
  // and in snapshots. Default: none (metadata is fetched on demand by FetchKeyspace).
  std::vector<std::string> schema_keyspaces;
};

// The native protocol version connections speak.
enum class ProtocolVersion {
  kNegotiate,  // offer v5; a host that refuses it with a protocol error gets v4 (remembered)
  kV4,
  kV5,  // v5 only: a host without it fails the connect with kUnsupported
};
// "negotiate", "4"/"v4", "5"/"v5" (configuration files, command lines).
Result<ProtocolVersion> ParseProtocolVersion(std::string_view text);

struct SessionOptions {
  std::vector<std::string> contact_points{"127.0.0.1"};  // Default: {"127.0.0.1"}; IPs
  uint16_t port = 9042;                                  // Default: 9042
  std::string keyspace;                                  // Default: "" (no USE on connect)
  std::string local_dc;  // Default: "" (the DC of the first contact point that answers)
  std::optional<Credentials> credentials;                  // Default: none (no authentication)
  TlsOptions tls;                                          // Default: disabled
  cql::Compression compression = cql::Compression::kNone;  // Default: none; kLz4 supported
  Millis connect_timeout{5000};            // Default: 5 s, per connection (TCP + handshake)
  Millis request_timeout{12000};           // Default: 12 s, per attempt; 0 disables
  int connections_per_host = 1;            // Default: 1 (v4 multiplexes 32,768 streams)
  int max_streams_per_connection = 32768;  // Default: 32768 (the v4 maximum)
  Millis heartbeat_interval{30000};        // Default: 30 s of idleness, then OPTIONS; 0 disables
  // After a statement that changed the schema, how long its result waits for every node to
  // report the same schema_version (polled on the connection that ran it, every 200 ms), so
  // the next statement finds the change on whichever node it reaches. Past the wait the result
  // is delivered anyway, with a warning logged. Default: 10 s; 0 disables.
  Millis schema_agreement_wait{10000};
  ReconnectionOptions reconnection;  // Default: 100 ms doubling to 10 s, jittered
  LoadBalancing load_balancing = LoadBalancing::kDcAwareRoundRobin;
  bool token_aware =
      true;  // Default: true (prepared statements with a routing key go to a replica)
  RetryChoice retry = RetryChoice::kDefault;
  ConnectFetches fetches;  // Default: topology + keyspace replication; no schema
  // Defaults applied to statements that do not set their own.
  cql::Consistency consistency = cql::Consistency::kLocalOne;  // Default: LOCAL_ONE
  int32_t page_size = 5000;                                    // Default: 5000 rows
  // Default: kNegotiate (v5 with segment framing where the server has it, else v4; a host's
  // answer is remembered by the session and its snapshots, so later connections start right).
  ProtocolVersion protocol_version = ProtocolVersion::kNegotiate;

  // kInvalidArgument with a message naming the first bad field.
  Status Validate() const;
};

}  // namespace postfork::driver
