// postfork-seed: the example service. One CQL session per worker, opened after fork.
//   GET /             JSON array of `col` from SELECT col FROM columnfamily (<= --max-rows)
//   GET /rows/{key}   {"key":..,"col":..} or 404
//   PUT /rows/{key}   body: JSON string, JSON {"col": ..} or plain text -> upsert
//   DELETE /rows/{key}
//   GET /health       200 {"status":"ok",...} or 503 {"status":"unavailable","reason":..}
// --connect-per-request: a fresh session for every request, closed after it (the original first
// attempt, kept to measure what per-worker sessions remove).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include "postfork/driver/blocking.h"
#include "postfork/server/app.h"
#include "postfork/server/cassandra.h"
#include "postfork/server/json.h"

namespace asio = boost::asio;
namespace json = boost::json;
using postfork::Result;
using postfork::Status;
using postfork::StatusCode;
using postfork::server::CassandraDatastore;
using postfork::server::CassandraWorker;
using postfork::server::JsonResponse;
using postfork::server::Request;
using postfork::server::Response;
using postfork::server::WorkerContext;
namespace driver = postfork::driver;

namespace {

constexpr const char* kSelectAll = "SELECT col FROM \"columnfamily\"";
constexpr const char* kSelectOne = "SELECT key, col FROM \"columnfamily\" WHERE key = ?";
constexpr const char* kUpsert = "INSERT INTO \"columnfamily\" (key, col) VALUES (?, ?)";
constexpr const char* kDelete = "DELETE FROM \"columnfamily\" WHERE key = ?";

struct SeedOptions {
  int sample_rows = 100;
  int max_rows = 10000;
  bool connect_per_request = false;
};

Response ErrorResponse(int status, std::string_view message) {
  json::object o;
  o["error"] = message;
  return JsonResponse(o, status);
}

Response QueryFailed(const Status& status) {
  return ErrorResponse(postfork::server::HttpStatusFor(status), status.ToString());
}

json::value ColValue(const driver::Row& row, int column) {
  if (row.IsNull(column)) return nullptr;
  Result<std::string> col = row.Get<std::string>(column);
  if (!col.ok()) return nullptr;
  return json::string(*col);
}

// Appends the cells of one page of `col` (`page`'s first `cells.size()` cells) to `body` as JSON
// array elements, each after a comma: the string (the bytes are text as stored, UTF-8) or null.
// The caller turns the first comma of the array into its '['. `kEscape`: sized exactly and
// escaped; otherwise sized from the page's bound on the cells' lengths (no pass over them),
// copied unchecked and then checked in one pass over what was written, which returns false,
// with `body` unchanged, when a string needed escaping. Room for one more byte is left (the
// closing ']').
template <bool kEscape>
bool AppendJsonElements(const driver::QueryResult& page,
                        std::span<const postfork::cql::RawValue> cells, std::string* body) {
  // A null cell's bytes are empty: `,null` and `,""` both fit 5 bytes beyond the string.
  size_t size = 5 * cells.size() + 1;
  if constexpr (kEscape) {
    for (const auto& col : cells) size += postfork::server::JsonStringSize(col.bytes);
  } else {
    size += page.cells_size_bound();
  }
  size_t old = body->size();
  body->resize(old + size);
  char* const begin = body->data() + old;
  char* out = begin;
  size_t strings = 0;
  for (const auto& col : cells) {
    *out++ = ',';
    if (col.kind != postfork::cql::RawValue::Kind::kBytes) {
      std::memcpy(out, "null", 4);
      out += 4;
    } else if constexpr (kEscape) {
      out = postfork::server::WriteJsonString(col.bytes, out);
    } else {
      out = postfork::server::WriteJsonStringUnchecked(col.bytes, out);
      ++strings;
    }
  }
  if (!kEscape && !postfork::server::JsonHasOnlyQuotes(
                      std::string_view(begin, static_cast<size_t>(out - begin)), 2 * strings)) {
    body->resize(old);
    return false;
  }
  body->resize(static_cast<size_t>(out - body->data()));
  return true;
}

Status CreateSchema(driver::BlockingSession& session, const std::string& keyspace,
                    int sample_rows) {
  auto run = [&](driver::Request request) -> Status {
    driver::QueryResult result = session.Execute(std::move(request));
    return result.status();
  };
  PF_RETURN_IF_ERROR(run("CREATE KEYSPACE IF NOT EXISTS " + keyspace +
                         " WITH replication = {'class': 'SimpleStrategy', "
                         "'replication_factor': 1}"));
  PF_RETURN_IF_ERROR(run("CREATE TABLE IF NOT EXISTS " + keyspace +
                         ".\"columnfamily\" (key text PRIMARY KEY, col text)"));
  // Sample rows only into an empty table, so a restart keeps what clients wrote.
  driver::QueryResult any =
      session.Execute("SELECT key FROM " + keyspace + ".\"columnfamily\" LIMIT 1");
  if (!any.ok()) return any.status();
  if (any.row_count() > 0 || sample_rows <= 0) return Status::Ok();
  Result<driver::PreparedStatement> insert =
      session.Prepare("INSERT INTO " + keyspace + ".\"columnfamily\" (key, col) VALUES (?, ?)");
  if (!insert.ok()) return insert.error();
  for (int i = 0; i < sample_rows; ++i) {
    Result<driver::BoundStatement> bound =
        insert->Bind({postfork::cql::Value(std::string("key") + std::to_string(i)),
                      postfork::cql::Value(std::string("value ") + std::to_string(i))});
    if (!bound.ok()) return bound.error();
    PF_RETURN_IF_ERROR(run(std::move(*bound)));
  }
  return Status::Ok();
}

// A session for one request (per-request mode): the full connect, every time.
asio::awaitable<Result<driver::Session>> ConnectForRequest(WorkerContext& ctx,
                                                           const CassandraDatastore& db) {
  co_return co_await driver::Session::Connect(ctx.io_context(), db.options().ToSessionOptions(),
                                              asio::use_awaitable);
}

// Runs one statement on the worker's session (prepared) or on a fresh one (per request).
class Executor {
 public:
  Executor(WorkerContext& ctx, const CassandraDatastore& db, bool per_request)
      : ctx_(ctx), db_(db), per_request_(per_request) {}
  ~Executor() {
    if (own_) own_->Close();
  }

