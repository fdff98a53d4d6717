// postfork._driver: the C++ driver as seen from Python. postfork/*.py builds the DataStax-style
// API on these few objects.
//
// Threads: each Session owns one io_context (its Loop). No thread is started for it: the Python
// thread that waits for a result runs the loop itself, with the GIL released, one thread at a
// time, so a request costs no hand-off between threads. The first execute_async callback starts
// a keeper thread that runs the loop from then on (callbacks run there, with the GIL taken).
// A warm-up snapshot is taken on the calling thread with a private io_context and keeps no
// thread and no socket.
//
// Fork: a Session remembers the driver's fork generation it was created under. In another
// process every call raises ForkError before touching the loop, whose threads do not exist in
// the child; the child never frees it either (its mutexes may be held by the parent's threads).
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "convert.h"
#include "postfork/cql/error_codes.h"
#include "postfork/driver/blocking.h"
#include "postfork/driver/session.h"

namespace nb = nanobind;
namespace asio = boost::asio;

namespace postfork::python {
namespace {

using driver::QueryResult;

// Raised for a Session used in a process it was not created in (set by postfork/__init__.py).
nb::object& ForkErrorType() {
  static nb::object* type = new nb::object();
  return *type;
}

[[noreturn]] void RaiseForkError(pid_t creator) {
  std::string msg = "postfork: this Session was created in process " + std::to_string(creator) +
                    " and cannot be used in process " + std::to_string(::getpid()) +
                    " (a forked child). Open the worker's session after fork: call "
                    "postfork.connect_after_fork() in a uWSGI @postfork hook or a Gunicorn "
                    "post_fork hook (with postfork.warm_up() in the master), or create the "
                    "Cluster and connect inside the worker.";
  PyErr_SetString(ForkErrorType().is_valid() ? ForkErrorType().ptr() : PyExc_RuntimeError,
                  msg.c_str());
  throw nb::python_error();
}

// (kind, cql_code, message, fields): what postfork/_errors.py turns into the DataStax exception.
nb::tuple ErrorTuple(const Status& status, const cql::ErrorMessage* server) {
  nb::dict fields;
  if (server) {
    fields["consistency"] = static_cast<int>(server->consistency);
    fields["required"] = server->required;
    fields["received"] = server->alive_or_received;
    fields["num_failures"] = server->num_failures;
    fields["write_type"] = server->write_type;
    fields["data_present"] = server->data_present;
    fields["keyspace"] = server->keyspace;
    fields["table"] = server->table;
    fields["function_keyspace"] = server->function_keyspace;
    fields["function_name"] = server->function_name;
    fields["message"] = server->message;
    fields["code"] = static_cast<int>(server->code);
  }
  return nb::make_tuple(std::string(StatusCodeName(status.code())), status.cql_code(),
                        status.message(), fields);
}

// Rows of the default row factory are instances of collections.namedtuple classes, as the
// DataStax driver's are. CPython allocates and frees instances of such a class with its generic
// tp_alloc and subtype_dealloc (zeroing, finalizer, __dict__, __weakref__ and slot checks, and a
// malloc and free each: a few hundred instructions per row). AdoptRowClass gives a class that is
// exactly a tuple subclass with none of those (`__slots__ = ()`, no __del__: what namedtuple
// makes) RowDealloc, and NewRow makes its rows as tuples: a row is a tuple of CPython's tuple
// free list whose type is set to the row class, and goes back to that free list as a tuple when
// freed. The layout is the tuple's, so the type can change hands; a row holds a reference to its
// class (instances of heap types do). Instances of subclasses of a row class are not rows: they
// are allocated and freed as CPython allocates them.
void RowDealloc(PyObject* self);

// An instance of a subclass of a row class (subtype_dealloc calls RowDealloc as its base's
// deallocator): made by the subclass's tp_alloc, maybe with a __dict__, so freed by its tp_free.
[[gnu::noinline]] void SubclassInstanceDealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  // clang-format off
  Py_TRASHCAN_BEGIN(self, RowDealloc)
  auto* t = reinterpret_cast<PyTupleObject*>(self);
  for (Py_ssize_t i = Py_SIZE(self); --i >= 0;) Py_XDECREF(t->ob_item[i]);
  type->tp_free(self);
  Py_DECREF(type);  // instances of heap types hold a reference to their type
  Py_TRASHCAN_END
  // clang-format on
}

void RowDealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  if (type->tp_dealloc != RowDealloc) return SubclassInstanceDealloc(self);
  Py_SET_TYPE(self, &PyTuple_Type);  // a row: exactly the tuple's layout
  PyTuple_Type.tp_dealloc(self);     // untracks, frees the cells, keeps the memory for a tuple
  Py_DECREF(type);
}

