"""The postfork Python package against the DataStax driver (Debian's python3-cassandra), in one
run against one postfork-node with the same data:
  1. session ready after fork: postfork from the master's snapshot, postfork cold
     (Cluster.connect), DataStax Cluster.connect(ks); keyspaces of 1 and 1,000 tables
  2. GET / of the seed's original app (bench/seed/original/app.py) on uWSGI, keep-alive, the
     same worker count: SEED_DRIVER=postfork-snapshot against SEED_DRIVER=cassandra, with
     web.py's debug mode on (as the app ships) and off; CPU per request of the workers and node
  3. prepared single-row reads from one Python thread with 100 in flight: ops/s and ops per
     CPU-second of the client process (every thread of it: the drivers' I/O threads too)
Run by bench/python/run.sh (Release node, the package in build/python-venv).
"""
import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))

from nodeproc import Node  # noqa: E402
from servers import AppServer, create_seed_schema, make_keyspace  # noqa: E402

import cassandra.cluster  # noqa: E402
import postfork  # noqa: E402
import postfork.cluster  # noqa: E402


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def in_child(fn):
    """fn() in a forked child; returns what it returned (a tuple of floats)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.write(w, repr(fn()).encode())
        finally:
            os._exit(0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return tuple(float(x) for x in out.decode().strip("()").split(","))


def bench_ready(node, trials):
    print("\n## 1. session ready after fork (ms of wall time, and of the child's CPU time over "
          "all its threads; %d forked children per row)" % trials)
    print("%-48s %9s %9s %9s %9s" % ("driver / keyspace", "p50", "p99", "max", "CPU p50"))
    results = {}
    for ks, tables in (("ready1", 1), ("ready1000", 1000)):
        # The 1,000 tables are created after the 1-table runs: the DataStax driver reads the
        # schema of every keyspace, so they would weigh on its 1-table connect too.
        # In a child: the master that forks the measured children stays free of the DDL's
        # 1,000 requests, as a uWSGI master would be.
        in_child(lambda: make_keyspace(node, ks, tables) or (0.0, 0.0))
        postfork.warm_up(postfork.cluster.Cluster(["127.0.0.1"], port=node.port), keyspace=ks)

        def from_snapshot():
            t, cpu = time.perf_counter(), time.process_time()
            s = postfork.connect_after_fork()
            took = (time.perf_counter() - t, time.process_time() - cpu)
            s.shutdown()
            return took[0] * 1000, took[1] * 1000

        def cold():
            t, cpu = time.perf_counter(), time.process_time()
            c = postfork.cluster.Cluster(["127.0.0.1"], port=node.port)
            s = c.connect(ks)
            took = (time.perf_counter() - t, time.process_time() - cpu)
            c.shutdown()
            return took[0] * 1000, took[1] * 1000

        def datastax():
            t, cpu = time.perf_counter(), time.process_time()
            c = cassandra.cluster.Cluster(["127.0.0.1"], port=node.port, protocol_version=4)
            s = c.connect(ks)
            took = (time.perf_counter() - t, time.process_time() - cpu)
            c.shutdown()
            return took[0] * 1000, took[1] * 1000

        # The package's two variants interleaved, so that the machine's noise hits each alike;
        # the DataStax children after them, not among them: with 1,000 tables each of those
        # burns 0.5-1 s of CPU in itself and the node (the whole schema), and sub-millisecond
        # connects run in that wake measured the wake, in the 1,000-table rows only
        # (bench-python.md).
        postfork_variants = (("postfork, cold Cluster.connect(ks)", cold),
                             ("postfork, from snapshot", from_snapshot))
        variants = postfork_variants + (("DataStax Cluster.connect(ks)", datastax),)
        times = {name: [] for name, _ in variants}
        cpus = {name: [] for name, _ in variants}
        for group in (postfork_variants, variants[2:]):
            for _ in range(trials):
                for name, fn in group:
                    wall, cpu = in_child(fn)
                    times[name].append(wall)
                    cpus[name].append(cpu)
        for name, _ in (variants[1], variants[0], variants[2]):
            t = times[name]
            results[(name, tables)] = t
            label = "%s, %d table%s" % (name, tables, "s" if tables > 1 else "")
            print("%-48s %9.3f %9.3f %9.3f %9.3f" % (label, statistics.median(t), pct(t, 99),
                                                     max(t), statistics.median(cpus[name])))
    for tables in (1, 1000):
        snap = statistics.median(results[("postfork, from snapshot", tables)])
        ds = statistics.median(results[("DataStax Cluster.connect(ks)", tables)])
        print("ratio DataStax / postfork-from-snapshot, p50, %d tables: %.0fx" % (tables, ds / snap))
    return results


def cpu_seconds(pid):
    """User + system CPU time of process `pid` so far (every thread), from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port, seconds, connections):
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency",
                          "--timeout=10s", "http://127.0.0.1:%d/" % port],
                         capture_output=True, text=True, check=True).stdout
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def lat(p):
        m = re.search(r"%s%%\s+([0-9.]+)(us|ms|s)" % p, out)
        return float(m.group(1)) * unit[m.group(2)]

    return {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),
            "p50": lat(50), "p99": lat(99), "out": out}


