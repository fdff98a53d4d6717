#include "node/service/event_notifier.h"

#include <vector>

namespace postfork::node::service {

void EventNotifier::PublishSchemaChange(const cql::SchemaChange& change) {
  if (schema_sinks_.empty()) return;
  cql::EventMessage event;
  event.type = cql::EventMessage::Type::kSchemaChange;
  event.schema_change = change;
  std::string body;
  cql::ByteWriter w(&body);
  event.Encode(w);
  // A sink may unsubscribe while being notified (its connection failed): iterate a copy.
  std::vector<EventSink*> sinks(schema_sinks_.begin(), schema_sinks_.end());
  for (EventSink* sink : sinks) sink->PushEvent(body);
}

}  // namespace postfork::node::service
