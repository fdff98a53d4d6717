#!/usr/bin/env bash
# Runs Apache Cassandra 5.0 (resolved by Maven from tests/cassandra/pom.xml, see
# scripts/install-deps.sh) as a local test node or cluster on loopback addresses.
#
#   scripts/cassandra.sh start  [options]   write the configuration, start every node, wait until
#                                           CQL answers on each (and, for a cluster, until every
#                                           node sees every other one as a peer)
#   scripts/cassandra.sh stop   [--dir D]   stop every node cleanly (SIGTERM, SIGKILL after 60 s)
#   scripts/cassandra.sh status [--dir D]   one line per node: number, address, dc, pid, state;
#                                           exit 0 when every node answers CQL
#   scripts/cassandra.sh start-node N [--dir D]   (re)start node N of an existing cluster and wait
#   scripts/cassandra.sh stop-node N  [--dir D]   stop node N cleanly
#   scripts/cassandra.sh kill-node N  [--dir D]   SIGKILL node N (failover tests)
#   scripts/cassandra.sh add-node [--dc DC] [--dir D]   configure and start one more node (it joins
#                                           the ring; prints its number)
#   scripts/cassandra.sh nodetool N ARGS... run nodetool against node N (needs --jmx-port at start)
#   scripts/cassandra.sh env [--dir D]      print the cluster's settings (shell assignments)
#
# Options of start (all but --dir are remembered in DIR/cluster.env for the other commands):
#   --dir D             base directory (default build/cassandra); node i lives in D/node<i>
#   --nodes N           number of nodes (default 1)
#   --dcs 1|2           data centers (default 1). With 2, dc2 gets max(1, N/3) nodes (the last
#                       ones) and dc1 the rest: 3 nodes are dc1: 1,2 and dc2: 3
#   --dc-names A,B      names of the first and second data center (default dc1,dc2)
#   --address-base A    address of node 1; node i gets A + i - 1 in the last octet
#                       (default 127.0.0.1: nodes 127.0.0.1, 127.0.0.2, 127.0.0.3)
#   --native-port P     CQL port, shared by all nodes (default 9042)
#   --storage-port P    internode port, shared by all nodes (default 7000)
#   --jmx-port P        enables JMX on loopback, node i on P + i - 1 (default: JMX off)
#   --heap SIZE         JVM heap per node (default 512M)
#   --jit quick|full    quick (default): C1 JIT only, for tests; full: C1 + C2, for benchmarks
#   --cluster-name S    (default postfork-test)
#   --timeout S         seconds to wait for the nodes (default 300)
#   --fresh             delete the nodes' data first (also done when the options differ from the
#                       cluster configured in --dir before; otherwise a stopped cluster restarts
#                       with its data)
# Two clusters coexist when they differ in --dir and in --address-base or ports.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pom="$root/tests/cassandra/pom.xml"

die() { echo "cassandra.sh: $*" >&2; exit 1; }
log() { echo "cassandra.sh: $*" >&2; }

cmd="${1:-}"; [ -n "$cmd" ] || die "usage: cassandra.sh start|stop|status|start-node|stop-node|kill-node|add-node|nodetool|env [options]"
shift
node_arg=""
case "$cmd" in
  start-node|stop-node|kill-node|nodetool)
    node_arg="${1:-}"; [[ "$node_arg" =~ ^[0-9]+$ ]] || die "$cmd needs a node number"; shift ;;
esac

DIR="$root/build/cassandra"
NODES=1 DCS=1 ADDRESS_BASE=127.0.0.1 NATIVE_PORT=9042 STORAGE_PORT=7000 JMX_PORT=0
HEAP=512M CLUSTER_NAME=postfork-test TIMEOUT=300 ADD_DC="" FRESH=0 JIT=quick DC_NAMES=dc1,dc2
nodetool_args=()
while [ $# -gt 0 ]; do
  if [ "$cmd" = nodetool ]; then
    case "$1" in --dir) DIR="$2"; shift 2 ;; *) nodetool_args+=("$1"); shift ;; esac
    continue
  fi
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --dcs) DCS="$2"; shift 2 ;;
    --dc-names) DC_NAMES="$2"; shift 2 ;;
    --address-base) ADDRESS_BASE="$2"; shift 2 ;;
    --native-port) NATIVE_PORT="$2"; shift 2 ;;
    --storage-port) STORAGE_PORT="$2"; shift 2 ;;
    --jmx-port) JMX_PORT="$2"; shift 2 ;;
    --heap) HEAP="$2"; shift 2 ;;
    --jit) JIT="$2"; [[ "$JIT" =~ ^(quick|full)$ ]] || die "--jit quick|full"; shift 2 ;;
    --cluster-name) CLUSTER_NAME="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --dc) ADD_DC="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
