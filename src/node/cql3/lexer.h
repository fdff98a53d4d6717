// CQL tokens. The lexer never fails on input: text it cannot read becomes a kInvalid token that
// the parser reports as a syntax error with its position.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace postfork::node::cql3 {

enum class TokenKind {
  kIdentifier,  // unquoted (text lower-cased) or double-quoted (text as written)
  kString,      // '...' or $$...$$; text is the unescaped content
  kInteger,     // decimal integer, optional leading '-'
  kFloat,       // 1.5, -2e3, NaN, Infinity
  kHex,         // 0x...; text keeps the hex digits only
  kUuid,        // 8-4-4-4-12 hex
  kDuration,    // 1h30m, P1D, ...
  kBoolean,     // true / false (text lower-cased)
  kPunct,       // ( ) , ; . * = < > <= >= != .. += -= [ ] { } : ? + - / %
  kEnd,
  kInvalid,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  bool quoted = false;  // identifier written in double quotes (case kept, never a keyword)
  // kInvalid: the lexer failed inside a token at this character (`text`): Cassandra's
  // "mismatched character" rather than "no viable alternative at character".
  bool mismatched_character = false;
  int line = 1;       // 1-based
  int column = 0;     // 0-based, as Cassandra's messages print it
  size_t offset = 0;  // byte offset in the statement
  size_t length = 0;  // bytes in the source

  bool Is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
  // An unquoted identifier equal (case-insensitively, already lower-cased) to `keyword`.
  bool IsKeyword(std::string_view keyword) const {
    return kind == TokenKind::kIdentifier && !quoted && text == keyword;
  }
  bool IsPunct(std::string_view p) const { return kind == TokenKind::kPunct && text == p; }
};

// Splits a statement into tokens, dropping whitespace and comments (--, //, /* */). The last
// token is always kEnd.
std::vector<Token> Tokenize(std::string_view text);

}  // namespace postfork::node::cql3
