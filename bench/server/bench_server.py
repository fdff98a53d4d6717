#!/usr/bin/python3
"""Whole-system benchmark of the postfork server against nginx and uWSGI on loopback.

  /usr/bin/python3 bench/server/bench_server.py [--hello build/server-rel/apps/hello/postfork-hello]
      [--seconds 10] [--rounds 3] [--connections 64]

Each round runs wrk (2 threads, 64 connections, small fixed body) against postfork-hello (2
workers), Debian's nginx (`return 200`, 2 workers) and Debian's uWSGI (WSGI hello world,
2 processes), in turn; medians over the rounds are reported with ratios to nginx, and for
postfork and nginx how wrk's connections were spread over the two workers in each round (`ss`,
1 s into the round). Then worker spawn time (fork to ready to accept, from SIGHUP reloads) and memory per idle worker."""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tests", "lib"))
from loopback import free_port  # noqa: E402

BODY = "Hello, World!\n"


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                if r.read() == BODY.encode():
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing serves on port {port}")


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(root_pid):
    """User+system CPU of a process and its children (the server's whole tree)."""
    total = 0
    for pid in [root_pid] + children(root_pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def connection_split(port):
    """How many of the established connections to `port` each process holds, fewest first
    ("32/32"): how wrk's keep-alive connections are spread over a server's workers."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True).stdout
    counts = collections.Counter(re.findall(r"pid=(\d+)", out))
    return "/".join(str(c) for c in sorted(counts.values())) or "-"


def wrk(port, seconds, connections, server_pid=None):
    cpu_before = cpu_seconds(server_pid) if server_pid else 0
    proc = subprocess.Popen(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                             f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE, text=True)
    time.sleep(min(1.0, seconds / 2))
    split = connection_split(port)  # wrk opens every connection at its start and keeps them
    out = proc.communicate()[0]
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode})")
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([0-9.]+)(us|ms|s)\b", out)
        lat[pct] = to_ms(m.group(1), m.group(2))
    errors = "Socket errors" in out or "Non-2xx" in out
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu_us = (cpu_seconds(server_pid) - cpu_before) * 1e6 / max(requests, 1) if server_pid else 0
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"], "errors": errors, "cpu_us": cpu_us,
            "split": split}


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            text = f.read()
        return (int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1)),
                int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1)))
    except OSError:
        return (0, 0)


def children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def start_postfork(hello, port, stats_port, log):
    p = subprocess.Popen([hello, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--stats",
                          f"127.0.0.1:{stats_port}", "--log-level", "info"], stdout=log, stderr=subprocess.STDOUT)
    wait_port(port)
    return p


def start_nginx(tmp, port):
    conf = os.path.join(tmp, "nginx.conf")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "nginx-hello.conf")) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("@WORKERS@", "2").replace("@DIR@", tmp).replace("@PORT@", str(port)))
    p = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p


def start_uwsgi(tmp, port):
    app = os.path.join(tmp, "app.py")
    with open(app, "w") as f:
        f.write("def application(environ, start_response):\n"
                "    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '14')])\n"
                f"    return [{BODY.encode()!r}]\n")
    # --http-socket, as deployed: one request per connection. (--http11-socket keeps connections
    # but each single-threaded process then serves only the connection it holds: 2 of 64.)
    p = subprocess.Popen(["uwsgi", "--plugin", "python3", "--http-socket", f"127.0.0.1:{port}",
                          "--wsgi-file", app, "--processes", "2", "--master", "--disable-logging"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hello", default="build/server-rel/apps/hello/postfork-hello")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--reloads", type=int, default=20)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="postfork-bench-")
    log = open(os.path.join(tmp, "postfork.log"), "wb")
    ports = {"postfork": free_port(), "nginx": free_port(), "uwsgi": free_port()}
    stats_port = free_port()
    procs = {}
    try:
        procs["postfork"] = start_postfork(args.hello, ports["postfork"], stats_port, log)
        procs["nginx"] = start_nginx(tmp, ports["nginx"])
        procs["uwsgi"] = start_uwsgi(tmp, ports["uwsgi"])
        for name, port in ports.items():  # warm-up
            wrk(port, 2, args.connections)
        results = {name: [] for name in ports}
        for _ in range(args.rounds):
            for name, port in ports.items():
                results[name].append(wrk(port, args.seconds, args.connections, procs[name].pid))
        summary = {}
        for name, runs in results.items():
            summary[name] = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms", "cpu_us")}
            summary[name]["errors"] = any(r["errors"] for r in runs)
        print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds, medians "
              f"(2 workers each, loopback, {os.cpu_count()} cores shared with wrk)")
        print(f"{'server':10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs nginx':>9} {'CPU us/req':>11} errors")
        for name, s in summary.items():
            print(f"{name:10} {s['rps']:10.0f} {s['p50_ms']:8.3f} {s['p99_ms']:8.3f} "
                  f"{s['rps'] / summary['nginx']['rps']:8.2f}x {s['cpu_us']:11.1f} {s['errors']}")
        print(f"postfork/uwsgi req/s: {summary['postfork']['rps'] / summary['uwsgi']['rps']:.2f}x")
        # On 2 cores shared with wrk, a worker holding most connections serves most requests on one
        # core; uWSGI's --http-socket closes each connection, so it has no split to show.
        for name in ("postfork", "nginx"):
            print(f"{name:10} connections per worker, each round: "
                  + " ".join(f"{r['split']} ({r['rps']:.0f} req/s)" for r in results[name]))

        # memory per idle worker (after the load; RSS and PSS from smaps_rollup)
        time.sleep(1)
        for name in ("postfork", "nginx", "uwsgi"):
            kids = children(procs[name].pid)
            mem = [pss_kb(k) for k in kids]
            if mem:
                print(f"{name:10} idle worker RSS {statistics.mean(m[0] for m in mem) / 1024:.1f} MiB, "
                      f"PSS {statistics.mean(m[1] for m in mem) / 1024:.1f} MiB ({len(kids)} workers)")

        # spawn time: fork to ready-to-accept, from rolling reloads
        pf = procs["postfork"]
        for i in range(args.reloads):
            pf.send_signal(signal.SIGHUP)
            deadline = time.time() + 20
            while True:
                with open(os.path.join(tmp, "postfork.log")) as f:
                    if len(re.findall("reload complete", f.read())) > i:
                        break
                if time.time() > deadline:
                    raise RuntimeError("reload did not complete")
                time.sleep(0.02)
        with open(os.path.join(tmp, "postfork.log")) as f:
            spawn = [float(x) for x in re.findall(r"ready in ([0-9.]+) ms", f.read())]
        spawn = spawn[2:]  # reload spawns only
        if spawn:  # none with --reloads 0
            print(f"postfork worker spawn (fork -> ready to accept), {len(spawn)} spawns: "
                  f"p50 {statistics.median(spawn):.2f} ms, max {max(spawn):.2f} ms")
        stats = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{stats_port}/").read())
        print(f"postfork stats: spawn_ms_p50 {stats['master']['spawn_ms_p50']:.2f} over "
              f"{stats['master']['spawn_samples']} spawns")
    finally:
        for name, p in procs.items():
            stop(p, signal.SIGINT if name == "uwsgi" else signal.SIGTERM)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
