"""The seed's original app (bench/seed/original/app.py) under uWSGI or Gunicorn, for tests and
benches: free ports, the package from this interpreter's site-packages, stopped at the end."""
import http.client
import os
import re
import signal
import subprocess
import sys
import sysconfig
import threading
import time

from nodeproc import ROOT

APP_DIR = os.path.join(ROOT, "bench", "seed", "original")


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def create_seed_schema(node, keyspace="seed", rows=100):
    """The seed's keyspace and table with `rows` sample rows, written with the package."""
    from postfork.cluster import Cluster
    c = Cluster(["127.0.0.1"], port=node.port)
    s = c.connect()
    s.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}" % keyspace)
    s.execute('CREATE TABLE IF NOT EXISTS %s."columnfamily" (key text PRIMARY KEY, col text)'
              % keyspace)
    ins = s.prepare('INSERT INTO %s."columnfamily" (key, col) VALUES (?, ?)' % keyspace)
    for f in [s.execute_async(ins, ("key%d" % i, "value %d" % i)) for i in range(rows)]:
        f.result()
    c.shutdown()


def make_keyspace(node, name, tables):
    """Keyspace `name` with `tables` small tables t0, t1, ... (the benches' schema sizes)."""
    from postfork.cluster import Cluster
    c = Cluster(["127.0.0.1"], port=node.port)
    s = c.connect()
    s.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}" % name)
    for i in range(tables):
        s.execute("CREATE TABLE IF NOT EXISTS %s.t%d (k int PRIMARY KEY, a text, b int, c "
                  "timestamp)" % (name, i))
    c.shutdown()


class AppServer:
    """uWSGI (kind 'uwsgi') or Gunicorn ('gunicorn') running app.py with SEED_DRIVER=driver.

    With ``router``, the uWSGI app listens on a uwsgi-protocol socket behind a uWSGI HTTP router
    of its own instance, which keeps the clients' keep-alive connections across the app's
    reloads (the configuration python/README.md gives for SIGHUP reloads); clients use
    ``port`` either way. ``env``: more environment for the app (SEED_WEBPY_DEBUG, ...);
    ``prefix``: a command the server runs under (valgrind ...)."""

    def __init__(self, kind, node, driver, workers=2, keyspace="seed", uwsgi_args=(),
                 router=False, env=None, prefix=()):
        self.kind, self.driver, self.workers = kind, driver, workers
        self.port = free_port()
        self.lines = []
        self.cond = threading.Condition()
        self.router = None
        env = dict(os.environ, SEED_CQL_PORT=str(node.port), SEED_CONTACT_POINTS="127.0.0.1",
                   SEED_KEYSPACE=keyspace, SEED_DRIVER=driver, PYTHONUNBUFFERED="1",
                   **(env or {}))
        site = sysconfig.get_paths()["purelib"]  # where pip installed postfork
        if kind == "uwsgi" and router:
            app_port = free_port()
            self.router = subprocess.Popen(
                ["uwsgi", "--plugin", "http", "--master", "--http", "127.0.0.1:%d" % self.port,
                 "--http-to", "127.0.0.1:%d" % app_port, "--http-keepalive",
                 "--disable-logging", "--die-on-term"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            socket_args = ["--socket", "127.0.0.1:%d" % app_port]
        else:
            socket_args = ["--http11-socket", "127.0.0.1:%d" % self.port]
        if kind == "uwsgi":
            cmd = ["uwsgi", "--plugin", "python3"] + socket_args + [
                   "--processes", str(workers), "--master", "--disable-logging",
                   "--die-on-term", "--need-app", "--pythonpath", site,
                   "--wsgi-file", os.path.join(APP_DIR, "app.py")] + list(uwsgi_args)
        else:
            cmd = [sys.executable, "-m", "gunicorn", "-c", os.path.join(APP_DIR, "gunicorn.conf.py"),
                   "--chdir", APP_DIR, "-w", str(workers), "-b", "127.0.0.1:%d" % self.port,
                   "--graceful-timeout", "10", "app:application"]
        self.proc = subprocess.Popen(list(prefix) + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env, cwd=APP_DIR)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def count(self, pattern, start=0):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.lines[start:] if rx.search(line))

    def wait_for_count(self, pattern, n, timeout=60, start=0):
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        with self.cond:
            while True:
                found = [line for line in self.lines[start:] if rx.search(line)]
                if len(found) >= n:
                    return found
                left = deadline - time.time()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError("%s: %d of %d lines matching %r; last lines:\n%s" % (
                        self.kind, len(found), n, pattern, "\n".join(self.lines[-30:])))
                self.cond.wait(min(left, 0.5))

    def wait_ready(self, timeout=60, start=0):
        pattern = r"session ready in" if self.driver != "cassandra" or True else None
        return self.wait_for_count(pattern, self.workers, timeout, start)

    def workers_pids(self):
        pid = self.proc.pid
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]

    def request(self, method, path, body=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self):
        if self.router is not None and self.router.poll() is None:
            self.router.terminate()
            self.router.wait(20)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if self.kind == "uwsgi" else signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
