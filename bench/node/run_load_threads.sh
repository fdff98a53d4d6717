#!/usr/bin/env bash
# run_load.sh's setup (node pinned to core 0, load generator on core 1, 64 in flight over 4
# connections), plus where core 0 went: the node's CPU ticks per thread over the load
# generator's run (/proc/PID/task/*/stat), the ticks core 0 and core 1 were busy in all (so the
# share other processes took of the node's core is known), and the load generator's own CPU.
# BG=idle puts the node's RocksDB threads (rocksdb:*) in SCHED_IDLE at the start (chrt; with
# NODE_ARGS="--background-nice 0", or the node sets them as that flag says at their first job).
# Extra arguments go to the load generator (e.g. --only insert).
# Usage: [NODE_ARGS=...] [BG=idle] bench/node/run_load_threads.sh BUILD_DIR SECONDS [generator args...]
set -euo pipefail
build="$1"; seconds="$2"; shift 2
source "$(dirname "$0")/start_node.sh"
start_node 50 taskset -c 0
if [ "${BG:-}" = idle ]; then
  for t in /proc/"$node_pid"/task/*; do
    case "$(cat "$t/comm")" in rocksdb*) chrt -i -p 0 "$(basename "$t")" ;; esac
  done
fi
ticks() {  # tid name ticks(user + system)
  for t in /proc/"$node_pid"/task/*; do
    echo "$(basename "$t") $(cat "$t/comm" | tr ' ' _) $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done | sort
}
cores() { awk '/^cpu[01] /{print $1, $2 + $3 + $4 + $7 + $8}' /proc/stat; }
before="$(ticks)"; cores_before="$(cores)"
/usr/bin/time -f "load generator CPU: %U s user, %S s system, %e s wall" taskset -c 1 \
  "$build/bench/node/node_load_generator" --port "$node_port" --node-pid "$node_pid" \
  --in-flight 64 --connections 4 --seconds "$seconds" "$@" 2>&1
after="$(ticks)"; cores_after="$(cores)"
join <(echo "$before") <(echo "$after") |
  awk '{ d = $5 - $3; if (d > 0) printf "node thread %-16s %6d ticks\n", $2, d }'
paste <(echo "$cores_before") <(echo "$cores_after") |
  awk '{ printf "%s busy %d ticks (every process)\n", $1, $4 - $2 }'
