"""The seed comparison: one node, the same 100 rows, wrk on loopback with 64 connections, the
same worker count for every stack, GET / (SELECT col FROM columnfamily). The node is the
embedded postfork-node, or with --cassandra one Apache Cassandra 5.0 node (scripts/cassandra.sh,
on --cassandra-address and free ports, stopped afterwards). Stacks:
  1. postfork-seed            (a session per worker, from the master's warm-up snapshot)
  2. postfork-seed --connect-per-request
  3. uWSGI + web.py + python3-cassandra, session opened in a uwsgidecorators.postfork hook
  4. the same, connecting per request
Prints req/s, p50/p99, the CPU the node and the workers spent per request (from /proc, user and
system apart), ratios 1/3, 3/4 and 1/4, the worker session-ready times of 1 (from the
snapshot) and 3 from the workers' own log lines, 1's worker start (fork to accepting) from the
master's log, postfork-seed's worker session-ready time without a snapshot (a cold connect plus
preparing its four statements), and python3-cassandra's Cluster().connect(keyspace) time against
the same node.
With --hello (a postfork-hello binary) and --nginx, the same wrk load also runs against
postfork-hello (2 workers; its 14-byte body, and again a body the size of the seed's JSON array)
and Debian's nginx `return 200` (bench/server/nginx-hello.conf): their workers' CPU per request
is the HTTP exchange alone (one read, one write on loopback), the floor under the seed's worker
figure. --only-postfork skips
stacks 2-4 (for A B A B runs of the worker figure).
Run with Debian's python3 (bench/seed/compare.sh does).
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tests", "lib"))
from loopback import free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def wait_http(port, path="/", timeout=60):
    """Waits for a 200 on `path`; returns the size of its body."""
    import http.client
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status == 200:
                return len(body)
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered 200 on port {port} in {timeout}s")


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port, seconds, connections, timeout_s):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          f"--timeout={timeout_s}s", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([0-9.]+)(us|ms|s)\b", out)
        lat[pct] = to_ms(m.group(1), m.group(2)) if m else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"], "requests": requests,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sock.group(1).strip() if sock else ""}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """(user, system) CPU seconds of process `pid` (all its threads), zeros if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return (0.0, 0.0)
    return (int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS)  # utime, stime


