// Runs QUERY, PREPARE, EXECUTE and BATCH requests: parse, check against the live schema,
// execute (reads on storage, writes through the storage proxy), and encode the RESULT or ERROR
// body. Thread-safe: requests run on the node's request threads, each with its own copy of the
// connection's ClientState.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/cql3/prepared_cache.h"
#include "node/db/database.h"
#include "node/service/client_state.h"
#include "node/service/metrics.h"
#include "node/service/storage_proxy.h"
#include "node/service/tracing.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"

namespace postfork::node::cql3 {

// A response body to send on the request's stream, and the schema change to push as an EVENT
// to registered connections.
struct Response {
  cql::Opcode opcode = cql::Opcode::kResult;
  std::string body;
  std::optional<cql::SchemaChange> schema_change;
  // USE: the connection's new keyspace, for the connection to apply when it sends the response.
  std::optional<std::string> set_keyspace;
  // Client warnings, sent before the body with the frame's warning flag (v4 and later).
  std::vector<std::string> warnings;
  // A traced request's session id, sent first in the body with the frame's tracing flag.
  std::optional<cql::Uuid> tracing_id;
};

// What a QueryProcessor is configured with.
struct QueryProcessorOptions {
  // The prepared statement cache's capacity (PreparedCache). Default: Cassandra's 10 MiB.
  size_t prepared_cache_bytes = PreparedCache::kDefaultCapacityBytes;
  // Client warning thresholds (defaults: Cassandra's).
  ClientWarningThresholds thresholds;
  // How long traces live in system_traces (Cassandra's tracetype_query_ttl). Default: 1 day.
  int32_t trace_ttl_seconds = tracing::kDefaultQueryTtlSeconds;
};

// Encodes `status` as an ERROR body (Cassandra's code when the status carries one).
Response ErrorResponse(const Status& status);
Response ErrorResponse(const cql::ErrorMessage& error);

class QueryProcessor {
 public:
  // `db`, `metrics` and `auth` must outlive the processor. A null `auth` means no roles: every
  // statement is allowed and role statements are refused.
  QueryProcessor(Database* db, service::NodeMetrics* metrics, auth::AuthService* auth = nullptr,
                 QueryProcessorOptions options = {})
      : db_(db),
        metrics_(metrics),
        auth_(auth),
        thresholds_(options.thresholds),
        trace_ttl_seconds_(options.trace_ttl_seconds),
        prepared_(options.prepared_cache_bytes),
        proxy_(&db->storage()) {}

  // Each request runs traced when this thread has a current trace (tracing::TraceScope): it
  // records what the request is and its steps there; FinishTrace then writes the trace.
  Response Query(const cql::QueryMessage& msg, service::ClientState& client);
  Response Prepare(const cql::PrepareMessage& msg, service::ClientState& client);
  // `found`: the entry of msg.id when the caller has it (RunsInline), or null. `msg` is taken
  // by value: its bound values become the statement's without a copy.
  Response Execute(cql::ExecuteMessage msg, service::ClientState& client,
                   std::shared_ptr<PreparedEntry> found = nullptr);
  Response Batch(const cql::BatchMessage& msg, service::ClientState& client);

  // Writes a finished request's trace to system_traces and puts its session id in `response`.
  // Called after the request's TraceScope has ended (the writes are not traced themselves).
  void FinishTrace(const tracing::TraceState& trace, Response* response);

  // Whether a QUERY or EXECUTE body (as sent, decompressed) runs a USE statement: a QUERY whose
  // text parses as USE (comments and case as the parser takes them), or an EXECUTE of a prepared
  // USE. The connection holds requests sent behind such a request until it has run. Cheap for
  // other statements: only a text containing "use" is parsed. Thread-safe.
  bool IsUseRequest(cql::Opcode opcode, std::string_view body);

  PreparedCache& prepared() { return prepared_; }
  // The storage the statements write, for the network thread's Storage::WalBatch around the
  // requests it runs inline.
  Storage& storage() { return db_->storage(); }

  // Whether `body` (a request of `opcode`) executes a prepared statement that costs less than
  // the hand-off to a request thread, as last checked against the schema: a point read
  // (CqlStatement::is_point_read), or a single-row write (is_single_row_write) when storage does
  // not sync the WAL on each write. A hint for where to run it, never a check (Execute checks
  // everything again).
  // The entry it returns (null: not inline) may be passed to Execute, which then does not look
  // the id up again.
  std::shared_ptr<PreparedEntry> RunsInline(cql::Opcode opcode, std::string_view body);

 private:
  // The entry's statement, checked again if the schema changed; `result_metadata_id` (optional)
  // gets its v5 result metadata id and `generation` (optional) the entry's generation, read
  // under the same lock.
  Result<std::shared_ptr<const CqlStatement>> StatementFor(
      PreparedEntry& entry, const std::shared_ptr<const SchemaSnapshot>& schema,
      std::string* result_metadata_id = nullptr, uint32_t* generation = nullptr);
  Response Run(const CqlStatement& statement, ExecutionContext& ctx, service::ClientState& client);
  ExecutionContext MakeContext(service::ClientState& client, const cql::QueryParameters* params);
  // Whether `statement` runs inline (RunsInline).
  bool InlineStatement(const CqlStatement& statement) const;

  Database* db_;
  service::NodeMetrics* metrics_;
  auth::AuthService* auth_;
  const ClientWarningThresholds thresholds_;
  const int32_t trace_ttl_seconds_;
  PreparedCache prepared_;
  // How this processor's writes reach storage, and their locks. One processor per Database.
  service::StorageProxy proxy_;
};

}  // namespace postfork::node::cql3
