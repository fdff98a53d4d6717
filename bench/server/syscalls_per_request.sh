#!/usr/bin/env bash
# System calls, CPU and context switches per keep-alive request of a server's workers under wrk:
# one `perf stat` with syscall tracepoints per worker (not the master) while
# `wrk -t2 -c64 --latency` runs on loopback, each count summed over the workers and divided by
# the requests wrk counted. The servers, 2 workers each:
#   hello  postfork-hello
#   nginx  its peer, bench/server/nginx-hello.conf (`return 200`)
#   seed   postfork-seed's GET / (100 rows through the worker's CQL session) against a fresh
#          postfork-node
# Beside the totals it splits them by what they serve: the HTTP sockets' epoll set (waits that
# return a batch of ready connections; requests per batch), the CQL sockets (driver writes and
# reads: CQL frames per system call), the waits that return nothing, and the workers' user and
# system CPU (from /proc). Counts per request repeat on a loaded machine; the context switches,
# CPU and req/s move with the load.
# Usage: bench/server/syscalls_per_request.sh hello <postfork-hello binary> [seconds, default 5]
#        bench/server/syscalls_per_request.sh nginx [seconds, default 5]
#        bench/server/syscalls_per_request.sh seed <postfork-seed> <postfork-node> [seconds]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../node/start_node.sh"  # node_cql_port
kind="$1"
shift
case "$kind" in
  hello) binary="$1"; shift ;;
  seed) binary="$1"; node="$2"; shift 2 ;;
  nginx) ;;
  *) echo "unknown server $kind" >&2; exit 2 ;;
esac
seconds="${1:-5}"
tmp="$(mktemp -d /tmp/postfork-syscalls.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
cql_port=0
case "$kind" in
  nginx)
    sed -e "s|@WORKERS@|2|; s|@DIR@|$tmp|g; s|@PORT@|$port|" "$here/nginx-hello.conf" >"$tmp/nginx.conf"
    nginx -c "$tmp/nginx.conf" -p "$tmp" >/dev/null 2>&1 &
    ;;
  hello)
    "$binary" --bind "127.0.0.1:$port" --workers 2 >"$tmp/server.log" 2>&1 &
    ;;
  seed)
    "$node" --port 0 --data-dir "$tmp/node" >"$tmp/node.log" 2>&1 &
    pids+=($!)
    cql_port="$(node_cql_port "$tmp/node.log" 300)"
    "$binary" --bind "127.0.0.1:$port" --workers 2 --contact-points 127.0.0.1 \
      --cql-port "$cql_port" --sample-rows 100 --preload >"$tmp/server.log" 2>&1 &
    ;;
esac
root=$!
pids+=("$root")
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
sleep 0.3
workers=($(pgrep -P "$root"))
wrk -t2 -c64 -d1s "http://127.0.0.1:$port/" >/dev/null  # warm-up: every connection is open

