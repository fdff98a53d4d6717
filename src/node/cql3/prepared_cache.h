// Prepared statements by id. The id is Cassandra's: MD5 of the keyspace the client was using
// (if any) followed by the query string, so it is stable across restarts and equal to what a
// real Cassandra returns. Thread-safe: request threads look entries up concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <shared_mutex>
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
  // Whether `statement` is_point_read(), kept in step with it; read without `mu`.
  std::atomic<bool> point_read{false};
};

class PreparedCache {
 public:
  explicit PreparedCache(size_t max_entries = 100000) : max_entries_(max_entries) {}

  static std::string ComputeId(std::string_view query, std::string_view keyspace);
  // The v5 result metadata id: MD5 over each column's name and CQL type, each followed by a zero
  // byte and the pair by another, as Cassandra's ResultMetadata.computeResultMetadataId (which
  // hashes its internal type names instead; the id is opaque to clients).
  static std::string ComputeResultMetadataId(const cql::RowsMetadata& metadata);

  // The entry, kept alive by the returned pointer even if it is evicted meanwhile.
  std::shared_ptr<PreparedEntry> Find(std::string_view id) const;
  // Inserts or replaces; evicts everything when full (drivers re-prepare on UNPREPARED).
  std::shared_ptr<PreparedEntry> Insert(std::shared_ptr<PreparedEntry> entry);
  size_t size() const;

 private:
  // Lookups by string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  size_t max_entries_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<PreparedEntry>, Hash, std::equal_to<>> entries_;
};

}  // namespace postfork::node::cql3