// Whether `cls` is (now) a row class with RowDealloc. Subclasses made of it later keep
// subtype_dealloc, which calls RowDealloc as their base's deallocator.
bool AdoptRowClass(nb::handle cls) {
  if (!PyType_Check(cls.ptr())) return false;
  auto* t = reinterpret_cast<PyTypeObject*>(cls.ptr());
  if (t->tp_dealloc == RowDealloc) return true;
  const bool plain = (t->tp_flags & Py_TPFLAGS_HEAPTYPE) && t->tp_base == &PyTuple_Type &&
                     t->tp_basicsize == PyTuple_Type.tp_basicsize &&
                     t->tp_itemsize == PyTuple_Type.tp_itemsize && t->tp_dictoffset == 0 &&
                     t->tp_weaklistoffset == 0 && !t->tp_finalize && !t->tp_del &&
                     t->tp_free == PyTuple_Type.tp_free;
  if (!plain) return false;
  t->tp_dealloc = RowDealloc;
  return true;
}

// A new row of `width` cells (all NULL, to be set with PyTuple_SET_ITEM) of class `cls`: a tuple,
// or a tuple subclass, tracked by the garbage collector (which skips NULL cells).
PyObject* NewRow(PyTypeObject* cls, Py_ssize_t width) {
  if (cls == &PyTuple_Type) return PyTuple_New(width);
  if (cls->tp_dealloc != RowDealloc || width == 0)  // PyTuple_New(0) is a shared singleton
    return cls->tp_alloc(cls, width);
  PyObject* t = PyTuple_New(width);
  if (!t) return nullptr;
  Py_SET_TYPE(t, cls);
  Py_INCREF(cls);
  return t;
}

// Column names and named-tuple row classes of recent results, so that a result whose columns
// were seen before reuses the names tuple and the class (no string per column, no Python call):
// the classes come from postfork.query._row_class, handed over by set_types. A few entries,
// most recent first; the GIL guards it.
class RowClasses {
 public:
  struct Entry {
    std::vector<std::string> names;
    nb::object colnames;  // tuple of str
    nb::object row_class;  // unset until a named tuple class is asked for
  };

  static RowClasses& Get() {
    static auto* cache = new RowClasses();  // never destroyed: it holds Python objects
    return *cache;
  }

  void set_factory(nb::object factory) { factory_ = std::move(factory); }

  // The column names tuple of `cols`, and with `want_class` their named tuple class.
  std::pair<nb::object, nb::object> Lookup(const std::vector<cql::ColumnSpec>& cols,
                                           bool want_class) {
    Entry& e = Find(cols);
    nb::object colnames = e.colnames;
    if (!want_class || e.row_class.is_valid()) return {colnames, e.row_class};
    nb::object cls = factory_(colnames);  // Python code: `e` may have moved meanwhile
    Find(cols).row_class = cls;
    return {colnames, cls};
  }

 private:
  static constexpr size_t kEntries = 16;

  // The entry of `cols`' names, made (and put first) when missing.
  Entry& Find(const std::vector<cql::ColumnSpec>& cols) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (!SameNames(entries_[i].names, cols)) continue;
      if (i != 0) std::rotate(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(i),
                              entries_.begin() + static_cast<ptrdiff_t>(i) + 1);
      return entries_.front();
    }
    Entry e;
    PyObject* t = PyTuple_New(static_cast<Py_ssize_t>(cols.size()));
    if (!t) throw nb::python_error();
    e.colnames = nb::steal(t);
    for (size_t i = 0; i < cols.size(); ++i) {
      e.names.push_back(cols[i].name);
      PyObject* name = PyUnicode_FromStringAndSize(cols[i].name.data(),
                                                   static_cast<Py_ssize_t>(cols[i].name.size()));
      if (!name) throw nb::python_error();
      PyTuple_SET_ITEM(t, static_cast<Py_ssize_t>(i), name);
    }
    if (entries_.size() == kEntries) entries_.pop_back();
    entries_.insert(entries_.begin(), std::move(e));
    return entries_.front();
  }

  static bool SameNames(const std::vector<std::string>& names,
                        const std::vector<cql::ColumnSpec>& cols) {
    if (names.size() != cols.size()) return false;
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] != cols[i].name) return false;
    return true;
  }
  std::vector<Entry> entries_;
  nb::object factory_;
};

