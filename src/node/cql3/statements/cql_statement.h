// A statement checked against the schema and ready to run: what PREPARE caches and what QUERY
// runs once. Built by Prepare() in cql3/statements/prepare.h from the parser's AST.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/cql3/ast.h"
#include "node/cql_errors.h"
#include "node/db/database.h"
#include "node/service/client_state.h"
#include "node/service/storage_proxy.h"
#include "postfork/base/status.h"
#include "postfork/cql/bytes.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/types.h"

namespace postfork::node::auth {
class AuthService;
}

namespace postfork::node::cql3 {

// Where a value in a statement comes from: a constant of the query text or a bind marker.
struct ValueSource {
  // kComposite: a collection, tuple or UDT literal with bind markers inside (`[?, ?]`), built
  // from the request's values at execution.
  // kToken: the token of a partition key whose components are bound at execution
  // (`token(k) > token(?)`), Cassandra's TokenFct: null when a component is null.
  enum class Kind { kConstant, kNull, kMarker, kComposite, kToken };
  Kind kind = Kind::kNull;
  std::string constant;  // serialized, for kConstant
  int marker = -1;       // for kMarker
  cql::DataType type;
  std::string receiver;    // the column's name, for error messages
  bool normalize = false;  // kMarker of a type with sets or maps: bound values are canonicalized
  std::shared_ptr<const Term> composite;  // kComposite
  std::vector<ValueSource> token_key;     // kToken: the partition key's components, in order
};

// Where the node warns clients (in the response's warning list) or refuses: Cassandra's
// guardrail settings of the same names, with their defaults.
struct ClientWarningThresholds {
  // batch_size_warn_threshold / batch_size_fail_threshold: a batch over several partitions whose
  // data is larger warns / is refused ("Batch too large"). Default: 5 KiB / 50 KiB.
  int64_t batch_size_warn_bytes = 5 * 1024;
  int64_t batch_size_fail_bytes = 50 * 1024;
  // unlogged_batch_across_partitions_warn_threshold: an unlogged batch over more partitions
  // warns. Default: 10.
  int unlogged_batch_across_partitions = 10;
  // tombstone_warn_threshold / tombstone_failure_threshold: a read that scans more tombstones
  // warns / fails with ReadFailure. Default: 1000 / 100000.
  int64_t tombstone_warn = 1000;
  int64_t tombstone_failure = 100000;
};

// Everything one execution needs. Lives for the duration of one request.
struct ExecutionContext {
  Database* db = nullptr;                  // schema and reads
  service::StorageProxy* proxy = nullptr;  // writes (service/storage_proxy.h)
  std::shared_ptr<const SchemaSnapshot> schema;
  service::ClientState* client = nullptr;
  auth::AuthService* auth = nullptr;  // null: no roles (AllowAll authenticator and authorizer)
  std::vector<cql::RawValue> values;  // bound values, positional (names already resolved)
  std::optional<int32_t> page_size;
  std::optional<std::string_view> paging_state;
  bool skip_metadata = false;
  std::optional<int64_t> default_timestamp;               // from the request
  cql::Consistency consistency = cql::Consistency::kOne;  // the request's (error bodies)
  // Conditional writes: the Unavailable their commit meets, answered only when the conditions
  // hold (the statement then fails with code Unavailable instead of writing).
  std::optional<cql::ErrorMessage> cas_commit_unavailable;
  // Conditional writes: set (to Ok) before they build their mutations, it keeps the first error
  // of an operation on the current value (a list element by index), raised only when the
  // conditions hold: Cassandra builds a conditional write's update after the check.
  mutable std::optional<Status> cas_update_error;
  int64_t now_micros = 0;                 // the node's clock when the request arrived
  std::optional<int32_t> now_in_seconds;  // v5: "now" for TTLs and tombstones (storage)
  int protocol_version = 4;               // of the connection: how results are encoded
  // v5 EXECUTE whose result_metadata_id is stale: Rows carry Metadata_changed, this id and the
  // columns.
  std::optional<std::string> new_metadata_id;
  // Canonical forms of bound values (ResolveValue's results point into it). A list: its elements
  // stay put, and an empty one allocates nothing (a deque allocates on construction, per request).
  mutable std::list<std::string> normalized;
  // Client warnings: the thresholds, and the warnings the execution raised (sent with the
  // response from protocol v4 on).
  ClientWarningThresholds thresholds;
  std::vector<std::string> warnings;
};

// Whether a conditional write whose conditions are `applied` may commit: one that applies but
// meets ctx.cas_commit_unavailable fails with code Unavailable (the query processor answers with
// that error) before anything is written.
inline Result<bool> CasCommitAllowed(const ExecutionContext& ctx, bool applied) {
  if (applied && ctx.cas_update_error && !ctx.cas_update_error->ok()) return *ctx.cas_update_error;
  if (applied && ctx.cas_commit_unavailable) {
    return CqlError(cql::ErrorCode::kUnavailable, ctx.cas_commit_unavailable->message);
  }
  return applied;
}

// The bound or constant value of `source`. Bound values are checked against the marker's type
// (wrong sizes and invalid encodings are InvalidRequest). Unset markers give RawValue::Unset().
Result<cql::RawValue> ResolveValue(const ValueSource& source, const ExecutionContext& ctx);

// What one execution answers: a RESULT body, and the schema change to push to registered
// connections (DDL) or the keyspace to switch to (USE).
struct StatementResult {
  std::string body;
  std::optional<cql::SchemaChange> schema_change;
  std::optional<std::string> set_keyspace;
};

class CqlStatement {
 public:
  virtual ~CqlStatement() = default;

