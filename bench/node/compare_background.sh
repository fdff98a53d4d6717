#!/usr/bin/env bash
# The background threads' priority compared: for each round, each bench, each setting in turn
# (so the settings of one bench run next to each other), the node started with
# `--background-nice SETTING` and the bench run; one summary line per run, labelled with the load
# average before it, and each run's whole output kept in OUT_DIR. Benches (BENCHES, in order):
#   reads_with_writes  run_reads_with_writes.sh for RW_SECONDS (default 60): writes while reads
#                      saturate the node's core; writes/s, 2 s windows with no write completed,
#                      the longest write, reads/s
#   long_insert        run_long_insert.sh for INSERT_SECONDS (default 60): saturated writes;
#                      ops/s, p99, completions per second
#   burst              run_burst.sh for BURST_SECONDS (default 5): reads right after a write
#                      burst; INSERT ops/s and p99, SELECT and pk_read p99 and p999 (PERF=1 adds
#                      the scheduler's record, see run_burst.sh)
# Every run also samples, each second, the SST files in the node's data directory (a compaction
# that falls behind leaves one more per flush) and prints their most, and the write stalls
# RocksDB logged by cause with the most level-0 files a stall line named (start_node.sh's
# write_stalls).
# Needs root (run_burst.sh and run_long_insert.sh give their processes autogroup nice -20).
# Usage: [BENCHES="reads_with_writes long_insert burst"] [ROUNDS=3] [OUT_DIR=...]
#        bench/node/compare_background.sh BUILD_DIR SETTING... (e.g. 19 idle 19,idle)
set -euo pipefail
build="$1"; shift
[ "$#" -ge 1 ] || { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
benches="${BENCHES:-reads_with_writes long_insert burst}"
rounds="${ROUNDS:-3}"
out="${OUT_DIR:-$(mktemp -d /tmp/postfork-compare-background.XXXXXX)}"
mkdir -p "$out"
echo "build $build, settings: $*; rounds $rounds; full outputs in $out"

# `sample DIR STATS` until DIR goes away: the most SST files seen in DIR/db, written to STATS.
sample() {
  local dir="$1" stats="$2" most=0 n
  while [ -d "$dir" ]; do
    n="$(find "$dir/db" -maxdepth 1 -name '*.sst' 2>/dev/null | wc -l || true)"
    [ "$n" -gt "$most" ] && most="$n" && echo "$most" > "$stats"
    sleep 1
  done
}

summarize() {
  local bench="$1" log="$2"
  case "$bench" in
    reads_with_writes)
      awk '/^insert / {w = $2; p99 = $4}
           /^timeline insert / {n++; c[n] = $5; if ($7 > max) max = $7}
           /^select / {r = $2; rp999 = $5}
           END {empty = 0; for (i = 1; i < n; i++) if (c[i] == 0) empty++
                printf "writes %d/s p99 %.1f ms, empty 2s windows %d, longest write %.1f s; reads %d/s p999 %.1f ms",
                       w, p99 / 1000, empty, max / 1e6, r, rp999 / 1000}' "$log" ;;
    long_insert)
      awk '/^insert / {printf "insert %d/s p99 %.1f ms", $2, $4 / 1000}
           /^completions per second/ {sub(/completions per second: /, ""); printf ", per s: %s", $0}' "$log" ;;
    burst)
      awk '/^insert / {printf "insert %d/s p99 %.2f ms", $2, $4 / 1000}
           /^(select|pk_read) / {printf "; %s p99 %.2f p999 %.2f ms", $1, $4 / 1000, $5 / 1000}' "$log" ;;
  esac
}

for round in $(seq "$rounds"); do
  for bench in $benches; do
    for setting in "$@"; do
      run="$out/$round.$bench.${setting//,/_}"
      load="$(cut -d' ' -f1-3 /proc/loadavg)"
      export node_data="$run.data"
      mkdir -p "$node_data"
      sample "$node_data" "$run.stats" &
      sampler=$!
      case "$bench" in
        reads_with_writes) cmd=("$here/run_reads_with_writes.sh" "$build" "${RW_SECONDS:-60}") ;;
        long_insert) cmd=("$here/run_long_insert.sh" "$build" "${INSERT_SECONDS:-60}") ;;
        burst) cmd=("$here/run_burst.sh" "$build" "${BURST_SECONDS:-5}") ;;
        *) echo "unknown bench $bench" >&2; exit 2 ;;
      esac
      NODE_ARGS="${NODE_ARGS:-} --background-nice $setting" "${cmd[@]}" > "$run.out" 2>&1 ||
        echo "(exit $?)" >> "$run.out"
      wait "$sampler" 2>/dev/null || true
      stalls="$(sed -n -E 's/^write stalls: ([0-9]+) (Stalling|Stopping) writes because (we have )?/\1 \2 /p
                          s/^most level-0 files in a stall line: /L0 max /p
                          s/^\(exit/(exit/p' "$run.out" | paste -sd',' - | sed 's/,/, /g')"
      printf '%s %-17s %-8s load %s | %s | SST max %s | stalls: %s\n' "$(date -u +%H:%M:%S)" \
        "$bench" "$setting" "$load" "$(summarize "$bench" "$run.out")" \
        "$(cat "$run.stats" 2>/dev/null || echo 0)" "${stalls:-none}"
    done
  done
done