def bench_http(node, workers, seconds):
    print("\n## 2. GET / of the seed app on uWSGI (--http11-socket, keep-alive), %d workers, "
          "wrk -t2 -c%d -d%ds" % (workers, workers, seconds))
    results = {}
    # web.py as the seed ships it (debug on: its reloader stats the file of every loaded module
    # on every request, more modules for the DataStax driver), then with debug off.
    for debug in ("1", "0"):
        mode = "web.py debug on (default)" if debug == "1" else "web.py debug off"
        for driver in ("postfork-snapshot", "cassandra"):
            env = {} if debug == "1" else {"SEED_WEBPY_DEBUG": "0"}
            server = AppServer("uwsgi", node, driver, workers=workers, env=env)
            try:
                server.wait_for_count(r"session ready in", workers, timeout=120)
                wrk(server.port, 1, workers)  # warm-up
                pids = server.workers_pids()
                before = [cpu_seconds(p) for p in pids], cpu_seconds(node.proc.pid)
                results[(debug, driver)] = r = wrk(server.port, seconds, workers)
                after = [cpu_seconds(p) for p in pids], cpu_seconds(node.proc.pid)
            finally:
                server.stop()
            n = r["rps"] * seconds
            worker_us = (sum(after[0]) - sum(before[0])) / n * 1e6
            node_us = (after[1] - before[1]) / n * 1e6
            errors = re.search(r"Socket errors.*|Non-2xx.*", r["out"])
            print("%-26s %-18s %9.1f req/s  p50 %6.2f ms  p99 %6.2f ms  CPU/req workers %4.0f "
                  "us node %4.0f us  %s" % (mode, driver, r["rps"], r["p50"], r["p99"], worker_us,
                                            node_us, errors.group(0) if errors else "no errors"))
        a, b = results[(debug, "postfork-snapshot")], results[(debug, "cassandra")]
        print("ratio req/s postfork / DataStax, %s: %.2fx; p99 %.2f ms vs %.2f ms"
              % (mode, a["rps"] / b["rps"], a["p99"], b["p99"]))
    return results


def reads(session, prepared, total, window, keys):
    futures = collections.deque()
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(total):
        if len(futures) >= window:
            futures.popleft().result()
        futures.append(session.execute_async(prepared, ("key%d" % (i % keys),)))
    while futures:
        futures.popleft().result()
    return total / (time.perf_counter() - wall), total / (time.process_time() - cpu)


def bench_reads(node, total, window):
    print("\n## 3. prepared single-row reads, one Python thread, %d in flight, %d reads"
          % (window, total))
    query = 'SELECT col FROM seed."columnfamily" WHERE key = ?'
    results = {}
    for name, module in (("postfork", postfork.cluster), ("DataStax", cassandra.cluster)):
        def run():
            c = module.Cluster(["127.0.0.1"], port=node.port)
            s = c.connect("seed")
            p = s.prepare(query)
            reads(s, p, min(2000, total), window, 100)  # warm-up
            ops, per_cpu = reads(s, p, total, window, 100)
            c.shutdown()
            return ops, per_cpu
        # In a child, so that each driver's threads and state start fresh.
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                os.write(w, repr(run()).encode())
            finally:
                os._exit(0)
        os.close(w)
        out = os.read(r, 4096)
        os.close(r)
        os.waitpid(pid, 0)
        ops, per_cpu = eval(out)  # a tuple of two floats written by the child above
        results[name] = (ops, per_cpu)
        print("%-10s %10.0f ops/s  %10.0f ops per CPU-second of the client" % (name, ops, per_cpu))
    a, b = results["postfork"], results["DataStax"]
    print("ratio postfork / DataStax: %.1fx ops/s, %.1fx ops per client CPU-second"
          % (a[0] / b[0], a[1] / b[1]))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--reads", type=int, default=10000)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--only", choices=["ready", "http", "reads"])
    args = ap.parse_args()
    node = Node().start()
    try:
        print("# postfork Python package vs DataStax driver; node %s; %d cores; load %s"
              % (os.path.basename(os.path.dirname(os.path.dirname(os.path.dirname(
                  node.proc.args[0])))), os.cpu_count(), loadavg()))
        create_seed_schema(node)
        if args.only in (None, "ready"):
            bench_ready(node, args.trials)
        if args.only in (None, "http"):
            bench_http(node, args.workers, args.seconds)
        if args.only in (None, "reads"):
            bench_reads(node, args.reads, args.window)
        print("\nload average at the end: %s" % loadavg())
    finally:
        node.stop()


if __name__ == "__main__":
    main()
