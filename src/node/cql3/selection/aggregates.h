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
// rest (not summable).
int NumericWidth(cql::TypeKind kind);

// The result rows of one group at a time: Start with the group's first row, Add every row of
// the group (the first included), then Finish appends the group's result row. Plain columns show
// the group's first row, as in Cassandra.
class GroupAccumulator {
 public:
  explicit GroupAccumulator(const Selection& selection) : selection_(selection) {}

  // Starts a group at `row`; null: the one row of an aggregation over no rows. Errors are those
  // of evaluating the outputs (Selection::Value).
  Status Start(const ReadRow* row, const ExecutionContext& ctx);
  Status Add(const ReadRow& row, const ExecutionContext& ctx);
  // Appends the group's output values (null: absent) to `cells`.
  void Finish(std::vector<std::optional<std::string>>* cells) const;

 private:
  // min/max/sum/avg state of one output.
  struct Accumulator {
    std::optional<std::string> best;  // min, max
    int64_t integer_sum = 0;          // wraps as Java's long; narrowed like Java's int/short
    double float_sum = 0;
    int64_t count = 0;
  };
  static void Accumulate(const Output& o, std::string_view v, Accumulator* acc);
  static std::optional<std::string> Result(const Output& o, const Accumulator& acc);

  const Selection& selection_;
  std::vector<int64_t> counts_;
  std::vector<Accumulator> accumulators_;
  std::vector<std::optional<std::string>> firsts_;  // plain columns, from the first row
};

}  // namespace postfork::node::cql3::selection
