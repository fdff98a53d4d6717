#include "node/cql3/statements/restrictions.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "node/cql3/statements/schema_statement.h"
#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/db/type_properties.h"
#include "node/storage/key_encoding.h"

namespace postfork::node::cql3 {
namespace {

bool CallsToken(const Term& term) {
  if (term.kind == Term::Kind::kFunction && term.text == "token") return true;
  return std::any_of(term.elements.begin(), term.elements.end(), CallsToken);
}

// `token(k1, ...)` where a value stands (Cassandra's TokenFct, built for the statement's table):
// its arguments are the partition key's values, so the call over constants is replaced by its
// bigint result, as the call blobAsBigint(0x...) so that it assigns as a bigint function result
// does (to a bigint, or to a blob as its bytes).
Status FoldTokenCalls(const TableMetadata& table, Term* term) {
  for (Term& e : term->elements) PF_RETURN_IF_ERROR(FoldTokenCalls(table, &e));
  if (term->kind != Term::Kind::kFunction || term->text != "token") return Status::Ok();
  auto pk = table.PartitionKeyColumns();
  if (term->elements.size() != pk.size()) {
    return InvalidRequest(fmt::format(
        "Invalid number of arguments in call to function system.token: {} required but {} "
        "provided",
        pk.size(), term->elements.size()));
  }
  std::vector<std::string> key;
  for (size_t i = 0; i < pk.size(); ++i) {
    if (!IsConstantTerm(term->elements[i])) {
      return InvalidRequest("token() of bind markers where a value stands is not supported");
    }
    PF_ASSIGN_OR_RETURN(
        std::optional<std::string> bytes,
        SerializeTerm(term->elements[i], pk[i]->type, fmt::format("arg{}(system.token)", i)));
    if (!bytes) return InvalidRequest("Invalid null value for partition key part " + pk[i]->name);
    key.push_back(std::move(*bytes));
  }
  uint64_t token = static_cast<uint64_t>(keys::TokenOf(key));
  Term hex;
  hex.kind = Term::Kind::kHex;
  hex.text = fmt::format("{:016x}", token);
  term->text = "blobasbigint";
  term->elements.assign(1, std::move(hex));
  return Status::Ok();
}

// Whether a `(type)` hint anywhere in `term` names a type its text alone does not (a user type).
bool HintsUserType(const Term& term) {
  if (term.kind == Term::Kind::kCast && !term.hint_type && !ParseHintType(term.text).ok()) {
    return true;
  }
  return std::any_of(term.elements.begin(), term.elements.end(), HintsUserType);
}

// A type as Cassandra prints a prepared hint: user types with their keyspace.
std::string QualifiedCql(const cql::DataType& type) {
  using K = cql::TypeKind;
  std::string inner;
  switch (type.kind()) {
    case K::kUdt:
      inner = cql::QuoteIdentifier(type.udt_keyspace()) + "." + cql::QuoteIdentifier(type.udt_name());
      break;
    case K::kList:
    case K::kSet:
      inner = std::string(cql::NativeTypeName(type.kind())) + "<" +
              QualifiedCql(type.params()[0]) + ">";
      break;
    case K::kMap:
      inner = "map<" + QualifiedCql(type.params()[0]) + ", " + QualifiedCql(type.params()[1]) + ">";
      break;
    case K::kTuple:
      inner = "tuple<";
      for (size_t i = 0; i < type.params().size(); ++i) {
        inner += (i ? ", " : "") + QualifiedCql(type.params()[i]);
      }
      inner += ">";
      break;
    default:
      return type.ToCql();
  }
  return type.is_frozen() ? "frozen<" + inner + ">" : inner;
}

}  // namespace

Result<cql::DataType> BindCollector::HintType(const std::string& text) const {
  auto native = ParseHintType(text);
  if (native.ok() || keyspace_ == nullptr) return native;
  return ResolveType(*keyspace_, text);
}

Status BindCollector::ResolveHintTypes(Term* term) const {
  for (Term& e : term->elements) PF_RETURN_IF_ERROR(ResolveHintTypes(&e));
  if (term->kind != Term::Kind::kCast || term->hint_type || ParseHintType(term->text).ok()) {
    return Status::Ok();
  }
  PF_ASSIGN_OR_RETURN(cql::DataType type, HintType(term->text));
  term->text = QualifiedCql(type);
  term->hint_type = std::make_shared<const cql::DataType>(std::move(type));
  return Status::Ok();
}

Result<ValueSource> BindCollector::Source(const Term& original, const cql::DataType& type,
                                          const std::string& name) {
  Term rewritten;
  const Term* rewritten_or_original = &original;
  if (table_ && CallsToken(original)) {
    rewritten = original;
    PF_RETURN_IF_ERROR(FoldTokenCalls(*table_, &rewritten));
    rewritten_or_original = &rewritten;
  }
  if (keyspace_ && HintsUserType(*rewritten_or_original)) {
    if (rewritten_or_original == &original) rewritten = original;
    PF_RETURN_IF_ERROR(ResolveHintTypes(&rewritten));
    rewritten_or_original = &rewritten;
  }
  const Term& term = *rewritten_or_original;
  ValueSource src;
  src.type = type;
  src.receiver = name;
  if (term.kind == Term::Kind::kBindMarker) {
    src.kind = ValueSource::Kind::kMarker;
    src.marker = term.bind_index;
    src.normalize = HasUnorderedParts(type);
    RegisterInnerMarkers(term, type, name);  // the marker itself
    return src;
  }
  if (!IsConstantTerm(term)) {
    // Markers inside, or a non-pure function: evaluated on every execution. A trial evaluation
    // (markers as nulls) reports type errors now, as Cassandra does at prepare.
    RegisterInnerMarkers(term, type, name);
    PF_RETURN_IF_ERROR(CheckUserTypeFields(term, type));
    if (term.kind == Term::Kind::kFunction || term.kind == Term::Kind::kCast ||
        !ContainsMarker(term)) {
      std::vector<cql::RawValue> nulls(specs_.size(), cql::RawValue::Null());
      PF_RETURN_IF_ERROR(
          SerializeTerm(term, type, name, TermInputs{&nulls, std::nullopt}).status());
    }
    src.kind = ValueSource::Kind::kComposite;
    src.composite = std::make_shared<const Term>(term);
    return src;
  }
  PF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, SerializeTerm(term, type, name));
  if (bytes) {
    src.kind = ValueSource::Kind::kConstant;
    src.constant = std::move(*bytes);
  }
  return src;
}

