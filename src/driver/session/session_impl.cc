#include "driver/session/session_impl.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "driver/cluster/topology.h"

namespace postfork::driver {

namespace asio = boost::asio;

// ---- Host --------------------------------------------------------------------------------

Connection* Host::Pick() const {
  Connection* best = nullptr;
  for (auto& c : connections) {
    if (!c->ready()) continue;
    if (!best || c->in_flight() < best->in_flight()) best = c.get();
  }
  return best;
}

bool Host::up() const {
  for (auto& c : connections)
    if (c->ready()) return true;
  return false;
}

int Host::opening() const {
  int n = 0;
  for (auto& c : connections)
    if (!c->ready() && !c->closed()) ++n;
  return n;
}

// ---- construction ------------------------------------------------------------------------

SessionImpl::SessionImpl(asio::io_context& io, std::shared_ptr<const SessionOptions> options,
                         std::shared_ptr<const Snapshot> snapshot)
    : io_(io),
      shared_options_(std::move(options)),
      options_(*shared_options_),
      snapshot_(std::move(snapshot)),
      retry_(options_.retry),
      generation_(g_fork_generation.load(std::memory_order_relaxed)),
      creator_pid_(static_cast<int>(::getpid())) {
  EnsureForkHandlerInstalled();
}

SessionImpl::~SessionImpl() {
  if (InWrongProcess()) {
    for (auto& h : hosts_)
      for (auto& c : h->connections) c->Abandon();
  }
}

Status SessionImpl::WrongProcessStatus() const {
  return Status(StatusCode::kWrongProcess,
                "session created in process " + std::to_string(creator_pid_) + " used in process " +
                    std::to_string(::getpid()) + "; create sessions after fork");
}

// ---- connect -----------------------------------------------------------------------------

void SessionImpl::Connect(ConnectHandler handler) {
  connect_start_ = Clock::now();
  auto shared_handler = std::make_shared<ConnectHandler>(std::move(handler));
  if (options_.tls.enabled) {
    tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    if (options_.tls.verify_peer) {
      tls_->set_verify_mode(asio::ssl::verify_peer, ec);
      if (options_.tls.ca_file.empty())
        tls_->set_default_verify_paths(ec);
      else
        tls_->load_verify_file(options_.tls.ca_file, ec);
    } else {
      tls_->set_verify_mode(asio::ssl::verify_none, ec);
    }
    if (!ec && !options_.tls.cert_file.empty())
      tls_->use_certificate_chain_file(options_.tls.cert_file, ec);
    if (!ec && !options_.tls.key_file.empty())
      tls_->use_private_key_file(options_.tls.key_file, asio::ssl::context::pem, ec);
    if (ec) {
      FinishConnect(shared_handler,
                    Status(StatusCode::kInvalidArgument, "TLS setup: " + ec.message()));
      return;
    }
  }
  keyspace_ = options_.keyspace;
  report_.steps.reserve(8);  // one allocation, not one per doubling
  if (snapshot_) {
    report_.from_snapshot = true;
    local_dc_ = snapshot_->local_dc;
    replication_ = SharedMap<std::string, ReplicationStrategy>(snapshot_->replication);
    schema_ = SharedMap<std::string, std::shared_ptr<const KeyspaceMetadata>>(snapshot_->schema);
    protocol_versions_ = snapshot_->protocol_versions;
    for (auto& info : snapshot_->hosts)
      hosts_.push_back(std::make_unique<Host>(io_, info, options_.reconnection));
    for (auto& h : hosts_) h->endpoint = h->info.Endpoint();
    // Aliasing pointers: they count on the snapshot's control block, which the session's
    // snapshot_ has written already, not on the token map's (another page of the master's heap).
    token_map_ = snapshot_->token_map
                     ? std::shared_ptr<const TokenMap>(snapshot_, snapshot_->token_map.get())
                     : TokenMap::Build(snapshot_->hosts);
  }
  TryContactPoint(0, std::move(shared_handler), std::make_shared<std::string>());
}

void SessionImpl::TryContactPoint(size_t index, std::shared_ptr<ConnectHandler> handler,
                                  std::shared_ptr<std::string> errors) {
  // From a snapshot the candidates are its hosts, local DC first; otherwise the contact points.
  std::vector<std::pair<std::string, uint16_t>> candidates;
  if (snapshot_) {
    for (auto& h : hosts_)
      if (h->info.datacenter == local_dc_) candidates.emplace_back(h->info.address, h->info.port);
    for (auto& h : hosts_)
      if (h->info.datacenter != local_dc_) candidates.emplace_back(h->info.address, h->info.port);
  } else {
    for (auto& cp : options_.contact_points) candidates.emplace_back(cp, options_.port);
  }
  if (index >= candidates.size()) {
    FinishConnect(handler, Status(StatusCode::kConnectFailed,
                                  "could not connect to any contact point: " + *errors));
    return;
  }
  auto first = NewConnection(candidates[index].first, candidates[index].second);
  report_.steps.push_back("tcp " + first->endpoint());
  ++report_.connections_opened;
  // The connect holds the session: nobody else does until the handler gets it.
  OpenNegotiated(first, [self = shared_from_this(), index, handler, errors](
                            std::shared_ptr<Connection> conn, Status st) {
    if (self->closed_) {
      self->FinishConnect(handler, Status(StatusCode::kClosed, "session closed during connect"));
      return;
    }
    if (!st.ok()) {
      if (!errors->empty()) *errors += "; ";
      *errors += conn->endpoint() + ": " + st.message();
      // An authentication or version failure is the same everywhere: report it now.
      if (st.cql_code() == static_cast<int>(cql::ErrorCode::kBadCredentials) ||
          st.code() == StatusCode::kUnsupported) {
        self->FinishConnect(handler, st);
        return;
      }
      self->TryContactPoint(index + 1, handler, errors);
      return;
    }
    self->report_.protocol_version = conn->protocol_version();
    self->report_.steps.push_back(self->options_.credentials ? "STARTUP+AUTH" : "STARTUP");
    self->report_.round_trips += self->options_.credentials ? 2 : 1;
    self->Bootstrap(conn, handler);
  });
}

namespace {
// Collects the answers of requests pipelined on one connection and runs `done` after the last.
struct Pipeline {
  int outstanding = 0;
  Status failure;
  std::function<void()> done;
  void Finish() {
    if (--outstanding == 0 && done) {
      auto fn = std::move(done);
      done = nullptr;
      fn();
    }
  }
};

std::string Quote(const std::string& ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Status SendRegister(Connection& c, Millis timeout, std::function<void(Status)> fn) {
  auto* h = new CallbackHandler([fn](Result<Response> r) {
    if (!r.ok()) return fn(r.error());
    if (r->header.opcode != cql::Opcode::kReady) {
      QueryResult q = DecodeResponse(r->header, r->body, nullptr, "");
      return fn(q.ok() ? Status(StatusCode::kMalformed, "REGISTER not answered with READY")
                       : q.status());
    }
    fn(Status::Ok());
  });
  Status st = c.Send(
      cql::Opcode::kRegister,
      [](cql::ByteWriter& w) {
        cql::RegisterMessage m;
        m.event_types = {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"};
        m.Encode(w);
        return Status::Ok();
      },
      h, timeout);
  if (!st.ok()) delete h;
  return st;
}
}  // namespace

void SessionImpl::Bootstrap(std::shared_ptr<Connection> conn,
                            std::shared_ptr<ConnectHandler> handler) {
  // Everything below leaves in one write and costs one round trip.
  auto p = std::make_shared<Pipeline>();
  auto self = shared_from_this();
  Millis timeout = options_.connect_timeout;
  auto fail = [p](Status st) {
    if (p->failure.ok()) p->failure = std::move(st);
  };
  auto local_rows = std::make_shared<QueryResult>();
  auto peer_rows = std::make_shared<QueryResult>();
  bool topology = !snapshot_;
  bool fetch_replication = !snapshot_ && !keyspace_.empty() && options_.token_aware &&
                           options_.fetches.keyspace_replication;
  if (topology) {
    p->outstanding += 2;
    report_.system_queries += 2;
    report_.steps.push_back("system.local");
    report_.steps.push_back("system.peers_v2");
    SendQuery(*conn, std::string(kLocalQuery), {}, timeout, [p, local_rows](QueryResult r) {
      *local_rows = std::move(r);
      p->Finish();
    });
    SendQuery(*conn, std::string(kPeersV2Query), {}, timeout, [p, peer_rows](QueryResult r) {
      *peer_rows = std::move(r);
      p->Finish();
    });
  }
  if (fetch_replication) {
    ++p->outstanding;
    ++report_.system_queries;
    report_.steps.push_back("system_schema.keyspaces (" + keyspace_ + ")");
    SendQuery(*conn, ReplicationQuery(keyspace_), {}, timeout, [p, self](QueryResult r) {
      if (r.ok() && r.row_count() > 0) {
        auto m = r.row(0).Get<cql::ValueMap>("replication");
        if (m.ok()) self->replication_.Set(self->keyspace_, ParseReplication(*m));
      }
      p->Finish();
    });
  }
  if (topology) {
    ++p->outstanding;
    report_.steps.push_back("REGISTER");
    Status st = SendRegister(*conn, timeout, [p, fail](Status st) {
      if (!st.ok()) fail(Status(StatusCode::kConnectFailed, "REGISTER: " + st.message()));
      p->Finish();
    });
    if (!st.ok()) {
      --p->outstanding;
      fail(st);
    }
  } else {
    // From a snapshot nothing waits for REGISTER, and a failure only costs events (the session
    // still follows its connections' state). It is queued once the session is handed over (see
    // below), so that it leaves in one write with the first requests.
    report_.steps.push_back("REGISTER (not awaited)");
  }
  // v5 requests name their keyspace, so a connection from a snapshot needs no USE there. A
  // fresh connect still sends it (in the same round trip) to check that the keyspace exists.
  if (!keyspace_.empty() && (topology || conn->protocol_version() < cql::kProtocolV5)) {
    ++p->outstanding;
    report_.steps.push_back("USE " + keyspace_);
    SendQuery(*conn, "USE " + Quote(keyspace_), {}, timeout, [p, fail](QueryResult r) {
      if (!r.ok())
        fail(Status(StatusCode::kConnectFailed, "USE: " + r.status().message(),
                    r.status().cql_code()));
      p->Finish();
    });
  }
  if (p->outstanding > 0) ++report_.round_trips;
  p->done = [self, p, conn, handler, local_rows, peer_rows, topology]() {
    if (self->closed_) {
      self->FinishConnect(handler, Status(StatusCode::kClosed, "session closed during connect"));
      return;
    }
    if (!p->failure.ok()) {
      conn->Close(p->failure);
      self->FinishConnect(handler, p->failure);
      return;
    }
    if (!topology) {
      int index = self->AttachConnection(conn);
      if (index < 0) {
        // The host answered but is not in the snapshot (address change): keep it anyway.
        HostInfo info;
        info.address = conn->address();
        info.port = conn->port();
        info.datacenter = self->local_dc_;
        self->hosts_.push_back(
            std::make_unique<Host>(self->io_, info, self->options_.reconnection));
        self->hosts_.back()->endpoint = info.Endpoint();
        self->AttachConnection(conn);
      }
      self->MakeControl(conn.get());
      self->FinishConnect(handler, Status::Ok());
      // After FinishConnect has posted the handler: the flush this schedules runs after it, so
      // requests the handler sends share REGISTER's write (one send instead of two).
      self->RegisterUnawaited(*conn);
      return;
    }
    auto finish_topology = [self, conn, handler, local_rows](QueryResult peers) {
      if (!local_rows->ok()) {
        Status st(StatusCode::kConnectFailed, "system.local: " + local_rows->status().message());
        conn->Close(st);
        self->FinishConnect(handler, st);
        return;
      }
      auto hosts = HostsFromSystemTables(*local_rows, peers, conn->address(), conn->port(),
                                         self->options_.port);
      if (!hosts.ok()) {
        Status st(StatusCode::kConnectFailed, hosts.error().message());
        conn->Close(st);
        self->FinishConnect(handler, st);
        return;
      }
      self->local_dc_ =
          self->options_.local_dc.empty() ? (*hosts)[0].datacenter : self->options_.local_dc;
      self->ApplyTopology(std::move(*hosts));
      self->AttachConnection(conn);
      self->MakeControl(conn.get());
      self->FinishConnect(handler, Status::Ok());
    };
    if (!peer_rows->ok() && peer_rows->server_error() &&
        peer_rows->server_error()->code == cql::ErrorCode::kInvalid) {
      // Before Cassandra 4.0 there is no peers_v2: one more round trip for system.peers.
      ++self->report_.system_queries;
      ++self->report_.round_trips;
      self->report_.steps.push_back("system.peers");
      SendQuery(*conn, std::string(kPeersQuery), {}, self->options_.connect_timeout,
                finish_topology);
      return;
    }
    finish_topology(std::move(*peer_rows));
  };
  if (p->outstanding == 0) {
    auto fn = std::move(p->done);
    fn();
  }
}

void SessionImpl::FinishConnect(std::shared_ptr<ConnectHandler> handler, Status status) {
  if (!*handler) return;
  report_.elapsed_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - connect_start_).count();
  ConnectHandler h = std::move(*handler);
  *handler = nullptr;
  if (!status.ok()) {
    closed_ = true;
    for (auto& host : hosts_)
      for (auto& c : host->connections) c->Close(Status(StatusCode::kClosed, "connect failed"));
    auto ex = asio::get_associated_executor(h, io_.get_executor());
    PostOn(io_, ex, [h = std::move(h), status = std::move(status)]() mutable {
      std::move(h)(Result<Session>(std::move(status)));
    });
    return;
  }
  ready_ = true;
  spdlog::debug(
      "postfork driver: session ready in {:.3f} ms ({} connection(s), {} system "
      "queries, {} round trip(s){})",
      report_.elapsed_ms, report_.connections_opened, report_.system_queries, report_.round_trips,
      report_.from_snapshot ? ", from snapshot" : "");
  Session session(shared_from_this());
  OpenPools();
  auto ex = asio::get_associated_executor(h, io_.get_executor());
  PostOn(io_, ex, [h = std::move(h), s = std::move(session)]() mutable {
    std::move(h)(Result<Session>(std::move(s)));
  });
}

void SessionImpl::ApplyTopology(std::vector<HostInfo> infos) {
  std::vector<std::unique_ptr<Host>> next;
  for (auto& info : infos) {
    std::unique_ptr<Host> existing;
    for (auto& h : hosts_) {
      if (h && h->info.address == info.address && h->info.port == info.port) {
        existing = std::move(h);
        break;
      }
    }
    if (existing) {
      existing->info = info;
      next.push_back(std::move(existing));
    } else {
      next.push_back(std::make_unique<Host>(io_, info, options_.reconnection));
      next.back()->endpoint = info.Endpoint();
    }
  }
  for (auto& h : hosts_) {  // removed hosts: close their connections
    if (!h) continue;
    h->reconnect_timer.cancel();
    auto conns = h->connections;
    h->connections.clear();
    for (auto& c : conns) c->Close(Status(StatusCode::kClosed, "host removed from the cluster"));
  }
  hosts_ = std::move(next);
  std::vector<HostInfo> list;
  for (auto& h : hosts_) list.push_back(h->info);
  token_map_ = TokenMap::Build(list);
}

int SessionImpl::AttachConnection(std::shared_ptr<Connection> conn) {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    Host& h = *hosts_[i];
    if (h.info.address == conn->address() && h.info.port == conn->port()) {
      if (std::find(h.connections.begin(), h.connections.end(), conn) == h.connections.end())
        h.connections.push_back(conn);
      std::weak_ptr<SessionImpl> weak = shared_from_this();
      conn->set_close_callback([weak](Connection& c, const Status& why) {
        if (auto self = weak.lock()) self->OnConnectionClosed(c, why);
      });
      h.backoff.Reset();
      h.last_error = Status::Ok();
      return static_cast<int>(i);
    }
  }
  return -1;
}

void SessionImpl::OpenPools() {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    Host& h = *hosts_[i];
    bool remote = !local_dc_.empty() && h.info.datacenter != local_dc_;
    if (remote) continue;  // remote DCs are a last resort: opened on demand by reconnects
    int have = static_cast<int>(h.connections.size());
    for (int n = have; n < options_.connections_per_host; ++n) OpenConnection(static_cast<int>(i));
  }
}

