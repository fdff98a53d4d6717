"""Instructions per `GET /` of one uWSGI worker running the seed's original app
(bench/seed/original/app.py), under callgrind: the same uWSGI options as bench.py's (AppServer:
--http11-socket, --master, the app loaded in the master), one worker, requests sent one after
the other on one keep-alive connection. Two runs per stack, of WARMUP and of WARMUP + REQUESTS
requests, each stopped with SIGINT; the worker's instructions at exit (every thread of it: the
DataStax driver's I/O thread too; user space only, not the kernel's socket work) differ by
REQUESTS requests' worth. Counts repeat from run to run on a loaded machine; times under
valgrind mean nothing.

  bench/python/worker_callgrind.py [--drivers postfork-snapshot,cassandra] [--debug off,on]
                                   [--requests 1000] [--warmup 300] [--keep]
                                   [--uwsgi-args "--enable-threads ..."]
Run with build/python-venv/bin/python (the package installed by scripts/build-python.sh);
POSTFORK_NODE names the node binary (else the repository's build trees).
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python", "tests"))

from nodeproc import Node  # noqa: E402
from servers import AppServer, create_seed_schema  # noqa: E402


def get_root(conn, n):
    for _ in range(n):
        conn.request("GET", "/")
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise AssertionError("GET / answered %d: %r" % (r.status, body[:200]))


def worker_instructions(node, driver, debug, requests, keep, uwsgi_args):
    """The uWSGI worker's instructions from start to exit, `requests` GET / served."""
    out = tempfile.mkdtemp(prefix="postfork-py-callgrind-")
    env = {} if debug else {"SEED_WEBPY_DEBUG": "0"}
    prefix = ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s/callgrind.%%p" % out]
    # uWSGI kills a worker that takes over 60 s to exit, before valgrind has written its counts
    # (the DataStax driver's shutdown under valgrind on a loaded machine).
    mercy = ["--worker-reload-mercy", "600", "--reload-mercy", "600"]
    server = AppServer("uwsgi", node, driver, workers=1, env=env, prefix=prefix,
                       uwsgi_args=mercy + list(uwsgi_args))
    try:
        server.wait_for_count(r"session ready in", 1, timeout=600)
        worker = server.workers_pids()[0]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        get_root(conn, requests)
        conn.close()
        server.proc.send_signal(signal.SIGINT)
        server.proc.wait(600)  # valgrind writes each process's counts as it exits
    finally:
        server.stop()
    with open("%s/callgrind.%d" % (out, worker)) as f:
        total = int(re.search(r"^summary: *(\d+)", f.read(), re.M).group(1))
    if keep:
        print("callgrind output of the worker: %s/callgrind.%d" % (out, worker), flush=True)
    else:
        shutil.rmtree(out)
    return total


def measure(node, driver, debug, requests, warmup, keep, uwsgi_args):
    return (worker_instructions(node, driver, debug, warmup + requests, keep, uwsgi_args) -
            worker_instructions(node, driver, debug, warmup, keep, uwsgi_args)) / requests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--drivers", default="postfork-snapshot,cassandra")
    ap.add_argument("--debug", default="off,on", help="web.py debug modes: off,on")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--keep", action="store_true", help="keep (and name) the callgrind files")
    ap.add_argument("--uwsgi-args", default="", help="more uWSGI options, for both stacks")
    args = ap.parse_args()
    node = Node().start()
    try:
        create_seed_schema(node)
        for debug in [m == "on" for m in args.debug.split(",")]:
            per = {}
            for driver in args.drivers.split(","):
                per[driver] = measure(node, driver, debug, args.requests, args.warmup,
                                      args.keep, args.uwsgi_args.split())
                print("uWSGI worker, web.py debug %-3s %-18s %9.0f instructions per GET /"
                      % ("on" if debug else "off", driver, per[driver]), flush=True)
            if len(per) == 2:
                a, b = per.values()
                print("ratio %s / %s, web.py debug %s: %.2fx" % (
                    list(per)[1], list(per)[0], "on" if debug else "off", b / a), flush=True)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
