#include "node/cql3/selection/selection.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "node/cql3/functions/functions.h"
#include "node/cql3/functions/json.h"
#include "node/cql3/selection/aggregates.h"
#include "node/cql3/values.h"
#include "postfork/cql/murmur3.h"

namespace postfork::node::cql3::selection {
namespace {

std::string BigintBytes(int64_t v) {
  std::string out;
  cql::ByteWriter(&out).WriteLong(v);
  return out;
}

std::string IntBytes(int32_t v) {
  std::string out;
  cql::ByteWriter(&out).WriteInt(v);
  return out;
}

Output MakeOutput(Output::Kind kind, size_t index) {
  Output o;
  o.kind = kind;
  o.index = index;
  return o;
}

Aggregator AggregatorNamed(std::string_view name) {
  return name == "min"   ? Aggregator::kMin
         : name == "max" ? Aggregator::kMax
         : name == "sum" ? Aggregator::kSum
                         : Aggregator::kAvg;
}

}  // namespace

Result<Selection> Selection::Prepare(const SelectStatement& stmt, const TableMetadata& t,
                                     BindCollector& binds) {
  Selection s;
  s.json_ = stmt.json;
  auto add = [&](Prepared p, const std::string& alias) {
    s.outputs_.push_back(std::move(p.output));
    s.result_columns_.push_back(cql::ColumnSpec{
        t.keyspace, t.name, alias.empty() ? std::move(p.name) : alias, std::move(p.type)});
  };
  if (stmt.select_star) {
    if (stmt.distinct) {
      return InvalidRequest("SELECT DISTINCT queries must request partition key columns");
    }
    for (const auto& col : t.columns) add(Prepared{s.ColumnOutput(col), col.type, col.name}, "");
  } else {
    for (const auto& sel : stmt.selectors) {
      PF_ASSIGN_OR_RETURN(Prepared p, s.PrepareSelector(sel, t, binds, stmt.distinct));
      add(std::move(p), sel.alias);
    }
  }
  if (s.json_) {
    // SELECT JSON: one text column, [json], holding each row as an object.
    s.json_columns_ = std::move(s.result_columns_);
    s.result_columns_ = {
        cql::ColumnSpec{t.keyspace, t.name, "[json]", cql::DataType(cql::TypeKind::kText)}};
  }
  return s;
}

Result<Selection::Prepared> Selection::PrepareSelector(const Selector& sel, const TableMetadata& t,
                                                       BindCollector& binds, bool distinct) {
  switch (sel.kind) {
    case Selector::Kind::kColumn: {
      const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
      if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
      if (distinct && col->kind != ColumnKind::kPartitionKey && col->kind != ColumnKind::kStatic) {
        return InvalidRequest(
            "SELECT DISTINCT queries must only request partition key columns and/or static "
            "columns (not " +
            col->name + ")");
      }
      return Prepared{ColumnOutput(*col), col->type, col->name};
    }
    case Selector::Kind::kCountStar:
      has_aggregate_ = true;
      return Prepared{MakeOutput(Output::Kind::kCountStar, 0),
                      cql::DataType(cql::TypeKind::kBigint), "count"};
    case Selector::Kind::kCount: {
      const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
      if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
      has_aggregate_ = true;
      Output o = ColumnOutput(*col);
      o.count = true;
      return Prepared{std::move(o), cql::DataType(cql::TypeKind::kBigint),
                      "system.count(" + col->name + ")"};
    }
    case Selector::Kind::kField:
      return PrepareField(sel, t);
    case Selector::Kind::kFunction:
      return PrepareFunction(sel, t, binds);
    case Selector::Kind::kTerm:
      return PrepareTerm(sel, nullptr, binds, sel.term_text);
    case Selector::Kind::kAggregate: {
      const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
      if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
      Output o = ColumnOutput(*col);
      o.aggregate = AggregatorNamed(sel.function);
      cql::DataType type = col->type.kind() == cql::TypeKind::kCounter
                               ? cql::DataType(cql::TypeKind::kBigint)
                               : col->type;
      bool arithmetic = o.aggregate == Aggregator::kSum || o.aggregate == Aggregator::kAvg;
      if (arithmetic && NumericWidth(type.kind()) == 0) {
        return InvalidRequest(fmt::format(
            "Invalid call to function system.{}: its argument {} of type {} is not one of "
            "tinyint, smallint, int, bigint, counter, float, double",
            sel.function, col->name, col->type.ToCql()));
      }
      o.value_type = type;
      has_aggregate_ = true;
      return Prepared{std::move(o), type, fmt::format("system.{}({})", sel.function, col->name)};
    }
    case Selector::Kind::kToken: {
      auto pk = t.PartitionKeyColumns();
      if (sel.columns.size() != pk.size()) {
        return InvalidRequest("Invalid number of arguments in call to function system.token: " +
                              std::to_string(pk.size()) + " required but " +
                              std::to_string(sel.columns.size()) + " provided");
      }
      std::string args;
      for (size_t i = 0; i < pk.size(); ++i) {
        if (sel.columns[i] != pk[i]->name) {
          return InvalidRequest("Type error: " + sel.columns[i] + " cannot be passed as argument " +
                                std::to_string(i) + " of function system.token");
        }
        args += (i ? ", " : "") + pk[i]->name;
      }
      return Prepared{MakeOutput(Output::Kind::kToken, 0), cql::DataType(cql::TypeKind::kBigint),
                      "system.token(" + args + ")"};
    }
    case Selector::Kind::kWritetime:
    case Selector::Kind::kTtl: {
      const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
      if (!col) return InvalidRequest("Undefined column name " + sel.columns[0]);
      bool wt = sel.kind == Selector::Kind::kWritetime;
      if (col->is_primary_key()) {
        return InvalidRequest(fmt::format("Cannot use selection function {} on PRIMARY KEY part {}",
                                          wt ? "writeTime" : "ttl", col->name));
      }
      Output o = ColumnOutput(*col);
      o.kind = wt ? Output::Kind::kWritetime : Output::Kind::kTtl;
      return Prepared{std::move(o),
                      cql::DataType(wt ? cql::TypeKind::kBigint : cql::TypeKind::kInt),
                      fmt::format("{}({})", wt ? "writetime" : "ttl", col->name)};
    }
  }
  return InvalidRequest("Unsupported selector");
}

// A function selector: its output, result type and Cassandra's column name.
Result<Selection::Prepared> Selection::PrepareFunction(const Selector& sel, const TableMetadata& t,
                                                       BindCollector& binds) {
  auto call = std::make_shared<FunctionCall>();
  call->name = sel.function;
  std::string args_text;
  for (const Selector& a : sel.args) {
    Prepared arg;
    if (a.kind == Selector::Kind::kColumn) {
      const ColumnMetadata* col = t.FindColumn(a.columns[0]);
      if (!col) return InvalidRequest("Undefined column name " + a.columns[0]);
      arg = Prepared{ColumnOutput(*col), col->type, col->name};
    } else if (a.kind == Selector::Kind::kFunction) {
      PF_ASSIGN_OR_RETURN(arg, PrepareFunction(a, t, binds));
    } else if (a.kind == Selector::Kind::kField) {
      PF_ASSIGN_OR_RETURN(arg, PrepareField(a, t));
    } else if (a.kind == Selector::Kind::kTerm) {
      // A literal or marker argument takes the parameter's type when every overload of this
      // arity agrees on it (Cassandra infers it from the function's signature).
      std::optional<cql::DataType> expected;
      std::string fn = sel.function == "cast" ? "" : sel.function;
      size_t position = call->args.size();
      bool agreed = !fn.empty();
      for (const NativeFunction* f : FunctionRegistry::Native().Overloads(fn)) {
        if (f->params.size() != sel.args.size() || f->AcceptsAny(position)) continue;
        if (expected && !(*expected == f->params[position])) agreed = false;
        expected = f->params[position];
      }
      if (!agreed) expected.reset();
      PF_ASSIGN_OR_RETURN(arg,
                          PrepareTerm(a, expected ? &*expected : nullptr, binds,
                                      fmt::format("arg{}(system.{})", position, sel.function)));
    } else {
      return InvalidRequest("Arguments of system." + sel.function +
                            " must be columns or function calls");
    }
    call->args.push_back(std::move(arg.output));
    call->arg_types.push_back(std::move(arg.type));
    args_text += (args_text.empty() ? "" : ", ") + arg.name;
  }
  std::string name = fmt::format("system.{}({})", sel.function, args_text);
  if (sel.function == "cast") {
    // The target type rides as a second argument type; Cassandra names the column
    // cast(x as type).
    auto target = cql::DataType::Parse(sel.cast_type);
    if (!target.ok() || !target->is_native()) {
      return InvalidRequest(fmt::format("Unknown type {} in cast", sel.cast_type));
    }
    call->arg_types.push_back(*target);
    name = fmt::format("cast({} as {})", args_text, target->ToCql());
  }
  PF_ASSIGN_OR_RETURN(cql::DataType result, ScalarResultType(call->name, call->arg_types));
  Output out = MakeOutput(Output::Kind::kFunction, 0);
  out.call = std::move(call);
  return Prepared{std::move(out), std::move(result), std::move(name)};
}

// A term selector (or argument): its type is the cast's, else `expected`, else the literal's own
// (Cassandra's getExactTypeIfKnown); a marker without either cannot be typed.
Result<Selection::Prepared> Selection::PrepareTerm(const Selector& sel,
                                                   const cql::DataType* expected,
                                                   BindCollector& binds,
                                                   const std::string& receiver) {
  std::optional<cql::DataType> type;
  if (!sel.cast_type.empty()) {
    auto parsed = cql::DataType::Parse(sel.cast_type);
    if (!parsed.ok()) return InvalidRequest("Unknown type " + sel.cast_type);
    type = *parsed;
  } else if (expected) {
    type = *expected;
  } else {
    type = PreferredLiteralType(sel.term);
    if (!type) {
      return InvalidRequest(fmt::format(
          "Cannot infer type for term {} in selection clause (try using a cast to force a type)",
          sel.term_text));
    }
  }
  PF_ASSIGN_OR_RETURN(ValueSource source, binds.Source(sel.term, *type, receiver));
  Output out = MakeOutput(Output::Kind::kTerm, 0);
  out.term = std::make_shared<const ValueSource>(std::move(source));
  return Prepared{std::move(out), *type, sel.term_text};
}

// `u.f`: a field of a user type column (or of a field selection), named as Cassandra does.
Result<Selection::Prepared> Selection::PrepareField(const Selector& sel, const TableMetadata& t) {
  const Selector& inner = sel.args[0];
  Prepared in;
  if (inner.kind == Selector::Kind::kColumn) {
    const ColumnMetadata* col = t.FindColumn(inner.columns[0]);
    if (!col) return InvalidRequest("Undefined column name " + inner.columns[0]);
    in = Prepared{ColumnOutput(*col), col->type, col->name};
  } else if (inner.kind == Selector::Kind::kField) {
    PF_ASSIGN_OR_RETURN(in, PrepareField(inner, t));
  } else {
    return InvalidRequest("Invalid field selection: only columns and fields have fields");
  }
  if (in.type.kind() != cql::TypeKind::kUdt) {
    return InvalidRequest(fmt::format("Invalid field selection: {} of type {} is not a user type",
                                      in.name, in.type.ToCql()));
  }
  const auto& names = in.type.field_names();
  auto it = std::find(names.begin(), names.end(), sel.function);
  if (it == names.end()) {
    return InvalidRequest(
        fmt::format("{} of type {} has no field {}", in.name, in.type.ToCql(), sel.function));
  }
  size_t index = static_cast<size_t>(it - names.begin());
  auto call = std::make_shared<FunctionCall>();
  call->args.push_back(std::move(in.output));
  Output out = MakeOutput(Output::Kind::kField, index);
  out.call = std::move(call);
  return Prepared{std::move(out), in.type.params()[index], in.name + "." + sel.function};
}

size_t Selection::ReadCell(uint32_t column_id) {
  for (size_t i = 0; i < cell_columns_.size(); ++i) {
    if (cell_columns_[i] == column_id) return i;
  }
  cell_columns_.push_back(column_id);
  return cell_columns_.size() - 1;
}

Output Selection::ColumnOutput(const ColumnMetadata& col) {
  switch (col.kind) {
    case ColumnKind::kPartitionKey:
      return MakeOutput(Output::Kind::kPartitionKey, static_cast<size_t>(col.position));
    case ColumnKind::kClustering:
      return MakeOutput(Output::Kind::kClustering, static_cast<size_t>(col.position));
    default:
      return MakeOutput(Output::Kind::kCell, ReadCell(col.id));
  }
}

bool Selection::OutputsAreStoredValues() const {
  for (const Output& o : outputs_) {
    if (o.kind != Output::Kind::kPartitionKey && o.kind != Output::Kind::kClustering &&
        o.kind != Output::Kind::kCell) {
      return false;
    }
  }
  return true;
}

Status Selection::CheckBoundTerms(const ExecutionContext& ctx) const {
  for (const Output& o : outputs_) {
    if (o.kind == Output::Kind::kTerm) PF_RETURN_IF_ERROR(ResolveValue(*o.term, ctx).status());
  }
  return Status::Ok();
}

cql::RawValue Selection::Value(const Output& o, const ReadRow& row,
                               std::deque<std::string>* computed,
                               const ExecutionContext& ctx) const {
  switch (o.kind) {
    case Output::Kind::kPartitionKey:
      return cql::RawValue::Of(row.partition_key[o.index]);
    case Output::Kind::kClustering:
      if (o.index < row.clustering.size()) return cql::RawValue::Of(row.clustering[o.index]);
      return cql::RawValue::Null();
    case Output::Kind::kCell:
      if (row.cells[o.index]) return cql::RawValue::Of(row.cells[o.index]->value);
      return cql::RawValue::Null();
    case Output::Kind::kToken: {
      std::string key;
      if (row.partition_key.size() == 1) {
        key = row.partition_key[0];
      } else {
        std::vector<std::string_view> comps(row.partition_key.begin(), row.partition_key.end());
        key = cql::CompositePartitionKey(comps);
      }
      computed->push_back(BigintBytes(cql::Murmur3Token(key)));
      return cql::RawValue::Of(computed->back());
    }
    case Output::Kind::kWritetime:
      if (!row.cells[o.index]) return cql::RawValue::Null();
      computed->push_back(BigintBytes(row.cells[o.index]->timestamp));
      return cql::RawValue::Of(computed->back());
    case Output::Kind::kTtl:
      if (!row.cells[o.index] || row.cells[o.index]->ttl == 0) return cql::RawValue::Null();
      computed->push_back(IntBytes(row.cells[o.index]->ttl));
      return cql::RawValue::Of(computed->back());
    case Output::Kind::kFunction: {
      std::vector<std::optional<std::string>> args;
      for (const Output& a : o.call->args) {
        cql::RawValue v = Value(a, row, computed, ctx);
        args.push_back(v.is_null() ? std::nullopt : std::optional<std::string>(v.bytes));
      }
      auto r = EvaluateScalar(o.call->name, o.call->arg_types, args, ctx.now_micros);
      if (!r) return cql::RawValue::Null();
      computed->push_back(std::move(*r));
      return cql::RawValue::Of(computed->back());
    }
    case Output::Kind::kField: {
      cql::RawValue v = Value(o.call->args[0], row, computed, ctx);
      if (v.is_null()) return v;
      cql::ByteReader r(v.bytes);
      for (size_t i = 0; !r.empty(); ++i) {
        auto f = r.ReadBytes();
        if (!f.ok()) break;
        if (i == o.index) return *f ? cql::RawValue::Of(**f) : cql::RawValue::Null();
      }
      return cql::RawValue::Null();
    }
    case Output::Kind::kTerm: {
      // Markers were type-checked by CheckBoundTerms; an unset one reads as null.
      auto v = ResolveValue(*o.term, ctx);
      if (!v.ok() || v->kind != cql::RawValue::Kind::kBytes) return cql::RawValue::Null();
      computed->push_back(std::string(v->bytes));
      return cql::RawValue::Of(computed->back());
    }
    case Output::Kind::kCountStar:
      break;
  }
  return cql::RawValue::Null();
}

void Selection::AppendRow(const ReadRow& row, std::deque<std::string>* computed,
                          const ExecutionContext& ctx, cql::RowsResult* rows) const {
  if (!json_) {
    for (const Output& o : outputs_) rows->cells.push_back(Value(o, row, computed, ctx));
    return;
  }
  std::vector<std::optional<std::string_view>> values;
  values.reserve(outputs_.size());
  for (const Output& o : outputs_) {
    cql::RawValue v = Value(o, row, computed, ctx);
    values.push_back(v.is_null() ? std::nullopt : std::optional<std::string_view>(v.bytes));
  }
  computed->push_back(JsonRow(values));
  rows->cells.push_back(cql::RawValue::Of(computed->back()));
}

std::string Selection::JsonRow(const std::vector<std::optional<std::string_view>>& values) const {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.append(", ");
    AppendJsonString(JsonColumnName(json_columns_[i].name), &out);
    out.append(": ");
    out.append(ToJson(values[i], json_columns_[i].type));
  }
  out.push_back('}');
  return out;
}

void RowsWriter::Row(const RowView& row) {
  if (last_requested_) last_row_in_it_ = row.partition_key == *last_requested_;
  cql::ByteWriter w(out_);
  for (const Output& o : outputs_) {
    switch (o.kind) {
      case Output::Kind::kPartitionKey:
        w.WriteBytes(std::string_view(row.partition_key[o.index]));
        break;
      case Output::Kind::kClustering:
        if (o.index < row.clustering.size()) {
          w.WriteBytes(std::string_view(row.clustering[o.index]));
        } else {
          w.WriteInt(-1);
        }
        break;
      default:  // kCell (Selection::OutputsAreStoredValues)
        if (row.cells[o.index].present) {
          w.WriteBytes(row.cells[o.index].value);
        } else {
          w.WriteInt(-1);
        }
        break;
    }
  }
}

}  // namespace postfork::node::cql3::selection
