# Sourced by the node benches, and by the seed and server benches for node_cql_port.
# `start_node TENTHS [PREFIX...]` starts $build/apps/node/postfork-node
# behind the command PREFIX (taskset, valgrind; may be empty) with $NODE_ARGS, on a free port and
# a data dir under $node_data (made here unless the caller made it); waits up to TENTHS tenths of
# a second for it to be ready; and sets node_pid and node_port. An EXIT trap stops the node and
# removes $node_data.
start_node() {
  local tenths="$1"; shift
  : "${node_data:=$(mktemp -d /tmp/postfork-node-bench.XXXXXX)}"
  local log="$node_data/node.log"
  "$@" "$build/apps/node/postfork-node" ${NODE_ARGS:-} --port 0 --data-dir "$node_data/db" \
    >"$log" 2>&1 &
  node_pid=$!
  trap 'kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; rm -rf "$node_data"' EXIT
  node_port="$(node_cql_port "$log" "$tenths")"
}

# `node_cql_port LOG TENTHS` waits up to TENTHS tenths of a second for the postfork-node writing
# LOG to be ready and prints its CQL port (the ready line's "CQL clients on HOST:PORT"; an admin
# address may follow it). A node that is not ready by then: its log on stderr, and exit 1.
node_cql_port() {
  local log="$1" tenths="$2" port
  for _ in $(seq "$tenths"); do
    grep -q "ready" "$log" && break
    sleep 0.1
  done
  port="$(sed -n 's/.*CQL clients on [^ ]*:\([0-9]*\).*/\1/p' "$log" | head -1)"
  [ -n "$port" ] || { echo "postfork-node did not start; its log:" >&2; cat "$log" >&2; exit 1; }
  echo "$port"
}

# `write_stalls` prints the write stalls RocksDB logged in $node_data/db/LOG by cause, one
# "write stalls: COUNT CAUSE" line each (numbers in a cause shown as N), then the most level-0
# files a stall line named ("most level-0 files in a stall line: N", 0 when none did).
write_stalls() {
  local log="$node_data/db/LOG"
  grep -h -o -E "(Stalling|Stopping) writes because [a-z ]*[0-9]+ [a-z0-9 -]*" "$log" 2>/dev/null |
    sed -E 's/level-0/level-Z/; s/[0-9]+/N/g; s/level-Z/level-0/; s/ +$//' | sort | uniq -c |
    sed -E 's/^ *([0-9]+) /write stalls: \1 /' || true
  echo "most level-0 files in a stall line: $(grep -h -o -E 'have [0-9]+ level-0' "$log" \
    2>/dev/null | awk '$2 > m {m = $2} END {print m + 0}')"
}
