// What a SELECT outputs, apart from what it restricts (statements/restrictions.h) and how it
// reads and pages (statements/select_statement.cc): the selectors checked against the table
// (columns, token(), writetime()/ttl(), scalar function calls, UDT fields, terms, count() and
// the aggregates min/max/sum/avg), the result columns they make, each output's value computed
// from a row read from storage, and SELECT JSON's row objects.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/cql3/ast.h"
#include "node/cql3/functions/functions.h"
#include "node/cql3/statements/cql_statement.h"
#include "node/cql3/statements/restrictions.h"
#include "node/cql3/values.h"
#include "node/db/schema.h"
#include "node/storage/storage.h"

namespace postfork::node::cql3 {
struct NativeFunction;
}  // namespace postfork::node::cql3

namespace postfork::node::cql3::selection {

enum class Aggregator { kNone, kMin, kMax, kSum, kAvg };

// What evaluating outputs leaves behind: the values computed (results point into them) and the
// first error met, which fails the request (a function refusing its input, as in Cassandra).
struct Output;
struct Scratch {
  std::deque<std::string> values;
  Status error;
  // After aggregation: the result of each aggregate inside a function of aggregates
  // (`max(v) + 1`), which Value answers for those outputs instead of reading the row.
  const std::vector<std::pair<const Output*, std::optional<std::string>>>* aggregated = nullptr;
};

struct FunctionCall;

// One selector, prepared: where its value comes from in a ReadRow.
struct Output {
  enum class Kind {
    kPartitionKey,
    kClustering,
    kCell,
    kToken,
    kWritetime,
    kTtl,
    kCountStar,
    kFunction,
    kField,         // field `index` of the user type value call->args[0]
    kTerm,          // a constant or bound value (`term`)
    kElement,       // the element `term` of the set or map call->args[0]
    kSlice,         // the elements of call->args[0] from `term` to `slice_to` (null: open)
    kMaxWritetime,  // the newest write time of call->args[0]
  };
  // kWritetime, kMaxWritetime and kTtl read the times of call->args[0]: a column, or an element,
  // slice or field of one.
  Kind kind = Kind::kCell;
  size_t index = 0;                          // key position or index into Selection::cell_columns()
  bool count = false;                        // count(column)
  Aggregator aggregate = Aggregator::kNone;  // min, max, sum, avg of the column
  std::shared_ptr<const FunctionCall> call;  // kFunction; others: their one argument
  std::shared_ptr<const ValueSource> term;   // kTerm; kElement: the key; kSlice: the start
  std::shared_ptr<const ValueSource> slice_to;  // kSlice: the end
  // kElement, kSlice, kField: the type of the value they select from; a tuple, list or set
  // selector (a kFunction): its type.
  cql::DataType value_type;
  cql::DataType aggregate_type;  // min, max, sum, avg: the argument's and the result's type
  // kElement, kSlice, kField: call->args[0] is a whole non-frozen collection or UDT column, whose
  // elements have times of their own. kWritetime, kTtl: the result is a list, one per element.
  bool multi_cell = false;
  std::string text;  // kElement, kSlice: the selected value's name, for messages
};

// Whether `o` is an aggregate: count(*), count(column), min, max, sum or avg.
inline bool IsAggregate(const Output& o) {
  return o.kind == Output::Kind::kCountStar || o.count || o.aggregate != Aggregator::kNone;
}

// A scalar function over columns, terms or nested calls (functions/functions.h).
struct FunctionCall {
  std::string name;
  std::vector<cql::DataType> arg_types;
  std::vector<Output> args;
  // The function when it checks its arguments at execution (similarity_cosine), else null.
  const NativeFunction* check = nullptr;
};

// Cassandra's Selector.validateForGroupBy, run when a GROUP BY function is bound: columns, and
// monotonic functions (functions/functions.h) over them whose other arguments are constants.
Status ValidateForGroupBy(const Output& o);

class Selection {
 public:
  // Checks `stmt`'s selectors (or `*`) against `table` with Cassandra's messages. Bind markers
  // among the selectors register with `binds` (they come before WHERE's).
  static Result<Selection> Prepare(const SelectStatement& stmt, const TableMetadata& table,
                                   BindCollector& binds);