void BindCollector::RegisterInnerMarkers(const Term& term, const cql::DataType& type,
                                         const std::string& name) {
  if (term.kind == Term::Kind::kBindMarker) {
    if (term.bind_index >= 0 && static_cast<size_t>(term.bind_index) < specs_.size()) {
      auto& spec = specs_[static_cast<size_t>(term.bind_index)];
      spec.keyspace = table_ ? table_->keyspace : "";
      spec.table = table_ ? table_->name : "";
      spec.name = term.bind_name.empty() ? name : term.bind_name;
      spec.type = type;
    }
    return;
  }
  if (IsParenthesized(term, type)) {
    RegisterInnerMarkers(term.elements[0], type, name);
    return;
  }
  if (term.kind == Term::Kind::kCast) {
    // Cassandra's TypeCast prepares its term for the cast's own receiver.
    if (!term.elements.empty()) RegisterInnerMarkers(term.elements[0], type, name);
    return;
  }
  if (term.kind == Term::Kind::kFunction && term.text == "fromjson") {
    // fromJson(?): the marker is the JSON text.
    if (term.elements.size() == 1) {
      RegisterInnerMarkers(term.elements[0], cql::DataType(cql::TypeKind::kText),
                           "arg0(system.fromjson)");
    }
    return;
  }
  if (term.kind == Term::Kind::kFunction) {
    // Cassandra's names for function arguments: arg0(system.fn), typed by the parameter.
    auto f = ResolveTermCall(term, &type);
    if (!f.ok()) return;  // the trial evaluation reports it
    for (size_t i = 0; i < term.elements.size() && i < (*f)->params.size(); ++i) {
      RegisterInnerMarkers(term.elements[i], (*f)->params[i],
                           fmt::format("arg{}(system.{})", i, term.text));
    }
    return;
  }
  const auto& params = type.params();
  // Cassandra's names for markers inside literals: value(c) for elements, key(c) for map keys.
  for (size_t i = 0; i < term.elements.size(); ++i) {
    const Term& e = term.elements[i];
    switch (type.kind()) {
      case cql::TypeKind::kList:
      case cql::TypeKind::kSet:
      case cql::TypeKind::kVector:
        if (!params.empty()) RegisterInnerMarkers(e, params[0], "value(" + name + ")");
        break;
      case cql::TypeKind::kMap:
        if (params.size() == 2) {
          RegisterInnerMarkers(e, params[i % 2], (i % 2 ? "value(" : "key(") + name + ")");
        }
        break;
      case cql::TypeKind::kTuple:
        if (i < params.size()) RegisterInnerMarkers(e, params[i], name);
        break;
      case cql::TypeKind::kUdt: {
        if (i >= term.fields.size()) break;
        const auto& names = type.field_names();
        auto it = std::find(names.begin(), names.end(), term.fields[i]);
        if (it != names.end()) {
          RegisterInnerMarkers(e, params[static_cast<size_t>(it - names.begin())],
                               name + "." + term.fields[i]);
        }
        break;
      }
      default:
        break;
    }
  }
}

namespace {

// Turns a single-column key slice on `col` into filters (its bounds as < / <= / > / >=) and
// clears it, so a slice on an earlier clustering column can take its place (ALLOW FILTERING).
Status SliceToFilters(const ColumnMetadata* col, WhereClause* w) {
  for (bool lower : {true, false}) {
    std::optional<SliceBound>& b = lower ? w->slice_lower : w->slice_upper;
    if (!b) continue;
    if (b->value.components.size() != 1) return InvalidRequest("Unsupported slice restriction");
    Relation::Op op = lower ? (b->inclusive ? Relation::Op::kGte : Relation::Op::kGt)
                            : (b->inclusive ? Relation::Op::kLte : Relation::Op::kLt);
    WhereClause::Filter f{col, op, std::move(b->value.components[0]), {}, {}};
    w->filters.push_back(std::move(f));
    b.reset();
  }
  w->slice_size = 0;
  w->slice_first = 0;
  return Status::Ok();
}

// Column names joined by `sep` (", " in messages; "," in a tuple marker's name, as Cassandra).
std::string JoinNames(const std::vector<const ColumnMetadata*>& cols, const char* sep = ", ") {
  std::string out;
  for (const auto* c : cols) out += (out.empty() ? "" : sep) + c->name;
  return out;
}

// A relation as Cassandra prints it in messages (`v != 1`, `(c1, c2) > (1, 2)`).
std::string RelationText(const Relation& rel) {
  std::string names;
  for (const auto& n : rel.columns) names += (names.empty() ? "" : ", ") + n;
  std::string lhs = rel.lhs == Relation::Lhs::kColumn  ? names
                    : rel.lhs == Relation::Lhs::kTuple ? "(" + names + ")"
                                                       : "token(" + names + ")";
  if (rel.map_key) lhs += "[" + TermText(*rel.map_key) + "]";
  // Cassandra prints this one relation's column as CQL (quoted where needed).
  if (rel.op == Relation::Op::kIsNotNull) return cql::QuoteIdentifier(names) + " IS NOT NULL";
  std::string rhs;
  if (rel.op == Relation::Op::kIn && !rel.in_marker) {
    for (const Term& t : rel.in_values) rhs += (rhs.empty() ? "" : ", ") + TermText(t);
    rhs = "(" + rhs + ")";
  } else {
    rhs = TermText(rel.value);
  }
  return lhs + " " + RelationOpText(rel.op) + " " + rhs;
}

Result<TupleSource> MakeTuple(const Term& term, const std::vector<const ColumnMetadata*>& cols,
                              BindCollector& binds) {
  TupleSource t;
  if (term.kind == Term::Kind::kBindMarker) {
    std::vector<cql::DataType> types;
    for (const auto* c : cols) types.push_back(c->type);
    PF_ASSIGN_OR_RETURN(ValueSource m, binds.Source(term, cql::DataType::Tuple(types),
                                                    "(" + JoinNames(cols, ",") + ")"));
    t.marker = std::move(m);
    return t;
  }
  if (term.kind != Term::Kind::kTuple) {
    return InvalidRequest(
        fmt::format("Expected a tuple of {} values for ({})", cols.size(), JoinNames(cols)));
  }
  if (term.elements.size() != cols.size()) {
    return InvalidRequest(fmt::format("Expected {} elements in value tuple, but got {}: {}",
                                      cols.size(), term.elements.size(), TermText(term)));
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    PF_ASSIGN_OR_RETURN(ValueSource v,
                        binds.Source(term.elements[i], cols[i]->type, cols[i]->name));
    t.components.push_back(std::move(v));
  }
  return t;
}

// Serialized components of a tuple (no nulls allowed in keys).
// The `size` components of a serialized tuple bound to `receiver` (no nulls allowed in keys).
Result<std::vector<std::string>> TupleComponents(std::string_view bytes, size_t size,
                                                 const std::string& receiver) {
  std::vector<std::string> out;
  cql::ByteReader r(bytes);
  for (size_t i = 0; i < size; ++i) {
    auto item = r.ReadBytes();
    if (!item.ok() || !item->has_value()) {
      return InvalidRequest(fmt::format("Invalid null value in tuple {}", receiver));
    }
    out.emplace_back(**item);
  }
  return out;
}

Result<std::vector<std::string>> ResolveTuple(const TupleSource& t, size_t size,
                                              const ExecutionContext& ctx) {
  std::vector<std::string> out;
  if (t.marker) {
    PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(*t.marker, ctx));
    if (raw.kind != cql::RawValue::Kind::kBytes) {
      return InvalidRequest(fmt::format("Invalid {} value for tuple {}",
                                        raw.is_null() ? "null" : "unset", t.marker->receiver));
    }
    return TupleComponents(raw.bytes, size, t.marker->receiver);
  }
  for (const auto& c : t.components) {
    PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(c, ctx));
    if (raw.kind != cql::RawValue::Kind::kBytes) {
      return InvalidRequest(fmt::format("Invalid {} value in condition for column {}",
                                        raw.is_null() ? "null" : "unset", c.receiver));
    }
    out.emplace_back(raw.bytes);
  }
  return out;
}

