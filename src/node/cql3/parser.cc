#include "node/cql3/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "node/cql3/auth_ast.h"
#include "node/cql3/functions/functions.h"
#include "node/cql3/lexer.h"
#include "node/cql_errors.h"
#include "postfork/base/ascii.h"

namespace postfork::node::cql3 {
namespace {

// Nesting of terms, selectors and types the parser follows: as deep as values and types go
// (cql::DataType::kMaxDepth), a bound on recursion for input from clients.
constexpr int kMaxTermDepth = cql::DataType::kMaxDepth;

class Parser {
 public:
  explicit Parser(std::string_view text) : source_(text), tokens_(Tokenize(text)) {}

  Result<ParsedStatement> ParseTop() {
    ParsedStatement out;
    PF_ASSIGN_OR_RETURN(out.statement, ParseOne(/*in_batch=*/false));
    if (Peek().IsPunct(";")) Next();
    if (Peek().kind != TokenKind::kEnd) return Unexpected("EOF");
    out.bind_count = static_cast<int>(bind_names_.size());
    out.bind_names = std::move(bind_names_);
    return out;
  }

 private:
  // ---- token helpers --------------------------------------------------------------------
  const Token& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool AcceptKeyword(std::string_view kw) {
    if (!Peek().IsKeyword(kw)) return false;
    Next();
    return true;
  }
  bool AcceptPunct(std::string_view p) {
    if (!Peek().IsPunct(p)) return false;
    Next();
    return true;
  }
  // The token as written (Cassandra's messages quote the input, not the folded form).
  std::string Display(const Token& t) const {
    if (t.kind == TokenKind::kEnd) return "<EOF>";
    return std::string(source_.substr(t.offset, std::min<size_t>(t.length, 64)));
  }
  Status Error(const Token& t, std::string what) const {
    return SyntaxError(fmt::format("line {}:{} {}", t.line, t.column, what));
  }
  // ANTLR's recognition errors as Cassandra's parser reports them: "line L:C message (snippet)";
  // at the end of the input with no position ("line 0:-1") and no snippet.
  Status RecognitionError(const Token& t, std::string what) const {
    if (t.kind == TokenKind::kEnd) return SyntaxError(fmt::format("line 0:-1 {}", what));
    return SyntaxError(fmt::format("line {}:{} {}{}", t.line, t.column, what, Snippet(t)));
  }
  // The query around `offending` as Cassandra's ErrorCollector quotes it: from ten tokens
  // before it (whitespace runs and comments count as tokens, as in ANTLR's token stream) to the
  // offending token itself (the last one the parser has looked at), bracketed, with "..." where
  // the query goes on; line breaks are dropped. `last` (after `offending`): the quote runs on to
  // it, as when ANTLR's prediction looked past the token it stands on.
  std::string Snippet(const Token& offending, const Token* last = nullptr) const {
    // Start offsets of the tokens the way ANTLR counts them, up to the offending one.
    std::vector<size_t> starts;
    size_t at = 0;
    for (const Token& tok : tokens_) {
      while (at < tok.offset) {  // the hidden tokens in the gap before `tok`
        starts.push_back(at);
        std::string_view rest = source_.substr(at, tok.offset - at);
        if (rest.substr(0, 2) == "/*") {
          size_t end = rest.find("*/");
          at += end == std::string_view::npos ? rest.size() : end + 2;
        } else if (rest.substr(0, 2) == "--" || rest.substr(0, 2) == "//") {
          size_t end = rest.find('\n');  // the line break is part of the comment token
          at += end == std::string_view::npos ? rest.size() : end + 1;
        } else {
          size_t end = rest.find_first_not_of(" \t\r\n");
          // A character no token covers (one the lexer rejected) is a token of its own.
          at += end == std::string_view::npos ? rest.size() : std::max<size_t>(end, 1);
        }
      }
      if (&tok == &offending) break;
      starts.push_back(tok.offset);
      at = tok.offset + tok.length;
    }
    size_t from = starts.size() > 10 ? starts[starts.size() - 10] : 0;
    const size_t offending_end = offending.offset + offending.length;
    const size_t end = last ? last->offset + last->length : offending_end;
    std::string out = from == 0 ? " (" : " (...";
    bool closed = false;
    for (size_t i = from; i < end; ++i) {
      if (i == offending.offset) out += '[';
      if (source_[i] != '\n') out += source_[i];
      if (i + 1 == offending_end) {
        out += ']';
        closed = true;
      }
    }
    if (!closed) out += ']';
    bool query_end = source_.find_first_not_of('\n', end) == std::string_view::npos;
    out += query_end ? ")" : "...)";
    return out;
  }
  Status Unexpected(std::string_view expecting) const {
    const Token& t = Peek();
    if (t.kind == TokenKind::kInvalid && t.mismatched_character) {
      return Error(t, fmt::format("mismatched character '{}' expecting set null", t.text));
    }
    if (t.kind == TokenKind::kInvalid) {
      return Error(t, fmt::format("no viable alternative at character '{}'",
                                  t.text.empty() ? std::string(" ") : t.text.substr(0, 1)));
    }
    if (t.kind == TokenKind::kEnd) {
      return RecognitionError(t, fmt::format("mismatched input '<EOF>' expecting {}", expecting));
    }
    return RecognitionError(
        t, fmt::format("mismatched input '{}' expecting {}", Display(t), expecting));
  }
  Status NoViable() const {
    const Token& t = Peek();
    return RecognitionError(t, fmt::format("no viable alternative at input '{}'", Display(t)));
  }
  // "no viable alternative" at the token after the next one, which ANTLR's prediction read
  // before it failed: the message names that token, the quote brackets the next one (where the
  // parser stands) and runs on to the failing one.
  Status NoViableAfterNext() const {
    const Token& at = Peek();
    const Token& failed = Peek(1);
    if (failed.kind == TokenKind::kEnd) return NoViable();
    return SyntaxError(fmt::format("line {}:{} no viable alternative at input '{}'{}", failed.line,
                                   failed.column, Display(failed), Snippet(at, &failed)));
  }
  // "no viable alternative" at the next token with Cassandra's query snippet (ErrorCollector),
  // for the errors where ANTLR has read no token past the offending one: up to ten tokens
  // before it, the token in brackets, "..." where the statement goes on either side.
  Status NoViableWithSnippet() const {
    const Token& t = Peek();
    const Token& from = tokens_[pos_ >= 10 ? pos_ - 10 : 0];
    // ANTLR measures a token by its text, which for a quoted identifier is unquoted.
    const size_t length = t.quoted ? t.text.size() : t.length;
    std::string text(source_.substr(from.offset, t.offset - from.offset));
    text += "[" + std::string(source_.substr(t.offset, length)) + "]";
    text.erase(std::remove(text.begin(), text.end(), '\n'), text.end());
    const bool at_start = from.offset == 0;
    const bool at_end = t.offset + length >= source_.size();
    return Error(t, fmt::format("no viable alternative at input '{}' ({}{}{})",
                                t.quoted ? t.text : Display(t), at_start ? "" : "...", text,
                                at_end ? "" : "..."));
  }
  Status ExpectKeyword(std::string_view kw) {
    if (AcceptKeyword(kw)) return Status::Ok();
    return Unexpected("K_" + ascii::Upper(kw));
  }
  Status ExpectPunct(std::string_view p) {
    if (AcceptPunct(p)) return Status::Ok();
    return Unexpected(fmt::format("'{}'", p));
  }

  // Reserved words cannot be unquoted identifiers.
  static bool IsReserved(std::string_view w) { return cql::IsReservedKeyword(w); }

  Result<std::string> Identifier() {
    const Token& t = Peek();
    if (t.kind == TokenKind::kIdentifier && (t.quoted || !IsReserved(t.text))) {
      Next();
      return t.text;
    }
    if (t.kind == TokenKind::kBoolean) return NoViable();
    return Unexpected("IDENT");
  }

  // Cassandra's keyspaceName: a reserved word is no alternative there, and a bind marker is
  // refused by name.
  Result<std::string> KeyspaceName() {
    const Token& t = Peek();
    if (t.IsPunct("?")) return SyntaxError("Bind variables cannot be used for keyspace names");
    if (t.kind == TokenKind::kIdentifier && !t.quoted && IsReserved(t.text)) return NoViable();
    return Identifier();
  }

  Result<TableName> ParseTableName() {
    TableName name;
    PF_ASSIGN_OR_RETURN(std::string first, Identifier());
    if (AcceptPunct(".")) {
      name.keyspace = std::move(first);
      PF_ASSIGN_OR_RETURN(name.name, Identifier());
    } else {
      name.name = std::move(first);
    }
    return name;
  }

  Status ParseIfNotExists(bool* flag) {
    if (Peek().IsKeyword("if")) {
      Next();
      PF_RETURN_IF_ERROR(ExpectKeyword("not"));
      PF_RETURN_IF_ERROR(ExpectKeyword("exists"));
      *flag = true;
    }
    return Status::Ok();
  }
  Status ParseIfExists(bool* flag) {
    if (Peek().IsKeyword("if")) {
      Next();
      PF_RETURN_IF_ERROR(ExpectKeyword("exists"));
      *flag = true;
    }
    return Status::Ok();
  }

  // ---- terms ----------------------------------------------------------------------------
  // A term: sums and differences of products of groups (Cassandra 5.0's termAddition,
  // termMultiplication, termGroup), left-associative, each operator a call of its operation
  // function. An operator counts only before the start of another term, so `[1] + l` (a list
  // prepend) ends the term at `+`.
  Result<Term> ParseTerm(int depth = 0) {
    if (depth > kMaxTermDepth) return Error(Peek(), "term nesting too deep");
    return ParseTermOperations(depth, /*additive=*/true);
  }

  // Left-associative operators of one precedence over operands of the next one down.
  Result<Term> ParseTermOperations(int depth, bool additive) {
    auto operand = [&](int d) {
      return additive ? ParseTermOperations(d, false) : ParseTermGroup(d);
    };
    PF_ASSIGN_OR_RETURN(Term left, operand(depth));
    for (std::string fn = OperationFunction(Peek(), additive); !fn.empty() && AtTermGroup(1);
         fn = OperationFunction(Peek(), additive)) {
      if (++depth > kMaxTermDepth) return Error(Peek(), "term nesting too deep");
      Next();
      PF_ASSIGN_OR_RETURN(Term right, operand(depth));
      left = OperationTerm(std::move(fn), std::move(left), std::move(right));
    }
    return left;
  }

  // The operation function of an additive (+ -) or multiplicative (* / %) operator, as
  // Cassandra's OperationFcts names them; empty for any other token.
  static std::string OperationFunction(const Token& t, bool additive) {
    if (t.kind != TokenKind::kPunct) return {};
    if (additive) return t.text == "+" ? "_add" : t.text == "-" ? "_substract" : "";
    return t.text == "*" ? "_multiply" : t.text == "/" ? "_divide" : t.text == "%" ? "_modulo" : "";
  }

