#include "node/cql3/lexer.h"

#include <cctype>

#include "postfork/base/ascii.h"

namespace postfork::node::cql3 {
namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Length of a UUID literal starting at `p`, or 0.
size_t MatchUuid(std::string_view s, size_t p) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  size_t i = p;
  for (int g = 0; g < 5; ++g) {
    for (int k = 0; k < kGroups[g]; ++k, ++i) {
      if (i >= s.size() || !IsHex(s[i])) return 0;
    }
    if (g < 4) {
      if (i >= s.size() || s[i] != '-') return 0;
      ++i;
    }
  }
  if (i < s.size() && IsIdentChar(s[i])) return 0;
  return i - p;
}

// Length of a duration literal like 1h30m or 12mo3d starting at `p` (digits first), or 0.
size_t MatchDuration(std::string_view s, size_t p) {
  static constexpr std::string_view kUnits[] = {"mo", "ms", "us", "ns", "µs", "y",
                                                "w",  "d",  "h",  "m",  "s"};
  size_t i = p;
  int parts = 0;
  while (i < s.size() && IsDigit(s[i])) {
    size_t j = i;
    while (j < s.size() && IsDigit(s[j])) ++j;
    bool matched = false;
    for (std::string_view u : kUnits) {
      if (s.size() - j >= u.size()) {
        std::string unit = ascii::Lower(s.substr(j, u.size()));
        if (unit == u) {
          j += u.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) return 0;
    i = j;
    ++parts;
  }
  if (parts == 0 || (i < s.size() && IsIdentChar(s[i]))) return 0;
  return i - p;
}

// Length of the digits starting at `p` followed by `unit`, or 0.
size_t DigitsThen(std::string_view s, size_t p, char unit) {
  size_t j = p;
  while (j < s.size() && IsDigit(s[j])) ++j;
  if (j == p || j >= s.size() || s[j] != unit) return 0;
  return j + 1 - p;
}

// Length of the designators that follow one another from `p`, each digits then its letter, in the
// order of `units`, the first one required (Cassandra's Lexer.g: 'P' DIGIT+ 'Y' (DIGIT+ 'M')?...).
size_t Designators(std::string_view s, size_t p, std::string_view units) {
  for (size_t first = 0; first < units.size(); ++first) {
    size_t n = DigitsThen(s, p, units[first]);
    if (n == 0) continue;
    size_t j = p + n;
    for (size_t u = first + 1; u < units.size(); ++u) j += DigitsThen(s, j, units[u]);
    return j - p;
  }
  return 0;
}

// Length of an ISO 8601 duration literal starting at `p` (an optional '-', then an upper-case
// 'P'), or 0: Cassandra's DURATION token, PnYnMnD with an optional TnHnMnS part, PTnHnMnS, PnW
// or the alternative form PYYYY-MM-DDThh:mm:ss. Like the other literals it must not run on into
// an identifier character.
size_t MatchIsoDuration(std::string_view s, size_t p) {
  size_t i = p;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || s[i] != 'P') return 0;
  ++i;
  auto time_part = [&](size_t at) -> size_t {
    if (at >= s.size() || s[at] != 'T') return 0;
    size_t n = Designators(s, at + 1, "HMS");
    return n == 0 ? 0 : n + 1;
  };
  size_t end = 0;
  static constexpr std::string_view kAlternative = "dddd-dd-ddTdd:dd:dd";
  bool alternative = s.size() - i >= kAlternative.size();
  for (size_t k = 0; alternative && k < kAlternative.size(); ++k) {
    char want = kAlternative[k];
    alternative = want == 'd' ? IsDigit(s[i + k]) : s[i + k] == want;
  }
  if (alternative) {
    end = i + kAlternative.size();
  } else if (size_t t = time_part(i); t > 0) {
    end = i + t;
  } else if (size_t w = DigitsThen(s, i, 'W'); w > 0) {
    end = i + w;
  } else if (size_t d = Designators(s, i, "YMD"); d > 0) {
    end = i + d;
    end += time_part(end);
  } else {
    return 0;
  }
  if (end < s.size() && IsIdentChar(s[end])) return 0;
  return end - p;
}

}  // namespace

