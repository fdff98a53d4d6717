#include "node/cql3/statements/batch_statement.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "node/cql3/statements/batch_checks.h"
#include "node/cql3/statements/modification_statement.h"
#include "node/cql3/statements/prepare.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/service/storage_proxy.h"
#include "node/service/tracing.h"

namespace postfork::node::cql3 {
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

// Every statement's mutations in one partition, checked and applied under that partition's
// compare-and-set lock.
Result<std::string> ExecuteConditionalBatch(const std::vector<BatchChild>& children,
                                            ExecutionContext& ctx) {
  for (const auto& child : children) {
    if (child.statement->has_timestamp()) {
      return InvalidRequest("Cannot provide custom timestamp for conditional BATCH");
    }
  }
  // IN on a partition key is refused before any mutation is built (Cassandra's
  // BatchStatement.makeCasRequest); IN () would build none, leaving the child nothing to check.
  for (const auto& child : children) {
    if (PartitionHasIn(*child.statement)) {
      return InvalidRequest(
          "Batch with conditions cannot span multiple partitions (you cannot use IN on the "
          "partition key)");
    }
  }
  // Built once here for the partition and the statements' errors (at any timestamp), then
  // again under the partition's lock at the ballot's.
  std::vector<PartitionMutation> mutations;
  std::vector<size_t> first_of;  // per child: its first mutation
  ctx.cas_update_error = Status::Ok();
  PF_RETURN_IF_ERROR(AddChildMutations(children, ctx, ctx.now_micros, &mutations, &first_of));
  for (const PartitionMutation& m : mutations) {
    if (m.table != mutations[0].table) {
      return InvalidRequest("Batch with conditions cannot span multiple tables");
    }
    if (m.partition_key != mutations[0].partition_key) {
      return InvalidRequest("Batch with conditions cannot span multiple partitions");
    }
  }
  if (mutations.empty()) return VoidResultBody();
  CasRows rows;
  // Every condition is checked against the state before the batch; all must hold.
  auto check = [&]() -> Result<bool> {
    bool applied = true;
    Status status;
    std::vector<cql::RawValue> saved = std::move(ctx.values);
    for (size_t i = 0; i < children.size() && status.ok(); ++i) {
      // Every statement of a conditional batch, conditional or not (Cassandra's
      // BatchStatement.makeCasRequest).
      if (ClusteringHasIn(*children[i].statement)) {
        status = ConditionalClusteringInError(*children[i].statement);
        break;
      }
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
    return CasCommitAllowed(ctx, applied);
  };
  auto build = [&](int64_t ballot, std::vector<PartitionMutation>* out) -> Status {
    out->clear();
    first_of.clear();
    ctx.cas_update_error = Status::Ok();
    PF_RETURN_IF_ERROR(AddChildMutations(children, ctx, ballot, out, &first_of));
    CasDeletionsBeforeWrites(ballot, out);
    return Status::Ok();
  };
  PF_ASSIGN_OR_RETURN(bool applied,
                      ctx.proxy->CompareAndSet(&mutations, build, check, ctx.now_in_seconds));
  return CasResultBody(rows, applied, /*batch=*/true);
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

Result<std::string> ExecuteBatch(const std::vector<BatchChild>& children, ExecutionContext& ctx,
                                 std::optional<int64_t> batch_timestamp, cql::BatchType type) {
  bool counters = false, others = false, conditional = false;
  for (const auto& child : children) {
    (child.statement->is_counter() ? counters : others) = true;
    conditional = conditional || child.statement->is_conditional();
  }
  // BatchStatement.validate's checks, in its order.
  if (batch_timestamp) {
    if (conditional) return InvalidRequest("Cannot provide custom timestamp for conditional BATCH");
    if (type == cql::BatchType::kCounter) {
      return InvalidRequest("Cannot provide custom timestamp for counter BATCH");
    }
    for (const auto& child : children) {
      if (child.statement->has_timestamp()) {
        return InvalidRequest("Timestamp must be set either on BATCH or individual statements");
      }
    }
    if (counters) {
      return InvalidRequest("Cannot provide custom timestamp for a BATCH containing counters");
    }
  }
  if (type == cql::BatchType::kCounter && others) {
    return InvalidRequest("Cannot include non-counter statement in a counter batch");
  }
  if (counters && others) {
    return InvalidRequest("Counter and non-counter mutations cannot exist in the same batch");
  }
  if (type == cql::BatchType::kLogged && counters) {
    return InvalidRequest("Cannot include a counter statement in a logged batch");
  }
  if (conditional) {
    if (counters)
      return InvalidRequest("Cannot include a counter statement in a conditional BATCH");
    return ExecuteConditionalBatch(children, ctx);
  }
  if (counters) {
    // Statement by statement, under the counter locks of every partition the batch writes.
    std::vector<cql::RawValue> saved = std::move(ctx.values);
    std::vector<service::PartitionRef> partitions;
    Status status;
    for (const auto& child : children) {
      ctx.values = child.values;
      auto some = child.statement->CounterPartitions(ctx);
      if (!some.ok()) {
        status = some.error();
        break;
      }
      for (auto& p : *some) partitions.push_back(std::move(p));
    }
    if (status.ok()) {
      status = ctx.proxy->CounterWrite(partitions, [&]() -> Status {
        for (const auto& child : children) {
          ctx.values = child.values;
          PF_RETURN_IF_ERROR(child.statement->ApplyMutations(ctx));
        }
        return Status::Ok();
      });
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
  tracing::Trace("Determining replicas for {}",
                 type == cql::BatchType::kLogged ? "atomic batch" : "mutation");
  PF_RETURN_IF_ERROR(ctx.proxy->Mutate(mutations, ctx.now_in_seconds));
  return VoidResultBody();
}

Result<std::unique_ptr<CqlStatement>> PrepareBatch(const BatchStatement& batch,
                                                   const SchemaSnapshot& schema,
                                                   std::string_view keyspace, int bind_count) {
  auto s = std::make_unique<TextBatchStatement>();
  PF_RETURN_IF_ERROR(s->Prepare(batch, schema, keyspace, bind_count));
  return std::unique_ptr<CqlStatement>(std::move(s));
}

}  // namespace postfork::node::cql3
