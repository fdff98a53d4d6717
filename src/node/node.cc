// Wiring of a node: Database (storage + schema) -> QueryProcessor -> transport Server, on one
// network thread.
#include "postfork/node/node.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <thread>

#include "node/admin/admin_listener.h"
#include "node/admin/admin_service.h"
#include "node/auth/auth_service.h"
#include "node/auth/role_store.h"
#include "node/cql3/query_processor.h"
#include "node/db/database.h"
#include "node/service/metrics.h"
#include "node/transport/server.h"

namespace postfork::node {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Node::Impl {
  NodeOptions options;
  asio::io_context io{1};
  // Keeps io.run() going while the node has nothing to wait on (disablebinary closes the CQL
  // listener and every connection; enablebinary must still find the network thread).
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  std::unique_ptr<Database> db;
  std::unique_ptr<auth::AuthService> auth;  // after db: destroyed before it
  std::unique_ptr<asio::ssl::context> tls;
  service::NodeMetrics metrics;
  std::unique_ptr<cql3::QueryProcessor> processor;
  std::unique_ptr<asio::thread_pool> requests;  // null with request_threads == 0
  std::unique_ptr<transport::Server> server;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<AdminListener> admin_listener;  // after admin: stopped before it goes
  std::thread thread;
  uint16_t port = 0;
  uint16_t metrics_port = 0;
  uint16_t admin_port = 0;
  bool stopped = false;
};

namespace {

Result<tcp::acceptor> Listen(asio::io_context& io, const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return Status(StatusCode::kInvalidArgument, fmt::format("invalid listen address '{}'", host));
  }
  return transport::Listen(io.get_executor(), tcp::endpoint(address, port));
}

// The server side of client TLS: TLS 1.2 or later, the node's certificate and key, and client
// certificate verification when a CA is given.
Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const NodeOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
  }
  if (o.tls_cert_file.empty()) {
    if (!o.tls_ca_file.empty() || o.tls_require_client_cert) {
      return Status(StatusCode::kInvalidArgument,
                    "--tls-ca and --tls-require-client-cert need --tls-cert and --tls-key");
    }
    return std::unique_ptr<asio::ssl::context>();
  }
  if (o.tls_require_client_cert && o.tls_ca_file.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "--tls-require-client-cert needs --tls-ca to verify client certificates with");
  }
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  auto fail = [&](const std::string& what, const std::string& file) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("cannot load TLS {} '{}': {}", what, file, ec.message()));
  };
  ctx->use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec) return fail("certificate", o.tls_cert_file);
  ctx->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) return fail("private key", o.tls_key_file);
  if (!o.tls_ca_file.empty()) {
    ctx->load_verify_file(o.tls_ca_file, ec);
    if (ec) return fail("CA file", o.tls_ca_file);
    auto mode = asio::ssl::verify_peer;
    if (o.tls_require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode, ec);
    if (ec) return fail("verify mode for", o.tls_ca_file);
  }
  return ctx;
}

}  // namespace

