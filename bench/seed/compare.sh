#!/bin/sh
# The seed comparison (see compare.py): postfork-seed vs the original uWSGI stack, both with
# per-worker sessions and per request. Builds the Release binaries in build/seed-rel first.
#   bench/seed/compare.sh [--workers N] [--seconds S] [--per-request-seconds S]
set -e
cd "$(dirname "$0")/../.."
if [ ! -d build/seed-rel ]; then
  cmake -S . -B build/seed-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOSTFORK_BENCH=OFF \
    -DPOSTFORK_TESTS=OFF >/dev/null
fi
cmake --build build/seed-rel --target postfork-seed postfork-node -j2 >/dev/null
exec /usr/bin/python3 bench/seed/compare.py "$@"
