"""Steady per-operation figures of the package for callgrind and perf, which repeat on a noisy
machine where wall-clock times do not. Starts its own node (Release, as bench.py), seeds the
seed's table (100 rows) and runs one probe:

  faults [--trials N]   forked children open their session with connect_after_fork() from the
                        master's warm-up: minor page faults, wall and CPU time of the call
  execute [--count N]   this process runs SELECT col FROM "columnfamily" (100 rows) N times
                        after a warm-up, between two lines on stdout ("probe: start", "probe:
                        end"); run it under `valgrind --tool=callgrind` twice (N and 0) and
                        subtract, or attach `perf stat -p` between the lines

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
from servers import create_seed_schema  # noqa: E402

import postfork  # noqa: E402
import postfork.cluster  # noqa: E402

QUERY = 'SELECT col FROM "columnfamily"'


def faults(node, trials):
    postfork.warm_up(postfork.cluster.Cluster(["127.0.0.1"], port=node.port), keyspace="seed")
    results = []
    for _ in range(trials):
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
        results.append([float(x) for x in out.split()])
    for i, name in enumerate(("minor faults", "wall ms", "CPU ms")):
        values = [x[i] for x in results]
        print("connect_after_fork %-13s p50 %8.3f  min %8.3f" % (name, statistics.median(values),
                                                                 min(values)))


def execute(node, count):
    c = postfork.cluster.Cluster(["127.0.0.1"], port=node.port)
    s = c.connect("seed")
    for _ in range(200):
        list(s.execute(QUERY))
    print("probe: start", flush=True)
    for _ in range(count):
        list(s.execute(QUERY))
    print("probe: end", flush=True)
    c.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("probe", choices=["faults", "execute"])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--count", type=int, default=500)
    args = ap.parse_args()
    node = Node().start()
    try:
        create_seed_schema(node)
        if args.probe == "faults":
            faults(node, args.trials)
        else:
            execute(node, args.count)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
