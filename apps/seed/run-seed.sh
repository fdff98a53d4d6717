#!/bin/bash
# Runs the seed service: the embedded node (data in ./data/node or --data-dir), then postfork-seed
# on 127.0.0.1:8080 with one worker per core and the warm-up snapshot (--preload). Ctrl-C stops
# both. With --contact-points host[,host] it uses that cluster and starts no node.
#   apps/seed/run-seed.sh [--build-dir DIR] [--data-dir DIR] [--contact-points H[,H]]
#                         [--cql-port P] [--bind HOST:PORT] [-- extra postfork-seed flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/release
data=data/node
contact=""
cql_port=9042
bind=127.0.0.1:8080
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --data-dir) data=$2; shift 2 ;;
    --contact-points) contact=$2; shift 2 ;;
    --cql-port) cql_port=$2; shift 2 ;;
    --bind) bind=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
seed_bin=$build/apps/seed/postfork-seed
node_bin=$build/apps/node/postfork-node
for bin in "$seed_bin"; do
  [ -x "$bin" ] || { echo "missing $bin: build it first (cmake --build $build --target postfork-seed postfork-node)" >&2; exit 1; }
done

node_pid=""
seed_pid=""
cleanup() {
  trap - INT TERM EXIT
  [ -n "$seed_pid" ] && kill -TERM "$seed_pid" 2>/dev/null && wait "$seed_pid" 2>/dev/null || true
  [ -n "$node_pid" ] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
}
trap cleanup INT TERM EXIT

if [ -z "$contact" ]; then
  [ -x "$node_bin" ] || { echo "missing $node_bin" >&2; exit 1; }
  mkdir -p "$data"
  node_log=$(mktemp)
  "$node_bin" --listen 127.0.0.1 --port "$cql_port" --data-dir "$data" >"$node_log" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 300); do
    grep -q "ready: listening" "$node_log" && break
    kill -0 "$node_pid" 2>/dev/null || { cat "$node_log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "ready: listening" "$node_log" || { echo "node not ready after 30 s" >&2; cat "$node_log" >&2; exit 1; }
  echo "node: $(grep 'ready: listening' "$node_log") (data in $data)"
  rm -f "$node_log"
  contact=127.0.0.1
fi

"$seed_bin" --bind "$bind" --workers "$(nproc)" --preload --contact-points "$contact" \
  --cql-port "$cql_port" "$@" &
seed_pid=$!
url="http://$bind/"
for _ in $(seq 1 300); do
  curl -sf "${url}health" >/dev/null 2>&1 && break
  kill -0 "$seed_pid" 2>/dev/null || exit 1
  sleep 0.1
done
echo
echo "seed service: $url"
echo "  curl $url"
echo "  curl -X PUT --data 'hello' ${url}rows/mykey && curl ${url}rows/mykey"
echo "Ctrl-C stops the service and the node."
wait "$seed_pid"
