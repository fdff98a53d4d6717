"""Memory soak of postfork-node: churn of DDL, prepares of distinct statements, reads and writes,
with the node's RSS sampled over time. RSS must level off under the configured bounds (the
prepared statement cache, statements dropped with their tables).

Usage: /usr/bin/python3 bench/node/soak.py <postfork-node binary> [seconds, default 1800]
       [sample every N seconds, default 30] [extra node args...]
With SOAK_ATTACH=PORT,METRICS_PORT,PID the churn runs against a node already running on
127.0.0.1 (one started under a heap profiler, say) and the binary argument is ignored.
Prints one line per sample: elapsed seconds, node RSS (MiB), rounds done, statements prepared
so far, the cache's entries/bytes, and the memtables' and block cache's MiB from the node's
metrics.
"""
import logging
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "node", "integration"))
from node_process import NodeProcess  # noqa: E402

from cassandra.cluster import Cluster  # noqa: E402

logging.basicConfig(level=logging.ERROR)


class AttachedNode:
    """A node this script did not start: SOAK_ATTACH's ports and pid; left running."""

    def __init__(self, spec):
        port, metrics_port, pid = (int(x) for x in spec.split(","))
        self.port, self.metrics_port = port, metrics_port
        self.proc = type("Proc", (), {"pid": pid})()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port) as r:
        m = re.search(r"^%s (\d+)$" % re.escape(name), r.read().decode(), re.M)
    return int(m.group(1)) if m else -1


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1800
    every = float(sys.argv[3]) if len(sys.argv) > 3 else 30
    extra = sys.argv[4:] + ["--metrics", "127.0.0.1:0"]
    attach = os.environ.get("SOAK_ATTACH")
    with (AttachedNode(attach) if attach else NodeProcess(binary, extra_args=extra)) as node:
        cluster = Cluster(["127.0.0.1"], port=node.port, protocol_version=4)
        session = cluster.connect()
        session.execute("CREATE KEYSPACE soak_live WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE soak_live.t (k int, c int, v text, PRIMARY KEY (k, c))")
        pid = node.proc.pid
        start = time.time()
        next_sample = start
        rounds = prepared = 0
        print("seconds  rss_mib  rounds  prepared  cache_entries  cache_bytes  memtable_mib  "
              "block_cache_mib", flush=True)
        while True:
            now = time.time()
            if now >= next_sample:
                print("%7.0f  %7.1f  %6d  %8d  %13d  %11d  %12.1f  %15.1f" % (
                    now - start, rss_mib(pid), rounds, prepared,
                    metric(node.metrics_port, "postfork_node_prepared_statements"),
                    metric(node.metrics_port, "postfork_node_prepared_statements_bytes"),
                    metric(node.metrics_port, "postfork_node_memtable_bytes") / 1048576.0,
                    metric(node.metrics_port, "postfork_node_block_cache_bytes") / 1048576.0),
                    flush=True)
                next_sample += every
            if now - start >= seconds:
                break
            # One round: a keyspace re-created with a table, 20 distinct prepared statements on
            # it (dropped with the keyspace), and 30 distinct prepares against a table that
            # lives on (only the cache's bound frees them); writes and reads through them all.
            ks = "soak%d" % (rounds % 4)
            session.execute("DROP KEYSPACE IF EXISTS %s" % ks)
            session.execute("CREATE KEYSPACE %s WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
            session.execute("CREATE TABLE %s.t (k int, c int, v text, PRIMARY KEY (k, c))" % ks)
            for table, count in (("%s.t" % ks, 20), ("soak_live.t", 30)):
                insert = session.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?)" % table)
                for i in range(count):
                    session.execute(insert, (i % 5, rounds * 50 + i, "value %d" % i))
                    select = session.prepare("SELECT v FROM %s WHERE k = ? AND c >= %d LIMIT %d"
                                             % (table, i, rounds + 1))
                    session.execute(select, (i % 5,))
                    prepared += 1
            rounds += 1
        cluster.shutdown()


if __name__ == "__main__":
    main()
