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
  cql::ResultMessage& message = data.message;
  if (message.rows.cells.capacity() > kMaxKeptCells) {
    decltype(message.rows.cells)().swap(message.rows.cells);
  }
  if (message.kind == cql::ResultKind::kRows || message.kind == cql::ResultKind::kVoid) {
    // DecodeInto sets the kind before any other field, so these kinds hold no keyspace,
    // prepared or schema-change fields; a Rows decode assigns the metadata and the row count
    // and resizes the cells, overwriting the ones kept here (a result reads no cell beyond
    // row_count * column_count, and a row count of 0 until then).
    message.kind = cql::ResultKind::kVoid;
    message.rows.metadata = cql::RowsMetadata();
    message.rows.row_count = 0;
  } else {
    auto cells = std::move(message.rows.cells);  // heap storage moves, inline is empty
    cells.clear();
    message = cql::ResultMessage();
    message.rows.cells = std::move(cells);
  }
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
