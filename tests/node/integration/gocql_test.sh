#!/usr/bin/env bash
# Builds the gocql test program against Debian's gocql (GOPATH mode, offline) and runs it.
# Usage: gocql_test.sh <postfork-node> <work dir for the Go build>
set -euo pipefail
node_binary="$(realpath "$1")"
mkdir -p "$2/gopath" "$2/gocache"
work="$(cd "$2" && pwd)"  # GOPATH entries must be absolute
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GO111MODULE=off GOFLAGS= GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/gocache" \
  go build -o "$work/gocql_driver_test" "$here/gocql/main.go"
exec "$work/gocql_driver_test" "$node_binary"
