#include "node/cql3/statements/prepare.h"

#include <fmt/format.h>

#include "node/cql3/statements/auth_statement.h"
#include "node/cql3/statements/batch_checks.h"
#include "node/cql3/statements/disabled_feature_statement.h"
#include "node/cql3/statements/modification_statement.h"
#include "node/cql3/statements/schema_statement.h"
#include "node/cql3/statements/select_statement.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"

namespace postfork::node::cql3 {
namespace {

Result<std::unique_ptr<ModificationStatement>> PrepareModification(const Statement& stmt,
                                                                   const SchemaSnapshot& schema,
                                                                   std::string_view keyspace,
                                                                   int bind_count) {
  if (auto* s = std::get_if<InsertStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    return PrepareInsert(*s, std::move(table), bind_count);
  }
  if (auto* s = std::get_if<UpdateStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    return PrepareUpdate(*s, std::move(table), bind_count);
  }
  if (auto* s = std::get_if<DeleteStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    return PrepareDelete(*s, std::move(table), bind_count);
  }
  return InvalidRequest(
      "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.");
}

// BEGIN BATCH ... APPLY BATCH in a query string: markers are numbered across the whole text.
class TextBatchStatement final : public CqlStatement {
 public:
  std::string_view kind() const override { return "batch"; }

  Status Prepare(const BatchStatement& batch, const SchemaSnapshot& schema,
                 std::string_view keyspace, int bind_count) {
    type_ = batch.type == BatchStatement::Type::kCounter    ? cql::BatchType::kCounter
            : batch.type == BatchStatement::Type::kUnlogged ? cql::BatchType::kUnlogged
                                                            : cql::BatchType::kLogged;
    bind_specs_.resize(static_cast<size_t>(bind_count));
    if (batch.using_clause.ttl) {
      return InvalidRequest("Global TTL on the BATCH statement is not supported.");
    }
    if (batch.using_clause.timestamp) {
      if (batch.using_clause.timestamp->kind == Term::Kind::kBindMarker) {
        return InvalidRequest("Bind markers for the BATCH timestamp are not supported");
      }
      PF_ASSIGN_OR_RETURN(cql::Value v,
                          TermToValue(*batch.using_clause.timestamp,
                                      cql::DataType(cql::TypeKind::kBigint), "[timestamp]"));
      if (auto* ts = v.get_if<int64_t>()) timestamp_ = *ts;
    }
    for (const auto& child : batch.statements) {
      PF_ASSIGN_OR_RETURN(auto s, PrepareModification(child, schema, keyspace, bind_count));
      const auto& specs = s->bind_specs();
      for (size_t i = 0; i < specs.size() && i < bind_specs_.size(); ++i) {
        if (!specs[i].name.empty()) bind_specs_[i] = specs[i];
      }
      children_.push_back(std::move(s));
    }
    return Status::Ok();
  }

  Result<StatementResult> Execute(ExecutionContext& ctx) const override {
    std::vector<BatchChild> children;
    for (const auto& c : children_) children.push_back(BatchChild{c.get(), ctx.values});
    StatementResult r;
    PF_ASSIGN_OR_RETURN(r.body, ExecuteBatch(children, ctx, timestamp_, type_));
    return r;
  }

  std::vector<const CqlStatement*> batch_children() const override {
    std::vector<const CqlStatement*> out;
    for (const auto& c : children_) out.push_back(c.get());
    return out;
  }

