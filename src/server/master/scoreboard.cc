#include "server/master/scoreboard.h"

#include <sys/mman.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>

namespace postfork::server::master {

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Result<std::unique_ptr<Scoreboard>> Scoreboard::Create(int slots, int routes) {
  std::unique_ptr<Scoreboard> board(new Scoreboard());
  board->slots_ = slots;
  board->route_rows_ = routes + 1;
  std::size_t slot_bytes = sizeof(WorkerSlot) * static_cast<std::size_t>(slots);
  std::size_t cell_bytes = sizeof(MetricCell) * static_cast<std::size_t>(slots) *
                           static_cast<std::size_t>(board->route_rows_) * kStatusKinds;
  board->size_ = slot_bytes + cell_bytes;
  void* base =
      mmap(nullptr, board->size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    return Status(StatusCode::kIoError,
                  std::string("mmap of the scoreboard failed: ") + strerror(errno));
  }
  board->base_ = base;
  // Anonymous mappings are zero-filled, which is the initial state of every field; placement-new
  // only starts the atomics' lifetimes.
  board->slots_ptr_ = new (base) WorkerSlot[slots];
  board->cells_ptr_ = new (static_cast<char*>(base) + slot_bytes)
      MetricCell[static_cast<std::size_t>(slots) * board->route_rows_ * kStatusKinds];
  return board;
}

Scoreboard::~Scoreboard() {
  if (base_ != nullptr) munmap(base_, size_);
}

int Scoreboard::StatusKind(int status) {
  for (int i = 0; i < kStatusKinds - 1; ++i) {
    if (kTrackedStatuses[i] == status) return i;
  }
  return kStatusKinds - 1;
}

int Scoreboard::KindStatus(int kind) {
  return kind < kStatusKinds - 1 ? kTrackedStatuses[kind] : 0;
}

void Scoreboard::Record(int slot, int route_row, int status, int64_t latency_ns) {
  MetricCell& c = cell(slot, route_row, StatusKind(status));
  auto bump = [](std::atomic<uint64_t>& v, uint64_t by) {
    v.store(v.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  };
  bump(c.count, 1);
  bump(c.sum_us, static_cast<uint64_t>(latency_ns / 1000));
  double seconds = static_cast<double>(latency_ns) / 1e9;
  for (int b = 0; b < kBucketCount; ++b) {
    if (seconds <= kLatencyBuckets[b]) {
      bump(c.buckets[b], 1);
      break;
    }
  }
}

}  // namespace postfork::server::master