std::shared_ptr<Connection> SessionImpl::NewConnection(const std::string& address, uint16_t port) {
  int version = cql::kProtocolV5;
  switch (options_.protocol_version) {
    case ProtocolVersion::kV4:
      version = cql::kProtocolV4;
      break;
    case ProtocolVersion::kV5:
      break;
    case ProtocolVersion::kNegotiate: {
      auto it = protocol_versions_.find(address + ":" + std::to_string(port));
      if (it != protocol_versions_.end()) version = it->second;
      break;
    }
  }
  return std::make_shared<Connection>(io_, address, port, shared_options_, tls_, version);
}

void SessionImpl::OpenNegotiated(std::shared_ptr<Connection> conn,
                                 std::function<void(std::shared_ptr<Connection>, Status)> done) {
  std::weak_ptr<SessionImpl> weak = shared_from_this();
  conn->Open([weak, conn, done = std::move(done)](Status st) mutable {
    auto self = weak.lock();
    if (self && !self->closed_ && st.code() == StatusCode::kUnsupported &&
        self->options_.protocol_version == ProtocolVersion::kNegotiate &&
        conn->protocol_version() > cql::kProtocolV4) {
      self->protocol_versions_[conn->endpoint()] = cql::kProtocolV4;
      self->report_.steps.push_back("v5 refused by " + conn->endpoint() + ": v4");
      ++self->report_.connections_opened;
      auto next = self->NewConnection(conn->address(), conn->port());
      self->OpenNegotiated(std::move(next), std::move(done));
      return;
    }
    done(conn, std::move(st));
  });
}