// A session's event loop and who runs it. No thread of its own to begin with: a Python thread
// that waits for a result runs the loop itself, one thread at a time (the runner); other
// waiters sleep on `cv` until their result is in or the runner leaves, and then one of them
// runs it. A request thus costs no thread hand-off. The first execute_async callback starts
// the keeper, a C++ thread that runs the loop from then on, so that callbacks run without
// anyone waiting; waiters then only sleep.
struct Loop {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::optional<driver::Session> session;
  driver::ConnectReport report;

  std::mutex mu;               // guards the fields below
  std::condition_variable cv;  // a result came in, or the runner left
  bool running = false;        // a thread runs the loop now
  std::thread::id runner;      // that thread, while running
  bool keeper_started = false;
  std::atomic<bool> stopped{false};  // written under `mu`
  std::thread keeper;

  // Wakes the waiters (after a result is stored: they check it under `mu`).
  void Notify() {
    { std::lock_guard lock(mu); }
    cv.notify_all();
  }

  // Whether this thread runs the loop now (inside a handler or callback of it).
  bool OnLoopThread() {
    std::lock_guard lock(mu);
    return running && runner == std::this_thread::get_id();
  }

  // Blocks (call without the GIL) until done(), running the loop on this thread whenever no
  // other thread does.
  template <class Done>
  void Await(Done done) {
    std::unique_lock lock(mu);
    while (!done()) {
      if (running || keeper_started) {
        cv.wait(lock);
        continue;
      }
      running = true;
      runner = std::this_thread::get_id();
      lock.unlock();
      bool out_of_work = false;
      while (!done() && !out_of_work) out_of_work = io.run_one() == 0;  // the session closed
      lock.lock();
      running = false;
      cv.notify_all();  // another waiter may run it now
      if (out_of_work && !done()) cv.wait(lock);
    }
  }

  // Runs `fn` on the loop: here and now when no thread runs it (then also every handler it
  // made ready, so that its writes leave at once, unless `poll` is false because this thread
  // runs the loop next anyway: a synchronous execute), else handed to the runner or keeper.
  template <class Fn>
  void Dispatch(Fn fn, bool poll = true) {
    {
      std::unique_lock lock(mu);
      if (!running && !keeper_started) {
        running = true;
        runner = std::this_thread::get_id();
        lock.unlock();
        fn();
        if (poll) io.poll();
        lock.lock();
        running = false;
        lock.unlock();
        cv.notify_all();
        return;
      }
    }
    asio::post(io, std::move(fn));
  }

  // Starts the keeper (once), which takes the loop over when the runner leaves.
  void StartKeeper() {
    std::lock_guard lock(mu);
    if (keeper_started || stopped) return;
    keeper_started = true;
    keeper = std::thread([this] {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !running; });
        running = true;
        runner = std::this_thread::get_id();
      }
      io.run();
      {
        std::lock_guard lock(mu);
        running = false;
      }
      cv.notify_all();
    });
  }

  // Closes the session and runs the loop until it is out of work (every request completed).
  // Call without the GIL, not on the loop thread.
  void Stop() {
    {
      std::lock_guard lock(mu);
      if (stopped) return;
      stopped = true;
    }
    std::atomic<bool> closed{false};
    Dispatch([this, &closed] {
      if (session) session->Close();
      work.reset();
      closed = true;
      Notify();
    });
    Await([&] { return closed.load(); });
    std::unique_lock lock(mu);
    if (keeper_started) {
      lock.unlock();
      keeper.join();
      return;
    }
    cv.wait(lock, [&] { return !running; });
    running = true;
    runner = std::this_thread::get_id();
    lock.unlock();
    io.run();
    lock.lock();
    running = false;
    lock.unlock();
    cv.notify_all();
  }

  // From a callback on the loop itself: closes the session without waiting; the loop runs
  // out of work and ends with whoever runs it.
  void StopFromLoop() {
    {
      std::lock_guard lock(mu);
      if (stopped) return;
      stopped = true;
    }
    asio::post(io, [this] {
      if (session) session->Close();
      work.reset();
    });
    if (keeper.joinable()) keeper.detach();
  }
};

// The result of one request, completed on the loop and read by Python threads.
struct PendingState {
  std::mutex mu;
  std::atomic<bool> done{false};
  QueryResult result;
  PyObject* callback = nullptr;  // a strong reference, taken and released with the GIL
  Loop* loop = nullptr;          // alive while the request is not done
};