# A worker's descriptors by role: "epoll <fd>" for the epoll set of its HTTP connections (in
# postfork the set nested in Asio's epoll, in nginx its one epoll), "cql <fd>" for a socket
# connected to the node's CQL port.
roles() {
  /usr/bin/python3 - "$1" "$cql_port" <<'PY'
import os, sys
pid, cql_port = sys.argv[1], int(sys.argv[2])
inode_fd, fd_kind = {}, {}
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    fd_kind[int(fd)] = target
    if target.startswith("socket:["):
        inode_fd[target[8:-1]] = int(fd)
cql = []
for table in ("tcp", "tcp6"):
    for line in open(f"/proc/{pid}/net/{table}").readlines()[1:]:
        f = line.split()
        remote, state, inode = int(f[2].split(":")[1], 16), f[3], f[9]
        if inode not in inode_fd:
            continue
        if state != "0A" and remote == cql_port and cql_port:
            cql.append(inode_fd[inode])
epolls = {fd: [int(l.split()[1]) for l in open(f"/proc/{pid}/fdinfo/{fd}") if l.startswith("tfd:")]
          for fd, target in fd_kind.items() if target == "anon_inode:[eventpoll]"}
nested = {t for watched in epolls.values() for t in watched if t in epolls}
# postfork's HTTP set is nested in Asio's epoll; nginx has one epoll per worker.
for fd in (nested if nested else epolls):
    print("epoll", fd)
for fd in cql:
    print("cql", fd)
PY
}
fd_filter() {  # fd_filter FIELD fd... -> "FIELD == a || FIELD == b"
  local field="$1" out="" fd
  shift
  for fd in "$@"; do out+="${out:+ || }$field == $fd"; done
  echo "${out:-$field == 999999}"
}
perf_pids=()
for w in "${workers[@]}"; do
  mapfile -t r < <(roles "$w")
  epolls=() cqls=()
  for line in "${r[@]}"; do
    set -- $line
    if [[ $1 == epoll ]]; then epolls+=("$2"); else cqls+=("$2"); fi
  done
  perf stat -x, -o "$tmp/perf.$w" -p "$w" \
    -e task-clock,context-switches -e raw_syscalls:sys_enter \
    -e syscalls:sys_enter_epoll_wait -e syscalls:sys_exit_epoll_wait --filter 'ret == 0' \
    -e syscalls:sys_enter_epoll_wait --filter "$(fd_filter epfd "${epolls[@]}")" \
    -e syscalls:sys_enter_epoll_ctl \
    -e syscalls:sys_enter_recvfrom -e syscalls:sys_exit_recvfrom --filter 'ret == -11' \
    -e syscalls:sys_enter_recvfrom --filter "$(fd_filter fd "${cqls[@]}")" \
    -e syscalls:sys_enter_sendto --filter "$(fd_filter fd "${cqls[@]}")" \
    -e syscalls:sys_enter_sendmsg -e syscalls:sys_enter_writev -e syscalls:sys_enter_sendto \
    -e syscalls:sys_enter_timerfd_settime -e syscalls:sys_enter_read -e syscalls:sys_enter_write \
    -- sleep $((seconds + 1)) &
  perf_pids+=($!)
done
stat_before="$(for w in "${workers[@]}"; do cut -d' ' -f14,15 "/proc/$w/stat"; done)"
sleep 0.5
out="$(wrk -t2 -c64 -d"${seconds}s" --latency "http://127.0.0.1:$port/")"
stat_after="$(for w in "${workers[@]}"; do cut -d' ' -f14,15 "/proc/$w/stat"; done)"
for p in "${perf_pids[@]}"; do wait "$p"; done
requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")"
echo "$kind: $(grep Requests/sec <<<"$out" | tr -s ' '), p99 $(awk '$1 == "99%" {print $2}' <<<"$out"), $requests requests"
# /proc utime and stime, in clock ticks, over wrk's run (perf's task-clock spans its sleep).
hz="$(getconf CLK_TCK)"
paste <(echo "$stat_before") <(echo "$stat_after") | awk -v r="$requests" -v hz="$hz" '
  { u += $3 - $1; s += $4 - $2 }
  END { printf "  %-26s %8.2f user + %.2f system = %.2f\n", "CPU us per request", u / hz * 1e6 / r,
        s / hz * 1e6 / r, (u + s) / hz * 1e6 / r }'
# perf -x, lines: count,unit,event,...,filter is not printed: the events are in the order given.
cat "$tmp"/perf.* | /usr/bin/python3 -c '
import sys
r = int(sys.argv[1])
names = ["task-clock ms", "context switches", "all system calls", "epoll_wait",
         "epoll_wait returning 0", "epoll_wait on HTTP set", "epoll_ctl", "recvfrom",
         "recvfrom EAGAIN", "recvfrom on CQL", "sendto on CQL", "sendmsg", "writev", "sendto",
         "timerfd_settime", "read", "write"]
totals = {}
i = 0
for line in sys.stdin:
    if not line.strip() or line.startswith("#"):
        continue
    f = line.split(",")
    totals[i % len(names)] = totals.get(i % len(names), 0) + float(f[0] or 0)
    i += 1
for k, name in enumerate(names):
    v = totals.get(k, 0)
    if name == "task-clock ms":
        continue
    print("  %-26s %8.4f per request" % (name, v / r))
def per(a, b):
    return "%.2f" % (totals[a] / totals[b]) if totals.get(b) else "-"
print("  %-26s %8s" % ("requests per HTTP batch", "%.2f" % (r / totals[5]) if totals.get(5) else "-"))
if totals.get(9):
    print("  %-26s %8s" % ("CQL frames per write", "%.2f" % (r / totals[10]) if totals.get(10) else "-"))
    print("  %-26s %8s" % ("CQL frames per recvfrom", "%.2f" % (r / totals[9])))
' "$requests"
