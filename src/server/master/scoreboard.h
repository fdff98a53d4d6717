// The shared-memory scoreboard: mapped MAP_SHARED by the master before any fork, so the master
// and every worker see the same slots. Each worker writes only its own slot (single writer,
// relaxed atomics); the master reads all of them for supervision (harakiri, readiness, recycling)
// and for the stats listener.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "postfork/base/status.h"

namespace postfork::server::master {

enum class SlotState : uint32_t { kFree = 0, kStarting, kReady, kStopping };

struct alignas(64) WorkerSlot {
  std::atomic<int32_t> pid{0};
  std::atomic<int32_t> worker_id{-1};
  std::atomic<uint32_t> state{0};  // SlotState
  std::atomic<uint32_t> active_connections{0};
  std::atomic<uint32_t> recycle_requested{0};
  // Minor page faults the worker took from fork to ready (copy-on-write and first touches).
  std::atomic<uint32_t> start_faults{0};
  std::atomic<int64_t> fork_ns{0};   // CLOCK_MONOTONIC, written by the master before fork
  std::atomic<int64_t> ready_ns{0};  // CLOCK_MONOTONIC, when the worker could first accept
  // CLOCK_MONOTONIC since which the acceptor waits for its event loop to take a delivered
  // connection before it waits for the next one; 0 when not.
  std::atomic<int64_t> accept_pending_ns{0};
  // Start (CLOCK_MONOTONIC ns) of the oldest request in progress; 0 when none.
  std::atomic<int64_t> oldest_request_ns{0};
  std::atomic<uint64_t> requests{0};
};

// Latency histogram buckets (upper bounds, seconds); +Inf is the cell's count.
inline constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
inline constexpr int kBucketCount = sizeof(kLatencyBuckets) / sizeof(kLatencyBuckets[0]);
// Statuses counted separately; others go to the last kind ("other").
inline constexpr int kTrackedStatuses[] = {200, 201, 204, 301, 302, 304, 400, 401, 403, 404,
                                           405, 408, 413, 429, 431, 500, 502, 503, 504};
inline constexpr int kStatusKinds = sizeof(kTrackedStatuses) / sizeof(kTrackedStatuses[0]) + 1;

struct MetricCell {
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_us{0};
  std::atomic<uint64_t> buckets[kBucketCount] = {};
};

class Scoreboard {
 public:
  // Maps room for `slots` workers and `routes` routes (plus one row for unmatched requests).
  static Result<std::unique_ptr<Scoreboard>> Create(int slots, int routes);
  ~Scoreboard();
  Scoreboard(const Scoreboard&) = delete;
  Scoreboard& operator=(const Scoreboard&) = delete;

  int slots() const { return slots_; }
  // Route rows, the last one being "no route matched".
  int route_rows() const { return route_rows_; }
  WorkerSlot& slot(int i) { return slots_ptr_[i]; }
  MetricCell& cell(int slot, int route_row, int status_kind) {
    return cells_ptr_[(static_cast<std::size_t>(slot) * route_rows_ + route_row) * kStatusKinds +
                      status_kind];
  }
  // Records one request in the worker's own slot (single writer).
  void Record(int slot, int route_row, int status, int64_t latency_ns);

  static int StatusKind(int status);
  // The status of a kind; 0 for "other".
  static int KindStatus(int kind);

 private:
  Scoreboard() = default;
  void* base_ = nullptr;
  std::size_t size_ = 0;
  int slots_ = 0;
  int route_rows_ = 0;
  WorkerSlot* slots_ptr_ = nullptr;
  MetricCell* cells_ptr_ = nullptr;
};

int64_t MonotonicNs();

}  // namespace postfork::server::master
