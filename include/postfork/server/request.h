// HTTP request and header types handed to handlers. Independent of the HTTP parser underneath.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace postfork::server {

// Header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  void Add(std::string name, std::string value);
  // Replaces every field called `name` with one field.
  void Set(std::string_view name, std::string value);
  void Remove(std::string_view name);
  // The first field called `name`, if any.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  std::span<const Entry> entries() const { return {entries_.data(), entries_.size()}; }
  void Clear() { entries_.clear(); }

 private:
  // A request's or a response's few fields live inline: no allocation for the list.
  boost::container::small_vector<Entry, 4> entries_;
};

// One parsed request. The server fills it; handlers read it (and may keep values in it).
class Request {
 public:
  using Param = std::pair<std::string, std::string>;

  // "GET", "POST", ... as sent.
  const std::string& method() const { return method_; }
  // The raw request target, e.g. "/rows/a%20b?limit=3".
  const std::string& target() const { return target_; }
  // The percent-decoded path without the query, e.g. "/rows/a b".
  const std::string& path() const { return path_; }
  // The raw query string after '?', without it; empty when absent.
  std::string_view query_string() const;
  // The first query parameter called `name`, percent-decoded ('+' is a space).
  std::optional<std::string_view> Query(std::string_view name) const;
  const std::vector<Param>& query() const { return query_; }
  // The path parameter `name` of the matched route pattern ("/rows/{key}" -> "key").
  std::optional<std::string_view> PathParam(std::string_view name) const;
  const std::vector<Param>& path_params() const { return path_params_; }
  const Headers& headers() const { return headers_; }
  std::optional<std::string_view> Header(std::string_view name) const { return headers_.Get(name); }
  const std::string& body() const { return body_; }
  // 11 for HTTP/1.1, 10 for HTTP/1.0.
  int version() const { return version_; }
  // Whether the client asked to keep the connection open after this request.
  bool keep_alive() const { return keep_alive_; }
  // The pattern of the matched route ("/rows/{key}"), empty when none matched.
  const std::string& route() const { return route_; }

  // Filling (used by the server; tests may build requests by hand).
  // Sets target, path and query from a raw target; false if the target is not origin-form.
  bool SetTarget(std::string_view target);
  void set_method(std::string method) { method_ = std::move(method); }
  void set_version(int version) { version_ = version; }
  void set_keep_alive(bool keep_alive) { keep_alive_ = keep_alive; }
  void set_body(std::string body) { body_ = std::move(body); }
  void set_route(std::string route) { route_ = std::move(route); }
  Headers& mutable_headers() { return headers_; }
  std::vector<Param>& mutable_path_params() { return path_params_; }

 private:
  std::string method_;
  std::string target_;
  std::string path_;
  std::vector<Param> query_;
  std::vector<Param> path_params_;
  Headers headers_;
  std::string body_;
  std::string route_;
  int version_ = 11;
  bool keep_alive_ = true;
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace postfork::server
