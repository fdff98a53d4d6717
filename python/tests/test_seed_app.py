"""The seed's own app (bench/seed/original/app.py: web.py, datastore opened after fork) on the
package, under uWSGI and Gunicorn, against a real postfork-node."""
import json
import re
import signal
import subprocess
import threading
import time

import pytest

import postfork
from postfork.cluster import Cluster
from nodeproc import Node
from servers import AppServer, create_seed_schema


@pytest.fixture(scope="module")
def seed_node():
    n = Node().start()
    create_seed_schema(n)
    yield n
    n.stop()


@pytest.fixture(scope="module")
def warm_up_cost(seed_node):
    """System queries the node runs for one warm_up with the app's options."""
    before = seed_node.system_queries()
    postfork.warm_up(Cluster(["127.0.0.1"], port=seed_node.port), keyspace="seed")
    return seed_node.system_queries() - before


def check_routes(server):
    status, body = server.request("GET", "/")
    assert status == 200
    cols = json.loads(body)
    assert {"value 0", "value 99"} <= set(cols) and len(cols) >= 100
    assert server.request("PUT", "/rows/new%20key", "fresh value")[0] == 200
    status, body = server.request("GET", "/rows/new%20key")
    assert status == 200 and json.loads(body) == {"key": "new key", "col": "fresh value"}
    assert server.request("GET", "/rows/key7") == (200, b'{"key": "key7", "col": "value 7"}')
    assert server.request("GET", "/rows/absent")[0] == 404
    status, body = server.request("GET", "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"


@pytest.mark.parametrize("kind", ["uwsgi", "gunicorn"])
def test_import_changed_only(seed_node, kind):
    """SEED_DRIVER=postfork: the original code with `from postfork.cluster import Cluster`."""
    server = AppServer(kind, seed_node, "postfork", workers=2)
    try:
        server.wait_for_count(r"original: worker \d+ session ready", 2)
        check_routes(server)
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["uwsgi", "gunicorn"])
def test_snapshot_hooks_routes_and_zero_system_queries(seed_node, warm_up_cost, kind):
    workers = 4
    before = seed_node.system_queries()
    server = AppServer(kind, seed_node, "postfork-snapshot", workers=workers)
    try:
        ready = server.wait_for_count(r"session ready in .* \(from snapshot, 0 system queries\)",
                                      workers)
        after_ready = seed_node.system_queries()
        # The master's warm-up is the only client of system tables.
        assert after_ready - before == warm_up_cost, (before, after_ready, warm_up_cost)
        check_routes(server)
        # A killed worker is replaced from the same snapshot: still no system query.
        mark = len(server.lines)
        victim = server.workers_pids()[0]
        import os
        os.kill(victim, signal.SIGKILL)
        server.wait_for_count(r"session ready in .* \(from snapshot", 1, start=mark)
        assert seed_node.system_queries() == after_ready
        print("\n".join(ready))
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["uwsgi", "gunicorn"])
def test_kill_9_worker_loses_no_acknowledged_write(seed_node, kind):
    keyspace = "killed_" + kind  # its own table: GET / of the other tests stays 100 rows
    create_seed_schema(seed_node, keyspace, rows=0)
    server = AppServer(kind, seed_node, "postfork-snapshot", workers=2, keyspace=keyspace)
    try:
        server.wait_for_count(r"session ready in", 2)
        acked, lock, stop = {}, threading.Lock(), threading.Event()

        def writer(n):
            i = 0
            while not stop.is_set():
                key, value = "w-%s-%d-%d" % (kind, n, i), "v%d" % i
                try:
                    if server.request("PUT", "/rows/" + key, value, timeout=5)[0] == 200:
                        with lock:
                            acked[key] = value
                except OSError:
                    pass  # died with its worker: not acknowledged
                except Exception:  # http.client errors on a dropped connection
                    pass
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        import os
        for pid in server.workers_pids():
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join()
        assert len(acked) > 20, len(acked)
        s = Cluster(["127.0.0.1"], port=seed_node.port).connect(keyspace)
        get = s.prepare('SELECT col FROM "columnfamily" WHERE key = ?')
        missing = [k for k, v in acked.items()
                   if (s.execute(get, (k,)).one() or (None,))[0] != v]
        s.shutdown()
        assert not missing, missing[:5]
    finally:
        server.stop()


def run_wrk(port, seconds, connections=8):
    return subprocess.run(["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency",
                           "--timeout=10s", "http://127.0.0.1:%d/" % port],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("kind", ["uwsgi", "gunicorn"])
def test_sighup_reload_under_wrk_fails_no_request(seed_node, kind):
    """wrk keeps GET / busy (keep-alive) and four clients send GET / on fresh connections while
    SIGHUP replaces every worker: every request gets its 200 and wrk sees no socket error at all.
    uWSGI runs in the configuration python/README.md gives for reloads: the app on a uwsgi
    socket behind an HTTP router instance that keeps the client connections (a worker's own
    --http11-socket connections close with it, cutting off a request already sent on them);
    Gunicorn's sync workers close every connection after its response."""
    server = AppServer(kind, seed_node, "postfork-snapshot", workers=2, router=True)
    try:
        server.wait_for_count(r"session ready in", 2)
        mark = len(server.lines)
        result, failures, served, stop = {}, [], [0], threading.Event()

        def client():
            while not stop.is_set():
                try:
                    status, _ = server.request("GET", "/", timeout=10)
                    if status != 200:
                        failures.append(status)
                    served[0] += 1
                except Exception as e:  # noqa: BLE001 - every failure is reported below
                    failures.append(repr(e))

        t = threading.Thread(target=lambda: result.update(out=run_wrk(server.port, 5)))
        clients = [threading.Thread(target=client) for _ in range(4)]
        t.start()
        for c in clients:
            c.start()
        time.sleep(1.5)
        server.proc.send_signal(signal.SIGHUP)
        t.join()
        stop.set()
        for c in clients:
            c.join()
        out = result["out"]
        print(out)
        # Every worker was replaced, each from a snapshot.
        server.wait_for_count(r"session ready in .* \(from snapshot", 2, start=mark)
        assert not failures, failures[:5]
        assert served[0] > 0, served[0]
        assert int(re.search(r"(\d+) requests in", out).group(1)) > 20, out
        assert "Non-2xx" not in out, out
        assert "Socket errors" not in out, out
    finally:
        server.stop()
