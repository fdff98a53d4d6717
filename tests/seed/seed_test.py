"""End-to-end tests of postfork-seed against a real postfork-node (loopback, free ports, temp data
dirs; every process started here is stopped, also on failure).

usage: seed_test.py POSTFORK_SEED POSTFORK_NODE [test-name ...]
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from loopback import free_port  # noqa: E402

SEED, NODE = sys.argv[1], sys.argv[2]


class LineLog:
    """Collects a process's output lines in a thread; wait_for() a regex."""

    def __init__(self, stream, prefix):
        self.lines = []
        self.cond = threading.Condition()
        self.prefix = prefix
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    m = rx.search(self.lines[i])
                    if m:
                        return m, i
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("%s: no line matching %r in %.0fs; last lines:\n%s" % (
                        self.prefix, pattern, timeout, "\n".join(self.lines[-20:])))
                self.cond.wait(left)

    def count(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.lines if rx.search(line))


class Node:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port = 0
        self.metrics_port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [NODE, "--port", str(self.port), "--data-dir", self.data_dir,
             "--metrics", "127.0.0.1:%d" % self.metrics_port],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = LineLog(self.proc.stdout, "node")
        m, _ = self.log.wait_for(r"ready: listening for CQL clients on [^ ]+:(\d+)", 30)
        self.port = int(m.group(1))
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def metrics(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=5)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        out = {}
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
        return out


class Seed:
    def __init__(self, node, *args):
        self.port = free_port()
        self.args = [SEED, "--bind", "127.0.0.1:%d" % self.port, "--contact-points", "127.0.0.1",
                     "--cql-port", str(node.port)] + list(args)
        self.proc = None

    def start(self, ready=True):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.log = LineLog(self.proc.stdout, "seed")
        if ready:
            self.log.wait_for(r"postfork ready: \d+ workers", 60)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("postfork-seed did not stop within 20 s of SIGTERM")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def workers(self):
        pid = self.proc.pid
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]

    def request(self, method, path, body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            try:
                return resp.status, (json.loads(data) if data else None)
            except ValueError:
                return resp.status, data.decode(errors="replace")
        finally:
            conn.close()


    def raw(self, path, timeout=30):
        """GET `path`: the status and the body's bytes as sent."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Env:
    """One node (and its data dir) per test."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="postfork-seed-test-")
        self.node = Node(os.path.join(self.dir, "node"))
        self.seeds = []

    def seed(self, *args, ready=True):
        s = Seed(self.node, *args)
        self.seeds.append(s)
        return s.start(ready)

    def close(self):
        for s in self.seeds:
            s.kill()
        self.node.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def rows_path(key):
    return "/rows/" + urllib.parse.quote(key, safe="")


# --------------------------------------------------------------------------------------------


def test_routes(env):
    env.node.start()
    seed = env.seed("--preload", "--workers", "2", "--sample-rows", "100")
    status, cols = seed.request("GET", "/")
    check(status == 200, "GET / -> %s" % status)
    check(sorted(cols) == sorted("value %d" % i for i in range(100)), "GET / cols: %r" % cols[:5])
    status, row = seed.request("GET", "/rows/key7")
    check((status, row) == (200, {"key": "key7", "col": "value 7"}), "GET key7: %s %r" % (status, row))
    status, _ = seed.request("GET", "/rows/absent")
    check(status == 404, "GET absent -> %s" % status)
    # Text, JSON string and JSON object bodies.
    # A value that JSON must escape (quote, backslash, control characters) among plain ones.
    text = 'plain "text"\\ \n\t\x01 end'
    check(seed.request("PUT", rows_path("a b é"), text)[0] == 200, "PUT text")
    check(seed.request("GET", rows_path("a b é")) == (200, {"key": "a b é", "col": text}),
          "GET after PUT text")
    check(seed.request("PUT", "/rows/j1", json.dumps("js"),
                       {"Content-Type": "application/json"})[0] == 200, "PUT json string")
    check(seed.request("GET", "/rows/j1")[1]["col"] == "js", "GET j1")
    check(seed.request("PUT", "/rows/j1", json.dumps({"col": "obj"}),
                       {"Content-Type": "application/json"})[0] == 200, "PUT json object")
    check(seed.request("GET", "/rows/j1")[1]["col"] == "obj", "GET j1 after object")
    status, err = seed.request("PUT", "/rows/j1", "{not json", {"Content-Type": "application/json"})
    check(status == 400 and "error" in err, "bad JSON -> %s %r" % (status, err))
    status, err = seed.request("PUT", "/rows/j1", "[1]", {"Content-Type": "application/json"})
    check(status == 400, "JSON array -> %s" % status)
    check(seed.request("DELETE", "/rows/j1")[0] == 200, "DELETE")
    check(seed.request("GET", "/rows/j1")[0] == 404, "GET after DELETE")
    status, cols = seed.request("GET", "/")
    check(len(cols) == 101 and text in cols, "GET / after writes: %d" % len(cols))
    status, health = seed.request("GET", "/health")
    check(status == 200 and health["status"] == "ok", "health: %s %r" % (status, health))
    check(seed.request("POST", "/rows/x")[0] == 405, "POST /rows/x is not allowed")
    # Every worker logged its session-ready time, from the snapshot.
    check(seed.log.count(r"CQL session ready in [0-9.]+ ms \(from snapshot") == 2,
          "two workers ready from the snapshot")
    seed.stop()
    # --max-rows bounds GET /; a restart keeps the data and adds no sample rows.
    seed = env.seed("--workers", "1", "--max-rows", "7")
    status, cols = seed.request("GET", "/")
    check(status == 200 and len(cols) == 7, "max-rows 7: %s %d" % (status, len(cols)))
    check(seed.log.count(r"CQL session ready in [0-9.]+ ms \(connect") == 1, "lazy mode connects")
    seed.stop()
    seed = env.seed("--workers", "1", "--max-rows", "100000")
    check(len(seed.request("GET", "/")[1]) == 101, "restart keeps 101 rows")


def test_concurrent(env):
    env.node.start()
    seed = env.seed("--preload", "--workers", "2", "--sample-rows", "0")
    check(seed.request("GET", "/") == (200, []), "GET / of the empty table is []")
    errors = []

    def client(n):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", seed.port, timeout=10)
            for i in range(40):
                key = "c%d-%d" % (n, i % 5)
                value = "v%d-%d" % (n, i)
                conn.request("PUT", "/rows/" + key, value)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors.append("PUT %s -> %d" % (key, r.status))
                conn.request("GET", "/rows/" + key)
                r = conn.getresponse()
                got = json.loads(r.read())
                if r.status != 200 or got["col"] != value:
                    errors.append("GET %s -> %d %r, wanted %s" % (key, r.status, got, value))
            conn.close()
        except Exception as e:  # reported below as a failure
            errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "concurrent clients disagree: %s" % errors[:5])
    status, cols = seed.request("GET", "/")
    check(status == 200 and len(cols) == 16 * 5, "GET / sees every key: %d" % len(cols))


