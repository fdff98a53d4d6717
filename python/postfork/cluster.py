"""Cluster, Session, ResponseFuture and ResultSet: the DataStax driver's ``cassandra.cluster``
subset, on postfork's C++ driver."""
import atexit
import operator
import os
import ssl as _ssl
import tempfile
import threading
import warnings
import weakref

from postfork import _driver, encoder
from postfork._errors import (ConsistencyLevel, DriverException, ForkError, NoHostAvailable,
                              OperationTimedOut, exception_for)
from postfork.query import (FETCH_SIZE_UNSET, BatchStatement, BoundStatement, PreparedStatement,
                            SimpleStatement, Statement, named_tuple_factory)

__all__ = ["Cluster", "Session", "ResponseFuture", "ResultSet", "NoHostAvailable"]

_NOT_SET = object()
# Accepted for compatibility; the C++ driver's own behaviour applies (options.h).
_ACCEPTED_OPTIONS = {
    "default_retry_policy", "reconnection_policy", "executor_threads", "max_schema_agreement_wait",
    "control_connection_timeout", "idle_heartbeat_interval", "schema_event_refresh_window",
    "topology_event_refresh_window", "status_event_refresh_window", "prepare_on_all_hosts",
    "reprepare_on_up", "schema_metadata_enabled", "token_metadata_enabled", "metrics_enabled",
    "cql_version", "allow_beta_protocol_version", "timestamp_generator", "idle_heartbeat_timeout",
    "no_compact", "connection_class", "address_translator", "execution_profiles",
    "monitor_reporting_enabled", "monitor_reporting_interval", "client_id",
    "application_name", "application_version", "endpoint_factory", "cloud",
    "conviction_policy_factory", "sockopts", "max_schema_agreement_wait",
}

_live_sessions = weakref.WeakSet()
_SCHEMA_CHANGE = 5  # the RESULT kind of a schema change (native protocol, 4.2.5)


