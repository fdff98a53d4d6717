// Matches (method, path) to a route. Built once before fork, then read-only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"
#include "postfork/server/app.h"

namespace postfork::server::http {

class Router {
 public:
  enum class Outcome { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    Outcome outcome = Outcome::kNotFound;
    int route_index = -1;  // into routes(), when kFound
    std::string allow;     // "GET, HEAD, POST" when kMethodNotAllowed
  };

  // Validates and adds `route`; kInvalidArgument for a malformed pattern or a duplicate.
  Status Add(const RouteEntry& route);
  // Matches and, when found, stores the path parameters into `params`.
  Match Find(std::string_view method, std::string_view path,
             std::vector<Request::Param>* params) const;
  const std::vector<RouteEntry>& routes() const { return routes_; }

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
  };
  struct Compiled {
    std::vector<Segment> segments;
  };
  bool Matches(const Compiled& c, std::string_view path, std::vector<Request::Param>* params) const;

  std::vector<RouteEntry> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace postfork::server::http