def test_outage(env):
    env.node.start()
    seed = env.seed("--preload", "--workers", "2", "--request-timeout-ms", "1000",
                    "--connect-timeout-ms", "1000")
    check(seed.request("GET", "/")[0] == 200, "GET / before the outage")
    env.node.kill()
    for path in ("/", "/rows/key1"):
        started = time.time()
        status, body = seed.request("GET", path)
        took = time.time() - started
        check(status == 503, "GET %s during outage -> %s %r" % (path, status, body))
        check(took < 2.5, "503 within the request timeout (took %.2fs)" % took)
    status, health = seed.request("GET", "/health")
    check(status == 503 and health["reason"], "health during outage: %s %r" % (status, health))
    # A worker respawned during the outage starts and serves 503.
    victim = seed.workers()[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.time() + 15
    while time.time() < deadline and (victim in seed.workers() or len(seed.workers()) < 2):
        time.sleep(0.1)
    check(len(seed.workers()) == 2, "the killed worker was respawned during the outage")
    time.sleep(0.5)
    check(seed.request("GET", "/")[0] == 503, "still 503 with a respawned worker")
    env.node.start()  # same port, same data
    deadline = time.time() + 20
    ok = 0
    while time.time() < deadline and ok < 20:  # both workers (connections spread over them)
        status, _ = seed.request("GET", "/")
        ok = ok + 1 if status == 200 else 0
        time.sleep(0.05)
    check(ok >= 20, "GET / recovers after the node restarts, without restarting the service")
    check(seed.request("GET", "/health")[0] == 200, "health recovers")
    check(seed.proc.poll() is None, "the service stayed up")


def test_kill_worker_keeps_acknowledged_writes(env):
    env.node.start()
    seed = env.seed("--preload", "--workers", "2", "--sample-rows", "0")
    acked = {}
    stop = threading.Event()
    lock = threading.Lock()

    def writer(n):
        i = 0
        while not stop.is_set():
            key, value = "w%d-%d" % (n, i), "x%d" % i
            try:
                status, _ = seed.request("PUT", "/rows/" + key, value, timeout=5)
                if status == 200:
                    with lock:
                        acked[key] = value
            except (OSError, http.client.HTTPException):
                pass  # the connection died with its worker: not acknowledged
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    for pid in seed.workers():
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.7)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    check(len(acked) > 20, "writes were acknowledged (%d)" % len(acked))
    missing = [k for k, v in acked.items() if seed.request("GET", "/rows/" + k) != (200, {"key": k, "col": v})]
    check(not missing, "acknowledged writes lost: %s" % missing[:5])