void Complete(const std::shared_ptr<PendingState>& st, QueryResult result) {
  PyObject* callback;
  {
    std::lock_guard lock(st->mu);
    st->result = std::move(result);
    st->done = true;
    callback = std::exchange(st->callback, nullptr);
  }
  st->loop->Notify();
  if (!callback) return;
  if (!Py_IsInitialized() || _Py_IsFinalizing()) return;  // the interpreter is going away
  nb::gil_scoped_acquire gil;
  PyObject* r = PyObject_CallNoArgs(callback);
  if (!r) PyErr_WriteUnraisable(callback);
  Py_XDECREF(r);
  Py_DECREF(callback);
}

class Pending {
 public:
  explicit Pending(std::shared_ptr<PendingState> st) : st_(std::move(st)) {}

  bool done() const { return st_->done.load(); }

  // Blocks, GIL released, until the request is complete, running the loop meanwhile when no
  // other thread does.
  void Wait() const {
    if (st_->done.load()) return;
    if (st_->loop->OnLoopThread()) {
      PyErr_SetString(PyExc_RuntimeError,
                      "postfork: waiting for a result on the session's own event-loop thread "
                      "(inside an execute_async callback) would deadlock; chain another "
                      "execute_async with callbacks instead");
      throw nb::python_error();
    }
    nb::gil_scoped_release release;
    const PendingState* st = st_.get();
    st_->loop->Await([st] { return st->done.load(); });
  }

  // Calls `fn()` once the request is complete: now (this thread) if it is, else on the loop,
  // whose keeper thread this starts.
  void OnDone(nb::object fn) {
    {
      std::lock_guard lock(st_->mu);
      if (!st_->done) {
        Py_XDECREF(st_->callback);
        st_->callback = fn.release().ptr();
      }
    }
    if (fn.is_valid()) {
      fn();
      return;
    }
    st_->loop->StartKeeper();
  }

  nb::object Error() const {
    Wait();
    const QueryResult& r = st_->result;
    if (r.ok()) return nb::none();
    return ErrorTuple(r.status(), r.server_error());
  }

  int Kind() const { return static_cast<int>(Result().kind()); }

  nb::tuple Columns() const {
    return nb::borrow<nb::tuple>(RowClasses::Get().Lookup(Result().columns(), false).first);
  }
  std::vector<std::string> ColumnTypes() const {
    std::vector<std::string> out;
    for (const auto& c : Result().columns()) out.push_back(c.type.ToCql());
    return out;
  }

  // The page's rows as a list, cells converted to Python values: plain tuples, or instances of
  // `row_class` (a tuple subclass such as a named tuple), built as tuple.__new__(row_class, ...)
  // builds them, without a Python call per row.
  nb::list Rows(nb::handle row_class) const {
    PyTypeObject* cls = &PyTuple_Type;
    if (!row_class.is_none()) {
      if (!PyType_Check(row_class.ptr()) ||
          !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(row_class.ptr()), &PyTuple_Type))
        throw nb::type_error("row class: a subclass of tuple expected");
      cls = reinterpret_cast<PyTypeObject*>(row_class.ptr());
    }
    return BuildRows(Result(), cls);
  }

  // Everything a finished request's page gives Python, in one call (waiting, GIL released):
  // (None, column names, paging state, rows, result kind), or (error tuple, host, None, None,
  // 0) on failure. Rows are named tuples when `named` (the default row factory's; classes
  // cached by column names), else plain tuples.
  nb::tuple Settle(bool named) const {
    const QueryResult& r = Result();
    if (!r.ok()) {
      std::string_view host = r.host();
      nb::object host_or_none = nb::none();
      if (!host.empty()) host_or_none = nb::str(host.data(), host.size());
      return nb::make_tuple(ErrorTuple(r.status(), r.server_error()), std::move(host_or_none),
                            nb::none(), nb::none(), 0);
    }
    const auto& cols = r.columns();
    nb::object colnames, rows;
    if (cols.empty()) {
      colnames = nb::tuple();
      rows = BuildRows(r, &PyTuple_Type);
    } else {
      auto [names, cls] = RowClasses::Get().Lookup(cols, named);
      colnames = std::move(names);
      rows = BuildRows(r, named ? reinterpret_cast<PyTypeObject*>(cls.ptr()) : &PyTuple_Type);
    }
    auto ps = r.paging_state();
    nb::object paging = ps ? nb::object(nb::bytes(ps->data(), ps->size())) : nb::none();
    return nb::make_tuple(nb::none(), std::move(colnames), std::move(paging), std::move(rows),
                          static_cast<int>(r.kind()));
  }

  nb::object PagingState() const {
    auto ps = Result().paging_state();
    if (!ps) return nb::none();
    return nb::bytes(ps->data(), ps->size());
  }
  std::string Host() const { return std::string(Result().host()); }
  std::string Keyspace() const { return std::string(Result().keyspace()); }

 private:
  static nb::list BuildRows(const QueryResult& r, PyTypeObject* cls) {
    const int32_t n = r.row_count();
    const auto& cols = r.columns();
    const int width = r.column_count();
    if (n <= 0 || !r.data()) return nb::list();
    PyObject* list = PyList_New(n);
    if (!list) throw nb::python_error();
    nb::list out = nb::steal<nb::list>(list);
    const cql::RowsResult& rows = r.data()->message.rows;
    for (int32_t i = 0; i < n; ++i) {
      PyObject* t = NewRow(cls, width);
      if (!t) throw nb::python_error();
      PyList_SET_ITEM(list, i, t);  // owned by the list from here, also if a cell throws
      for (int c = 0; c < width; ++c) {
        cql::RawValue raw = rows.cell(i, c);
        PyObject* cell;
        if (raw.is_null() || raw.is_unset() || static_cast<size_t>(c) >= cols.size()) {
          cell = Py_NewRef(Py_None);
        } else {
          const auto& col = cols[static_cast<size_t>(c)];
          cell = CellToPython(raw.bytes, col.type, col.name).release().ptr();
        }
        PyTuple_SET_ITEM(t, c, cell);
      }
    }
    return out;
  }

  const QueryResult& Result() const {
    Wait();
    return st_->result;
  }
  std::shared_ptr<PendingState> st_;
};