  // Per request: opens this request's own session; a failure is the response. The worker's
  // session needs no opening (Run checks it).
  asio::awaitable<Status> Connect() {
    Result<driver::Session> session = co_await ConnectForRequest(ctx_, db_);
    if (!session.ok()) co_return session.error();
    own_.emplace(std::move(*session));
    co_return Status::Ok();
  }
  bool per_request() const { return per_request_; }

  // The statement's execution, to co_await. Not a coroutine itself: the driver's own awaitable
  // is returned, so a request costs no coroutine frame of this class.
  asio::awaitable<driver::QueryResult> Run(const char* query,
                                           std::vector<postfork::cql::Value> values,
                                           driver::StatementOptions options) {
    if (per_request_) {
      driver::Statement statement(query, std::move(values));
      statement.options = std::move(options);
      return own_->Execute(std::move(statement), asio::use_awaitable);
    }
    CassandraWorker* worker = CassandraDatastore::Worker(ctx_);
    if (worker == nullptr) return Failed(Status(StatusCode::kInternal, "no datastore in worker"));
    if (Status health = worker->Health(); !health.ok()) return Failed(std::move(health));
    Result<driver::PreparedStatement> prepared = worker->Prepared(query);
    if (!prepared.ok()) return Failed(prepared.error());
    // A statement without markers binds no values (the checks of Bind(values) are for none),
    // and is built in place: each move of a bound statement copies its inline values.
    if (values.empty() && prepared->data().bind_columns.empty()) {
      driver::BoundStatement bound = prepared->Bind();
      bound.options = std::move(options);
      return worker->session()->Execute(std::move(bound), asio::use_awaitable);
    }
    Result<driver::BoundStatement> bound = prepared->Bind(std::move(values));
    if (!bound.ok()) return Failed(bound.error());
    bound->options = std::move(options);
    return worker->session()->Execute(std::move(*bound), asio::use_awaitable);
  }