void SessionImpl::OpenConnection(int host_index) {
  Host& h = *hosts_[static_cast<size_t>(host_index)];
  auto first = NewConnection(h.info.address, h.info.port);
  h.connections.push_back(first);
  std::weak_ptr<SessionImpl> weak = shared_from_this();
  OpenNegotiated(first, [weak, first](std::shared_ptr<Connection> conn, Status st) {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    int index = -1;
    for (size_t i = 0; i < self->hosts_.size(); ++i) {
      auto& cs = self->hosts_[i]->connections;
      auto it = std::find(cs.begin(), cs.end(), first);
      if (it == cs.end()) continue;
      *it = conn;  // after a downgrade, the v4 connection takes the pool slot
      index = static_cast<int>(i);
    }
    if (index < 0) {
      conn->Close(Status(StatusCode::kClosed, "host removed"));
      return;
    }
    Host& host = *self->hosts_[static_cast<size_t>(index)];
    if (!st.ok()) {
      auto& cs = host.connections;
      cs.erase(std::remove(cs.begin(), cs.end(), conn), cs.end());
      host.last_error = st;
      self->ScheduleReconnect(host);
      return;
    }
    auto after_use = [weak, conn](Status st) {
      auto self = weak.lock();
      if (!self || self->closed_) return;
      if (!st.ok()) {
        conn->Close(st);
        return;
      }
      self->AttachConnection(conn);
      if (!self->control_.lock() || self->control_.lock()->closed()) {
        self->MakeControl(conn.get());
        self->RefreshTopology();
      }
    };
    if (self->keyspace_.empty() || conn->protocol_version() >= cql::kProtocolV5) {
      after_use(Status::Ok());
    } else {
      SendQuery(*conn, "USE " + Quote(self->keyspace_), {}, self->options_.connect_timeout,
                [after_use](QueryResult r) { after_use(r.status()); });
    }
  });
}

