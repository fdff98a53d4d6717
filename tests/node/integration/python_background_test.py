"""--background-nice against a real postfork-node, with python3-cassandra as the client: the
thread that runs a flush (RocksDB's rocksdb:high, flushed through postfork-nodetool) is left in
SCHED_OTHER at nice 19 by default and at the value given as a nice value, in SCHED_IDLE by
`idle`, and values other than `idle` and 0-19 are refused at start.

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flush_thread_policy_and_nice(args):
    """Starts a node with `args`, writes a row and flushes it; returns (policy, nice) of each
    of the node's rocksdb:high threads, from proc(5) fields 41 and 19."""
    node = node_process.NodeProcess(NODE, extra_args=["--admin-port", str(free_port())] + args)
    with node:
        cluster = Cluster(["127.0.0.1"], port=node.port)
        s = cluster.connect()
        s.execute("CREATE KEYSPACE bg WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE bg.t (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO bg.t (k, v) VALUES (1, 'x')")
        cluster.shutdown()
        r = subprocess.run([NODETOOL, "-h", "127.0.0.1", "-p", str(node.admin_port), "flush", "bg"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        found = []
        tasks = "/proc/%d/task" % node.proc.pid
        for tid in os.listdir(tasks):
            with open(os.path.join(tasks, tid, "comm")) as f:
                if f.read().strip() != "rocksdb:high":
                    continue
            with open(os.path.join(tasks, tid, "stat")) as f:
                fields = f.read().rsplit(")", 1)[1].split()  # fields 3 onwards
            found.append((int(fields[41 - 3]), int(fields[19 - 3])))
        return found


class BackgroundNiceTest(unittest.TestCase):
    def test_with_idle_a_flush_runs_in_sched_idle(self):
        self.assertIn((SCHED_IDLE, 0), flush_thread_policy_and_nice(["--background-nice", "idle"]))

    def test_by_default_and_with_a_nice_value_a_flush_runs_in_sched_other_at_that_value(self):
        self.assertIn((SCHED_OTHER, 19), flush_thread_policy_and_nice([]))
        self.assertIn((SCHED_OTHER, 19), flush_thread_policy_and_nice(["--background-nice", "19"]))
        self.assertIn((SCHED_OTHER, 7), flush_thread_policy_and_nice(["--background-nice", "7"]))

    def test_other_values_are_refused(self):
        for value in ["20", "-1", "low", "IDLE", "1.5", ""]:
            with tempfile.TemporaryDirectory() as d:
                r = subprocess.run([NODE, "--port", "0", "--data-dir", d, "--background-nice", value],
                                   capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, value)
            self.assertIn("--background-nice", r.stdout + r.stderr, value)


if __name__ == "__main__":
    NODETOOL = os.path.abspath(sys.argv.pop(2))
    NODE = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
