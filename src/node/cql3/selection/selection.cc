#include "node/cql3/selection/selection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "node/cql3/functions/functions.h"
#include "node/cql3/functions/json.h"
#include "node/cql3/functions/operations.h"
#include "node/cql3/selection/aggregates.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/db/type_properties.h"
#include "postfork/cql/murmur3.h"

namespace postfork::node::cql3::selection {
namespace {

// A selector written inside parentheses: prepared by `prepare` as the selector inside them and
// named with the parentheses as written, as Cassandra names the result column.
template <class Prepare>
auto PrepareParenthesized(const Selector& sel, Prepare prepare) -> decltype(prepare(sel)) {
  Selector inner = sel;
  inner.parentheses = 0;
  PF_ASSIGN_OR_RETURN(auto p, prepare(inner));
  const auto n = static_cast<size_t>(sel.parentheses);
  p.name = std::string(n, '(') + p.name + std::string(n, ')');
  return p;
}

std::string BigintBytes(int64_t v) {
  std::string out;
  cql::ByteWriter(&out).WriteLong(v);
  return out;
}

Output MakeOutput(Output::Kind kind, size_t index) {
  Output o;
  o.kind = kind;
  o.index = index;
  return o;
}

// The entries of a serialized set or map (a set's values are absent), in their stored order.
struct Entry {
  std::string_view key;
  std::string_view value;
};
std::vector<Entry> CollectionEntries(const cql::DataType& type, std::string_view bytes) {
  std::vector<Entry> out;
  bool is_map = type.kind() == cql::TypeKind::kMap;
  cql::ByteReader r(bytes);
  auto n = r.ReadInt();
  if (!n.ok() || *n < 0) return out;
  for (int32_t i = 0; i < *n; ++i) {
    auto k = r.ReadBytes();
    if (!k.ok() || !*k) break;
    Entry e{**k, {}};
    if (is_map) {
      auto v = r.ReadBytes();
      if (!v.ok() || !*v) break;
      e.value = **v;
    }
    out.push_back(e);
  }
  return out;
}

// A bound of a slice: nullopt for an absent or unset bound (open), else its bytes.
std::optional<std::string_view> SliceBound(const ValueSource* bound, const ExecutionContext& ctx) {
  if (!bound) return std::nullopt;
  auto v = ResolveValue(*bound, ctx);
  if (!v.ok() || v->kind != cql::RawValue::Kind::kBytes) return std::nullopt;
  return v->bytes;
}

// The positions of the entries of `entries` (in key order) between `from` and `to`, inclusive.
std::vector<size_t> SliceIndexes(const cql::DataType& key_type, const std::vector<Entry>& entries,
                                 std::optional<std::string_view> from,
                                 std::optional<std::string_view> to) {
  std::vector<size_t> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (from && CompareValues(key_type, entries[i].key, *from) < 0) continue;
    if (to && CompareValues(key_type, entries[i].key, *to) > 0) continue;
    out.push_back(i);
  }
  return out;
}

std::optional<size_t> ElementIndex(const cql::DataType& key_type, const std::vector<Entry>& entries,
                                   std::string_view key) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (CompareValues(key_type, entries[i].key, key) == 0) return i;
  }
  return std::nullopt;
}

bool IsMultiCellCollection(const cql::DataType& type) {
  return type.is_collection() && !type.is_frozen();
}

Aggregator AggregatorNamed(std::string_view name) {
  return name == "min"   ? Aggregator::kMin
         : name == "max" ? Aggregator::kMax
         : name == "sum" ? Aggregator::kSum
                         : Aggregator::kAvg;
}

// How a value of `type` fits a parameter of `param` type: Cassandra's AbstractType.testAssignment
// (exact when equal; weakly when the parameter's type reads the values of `type`).
TermFit TypedFit(const cql::DataType& type, const cql::DataType& param) {
  if (type == param) return TermFit::kExact;
  return ValueCompatible(param, type) ? TermFit::kWeak : TermFit::kNone;
}

// The serialized value of a tuple, list or set selector (Selection::PrepareComposite) from its
// elements' values, as Cassandra writes them: a null element as length -1, whatever the
// collection (the elements are not checked against the element type either); a set's elements
// sorted by its element type, each once.
std::string CompositeValue(const Output& o, std::vector<std::optional<std::string>> elements) {
  if (o.value_type.kind() == cql::TypeKind::kSet) {
    const cql::DataType& type = o.value_type.params()[0];
    auto less = [&](const std::optional<std::string>& a, const std::optional<std::string>& b) {
      if (!a || !b) return !a && b;
      return CompareValues(type, *a, *b) < 0;
    };
    std::stable_sort(elements.begin(), elements.end(), less);
    elements.erase(std::unique(elements.begin(), elements.end(),
                               [&](const auto& a, const auto& b) {
                                 return !less(a, b) && !less(b, a);
                               }),
                   elements.end());
  }
  std::string out;
  cql::ByteWriter w(&out);
  if (o.value_type.kind() != cql::TypeKind::kTuple) w.WriteInt(static_cast<int32_t>(elements.size()));
  for (const auto& e : elements) {
    if (e) {
      w.WriteInt(static_cast<int32_t>(e->size()));
      out.append(*e);
    } else {
      w.WriteInt(-1);
    }
  }
  return out;
}

}  // namespace