// The elements of the list bound to an `IN ?` marker on `what` (a column, or a tuple of them);
// a null element is refused with `null_element`.
Result<std::vector<std::string>> ResolveInList(const ValueSource& marker, const std::string& what,
                                               const std::string& null_element,
                                               const ExecutionContext& ctx) {
  PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(marker, ctx));
  if (raw.kind != cql::RawValue::Kind::kBytes) {
    return InvalidRequest(fmt::format("Invalid {} value for IN restriction on {}",
                                      raw.is_null() ? "null" : "unset", what));
  }
  std::vector<std::string> out;
  cql::ByteReader reader(raw.bytes);
  auto n = reader.ReadInt();
  if (!n.ok() || *n < 0) return InvalidRequest("Invalid list value for IN restriction");
  for (int32_t i = 0; i < *n; ++i) {
    auto item = reader.ReadBytes();
    if (!item.ok() || !item->has_value()) return InvalidRequest(null_element);
    out.emplace_back(**item);
  }
  return out;
}

// One value `v` of key restriction `r`: neither null nor unset.
Result<std::string_view> ResolveKeyValue(const KeyRestriction& r, const ValueSource& v,
                                         const ExecutionContext& ctx) {
  PF_ASSIGN_OR_RETURN(cql::RawValue raw, ResolveValue(v, ctx));
  if (raw.is_unset()) {
    return InvalidRequest(fmt::format("Invalid unset value for column {}", r.column->name));
  }
  if (raw.is_null()) {
    return InvalidRequest(
        fmt::format("Invalid null value in condition for column {}", r.column->name));
  }
  return raw.bytes;
}

Result<std::vector<std::string>> ResolveKeyValues(const KeyRestriction& r,
                                                  const ExecutionContext& ctx) {
  std::vector<std::string> out;
  if (r.in_marker) {
    return ResolveInList(*r.in_marker, r.column->name,
                         "Invalid null value in condition for column " + r.column->name, ctx);
  }
  for (const auto& v : r.values) {
    PF_ASSIGN_OR_RETURN(std::string_view bytes, ResolveKeyValue(r, v, ctx));
    out.emplace_back(bytes);
  }
  return out;
}

// Cassandra's token(...) function over the table's partition key (TokenFct) on the right of a
// token relation: its arguments typed by the key columns (markers named arg<i>(system.token)),
// the key's Murmur3 token a constant when they all are, else computed at execution.
Result<ValueSource> TokenOfTerms(const Term& call, const std::vector<const ColumnMetadata*>& pk,
                                 BindCollector& binds) {
  if (call.elements.size() != pk.size()) {
    return InvalidRequest(fmt::format(
        "Invalid number of arguments in call to function system.token: {} required but {} "
        "provided",
        pk.size(), call.elements.size()));
  }
  ValueSource v;
  v.kind = ValueSource::Kind::kToken;
  v.type = cql::DataType(cql::TypeKind::kBigint);
  v.receiver = "partition key token";
  bool constant = true;
  for (size_t i = 0; i < pk.size(); ++i) {
    const Term& arg = call.elements[i];
    if (TermArgumentFit(arg, pk[i]->type) == TermFit::kNone) {
      return InvalidRequest(fmt::format(
          "Type error: {} cannot be passed as argument {} of function system.token of type {}",
          TermText(arg), i, pk[i]->type.ToCql()));
    }
    PF_ASSIGN_OR_RETURN(ValueSource c,
                        binds.Source(arg, pk[i]->type, fmt::format("arg{}(system.token)", i)));
    constant &= c.kind == ValueSource::Kind::kConstant;
    v.token_key.push_back(std::move(c));
  }
  if (constant) {
    std::vector<std::string> parts;
    for (const ValueSource& c : v.token_key) parts.push_back(c.constant);
    v.kind = ValueSource::Kind::kConstant;
    v.token_key.clear();
    cql::ByteWriter(&v.constant).WriteLong(keys::TokenOf(parts));
  }
  return v;
}

// `col CONTAINS v` / `col CONTAINS KEY v` as a row filter, with Cassandra's checks in its order
// (SingleColumnRelation.toReceivers) and its marker names (value(col), key(col)).
Result<WhereClause::Filter> ContainsFilter(const ColumnMetadata* col, const Relation& rel,
                                           BindCollector& binds) {
  const cql::DataType& type = col->type;
  const bool key = rel.op == Relation::Op::kContainsKey;
  const bool is_map = type.kind() == cql::TypeKind::kMap;
  PF_RETURN_IF_ERROR(CheckContainsType(col, rel));
  const cql::DataType& element = is_map && !key ? type.params()[1] : type.params()[0];
  WhereClause::Filter f{col, rel.op, {}, {}, {}};
  PF_ASSIGN_OR_RETURN(
      f.value, binds.Source(rel.value, element, (key ? "key(" : "value(") + col->name + ")"));
  return f;
}

}  // namespace

