// The CQL lexer and parser: statements drivers send, and Cassandra-style syntax errors.
#include <gtest/gtest.h>

#include "node/cql3/lexer.h"
#include "node/cql3/parser.h"
#include "postfork/cql/error_codes.h"

namespace postfork::node::cql3 {
namespace {

ParsedStatement MustParse(std::string_view text) {
  auto r = ParseStatement(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : ParsedStatement{};
}

std::string SyntaxError(std::string_view text) {
  auto r = ParseStatement(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().cql_code(), static_cast<int>(cql::ErrorCode::kSyntaxError));
  return r.error().message();
}

TEST(Cql3Lexer, FoldsUnquotedIdentifiersAndKeepsQuotedOnes) {
  auto t = Tokenize("SELECT \"MyCol\", Other FROM ks.T");
  ASSERT_GE(t.size(), 8u);
  EXPECT_EQ(t[0].text, "select");
  EXPECT_EQ(t[1].text, "MyCol");
  EXPECT_TRUE(t[1].quoted);
  EXPECT_EQ(t[3].text, "other");
  EXPECT_EQ(t.back().kind, TokenKind::kEnd);
}

TEST(Cql3Lexer, ReadsLiteralsOfEveryKind) {
  auto t = Tokenize(
      "'it''s' $$raw 'x'$$ -42 3.5e2 NaN -Infinity 0xCAFE true "
      "123e4567-e89b-12d3-a456-426614174000 1h30m");
  ASSERT_EQ(t.size(), 11u);
  EXPECT_EQ(t[0].kind, TokenKind::kString);
  EXPECT_EQ(t[0].text, "it's");
  EXPECT_EQ(t[1].text, "raw 'x'");
  EXPECT_EQ(t[2].kind, TokenKind::kInteger);
  EXPECT_EQ(t[2].text, "-42");
  EXPECT_EQ(t[3].kind, TokenKind::kFloat);
  EXPECT_EQ(t[4].kind, TokenKind::kFloat);
  EXPECT_EQ(t[5].kind, TokenKind::kFloat);
  EXPECT_EQ(t[6].kind, TokenKind::kHex);
  EXPECT_EQ(t[6].text, "CAFE");
  EXPECT_EQ(t[7].kind, TokenKind::kBoolean);
  EXPECT_EQ(t[8].kind, TokenKind::kUuid);
  EXPECT_EQ(t[9].kind, TokenKind::kDuration);
}

TEST(Cql3Lexer, DurationLiteralsAsCassandrasLexer) {
  // Unit forms (any case, optionally negative) and ISO 8601 forms (upper case only).
  for (const char* text : {"1y2mo3w4d5h6m7s8ms9us10ns", "-1d", "P1Y2M3DT4H5M6S", "PT0S", "P2W",
                           "-P2W", "P0001-02-03T04:05:06", "1D2MO"}) {
    auto t = Tokenize(text);
    ASSERT_EQ(t.size(), 2u) << text;
    EXPECT_EQ(t[0].kind, TokenKind::kDuration) << text;
    EXPECT_EQ(t[0].text, text);
  }
  // Not durations: lower-case ISO, P alone, weeks mixed with other ISO units, a missing T.
  for (const char* text : {"p1d", "P1d", "P", "P1Y2W", "P1DT"}) {
    EXPECT_NE(Tokenize(text)[0].kind, TokenKind::kDuration) << text;
  }
  auto t = Tokenize("1y-2mo");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].text, "-2mo");
}

TEST(Cql3Lexer, IntegerBeforeARangeAndAFloatEndingInAPoint) {
  // Cassandra's FLOAT rule: INTEGER '.' RANGE first, then INTEGER RANGE, then a float.
  auto t = Tokenize("0...3.");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, TokenKind::kFloat);
  EXPECT_EQ(t[0].text, "0.");
  EXPECT_EQ(t[1].text, "..");
  EXPECT_EQ(t[2].kind, TokenKind::kFloat);
  EXPECT_EQ(t[2].text, "3.");
  t = Tokenize("1..2");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, TokenKind::kInteger);
  EXPECT_EQ(t[1].text, "..");
  EXPECT_EQ(t[2].kind, TokenKind::kInteger);
}

