"""A real postfork-node process on free loopback ports for the Python package's tests, benches
and app tests. The binary comes from $POSTFORK_NODE, else the repository's build trees."""
import http.client
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def node_binary():
    path = os.environ.get("POSTFORK_NODE")
    if path:
        return path
    for tree in ("build/rel", "build/asan", "build"):
        candidate = os.path.join(ROOT, tree, "apps", "node", "postfork-node")
        if os.path.exists(candidate):
            return candidate
    raise RuntimeError("no postfork-node binary: set POSTFORK_NODE or build the project")


class Node:
    def __init__(self, *extra_args, data_dir=None):
        self.tmp = tempfile.mkdtemp(prefix="postfork-py-node-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.extra = list(extra_args)
        self.port = 0
        self.metrics_port = None
        self.proc = None
        self.lines = []

    def start(self, timeout=60):
        self.proc = subprocess.Popen(
            [node_binary(), "--port", str(self.port), "--data-dir", self.data_dir,
             "--metrics", "127.0.0.1:0"] + self.extra,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("postfork-node exited: " + "".join(self.lines[-20:]))
            self.lines.append(line)
            m = re.search(r"ready: listening for CQL clients on [^ ]+:(\d+) metrics on port (\d+)",
                          line)
            if m:
                self.port, self.metrics_port = int(m.group(1)), int(m.group(2))
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        raise RuntimeError("postfork-node did not become ready")

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def metrics(self):
        c = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=10)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    def system_queries(self):
        """Statements the node ran on system and system_schema tables."""
        return sum(v for k, v in self.metrics().items()
                   if k.startswith("postfork_node_table_statements_total")
                   and re.search(r'keyspace="system(_schema)?"', k))

    def requests(self, opcode):
        return self.metrics().get('postfork_node_requests_total{opcode="%s"}' % opcode, 0)

    def pause(self):
        """Stops the node (SIGSTOP) and returns once every one of its threads has stopped.
        kill() only queues the signal: the stop reaches the threads one by one, and on a
        loaded machine a thread that has not stopped yet can read and answer a request written
        milliseconds after kill() returned. The parent hears of the stop (waitpid with
        WUNTRACED) only when the last thread has stopped."""
        self.proc.send_signal(signal.SIGSTOP)
        _, status = os.waitpid(self.proc.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            raise RuntimeError("postfork-node exited instead of stopping: "
                               + "".join(self.lines[-20:]))

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
