#!/usr/bin/env bash
# Worker instructions per request under callgrind: a release postfork-node, and postfork-seed
# with one worker under `valgrind --tool=callgrind`; the worker's counters are zeroed after a
# warm-up, `wrk` sends requests to PATH for SECONDS, and the worker's instructions (user space:
# HTTP parse, driver, JSON, response write; not the kernel's socket work) are divided by the
# requests wrk counted. Instruction counts repeat from run to run on a busy machine; req/s under
# valgrind mean nothing. The same script measures postfork-hello (`HELLO=1`, path /) and, as its
# peer, nginx's worker answering `return 200` with the same body (`PEER=nginx`; Debian's nginx,
# bench/server/nginx-hello.conf with one worker). It also counts the worker's heap allocations
# per request (calls into malloc and its kin, from the same dump).
# Usage: bench/seed/worker_callgrind.sh [build dir, default build/rel] [path, default /]
#        [seconds, default 5]
set -euo pipefail
source "$(dirname "$0")/../node/start_node.sh"  # node_cql_port
build="${1:-build/rel}"
path="${2:-/}"
seconds="${3:-5}"
tmp="$(mktemp -d /tmp/postfork-worker-callgrind.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n "${KEEP:-}" ]] || rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"
if [[ "${PEER:-}" == nginx ]]; then
  mkdir -p "$tmp/nginx"
  # One worker, kept as root: it keeps the owner valgrind's control pipe has.
  { echo "user root;"
    sed -e "s|@WORKERS@|1|; s|@DIR@|$tmp/nginx|g; s|@PORT@|$http_port|" \
      "$(dirname "$0")/../server/nginx-hello.conf"; } >"$tmp/nginx/nginx.conf"
  server=(nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx")
elif [[ -n "${HELLO:-}" ]]; then
  server=("$build/apps/hello/postfork-hello" --bind "127.0.0.1:$http_port" --workers 1)
else
  "$build/apps/node/postfork-node" --port 0 --data-dir "$tmp/node" >"$tmp/node.log" 2>&1 &
  pids+=($!)
  cql_port="$(node_cql_port "$tmp/node.log" 300)"
  server=("$build/apps/seed/postfork-seed" --bind "127.0.0.1:$http_port" --workers 1
          --contact-points 127.0.0.1 --cql-port "$cql_port" --sample-rows 100 --preload)
fi
valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$tmp/callgrind.%p" \
  "${server[@]}" >"$tmp/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do
  curl -sf -o /dev/null "http://127.0.0.1:$http_port$path" && break
  sleep 0.2
done
worker="$(pgrep -P "${pids[-1]}" | head -1)"
wrk -t1 -c4 -d2s "http://127.0.0.1:$http_port$path" >/dev/null  # warm-up
callgrind_control -z "$worker" >/dev/null
out="$(wrk -t1 -c4 -d"${seconds}s" "http://127.0.0.1:$http_port$path")"
callgrind_control -d "$worker" >/dev/null
requests="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")"
sleep 1
dump="$(ls -t "$tmp"/callgrind."$worker".* | head -1)"
instr="$(sed -n 's/^summary: *//p' "$dump")"
echo "requests $requests, worker instructions $instr, per request $((instr / requests))"
# Heap allocations: calls into glibc's malloc, calloc, realloc and its memalign family (what
# operator new and Asio's aligned allocations end in), from the dump's call counts.
/usr/bin/python3 - "$dump" "$requests" <<'PY'
import re, sys
names, calls, target = {}, 0, None
# glibc's memalign hands small alignments to malloc and larger ones to _int_memalign.
alloc = re.compile(r"(malloc|calloc|realloc|_int_memalign)$")
for line in open(sys.argv[1], errors="replace"):
    # Function names are compressed: "(id) name" the first time, in fn= or cfn= lines.
    m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
    if m and m.group(2):
        names[m.group(1)] = m.group(2)
    if line.startswith("cfn="):
        target = names.get(m.group(1), "")
    elif line.startswith("calls=") and target is not None:
        if alloc.match(target):
            calls += int(line[6:].split()[0])
        target = None
print("heap allocations %d, per request %.2f" % (calls, calls / int(sys.argv[2])))
PY
[[ -n "${KEEP:-}" ]] && echo "callgrind dump: $dump"
exit 0
