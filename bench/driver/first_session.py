"""The first CQL session as a new user sees it, side by side on one postfork-node in one run:

  postfork, forked worker   a worker forked from a master that took a warm-up snapshot:
                            from the worker's first instruction after fork to a session that
                            can execute (driver_bench fork), beside the loopback floor: forked
                            workers that only connect a raw socket and exchange STARTUP/READY
  postfork, fresh process   the first session of a fresh process: postfork-cql --timing, which
                            times everything the driver does before it can execute (and
                            driver_bench first: the same connect's CPU time and page faults)
  python3-cassandra         Cluster().connect(ks) in a fresh process (import not counted),
                            with 1 table and with 1,000 tables in the cluster
  npm cassandra-driver      new Client(...).connect() in a fresh process (require not counted)
  gocql                     CreateSession() in a fresh process
  postfork, warm loop       the old in-process figure: the Nth connect inside one warm process
                            (driver_bench ready); not what a worker or a fresh process sees
  postfork-seed             worker start from fork to accepting, and the session-ready times
                            the workers log themselves (--workers 2 --preload, SIGHUP reloads)

Run with Debian's python3 through bench/driver/first_session.sh (builds the Release binaries).
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def keyed(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def run(cmd, env=None, timeout=600):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return p


def repeat(n, fn):
    return [fn() for _ in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build/rel"))
    ap.add_argument("--workers", type=int, default=50, help="forked workers (postfork)")
    ap.add_argument("--starts", type=int, default=21, help="fresh processes per client")
    ap.add_argument("--python-starts-1000", type=int, default=7,
                    help="fresh python processes with 1,000 tables (each takes seconds)")
    ap.add_argument("--seed-reloads", type=int, default=5, help="SIGHUP reloads of postfork-seed")
    ap.add_argument("--skip", default="", help="comma-separated: python,node,gocql,seed")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    node_bin = os.path.join(args.build, "apps/node/postfork-node")
    cql = os.path.join(args.build, "tools/postfork-cql")
    bench = os.path.join(args.build, "bench/driver/driver_bench")
    seed = os.path.join(args.build, "apps/seed/postfork-seed")

    tmp = tempfile.mkdtemp(prefix="postfork-first-session-")
    procs = []
    rows = []  # (label, values in ms)
    notes = []
    try:
        node = subprocess.Popen([node_bin, "--listen", "127.0.0.1", "--port", "0", "--data-dir",
                                 os.path.join(tmp, "node")], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        procs.append(node)
        port = None
        for line in node.stdout:
            m = re.search(r"listening for CQL clients on [^ ]+:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if not port:
            raise RuntimeError("postfork-node did not start")
        subprocess.Popen(["cat"], stdin=node.stdout, stdout=subprocess.DEVNULL)

        def create(name, statements):
            path = os.path.join(tmp, name + ".cql")
            with open(path, "w") as f:
                f.write("".join(s + ";\n" for s in statements))
            run([cql, "--port", str(port), "-f", path])

        def client(cmd, env=None):
            return keyed(run(cmd, env=env).stdout)

        # postfork, fresh process: what postfork-cql --timing prints, and the whole process.
        def fresh(ks):
            t0 = time.perf_counter()
            p = run([cql, "--port", str(port), "-k", ks, "--timing", "-e",
                     "SELECT k FROM t0 LIMIT 1;"])
            wall = (time.perf_counter() - t0) * 1000.0
            m = re.search(r"session ready in ([0-9.]+) ms", p.stderr)
            return float(m.group(1)), wall

        modules = os.path.join(ROOT, "tests/node/nodejs/node_modules")
        gobin = None
        if "gocql" not in skip:
            gowork = os.path.join(tmp, "go")
            os.makedirs(os.path.join(gowork, "gopath"))
            env = dict(os.environ, GO111MODULE="off", GOFLAGS="",
                       GOPATH=f"{gowork}/gopath:/usr/share/gocode",
                       GOCACHE=os.environ.get("GOCACHE", os.path.join(tmp, "gocache")))
            gobin = os.path.join(gowork, "gocql_first_session")
            run(["go", "build", "-o", gobin, os.path.join(HERE, "gocql_first_session/main.go")],
                env=env)
        if "node" not in skip and not os.path.isdir(os.path.join(modules, "cassandra-driver")):
            notes.append("npm cassandra-driver missing (run scripts/install-deps.sh)")
            skip.add("node")

        fork, fresh_runs, py, nodejs, go = {}, {}, {}, {}, {}

        def measure(ks, python_starts):
            """Every client's first session into `ks`; the clients run before driver_bench fork
            adds its table, so the cluster holds exactly the tables named."""
            fresh_runs[ks] = repeat(args.starts, lambda: fresh(ks))
            if "python" not in skip:
                py[ks] = repeat(python_starts, lambda: client(
                    ["/usr/bin/python3", os.path.join(HERE, "python_first_session.py"), "--port",
                     str(port), "--keyspace", ks])["python_first_session_ms"])
            if "node" not in skip:
                env = dict(os.environ, NODE_PATH=modules)
                nodejs[ks] = repeat(args.starts, lambda: client(
                    ["node", os.path.join(HERE, "node_first_session.js"), str(port), ks],
                    env)["node_first_session_ms"])
            if gobin:
                go[ks] = repeat(args.starts, lambda: client([gobin, str(port), ks])[
                    "gocql_first_session_ms"])
            fork[ks] = keyed(run([bench, "fork", "--port", str(port), "--keyspace", ks,
                                  "--workers", str(args.workers), "--floor"]).stdout)

        # The python driver reads the schema of the whole cluster: the 1-table figures are taken
        # before the 1,000-table keyspace exists.
        create("ks1", ["CREATE KEYSPACE ks1 WITH replication = "
                       "{'class': 'SimpleStrategy', 'replication_factor': 1}",
                       "CREATE TABLE ks1.t0 (k int PRIMARY KEY, v text)"])
        measure("ks1", args.starts)
        # The same first connect with its CPU time and page faults (steadier on a busy machine).
        first = repeat(args.starts, lambda: keyed(run(
            [bench, "first", "--port", str(port), "--keyspace", "ks1"]).stdout))
        create("ks1000", ["CREATE KEYSPACE ks1000 WITH replication = "
                          "{'class': 'SimpleStrategy', 'replication_factor': 1}"] +
               [f"CREATE TABLE ks1000.t{i} (k int PRIMARY KEY, a int, b text, c bigint)"
                for i in range(1000)])
        measure("ks1000", args.python_starts_1000)
        out, out1000 = fork["ks1"], fork["ks1000"]
        fresh1, fresh1000 = fresh_runs["ks1"], fresh_runs["ks1000"]

        warm = keyed(run([bench, "ready", "--port", str(port), "--keyspace", "ks1",
                          "--iterations", "100"]).stdout)

        seed_ready, seed_session = [], []
        if "seed" not in skip:
            log_path = os.path.join(tmp, "seed.log")
            with open(log_path, "w") as log:
                p = subprocess.Popen([seed, "--bind", "127.0.0.1:0", "--workers", "2",
                                      "--preload", "--cql-port", str(port), "--sample-rows", "10"],
                                     stdout=log, stderr=subprocess.STDOUT)
            procs.append(p)

            def ready_count():
                with open(log_path) as f:
                    return len(re.findall(r"worker \d+ \(pid \d+\) ready in", f.read()))
            deadline = time.time() + 60
            while ready_count() < 2 and time.time() < deadline:
                time.sleep(0.05)
            for r in range(args.seed_reloads):
                p.send_signal(signal.SIGHUP)
                want = 2 * (r + 2)
                deadline = time.time() + 60
                while ready_count() < want and time.time() < deadline:
                    time.sleep(0.05)
            p.send_signal(signal.SIGTERM)
            p.wait(30)
            with open(log_path) as f:
                text = f.read()
            seed_ready = [float(x) for x in re.findall(r"worker \d+ \(pid \d+\) ready in ([0-9.]+) ms",
                                                       text)]
            seed_session = [float(x) for x in re.findall(r"CQL session ready in ([0-9.]+) ms", text)]
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    load = os.getloadavg()
    print(f"First CQL session, one postfork-node on loopback, one run; {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    print(f"{'what':58} {'n':>4} {'p50 ms':>9} {'p99 ms':>9}")

    def line(label, values):
        if values:
            print(f"{label:58} {len(values):4d} {pct(values, 0.5):9.3f} {pct(values, 0.99):9.3f}")
        else:
            print(f"{label:58} {'-':>4} {'skipped':>9}")

    print(f"{'postfork forked worker, fork -> session ready (ks1)':58} {int(out['workers']):4d} "
          f"{out['worker_ready_p50_ms']:9.3f} {out['worker_ready_p99_ms']:9.3f}"
          f"   (max {out['worker_ready_max_ms']:.3f}; CPU p50 "
          f"{out['worker_ready_cpu_p50_ms']:.3f}; {out['worker_ready_faults_p50']:.0f} page "
          f"faults; fork() itself {out['fork_p50_ms']:.3f}; first query then "
          f"{out['worker_first_query_p50_ms']:.3f})")
    print(f"{'  (loopback floor: raw socket, STARTUP, READY, forked)':58} {int(out['workers']):4d} "
          f"{out['floor_ready_p50_ms']:9.3f} {out['floor_ready_p99_ms']:9.3f}   (CPU p50 "
          f"{out['floor_ready_cpu_p50_ms']:.3f}; {out['floor_ready_faults_p50']:.0f} page faults)")
    print(f"{'postfork forked worker, fork -> session ready (ks1000)':58} "
          f"{int(out1000['workers']):4d} {out1000['worker_ready_p50_ms']:9.3f} "
          f"{out1000['worker_ready_p99_ms']:9.3f}")
    line("postfork fresh process, postfork-cql --timing (ks1)", [a for a, _ in fresh1])
    line("postfork fresh process, postfork-cql --timing (ks1000)", [a for a, _ in fresh1000])
    line("  (whole postfork-cql process: exec, connect, query, exit)", [b for _, b in fresh1])
    line("  (driver_bench first: wall of the first connect)", [f["first_wall_ms"] for f in first])
    line("  (driver_bench first: CPU of the first connect)", [f["first_cpu_ms"] for f in first])
    print(f"{'  (driver_bench first: page faults of the first connect)':58} {len(first):4d} "
          f"{pct([f['first_faults'] for f in first], 0.5):9.0f}")
    line("python3-cassandra Cluster().connect(ks), 1 table", py.get("ks1"))
    line("python3-cassandra Cluster().connect(ks), 1,000 tables", py.get("ks1000"))
    line("npm cassandra-driver connect(), 1 table", nodejs.get("ks1"))
    line("npm cassandra-driver connect(), 1,000 tables", nodejs.get("ks1000"))
    line("gocql CreateSession(), 1 table", go.get("ks1"))
    line("gocql CreateSession(), 1,000 tables", go.get("ks1000"))
    print(f"{'postfork warm loop (in-process, Nth connect), cold':58} {100:4d} "
          f"{warm['cold_p50_ms']:9.3f} {warm['cold_p99_ms']:9.3f}")
    print(f"{'postfork warm loop (in-process, Nth connect), snapshot':58} {100:4d} "
          f"{warm['snapshot_p50_ms']:9.3f} {warm['snapshot_p99_ms']:9.3f}")
    line("postfork-seed worker start, fork -> accepting (master log)", seed_ready)
    line("postfork-seed worker session ready (workers' own log lines)", seed_session)

    forked = out["worker_ready_p50_ms"]
    fresh_p50 = pct([a for a, _ in fresh1], 0.5)
    # Each ratio against postfork on the same schema (1 table or 1,000).
    postfork = {"ks1": (forked, fresh_p50),
                "ks1000": (out1000["worker_ready_p50_ms"], pct([a for a, _ in fresh1000], 0.5))}
    print("ratios of p50s (same node, same run, same schema):")

    def ratio(label, values, schema, target):
        if not values:
            return
        other = pct(values, 0.5)
        worker, fresh = postfork[schema]
        print(f"  {label:44} forked worker {other / worker:7.1f}x, fresh process "
              f"{other / fresh:6.1f}x   (target >= {target}x, forked worker)")
    ratio("python3-cassandra, 1 table", py.get("ks1"), "ks1", 30)
    ratio("python3-cassandra, 1,000 tables", py.get("ks1000"), "ks1000", 300)
    ratio("gocql, 1 table", go.get("ks1"), "ks1", 10)
    ratio("npm cassandra-driver, 1 table", nodejs.get("ks1"), "ks1", "-")
    print(f"targets: forked worker p50 <= 0.3 ms ({forked:.3f}), p99 <= 1 ms "
          f"({out['worker_ready_p99_ms']:.3f}); fresh process p50 <= 1 ms ({fresh_p50:.3f}); "
          f"seed worker start <= 2 ms ({pct(seed_ready, 0.5) if seed_ready else float('nan'):.3f})")
    for n in notes:
        print("note:", n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
