#!/usr/bin/env bash
# Writes while reads saturate the node's core: a release postfork-node pinned to core 0, 64
# prepared SELECTs in flight from one load generator and a light writer (8 INSERTs of 2 KB
# values in flight) from another, both on core 1. Prints the writer's completions, p99 and
# longest wait per 2 s window (a window with none: writes stopped), the reads' summary, and the
# write stalls RocksDB logged by cause. Shows what --background-nice leaves flushes and
# compactions under reads. As run_burst.sh, the node and each load generator run in a session of
# their own whose autogroup gets nice -20 (root), so other sessions take little of their cores.
# Usage: [NODE_ARGS="--background-nice idle"] bench/node/run_reads_with_writes.sh [build dir,
#        default build/rel] [seconds, default 40]
set -euo pipefail
build="${1:-build/rel}"
seconds="${2:-40}"
source "$(dirname "$0")/start_node.sh"
start_node 50 setsid taskset -c 0
echo -20 > /proc/"$node_pid"/autogroup
reads_log="$node_data/reads.log"
setsid taskset -c 1 "$build/bench/node/node_load_generator" --port "$node_port" --in-flight 64 \
  --connections 4 --seconds "$((seconds + 5))" --only select >"$reads_log" 2>&1 &
reads=$!
sleep 0.05; echo -20 > /proc/"$reads"/autogroup
sleep 1
setsid taskset -c 1 "$build/bench/node/node_load_generator" --port "$node_port" \
  --node-pid "$node_pid" --in-flight 8 --connections 1 --seconds "$seconds" --only insert \
  --value-size 2000 --timeline-ms 2000 &
writes=$!
sleep 0.05; echo -20 > /proc/"$writes"/autogroup
wait "$writes"
wait "$reads" || true
grep -E "^(op|select) " "$reads_log" || cat "$reads_log"
write_stalls
