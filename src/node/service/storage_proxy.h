// StorageProxy: how writes reach storage (ScyllaDB's service/storage_proxy). cql3 statements build
// mutations and hand them here; they never apply to storage themselves. The proxy owns the locks
// writes take:
// - compare-and-set (lightweight transactions): the conditions are read and checked, and the
//   mutations applied, under the lock of the one partition they write, so concurrent
//   transactions on a partition are linearizable (a single node's Paxos);
// - counter writes: the counters are read, added to and written under the locks of the
//   partitions they update, so concurrent increments never lose one another.
// Locks are stripes chosen by the table's storage id and the whole partition key, so writes to
// different partitions rarely wait for each other. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/storage/storage.h"
#include "postfork/base/status.h"

namespace postfork::node::service {

// A partition of a table, as the locks see it.
struct PartitionRef {
  uint32_t table_storage_id = 0;           // TableMetadata::storage_id (stable across ALTER)
  std::vector<std::string> partition_key;  // serialized components
};

class StorageProxy {
 public:
  // `storage` must outlive the proxy. One proxy per storage: its locks order only the writes
  // that go through it.
  explicit StorageProxy(Storage* storage) : storage_(storage) {}
  StorageProxy(const StorageProxy&) = delete;
  StorageProxy& operator=(const StorageProxy&) = delete;

  // Applies `mutations` atomically (Storage::Apply; `now_seconds` as there). None: nothing.
  Status Mutate(const std::vector<PartitionMutation>& mutations,
                std::optional<int32_t> now_seconds);

  // Compare-and-set on the one partition `*mutations` write (a first build of them, at any
  // timestamp; non-empty, one partition: callers refuse others with Cassandra's errors first).
  // Under that partition's lock: `build` makes the mutations again at the transaction's ballot
  // (BallotMicros), so they see every earlier compare-and-set of the partition (list elements
  // by index or value read the row) and are newer than all of them; then `check` reads the
  // current state and answers whether the conditions hold; only then are the mutations
  // applied. Returns whether they were. As in Cassandra, whose Paxos commits write at the
  // ballot's time, neither the client's timestamp nor the arrival time orders them.
  Result<bool> CompareAndSet(
      std::vector<PartitionMutation>* mutations,
      const std::function<Status(int64_t ballot, std::vector<PartitionMutation>*)>& build,
      const std::function<Result<bool>()>& check, std::optional<int32_t> now_seconds);

  // The node's clock in microseconds, made greater than every value it returned before
  // (Cassandra's ClientState.getTimestampForPaxos).
  static int64_t BallotMicros();

  // A counter write on `partitions`: holds their locks (taken in one order, so writers on
  // overlapping partitions cannot deadlock) while `write` reads the counters, builds mutations
  // with the new values and applies them through Mutate. Returns what `write` returns.
  Status CounterWrite(const std::vector<PartitionRef>& partitions,
                      const std::function<Status()>& write);

 private:
  static constexpr size_t kStripes = 256;
  static size_t StripeOf(uint32_t table_storage_id, const std::vector<std::string>& partition_key);

  Storage* storage_;
  std::array<std::mutex, kStripes> cas_locks_;
  std::array<std::mutex, kStripes> counter_locks_;
};

}  // namespace postfork::node::service
