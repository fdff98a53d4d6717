#!/usr/bin/python3
"""The node checked against Apache Cassandra 5.0, statement by statement.

    compat_test.py POSTFORK_NODE [--corpus] [--random N] [--seed S] [--only GLOB] [--protocol]
                   [--cassandra HOST:PORT]

Starts a postfork-node and a one-node Cassandra 5.0 (scripts/cassandra.sh, on a random loopback
range), then runs the corpus scripts (tests/compat/corpus/*.cql) and/or N statements of the
seeded random generator against both, comparing every answer (see compat.py). A disagreement
fails the run unless tests/compat/allowlist.txt names it with a reason. --protocol also sends
protocol_compat.py's raw frames to both (through a fresh node of its own). --cassandra uses an
already running Cassandra instead of starting one (for working on the corpus).
"""
import argparse
import collections
import decimal
import fnmatch
import glob
import os
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "cassandra"))
sys.path.insert(0, os.path.join(ROOT, "tests", "node", "integration"))

import compat  # noqa: E402
import compat_random  # noqa: E402
import protocol_compat  # noqa: E402
from cassandra_cluster import CassandraCluster, require_cassandra  # noqa: E402
from node_process import NodeProcess  # noqa: E402
from cassandra.query import UNSET_VALUE  # noqa: E402

VERBOSE = bool(os.environ.get("COMPAT_VERBOSE"))
# Names that @prepare values may use (UNSET: a bound value left unset, protocol v4+).
VALUE_NAMES = {"UUID": uuid.UUID, "Decimal": decimal.Decimal, "UNSET": UNSET_VALUE}


class Report:
    def __init__(self, allowlist):
        self.allowlist = allowlist
        self.compared = 0
        self.failures = []
        self.allowed = {}

    def check(self, source, where, stmt, node_out, cass_out, ordered=True):
        self.compared += 1
        bad = []
        for aspect, mine, theirs in compat.compare(node_out, cass_out, ordered):
            entry = self.allowlist.match(source, aspect, stmt)
            if entry:
                self.allowed[entry["category"]] = self.allowed.get(entry["category"], 0) + 1
                continue
            bad.append((aspect, mine, theirs))
            self.failures.append((source, where, stmt, aspect, mine, theirs))
        return bad


def print_failure(f):
    source, where, stmt, aspect, mine, theirs = f
    print("DISAGREE %s:%s [%s]\n  statement: %s\n  postfork:  %s\n  cassandra: %s" % (
        source, where, aspect, " ".join(stmt.split()), _short(mine), _short(theirs)))


def _short(v, limit=600):
    s = repr(v)
    return s if len(s) <= limit else s[:limit] + "..."


def run_corpus(targets, report, only):
    files = sorted(glob.glob(os.path.join(HERE, "corpus", "*.cql")))
    for path in files:
        name = os.path.basename(path)
        if only and not any(fnmatch.fnmatch(name, g) for g in only.split(",")):
            continue
        ks = "c_" + os.path.splitext(name)[0].replace("-", "_")
        t0 = time.time()
        for t in targets:
            t.use(ks)
        with open(path) as f:
            stmts = compat.parse_script(f.read())
        before = len(report.failures)
        for line, stmt, opts in stmts:
            times = opts.get("times", 1) if opts.get("prepare") else 1
            values = eval(opts.get("values", "[]"), {"__builtins__": {}}, VALUE_NAMES)  # noqa: S307
            if VERBOSE:
                print("%s:%d: %s" % (name, line, " ".join(stmt.split())), flush=True)
            for _ in range(times):
                node_out = compat.execute(targets[0], stmt, opts, values)
                cass_out = compat.execute(targets[1], stmt, opts, values)
                bad = report.check(name, line, stmt, node_out, cass_out,
                                   ordered=not opts.get("unordered"))
                if bad:
                    break
        print("corpus %-28s %4d statements, %d disagreements, %.1f s" % (
            name, len(stmts), len(report.failures) - before, time.time() - t0), flush=True)


def drain(node):
    """Reads the node's output in the background (a full pipe would stall it); keeps the tail
    for a post-mortem."""
    tail = collections.deque(maxlen=60)

    def pump(stream):
        for line in stream:
            tail.append(line)

    threading.Thread(target=pump, args=(node.proc.stdout,), daemon=True).start()
    return tail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("node")
    ap.add_argument("--corpus", action="store_true")
    ap.add_argument("--random", type=int, default=0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--only", default=None)
    ap.add_argument("--protocol", action="store_true")
    ap.add_argument("--cassandra", default=None)
    args = ap.parse_args()
    import logging
    logging.basicConfig(level=logging.CRITICAL)

    if not args.cassandra:
        why = require_cassandra()
        if why:
            print("compat: cannot run: " + why)
            return 1
    t_start = time.time()
    allowlist = compat.Allowlist(os.path.join(HERE, "allowlist.txt"))
    report = Report(allowlist)
    cassandra = None
    protocol_failures = []
    node = NodeProcess(os.path.abspath(args.node))
    node_log = []
    targets = []
    try:
        if args.cassandra:
            chost, cport = args.cassandra.rsplit(":", 1)
        else:
            cassandra = CassandraCluster(nodes=1, dc_names="datacenter1").start()
            chost, cport = cassandra.hosts[0], cassandra.native_port
            print("compat: Cassandra 5.0 up in %.1f s" % cassandra.start_seconds, flush=True)
        node.start()
        node_log = drain(node)
        targets = [compat.Target("postfork", "127.0.0.1", node.port),
                   compat.Target("cassandra", chost, int(cport))]
        if args.corpus:
            run_corpus(targets, report, args.only)
        if args.random:
            seed = args.seed if args.seed is not None else int(os.environ.get(
                "COMPAT_SEED", int(time.time()) % 100000))
            compat_random.run(targets, report, seed, args.random)
        if args.protocol:
            t0 = time.time()
            with NodeProcess(os.path.abspath(args.node)) as framed:
                protocol_failures = protocol_compat.run(("127.0.0.1", framed.port),
                                                        (chost, int(cport)))
            print("protocol: %.0f s" % (time.time() - t0), flush=True)
    except Exception:
        if node.proc is not None and node.proc.poll() is not None:
            print("compat: postfork-node exited (rc=%s); its last output:\n%s" % (
                node.proc.returncode, "".join(node_log)))
        raise
    finally:
        for t in targets:
            t.close()
        node.cleanup()
        if cassandra:
            cassandra.cleanup()

    for f in report.failures:
        print_failure(f)
    print("compat: %d statements compared in %.0f s; allowed disagreements by category: %s" % (
        report.compared, time.time() - t_start,
        ", ".join("%s %d" % kv for kv in sorted(report.allowed.items())) or "none"))
    # random entries depend on the seed; corpus entries must all match on a full corpus run
    unused = [e for e in allowlist.entries if not e["used"] and e["source"] != "random"]
    if unused and args.corpus and not args.only:
        print("compat: %d allowlist entries matched nothing (fixed? prune them): lines %s" % (
            len(unused), ", ".join(str(e["line"]) for e in unused)))
    passed = report.compared - len({(f[0], f[1]) for f in report.failures})
    print("%d passed, %d failed" % (passed, len(report.failures)))
    return 1 if report.failures or protocol_failures else 0


if __name__ == "__main__":
    sys.exit(main())