Result<WhereClause> AnalyzeWhere(const std::vector<Relation>& relations, const TableMetadata& table,
                                 BindCollector& binds, bool for_select, bool allow_filtering) {
  // Cassandra's StatementRestrictions refuses IS NOT NULL (materialized views only) before it
  // looks at the columns.
  for (const Relation& rel : relations) {
    if (rel.op == Relation::Op::kIsNotNull) {
      return InvalidRequest("Unsupported restriction: " + RelationText(rel));
    }
  }
  WhereClause w;
  auto pk = table.PartitionKeyColumns();
  auto ck = table.ClusteringColumns();
  w.partition.resize(pk.size());
  std::vector<std::optional<KeyRestriction>> ck_eq(ck.size());
  std::vector<std::string> non_key;
  // The kind of the first restriction on each column: a second one merges with it or is refused
  // by its kind, as Cassandra's restrictions merge (the earlier one decides the message).
  enum class Held { kEq, kIn, kSlice, kContains };
  std::map<const ColumnMetadata*, Held> held;
  auto merge = [&held](const ColumnMetadata* c, const Relation& rel) -> Status {
    Held next =
        rel.op == Relation::Op::kEq && !rel.map_key ? Held::kEq
        : rel.op == Relation::Op::kIn               ? Held::kIn
        : rel.op == Relation::Op::kContains || rel.op == Relation::Op::kContainsKey || rel.map_key
            ? Held::kContains
            : Held::kSlice;
    auto [it, first] = held.emplace(c, next);
    if (first) return Status::Ok();
    switch (it->second) {
      case Held::kEq:
        return InvalidRequest(fmt::format(
            "{} cannot be restricted by more than one relation if it includes an Equal", c->name));
      case Held::kIn:
        return InvalidRequest(fmt::format(
            "{} cannot be restricted by more than one relation if it includes a IN", c->name));
      case Held::kSlice:
        if (next == Held::kSlice) return Status::Ok();
        return InvalidRequest(fmt::format(
            "Column \"{}\" cannot be restricted by both an equality and an inequality relation",
            c->name));
      case Held::kContains:
        if (next == Held::kContains) return Status::Ok();
        return InvalidRequest(fmt::format(
            "Collection column {} can only be restricted by CONTAINS, CONTAINS KEY, or map-entry "
            "equality",
            c->name));
    }
    return Status::Ok();
  };

  // Multi-column EQ/IN restrictions by their first clustering position.
  std::vector<std::optional<WhereClause::Segment>> multi_at(ck.size());
  // Cassandra's ClusteringColumnRestrictions.mergeWith without ALLOW FILTERING: a restriction
  // (on positions [first, end)) after a slice on an earlier column, or a slice before an already
  // restricted column, is refused. `ck_held[i]`: the first position of the restriction on
  // clustering column i and whether it is a slice.
  std::vector<std::optional<std::pair<size_t, bool>>> ck_held(ck.size());
  auto check_order = [&](size_t first, size_t end, bool slice) -> Status {
    size_t last = ck.size();
    for (size_t i = ck.size(); i-- > 0;) {
      if (ck_held[i]) {
        last = i;
        break;
      }
    }
    if (last < ck.size() && !allow_filtering) {
      auto [last_first, last_slice] = *ck_held[last];
      if (last_slice && first > last_first) {
        return InvalidRequest(
            fmt::format("Clustering column \"{}\" cannot be restricted (preceding column \"{}\" is "
                        "restricted by a non-EQ relation)",
                        ck[first]->name, ck[last_first]->name));
      }
      if (slice && first < last_first) {
        size_t next = first + 1;
        while (!ck_held[next]) ++next;
        return InvalidRequest(fmt::format(
            "PRIMARY KEY column \"{}\" cannot be restricted (preceding column \"{}\" is "
            "restricted by a non-EQ relation)",
            ck[next]->name, ck[first]->name));
      }
    }
    for (size_t i = first; i < end; ++i) {
      if (!ck_held[i]) ck_held[i] = std::make_pair(first, slice);
    }
    return Status::Ok();
  };

  for (const Relation& rel : relations) {
    if (rel.op == Relation::Op::kNeq) {
      return InvalidRequest("Unsupported \"!=\" relation: " + RelationText(rel));
    }
    if (rel.op == Relation::Op::kLike) {
      // LIKE needs a SASI index, which the node does not build.
      for (const std::string& name : rel.columns) {
        if (!table.FindColumn(name)) return UndefinedColumn(name, table.keyspace, table.name);
      }
      return InvalidRequest("LIKE restriction is only supported on properly indexed columns. " +
                            RelationText(rel) + " is not valid.");
    }
    if (rel.lhs == Relation::Lhs::kToken) {
      if (!for_select)
        return InvalidRequest(
            "The token function cannot be used in WHERE clauses for UPDATE and DELETE statements");
      // Cassandra's TokenRelation.toReceivers: its checks in its order.
      std::vector<const ColumnMetadata*> args;
      for (const std::string& name : rel.columns) {
        const ColumnMetadata* c = table.FindColumn(name);
        if (!c) return UndefinedColumn(name, table.keyspace, table.name);
        args.push_back(c);
      }
      if (args != pk) {
        auto has = [&](const ColumnMetadata* c) {
          return std::find(args.begin(), args.end(), c) != args.end();
        };
        if (!std::all_of(pk.begin(), pk.end(), has)) {
          return InvalidRequest(
              "The token() function must be applied to all partition key components or none of "
              "them");
        }
        std::vector<const ColumnMetadata*> sorted = args;
        std::sort(sorted.begin(), sorted.end());
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
          return InvalidRequest("The token() function contains duplicate partition key components");
        }
        if (args.size() != pk.size()) {
          return InvalidRequest("The token() function must contains only partition key components");
        }
        return InvalidRequest("The token function arguments must be in the partition key order: " +
                              JoinNames(pk));
      }
      cql::DataType bigint(cql::TypeKind::kBigint);
      ValueSource v;
      if (rel.value.kind == Term::Kind::kFunction && rel.value.text == "token") {
        PF_ASSIGN_OR_RETURN(v, TokenOfTerms(rel.value, pk, binds));
      } else {
        PF_ASSIGN_OR_RETURN(v, binds.Source(rel.value, bigint, "partition key token"));
      }
      switch (rel.op) {
        case Relation::Op::kGt:
        case Relation::Op::kGte:
          w.token_lower = std::move(v);
          w.token_lower_inclusive = rel.op == Relation::Op::kGte;
          break;
        case Relation::Op::kLt:
        case Relation::Op::kLte:
          w.token_upper = std::move(v);
          w.token_upper_inclusive = rel.op == Relation::Op::kLte;
          break;
        case Relation::Op::kEq:
          w.token_lower = v;
          w.token_upper = std::move(v);
          w.token_lower_inclusive = w.token_upper_inclusive = true;
          break;
        default:
          return InvalidRequest("Only EQ, IN and slice relations are supported on token()");
      }
      continue;
    }
    if (rel.lhs == Relation::Lhs::kTuple) {
      std::vector<const ColumnMetadata*> cols;
      for (const auto& name : rel.columns) {
        const ColumnMetadata* c = table.FindColumn(name);
        if (!c) return UndefinedColumn(name, table.keyspace, table.name);
        if (c->kind != ColumnKind::kClustering) {
          return InvalidRequest(fmt::format(
              "Multi-column relations can only be applied to clustering columns but was applied "
              "to: {}",
              c->name));
        }
        cols.push_back(c);
      }
      for (const ColumnMetadata* c : cols) PF_RETURN_IF_ERROR(merge(c, rel));
      for (size_t i = 1; i < cols.size(); ++i) {
        if (cols[i]->position != cols[i - 1]->position + 1) {
          return InvalidRequest(fmt::format(
              "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: "
              "{}",
              RelationText(rel)));
        }
      }
      size_t first = static_cast<size_t>(cols[0]->position);
      const bool tuple_slice = rel.op != Relation::Op::kEq && rel.op != Relation::Op::kIn;
      if (tuple_slice && w.slice_size && w.slice_first != first) {
        // Cassandra's MultiColumnRestriction.SliceRestriction.doMergeWith, then its row filter.
        if (first < w.slice_first + w.slice_size) {
          return InvalidRequest(fmt::format(
              "Column \"{}\" cannot be restricted by two inequalities not starting with the same "
              "column",
              ck[std::max(first, w.slice_first)]->name));
        }
        if (allow_filtering) {
          return InvalidRequest("Multi-column slice restrictions cannot be used for filtering.");
        }
      }
      PF_RETURN_IF_ERROR(check_order(first, first + cols.size(), tuple_slice));
      if (rel.op == Relation::Op::kEq || rel.op == Relation::Op::kIn) {
        WhereClause::Segment seg;
        seg.first = first;
        seg.size = cols.size();
        if (rel.op == Relation::Op::kEq) {
          PF_ASSIGN_OR_RETURN(TupleSource t, MakeTuple(rel.value, cols, binds));
          if (!t.marker) {
            // `(c1, c2) = (1, 2)` restricts as `c1 = 1 AND c2 = 2` does, so single-column
            // restrictions may follow it and, with ALLOW FILTERING, it may filter past a gap.
            for (size_t i = 0; i < cols.size(); ++i) {
              size_t at = static_cast<size_t>(cols[i]->position);
              if (ck_eq[at]) {
                return InvalidRequest(fmt::format(
                    "{} cannot be restricted by more than one relation if it includes an Equal",
                    cols[i]->name));
              }
              KeyRestriction kr;
              kr.column = cols[i];
              kr.values.push_back(std::move(t.components[i]));
              ck_eq[at] = std::move(kr);
            }
            continue;
          }
          seg.tuples.push_back(std::move(t));
        } else {
          w.clustering_in = true;
          if (rel.in_marker) {
            std::vector<cql::DataType> types;
            for (const auto* c : cols) types.push_back(c->type);
            PF_ASSIGN_OR_RETURN(
                ValueSource m,
                binds.Source(rel.value, cql::DataType::List(cql::DataType::Tuple(types)),
                             "in(" + JoinNames(cols, ",") + ")"));
            seg.in_marker = std::move(m);
          }
          for (const Term& v : rel.in_values) {
            PF_ASSIGN_OR_RETURN(TupleSource t, MakeTuple(v, cols, binds));
            seg.tuples.push_back(std::move(t));
          }
        }
        multi_at[first] = std::move(seg);
        continue;
      }
      bool same_order = true;
      for (const auto* c : cols) same_order &= c->order == cols[0]->order;
      if (!same_order) w.slice_mixed_order = true;
      if (w.slice_size && w.slice_first != first) {
        // A later slice that starts after the earlier one (refused above otherwise).
        return InvalidRequest(
            fmt::format("Clustering column \"{}\" cannot be restricted (preceding column \"{}\" is "
                        "restricted by a non-EQ relation)",
                        cols[0]->name, ck[w.slice_first]->name));
      }
      w.slice_first = first;
      w.slice_size = std::max(w.slice_size, cols.size());
      SliceBound b;
      PF_ASSIGN_OR_RETURN(b.value, MakeTuple(rel.value, cols, binds));
      b.inclusive = rel.op == Relation::Op::kGte || rel.op == Relation::Op::kLte;
      if (rel.op == Relation::Op::kGt || rel.op == Relation::Op::kGte) {
        if (w.slice_lower)
          return InvalidRequest("More than one restriction was found for the start bound on " +
                                JoinNames(cols));
        w.slice_lower = std::move(b);
      } else if (rel.op == Relation::Op::kLt || rel.op == Relation::Op::kLte) {
        if (w.slice_upper)
          return InvalidRequest("More than one restriction was found for the end bound on " +
                                JoinNames(cols));
        w.slice_upper = std::move(b);
      } else {
        return InvalidRequest("Unsupported operator on multi-column relation");
      }
      continue;
    }
    const ColumnMetadata* col = table.FindColumn(rel.columns[0]);
    if (!col) return UndefinedColumn(rel.columns[0], table.keyspace, table.name);
    if (rel.map_key && col->is_primary_key()) {
      return InvalidRequest(fmt::format("Column {} cannot be used as a map", col->name));
    }
    if (col->is_primary_key() &&
        (rel.op == Relation::Op::kContains || rel.op == Relation::Op::kContainsKey)) {
      PF_RETURN_IF_ERROR(CheckContainsType(col, rel));
    }
    const bool slice = rel.op == Relation::Op::kLt || rel.op == Relation::Op::kLte ||
                       rel.op == Relation::Op::kGt || rel.op == Relation::Op::kGte;
    if (slice && !rel.map_key) {
      // Durations have no order (Cassandra's SingleColumnRelation.newSliceRestriction).
      PF_RETURN_IF_ERROR(
          RefuseDurations(col->type, "Slice restrictions",
                          "Slice restrictions are not supported on duration columns"));
    }
    PF_RETURN_IF_ERROR(merge(col, rel));
    auto make_key_restriction = [&]() -> Result<KeyRestriction> {
      KeyRestriction kr;
      kr.column = col;
      if (rel.op == Relation::Op::kEq) {
        PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(rel.value, col->type, col->name));
        kr.values.push_back(std::move(v));
      } else if (rel.in_marker) {
        PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(rel.value, cql::DataType::List(col->type),
                                                        "in(" + col->name + ")"));
        kr.in_marker = std::move(v);
      } else {
        for (const Term& t : rel.in_values) {
          PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(t, col->type, col->name));
          kr.values.push_back(std::move(v));
        }
      }
      return kr;
    };
    bool eq_or_in = rel.op == Relation::Op::kEq || rel.op == Relation::Op::kIn;
    if (col->kind == ColumnKind::kPartitionKey) {
      if (!eq_or_in && for_select &&
          (rel.op == Relation::Op::kLt || rel.op == Relation::Op::kLte ||
           rel.op == Relation::Op::kGt || rel.op == Relation::Op::kGte)) {
        // A slice on a partition key column filters a scan (ALLOW FILTERING, checked by the
        // SELECT), as in Cassandra.
        WhereClause::Filter f{col, rel.op, {}, {}, {}};
        PF_ASSIGN_OR_RETURN(f.value, binds.Source(rel.value, col->type, col->name));
        w.filters.push_back(std::move(f));
        continue;
      }
      if (for_select &&
          (rel.op == Relation::Op::kContains || rel.op == Relation::Op::kContainsKey)) {
        // CONTAINS on a frozen collection partition key column filters a scan too.
        PF_ASSIGN_OR_RETURN(WhereClause::Filter f, ContainsFilter(col, rel, binds));
        w.filters.push_back(std::move(f));
        continue;
      }
      if (!eq_or_in) {
        return InvalidRequest(
            "Only EQ and IN relation are supported on the partition key (unless you use the "
            "token() function)");
      }
      auto& slot = w.partition[static_cast<size_t>(col->position)];
      if (slot.column) {
        return InvalidRequest(
            fmt::format("{} cannot be restricted by more than one relation if it includes an Equal",
                        col->name));
      }
      PF_ASSIGN_OR_RETURN(slot, make_key_restriction());
      continue;
    }
    if (col->kind == ColumnKind::kClustering) {
      size_t p = static_cast<size_t>(col->position);
      if (slice && w.slice_size && p > w.slice_first && p < w.slice_first + w.slice_size) {
        // Cassandra's MultiColumnRestriction.SliceRestriction.doMergeWith.
        return InvalidRequest(fmt::format(
            "Column \"{}\" cannot be restricted by two inequalities not starting with the same "
            "column",
            col->name));
      }
      PF_RETURN_IF_ERROR(check_order(p, p + 1, slice));
      // One value in IN is an EQ to Cassandra (SingleColumnRelation).
      if (rel.op == Relation::Op::kIn && (rel.in_marker || rel.in_values.size() != 1)) {
        w.clustering_in = true;
      }
      if (eq_or_in) {
        if (ck_eq[p]) {
          return InvalidRequest(fmt::format(
              "{} cannot be restricted by more than one relation if it includes an Equal",
              col->name));
        }
        PF_ASSIGN_OR_RETURN(KeyRestriction kr, make_key_restriction());
        ck_eq[p] = std::move(kr);
        continue;
      }
      if (rel.op == Relation::Op::kContains || rel.op == Relation::Op::kContainsKey) {
        // CONTAINS on a frozen collection clustering column filters rows (the SELECT requires
        // ALLOW FILTERING or an index, as Cassandra's processClusteringColumnsRestrictions).
        if (!for_select) {
          return InvalidRequest(fmt::format("Unsupported \"{}\" relation: {}",
                                            RelationOpText(rel.op), RelationText(rel)));
        }
        PF_ASSIGN_OR_RETURN(WhereClause::Filter f, ContainsFilter(col, rel, binds));
        w.filters.push_back(std::move(f));
        continue;
      }
      if (rel.op == Relation::Op::kNeq) {
        return InvalidRequest(fmt::format("Unsupported \"!=\" relation: {} != ...", col->name));
      }
      if (w.slice_size && w.slice_first != p) {
        if (!allow_filtering || w.slice_size != 1 || w.slice_mixed_order) {
          return InvalidRequest(
              fmt::format("Clustering column \"{}\" cannot be restricted (preceding column \"{}\" "
                          "is restricted by a non-EQ relation)",
                          col->name, ck[w.slice_first]->name));
        }
        // ALLOW FILTERING: the earlier column keeps the key slice, the later one filters rows.
        if (p > w.slice_first) {
          WhereClause::Filter f{col, rel.op, {}, {}, {}};
          PF_ASSIGN_OR_RETURN(f.value, binds.Source(rel.value, col->type, col->name));
          w.filters.push_back(std::move(f));
          continue;
        }
        PF_RETURN_IF_ERROR(SliceToFilters(ck[w.slice_first], &w));
      }
      w.slice_first = p;
      w.slice_size = 1;
      SliceBound b;
      PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(rel.value, col->type, col->name));
      b.value.components.push_back(std::move(v));
      b.inclusive = rel.op == Relation::Op::kGte || rel.op == Relation::Op::kLte;
      if (rel.op == Relation::Op::kGt || rel.op == Relation::Op::kGte) {
        if (w.slice_lower)
          return InvalidRequest("More than one restriction was found for the start bound on " +
                                col->name);
        w.slice_lower = std::move(b);
      } else {
        if (w.slice_upper)
          return InvalidRequest("More than one restriction was found for the end bound on " +
                                col->name);
        w.slice_upper = std::move(b);
      }
      continue;
    }
    // Regular and static columns.
    if (!for_select) {
      non_key.push_back(col->name);
      continue;
    }
    if (rel.op == Relation::Op::kContains || rel.op == Relation::Op::kContainsKey) {
      PF_ASSIGN_OR_RETURN(WhereClause::Filter f, ContainsFilter(col, rel, binds));
      w.filters.push_back(std::move(f));
      continue;
    }
    WhereClause::Filter f{col, rel.op, {}, {}, {}};
    const cql::DataType& type = col->type;
    if (rel.map_key) {
      // Cassandra's SingleColumnRelation.toReceivers, in its order.
      if (type.kind() == cql::TypeKind::kList) {
        return InvalidRequest(fmt::format(
            "Indexes on list entries ({}[index] = value) are not currently supported.", col->name));
      }
      if (type.kind() != cql::TypeKind::kMap) {
        return InvalidRequest(fmt::format("Column {} cannot be used as a map", col->name));
      }
      if (type.is_frozen()) {
        return InvalidRequest(fmt::format(
            "Map-entry equality predicates on frozen map column {} are not supported", col->name));
      }
      PF_ASSIGN_OR_RETURN(ValueSource key,
                          binds.Source(*rel.map_key, type.params()[0], "key(" + col->name + ")"));
      f.map_key = std::move(key);
      PF_ASSIGN_OR_RETURN(f.value,
                          binds.Source(rel.value, type.params()[1], "value(" + col->name + ")"));
      w.filters.push_back(std::move(f));
      continue;
    }
    if (type.is_collection() && !type.is_frozen()) {
      // A whole non-frozen collection is no value to compare (Cassandra's
      // SingleColumnRelation.toReceivers).
      return InvalidRequest(
          fmt::format("Collection column '{}' ({}) cannot be restricted by a '{}' relation",
                      col->name, type.ToCql(), RelationOpText(rel.op)));
    }
    if (rel.op == Relation::Op::kIn) {
      if (rel.in_marker) return InvalidRequest("IN ? on non-primary-key columns is not supported");
      for (const Term& t : rel.in_values) {
        PF_ASSIGN_OR_RETURN(ValueSource v, binds.Source(t, col->type, col->name));
        f.in_values.push_back(std::move(v));
      }
    } else {
      PF_ASSIGN_OR_RETURN(f.value, binds.Source(rel.value, col->type, col->name));
    }
    w.filters.push_back(std::move(f));
  }
  if (!non_key.empty()) {
    std::string names;
    for (const auto& n : non_key) names += (names.empty() ? "" : ", ") + n;
    return InvalidRequest("Non PRIMARY KEY columns found in where clause: " + names + " ");
  }

  size_t pk_restricted = 0;
  for (const auto& r : w.partition) pk_restricted += r.column ? 1 : 0;
  w.partition_any = pk_restricted > 0;
  w.partition_complete = pk_restricted == pk.size();
  // Key relations beside a token relation: the keys' partitions whose token is in the range (a
  // complete key), or a filtered scan of the range (a partial one).

  // Clustering: the EQ/IN columns must form a prefix, followed by the multi-column restriction
  // and then the slice.
  size_t p = 0;
  while (p < ck.size() && ck_eq[p]) {
    w.clustering_eq.push_back(std::move(*ck_eq[p]));
    ++p;
  }
  // From the first multi-column EQ/IN on: multi-column and single-column EQ/IN segments.
  w.multi_first = p;
  while (p < ck.size() && (multi_at[p] || (!w.segments.empty() && ck_eq[p]))) {
    WhereClause::Segment seg;
    if (multi_at[p]) {
      seg = std::move(*multi_at[p]);
      multi_at[p].reset();
    } else {
      seg.first = p;
      seg.size = 1;
      seg.single = std::move(*ck_eq[p]);
      ck_eq[p].reset();
    }
    p += seg.size;
    w.multi_size += seg.size;
    w.segments.push_back(std::move(seg));
  }
  for (size_t q = p; q < ck.size(); ++q) {
    if (multi_at[q]) {
      return InvalidRequest(fmt::format(
          "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not "
          "restricted",
          ck[q]->name, ck[p]->name));
    }
  }
  if (w.slice_size && w.slice_first > p && allow_filtering && w.slice_size != 1) {
    // Cassandra's MultiColumnRestriction.SliceRestriction.addToRowFilter.
    return InvalidRequest("Multi-column slice restrictions cannot be used for filtering.");
  }
  if (w.slice_size && w.slice_first > p && allow_filtering && w.slice_size == 1) {
    // ALLOW FILTERING: a single-column slice after an unrestricted column filters rows.
    PF_RETURN_IF_ERROR(SliceToFilters(ck[w.slice_first], &w));
  }
  if (w.slice_size) {
    if (w.slice_first != p) {
      if (w.slice_first < p) {
        return InvalidRequest(fmt::format(
            "Column \"{}\" cannot be restricted by both an equality and an inequality relation",
            ck[w.slice_first]->name));
      }
      if (!allow_filtering || w.slice_size != 1) {
        return InvalidRequest(fmt::format(
            "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not "
            "restricted",
            ck[w.slice_first]->name, ck[p]->name));
      }
      // ALLOW FILTERING: a slice after an unrestricted clustering column filters rows.
      PF_RETURN_IF_ERROR(SliceToFilters(ck[w.slice_first], &w));
    } else {
      p += w.slice_size;
    }
  }
  for (size_t q = p; q < ck.size(); ++q) {
    if (ck_eq[q] && allow_filtering) {
      // ALLOW FILTERING: a clustering EQ/IN past the usable prefix filters rows.
      KeyRestriction& kr = *ck_eq[q];
      if (kr.in_marker)
        return InvalidRequest("IN ? on a filtered clustering column is not supported");
      WhereClause::Filter f{
          kr.column, kr.values.size() == 1 ? Relation::Op::kEq : Relation::Op::kIn, {}, {}, {}};
      if (f.op == Relation::Op::kEq) {
        f.value = std::move(kr.values[0]);
      } else {
        f.in_values = std::move(kr.values);
      }
      w.filters.push_back(std::move(f));
      continue;
    }
    if (ck_eq[q]) {
      const auto& prev = ck[q - 1 < ck.size() ? q - 1 : 0];
      if (w.slice_size && q >= w.slice_first + w.slice_size) {
        return InvalidRequest(
            fmt::format("Clustering column \"{}\" cannot be restricted (preceding column \"{}\" is "
                        "restricted by a non-EQ relation)",
                        ck[q]->name, ck[w.slice_first]->name));
      }
      return InvalidRequest(fmt::format(
          "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not "
          "restricted",
          ck[q]->name, prev->name));
    }
  }
  return w;
}

