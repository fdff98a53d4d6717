#include "server/http/router.h"

#include <algorithm>

namespace postfork::server::http {
namespace {

// Splits "/a/b/" into {"a", "b", ""}; "/" into {""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  path.remove_prefix(1);
  while (true) {
    std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

Status Router::Add(const RouteEntry& route) {
  if (route.method.empty() || !std::all_of(route.method.begin(), route.method.end(),
                                           [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return Status(StatusCode::kInvalidArgument,
                  "route method must be upper-case letters: '" + route.method + "'");
  }
  if (route.pattern.empty() || route.pattern[0] != '/') {
    return Status(StatusCode::kInvalidArgument,
                  "route pattern must start with '/': '" + route.pattern + "'");
  }
  if (!route.handler) {
    return Status(StatusCode::kInvalidArgument,
                  "route " + route.method + " " + route.pattern + " has no handler");
  }
  Compiled compiled;
  for (std::string_view part : SplitPath(route.pattern)) {
    Segment segment;
    if (!part.empty() && part.front() == '{') {
      if (part.size() < 3 || part.back() != '}' ||
          part.substr(1, part.size() - 2).find_first_of("{}/") != std::string_view::npos) {
        return Status(StatusCode::kInvalidArgument,
                      "malformed parameter in route pattern '" + route.pattern + "'");
      }
      segment.text = std::string(part.substr(1, part.size() - 2));
      segment.is_param = true;
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) {
        return Status(
            StatusCode::kInvalidArgument,
            "a parameter must be a whole segment in route pattern '" + route.pattern + "'");
      }
      segment.text = std::string(part);
    }
    compiled.segments.push_back(std::move(segment));
  }
  for (const RouteEntry& existing : routes_) {
    if (existing.method == route.method && existing.pattern == route.pattern) {
      return Status(StatusCode::kInvalidArgument,
                    "duplicate route " + route.method + " " + route.pattern);
    }
  }
  routes_.push_back(route);
  compiled_.push_back(std::move(compiled));
  return Status::Ok();
}

bool Router::Matches(const Compiled& c, std::string_view path,
                     std::vector<Request::Param>* params) const {
  std::size_t i = 0;
  path.remove_prefix(1);
  while (true) {
    if (i == c.segments.size()) return false;
    std::size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    const Segment& segment = c.segments[i];
    if (segment.is_param) {
      if (part.empty()) return false;
      if (params != nullptr) params->emplace_back(segment.text, std::string(part));
    } else if (segment.text != part) {
      return false;
    }
    ++i;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return i == c.segments.size();
}

Router::Match Router::Find(std::string_view method, std::string_view path,
                           std::vector<Request::Param>* params) const {
  Match match;
  if (path.empty() || path[0] != '/') return match;
  int get_index = -1;
  std::vector<std::string_view> allowed;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const RouteEntry& route = routes_[i];
    bool same_method = route.method == method;
    bool is_get_for_head = method == "HEAD" && route.method == "GET";
    if (same_method || is_get_for_head) {
      std::vector<Request::Param> found;
      if (!Matches(compiled_[i], path, &found)) continue;
      if (same_method) {
        match.outcome = Outcome::kFound;
        match.route_index = static_cast<int>(i);
        if (params != nullptr) *params = std::move(found);
        return match;
      }
      if (get_index < 0) {
        get_index = static_cast<int>(i);
        if (params != nullptr) *params = std::move(found);
      }
      continue;
    }
    if (Matches(compiled_[i], path, nullptr)) allowed.push_back(route.method);
  }
  if (get_index >= 0) {
    match.outcome = Outcome::kFound;
    match.route_index = get_index;
    return match;
  }
  if (params != nullptr) params->clear();
  if (allowed.empty()) return match;
  if (std::find(allowed.begin(), allowed.end(), "GET") != allowed.end()) allowed.push_back("HEAD");
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  match.outcome = Outcome::kMethodNotAllowed;
  for (std::string_view m : allowed) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += m;
  }
  return match;
}

}  // namespace postfork::server::http