Result<std::unique_ptr<Node>> Node::Start(const NodeOptions& options) {
  if (options.data_dir.empty()) {
    return Status(StatusCode::kInvalidArgument, "NodeOptions.data_dir is required");
  }
  if (options.max_frame_size < 1024) {
    return Status(StatusCode::kInvalidArgument, "NodeOptions.max_frame_size must be >= 1024");
  }
  if (options.prepared_statements_cache_size_mib == 0) {
    return Status(StatusCode::kInvalidArgument,
                  "NodeOptions.prepared_statements_cache_size_mib must be >= 1");
  }
  if (options.memtable_size_mib == 0) {
    return Status(StatusCode::kInvalidArgument, "NodeOptions.memtable_size_mib must be >= 1");
  }
  if (options.authorizer == NodeOptions::Authorizer::kCassandra &&
      options.authenticator != NodeOptions::Authenticator::kPassword) {
    return Status(StatusCode::kInvalidArgument,
                  "the Cassandra authorizer requires the Password authenticator");
  }
  std::optional<tcp::endpoint> admin_endpoint;
  if (options.admin_port != 0) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.admin_address, ec);
    if (ec) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("invalid admin address '{}'", options.admin_address));
    }
    admin_endpoint.emplace(address, options.admin_port);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  PF_ASSIGN_OR_RETURN(impl->tls, MakeTlsContext(options));
  PF_ASSIGN_OR_RETURN(tcp::acceptor acceptor,
                      Listen(impl->io, options.listen_address, options.port));
  impl->port = acceptor.local_endpoint().port();
  std::optional<tcp::acceptor> metrics_acceptor;
  if (!options.metrics_address.empty()) {
    auto colon = options.metrics_address.rfind(':');
    if (colon == std::string::npos) {
      return Status(StatusCode::kInvalidArgument,
                    "metrics address must be host:port, got '" + options.metrics_address + "'");
    }
    int mport = std::atoi(options.metrics_address.c_str() + colon + 1);
    if (mport < 0 || mport > 65535) {
      return Status(StatusCode::kInvalidArgument, "invalid metrics port");
    }
    PF_ASSIGN_OR_RETURN(tcp::acceptor m, Listen(impl->io, options.metrics_address.substr(0, colon),
                                                static_cast<uint16_t>(mport)));
    impl->metrics_port = m.local_endpoint().port();
    metrics_acceptor.emplace(std::move(m));
  }

  DatabaseOptions db_options;
  db_options.storage.data_dir = options.data_dir;
  db_options.storage.sync_mode = options.commitlog_sync == NodeOptions::CommitlogSync::kBatch
                                     ? StorageOptions::SyncMode::kBatch
                                     : StorageOptions::SyncMode::kPeriodic;
  db_options.storage.write_buffer_bytes = static_cast<size_t>(options.memtable_size_mib) << 20;
  db_options.storage.block_cache_bytes = static_cast<size_t>(options.block_cache_size_mib) << 20;
  db_options.storage.row_cache_bytes = static_cast<size_t>(options.row_cache_size_mib) << 20;
  db_options.storage.provoke_write_stalls = options.provoke_write_stalls;
  static_assert(NodeOptions::kBackgroundIdle == StorageOptions::kBackgroundIdle);
  db_options.storage.flush_nice = options.flush_nice;
  db_options.storage.compaction_nice = options.compaction_nice;
  db_options.identity.listen_address = options.listen_address;
  db_options.identity.native_port = impl->port;
  PF_ASSIGN_OR_RETURN(impl->db, Database::Open(std::move(db_options)));
  impl->metrics.SetStorage(&impl->db->storage());

  auth::AuthOptions auth_options;
  auth_options.authenticator = options.authenticator == NodeOptions::Authenticator::kPassword
                                   ? auth::AuthenticatorKind::kPassword
                                   : auth::AuthenticatorKind::kAllowAll;
  auth_options.authorizer = options.authorizer == NodeOptions::Authorizer::kCassandra
                                ? auth::AuthorizerKind::kCassandra
                                : auth::AuthorizerKind::kAllowAll;
  auth_options.rate_limit.burst = options.login_failure_burst;
  auth_options.rate_limit.refill = options.login_failure_refill;
  PF_ASSIGN_OR_RETURN(auto roles,
                      auth::RoleStore::Open(&impl->db->storage(), *impl->db->schema().snapshot()));
  PF_ASSIGN_OR_RETURN(impl->auth, auth::AuthService::Open(auth_options, std::move(roles)));

  cql3::QueryProcessorOptions processor_options;
  processor_options.prepared_cache_bytes =
      static_cast<size_t>(options.prepared_statements_cache_size_mib) << 20;
  processor_options.thresholds.batch_size_warn_bytes =
      static_cast<int64_t>(options.batch_size_warn_threshold_kib) * 1024;
  processor_options.thresholds.batch_size_fail_bytes =
      static_cast<int64_t>(options.batch_size_fail_threshold_kib) * 1024;
  processor_options.thresholds.unlogged_batch_across_partitions =
      options.unlogged_batch_across_partitions_warn_threshold;
  processor_options.thresholds.tombstone_warn = options.tombstone_warn_threshold;
  processor_options.thresholds.tombstone_failure = options.tombstone_failure_threshold;
  processor_options.trace_ttl_seconds = options.tracetype_query_ttl_seconds;
  impl->processor = std::make_unique<cql3::QueryProcessor>(impl->db.get(), &impl->metrics,
                                                           impl->auth.get(), processor_options);
  transport::ServerLimits limits;
  limits.max_frame_size = options.max_frame_size;
  // Cassandra bounds v5 envelopes by native_transport_max_message_size instead, a body size
  // whose default is the same 16 MiB; the node has one option for both.
  limits.max_envelope_body = options.max_frame_size;
  if (options.request_threads > 0) {
    impl->requests =
        std::make_unique<asio::thread_pool>(static_cast<size_t>(options.request_threads));
  }
  impl->server = std::make_unique<transport::Server>(std::move(acceptor), impl->processor.get(),
                                                     &impl->metrics, limits, impl->auth.get(),
                                                     impl->tls.get(), impl->requests.get(),
                                                     &impl->db->clients());
  impl->server->Start();
  if (metrics_acceptor) impl->server->StartMetrics(std::move(*metrics_acceptor));
  Impl* raw = impl.get();
  impl->keep_running.emplace(impl->io.get_executor());
  impl->thread = std::thread([raw] { raw->io.run(); });
  auto node = std::unique_ptr<Node>(new Node(std::move(impl)));
  if (admin_endpoint) {
    raw->admin = std::make_unique<AdminService>(raw->db.get(), raw->server.get(), &raw->io,
                                                options.data_dir);
    auto listener = AdminListener::Start(raw->admin.get(), *admin_endpoint);
    if (listener.ok()) {
      raw->admin_port = (*listener)->port();
      raw->admin_listener = std::move(*listener);
    } else if (options.admin_port_optional) {
      raw->admin.reset();  // no listener: nothing serves it
    } else {
      return listener.error();
    }
  }
  return node;
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() { Stop(); }

uint16_t Node::port() const { return impl_->port; }
uint16_t Node::metrics_port() const { return impl_->metrics_port; }
uint16_t Node::admin_port() const { return impl_->admin_port; }
const std::string& Node::listen_address() const { return impl_->options.listen_address; }

void Node::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // The admin thread finishes its request (which may wait on the network thread) first.
  if (impl_->admin_listener) impl_->admin_listener->Stop();
  transport::Server* server = impl_->server.get();
  asio::post(impl_->io, [server, impl = impl_.get()] {
    server->Stop();
    impl->keep_running.reset();
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
  // Password checks in flight finish and post their outcome to the io_context, which the drain
  // below runs (on closed connections: dropped).
  impl_->auth->Shutdown();
  // Requests in flight finish (their responses go to closed connections and are dropped).
  if (impl_->requests) impl_->requests->join();
  // Connections still referenced by pending handlers are destroyed with the io_context's
  // handlers; do that before the server and database go.
  impl_->io.restart();
  impl_->io.run_for(std::chrono::seconds(2));
  impl_->admin_listener.reset();
  impl_->admin.reset();
  impl_->server.reset();
  impl_->processor.reset();
  impl_->auth.reset();
  impl_->db.reset();
}

const char* NodeVersion() { return "0.1.0"; }

}  // namespace postfork::node
