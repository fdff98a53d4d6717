// What INSERT, UPDATE and DELETE do to one non-key column, as cell writes: plain assignment, the
// collection forms (append, prepend, union, removal, element by index or key) and deletions.
// Non-frozen collections are written element by element (storage/README.md), so concurrent
// element updates merge by their own timestamps, as in Cassandra.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "node/cql3/ast.h"
#include "node/cql3/statements/cql_statement.h"
#include "node/cql3/statements/restrictions.h"
#include "node/db/schema.h"
#include "node/storage/storage.h"

namespace postfork::node::cql3 {

struct Operation {
  enum class Kind {
    kSet,            // c = v (INSERT values too)
    kAdd,            // c = c + v
    kSubtract,       // c = c - v
    kPrepend,        // c = v + c (lists)
    kSetElement,     // c[k] = v
    kDelete,         // DELETE c
    kDeleteElement,  // DELETE c[k]
    kSetField,       // u.f = v (non-frozen user types)
    kDeleteField,    // DELETE u.f
  };
  const ColumnMetadata* column = nullptr;
  Kind kind = Kind::kSet;
  ValueSource value;  // kSet .. kSetElement
  ValueSource key;    // kSetElement, kDeleteElement
  size_t field = 0;   // kSetField, kDeleteField: the field's position

  // List operations by index or by value need the list's current elements (Cassandra reads
  // before writing for these, too).
  bool NeedsCurrentValue() const;
  bool is_static() const { return column->kind == ColumnKind::kStatic; }
};

// Checks the operation against the column's type with Cassandra's messages and registers its
// bind markers (Cassandra's names: `idx(l)`, `key(m)`, `value(m)`).
Result<Operation> PrepareAssignment(const Assignment& assignment, const ColumnMetadata& column,
                                    BindCollector& binds);
Result<Operation> PrepareDeletion(const ColumnMetadata& column, const std::optional<Term>& key,
                                  const std::string& field, BindCollector& binds);

// Appends the cell writes of `op` at `timestamp` (and `ttl` for written values). `current` is the
// column's current value when NeedsCurrentValue() (nullptr: the column is empty or the row does
// not exist). Unset values write nothing.
Status AppendCellWrites(const Operation& op, const ExecutionContext& ctx, int64_t timestamp,
                        int32_t ttl, const CellValue* current, std::vector<CellWrite>* out);

// Applies `writes` (cell writes of this statement to the non-frozen list `column`, in statement
// order) to `list`, the list as the statement's earlier operations left it: the state a later
// operation by index or by value works on (Cassandra's UpdateParameters.getPrefetchedRow merges
// the row read before the statement with the statement's pending cells). A cell at an element's
// path replaces it by Cassandra's reconciliation (Cells.reconcile: newer timestamp; on a tie a
// tombstone, then an expiring cell, then the greater value); a path-less deletion removes the
// elements written at or before its timestamp. Only `elements` and `element_times` are kept
// up to date (`value` and `timestamp` are not).
void MergeListWrites(const ColumnMetadata& column, std::span<const CellWrite> writes,
                     std::optional<CellValue>* list);

}  // namespace postfork::node::cql3