Result<std::vector<std::vector<std::string>>> ResolvePartitionKeys(const WhereClause& where,
                                                                   const ExecutionContext& ctx) {
  if (std::all_of(where.partition.begin(), where.partition.end(), [](const KeyRestriction& r) {
        return !r.in_marker && r.values.size() == 1;
      })) {
    // Every column by EQ: one key, built in place (the general case below copies prefixes).
    std::vector<std::vector<std::string>> keys(1);
    std::vector<std::string>& key = keys[0];
    key.reserve(where.partition.size());
    for (const auto& r : where.partition) {
      PF_ASSIGN_OR_RETURN(std::string_view bytes, ResolveKeyValue(r, r.values[0], ctx));
      key.emplace_back(bytes);
    }
    if (key.size() == 1 && key[0].empty()) return InvalidRequest("Key may not be empty");
    return keys;
  }
  std::vector<std::vector<std::string>> keys{{}};
  for (const auto& r : where.partition) {
    PF_ASSIGN_OR_RETURN(std::vector<std::string> values, ResolveKeyValues(r, ctx));
    std::vector<std::vector<std::string>> next;
    next.reserve(keys.size() * values.size());
    const bool last_use = keys.size() == 1;  // each value is used once: moved, not copied
    for (const auto& prefix : keys) {
      for (auto& v : values) {
        auto k = prefix;
        k.reserve(where.partition.size());
        k.push_back(last_use ? std::move(v) : v);
        next.push_back(std::move(k));
      }
    }
    keys = std::move(next);
    if (keys.size() > 65535) return InvalidRequest("IN restrictions select too many partitions");
  }
  // An empty single-column key is no key (Cassandra's validateKey). In key order (each
  // component by its type, as Cassandra's MultiCBuilder sorts them, not in the order of the IN
  // list), duplicates read once.
  for (const auto& k : keys) {
    if (k.size() == 1 && k[0].empty()) return InvalidRequest("Key may not be empty");
  }
  auto compare = [&](const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      int c = CompareValues(where.partition[i].column->type, a[i], b[i]);
      if (c != 0) return c;
    }
    return 0;
  };
  if (keys.size() < 2) return keys;  // a point read: nothing to order (and no sort buffer)
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const auto& a, const auto& b) { return compare(a, b) < 0; });
  keys.erase(std::unique(keys.begin(), keys.end(),
                         [&](const auto& a, const auto& b) { return compare(a, b) == 0; }),
             keys.end());
  return keys;
}

