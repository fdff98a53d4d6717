#!/usr/bin/env bash
# Starts a release postfork-node pinned to one core, runs the load generator (64 in flight) on
# another, and prints ops/s, latency percentiles and node CPU per operation.
# Usage: [NODE_ARGS="--request-threads 0"] bench/node/run_load.sh [build dir, default
#        build/node-front-rel] [seconds per phase] [load generator arguments, e.g. --only insert]
set -euo pipefail
build="${1:-build/node-front-rel}"
seconds="${2:-5}"
shift $(( $# < 2 ? $# : 2 ))
source "$(dirname "$0")/start_node.sh"
start_node 50 taskset -c 0
taskset -c 1 "$build/bench/node/node_load_generator" --port "$node_port" --node-pid "$node_pid" \
  --in-flight 64 --connections 4 --seconds "$seconds" "$@"