 private:
  static asio::awaitable<driver::QueryResult> Failed(Status status) {
    co_return driver::QueryResult(std::move(status));
  }

  WorkerContext& ctx_;
  const CassandraDatastore& db_;
  bool per_request_;
  std::optional<driver::Session> own_;
};

// Bind values built outside co_await expressions (GCC 12 rejects braced lists inside them).
std::vector<postfork::cql::Value> KeyValues() { return {}; }
std::vector<postfork::cql::Value> KeyValues(const std::string& key) {
  std::vector<postfork::cql::Value> values;
  values.emplace_back(key);
  return values;
}
std::vector<postfork::cql::Value> KeyValues(const std::string& key, const std::string& col) {
  std::vector<postfork::cql::Value> values = KeyValues(key);
  values.emplace_back(col);
  return values;
}

Result<std::string> ColFromBody(const Request& req) {
  std::string_view type = req.Header("Content-Type").value_or("");
  if (type.find("json") == std::string_view::npos) return req.body();
  Result<json::value> parsed = postfork::server::ParseJsonBody(req);
  if (!parsed.ok()) return parsed.error();
  if (parsed->is_string()) return std::string(parsed->get_string());
  if (parsed->is_object()) {
    const json::value* col = parsed->get_object().if_contains("col");
    if (col != nullptr && col->is_string()) return std::string(col->get_string());
  }
  return Status(StatusCode::kInvalidArgument,
                "body must be a JSON string, a JSON object {\"col\": \"...\"} or plain text");
}

}  // namespace

