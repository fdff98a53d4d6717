#include "node/cql3/selection/aggregates.h"

#include <cstring>
#include <deque>

#include "node/cql3/functions/big_decimal.h"
#include "node/cql3/values.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3::selection {

int NumericWidth(cql::TypeKind kind) {
  switch (kind) {
    case cql::TypeKind::kTinyint:
      return 1;
    case cql::TypeKind::kSmallint:
      return 2;
    case cql::TypeKind::kInt:
      return 4;
    case cql::TypeKind::kBigint:
    case cql::TypeKind::kCounter:
      return 8;
    case cql::TypeKind::kFloat:
      return -4;
    case cql::TypeKind::kDouble:
      return -8;
    default:
      return 0;
  }
}

bool Summable(cql::TypeKind kind) {
  return NumericWidth(kind) != 0 || kind == cql::TypeKind::kVarint ||
         kind == cql::TypeKind::kDecimal;
}

namespace {

using cpp_int = BigInteger;

// `x` (at `scale`) at the larger scale `to`.
cpp_int Rescale(const cpp_int& x, int64_t scale, int64_t to) {
  return to > scale ? cpp_int(x * Pow10(to - scale)) : x;
}

// Folds a varint or decimal value into Java's BigInteger/BigDecimal sum, or the decimal running
// average avg += (x - avg) / count (BigDecimal.divide at the difference's scale, HALF_EVEN);
// `count` already counts `v`.
void AccumulateExact(cql::TypeKind kind, bool avg, std::string_view v, int64_t count,
                     std::string* unscaled_text, int64_t* scale) {
  auto value = cql::DeserializeValue(v, cql::DataType(kind));
  if (!value.ok()) return;
  cpp_int x;
  int64_t x_scale = 0;
  if (kind == cql::TypeKind::kVarint) {
    x = cpp_int(value->get_if<cql::Varint>()->ToString());
  } else {
    const cql::Decimal* d = value->get_if<cql::Decimal>();
    x = cpp_int(d->unscaled.ToString());
    x_scale = d->scale;
  }
  cpp_int acc(*unscaled_text);
  int64_t s = std::max(*scale, x_scale);
  cpp_int a = Rescale(acc, *scale, s);
  x = Rescale(x, x_scale, s);
  if (!avg || kind == cql::TypeKind::kVarint) {
    acc = a + x;
  } else {
    cpp_int diff = x - a;
    cpp_int q = diff / count, r = diff % count;
    cpp_int twice = boost::multiprecision::abs(r) * 2;
    if (twice > count || (twice == count && boost::multiprecision::abs(q) % 2 != 0)) {
      q += diff < 0 ? -1 : 1;
    }
    acc = a + q;
  }
  *unscaled_text = acc.str();
  *scale = s;
}

std::optional<std::string> ExactResult(cql::TypeKind kind, bool avg, int64_t count,
                                       const std::string& unscaled_text, int64_t scale) {
  cpp_int acc(unscaled_text);
  if (kind == cql::TypeKind::kVarint && avg && count > 0) acc /= count;  // truncates, as Java
  if (kind == cql::TypeKind::kVarint) return WriteBigInteger(acc);
  return WriteBigDecimal(BigDecimal{acc, scale});
}

// The aggregates inside `o` (not under another aggregate), in evaluation order.
void CollectAggregates(const Output& o, std::vector<const Output*>* out) {
  if (IsAggregate(o)) {
    out->push_back(&o);
    return;
  }
  if (o.call) {
    for (const Output& a : o.call->args) CollectAggregates(a, out);
  }
}

// Whether evaluating `o` reads the row itself (not only aggregates' results and terms).
bool ReadsRow(const Output& o) {
  if (IsAggregate(o) || o.kind == Output::Kind::kTerm) return false;
  if (o.kind != Output::Kind::kFunction) return true;
  for (const Output& a : o.call->args) {
    if (ReadsRow(a)) return true;
  }
  return false;
}

}  // namespace

GroupAccumulator::GroupAccumulator(const Selection& selection) : selection_(selection) {
  for (const Output& o : selection_.outputs()) {
    std::vector<const Output*> inner;
    CollectAggregates(o, &inner);
    if (!inner.empty() && !IsAggregate(o)) has_functions_of_aggregates_ = true;
    std::vector<size_t> mine;
    for (const Output* a : inner) {
      mine.push_back(slots_.size());
      slots_.push_back(Slot{a, 0, Accumulator{}});
    }
    slots_of_.push_back(std::move(mine));
  }
}

Status GroupAccumulator::Start(const ReadRow* row, const ExecutionContext& ctx) {
  const auto& outputs = selection_.outputs();
  for (Slot& slot : slots_) {
    slot.count = 0;
    slot.acc = Accumulator{};
  }
  firsts_.assign(outputs.size(), std::nullopt);
  first_row_.reset();
  if (!row) return Status::Ok();
  if (has_functions_of_aggregates_) first_row_ = *row;
  Scratch scratch;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!slots_of_[i].empty()) continue;  // aggregated, not read from the first row
    cql::RawValue v = selection_.Value(outputs[i], *row, &scratch, ctx);
    if (!v.is_null()) firsts_[i] = std::string(v.bytes);
  }
  return scratch.error;
}