TEST(Cql3Lexer, SkipsCommentsAndTracksLines) {
  auto t = Tokenize("-- one\n// two\n/* three\n */ SELECT");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].text, "select");
  EXPECT_EQ(t[0].line, 4);
  EXPECT_EQ(t[0].column, 4);
}

TEST(Cql3Parser, CreateTableWithCompoundKeyClusteringOrderAndOptions) {
  auto p = MustParse(
      "CREATE TABLE IF NOT EXISTS ks.events (tenant text, day date, at timeuuid, "
      "payload blob, n int static, PRIMARY KEY ((tenant, day), at)) "
      "WITH CLUSTERING ORDER BY (at DESC) AND comment = 'x' AND "
      "compaction = {'class': 'LeveledCompactionStrategy'};");
  auto* s = std::get_if<CreateTableStatement>(&p.statement);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->if_not_exists);
  EXPECT_EQ(s->table.keyspace, "ks");
  EXPECT_EQ(s->partition_key, (std::vector<std::string>{"tenant", "day"}));
  EXPECT_EQ(s->clustering, (std::vector<std::string>{"at"}));
  ASSERT_EQ(s->clustering_order.size(), 1u);
  EXPECT_TRUE(s->clustering_order[0].second);
  EXPECT_TRUE(s->columns[4].is_static);
  EXPECT_EQ(s->properties.at("comment").text, "x");
  EXPECT_TRUE(s->properties.at("compaction").is_map);
}

TEST(Cql3Parser, CollectionTypesKeepTheirText) {
  auto p = MustParse("CREATE TABLE t (k int PRIMARY KEY, m map<text, frozen<list<int>>>)");
  auto* s = std::get_if<CreateTableStatement>(&p.statement);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->partition_key, (std::vector<std::string>{"k"}));
  EXPECT_EQ(s->columns[1].type, "map<text, frozen<list<int>>>");
}

TEST(Cql3Parser, SelectWithEveryClause) {
  auto p = MustParse(
      "SELECT DISTINCT k AS key, token(k), COUNT(*) FROM t WHERE k IN (1, ?) AND (c1, c2) > (1, "
      ":x) "
      "AND token(k) > -5 ORDER BY c1 DESC PER PARTITION LIMIT 2 LIMIT ? ALLOW FILTERING");
  auto* s = std::get_if<SelectStatement>(&p.statement);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->distinct);
  ASSERT_EQ(s->selectors.size(), 3u);
  EXPECT_EQ(s->selectors[0].alias, "key");
  EXPECT_EQ(s->selectors[1].kind, Selector::Kind::kToken);
  EXPECT_EQ(s->selectors[2].kind, Selector::Kind::kCountStar);
  ASSERT_EQ(s->where.size(), 3u);
  EXPECT_EQ(s->where[0].op, Relation::Op::kIn);
  EXPECT_EQ(s->where[0].in_values.size(), 2u);
  EXPECT_EQ(s->where[1].lhs, Relation::Lhs::kTuple);
  EXPECT_EQ(s->where[2].lhs, Relation::Lhs::kToken);
  EXPECT_TRUE(s->per_partition_limit.has_value());
  EXPECT_TRUE(s->allow_filtering);
  EXPECT_EQ(p.bind_count, 3);
  EXPECT_EQ(p.bind_names, (std::vector<std::string>{"", "x", ""}));
}

TEST(Cql3Parser, IsNotNullIsARelationOnOneColumn) {
  auto p = MustParse("SELECT * FROM t WHERE k = 1 AND \"V\" IS NOT NULL");
  auto* s = std::get_if<SelectStatement>(&p.statement);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->where.size(), 2u);
  EXPECT_EQ(s->where[1].op, Relation::Op::kIsNotNull);
  EXPECT_EQ(s->where[1].columns, (std::vector<std::string>{"V"}));
  SyntaxError("SELECT * FROM t WHERE v IS NULL");
  SyntaxError("SELECT * FROM t WHERE v IS NOT 1");
  SyntaxError("SELECT * FROM t WHERE (a, b) IS NOT NULL");
}

