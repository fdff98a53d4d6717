#include "node/service/tracing.h"

#include <atomic>
#include <chrono>

#include "node/cql3/values.h"
#include "node/timestamp.h"
#include "postfork/cql/bytes.h"

namespace postfork::node::tracing {
namespace {

thread_local TraceState* current = nullptr;

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Names the thread events come from (events.thread), numbered in the order threads first trace.
const std::string& ThreadName() {
  static std::atomic<int> next{1};
  thread_local const std::string name = "Native-Transport-Requests-" + std::to_string(next++);
  return name;
}

std::string Bytes(const cql::Value& v, const cql::DataType& type) {
  std::string out;
  (void)cql::SerializeValue(v, type, &out);  // values of the columns' own types
  return out;
}

std::string InetBytes(const std::string& address) {
  auto inet = cql::Inet::Parse(address);
  return inet.ok() ? Bytes(cql::Value(*inet), cql::DataType(cql::TypeKind::kInet)) : std::string();
}

std::string IntBytes(int32_t v) { return Bytes(cql::Value(v), cql::DataType(cql::TypeKind::kInt)); }

std::string UuidBytes(const cql::Uuid& u) { return std::string(u.bytes.begin(), u.bytes.end()); }

// A cell of `table`'s column `name` (skipped when the column is missing).
void AddCell(const TableMetadata& table, std::string_view name, std::string value,
             int64_t timestamp, int32_t ttl, std::vector<CellWrite>* out,
             std::optional<std::string> path = std::nullopt) {
  const ColumnMetadata* c = table.FindColumn(name);
  if (c == nullptr) return;
  CellWrite w;
  w.column_id = c->id;
  w.value = std::move(value);
  w.timestamp = timestamp;
  w.ttl = ttl;
  w.path = std::move(path);
  out->push_back(std::move(w));
}

}  // namespace

TraceState::TraceState(std::string client_address)
    : client_address_(std::move(client_address)),
      started_micros_(NowMicros()),
      started_steady_ns_(SteadyNanos()) {
  session_id_ = cql3::NewTimeUuid(started_micros_);
}

void TraceState::Begin(std::string request,
                       std::vector<std::pair<std::string, std::string>> parameters) {
  request_ = std::move(request);
  parameters_ = std::move(parameters);
}

int32_t TraceState::ElapsedMicros() const {
  int64_t micros = (SteadyNanos() - started_steady_ns_) / 1000;
  return static_cast<int32_t>(std::min<int64_t>(micros, INT32_MAX));
}

void TraceState::Add(std::string activity) {
  Event e;
  e.elapsed_micros = ElapsedMicros();
  e.id = cql3::NewTimeUuid(started_micros_ + e.elapsed_micros);
  e.activity = std::move(activity);
  e.thread = ThreadName();
  events_.push_back(std::move(e));
}

TraceState* Current() { return current; }

TraceScope::TraceScope(TraceState* state) : previous_(current) { current = state; }
TraceScope::~TraceScope() { current = previous_; }

Result<std::vector<PartitionMutation>> TraceMutations(const TraceState& trace,
                                                      const SchemaSnapshot& schema,
                                                      const NodeIdentity& identity,
                                                      int32_t ttl_seconds) {
  std::vector<PartitionMutation> out;
  auto sessions = schema.FindTable("system_traces", "sessions");
  auto events = schema.FindTable("system_traces", "events");
  if (!sessions || !events) return out;
  const int64_t ts = trace.started_micros();
  const std::string session = UuidBytes(trace.session_id());
  const std::string coordinator = InetBytes(identity.listen_address);

  PartitionMutation s;
  s.table = sessions;
  s.partition_key = {session};
  RowMutation row;
  row.marker_timestamp = ts;
  row.marker_ttl = ttl_seconds;
  auto cell = [&](std::string_view name, std::string value,
                  std::optional<std::string> path = std::nullopt) {
    AddCell(*sessions, name, std::move(value), ts, ttl_seconds, &row.cells, std::move(path));
  };
  cell("client", InetBytes(trace.client_address()));
  cell("command", "QUERY");
  cell("coordinator", coordinator);
  cell("coordinator_port", IntBytes(identity.storage_port));
  cell("duration", IntBytes(trace.ElapsedMicros()));
  cell("request", trace.request());
  cell("started_at",
       Bytes(cql::Value(cql::Timestamp{ts / 1000}), cql::DataType(cql::TypeKind::kTimestamp)));
  for (const auto& [key, value] : trace.parameters()) cell("parameters", value, key);
  s.rows.push_back(std::move(row));
  out.push_back(std::move(s));

  PartitionMutation e;
  e.table = events;
  e.partition_key = {session};
  for (const TraceState::Event& event : trace.events()) {
    RowMutation r;
    r.clustering = {UuidBytes(event.id)};
    r.marker_timestamp = ts;
    r.marker_ttl = ttl_seconds;
    auto add = [&](std::string_view name, std::string value) {
      AddCell(*events, name, std::move(value), ts, ttl_seconds, &r.cells);
    };
    add("activity", event.activity);
    add("source", coordinator);
    add("source_elapsed", IntBytes(event.elapsed_micros));
    add("source_port", IntBytes(identity.storage_port));
    add("thread", event.thread);
    e.rows.push_back(std::move(r));
  }
  if (!e.rows.empty()) out.push_back(std::move(e));
  return out;
}

}  // namespace postfork::node::tracing
