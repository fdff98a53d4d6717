// Decoded results recycled with their storage: a response decoded into a recycled ResultData
// reuses the body's and the cells' buffers of an earlier one, so the driver's response path
// costs no allocation once a thread has answered a few requests.
#pragma once

#include <memory>

#include "postfork/driver/result.h"

namespace postfork::driver {

// A ResultData that nothing else references, reset to its default state: one of this thread's
// pooled ones that every QueryResult and Row has let go of, or a new one (pooled while the
// pool has room). Results may be released on any thread; each thread has its own pool.
std::shared_ptr<ResultData> RecycledResultData();

}  // namespace postfork::driver