 private:
  std::vector<std::unique_ptr<ModificationStatement>> children_;
  std::optional<int64_t> timestamp_;
  cql::BatchType type_ = cql::BatchType::kLogged;
};

}  // namespace

Result<std::shared_ptr<const TableMetadata>> ResolveTable(const TableName& name,
                                                          const SchemaSnapshot& schema,
                                                          std::string_view keyspace) {
  std::string_view ks = name.keyspace.empty() ? keyspace : std::string_view(name.keyspace);
  if (ks.empty()) {
    return InvalidRequest(
        "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename");
  }
  if (!schema.FindKeyspace(ks)) {
    return InvalidRequest(fmt::format("Keyspace '{}' does not exist", ks));
  }
  auto table = schema.FindTable(ks, name.name);
  if (!table) return InvalidRequest("unconfigured table " + name.name);
  return table;
}

namespace {

// Appends every child's mutations at `ts` (each child with its own bound values); `first_of`,
// when given, gets the index of each child's first mutation.
Status AddChildMutations(const std::vector<BatchChild>& children, ExecutionContext& ctx,
                         std::optional<int64_t> ts, std::vector<PartitionMutation>* mutations,
                         std::vector<size_t>* first_of = nullptr) {
  std::vector<cql::RawValue> saved = std::move(ctx.values);
  Status status;
  for (const auto& child : children) {
    ctx.values = child.values;
    if (first_of) first_of->push_back(mutations->size());
    status = child.statement->AddMutations(ctx, ts, mutations);
    if (!status.ok()) break;
  }
  ctx.values = std::move(saved);
  return status;
}

// Every statement's mutations in one partition, checked and applied under its LWT lock.
Result<std::string> ExecuteConditionalBatch(const std::vector<BatchChild>& children,
                                            ExecutionContext& ctx,
                                            std::optional<int64_t> batch_timestamp) {
  if (batch_timestamp) return InvalidRequest("Cannot provide custom timestamp for conditional BATCH");
  for (const auto& child : children) {
    if (child.statement->has_timestamp()) {
      return InvalidRequest("Cannot provide custom timestamp for conditional BATCH");
    }
  }
  int64_t ts = ctx.default_timestamp ? *ctx.default_timestamp : ctx.now_micros;
  std::vector<PartitionMutation> mutations;
  std::vector<size_t> first_of;  // per child: its first mutation
  PF_RETURN_IF_ERROR(AddChildMutations(children, ctx, ts, &mutations, &first_of));
  for (const PartitionMutation& m : mutations) {
    if (m.table != mutations[0].table) {
      return InvalidRequest("Batch with conditions cannot span multiple tables");
    }
    if (m.partition_key != mutations[0].partition_key) {
      return InvalidRequest("Batch with conditions cannot span multiple partitions");
    }
  }
  if (mutations.empty()) return VoidResultBody();
  std::lock_guard lock(LwtMutex(mutations[0]));
  CasRows rows;
  bool applied = true;
  Status status;
  std::vector<cql::RawValue> saved = std::move(ctx.values);
  for (size_t i = 0; i < children.size() && status.ok(); ++i) {
    if (!children[i].statement->is_conditional()) continue;
    const PartitionMutation& m = mutations[first_of[i]];
    if (m.rows.size() > 1 || (m.partition_deletion_timestamp && m.table->clustering_size() > 0) ||
        !m.range_tombstones.empty()) {
      status = InvalidRequest(
          "IN on the clustering key columns is not supported with conditional updates");
      break;
    }
    ctx.values = children[i].values;
    auto holds = children[i].statement->CheckConditions(ctx, m, &rows);
    if (!holds.ok()) {
      status = holds.error();
    } else {
      applied = applied && *holds;
    }
  }
  ctx.values = std::move(saved);
  PF_RETURN_IF_ERROR(status);
  if (applied) PF_RETURN_IF_ERROR(ctx.db->storage().Apply(mutations, ctx.now_in_seconds));
  return CasResultBody(rows, applied, /*batch=*/true);
}

}  // namespace

Result<std::string> ExecuteBatch(const std::vector<BatchChild>& children, ExecutionContext& ctx,
                                 std::optional<int64_t> batch_timestamp, cql::BatchType type) {
  bool counters = false, others = false, conditional = false;
  for (const auto& child : children) {
    (child.statement->is_counter() ? counters : others) = true;
    conditional = conditional || child.statement->is_conditional();
  }
  if (type == cql::BatchType::kCounter && others) {
    return InvalidRequest("Cannot include non-counter statement in a counter batch");
  }
  if (type == cql::BatchType::kLogged && counters) {
    return InvalidRequest("Cannot include a counter statement in a logged batch");
  }
  if (counters && others) {
    return InvalidRequest("Counter and non-counter mutations cannot exist in the same batch");
  }
  if (conditional) {
    if (counters) return InvalidRequest("Cannot include a counter statement in a conditional BATCH");
    return ExecuteConditionalBatch(children, ctx, batch_timestamp);
  }
  if (counters) {
    std::lock_guard lock(CounterMutex());
    std::vector<cql::RawValue> saved = std::move(ctx.values);
    Status status;
    for (const auto& child : children) {
      ctx.values = child.values;
      std::vector<PartitionMutation> mutations;
      status = child.statement->AddMutations(ctx, std::nullopt, &mutations);
      if (status.ok() && !mutations.empty())
        status = ctx.db->storage().Apply(mutations, ctx.now_in_seconds);
      if (!status.ok()) break;
    }
    ctx.values = std::move(saved);
    PF_RETURN_IF_ERROR(status);
    return VoidResultBody();
  }
  // One timestamp for every statement without its own, as Cassandra does.
  int64_t ts = batch_timestamp ? *batch_timestamp
                               : (ctx.default_timestamp ? *ctx.default_timestamp : ctx.now_micros);
  std::vector<PartitionMutation> mutations;
  PF_RETURN_IF_ERROR(AddChildMutations(children, ctx, ts, &mutations));
  PF_RETURN_IF_ERROR(CheckBatchMutations(mutations, type, ctx));
  if (!mutations.empty())
    PF_RETURN_IF_ERROR(ctx.db->storage().Apply(mutations, ctx.now_in_seconds));
  return VoidResultBody();
}

Result<std::unique_ptr<CqlStatement>> PrepareStatement(const ParsedStatement& parsed,
                                                       const SchemaSnapshot& schema,
                                                       std::string_view keyspace) {
  const Statement& stmt = parsed.statement;
  if (auto* s = std::get_if<SelectStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(auto table, ResolveTable(s->table, schema, keyspace));
    return PrepareSelect(*s, std::move(table), parsed.bind_count);
  }
  if (std::holds_alternative<InsertStatement>(stmt) ||
      std::holds_alternative<UpdateStatement>(stmt) ||
      std::holds_alternative<DeleteStatement>(stmt)) {
    PF_ASSIGN_OR_RETURN(auto s, PrepareModification(stmt, schema, keyspace, parsed.bind_count));
    return std::unique_ptr<CqlStatement>(std::move(s));
  }
  if (auto* b = std::get_if<std::shared_ptr<BatchStatement>>(&stmt)) {
    auto s = std::make_unique<TextBatchStatement>();
    PF_RETURN_IF_ERROR(s->Prepare(**b, schema, keyspace, parsed.bind_count));
    return std::unique_ptr<CqlStatement>(std::move(s));
  }
  if (auto* a = std::get_if<std::shared_ptr<AuthStatement>>(&stmt)) {
    return PrepareAuthStatement(*a, keyspace);
  }
  if (auto* d = std::get_if<DisabledFeatureStatement>(&stmt)) {
    return PrepareDisabledFeature(*d, keyspace);
  }
  return PrepareSchemaStatement(stmt, schema, keyspace);
}

}  // namespace postfork::node::cql3
