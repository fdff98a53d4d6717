#!/usr/bin/env bash
# postfork-cql against the real node: -e, -f, --format json|csv|table, exit status, DESCRIBE,
# --timing. Usage: shell_test.sh <postfork-node> <postfork-cql>
set -uo pipefail
node_bin="$1"
cql="$2"
tmp="$(mktemp -d /tmp/postfork-cql-test-XXXXXX)"
"$node_bin" --listen 127.0.0.1 --port 0 --data-dir "$tmp/db" >"$tmp/node.log" 2>&1 &
node_pid=$!
trap 'kill $node_pid 2>/dev/null; wait $node_pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 600); do grep -q "listening for CQL clients" "$tmp/node.log" && break; sleep 0.1; done
port="$(grep -o 'on 127.0.0.1:[0-9]*' "$tmp/node.log" | head -1 | cut -d: -f2)"
[ -n "$port" ] || { echo "node did not start"; cat "$tmp/node.log"; exit 1; }
failures=0
check() {  # check <name> <expected substring> <actual>
  if [[ "$3" == *"$2"* ]]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] in [$3]"; failures=$((failures+1)); fi
}

cat >"$tmp/setup.cql" <<'CQL'
-- a comment line
CREATE KEYSPACE shell WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE shell.people (id int PRIMARY KEY,
                           name text,   -- multi-line statement
                           tags set<text>);
INSERT INTO shell.people (id, name, tags) VALUES (1, 'alice; the first', {'a', 'b'});
INSERT INTO shell.people (id, name) VALUES (2, 'bob');
CQL
out="$("$cql" --port "$port" -f "$tmp/setup.cql" 2>&1)"; rc=$?
check "-f runs a multi-statement file" "0" "$rc"

out="$("$cql" --port "$port" -k shell -e "SELECT id, name FROM people WHERE id = 1;" 2>&1)"
check "table header" " id | name" "$out"
check "table separator" "----+-" "$out"
check "table row right-aligned" "  1 | alice; the first" "$out"
check "row count" "(1 rows)" "$out"

out="$("$cql" --port "$port" -k shell --format json -e "SELECT id, name, tags FROM people WHERE id = 1" 2>&1)"
check "json" '[{"id":1,"name":"alice; the first","tags":"{'"'"'a'"'"', '"'"'b'"'"'}"}]' "$out"

out="$("$cql" --port "$port" -k shell --format csv -e "SELECT id, name FROM people WHERE id = 2" 2>&1)"
check "csv" $'id,name\n2,bob' "$out"

"$cql" --port "$port" -k shell -e "SELECT * FROM nope" >/dev/null 2>"$tmp/err"; rc=$?
check "error exits non-zero" "1" "$rc"
check "error message" "nope" "$(cat "$tmp/err")"

out="$("$cql" --port "$port" -e "DESCRIBE KEYSPACES" 2>&1)"
check "describe keyspaces" "shell" "$out"
out="$("$cql" --port "$port" -k shell -e "DESCRIBE TABLES" 2>&1)"
check "describe tables" "people" "$out"
out="$("$cql" --port "$port" -k shell -e "DESCRIBE TABLE people" 2>&1)"
check "describe table" "CREATE TABLE shell.people" "$out"
check "describe table key" "PRIMARY KEY (id)" "$out"

out="$("$cql" --port "$port" --timing -e "USE shell; SELECT id FROM people WHERE id = 2;" 2>&1 >/dev/null)"
check "timing: session ready" "session ready in" "$out"
check "timing: per statement" "Time: " "$out"

out="$(printf 'USE shell;\nEXPAND ON\nSELECT id, name FROM people WHERE id = 2;\nCONSISTENCY QUORUM\nPAGING 1\n' | "$cql" --port "$port" 2>&1)"
check "expand" "@ Row 1" "$out"
check "consistency" "Consistency level set to QUORUM." "$out"
check "paging" "Page size: 1" "$out"

"$cql" --port 1 -e "SELECT 1" >/dev/null 2>&1; rc=$?
check "connect failure exits non-zero" "2" "$rc"
out="$("$cql" --version 2>&1)"
check "--version" "postfork-cql" "$out"

[ "$failures" -eq 0 ] && echo "all shell checks passed"
exit "$failures"