Result<Selection> Selection::Prepare(const SelectStatement& stmt, const TableMetadata& t,
                                     BindCollector& binds) {
  Selection s;
  s.json_ = stmt.json;
  auto add = [&](Prepared p, const std::string& alias) {
    s.outputs_.push_back(std::move(p.output));
    cql::DataType type = p.metadata_type && !s.json_ ? std::move(*p.metadata_type) : std::move(p.type);
    s.result_columns_.push_back(cql::ColumnSpec{
        t.keyspace, t.name, alias.empty() ? std::move(p.name) : alias, std::move(type)});
  };
  if (stmt.select_star) {
    for (const auto& col : t.columns) add(Prepared{s.ColumnOutput(col), col.type, col.name}, "");
  } else {
    for (const auto& sel : stmt.selectors) {
      PF_ASSIGN_OR_RETURN(Prepared p, s.PrepareSelector(sel, t, binds));
      if (sel.parentheses > 0) {
        // `(a)` could be a one-element tuple: Cassandra's BetweenParenthesesOrWithTuple knows
        // no type for it where no type is expected, as for a selector of its own (a function's
        // argument or a type hint's selector has one).
        return InvalidRequest(fmt::format(
            "Cannot infer type for term {} in selection clause (try using a cast to force a type)",
            p.name));
      }
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
                                                       BindCollector& binds) {
  if (sel.parentheses > 0) {
    return PrepareParenthesized(
        sel, [&](const Selector& inner) { return PrepareSelector(inner, t, binds); });
  }
  switch (sel.kind) {
    case Selector::Kind::kOperation:
      return PrepareOperation(sel, t, binds);
    case Selector::Kind::kColumn: {
      const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
      if (!col) return UndefinedColumn(sel.columns[0], t.keyspace, t.name);
      return Prepared{ColumnOutput(*col), col->type, col->name};
    }
    case Selector::Kind::kCountStar:
      has_aggregate_ = true;
      return Prepared{MakeOutput(Output::Kind::kCountStar, 0),
                      cql::DataType(cql::TypeKind::kBigint), "count"};
    case Selector::Kind::kCount: {
      const ColumnMetadata* col = t.FindColumn(sel.columns[0]);
      if (!col) return UndefinedColumn(sel.columns[0], t.keyspace, t.name);
      has_aggregate_ = true;
      Output o = ColumnOutput(*col);
      o.count = true;
      return Prepared{std::move(o), cql::DataType(cql::TypeKind::kBigint),
                      "system.count(" + col->name + ")"};
    }
    case Selector::Kind::kField:
      return PrepareField(sel, t, binds);
    case Selector::Kind::kElement:
    case Selector::Kind::kSlice:
      return PrepareSubscript(sel, t, binds);
    case Selector::Kind::kFunction:
      return PrepareFunction(sel, t, binds);
    case Selector::Kind::kTypeHint:
      return PrepareTypeHint(sel, t, binds);
    case Selector::Kind::kTuple:
    case Selector::Kind::kList:
    case Selector::Kind::kSet:
    case Selector::Kind::kMap:
      return PrepareComposite(sel, t, binds);
    case Selector::Kind::kTerm:
      // No literal has a type of its own here (Cassandra's getExactTypeIfKnown of a literal is
      // null): only a cast types a term selector.
      if (sel.cast_type.empty()) {
        return InvalidRequest(fmt::format(
            "Cannot infer type for term {} in selection clause (try using a cast to force a type)",
            sel.term_text));
      }
      return PrepareTerm(sel, nullptr, binds, sel.term_text);
    case Selector::Kind::kAggregate: {
      // Over a column or any other selector (sum(cast(v as bigint))).
      Prepared arg;
      if (sel.args.empty()) {
        Selector column;
        column.columns = sel.columns;
        PF_ASSIGN_OR_RETURN(arg, PrepareArgument(column, t, binds));
      } else if (sel.args[0].kind == Selector::Kind::kTerm && sel.args[0].cast_type.empty()) {
        // A literal picks the overload of its preferred type (max(1): max(int)).
        std::optional<cql::DataType> type = PreferredLiteralType(sel.args[0].term);
        if (!type) {
          return InvalidRequest(fmt::format(
              "Cannot infer type of argument {} in call to function system.{}(any): use type "
              "casts to disambiguate",
              sel.args[0].term.kind == Term::Kind::kNull ? "NULL" : sel.args[0].term_text,
              sel.function));
        }
        PF_ASSIGN_OR_RETURN(arg, PrepareTerm(sel.args[0], &*type, binds,
                                             fmt::format("arg0(system.{})", sel.function)));
      } else {
        PF_ASSIGN_OR_RETURN(arg, PrepareArgument(sel.args[0], t, binds));
        if (sel.args[0].parentheses > 0 && (sel.function == "min" || sel.function == "max")) {
          // min and max take any type, known exactly: a selector between parentheses has none
          // (Cassandra's BetweenParenthesesOrWithTuple).
          return InvalidRequest(fmt::format(
              "Cannot infer type of argument {} in call to function system.{}(any): use type "
              "casts to disambiguate",
              arg.name, sel.function));
        }
      }
      Output o = std::move(arg.output);
      o.aggregate = AggregatorNamed(sel.function);
      // Counters aggregate as their bigint values; the result stays typed counter, as
      // Cassandra's sum, avg, min and max of a counter return a counter.
      cql::DataType type = arg.type.kind() == cql::TypeKind::kCounter
                               ? cql::DataType(cql::TypeKind::kBigint)
                               : arg.type;
      bool arithmetic = o.aggregate == Aggregator::kSum || o.aggregate == Aggregator::kAvg;
      if (arithmetic && !Summable(type.kind())) {
        // Cassandra declares sum and avg once per numeric type.
        std::string known;
        for (const char* t : {"tinyint", "smallint", "int", "bigint", "float", "double", "decimal",
                              "varint", "counter"}) {
          known += fmt::format("{}system.{} : ({}) -> {}", known.empty() ? "" : ", ", sel.function,
                               t, t);
        }
        return InvalidRequest(
            fmt::format("Invalid call to function {}, none of its type signatures match (known "
                        "type signatures: {})",
                        sel.function, known));
      }
      o.aggregate_type = type;
      has_aggregate_ = true;
      // Cassandra builds min and max per argument type through FunctionFactory, which takes a
      // timeuuid as its UDF type (TimeUUIDType.udfType): the result is typed
      // LegacyTimeUUIDType, a custom type on the wire.
      // As an argument of another function it stays a timeuuid; SELECT JSON writes it as one.
      std::optional<cql::DataType> shown;
      if (arg.type.kind() == cql::TypeKind::kTimeuuid &&
          (o.aggregate == Aggregator::kMin || o.aggregate == Aggregator::kMax)) {
        shown = cql::DataType::Custom("org.apache.cassandra.db.marshal.LegacyTimeUUIDType");
      }
      return Prepared{std::move(o), arg.type, fmt::format("system.{}({})", sel.function, arg.name),
                      std::move(shown)};
    }
    case Selector::Kind::kToken: {
      auto pk = t.PartitionKeyColumns();
      // Cassandra prepares the arguments (columns) before it matches them to the function.
      for (const std::string& name : sel.columns) {
        if (!t.FindColumn(name)) return UndefinedColumn(name, t.keyspace, t.name);
      }
      if (sel.columns.size() != pk.size()) {
        return InvalidRequest("Invalid number of arguments in call to function system.token: " +
                              std::to_string(pk.size()) + " required but " +
                              std::to_string(sel.columns.size()) + " provided");
      }
      std::string args;
      for (size_t i = 0; i < pk.size(); ++i) {
        if (sel.columns[i] != pk[i]->name) {
          // A column of another type fails as Cassandra's argument check does; one of the same
          // type (which Cassandra would hash) is refused too.
          const ColumnMetadata* col = t.FindColumn(sel.columns[i]);
          std::string of_type =
              col->type == pk[i]->type ? std::string() : " of type " + pk[i]->type.ToCql();
          return InvalidRequest("Type error: " + sel.columns[i] + " cannot be passed as argument " +
                                std::to_string(i) + " of function system.token" + of_type);
        }
        args += (i ? ", " : "") + pk[i]->name;
        if (std::find(columns_.begin(), columns_.end(), pk[i]) == columns_.end()) {
          columns_.push_back(pk[i]);
        }
      }
      return Prepared{MakeOutput(Output::Kind::kToken, 0), cql::DataType(cql::TypeKind::kBigint),
                      "system.token(" + args + ")"};
    }
    case Selector::Kind::kWritetime:
    case Selector::Kind::kMaxWritetime:
    case Selector::Kind::kTtl:
      return PrepareTimes(sel, t, binds);
  }
  return InvalidRequest("Unsupported selector");
}

// A function selector: its output, result type and Cassandra's column name.
Result<Selection::Prepared> Selection::PrepareFunction(const Selector& sel, const TableMetadata& t,
                                                       BindCollector& binds) {
  if (sel.function != "cast" && !FunctionRegistry::Native().Exists(sel.function)) {
    if (sel.function == "fromjson") {
      return InvalidRequest(
          "fromjson() cannot be used in the selection clause of a SELECT statement");
    }
    return InvalidRequest(fmt::format("Unknown function '{}'", sel.function));
  }
  if (sel.function != "cast") return PrepareNativeCall(sel, t, binds);
  auto call = std::make_shared<FunctionCall>();
  call->name = sel.function;
  std::string args_text;
  for (const Selector& a : sel.args) {
    Prepared arg;
    if (a.kind == Selector::Kind::kColumn || a.kind == Selector::Kind::kFunction ||
        a.kind == Selector::Kind::kField || a.kind == Selector::Kind::kElement ||
        a.kind == Selector::Kind::kSlice || a.kind == Selector::Kind::kOperation ||
        a.kind == Selector::Kind::kTypeHint ||
        (a.kind == Selector::Kind::kTerm && a.parentheses > 0)) {
      PF_ASSIGN_OR_RETURN(arg, PrepareArgument(a, t, binds));
    } else if (a.kind == Selector::Kind::kTerm) {
      // A literal cast: typed by itself.
      PF_ASSIGN_OR_RETURN(arg, PrepareTerm(a, nullptr, binds, "arg0(system.cast)"));
    } else if (a.kind == Selector::Kind::kToken || a.kind == Selector::Kind::kWritetime ||
               a.kind == Selector::Kind::kMaxWritetime || a.kind == Selector::Kind::kTtl) {
      PF_ASSIGN_OR_RETURN(arg, PrepareSelector(a, t, binds));
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
    // A clustering column in descending order selects values of its reversed type, which no
    // type equals (Cassandra's Selectable.WithCast compares the selector's return type), so its
    // cast to its own type looks for a function and finds none.
    const ColumnMetadata* column =
        sel.args.size() == 1 && sel.args[0].kind == Selector::Kind::kColumn
            ? t.FindColumn(sel.args[0].columns[0])
            : nullptr;
    const bool reversed = column && column->order == ClusteringOrder::kDesc;
    if (call->arg_types.size() == 1 && call->arg_types[0] == *target && !reversed) {
      // A cast to the argument's own type is the argument itself (Cassandra's
      // CastFcts: no function, the selector's own name).
      Output same = std::move(call->args[0]);
      return Prepared{std::move(same), *target, args_text};
    }
    if (!FunctionRegistry::Native().Exists(CastFunctionName(*target))) {
      // No cast to this type at all (counter, blob, duration, ...): Cassandra's Selectable.WithCast
      // names the selected column.
      return InvalidRequest(fmt::format("{} cannot be cast to {}", args_text, target->ToCql()));
    }
    call->arg_types.push_back(*target);
    name = fmt::format("cast({} as {})", args_text, target->ToCql());
  }
  PF_ASSIGN_OR_RETURN(cql::DataType result, ScalarResultType(call->name, call->arg_types));
  if (auto f = FunctionRegistry::Native().Resolve(call->name, call->arg_types);
      f.ok() && (*f)->check) {
    call->check = *f;
  }
  Output out = MakeOutput(Output::Kind::kFunction, 0);
  out.call = std::move(call);
  return Prepared{std::move(out), std::move(result), std::move(name)};
}

Result<Selection::Prepared> Selection::PrepareOperation(const Selector& sel, const TableMetadata& t,
                                                        BindCollector& binds) {
  const bool negation = sel.function == "_negate";
  const char symbol = OperatorSymbol(sel.function);
  PF_ASSIGN_OR_RETURN(std::vector<Argument> operands, PrepareArguments(sel, t, binds));
  const auto candidates = FunctionRegistry::Native().Overloads(sel.function);
  auto [chosen, compatible] = PickBestMatch(candidates, operands);
  if (!chosen) {
    if (compatible.empty()) {
      if (negation) {
        return InvalidRequest(fmt::format(
            "Invalid call to function system._negate, none of its type signatures match (known "
            "type signatures: {})",
            Signatures(candidates)));
      }
      return InvalidRequest(fmt::format("the '{}' operation is not supported between {} and {}",
                                        symbol, operands[0].text, operands[1].text));
    }
    if (negation) return InvalidRequest("Ambiguous negation: use type casts to disambiguate");
    return InvalidRequest(fmt::format(
        "Ambiguous '{}' operation with args {} and {}: use type hint to disambiguate, example "
        "'(int) ?'",
        symbol, operands[0].text, operands[1].text));
  }
  PF_ASSIGN_OR_RETURN(std::shared_ptr<FunctionCall> call,
                      MakeCall(sel.function, *chosen, operands, binds));
  std::string name = negation ? "-" + operands[0].text
                              : fmt::format("{} {} {}", operands[0].text, symbol, operands[1].text);
  Output out = MakeOutput(Output::Kind::kFunction, 0);
  out.call = std::move(call);
  return Prepared{std::move(out), chosen->return_type, std::move(name)};
}

// A native function other than cast: the overload chosen as Cassandra's FunctionResolver
// chooses it (one overload: its arguments are checked; several: an exact match, else the one
// weakly assignable overload), with its messages.
Result<Selection::Prepared> Selection::PrepareNativeCall(const Selector& sel,
                                                         const TableMetadata& t,
                                                         BindCollector& binds) {
  PF_ASSIGN_OR_RETURN(std::optional<std::vector<cql::DataType>> factory_params,
                      FactoryParameters(sel, t, binds));
  PF_ASSIGN_OR_RETURN(std::vector<Argument> args, PrepareArguments(sel, t, binds));
  const auto candidates = FunctionRegistry::Native().Overloads(sel.function);
  const NativeFunction* chosen = nullptr;
  // A factory's call takes the parameter types inferred from its arguments.
  std::optional<NativeFunction> inferred;
  if (factory_params) {
    chosen = candidates[0];
    inferred = *chosen;
    inferred->params = *factory_params;
    for (size_t i = 0; i < args.size(); ++i) {
      if (!args[i].typed && !IsAssignable(args[i].sel->term, inferred->params[i])) {
        return InvalidRequest(fmt::format(
            "Type error: {} cannot be passed as argument {} of function system.{} of type {}",
            TermText(args[i].sel->term), i, sel.function, inferred->params[i].ToCql()));
      }
    }
  } else if (candidates.size() == 1) {
    chosen = candidates[0];
    if (chosen->params.size() != args.size()) {
      return InvalidRequest(fmt::format(
          "Invalid number of arguments in call to function system.{}: {} required but {} provided",
          sel.function, chosen->params.size(), args.size()));
    }
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i].Fit(chosen->params[i]) == TermFit::kNone) {
        return InvalidRequest(fmt::format(
            "Type error: {} cannot be passed as argument {} of function system.{} of type {}",
            args[i].text, i, sel.function, chosen->params[i].ToCql()));
      }
    }
  } else {
    auto [exact, compatible] = PickBestMatch(candidates, args);
    chosen = exact;
    if (!chosen && compatible.empty()) {
      return InvalidRequest(
          fmt::format("Invalid call to function {}, none of its type signatures match (known type "
                      "signatures: {})",
                      sel.function, Signatures(candidates)));
    }
    if (!chosen && compatible.size() > 1) {
      return InvalidRequest(fmt::format(
          "Ambiguous call to function {} (can be matched by following signatures: {}): use type "
          "casts to disambiguate",
          sel.function, Signatures(compatible)));
    }
    if (!chosen) chosen = compatible[0];
  }
  PF_ASSIGN_OR_RETURN(std::shared_ptr<FunctionCall> call,
                      MakeCall(sel.function, inferred ? *inferred : *chosen, args, binds));
  if (chosen->check) call->check = chosen;
  std::string args_text;
  std::vector<std::string> names;
  for (const Argument& a : args) {
    args_text += (args_text.empty() ? "" : ", ") + a.text;
    names.push_back(a.text);
  }
  cql::DataType result = chosen->return_type;
  if (chosen->result_type_of) {
    PF_ASSIGN_OR_RETURN(result, chosen->result_type_of(sel.function, call->arg_types, names));
  }
  Output out = MakeOutput(Output::Kind::kFunction, 0);
  out.call = std::move(call);
  return Prepared{std::move(out), std::move(result),
                  fmt::format("system.{}({})", sel.function, args_text)};
}

