// ASCII case conversion and comparison: only A-Z and a-z change, every other byte (UTF-8
// included) stays as it is. CQL keywords, option names and protocol strings are ASCII, and
// this is what they need: std::tolower/std::toupper follow the C locale and are undefined for
// a negative char.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace postfork::ascii {

constexpr char ToLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}
constexpr char ToUpper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c;
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

inline std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToUpper(c);
  return out;
}

constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ToLower(x) == ToLower(y);
         });
}

}  // namespace postfork::ascii