def test_warmup_no_system_queries(env):
    env.node.start()
    workers = 4
    seed = env.seed("--preload", "--workers", str(workers))
    check(seed.request("GET", "/")[0] == 200, "GET / before reload")

    def counters():
        m = env.node.metrics()
        system = sum(v for k, v in m.items() if k.startswith("postfork_node_table_statements_total")
                     and re.search(r'keyspace="system(_schema)?"', k))
        req = {k: v for k, v in m.items() if k.startswith("postfork_node_requests_total")}
        return system, req, m.get("postfork_node_connections_total", 0)

    system0, req0, conns0 = counters()
    check(system0 > 0, "the master's snapshot queried system tables (%d)" % system0)
    # Zero-downtime reload: clients keep sending GET / while every worker and session is replaced.
    failures, served = [], [0]
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                status, _ = seed.request("GET", "/")
                if status != 200:
                    failures.append(status)
                served[0] += 1
            except (OSError, http.client.HTTPException) as e:
                failures.append(repr(e))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for t in clients:
        t.start()
    time.sleep(0.3)
    _, _, conns_load = counters()
    use_key = 'postfork_node_statements_total{kind="use"}'
    uses0 = env.node.metrics().get(use_key, 0)
    mark = len(seed.log.lines)
    seed.proc.send_signal(signal.SIGHUP)  # every worker and session replaced
    seed.log.wait_for(r"reload complete", 60, start=mark)
    time.sleep(0.3)
    stop.set()
    for t in clients:
        t.join()
    check(not failures, "requests failed during the reload: %s" % failures[:5])
    check(served[0] > 20, "requests served during the reload (%d)" % served[0])
    system1, req1, conns1 = counters()
    check(conns_load == conns0, "GET / under load opened no CQL connection")

    def delta(op):
        key = 'postfork_node_requests_total{opcode="%s"}' % op
        return req1.get(key, 0) - req0.get(key, 0)

    check(conns1 - conns0 == workers, "one connection per new worker: %d" % (conns1 - conns0))
    check(delta("STARTUP") == workers, "STARTUP per worker: %d" % delta("STARTUP"))
    check(delta("REGISTER") == workers, "REGISTER per worker: %d" % delta("REGISTER"))
    check(system1 == system0, "new workers queried system tables %d times" % (system1 - system0))
    uses = env.node.metrics().get(use_key, 0) - uses0
    check(uses == 0, "v5 workers name the keyspace on each request, no USE (%d)" % uses)
    ready = [float(m) for m in re.findall(r"CQL session ready in ([0-9.]+) ms \(from snapshot",
                                          "\n".join(seed.log.lines[mark:]))]
    check(len(ready) == workers, "each new worker logged its session-ready time: %r" % ready)
    print("session ready (from snapshot), ms:", ready)
    check(seed.request("GET", "/")[0] == 200, "GET / after reload")


def test_connect_per_request(env):
    env.node.start()
    seed = env.seed("--workers", "1", "--connect-per-request", "--sample-rows", "10")
    status, cols = seed.request("GET", "/")
    check(status == 200 and len(cols) == 10, "GET / per request: %s %r" % (status, cols))
    check(seed.request("PUT", "/rows/pr", "per request")[0] == 200, "PUT per request")
    check(seed.request("GET", "/rows/pr") == (200, {"key": "pr", "col": "per request"}), "GET pr")
    conns = env.node.metrics()["postfork_node_connections_total"]
    seed.request("GET", "/")
    seed.request("GET", "/")
    after = env.node.metrics()
    check(after["postfork_node_connections_total"] - conns >= 2, "a connection per request")
    check(after["postfork_node_connections"] <= 1, "sessions closed after the request")


def test_unreachable_at_start(env):
    port = free_port()  # nothing listens there
    seed = Seed(env.node, "--workers", "1", "--connect-timeout-ms", "500")
    seed.args[seed.args.index("--cql-port") + 1] = str(port)
    env.seeds.append(seed)
    started = time.time()
    seed.start(ready=False)
    rc = seed.proc.wait(15)
    check(rc != 0, "exits with an error")
    check(time.time() - started < 10, "fails within the connect timeout")
    seed.log.wait_for(r"Cassandra unreachable at 127\.0\.0\.1:%d" % port, 5)