class Cluster:
    """Where and how to connect. Holds no connection itself: each connect() opens a Session
    with its own event loop (run by the threads that wait for results). A Cluster whose
    sessions were opened in one process cannot connect in another (a forked child) and raises
    ForkError; create it in the worker, or use postfork.warm_up() / connect_after_fork()."""

    def __init__(self, contact_points=("127.0.0.1",), port=9042, compression=False,
                 auth_provider=None, load_balancing_policy=None, protocol_version=_NOT_SET,
                 ssl_context=None, ssl_options=None, connect_timeout=5, **kwargs):
        unknown = set(kwargs) - _ACCEPTED_OPTIONS
        if unknown:
            raise TypeError("Cluster() got unexpected keyword arguments: %s"
                            % ", ".join(sorted(unknown)))
        if isinstance(contact_points, str):
            raise TypeError("contact_points should not be a string, it should be a sequence "
                            "(e.g. list) of strings")
        self.contact_points = list(contact_points)
        self.port = port
        self.compression = compression
        self.auth_provider = auth_provider
        self.load_balancing_policy = load_balancing_policy
        self.protocol_version = None if protocol_version is _NOT_SET else protocol_version
        self.ssl_context = ssl_context
        self.ssl_options = ssl_options
        self.connect_timeout = connect_timeout
        self.sessions = weakref.WeakSet()
        self.is_shutdown = False
        self._pid = os.getpid()
        self._connected_pid = None
        self._tls_ca_file = None
        self._metadata = None

    @property
    def metadata(self):
        """The schema (postfork.metadata.Metadata): keyspaces, tables and columns, read on first
        use through a session of this Cluster, not at connect."""
        if self._metadata is None:
            from postfork.metadata import Metadata
            self._metadata = Metadata(self)
        return self._metadata

    def refresh_schema_metadata(self, max_schema_agreement_wait=None):
        """Drops the schema read so far: its next use reads it again."""
        if self._metadata is not None:
            self._metadata._invalidate()

    def refresh_keyspace_metadata(self, keyspace, max_schema_agreement_wait=None):
        self.refresh_schema_metadata()

    def refresh_table_metadata(self, keyspace, table, max_schema_agreement_wait=None):
        self.refresh_schema_metadata()

    def _check_process(self):
        if self._connected_pid is not None and self._connected_pid != os.getpid():
            raise ForkError(
                "postfork: this Cluster connected in process %d and cannot be used in process "
                "%d (a forked child). Open the worker's session after fork: call "
                "postfork.connect_after_fork() in a uWSGI @postfork hook or a Gunicorn "
                "post_fork hook (with postfork.warm_up() in the master), or create the Cluster "
                "inside the worker." % (self._connected_pid, os.getpid()))

    def _tls(self, options):
        ctx, opts = self.ssl_context, dict(self.ssl_options or {})
        if ctx is None and not opts:
            return
        options["tls"] = True
        verify = True
        if ctx is not None:
            verify = ctx.verify_mode != _ssl.CERT_NONE
            certs = ctx.get_ca_certs(binary_form=True)
            if certs and not opts.get("ca_certs"):
                # The driver reads CA certificates from a file: the context's, as PEM.
                if self._tls_ca_file is None:
                    f = tempfile.NamedTemporaryFile("w", prefix="postfork-ca-", suffix=".pem",
                                                    delete=False)
                    with f:
                        f.write("".join(_ssl.DER_cert_to_PEM_cert(c) for c in certs))
                    self._tls_ca_file = f.name
                options["tls_ca_file"] = self._tls_ca_file
        if "cert_reqs" in opts:
            verify = opts["cert_reqs"] != _ssl.CERT_NONE
        options["tls_verify"] = verify
        if opts.get("ca_certs"):
            options["tls_ca_file"] = opts["ca_certs"]
        if opts.get("certfile"):
            options["tls_cert_file"] = opts["certfile"]
        if opts.get("keyfile"):
            options["tls_key_file"] = opts["keyfile"]
        if opts.get("server_hostname"):
            options["tls_server_name"] = opts["server_hostname"]

    def _options(self, keyspace):
        lbp = self.load_balancing_policy
        options = {
            "contact_points": [str(c) for c in self.contact_points],
            "port": int(self.port),
            "keyspace": keyspace or "",
            "local_dc": getattr(lbp, "local_dc", None) or "",
            "token_aware": True if lbp is None else bool(getattr(lbp, "token_aware", False)),
            "connect_timeout_ms": int(self.connect_timeout * 1000),
            # Per-request timeouts are the client's (Session.default_timeout); the driver's
            # own is a backstop.
            "request_timeout_ms": 0,
            "protocol_version": int(self.protocol_version or 0),
            "compression": "lz4" if self.compression in ("lz4",) else "",
        }
        ap = self.auth_provider
        if ap is not None:
            options["username"], options["password"] = ap.username, ap.password
        self._tls(options)
        return options

    def connect(self, keyspace=None, wait_for_all_pools=False):
        """Opens a Session: TCP, STARTUP (+ SASL), system.local and peers, the keyspace's
        replication, REGISTER and USE, pipelined; no schema fetch. Raises NoHostAvailable."""
        self._check_process()
        if self.is_shutdown:
            raise DriverException("Cluster is already shut down")
        core = _driver.Session.connect(self._options(keyspace))
        if isinstance(core, tuple):
            raise exception_for(core, connect=True)
        self._connected_pid = os.getpid()
        session = Session(self, core, keyspace)
        self.sessions.add(session)
        return session

    def register_user_type(self, keyspace, user_type, klass):
        """Values of ``keyspace.user_type`` come back as ``klass(**fields)``."""
        from postfork import util
        util._registered_udts[(keyspace, user_type)] = klass

    def shutdown(self):
        if self.is_shutdown:
            return
        self.is_shutdown = True
        if self._connected_pid in (None, os.getpid()):
            for s in list(self.sessions):
                s.shutdown()
        if self._tls_ca_file:
            try:
                os.unlink(self._tls_ca_file)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def _consistency(value):
    return None if value is None else int(value)


