// Prepared statements by id. The id is Cassandra's: MD5 of the keyspace the client was using
// (if any) followed by the query string, so it is stable across restarts and equal to what a
// real Cassandra returns. Thread-safe: request threads look entries up concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"

namespace postfork::node::cql3 {

struct PreparedEntry {
  std::string id;
  std::string query;
  std::string keyspace;  // the client's keyspace at PREPARE time
  ParsedStatement parsed;
  // Result metadata sent with PREPARE: EXECUTE with skip_metadata may omit metadata only
  // while the result still has this shape.
  cql::RowsMetadata prepared_result_metadata;

  // The statement checked against `schema`; rebuilt when the live schema has changed since.
  // Guarded by `mu` (executions of one entry may run on several threads).
  mutable std::mutex mu;
  std::shared_ptr<const CqlStatement> statement;
  std::shared_ptr<const SchemaSnapshot> schema;
  // v5: the ResultMetadataId of `statement`'s result metadata, kept in step with it. Guarded by
  // `mu`.
  std::string result_metadata_id;
  // Whether `statement` may run on the network thread (QueryProcessor::RunsInline), kept in
  // step with it; read without `mu`.
  std::atomic<bool> runs_inline{false};
  // Bumped under `mu` each time `statement` is (re)built: the statement `consistent` refers to.
  uint32_t generation = 0;
  // A consistency pair the statement of a generation was found to satisfy (its keyspace's
  // replication allows it; service::CheckConsistency), so that the next execution with the same
  // levels skips the check: generation << 32 | (serial + 1) << 16 | consistency, 0 for none.
  // Kept for point reads and single-row writes only, whose check has no other effect. Read and
  // written without `mu`.
  std::atomic<uint64_t> consistent{0};
  // The table (or keyspace, for statements on no table) the statement reads or writes, for
  // dropping it with its table; and its weight in the cache. Set before Insert.
  std::string statement_keyspace;
  std::string statement_table;
  size_t weight = 0;
};

// Bounded like Cassandra's prepared statement cache (prepared_statements_cache_size): entries
// are weighed by an estimate of the memory they hold, and the least recently used go first once
// the total passes the capacity. A client whose statement was evicted gets UNPREPARED and
// prepares again. Statements of a dropped table or keyspace are dropped with it.
class PreparedCache {
 public:
  // Cassandra's default capacity: max(10 MiB, heap / 256); the node has no heap, so the floor.
  static constexpr size_t kDefaultCapacityBytes = 10u << 20;

  explicit PreparedCache(size_t capacity_bytes = kDefaultCapacityBytes)
      : capacity_bytes_(capacity_bytes) {}

  static std::string ComputeId(std::string_view query, std::string_view keyspace);
  // The v5 result metadata id: MD5 over each column's name and CQL type, each followed by a zero
  // byte and the pair by another, as Cassandra's ResultMetadata.computeResultMetadataId (which
  // hashes its internal type names instead; the id is opaque to clients).
  static std::string ComputeResultMetadataId(const cql::RowsMetadata& metadata);
  // Estimated bytes an entry holds: its strings, its parsed and checked statement (which grow
  // with the query text and its columns) and the bookkeeping around them.
  static size_t Weigh(const PreparedEntry& entry);

  // The entry (now the most recently used), kept alive by the returned pointer even if it is
  // evicted meanwhile.
  std::shared_ptr<PreparedEntry> Find(std::string_view id);
  // Inserts, or returns the entry already cached under the id; then evicts the least recently
  // used entries until the total weight fits the capacity. An entry heavier than the whole
  // capacity is not cached (the caller refuses it, as Cassandra does).
  std::shared_ptr<PreparedEntry> Insert(std::shared_ptr<PreparedEntry> entry);
  // Drops the statements on `keyspace`.`table`, or on any table of `keyspace` when `table` is
  // empty.
  void Invalidate(std::string_view keyspace, std::string_view table);
  size_t size() const;
  size_t weight() const;
  size_t capacity_bytes() const { return capacity_bytes_; }

 private:
  using Lru = std::list<std::shared_ptr<PreparedEntry>>;  // front: most recently used
  // Lookups by string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void EraseLocked(Lru::iterator it);

  const size_t capacity_bytes_;
  mutable std::mutex mu_;  // guards everything below; held for a lookup and a list splice
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator, Hash, std::equal_to<>> entries_;
  size_t weight_ = 0;
};

}  // namespace postfork::node::cql3
