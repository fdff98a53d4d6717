#!/usr/bin/env bash
# Starts a release postfork-node pinned to one core, runs the load generator (64 in flight) on
# another, and prints ops/s, latency percentiles and node CPU per operation.
# Usage: [NODE_ARGS="--request-threads 0"] bench/node/run_load.sh [build dir, default
#        build/node-front-rel] [seconds per phase]
set -euo pipefail
build="${1:-build/node-front-rel}"
seconds="${2:-5}"
data="$(mktemp -d /tmp/postfork-node-bench.XXXXXX)"
log="$data/node.log"
taskset -c 0 "$build/apps/node/postfork-node" ${NODE_ARGS:-} --port 0 --data-dir "$data/db" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  grep -q "ready" "$log" && break
  sleep 0.05
done
port="$(sed -n 's/.*on [^ ]*:\([0-9]*\).*/\1/p' "$log" | head -1)"
taskset -c 1 "$build/bench/node/node_load_generator" --port "$port" --node-pid "$pid" \
  --in-flight 64 --connections 4 --seconds "$seconds"