def children(pid):
    """The pids whose parent is `pid` (a master's workers)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def measured_wrk(port, seconds, connections, timeout_s, node_pid, master_pid):
    """wrk's figures plus the CPU the node and the server's workers spent per request during
    the run, from /proc (clock ticks: ~1% at these request counts); the workers' user and
    system time also apart."""
    workers = children(master_pid)
    node0, workers0 = cpu_seconds(node_pid) if node_pid else (0.0, 0.0), [cpu_seconds(w) for w in workers]
    r = wrk(port, seconds, connections, timeout_s)
    node1, workers1 = cpu_seconds(node_pid) if node_pid else (0.0, 0.0), [cpu_seconds(w) for w in workers]
    n = max(r["requests"], 1)
    r["node_us"] = (sum(node1) - sum(node0)) / n * 1e6 if node_pid else float("nan")
    r["workers_user_us"] = sum(b[0] - a[0] for a, b in zip(workers0, workers1)) / n * 1e6
    r["workers_sys_us"] = sum(b[1] - a[1] for a, b in zip(workers0, workers1)) / n * 1e6
    r["workers_us"] = r["workers_user_us"] + r["workers_sys_us"]
    return r


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


CASSANDRA_SH = os.path.join(ROOT, "scripts", "cassandra.sh")


def start_cassandra(address, directory):
    """One Cassandra node on `address` with free ports; returns (cql_port, directory)."""
    native, storage = free_port(), free_port()
    t0 = time.time()
    subprocess.run([CASSANDRA_SH, "start", "--fresh", "--dir", directory, "--nodes", "1",
                    "--address-base", address, "--native-port", str(native),
                    "--storage-port", str(storage), "--jit", "full", "--heap", "1G"],
                   check=True)
    print(f"cassandra node up in {time.time() - t0:.1f} s", file=sys.stderr)
    return native, directory


def python_connect(contact, port, keyspace, iterations):
    """python3-cassandra's Cluster().connect(keyspace), ms per iteration."""
    from cassandra.cluster import Cluster
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        cluster = Cluster([contact], port=port)
        cluster.connect(keyspace)
        times.append((time.perf_counter() - t0) * 1000.0)
        cluster.shutdown()
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", default=os.path.join(ROOT, "build/seed-rel/apps/seed/postfork-seed"))
    ap.add_argument("--node", default=os.path.join(ROOT, "build/seed-rel/apps/node/postfork-node"))
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--per-request-seconds", type=int, default=10)
    ap.add_argument("--cassandra", action="store_true",
                    help="run against one Apache Cassandra node instead of postfork-node")
    ap.add_argument("--cassandra-address", default="127.0.13.1")
    ap.add_argument("--connect-iterations", type=int, default=10)
    ap.add_argument("--hello", help="a postfork-hello binary: its workers' CPU per request under "
                                    "the same load (the HTTP exchange alone)")
    ap.add_argument("--nginx", action="store_true",
                    help="nginx `return 200` under the same load, for the same figure")
    ap.add_argument("--only-postfork", action="store_true",
                    help="run stack 1 (and --hello, --nginx) only")
    ap.add_argument("--warmup-seconds", type=int, default=None,
                    help="wrk warm-up before each measured run (default 1; 10 with --cassandra, "
                         "for the JVM's JIT)")
    args = ap.parse_args()
    if args.warmup_seconds is None:
        args.warmup_seconds = 10 if args.cassandra else 1

    tmp = tempfile.mkdtemp(prefix="postfork-seed-bench-")
    cassandra_dir = None
    procs = []
    node_pid = None
    results, ready, starts, body_sizes = {}, {}, {}, {}
    try:
        if args.cassandra:
            contact = args.cassandra_address
            cql_port, cassandra_dir = start_cassandra(contact, os.path.join(tmp, "cassandra"))
        else:
            contact = "127.0.0.1"
            node = subprocess.Popen([args.node, "--port", "0", "--data-dir",
                                     os.path.join(tmp, "node")],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            procs.append(node)
            node_pid = node.pid
            line = node.stdout.readline()
            m = re.search(r"on [^ ]+:(\d+)", line)
            if not m:
                raise RuntimeError("node did not start: " + line)
            cql_port = int(m.group(1))
            # The node's output is not read any further: keep its pipe from filling.
            subprocess.Popen(["cat"], stdin=node.stdout, stdout=subprocess.DEVNULL)

        def run_seed(name, extra, seconds):
            port = free_port()
            log_path = os.path.join(tmp, name + ".log")
            with open(log_path, "w") as log:
                p = subprocess.Popen([args.seed, "--bind", f"127.0.0.1:{port}", "--workers",
                                      str(args.workers), "--contact-points", contact,
                                      "--cql-port", str(cql_port), "--sample-rows", "100"] + extra,
                                     stdout=log, stderr=subprocess.STDOUT)
            procs.append(p)
            body_sizes[name] = wait_http(port)
            if seconds > 0:
                wrk(port, args.warmup_seconds, args.connections, 10)  # warm-up
                results[name] = measured_wrk(port, seconds, args.connections, 30, node_pid, p.pid)
            stop(p)
            with open(log_path) as f:
                text = f.read()
            starts[name] = [float(x) for x in
                            re.findall(r"worker \d+ \(pid \d+\) ready in ([0-9.]+) ms", text)]
            return [float(x) for x in re.findall(r"CQL session ready in ([0-9.]+) ms", text)]

        def run_uwsgi(name, per_request, seconds):
            port = free_port()
            log_path = os.path.join(tmp, name + ".log")
            env = dict(os.environ, SEED_CQL_PORT=str(cql_port), SEED_CONTACT_POINTS=contact,
                       SEED_KEYSPACE="seed", SEED_CONNECT_PER_REQUEST="1" if per_request else "0")
            with open(log_path, "w") as log:
                p = subprocess.Popen(["uwsgi", "--plugin", "python3", "--http-socket",
                                      f"127.0.0.1:{port}", "--processes", str(args.workers),
                                      "--master", "--disable-logging", "--die-on-term",
                                      "--wsgi-file", os.path.join(HERE, "original", "app.py")],
                                     stdout=log, stderr=subprocess.STDOUT, env=env)
            procs.append(p)
            wait_http(port)
            wrk(port, args.warmup_seconds, args.connections, 10)
            results[name] = measured_wrk(port, seconds, args.connections, 30, node_pid, p.pid)
            stop(p, signal.SIGINT)
            with open(log_path) as f:
                return [float(x) for x in re.findall(r"session ready in ([0-9.]+) ms", f.read())]

        def run_floor(name, argv, seconds, port, cleanup=None):
            log_path = os.path.join(tmp, name + ".log")
            with open(log_path, "w") as log:
                p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
            procs.append(p)
            wait_http(port)
            wrk(port, args.warmup_seconds, args.connections, 10)
            results[name] = measured_wrk(port, seconds, args.connections, 30, None, p.pid)
            stop(p)

        def run_hello(name, seconds, extra):
            port = free_port()
            run_floor(name, [args.hello, "--bind", f"127.0.0.1:{port}", "--workers",
                             str(args.workers)] + extra, seconds, port)

        def run_nginx(seconds):
            port = free_port()
            directory = os.path.join(tmp, "nginx")
            os.makedirs(directory)
            with open(os.path.join(ROOT, "bench", "server", "nginx-hello.conf")) as f:
                text = f.read()
            conf = os.path.join(directory, "nginx.conf")
            with open(conf, "w") as f:
                f.write(text.replace("@WORKERS@", str(args.workers)).replace("@DIR@", directory)
                        .replace("@PORT@", str(port)))
            run_floor("N nginx return 200", ["nginx", "-c", conf, "-p", directory], seconds, port)

        if not args.only_postfork:
            # Workers without a snapshot: each connects cold (and prepares); no load is measured.
            ready["postfork, cold connect"] = run_seed("0 cold", [], 0)
            ready["python3-cassandra connect(ks)"] = python_connect(contact, cql_port, "seed",
                                                                    args.connect_iterations)
        ready["postfork"] = run_seed("1 postfork-seed", ["--preload"], args.seconds)
        if args.hello:
            run_hello("H postfork-hello", args.seconds, [])
            size = body_sizes["1 postfork-seed"]
            run_hello(f"H postfork-hello {size} B", args.seconds, ["--body-bytes", str(size)])
        if args.nginx:
            run_nginx(args.seconds)
        if not args.only_postfork:
            run_seed("2 postfork-seed --connect-per-request", ["--connect-per-request"],
                     args.per_request_seconds)
            ready["uwsgi"] = run_uwsgi("3 uWSGI postfork hook", False, args.seconds)
            run_uwsgi("4 uWSGI per request", True, args.per_request_seconds)
    finally:
        for p in reversed(procs):
            stop(p)
        if args.cassandra and cassandra_dir:
            subprocess.run([CASSANDRA_SH, "stop", "--dir", cassandra_dir], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)

    backend = "Apache Cassandra 5.0 (1 node)" if args.cassandra else "postfork-node"
    print(f"GET / (SELECT col FROM columnfamily, 100 rows) on {backend}; "
          f"wrk -t2 -c{args.connections}; {args.workers} workers each; "
          f"{os.cpu_count()} cores shared by wrk, node and server")
    print(f"{'stack':40} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9} {'errors':>7}")
    for name, r in results.items():
        errors = r["non2xx"] + (1 if r["socket_errors"] else 0)
        print(f"{name:40} {r['rps']:10.1f} {r['p50']:9.2f} {r['p99']:9.2f} {r['requests']:9d} "
              f"{r['non2xx']:7d}{'  socket errors: ' + r['socket_errors'] if r['socket_errors'] else ''}")
    print("CPU per request during the measured run (/proc; workers: user + system = total):")
    for name, r in results.items():
        if r["requests"]:
            node = f"node {r['node_us']:7.1f} us, " if node_pid and name[0].isdigit() else ""
            print(f"  {name:38} {node}workers {r['workers_user_us']:5.1f} + "
                  f"{r['workers_sys_us']:5.1f} = {r['workers_us']:5.1f} us")
    seed = results["1 postfork-seed"]
    for name in results:
        if name[0] in "HN":
            floor = results[name]["workers_us"]
            print(f"the HTTP exchange alone ({name[2:]}) costs {floor:.1f} us of the seed "
                  f"worker's {seed['workers_us']:.1f} us; the rest {seed['workers_us'] - floor:.1f} us")

    def ratio(a, b):
        return f"{a['rps'] / b['rps']:.1f}x" if b["rps"] > 0 else "n/a (no request completed)"

    if not args.only_postfork:
        r1, r2, r3, r4 = (results[n] for n in results if n[0] in "1234")
        print(f"ratio 1/3 req/s: {ratio(r1, r3)} (target >= 20x); "
              f"p99 {r1['p99']:.2f} ms vs {r3['p99']:.2f} ms")
        print(f"ratio 3/4 req/s: {ratio(r3, r4)}")
        print(f"ratio 1/4 req/s: {ratio(r1, r4)} (target >= 100x)")
        print(f"ratio 1/2 req/s: {ratio(r1, r2)}")
        print("uWSGI's --http-socket closes every connection after its response: wrk counts those "
              "as read errors, not failed requests.")
    for name, times in ready.items():
        if times:
            print(f"session ready per worker, {name}: median {statistics.median(times):.3f} ms, "
                  f"max {max(times):.3f} ms ({len(times)} workers)")
        else:
            print(f"session ready per worker, {name}: not logged")
    first = starts.get("1 postfork-seed")
    if first:
        print(f"worker start (fork -> accepting, master log), postfork: median "
              f"{statistics.median(first):.3f} ms, max {max(first):.3f} ms ({len(first)} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