void SessionImpl::OnConnectionClosed(Connection& conn, const Status& why) {
  if (closed_) return;
  for (auto& hp : hosts_) {
    Host& h = *hp;
    auto it = std::find_if(h.connections.begin(), h.connections.end(),
                           [&](const std::shared_ptr<Connection>& c) { return c.get() == &conn; });
    if (it == h.connections.end()) continue;
    auto keep = *it;  // `conn` stays alive until we return
    h.connections.erase(it);
    h.last_error = why;
    spdlog::debug("postfork driver: connection to {} closed: {}", h.endpoint, why.ToString());
    ScheduleReconnect(h);
    if (control_.expired() || control_.lock().get() == &conn) {
      control_.reset();
      for (auto& other : hosts_) {
        if (Connection* c = other->Pick()) {
          MakeControl(c);
          RefreshTopology();
          break;
        }
      }
    }
    return;
  }
}

void SessionImpl::ScheduleReconnect(Host& host) {
  if (closed_ || host.reconnect_scheduled) return;
  if (static_cast<int>(host.connections.size()) >= options_.connections_per_host) return;
  host.reconnect_scheduled = true;
  Millis delay = host.backoff.NextDelay();
  host.reconnect_timer.expires_after(delay);
  std::weak_ptr<SessionImpl> weak = shared_from_this();
  std::string endpoint = host.endpoint;
  host.reconnect_timer.async_wait([weak, endpoint](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || self->closed_ || ec) return;
    int index = -1;
    for (size_t i = 0; i < self->hosts_.size(); ++i)
      if (self->hosts_[i]->endpoint == endpoint) index = static_cast<int>(i);
    if (index < 0) return;
    Host& h = *self->hosts_[static_cast<size_t>(index)];
    h.reconnect_scheduled = false;
    int missing = self->options_.connections_per_host - static_cast<int>(h.connections.size());
    for (int n = 0; n < missing; ++n) self->OpenConnection(index);
  });
}

