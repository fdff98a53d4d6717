// Aggregation of a selection: count(*), count(column), min, max, sum and avg folded over the
// rows of one group (the whole result without GROUP BY), as Cassandra's aggregate functions do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/cql3/selection/selection.h"

namespace postfork::node::cql3::selection {

// Bytes of an integer type (tinyint 1 .. bigint/counter 8), -4/-8 for float/double, 0 for the
// rest (varint, decimal and the types that are no numbers).
int NumericWidth(cql::TypeKind kind);
// Whether sum() and avg() take the type: the fixed-width numbers, varint and decimal.
bool Summable(cql::TypeKind kind);

// The result rows of one group at a time: Start with the group's first row, Add every row of
// the group (the first included), then Finish appends the group's result row. Plain columns show
// the group's first row, as in Cassandra; a function of aggregates (`max(v) + 1`) is computed
// from the aggregates' results when the group is finished.
class GroupAccumulator {
 public:
  explicit GroupAccumulator(const Selection& selection);

  // Starts a group at `row`; null: the one row of an aggregation over no rows. Errors are those
  // of evaluating the outputs (Selection::Value).
  Status Start(const ReadRow* row, const ExecutionContext& ctx);
  Status Add(const ReadRow& row, const ExecutionContext& ctx);
  // Appends the group's output values (null: absent) to `cells`; errors are those of functions
  // of aggregates.
  Status Finish(const ExecutionContext& ctx, std::vector<std::optional<std::string>>* cells) const;

 private:
  // min/max/sum/avg state of one aggregate.
  struct Accumulator {
    std::optional<std::string> best;  // min, max
    // Exact: an average of bigints that overflows a long goes on in Java's BigInteger; a sum
    // keeps its low bytes, wrapping as Java's long and int.
    __int128 integer_sum = 0;
    double float_sum = 0;
    // varint and decimal: Java's BigInteger sum, BigDecimal sum or running average (decimal
    // text of the unscaled value, and its scale).
    std::string exact_unscaled = "0";
    int64_t exact_scale = 0;
    int64_t count = 0;
  };
  // One aggregate: an output, or one inside an output that is a function of aggregates.
  struct Slot {
    const Output* output;
    int64_t count = 0;  // rows with a value (count(*): every row)
    Accumulator acc;
  };
  static void Accumulate(const Output& o, std::string_view v, Accumulator* acc);
  static std::optional<std::string> Result(const Output& o, const Accumulator& acc);
  static std::optional<std::string> SlotResult(const Slot& slot);

  const Selection& selection_;
  std::vector<Slot> slots_;
  // Per output: its slots (an aggregate: its own; a function of aggregates: those inside it).
  std::vector<std::vector<size_t>> slots_of_;
  bool has_functions_of_aggregates_ = false;
  std::vector<std::optional<std::string>> firsts_;  // plain columns, from the first row
  std::optional<ReadRow> first_row_;                // kept for functions of aggregates only
};

}  // namespace postfork::node::cql3::selection
