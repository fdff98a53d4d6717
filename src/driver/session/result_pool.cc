#include "driver/session/result_pool.h"

#include <atomic>
#include <utility>
#include <vector>

namespace postfork::driver {

namespace {

// A few results in use at once per thread is the usual case (one per request in flight whose
// handler still holds its page); beyond that, results are allocated as before.
constexpr size_t kMaxPooled = 8;
// Storage kept for reuse at most: a page larger than this is freed with its result.
constexpr size_t kMaxKeptBodyBytes = size_t{1} << 20;
constexpr size_t kMaxKeptCells = size_t{1} << 15;

void Reset(ResultData& data) {
  auto cells = std::move(data.message.rows.cells);  // heap storage moves, inline is empty
  cells.clear();
  if (cells.capacity() > kMaxKeptCells) decltype(cells)().swap(cells);
  data.message = cql::ResultMessage();
  data.message.rows.cells = std::move(cells);
  if (data.body.capacity() > kMaxKeptBodyBytes) std::string().swap(data.body);
  data.body.clear();
  data.known_metadata.reset();
  data.host.clear();
  data.warnings.clear();
  data.tracing_id.reset();
}

}  // namespace

std::shared_ptr<ResultData> RecycledResultData() {
  thread_local std::vector<std::shared_ptr<ResultData>> pool = [] {
    std::vector<std::shared_ptr<ResultData>> v;
    v.reserve(kMaxPooled);
    return v;
  }();
  for (const auto& data : pool) {
    // Only the pool holds it: no copy is left anywhere to take a new one from, so the count
    // stays 1. The fence pairs with the release of the last other reference (on any thread).
    if (data.use_count() == 1) {
      std::atomic_thread_fence(std::memory_order_acquire);
      Reset(*data);
      return data;
    }
  }
  auto data = std::make_shared<ResultData>();
  if (pool.size() < kMaxPooled) pool.push_back(data);
  return data;
}

}  // namespace postfork::driver