Result<std::vector<std::vector<std::string>>> ResolveClusteringPrefixes(
    const WhereClause& where, const TableMetadata& table, const ExecutionContext& ctx) {
  auto ck = table.ClusteringColumns();
  std::vector<std::vector<std::string>> prefixes{{}};
  for (const auto& r : where.clustering_eq) {
    PF_ASSIGN_OR_RETURN(std::vector<std::string> values, ResolveKeyValues(r, ctx));
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : prefixes) {
      for (const auto& v : values) {
        auto k = prefix;
        k.push_back(v);
        next.push_back(std::move(k));
      }
    }
    prefixes = std::move(next);
    if (prefixes.size() > 65535) return InvalidRequest("IN restrictions select too many rows");
  }
  for (const auto& seg : where.segments) {
    // Each segment's value tuples, resolved once: a single column's values, the bound list of
    // `(c1, c2) IN ?`, or the literal tuples.
    std::vector<std::vector<std::string>> tuples;
    if (seg.single) {
      PF_ASSIGN_OR_RETURN(std::vector<std::string> values, ResolveKeyValues(*seg.single, ctx));
      for (auto& v : values) tuples.push_back({std::move(v)});
    }
    if (seg.in_marker) {
      const ValueSource& m = *seg.in_marker;
      PF_ASSIGN_OR_RETURN(
          std::vector<std::string> bound,
          ResolveInList(m, m.receiver, "Invalid null value in tuple " + m.receiver, ctx));
      for (const auto& tuple : bound) {
        PF_ASSIGN_OR_RETURN(std::vector<std::string> comps,
                            TupleComponents(tuple, seg.size, m.receiver));
        tuples.push_back(std::move(comps));
      }
    }
    for (const auto& t : seg.tuples) {
      PF_ASSIGN_OR_RETURN(std::vector<std::string> comps, ResolveTuple(t, seg.size, ctx));
      tuples.push_back(std::move(comps));
    }
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : prefixes) {
      for (const auto& comps : tuples) {
        auto k = prefix;
        k.insert(k.end(), comps.begin(), comps.end());
        next.push_back(std::move(k));
      }
    }
    prefixes = std::move(next);
    if (prefixes.size() > 65535) return InvalidRequest("IN restrictions select too many rows");
  }
  // Sort in the table's declared clustering order and drop duplicates.
  auto less = [&](const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      int c = CompareValues(ck[i]->type, a[i], b[i]);
      if (ck[i]->order == ClusteringOrder::kDesc) c = -c;
      if (c != 0) return c < 0;
    }
    return a.size() < b.size();
  };
  std::stable_sort(prefixes.begin(), prefixes.end(), less);
  // Equal by the comparator, not by bytes: IN (1230, 1.23E+3) on a decimal is one row.
  prefixes.erase(
      std::unique(prefixes.begin(), prefixes.end(),
                  [&](const auto& a, const auto& b) { return !less(a, b) && !less(b, a); }),
      prefixes.end());
  return prefixes;
}

