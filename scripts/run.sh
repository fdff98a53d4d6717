#!/usr/bin/env bash
# The main job: installs what is missing, builds postfork (Release, in build/release), starts the
# embedded postfork-node (data in ./data/node, reused on the next run) and the seed service on
# http://127.0.0.1:8080 with one worker per core, each opening its CQL session after fork from
# the master's warm-up snapshot. Ctrl-C stops the service and the node.
#   scripts/run.sh [--data-dir DIR] [--contact-points H[,H]] [--cql-port P] [--bind HOST:PORT]
#                  [-- extra postfork-seed flags]
# With --contact-points it uses that Cassandra/ScyllaDB cluster and starts no node.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# ccache (installed by install-deps.sh) keyed relative to this checkout, as scripts/test.sh does.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
case "${1:-}" in
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

echo "== [1/3] dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh
echo "== [2/3] build (Release, build/release)"
mkdir -p build
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >build/release-configure.log 2>&1 \
  || { cat build/release-configure.log; exit 1; }
cmake --build build/release -j"$(nproc)" --target postfork-node postfork-seed postfork-cql
echo "== [3/3] seed service"
exec bash apps/seed/run-seed.sh --build-dir build/release "$@"
