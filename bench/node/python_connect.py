"""Time python3-cassandra's Cluster().connect(ks) against postfork-node with 1 and 1,000 tables.

Usage: /usr/bin/python3 bench/node/python_connect.py <postfork-node binary> [repeats]
Prints the median connect time for each table count.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "node", "integration"))
from node_process import NodeProcess  # noqa: E402

from cassandra.cluster import Cluster  # noqa: E402
import logging  # noqa: E402

logging.basicConfig(level=logging.ERROR)


def main():
    binary = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with NodeProcess(binary) as node:
        setup = Cluster(["127.0.0.1"], port=node.port, protocol_version=4)
        s = setup.connect()
        s.execute("CREATE KEYSPACE bench WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        created = 0
        for tables in (1, 1000):
            while created < tables:
                s.execute("CREATE TABLE bench.t%d (k int PRIMARY KEY, a text, b bigint, c blob)"
                          % created)
                created += 1
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                c = Cluster(["127.0.0.1"], port=node.port)
                c.connect("bench")
                times.append(time.perf_counter() - start)
                assert len(c.metadata.keyspaces["bench"].tables) == tables
                c.shutdown()
            print("python Cluster().connect(ks) with %4d tables: median %.1f ms (n=%d)"
                  % (tables, statistics.median(times) * 1000, repeats))
        setup.shutdown()


if __name__ == "__main__":
    main()