TEST(Cql3Parser, KeyspaceQualifiedFunctionCallsInTerms) {
  auto p = MustParse(
      "INSERT INTO t (k, v, w) VALUES (system.blobasint(0x01), \"system\".now(), ks.f(1))");
  auto* s = std::get_if<InsertStatement>(&p.statement);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->values.size(), 3u);
  EXPECT_EQ(s->values[0].kind, Term::Kind::kFunction);
  EXPECT_EQ(s->values[0].text, "blobasint");  // native functions live in `system`
  EXPECT_EQ(s->values[1].text, "now");
  EXPECT_EQ(s->values[2].text, "ks.f");  // unknown when it is prepared
  ASSERT_EQ(s->values[2].elements.size(), 1u);
  SyntaxError("INSERT INTO t (k) VALUES (system.blobasint)");
}

TEST(Cql3Parser, AlterTableDropUsingTimestamp) {
  auto p = MustParse("ALTER TABLE t DROP (a, b) USING TIMESTAMP 20000");
  auto* s = std::get_if<AlterTableStatement>(&p.statement);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->drop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s->drop_timestamp, std::optional<int64_t>(20000));
  p = MustParse("ALTER TABLE t DROP a USING TIMESTAMP -3;");
  s = std::get_if<AlterTableStatement>(&p.statement);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->drop_timestamp, std::optional<int64_t>(-3));
  p = MustParse("ALTER TABLE t DROP a");
  EXPECT_FALSE(std::get<AlterTableStatement>(p.statement).drop_timestamp.has_value());
  SyntaxError("ALTER TABLE t DROP a USING TIMESTAMP ?");
  SyntaxError("ALTER TABLE t DROP a USING TTL 5");
}

TEST(Cql3Parser, DmlAndBatch) {
  MustParse("INSERT INTO t (k, v) VALUES (1, 'a') USING TIMESTAMP 123 AND TTL 10");
  MustParse("UPDATE t USING TTL 5 SET v = ?, w = null WHERE k = 1 AND c = 2");
  MustParse("DELETE v FROM ks.t USING TIMESTAMP 5 WHERE k = 1 AND c >= 3");
  auto p = MustParse(
      "BEGIN UNLOGGED BATCH USING TIMESTAMP 9 INSERT INTO t (k) VALUES (?); "
      "DELETE FROM t WHERE k = ?; APPLY BATCH;");
  auto* b = std::get_if<std::shared_ptr<BatchStatement>>(&p.statement);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)->type, BatchStatement::Type::kUnlogged);
  EXPECT_EQ((*b)->statements.size(), 2u);
  EXPECT_EQ(p.bind_count, 2);
}

TEST(Cql3Parser, ShorthandAssignmentsAreAdditionsAndSubtractions) {
  auto p = MustParse("UPDATE t SET s += {'a'}, c -= 1, l = l + [2] WHERE k = 1");
  auto* u = std::get_if<UpdateStatement>(&p.statement);
  ASSERT_NE(u, nullptr);
  ASSERT_EQ(u->assignments.size(), 3u);
  EXPECT_EQ(u->assignments[0].op, Assignment::Op::kAdd);
  EXPECT_EQ(u->assignments[1].op, Assignment::Op::kSubtract);
  EXPECT_EQ(u->assignments[2].op, Assignment::Op::kAdd);
  // One token, as in Cassandra's grammar: `+ =` is not the shorthand.
  EXPECT_NE(SyntaxError("UPDATE t SET s + = {'a'} WHERE k = 1"), "");
  EXPECT_NE(SyntaxError("UPDATE t SET l[0] += 1 WHERE k = 1"), "");
}