void SessionImpl::MakeControl(Connection* conn) {
  for (auto& h : hosts_)
    for (auto& c : h->connections)
      if (c.get() == conn) control_ = c;
  std::weak_ptr<SessionImpl> weak = shared_from_this();
  conn->set_event_callback([weak](const cql::EventMessage& ev) {
    if (auto self = weak.lock()) self->OnEvent(ev);
  });
  if (!ready_) return;  // the bootstrap sends REGISTER itself
  RegisterUnawaited(*conn);
}

void SessionImpl::RegisterUnawaited(Connection& conn) {
  std::weak_ptr<SessionImpl> weak = shared_from_this();
  auto report = [weak](const Status& st) {
    if (st.ok()) return;
    auto self = weak.lock();
    if (!self || self->closed_)
      spdlog::debug("postfork driver: REGISTER cut short by the session's close: {}",
                    st.ToString());
    else
      spdlog::warn("postfork driver: REGISTER failed: {}", st.ToString());
  };
  // No deadline: nothing waits for the answer (a dead connection is the heartbeat's to find),
  // and a forked worker arms no timer for it.
  Status st = SendRegister(conn, Millis(0), report);
  report(st);
}

Connection* SessionImpl::AnyConnection() {
  if (auto c = control_.lock(); c && c->ready()) return c.get();
  for (auto& h : hosts_)
    if (Connection* c = h->Pick()) return c;
  return nullptr;
}

