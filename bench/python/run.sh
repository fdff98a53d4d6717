#!/bin/sh
# The Python package's bench (bench/python/bench.py): Release postfork-node in build/rel, the
# package installed by scripts/build-python.sh.
#   bench/python/run.sh [--trials N] [--workers N] [--seconds S] [--reads N] [--only ready|http|reads]
set -e
cd "$(dirname "$0")/../.."
if [ ! -d build/rel ]; then
  cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/rel --target postfork-node -j2 >/dev/null
bash scripts/build-python.sh
POSTFORK_NODE="$PWD/build/rel/apps/node/postfork-node" exec build/python-venv/bin/python bench/python/bench.py "$@"