  // A function of GROUP BY (Cassandra 5.0 takes a scalar function of one clustering column as
  // the clause's last element), prepared as a selector is, with its messages, apart from the
  // outputs. `columns` gets the columns it reads, each once.
  Result<Output> PrepareGroupByFunction(const Selector& sel, const TableMetadata& t,
                                        BindCollector& binds,
                                        std::vector<const ColumnMetadata*>* columns);

  const std::vector<Output>& outputs() const { return outputs_; }
  // The columns of the result rows, named as Cassandra names them (one `[json]` text column for
  // SELECT JSON).
  const std::vector<cql::ColumnSpec>& result_columns() const { return result_columns_; }
  // The regular and static columns the outputs read, by id: ReadCommand::columns.
  const std::vector<uint32_t>& cell_columns() const { return cell_columns_; }
  // Adds a column to cell_columns() (once) and returns its index in ReadRow::cells: columns
  // read for filtering.
  size_t ReadCell(uint32_t column_id);

  // The table columns the selectors name, each once, in the order first named (`*`: every
  // column): Cassandra's Selection.getColumns, which SELECT DISTINCT checks.
  const std::vector<const ColumnMetadata*>& columns() const { return columns_; }

  // count(), min/max/sum/avg: rows fold into one result row (or one per GROUP BY group).
  bool has_aggregate() const { return has_aggregate_; }
  bool json() const { return json_; }
  // Whether every output is a stored value as read (a key component or a cell), so rows can be
  // encoded as storage finds them (RowsWriter).
  bool OutputsAreStoredValues() const;

  // Checks the bound values of term selectors, once per execution.
  Status CheckBoundTerms(const ExecutionContext& ctx) const;
  // The value of `o` (one of outputs(), or an argument inside one) for `row`. Computed values are
  // kept alive in `computed`, which also takes the first error. kCountStar reads as null
  // (aggregation counts it).
  cql::RawValue Value(const Output& o, const ReadRow& row, Scratch* computed,
                      const ExecutionContext& ctx) const;
  // Appends one result row's cells for `row` to `rows` (SELECT JSON: the one object); the
  // caller counts the row.
  void AppendRow(const ReadRow& row, Scratch* computed, const ExecutionContext& ctx,
                 cql::RowsResult* rows) const;
  // SELECT JSON: the object of one row's output values (null: absent).
  std::string JsonRow(const std::vector<std::optional<std::string_view>>& values) const;

