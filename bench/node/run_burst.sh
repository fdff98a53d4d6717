#!/usr/bin/env bash
# Reads right after a write burst, on a loaded machine: run_load.sh's setup (node on core 0, load
# generator on core 1, 64 in flight over 4 connections) with the node and each load generator in
# a session of their own whose autogroup gets nice -20 (root), so other sessions take little of
# their cores; then an insert phase, and select and pk_read right after it on the same node.
# Prints the generator's lines and RocksDB's write-stall lines counted in its LOG.
# PERF=1 also records the scheduler's switches and wakeups on every CPU during the reads and
# prints, from sched_waits.py, how long the node's threads waited for core 0 and after what.
# Usage: [NODE_ARGS=...] [PERF=1] bench/node/run_burst.sh BUILD_DIR SECONDS [generator args...]
set -euo pipefail
build="$1"; seconds="$2"; shift 2
here="$(dirname "$0")"
source "$here/start_node.sh"
start_node 50 setsid taskset -c 0
echo -20 > /proc/"$node_pid"/autogroup
generate() {
  setsid taskset -c 1 "$build/bench/node/node_load_generator" --port "$node_port" \
    --node-pid "$node_pid" --in-flight 64 --connections 4 --seconds "$seconds" "$@" &
  local generator=$!
  sleep 0.05; echo -20 > /proc/"$generator"/autogroup 2>/dev/null || true
  wait "$generator"
}
generate --only insert "$@"
if [ -n "${PERF:-}" ]; then
  perf record -q -a -e sched:sched_switch -e sched:sched_waking -o "$node_data/perf.data" \
    2>/dev/null &
  perf_pid=$!
  sleep 0.3
fi
generate --only select,pk_read "$@" | grep -v "^op "
if [ -n "${PERF:-}" ]; then
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  perf script -i "$node_data/perf.data" 2>/dev/null > "$node_data/perf.txt"
  python3 "$here/sched_waits.py" "$node_data/perf.txt" "$node_pid"
fi
echo "write-stall lines: $(grep -ci 'stopping writes\|stalling writes' "$node_data/db/LOG" || true)"
write_stalls
