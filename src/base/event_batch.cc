#include "postfork/base/event_batch.h"

#include <cassert>
#include <utility>
#include <vector>

namespace postfork {
namespace {

struct BatchState {
  int depth = 0;
  const void* loop = nullptr;  // the outermost batch's
  // Kept with its capacity between batches: joining allocates nothing once warm.
  std::vector<std::shared_ptr<EventBatch::Member>> members;
};

thread_local BatchState batch;

}  // namespace

EventBatch::EventBatch(const void* loop) {
  if (batch.depth++ == 0) batch.loop = loop;
}

EventBatch::~EventBatch() {
  if (batch.depth > 1) {
    --batch.depth;
    return;
  }
  // Still open while the members run: what they join runs in this loop too.
  for (std::size_t i = 0; i < batch.members.size(); ++i) {
    std::shared_ptr<Member> member = std::move(batch.members[i]);
    member->OnBatchEnd();
  }
  batch.members.clear();
  batch.loop = nullptr;
  --batch.depth;
}

bool EventBatch::IsOpen(const void* loop) { return batch.depth > 0 && batch.loop == loop; }

void EventBatch::Join(std::shared_ptr<Member> member) {
  assert(batch.depth > 0);
  batch.members.push_back(std::move(member));
}

}  // namespace postfork
