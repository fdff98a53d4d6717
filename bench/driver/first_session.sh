#!/bin/sh
# The first CQL session side by side (see first_session.py): postfork forked worker and fresh
# process, python3-cassandra, npm cassandra-driver, gocql, the in-process warm loop and the
# seed's worker start, on one postfork-node in one run. Builds the Release binaries first.
#   bench/driver/first_session.sh [--workers 50] [--starts 21] [--skip python,node,gocql,seed]
set -e
cd "$(dirname "$0")/../.."
if [ ! -d build/rel ]; then
  cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/rel --target postfork-node postfork-cql postfork-seed driver_bench -j2 >/dev/null
exec /usr/bin/python3 bench/driver/first_session.py --build build/rel "$@"
