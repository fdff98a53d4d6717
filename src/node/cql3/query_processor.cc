#include "node/cql3/query_processor.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include <variant>

#include "node/auth/auth_service.h"
#include "node/cql3/parser.h"
#include "node/cql3/statements/auth_statement.h"
#include "node/cql3/statements/batch_statement.h"
#include "node/cql3/statements/prepare.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/service/consistency.h"
#include "node/service/tracing.h"
#include "node/timestamp.h"
#include "postfork/base/ascii.h"

namespace postfork::node::cql3 {
namespace {

// An EXECUTE's or a BATCH child's prepared id that this node does not hold (Cassandra's text).
cql::ErrorMessage UnpreparedError(std::string_view id) {
  cql::ErrorMessage e;
  e.code = cql::ErrorCode::kUnprepared;
  std::string hex;
  for (unsigned char c : id) hex += fmt::format("{:02x}", c);
  e.message = fmt::format(
      "Prepared query with ID {} not found (either the query was not prepared on this host "
      "(maybe the host has been restarted?) or you have prepared too many queries and it has "
      "been evicted from the internal cache)",
      hex);
  e.unprepared_id = std::string(id);
  return e;
}

// A page size of 0, refused by Cassandra before it runs a QUERY or binds an EXECUTE.
std::optional<Response> PageSizeError(const cql::QueryParameters& params) {
  if (!params.page_size || *params.page_size != 0) return std::nullopt;
  cql::ErrorMessage e;
  e.code = cql::ErrorCode::kProtocolError;
  e.message = "The page size cannot be 0";
  return ErrorResponse(e);
}

// Positional values from a request, with named values matched to the markers' names.
// `values`: the request's values (QueryParameters::values), returned as they are when positional.
// `prepared`: an EXECUTE (Cassandra words a count mismatch differently for QUERY and EXECUTE).
Result<std::vector<cql::RawValue>> BindValues(std::vector<cql::RawValue> values,
                                              const cql::QueryParameters& params,
                                              const CqlStatement& statement, bool prepared) {
  const auto& specs = statement.bind_specs();
  if (params.value_names.empty()) {
    if (values.size() != specs.size()) {
      if (!prepared) return InvalidRequest("Invalid amount of bind variables");
      return InvalidRequest(fmt::format("there were {} markers(?) in CQL but {} bound variables",
                                        specs.size(), values.size()));
    }
    return values;
  }
  std::vector<cql::RawValue> out(specs.size(), cql::RawValue::Unset());
  std::vector<bool> found(specs.size(), false);
  for (size_t i = 0; i < specs.size(); ++i) {
    for (size_t j = 0; j < params.value_names.size() && j < values.size(); ++j) {
      std::string_view name = params.value_names[j];
      if (name == specs[i].name || ascii::Lower(name) == specs[i].name) {
        out[i] = values[j];
        found[i] = true;
        break;
      }
    }
    if (!found[i]) {
      return InvalidRequest(fmt::format("Invalid unset value for bind variable {}", specs[i].name));
    }
  }
  return out;
}

bool AffectsPreparedStatements(const TableMetadata& before, const TableMetadata& after) {
  auto same_columns = [](const TableMetadata& a, const TableMetadata& b) {
    if (a.columns.size() != b.columns.size()) return false;
    for (size_t i = 0; i < a.columns.size(); ++i) {
      const ColumnMetadata& x = a.columns[i];
      const ColumnMetadata& y = b.columns[i];
      if (x.name != y.name || x.kind != y.kind || x.id != y.id || !(x.type == y.type)) {
        return false;
      }
    }
    return true;
  };
  auto index_names = [](const TableMetadata& t) {
    std::vector<std::string> names;
    for (const auto& i : t.indexes) names.push_back(i.name);
    return names;
  };
  return !same_columns(before, after) || index_names(before) != index_names(after) ||
         before.params.default_time_to_live != after.params.default_time_to_live ||
         before.params.gc_grace_seconds != after.params.gc_grace_seconds;
}

// The error a single node answers for `statement` at the request's consistency levels, if any
// (service/consistency.h). Statements other than reads and writes take no consistency level.
std::optional<cql::ErrorMessage> ConsistencyError(
    const CqlStatement& statement, const SchemaSnapshot& schema, std::string_view local_dc,
    cql::Consistency consistency, std::optional<cql::Consistency> serial, ExecutionContext* ctx) {
  auto check_one = [&](const CqlStatement& s) -> std::optional<cql::ErrorMessage> {
    const KeyspaceMetadata* ks = schema.FindKeyspace(s.keyspace());
    if (!ks) return std::nullopt;
    const bool select = s.kind() == "select";
    if (ctx != nullptr && !ctx->cas_commit_unavailable && !select) {
      auto* m = dynamic_cast<const ModificationStatement*>(&s);
      if (m != nullptr && m->is_conditional()) {
        ctx->cas_commit_unavailable = service::CheckConditionalCommit(*ks, local_dc, consistency);
      }
    }
    service::RequestKind kind;
    if (select) {
      kind = service::RequestKind::kRead;
    } else if (auto* m = dynamic_cast<const ModificationStatement*>(&s)) {
      kind = m->is_conditional() ? service::RequestKind::kConditionalWrite
             : m->is_counter()   ? service::RequestKind::kCounterWrite
                                 : service::RequestKind::kWrite;
    } else {
      return std::nullopt;
    }
    return service::CheckConsistency(*ks, local_dc, kind, consistency, serial, s.table());
  };
  auto children = statement.batch_children();
  if (children.empty()) return check_one(statement);
  for (const CqlStatement* child : children) {
    if (auto e = check_one(*child)) return e;
  }
  return std::nullopt;
}

using TraceParameters = std::vector<std::pair<std::string, std::string>>;

// The parameters Cassandra's QUERY and EXECUTE traces record (QueryMessage/ExecuteMessage
// .traceQuery): page size when positive, the consistency levels (SERIAL when none was sent, as
// QueryOptions defaults) and the query text.
TraceParameters QueryTraceParameters(const cql::QueryParameters& p, std::string_view query) {
  TraceParameters out;
  if (p.page_size && *p.page_size > 0) out.emplace_back("page_size", std::to_string(*p.page_size));
  out.emplace_back("consistency_level", std::string(cql::ConsistencyName(p.consistency)));
  out.emplace_back(
      "serial_consistency_level",
      std::string(cql::ConsistencyName(p.serial_consistency.value_or(cql::Consistency::kSerial))));
  out.emplace_back("query", std::string(query));
  return out;
}

// EXECUTE also records each bound value as a CQL literal, under bound_var_<i>_<name>, cut at
// 1000 characters as Cassandra does.
void AddBoundValues(const CqlStatement& statement, const std::vector<cql::RawValue>& values,
                    TraceParameters* out) {
  const auto& specs = statement.bind_specs();
  for (size_t i = 0; i < specs.size() && i < values.size(); ++i) {
    std::string literal = "null";
    if (values[i].is_unset()) {
      literal = "unset";
    } else if (!values[i].is_null()) {
      auto v = cql::DeserializeValue(values[i].bytes, specs[i].type);
      literal = v.ok() ? v->ToCqlLiteral(specs[i].type) : "?";
    }
    if (literal.size() > 1000) literal = literal.substr(0, 1000) + "...'";
    out->emplace_back(fmt::format("bound_var_{}_{}", i, specs[i].name), std::move(literal));
  }
}

}  // namespace

Response ErrorResponse(const cql::ErrorMessage& error) {
  Response r;
  r.opcode = cql::Opcode::kError;
  cql::ByteWriter w(&r.body);
  error.Encode(w);
  return r;
}

Response ErrorResponse(const Status& status) { return ErrorResponse(ToErrorMessage(status)); }

// The ReadFailure of a read this node (the one replica) gave up (too many tombstones), as
// Cassandra's ReadCallback reports it: no response of the block-for, one failure from this
// node's internode address, READ_TOO_MANY_TOMBSTONES (code 1).
Response ReadFailure(const ExecutionContext& ctx, const CqlStatement& statement) {
  const NodeIdentity& node = ctx.db->schema().identity();
  cql::ErrorMessage e;
  e.code = cql::ErrorCode::kReadFailure;
  e.consistency = ctx.consistency;
  e.alive_or_received = 0;
  e.required = 1;
  if (const KeyspaceMetadata* ks = ctx.schema->FindKeyspace(statement.keyspace())) {
    e.required = service::BlockFor(*ks, node.data_center, ctx.consistency);
  }
  e.num_failures = 1;
  std::string address(16, '\0');
  if (inet_pton(AF_INET, node.listen_address.c_str(), address.data()) == 1) {
    address.resize(4);
  } else if (inet_pton(AF_INET6, node.listen_address.c_str(), address.data()) != 1) {
    address.assign("\x7f\0\0\x01", 4);
  }
  e.reason_map.emplace_back(address, 1);  // RequestFailureReason.READ_TOO_MANY_TOMBSTONES
  e.message = fmt::format(
      "Operation failed - received 0 responses and 1 failures: READ_TOO_MANY_TOMBSTONES from "
      "/{}:{}",
      node.listen_address, node.storage_port);
  return ErrorResponse(e);
}

ExecutionContext QueryProcessor::MakeContext(service::ClientState& client,
                                             const cql::QueryParameters* params) {
  ExecutionContext ctx;
  ctx.db = db_;
  ctx.proxy = &proxy_;
  ctx.schema = db_->schema().snapshot();
  ctx.client = &client;
  ctx.auth = auth_;
  ctx.now_micros = NowMicros();
  ctx.protocol_version = client.protocol_version;
  ctx.thresholds = thresholds_;
  if (params) {
    ctx.page_size = params->page_size;
    ctx.paging_state = params->paging_state;
    ctx.skip_metadata = params->skip_metadata;
    ctx.default_timestamp = params->default_timestamp;
    ctx.consistency = params->consistency;
    ctx.now_in_seconds = params->now_in_seconds;
  }
  return ctx;
}

Response QueryProcessor::Run(const CqlStatement& statement, ExecutionContext& ctx,
                             service::ClientState& client) {
  if (Status access = CheckAccess(statement, ctx); !access.ok()) {
    metrics_->Statement(statement.kind(), statement.keyspace(), statement.table());
    return ErrorResponse(access);
  }
  auto result = statement.Execute(ctx);
  // A write refused under Storage::NoStall runs again on a request thread: counted there, once.
  if (!Storage::NoStall::StalledOnThisThread(storage())) {
    metrics_->Statement(statement.kind(), statement.keyspace(), statement.table());
  }
  if (!result.ok()) {
    const Status& s = result.error();
    if (CqlErrorCodeOf(s) == cql::ErrorCode::kAlreadyExists) {
      cql::ErrorMessage e = ToErrorMessage(s);
      e.keyspace = statement.keyspace();
      e.table = statement.table();
      return ErrorResponse(e);
    }
    if (CqlErrorCodeOf(s) == cql::ErrorCode::kReadFailure) return ReadFailure(ctx, statement);
    if (CqlErrorCodeOf(s) == cql::ErrorCode::kUnavailable && ctx.cas_commit_unavailable) {
      return ErrorResponse(*ctx.cas_commit_unavailable);
    }
    return ErrorResponse(s);
  }
  Response r;
  if (result->set_keyspace) {
    client.keyspace = *result->set_keyspace;
    r.set_keyspace = *result->set_keyspace;
  }
  if (auth_ && result->schema_change &&
      result->schema_change->change == cql::SchemaChangeType::kDropped) {
    // Grants on a dropped keyspace or table go with it (a re-created one starts with none).
    const cql::SchemaChange& c = *result->schema_change;
    auto resource = c.target == cql::SchemaChangeTarget::kKeyspace
                        ? auth::DataResource::Keyspace(c.keyspace)
                        : auth::DataResource::Table(c.keyspace, c.name);
    if (c.target == cql::SchemaChangeTarget::kKeyspace ||
        c.target == cql::SchemaChangeTarget::kTable) {
      Status revoked = auth_->roles().RevokeAllOn(resource);
      if (!revoked.ok()) return ErrorResponse(revoked);
    }
  }
  if (result->schema_change && result->schema_change->change == cql::SchemaChangeType::kDropped) {
    // Statements and per-table counters of a dropped table or keyspace go with it, so that
    // schema churn does not grow the node.
    const cql::SchemaChange& c = *result->schema_change;
    if (c.target == cql::SchemaChangeTarget::kKeyspace) {
      prepared_.Invalidate(c.keyspace, "");
      metrics_->ForgetTables(c.keyspace, "");
    } else if (c.target == cql::SchemaChangeTarget::kTable) {
      prepared_.Invalidate(c.keyspace, c.name);
      metrics_->ForgetTables(c.keyspace, c.name);
    }
    metrics_->PreparedStatements(prepared_.size(), prepared_.weight());
  } else if (result->schema_change &&
             result->schema_change->target == cql::SchemaChangeTarget::kTable &&
             result->schema_change->change == cql::SchemaChangeType::kUpdated) {
    // As Cassandra (TableMetadata.changeAffectsPreparedStatements): a change of the table's
    // columns, indexes, default TTL or gc_grace_seconds drops its prepared statements; their
    // clients get UNPREPARED and prepare again, with the new result metadata.
    const cql::SchemaChange& c = *result->schema_change;
    auto before = ctx.schema->FindTable(c.keyspace, c.name);
    auto after = db_->schema().snapshot()->FindTable(c.keyspace, c.name);
    if (before && after && AffectsPreparedStatements(*before, *after)) {
      prepared_.Invalidate(c.keyspace, c.name);
      metrics_->PreparedStatements(prepared_.size(), prepared_.weight());
    }
  }
  r.body = std::move(result->body);
  r.schema_change = std::move(result->schema_change);
  r.warnings = std::move(ctx.warnings);
  return r;
}

bool QueryProcessor::IsUseRequest(cql::Opcode opcode, std::string_view body) {
  cql::ByteReader reader(body);
  if (opcode == cql::Opcode::kExecute) {
    auto id = reader.ReadShortBytes();
    if (!id.ok()) return false;
    std::shared_ptr<PreparedEntry> entry = prepared_.Find(*id);
    return entry && std::holds_alternative<UseStatement>(entry->parsed.statement);
  }
  if (opcode != cql::Opcode::kQuery) return false;
  auto text = reader.ReadLongString();
  if (!text.ok()) return false;
  // Every USE statement holds the unquoted keyword; most other statements never spell it.
  std::string_view q = *text;
  bool has_use = false;
  for (size_t i = 0; i + 3 <= q.size() && !has_use; ++i) {
    has_use = ascii::EqualsIgnoreCase(q.substr(i, 3), "use");
  }
  if (!has_use) return false;
  auto parsed = ParseStatement(q);
  return parsed.ok() && std::holds_alternative<UseStatement>(parsed->statement);
}

Response QueryProcessor::Query(const cql::QueryMessage& msg, service::ClientState& client) {
  if (auto e = PageSizeError(msg.params)) return std::move(*e);
  if (tracing::TraceState* trace = tracing::Current()) {
    trace->Begin("Execute CQL3 query", QueryTraceParameters(msg.params, msg.query));
  }
  tracing::Trace("Parsing {}", msg.query);
  auto parsed = ParseStatement(msg.query);
  if (!parsed.ok()) return ErrorResponse(parsed.error());
  tracing::Trace("Preparing statement");
  ExecutionContext ctx = MakeContext(client, &msg.params);
  // v5's keyspace flag supersedes the connection's keyspace for this request.
  auto statement =
      PrepareStatement(*parsed, *ctx.schema, msg.params.keyspace.value_or(client.keyspace));
  if (!statement.ok()) return ErrorResponse(statement.error());
  auto values = BindValues(msg.params.values, msg.params, **statement, /*prepared=*/false);
  if (!values.ok()) return ErrorResponse(values.error());
  if (auto e = ConsistencyError(**statement, *ctx.schema, db_->schema().identity().data_center,
                                msg.params.consistency, msg.params.serial_consistency, &ctx)) {
    return ErrorResponse(*e);
  }
  ctx.values = std::move(*values);
  return Run(**statement, ctx, client);
}

Response QueryProcessor::Prepare(const cql::PrepareMessage& msg, service::ClientState& client) {
  if (tracing::TraceState* trace = tracing::Current()) {
    trace->Begin("Preparing CQL3 query", {{"query", std::string(msg.query)}});
  }
  auto parsed = ParseStatement(msg.query);
  if (!parsed.ok()) return ErrorResponse(parsed.error());
  auto schema = db_->schema().snapshot();
  const std::string keyspace(msg.keyspace.value_or(client.keyspace));
  auto statement = PrepareStatement(*parsed, *schema, keyspace);
  if (!statement.ok()) return ErrorResponse(statement.error());
  metrics_->Statement("prepare", (*statement)->keyspace(), "");

  auto entry = std::make_shared<PreparedEntry>();
  entry->id = PreparedCache::ComputeId(msg.query, keyspace);
  entry->query = std::string(msg.query);
  entry->keyspace = keyspace;
  entry->parsed = std::move(*parsed);
  entry->statement = std::shared_ptr<const CqlStatement>(std::move(*statement));
  entry->schema = schema;
  entry->prepared_result_metadata = entry->statement->result_metadata();
  entry->result_metadata_id =
      PreparedCache::ComputeResultMetadataId(entry->statement->result_metadata());
  entry->runs_inline.store(InlineStatement(*entry->statement), std::memory_order_relaxed);
  entry->statement_keyspace = entry->statement->keyspace();
  entry->statement_table = entry->statement->table();
  entry->weight = PreparedCache::Weigh(*entry);
  if (entry->weight > prepared_.capacity_bytes()) {
    return ErrorResponse(InvalidRequest(fmt::format(
        "Prepared statement of size {} bytes is larger than allowed maximum of {} MB: {}...",
        entry->weight, prepared_.capacity_bytes() >> 20, msg.query.substr(0, 200))));
  }
  std::shared_ptr<const CqlStatement> checked = entry->statement;
  const std::string metadata_id = entry->result_metadata_id;
  std::shared_ptr<PreparedEntry> e = prepared_.Insert(std::move(entry));
  metrics_->PreparedStatements(prepared_.size(), prepared_.weight());

  cql::ResultMessage result;
  result.kind = cql::ResultKind::kPrepared;
  result.prepared.id = e->id;
  result.prepared.result_metadata_id = metadata_id;
  result.prepared.pk_indexes = checked->pk_indexes();
  result.prepared.bind_columns = checked->bind_specs();
  result.prepared.result_metadata = checked->result_metadata();
  result.prepared.result_metadata.column_count =
      static_cast<int32_t>(result.prepared.result_metadata.columns.size());
  Response r;
  cql::ByteWriter w(&r.body);
  result.Encode(w, client.protocol_version);
  return r;
}

Result<std::shared_ptr<const CqlStatement>> QueryProcessor::StatementFor(
    PreparedEntry& entry, const std::shared_ptr<const SchemaSnapshot>& schema,
    std::string* result_metadata_id, uint32_t* generation) {
  std::lock_guard lock(entry.mu);
  if (entry.schema != schema) {
    // The schema changed since this statement was checked: check it again, so that SELECT *
    // sees added/dropped columns and dropped tables are reported.
    PF_ASSIGN_OR_RETURN(auto fresh, PrepareStatement(entry.parsed, *schema, entry.keyspace));
    entry.statement = std::shared_ptr<const CqlStatement>(std::move(fresh));
    entry.schema = schema;
    entry.result_metadata_id =
        PreparedCache::ComputeResultMetadataId(entry.statement->result_metadata());
    entry.runs_inline.store(InlineStatement(*entry.statement), std::memory_order_relaxed);
    ++entry.generation;
  }
  if (result_metadata_id) *result_metadata_id = entry.result_metadata_id;
  if (generation) *generation = entry.generation;
  return entry.statement;
}

bool QueryProcessor::InlineStatement(const CqlStatement& statement) const {
  if (statement.is_point_read()) return true;
  // A write that fsyncs the WAL before it returns would hold up every connection meanwhile.
  return statement.is_single_row_write() &&
         db_->storage().options().sync_mode != StorageOptions::SyncMode::kBatch;
}

std::shared_ptr<PreparedEntry> QueryProcessor::RunsInline(cql::Opcode opcode,
                                                          std::string_view body) {
  if (opcode != cql::Opcode::kExecute) return nullptr;
  cql::ByteReader reader(body);
  auto id = reader.ReadShortBytes();
  if (!id.ok()) return nullptr;
  std::shared_ptr<PreparedEntry> entry = prepared_.Find(*id);
  if (!entry || !entry->runs_inline.load(std::memory_order_relaxed)) return nullptr;
  return entry;
}

Response QueryProcessor::Execute(cql::ExecuteMessage msg, service::ClientState& client,
                                 std::shared_ptr<PreparedEntry> found) {
  std::shared_ptr<PreparedEntry> entry =
      found && found->id == msg.id ? std::move(found) : prepared_.Find(msg.id);
  if (!entry) {
    cql::ErrorMessage e = UnpreparedError(msg.id);
    metrics_->Error(static_cast<int32_t>(e.code));
    return ErrorResponse(e);
  }
  if (auto e = PageSizeError(msg.params)) return std::move(*e);
  ExecutionContext ctx = MakeContext(client, &msg.params);
  const bool v5 = client.protocol_version >= cql::kProtocolV5;
  std::string metadata_id;
  uint32_t generation = 0;
  auto statement = StatementFor(*entry, ctx.schema, v5 ? &metadata_id : nullptr, &generation);
  if (!statement.ok()) return ErrorResponse(statement.error());
  auto values =
      BindValues(std::move(msg.params.values), msg.params, **statement, /*prepared=*/true);
  if (!values.ok()) return ErrorResponse(values.error());
  if (tracing::TraceState* trace = tracing::Current()) {
    TraceParameters parameters = QueryTraceParameters(msg.params, entry->query);
    AddBoundValues(**statement, *values, &parameters);
    trace->Begin("Execute CQL3 prepared query", std::move(parameters));
  }
  // The check depends on the statement's keyspace in the schema it was built against and on the
  // two levels only: once passed, it is remembered for them (PreparedEntry::consistent).
  const uint64_t levels =
      uint64_t{generation} << 32 |
      uint64_t{msg.params.serial_consistency
                   ? static_cast<uint16_t>(*msg.params.serial_consistency) + 1u
                   : 0u}
          << 16 |
      static_cast<uint16_t>(msg.params.consistency);
  if (entry->consistent.load(std::memory_order_relaxed) != levels) {
    if (auto e = ConsistencyError(**statement, *ctx.schema, db_->schema().identity().data_center,
                                  msg.params.consistency, msg.params.serial_consistency, &ctx)) {
      return ErrorResponse(*e);
    }
    if ((*statement)->is_point_read() || (*statement)->is_single_row_write()) {
      entry->consistent.store(levels, std::memory_order_relaxed);
    }
  }
  ctx.values = std::move(*values);
  if (v5) {
    // v5: the client says which metadata it holds; a stale id gets the new metadata and id
    // (Metadata_changed), whatever skip_metadata asked.
    if (msg.result_metadata_id != metadata_id) {
      ctx.new_metadata_id = std::move(metadata_id);
      ctx.skip_metadata = false;
    }
  } else if (ctx.skip_metadata && !((*statement)->result_metadata().columns ==
                                    entry->prepared_result_metadata.columns)) {
    // v4: metadata may be skipped only while the result has the shape PREPARE announced.
    ctx.skip_metadata = false;
  }
  return Run(**statement, ctx, client);
}

Response QueryProcessor::Batch(const cql::BatchMessage& msg, service::ClientState& client) {
  if (tracing::TraceState* trace = tracing::Current()) {
    trace->Begin("Execute batch of CQL3 queries",
                 {{"consistency_level", std::string(cql::ConsistencyName(msg.consistency))},
                  {"serial_consistency_level",
                   std::string(cql::ConsistencyName(
                       msg.serial_consistency.value_or(cql::Consistency::kSerial)))}});
  }
  ExecutionContext ctx = MakeContext(client, nullptr);
  ctx.default_timestamp = msg.default_timestamp;
  ctx.now_in_seconds = msg.now_in_seconds;
  std::vector<std::shared_ptr<const CqlStatement>> keep;
  std::vector<BatchChild> children;
  for (const auto& child : msg.statements) {
    std::shared_ptr<const CqlStatement> statement;
    if (child.is_prepared) {
      std::shared_ptr<PreparedEntry> entry = prepared_.Find(child.query_or_id);
      if (!entry) {
        return ErrorResponse(UnpreparedError(child.query_or_id));
      }
      auto s = StatementFor(*entry, ctx.schema);
      if (!s.ok()) return ErrorResponse(s.error());
      statement = *s;
    } else {
      auto parsed = ParseStatement(child.query_or_id);
      if (!parsed.ok()) return ErrorResponse(parsed.error());
      auto s = PrepareStatement(*parsed, *ctx.schema, msg.keyspace.value_or(client.keyspace));
      if (!s.ok()) return ErrorResponse(s.error());
      statement = std::shared_ptr<const CqlStatement>(std::move(*s));
    }
    auto* mod = dynamic_cast<const ModificationStatement*>(statement.get());
    if (!mod) {
      return ErrorResponse(InvalidRequest(
          "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed."));
    }
    if (child.values.size() != statement->bind_specs().size()) {
      return ErrorResponse(
          InvalidRequest(fmt::format("There were {} markers(?) in CQL but {} bound variables",
                                     statement->bind_specs().size(), child.values.size())));
    }
    metrics_->Statement(statement->kind(), statement->keyspace(), statement->table());
    if (Status access = CheckAccess(*statement, ctx); !access.ok()) return ErrorResponse(access);
    if (auto e = ConsistencyError(*statement, *ctx.schema, db_->schema().identity().data_center,
                                  msg.consistency, msg.serial_consistency, &ctx)) {
      return ErrorResponse(*e);
    }
    children.push_back(BatchChild{mod, child.values});
    keep.push_back(std::move(statement));
  }
  metrics_->Statement("batch", "", "");
  auto body = ExecuteBatch(children, ctx, std::nullopt, msg.type);
  if (!body.ok()) {
    if (CqlErrorCodeOf(body.error()) == cql::ErrorCode::kUnavailable &&
        ctx.cas_commit_unavailable) {
      return ErrorResponse(*ctx.cas_commit_unavailable);
    }
    return ErrorResponse(body.error());
  }
  Response r;
  r.body = std::move(*body);
  r.warnings = std::move(ctx.warnings);
  return r;
}

void QueryProcessor::FinishTrace(const tracing::TraceState& trace, Response* response) {
  auto mutations = tracing::TraceMutations(trace, *db_->schema().snapshot(),
                                           db_->schema().identity(), trace_ttl_seconds_);
  // A trace that cannot be written leaves the response as it is: tracing is best effort, as in
  // Cassandra, whose trace writes may time out without failing the request.
  if (!mutations.ok() || mutations->empty()) return;
  if (!db_->storage().Apply(*mutations).ok()) return;
  response->tracing_id = trace.session_id();
}

}  // namespace postfork::node::cql3