Status GroupAccumulator::Add(const ReadRow& row, const ExecutionContext& ctx) {
  for (Slot& slot : slots_) {
    const Output& o = *slot.output;
    if (o.kind == Output::Kind::kCountStar) {
      ++slot.count;
      continue;
    }
    Scratch scratch;
    cql::RawValue v = selection_.Value(o, row, &scratch, ctx);
    PF_RETURN_IF_ERROR(scratch.error);
    if (v.is_null()) continue;
    ++slot.count;
    if (o.aggregate != Aggregator::kNone) Accumulate(o, v.bytes, &slot.acc);
  }
  return Status::Ok();
}

std::optional<std::string> GroupAccumulator::SlotResult(const Slot& slot) {
  const Output& o = *slot.output;
  if (o.kind == Output::Kind::kCountStar || o.count) {
    std::string count;
    cql::ByteWriter(&count).WriteLong(slot.count);
    return count;
  }
  return Result(o, slot.acc);
}

Status GroupAccumulator::Finish(const ExecutionContext& ctx,
                                std::vector<std::optional<std::string>>* cells) const {
  const auto& outputs = selection_.outputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Output& o = outputs[i];
    const std::vector<size_t>& slots = slots_of_[i];
    if (slots.empty()) {
      cells->push_back(firsts_[i]);
    } else if (IsAggregate(o)) {
      cells->push_back(SlotResult(slots_[slots[0]]));
    } else {
      // A function of aggregates, over their results (and the first row's other values).
      std::vector<std::pair<const Output*, std::optional<std::string>>> aggregated;
      for (size_t s : slots) aggregated.emplace_back(slots_[s].output, SlotResult(slots_[s]));
      if (!first_row_ && ReadsRow(o)) {
        cells->push_back(std::nullopt);
        continue;
      }
      static const ReadRow kNoRow;
      Scratch scratch;
      scratch.aggregated = &aggregated;
      cql::RawValue v = selection_.Value(o, first_row_ ? *first_row_ : kNoRow, &scratch, ctx);
      PF_RETURN_IF_ERROR(scratch.error);
      cells->push_back(v.is_null() ? std::nullopt : std::optional<std::string>(v.bytes));
    }
  }
  return Status::Ok();
}

void GroupAccumulator::Accumulate(const Output& o, std::string_view v, Accumulator* acc) {
  if (o.aggregate == Aggregator::kMin || o.aggregate == Aggregator::kMax) {
    int cmp = acc->best ? CompareValues(o.aggregate_type, v, *acc->best) : 0;
    if (!acc->best || (o.aggregate == Aggregator::kMin ? cmp < 0 : cmp > 0)) acc->best = v;
    return;
  }
  int width = NumericWidth(o.aggregate_type.kind());
  if (width == 0) {
    if (v.empty()) return;  // an empty value
    ++acc->count;
    AccumulateExact(o.aggregate_type.kind(), o.aggregate == Aggregator::kAvg, v, acc->count,
                    &acc->exact_unscaled, &acc->exact_scale);
    return;
  }
  if (static_cast<int>(v.size()) != (width < 0 ? -width : width)) return;  // empty value
  ++acc->count;
  if (width == -4) {
    uint32_t bits = cql::LoadBE32(v.data());
    float f;
    std::memcpy(&f, &bits, sizeof f);
    acc->float_sum += f;
  } else if (width == -8) {
    uint64_t bits = cql::LoadBE64(v.data());
    double d;
    std::memcpy(&d, &bits, sizeof d);
    acc->float_sum += d;
  } else {
    uint64_t raw = 0;
    for (int i = 0; i < width; ++i) {
      raw = (raw << 8) | static_cast<uint8_t>(v[static_cast<size_t>(i)]);
    }
    int shift = 64 - 8 * width;  // sign-extend
    int64_t value = static_cast<int64_t>(raw << shift) >> shift;
    acc->integer_sum += value;
  }
}

std::optional<std::string> GroupAccumulator::Result(const Output& o, const Accumulator& acc) {
  if (o.aggregate == Aggregator::kMin || o.aggregate == Aggregator::kMax) return acc.best;
  int width = NumericWidth(o.aggregate_type.kind());
  bool avg = o.aggregate == Aggregator::kAvg;
  if (width == 0) {
    return ExactResult(o.aggregate_type.kind(), avg, acc.count, acc.exact_unscaled,
                       acc.exact_scale);
  }
  std::string out;
  if (width < 0) {
    double v =
        avg ? (acc.count ? acc.float_sum / static_cast<double>(acc.count) : 0) : acc.float_sum;
    if (width == -4) {
      float f = static_cast<float>(v);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(bits >> (8 * i)));
    } else {
      uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(bits >> (8 * i)));
    }
    return out;
  }
  // Division truncates toward zero, as Java's long and BigInteger division.
  __int128 v = avg ? (acc.count ? acc.integer_sum / acc.count : 0) : acc.integer_sum;
  auto low = static_cast<uint64_t>(v);
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<char>(low >> (8 * i)));
  return out;
}

}  // namespace postfork::node::cql3::selection
