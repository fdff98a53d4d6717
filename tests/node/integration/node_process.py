"""Starts and stops a postfork-node process for integration tests (port 0, temp data dir)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest


class NodeProcess:
    """A postfork-node child process. Always stop() it (use it as a context manager)."""

    def __init__(self, binary, data_dir=None, extra_args=()):
        self.binary = binary
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="postfork-node-test-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.metrics_port = None
        self.admin_port = None

    def start(self, timeout=20.0):
        self.proc = subprocess.Popen(
            [self.binary, "--port", "0", "--data-dir", self.data_dir] + self.extra_args,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("postfork-node exited before it was ready (rc=%s)" % self.proc.poll())
            m = re.search(r"ready: listening for CQL clients on [^ ]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                mm = re.search(r"metrics on port (\d+)", line)
                if mm:
                    self.metrics_port = int(mm.group(1))
                ma = re.search(r"admin on [^ ]+:(\d+)", line)
                if ma:
                    self.admin_port = int(ma.group(1))
                return self
        raise RuntimeError("postfork-node did not report ready in %.0fs" % timeout)

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Stops the process with `sig` and returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("postfork-node did not stop within %.0fs of %s" % (timeout, sig))
        rc = self.proc.returncode
        self.proc.stdout.close()
        self.proc = None
        return rc

    def restart(self, sig=signal.SIGTERM):
        rc = self.stop(sig)
        self.start()
        return rc

    def cleanup(self):
        try:
            self.stop(signal.SIGKILL)
        finally:
            if self.own_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False


# The node shared by the tests of one module run through main_with_node().
SHARED = None


class KeyspaceTest(unittest.TestCase):
    """Tests with their own keyspace on SHARED, through one python3-cassandra session (closed
    after the class). Set KEYSPACE, or call KeyspaceTest.open(cls, name) from setUpClass;
    connect() opens a new session, restart_node() restarts the node and opens one."""
    KEYSPACE = None

    @staticmethod
    def open(cls, keyspace):
        cls.connect()
        cls.session.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % keyspace)
        cls.session.set_keyspace(keyspace)
        return cls.session

    @classmethod
    def setUpClass(cls):
        if cls.KEYSPACE:
            KeyspaceTest.open(cls, cls.KEYSPACE)

    @classmethod
    def connect(cls):
        from cassandra.cluster import Cluster
        cls.cluster = Cluster(["127.0.0.1"], port=SHARED.port)
        cls.session = cls.cluster.connect()

    @classmethod
    def restart_node(cls, keyspace):
        """Closes the session, restarts SHARED and opens a new session on `keyspace`."""
        cls.cluster.shutdown()
        SHARED.restart()
        cls.connect()
        cls.session.set_keyspace(keyspace)
        return cls.session

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "cluster", None) is not None:
            cls.cluster.shutdown()


def main_with_node(extra_args=()):
    """Runs the calling module's unittest tests against one postfork-node (its path is argv[1]),
    started before the tests and removed after them. Tests reach it as node_process.SHARED."""
    import logging
    import sys
    import unittest
    global SHARED
    logging.basicConfig(level=logging.ERROR)
    binary = os.path.abspath(sys.argv.pop(1))
    SHARED = NodeProcess(binary, extra_args=extra_args).start()
    try:
        result = unittest.main(module="__main__", verbosity=2, exit=False).result
    finally:
        SHARED.cleanup()
    sys.exit(0 if result.wasSuccessful() else 1)