TermFit Selection::Argument::Fit(const cql::DataType& param) const {
  if (param.kind() == cql::TypeKind::kCustom) return TermFit::kWeak;  // any type (toJson)
  return typed ? TypedFit(typed->type, param) : TermArgumentFit(sel->term, param);
}

Result<std::vector<Selection::Argument>> Selection::PrepareArguments(const Selector& sel,
                                                                     const TableMetadata& t,
                                                                     BindCollector& binds) {
  std::vector<Argument> args;
  for (const Selector& a : sel.args) {
    Argument arg{&a, std::nullopt, {}};
    if (a.kind == Selector::Kind::kTerm && a.cast_type.empty() && a.parentheses == 0) {
      arg.text = a.term.kind == Term::Kind::kNull ? "NULL" : a.term_text;
    } else {
      PF_ASSIGN_OR_RETURN(Prepared p, PrepareSelector(a, t, binds));
      arg.text = p.name;
      arg.typed = std::move(p);
    }
    args.push_back(std::move(arg));
  }
  return args;
}

std::pair<const NativeFunction*, std::vector<const NativeFunction*>> Selection::PickBestMatch(
    const std::vector<const NativeFunction*>& candidates, const std::vector<Argument>& args) {
  std::vector<const NativeFunction*> compatible;
  for (const NativeFunction* f : candidates) {
    if (f->params.size() != args.size()) continue;
    TermFit fit = TermFit::kExact;
    for (size_t i = 0; i < args.size() && fit != TermFit::kNone; ++i) {
      TermFit a = args[i].Fit(f->params[i]);
      if (a != TermFit::kExact) fit = a;
    }
    if (fit == TermFit::kExact) return {f, {}};
    if (fit == TermFit::kWeak) compatible.push_back(f);
  }
  return {nullptr, std::move(compatible)};
}