class Session:
    """Executes statements on one set of connections. Safe to use from several Python threads;
    bound to the process that opened it (ForkError elsewhere)."""

    row_factory = staticmethod(named_tuple_factory)
    is_shutdown = False
    # The session's defaults (below: their public names) until set on the instance, and the
    # request options of a query string with them, made on first use and dropped when one of
    # them is set.
    _default_timeout = 10.0
    _default_consistency_level = ConsistencyLevel.LOCAL_ONE
    _default_serial_consistency_level = None
    _default_fetch_size = 5000
    _query_options = None

    def _default(attr):  # noqa: N805  (a class-body helper, deleted below)
        def set_default(self, value):
            self.__dict__[attr] = value
            self._query_options = None
        return property(operator.attrgetter(attr), set_default)

    default_timeout = _default("_default_timeout")
    default_consistency_level = _default("_default_consistency_level")
    default_serial_consistency_level = _default("_default_serial_consistency_level")
    default_fetch_size = _default("_default_fetch_size")
    del _default

    def __init__(self, cluster, core, keyspace, track=True):
        # Few writes: a worker creates its session right after fork, where every page the
        # interpreter writes is copied first. postfork.connect_after_fork's session is not
        # tracked here; postfork shuts it down at exit itself.
        self.cluster = cluster
        self._core = core
        self.keyspace = keyspace
        if track:
            _live_sessions.add(self)

    # -- requests ----------------------------------------------------------------------------

    def _spec(self, query, parameters):
        """(kind, target, values, statement) for _driver.Session.submit."""
        if isinstance(query, str):
            return 0, encoder.bind_params(query, parameters), None, None
        if isinstance(query, SimpleStatement):
            return 0, encoder.bind_params(query.query_string, parameters), None, query
        if isinstance(query, PreparedStatement):
            query = query.bind(parameters)
            return 1, query.prepared_statement._core, query.values, query
        if isinstance(query, BoundStatement):
            return 1, query.prepared_statement._core, query.values, query
        if isinstance(query, BatchStatement):
            return 2, query._statements_and_parameters, query.batch_type.value, query
        raise TypeError("cannot execute a %s" % type(query).__name__)

    def _options(self, statement, timeout, paging_state):
        if timeout is _NOT_SET:
            timeout = self.default_timeout
        s = statement if isinstance(statement, Statement) else None
        if s is None:  # a query string: the session's defaults
            fetch = self.default_fetch_size
            return (_consistency(self.default_consistency_level),
                    _consistency(self.default_serial_consistency_level), fetch or None,
                    paging_state, timeout, False, None)
        cl = s.consistency_level if s.consistency_level is not None \
            else self.default_consistency_level
        serial = s.serial_consistency_level if s.serial_consistency_level is not None \
            else self.default_serial_consistency_level
        fetch = s.fetch_size if s.fetch_size is not FETCH_SIZE_UNSET else self.default_fetch_size
        if paging_state is None:
            paging_state = s.paging_state
        return (_consistency(cl), _consistency(serial), fetch if fetch else None, paging_state,
                timeout, bool(s.is_idempotent), None)

    def execute_async(self, query, parameters=None, trace=False, custom_payload=None,
                      timeout=_NOT_SET, execution_profile=None, paging_state=None, host=None,
                      execute_as=None):
        """Sends the request and returns a ResponseFuture at once."""
        if self.is_shutdown:
            raise DriverException("Session is shut down")
        kind, target, values, statement = self._spec(query, parameters)
        options = self._options(statement, timeout, paging_state)
        pending = self._core.submit(kind, target, values, options)
        future = ResponseFuture(self, (kind, target, values, statement, options), pending)
        future._lock = threading.Lock()
        return future

    def execute(self, query, parameters=None, timeout=_NOT_SET, trace=False,
                custom_payload=None, execution_profile=None, paging_state=None, host=None,
                execute_as=None):
        """Runs the request and returns its ResultSet (first page; iterating fetches the rest).
        Waits with the GIL released."""
        if self.is_shutdown:
            raise DriverException("Session is shut down")
        if query.__class__ is str and parameters is None and timeout is _NOT_SET \
                and paging_state is None:
            # The common case: a query string with the session's defaults.
            kind, target, values, statement = 0, query, None, None
            options = self._query_options
            if options is None:
                options = self._query_options = self._options(None, timeout, None)
        else:
            kind, target, values, statement = self._spec(query, parameters)
            options = self._options(statement, timeout, paging_state)
        pending = self._core.submit(kind, target, values, options, True)  # sent by _first_page
        future = ResponseFuture(self, (kind, target, values, statement, options), pending)
        rows, error = future._first_page()
        if error is not None:
            raise error
        return ResultSet(future, rows)

    def prepare(self, query, custom_payload=None, keyspace=None):
        """Prepares ``query`` (cached by text: statements prepared in the master's warm-up cost
        no round trip). Raises InvalidRequest / SyntaxException."""
        if isinstance(query, SimpleStatement):
            query = query.query_string
        core = self._core.prepare(query)
        if isinstance(core, tuple):
            raise exception_for(core)
        return PreparedStatement(core, self)

    def set_keyspace(self, keyspace):
        self.execute('USE "%s"' % keyspace.replace('"', '""'))
        self.keyspace = keyspace

    def connect_report(self):
        """What opening this session cost: system_queries, from_snapshot, elapsed_ms, steps..."""
        return self._core.report()

    def shutdown(self):
        """Closes the connections and stops the session's loop. In a process the session was
        not made in, only marks it shut down (the parent's loop is not there)."""
        if self.is_shutdown:
            return
        self.is_shutdown = True
        if self._core.creator_pid == os.getpid():
            self._core.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


