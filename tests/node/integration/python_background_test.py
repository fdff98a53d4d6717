"""--background-nice against a real postfork-node, with python3-cassandra as the client: each of
RocksDB's pools gets its own priority as its thread starts a job. The flush pool's thread
(rocksdb:high, which runs a flush through postfork-nodetool flush) takes the first value, the
compaction pool's (rocksdb:low, which runs postfork-nodetool compact) the second, or the one value
for both: SCHED_OTHER at that nice value, SCHED_IDLE for `idle`, and a thread that has run no job
is left as it started. Values other than FLUSHES[,COMPACTIONS], each `idle` or 0-19, are refused at
start.

Usage: /usr/bin/python3 python_background_test.py <path to postfork-node> <path to postfork-nodetool>
"""
import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_process  # noqa: E402

from cassandra.cluster import Cluster  # noqa: E402

NODE = None  # the postfork-node binary
NODETOOL = None
SCHED_OTHER, SCHED_IDLE = 0, 5
AS_STARTED = (SCHED_OTHER, 0)  # the node's own priority


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pool_threads(pid):
    """{thread name: sorted [(policy, nice)]} of the process's rocksdb:* threads, from proc(5)
    fields 41 and 19."""
    found = {}
    tasks = "/proc/%d/task" % pid
    for tid in os.listdir(tasks):
        with open(os.path.join(tasks, tid, "comm")) as f:
            name = f.read().strip()
        if not name.startswith("rocksdb:"):
            continue
        with open(os.path.join(tasks, tid, "stat")) as f:
            fields = f.read().rsplit(")", 1)[1].split()  # fields 3 onwards
        found.setdefault(name, []).append((int(fields[41 - 3]), int(fields[19 - 3])))
    return {name: sorted(threads) for name, threads in found.items()}


def pools_after_flush_and_compaction(args):
    """Starts a node with `args`, writes a row, flushes it, then compacts; returns the pools'
    threads (pool_threads) after the flush and after the compaction."""
    node = node_process.NodeProcess(NODE, extra_args=["--admin-port", str(free_port())] + args)
    with node:
        cluster = Cluster(["127.0.0.1"], port=node.port)
        s = cluster.connect()
        s.execute("CREATE KEYSPACE bg WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE bg.t (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO bg.t (k, v) VALUES (1, 'x')")
        cluster.shutdown()
        result = []
        for command in ["flush", "compact"]:
            r = subprocess.run([NODETOOL, "-h", "127.0.0.1", "-p", str(node.admin_port), command,
                                "bg"], capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            result.append(pool_threads(node.proc.pid))
        return result


class BackgroundNiceTest(unittest.TestCase):
    def assert_pools(self, args, flush, compaction):
        after_flush, after_compaction = pools_after_flush_and_compaction(args)
        # max_background_jobs 2: one flush thread and one compaction thread.
        self.assertEqual(after_flush, {"rocksdb:high": [flush], "rocksdb:low": [AS_STARTED]})
        self.assertEqual(after_compaction, {"rocksdb:high": [flush], "rocksdb:low": [compaction]})

    def test_by_default_both_pools_run_at_nice_19(self):
        self.assert_pools([], (SCHED_OTHER, 19), (SCHED_OTHER, 19))

    def test_one_value_sets_both_pools(self):
        self.assert_pools(["--background-nice", "7"], (SCHED_OTHER, 7), (SCHED_OTHER, 7))
        self.assert_pools(["--background-nice", "idle"], (SCHED_IDLE, 0), (SCHED_IDLE, 0))
        self.assert_pools(["--background-nice", "0"], AS_STARTED, AS_STARTED)

    def test_two_values_set_flushes_then_compactions(self):
        self.assert_pools(["--background-nice", "19,idle"], (SCHED_OTHER, 19), (SCHED_IDLE, 0))
        self.assert_pools(["--background-nice", "idle,19"], (SCHED_IDLE, 0), (SCHED_OTHER, 19))
        self.assert_pools(["--background-nice", "10,0"], (SCHED_OTHER, 10), AS_STARTED)
        self.assert_pools(["--background-nice", "0,15"], AS_STARTED, (SCHED_OTHER, 15))

    def test_other_values_are_refused(self):
        for value in ["20", "-1", "low", "IDLE", "1.5", "", "19,", ",19", "19,idle,0", "19;idle",
                      "19, idle", "19,20", "007"]:
            with tempfile.TemporaryDirectory() as d:
                r = subprocess.run([NODE, "--port", "0", "--data-dir", d, "--background-nice", value],
                                   capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, value)
            self.assertIn("--background-nice", r.stdout + r.stderr, value)


if __name__ == "__main__":
    NODETOOL = os.path.abspath(sys.argv.pop(2))
    NODE = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