  // `-simpleTerm` (a negation) or a simple term.
  Result<Term> ParseTermGroup(int depth) {
    if (Peek().IsPunct("-") && AtSimpleTerm(1)) {
      Next();
      PF_ASSIGN_OR_RETURN(Term inner, ParseSimpleTerm(depth + 1));
      Term neg;
      neg.kind = Term::Kind::kFunction;
      neg.text = "_negate";
      neg.elements.push_back(std::move(inner));
      return neg;
    }
    return ParseSimpleTerm(depth + 1);
  }

  static Term OperationTerm(std::string function, Term left, Term right) {
    Term op;
    op.kind = Term::Kind::kFunction;
    op.text = std::move(function);
    op.elements.push_back(std::move(left));
    op.elements.push_back(std::move(right));
    return op;
  }

  // Whether the token `ahead` starts a simple term: a literal, a marker, a collection, tuple or
  // user type literal, a cast, null or a function call.
  bool AtSimpleTerm(size_t ahead) const {
    const Token& t = Peek(ahead);
    switch (t.kind) {
      case TokenKind::kString:
      case TokenKind::kInteger:
      case TokenKind::kFloat:
      case TokenKind::kBoolean:
      case TokenKind::kUuid:
      case TokenKind::kHex:
      case TokenKind::kDuration:
        return true;
      case TokenKind::kIdentifier:
        return !t.quoted && (t.text == "null" || Peek(ahead + 1).IsPunct("("));
      case TokenKind::kPunct:
        return t.text == "?" || t.text == ":" || t.text == "(" || t.text == "[" || t.text == "{";
      default:
        return false;
    }
  }
  bool AtTermGroup(size_t ahead) const {
    return AtSimpleTerm(ahead) || (Peek(ahead).IsPunct("-") && AtSimpleTerm(ahead + 1));
  }

  // A literal, a marker, a function call or `(type) term` (Cassandra's simpleTerm). USING and
  // LIMIT values are simple terms, as Cassandra's intValue admits no operators.
  Result<Term> ParseSimpleTerm(int depth = 0) {
    if (depth > kMaxTermDepth) return Error(Peek(), "term nesting too deep");
    const Token& t = Peek();
    Term term;
    if (t.IsPunct("(")) {
      // `(type) term` is a type hint; otherwise a tuple literal follows.
      size_t saved = pos_;
      Next();
      auto type = ParseType(depth + 1);
      if (type.ok() && AcceptPunct(")") && AtSimpleTerm(0)) {
        term.kind = Term::Kind::kCast;
        term.text = std::move(*type);
        PF_ASSIGN_OR_RETURN(Term inner, ParseSimpleTerm(depth + 1));
        term.elements.push_back(std::move(inner));
        return term;
      }
      pos_ = saved;
    }
    switch (t.kind) {
      case TokenKind::kString:
        term.kind = Term::Kind::kString;
        break;
      case TokenKind::kInteger:
        term.kind = Term::Kind::kInteger;
        break;
      case TokenKind::kFloat:
        term.kind = Term::Kind::kFloat;
        break;
      case TokenKind::kBoolean:
        term.kind = Term::Kind::kBoolean;
        break;
      case TokenKind::kUuid:
        term.kind = Term::Kind::kUuid;
        break;
      case TokenKind::kHex:
        term.kind = Term::Kind::kHex;
        break;
      case TokenKind::kDuration:
        term.kind = Term::Kind::kDuration;
        break;
      case TokenKind::kIdentifier:
        if (!t.quoted && t.text == "null") {
          Next();
          term.kind = Term::Kind::kNull;
          return term;
        }
        if (Peek(1).IsPunct(".") && Peek(2).kind == TokenKind::kIdentifier &&
            Peek(3).IsPunct("(")) {
          // `ks.f(...)`: native functions live in the system keyspace; any other keyspace's
          // function is unknown here (no user-defined functions), named as written.
          std::string keyspace = Next().text;
          Next();
          term.kind = Term::Kind::kFunction;
          term.text = keyspace == "system" ? Peek().text : keyspace + "." + Peek().text;
        } else if (!t.quoted && Peek(1).IsPunct("(")) {
          term.kind = Term::Kind::kFunction;
          term.text = t.text;
        }
        if (term.kind == Term::Kind::kFunction) {
          Next();
          Next();
          if (!AcceptPunct(")")) {
            do {
              PF_ASSIGN_OR_RETURN(Term arg, ParseTerm(depth + 1));
              term.elements.push_back(std::move(arg));
            } while (AcceptPunct(","));
            PF_RETURN_IF_ERROR(ExpectPunct(")"));
          }
          return term;
        }
        return NoViable();
      case TokenKind::kPunct:
        if (t.text == "?") {
          Next();
          return Marker("");
        }
        if (t.text == ":") {
          Next();
          PF_ASSIGN_OR_RETURN(std::string name, Identifier());
          return Marker(name);
        }
        if (t.text == "(") {
          Next();
          term.kind = Term::Kind::kTuple;
          do {
            PF_ASSIGN_OR_RETURN(Term e, ParseTerm(depth + 1));
            term.elements.push_back(std::move(e));
          } while (AcceptPunct(","));
          PF_RETURN_IF_ERROR(ExpectPunct(")"));
          return term;
        }
        if (t.text == "[") {
          Next();
          term.kind = Term::Kind::kList;
          if (!AcceptPunct("]")) {
            do {
              PF_ASSIGN_OR_RETURN(Term e, ParseTerm(depth + 1));
              term.elements.push_back(std::move(e));
            } while (AcceptPunct(","));
            PF_RETURN_IF_ERROR(ExpectPunct("]"));
          }
          return term;
        }
        if (t.text == "{") {
          Next();
          if (Peek().kind == TokenKind::kIdentifier && Peek(1).IsPunct(":") &&
              (Peek().quoted || Peek().text != "null")) {
            return ParseUserTypeLiteral(depth);
          }
          term.kind = Term::Kind::kSetOrMap;
          if (!AcceptPunct("}")) {
            PF_ASSIGN_OR_RETURN(Term first, ParseTerm(depth + 1));
            term.is_map = Peek().IsPunct(":");
            term.elements.push_back(std::move(first));
            if (term.is_map) {
              Next();
              PF_ASSIGN_OR_RETURN(Term v, ParseTerm(depth + 1));
              term.elements.push_back(std::move(v));
            }
            while (AcceptPunct(",")) {
              PF_ASSIGN_OR_RETURN(Term k, ParseTerm(depth + 1));
              term.elements.push_back(std::move(k));
              if (term.is_map) {
                PF_RETURN_IF_ERROR(ExpectPunct(":"));
                PF_ASSIGN_OR_RETURN(Term v, ParseTerm(depth + 1));
                term.elements.push_back(std::move(v));
              }
            }
            PF_RETURN_IF_ERROR(ExpectPunct("}"));
          }
          return term;
        }
        return NoViable();
      default:
        return NoViable();
    }
    term.text = t.text;
    Next();
    return term;
  }

  // `{field: term, ...}` after the opening brace.
  Result<Term> ParseUserTypeLiteral(int depth) {
    Term term;
    term.kind = Term::Kind::kUserType;
    do {
      PF_ASSIGN_OR_RETURN(std::string field, Identifier());
      PF_RETURN_IF_ERROR(ExpectPunct(":"));
      PF_ASSIGN_OR_RETURN(Term v, ParseTerm(depth + 1));
      term.fields.push_back(std::move(field));
      term.elements.push_back(std::move(v));
    } while (AcceptPunct(","));
    PF_RETURN_IF_ERROR(ExpectPunct("}"));
    return term;
  }

  Term Marker(std::string name) {
    Term term;
    term.kind = Term::Kind::kBindMarker;
    term.bind_index = static_cast<int>(bind_names_.size());
    term.bind_name = name;
    bind_names_.push_back(std::move(name));
    return term;
  }

  // ---- WHERE ----------------------------------------------------------------------------
  Result<std::vector<Relation>> ParseWhere() {
    std::vector<Relation> out;
    do {
      PF_ASSIGN_OR_RETURN(Relation r, ParseRelation());
      out.push_back(std::move(r));
    } while (AcceptKeyword("and"));
    return out;
  }

  Result<Relation> ParseRelation() {
    Relation r;
    if (Peek().IsKeyword("token") && Peek(1).IsPunct("(")) {
      Next();
      Next();
      r.lhs = Relation::Lhs::kToken;
      do {
        PF_ASSIGN_OR_RETURN(std::string c, Identifier());
        r.columns.push_back(std::move(c));
      } while (AcceptPunct(","));
      PF_RETURN_IF_ERROR(ExpectPunct(")"));
    } else if (AcceptPunct("(")) {
      r.lhs = Relation::Lhs::kTuple;
      do {
        PF_ASSIGN_OR_RETURN(std::string c, Identifier());
        r.columns.push_back(std::move(c));
      } while (AcceptPunct(","));
      PF_RETURN_IF_ERROR(ExpectPunct(")"));
    } else {
      PF_ASSIGN_OR_RETURN(std::string c, Identifier());
      r.columns.push_back(std::move(c));
      if (AcceptPunct("[")) {
        PF_ASSIGN_OR_RETURN(Term key, ParseTerm());
        r.map_key = std::move(key);
        PF_RETURN_IF_ERROR(ExpectPunct("]"));
        PF_RETURN_IF_ERROR(ExpectPunct("="));
        PF_ASSIGN_OR_RETURN(r.value, ParseTerm());
        return r;
      }
      if (AcceptKeyword("is")) {
        PF_RETURN_IF_ERROR(ExpectKeyword("not"));
        PF_RETURN_IF_ERROR(ExpectKeyword("null"));
        r.op = Relation::Op::kIsNotNull;
        return r;
      }
    }
    PF_RETURN_IF_ERROR(ParseRelationRhs(&r));
    return r;
  }

  // The operator and value(s) of a relation or condition.
  Status ParseRelationRhs(Relation* out) {
    Relation& r = *out;
    const Token& op = Peek();
    if (op.kind == TokenKind::kPunct) {
      static const std::pair<std::string_view, Relation::Op> kOps[] = {
          {"=", Relation::Op::kEq}, {"<", Relation::Op::kLt},   {"<=", Relation::Op::kLte},
          {">", Relation::Op::kGt}, {">=", Relation::Op::kGte}, {"!=", Relation::Op::kNeq}};
      bool found = false;
      for (auto& [text, o] : kOps) {
        if (op.text == text) {
          r.op = o;
          found = true;
        }
      }
      if (!found) return NoViable();
      Next();
      PF_ASSIGN_OR_RETURN(r.value, ParseTerm());
      return Status::Ok();
    }
    if (AcceptKeyword("in")) {
      r.op = Relation::Op::kIn;
      if (Peek().IsPunct("?") || Peek().IsPunct(":")) {
        r.in_marker = true;
        PF_ASSIGN_OR_RETURN(r.value, ParseTerm());
        return Status::Ok();
      }
      PF_RETURN_IF_ERROR(ExpectPunct("("));
      if (!AcceptPunct(")")) {
        do {
          PF_ASSIGN_OR_RETURN(Term v, ParseTerm());
          r.in_values.push_back(std::move(v));
        } while (AcceptPunct(","));
        PF_RETURN_IF_ERROR(ExpectPunct(")"));
      }
      return Status::Ok();
    }
    if (AcceptKeyword("contains")) {
      r.op = AcceptKeyword("key") ? Relation::Op::kContainsKey : Relation::Op::kContains;
      PF_ASSIGN_OR_RETURN(r.value, ParseTerm());
      return Status::Ok();
    }
    if (AcceptKeyword("like")) {
      r.op = Relation::Op::kLike;
      PF_ASSIGN_OR_RETURN(r.value, ParseTerm());
      return Status::Ok();
    }
    return NoViable();
  }

