// One turn of an event loop that resumes several waiting operations at once (a worker's batch of
// ready HTTP connections).
//
// Work that would otherwise be posted to run after the current handler (a CQL connection's write
// of the requests queued so far) joins the open batch instead and runs when the batch closes. So
// the requests of a whole batch leave in one write, and no handler is posted for it: in Asio every
// queued handler makes the loop's next epoll_wait a non-blocking one, which mostly finds nothing.
//
// A batch belongs to one event loop (`loop` is its identity, e.g. the io_context's address) and
// to the thread running it: only work of that loop joins, so a nested loop of another
// (a blocking session run from a handler) still posts its own. Batches nest; the outermost one
// runs the joined work when it closes, including work joined while that runs.
#pragma once

#include <memory>

namespace postfork {

class EventBatch {
 public:
  // Something with work to do at the end of the batch.
  class Member {
   public:
    virtual void OnBatchEnd() = 0;

   protected:
    ~Member() = default;
  };

  explicit EventBatch(const void* loop);
  ~EventBatch();
  EventBatch(const EventBatch&) = delete;
  EventBatch& operator=(const EventBatch&) = delete;

  // Whether a batch of `loop` is open on this thread.
  static bool IsOpen(const void* loop);
  // Calls member->OnBatchEnd() once when the outermost open batch closes, holding `member` until
  // then. Requires IsOpen(loop of member); a member joins at most once per batch (its own flag
  // says so).
  static void Join(std::shared_ptr<Member> member);
};

}  // namespace postfork
