// Request tracing, as Cassandra's Tracing: a client sets the tracing flag on QUERY, PREPARE,
// EXECUTE or BATCH; the request then runs with a TraceState that the layers it passes through
// add events to (`Trace`), and its session and events are written to system_traces.sessions and
// system_traces.events (expiring after tracetype_query_ttl) before the response, which carries
// the session id, leaves. A request without the flag pays one thread-local load per trace point.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/db/node_identity.h"
#include "node/db/schema.h"
#include "node/storage/storage.h"
#include "postfork/cql/value.h"

namespace postfork::node::tracing {

// Cassandra's tracetype_query_ttl: how long traces of requests live. Default: 1 day.
inline constexpr int32_t kDefaultQueryTtlSeconds = 86400;

// One traced request (Cassandra's TraceState): its session and events. Used by the one thread
// that runs the request.
class TraceState {
 public:
  struct Event {
    cql::Uuid id;  // timeuuid (events.event_id)
    std::string activity;
    int32_t elapsed_micros = 0;  // since the session started (source_elapsed)
    std::string thread;
  };

  // `client_address`: the client's IP as text.
  explicit TraceState(std::string client_address);

  // What the request is (sessions.request: "Execute CQL3 query", ...) and its parameters
  // (consistency level, page size, query text, bound values), set by the query processor.
  void Begin(std::string request, std::vector<std::pair<std::string, std::string>> parameters);
  void Add(std::string activity);

  const cql::Uuid& session_id() const { return session_id_; }
  const std::string& client_address() const { return client_address_; }
  const std::string& request() const { return request_; }
  const std::vector<std::pair<std::string, std::string>>& parameters() const { return parameters_; }
  const std::vector<Event>& events() const { return events_; }
  int64_t started_micros() const { return started_micros_; }  // since the epoch
  int32_t ElapsedMicros() const;

 private:
  cql::Uuid session_id_;
  std::string client_address_;
  int64_t started_micros_ = 0;
  int64_t started_steady_ns_ = 0;
  std::string request_;
  std::vector<std::pair<std::string, std::string>> parameters_;
  std::vector<Event> events_;
};

// The trace of the request this thread runs, or null.
TraceState* Current();

// Makes `state` (may be null) this thread's current trace until the scope ends.
class TraceScope {
 public:
  explicit TraceScope(TraceState* state);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  TraceState* previous_;
};

// Adds an event to the current trace, if any; the text is only formatted when there is one.
template <class... Args>
void Trace(fmt::format_string<Args...> format, Args&&... args) {
  if (TraceState* t = Current()) t->Add(fmt::format(format, std::forward<Args>(args)...));
}

// The writes that record a finished trace: its system_traces.sessions row (duration included)
// and one system_traces.events row per event, each expiring after `ttl_seconds`. Nothing when
// the schema has no system_traces tables.
Result<std::vector<PartitionMutation>> TraceMutations(const TraceState& trace,
                                                      const SchemaSnapshot& schema,
                                                      const NodeIdentity& identity,
                                                      int32_t ttl_seconds);

}  // namespace postfork::node::tracing