std::string Selection::Signatures(const std::vector<const NativeFunction*>& functions) {
  std::string out;
  for (const NativeFunction* f : functions) out += (out.empty() ? "" : ", ") + f->Signature();
  return out;
}

// The call of `fn` over `args`: literals and markers typed by its parameters (a parameter of any
// type: the literal's own type), each argument passed as the parameter's type (the bytes of a
// weakly assignable argument read as that type) or, for any-type parameters, its own.
Result<std::shared_ptr<FunctionCall>> Selection::MakeCall(const std::string& name,
                                                          const NativeFunction& fn,
                                                          std::vector<Argument>& args,
                                                          BindCollector& binds) {
  auto call = std::make_shared<FunctionCall>();
  call->name = name;
  for (size_t i = 0; i < args.size(); ++i) {
    Argument& a = args[i];
    const bool any = fn.AcceptsAny(i);
    if (!a.typed) {
      if (any && !PreferredLiteralType(a.sel->term)) {
        return InvalidRequest(fmt::format(
            "Cannot infer type of argument {} in call to function system.{}(any): use type casts "
            "to disambiguate",
            a.text, name));
      }
      PF_ASSIGN_OR_RETURN(a.typed, PrepareTerm(*a.sel, any ? nullptr : &fn.params[i], binds,
                                               fmt::format("arg{}(system.{})", i, name)));
    }
    call->arg_types.push_back(any ? a.typed->type : fn.params[i]);
    call->args.push_back(std::move(a.typed->output));
  }
  return call;
}

Result<std::optional<std::vector<cql::DataType>>> Selection::FactoryParameters(
    const Selector& sel, const TableMetadata& t, BindCollector& binds) {
  auto overloads = FunctionRegistry::Native().Overloads(sel.function);
  if (overloads.size() != 1 || !overloads[0]->factory) {
    return std::optional<std::vector<cql::DataType>>();
  }
  std::vector<ArgumentHint> hints;
  for (const Selector& a : sel.args) {
    ArgumentHint h;
    if (a.kind == Selector::Kind::kColumn) {
      const ColumnMetadata* col = t.FindColumn(a.columns[0]);
      if (!col) return InvalidRequest("Undefined column name " + a.columns[0]);
      h.type = col->type;
      h.text = col->name;
    } else if (a.kind == Selector::Kind::kFunction) {
      PF_ASSIGN_OR_RETURN(Prepared nested, PrepareFunction(a, t, binds));
      h.type = std::move(nested.type);
      h.text = std::move(nested.name);
    } else if (a.kind == Selector::Kind::kTerm) {
      h.text = a.term_text;
      if (!a.cast_type.empty()) {
        auto parsed = cql::DataType::Parse(a.cast_type);
        if (parsed.ok()) h.type = *parsed;
      } else if (a.term.kind == Term::Kind::kList) {
        h.array_literal_size = a.term.elements.size();
      } else if (a.term.kind == Term::Kind::kSetOrMap && !a.term.elements.empty()) {
        // Cassandra's getCompatibleTypeIfKnown: a set or map of its elements' types.
        auto first = PreferredLiteralType(a.term.elements[0]);
        auto second =
            a.term.elements.size() > 1 ? PreferredLiteralType(a.term.elements[1]) : std::nullopt;
        if (first && !a.term.is_map) h.type = cql::DataType::Set(*first);
        if (first && second && a.term.is_map) h.type = cql::DataType::Map(*first, *second);
      } else if (a.term.kind == Term::Kind::kString) {
        h.type = cql::DataType(cql::TypeKind::kAscii);  // Constants' compatible type
      } else {
        h.type = PreferredLiteralType(a.term);
      }
    }
    hints.push_back(std::move(h));
  }
  PF_ASSIGN_OR_RETURN(auto params, InferFactoryParameters(*overloads[0], hints));
  return std::optional<std::vector<cql::DataType>>(std::move(params));
}