Result<std::vector<ClusteringSlice>> ResolveSlices(const WhereClause& where,
                                                   const TableMetadata& table,
                                                   const ExecutionContext& ctx) {
  std::vector<ClusteringSlice> slices;
  if (where.clustering_restricted() == 0) return slices;
  PF_ASSIGN_OR_RETURN(auto prefixes, ResolveClusteringPrefixes(where, table, ctx));
  std::optional<std::vector<std::string>> lower, upper;
  // Bounds may have fewer columns than the slice ((b) >= (0) AND (b, c) < (1, 2)).
  auto size_of = [](const TupleSource& t) {
    return t.marker ? t.marker->type.params().size() : t.components.size();
  };
  if (where.slice_lower) {
    PF_ASSIGN_OR_RETURN(
        lower, ResolveTuple(where.slice_lower->value, size_of(where.slice_lower->value), ctx));
  }
  if (where.slice_upper) {
    PF_ASSIGN_OR_RETURN(
        upper, ResolveTuple(where.slice_upper->value, size_of(where.slice_upper->value), ctx));
  }
  auto ck = table.ClusteringColumns();
  bool desc = where.slice_size && ck[where.slice_first]->order == ClusteringOrder::kDesc;
  if (where.slice_mixed_order) {
    // (c_f, ..) > (v_0, ..) in natural order is the union over i of
    // "c_f..c_{f+i-1} = v_0..v_{i-1} and c_{f+i} > v_i" (>= for the last when inclusive); each
    // part fixes i columns and bounds one. With both bounds the result is the pairwise
    // intersection of the lower parts L_i and upper parts U_j, each again such a part:
    //   i == j: both fix the same values, and column i lies between v_i and w_i;
    //   i <  j: L_i's fixed values equal U_j's first ones and w_i > v_i: U_j itself;
    //   i >  j: symmetric: L_i itself.
    struct Part {
      std::vector<std::string> fixed;        // values of the slice columns before `column`
      std::optional<std::string> low, high;  // natural-order bounds of column `fixed.size()`
      bool low_inclusive = false, high_inclusive = false;
    };
    auto parts_of = [&](const std::vector<std::string>& bound, bool is_lower, bool inclusive) {
      std::vector<Part> parts;
      for (size_t i = 0; i < bound.size(); ++i) {
        Part p;
        p.fixed.assign(bound.begin(), bound.begin() + static_cast<long>(i));
        bool incl = i + 1 == bound.size() && inclusive;
        if (is_lower) {
          p.low = bound[i];
          p.low_inclusive = incl;
        } else {
          p.high = bound[i];
          p.high_inclusive = incl;
        }
        parts.push_back(std::move(p));
      }
      return parts;
    };
    auto cmp = [&](size_t i, const std::string& a, const std::string& b) {
      return CompareValues(ck[where.slice_first + i]->type, a, b);
    };
    auto same_prefix = [&](const std::vector<std::string>& a, const std::vector<std::string>& b,
                           size_t n) {
      for (size_t k = 0; k < n; ++k) {
        if (cmp(k, a[k], b[k]) != 0) return false;
      }
      return true;
    };
    std::vector<Part> parts;
    if (lower && upper) {
      auto ls = parts_of(*lower, true, where.slice_lower->inclusive);
      auto us = parts_of(*upper, false, where.slice_upper->inclusive);
      for (const Part& l : ls) {
        for (const Part& u : us) {
          size_t i = l.fixed.size(), j = u.fixed.size();
          if (i == j) {
            if (!same_prefix(l.fixed, u.fixed, i)) continue;
            int c = cmp(i, *l.low, *u.high);
            if (c > 0 || (c == 0 && !(l.low_inclusive && u.high_inclusive))) continue;
            Part p = l;
            p.high = u.high;
            p.high_inclusive = u.high_inclusive;
            parts.push_back(std::move(p));
          } else if (i < j) {
            // U_j fixes column i to w_i: inside L_i when w_i > v_i, or w_i == v_i with L_i
            // inclusive (a shorter bound such as (b) >= (0) holds every b = 0 row).
            int c = same_prefix(l.fixed, u.fixed, i) ? cmp(i, u.fixed[i], *l.low) : -1;
            if (c > 0 || (c == 0 && l.low_inclusive)) parts.push_back(u);
          } else {
            int c = same_prefix(l.fixed, u.fixed, j) ? cmp(j, l.fixed[j], *u.high) : 1;
            if (c < 0 || (c == 0 && u.high_inclusive)) parts.push_back(l);
          }
        }
      }
    } else {
      bool is_lower = lower.has_value();
      parts = parts_of(is_lower ? *lower : *upper, is_lower,
                       is_lower ? where.slice_lower->inclusive : where.slice_upper->inclusive);
    }
    // Parts as slices in declared order: a DESC column stores larger values first.
    std::vector<ClusteringSlice> part_slices;
    for (const Part& p : parts) {
      const ColumnMetadata* col = ck[where.slice_first + p.fixed.size()];
      bool col_desc = col->order == ClusteringOrder::kDesc;
      ClusteringBound lo{p.fixed, true}, hi{p.fixed, true};
      if (p.low) {
        lo.components.push_back(*p.low);
        lo.inclusive = p.low_inclusive;
      }
      if (p.high) {
        hi.components.push_back(*p.high);
        hi.inclusive = p.high_inclusive;
      }
      part_slices.push_back(col_desc ? ClusteringSlice{hi, lo} : ClusteringSlice{lo, hi});
    }
    // Disjoint parts sort by where they start in declared order.
    auto before = [&](const ClusteringSlice& a, const ClusteringSlice& b) {
      const auto& x = a.start.components;
      const auto& y = b.start.components;
      for (size_t k = 0; k < x.size() && k < y.size(); ++k) {
        int c = cmp(k, x[k], y[k]);
        if (ck[where.slice_first + k]->order == ClusteringOrder::kDesc) c = -c;
        if (c != 0) return c < 0;
      }
      if (x.size() != y.size()) {
        // A shorter inclusive start begins before everything under it; an exclusive one after.
        return x.size() < y.size() ? a.start.inclusive : !b.start.inclusive;
      }
      return a.start.inclusive && !b.start.inclusive;
    };
    std::sort(part_slices.begin(), part_slices.end(), before);
    if (part_slices.empty()) {
      // Contradictory bounds: a slice that selects nothing (no slices would mean every row).
      ClusteringBound none{lower ? *lower : *upper, false};
      part_slices.push_back(ClusteringSlice{none, none});
    }
    for (const auto& prefix : prefixes) {
      for (const ClusteringSlice& ps : part_slices) {
        ClusteringSlice s = ps;
        s.start.components.insert(s.start.components.begin(), prefix.begin(), prefix.end());
        s.end.components.insert(s.end.components.begin(), prefix.begin(), prefix.end());
        slices.push_back(std::move(s));
      }
    }
    return slices;
  }
  for (const auto& prefix : prefixes) {
    ClusteringSlice s;
    s.start.components = prefix;
    s.end.components = prefix;
    s.start.inclusive = s.end.inclusive = true;
    if (where.slice_size) {
      // Natural-order bounds; a DESC column stores larger values first, so they swap.
      ClusteringBound lo{prefix, true}, hi{prefix, true};
      if (lower) {
        lo.components.insert(lo.components.end(), lower->begin(), lower->end());
        lo.inclusive = where.slice_lower->inclusive;
      }
      if (upper) {
        hi.components.insert(hi.components.end(), upper->begin(), upper->end());
        hi.inclusive = where.slice_upper->inclusive;
      }
      if (desc) {
        s.start = std::move(hi);
        s.end = std::move(lo);
      } else {
        s.start = std::move(lo);
        s.end = std::move(hi);
      }
    }
    slices.push_back(std::move(s));
  }
  return slices;
}

const char* RelationOpText(Relation::Op op) {
  switch (op) {
    case Relation::Op::kEq:
      return "=";
    case Relation::Op::kLt:
      return "<";
    case Relation::Op::kLte:
      return "<=";
    case Relation::Op::kGt:
      return ">";
    case Relation::Op::kGte:
      return ">=";
    case Relation::Op::kIn:
      return "IN";
    case Relation::Op::kNeq:
      return "!=";
    case Relation::Op::kContains:
      return "CONTAINS";
    case Relation::Op::kContainsKey:
      return "CONTAINS KEY";
    case Relation::Op::kLike:
      return "LIKE";
    case Relation::Op::kIsNotNull:
      return "IS NOT";
  }
  return "?";
}

Status CheckContainsType(const ColumnMetadata* col, const Relation& rel) {
  if (rel.op == Relation::Op::kContainsKey && col->type.kind() != cql::TypeKind::kMap) {
    return InvalidRequest(fmt::format("Cannot use CONTAINS KEY on non-map column {}", col->name));
  }
  if (!col->type.is_collection()) {
    return InvalidRequest(
        fmt::format("Cannot use CONTAINS on non-collection column {}", col->name));
  }
  return Status::Ok();
}

}  // namespace postfork::node::cql3
