#!/usr/bin/env bash
# Session-ready time and throughput of the postfork driver vs the DataStax python driver
# (Debian's python3-cassandra), on the same postfork-node, in the same run.
#   bench/driver/session_ready.sh [build-dir]      (default build/driver-rel, a Release build)
# Needs targets postfork-node and driver_bench built in that directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build/driver-rel}"
node_bin="$build/apps/node/postfork-node"
bench_bin="$build/bench/driver/driver_bench"
cql="$build/tools/postfork-cql"
data="$(mktemp -d /tmp/postfork-driver-bench-XXXXXX)"
log="$data/node.log"
"$node_bin" --listen 127.0.0.1 --port 0 --data-dir "$data/db" >"$log" 2>&1 &
node_pid=$!
trap 'kill $node_pid 2>/dev/null; wait $node_pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do
  grep -q "listening for CQL clients" "$log" && break
  sleep 0.1
done
port="$(grep -o 'on 127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2)"
[ -n "$port" ] || { cat "$log"; exit 1; }

{
  echo "CREATE KEYSPACE ks1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};"
  echo "CREATE TABLE ks1.t0 (k int PRIMARY KEY, v text);"
  echo "CREATE KEYSPACE ks1000 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};"
  for i in $(seq 0 999); do echo "CREATE TABLE ks1000.t$i (k int PRIMARY KEY, a int, b text, c bigint);"; done
} >"$data/schema.cql"
"$cql" --port "$port" -f "$data/schema.cql" >/dev/null

for ks in ks1 ks1000; do
  echo "== keyspace $ks ($([ $ks = ks1 ] && echo 1 || echo 1000) tables)"
  ours="$("$bench_bin" ready --port "$port" --keyspace "$ks" --iterations "${ITERATIONS:-300}")"
  py="$(/usr/bin/python3 "$root/bench/driver/python_connect.py" --port "$port" --keyspace "$ks" \
        --iterations "${PY_ITERATIONS:-20}")"
  echo "$ours"; echo "$py"
  /usr/bin/python3 - "$ours" "$py" <<'PY'
import sys
d = {}
for block in sys.argv[1:]:
    for line in block.splitlines():
        k, v = line.split()
        d[k] = float(v)
print("ratio_cold_p50 %.1fx" % (d["python_p50_ms"] / d["cold_p50_ms"]))
print("ratio_snapshot_p50 %.1fx" % (d["python_p50_ms"] / d["snapshot_p50_ms"]))
PY
done
# Protocol v4 and v5 in turn, ROUNDS times (default 3), on the same node: medians compare.
for round in $(seq 1 "${ROUNDS:-3}"); do
  for proto in 4 5; do
    echo "== throughput round $round, protocol v$proto: prepared single-row SELECT, 256 in flight, one thread"
    "$bench_bin" throughput --port "$port" --keyspace ks1 --seconds "${SECONDS_TPUT:-5}" \
      --inflight 256 --protocol "$proto"
  done
done
