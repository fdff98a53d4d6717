// A synchronous session for tools and simple programs: owns its io_context and runs it until
// each call completes. Same semantics and errors as Session; one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "postfork/driver/session.h"

namespace postfork::driver {

class BlockingSession {
 public:
  static Result<BlockingSession> Connect(SessionOptions options);
  static Result<BlockingSession> ConnectFromSnapshot(std::shared_ptr<const Snapshot> snapshot);

  BlockingSession(BlockingSession&&) noexcept;
  BlockingSession& operator=(BlockingSession&&) noexcept;
  ~BlockingSession();

  QueryResult Execute(Request request);
  Result<PreparedStatement> Prepare(std::string query);
  Result<KeyspaceMetadata> FetchKeyspace(std::string keyspace);
  // Every row of every page.
  Result<std::vector<Row>> ExecuteAll(Request request);
  std::shared_ptr<const Snapshot> TakeSnapshot() const;
  // Lets background work (heartbeats, reconnects, events) run for `duration`.
  void RunFor(Millis duration);
  void Close();
  Session& session();

 private:
  struct State;
  explicit BlockingSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// For a prefork master: connects, prepares `queries`, fetches the schema of
// options.fetches.schema_keyspaces, takes the snapshot and closes every socket.
Result<std::shared_ptr<const Snapshot>> TakeSnapshot(SessionOptions options,
                                                     const std::vector<std::string>& queries);

}  // namespace postfork::driver
