// The parsed form of CQL statements: plain data, produced by the parser and checked against the
// schema by the statements in cql3/statements/. Names are already case-folded (unquoted) or kept
// as written (quoted).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace postfork::cql {
class DataType;
}  // namespace postfork::cql

namespace postfork::node::cql3 {

// A value in a statement: a literal, a bind marker, or a composite of terms.
struct Term {
  enum class Kind {
    kString,  // 'text' (also used for dates, times, timestamps, inets written as strings)
    kInteger,
    kFloat,
    kBoolean,
    kUuid,
    kHex,  // blob 0x..
    kDuration,
    kNull,
    kBindMarker,
    kTuple,     // (a, b, ...)
    kList,      // [a, b]
    kSetOrMap,  // {a, b} or {k: v, ...} (map entries as pairs in `elements`)
    kFunction,  // now(), uuid(), toTimestamp(x), ... (name in text, args in elements); the
                // operators a + b, a - b, a * b, a / b, a % b and -a are the calls _add,
                // _substract, _multiply, _divide, _modulo and _negate, as in Cassandra
    kUserType,  // {field: v, ...} (names in `fields`, values in `elements`)
    kCast,      // (type) term: the type as written in `text`, the term in elements[0]
  };
  Kind kind = Kind::kNull;
  std::string text;
  int bind_index = -1;    // kBindMarker: position among the statement's markers
  std::string bind_name;  // kBindMarker: ":name" (empty for "?")
  bool is_map = false;    // kSetOrMap with k: v entries (elements alternate key, value)
  std::vector<Term> elements;
  std::vector<std::string> fields;  // kUserType
  // kCast naming a user type: the type resolved in the statement's keyspace when the statement
  // is prepared (BindCollector::Source), `text` then naming it with its keyspace.
  std::shared_ptr<const cql::DataType> hint_type;
};

// A column reference in WHERE: one column, a tuple of columns, or token(columns).
struct Relation {
  enum class Lhs { kColumn, kTuple, kToken };
  // kLike: parsed so that Cassandra's refusal (no index here serves LIKE) comes with its text.
  // kIsNotNull (`col IS NOT NULL`, no value): parsed so that its refusal outside a materialized
  // view's definition comes with its text.
  enum class Op { kEq, kLt, kLte, kGt, kGte, kIn, kNeq, kContains, kContainsKey, kLike, kIsNotNull };
  Lhs lhs = Lhs::kColumn;
  std::vector<std::string> columns;  // one for kColumn
  Op op = Op::kEq;
  // kIn: either `in_values` (a literal list, possibly empty) or one bind marker in `value`.
  Term value;
  std::vector<Term> in_values;
  bool in_marker = false;
  std::optional<Term> map_key;  // `m[key] = value` (a map element; kColumn and kEq only)
};

// One IF condition of a conditional UPDATE or DELETE: `col op value`, `col[element] op value`,
// `col IN (...)` / `col IN ?` (the relation's column, operator and values).
struct Condition {
  Relation relation;
  std::optional<Term> element;
  std::string field;  // `u.f op value` on a user type column (empty: none)
};

struct TableName {
  std::string keyspace;  // empty: the connection's keyspace
  std::string name;
};

// WITH properties: `name = constant` or `name = {map}`; CLUSTERING ORDER and COMPACT STORAGE are
// parsed separately by CREATE TABLE.
struct PropertyValue {
  std::string text;  // constants as text ('x' -> x, 0.1 -> 0.1)
  bool is_map = false;
  std::map<std::string, std::string> map;  // string keys and constant values, as text
};
using Properties = std::map<std::string, PropertyValue>;

struct UseStatement {
  std::string keyspace;
};

struct CreateKeyspaceStatement {
  std::string keyspace;
  bool if_not_exists = false;
  Properties properties;
};
struct AlterKeyspaceStatement {
  std::string keyspace;
  bool if_exists = false;
  Properties properties;
};
struct DropKeyspaceStatement {
  std::string keyspace;
  bool if_exists = false;
};

struct ColumnDefinition {
  std::string name;
  std::string type;  // CQL text of the type, parsed by cql::DataType::Parse
  bool is_static = false;
};

struct CreateTableStatement {
  TableName table;
  bool if_not_exists = false;
  std::vector<ColumnDefinition> columns;
  std::vector<std::string> partition_key;
  std::vector<std::string> clustering;
  std::vector<std::pair<std::string, bool>> clustering_order;  // (column, descending)
  bool compact_storage = false;
  Properties properties;
};
struct AlterTableStatement {
  enum class Kind { kAdd, kDrop, kWith, kRename, kAlterType, kDropCompactStorage };
  TableName table;
  bool if_exists = false;
  Kind kind = Kind::kWith;
  bool if_column_exists = false;  // ADD IF NOT EXISTS / DROP IF EXISTS
  std::vector<ColumnDefinition> add;
  std::vector<std::string> drop;
  std::optional<int64_t> drop_timestamp;  // DROP ... USING TIMESTAMP n: the recorded drop time
  Properties properties;
  std::vector<std::pair<std::string, std::string>> renames;  // RENAME a TO b AND ...
};
struct DropTableStatement {
  TableName table;
  bool if_exists = false;
};
struct TruncateStatement {
  TableName table;
};

struct UsingClause {
  std::optional<Term> timestamp;
  std::optional<Term> ttl;
};

struct InsertStatement {
  TableName table;
  std::vector<std::string> columns;
  std::vector<Term> values;
  std::optional<Term> json;  // INSERT ... JSON 'text' | ?: the object instead of columns/values
  bool json_default_unset = false;  // DEFAULT UNSET (else DEFAULT NULL)
  bool if_not_exists = false;
  UsingClause using_clause;
};

// `SET column = value` and the collection/counter forms of Cassandra's UPDATE.
struct Assignment {
  enum class Op {
    kSet,         // c = v
    kAdd,         // c = c + v (list append, set/map union, counter increment)
    kSubtract,    // c = c - v (list/set/map element removal, counter decrement)
    kPrepend,     // c = v + c (lists)
    kSetElement,  // c[key] = v (list index or map key)
    kSetField,    // c.field = v (user types)
  };
  std::string column;
  std::string field;  // kSetField
  Op op = Op::kSet;
  Term key;  // kSetElement
  Term value;
};
struct UpdateStatement {
  TableName table;
  UsingClause using_clause;
  std::vector<Assignment> assignments;
  std::vector<Relation> where;
  bool if_exists = false;
  std::vector<Condition> conditions;  // IF c = v AND ...
};

struct DeleteStatement {
  TableName table;
  std::vector<std::string> columns;  // empty: the whole row(s)
  // Per entry of `columns`: `c[key]` deletes one list index or map key; nullopt: the column.
  std::vector<std::optional<Term>> element_keys;
  // Per entry of `columns`: `c.field` deletes one field of a user type; empty: none.
  std::vector<std::string> fields;
  UsingClause using_clause;
  std::vector<Relation> where;
  bool if_exists = false;
  std::vector<Condition> conditions;  // IF c = v AND ...
};

struct Selector {
  enum class Kind {
    kColumn,
    kCountStar,
    kToken,
    kWritetime,
    kMaxWritetime,
    kTtl,
    kCount,
    kAggregate,
    kFunction,
    kField,    // args[0].field: a field of a user type value
    kTerm,     // a literal or bind marker, optionally cast: 'hi', (int)?, (bigint)1
    kElement,  // args[0][term]: an element of a set or the value of a map's key
    kSlice,    // args[0][from..to]: the elements of a set or map between two bounds
    // args[0] op args[1], or -args[0]: Cassandra's operation functions, named in `function`
    // (_add, _substract, _multiply, _divide, _modulo, _negate).
    kOperation,
    // (cast_type) args[0]: a type hint on a selector other than a term, `(int)ck` (Cassandra's
    // selectionTypeHint; a hinted term is a kTerm with its cast_type).
    kTypeHint,
    // (args...), [args...], {args...}, {k: v, ...}: tuple, list, set and map literals of
    // selectors (kMap's args alternate key and value).
    kTuple,
    kList,
    kSet,
    kMap,
  };
  Kind kind = Kind::kColumn;
  std::string function;  // kAggregate: min, max, sum, avg; kFunction: its name; kField: the field
  std::vector<Selector> args;  // kFunction: columns or nested function calls; kField: one
  // kColumn: one; kToken: the arguments; kCount(col); kWritetime/kTtl: one, or none and args[0]
  // (an element, slice or field of a column).
  std::vector<std::string> columns;
  std::string cast_type;  // kFunction "cast", kTerm `(type)term`, kTypeHint: the type's CQL text
  std::string alias;
  int parentheses = 0;    // written inside this many pairs of ( ): Cassandra names it "(name)"
  Term term;              // kTerm; kElement: the key
  std::string term_text;  // kTerm, kElement: as Cassandra names it ("'hi'", "(int)?")
  std::optional<Term> slice_from, slice_to;  // kSlice: absent bounds are open
  std::string slice_from_text, slice_to_text;
};
struct SelectStatement {
  TableName table;
  bool json = false;
  bool distinct = false;
  bool select_star = false;
  std::vector<Selector> selectors;
  std::vector<Relation> where;
  // Primary key columns in key order; the last may be a function of a clustering column
  // (floor(ts, 1h)). Parsed as selectors without alias (Cassandra's unaliasedSelector).
  std::vector<Selector> group_by;
  std::vector<std::pair<std::string, bool>> order_by;  // (column, descending)
  // ORDER BY c ANN OF term [ASC|DESC]: nearest neighbours of the vector `term` in column c.
  struct AnnOrdering {
    std::string column;
    Term vector;
    bool descending = false;
  };
  std::vector<AnnOrdering> ann;
  std::optional<Term> limit;
  std::optional<Term> per_partition_limit;
  bool allow_filtering = false;
};

struct CreateTypeStatement {
  TableName type;
  bool if_not_exists = false;
  std::vector<ColumnDefinition> fields;  // name and CQL type text
};
struct AlterTypeStatement {
  TableName type;
  bool if_exists = false;
  std::optional<ColumnDefinition> add;                       // ADD field type
  bool if_field_not_exists = false;                          // ADD IF NOT EXISTS
  std::vector<std::pair<std::string, std::string>> renames;  // RENAME a TO b AND ...
};
struct DropTypeStatement {
  TableName type;
  bool if_exists = false;
};

// CREATE INDEX [IF NOT EXISTS] [name] ON [ks.]table ([keys|values|entries|full](column)).
struct CreateIndexStatement {
  enum class Target { kSimple, kKeys, kValues, kEntries, kFull };
  TableName table;
  std::string name;              // empty: Cassandra's default name
  std::string keyspace_of_name;  // `ks.name` written for the index (must match the table's)
  bool if_not_exists = false;
  std::string column;
  Target target = Target::kSimple;
  bool custom = false;                         // CREATE CUSTOM INDEX
  std::string using_class;                     // USING 'class' (empty when absent)
  std::map<std::string, std::string> options;  // WITH OPTIONS = {...}
};
// DROP INDEX [IF EXISTS] [ks.]name.
struct DropIndexStatement {
  TableName index;
  bool if_exists = false;
};

// CREATE [OR REPLACE] FUNCTION / AGGREGATE and CREATE MATERIALIZED VIEW: features Cassandra 5.0
// disables by default. Parsed so that they get Cassandra's refusal, not a syntax error.
struct DisabledFeatureStatement {
  // kDropMaterializedView: DROP MATERIALIZED VIEW [IF EXISTS] name (no view can exist).
  enum class Kind { kFunction, kAggregate, kMaterializedView, kDropMaterializedView };
  Kind kind = Kind::kFunction;
  TableName name;
  bool or_replace = false;
  bool if_not_exists = false;
  bool if_exists = false;
  std::vector<std::string> argument_types;  // aggregate: its argument types (CQL text)
  std::string state_function;               // aggregate: SFUNC
  std::string state_type;                   // aggregate: STYPE (CQL text)
};

// DESCRIBE / DESC: the schema as CQL, answered by the node itself (Cassandra 4.0's server-side
// DESCRIBE).
struct DescribeStatement {
  enum class Kind {
    kCluster,
    kSchema,  // [FULL] SCHEMA
    kKeyspaces,
    kKeyspace,  // [ONLY] KEYSPACE [ks]
    kTables,
    kTable,  // TABLE / COLUMNFAMILY [ks.]t
    kIndex,
    kMaterializedView,
    kTypes,
    kType,
    kFunctions,
    kFunction,
    kAggregates,
    kAggregate,
    kGeneric,  // DESCRIBE [ks.]name: a keyspace, table, index or view, in that order
  };
  Kind kind = Kind::kKeyspaces;
  std::string keyspace;  // as written, unquoted names folded; empty when not given
  std::string name;
  bool full = false;            // FULL SCHEMA: system keyspaces too
  bool only = false;            // ONLY KEYSPACE: the keyspace without its elements
  bool with_internals = false;  // WITH INTERNALS: table ids and dropped columns
};

struct BatchStatement;
struct AuthStatement;  // roles and permissions: cql3/auth_ast.h
using Statement =
    std::variant<UseStatement, CreateKeyspaceStatement, AlterKeyspaceStatement,
                 DropKeyspaceStatement, CreateTableStatement, AlterTableStatement,
                 DropTableStatement, TruncateStatement, InsertStatement, UpdateStatement,
                 DeleteStatement, SelectStatement, std::shared_ptr<BatchStatement>,
                 CreateTypeStatement, AlterTypeStatement, DropTypeStatement, CreateIndexStatement,
                 DropIndexStatement, std::shared_ptr<AuthStatement>, DisabledFeatureStatement,
                 DescribeStatement>;

struct BatchStatement {
  enum class Type { kLogged, kUnlogged, kCounter };
  Type type = Type::kLogged;
  UsingClause using_clause;
  std::vector<Statement> statements;  // INSERT, UPDATE or DELETE only
};

// A parsed statement with its bind markers in order of appearance.
struct ParsedStatement {
  Statement statement;
  int bind_count = 0;
  std::vector<std::string> bind_names;  // per marker: name for ":name", empty for "?"
};

}  // namespace postfork::node::cql3