void SessionImpl::RefreshTopology(std::function<void()> after) {
  Connection* c = AnyConnection();
  if (!c) {
    if (after) after();
    return;
  }
  auto self = shared_from_this();
  auto local = std::make_shared<QueryResult>();
  std::string address = c->address();
  uint16_t port = c->port();
  SendQuery(*c, std::string(kLocalQuery), {}, options_.connect_timeout,
            [local](QueryResult r) { *local = std::move(r); });
  SendQuery(*c, std::string(kPeersV2Query), {}, options_.connect_timeout,
            [self, local, address, port, after](QueryResult peers) {
              if (self->closed_) return;
              if (local->ok() && peers.ok()) {  // else keep the current view
                auto hosts =
                    HostsFromSystemTables(*local, peers, address, port, self->options_.port);
                if (hosts.ok()) {
                  self->ApplyTopology(std::move(*hosts));
                  self->OpenPools();
                }
              }
              if (after) after();
            });
}

void SessionImpl::RefreshTopologyUntil(const std::string& address, bool present, int attempts) {
  std::weak_ptr<SessionImpl> weak = shared_from_this();
  RefreshTopology([weak, address, present, attempts] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    if ((self->FindHost(address) >= 0) == present || attempts <= 1) return;
    // The node's system.peers_v2 row may still be incomplete when the event arrives (Cassandra
    // sends NEW_NODE once the node is ready for clients, but the row is written by gossip).
    auto timer = std::make_shared<asio::steady_timer>(self->io_);
    timer->expires_after(kTopologyRetryDelay);
    timer->async_wait([weak, address, present, attempts, timer](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_) return;
      self->RefreshTopologyUntil(address, present, attempts - 1);
    });
  });
}

namespace {
// The schema_version of a system.local or peers row as text; "" when null or absent.
std::string SchemaVersionOf(const Row& row) {
  auto v = row.GetValue("schema_version");
  if (!v.ok() || !v->get_if<cql::Uuid>()) return "";
  return v->get_if<cql::Uuid>()->ToString();
}

// A peer row's client address (peers_v2: native_address; peers: rpc_address).
std::string PeerAddressOf(const Row& row) {
  for (const char* column : {"native_address", "rpc_address", "peer"}) {
    auto v = row.GetValue(column);
    if (v.ok() && v->get_if<cql::Inet>()) return v->get_if<cql::Inet>()->ToString();
  }
  return "";
}
}  // namespace

void SessionImpl::AwaitSchemaAgreement(std::shared_ptr<Connection> conn,
                                       std::function<void(bool)> done) {
  auto shared_done = std::make_shared<std::function<void(bool)>>(std::move(done));
  PollSchemaAgreement(std::move(conn), Clock::now() + options_.schema_agreement_wait,
                      std::move(shared_done));
}

void SessionImpl::PollSchemaAgreement(std::shared_ptr<Connection> conn, Clock::time_point deadline,
                                      std::shared_ptr<std::function<void(bool)>> done) {
  if (closed_ || !conn->ready()) return (*done)(false);
  auto local = std::make_shared<QueryResult>();
  auto self = shared_from_this();
  SendQuery(*conn, std::string(kLocalQuery), {}, options_.connect_timeout,
            [local](QueryResult r) { *local = std::move(r); });
  SendQuery(*conn, std::string(kPeersV2Query), {}, options_.connect_timeout,
            [self, conn, deadline, done, local](QueryResult peers) {
              if (self->closed_) return (*done)(false);
              std::set<std::string> versions;
              if (local->ok() && local->row_count() == 1)
                versions.insert(SchemaVersionOf(local->row(0)));
              if (peers.ok()) {
                for (const Row& row : peers.rows()) {
                  std::string version = SchemaVersionOf(row);
                  if (version.empty()) continue;
                  // A host this session knows to be down has missed the change; it catches
                  // up when it returns (Cassandra pulls the schema on gossip).
                  int index = self->FindHost(PeerAddressOf(row));
                  if (index >= 0) {
                    const Host& h = *self->hosts_[static_cast<size_t>(index)];
                    if (!h.up() && !h.last_error.ok()) continue;
                  }
                  versions.insert(std::move(version));
                }
              }
              if (local->ok() && peers.ok() && versions.size() == 1) return (*done)(true);
              if (Clock::now() >= deadline) {
                spdlog::warn(
                    "postfork driver: no schema agreement within {} ms ({} versions seen); "
                    "continuing",
                    self->options_.schema_agreement_wait.count(), versions.size());
                return (*done)(false);
              }
              auto timer = std::make_shared<asio::steady_timer>(self->io_);
              timer->expires_after(std::chrono::milliseconds(200));
              timer->async_wait([self, conn, deadline, done, timer](boost::system::error_code) {
                self->PollSchemaAgreement(conn, deadline, done);
              });
            });
}

