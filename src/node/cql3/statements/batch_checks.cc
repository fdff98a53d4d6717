#include "node/cql3/statements/batch_checks.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <utility>

#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/java_hash_order.h"
#include "postfork/cql/types.h"

namespace postfork::node::cql3 {
namespace {

// Sizes of Cassandra's fixed cell and row parts (Cell, LivenessInfo, DeletionTime dataSize).
constexpr int64_t kCellFixed = 8 + 4 + 4;  // timestamp, ttl, local deletion time
constexpr int64_t kLiveness = 8;           // a row's primary key liveness timestamp
constexpr int64_t kDeletion = 8 + 4;       // markedForDeleteAt, localDeletionTime

int64_t CellsSize(const std::vector<CellWrite>& cells) {
  int64_t size = 0;
  for (const auto& c : cells) {
    size += kCellFixed + static_cast<int64_t>(c.path ? c.path->size() : 0) +
            static_cast<int64_t>(c.value ? c.value->size() : 0);
  }
  return size;
}

// "ks.t" as Cassandra's TableMetadata prints it (names quoted when they need it).
std::string PrintedTableName(const TableMetadata& t) {
  return cql::QuoteIdentifier(t.keyspace) + "." + cql::QuoteIdentifier(t.name);
}

// Distinct table names, in the order the batch first touches them.
class TableNames {
 public:
  void Add(std::string name) {
    if (seen_.insert(name).second) names_.push_back(std::move(name));
  }
  size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  // The HashSet of them as Cassandra prints it.
  std::string Text() const { return JavaHashSetText(names_); }

 private:
  std::set<std::string> seen_;
  std::vector<std::string> names_;
};

}  // namespace

int64_t MutationDataSize(const PartitionMutation& m) {
  // The partition deletion and the static row (empty clustering, liveness, deletion) always count.
  int64_t size = kDeletion + kLiveness + kDeletion + CellsSize(m.static_cells);
  for (const auto& row : m.rows) {
    size += kLiveness + kDeletion + CellsSize(row.cells);
    for (const auto& c : row.clustering) size += static_cast<int64_t>(c.size());
  }
  for (const auto& rt : m.range_tombstones) {
    size += kDeletion;
    for (const auto& c : rt.start.components) size += static_cast<int64_t>(c.size());
    for (const auto& c : rt.end.components) size += static_cast<int64_t>(c.size());
  }
  return size;
}

Status CheckBatchMutations(const std::vector<PartitionMutation>& mutations, cql::BatchType type,
                           ExecutionContext& ctx) {
  // Cassandra's mutations: one per keyspace and partition key (tables of a keyspace share it).
  std::set<std::pair<std::string, std::vector<std::string>>> per_keyspace_key;
  std::set<std::vector<std::string>> keys;
  TableNames tables;
  int64_t size = 0;
  for (const auto& m : mutations) {
    per_keyspace_key.emplace(m.table->keyspace, m.partition_key);
    keys.insert(m.partition_key);
    tables.Add(PrintedTableName(*m.table));
    size += MutationDataSize(m);
  }
  if (type == cql::BatchType::kLogged) {
    // BatchStatement.getMutations: the batchlog entry lives gc_grace_seconds, so a logged batch
    // on a table with 0 warns, whatever its partitions.
    TableNames zero_gc_grace;
    for (const auto& m : mutations) {
      if (m.table->params.gc_grace_seconds == 0) zero_gc_grace.Add(PrintedTableName(*m.table));
    }
    if (!zero_gc_grace.empty()) {
      ctx.warnings.push_back(fmt::format(
          "Executing a LOGGED BATCH on table{} {}, configured with a gc_grace_seconds of 0. The "
          "gc_grace_seconds is used to TTL batchlog entries, so setting gc_grace_seconds too low "
          "on tables involved in an atomic batch might cause batchlog entries to expire before "
          "being replayed.",
          zero_gc_grace.size() == 1 ? "" : "s", zero_gc_grace.Text()));
    }
  }
  if (per_keyspace_key.size() <= 1) return Status::Ok();
  const ClientWarningThresholds& limits = ctx.thresholds;
  if (size > limits.batch_size_warn_bytes) {
    if (size > limits.batch_size_fail_bytes) return InvalidRequest("Batch too large");
    ctx.warnings.push_back(fmt::format(
        "Batch for {} is of size {}, exceeding specified threshold of {} by {}.", tables.Text(),
        size, limits.batch_size_warn_bytes, size - limits.batch_size_warn_bytes));
  }
  if (type != cql::BatchType::kLogged &&
      static_cast<int64_t>(keys.size()) > limits.unlogged_batch_across_partitions) {
    ctx.warnings.push_back(fmt::format(
        "Unlogged batch covering {} partitions detected against table{} {}. You should use a "
        "logged batch for atomicity, or asynchronous writes for performance.",
        keys.size(), tables.size() == 1 ? "" : "s", tables.Text()));
  }
  return Status::Ok();
}

}  // namespace postfork::node::cql3