envfile="$DIR/cluster.env"

# --- cluster description --------------------------------------------------------------------

save_env() {  # FILE
  {
    echo "NODES=$NODES"; echo "DCS=$DCS"; echo "DC_NAMES=$DC_NAMES"; echo "ADDRESS_BASE=$ADDRESS_BASE"
    echo "NATIVE_PORT=$NATIVE_PORT"; echo "STORAGE_PORT=$STORAGE_PORT"; echo "JMX_PORT=$JMX_PORT"
    echo "HEAP=$HEAP"; echo "JIT=$JIT"; echo "CLUSTER_NAME=$CLUSTER_NAME"; echo "INITIAL_NODES=$INITIAL_NODES"
    for ((i = 1; i <= NODES; i++)); do echo "DC_$i=$(node_dc "$i")"; done
  } >"$1"
}

load_env() {
  [ -f "$envfile" ] || die "no cluster in $DIR (run start first)"
  # shellcheck disable=SC1090
  source "$envfile"
}

node_address() {  # node i -> A.B.C.(D + i - 1)
  local IFS=. a; read -ra a <<<"$ADDRESS_BASE"
  local last=$((a[3] + $1 - 1))
  [ "$last" -le 254 ] || die "address of node $1 overflows from $ADDRESS_BASE"
  echo "${a[0]}.${a[1]}.${a[2]}.$last"
}

node_dc() {
  local var="DC_$1"
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  local names; IFS=, read -ra names <<<"$DC_NAMES"
  if [ "$DCS" = 1 ]; then echo "${names[0]}"; return; fi
  local dc2=$((NODES / 3)); [ "$dc2" -ge 1 ] || dc2=1
  if [ "$1" -gt $((NODES - dc2)) ]; then echo "${names[1]:-dc2}"; else echo "${names[0]}"; fi
}

# Murmur3 tokens: the first INITIAL_NODES nodes evenly spaced over the ring. Added node i takes
# the midpoint of initial range k = (i - INITIAL_NODES - 1) mod INITIAL_NODES, plus the round
# number (i - INITIAL_NODES - 1) / INITIAL_NODES: the first INITIAL_NODES added nodes halve the
# initial ranges in turn, and a later round lands one token past the same midpoints, so no two
# nodes ever share a token (later rounds do not split the then-largest ranges).
node_token() {
  local n="$INITIAL_NODES" i="$1"
  if [ "$i" -le "$n" ]; then
    python_int "-(2**63) + ($i - 1) * (2**64 // $n)"
  else
    local k=$(( (i - n - 1) % n ))
    python_int "-(2**63) + $k * (2**64 // $n) + (2**64 // (2 * $n)) + $(( (i - n - 1) / n ))"
  fi
}
python_int() { /usr/bin/python3 -c "print($1)"; }