int SessionImpl::FindHost(const std::string& address) const {
  for (size_t i = 0; i < hosts_.size(); ++i)
    if (hosts_[i]->info.address == address) return static_cast<int>(i);
  return -1;
}

void SessionImpl::OnEvent(const cql::EventMessage& ev) {
  if (closed_ || InWrongProcess()) return;
  if (ev.type == cql::EventMessage::Type::kSchemaChange) {
    const cql::SchemaChange& sc = ev.schema_change;
    if (sc.target == cql::SchemaChangeTarget::kKeyspace) {
      if (sc.change == cql::SchemaChangeType::kDropped) {
        replication_.Erase(sc.keyspace);
        schema_.Erase(sc.keyspace);
      } else if (replication_.Contains(sc.keyspace)) {
        FetchReplication(sc.keyspace);
      }
    }
    if (sc.target == cql::SchemaChangeTarget::kTable && schema_.Contains(sc.keyspace)) {
      auto self = shared_from_this();
      FetchKeyspace(sc.keyspace, KeyspaceHandler([](Result<KeyspaceMetadata>) {}));
    }
    return;
  }
  cql::Inet inet;
  inet.size = static_cast<uint8_t>(std::min<size_t>(ev.address.size(), 16));
  std::copy_n(ev.address.begin(), inet.size, inet.bytes.begin());
  std::string address = inet.ToString();
  if (ev.type == cql::EventMessage::Type::kTopologyChange) {
    // NEW_NODE and MOVED_NODE: the host is (still) there; REMOVED_NODE: it is gone.
    RefreshTopologyUntil(address, ev.change != "REMOVED_NODE", kTopologyRefreshAttempts);
    return;
  }
  int index = FindHost(address);
  if (index < 0) {
    if (ev.change == "UP") RefreshTopologyUntil(address, true, kTopologyRefreshAttempts);
    return;
  }
  Host& h = *hosts_[static_cast<size_t>(index)];
  if (ev.change == "UP" && !h.up() && h.opening() == 0) {
    // Reconnect now rather than at the end of the backoff.
    h.reconnect_timer.cancel();
    h.reconnect_scheduled = false;
    h.backoff.Reset();
    int missing = options_.connections_per_host - static_cast<int>(h.connections.size());
    for (int n = 0; n < missing; ++n) OpenConnection(index);
  }
  // DOWN is advisory: our own connections tell us when a host is gone.
}

void SessionImpl::FetchReplication(const std::string& keyspace) {
  if (replication_fetching_[keyspace]) return;
  Connection* c = AnyConnection();
  if (!c) return;
  replication_fetching_[keyspace] = true;
  auto self = shared_from_this();
  SendQuery(*c, ReplicationQuery(keyspace), {}, options_.connect_timeout,
            [self, keyspace](QueryResult r) {
              self->replication_fetching_[keyspace] = false;
              if (r.ok() && r.row_count() > 0) {
                auto m = r.row(0).Get<cql::ValueMap>("replication");
                if (m.ok()) self->replication_.Set(keyspace, ParseReplication(*m));
              }
            });
}

// ---- routing -----------------------------------------------------------------------------