class ResponseFuture:
    """The pending result of execute_async: result(), add_callback(s)/add_errback (run on the
    session's callback thread when the response arrives, or at once if it has), and paging
    with has_more_pages / start_fetching_next_page()."""

    # Until set on the instance: a future costs its request three attribute writes (Session.
    # execute makes one per request). Callback lists are replaced, never appended to in place.
    # The lock guards a few attribute reads and writes and is never held while calling out or
    # taking another: futures of synchronous execute() share one; execute_async gives each
    # future its own.
    _lock = threading.Lock()
    _callbacks = _errbacks = ()
    _hooked_pending = _fired_pending = None
    _outcome = None  # (rows, None) or (None, exception), for this page
    _colnames = _paging_state = None

    def __init__(self, session, spec, pending):
        self.session = session
        self._spec = spec
        self._pending = pending

    @classmethod
    def _after_fork_in_child(cls):
        cls._lock = threading.Lock()  # a parent's thread may have held the shared one

    @property
    def query(self):
        """The statement (or query string) this future runs."""
        spec = self._spec
        return spec[3] if spec[3] is not None else spec[1]

    def _settle(self, pending=None):
        """The outcome of `pending` (default: the current page's), waiting for it; kept as
        this future's when it is still the current page's."""
        with self._lock:
            p = self._pending if pending is None else pending
            if p is self._pending and self._outcome is not None:
                return self._outcome
        outcome, colnames, paging_state = self._outcome_of(p)
        with self._lock:
            if p is self._pending and self._outcome is None:
                self._outcome = outcome
                self._colnames, self._paging_state = colnames, paging_state
        return outcome

    def _first_page(self):
        """_settle() for Session.execute, before any other thread can see this future: no
        lock taken."""
        outcome, self._colnames, self._paging_state = self._outcome_of(self._pending)
        self._outcome = outcome
        return outcome

    def _outcome_of(self, p):
        """((rows, None) or (None, exception), column names, paging state) of page `p`,
        waiting for it."""
        factory = self.session.row_factory
        named = factory is named_tuple_factory  # the default: rows built as named tuples
        error, colnames, paging_state, rows, kind = p.settle(named)  # waits, GIL released
        if error is not None:
            return (None, exception_for(error, colnames)), None, paging_state
        if not colnames:
            if kind == _SCHEMA_CHANGE and self.session.cluster._metadata is not None:
                self.session.cluster._metadata._invalidate()
        elif not named:
            rows = factory(list(colnames), rows)
        return (rows, None), colnames, paging_state

    def result(self, timeout=None):
        rows, error = self._settle()
        if error is not None:
            raise error
        return ResultSet(self, rows)

    @property
    def has_more_pages(self):
        self._settle()
        return self._paging_state is not None

    def _next_page_pending(self):
        kind, target, values, statement, options = self._spec
        options = options[:3] + (self._paging_state,) + options[4:]
        return self.session._core.submit(kind, target, values, options)

    def start_fetching_next_page(self):
        """Requests the next page; this future's callbacks run again with it."""
        if not self.has_more_pages:
            raise DriverException("no more pages to fetch")
        pending = self._next_page_pending()
        with self._lock:
            self._pending = pending
            self._outcome = None
        self._hook()

    def _fire(self, pending):
        rows, error = self._settle(pending)
        with self._lock:
            self._fired_pending = pending
            todo = self._errbacks if error is not None else self._callbacks
        for fn, args, kwargs in todo:
            fn(error if error is not None else rows, *args, **kwargs)

    def _hook(self):
        """Has the current page's completion run the callbacks (once per page)."""
        with self._lock:
            pending = self._pending
            if self._hooked_pending is pending or not (self._callbacks or self._errbacks):
                return
            self._hooked_pending = pending
        pending.on_done(lambda: self._fire(pending))

    def _add(self, fn, args, kwargs, errback):
        with self._lock:
            if errback:
                self._errbacks = self._errbacks + ((fn, args, kwargs),)
            else:
                self._callbacks = self._callbacks + ((fn, args, kwargs),)
            pending = self._pending
            fired = self._fired_pending is pending
            hooked = self._hooked_pending is pending
        if hooked and not fired:
            return self  # the page's completion runs it
        if fired or pending.done:
            rows, error = self._settle(pending)
            if (error is not None) == errback:
                fn(error if errback else rows, *args, **kwargs)
        else:
            self._hook()
        return self

    def add_callback(self, fn, *args, **kwargs):
        return self._add(fn, args, kwargs, errback=False)

    def add_errback(self, fn, *args, **kwargs):
        return self._add(fn, args, kwargs, errback=True)

    def add_callbacks(self, callback, errback, callback_args=(), callback_kwargs=None,
                      errback_args=(), errback_kwargs=None):
        self.add_callback(callback, *callback_args, **(callback_kwargs or {}))
        self.add_errback(errback, *errback_args, **(errback_kwargs or {}))

    def clear_callbacks(self):
        with self._lock:
            self._callbacks, self._errbacks = (), ()