// A term selector (or argument): its type is the cast's, else `expected`, else the literal's own
// (Cassandra's getExactTypeIfKnown); a marker without either cannot be typed.
Result<Selection::Prepared> Selection::PrepareTerm(const Selector& sel,
                                                   const cql::DataType* expected,
                                                   BindCollector& binds,
                                                   const std::string& receiver) {
  std::optional<cql::DataType> type;
  if (!sel.cast_type.empty()) {
    PF_ASSIGN_OR_RETURN(type, binds.HintType(sel.cast_type));
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

// `(type) selector`: the selector's value read as the hinted type, which must be its own or
// one that reads its bytes (Cassandra's WithTypeHint: the selector's testAssignment to the type),
// named "(type)name".
Result<Selection::Prepared> Selection::PrepareTypeHint(const Selector& sel, const TableMetadata& t,
                                                       BindCollector& binds) {
  auto hinted = binds.HintType(sel.cast_type);
  if (!hinted.ok()) {
    if (hinted.error().message().starts_with("Unknown type")) {
      // Cassandra names a type it cannot find in the table's keyspace.
      return InvalidRequest(fmt::format("Unknown type {}.{}", t.keyspace, sel.cast_type));
    }
    return hinted.error();
  }
  PF_ASSIGN_OR_RETURN(Prepared p, PrepareSelector(sel.args[0], t, binds));
  p.name = "(" + sel.cast_type + ")" + p.name;
  if (TypedFit(p.type, *hinted) == TermFit::kNone) {
    return InvalidRequest(fmt::format("Cannot assign value {} to {} of type {}", p.name, p.name,
                                      hinted->ToCql()));
  }
  p.type = std::move(*hinted);
  return p;
}

// The FunctionCall names of composite selectors: Value builds their values from the elements.
constexpr std::string_view kTupleCall = "_tuple", kListCall = "_list", kSetCall = "_set";

// `(a, b)`, `[a, b]`, `{a, b}`: Cassandra's TupleSelector, ListSelector and SetSelector. A tuple
// needs every element's type, a list or set the first known one (the type of its elements, which
// types its literals and markers, named [selection]); a bare literal or marker, a selector between
// parentheses and a map of selectors have none (getExactTypeIfKnown).
Result<Selection::Prepared> Selection::PrepareComposite(const Selector& sel, const TableMetadata& t,
                                                        BindCollector& binds) {
  std::vector<std::optional<Prepared>> elements(sel.args.size());
  std::vector<std::string> names(sel.args.size());
  const cql::DataType* known = nullptr;
  bool all_known = true;
  for (size_t i = 0; i < sel.args.size(); ++i) {
    const Selector& e = sel.args[i];
    if (e.kind == Selector::Kind::kTerm && e.cast_type.empty() && e.parentheses == 0) {
      names[i] = e.term_text;
      all_known = false;
      continue;
    }
    PF_ASSIGN_OR_RETURN(elements[i], PrepareSelector(e, t, binds));
    names[i] = elements[i]->name;
    if (e.parentheses > 0) {
      all_known = false;
    } else if (known == nullptr) {
      known = &elements[i]->type;
    }
  }
  std::string name;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) name += sel.kind == Selector::Kind::kMap && i % 2 ? ": " : ", ";
    name += names[i];
  }
  name = sel.kind == Selector::Kind::kTuple  ? "(" + name + ")"
         : sel.kind == Selector::Kind::kList ? "[" + name + "]"
                                             : "{" + name + "}";
  const bool typed = sel.kind == Selector::Kind::kTuple ? all_known
                     : sel.kind == Selector::Kind::kMap ? false
                                                        : known != nullptr;
  if (!typed) {
    return InvalidRequest(fmt::format(
        "Cannot infer type for term {} in selection clause (try using a cast to force a type)",
        name));
  }
  auto call = std::make_shared<FunctionCall>();
  std::vector<cql::DataType> types;
  const cql::DataType element_type = sel.kind == Selector::Kind::kTuple ? cql::DataType() : *known;
  for (size_t i = 0; i < elements.size(); ++i) {
    if (!elements[i]) {
      PF_ASSIGN_OR_RETURN(elements[i], PrepareTerm(sel.args[i], &element_type, binds, "[selection]"));
    }
    types.push_back(elements[i]->type);
    call->arg_types.push_back(elements[i]->type);
    call->args.push_back(std::move(elements[i]->output));
  }
  cql::DataType type = sel.kind == Selector::Kind::kTuple ? cql::DataType::Tuple(std::move(types))
                       : sel.kind == Selector::Kind::kList ? cql::DataType::List(element_type)
                                                           : cql::DataType::Set(element_type);
  call->name = sel.kind == Selector::Kind::kTuple  ? kTupleCall
               : sel.kind == Selector::Kind::kList ? kListCall
                                                   : kSetCall;
  Output o = MakeOutput(Output::Kind::kFunction, 0);
  o.call = std::move(call);
  o.value_type = type;
  return Prepared{std::move(o), std::move(type), std::move(name)};
}

// The selectors that may stand as an argument (of a function, a field or a subscript) are prepared
// as selectors of their own; the others (terms, aggregates, token(), write times, counts) are
// prepared by the callers that accept them.
Result<Selection::Prepared> Selection::PrepareArgument(const Selector& sel, const TableMetadata& t,
                                                       BindCollector& binds) {
  if (sel.parentheses > 0) {
    return PrepareParenthesized(
        sel, [&](const Selector& inner) { return PrepareArgument(inner, t, binds); });
  }
  switch (sel.kind) {
    case Selector::Kind::kOperation:
    case Selector::Kind::kColumn:
    case Selector::Kind::kFunction:
    case Selector::Kind::kTypeHint:
    case Selector::Kind::kTuple:
    case Selector::Kind::kList:
    case Selector::Kind::kSet:
    case Selector::Kind::kMap:
    case Selector::Kind::kField:
    case Selector::Kind::kElement:
    case Selector::Kind::kSlice:
      return PrepareSelector(sel, t, binds);
    default:
      return InvalidRequest("Unsupported selector");
  }
}

// `u.f`: a field of a user type value, named as Cassandra does.
Result<Selection::Prepared> Selection::PrepareField(const Selector& sel, const TableMetadata& t,
                                                    BindCollector& binds) {
  const Selector& inner = sel.args[0];
  if (inner.kind == Selector::Kind::kTerm) {
    return InvalidRequest("Invalid field selection: only columns and fields have fields");
  }
  PF_ASSIGN_OR_RETURN(Prepared in, PrepareArgument(inner, t, binds));
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
  Output out = MakeOutput(Output::Kind::kField, index);
  out.value_type = in.type;
  out.multi_cell = in.output.kind == Output::Kind::kCell && !in.type.is_frozen();
  auto call = std::make_shared<FunctionCall>();
  call->args.push_back(std::move(in.output));
  out.call = std::move(call);
  return Prepared{std::move(out), in.type.params()[index], in.name + "." + sel.function};
}

