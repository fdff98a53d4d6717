"""Integration tests of the postfork server against real processes on loopback.
Usage: server_tests.py CASE HELLO_BINARY HOOKS_BINARY"""
import json
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time

from harness import (Server, check_wrk_clean, connect, free_port, raw_exchange, read_response,
                     request, run_wrk, status_of)

HELLO = HOOKS = None


def test_routing():
    with Server(HELLO, "--test-routes") as srv:
        status, headers, body = request(srv.port, "GET", "/")
        assert (status, body) == (200, b"Hello, World!\n"), (status, body)
        assert headers["content-length"] == "14" and "date" in headers, headers
        status, _, body = request(srv.port, "GET", "/params/a%20b/42?q=x+y&z=1")
        assert status == 200 and json.loads(body) == {"a": "a b", "b": "42", "q": "x y"}, body
        status, _, _ = request(srv.port, "GET", "/params/a")
        assert status == 404, status
        status, _, _ = request(srv.port, "GET", "/nowhere")
        assert status == 404, status
        status, headers, _ = request(srv.port, "DELETE", "/")
        assert status == 405 and headers["allow"] == "GET, HEAD", (status, headers)
        status, headers, _ = request(srv.port, "GET", "/echo")
        assert status == 405 and headers["allow"] == "POST", (status, headers)
        status, headers, body = request(srv.port, "HEAD", "/")
        assert status == 200 and headers["content-length"] == "14" and body == b"", (headers, body)
        status, _, body = request(srv.port, "POST", "/echo", body=b"x" * 100000)
        assert status == 200 and body == b"x" * 100000, status
        status, headers, body = request(srv.port, "POST", "/json", body=b'{"k": [1, 2]}')
        assert status == 200 and json.loads(body) == {"k": [1, 2]} and \
            headers["content-type"] == "application/json", body
        status, _, _ = request(srv.port, "POST", "/json", body=b"{nope")
        assert status == 400, status
        status, _, body = request(srv.port, "GET", "/sleep?ms=50")
        assert status == 200 and body == b"slept 50 ms\n", body
        status, _, _ = request(srv.port, "GET", "/throw")
        assert status == 500, status
        assert "handler failed on purpose" in srv.log_text()
        # chunked request body
        raw = raw_exchange(srv.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           b"Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        assert status_of(raw) == 200 and raw.endswith(b"hello world"), raw
        # Expect: 100-continue: the server answers 100 before the body is sent
        with connect(srv.port) as s:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            status, _, _ = read_response(s, head_only=True)
            assert status == 100, status
            s.sendall(b"ping")
            status, _, body = read_response(s)
            assert (status, body) == (200, b"ping"), (status, body)
        # still serving after all that
        assert request(srv.port, "GET", "/")[0] == 200


def test_error_statuses():
    with Server(HELLO, "--test-routes", "--header-timeout", "1", "--max-body-bytes", "1000",
                "--max-header-bytes", "2048") as srv:
        big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4000 + b"\r\n\r\n"
        assert status_of(raw_exchange(srv.port, big)) == 431
        body = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"b" * 5000
        assert status_of(raw_exchange(srv.port, body)) == 413
        chunked = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + b"800\r\n" + b"c" * 0x800 + b"\r\n0\r\n\r\n")
        assert status_of(raw_exchange(srv.port, chunked)) == 413
        assert status_of(raw_exchange(srv.port, b"NOT AN HTTP REQUEST\r\n\r\n")) == 400
        assert status_of(raw_exchange(srv.port, b"GET / HTTP/1.1\r\n\r\n")) == 400  # no Host
        assert status_of(raw_exchange(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n")) == 400
        assert status_of(raw_exchange(srv.port, b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n")) == 400
        assert status_of(raw_exchange(srv.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                      b"\r\nZZ\r\n")) == 400
        # slowloris: a header that never completes gets 408 after --header-timeout
        start = time.time()
        with connect(srv.port) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.3)
            s.sendall(b"X-Slow: 1\r\n")
            out = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
        assert status_of(out) == 408 and time.time() - start < 4, (out, time.time() - start)
        # a body that stops arriving gets 408 too
        with connect(srv.port) as s:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            out = s.recv(4096)
        assert status_of(out) == 408, out
        assert status_of(raw_exchange(srv.port, b"GET /throw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 500
        # the workers survived every one of them
        assert srv.stats()["master"]["restarts"] == 0
        assert request(srv.port, "GET", "/")[0] == 200


def test_keepalive_and_pipelining():
    with Server(HELLO, "--test-routes") as srv:
        with connect(srv.port) as s:
            for i in range(20):
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                status, headers, body = read_response(s)
                assert status == 200 and "connection" not in headers, headers
            # three pipelined requests in one write, answered in order
            s.sendall(b"GET /sleep?ms=30 HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                      b"GET /params/p/q HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            deadline = time.time() + 5
            while data.count(b"HTTP/1.1 200") < 3 or not data.endswith(b"}"):
                assert time.time() < deadline, data
                data += s.recv(65536)
            parts = data.split(b"HTTP/1.1 200 OK")
            assert b"slept 30 ms" in parts[1] and parts[2].endswith(b"abc") and b'"a":"p"' in parts[3], data
        # HTTP/1.0 closes by default, keeps alive on request
        raw = raw_exchange(srv.port, b"GET / HTTP/1.0\r\n\r\n")
        assert raw.startswith(b"HTTP/1.0 200") and b"Connection: close" in raw, raw
        with connect(srv.port) as s:
            for _ in range(2):
                s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                status, headers, _ = read_response(s)
                assert status == 200 and headers["connection"] == "keep-alive", headers
    # A response larger than the socket takes at once, to a client that starts reading late,
    # then a second request on the same connection: the rest of the first is written when
    # the socket drains, in order.
    big = bytes(range(256)) * 24000  # 6 MB: more than the 4 MB a send buffer can grow to
    with Server(HELLO, "--test-routes", "--max-body-bytes", "8000000") as srv, \
            connect(srv.port, 10) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        one = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big)
        s.sendall(one + big)
        time.sleep(0.3)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    head, rest = out.split(b"\r\n\r\n", 1)
    assert status_of(head) == 200 and rest[:len(big)] == big, (head, len(rest))
    assert rest[len(big):].startswith(b"HTTP/1.1 200 OK") and \
        rest.endswith(b"Hello, World!\n"), rest[len(big):]


def read_until_closed(sock):
    """What the peer sends until it closes the connection, and the seconds that took."""
    start = time.time()
    out = b""
    while chunk := sock.recv(4096):
        out += chunk
    return out, time.time() - start


def test_idle_connections():
    with Server(HELLO, "--keepalive-timeout", "1", "--header-timeout", "1") as srv:
        # requests spaced below the keep-alive timeout keep one connection serving
        with connect(srv.port) as s:
            for _ in range(4):
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_response(s)[0] == 200
                time.sleep(0.4)
            # then idle past it: closed without a response
            out, took = read_until_closed(s)
            assert out == b"" and took < 3, (out, took)
        # a connection that never sends a byte is closed after the header timeout, silently
        with connect(srv.port) as s:
            out, took = read_until_closed(s)
            assert out == b"" and 0.5 < took < 3, (out, took)
    # a graceful stop closes idle keep-alive connections (after about a second of quiet) and
    # the workers exit
    srv = Server(HELLO, "--graceful-timeout", "20")
    with srv:
        conns = [connect(srv.port) for _ in range(4)]
        for s in conns:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(s)[0] == 200
        srv.signal(signal.SIGTERM)
        for s in conns:
            out, took = read_until_closed(s)
            assert out == b"" and took < 5, (out, took)
            s.close()
        assert srv.proc.wait(10) == 0


def test_crash_restarts_only_that_worker():
    with Server(HELLO, "--test-routes") as srv:
        before = srv.worker_pids()
        assert len(before) == 2
        # a client on a keep-alive connection keeps being served across the crash
        keep = connect(srv.port)
        keep.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(keep)[0] == 200
        try:
            request(srv.port, "GET", "/crash")
            raise AssertionError("/crash answered")
        except (ConnectionError, OSError):
            pass
        srv.wait_log(r"died \(signal SIGSEGV")
        srv.wait_log(r"ready in", count=3)
        after = srv.worker_pids()
        assert len(after) == 2 and len(set(before) & set(after)) == 1, (before, after)
        st = srv.stats()["master"]
        assert st["restarts"] == 1, st
        try:
            keep.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            survived = read_response(keep)[0] == 200
        except (ConnectionError, OSError):
            survived = False
        keep.close()
        # the keep-alive connection lived on the surviving worker or on the crashed one
        for _ in range(50):
            assert request(srv.port, "GET", "/")[0] == 200
        print("keep-alive connection survived:", survived)


def test_harakiri():
    with Server(HELLO, "--test-routes", "--harakiri", "1") as srv:
        before = srv.worker_pids()
        start = time.time()
        try:
            status, _, _ = request(srv.port, "GET", "/hang", timeout=10)
            assert status == 504, status
        except (ConnectionError, OSError):
            pass
        elapsed = time.time() - start
        assert 0.9 < elapsed < 4, elapsed
        srv.wait_log(r"harakiri: worker \d+ \(pid \d+\) has a request running")
        srv.wait_log(r"ready in", count=3)
        after = srv.worker_pids()
        assert len(set(before) & set(after)) == 1, (before, after)
        assert "postfork_harakiri_kills_total 1" in srv.metrics()
        for _ in range(20):
            assert request(srv.port, "GET", "/")[0] == 200


def test_reload_under_load():
    with Server(HELLO) as srv:
        before = srv.worker_pids()
        wrk = run_wrk(srv.port, seconds=6, connections=16)
        time.sleep(1.5)
        srv.signal(signal.SIGHUP)
        srv.wait_log(r"reload complete", timeout=15)
        time.sleep(0.5)
        srv.signal(signal.SIGHUP)
        srv.wait_log(r"reload complete", timeout=15, count=2)
        out, _ = wrk.communicate(timeout=30)
        print(out)
        check_wrk_clean(out)
        assert_one_replacement_at_a_time(srv.log_text())
        after = srv.worker_pids()
        assert len(after) == 2 and not set(before) & set(after), (before, after)


def assert_one_replacement_at_a_time(log):
    """A worker is stopped only once its replacement is ready, and the next replacement starts
    only after the previous old worker exited."""
    out = set()
    for line in log.splitlines():
        m = re.search(r"worker \d+ \(pid (\d+)\) replaced by pid (\d+); stopping", line)
        if m:
            assert not out, ("two workers recycling at once", out, line)
            out.add(m.group(1))
        m = re.search(r"\(pid (\d+)\) exited after a graceful stop", line)
        if m:
            out.discard(m.group(1))


def test_max_requests_under_load():
    with Server(HELLO, "--max-requests", "2000", "--max-requests-jitter", "500") as srv:
        wrk = run_wrk(srv.port, seconds=5, connections=16)
        out, _ = wrk.communicate(timeout=30)
        print(out)
        check_wrk_clean(out)
        log = srv.log_text()
        recycled = len(re.findall(r"will be replaced: max-requests reached", log))
        assert recycled >= 2, log[-3000:]
        assert_one_replacement_at_a_time(log)
        assert srv.stats()["master"]["restarts"] == 0


def test_reload_on_rss():
    # every worker is above 1 MiB: each is recycled, one at a time, while serving
    with Server(HELLO, "--reload-on-rss", "1") as srv:
        srv.wait_log(r"will be replaced: RSS \d+ MiB above --reload-on-rss 1", count=2, timeout=20)
        srv.wait_log(r"replaced by pid \d+; stopping it gracefully", count=2, timeout=20)
        for _ in range(20):
            assert request(srv.port, "GET", "/")[0] == 200
        assert_one_replacement_at_a_time(srv.log_text())
        assert srv.stats()["master"]["restarts"] == 0


def test_systemd_notify():
    d = tempfile.mkdtemp(prefix="postfork-notify-")
    path = os.path.join(d, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    try:
        with Server(HELLO, env={"NOTIFY_SOCKET": path}, wait_ready=False) as srv:
            msg = sock.recv(4096).decode()
            assert "READY=1" in msg, msg
            assert "postfork ready" in srv.log_text()
            srv.signal(signal.SIGHUP)
            assert "RELOADING=1" in sock.recv(4096).decode()
            assert "READY=1" in sock.recv(4096).decode()
            srv.signal(signal.SIGTERM)
            assert "STOPPING=1" in sock.recv(4096).decode()
            assert srv.proc.wait(10) == 0
    finally:
        sock.close()


def test_graceful_stop_finishes_in_flight():
    srv = Server(HELLO, "--graceful-timeout", "10")
    with srv:
        result = {}

        def slow():
            result["r"] = request(srv.port, "GET", "/sleep?ms=1500")

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.4)
        srv.signal(signal.SIGTERM)
        t.join(10)
        assert result["r"][0] == 200 and result["r"][2] == b"slept 1500 ms\n", result
        assert srv.proc.wait(10) == 0
        log = srv.log_text()
        assert "exited after a graceful stop" in log and "master" in log and "exiting" in log, log


def test_fast_stop():
    with Server(HELLO) as srv:
        srv.signal(signal.SIGINT)
        assert srv.proc.wait(5) == 0


def read_hooks(path):
    events = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            events.append({"hook": parts[0], "pid": int(parts[1]), "ppid": int(parts[2]),
                           "t": float(parts[3]), "extra": parts[4:]})
    return events


def test_hooks_order_and_processes():
    for preload, async_hooks in ((False, False), (True, False), (False, True)):
        hook_log = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"postfork-hooks-{os.getpid()}-{preload}-{async_hooks}.log")
        if os.path.exists(hook_log):
            os.unlink(hook_log)
        args = ["--hook-log", hook_log, "--post-fork-delay-ms", "300"] + (["--preload"] if preload else []) \
            + (["--async-hooks"] if async_hooks else [])
        srv = Server(HOOKS, *args, wait_ready=False)
        with srv:
            master = srv.proc.pid
            # connect while post_fork is still running: the request waits in the backlog
            srv.wait_log("listening on")
            status, _, body = request(srv.port, "GET", "/", timeout=10)
            assert status == 200, status
            srv.wait_log("postfork ready")
            srv.signal(signal.SIGHUP)
            srv.wait_log("reload complete")
            srv.signal(signal.SIGTERM)
            assert srv.proc.wait(15) == 0
        ev = read_hooks(hook_log)
        names = [e["hook"] for e in ev]
        by = lambda h: [e for e in ev if e["hook"] == h]
        assert names[0] == "on_starting" and by("on_starting")[0]["pid"] == master, names
        assert names[-1] == "on_exit" and by("on_exit")[0]["pid"] == master, names
        for e in by("pre_fork") + by("on_reload"):
            assert e["pid"] == master, e
        workers = {e["pid"] for e in by("post_fork")}
        assert len(workers) == 4 and master not in workers, ev  # 2 initial + 2 after reload
        for e in by("post_fork"):
            assert e["ppid"] == master
        for h in ("on_worker_ready", "pre_request", "post_request", "on_worker_exit"):
            assert by(h) and all(e["pid"] in workers for e in by(h)), (h, ev)
        assert len(by("on_worker_exit")) == 4, names
        if preload:
            assert [e["pid"] for e in by("preload")] == [master], by("preload")
        else:
            assert sorted(e["pid"] for e in by("preload")) == sorted(workers), by("preload")
        for pid in workers:
            seq = [e["hook"] for e in ev if e["pid"] == pid]
            expected_start = (["post_fork"] if preload else ["preload", "post_fork"]) + ["post_fork_done", "on_worker_ready"]
            assert seq[:len(expected_start)] == expected_start, (pid, seq)
            assert seq[-1] == "on_worker_exit", (pid, seq)
        # the request was served only after its worker finished post_fork
        req = by("pre_request")[0]
        done = [e for e in by("post_fork_done") if e["pid"] == req["pid"]][0]
        assert done["t"] <= req["t"], (done, req)
        # pre_fork precedes each post_fork
        assert names.index("pre_fork") < names.index("post_fork")
        os.unlink(hook_log)


def test_post_fork_failure_backs_off():
    hook_log = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"postfork-fail-{os.getpid()}.log")
    if os.path.exists(hook_log):
        os.unlink(hook_log)
    # the coroutine post_fork (as the seed's driver connect will be)
    with Server(HOOKS, "--hook-log", hook_log, "--fail-post-fork", "4", "--respawn-backoff", "0.2",
                "--async-hooks", workers=1, wait_ready=False) as srv:
        srv.wait_log("postfork ready", timeout=30)
        log = srv.log_text()
        assert len(re.findall(r"post_fork failed: database unavailable", log)) == 4, log
        delays = [float(x) for x in re.findall(r"respawning in ([0-9.]+) s", log)]
        assert len(delays) == 4 and delays[3] > delays[0], delays  # exponential, with jitter
        assert request(srv.port, "GET", "/")[0] == 200
    os.unlink(hook_log)


def test_garbage_never_crashes():
    import random
    rng = random.Random(1234)
    valid = (b"POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
             b"Expect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    with Server(HELLO, "--test-routes", "--header-timeout", "1") as srv:
        for i in range(300):
            if i % 3 == 0:
                payload = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
            else:
                payload = bytearray(valid)
                for _ in range(rng.randrange(1, 8)):
                    pos = rng.randrange(len(payload))
                    op = rng.randrange(3)
                    if op == 0:
                        payload[pos] = rng.randrange(256)
                    elif op == 1:
                        del payload[pos]
                    else:
                        payload[pos:pos] = bytes([rng.choice(b"\r\n:0 %{}")]) * rng.randrange(1, 40)
                payload = bytes(payload)
            with connect(srv.port, timeout=5) as s:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
                try:
                    while s.recv(65536):
                        pass
                except (ConnectionError, socket.timeout):
                    pass
        st = srv.stats()["master"]
        assert st["restarts"] == 0, st
        assert "ERROR: AddressSanitizer" not in srv.log_text() and "runtime error" not in srv.log_text()
        assert request(srv.port, "GET", "/")[0] == 200


def test_stats_and_metrics():
    with Server(HELLO, "--test-routes") as srv:
        for _ in range(5):
            request(srv.port, "GET", "/")
        request(srv.port, "GET", "/missing")
        st = srv.stats()
        assert st["master"]["ready"] is True and st["master"]["workers_desired"] == 2, st
        assert len(st["workers"]) == 2 and all(w["rss_bytes"] > 0 for w in st["workers"]), st
        assert sum(w["requests"] for w in st["workers"]) >= 6, st
        m = srv.metrics()
        assert 'postfork_requests_total{route="GET /",status="200"} 5' in m, m
        assert 'postfork_requests_total{route="unmatched",status="404"} 1' in m, m
        assert 'postfork_request_duration_seconds_count{route="GET /",status="200"} 5' in m, m
        assert "postfork_worker_restarts_total 0" in m


def test_worker_count_signals():
    with Server(HELLO) as srv:
        srv.signal(signal.SIGTTIN)
        srv.wait_log(r"ready in", count=3)
        time.sleep(0.2)
        assert len(srv.worker_pids()) == 3
        srv.signal(signal.SIGTTOU)
        srv.wait_log(r"exited after a graceful stop")
        assert len(srv.worker_pids()) == 2
        assert request(srv.port, "GET", "/")[0] == 200


def test_unix_socket_and_config():
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix="postfork-cfg-")
    sock = os.path.join(d, "app.sock")
    cfg = os.path.join(d, "server.toml")
    port = free_port()
    with open(cfg, "w") as f:
        f.write(f'bind = ["127.0.0.1:{port}", "unix:{sock}"]\nworkers = 1\ngraceful_timeout = 5\n'
                f'access-log = "{d}/access.log"\n')
    # the command line (--workers 3) wins over the environment, which wins over the file
    srv = Server(HELLO, "--config", cfg, workers=3, env={"POSTFORK_WORKERS": "2"}, port=port)
    with srv:
        assert len(srv.worker_pids()) == 3
        out = subprocess.run(["curl", "-s", "--unix-socket", sock, "http://x/"], capture_output=True, timeout=10)
        assert out.stdout == b"Hello, World!\n", out
        assert request(port, "GET", "/")[0] == 200
    with open(f"{d}/access.log") as f:
        lines = f.read().splitlines()
    assert any('"GET / HTTP/1.1" 200 14' in l for l in lines), lines
    # without --workers on the command line, the environment beats the file
    env = dict(os.environ, POSTFORK_WORKERS="2", POSTFORK_ACCESS_LOG_FORMAT="json",
               ASAN_OPTIONS="detect_leaks=0")
    p = subprocess.Popen([HELLO, "--config", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 20
        out = b""
        os.set_blocking(p.stdout.fileno(), False)
        while b"postfork ready" not in out and time.time() < deadline:
            out += p.stdout.read() or b""
            time.sleep(0.05)
        assert b"postfork ready: 2 workers" in out, out
        assert request(port, "GET", "/?json=1")[0] == 200
        with open(f"{d}/access.log") as f:
            last = json.loads(f.read().splitlines()[-1])
        assert last["target"] == "/?json=1" and last["status"] == 200 and last["bytes"] == 14, last
    finally:
        p.send_signal(signal.SIGQUIT)
        p.wait(10)
    assert not os.path.exists(sock)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    case, HELLO, HOOKS = sys.argv[1], sys.argv[2], sys.argv[3]
    CASES[case]()
    print("PASS", case)