class Prepared {
 public:
  explicit Prepared(driver::PreparedStatement p) : p_(std::move(p)) {}
  const driver::PreparedStatement& get() const { return p_; }
  std::string query() const { return p_.data().query; }
  std::string keyspace() const { return p_.data().keyspace; }
  nb::bytes id() const { return nb::bytes(p_.data().id.data(), p_.data().id.size()); }
  std::vector<std::string> bind_names() const {
    std::vector<std::string> out;
    for (const auto& c : p_.data().bind_columns) out.push_back(c.name);
    return out;
  }
  std::vector<std::string> bind_types() const {
    std::vector<std::string> out;
    for (const auto& c : p_.data().bind_columns) out.push_back(c.type.ToCql());
    return out;
  }
  std::vector<std::string> result_names() const {
    std::vector<std::string> out;
    for (const auto& c : p_.data().result_metadata.columns) out.push_back(c.name);
    return out;
  }
  std::vector<int> routing_key_indexes() const {
    return {p_.data().pk_indexes.begin(), p_.data().pk_indexes.end()};
  }

 private:
  driver::PreparedStatement p_;
};

template <class T>
T Get(const nb::dict& d, const char* key, T fallback) {
  if (!d.contains(key)) return fallback;
  nb::object v = d[key];
  if (v.is_none()) return fallback;
  T out;
  if (!nb::try_cast<T>(v, out))
    throw nb::type_error(("connection option " + std::string(key) + " has the wrong type").c_str());
  return out;
}

driver::SessionOptions OptionsFromDict(const nb::dict& d) {
  driver::SessionOptions o;
  if (d.contains("contact_points"))
    o.contact_points = nb::cast<std::vector<std::string>>(d["contact_points"]);
  o.port = static_cast<uint16_t>(Get<int>(d, "port", 9042));
  o.keyspace = Get<std::string>(d, "keyspace", "");
  o.local_dc = Get<std::string>(d, "local_dc", "");
  if (d.contains("username") && !nb::object(d["username"]).is_none())
    o.credentials = driver::Credentials{Get<std::string>(d, "username", ""),
                                        Get<std::string>(d, "password", "")};
  o.tls.enabled = Get<bool>(d, "tls", false);
  o.tls.verify_peer = Get<bool>(d, "tls_verify", true);
  o.tls.ca_file = Get<std::string>(d, "tls_ca_file", "");
  o.tls.cert_file = Get<std::string>(d, "tls_cert_file", "");
  o.tls.key_file = Get<std::string>(d, "tls_key_file", "");
  o.tls.server_name = Get<std::string>(d, "tls_server_name", "");
  if (Get<std::string>(d, "compression", "") == "lz4") o.compression = cql::Compression::kLz4;
  int version = Get<int>(d, "protocol_version", 0);
  o.protocol_version = version == 4   ? driver::ProtocolVersion::kV4
                       : version == 5 ? driver::ProtocolVersion::kV5
                                      : driver::ProtocolVersion::kNegotiate;
  o.connect_timeout = driver::Millis(Get<int64_t>(d, "connect_timeout_ms", 5000));
  o.request_timeout = driver::Millis(Get<int64_t>(d, "request_timeout_ms", 12000));
  o.connections_per_host = Get<int>(d, "connections_per_host", 1);
  o.token_aware = Get<bool>(d, "token_aware", true);
  o.consistency = static_cast<cql::Consistency>(Get<int>(d, "consistency", 0x000A));
  o.page_size = Get<int>(d, "page_size", 5000);
  if (d.contains("schema_keyspaces"))
    o.fetches.schema_keyspaces = nb::cast<std::vector<std::string>>(d["schema_keyspaces"]);
  return o;
}