os.register_at_fork(after_in_child=ResponseFuture._after_fork_in_child)


class ResultSet:
    """Rows of a response. Iterating yields every row of every page, fetching the next page
    when the current one is used up; current_rows is the page at hand."""

    def __init__(self, response_future, initial_rows):
        self.response_future = response_future
        self._has_rows = initial_rows is not None
        self._current_rows = initial_rows if initial_rows is not None else []

    @property
    def column_names(self):
        names = self.response_future._colnames
        return list(names) if self._has_rows and names is not None else None

    @property
    def current_rows(self):
        return self._current_rows

    @property
    def has_more_pages(self):
        return self.response_future.has_more_pages

    @property
    def paging_state(self):
        return self.response_future._paging_state

    @property
    def column_types(self):
        return self.response_future._pending.column_types()

    def fetch_next_page(self):
        f = self.response_future
        if not f.has_more_pages:
            self._current_rows = []
            return
        pending = f._next_page_pending()
        with f._lock:
            f._pending, f._outcome = pending, None
        self._current_rows = f.result()._current_rows

    def __iter__(self):
        # The future settled this page before this ResultSet was made: no more pages when it
        # had no paging state (a page still being fetched is settled by has_more_pages).
        if self.response_future._paging_state is None or not self.has_more_pages:
            return iter(self._current_rows)
        return self._iter_pages()

    def _iter_pages(self):
        while True:
            yield from self._current_rows
            if not self.has_more_pages:
                return
            self.fetch_next_page()

    def one(self):
        rows = self._current_rows
        return rows[0] if rows else None

    def all(self):
        return [row for row in self]

    def _materialize(self):
        if self.has_more_pages:
            self._current_rows = [row for row in self]
            self.response_future._paging_state = None

    def __getitem__(self, i):
        self._materialize()
        return self._current_rows[i]

    def __len__(self):
        self._materialize()
        return len(self._current_rows)

    def __bool__(self):
        return len(self._current_rows) > 0

    @property
    def was_applied(self):
        """The [applied] column of a conditional statement (or batch)."""
        if not self._current_rows:
            raise RuntimeError("No rows in the result: not a conditional statement")
        row = self._current_rows[0]
        if isinstance(row, dict):
            return row["[applied]"]
        if hasattr(row, "applied"):
            return row.applied
        return row[0]


@atexit.register
def _shutdown_all():
    import postfork
    worker = postfork._worker["session"]
    for s in list(_live_sessions) + ([worker] if worker is not None else []):
        try:
            if s._core.creator_pid == os.getpid():
                s.shutdown()
        except Exception:  # noqa: BLE001 - leaving the interpreter: nothing left to report to
            pass