std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  int line = 1;
  size_t line_start = 0;
  auto advance_lines = [&](size_t from, size_t to) {
    for (size_t k = from; k < to && k < s.size(); ++k) {
      if (s[k] == '\n') {
        ++line;
        line_start = k + 1;
      }
    }
  };
  // Cassandra's lexer (ANTLR over a Java string) counts columns in UTF-16 units: a character of
  // one to three UTF-8 bytes is one unit, one of four bytes two. Counted on from the last token.
  size_t counted_to = 0;
  int units = 0;
  auto column_of = [&](size_t pos) {
    if (counted_to < line_start) {
      counted_to = line_start;
      units = 0;
    }
    for (; counted_to < pos; ++counted_to) {
      auto b = static_cast<unsigned char>(s[counted_to]);
      if ((b & 0xC0) != 0x80) ++units;
      if (b >= 0xF0) ++units;
    }
    return units;
  };
  while (true) {
    // Whitespace and comments.
    while (i < s.size()) {
      char c = s[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance_lines(i, i + 1);
        ++i;
      } else if ((c == '-' && i + 1 < s.size() && s[i + 1] == '-') ||
                 (c == '/' && i + 1 < s.size() && s[i + 1] == '/')) {
        while (i < s.size() && s[i] != '\n') ++i;
      } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
        size_t end = s.find("*/", i + 2);
        size_t stop = end == std::string_view::npos ? s.size() : end + 2;
        advance_lines(i, stop);
        i = stop;
      } else {
        break;
      }
    }
    Token t;
    t.line = line;
    t.column = column_of(i);
    t.offset = i;
    if (i >= s.size()) {
      t.kind = TokenKind::kEnd;
      t.text = "<EOF>";
      out.push_back(std::move(t));
      return out;
    }
    char c = s[i];
    size_t start = i;
    if (size_t n = MatchUuid(s, i); n > 0) {
      t.kind = TokenKind::kUuid;
      t.text = ascii::Lower(s.substr(i, n));
      i += n;
    } else if (size_t d = MatchIsoDuration(s, i); d > 0) {
      t.kind = TokenKind::kDuration;
      t.text = std::string(s.substr(i, d));
      i += d;
    } else if (c == '0' && i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
      size_t j = i + 2;
      while (j < s.size() && IsHex(s[j])) ++j;
      t.kind = (j < s.size() && IsIdentChar(s[j])) ? TokenKind::kInvalid : TokenKind::kHex;
      t.text = std::string(s.substr(i + 2, j - i - 2));
      i = j;
      if (t.kind == TokenKind::kInvalid) {
        while (i < s.size() && IsIdentChar(s[i])) ++i;
        t.text = std::string(s.substr(start, i - start));
      }
    } else if (c == '-' && i + 1 < s.size() &&
               std::string_view("iInN").find(s[i + 1]) != std::string_view::npos &&
               !(s.substr(i + 1, 3) == "NaN" || s.substr(i + 1, 8) == "Infinity")) {
      // Cassandra's lexer reads '-' then i or n as the start of -Infinity or -NaN (any case)
      // and fails at the first character that does not follow: `-i` is no negated column.
      std::string_view word = (s[i + 1] == 'i' || s[i + 1] == 'I') ? "infinity" : "nan";
      size_t j = i + 1, k = 0;
      while (k < word.size() && j < s.size() && ascii::ToLower(s[j]) == word[k]) {
        ++j;
        ++k;
      }
      if (k == word.size()) {
        t.kind = TokenKind::kFloat;
        t.text = word == "nan" ? "-NaN" : "-Infinity";
      } else {
        t.kind = TokenKind::kInvalid;
        t.mismatched_character = true;
        t.column += static_cast<int>(j - i);
        t.offset = j;
        start = j;
        t.text = j < s.size() ? std::string(1, s[j]) : "<EOF>";
        if (j < s.size()) ++j;
      }
      i = j;
    } else if (IsDigit(c) || (c == '-' && i + 1 < s.size() &&
                              (IsDigit(s[i + 1]) || s.substr(i + 1, 3) == "NaN" ||
                               s.substr(i + 1, 8) == "Infinity"))) {
      size_t j = i + (c == '-' ? 1 : 0);
      if (!IsDigit(s[j])) {  // -NaN / -Infinity
        size_t n = s[j] == 'N' ? 3 : 8;
        t.kind = TokenKind::kFloat;
        t.text = std::string(s.substr(i, j - i + n));
        i = j + n;
      } else if (size_t d = MatchDuration(s, j); d > 0) {
        t.kind = TokenKind::kDuration;
        t.text = std::string(s.substr(i, j - i + d));
        i = j + d;
      } else {
        while (j < s.size() && IsDigit(s[j])) ++j;
        bool is_float = false;
        if (j + 1 < s.size() && s[j] == '.' && IsDigit(s[j + 1])) {
          is_float = true;
          ++j;
          while (j < s.size() && IsDigit(s[j])) ++j;
        } else if (j < s.size() && s[j] == '.' &&
                   (!(j + 1 < s.size() && (IsIdentStart(s[j + 1]) || s[j + 1] == '.')) ||
                    s.substr(j, 3) == "...")) {
          // "1." as in Cassandra; "1..2" is a range (slices), and "1...2" is "1." then the
          // range (Cassandra's FLOAT rule tries INTEGER '.' RANGE first).
          is_float = true;
          ++j;
        }
        if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
          size_t k = j + 1;
          if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
          if (k < s.size() && IsDigit(s[k])) {
            while (k < s.size() && IsDigit(s[k])) ++k;
            is_float = true;
            j = k;
          }
        }
        t.kind = is_float ? TokenKind::kFloat : TokenKind::kInteger;
        if (j < s.size() && IsIdentChar(s[j])) {
          t.kind = TokenKind::kInvalid;
          while (j < s.size() && IsIdentChar(s[j])) ++j;
        }
        t.text = std::string(s.substr(i, j - i));
        i = j;
      }
    } else if (IsIdentStart(c)) {
      size_t j = i;
      while (j < s.size() && IsIdentChar(s[j])) ++j;
      std::string word = ascii::Lower(s.substr(i, j - i));
      if (word == "nan" || word == "infinity") {
        // Cassandra's K_POSITIVE_NAN and K_POSITIVE_INFINITY: reserved, in any case.
        t.kind = TokenKind::kFloat;
        t.text = word == "nan" ? "NaN" : "Infinity";
      } else {
        t.text = std::move(word);
        t.kind =
            (t.text == "true" || t.text == "false") ? TokenKind::kBoolean : TokenKind::kIdentifier;
      }
      i = j;
    } else if (c == '"') {
      std::string text;
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '"') {
          if (j + 1 < s.size() && s[j + 1] == '"') {
            text.push_back('"');
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        text.push_back(s[j++]);
      }
      t.kind = (closed && !text.empty()) ? TokenKind::kIdentifier : TokenKind::kInvalid;
      t.quoted = true;
      t.text = closed ? text : std::string(s.substr(i, j - i));
      advance_lines(i, j);
      i = j;
    } else if (c == '\'') {
      std::string text;
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\'') {
          if (j + 1 < s.size() && s[j + 1] == '\'') {
            text.push_back('\'');
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        text.push_back(s[j++]);
      }
      t.kind = closed ? TokenKind::kString : TokenKind::kInvalid;
      t.text = closed ? text : std::string(s.substr(i, j - i));
      advance_lines(i, j);
      i = j;
    } else if (c == '$' && i + 1 < s.size() && s[i + 1] == '$') {
      size_t end = s.find("$$", i + 2);
      if (end == std::string_view::npos) {
        t.kind = TokenKind::kInvalid;
        t.text = std::string(s.substr(i));
        advance_lines(i, s.size());
        i = s.size();
      } else {
        t.kind = TokenKind::kString;
        t.text = std::string(s.substr(i + 2, end - i - 2));
        advance_lines(i, end + 2);
        i = end + 2;
      }
    } else {
      static constexpr std::string_view kTwo[] = {"<=", ">=", "!=", "..", "+=", "-="};
      t.kind = TokenKind::kPunct;
      bool two = false;
      for (std::string_view p : kTwo) {
        if (s.substr(i, 2) == p) {
          t.text = std::string(p);
          i += 2;
          two = true;
          break;
        }
      }
      if (!two) {
        static constexpr std::string_view kOne = "(),;.*=<>[]{}:?+-/%";
        if (kOne.find(c) != std::string_view::npos) {
          t.text = std::string(1, c);
        } else {
          t.kind = TokenKind::kInvalid;
          t.text = std::string(1, c);
        }
        ++i;
      }
    }
    t.length = i - start;
    out.push_back(std::move(t));
  }
}

}  // namespace postfork::node::cql3
