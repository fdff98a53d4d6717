#!/usr/bin/env bash
# Splits the node's instructions per operation of the dumps callgrind_ops.sh kept
# (CALLGRIND_KEEP=DIR) into the request path's parts, from callgrind's inclusive costs. RocksDB's
# own counts move from run to run by a few percent (its memtable skiplist draws random node
# heights), and so does the total (timers and background work divided by the requests); the
# node's parts above RocksDB repeat to the instruction with REQUESTS and the seed fixed, so they
# are the figures to compare between builds.
# Usage: bench/node/callgrind_parts.sh DIR [requests per phase, default 1000]
set -euo pipefail
dir="$1"
requests="${2:-1000}"
for dump in "$dir"/callgrind.out.*; do
  phase="$(sed -n 's/^desc: Trigger: dump //p' "$dump")"
  annotated="$(callgrind_annotate --inclusive=yes --threshold=100 "$dump" 2>/dev/null)"
  # The first (largest) inclusive count of a function whose name contains $1, per request.
  per_op() {
      { grep -F -- "$1" <<<"$annotated" || true; } | head -1 | awk -v n="$requests" '{ gsub(",", "", $1); printf "%.0f", $1 / n }'
  }
  total="$(per_op "PROGRAM TOTALS")"
  execute="$(per_op "QueryProcessor::Execute(")"
  read="$(per_op "node::Storage::Read(")"
  apply="$(per_op "node::Storage::Apply(")"
  rocks_get="$(per_op "rocksdb::DBImpl::GetImpl(")"
  rocks_next="$(per_op "rocksdb::DBIter::Next()")"
  rocks_seek="$(per_op "rocksdb::DBIter::Seek(")"
  rocks_write="$(per_op "rocksdb::DBImpl::WriteImpl(")"
  echo "== $phase ($dump)"
  printf '  %-58s %9s\n' "total (all threads, background work included)" "$total" \
    "QueryProcessor::Execute (the statement, storage included)" "${execute:-0}" \
    "Storage::Read" "${read:-0}" \
    "Storage::Apply" "${apply:-0}" \
    "RocksDB: DBImpl::GetImpl" "${rocks_get:-0}" \
    "RocksDB: DBIter::Next" "${rocks_next:-0}" \
    "RocksDB: DBIter::Seek" "${rocks_seek:-0}" \
    "RocksDB: DBImpl::WriteImpl" "${rocks_write:-0}"
  rocks=$(( ${rocks_get:-0} + ${rocks_next:-0} + ${rocks_seek:-0} ))
  printf '  %-58s %9s\n' "node's read path above RocksDB (Read - Get - Next - Seek)" \
    "$(( ${read:-0} > 0 ? ${read:-0} - rocks : 0 ))" \
    "statement outside storage (Execute - Read - Apply)" \
    "$(( ${execute:-0} - ${read:-0} - ${apply:-0} ))" \
    "transport and the rest (total - Execute)" "$(( ${total:-0} - ${execute:-0} ))"
done
