"""Starts and stops a real Apache Cassandra 5.0 node or cluster for tests, through
scripts/cassandra.sh, on a loopback range and ports that no other test uses at the same time.

    with CassandraCluster(nodes=3, dcs=2) as c:
        c.hosts          # ['127.a.b.1', '127.a.b.2', '127.a.b.3']
        c.native_port    # the CQL port every node listens on
        c.kill_node(3); c.start_node(3); c.nodetool(1, "status")

Tests that cannot run without Cassandra call `require_cassandra()` first: it returns a reason
string when Cassandra is not installed (scripts/install-deps.sh not run), which the test reports.
"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "cassandra.sh")


def require_cassandra():
    """None when Cassandra can start here, else why not."""
    if shutil.which("java") is None:
        return "java missing: run scripts/install-deps.sh"
    if shutil.which("mvn") is None:
        return "maven missing: run scripts/install-deps.sh"
    m2 = os.path.expanduser("~/.m2")
    if not os.path.isdir(m2) or not any(f.startswith("postfork-cassandra-") and f.endswith(".ok")
                                        for f in os.listdir(m2)):
        return "Cassandra not resolved: run scripts/install-deps.sh"
    return None


def _port_free(address, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((address, port))
            return True
        except OSError:
            return False


def pick_range(nodes, jmx=False, attempts=200):
    """A random loopback range 127.x.y.1.. and ports free on each of its `nodes` addresses.
    JMX binds to 127.0.0.1 only, so its ports (one per node) are checked there."""
    rng = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(attempts):
        base = "127.%d.%d.1" % (rng.randint(1, 254), rng.randint(0, 254))
        prefix = base.rsplit(".", 1)[0]
        addrs = ["%s.%d" % (prefix, i + 1) for i in range(nodes)]
        native, storage = rng.randint(20000, 59000), rng.randint(20000, 59000)
        if native == storage:
            continue
        if not all(_port_free(a, p) for a in addrs for p in (native, storage)):
            continue
        jmx_port = 0
        if jmx:
            jmx_port = rng.randint(20000, 59000)
            if not all(_port_free("127.0.0.1", jmx_port + i) for i in range(nodes)):
                continue
        return base, native, storage, jmx_port
    raise RuntimeError("no free loopback range found")


class CassandraCluster:
    """A Cassandra cluster in its own directory. Always stop() it (use it as a context manager).
    `jit` is 'quick' (C1 only, for tests) or 'full' (for benchmarks)."""

    def __init__(self, nodes=1, dcs=1, base_dir=None, jmx=False, heap="512M", jit="quick",
                 timeout=300, dc_names="dc1,dc2"):
        self.nodes, self.dcs, self.jmx, self.heap, self.jit = nodes, dcs, jmx, heap, jit
        self.timeout = timeout
        self.dc_names = dc_names
        self.own_dir = base_dir is None
        self.dir = base_dir or tempfile.mkdtemp(prefix="postfork-cassandra-")
        self.address_base, self.native_port, self.storage_port, self.jmx_port = pick_range(
            nodes + 2, jmx)  # two spare addresses for add_node
        self.started = False
        self.start_seconds = None

    @property
    def hosts(self):
        prefix, last = self.address_base.rsplit(".", 1)
        return ["%s.%d" % (prefix, int(last) + i) for i in range(self.nodes)]

    def _run(self, *args, check=True, capture=False):
        cmd = ["bash", SCRIPT] + list(args) + ["--dir", self.dir]
        return subprocess.run(cmd, check=check, text=True,
                              stdout=subprocess.PIPE if capture else None)

    def start(self):
        t0 = time.time()
        args = ["start", "--fresh", "--nodes", str(self.nodes), "--dcs", str(self.dcs),
                "--address-base", self.address_base, "--native-port", str(self.native_port),
                "--storage-port", str(self.storage_port), "--heap", self.heap, "--jit", self.jit,
                "--timeout", str(self.timeout), "--dc-names", self.dc_names]
        if self.jmx:
            args += ["--jmx-port", str(self.jmx_port)]
        self.started = True
        self._run(*args)
        self.start_seconds = time.time() - t0
        return self

    def stop(self):
        if self.started:
            self._run("stop", check=False)
            self.started = False

    def start_node(self, i):
        self._run("start-node", str(i))

    def stop_node(self, i):
        self._run("stop-node", str(i))

    def kill_node(self, i):
        self._run("kill-node", str(i))

    def add_node(self, dc="dc1"):
        out = self._run("add-node", "--dc", dc, capture=True).stdout
        self.nodes = int(out.strip().splitlines()[-1])
        return self.nodes

    def nodetool(self, i, *args):
        return self._run("nodetool", str(i), *args, capture=True).stdout

    def log_path(self, i):
        return os.path.join(self.dir, "node%d" % i, "logs", "system.log")

    def cleanup(self):
        try:
            self.stop()
        finally:
            if self.own_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False
