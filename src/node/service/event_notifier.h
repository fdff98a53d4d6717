// Fans SCHEMA_CHANGE events out to the connections that REGISTERed for them. Network thread only.
#pragma once

#include <set>
#include <string>

#include "postfork/cql/messages.h"

namespace postfork::node::service {

// A connection that can receive pushed EVENT bodies (stream -1).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void PushEvent(const std::string& event_body) = 0;
};

class EventNotifier {
 public:
  void Subscribe(EventSink* sink) { schema_sinks_.insert(sink); }
  void Unsubscribe(EventSink* sink) { schema_sinks_.erase(sink); }
  // Encodes the EVENT once and pushes it to every subscribed sink.
  void PublishSchemaChange(const cql::SchemaChange& change);

 private:
  std::set<EventSink*> schema_sinks_;
};

}  // namespace postfork::node::service
