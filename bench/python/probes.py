"""Steady per-operation figures of the package for callgrind and perf, which repeat on a noisy
machine where wall-clock times do not. Starts its own node (Release, as bench.py), seeds the
seed's table (100 rows) and runs one probe:

  faults [--trials N] [--tables N]
                        forked children open their session with connect_after_fork() from the
                        master's warm-up: minor page faults, wall and CPU time of the call;
                        --tables: also in a keyspace of N tables (as bench.py's ready1000),
                        rounds alternating with the 1-table keyspace in the same master
  execute [--count N] [--prepared]
                        this process runs SELECT col FROM "columnfamily" (100 rows) N times
                        after a warm-up, between two lines on stdout ("probe: start", "probe:
                        end"); run it under `valgrind --tool=callgrind` twice (N and 0) and
                        subtract, or attach `perf stat -p` between the lines

  app [--count N] [--profile] [--drivers postfork,cassandra] [--debug on,off]
                        the seed's original app (bench/seed/original/app.py) in this process,
                        its WSGI callable called N times for GET / as uWSGI would, without uWSGI:
                        CPU per request with SEED_DRIVER=postfork and =cassandra, web.py's debug
                        mode on and off (each in a child of its own); --profile prints the
                        functions that take the request's time (cProfile, the package's debug-off
                        run and the DataStax one)

  build/python-venv/bin/python bench/python/probes.py faults
  valgrind --tool=callgrind build/python-venv/bin/python bench/python/probes.py execute --count 500
"""
import argparse
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python", "tests"))

from nodeproc import Node  # noqa: E402
from servers import create_seed_schema, make_keyspace  # noqa: E402

import postfork  # noqa: E402
import postfork.cluster  # noqa: E402

QUERY = 'SELECT col FROM "columnfamily"'


def one_child_session():
    """(minor faults, wall ms, CPU ms) of connect_after_fork() in a forked child."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        wall, cpu = time.perf_counter(), time.process_time()
        postfork.connect_after_fork()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        os.write(w, ("%d %f %f" % (after - before, wall * 1000, cpu * 1000)).encode())
        os._exit(0)
    os.close(w)
    out = os.read(r, 200)
    os.close(r)
    os.waitpid(pid, 0)
    return [float(x) for x in out.split()]


def faults(node, trials, tables):
    """With `tables`, rounds of 10 children alternate between the seed keyspace (1 table) and
    one of `tables` tables, each after a warm-up on it, in the same master against the same
    node: what the table count alone costs."""
    keyspaces = ["seed"]
    if tables:
        keyspaces.append("ready%d" % tables)
        make_keyspace(node, keyspaces[1], tables)
    results = {ks: [] for ks in keyspaces}
    for start in range(0, trials, 10):
        for ks in keyspaces:
            postfork.warm_up(postfork.cluster.Cluster(["127.0.0.1"], port=node.port), keyspace=ks)
            results[ks] += [one_child_session() for _ in range(min(10, trials - start))]
    for ks in keyspaces:
        for i, name in enumerate(("minor faults", "wall ms", "CPU ms")):
            values = [x[i] for x in results[ks]]
            print("connect_after_fork %-10s %-13s p50 %8.3f  min %8.3f"
                  % (ks, name, statistics.median(values), min(values)))


def cpu_seconds(pid):
    """User + system CPU time of process `pid` so far (every thread), from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def execute(node, count, prepared):
    c = postfork.cluster.Cluster(["127.0.0.1"], port=node.port)
    s = c.connect("seed")
    query = s.prepare(QUERY) if prepared else QUERY
    for _ in range(200):
        list(s.execute(query))
    print("probe: start", flush=True)
    node_cpu, cpu = cpu_seconds(node.proc.pid), time.process_time()
    for _ in range(count):
        list(s.execute(query))
    cpu, node_cpu = time.process_time() - cpu, cpu_seconds(node.proc.pid) - node_cpu
    print("probe: end", flush=True)
    if count:
        print("execute %s: client %.1f us CPU per request, node %.1f us"
              % ("prepared" if prepared else "query string", cpu / count * 1e6,
                 node_cpu / count * 1e6))
    c.shutdown()


def app_child(node, driver, debug, count, profile):
    """In a forked child: imports the app with SEED_DRIVER=driver and calls its WSGI callable."""
    os.environ.update(SEED_DRIVER=driver, SEED_CQL_PORT=str(node.port))
    if debug:
        os.environ.pop("SEED_WEBPY_DEBUG", None)
    else:
        os.environ["SEED_WEBPY_DEBUG"] = "0"
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "seed", "original"))
    import io
    import app  # noqa: F401  (opens the session: the postfork hook runs at import outside uWSGI)

    def environ():
        return {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME":
                "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST":
                "127.0.0.1", "SCRIPT_NAME": "", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme":
                "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
                "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
                "wsgi.run_once": False, "SERVER_SOFTWARE": "uWSGI"}

    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    for _ in range(300):
        app.application(environ(), start_response)
    prof = None
    if profile:
        import cProfile
        prof = cProfile.Profile(time.process_time)  # CPU, not the wait for the node
        prof.enable()
    cpu = time.process_time()
    for _ in range(count):
        app.application(environ(), start_response)
    cpu = time.process_time() - cpu
    if prof is not None:
        import pstats
        prof.disable()
        print("\n### cProfile, %s, web.py debug %s" % (driver, "on" if debug else "off"))
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(18)
    return cpu / count * 1e6


def app(node, count, profile, drivers, modes):
    results = {}
    for debug in [m == "on" for m in modes]:
        for driver in drivers:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    us = app_child(node, driver, debug, count, profile and not debug)
                    sys.stdout.flush()
                    os.write(w, b"%f" % us)
                finally:
                    os._exit(0)
            os.close(w)
            us = float(os.read(r, 100))
            os.close(r)
            os.waitpid(pid, 0)
            results[(debug, driver)] = us
            print("app GET /, web.py debug %-3s %-10s %8.1f us CPU per request"
                  % ("on" if debug else "off", driver, us), flush=True)
        if len(drivers) == 2:
            print("ratio DataStax / postfork, web.py debug %s: %.2fx"
                  % ("on" if debug else "off", results[(debug, "cassandra")] /
                     results[(debug, "postfork")]), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("probe", choices=["faults", "execute", "app"])
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--prepared", action="store_true")
    ap.add_argument("--drivers", default="postfork,cassandra")
    ap.add_argument("--debug", default="on,off", help="web.py debug modes: on,off")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--tables", type=int, default=0)
    ap.add_argument("--count", type=int, default=500)
    args = ap.parse_args()
    node = Node().start()
    try:
        create_seed_schema(node)
        if args.probe == "faults":
            faults(node, args.trials, args.tables)
        elif args.probe == "app":
            app(node, args.count, args.profile, args.drivers.split(","), args.debug.split(","))
        else:
            execute(node, args.count, args.prepared)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
