"""Helpers for the server's integration tests: start real postfork processes on free loopback
ports, talk raw HTTP over sockets, and always stop what was started."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import json
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from loopback import free_port  # noqa: E402


class Server:
    """A postfork app process. Use as a context manager; the process is killed on exit."""

    def __init__(self, binary, *args, workers=2, stats=True, env=None, wait_ready=True, port=None):
        self.port = port or free_port()
        self.stats_port = free_port() if stats else None
        self.dir = tempfile.mkdtemp(prefix="postfork-test-")
        self.log_path = os.path.join(self.dir, "server.log")
        cmd = [binary] + ([] if port else ["--bind", f"127.0.0.1:{self.port}"])
        if workers:
            cmd += ["--workers", str(workers)]
        if stats:
            cmd += ["--stats", f"127.0.0.1:{self.stats_port}"]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
        if env:
            full_env.update(env)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        self.wait_ready = wait_ready

    def __enter__(self):
        if self.wait_ready:
            self.wait_log(r"postfork ready", timeout=30)
        return self

    def __exit__(self, *exc):
        self.kill()
        if exc[0] is not None:
            print("---- server log ----")
            print(self.log_text()[-6000:])
        return False

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, pattern, timeout=20, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(re.findall(pattern, self.log_text())) >= count:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited ({self.proc.returncode}) waiting for {pattern!r}\n"
                                     + self.log_text()[-4000:])
            time.sleep(0.05)
        raise AssertionError(f"timeout waiting for {pattern!r} x{count}\n" + self.log_text()[-4000:])

    def signal(self, signo):
        self.proc.send_signal(signo)

    def stats(self):
        status, _, body = request(self.stats_port, "GET", "/")
        assert status == 200, status
        return json.loads(body)

    def metrics(self):
        status, _, body = request(self.stats_port, "GET", "/metrics")
        assert status == 200, status
        return body.decode()

    def worker_pids(self):
        return sorted(w["pid"] for w in self.stats()["workers"] if w["status"] == "ready")


def read_response(sock, head_only=False):
    """Reads one HTTP response from sock; returns (status, headers dict lower-case, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response header: %r" % data)
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    if head_only or status in (100, 204, 304):
        return status, headers, rest
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        rest += chunk
    return status, headers, rest[:length]


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def request(port, method, path, body=None, headers=None, timeout=10):
    """One request on a fresh connection, Connection: close."""
    with connect(port, timeout) as s:
        hdrs = {"Host": "localhost", "Connection": "close"}
        hdrs.update(headers or {})
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        raw = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        s.sendall(raw.encode() + (body or b""))
        return read_response(s, head_only=(method == "HEAD"))


def raw_exchange(port, payload, timeout=10):
    """Sends raw bytes and returns everything the server sends until it closes."""
    with connect(port, timeout) as s:
        s.sendall(payload)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out


def status_of(raw):
    return int(raw.split(b"\r\n", 1)[0].split()[1])


def run_wrk(port, path="/", seconds=4, connections=16, threads=2):
    """Starts wrk in the background; returns the Popen (stdout captured)."""
    return subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                             f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def check_wrk_clean(output):
    assert "requests in" in output, output
    assert "Non-2xx" not in output, "non-2xx responses under load:\n" + output
    assert "Socket errors" not in output, "socket errors under load:\n" + output
    m = re.search(r"(\d+) requests in", output)
    assert int(m.group(1)) > 100, output
