#!/usr/bin/env bash
# System calls and context switches per keep-alive request of a server's workers under wrk:
# `perf stat` with syscall tracepoints on the workers (not the master) while
# `wrk -t2 -c64 --latency` runs on loopback, each count divided by the requests wrk counted.
# The server is postfork-hello (2 workers) or, as its peer, nginx with bench/server's
# configuration (`return 200`, 2 workers). Counts per request repeat on a loaded machine; the
# context switches and req/s move with the load.
# Usage: bench/server/syscalls_per_request.sh hello <postfork-hello binary> [seconds, default 5]
#        bench/server/syscalls_per_request.sh nginx [seconds, default 5]
set -euo pipefail
kind="$1"
shift
if [[ "$kind" == hello ]]; then
  binary="$1"
  shift
fi
seconds="${1:-5}"
tmp="$(mktemp -d /tmp/postfork-syscalls.XXXXXX)"
root=""
cleanup() {
  [[ -n "$root" ]] && kill "$root" 2>/dev/null && wait "$root" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
if [[ "$kind" == nginx ]]; then
  cat >"$tmp/nginx.conf" <<EOC
worker_processes 2;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy; fastcgi_temp_path $tmp/fcgi;
  uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location / { default_type text/plain; return 200 "Hello, World!\\n"; }
  }
}
EOC
  nginx -c "$tmp/nginx.conf" -p "$tmp" >/dev/null 2>&1 &
else
  "$binary" --bind "127.0.0.1:$port" --workers 2 >"$tmp/server.log" 2>&1 &
fi
root=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
sleep 0.3
workers="$(pgrep -P "$root" | paste -sd,)"
wrk -t2 -c64 -d1s "http://127.0.0.1:$port/" >/dev/null  # warm-up
perf stat -o "$tmp/perf.txt" -p "$workers" \
  -e task-clock,context-switches \
  -e syscalls:sys_enter_recvfrom -e syscalls:sys_exit_recvfrom --filter 'ret == -11' \
  -e syscalls:sys_enter_sendmsg -e syscalls:sys_enter_writev -e syscalls:sys_enter_epoll_wait \
  -e syscalls:sys_enter_epoll_ctl -e raw_syscalls:sys_enter -- sleep $((seconds + 1)) &
perf_pid=$!
sleep 0.5
out="$(wrk -t2 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$port/")"
wait "$perf_pid"
requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")"
echo "$kind: $(grep Requests/sec <<<"$out" | tr -s ' '), p99 $(awk '$1 == "99%" {print $2}' <<<"$out"), $requests requests"
# sys_exit_recvfrom counts only the reads that failed with EAGAIN (the filter).
awk -v r="$requests" '/task-clock|context-switches|sys_e/ {
  gsub(",", "", $1)
  name = $2
  if (name == "msec") name = "task-clock ms"
  else if (name == "syscalls:sys_exit_recvfrom") name = "recvfrom (EAGAIN)"
  else if (name == "raw_syscalls:sys_enter") name = "all system calls"
  else sub("syscalls:sys_enter_", "", name)
  printf "  %-20s %8.4f per request\n", name, $1 / r
}' "$tmp/perf.txt"