node_dir() { echo "$DIR/node$1"; }
node_pid() { local f; f="$(node_dir "$1")/pid"; [ -f "$f" ] && cat "$f" || true; }
node_running() {
  local pid; pid="$(node_pid "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# --- classpath ------------------------------------------------------------------------------

# Maven resolves the classpath offline from the local repository that install-deps.sh filled;
# the result is cached next to the nodes and refreshed when the pom changes.
classpath() {
  local cp="$DIR/classpath.txt"
  if [ ! -s "$cp" ] || [ "$pom" -nt "$cp" ]; then
    command -v mvn >/dev/null || die "maven missing: run scripts/install-deps.sh"
    mvn -o -q -B -f "$pom" dependency:build-classpath -Dmdep.outputFile="$cp.tmp" >"$DIR/mvn.log" 2>&1 \
      || die "cannot resolve Cassandra offline (see $DIR/mvn.log): run scripts/install-deps.sh"
    mv "$cp.tmp" "$cp"
  fi
  cat "$cp"
}

# --- configuration --------------------------------------------------------------------------

write_config() {
  local i="$1" d addr seeds="" j
  d="$(node_dir "$i")"; addr="$(node_address "$i")"
  mkdir -p "$d/conf" "$d/data" "$d/commitlog" "$d/saved_caches" "$d/hints" "$d/cdc_raw" "$d/logs"
  for ((j = 1; j <= INITIAL_NODES; j++)); do seeds+="${seeds:+,}$(node_address "$j"):$STORAGE_PORT"; done

  cat >"$d/conf/cassandra.yaml" <<EOF
# Written by scripts/cassandra.sh for a local test node; every key differing from Cassandra 5.0's
# built-in default says why. Keys not named here keep the defaults of the cassandra.yaml that
# Cassandra 5.0 ships (features and thresholds), which is the reference configuration.
cluster_name: '$CLUSTER_NAME'

# One token per node at a computed position (see node_token in the script): deterministic
# ownership for token-aware routing tests, and no token allocation work at start-up.
num_tokens: 1
initial_token: $(node_token "$i")

# The nodes of a fresh test cluster hold no data, so they join the ring at once instead of
# streaming (bootstrap also waits ring delays and refuses concurrent joins).
auto_bootstrap: false

partitioner: org.apache.cassandra.dht.Murmur3Partitioner

# Everything under the node's own directory, so clusters in other --dir never share files.
data_file_directories:
  - $d/data
commitlog_directory: $d/commitlog
saved_caches_directory: $d/saved_caches
hints_directory: $d/hints
cdc_raw_directory: $d/cdc_raw

# As shipped: periodic commit log sync every 10 s.
commitlog_sync: periodic
commitlog_sync_period: 10000ms

# Every initial node is a seed: each can start without waiting for another, so the nodes of a
# cluster start concurrently. Nodes added later are not seeds.
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$seeds"

# Loopback only: the listen (storage), rpc (CQL) and broadcast addresses are this node's own
# 127.x address; nodes share the port numbers.
listen_address: $addr
rpc_address: $addr
storage_port: $STORAGE_PORT
native_transport_port: $NATIVE_PORT
start_native_transport: true

# Data centers and racks from cassandra-rackdc.properties, as production multi-DC clusters do.
endpoint_snitch: GossipingPropertyFileSnitch

# Test nodes: no snapshot on DROP/TRUNCATE (each would cost a flush and disk for nothing).
auto_snapshot: false

# Small caches for a node with a small heap on a shared machine.
file_cache_size: 32MiB
key_cache_size: 8MiB
concurrent_compactors: 1

# Cassandra 5.0's shipped defaults, stated explicitly because Config.java differs or because
# the reference behaviour depends on them: materialized views, SASI, transient replication,
# UDFs and dynamic data masking off (SAI and vectors are always available in 5.0), sstables
# and messaging compatible with 4.x.
materialized_views_enabled: false
sasi_indexes_enabled: false
transient_replication_enabled: false
drop_compact_storage_enabled: false
user_defined_functions_enabled: false
dynamic_data_masking_enabled: false
storage_compatibility_mode: CASSANDRA_4
EOF

  cat >"$d/conf/cassandra-rackdc.properties" <<EOF
# Read by GossipingPropertyFileSnitch: this node's data center and rack.
dc=$(node_dc "$i")
rack=rack1
EOF

  cat >"$d/conf/logback.xml" <<EOF
<!-- Logs of a test node: INFO to logs/system.log (read it when a start fails), errors also to
     stdout (logs/stdout.log). -->
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$d/logs/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>ERROR</level></filter>
    <encoder><pattern>%-5level %date{ISO8601} %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/><appender-ref ref="STDOUT"/></root>
</configuration>
EOF
}

# Java 17 module system: Cassandra (daemon and nodetool) reaches into JDK internals (Unsafe,
# direct buffers, reflection on JDK classes, JMX/RMI, attach); these open exactly what its own
# launcher opens for Java 17.
jpms_flags() {
  printf '%s\n' \
    -Djdk.attach.allowAttachSelf=true \
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED \
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED \
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED \
    --add-exports java.sql/java.sql=ALL-UNNAMED \
    --add-exports java.base/java.lang.ref=ALL-UNNAMED \
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED \
    --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED \
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED \
    --add-opens java.base/java.lang.module=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED \
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED \
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED \
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
    --add-opens java.base/java.io=ALL-UNNAMED \
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED \
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED \
    --add-opens java.base/java.lang=ALL-UNNAMED \
    --add-opens java.base/java.util=ALL-UNNAMED
}

jvm_flags() {
  local i="$1" d cp
  d="$(node_dir "$i")"; cp="$(classpath)"
  local jamm; jamm="$(tr ':' '\n' <<<"$cp" | grep -m1 '/jamm-[0-9.]*\.jar$' || true)"
  local jpms; mapfile -t jpms < <(jpms_flags)
  local flags=(
    # Small fixed heap: a test node holds little data and several run on one machine.
    "-Xms$HEAP" "-Xmx$HEAP"
    # Serial GC: no concurrent GC threads competing for the machine's two cores.
    -XX:+UseSerialGC
    # Cassandra measures object sizes with jamm's instrumentation agent, as its launcher does.
    ${jamm:+"-javaagent:$jamm"}
    "${jpms[@]}"
    # Netty allocates direct buffers through Unsafe only with this on Java 9+.
    -Dio.netty.tryReflectionSetAccessible=true
    # IPv4 loopback addresses only.
    -Djava.net.preferIPv4Stack=true
    # This node's configuration, rack/dc file and logging, all under its directory.
    "-Dcassandra.config=file://$d/conf/cassandra.yaml"
    "-Dcassandra-rackdc.properties=file://$d/conf/cassandra-rackdc.properties"
    "-Dlogback.configurationFile=$d/conf/logback.xml"
    "-Dcassandra.logdir=$d/logs"
    "-Dcassandra.storagedir=$d/data"
    # Keep stdout/stderr open so start-up failures reach logs/stdout.log.
    -Dcassandra-foreground=yes
    # Test-cluster start-up shortcuts: do not wait for gossip to settle (it polls for at least
    # 5 s), and a 1 s ring delay instead of 30 s for the waits on ring state during start-up.
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.ring_delay_ms=1000
    # No one-shot heap dump directory is wanted for test nodes.
    -XX:+HeapDumpOnOutOfMemoryError "-XX:HeapDumpPath=$d/logs"
  )
  if [ "$JIT" = quick ]; then
    # C1 only: starts in about half the CPU time and leaves cores to the tests; throughput
    # benchmarks against Cassandra pass --jit full (C2 as in production).
    flags+=(-XX:TieredStopAtLevel=1)
  fi
  if [ "$JMX_PORT" != 0 ]; then
    # JMX for nodetool, bound to loopback (local JMX), one port per node.
    flags+=("-Dcassandra.jmx.local.port=$((JMX_PORT + i - 1))")
  fi
  flags+=(-cp "$cp")
  printf '%s\n' "${flags[@]}"
}

# --- processes ------------------------------------------------------------------------------

launch_node() {
  local i="$1" d
  d="$(node_dir "$i")"
  node_running "$i" && { log "node $i already running (pid $(node_pid "$i"))"; return; }
  [ -f "$d/conf/cassandra.yaml" ] || write_config "$i"
  mapfile -t flags < <(jvm_flags "$i")
  # setsid: the node outlives this script and gets no signal meant for the caller's terminal.
  setsid java "${flags[@]}" org.apache.cassandra.service.CassandraDaemon \
    >>"$d/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
  log "node $i ($(node_address "$i"), $(node_dc "$i")) starting, pid $!"
}

# True when the node answers a CQL OPTIONS request with SUPPORTED (protocol v4 header: version
# 0x04, flags 0, stream 0, opcode OPTIONS 0x05, body length 0; reply opcode SUPPORTED 0x06).
cql_answers() {
  local addr="$1" reply
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x04\x00\x00\x00\x05\x00\x00\x00\x00" >&3
    head -c 5 <&3 | od -An -tx1' "$addr" "$NATIVE_PORT" 2>/dev/null || true)"
  [[ "$reply" == *"84 00 00 00 06"* ]]
}

# Every node knows all the others as peers (system.peers_v2) and all agree on the schema.
cluster_settled() {
  local hosts=() i
  for ((i = 1; i <= NODES; i++)); do hosts+=("$(node_address "$i")"); done
  /usr/bin/python3 - "$NATIVE_PORT" "${hosts[@]}" <<'PY' 2>/dev/null
import sys
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import WhiteListRoundRobinPolicy
port, hosts = int(sys.argv[1]), sys.argv[2:]
versions = set()
for h in hosts:
    prof = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([h]))
    c = Cluster([h], port=port, execution_profiles={EXEC_PROFILE_DEFAULT: prof},
                protocol_version=4, connect_timeout=3, control_connection_timeout=3)
    try:
        s = c.connect()
        peers = list(s.execute("SELECT peer, schema_version FROM system.peers_v2"))
        local = s.execute("SELECT schema_version FROM system.local").one()
        if len(peers) != len(hosts) - 1:
            sys.exit(1)
        versions.add(local.schema_version)
        versions.update(p.schema_version for p in peers)
    finally:
        c.shutdown()
sys.exit(0 if len(versions) == 1 else 1)
PY
}

