"""postfork for Python: a subset of the DataStax Python driver's API on postfork's C++ driver, with
sessions opened after fork from a warm-up snapshot.

Moving from the DataStax driver costs the import lines: ``cassandra`` becomes ``postfork``
(``from postfork.cluster import Cluster``, ``from postfork.query import dict_factory``, ...).

Fork: call :func:`warm_up` in the master (it keeps no socket and no thread), then
:func:`connect_after_fork` in each worker (a uWSGI ``@postfork`` hook, a Gunicorn ``post_fork``):
the worker's session opens its sockets only, with no system query. :mod:`postfork.uwsgi` registers
both for uWSGI. A Session or Cluster used in a process it was not made in raises
:class:`ForkError`.

Threads: a Session starts no thread. The driver's event loop runs on the Python thread that
waits for a result, with the GIL released (one waiting thread at a time when several share a
session). The first ``execute_async`` callback starts one C++ thread that runs the loop from then
on; callbacks run there, with the GIL.
"""
import os as _os

from postfork._errors import (  # noqa: F401  (the DataStax names, importable from here)
    AlreadyExists, AuthenticationFailed, ConfigurationException, CoordinationFailure,
    DriverException, ForkError, FunctionFailure, InvalidRequest, OperationTimedOut,
    ProtocolException, ReadFailure, ReadTimeout, RequestExecutionException,
    RequestValidationException, ServerError, SyntaxException, Timeout, Unauthorized, Unavailable,
    UnsupportedOperation, WriteFailure, WriteTimeout, ConsistencyLevel, WriteType, ProtocolVersion)
from postfork import _driver

__version__ = "0.1.0"


def _register_types():
    # uuid and decimal are imported by the extension when a value needs them.
    from postfork import query, util
    _driver.set_types({
        "date": util.Date, "time": util.Time,
        "duration": util.Duration, "sorted_set": util.SortedSet,
        "ordered_map": util.OrderedMapSerializedKey, "udt": util.make_udt,
        "unset": query.UNSET_VALUE, "fork_error": ForkError, "row_class": query._row_class})


_register_types()

from postfork import cluster as _cluster  # noqa: E402  (after the types it converts with)

_warm = {"cluster": None, "pid": None, "keyspace": None}
_worker = {"session": None, "fork_generation": None}


def warm_up(cluster=None, keyspace=None, prepare=(), schema_keyspaces=(), **cluster_kwargs):
    """Takes the driver's warm-up snapshot in this process (the master, before fork).

    Connects once (topology, the keyspace's replication), prepares ``prepare`` (queries, kept in
    the snapshot so that workers' ``prepare`` of them costs no round trip), reads the schema of
    ``schema_keyspaces``, then closes every socket. No thread is left running. ``cluster`` is a
    :class:`postfork.cluster.Cluster` (or its arguments as keywords). Raises NoHostAvailable when
    no contact point answers. Returns a dict describing the snapshot.
    """
    from postfork.cluster import Cluster
    if cluster is None:
        cluster = Cluster(**cluster_kwargs)
    elif cluster_kwargs:
        raise TypeError("pass either a Cluster or its arguments, not both")
    options = cluster._options(keyspace)
    options["schema_keyspaces"] = list(schema_keyspaces)
    error = _driver.take_snapshot(options, list(prepare))
    if error is not None:
        from postfork._errors import raise_for
        raise_for(error, connect=True)
    info = _driver.snapshot_info()
    _warm["cluster"], _warm["pid"] = cluster, _os.getpid()
    _warm["keyspace"] = info["keyspace"] or None
    _rehearse_connect_after_fork()
    return info


def _rehearse_connect_after_fork():
    """Runs connect_after_fork() once here, before fork, and closes that session: what a
    worker's first session would do for the first time in every worker is done once in the
    master (lazy binding of the driver's library calls, the interpreter's specialization of
    the Python path), so a worker's session costs fewer page faults and less time. A failure
    here is left for the workers to report."""
    try:
        s = connect_after_fork()
    except DriverException:
        return
    finally:
        _worker["session"] = _worker["fork_generation"] = None
    s.shutdown()


# What connect_after_fork() uses, bound once here: right after fork every object the call
# touches (a reference count written) is a page the worker copies, so it looks up few.
_connect_from_snapshot = _driver.Session.connect_from_snapshot
_fork_generation = _driver.fork_generation
_Session = _cluster.Session


def connect_after_fork(row_factory=None):
    """Opens this worker's Session from the master's snapshot: sockets only (STARTUP, REGISTER,
    USE), no system query. Call it in a uWSGI ``@postfork`` hook or a Gunicorn ``post_fork``.
    The session is kept for :func:`session`. Raises NoHostAvailable when no host answers."""
    cluster = _warm["cluster"]
    if cluster is None:
        raise DriverException("postfork.connect_after_fork(): no warm-up snapshot; call "
                              "postfork.warm_up() in the master before fork")
    core = _connect_from_snapshot()
    if core.__class__ is tuple:
        from postfork._errors import raise_for
        raise_for(core, connect=True)
    s = _Session(cluster, core, _warm["keyspace"], False)
    if row_factory is not None:
        s.row_factory = row_factory
    _worker["session"], _worker["fork_generation"] = s, _fork_generation()
    return s


def session():
    """The Session connect_after_fork() opened in this process."""
    s = _worker["session"]
    # The driver's fork count, not getpid(): no system call on every request.
    if s is None or _worker["fork_generation"] != _fork_generation():
        raise DriverException("postfork.session(): no session in process %d; call "
                              "postfork.connect_after_fork() in the worker's post-fork hook"
                              % _os.getpid())
    return s


def log_ready(s):
    """Prints one line to stderr: this worker's session is ready, in how long, from where."""
    r = s.connect_report()
    line = "postfork: worker %d session ready in %.3f ms (%s, %d system queries)\n" % (
        _os.getpid(), r["elapsed_ms"], "from snapshot" if r["from_snapshot"] else "connect",
        r["system_queries"])
    _os.write(2, line.encode())  # one write: lines of concurrent workers do not interleave