// Cassandra's Selectable.WithElementSelection and WithSliceSelection: sets and maps only; an
// element of a set is the element if present, of a map the key's value; a slice is the same
// collection type with the elements between the bounds, inclusive.
Result<Selection::Prepared> Selection::PrepareSubscript(const Selector& sel, const TableMetadata& t,
                                                        BindCollector& binds) {
  const bool element = sel.kind == Selector::Kind::kElement;
  const Selector& inner = sel.args[0];
  if (inner.kind == Selector::Kind::kTerm) {
    return InvalidRequest(fmt::format("Invalid {} selection: {} is not a collection",
                                      element ? "element" : "slice", inner.term_text));
  }
  if (inner.kind == Selector::Kind::kToken || inner.kind == Selector::Kind::kWritetime ||
      inner.kind == Selector::Kind::kMaxWritetime || inner.kind == Selector::Kind::kTtl ||
      inner.kind == Selector::Kind::kCount || inner.kind == Selector::Kind::kCountStar ||
      inner.kind == Selector::Kind::kAggregate) {
    PF_ASSIGN_OR_RETURN(Prepared in, PrepareSelector(inner, t, binds));
    return InvalidRequest(
        element ? fmt::format("Invalid element selection: {} is of type {} is not a collection",
                              in.name, in.type.ToCql())
                : fmt::format("Invalid slice selection: {} of type {} is not a collection", in.name,
                              in.type.ToCql()));
  }
  PF_ASSIGN_OR_RETURN(Prepared in, PrepareArgument(inner, t, binds));
  const cql::DataType& type = in.type;
  if (!type.is_collection()) {
    return InvalidRequest(
        element ? fmt::format("Invalid element selection: {} is of type {} is not a collection",
                              in.name, type.ToCql())
                : fmt::format("Invalid slice selection: {} of type {} is not a collection", in.name,
                              type.ToCql()));
  }
  if (type.kind() == cql::TypeKind::kList) {
    return InvalidRequest(
        fmt::format("{} selection is only allowed on sets and maps, but {} is a list",
                    element ? "Element" : "Slice", in.name));
  }
  const bool is_map = type.kind() == cql::TypeKind::kMap;
  // Markers are typed by the key (maps) or element (sets): "key(m)" or "value(s)".
  const std::string receiver = fmt::format("{}({})", is_map ? "key" : "value", in.name);
  const cql::DataType& key_type = type.params()[0];
  Output out = MakeOutput(element ? Output::Kind::kElement : Output::Kind::kSlice, 0);
  out.value_type = type;
  out.multi_cell = in.output.kind == Output::Kind::kCell && IsMultiCellCollection(type);
  out.text = in.name;
  std::string name;
  cql::DataType result = type;
  if (element) {
    PF_ASSIGN_OR_RETURN(ValueSource key, binds.Source(sel.term, key_type, receiver));
    out.term = std::make_shared<const ValueSource>(std::move(key));
    name = fmt::format("{}[{}]", in.name, sel.term_text);
    result = is_map ? type.params()[1] : key_type;
  } else {
    if (sel.slice_from) {
      PF_ASSIGN_OR_RETURN(ValueSource from, binds.Source(*sel.slice_from, key_type, receiver));
      out.term = std::make_shared<const ValueSource>(std::move(from));
    }
    if (sel.slice_to) {
      PF_ASSIGN_OR_RETURN(ValueSource to, binds.Source(*sel.slice_to, key_type, receiver));
      out.slice_to = std::make_shared<const ValueSource>(std::move(to));
    }
    name = fmt::format("{}[{}..{}]", in.name, sel.slice_from_text, sel.slice_to_text);
  }
  auto call = std::make_shared<FunctionCall>();
  call->args.push_back(std::move(in.output));
  out.call = std::move(call);
  return Prepared{std::move(out), std::move(result), std::move(name)};
}

// Cassandra 5.0's Selectable.WritetimeOrTTL: of a column, or of an element, slice or field of
// one, never of a primary key part. A whole non-frozen collection, or a slice of one, gives one
// time per element (a list); anything frozen gives the time of the whole value.
Result<Selection::Prepared> Selection::PrepareTimes(const Selector& sel, const TableMetadata& t,
                                                    BindCollector& binds) {
  const char* fn = sel.kind == Selector::Kind::kWritetime      ? "writetime"
                   : sel.kind == Selector::Kind::kMaxWritetime ? "maxwritetime"
                                                               : "ttl";
  // The column the selection starts from is checked first, as in Cassandra.
  const Selector* base = &sel;
  while (!base->args.empty()) base = &base->args[0];
  const ColumnMetadata* column = t.FindColumn(base->columns[0]);
  if (!column) return UndefinedColumn(base->columns[0], t.keyspace, t.name);
  if (column->is_primary_key()) {
    return InvalidRequest(
        fmt::format("Cannot use selection function {} on PRIMARY KEY part {}", fn, column->name));
  }
  Prepared target;
  if (sel.args.empty()) {
    target = Prepared{ColumnOutput(*column), column->type, column->name};
  } else {
    PF_ASSIGN_OR_RETURN(target, PrepareArgument(sel.args[0], t, binds));
  }
  Output out = MakeOutput(sel.kind == Selector::Kind::kWritetime      ? Output::Kind::kWritetime
                          : sel.kind == Selector::Kind::kMaxWritetime ? Output::Kind::kMaxWritetime
                                                                      : Output::Kind::kTtl,
                          0);
  const Output& o = target.output;
  out.multi_cell = sel.kind != Selector::Kind::kMaxWritetime &&
                   ((o.kind == Output::Kind::kCell && IsMultiCellCollection(target.type)) ||
                    (o.kind == Output::Kind::kSlice && o.multi_cell));
  cql::DataType one(sel.kind == Selector::Kind::kTtl ? cql::TypeKind::kInt
                                                     : cql::TypeKind::kBigint);
  cql::DataType type = out.multi_cell ? cql::DataType::List(one) : one;
  auto call = std::make_shared<FunctionCall>();
  call->args.push_back(std::move(target.output));
  out.call = std::move(call);
  return Prepared{std::move(out), std::move(type), fmt::format("{}({})", fn, target.name)};
}

size_t Selection::ReadCell(uint32_t column_id) {
  for (size_t i = 0; i < cell_columns_.size(); ++i) {
    if (cell_columns_[i] == column_id) return i;
  }
  cell_columns_.push_back(column_id);
  return cell_columns_.size() - 1;
}

Result<Output> Selection::PrepareGroupByFunction(const Selector& sel, const TableMetadata& t,
                                                 BindCollector& binds,
                                                 std::vector<const ColumnMetadata*>* columns) {
  PF_ASSIGN_OR_RETURN(Prepared p, PrepareSelector(sel, t, binds));
  auto visit = [&](const Selector& s, auto&& self) -> void {
    for (const std::string& name : s.columns) {
      const ColumnMetadata* c = t.FindColumn(name);
      if (c && std::find(columns->begin(), columns->end(), c) == columns->end()) {
        columns->push_back(c);
      }
    }
    for (const Selector& a : s.args) self(a, self);
  };
  visit(sel, visit);
  return std::move(p.output);
}

