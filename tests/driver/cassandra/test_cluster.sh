#!/usr/bin/env bash
# The Apache Cassandra cluster that the `cassandra`-labelled ctest tests share (a ctest fixture):
# three nodes in two data centers (dc1: nodes 1 and 2, dc2: node 3) on 127.0.12.1-3, with free
# native, storage and JMX ports picked here, run by scripts/cassandra.sh in DIR. Tests read the
# settings back with `scripts/cassandra.sh env --dir DIR`.
#   test_cluster.sh start DIR | stop DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cmd="$1" dir="$2"

# Free loopback ports below the kernel's ephemeral range (so no outgoing connection, such as a
# node's own JMX/RMI server port, takes one between this check and the node's bind): one for
# CQL, one for internode traffic, and a run of five for JMX (one per node, with room for a node
# added by a test).
free_ports() {
  /usr/bin/python3 - <<'PY'
import random, socket
def is_free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
def run(n):
    while True:
        p = random.randrange(20000, 32000 - n)
        if all(is_free(p + k) for k in range(n)):
            return p
native = run(1)
storage = run(1)
while storage == native:
    storage = run(1)
jmx = run(5)
while native in range(jmx, jmx + 5) or storage in range(jmx, jmx + 5):
    jmx = run(5)
print(native, storage, jmx)
PY
}

case "$cmd" in
  start)
    read -r native storage jmx < <(free_ports)
    t0=$SECONDS
    "$root/scripts/cassandra.sh" start --fresh --dir "$dir" --nodes 3 --dcs 2 \
      --address-base 127.0.12.1 --native-port "$native" --storage-port "$storage" \
      --jmx-port "$jmx" --heap 384M
    echo "test_cluster.sh: 3 nodes (2 DCs) up in $((SECONDS - t0)) s"
    ;;
  stop)
    [ -f "$dir/cluster.env" ] && "$root/scripts/cassandra.sh" stop --dir "$dir" || true
    rm -rf "$dir"
    ;;
  *) echo "usage: test_cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