TEST(Cql3Parser, CreateTypeAllowsEmptyEntriesAfterTheFirstField) {
  auto p = MustParse("CREATE TYPE t (a int,, b text,)");
  auto* t = std::get_if<CreateTypeStatement>(&p.statement);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->fields.size(), 2u);
  EXPECT_NE(SyntaxError("CREATE TYPE t (, a int)"), "");
  EXPECT_NE(SyntaxError("CREATE TYPE t ()"), "");
}

TEST(Cql3Parser, SchemaStatements) {
  MustParse(
      "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', "
      "'dc1': 3} AND durable_writes = false");
  MustParse(
      "ALTER KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  MustParse("DROP KEYSPACE IF EXISTS ks");
  MustParse("ALTER TABLE t ADD (a int, b text)");
  MustParse("ALTER TABLE t DROP a");
  MustParse("ALTER TABLE t WITH comment = 'c'");
  auto drop_compact = MustParse("ALTER TABLE t DROP COMPACT STORAGE");
  auto* alter = std::get_if<AlterTableStatement>(&drop_compact.statement);
  ASSERT_NE(alter, nullptr);
  EXPECT_EQ(alter->kind, AlterTableStatement::Kind::kDropCompactStorage);
  auto create = MustParse(
      "CREATE TABLE t (k int, c int, PRIMARY KEY (k, c)) WITH COMPACT STORAGE AND "
      "CLUSTERING ORDER BY (c DESC)");
  auto* compact = std::get_if<CreateTableStatement>(&create.statement);
  ASSERT_NE(compact, nullptr);
  EXPECT_TRUE(compact->compact_storage);
  MustParse("DROP TABLE IF EXISTS ks.t");
  MustParse("TRUNCATE TABLE ks.t");
  MustParse("USE \"MyKs\"");
}

TEST(Cql3Parser, SyntaxErrorsCarryCassandraPositions) {
  EXPECT_EQ(SyntaxError("SELECT * FORM t"),
            "line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM]...)");
  EXPECT_EQ(SyntaxError("SELEC * FROM t"),
            "line 1:0 no viable alternative at input 'SELEC' ([SELEC]...)");
  EXPECT_EQ(SyntaxError("SELECT * FROM t WHERE"),
            "line 0:-1 mismatched input '<EOF>' expecting IDENT");
  EXPECT_EQ(SyntaxError("INSERT INTO t (k) VALUES (1) extra"),
            "line 1:29 mismatched input 'extra' expecting EOF (...(k) VALUES (1) [extra])");
  EXPECT_NE(SyntaxError("SELECT * FROM t WHERE k = 'unterminated").find("line 1:26"),
            std::string::npos);
}

// Cassandra's ErrorCollector snippet: ten tokens before the offending one (whitespace runs and
// comments count), line breaks dropped.
TEST(Cql3Parser, SyntaxErrorSnippetsCountHiddenTokens) {
  EXPECT_EQ(SyntaxError("SELECT ttl(v) > 1 FROM t"),
            "line 1:14 mismatched input '>' expecting K_FROM (SELECT ttl(v) [>]...)");
  EXPECT_EQ(SyntaxError("SELECT k FROM t WHERE k = 1 /* c */ AND c = 1 AND i > 1 LIMIT 1 x y"),
            "line 1:64 mismatched input 'x' expecting EOF (...i > 1 LIMIT 1 [x]...)");
  EXPECT_EQ(SyntaxError("SELECT * FROM t WHERE k = 1 -- x\n AND c = 2 LIMIT 1 extra"),
            "line 2:19 mismatched input 'extra' expecting EOF (...c = 2 LIMIT 1 [extra])");
}

// Characters the lexer rejected lie between tokens: the snippet counts each as a token and
// ends (a fuzzer found the loop that never moved past them).
TEST(Cql3Parser, SnippetOverRejectedCharactersEnds) {
  EXPECT_FALSE(SyntaxError("-Na-").empty());
  EXPECT_FALSE(SyntaxError("SELECT -Na- FROM t").empty());
}

// `-i` starts Cassandra's -Infinity token (and `-n` its -NaN): a lexer error, not a negation.
TEST(Cql3Parser, MinusIOrNIsAnInfinityOrNanPrefix) {
  EXPECT_EQ(SyntaxError("SELECT -i FROM t"),
            "line 1:9 mismatched character ' ' expecting set null");
  EXPECT_EQ(SyntaxError("SELECT -nx FROM t"),
            "line 1:9 mismatched character 'x' expecting set null");
  MustParse("SELECT - i, -v, -(i) FROM t");
  MustParse("INSERT INTO t (k, d) VALUES (1, -Infinity)");
}

TEST(Cql3Parser, SelectorArithmetic) {
  ParsedStatement parsed = MustParse("SELECT a + b * -c, (a - 1) % 2, max(v) / 2 AS m FROM t");
  ASSERT_TRUE(std::holds_alternative<SelectStatement>(parsed.statement));
  const auto& sel = std::get<SelectStatement>(parsed.statement).selectors;
  ASSERT_EQ(sel.size(), 3u);
  EXPECT_EQ(sel[0].kind, Selector::Kind::kOperation);
  EXPECT_EQ(sel[0].function, "_add");
  EXPECT_EQ(sel[0].args[1].function, "_multiply");
  EXPECT_EQ(sel[0].args[1].args[1].function, "_negate");
  EXPECT_EQ(sel[1].function, "_modulo");
  EXPECT_EQ(sel[1].args[0].parentheses, 1);
  EXPECT_EQ(sel[2].args[0].kind, Selector::Kind::kAggregate);
  EXPECT_EQ(sel[2].alias, "m");
  SyntaxError("SELECT a + FROM t");
}

// Cassandra's selectionTypeHint: `(type)` before a column, a call or a parenthesized selector
// (in a selection and in GROUP BY); before a term it stays a cast term.
TEST(Cql3Parser, SelectorTypeHints) {
  ParsedStatement parsed = MustParse(
      "SELECT (int)ck, (int)(ck), (bigint)count(*), (int)1, (frozen<ut>)u.a FROM t GROUP BY k, "
      "(int)ck");
  const auto& s = std::get<SelectStatement>(parsed.statement);
  ASSERT_EQ(s.selectors.size(), 5u);
  EXPECT_EQ(s.selectors[0].kind, Selector::Kind::kTypeHint);
  EXPECT_EQ(s.selectors[0].cast_type, "int");
  EXPECT_EQ(s.selectors[0].args[0].kind, Selector::Kind::kColumn);
  EXPECT_EQ(s.selectors[1].kind, Selector::Kind::kTypeHint);
  EXPECT_EQ(s.selectors[1].args[0].parentheses, 1);
  EXPECT_EQ(s.selectors[2].args[0].kind, Selector::Kind::kCountStar);
  EXPECT_EQ(s.selectors[3].kind, Selector::Kind::kTerm);
  EXPECT_EQ(s.selectors[3].cast_type, "int");
  // A field applies to the hinted selector, as Cassandra's selectorModifier does.
  EXPECT_EQ(s.selectors[4].kind, Selector::Kind::kField);
  EXPECT_EQ(s.selectors[4].args[0].kind, Selector::Kind::kTypeHint);
  ASSERT_EQ(s.group_by.size(), 2u);
  EXPECT_EQ(s.group_by[1].kind, Selector::Kind::kTypeHint);
  // `(a)` alone is a parenthesized column, and `(a) AS x` its alias.
  auto p = std::get<SelectStatement>(MustParse("SELECT (a) AS x FROM t").statement);
  EXPECT_EQ(p.selectors[0].kind, Selector::Kind::kColumn);
  EXPECT_EQ(p.selectors[0].alias, "x");
}

// Cassandra's selectionTupleOrNestedSelector, selectionList and selectionMapOrSet: literals of
// selectors; a literal of terms only stays a term.
TEST(Cql3Parser, CompositeSelectors) {
  auto s = std::get<SelectStatement>(
      MustParse("SELECT (a, b), [a, ?], {a, 1}, {a: b, c: d}, [1, 2], (1, 'x') FROM t").statement);
  ASSERT_EQ(s.selectors.size(), 6u);
  EXPECT_EQ(s.selectors[0].kind, Selector::Kind::kTuple);
  EXPECT_EQ(s.selectors[0].args.size(), 2u);
  EXPECT_EQ(s.selectors[1].kind, Selector::Kind::kList);
  EXPECT_EQ(s.selectors[1].args[1].kind, Selector::Kind::kTerm);
  EXPECT_EQ(s.selectors[2].kind, Selector::Kind::kSet);
  EXPECT_EQ(s.selectors[3].kind, Selector::Kind::kMap);
  EXPECT_EQ(s.selectors[3].args.size(), 4u);
  EXPECT_EQ(s.selectors[4].kind, Selector::Kind::kTerm);
  EXPECT_EQ(s.selectors[5].kind, Selector::Kind::kTuple);
  SyntaxError("SELECT (a, b FROM t");
  SyntaxError("SELECT {a: b, c} FROM t");
}

TEST(Cql3Parser, TypeHintOnASelectorThatIsNoTerm) {
  ParsedStatement parsed =
      MustParse("SELECT (int)((c - a) % d / (a + d)), (text) v, (int)(1 + 1), (a) FROM t");
  const auto& sel = std::get<SelectStatement>(parsed.statement).selectors;
  ASSERT_EQ(sel.size(), 4u);
  EXPECT_EQ(sel[0].kind, Selector::Kind::kTypeHint);
  EXPECT_EQ(sel[0].cast_type, "int");
  EXPECT_EQ(sel[0].args[0].function, "_divide");
  EXPECT_EQ(sel[0].args[0].parentheses, 1);
  EXPECT_EQ(sel[1].kind, Selector::Kind::kTypeHint);
  EXPECT_EQ(sel[1].args[0].kind, Selector::Kind::kColumn);
  EXPECT_EQ(sel[2].kind, Selector::Kind::kTerm);  // a hinted term where one parses
  EXPECT_EQ(sel[2].cast_type, "int");
  EXPECT_EQ(sel[3].kind, Selector::Kind::kColumn);
  EXPECT_EQ(sel[3].parentheses, 1);
}

TEST(Cql3Parser, ParenthesizedOperationIsAOneElementTuple) {
  // Cassandra's grammar reads `(1 + 1)` as a tuple literal of one element; preparing it for a
  // receiver that is no tuple takes the element.
  ParsedStatement parsed = MustParse("SELECT * FROM t WHERE k = 1 * (1 + 1)");
  const auto& where = std::get<SelectStatement>(parsed.statement).where;
  ASSERT_EQ(where.size(), 1u);
  const Term& t = where[0].value;
  EXPECT_EQ(t.text, "_multiply");
  ASSERT_EQ(t.elements.size(), 2u);
  EXPECT_EQ(t.elements[1].kind, Term::Kind::kTuple);
  ASSERT_EQ(t.elements[1].elements.size(), 1u);
  EXPECT_EQ(t.elements[1].elements[0].text, "_add");
}

TEST(Cql3Parser, ReservedWordsNeedQuotes) {
  SyntaxError("CREATE TABLE t (select int PRIMARY KEY)");
  MustParse("CREATE TABLE t (\"select\" int PRIMARY KEY, key int, type text, ttl int)");
}

// Cassandra's grammar: '(' cfamColumns (',' cfamColumns?)* ')'.
TEST(Cql3Parser, TableEntriesAfterTheFirstMayBeEmpty) {
  auto s = std::get<CreateTableStatement>(
      MustParse("CREATE TABLE t (a int, , b int, PRIMARY KEY (a),)").statement);
  EXPECT_EQ(s.columns.size(), 2u);
  EXPECT_EQ(SyntaxError("CREATE TABLE t ()"),
            "line 1:16 no viable alternative at input ')' (CREATE TABLE t ([)])");
  EXPECT_EQ(SyntaxError("CREATE TABLE t (, a int PRIMARY KEY)"),
            "line 1:16 no viable alternative at input ',' (CREATE TABLE t ([,]...)");
  auto twice = ParseStatement("CREATE TABLE t (a int PRIMARY KEY, b int PRIMARY KEY)");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().cql_code(), static_cast<int>(cql::ErrorCode::kInvalid));
  EXPECT_EQ(twice.error().message(),
            "Multiple PRIMARY KEY specified for table 't' (exactly one required)");
}

