#include "postfork/server/request.h"

#include <algorithm>

#include "postfork/base/ascii.h"

namespace postfork::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Headers::Add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

void Headers::Set(std::string_view name, std::string value) {
  Remove(name);
  entries_.emplace_back(std::string(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return ascii::EqualsIgnoreCase(e.first, name); }),
      entries_.end());
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (ascii::EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool Request::SetTarget(std::string_view target) {
  target_.assign(target.data(), target.size());
  query_.clear();
  if (target_.empty() || target_[0] != '/') return false;
  std::string_view view(target_);
  std::size_t q = view.find('?');
  std::string_view raw_path = view.substr(0, q);
  if (raw_path.find('%') == std::string_view::npos) {
    path_.assign(raw_path.data(), raw_path.size());  // nothing to decode
  } else {
    auto path = PercentDecode(raw_path, false);
    if (!path) return false;
    path_ = std::move(*path);
  }
  if (q == std::string_view::npos) return true;
  std::string_view rest = view.substr(q + 1);
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) return false;
    query_.emplace_back(std::move(*name), std::move(*value));
  }
  return true;
}

std::string_view Request::query_string() const {
  std::size_t q = target_.find('?');
  return q == std::string::npos ? std::string_view() : std::string_view(target_).substr(q + 1);
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [n, v] : query_) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::PathParam(std::string_view name) const {
  for (const auto& [n, v] : path_params_) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

}  // namespace postfork::server