namespace {

// Whether a function argument is a constant once bound (Cassandra's terminal selectors: terms,
// and pure calls over terms), which a partial application fixes.
bool IsTerminal(const Output& o) {
  if (o.kind == Output::Kind::kTerm) return true;
  if (o.kind != Output::Kind::kFunction || !o.call) return false;
  return std::all_of(o.call->args.begin(), o.call->args.end(), IsTerminal) &&
         FunctionRegistry::Native().IsPure(o.call->name);
}

}  // namespace

Status ValidateForGroupBy(const Output& o) {
  switch (o.kind) {
    case Output::Kind::kPartitionKey:
    case Output::Kind::kClustering:
    case Output::Kind::kCell:
      return Status::Ok();
    case Output::Kind::kFunction:
      break;
    default:
      return InvalidRequest(
          "Only column names and monotonic scalar functions are supported in the GROUP BY "
          "clause.");
  }
  const FunctionCall& call = *o.call;
  std::vector<bool> terminal;
  for (const Output& a : call.args) terminal.push_back(IsTerminal(a));
  const NativeFunction* fn = nullptr;
  if (auto f = FunctionRegistry::Native().Resolve(call.name, call.arg_types); f.ok()) fn = *f;
  bool monotonic = false;
  if (fn && fn->monotonic == NativeFunction::Monotonic::kYes) {
    monotonic = true;
  } else if (fn && fn->monotonic == NativeFunction::Monotonic::kOverFirst) {
    monotonic = !terminal.empty() && !terminal[0] &&
                std::all_of(terminal.begin() + 1, terminal.end(), [](bool b) { return b; });
  }
  if (!monotonic) {
    // The function as Cassandra prints it, its constant arguments marked (a partial
    // application's toString).
    std::string name = call.name, types;
    cql::DataType result;
    std::vector<cql::DataType> params = call.arg_types;
    if (fn) {
      params = fn->params;
      result = fn->return_type;
    } else if (call.name == "cast" && params.size() == 2) {
      result = params[1];
      name = "cast_as_" + result.ToCql();
      params.resize(1);
    }
    bool plain = !name.empty() && std::isalpha(static_cast<unsigned char>(name[0]));
    for (size_t i = 0; i < params.size(); ++i) {
      types += (i ? ", " : "") + params[i].ToCql() +
               (i < terminal.size() && terminal[i] ? "(constant)" : "");
    }
    return InvalidRequest(fmt::format(
        "Only monotonic functions are supported in the GROUP BY clause. Got: system.{} : ({}) -> "
        "{} ",
        plain ? name : "\"" + name + "\"", types, result.ToCql()));
  }
  for (size_t i = 0; i < call.args.size(); ++i) {
    if (!terminal[i]) PF_RETURN_IF_ERROR(ValidateForGroupBy(call.args[i]));
  }
  return Status::Ok();
}