// Per-request options: (consistency, serial_consistency, fetch_size, paging_state, timeout_s,
// idempotent, timestamp), None for "the session's default".
driver::StatementOptions StatementOptionsOf(const nb::tuple& t) {
  driver::StatementOptions o;
  if (t.size() != 7) throw nb::value_error("statement options: 7 items expected");
  if (!t[0].is_none()) o.consistency = static_cast<cql::Consistency>(nb::cast<int>(t[0]));
  if (!t[1].is_none()) o.serial_consistency = static_cast<cql::Consistency>(nb::cast<int>(t[1]));
  if (!t[2].is_none()) o.page_size = nb::cast<int32_t>(t[2]);
  if (!t[3].is_none()) {
    nb::bytes b = nb::cast<nb::bytes>(t[3]);
    o.paging_state = std::string(b.c_str(), b.size());
  }
  if (!t[4].is_none())
    o.timeout = std::chrono::milliseconds(static_cast<int64_t>(nb::cast<double>(t[4]) * 1000));
  o.idempotent = nb::cast<bool>(t[5]);
  if (!t[6].is_none()) o.timestamp = nb::cast<int64_t>(t[6]);
  return o;
}

[[noreturn]] void RaiseBindError(const Status& s) { throw nb::type_error(s.message().c_str()); }

driver::BoundStatement BindValues(const Prepared& prepared, nb::handle values) {
  const auto& cols = prepared.get().data().bind_columns;
  driver::BoundStatement bound = prepared.get().Bind();
  if (values.is_none()) {
    if (!cols.empty())
      RaiseBindError(Status(StatusCode::kInvalidArgument, "the prepared statement has " +
                                                              std::to_string(cols.size()) +
                                                              " bind markers; no values given"));
    return bound;
  }
  nb::sequence seq = nb::borrow<nb::sequence>(values);
  size_t n = nb::len(seq);
  if (n > cols.size())
    RaiseBindError(Status(StatusCode::kInvalidArgument,
                          "too many arguments provided to bind() (got " + std::to_string(n) +
                              ", expected " + std::to_string(cols.size()) + ")"));
  for (size_t i = 0; i < cols.size(); ++i) {
    cql::Value v = cql::Unset{};
    if (i < n) {
      auto r = FromPython(seq[i], cols[i].type);
      if (!r.ok())
        RaiseBindError(Status(StatusCode::kInvalidArgument,
                              "Received an argument of invalid type for column \"" + cols[i].name +
                                  "\": " + r.error().message()));
      v = std::move(*r);
    }
    Status s = bound.Bind(i, std::move(v));
    if (!s.ok())
      RaiseBindError(
          Status(StatusCode::kInvalidArgument, "column \"" + cols[i].name + "\": " + s.message()));
  }
  return bound;
}

class Session {
 public:
  // Connects (cold, or from the module's snapshot when `snapshot` is set). Returns the session,
  // or an error tuple when no host could be used.
  static nb::object Open(const driver::SessionOptions* options,
                         std::shared_ptr<const driver::Snapshot> snapshot) {
    auto core = std::make_unique<Loop>();
    Loop* c = core.get();
    std::optional<Result<driver::Session>> outcome;
    {
      // The connect runs on this thread (GIL released), as every request later runs on the
      // thread that waits for it.
      nb::gil_scoped_release release;
      auto done = [&outcome](Result<driver::Session> r) { outcome.emplace(std::move(r)); };
      if (snapshot)
        driver::Session::ConnectFromSnapshot(c->io, snapshot, done);
      else
        driver::Session::Connect(c->io, *options, done);
      while (!outcome) c->io.run_one();
      if (outcome->ok()) {
        c->session.emplace(std::move(*outcome).value());
        c->report = c->session->connect_report();
        c->io.restart();
      }
    }
    if (!c->session) return ErrorTuple(outcome->error(), nullptr);
    return nb::cast(new Session(std::move(core)), nb::rv_policy::take_ownership);
  }

