// Per-connection state the query path reads and changes: the current keyspace (USE), the
// logged-in role and what the connection registered for. Owned by the connection on the network
// thread; each request runs with its own copy (a USE reaches the connection with its response).
#pragma once

#include <cstdint>
#include <string>

#include "postfork/cql/compression.h"

namespace postfork::node::service {

struct ClientState {
  std::string keyspace;  // "" until USE
  bool started = false;  // STARTUP received
  // The logged-in role (PasswordAuthenticator); "" before AUTH_SUCCESS and with AllowAll.
  std::string user;
  bool authenticated = false;  // AUTH_SUCCESS sent (or no authentication required)
  uint8_t protocol_version = 4;  // fixed by the connection's first request (4 or 5)
  cql::Compression compression = cql::Compression::kNone;
  bool schema_events = false;  // REGISTER SCHEMA_CHANGE
  bool topology_events = false;
  bool status_events = false;
  std::string peer_address;  // the client's IP as text (traces' client column)
};

}  // namespace postfork::node::service