wait_nodes() {
  local deadline=$((SECONDS + TIMEOUT)) i pending
  while :; do
    pending=()
    for i in "$@"; do
      node_running "$i" || die "node $i exited during start-up; see $(node_dir "$i")/logs/system.log and stdout.log"
      cql_answers "$(node_address "$i")" || pending+=("$i")
    done
    [ "${#pending[@]}" -eq 0 ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "nodes ${pending[*]} do not answer CQL after ${TIMEOUT}s"
    sleep 0.5
  done
  if [ "$NODES" -gt 1 ]; then
    until cluster_settled; do
      [ "$SECONDS" -lt "$deadline" ] || die "the cluster did not settle (peers, schema) after ${TIMEOUT}s"
      sleep 1
    done
  fi
}

stop_node() {
  local i="$1" signal="${2:-TERM}" pid waited=0
  pid="$(node_pid "$i")"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then rm -f "$(node_dir "$i")/pid"; return; fi
  kill "-$signal" "$pid" 2>/dev/null || true
  # Cassandra's shutdown hook drains and flushes on SIGTERM; give it 60 s before SIGKILL.
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 600 ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.1; waited=$((waited + 1))
    [ "$waited" -lt 700 ] || break
  done
  rm -f "$(node_dir "$i")/pid"
  log "node $i stopped ($signal)"
}

# --- commands -------------------------------------------------------------------------------

case "$cmd" in
  start)
    INITIAL_NODES="$NODES"
    wanted="$(save_env /dev/stdout)"
    if [ "$FRESH" = 1 ] || { [ -f "$envfile" ] && [ "$wanted" != "$(cat "$envfile")" ]; }; then
      # Another shape (or --fresh): the old nodes' data cannot be reused.
      for ((i = 1; i <= 64; i++)); do node_running "$i" && die "$DIR has running nodes: stop them first"; done
      rm -rf "$DIR"/node* "$envfile"
    fi
    [ -f "$envfile" ] || save_env "$envfile"
    load_env
    t0=$SECONDS
    classpath >/dev/null
    for ((i = 1; i <= NODES; i++)); do launch_node "$i"; done
    all=(); for ((i = 1; i <= NODES; i++)); do all+=("$i"); done
    wait_nodes "${all[@]}"
    log "$NODES node(s) up in $((SECONDS - t0)) s"
    ;;
  stop)
    load_env
    for ((i = 1; i <= NODES; i++)); do stop_node "$i" TERM & done
    wait
    ;;
  status)
    load_env
    ok=0
    for ((i = 1; i <= NODES; i++)); do
      addr="$(node_address "$i")"
      if node_running "$i"; then
        if cql_answers "$addr"; then state=up; else state=starting; ok=1; fi
      else state=down; ok=1; fi
      echo "node$i $addr:$NATIVE_PORT $(node_dc "$i") pid=$(node_pid "$i") $state"
    done
    exit "$ok"
    ;;
  start-node)
    load_env
    [ "$node_arg" -le "$NODES" ] || die "no node $node_arg"
    launch_node "$node_arg"; wait_nodes "$node_arg"
    ;;
  stop-node) load_env; stop_node "$node_arg" TERM ;;
  kill-node) load_env; stop_node "$node_arg" KILL ;;
  add-node)
    load_env
    NODES=$((NODES + 1))
    eval "DC_$NODES=${ADD_DC:-dc1}"
    save_env "$envfile"
    launch_node "$NODES"; wait_nodes "$NODES"
    echo "$NODES"
    ;;
  nodetool)
    load_env
    [ "$JMX_PORT" != 0 ] || die "JMX is off: start the cluster with --jmx-port"
    cp="$(classpath)"
    mapfile -t jpms < <(jpms_flags)
    exec java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${jpms[@]}" -cp "$cp" \
      -Dlogback.configurationFile="$(node_dir "$node_arg")/conf/logback.xml" \
      -Dcassandra.logdir="$(node_dir "$node_arg")/logs" org.apache.cassandra.tools.NodeTool \
      -h 127.0.0.1 -p "$((JMX_PORT + node_arg - 1))" "${nodetool_args[@]}"
    ;;
  env) load_env; cat "$envfile" ;;
  *) die "unknown command $cmd" ;;
esac