  // ---- properties -----------------------------------------------------------------------
  Result<std::string> PropertyConstant() {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kString:
      case TokenKind::kInteger:
      case TokenKind::kFloat:
      case TokenKind::kBoolean:
      case TokenKind::kUuid:
      case TokenKind::kDuration:
        Next();
        return t.text;
      case TokenKind::kHex:  // a blob constant, e.g. an extensions value
        Next();
        return "0x" + t.text;
      case TokenKind::kIdentifier:
        if (!t.quoted) {
          Next();
          return t.text;
        }
        [[fallthrough]];
      default:
        return NoViable();
    }
  }

  // A constant as Cassandra's Constants.Literal.getText prints it: strings quoted.
  static std::string ConstantText(const Token& t) {
    if (t.kind == TokenKind::kString) return "'" + t.text + "'";
    if (t.kind == TokenKind::kHex) return "0x" + t.text;
    return t.text;
  }

  // The error for a property map entry that starts with NULL or a bind marker (`prefix`, the
  // term's text, `suffix`), or nullopt for anything else.
  std::optional<Status> NotAConstant(const std::string& prefix, const std::string& suffix) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kIdentifier && !t.quoted && t.text == "null") {
      return SyntaxError(prefix + "NULL" + suffix);
    }
    // Positional and named markers both print as `?` (AbstractMarker.Raw.getText).
    if (t.IsPunct("?") || (t.IsPunct(":") && Peek(1).kind == TokenKind::kIdentifier)) {
      return SyntaxError(prefix + "?" + suffix +
                         " (bind variables are not supported in DDL queries)");
    }
    // A bare word is no term there (only a function name, which needs its parenthesis):
    // ANTLR's prediction fails on the token after it.
    if (t.kind == TokenKind::kIdentifier && !Peek(1).IsPunct("(") && !Peek(1).IsPunct(".")) {
      return NoViableAfterNext();
    }
    return std::nullopt;
  }

  // `a TO b [AND c TO d ...]` (ALTER TABLE / ALTER TYPE ... RENAME).
  Status ParseRenames(std::vector<std::pair<std::string, std::string>>* renames) {
    do {
      PF_ASSIGN_OR_RETURN(std::string from, Identifier());
      PF_RETURN_IF_ERROR(ExpectKeyword("to"));
      PF_ASSIGN_OR_RETURN(std::string to, Identifier());
      renames->emplace_back(std::move(from), std::move(to));
    } while (AcceptKeyword("and"));
    return Status::Ok();
  }

  Status ParseProperty(Properties* props) {
    // noncol_ident: a reserved word is no alternative there.
    if (Peek().kind == TokenKind::kIdentifier && !Peek().quoted && IsReserved(Peek().text)) {
      return NoViable();
    }
    PF_ASSIGN_OR_RETURN(std::string name, Identifier());
    PF_RETURN_IF_ERROR(ExpectPunct("="));
    PropertyValue value;
    if (AcceptPunct("{")) {
      value.is_map = true;
      if (!AcceptPunct("}")) {
        do {
          // Cassandra's convertPropertyMap: a key or value that is a term but not a constant
          // (NULL, a bind marker) is refused with its text; a key given twice is refused.
          if (auto e = NotAConstant("Invalid property name: ", "")) return *e;
          const std::string key_text = ConstantText(Peek());
          PF_ASSIGN_OR_RETURN(std::string k, PropertyConstant());
          PF_RETURN_IF_ERROR(ExpectPunct(":"));
          if (auto e = NotAConstant("Invalid property value: ", " for property: " + key_text)) {
            return *e;
          }
          PF_ASSIGN_OR_RETURN(std::string v, PropertyConstant());
          if (!value.map.emplace(k, v).second) {
            return SyntaxError("Multiple definition for property " + k);
          }
        } while (AcceptPunct(","));
        PF_RETURN_IF_ERROR(ExpectPunct("}"));
      }
    } else {
      PF_ASSIGN_OR_RETURN(value.text, PropertyConstant());
    }
    if (props->count(name)) {
      return SyntaxError(fmt::format("Multiple definitions for property '{}'", name));
    }
    (*props)[name] = std::move(value);
    return Status::Ok();
  }

  // ---- types ----------------------------------------------------------------------------
  // Collects the type's source text (identifiers and <, >, commas) for DataType::Parse.
  Result<std::string> ParseType(int depth = 0) {
    if (depth > kMaxTermDepth) return Error(Peek(), "type nesting too deep");
    const Token& t = Peek();
    if (t.kind == TokenKind::kString) {  // custom type 'java.class'
      Next();
      return "'" + t.text + "'";
    }
    PF_ASSIGN_OR_RETURN(std::string name, AnyWord());
    if (!AcceptPunct("<")) {
      if (AcceptPunct(".")) {  // ks.udt
        PF_ASSIGN_OR_RETURN(std::string rest, AnyWord());
        return name + "." + rest;
      }
      return name;
    }
    std::string out = name + "<";
    if (name == "vector") {  // vector<type, INTEGER>: the dimension is parsed as a Java int
      PF_ASSIGN_OR_RETURN(std::string element, ParseType(depth + 1));
      if (Peek().IsPunct(">")) {
        // `vector<float>`: ANTLR's prediction of the type read past the '>', so the quote runs on
        // to the token after it.
        const Token& t = Peek();
        return SyntaxError(fmt::format("line {}:{} mismatched input '>' expecting ','{}", t.line,
                                       t.column, Snippet(t, &Peek(1))));
      }
      PF_RETURN_IF_ERROR(ExpectPunct(","));
      const Token& d = Peek();
      if (d.kind != TokenKind::kInteger) return Unexpected("INTEGER");
      Next();
      errno = 0;
      long long dimension = std::strtoll(d.text.c_str(), nullptr, 10);
      if (errno == ERANGE || dimension > INT32_MAX || dimension < INT32_MIN) {
        return SyntaxError(
            fmt::format("Failed parsing statement: [{}] reason: NumberFormatException For input "
                        "string: \"{}\"",
                        source_, d.text));
      }
      PF_RETURN_IF_ERROR(ExpectPunct(">"));
      return out + element + ", " + d.text + ">";
    }
    bool first = true;
    do {
      if (!first) out += ", ";
      first = false;
      // frozen<> wraps a level, it is not one.
      PF_ASSIGN_OR_RETURN(std::string inner, ParseType(name == "frozen" ? depth : depth + 1));
      out += inner;
    } while (AcceptPunct(","));
    PF_RETURN_IF_ERROR(ExpectPunct(">"));
    return out + ">";
  }
  Result<std::string> AnyWord() {
    const Token& t = Peek();
    if (t.kind != TokenKind::kIdentifier) return Unexpected("IDENT");
    Next();
    return t.quoted ? "\"" + t.text + "\"" : t.text;
  }

  // ---- statements -----------------------------------------------------------------------
  // DESCRIBE | DESC, then CLUSTER | [FULL] SCHEMA | KEYSPACES | [ONLY] KEYSPACE [ks] | TABLES |
  // (TABLE | COLUMNFAMILY) name | INDEX name | MATERIALIZED VIEW name | TYPES | TYPE name |
  // FUNCTIONS | FUNCTION name | AGGREGATES | AGGREGATE name | name, then [WITH INTERNALS]
  // (Cassandra's describeStatement rule: a listing keyword wins over a generic name).
  Result<Statement> ParseDescribe() {
    Next();
    using Kind = DescribeStatement::Kind;
    DescribeStatement s;
    auto named = [&](Kind kind) -> Status {
      Next();
      s.kind = kind;
      PF_ASSIGN_OR_RETURN(TableName name, ParseTableName());
      s.keyspace = std::move(name.keyspace);
      s.name = std::move(name.name);
      return Status::Ok();
    };
    const Token& t = Peek();
    bool keyword = t.kind == TokenKind::kIdentifier && !t.quoted;
    if (keyword && t.text == "cluster") {
      Next();
      s.kind = Kind::kCluster;
    } else if (keyword && (t.text == "full" || t.text == "schema")) {
      s.full = AcceptKeyword("full");
      PF_RETURN_IF_ERROR(ExpectKeyword("schema"));
      s.kind = Kind::kSchema;
    } else if (keyword && t.text == "keyspaces") {
      Next();
      s.kind = Kind::kKeyspaces;
    } else if (keyword && (t.text == "only" || t.text == "keyspace")) {
      s.only = AcceptKeyword("only");
      PF_RETURN_IF_ERROR(ExpectKeyword("keyspace"));
      s.kind = Kind::kKeyspace;
      const Token& ks = Peek();
      if (ks.kind == TokenKind::kIdentifier && (ks.quoted || !IsReserved(ks.text))) {
        PF_ASSIGN_OR_RETURN(s.keyspace, Identifier());
      }
    } else if (keyword && t.text == "tables") {
      Next();
      s.kind = Kind::kTables;
    } else if (keyword && (t.text == "table" || t.text == "columnfamily")) {
      PF_RETURN_IF_ERROR(named(Kind::kTable));
    } else if (keyword && t.text == "index") {
      PF_RETURN_IF_ERROR(named(Kind::kIndex));
    } else if (keyword && t.text == "materialized") {
      Next();
      if (!Peek().IsKeyword("view")) return Unexpected("K_VIEW");
      PF_RETURN_IF_ERROR(named(Kind::kMaterializedView));
    } else if (keyword && t.text == "types") {
      Next();
      s.kind = Kind::kTypes;
    } else if (keyword && t.text == "type") {
      PF_RETURN_IF_ERROR(named(Kind::kType));
    } else if (keyword && t.text == "functions") {
      Next();
      s.kind = Kind::kFunctions;
    } else if (keyword && t.text == "function") {
      PF_RETURN_IF_ERROR(named(Kind::kFunction));
    } else if (keyword && t.text == "aggregates") {
      Next();
      s.kind = Kind::kAggregates;
    } else if (keyword && t.text == "aggregate") {
      PF_RETURN_IF_ERROR(named(Kind::kAggregate));
    } else {
      if (t.kind != TokenKind::kIdentifier || (!t.quoted && IsReserved(t.text))) return NoViable();
      s.kind = Kind::kGeneric;
      PF_ASSIGN_OR_RETURN(TableName name, ParseTableName());
      s.keyspace = std::move(name.keyspace);
      s.name = std::move(name.name);
    }
    if (AcceptKeyword("with")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("internals"));
      s.with_internals = true;
    }
    return Statement(std::move(s));
  }

  Result<Statement> ParseOne(bool in_batch) {
    const Token& t = Peek();
    if (t.kind != TokenKind::kIdentifier || t.quoted) return NoViable();
    if (in_batch && !(t.text == "insert" || t.text == "update" || t.text == "delete")) {
      return Unexpected("K_APPLY");
    }
    if (t.text == "select") return ParseSelect();
    if (t.text == "insert") return ParseInsert();
    if (t.text == "update") return ParseUpdate();
    if (t.text == "delete") return ParseDelete();
    if (t.text == "use") {
      Next();
      UseStatement s;
      PF_ASSIGN_OR_RETURN(s.keyspace, KeyspaceName());
      return Statement(std::move(s));
    }
    if (t.text == "begin") return ParseBatch();
    if (t.text == "create") return ParseCreate();
    if (t.text == "alter") return ParseAlter();
    if (t.text == "drop") return ParseDrop();
    if (t.text == "grant" || t.text == "revoke") return ParsePermissionChange();
    if (t.text == "list") return ParseList();
    if (t.text == "describe" || t.text == "desc") return ParseDescribe();
    if (t.text == "truncate") {
      Next();
      AcceptKeyword("table");
      TruncateStatement s;
      PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
      return Statement(std::move(s));
    }
    return NoViable();
  }

  Status ParseUsing(UsingClause* u) {
    if (!AcceptKeyword("using")) return Status::Ok();
    do {
      if (AcceptKeyword("timestamp")) {
        PF_ASSIGN_OR_RETURN(Term v, ParseSimpleTerm());
        u->timestamp = std::move(v);
      } else if (AcceptKeyword("ttl")) {
        PF_ASSIGN_OR_RETURN(Term v, ParseSimpleTerm());
        u->ttl = std::move(v);
      } else {
        return Unexpected("K_TIMESTAMP");
      }
    } while (AcceptKeyword("and"));
    return Status::Ok();
  }

  Result<Statement> ParseSelect() {
    Next();  // SELECT
    SelectStatement s;
    if (AcceptKeyword("json")) s.json = true;
    if (Peek().IsKeyword("distinct") && !Peek(1).IsKeyword("from") && !Peek(1).IsPunct(",")) {
      Next();
      s.distinct = true;
    }
    if (AcceptPunct("*")) {
      s.select_star = true;
    } else {
      do {
        PF_ASSIGN_OR_RETURN(Selector sel, ParseSelector());
        s.selectors.push_back(std::move(sel));
      } while (AcceptPunct(","));
    }
    PF_RETURN_IF_ERROR(ExpectKeyword("from"));
    PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
    if (AcceptKeyword("where")) {
      PF_ASSIGN_OR_RETURN(s.where, ParseWhere());
    }
    if (AcceptKeyword("group")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("by"));
      do {
        PF_ASSIGN_OR_RETURN(Selector sel, ParseSelector(0, /*allow_alias=*/false));
        s.group_by.push_back(std::move(sel));
      } while (AcceptPunct(","));
    }
    if (AcceptKeyword("order")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("by"));
      do {
        PF_ASSIGN_OR_RETURN(std::string c, Identifier());
        std::optional<Term> ann_vector;
        if (AcceptKeyword("ann")) {
          PF_RETURN_IF_ERROR(ExpectKeyword("of"));
          PF_ASSIGN_OR_RETURN(ann_vector, ParseTerm());
        }
        bool desc = false;
        if (AcceptKeyword("desc")) {
          desc = true;
        } else {
          AcceptKeyword("asc");
        }
        if (ann_vector) {
          s.ann.push_back(SelectStatement::AnnOrdering{std::move(c), std::move(*ann_vector), desc});
        } else {
          s.order_by.emplace_back(std::move(c), desc);
        }
      } while (AcceptPunct(","));
    }
    if (AcceptKeyword("per")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("partition"));
      PF_RETURN_IF_ERROR(ExpectKeyword("limit"));
      PF_ASSIGN_OR_RETURN(Term v, ParseSimpleTerm());
      s.per_partition_limit = std::move(v);
    }
    if (AcceptKeyword("limit")) {
      PF_ASSIGN_OR_RETURN(Term v, ParseSimpleTerm());
      s.limit = std::move(v);
    }
    if (AcceptKeyword("allow")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("filtering"));
      s.allow_filtering = true;
    }
    return Statement(std::move(s));
  }

  // Whether a selector starts with a term (a literal, a marker or a `(type)` cast): a simple
  // term that is no function call.
  bool AtTermSelector() const {
    const Token& t = Peek();
    return AtSimpleTerm(0) && (t.kind != TokenKind::kIdentifier || t.text == "null");
  }

  // `term` or `(type) term` as a selector.
  Result<Selector> ParseTermSelector(int depth) {
    Selector sel;
    sel.kind = Selector::Kind::kTerm;
    if (Peek().IsPunct("(")) {
      // A cast `(type) term`, else a tuple literal.
      size_t saved = pos_;
      Next();
      auto type = ParseType(depth + 1);
      if (type.ok() && AcceptPunct(")")) {
        sel.cast_type = *type;
      } else {
        pos_ = saved;
      }
    }
    const Token& first = Peek();
    PF_ASSIGN_OR_RETURN(sel.term, ParseSimpleTerm(depth + 1));
    const Token& last = tokens_[pos_ > 0 ? pos_ - 1 : 0];
    size_t end = std::max(last.offset + last.length, first.offset);
    std::string text(source_.substr(first.offset, end - first.offset));
    if (sel.term.kind == Term::Kind::kNull) text = "NULL";  // Cassandra's text of null
    sel.term_text = sel.cast_type.empty() ? text : "(" + sel.cast_type + ")" + text;
    return sel;
  }

  // A selector with its alias: sums and differences of products of groups (Cassandra 5.0's
  // selectionAddition, selectionMultiplication, selectionGroup), left-associative.
  Result<Selector> ParseSelector(int depth = 0, bool allow_alias = true) {
    if (depth > kMaxTermDepth) return Error(Peek(), "selector nesting too deep");
    PF_ASSIGN_OR_RETURN(Selector sel, ParseSelectionOperations(depth, true));
    if (allow_alias && AcceptKeyword("as")) {
      PF_ASSIGN_OR_RETURN(sel.alias, Identifier());
    }
    return sel;
  }

  static Selector Operation(std::string function, Selector left, std::optional<Selector> right) {
    Selector op;
    op.kind = Selector::Kind::kOperation;
    op.function = std::move(function);
    op.args.push_back(std::move(left));
    if (right) op.args.push_back(std::move(*right));
    return op;
  }

  // Left-associative operators of one precedence over operands of the next one down, as
  // ParseTermOperations for terms.
  Result<Selector> ParseSelectionOperations(int depth, bool additive) {
    auto operand = [&](int d) {
      return additive ? ParseSelectionOperations(d, false) : ParseSelectionGroup(d);
    };
    PF_ASSIGN_OR_RETURN(Selector left, operand(depth));
    for (std::string fn = OperationFunction(Peek(), additive); !fn.empty();
         fn = OperationFunction(Peek(), additive)) {
      if (++depth > kMaxTermDepth) return Error(Peek(), "selector nesting too deep");
      Next();
      PF_ASSIGN_OR_RETURN(Selector right, operand(depth));
      left = Operation(std::move(fn), std::move(left), std::move(right));
    }
    return left;
  }

  // `-group`, or a group with its field, element and slice selections (Cassandra's
  // selectionGroup).
  Result<Selector> ParseSelectionGroup(int depth) {
    if (++depth > kMaxTermDepth) return Error(Peek(), "selector nesting too deep");
    if (AcceptPunct("-")) {
      PF_ASSIGN_OR_RETURN(Selector inner, ParseSelectionGroup(depth));
      return Operation("_negate", std::move(inner), std::nullopt);
    }
    PF_ASSIGN_OR_RETURN(Selector group, ParseSelectionGroupWithoutField(depth));
    return ParseSubselections(std::move(group), depth);
  }

  // Whether the next token starts a selector group that is no term: a column, a function call
  // or a parenthesized selector (what a type hint may apply to besides a term). `(a) AS x` is
  // an alias, as in Cassandra.
  bool AtNonTermGroup() const {
    const Token& t = Peek();
    if (t.IsPunct("(")) return true;
    if (t.kind != TokenKind::kIdentifier) return false;
    if (t.quoted || Peek(1).IsPunct("(")) return true;
    return !IsReserved(t.text) && !t.IsKeyword("as");
  }

  // `(type) group` (a type hint), `(type) term` (a cast term), `(selector)`, `(a, b)` (a tuple
  // literal) or one selector of the other forms (Cassandra's selectionGroupWithoutField).
  Result<Selector> ParseSelectionGroupWithoutField(int depth) {
    if (++depth > kMaxTermDepth) return Error(Peek(), "selector nesting too deep");
    if (Peek().IsPunct("(")) {
      size_t saved = pos_;
      size_t saved_binds = bind_names_.size();
      Next();
      auto type = ParseType(depth + 1);
      if (type.ok() && AcceptPunct(")")) {
        const size_t after = pos_;
        if (AtTermSelector()) {
          pos_ = saved;
          auto term = ParseTermSelector(depth);
          if (term.ok()) return term;
          pos_ = after;  // `(int)(ck)`: no term follows, a hinted group may
          bind_names_.resize(saved_binds);
        }
        if (AtNonTermGroup()) {
          Selector hint;
          hint.kind = Selector::Kind::kTypeHint;
          hint.cast_type = std::move(*type);
          PF_ASSIGN_OR_RETURN(Selector inner, ParseSelectionGroupWithoutField(depth));
          hint.args.push_back(std::move(inner));
          return hint;
        }
      }
      pos_ = saved;
      bind_names_.resize(saved_binds);
      Next();
      auto inner = ParseSelectionOperations(depth, true);
      if (inner.ok() && AcceptPunct(")")) {
        ++inner->parentheses;
        return std::move(*inner);
      }
      if (inner.ok() && Peek().IsPunct(",")) {
        // `(a, b)`: a tuple of selectors (Cassandra's selectionTupleOrNestedSelector).
        Selector tuple;
        tuple.kind = Selector::Kind::kTuple;
        tuple.args.push_back(std::move(*inner));
        PF_RETURN_IF_ERROR(ParseSelectorElements(depth, ")", &tuple));
        return tuple;
      }
      pos_ = saved;  // a tuple literal: parsed again as a term, its markers with it
      bind_names_.resize(saved_binds);
    }
    if (Peek().IsPunct("[") || Peek().IsPunct("{")) {
      // A literal of terms stays a term; otherwise a list, set or map of selectors
      // (Cassandra's selectionList and selectionMapOrSet).
      size_t saved = pos_;
      size_t saved_binds = bind_names_.size();
      auto term = ParseTermSelector(depth);
      if (term.ok()) return term;
      pos_ = saved;
      bind_names_.resize(saved_binds);
      Selector composite;
      composite.kind = Peek().IsPunct("[") ? Selector::Kind::kList : Selector::Kind::kSet;
      Next();
      const char* close = composite.kind == Selector::Kind::kList ? "]" : "}";
      if (AcceptPunct(close)) return composite;
      PF_ASSIGN_OR_RETURN(Selector first, ParseSelectionOperations(depth, true));
      composite.args.push_back(std::move(first));
      if (composite.kind == Selector::Kind::kSet && AcceptPunct(":")) {
        composite.kind = Selector::Kind::kMap;
        PF_ASSIGN_OR_RETURN(Selector v, ParseSelectionOperations(depth, true));
        composite.args.push_back(std::move(v));
      }
      PF_RETURN_IF_ERROR(ParseSelectorElements(depth, close, &composite));
      return composite;
    }
    return ParseSimpleSelector(depth);
  }

  // `, element ...` up to `close` after a composite's first element (a map's elements are
  // `key: value`).
  Status ParseSelectorElements(int depth, const char* close, Selector* composite) {
    while (AcceptPunct(",")) {
      PF_ASSIGN_OR_RETURN(Selector e, ParseSelectionOperations(depth, true));
      composite->args.push_back(std::move(e));
      if (composite->kind == Selector::Kind::kMap) {
        PF_RETURN_IF_ERROR(ExpectPunct(":"));
        PF_ASSIGN_OR_RETURN(Selector v, ParseSelectionOperations(depth, true));
        composite->args.push_back(std::move(v));
      }
    }
    return ExpectPunct(close);
  }

  // A term, a function call or a column (Cassandra's simpleUnaliasedSelector).
  Result<Selector> ParseSimpleSelector(int depth) {
    Selector sel;
    if (AtTermSelector()) return ParseTermSelector(depth);
    // `system.f(...)`: native functions live in the system keyspace.
    if (Peek().kind == TokenKind::kIdentifier && !Peek().quoted && Peek().text == "system" &&
        Peek(1).IsPunct(".") && Peek(2).kind == TokenKind::kIdentifier && Peek(3).IsPunct("(")) {
      Next();
      Next();
    }
    const Token& t = Peek();
    if (t.kind == TokenKind::kIdentifier && !t.quoted && Peek(1).IsPunct("(")) {
      std::string fn = t.text;
      Next();
      Next();
      if (fn == "count") {
        if (AcceptPunct("*") ||
            (Peek().kind == TokenKind::kInteger && Peek().text == "1" && (Next(), true))) {
          sel.kind = Selector::Kind::kCountStar;
        } else {
          sel.kind = Selector::Kind::kCount;
          // `count(DISTINCT v)`: no alternative reads a name after a name.
          if (Peek().kind == TokenKind::kIdentifier && Peek(1).kind == TokenKind::kIdentifier) {
            return NoViableAfterNext();
          }
          PF_ASSIGN_OR_RETURN(std::string c, Identifier());
          sel.columns.push_back(std::move(c));
        }
      } else if (fn == "min" || fn == "max" || fn == "sum" || fn == "avg") {
        sel.kind = Selector::Kind::kAggregate;
        sel.function = fn;
        PF_ASSIGN_OR_RETURN(Selector arg, ParseSelector(depth + 1, /*allow_alias=*/false));
        if (arg.kind == Selector::Kind::kColumn && arg.parentheses == 0) {
          sel.columns = std::move(arg.columns);
        } else {
          sel.args.push_back(std::move(arg));  // a function call, field, element, ...
        }
      } else if (fn == "token") {
        sel.kind = Selector::Kind::kToken;
        do {
          PF_ASSIGN_OR_RETURN(std::string c, Identifier());
          sel.columns.push_back(std::move(c));
        } while (AcceptPunct(","));
      } else if (fn == "writetime" || fn == "maxwritetime" || fn == "ttl") {
        // A column, or an element, slice or field of one.
        sel.kind = fn == "writetime"      ? Selector::Kind::kWritetime
                   : fn == "maxwritetime" ? Selector::Kind::kMaxWritetime
                                          : Selector::Kind::kTtl;
        Selector column;
        PF_ASSIGN_OR_RETURN(column.columns.emplace_back(), Identifier());
        PF_ASSIGN_OR_RETURN(column, ParseSubselections(std::move(column), depth));
        if (column.kind == Selector::Kind::kColumn) {
          sel.columns = std::move(column.columns);
        } else {
          sel.args.push_back(std::move(column));
        }
      } else if (fn == "cast") {
        sel.kind = Selector::Kind::kFunction;
        sel.function = fn;
        PF_ASSIGN_OR_RETURN(Selector arg, ParseSelector(depth + 1, /*allow_alias=*/false));
        sel.args.push_back(std::move(arg));
        PF_RETURN_IF_ERROR(ExpectKeyword("as"));
        // Cassandra's grammar takes a native type name here, and nothing else.
        static constexpr std::string_view kNativeTypes[] = {
            "ascii",  "bigint",    "blob",     "boolean", "counter", "date",     "decimal",
            "double", "duration",  "float",    "inet",    "int",     "smallint", "text",
            "time",   "timestamp", "timeuuid", "tinyint", "uuid",    "varchar",  "varint"};
        const Token& type = Peek();
        if (type.kind != TokenKind::kIdentifier || type.quoted ||
            std::find(std::begin(kNativeTypes), std::end(kNativeTypes), type.text) ==
                std::end(kNativeTypes)) {
          return NoViableWithSnippet();
        }
        PF_ASSIGN_OR_RETURN(sel.cast_type, ParseType());
      } else {
        // Unknown names are refused when the selection is prepared (InvalidRequest, as in
        // Cassandra, not a syntax error).
        sel.kind = Selector::Kind::kFunction;
        sel.function = fn;
        if (!Peek().IsPunct(")")) {
          do {
            if (sel.args.size() >= 8) return Error(Peek(), "too many function arguments");
            PF_ASSIGN_OR_RETURN(Selector arg, ParseSelector(depth + 1, /*allow_alias=*/false));
            sel.args.push_back(std::move(arg));
          } while (AcceptPunct(","));
        }
      }
      PF_RETURN_IF_ERROR(ExpectPunct(")"));
    } else {
      PF_ASSIGN_OR_RETURN(std::string c, Identifier());
      sel.columns.push_back(std::move(c));
    }
    return sel;
  }

  // A term inside `[...]` and its text as written (Cassandra names selections by it).
  Result<std::pair<Term, std::string>> ParseSubscriptTerm(int depth) {
    const Token& first = Peek();
    PF_ASSIGN_OR_RETURN(Term term, ParseTerm(depth + 1));
    const Token& last = tokens_[pos_ > 0 ? pos_ - 1 : 0];
    size_t end = std::max(last.offset + last.length, first.offset);
    return std::make_pair(std::move(term),
                          std::string(source_.substr(first.offset, end - first.offset)));
  }

  // `.f` (a field of a user type value), `[k]` (an element) and `[a..b]`, `[..b]`, `[a..]`
  // (a slice) after a selector, any number of times: `m[1].f`, `u.m['k']`.
  Result<Selector> ParseSubselections(Selector sel, int depth) {
    while (Peek().IsPunct(".") || Peek().IsPunct("[")) {
      if (++depth > kMaxTermDepth) return Error(Peek(), "selector nesting too deep");
      Selector outer;
      if (AcceptPunct(".")) {
        outer.kind = Selector::Kind::kField;
        PF_ASSIGN_OR_RETURN(outer.function, Identifier());
      } else {
        Next();  // [
        std::optional<std::pair<Term, std::string>> first;
        if (!Peek().IsPunct("..")) {
          PF_ASSIGN_OR_RETURN(first, ParseSubscriptTerm(depth));
        }
        if (AcceptPunct("..")) {
          outer.kind = Selector::Kind::kSlice;
          if (first) {
            outer.slice_from = std::move(first->first);
            outer.slice_from_text = std::move(first->second);
          }
          if (!Peek().IsPunct("]")) {
            PF_ASSIGN_OR_RETURN(auto to, ParseSubscriptTerm(depth));
            outer.slice_to = std::move(to.first);
            outer.slice_to_text = std::move(to.second);
          }
        } else {
          if (!first) return Unexpected("a term");
          outer.kind = Selector::Kind::kElement;
          outer.term = std::move(first->first);
          outer.term_text = std::move(first->second);
        }
        PF_RETURN_IF_ERROR(ExpectPunct("]"));
      }
      outer.args.push_back(std::move(sel));
      sel = std::move(outer);
    }
    return sel;
  }

  Result<Statement> ParseInsert() {
    Next();  // INSERT
    PF_RETURN_IF_ERROR(ExpectKeyword("into"));
    InsertStatement s;
    PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
    if (AcceptKeyword("json")) {
      PF_ASSIGN_OR_RETURN(s.json, ParseTerm());
      if (AcceptKeyword("default")) {
        if (AcceptKeyword("unset")) {
          s.json_default_unset = true;
        } else if (Peek().IsKeyword("null")) {
          Next();
        } else {
          return Unexpected("NULL or UNSET");
        }
      }
      PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
      PF_RETURN_IF_ERROR(ParseUsing(&s.using_clause));
      return Statement(std::move(s));
    }
    PF_RETURN_IF_ERROR(ExpectPunct("("));
    do {
      PF_ASSIGN_OR_RETURN(std::string c, Identifier());
      s.columns.push_back(std::move(c));
    } while (AcceptPunct(","));
    PF_RETURN_IF_ERROR(ExpectPunct(")"));
    PF_RETURN_IF_ERROR(ExpectKeyword("values"));
    PF_RETURN_IF_ERROR(ExpectPunct("("));
    do {
      // A name is no value: ANTLR's prediction fails at the token after it (`VALUES (1, P1d)`).
      const Token& first = Peek();
      if (first.kind == TokenKind::kIdentifier && !first.quoted && first.text != "null" &&
          !Peek(1).IsPunct("(") && !Peek(1).IsPunct(".")) {
        return NoViableAfterNext();
      }
      PF_ASSIGN_OR_RETURN(Term v, ParseTerm());
      s.values.push_back(std::move(v));
      // A negative literal right after a value (`1y-2mo`) is no operator of term arithmetic.
      const Token& next = Peek();
      if ((next.kind == TokenKind::kInteger || next.kind == TokenKind::kFloat ||
           next.kind == TokenKind::kDuration) &&
          !next.text.empty() && next.text[0] == '-') {
        return NoViable();
      }
    } while (AcceptPunct(","));
    PF_RETURN_IF_ERROR(ExpectPunct(")"));
    PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
    PF_RETURN_IF_ERROR(ParseUsing(&s.using_clause));
    return Statement(std::move(s));
  }

  // Whether the next token is the identifier `column` (already case-folded by the lexer).
  bool PeekColumn(const std::string& column) const {
    const Token& t = Peek();
    return t.kind == TokenKind::kIdentifier && t.text == column;
  }

  // `c = v`, `c = c + v`, `c = c - v`, `c = v + c`, `c[k] = v`, and the shorthands `c += v`,
  // `c -= v` (Cassandra's shorthandColumnOperation).
  Result<Assignment> ParseAssignment() {
    Assignment a;
    PF_ASSIGN_OR_RETURN(a.column, Identifier());
    if (Peek().IsPunct("+=") || Peek().IsPunct("-=")) {
      a.op = Next().IsPunct("+=") ? Assignment::Op::kAdd : Assignment::Op::kSubtract;
      PF_ASSIGN_OR_RETURN(a.value, ParseTerm());
      return a;
    }
    if (AcceptPunct(".")) {
      PF_ASSIGN_OR_RETURN(a.field, Identifier());
      a.op = Assignment::Op::kSetField;
      PF_RETURN_IF_ERROR(ExpectPunct("="));
      PF_ASSIGN_OR_RETURN(a.value, ParseTerm());
      return a;
    }
    if (AcceptPunct("[")) {
      PF_ASSIGN_OR_RETURN(a.key, ParseTerm());
      PF_RETURN_IF_ERROR(ExpectPunct("]"));
      a.op = Assignment::Op::kSetElement;
      PF_RETURN_IF_ERROR(ExpectPunct("="));
      PF_ASSIGN_OR_RETURN(a.value, ParseTerm());
      return a;
    }
    PF_RETURN_IF_ERROR(ExpectPunct("="));
    // `c = c -2`: the lexer reads `-2` as one integer, as Cassandra's does; its grammar takes
    // the pair as a subtraction.
    if (Peek().kind == TokenKind::kIdentifier && Peek(1).kind == TokenKind::kInteger &&
        Peek(1).text.starts_with("-")) {
      if (!PeekColumn(a.column)) {
        return SyntaxError("Only expressions of the form X = X - <value> are supported.");
      }
      Next();
      a.op = Assignment::Op::kSubtract;
      a.value.kind = Term::Kind::kInteger;
      a.value.text = Next().text.substr(1);
      return a;
    }
    // (`c = null + c` is a prepend: an unquoted null is the literal, not a column.)
    const bool null_literal = !Peek().quoted && Peek().text == "null";
    if (Peek().kind == TokenKind::kIdentifier && !null_literal &&
        (Peek(1).IsPunct("+") || Peek(1).IsPunct("-"))) {
      // `c = other + v`: Cassandra's parser reports the form it supports (no line prefix).
      if (!PeekColumn(a.column)) {
        return SyntaxError(fmt::format(
            "Only expressions of the form X = X {}<value> are supported.", Peek(1).text));
      }
      Next();
      a.op = Next().IsPunct("+") ? Assignment::Op::kAdd : Assignment::Op::kSubtract;
      PF_ASSIGN_OR_RETURN(a.value, ParseTerm());
      return a;
    }
    PF_ASSIGN_OR_RETURN(a.value, ParseTerm());
    if (AcceptPunct("+")) {
      if (!PeekColumn(a.column)) {
        return Error(Peek(), "Only expressions of the form X = <value> + X are supported.");
      }
      Next();
      a.op = Assignment::Op::kPrepend;
    } else if (Peek().IsPunct("-")) {
      return Error(Peek(), "Only expressions of the form X = X - <value> are supported.");
    }
    return a;
  }

  // `IF EXISTS` or `IF cond AND cond ...` after an UPDATE's or DELETE's WHERE clause.
  Status ParseConditions(bool* if_exists, std::vector<Condition>* conditions) {
    if (!AcceptKeyword("if")) return Status::Ok();
    if (Peek().IsKeyword("exists")) {
      // `IF EXISTS AND ...`: EXISTS is neither the whole clause nor a condition's column.
      if (Peek(1).IsKeyword("and")) return NoViableAfterNext();
      Next();
      *if_exists = true;
      return Status::Ok();
    }
    do {
      Condition c;
      PF_ASSIGN_OR_RETURN(std::string column, Identifier());
      c.relation.columns.push_back(std::move(column));
      if (AcceptPunct(".")) {
        PF_ASSIGN_OR_RETURN(c.field, Identifier());
      } else if (AcceptPunct("[")) {
        PF_ASSIGN_OR_RETURN(c.element, ParseTerm());
        PF_RETURN_IF_ERROR(ExpectPunct("]"));
      }
      // Cassandra's grammar takes CONTAINS on a whole column only.
      if ((c.element || !c.field.empty()) && Peek().IsKeyword("contains")) return NoViable();
      PF_RETURN_IF_ERROR(ParseRelationRhs(&c.relation));
      conditions->push_back(std::move(c));
    } while (AcceptKeyword("and"));
    return Status::Ok();
  }

  Result<Statement> ParseUpdate() {
    Next();  // UPDATE
    UpdateStatement s;
    PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
    PF_RETURN_IF_ERROR(ParseUsing(&s.using_clause));
    PF_RETURN_IF_ERROR(ExpectKeyword("set"));
    do {
      PF_ASSIGN_OR_RETURN(Assignment a, ParseAssignment());
      // Cassandra's Operation.RawUpdate.isCompatibleWith: a plain `c = v` goes with no other
      // operation on `c`, and a user type field is set once.
      using Op = Assignment::Op;
      for (const Assignment& earlier : s.assignments) {
        if (earlier.column != a.column) continue;
        if (earlier.op == Op::kSet || a.op == Op::kSet ||
            (earlier.op == Op::kSetField && a.op == Op::kSetField && earlier.field == a.field)) {
          return SyntaxError("Multiple incompatible setting of column " + a.column);
        }
      }
      s.assignments.push_back(std::move(a));
    } while (AcceptPunct(","));
    PF_RETURN_IF_ERROR(ExpectKeyword("where"));
    PF_ASSIGN_OR_RETURN(s.where, ParseWhere());
    PF_RETURN_IF_ERROR(ParseConditions(&s.if_exists, &s.conditions));
    return Statement(std::move(s));
  }

  Result<Statement> ParseDelete() {
    Next();  // DELETE
    DeleteStatement s;
    if (!Peek().IsKeyword("from")) {
      do {
        PF_ASSIGN_OR_RETURN(std::string c, Identifier());
        s.columns.push_back(std::move(c));
        std::optional<Term> key;
        std::string field;
        if (AcceptPunct("[")) {
          PF_ASSIGN_OR_RETURN(key, ParseTerm());
          PF_RETURN_IF_ERROR(ExpectPunct("]"));
        } else if (AcceptPunct(".")) {
          PF_ASSIGN_OR_RETURN(field, Identifier());
        }
        s.element_keys.push_back(std::move(key));
        s.fields.push_back(std::move(field));
      } while (AcceptPunct(","));
    }
    PF_RETURN_IF_ERROR(ExpectKeyword("from"));
    PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
    PF_RETURN_IF_ERROR(ParseUsing(&s.using_clause));
    PF_RETURN_IF_ERROR(ExpectKeyword("where"));
    PF_ASSIGN_OR_RETURN(s.where, ParseWhere());
    PF_RETURN_IF_ERROR(ParseConditions(&s.if_exists, &s.conditions));
    return Statement(std::move(s));
  }

  Result<Statement> ParseBatch() {
    Next();  // BEGIN
    auto b = std::make_shared<BatchStatement>();
    if (AcceptKeyword("unlogged")) {
      b->type = BatchStatement::Type::kUnlogged;
    } else if (AcceptKeyword("counter")) {
      b->type = BatchStatement::Type::kCounter;
    }
    PF_RETURN_IF_ERROR(ExpectKeyword("batch"));
    PF_RETURN_IF_ERROR(ParseUsing(&b->using_clause));
    while (!Peek().IsKeyword("apply")) {
      if (Peek().kind == TokenKind::kEnd) return Unexpected("K_APPLY");
      PF_ASSIGN_OR_RETURN(Statement inner, ParseOne(/*in_batch=*/true));
      b->statements.push_back(std::move(inner));
      AcceptPunct(";");
    }
    Next();  // APPLY
    PF_RETURN_IF_ERROR(ExpectKeyword("batch"));
    return Statement(std::move(b));
  }

  Result<Statement> ParseCreate() {
    Next();  // CREATE
    if (AcceptKeyword("keyspace") || AcceptKeyword("schema")) {
      CreateKeyspaceStatement s;
      PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
      PF_ASSIGN_OR_RETURN(s.keyspace, KeyspaceName());
      PF_RETURN_IF_ERROR(ExpectKeyword("with"));
      do {
        PF_RETURN_IF_ERROR(ParseProperty(&s.properties));
      } while (AcceptKeyword("and"));
      return Statement(std::move(s));
    }
    if (AcceptKeyword("table") || AcceptKeyword("columnfamily")) return ParseCreateTable();
    if (AcceptKeyword("type")) return ParseCreateType();
    if (AcceptKeyword("index")) return ParseCreateIndex(false);
    if (AcceptKeyword("custom")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("index"));
      return ParseCreateIndex(true);
    }
    if (Peek().IsKeyword("role") || Peek().IsKeyword("user")) return ParseCreateRole();
    if (Peek().IsKeyword("or") || Peek().IsKeyword("function") || Peek().IsKeyword("aggregate") ||
        Peek().IsKeyword("materialized")) {
      return ParseDisabledFeature();
    }
    return NoViable();
  }

  // CREATE [OR REPLACE] FUNCTION [IF NOT EXISTS] f (arg type, ...) (RETURNS NULL | CALLED) ON
  // NULL INPUT RETURNS type LANGUAGE lang AS 'body';
  // CREATE [OR REPLACE] AGGREGATE [IF NOT EXISTS] a (type, ...) SFUNC f STYPE type
  //   [FINALFUNC f] [INITCOND term];
  // CREATE MATERIALIZED VIEW [IF NOT EXISTS] v AS SELECT ...: the rest is not parsed (the
  // statement is refused whatever it says).
  Result<Statement> ParseDisabledFeature() {
    DisabledFeatureStatement s;
    if (AcceptKeyword("or")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("replace"));
      s.or_replace = true;
    }
    if (!s.or_replace && AcceptKeyword("materialized")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("view"));
      s.kind = DisabledFeatureStatement::Kind::kMaterializedView;
      PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
      PF_ASSIGN_OR_RETURN(s.name, ParseTableName());
      PF_RETURN_IF_ERROR(ExpectKeyword("as"));
      PF_RETURN_IF_ERROR(ExpectKeyword("select"));
      // The rest is checked only as far as Cassandra refuses it before the feature check:
      // `IS NOT` takes only NULL (a syntax error), a FROM table of another keyspace, and bind
      // variables (CreateViewStatement.Raw.prepare).
      bool markers = false;
      std::optional<TableName> from;
      while (Peek().kind != TokenKind::kEnd &&
             !(Peek().IsPunct(";") && Peek(1).kind == TokenKind::kEnd)) {
        if (!from && Peek().IsKeyword("from")) {
          Next();
          PF_ASSIGN_OR_RETURN(from, ParseTableName());
          continue;
        }
        if (Peek().IsKeyword("is") && Peek(1).IsKeyword("not")) {
          Next();
          Next();
          PF_RETURN_IF_ERROR(ExpectKeyword("null"));
          continue;
        }
        markers |=
            Peek().IsPunct("?") || (Peek().IsPunct(":") && Peek(1).kind == TokenKind::kIdentifier);
        Next();
      }
      if (from && !from->keyspace.empty() && !s.name.keyspace.empty() &&
          from->keyspace != s.name.keyspace) {
        return InvalidRequest(
            "Cannot create a materialized view on a table in a different keyspace");
      }
      if (markers) {
        return InvalidRequest(
            "Bind variables are not allowed in CREATE MATERIALIZED VIEW statements");
      }
      return Statement(std::move(s));
    }
    if (AcceptKeyword("function")) {
      s.kind = DisabledFeatureStatement::Kind::kFunction;
      PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
      PF_ASSIGN_OR_RETURN(s.name, ParseTableName());
      PF_RETURN_IF_ERROR(ExpectPunct("("));
      if (!Peek().IsPunct(")")) {
        do {
          PF_RETURN_IF_ERROR(Identifier().status());
          PF_RETURN_IF_ERROR(ParseType().status());
        } while (AcceptPunct(","));
      }
      PF_RETURN_IF_ERROR(ExpectPunct(")"));
      if (AcceptKeyword("returns")) {
        PF_RETURN_IF_ERROR(ExpectKeyword("null"));
      } else {
        PF_RETURN_IF_ERROR(ExpectKeyword("called"));
      }
      PF_RETURN_IF_ERROR(ExpectKeyword("on"));
      PF_RETURN_IF_ERROR(ExpectKeyword("null"));
      PF_RETURN_IF_ERROR(ExpectKeyword("input"));
      PF_RETURN_IF_ERROR(ExpectKeyword("returns"));
      PF_RETURN_IF_ERROR(ParseType().status());
      PF_RETURN_IF_ERROR(ExpectKeyword("language"));
      PF_RETURN_IF_ERROR(Identifier().status());
      PF_RETURN_IF_ERROR(ExpectKeyword("as"));
      if (Peek().kind != TokenKind::kString) return Unexpected("STRING_LITERAL");
      Next();
      return Statement(std::move(s));
    }
    PF_RETURN_IF_ERROR(ExpectKeyword("aggregate"));
    s.kind = DisabledFeatureStatement::Kind::kAggregate;
    PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
    PF_ASSIGN_OR_RETURN(s.name, ParseTableName());
    PF_RETURN_IF_ERROR(ExpectPunct("("));
    if (!Peek().IsPunct(")")) {
      do {
        PF_ASSIGN_OR_RETURN(std::string type, ParseType());
        s.argument_types.push_back(std::move(type));
      } while (AcceptPunct(","));
    }
    PF_RETURN_IF_ERROR(ExpectPunct(")"));
    PF_RETURN_IF_ERROR(ExpectKeyword("sfunc"));
    PF_ASSIGN_OR_RETURN(s.state_function, Identifier());
    PF_RETURN_IF_ERROR(ExpectKeyword("stype"));
    PF_ASSIGN_OR_RETURN(s.state_type, ParseType());
    if (AcceptKeyword("finalfunc")) PF_RETURN_IF_ERROR(Identifier().status());
    if (AcceptKeyword("initcond")) PF_RETURN_IF_ERROR(ParseTerm().status());
    return Statement(std::move(s));
  }

  Result<Statement> ParseCreateIndex(bool custom) {
    CreateIndexStatement s;
    s.custom = custom;
    PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
    if (!Peek().IsKeyword("on")) {
      PF_ASSIGN_OR_RETURN(TableName name, ParseTableName());
      s.keyspace_of_name = std::move(name.keyspace);
      s.name = std::move(name.name);
    }
    PF_RETURN_IF_ERROR(ExpectKeyword("on"));
    PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
    PF_RETURN_IF_ERROR(ExpectPunct("("));
    static const std::pair<std::string_view, CreateIndexStatement::Target> kTargets[] = {
        {"keys", CreateIndexStatement::Target::kKeys},
        {"values", CreateIndexStatement::Target::kValues},
        {"entries", CreateIndexStatement::Target::kEntries},
        {"full", CreateIndexStatement::Target::kFull}};
    bool wrapped = false;
    for (const auto& [word, target] : kTargets) {
      if (Peek().IsKeyword(word) && Peek(1).IsPunct("(")) {
        Next();
        Next();
        s.target = target;
        wrapped = true;
        break;
      }
    }
    PF_ASSIGN_OR_RETURN(s.column, Identifier());
    if (wrapped) PF_RETURN_IF_ERROR(ExpectPunct(")"));
    PF_RETURN_IF_ERROR(ExpectPunct(")"));
    if (AcceptKeyword("using")) {
      const Token& t = Peek();
      if (t.kind != TokenKind::kString) return Unexpected("STRING_LITERAL");
      Next();
      s.using_class = t.text;
    }
    if (AcceptKeyword("with")) {  // WITH OPTIONS = {'k': 'v', ...}
      if (!Peek().IsKeyword("options")) return Unexpected("K_OPTIONS");
      Properties props;
      do {
        PF_RETURN_IF_ERROR(ParseProperty(&props));
      } while (AcceptKeyword("and"));
      for (auto& [name, value] : props) {
        if (name != "options" || !value.is_map) {
          return SyntaxError(fmt::format("Unknown property '{}'", name));
        }
        s.options = value.map;
      }
    }
    return Statement(std::move(s));
  }

  Result<Statement> ParseCreateType() {
    CreateTypeStatement s;
    PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
    PF_ASSIGN_OR_RETURN(s.type, ParseTableName());
    PF_RETURN_IF_ERROR(ExpectPunct("("));
    // '(' typeColumns ( ',' typeColumns? )* ')': empty entries after the first are allowed.
    if (Peek().IsPunct(",") || Peek().IsPunct(")")) return NoViableWithSnippet();
    do {
      if (s.fields.empty() || !(Peek().IsPunct(",") || Peek().IsPunct(")"))) {
        ColumnDefinition field;
        PF_ASSIGN_OR_RETURN(field.name, Identifier());
        PF_ASSIGN_OR_RETURN(field.type, ParseType());
        s.fields.push_back(std::move(field));
      }
    } while (AcceptPunct(","));
    PF_RETURN_IF_ERROR(ExpectPunct(")"));
    return Statement(std::move(s));
  }

  Result<Statement> ParseAlterType() {
    AlterTypeStatement s;
    PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
    PF_ASSIGN_OR_RETURN(s.type, ParseTableName());
    if (AcceptKeyword("add")) {
      PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_field_not_exists));
      ColumnDefinition field;
      PF_ASSIGN_OR_RETURN(field.name, Identifier());
      PF_ASSIGN_OR_RETURN(field.type, ParseType());
      s.add = std::move(field);
    } else if (AcceptKeyword("rename")) {
      PF_RETURN_IF_ERROR(ParseRenames(&s.renames));
    } else if (Peek().IsKeyword("alter")) {
      return Error(Peek(), "Altering field types is no longer supported");
    } else {
      return NoViable();
    }
    return Statement(std::move(s));
  }

  // Thrown by Cassandra's grammar action (CreateTableStatement.Raw.setPartitionKeyColumns) at
  // the second key, so an invalid request rather than a syntax error.
  static Status MultiplePrimaryKeys(const TableName& table) {
    return InvalidRequest(fmt::format(
        "Multiple PRIMARY KEY specified for table '{}' (exactly one required)", table.name));
  }

  Result<Statement> ParseCreateTable() {
    CreateTableStatement s;
    PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
    PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
    PF_RETURN_IF_ERROR(ExpectPunct("("));
    bool have_key = false;
    bool first = true;
    do {
      // Cassandra's grammar: '(' cfamColumns (',' cfamColumns?)* ')': every entry after the first
      // may be empty; an entry is a column or PRIMARY KEY, nothing else is an alternative.
      if (!first && (Peek().IsPunct(",") || Peek().IsPunct(")"))) continue;
      first = false;
      const Token& entry = Peek();
      if (!entry.IsKeyword("primary") &&
          !(entry.kind == TokenKind::kIdentifier && (entry.quoted || !IsReserved(entry.text)))) {
        return NoViable();
      }
      if (Peek().IsKeyword("primary")) {
        Next();
        PF_RETURN_IF_ERROR(ExpectKeyword("key"));
        if (have_key)
          return MultiplePrimaryKeys(s.table);
        have_key = true;
        PF_RETURN_IF_ERROR(ExpectPunct("("));
        if (AcceptPunct("(")) {
          do {
            PF_ASSIGN_OR_RETURN(std::string c, Identifier());
            s.partition_key.push_back(std::move(c));
          } while (AcceptPunct(","));
          PF_RETURN_IF_ERROR(ExpectPunct(")"));
        } else {
          PF_ASSIGN_OR_RETURN(std::string c, Identifier());
          s.partition_key.push_back(std::move(c));
        }
        while (AcceptPunct(",")) {
          PF_ASSIGN_OR_RETURN(std::string c, Identifier());
          s.clustering.push_back(std::move(c));
        }
        PF_RETURN_IF_ERROR(ExpectPunct(")"));
        continue;
      }
      ColumnDefinition col;
      PF_ASSIGN_OR_RETURN(col.name, Identifier());
      PF_ASSIGN_OR_RETURN(col.type, ParseType());
      if (AcceptKeyword("static")) col.is_static = true;
      if (Peek().IsKeyword("primary")) {
        Next();
        PF_RETURN_IF_ERROR(ExpectKeyword("key"));
        if (have_key)
          return MultiplePrimaryKeys(s.table);
        have_key = true;
        s.partition_key.push_back(col.name);
      }
      s.columns.push_back(std::move(col));
    } while (AcceptPunct(","));
    PF_RETURN_IF_ERROR(ExpectPunct(")"));
    if (AcceptKeyword("with")) {
      do {
        if (AcceptKeyword("clustering")) {
          PF_RETURN_IF_ERROR(ExpectKeyword("order"));
          PF_RETURN_IF_ERROR(ExpectKeyword("by"));
          PF_RETURN_IF_ERROR(ExpectPunct("("));
          do {
            PF_ASSIGN_OR_RETURN(std::string c, Identifier());
            bool desc = false;
            if (AcceptKeyword("desc")) {
              desc = true;
            } else if (!AcceptKeyword("asc")) {
              return Unexpected("K_ASC");
            }
            s.clustering_order.emplace_back(std::move(c), desc);
          } while (AcceptPunct(","));
          PF_RETURN_IF_ERROR(ExpectPunct(")"));
        } else if (AcceptKeyword("compact")) {
          PF_RETURN_IF_ERROR(ExpectKeyword("storage"));
          s.compact_storage = true;
        } else {
          PF_RETURN_IF_ERROR(ParseProperty(&s.properties));
        }
      } while (AcceptKeyword("and"));
    }
    return Statement(std::move(s));
  }

  Result<Statement> ParseAlter() {
    Next();  // ALTER
    if (AcceptKeyword("keyspace") || AcceptKeyword("schema")) {
      AlterKeyspaceStatement s;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
      PF_ASSIGN_OR_RETURN(s.keyspace, KeyspaceName());
      PF_RETURN_IF_ERROR(ExpectKeyword("with"));
      do {
        PF_RETURN_IF_ERROR(ParseProperty(&s.properties));
      } while (AcceptKeyword("and"));
      return Statement(std::move(s));
    }
    if (AcceptKeyword("type")) return ParseAlterType();
    if (Peek().IsKeyword("role") || Peek().IsKeyword("user")) return ParseAlterRole();
    if (!AcceptKeyword("table") && !AcceptKeyword("columnfamily")) return NoViable();
    AlterTableStatement s;
    PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
    PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
    if (AcceptKeyword("add")) {
      s.kind = AlterTableStatement::Kind::kAdd;
      PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_column_exists));
      bool parens = AcceptPunct("(");
      do {
        ColumnDefinition col;
        PF_ASSIGN_OR_RETURN(col.name, Identifier());
        PF_ASSIGN_OR_RETURN(col.type, ParseType());
        if (AcceptKeyword("static")) col.is_static = true;
        s.add.push_back(std::move(col));
      } while (parens && AcceptPunct(","));
      if (parens) PF_RETURN_IF_ERROR(ExpectPunct(")"));
    } else if (AcceptKeyword("drop")) {
      if (AcceptKeyword("compact")) {
        PF_RETURN_IF_ERROR(ExpectKeyword("storage"));
        s.kind = AlterTableStatement::Kind::kDropCompactStorage;
        return Statement(std::move(s));
      }
      s.kind = AlterTableStatement::Kind::kDrop;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_column_exists));
      bool parens = AcceptPunct("(");
      do {
        PF_ASSIGN_OR_RETURN(std::string c, Identifier());
        s.drop.push_back(std::move(c));
      } while (parens && AcceptPunct(","));
      if (parens) PF_RETURN_IF_ERROR(ExpectPunct(")"));
      if (AcceptKeyword("using")) {
        // Cassandra's grammar takes an INTEGER literal here, no bind marker.
        PF_RETURN_IF_ERROR(ExpectKeyword("timestamp"));
        const Token& t = Peek();
        if (t.kind != TokenKind::kInteger) return Unexpected("INTEGER");
        errno = 0;
        long long ts = std::strtoll(t.text.c_str(), nullptr, 10);
        if (errno == ERANGE) return NoViable();
        Next();
        s.drop_timestamp = ts;
      }
    } else if (AcceptKeyword("with")) {
      s.kind = AlterTableStatement::Kind::kWith;
      do {
        PF_RETURN_IF_ERROR(ParseProperty(&s.properties));
      } while (AcceptKeyword("and"));
    } else if (AcceptKeyword("rename")) {
      s.kind = AlterTableStatement::Kind::kRename;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_column_exists));
      PF_RETURN_IF_ERROR(ParseRenames(&s.renames));
    } else if (Peek().IsKeyword("alter")) {
      // Valid syntax that Cassandra refuses when the statement runs.
      return InvalidRequest("Altering column types is no longer supported");
    } else {
      return NoViable();
    }
    return Statement(std::move(s));
  }

  Result<Statement> ParseDrop() {
    Next();  // DROP
    if (AcceptKeyword("keyspace") || AcceptKeyword("schema")) {
      DropKeyspaceStatement s;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
      PF_ASSIGN_OR_RETURN(s.keyspace, KeyspaceName());
      return Statement(std::move(s));
    }
    if (AcceptKeyword("table") || AcceptKeyword("columnfamily")) {
      DropTableStatement s;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
      PF_ASSIGN_OR_RETURN(s.table, ParseTableName());
      return Statement(std::move(s));
    }
    if (AcceptKeyword("type")) {
      DropTypeStatement s;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
      PF_ASSIGN_OR_RETURN(s.type, ParseTableName());
      return Statement(std::move(s));
    }
    if (AcceptKeyword("index")) {
      DropIndexStatement s;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
      PF_ASSIGN_OR_RETURN(s.index, ParseTableName());
      return Statement(std::move(s));
    }
    if (AcceptKeyword("materialized")) {
      PF_RETURN_IF_ERROR(ExpectKeyword("view"));
      DisabledFeatureStatement s;
      s.kind = DisabledFeatureStatement::Kind::kDropMaterializedView;
      PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
      PF_ASSIGN_OR_RETURN(s.name, ParseTableName());
      return Statement(std::move(s));
    }
    if (Peek().IsKeyword("role") || Peek().IsKeyword("user")) return ParseDropRole();
    return NoViable();
  }

  // ---- roles and permissions (cql3/auth_ast.h) ---------------------------------------------
  static Statement Auth(auto statement) {
    auto out = std::make_shared<AuthStatement>();
    out->statement = std::move(statement);
    return Statement(std::move(out));
  }

  // userOrRoleName: an identifier (folded unless quoted) or a string literal (kept as written).
  Result<std::string> RoleName() {
    if (Peek().kind == TokenKind::kString) return Next().text;
    return Identifier();
  }

  // CREATE/ALTER ROLE's WITH PASSWORD = 'p' AND LOGIN = b AND SUPERUSER = b; CREATE/ALTER USER's
  // [WITH PASSWORD 'p'] [SUPERUSER | NOSUPERUSER].
  Status ParseRoleOptions(bool user_syntax, RoleOptions* o) {
    if (user_syntax) {
      if (AcceptKeyword("with")) {
        PF_RETURN_IF_ERROR(ExpectKeyword("password"));
        if (Peek().kind != TokenKind::kString) return Unexpected("STRING_LITERAL");
        o->password = Next().text;
      }
      if (AcceptKeyword("superuser")) {
        o->superuser = true;
      } else if (AcceptKeyword("nosuperuser")) {
        o->superuser = false;
      }
      return Status::Ok();
    }
    if (!AcceptKeyword("with")) return Status::Ok();
    do {
      const Token& name = Peek();
      if (name.IsKeyword("password")) {
        Next();
        PF_RETURN_IF_ERROR(ExpectPunct("="));
        if (Peek().kind != TokenKind::kString) return Unexpected("STRING_LITERAL");
        if (o->password) return SyntaxError("Multiple definition for property PASSWORD");
        o->password = Next().text;
      } else if (name.IsKeyword("login") || name.IsKeyword("superuser")) {
        bool login = name.IsKeyword("login");
        Next();
        PF_RETURN_IF_ERROR(ExpectPunct("="));
        if (Peek().kind != TokenKind::kBoolean) return Unexpected("BOOLEAN");
        std::optional<bool>& field = login ? o->login : o->superuser;
        if (field) {
          return SyntaxError(
              fmt::format("Multiple definition for property {}", login ? "LOGIN" : "SUPERUSER"));
        }
        field = Next().text == "true";
      } else {
        return Unexpected("K_PASSWORD");
      }
    } while (AcceptKeyword("and"));
    return Status::Ok();
  }

  Result<Statement> ParseCreateRole() {
    CreateRoleStatement s;
    s.is_user = Next().text == "user";
    PF_RETURN_IF_ERROR(ParseIfNotExists(&s.if_not_exists));
    PF_ASSIGN_OR_RETURN(s.role, RoleName());
    PF_RETURN_IF_ERROR(ParseRoleOptions(s.is_user, &s.options));
    return Auth(std::move(s));
  }

  Result<Statement> ParseAlterRole() {
    AlterRoleStatement s;
    bool user = Next().text == "user";
    PF_ASSIGN_OR_RETURN(s.role, RoleName());
    PF_RETURN_IF_ERROR(ParseRoleOptions(user, &s.options));
    return Auth(std::move(s));
  }

  Result<Statement> ParseDropRole() {
    Next();  // ROLE | USER
    DropRoleStatement s;
    PF_RETURN_IF_ERROR(ParseIfExists(&s.if_exists));
    PF_ASSIGN_OR_RETURN(s.role, RoleName());
    return Auth(std::move(s));
  }

  // ALL [PERMISSIONS] (an empty list) or one permission [PERMISSION].
  Result<std::vector<std::string>> ParsePermissions() {
    if (AcceptKeyword("all")) {
      AcceptKeyword("permissions");
      return std::vector<std::string>{};
    }
    const Token& t = Peek();
    static constexpr std::string_view kNames[] = {"create", "alter",     "drop",     "select",
                                                  "modify", "authorize", "describe", "execute"};
    for (std::string_view n : kNames) {
      if (!t.IsKeyword(n)) continue;
      Next();
      AcceptKeyword("permission");
      return std::vector<std::string>{ascii::Upper(n)};
    }
    return NoViable();
  }

  Result<ResourceName> ParseResource() {
    ResourceName r;
    if (AcceptKeyword("all")) {
      if (!AcceptKeyword("keyspaces")) {
        return Error(Peek(), "only data resources (ALL KEYSPACES, KEYSPACE, TABLE) are supported");
      }
      return r;
    }
    if (AcceptKeyword("keyspace")) {
      r.level = ResourceName::Level::kKeyspace;
      PF_ASSIGN_OR_RETURN(r.keyspace, Identifier());
      return r;
    }
    if (Peek().IsKeyword("role") || Peek().IsKeyword("roles") || Peek().IsKeyword("function") ||
        Peek().IsKeyword("functions") || Peek().IsKeyword("mbean") || Peek().IsKeyword("mbeans")) {
      return Error(Peek(), "only data resources (ALL KEYSPACES, KEYSPACE, TABLE) are supported");
    }
    AcceptKeyword("table");
    r.level = ResourceName::Level::kTable;
    PF_ASSIGN_OR_RETURN(TableName t, ParseTableName());
    r.keyspace = std::move(t.keyspace);
    r.table = std::move(t.name);
    return r;
  }

  Result<Statement> ParsePermissionChange() {
    PermissionChangeStatement s;
    s.grant = Next().text == "grant";
    PF_ASSIGN_OR_RETURN(s.permissions, ParsePermissions());
    PF_RETURN_IF_ERROR(ExpectKeyword("on"));
    PF_ASSIGN_OR_RETURN(s.resource, ParseResource());
    PF_RETURN_IF_ERROR(ExpectKeyword(s.grant ? "to" : "from"));
    PF_ASSIGN_OR_RETURN(s.role, RoleName());
    return Auth(std::move(s));
  }

  // LIST ROLES [OF r] [NORECURSIVE] | LIST USERS | LIST perms [ON resource] [OF r] [NORECURSIVE].
  Result<Statement> ParseList() {
    Next();  // LIST
    if (AcceptKeyword("roles") || Peek().IsKeyword("users")) {
      ListRolesStatement s;
      s.users = AcceptKeyword("users");
      if (!s.users && AcceptKeyword("of")) {
        PF_ASSIGN_OR_RETURN(std::string role, RoleName());
        s.of_role = std::move(role);
      }
      if (!s.users) AcceptKeyword("norecursive");
      return Auth(std::move(s));
    }
    ListPermissionsStatement s;
    PF_ASSIGN_OR_RETURN(s.permissions, ParsePermissions());
    if (AcceptKeyword("on")) {
      PF_ASSIGN_OR_RETURN(ResourceName r, ParseResource());
      s.resource = std::move(r);
    }
    if (AcceptKeyword("of")) {
      PF_ASSIGN_OR_RETURN(std::string role, RoleName());
      s.role = std::move(role);
    }
    s.norecursive = AcceptKeyword("norecursive");
    return Auth(std::move(s));
  }

  std::string_view source_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::vector<std::string> bind_names_;
};

}  // namespace

Result<ParsedStatement> ParseStatement(std::string_view text) {
  Parser parser(text);
  return parser.ParseTop();
}

}  // namespace postfork::node::cql3
