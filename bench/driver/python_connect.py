#!/usr/bin/python3
"""Session-ready time of the DataStax python driver: Cluster().connect(keyspace), p50/p99 ms."""
import argparse
import time

from cassandra.cluster import Cluster

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--keyspace", required=True)
ap.add_argument("--iterations", type=int, default=20)
a = ap.parse_args()
times = []
for _ in range(a.iterations):
    t0 = time.perf_counter()
    cluster = Cluster(["127.0.0.1"], port=a.port, protocol_version=4)
    session = cluster.connect(a.keyspace)
    times.append((time.perf_counter() - t0) * 1000.0)
    cluster.shutdown()
times.sort()
print("python_p50_ms %.4f" % times[len(times) // 2])
print("python_p99_ms %.4f" % times[min(len(times) - 1, int(len(times) * 0.99))])