  ~Session() {
    if (!core_) return;
    if (driver::ForkGeneration() != generation_) {
      (void)core_.release();  // the parent's loop: its threads and locks are not ours to touch
      return;
    }
    if (core_->OnLoopThread()) {
      // Dropped inside one of its own callbacks: closing cannot wait for the loop this thread
      // runs. The loop runs out of work and ends; its Loop is left to it (never freed).
      core_.release()->StopFromLoop();
      return;
    }
    nb::gil_scoped_release release;
    core_->Stop();
  }

  // Sends a request. `wait`: the caller waits for it next (execute), which runs the loop and
  // sends it then, sparing a poll of the loop here.
  Pending Submit(int kind, nb::handle target, nb::handle values, nb::tuple options, bool wait) {
    CheckProcess();
    driver::Request request = BuildRequest(kind, target, values, options);
    auto st = std::make_shared<PendingState>();
    Loop* c = core_.get();
    st->loop = c;
    c->Dispatch([c, st, request = std::move(request)]() mutable {
      if (!c->session)
        return Complete(st, QueryResult(Status(StatusCode::kClosed, "session is shut down")));
      c->session->Execute(std::move(request), [st](QueryResult r) { Complete(st, std::move(r)); });
    }, /*poll=*/!wait);
    return Pending(std::move(st));
  }

  // Prepares `query`: the statement, or an error tuple.
  nb::object Prepare(std::string query) {
    CheckProcess();
    if (core_->OnLoopThread())
      throw nb::value_error("postfork: prepare() inside an execute_async callback would deadlock");
    std::optional<Result<driver::PreparedStatement>> outcome;
    {
      nb::gil_scoped_release release;
      std::atomic<bool> ready{false};
      Loop* c = core_.get();
      c->Dispatch([&, c] {
        auto done = [&, c](Result<driver::PreparedStatement> r) {
          outcome.emplace(std::move(r));
          ready = true;
          c->Notify();
        };
        if (!c->session) return done(Status(StatusCode::kClosed, "session is shut down"));
        c->session->Prepare(std::move(query), done);
      });
      c->Await([&] { return ready.load(); });
    }
    if (!outcome->ok()) return ErrorTuple(outcome->error(), nullptr);
    return nb::cast(Prepared(std::move(*outcome).value()));
  }

  void Close() {
    if (!core_) return;
    CheckProcess();
    if (core_->OnLoopThread()) {
      core_->StopFromLoop();
      return;
    }
    nb::gil_scoped_release release;
    core_->Stop();
  }

  nb::dict Report() {
    CheckProcess();
    nb::dict d;
    const driver::ConnectReport& r = core_->report;
    d["connections_opened"] = r.connections_opened;
    d["system_queries"] = r.system_queries;
    d["round_trips"] = r.round_trips;
    d["from_snapshot"] = r.from_snapshot;
    d["protocol_version"] = r.protocol_version;
    d["elapsed_ms"] = r.elapsed_ms;
    d["steps"] = r.steps;
    return d;
  }

  int creator_pid() const { return pid_; }
  bool closed() const { return !core_ || core_->stopped; }

 private:
  explicit Session(std::unique_ptr<Loop> core)
      : core_(std::move(core)), generation_(driver::ForkGeneration()), pid_(::getpid()) {}

  void CheckProcess() const {
    if (driver::ForkGeneration() != generation_) RaiseForkError(pid_);
    if (!core_ || core_->stopped) throw nb::value_error("postfork: the session is shut down");
  }

  driver::Request BuildRequest(int kind, nb::handle target, nb::handle values,
                               const nb::tuple& options) {
    switch (kind) {
      case 0: {
        driver::Statement s(nb::cast<std::string>(target));
        s.options = StatementOptionsOf(options);
        return s;
      }
      case 1: {
        driver::BoundStatement b = BindValues(nb::cast<const Prepared&>(target), values);
        b.options = StatementOptionsOf(options);
        return b;
      }
      case 2: {
        driver::BatchStatement batch;
        batch.type = static_cast<cql::BatchType>(nb::cast<int>(values));
        for (nb::handle item : nb::iter(target)) {
          nb::tuple pair = nb::cast<nb::tuple>(item);
          if (PyUnicode_Check(pair[0].ptr()))
            batch.statements.emplace_back(driver::Statement(nb::cast<std::string>(pair[0])));
          else
            batch.statements.emplace_back(BindValues(nb::cast<const Prepared&>(pair[0]), pair[1]));
        }
        batch.options = StatementOptionsOf(options);
        return batch;
      }
    }
    throw nb::value_error("unknown statement kind");
  }

  std::unique_ptr<Loop> core_;
  uint64_t generation_;
  pid_t pid_;
};

