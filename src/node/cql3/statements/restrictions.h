// WHERE clauses checked against a table: which key parts are restricted and how, resolved at
// execution into partition keys, clustering prefixes and slices for the storage layer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"
#include "node/db/schema.h"
#include "node/storage/storage.h"

namespace postfork::node::cql3 {

// Collects one ColumnSpec per bind marker while a statement is prepared.
class BindCollector {
 public:
  // `keyspace`: the statement's, where `(type)` hints find user types (none: native types only).
  BindCollector(const TableMetadata* table, int count, const KeyspaceMetadata* keyspace = nullptr)
      : table_(table), keyspace_(keyspace), specs_(count) {}
  // A ValueSource for `term` as a value of `type`; markers get the spec (name, type). A hint
  // naming a user type is resolved in the statement's keyspace, as Cassandra's TypeCast.prepare.
  Result<ValueSource> Source(const Term& term, const cql::DataType& type, const std::string& name);
  // The type a `(type)` hint names: a native type by its text, or one naming user types resolved
  // in the statement's keyspace ("Unknown type ks.t", ...).
  Result<cql::DataType> HintType(const std::string& text) const;
  std::vector<cql::ColumnSpec> Take() { return std::move(specs_); }

 private:
  // Specs for a marker, or for the markers inside a collection, tuple or UDT literal, typed by
  // their position.
  void RegisterInnerMarkers(const Term& term, const cql::DataType& type, const std::string& name);
  // Sets Term::hint_type (and the keyspace-qualified text) of the hints in `term` that name user
  // types.
  Status ResolveHintTypes(Term* term) const;
  const TableMetadata* table_;
  const KeyspaceMetadata* keyspace_;
  std::vector<cql::ColumnSpec> specs_;
};

// A tuple of values for consecutive clustering columns: literal components or one tuple marker.
struct TupleSource {
  std::vector<ValueSource> components;  // literal tuple (components may be markers)
  std::optional<ValueSource> marker;    // one marker of tuple type
};

struct KeyRestriction {
  const ColumnMetadata* column = nullptr;
  std::vector<ValueSource> values;       // EQ: one; IN literal list: each
  std::optional<ValueSource> in_marker;  // IN ?: a list<type> marker
};

struct SliceBound {
  TupleSource value;  // one component for a single-column slice
  bool inclusive = false;
};

struct WhereClause {
  // Per partition key column (by position); empty entries are unrestricted.
  std::vector<KeyRestriction> partition;
  bool partition_complete = false;  // every partition key column restricted by EQ/IN
  bool partition_any = false;       // at least one partition key column restricted
  std::optional<ValueSource> token_lower, token_upper;
  bool token_lower_inclusive = false, token_upper_inclusive = false;
  // Clustering: an EQ/IN prefix (single columns), then optionally segments that start with a
  // multi-column EQ/IN (`(b, c) IN (...) AND d = ?`, `(b) IN ((1), (2)) AND (c, d) = (?, ?)`),
  // then optionally a slice.
  std::vector<KeyRestriction> clustering_eq;
  struct Segment {
    size_t first = 0, size = 0;            // the clustering positions it covers
    std::optional<KeyRestriction> single;  // a single-column EQ/IN
    std::vector<TupleSource> tuples;       // a multi-column EQ or IN: each a full tuple
    std::optional<ValueSource> in_marker;  // `(c1, c2) IN ?`: a list of tuples
    bool one_value() const {
      return single ? single->values.size() == 1 && !single->in_marker
                    : tuples.size() == 1 && !in_marker;
    }
  };
  std::vector<Segment> segments;          // consecutive, from multi_first
  size_t multi_first = 0;                 // first clustering position of the segments
  size_t multi_size = 0;                  // clustering columns the segments cover
  size_t slice_first = 0;                 // first clustering position of the slice
  size_t slice_size = 0;                  // 0: no slice
  std::optional<SliceBound> slice_lower, slice_upper;
  bool slice_mixed_order = false;  // a multi-column slice over ASC and DESC columns
  // Some clustering column is restricted by IN ?, an IN list of other than one value (one value
  // is an EQ to Cassandra) or a multi-column IN (Cassandra's clusteringKeyRestrictionsHasIN).
  bool clustering_in = false;
  // Restrictions on regular/static columns (need ALLOW FILTERING) and clustering columns that
  // cannot be used as a key slice.
  struct Filter {
    const ColumnMetadata* column;
    Relation::Op op;
    ValueSource value;  // CONTAINS: the element (map: value); CONTAINS KEY: the key
    std::vector<ValueSource> in_values;
    std::optional<ValueSource> map_key;  // `m[key] = value`
  };
  std::vector<Filter> filters;

  size_t clustering_restricted() const {
    return slice_size ? slice_first + slice_size : clustering_eq.size() + multi_size;
  }
};

// A relation's operator as CQL writes it ("=", "<=", "IN", "CONTAINS KEY", ...).
const char* RelationOpText(Relation::Op op);

// The column types CONTAINS and CONTAINS KEY take, with Cassandra's texts in its order
// (SingleColumnRelation.toReceivers; ColumnCondition's checks are the same): checked where a
// restriction or a condition is built, before what the column's kind allows.
Status CheckContainsType(const ColumnMetadata* col, const Relation& rel);

// Checks `relations` against `table` (Cassandra's messages for unknown columns, misuse of
// operators, ...). `for_select` allows slices, token ranges and filters; `allow_filtering`
// (SELECT ... ALLOW FILTERING) turns clustering restrictions that cannot bound the key range
// (after a gap or after a slice on an earlier column) into row filters, as Cassandra does.
Result<WhereClause> AnalyzeWhere(const std::vector<Relation>& relations, const TableMetadata& table,
                                 BindCollector& binds, bool for_select,
                                 bool allow_filtering = false);

// The restricted partition keys (cartesian product of EQ/IN), each a list of serialized
// components. Null or unset key values are InvalidRequest.
Result<std::vector<std::vector<std::string>>> ResolvePartitionKeys(const WhereClause& where,
                                                                   const ExecutionContext& ctx);

// The clustering prefixes given by EQ/IN (cartesian product, sorted in clustering order,
// duplicates removed); one empty prefix when clustering is unrestricted.
Result<std::vector<std::vector<std::string>>> ResolveClusteringPrefixes(
    const WhereClause& where, const TableMetadata& table, const ExecutionContext& ctx);

// The storage slices (declared order) for the prefixes and the optional slice.
Result<std::vector<ClusteringSlice>> ResolveSlices(const WhereClause& where,
                                                   const TableMetadata& table,
                                                   const ExecutionContext& ctx);

}  // namespace postfork::node::cql3
