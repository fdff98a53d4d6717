#!/usr/bin/env bash
# The insert phase of run_load.sh (node on core 0, load generator on core 1, 64 in flight) with
# latency per 100 ms window (node_load_generator --timeline-ms 100) beside 20 ms samples of the
# node's CPU ticks: all threads, RocksDB's background threads (rocksdb:*), and core 0 in all.
# timeline_report.py then sorts the windows by whether a flush or compaction ran in them and
# whether other processes took core 0, and counts RocksDB's write-stall warnings in its LOG.
# AUTOGROUP=-20 (root) starts the node and the load generator each in a session of its own and
# gives both autogroups that nice value, so other sessions' processes on a loaded machine take
# little of their cores (nice values of threads then compare within the node's own autogroup).
# BG=idle puts RocksDB's threads in SCHED_IDLE at the start (chrt). GENERATOR: a load
# generator with --timeline-ms, for a BUILD_DIR whose own has none.
# Usage: [NODE_ARGS=...] [AUTOGROUP=-20] [BG=idle] [GENERATOR=...] bench/node/timeline.sh BUILD_DIR SECONDS OUT_PREFIX
set -euo pipefail
build="$1"; seconds="$2"; out="$3"
here="$(dirname "$0")"
prefix=(); [ -n "${AUTOGROUP:-}" ] && prefix=(setsid)
source "$here/start_node.sh"
start_node 50 "${prefix[@]}" taskset -c 0
[ -n "${AUTOGROUP:-}" ] && echo "$AUTOGROUP" > /proc/"$node_pid"/autogroup
if [ "${BG:-}" = idle ]; then
  for t in /proc/"$node_pid"/task/*; do
    case "$(cat "$t/comm")" in rocksdb*) chrt -i -p 0 "$(basename "$t")" ;; esac
  done
fi
python3 "$here/timeline_sampler.py" "$node_pid" 20 > "$out.samples" &
sampler=$!
"${prefix[@]}" taskset -c 1 "${GENERATOR:-$build/bench/node/node_load_generator}" --port "$node_port" \
  --node-pid "$node_pid" --in-flight 64 --connections 4 --seconds "$seconds" --only insert \
  --timeline-ms 100 > "$out.timeline" &
generator=$!
sleep 0.05; [ -n "${AUTOGROUP:-}" ] && echo "$AUTOGROUP" > /proc/"$generator"/autogroup
wait "$generator"
kill "$sampler" 2>/dev/null || true
grep -i "stopping writes\|stalling writes" "$node_data/db/LOG" > "$out.stall_lines" || true
wc -l < "$out.stall_lines" > "$out.stalls"
python3 "$here/timeline_report.py" "$out"