void SessionImpl::BuildPlan(const std::string* keyspace, const int64_t* token, QueryPlan* plan) {
  int n = static_cast<int>(hosts_.size());
  if (token && keyspace && options_.token_aware && token_map_) {
    const ReplicationStrategy* strategy = replication_.Find(*keyspace);
    if (!strategy) {
      FetchReplication(*keyspace);
    } else {
      const auto& replicas = token_map_->Replicas(*token, *strategy);
      for (int r : replicas)  // local replicas first
        if (r < n && hosts_[static_cast<size_t>(r)]->info.datacenter == local_dc_ &&
            hosts_[static_cast<size_t>(r)]->up())
          plan->Add(r);
      for (int r : replicas)
        if (r < n && hosts_[static_cast<size_t>(r)]->up()) plan->Add(r);
    }
  }
  // Round robin over the local DC's up hosts only, so each gets an equal share (rotating over
  // every host would give a local host that follows a remote one in the list a double turn).
  std::array<int16_t, QueryPlan::kMaxHosts> local{};
  int local_count = 0;
  for (int h = 0; h < n && local_count < QueryPlan::kMaxHosts; ++h)
    if (hosts_[static_cast<size_t>(h)]->info.datacenter == local_dc_ &&
        hosts_[static_cast<size_t>(h)]->up())
      local[static_cast<size_t>(local_count++)] = static_cast<int16_t>(h);
  uint32_t start = round_robin_++;
  for (int i = 0; i < local_count; ++i)
    plan->Add(local[(start + static_cast<uint32_t>(i)) % static_cast<uint32_t>(local_count)]);
  for (int i = 0; i < n; ++i) {
    int h = static_cast<int>((start + static_cast<uint32_t>(i)) % static_cast<uint32_t>(n));
    if (hosts_[static_cast<size_t>(h)]->up()) plan->Add(h);
  }
}

Status SessionImpl::NoHostAvailable(const QueryPlan& plan, const std::string& detail) const {
  std::string msg = "no host available";
  if (!detail.empty()) msg += ": " + detail;
  std::string down;
  for (auto& h : hosts_) {
    if (h->up()) continue;
    if (!down.empty()) down += "; ";
    down += h->endpoint + " down";
    if (!h->last_error.ok()) down += " (" + h->last_error.message() + ")";
  }
  if (!down.empty()) msg += " [" + down + "]";
  return Status(StatusCode::kNoHostAvailable, msg);
}

// ---- prepared cache / keyspace -------------------------------------------------------------

// Keyed by keyspace too: an unqualified table name means another table after USE.
static std::string PreparedKey(const std::string& keyspace, const std::string& query) {
  return keyspace + '\n' + query;
}

std::shared_ptr<const PreparedData> SessionImpl::FindPrepared(const std::string& query) const {
  auto it = prepared_.find(PreparedKey(keyspace_, query));
  if (it != prepared_.end()) return it->second;
  if (snapshot_) {
    for (auto& p : snapshot_->prepared)
      if (p->query == query && p->keyspace == keyspace_) return p;
  }
  return nullptr;
}

void SessionImpl::StorePrepared(std::shared_ptr<const PreparedData> data) {
  std::string key = PreparedKey(data->keyspace, data->query);
  prepared_[key] = std::move(data);
}

void SessionImpl::OnKeyspaceChanged(const std::string& keyspace, Connection* origin) {
  if (keyspace == keyspace_) return;
  keyspace_ = keyspace;
  // Every other connection follows the USE (requests are per connection).
  for (auto& h : hosts_)
    for (auto& c : h->connections)
      if (c.get() != origin && c->ready() && c->protocol_version() < cql::kProtocolV5)
        SendQuery(*c, "USE " + Quote(keyspace), {}, options_.connect_timeout, [](QueryResult) {});
}

std::vector<HostInfo> SessionImpl::host_infos() const {
  std::vector<HostInfo> out;
  for (auto& h : hosts_) out.push_back(h->info);
  return out;
}

int SessionImpl::hosts_up() const {
  int n = 0;
  for (auto& h : hosts_) n += h->up() ? 1 : 0;
  return n;
}

std::shared_ptr<const Snapshot> SessionImpl::TakeSnapshot() const {
  auto s = std::make_shared<Snapshot>();
  s->options = options_;
  s->options.keyspace = keyspace_;
  s->local_dc = local_dc_;
  s->hosts = host_infos();
  s->replication = replication_.shared();
  s->token_map = token_map_;
  for (auto& [q, p] : prepared_) s->prepared.push_back(p);
  if (snapshot_) {  // the snapshot's statements that this session has not prepared again
    for (auto& p : snapshot_->prepared)
      if (!prepared_.count(PreparedKey(p->keyspace, p->query))) s->prepared.push_back(p);
  }
  s->schema = schema_.shared();
  s->protocol_versions = protocol_versions_;
  return s;
}

void SessionImpl::Close() {
  if (closed_) return;
  closed_ = true;
  if (InWrongProcess()) {
    for (auto& h : hosts_)
      for (auto& c : h->connections) c->Abandon();
    return;
  }
  for (auto& h : hosts_) {
    h->reconnect_timer.cancel();
    auto conns = h->connections;
    h->connections.clear();
    for (auto& c : conns) c->Close(Status(StatusCode::kClosed, "session closed"));
  }
}

}  // namespace postfork::driver