// The master's warm-up snapshot, kept for connect_after_fork in the children.
std::shared_ptr<const driver::Snapshot>& TheSnapshot() {
  static auto* snap = new std::shared_ptr<const driver::Snapshot>();
  return *snap;
}

}  // namespace
}  // namespace postfork::python

NB_MODULE(_driver, m) {
  using namespace postfork::python;
  using postfork::driver::Snapshot;
  ImportDateTime();
  nb::set_leak_warnings(false);

  m.def("set_types", [](nb::dict t) {
    PythonTypes& types = Types();
    types.date = t["date"];
    types.time = t["time"];
    types.duration = t["duration"];
    types.sorted_set = t["sorted_set"];
    types.ordered_map = t["ordered_map"];
    types.udt = t["udt"];
    types.unset = t["unset"];
    ForkErrorType() = t["fork_error"];
    RowClasses::Get().set_factory(t["row_class"]);
    types.ready = true;
  });

  m.def("adopt_row_class", [](nb::handle cls) { return AdoptRowClass(cls); });

  nb::class_<Pending>(m, "Pending")
      .def_prop_ro("done", &Pending::done)
      .def("wait", &Pending::Wait)
      .def("on_done", &Pending::OnDone)
      .def("error", &Pending::Error)
      .def("kind", &Pending::Kind)
      .def("columns", &Pending::Columns)
      .def("column_types", &Pending::ColumnTypes)
      .def("rows", &Pending::Rows, nb::arg("row_class").none() = nb::none())
      .def("settle", &Pending::Settle, nb::arg("named"))
      .def("paging_state", &Pending::PagingState)
      .def("host", &Pending::Host)
      .def("keyspace", &Pending::Keyspace);

  nb::class_<Prepared>(m, "Prepared")
      .def_prop_ro("query", &Prepared::query)
      .def_prop_ro("keyspace", &Prepared::keyspace)
      .def_prop_ro("id", &Prepared::id)
      .def_prop_ro("bind_names", &Prepared::bind_names)
      .def_prop_ro("bind_types", &Prepared::bind_types)
      .def_prop_ro("result_names", &Prepared::result_names)
      .def_prop_ro("routing_key_indexes", &Prepared::routing_key_indexes);

  nb::class_<Session>(m, "Session")
      .def_static("connect",
                  [](nb::dict options) {
                    auto o = OptionsFromDict(options);
                    return Session::Open(&o, nullptr);
                  })
      .def_static("connect_from_snapshot",
                  []() -> nb::object {
                    if (!TheSnapshot())
                      throw nb::value_error(
                          "postfork: no warm-up snapshot in this process; call "
                          "postfork.warm_up() in the master before fork");
                    return Session::Open(nullptr, TheSnapshot());
                  })
      .def("submit", &Session::Submit, nb::arg("kind"), nb::arg("target"), nb::arg("values").none(),
           nb::arg("options"), nb::arg("wait") = false)
      .def("prepare", &Session::Prepare)
      .def("close", &Session::Close)
      .def("report", &Session::Report)
      .def_prop_ro("creator_pid", &Session::creator_pid)
      .def_prop_ro("closed", &Session::closed);

  // Connects on the calling thread, prepares `queries`, fetches `schema_keyspaces`, keeps the
  // snapshot and closes every socket. None, or an error tuple.
  m.def("take_snapshot", [](nb::dict options, std::vector<std::string> queries) -> nb::object {
    auto o = OptionsFromDict(options);
    postfork::Result<std::shared_ptr<const Snapshot>> snap =
        postfork::Status(postfork::StatusCode::kInternal, "not taken");
    {
      nb::gil_scoped_release release;
      snap = postfork::driver::TakeSnapshot(std::move(o), queries);
    }
    if (!snap.ok()) return ErrorTuple(snap.error(), nullptr);
    TheSnapshot() = *snap;
    return nb::none();
  });
  m.def("has_snapshot", [] { return static_cast<bool>(TheSnapshot()); });
  m.def("clear_snapshot", [] { TheSnapshot().reset(); });
  m.def("snapshot_info", []() -> nb::object {
    const auto& s = TheSnapshot();
    if (!s) return nb::none();
    nb::dict d;
    std::vector<std::string> hosts;
    for (const auto& h : s->hosts) hosts.push_back(h.Endpoint());
    d["hosts"] = hosts;
    d["local_dc"] = s->local_dc;
    d["keyspace"] = s->options.keyspace;
    d["prepared"] = static_cast<int>(s->prepared.size());
    return d;
  });
  m.def("fork_generation", [] { return postfork::driver::ForkGeneration(); });
}
