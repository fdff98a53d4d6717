#!/usr/bin/env bash
# A saturated write run: run_burst.sh's setup (node and load generator in autogroups of their
# own at nice -20, root), one insert phase of SECONDS, then its completions per second (the last,
# partial second left out) and RocksDB's write-stall lines: a flush starved for too long shows as
# seconds far under the median, and as many stall lines.
# Usage: [NODE_ARGS=...] bench/node/run_long_insert.sh BUILD_DIR SECONDS
set -euo pipefail
build="$1"; seconds="$2"
source "$(dirname "$0")/start_node.sh"
start_node 50 setsid taskset -c 0
echo -20 > /proc/"$node_pid"/autogroup
setsid taskset -c 1 "$build/bench/node/node_load_generator" --port "$node_port" \
  --node-pid "$node_pid" --in-flight 64 --connections 4 --seconds "$seconds" --only insert \
  --timeline-ms 1000 > "$node_data/generator.out" &
generator=$!
sleep 0.05; echo -20 > /proc/"$generator"/autogroup
wait "$generator"
grep "^insert" "$node_data/generator.out"
grep "^timeline" "$node_data/generator.out" | head -n -1 | awk '{print $5}' | sort -n |
  awk '{n[NR] = $1} END {
    m = n[int(NR / 2) + 1]; low = 0
    for (i = 1; i <= NR; i++) if (n[i] < m / 2) low++
    printf "completions per second: min %d, median %d, max %d; seconds under half the median: %d\n",
      n[1], m, n[NR], low }'
echo "write-stall lines: $(grep -ci 'stopping writes\|stalling writes' "$node_data/db/LOG" || true)"
write_stalls
