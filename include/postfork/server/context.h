// Contexts handed to hooks and handlers: what a hook may use in the process it runs in.
#pragma once

#include <sys/types.h>

#include <cassert>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "postfork/server/options.h"

namespace boost::asio {
class io_context;
}

namespace postfork::server {

// The master process, for on_starting / preload / pre_fork / on_reload / on_exit.
class MasterContext {
 public:
  explicit MasterContext(const ServerOptions& options) : options_(options) {}
  const ServerOptions& options() const { return options_; }

 private:
  const ServerOptions& options_;
};

// One worker process. Lives from just after fork until the worker exits; owned by the server.
// Only the worker's event-loop thread may use it.
class WorkerContext {
 public:
  WorkerContext(boost::asio::io_context& io, const ServerOptions& options, int worker_id)
      : io_(io), options_(options), worker_id_(worker_id) {}
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;

  // The worker's single-threaded event loop; handlers' coroutines run on it.
  boost::asio::io_context& io_context() { return io_; }
  const ServerOptions& options() const { return options_; }
  // 0 .. workers-1; a respawned or reloaded worker keeps the id of the one it replaces.
  int worker_id() const { return worker_id_; }
  // True once the worker began a graceful stop (no new connections; in-flight ones finish).
  bool stopping() const { return stopping_; }

  // App-defined per-worker state (e.g. the worker's database session), created in post_fork
  // and destroyed after on_worker_exit. One object; emplacing again replaces it.
  template <class T, class... Args>
  T& EmplaceState(Args&&... args) {
    auto* object = new T(std::forward<Args>(args)...);
    state_ = StatePtr(object, [](void* p) { delete static_cast<T*>(p); });
    state_type_ = &typeid(T);
    return *object;
  }
  // The state emplaced as T; nullptr when there is none or it has another type.
  template <class T>
  T* FindState() {
    return state_type_ != nullptr && *state_type_ == typeid(T) ? static_cast<T*>(state_.get())
                                                               : nullptr;
  }
  // The state emplaced as T; calling it without one is a programming error.
  template <class T>
  T& State() {
    T* state = FindState<T>();
    assert(state != nullptr && "WorkerContext::State<T>() without EmplaceState<T>()");
    return *state;
  }
  void ResetState() {
    state_.reset();
    state_type_ = nullptr;
  }

  // Storage for a response body: an empty string with the capacity of a body the server has
  // written already (or a plain empty string while there is none). A handler that builds its
  // body in it allocates nothing for it once the worker has answered a few requests.
  std::string TakeBodyBuffer() {
    if (body_buffers_.empty()) return {};
    std::string buffer = std::move(body_buffers_.back());
    body_buffers_.pop_back();
    return buffer;
  }
  // The server hands back each written response's body: a few are kept (not the ones held
  // inline, nor any larger than kMaxKeptBodyBuffer).
  void RecycleBodyBuffer(std::string body) {
    if (body.capacity() <= std::string().capacity() || body.capacity() > kMaxKeptBodyBuffer ||
        body_buffers_.size() >= kMaxBodyBuffers) {
      return;
    }
    body.clear();
    body_buffers_.push_back(std::move(body));
  }
  static constexpr size_t kMaxKeptBodyBuffer = size_t{256} << 10;

  void set_stopping() { stopping_ = true; }

 private:
  using StatePtr = std::unique_ptr<void, void (*)(void*)>;
  boost::asio::io_context& io_;
  const ServerOptions& options_;
  int worker_id_;
  bool stopping_ = false;
  StatePtr state_{nullptr, [](void*) {}};
  const std::type_info* state_type_ = nullptr;
  static constexpr size_t kMaxBodyBuffers = 8;
  std::vector<std::string> body_buffers_;
};

}  // namespace postfork::server
