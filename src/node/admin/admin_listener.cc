#include "node/admin/admin_listener.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "node/admin/admin_service.h"
#include "node/transport/server.h"

namespace postfork::node {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::ip::tcp;

namespace {

// Requests are small JSON objects; anything larger is not from postfork-nodetool.
constexpr size_t kMaxRequestBody = 1 << 20;

struct Answer {
  http::status status = http::status::ok;
  json::object body;
};

Answer FromStatus(const Status& s) {
  Answer a;
  if (s.ok()) return a;
  a.status = s.code() == StatusCode::kInvalidArgument ? http::status::bad_request
                                                      : http::status::internal_server_error;
  a.body["error"] = s.message();
  return a;
}

std::string StringField(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool BoolField(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_bool() && v->as_bool();
}

std::vector<std::string> StringsField(const json::object& o, const char* name) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(name);
  if (v && v->is_array()) {
    for (const json::value& e : v->as_array()) {
      if (e.is_string()) out.emplace_back(e.as_string());
    }
  }
  return out;
}

json::object InfoJson(const NodeInfo& info) {
  json::object o;
  o["host_id"] = info.host_id;
  o["listen_address"] = info.listen_address;
  o["data_center"] = info.data_center;
  o["rack"] = info.rack;
  o["release_version"] = info.release_version;
  json::array tokens;
  for (const std::string& t : info.tokens) tokens.emplace_back(t);
  o["tokens"] = std::move(tokens);
  o["generation"] = info.generation;
  o["load_bytes"] = info.load_bytes;
  o["uptime_seconds"] = info.uptime_seconds;
  o["native_transport_active"] = info.native_transport_active;
  o["drained"] = info.drained;
  return o;
}

json::object SnapshotsJson(const std::vector<SnapshotInfo>& snapshots) {
  json::array list;
  for (const SnapshotInfo& s : snapshots) {
    json::object o;
    o["tag"] = s.tag;
    json::array tables;
    for (const auto& [ks, t] : s.tables) tables.push_back(json::array{json::string(ks), json::string(t)});
    o["tables"] = std::move(tables);
    o["created_at"] = InstantString(s.created_at_ms);
    if (s.expires_at_ms) o["expires_at"] = InstantString(*s.expires_at_ms);
    o["size_on_disk"] = s.size_on_disk;
    o["true_size"] = s.true_size;
    list.push_back(std::move(o));
  }
  json::object out;
  out["snapshots"] = std::move(list);
  return out;
}

Answer Route(AdminService& service, http::verb method, std::string_view target,
             const json::object& args) {
  if (method == http::verb::get && target == "/v1/info") {
    return Answer{http::status::ok, InfoJson(service.Info())};
  }
  if (method == http::verb::get && target == "/v1/snapshots") {
    auto list = service.ListSnapshots();
    if (!list.ok()) return FromStatus(list.error());
    Answer a{http::status::ok, SnapshotsJson(*list)};
    a.body["directory"] = service.snapshot_directory();
    return a;
  }
  if (method != http::verb::post) {
    Answer a{http::status::not_found, {}};
    a.body["error"] = "no such admin request: " + std::string(target);
    return a;
  }
  if (target == "/v1/flush") {
    return FromStatus(service.Flush(StringField(args, "keyspace"), StringsField(args, "tables")));
  }
  if (target == "/v1/compact") {
    return FromStatus(service.Compact(StringField(args, "keyspace"), StringsField(args, "tables")));
  }
  if (target == "/v1/snapshot") {
    SnapshotRequest r;
    r.tag = StringField(args, "tag");
    r.keyspaces = StringsField(args, "keyspaces");
    r.table = StringField(args, "table");
    r.kt_list = StringsField(args, "kt_list");
    r.skip_flush = BoolField(args, "skip_flush");
    if (const json::value* ttl = args.if_contains("ttl_seconds"); ttl && ttl->is_int64()) {
      r.ttl_seconds = ttl->as_int64();
    }
    Answer a = FromStatus(service.TakeSnapshot(r));
    if (a.status == http::status::ok) a.body["directory"] = service.snapshot_directory() + "/" + r.tag;
    return a;
  }
  if (target == "/v1/clearsnapshot") {
    return FromStatus(service.ClearSnapshot(StringField(args, "tag"), BoolField(args, "all"),
                                            StringsField(args, "keyspaces")));
  }
  if (target == "/v1/disablebinary") return FromStatus(service.DisableBinary());
  if (target == "/v1/enablebinary") return FromStatus(service.EnableBinary());
  if (target == "/v1/drain") return FromStatus(service.Drain());
  Answer a{http::status::not_found, {}};
  a.body["error"] = "no such admin request: " + std::string(target);
  return a;
}

// One exchange: read the request, run it on this (the admin) thread, answer, close.
struct Exchange : std::enable_shared_from_this<Exchange> {
  explicit Exchange(tcp::socket s) : socket(std::move(s)) { parser.body_limit(kMaxRequestBody); }
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  http::response<http::string_body> response;
};

}  // namespace

AdminListener::AdminListener(AdminService* service) : service_(service) {}

Result<std::unique_ptr<AdminListener>> AdminListener::Start(AdminService* service,
                                                            const tcp::endpoint& endpoint) {
  std::unique_ptr<AdminListener> listener(new AdminListener(service));
  PF_ASSIGN_OR_RETURN(listener->acceptor_, transport::Listen(listener->io_.get_executor(), endpoint));
  listener->port_ = listener->acceptor_.local_endpoint().port();
  listener->DoAccept();
  AdminListener* raw = listener.get();
  listener->thread_ = std::thread([raw] { raw->io_.run(); });
  return listener;
}

AdminListener::~AdminListener() { Stop(); }

void AdminListener::Stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    io_.stop();
  });
  thread_.join();
}

void AdminListener::DoAccept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto x = std::make_shared<Exchange>(std::move(socket));
      http::async_read(x->socket, x->buffer, x->parser,
                       [this, x](const boost::system::error_code& rec, size_t) {
                         if (rec) return;
                         const auto& request = x->parser.get();
                         json::object args;
                         Answer answer;
                         if (request.method() != http::verb::get &&
                             !request[http::field::content_type].starts_with("application/json")) {
                           // A web page can POST text to a loopback port, but JSON only after a
                           // CORS preflight this listener never answers: a browser on this
                           // machine cannot drain or snapshot the node.
                           answer.status = http::status::unsupported_media_type;
                           answer.body["error"] =
                               "admin requests carry JSON (Content-Type: application/json)";
                         } else if (!request.body().empty()) {
                           boost::system::error_code pec;
                           json::value v = json::parse(request.body(), pec);
                           if (pec || !v.is_object()) {
                             answer.status = http::status::bad_request;
                             answer.body["error"] = "the request body is not a JSON object";
                           } else {
                             args = std::move(v.as_object());
                           }
                         }
                         if (answer.body.empty()) {
                           answer = Route(*service_, request.method(), request.target(), args);
                         }
                         x->response.result(answer.status);
                         x->response.set(http::field::content_type, "application/json");
                         x->response.keep_alive(false);
                         x->response.body() = json::serialize(answer.body);
                         x->response.prepare_payload();
                         http::async_write(x->socket, x->response,
                                           [x](const boost::system::error_code&, size_t) {
                                             boost::system::error_code ignored;
                                             x->socket.shutdown(tcp::socket::shutdown_both, ignored);
                                           });
                       });
    }
    DoAccept();
  });
}

}  // namespace postfork::node
