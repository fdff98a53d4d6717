#!/usr/bin/python3
"""The DataStax python driver's first session in a fresh process: Cluster().connect(keyspace).
Prints one line, "python_first_session_ms X"; the import of the driver is not counted."""
import argparse
import time

from cassandra.cluster import Cluster

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--keyspace", required=True)
a = ap.parse_args()
t0 = time.perf_counter()
cluster = Cluster(["127.0.0.1"], port=a.port, protocol_version=4)
session = cluster.connect(a.keyspace)
ms = (time.perf_counter() - t0) * 1000.0
cluster.shutdown()
print("python_first_session_ms %.4f" % ms)
