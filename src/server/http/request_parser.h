// One HTTP/1.x request parsed by Beast's basic_parser straight into a Request: the request
// line, each field and the body go to the Request as they are parsed, with no Beast message
// or field list in between. Framing (Content-Length, chunked), the header and body limits and
// the errors are Beast's. One parser per request; the Request must outlive it.
#pragma once

#include <cstdint>
#include <string>

#include <boost/beast/http/basic_parser.hpp>

#include "postfork/server/request.h"

namespace postfork::server::http {

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // Fills `request`: method, version, keep-alive and headers once the header is done, the
  // body once the message is done. The raw target is target() (Request::SetTarget checks it).
  explicit RequestParser(Request& request) : request_(request) {}

  const std::string& target() const { return target_; }

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override;
  void on_header_impl(error_code&) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code&) override;
  std::size_t on_body_impl(string_view body, error_code&) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
  void on_finish_impl(error_code&) override;

  Request& request_;
  std::string target_;
  std::string body_;
};

}  // namespace postfork::server::http
