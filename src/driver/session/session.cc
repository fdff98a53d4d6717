#include "postfork/driver/session.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "driver/session/session_impl.h"

namespace postfork::driver {

namespace asio = boost::asio;

std::atomic<uint64_t> g_fork_generation{0};

namespace {
void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

void EnsureForkHandlerInstalled() {
  static const bool installed = [] {
    pthread_atfork(nullptr, nullptr, &OnForkChild);
    return true;
  }();
  (void)installed;
}

uint64_t ForkGeneration() { return g_fork_generation.load(std::memory_order_relaxed); }

Session::Session(std::shared_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->Close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
Session::~Session() {
  if (impl_) impl_->Close();
}

void Session::StartConnect(asio::io_context& io, std::shared_ptr<const SessionOptions> options,
                           std::shared_ptr<const Snapshot> snapshot, ConnectHandler handler) {
  Status st = options->Validate();
  if (!st.ok()) {
    auto ex = asio::get_associated_executor(handler, io.get_executor());
    PostOn(io, ex, [h = std::move(handler), st = std::move(st)]() mutable {
      std::move(h)(Result<Session>(std::move(st)));
    });
    return;
  }
  if (snapshot && snapshot->hosts.empty()) {
    auto ex = asio::get_associated_executor(handler, io.get_executor());
    PostOn(io, ex, [h = std::move(handler)]() mutable {
      std::move(h)(Result<Session>(Status(StatusCode::kInvalidArgument, "snapshot has no hosts")));
    });
    return;
  }
  auto impl = std::make_shared<SessionImpl>(io, std::move(options), std::move(snapshot));
  impl->Connect(std::move(handler));
}

void Session::ExecuteImpl(Request&& request, QueryHandler handler) {
  impl_->Execute(std::move(request), std::move(handler));
}
void Session::PrepareImpl(std::string query, PrepareHandler handler) {
  impl_->Prepare(std::move(query), std::move(handler));
}
void Session::FetchKeyspaceImpl(std::string keyspace, KeyspaceHandler handler) {
  impl_->FetchKeyspace(std::move(keyspace), std::move(handler));
}

RowIterator Session::Iterate(Request request) const {
  return RowIterator(impl_, std::move(request));
}
std::shared_ptr<const Snapshot> Session::TakeSnapshot() const { return impl_->TakeSnapshot(); }
void Session::Close() {
  if (impl_) impl_->Close();
}
const ConnectReport& Session::connect_report() const { return impl_->report(); }
const std::string& Session::keyspace() const { return impl_->keyspace(); }
std::vector<HostInfo> Session::hosts() const { return impl_->host_infos(); }
int Session::hosts_up() const { return impl_->hosts_up(); }

// ---- RowIterator -------------------------------------------------------------------------

RowIterator::RowIterator(std::shared_ptr<SessionImpl> session, Request request)
    : session_(std::move(session)), request_(std::move(request)) {}

namespace {
StatementOptions& OptionsOf(Request& r) {
  if (auto* s = std::get_if<Statement>(&r)) return s->options;
  if (auto* b = std::get_if<BoundStatement>(&r)) return b->options;
  return std::get<BatchStatement>(r).options;
}
}  // namespace

void RowIterator::NextImpl(RowHandler handler) {
  auto ex = asio::get_associated_executor(handler, session_->io().get_executor());
  if (page_.data() && next_row_ < page_.row_count()) {
    Row row = page_.row(next_row_++);
    PostOn(session_->io(), ex, [h = std::move(handler), row = std::move(row)]() mutable {
      std::move(h)(Result<std::optional<Row>>(std::optional<Row>(std::move(row))));
    });
    return;
  }
  if (done_ || (page_.data() && !page_.has_more_pages())) {
    done_ = true;
    PostOn(session_->io(), ex, [h = std::move(handler)]() mutable {
      std::move(h)(Result<std::optional<Row>>(std::optional<Row>()));
    });
    return;
  }
  if (page_.data()) OptionsOf(request_).paging_state = std::string(*page_.paging_state());
  session_->Execute(
      Request(request_), QueryHandler([this, h = std::move(handler)](QueryResult r) mutable {
        if (!r.ok()) {
          done_ = true;
          std::move(h)(Result<std::optional<Row>>(r.status()));
          return;
        }
        ++pages_fetched_;
        page_ = std::move(r);
        next_row_ = 0;
        if (page_.row_count() == 0 && page_.has_more_pages()) {
          NextImpl(std::move(h));  // an empty page that is not the last: keep going
          return;
        }
        if (page_.row_count() == 0) {
          done_ = true;
          std::move(h)(Result<std::optional<Row>>(std::optional<Row>()));
          return;
        }
        std::move(h)(Result<std::optional<Row>>(std::optional<Row>(page_.row(next_row_++))));
      }));
}

}  // namespace postfork::driver
