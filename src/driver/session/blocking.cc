#include "postfork/driver/blocking.h"

#include <boost/asio/io_context.hpp>

namespace postfork::driver {

struct BlockingSession::State {
  boost::asio::io_context io;
  std::optional<Session> session;

  // Runs the io_context until `done` is set. Other work (heartbeats, reconnects) runs too.
  void RunUntil(const bool& done) {
    io.restart();
    while (!done) {
      if (io.run_one() == 0) io.restart();
    }
  }
};

namespace {
template <class T>
struct Slot {
  std::optional<T> value;
  bool done = false;
};

// Starts an asynchronous operation through `start(callback)` and runs the io_context until the
// callback delivered its T.
template <class T, class State, class Start>
T Await(State& state, Start start) {
  Slot<T> slot;
  start([&slot](T r) {
    slot.value.emplace(std::move(r));
    slot.done = true;
  });
  state.RunUntil(slot.done);
  return std::move(*slot.value);
}
}  // namespace

BlockingSession::BlockingSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
BlockingSession::BlockingSession(BlockingSession&&) noexcept = default;
BlockingSession& BlockingSession::operator=(BlockingSession&&) noexcept = default;
BlockingSession::~BlockingSession() {
  if (state_) Close();
}

namespace {
// Opens state.session through `connect(io, callback)`, running state's io_context meanwhile.
template <class State, class Connect>
Status OpenSession(State& state, Connect connect) {
  Result<Session> r =
      Await<Result<Session>>(state, [&](auto done) { connect(state.io, std::move(done)); });
  if (!r.ok()) return r.error();
  state.session.emplace(std::move(r).value());
  return Status();
}
}  // namespace

Result<BlockingSession> BlockingSession::Connect(SessionOptions options) {
  auto state = std::make_unique<State>();
  PF_RETURN_IF_ERROR(OpenSession(*state, [&](auto& io, auto done) {
    Session::Connect(io, std::move(options), std::move(done));
  }));
  return BlockingSession(std::move(state));
}

Result<BlockingSession> BlockingSession::ConnectFromSnapshot(
    std::shared_ptr<const Snapshot> snapshot) {
  auto state = std::make_unique<State>();
  PF_RETURN_IF_ERROR(OpenSession(*state, [&](auto& io, auto done) {
    Session::ConnectFromSnapshot(io, std::move(snapshot), std::move(done));
  }));
  return BlockingSession(std::move(state));
}

QueryResult BlockingSession::Execute(Request request) {
  return Await<QueryResult>(
      *state_, [&](auto done) { state_->session->Execute(std::move(request), std::move(done)); });
}

Result<PreparedStatement> BlockingSession::Prepare(std::string query) {
  return Await<Result<PreparedStatement>>(
      *state_, [&](auto done) { state_->session->Prepare(std::move(query), std::move(done)); });
}

Result<KeyspaceMetadata> BlockingSession::FetchKeyspace(std::string keyspace) {
  return Await<Result<KeyspaceMetadata>>(*state_, [&](auto done) {
    state_->session->FetchKeyspace(std::move(keyspace), std::move(done));
  });
}

Result<std::vector<Row>> BlockingSession::ExecuteAll(Request request) {
  RowIterator it = state_->session->Iterate(std::move(request));
  std::vector<Row> rows;
  for (;;) {
    Slot<Result<std::optional<Row>>> slot;
    it.Next([&slot](Result<std::optional<Row>> r) {
      slot.value.emplace(std::move(r));
      slot.done = true;
    });
    state_->RunUntil(slot.done);
    if (!slot.value->ok()) return slot.value->error();
    if (!slot.value->value()) return rows;
    rows.push_back(std::move(*slot.value->value()));
  }
}

std::shared_ptr<const Snapshot> BlockingSession::TakeSnapshot() const {
  return state_->session->TakeSnapshot();
}

void BlockingSession::RunFor(Millis duration) {
  state_->io.restart();
  state_->io.run_for(duration);
}

void BlockingSession::Close() {
  if (!state_ || !state_->session) return;
  state_->session->Close();
  // Let the closed sockets' handlers run so nothing is left pending on the io_context.
  state_->io.restart();
  state_->io.poll();
}

Session& BlockingSession::session() { return *state_->session; }

Result<std::shared_ptr<const Snapshot>> TakeSnapshot(SessionOptions options,
                                                     const std::vector<std::string>& queries) {
  auto fetch = options.fetches.schema_keyspaces;
  PF_ASSIGN_OR_RETURN(BlockingSession s, BlockingSession::Connect(std::move(options)));
  for (auto& q : queries) {
    auto p = s.Prepare(q);
    if (!p.ok()) return p.error();
  }
  for (auto& ks : fetch) {
    auto md = s.FetchKeyspace(ks);
    if (!md.ok()) return md.error();
  }
  auto snap = s.TakeSnapshot();
  s.Close();
  return snap;
}

}  // namespace postfork::driver