int main(int argc, char** argv) {
  postfork::server::App app("seed");
  postfork::server::CassandraOptions cassandra_defaults;
  cassandra_defaults.keyspace = "seed";
  CassandraDatastore db(app, cassandra_defaults);
  SeedOptions seed;
  app.AddOptions([&](CLI::App& cli) {
    cli.add_option("--sample-rows", seed.sample_rows, "rows inserted into an empty table")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    cli.add_option("--max-rows", seed.max_rows, "most rows GET / returns")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000000));
    cli.add_flag("--connect-per-request", seed.connect_per_request,
                 "open and close a session for every request (slow; for comparison)");
  });
  for (const char* query : {kSelectAll, kSelectOne, kUpsert, kDelete}) db.AddStatement(query);
  db.SetSetup([&](driver::BlockingSession& session) {
    return CreateSchema(session, db.options().keyspace, seed.sample_rows);
  });

  auto previous_starting = app.hooks().on_starting;
  app.hooks().on_starting = [&, previous_starting](postfork::server::MasterContext& master) {
    db.set_worker_sessions(!seed.connect_per_request);
    if (previous_starting) previous_starting(master);
  };

  app.Route("GET", "/", [&](Request&, WorkerContext& ctx) -> asio::awaitable<Response> {
    Executor exec(ctx, db, seed.connect_per_request);
    if (exec.per_request()) {
      if (Status s = co_await exec.Connect(); !s.ok()) co_return QueryFailed(s);
    }
    // The JSON array is written straight from the pages' serialized cells (text is UTF-8 as
    // stored): no value is decoded or copied on the way, and the body grows once per page, in
    // the storage of an earlier response's body.
    std::string body = ctx.TakeBodyBuffer();
    int count = 0;
    driver::StatementOptions options;
    options.page_size = std::min(seed.max_rows, 5000);
    options.idempotent = true;
    while (true) {
      driver::QueryResult page = co_await exec.Run(kSelectAll, KeyValues(), options);
      if (!page.ok()) co_return QueryFailed(page.status());
      std::span<const postfork::cql::RawValue> cells = page.cells();  // one column: col
      cells = cells.first(std::min(cells.size(), static_cast<size_t>(seed.max_rows - count)));
      // Strings that need no escaping (the usual case) are copied without a per-string check.
      if (!AppendJsonElements<false>(page, cells, &body)) {
        AppendJsonElements<true>(page, cells, &body);
      }
      count += static_cast<int>(cells.size());
      if (count >= seed.max_rows || !page.has_more_pages()) break;
      options.paging_state = std::string(*page.paging_state());
    }
    if (body.empty()) {
      body = "[]";
    } else {
      body[0] = '[';  // the first element's comma
      body.push_back(']');
    }
    co_return Response(200, std::move(body), "application/json");
  });

  app.Route("GET", "/rows/{key}",
            [&](Request& req, WorkerContext& ctx) -> asio::awaitable<Response> {
              std::string key(*req.PathParam("key"));
              Executor exec(ctx, db, seed.connect_per_request);
              if (exec.per_request()) {
      if (Status s = co_await exec.Connect(); !s.ok()) co_return QueryFailed(s);
    }
              driver::StatementOptions options;
              options.idempotent = true;
              driver::QueryResult result = co_await exec.Run(kSelectOne, KeyValues(key), options);
              if (!result.ok()) co_return QueryFailed(result.status());
              if (result.row_count() == 0) co_return ErrorResponse(404, "no row with key " + key);
              json::object o;
              o["key"] = key;
              o["col"] = ColValue(result.row(0), 1);
              co_return JsonResponse(o);
            });

  app.Route(
      "PUT", "/rows/{key}", [&](Request& req, WorkerContext& ctx) -> asio::awaitable<Response> {
        std::string key(*req.PathParam("key"));
        Result<std::string> col = ColFromBody(req);
        if (!col.ok()) co_return ErrorResponse(400, col.error().message());
        Executor exec(ctx, db, seed.connect_per_request);
        if (exec.per_request()) {
      if (Status s = co_await exec.Connect(); !s.ok()) co_return QueryFailed(s);
    }
        driver::StatementOptions options;
        options.idempotent = true;  // an upsert of the same values
        driver::QueryResult result = co_await exec.Run(kUpsert, KeyValues(key, *col), options);
        if (!result.ok()) co_return QueryFailed(result.status());
        json::object o;
        o["key"] = key;
        o["col"] = *col;
        co_return JsonResponse(o);
      });

  app.Route("DELETE", "/rows/{key}",
            [&](Request& req, WorkerContext& ctx) -> asio::awaitable<Response> {
              std::string key(*req.PathParam("key"));
              Executor exec(ctx, db, seed.connect_per_request);
              if (exec.per_request()) {
      if (Status s = co_await exec.Connect(); !s.ok()) co_return QueryFailed(s);
    }
              driver::StatementOptions options;
              options.idempotent = true;
              driver::QueryResult result = co_await exec.Run(kDelete, KeyValues(key), options);
              if (!result.ok()) co_return QueryFailed(result.status());
              json::object o;
              o["deleted"] = key;
              co_return JsonResponse(o);
            });

  app.Route("GET", "/health", [&](Request&, WorkerContext& ctx) -> Response {
    json::object o;
    o["worker"] = ctx.worker_id();
    if (seed.connect_per_request) {
      o["status"] = "ok";
      o["mode"] = "connect-per-request";
      return JsonResponse(o);
    }
    CassandraWorker* worker = CassandraDatastore::Worker(ctx);
    Status health = worker != nullptr ? worker->Health()
                                      : Status(StatusCode::kInternal, "no datastore in worker");
    if (worker != nullptr && worker->ready_ms()) o["session_ready_ms"] = *worker->ready_ms();
    if (worker != nullptr && worker->session() != nullptr) {
      o["hosts_up"] = worker->session()->hosts_up();
    }
    if (!health.ok()) {
      o["status"] = "unavailable";
      o["reason"] = health.ToString();
      return JsonResponse(o, 503);
    }
    o["status"] = "ok";
    return JsonResponse(o);
  });

  return postfork::server::Run(app, argc, argv);
}
