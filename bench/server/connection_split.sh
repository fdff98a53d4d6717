#!/usr/bin/env bash
# How wrk's keep-alive connections are spread over a server's 2 workers, over several bursts:
# one server is started, then N runs of `wrk -t2 -c64 -d1s` each open 64 connections at once,
# and 0.5 s into each run `ss -tnp` counts the established connections each worker holds.
# Prints one "fewer/more:req/s" per run ("64" when one worker holds all of them). The spread
# repeats from run to run on a loaded machine better than req/s does; on 2 cores shared with wrk
# a worker holding most connections serves most requests on one core.
# Usage: bench/server/connection_split.sh hello <postfork-hello binary> [runs, default 12]
#        bench/server/connection_split.sh nginx [runs, default 12]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kind="$1"
shift
case "$kind" in
  hello) binary="$1"; shift ;;
  nginx) ;;
  *) echo "unknown server $kind" >&2; exit 2 ;;
esac
runs="${1:-12}"
tmp="$(mktemp -d /tmp/postfork-split.XXXXXX)"
root=""
cleanup() {
  if [[ -n $root ]]; then kill "$root" 2>/dev/null || true; wait "$root" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
if [[ $kind == nginx ]]; then
  sed -e "s|@WORKERS@|2|; s|@DIR@|$tmp|g; s|@PORT@|$port|" "$here/nginx-hello.conf" >"$tmp/nginx.conf"
  nginx -c "$tmp/nginx.conf" -p "$tmp" >/dev/null 2>&1 &
else
  "$binary" --bind "127.0.0.1:$port" --workers 2 >"$tmp/server.log" 2>&1 &
fi
root=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
line=""
for _ in $(seq "$runs"); do
  wrk -t2 -c64 -d1s "http://127.0.0.1:$port/" >"$tmp/wrk.out" &
  w=$!
  sleep 0.5
  split="$(ss -tnpH state established "( sport = :$port )" | grep -o 'pid=[0-9]*' | sort | uniq -c |
    awk '{print $1}' | sort -n | paste -sd/ || true)"
  wait "$w"
  line+="${split:--}:$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$tmp/wrk.out") "
done
echo "$kind ${line% }"
