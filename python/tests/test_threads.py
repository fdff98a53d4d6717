"""execute from several Python threads at once on one session; where the session's loop runs."""
import os
import threading
import time


def run_threads(worker, n):
    """worker(0) ... worker(n - 1), each on a thread of its own, all at once; returns when all
    are done."""
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def test_execute_from_many_threads(session):
    session.execute("CREATE TABLE IF NOT EXISTS threaded (t int, i int, PRIMARY KEY (t, i))")
    ins = session.prepare("INSERT INTO threaded (t, i) VALUES (?, ?)")
    errors = []

    def worker(t):
        try:
            for i in range(100):
                session.execute(ins, (t, i))
                if i % 10 == 0:
                    n = session.execute("SELECT count(*) FROM threaded WHERE t = %s", (t,)).one()[0]
                    assert n == i + 1, (t, i, n)
        except Exception as e:  # collected for the assertion below
            errors.append(e)

    run_threads(worker, 8)
    assert not errors, errors[:3]
    for t in range(8):
        assert session.execute("SELECT count(*) FROM threaded WHERE t = %s", (t,)).one()[0] == 100


def task_count():
    return len(os.listdir("/proc/self/task"))


def test_a_session_runs_on_the_waiting_thread_until_a_callback(cluster, session):
    """No thread is started for a session: execute runs the loop on the calling thread. A
    request sent with execute_async and never waited for still leaves at once; callbacks start
    at most one keeper thread, after which waits and callbacks both work."""
    before = task_count()
    s = cluster.connect("pytest")
    try:
        s.execute("CREATE TABLE IF NOT EXISTS loop_owner (k int PRIMARY KEY, v int)")
        assert s.execute("SELECT key FROM system.local").one().key == "local"
        assert task_count() == before, "connect or execute started a thread"
        s.execute_async("INSERT INTO loop_owner (k, v) VALUES (1, 1)")  # never waited for
        other = cluster.connect("pytest")
        try:
            deadline = time.time() + 10
            while other.execute("SELECT v FROM loop_owner WHERE k = 1").one() is None:
                assert time.time() < deadline, "the un-awaited write never reached the node"
                time.sleep(0.01)
        finally:
            other.shutdown()
        # Callbacks on requests still in flight start the keeper (one thread, whatever their
        # number); one on a request already answered runs at once, on this thread.
        fired = []
        futures = [s.execute_async("SELECT key FROM system.local") for _ in range(50)]
        for f in reversed(futures):
            f.add_callback(lambda rows: fired.append(rows[0].key))
        deadline = time.time() + 10
        while len(fired) < 50 and time.time() < deadline:
            time.sleep(0.01)
        assert fired == ["local"] * 50
        assert task_count() in (before, before + 1), "more than one keeper thread"
        assert s.execute("SELECT v FROM loop_owner WHERE k = 1").one().v == 1
    finally:
        s.shutdown()
    assert task_count() == before


def test_waits_and_callbacks_from_many_threads(cluster, session):
    """Threads that wait take turns running the loop; callbacks registered meanwhile hand it
    to the keeper without losing anyone's result."""
    s = cluster.connect("pytest")
    errors, called = [], []

    def worker(t):
        try:
            for i in range(60):
                if i % 7 == 0:
                    s.execute_async("SELECT key FROM system.local").add_callback(
                        lambda rows: called.append(rows[0].key))
                assert s.execute("SELECT key FROM system.local").one().key == "local"
        except Exception as e:  # collected for the assertion below
            errors.append(e)

    try:
        run_threads(worker, 6)
        assert not errors, errors[:3]
        deadline = time.time() + 10
        while len(called) < 6 * 9 and time.time() < deadline:
            time.sleep(0.01)
        assert called == ["local"] * (6 * 9)
    finally:
        s.shutdown()