  // "select", "insert", "update", "delete", "batch", "use", "create_table", ... (metrics).
  virtual std::string_view kind() const = 0;
  // keyspace.table the statement works on ("" for keyspace-level statements and batches).
  const std::string& keyspace() const { return keyspace_; }
  const std::string& table() const { return table_; }

  // One spec per bind marker, in order; pk_indexes as PREPARE reports them.
  const std::vector<cql::ColumnSpec>& bind_specs() const { return bind_specs_; }
  const std::vector<uint16_t>& pk_indexes() const { return pk_indexes_; }
  // Rows metadata of the result (SELECT), column_count 0 otherwise.
  const cql::RowsMetadata& result_metadata() const { return result_metadata_; }

  virtual Result<StatementResult> Execute(ExecutionContext& ctx) const = 0;

  // A read of at most one row by its full primary key (or of a partition without clustering
  // columns): cheap and bounded, so the network thread may run it itself rather than hand it to
  // a request thread.
  virtual bool is_point_read() const { return false; }
  // A write of one row that reads nothing first (no conditions, no counters, no list operation
  // by index or value, no IN): its cost is building one mutation and one storage write, so the
  // network thread may run it itself too (when storage does not sync each write).
  virtual bool is_single_row_write() const { return false; }

  // A text BEGIN BATCH: its statements, for per-statement access checks. Empty otherwise.
  virtual std::vector<const CqlStatement*> batch_children() const { return {}; }

 protected:
  std::string keyspace_;
  std::string table_;
  std::vector<cql::ColumnSpec> bind_specs_;
  std::vector<uint16_t> pk_indexes_;
  cql::RowsMetadata result_metadata_;
};

// INSERT, UPDATE and DELETE: also usable as children of a BATCH.
// The rows conditional statements were checked against, for the result of a conditional
// statement or batch that did not apply: every non-key column is read, in table order.
struct CasRows {
  std::shared_ptr<const TableMetadata> table;
  std::vector<const ColumnMetadata*> cell_columns;  // ReadRow::cells order
  std::vector<ReadRow> rows;                        // existing rows only, without duplicates
  std::vector<const ColumnMetadata*> conditioned;   // columns named by conditions
  bool all_columns = false;                         // an IF NOT EXISTS was among them
};

class ModificationStatement : public CqlStatement {
 public:
  // A conditional statement's check against the current row of the one partition `m` writes,
  // under that partition's lock (service::StorageProxy::CompareAndSet). Records the row read in
  // `rows`.
  virtual Result<bool> CheckConditions(ExecutionContext& ctx, const PartitionMutation& m,
                                       CasRows* rows) const;
  // Whether the statement gave USING TIMESTAMP (refused with conditions).
  virtual bool has_timestamp() const { return false; }
  // Appends this statement's mutations. `batch_timestamp` (the batch's USING TIMESTAMP or default)
  // applies when the statement has none of its own.
  virtual Status AddMutations(const ExecutionContext& ctx, std::optional<int64_t> batch_timestamp,
                              std::vector<PartitionMutation>* out) const = 0;
  // The partitions a counter statement writes: their locks are held while it reads the counters
  // and writes the sums (service::StorageProxy::CounterWrite). UPDATE and DELETE.
  virtual Result<std::vector<service::PartitionRef>> CounterPartitions(
      const ExecutionContext& ctx) const = 0;
  // Builds this statement's mutations and applies them through the storage proxy.
  Status ApplyMutations(ExecutionContext& ctx) const;
  Result<StatementResult> Execute(ExecutionContext& ctx) const override;
  // IF NOT EXISTS / IF EXISTS / IF conditions (lightweight transactions).
  virtual bool is_conditional() const { return false; }
  // A statement on a counter table (UPDATE c = c + n, DELETE).
  virtual bool is_counter() const { return false; }
};

// A RESULT Void body.
std::string VoidResultBody();

}  // namespace postfork::node::cql3