# Cells whose JSON takes every path of GET /'s writer: empty, 1-3, 4-8 and longer strings, each
# escape (quote, backslash, the two-letter ones, \u00XX, 0x7f left as it is), non-ASCII text.
JSON_CELLS = ["", "a", "ab", "abc", "abcd", "abcdefgh", "abcdefghi", "x" * 16, "y" * 17,
              'q"uote', "back\\slash", "tab\tnl\nret\rff\fbs\b", "ctl\x01\x1f\x00z",
              "del\x7f", "é", "caf\u00e9 \u4e2d\u6587 \U0001f600", '"', "\\", "\n",
              "long " + "\u00e9" * 40 + '"end']


def canonical_json(value):
    """Boost.JSON's serialization of `value`: no spaces, UTF-8 as it is, the same escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def test_get_all_json_bytes(env):
    # GET / writes its JSON array from the pages' serialized cells: its bytes must be what a JSON
    # serializer writes for the values, for every kind of string, nulls, an empty table and
    # results that span pages.
    from cassandra.cluster import Cluster
    from cassandra.concurrent import execute_concurrent_with_args
    env.node.start()
    seed = env.seed("--workers", "1", "--sample-rows", "0")
    status, body = seed.raw("/")
    check((status, body) == (200, b"[]"), "empty table: %s %r" % (status, body))
    cluster = Cluster(["127.0.0.1"], port=env.node.port, protocol_version=4)
    try:
        cql = cluster.connect("seed")
        insert = cql.prepare('INSERT INTO "columnfamily" (key, col) VALUES (?, ?)')
        expected = []
        for i, col in enumerate(JSON_CELLS):
            cql.execute(insert, ("k%d" % i, col))
            expected.append(col)
        for i in range(3):  # nulls: rows without `col`
            cql.execute('INSERT INTO "columnfamily" (key) VALUES (%s)', ("null%d" % i,))
            expected.append(None)

        def check_body(body, want, what):
            cols = json.loads(body)
            check(body == canonical_json(cols), "%s: not canonical JSON: %r" % (what, body[:200]))
            key = lambda v: (v is None, v or "")  # noqa: E731
            check(sorted(cols, key=key) == sorted(want, key=key), "%s: values %r" % (what, cols[:8]))

        status, body = seed.raw("/")
        check(status == 200, "GET / -> %s" % status)
        check_body(body, expected, "escapes and nulls")
        # Plain values only (the writer's unchecked path) beside the escaped ones' page.
        cql.execute('TRUNCATE "columnfamily"')
        plain = ["v%d" % i + "p" * (i % 19) for i in range(40)]
        execute_concurrent_with_args(cql, insert, [("p%d" % i, v) for i, v in enumerate(plain)])
        check_body(seed.raw("/")[1], plain, "plain values")
        # More rows than a page (5000): pages joined, and --max-rows cutting the second page.
        many = ["row %d" % i for i in range(5050)] + ['esc"aped']
        execute_concurrent_with_args(cql, insert, [("m%d" % i, v) for i, v in enumerate(many)],
                                     concurrency=64)
        status, body = seed.raw("/")
        check(status == 200, "GET / of 5,091 rows -> %s" % status)
        check_body(body, plain + many, "two pages")
        seed.stop()
        seed = env.seed("--workers", "1", "--sample-rows", "0", "--max-rows", "5003")
        cols = json.loads(seed.raw("/")[1])
        check(len(cols) == 5003, "max-rows 5003 over two pages: %d" % len(cols))
        check(seed.raw("/")[1] == canonical_json(cols), "max-rows 5003: not canonical")
    finally:
        cluster.shutdown()


TESTS = [test_routes, test_get_all_json_bytes, test_concurrent, test_outage, test_kill_worker_keeps_acknowledged_writes,
         test_warmup_no_system_queries, test_connect_per_request, test_unreachable_at_start]


def main():
    wanted = sys.argv[3:]
    failed = []
    for test in TESTS:
        if wanted and test.__name__ not in wanted:
            continue
        env = Env()
        started = time.time()
        try:
            test(env)
            print("PASS %s (%.1fs)" % (test.__name__, time.time() - started), flush=True)
        except Exception:
            failed.append(test.__name__)
            print("FAIL %s" % test.__name__, flush=True)
            traceback.print_exc()
            for s in env.seeds:
                if hasattr(s, "log"):
                    print("--- seed output:\n" + "\n".join(s.log.lines[-30:]))
        finally:
            env.close()
    if failed:
        print("failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
