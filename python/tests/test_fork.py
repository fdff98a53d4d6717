"""Fork: warm_up in the parent keeps no socket and no thread; children open sessions from the
snapshot with no system query; objects used in a child they were not made in raise ForkError."""
import os

import pytest

import postfork
from postfork.cluster import Cluster


def run_in_child(fn):
    """Runs fn() in a forked child; returns its exit code (0: fn returned True)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 1
        try:
            msg = fn()
            os.write(w, (msg if isinstance(msg, str) else "ok").encode())
            code = 0
        except BaseException as e:  # reported to the parent through the pipe
            os.write(w, ("%s: %s" % (type(e).__name__, e)).encode())
        finally:
            os._exit(code)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode()


def sockets_to(port):
    """This process's TCP connections to `port` on loopback (from /proc/net/tcp)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[9] in inodes and int(parts[2].split(":")[1], 16) == port:
                    n += 1
    return n


def thread_count():
    return len(os.listdir("/proc/self/task"))


def test_warm_up_then_connect_after_fork(node, session):
    session.execute("CREATE TABLE IF NOT EXISTS forked (k int PRIMARY KEY, v text)")
    threads_before = thread_count()
    info = postfork.warm_up(Cluster(["127.0.0.1"], port=node.port), keyspace="pytest",
                            prepare=["SELECT v FROM forked WHERE k = ?"])
    assert info["keyspace"] == "pytest" and info["prepared"] == 1
    assert thread_count() == threads_before, "warm_up left a thread running"
    assert sockets_to(node.port) == 1, "warm_up left a socket open (only the fixture's)"
    system0, prepares0 = node.system_queries(), node.requests("PREPARE")

    def child(k):
        def work():
            s = postfork.connect_after_fork()
            report = s.connect_report()
            assert report["from_snapshot"] and report["system_queries"] == 0, report
            assert postfork.session() is s

            def grandchild():  # a process forked from the worker has no session of its own
                with pytest.raises(postfork.DriverException, match="connect_after_fork"):
                    postfork.session()
                return "ok"
            assert run_in_child(grandchild) == (0, "ok")
            sel = s.prepare("SELECT v FROM forked WHERE k = ?")  # from the snapshot
            s.execute("INSERT INTO forked (k, v) VALUES (%s, %s)", (k, "child %d" % k))
            assert s.execute(sel, (k,)).one().v == "child %d" % k
            s.shutdown()
            return "ready in %.3f ms" % report["elapsed_ms"]
        return work

    for k in range(3):
        code, out = run_in_child(child(k))
        assert code == 0, out
    assert node.system_queries() == system0, "children queried system tables"
    assert node.requests("PREPARE") == prepares0, "children prepared again"
    assert session.execute("SELECT count(*) FROM forked").one()[0] >= 3


def test_session_used_in_child_raises_fork_error(session):
    def child():
        try:
            session.execute("SELECT key FROM system.local")
        except postfork.ForkError as e:
            assert "connect_after_fork" in str(e) and str(os.getppid()) in str(e), str(e)
            return "raised"
        raise AssertionError("no ForkError")
    code, out = run_in_child(child)
    assert (code, out) == (0, "raised")
    # The parent's session is untouched.
    assert session.execute("SELECT key FROM system.local").one().key == "local"


def test_connected_cluster_used_in_child_raises_fork_error(cluster, session):
    def child():
        with pytest.raises(postfork.ForkError, match="connect_after_fork"):
            cluster.connect()
        with pytest.raises(postfork.ForkError):
            session.prepare("SELECT key FROM system.local")
        with pytest.raises(postfork.ForkError):
            session.execute_async("SELECT key FROM system.local")
        return "raised"
    assert run_in_child(child) == (0, "raised")


def test_session_helper_outside_a_worker():
    def child():
        with pytest.raises(postfork.DriverException, match="connect_after_fork"):
            postfork.session()
        return "ok"
    assert run_in_child(child) == (0, "ok")