TEST(Cql3Parser, KeyspaceNamesAndPropertyNames) {
  EXPECT_EQ(SyntaxError("USE ?"), "Bind variables cannot be used for keyspace names");
  EXPECT_EQ(SyntaxError("USE with"), "line 1:4 no viable alternative at input 'with' (USE [with])");
  EXPECT_EQ(SyntaxError("CREATE KEYSPACE ks WITH WITH DURABLE_WRITES = true"),
            "line 1:24 no viable alternative at input 'WITH' (CREATE KEYSPACE ks WITH [WITH]...)");
  EXPECT_EQ(SyntaxError("ALTER TABLE t WITH caching = {'keys' : foo}"),
            "line 1:42 no viable alternative at input '}' (... caching = {'keys' : [foo]})");
}

TEST(Cql3Parser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "INSERT INTO t (k) VALUES (" + std::string(10000, '[') + ")";
  SyntaxError(deep);
  std::string deep_type = "CREATE TABLE t (k ";
  for (int i = 0; i < 5000; ++i) deep_type += "list<";
  SyntaxError(deep_type);
}

}  // namespace
}  // namespace postfork::node::cql3

namespace postfork::node::cql3 {
namespace {

TEST(Cql3Parser, DisabledFeaturesParseToTheirStatement) {
  auto f = MustParse(
      "CREATE OR REPLACE FUNCTION ks.f (a int, b frozen<list<text>>) CALLED ON NULL INPUT "
      "RETURNS text LANGUAGE java AS $$ return b.get(a); $$;");
  auto* fs = std::get_if<DisabledFeatureStatement>(&f.statement);
  ASSERT_NE(fs, nullptr);
  EXPECT_EQ(fs->kind, DisabledFeatureStatement::Kind::kFunction);
  EXPECT_TRUE(fs->or_replace);
  EXPECT_EQ(fs->name.keyspace, "ks");
  auto a = MustParse(
      "CREATE AGGREGATE IF NOT EXISTS agg (int, text) SFUNC st STYPE map<int, int>"
      " FINALFUNC fin INITCOND {}");
  auto* as = std::get_if<DisabledFeatureStatement>(&a.statement);
  ASSERT_NE(as, nullptr);
  EXPECT_EQ(as->kind, DisabledFeatureStatement::Kind::kAggregate);
  EXPECT_TRUE(as->if_not_exists);
  EXPECT_EQ(as->state_function, "st");
  EXPECT_EQ(as->state_type, "map<int, int>");
  EXPECT_EQ(as->argument_types, (std::vector<std::string>{"int", "text"}));
  auto v = MustParse(
      "CREATE MATERIALIZED VIEW ks.v AS SELECT * FROM t WHERE a IS NOT NULL PRIMARY KEY (a, k);");
  auto* vs = std::get_if<DisabledFeatureStatement>(&v.statement);
  ASSERT_NE(vs, nullptr);
  EXPECT_EQ(vs->kind, DisabledFeatureStatement::Kind::kMaterializedView);
  EXPECT_FALSE(ParseStatement("CREATE FUNCTION f (a int) RETURNS int LANGUAGE java AS 'x'").ok());
  EXPECT_FALSE(ParseStatement("CREATE AGGREGATE agg (int) STYPE int").ok());
  EXPECT_FALSE(ParseStatement("CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT * FROM t").ok());
}

}  // namespace
}  // namespace postfork::node::cql3
