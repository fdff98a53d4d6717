#include "server/http/request_parser.h"

#include <algorithm>

namespace postfork::server::http {

void RequestParser::on_request_impl(boost::beast::http::verb, string_view method,
                                    string_view target, int version, error_code&) {
  request_.set_method(std::string(method));
  request_.set_version(version);
  target_.assign(target.data(), target.size());
}

void RequestParser::on_field_impl(boost::beast::http::field, string_view name, string_view value,
                                  error_code&) {
  request_.mutable_headers().Add(std::string(name), std::string(value));
}

void RequestParser::on_header_impl(error_code&) { request_.set_keep_alive(keep_alive()); }

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code&) {
  // The parser has checked the length against the body limit already.
  if (content_length) body_.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t RequestParser::on_body_impl(string_view body, error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_finish_impl(error_code&) { request_.set_body(std::move(body_)); }

}  // namespace postfork::server::http