 private:
  struct Prepared {
    Output output;
    cql::DataType type;
    std::string name;  // Cassandra's column name
    // The type the result metadata shows, when it is not `type` (min and max of a timeuuid).
    std::optional<cql::DataType> metadata_type = std::nullopt;
  };
  Result<Prepared> PrepareSelector(const Selector& sel, const TableMetadata& t,
                                   BindCollector& binds);
  Result<Prepared> PrepareFunction(const Selector& sel, const TableMetadata& t,
                                   BindCollector& binds);
  // `a + b`, `-a`, ...: the operation function chosen over the operands as Cassandra's
  // FunctionResolver chooses it (literals and markers typed by that overload).
  Result<Prepared> PrepareOperation(const Selector& sel, const TableMetadata& t,
                                    BindCollector& binds);
  Result<Prepared> PrepareNativeCall(const Selector& sel, const TableMetadata& t,
                                     BindCollector& binds);
  // An argument of a function call: prepared with its own type, or a literal or marker that the
  // chosen overload types; `text` is how Cassandra prints it in names and messages.
  struct Argument {
    const Selector* sel;
    std::optional<Prepared> typed;
    std::string text;
    // Cassandra's testAssignment of the argument to a parameter.
    TermFit Fit(const cql::DataType& param) const;
  };
  Result<std::vector<Argument>> PrepareArguments(const Selector& sel, const TableMetadata& t,
                                                 BindCollector& binds);
  // Cassandra's FunctionResolver.pickBestMatch: the exact match, else (nullptr and) the weakly
  // assignable candidates.
  static std::pair<const NativeFunction*, std::vector<const NativeFunction*>> PickBestMatch(
      const std::vector<const NativeFunction*>& candidates, const std::vector<Argument>& args);
  static std::string Signatures(const std::vector<const NativeFunction*>& functions);
  Result<std::shared_ptr<FunctionCall>> MakeCall(const std::string& name, const NativeFunction& fn,
                                                 std::vector<Argument>& args, BindCollector& binds);
  // The parameter types of a call of a factory function (functions/functions.h), inferred from
  // its arguments as Cassandra's FunctionFactory does; nullopt for other functions.
  Result<std::optional<std::vector<cql::DataType>>> FactoryParameters(const Selector& sel,
                                                                      const TableMetadata& t,
                                                                      BindCollector& binds);
  Result<Prepared> PrepareTerm(const Selector& sel, const cql::DataType* expected,
                               BindCollector& binds, const std::string& receiver);
  Result<Prepared> PrepareTypeHint(const Selector& sel, const TableMetadata& t,
                                  BindCollector& binds);
  Result<Prepared> PrepareComposite(const Selector& sel, const TableMetadata& t,
                                   BindCollector& binds);
  Result<Prepared> PrepareField(const Selector& sel, const TableMetadata& t, BindCollector& binds);
  // `m[k]`, `s[e]`, `m[a..b]`: an element or a slice of a set or map.
  Result<Prepared> PrepareSubscript(const Selector& sel, const TableMetadata& t,
                                    BindCollector& binds);
  // writetime(), maxwritetime(), ttl() of a column, or of an element, slice or field of one.
  Result<Prepared> PrepareTimes(const Selector& sel, const TableMetadata& t, BindCollector& binds);
  // A column, function call, field, element or slice: what other selectors take as an argument.
  Result<Prepared> PrepareArgument(const Selector& sel, const TableMetadata& t,
                                   BindCollector& binds);
  Output ColumnOutput(const ColumnMetadata& col);
  // The write times and TTLs of `target` for `row`: none (nullopt), one, or one per element when
  // `per_element` (a whole non-frozen collection, or a slice of one).
  std::optional<std::vector<CellValue::ElementTime>> TimesOf(const Output& target, bool per_element,
                                                             const ReadRow& row, Scratch* computed,
                                                             const ExecutionContext& ctx) const;

  std::vector<Output> outputs_;
  std::vector<cql::ColumnSpec> result_columns_;
  std::vector<cql::ColumnSpec> json_columns_;  // SELECT JSON: the columns inside the objects
  std::vector<uint32_t> cell_columns_;
  std::vector<const ColumnMetadata*> columns_;
  bool has_aggregate_ = false;
  bool json_ = false;
};

// Writes each row's cells, as storage hands them over, into a ROWS body's row content: the same
// bytes Selection::AppendRow and EncodeRowsResult produce, without a ReadRow or a RawValue per
// cell. Only for selections whose OutputsAreStoredValues().
class RowsWriter final : public RowSink {
 public:
  // `last_requested`: a partition key (or null) for last_row_ends_it().
  RowsWriter(const Selection& selection, std::string* out,
             const std::vector<std::string>* last_requested)
      : outputs_(selection.outputs()), out_(out), last_requested_(last_requested) {}
  // Whether the last row written ends `last_requested`: a row without clustering (the one row of
  // a table without clustering columns, a static-only row or a DISTINCT row) in that partition.
  bool last_row_ends_it() const { return last_row_ends_it_; }
  void Row(const RowView& row) override;
  bool NeedsPartitionKey() const override;

 private:
  const std::vector<Output>& outputs_;
  std::string* out_;
  const std::vector<std::string>* last_requested_;
  bool last_row_ends_it_ = false;
};

}  // namespace postfork::node::cql3::selection
