#!/usr/bin/env bash
# Node instructions per operation under callgrind: starts a release postfork-node under
# `valgrind --tool=callgrind`, runs the load generator's phases (counters zeroed before and
# dumped after each), and prints instructions/op beside the usual columns. Instruction counts
# repeat from run to run on a busy machine; ops/s and latency under valgrind mean nothing. 1000
# keys: before `select` the load generator writes each of them once to the table it reads, so
# every read finds one row of one merge operand in the memtable, whatever `insert` did. Each
# phase runs REQUESTS requests (default 1000) with fixed random keys, so that the memtable a phase
# finds is the same in every run (a point read's cost grows with the memtable's entries); with
# REQUESTS=0 the phases run for the given seconds instead.
# IN_FLIGHT / CONNECTIONS (default 64 / 4) set the load generator's concurrency; with IN_FLIGHT=1
# CONNECTIONS=1 every request pays one read and one write, the steadiest per-request figure.
# CALLGRIND_KEEP=DIR copies the per-phase dumps (callgrind.out.N, in phase order) to DIR for
# callgrind_annotate --inclusive=yes.
# Usage: [NODE_ARGS="--request-threads 0"] bench/node/callgrind_ops.sh [build dir, default
#        build/rel] [phases, default insert,select,scan100] [seconds per phase when REQUESTS=0,
#        default 3]
set -euo pipefail
build="${1:-build/rel}"
phases="${2:-insert,select,scan100}"
seconds="${3:-3}"
source "$(dirname "$0")/start_node.sh"
node_data="$(mktemp -d /tmp/postfork-node-callgrind.XXXXXX)"
start_node 600 valgrind --tool=callgrind --callgrind-out-file="$node_data/callgrind.out"
"$build/bench/node/node_load_generator" --port "$node_port" --node-pid "$node_pid" --in-flight ${IN_FLIGHT:-64} \
  --connections ${CONNECTIONS:-4} --seconds "$seconds" --keys 1000 --index-keys 0 --only "$phases" \
  --requests "${REQUESTS:-1000}" --seed 1 \
  --callgrind-out "$node_data/callgrind.out"
if [ -n "${CALLGRIND_KEEP:-}" ]; then mkdir -p "$CALLGRIND_KEEP" && cp "$node_data"/callgrind.out.* "$CALLGRIND_KEEP"/; fi
