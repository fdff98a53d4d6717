// Prepared statements by id. The id is Cassandra's: MD5 of the keyspace the client was using
// (if any) followed by the query string, so it is stable across restarts and equal to what a
// real Cassandra returns. Used on the network thread only.
#pragma once

#include <cstddef>
#include <memory>
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
  // The statement checked against `schema`; rebuilt when the live schema has changed since.
  std::shared_ptr<const CqlStatement> statement;
  std::shared_ptr<const SchemaSnapshot> schema;
  // Result metadata sent with PREPARE: EXECUTE with skip_metadata may omit metadata only
  // while the result still has this shape.
  cql::RowsMetadata prepared_result_metadata;
  // v5: ResultMetadataId of `statement`'s result metadata (kept in step with `statement`).
  std::string result_metadata_id;
};

class PreparedCache {
 public:
  explicit PreparedCache(size_t max_entries = 100000) : max_entries_(max_entries) {}

  static std::string ComputeId(std::string_view query, std::string_view keyspace);
  // The v5 result metadata id: MD5 over each column's name and CQL type, each followed by a zero
  // byte and the pair by another, as Cassandra's ResultMetadata.computeResultMetadataId (which
  // hashes its internal type names instead; the id is opaque to clients).
  static std::string ComputeResultMetadataId(const cql::RowsMetadata& metadata);

  PreparedEntry* Find(std::string_view id);
  // Inserts or replaces; evicts everything when full (drivers re-prepare on UNPREPARED).
  PreparedEntry* Insert(PreparedEntry entry);
  size_t size() const { return entries_.size(); }

 private:
  size_t max_entries_;
  std::unordered_map<std::string, std::unique_ptr<PreparedEntry>> entries_;
};

}  // namespace postfork::node::cql3