Output Selection::ColumnOutput(const ColumnMetadata& col) {
  if (std::find(columns_.begin(), columns_.end(), &col) == columns_.end()) {
    columns_.push_back(&col);
  }
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

namespace {

// Bound values inside `o` (terms, element keys and slice bounds), checked as Cassandra does when
// it binds a selection.
Status CheckBound(const Output& o, const ExecutionContext& ctx) {
  if (o.kind == Output::Kind::kTerm) PF_RETURN_IF_ERROR(ResolveValue(*o.term, ctx).status());
  if (o.kind == Output::Kind::kElement) {
    PF_ASSIGN_OR_RETURN(cql::RawValue key, ResolveValue(*o.term, ctx));
    if (key.is_null()) {
      return InvalidRequest("Invalid null value for element selection on " + o.text);
    }
    if (key.is_unset()) {
      return InvalidRequest("Invalid unset value for element selection on " + o.text);
    }
  }
  if (o.kind == Output::Kind::kSlice) {
    for (const auto* bound : {o.term.get(), o.slice_to.get()}) {
      if (!bound) continue;
      PF_ASSIGN_OR_RETURN(cql::RawValue v, ResolveValue(*bound, ctx));
      if (v.is_null()) {
        return InvalidRequest("Invalid null value for slice selection on " + o.text);
      }
    }
  }
  if (o.call) {
    for (const Output& a : o.call->args) PF_RETURN_IF_ERROR(CheckBound(a, ctx));
  }
  return Status::Ok();
}

std::string TimesBody(const std::vector<CellValue::ElementTime>& times, Output::Kind kind,
                      bool list) {
  std::string out;
  cql::ByteWriter w(&out);
  auto one = [&](const CellValue::ElementTime& t, cql::ByteWriter& to) {
    if (kind == Output::Kind::kTtl) {
      if (t.ttl == 0) {
        to.WriteInt(-1);
      } else {
        to.WriteInt(4);
        to.WriteInt(t.ttl);
      }
    } else {
      to.WriteInt(8);
      to.WriteLong(t.timestamp);
    }
  };
  if (list) {
    w.WriteInt(static_cast<int32_t>(times.size()));
    for (const auto& t : times) one(t, w);
    return out;
  }
  if (kind == Output::Kind::kTtl) {
    w.WriteInt(times[0].ttl);
  } else if (kind == Output::Kind::kMaxWritetime) {
    int64_t newest = INT64_MIN;
    for (const auto& t : times) newest = std::max(newest, t.timestamp);
    w.WriteLong(newest);
  } else {
    w.WriteLong(times[0].timestamp);
  }
  return out;
}

}  // namespace

Status Selection::CheckBoundTerms(const ExecutionContext& ctx) const {
  for (const Output& o : outputs_) PF_RETURN_IF_ERROR(CheckBound(o, ctx));
  return Status::Ok();
}

std::optional<std::vector<CellValue::ElementTime>> Selection::TimesOf(
    const Output& target, bool per_element, const ReadRow& row, Scratch* computed,
    const ExecutionContext& ctx) const {
  using Times = std::vector<CellValue::ElementTime>;
  switch (target.kind) {
    case Output::Kind::kCell: {
      const auto& cell = row.cells[target.index];
      if (!cell) return std::nullopt;
      if (per_element) return cell->element_times;
      return Times{CellValue::ElementTime{cell->timestamp, cell->ttl}};
    }
    case Output::Kind::kElement:
    case Output::Kind::kSlice:
    case Output::Kind::kField: {
      const Output& inner = target.call->args[0];
      if (!target.multi_cell) {
        // A part of a frozen value has the value's times, when the part is there.
        cql::RawValue v = Value(target, row, computed, ctx);
        if (v.is_null()) return std::nullopt;
        if (target.kind == Output::Kind::kSlice && v.bytes.size() == 4 &&
            cql::LoadBE32(v.bytes.data()) == 0) {
          return std::nullopt;  // an empty slice of a frozen collection
        }
        return TimesOf(inner, false, row, computed, ctx);
      }
      const auto& cell = row.cells[inner.index];
      if (!cell || cell->element_times.size() != cell->elements.size()) return std::nullopt;
      if (target.kind == Output::Kind::kField) {
        for (size_t i = 0; i < cell->elements.size(); ++i) {
          const std::string& path = cell->elements[i].first;
          if (path.size() == 2 && cql::LoadBE16(path.data()) == target.index) {
            return Times{cell->element_times[i]};
          }
        }
        return std::nullopt;
      }
      std::vector<Entry> entries = CollectionEntries(target.value_type, cell->value);
      if (entries.size() != cell->element_times.size()) return std::nullopt;
      const cql::DataType& key_type = target.value_type.params()[0];
      if (target.kind == Output::Kind::kElement) {
        auto key = ResolveValue(*target.term, ctx);
        if (!key.ok() || key->kind != cql::RawValue::Kind::kBytes) return std::nullopt;
        auto i = ElementIndex(key_type, entries, key->bytes);
        if (!i) return std::nullopt;
        return Times{cell->element_times[*i]};
      }
      Times out;
      for (size_t i : SliceIndexes(key_type, entries, SliceBound(target.term.get(), ctx),
                                   SliceBound(target.slice_to.get(), ctx))) {
        out.push_back(cell->element_times[i]);
      }
      if (out.empty()) return std::nullopt;
      return out;
    }
    default:
      return std::nullopt;
  }
}

cql::RawValue Selection::Value(const Output& o, const ReadRow& row, Scratch* computed,
                               const ExecutionContext& ctx) const {
  if (computed->aggregated && IsAggregate(o)) {
    for (const auto& [aggregate, value] : *computed->aggregated) {
      if (aggregate == &o) return value ? cql::RawValue::Of(*value) : cql::RawValue::Null();
    }
  }
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
      computed->values.push_back(BigintBytes(cql::Murmur3Token(key)));
      return cql::RawValue::Of(computed->values.back());
    }
    case Output::Kind::kWritetime:
    case Output::Kind::kMaxWritetime:
    case Output::Kind::kTtl: {
      const Output& target = o.call->args[0];
      bool per_element =
          o.multi_cell ||
          (o.kind == Output::Kind::kMaxWritetime && target.kind == Output::Kind::kCell &&
           row.cells[target.index] && !row.cells[target.index]->element_times.empty());
      auto times = TimesOf(target, per_element, row, computed, ctx);
      if (!times || times->empty()) return cql::RawValue::Null();
      if (!o.multi_cell && o.kind == Output::Kind::kTtl && (*times)[0].ttl == 0) {
        return cql::RawValue::Null();
      }
      computed->values.push_back(TimesBody(*times, o.kind, o.multi_cell));
      return cql::RawValue::Of(computed->values.back());
    }
    case Output::Kind::kElement:
    case Output::Kind::kSlice: {
      cql::RawValue v = Value(o.call->args[0], row, computed, ctx);
      if (v.is_null()) return v;
      const cql::DataType& key_type = o.value_type.params()[0];
      std::vector<Entry> entries = CollectionEntries(o.value_type, v.bytes);
      const bool is_map = o.value_type.kind() == cql::TypeKind::kMap;
      if (o.kind == Output::Kind::kElement) {
        auto key = ResolveValue(*o.term, ctx);
        if (!key.ok() || key->kind != cql::RawValue::Kind::kBytes) return cql::RawValue::Null();
        auto i = ElementIndex(key_type, entries, key->bytes);
        if (!i) return cql::RawValue::Null();
        return cql::RawValue::Of(is_map ? entries[*i].value : entries[*i].key);
      }
      auto from = SliceBound(o.term.get(), ctx);
      auto to = SliceBound(o.slice_to.get(), ctx);
      if (!from && !to) return v;
      std::vector<size_t> picked = SliceIndexes(key_type, entries, from, to);
      // An empty slice of a non-frozen collection is null, of a frozen one an empty collection
      // (Cassandra's CollectionSerializer.getSliceFromSerialized).
      if (picked.empty() && !o.value_type.is_frozen()) return cql::RawValue::Null();
      std::string out;
      cql::ByteWriter w(&out);
      w.WriteInt(static_cast<int32_t>(picked.size()));
      for (size_t i : picked) {
        w.WriteBytes(entries[i].key);
        if (is_map) w.WriteBytes(entries[i].value);
      }
      computed->values.push_back(std::move(out));
      return cql::RawValue::Of(computed->values.back());
    }
    case Output::Kind::kFunction: {
      std::vector<std::optional<std::string>> args;
      for (const Output& a : o.call->args) {
        cql::RawValue v = Value(a, row, computed, ctx);
        args.push_back(v.is_null() ? std::nullopt : std::optional<std::string>(v.bytes));
      }
      if (o.call->name == kTupleCall || o.call->name == kListCall || o.call->name == kSetCall) {
        computed->values.push_back(CompositeValue(o, std::move(args)));
        return cql::RawValue::Of(computed->values.back());
      }
      if (o.call->check && computed->error.ok()) {
        computed->error = CheckArguments(*o.call->check, o.call->arg_types, args);
      }
      auto r =
          EvaluateScalar(o.call->name, o.call->arg_types, args, ctx.now_micros, &computed->error);
      if (!r && args.size() == 1 && args[0] && o.call->name.rfind("blobas", 0) == 0 &&
          computed->error.ok()) {
        // blobAs<type> of bytes that are no value of the type fails the request (Cassandra's
        // FromBlobFunction).
        auto type = ScalarResultType(o.call->name, o.call->arg_types);
        std::string hex = "0x";
        for (unsigned char c : *args[0]) hex += fmt::format("{:02x}", c);
        computed->error = InvalidRequest(fmt::format(
            "In call to function system.{}, value {} is not a valid binary representation for "
            "type {}",
            o.call->name, hex, type.ok() ? type->ToCql() : "?"));
      }
      if (!r) return cql::RawValue::Null();
      computed->values.push_back(std::move(*r));
      return cql::RawValue::Of(computed->values.back());
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
      computed->values.push_back(std::string(v->bytes));
      return cql::RawValue::Of(computed->values.back());
    }
    case Output::Kind::kCountStar:
      break;
  }
  return cql::RawValue::Null();
}

void Selection::AppendRow(const ReadRow& row, Scratch* computed, const ExecutionContext& ctx,
                          cql::RowsResult* rows) const {
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
  computed->values.push_back(JsonRow(values));
  rows->cells.push_back(cql::RawValue::Of(computed->values.back()));
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

bool RowsWriter::NeedsPartitionKey() const {
  if (last_requested_) return true;
  return std::any_of(outputs_.begin(), outputs_.end(),
                     [](const Output& o) { return o.kind == Output::Kind::kPartitionKey; });
}

void RowsWriter::Row(const RowView& row) {
  if (last_requested_) {
    last_row_ends_it_ = row.clustering.empty() && row.partition_key == *last_requested_;
  }
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
