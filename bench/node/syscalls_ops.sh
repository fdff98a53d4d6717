#!/usr/bin/env bash
# System calls, context switches and scheduling of the node per operation, for one load
# generator phase: starts a release postfork-node pinned to core 0 (as run_load.sh), counts its
# syscalls and context switches with `perf stat` (tracepoints: needs perf_event_paranoid <= 2 or
# root) in one-second intervals, and runs the phase on core 1. Prints the load generator's line,
# then per operation: the node's syscalls by kind and its context switches (averaged over the
# last three full seconds of the phase, divided by the phase's ops/s), and over the whole phase
# its run time and the time its threads were runnable but waiting for a CPU (schedstat's
# run_delay: on a loaded machine, how much of the node's core other processes took).
# Usage: [NODE_ARGS=...] [IN_FLIGHT=64] [CONNECTIONS=4] bench/node/syscalls_ops.sh BUILD_DIR PHASE [SECONDS]
#   e.g. bench/node/syscalls_ops.sh build/rel insert 5
set -euo pipefail
build="$1"
phase="$2"
seconds="${3:-5}"
source "$(dirname "$0")/start_node.sh"
start_node 50 taskset -c 0
events=task-clock,context-switches,raw_syscalls:sys_enter
for s in epoll_wait recvfrom sendto sendmsg write futex; do events="$events,syscalls:sys_enter_$s"; done
counts="$node_data/perf.csv"
perf stat -x, -I 1000 -e "$events" -p "$node_pid" -o "$counts" &
perf_pid=$!
sched() {  # the node's threads: total run time and run delay, ns
  cat /proc/"$node_pid"/task/*/schedstat | awk '{r += $1; d += $2} END {printf "%.0f %.0f\n", r, d}'
}
read -r run0 delay0 < <(sched)
start=$(date +%s%N)
taskset -c 1 "$build/bench/node/node_load_generator" --port "$node_port" --node-pid "$node_pid" \
  --in-flight "${IN_FLIGHT:-64}" --connections "${CONNECTIONS:-4}" --seconds "$seconds" \
  --only "$phase" --index-keys 0 | tee "$node_data/load.txt"
read -r run1 delay1 < <(sched)
end=$(date +%s%N)
kill -INT "$perf_pid"
wait "$perf_pid" || true
python3 - "$counts" "$node_data/load.txt" "$phase" $(( (end - start) / 1000000 )) \
  $(( (run1 - run0) / 1000000 )) $(( (delay1 - delay0) / 1000000 )) <<'PY'
import sys
counts, load, phase, wall_ms, run_ms, delay_ms = sys.argv[1:7]
ops = next(float(l.split()[1]) for l in open(load) if l.startswith(phase + " "))
intervals = {}
for line in open(counts):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split(",")
    try:
        value = float(f[1])
    except ValueError:
        value = 0.0
    intervals.setdefault(f[0], {})[f[3].replace("syscalls:sys_enter_", "")] = value
busy = [i for i in intervals.values() if i.get("task-clock", 0) > 50][-4:-1]
names = ["raw_syscalls:sys_enter", "write", "futex", "recvfrom", "sendto", "sendmsg",
         "epoll_wait", "context-switches"]
per_op = {n: sum(i.get(n, 0) for i in busy) / len(busy) / ops for n in names} if busy else {}
print("per op: " + " ".join("%s=%.3f" % (n.replace("raw_syscalls:sys_enter", "syscalls"), v)
                            for n, v in per_op.items()))
print("node threads over the phase: wall %s ms, running %s ms, runnable but waiting for a CPU %s ms"
      % (wall_ms, run_ms, delay_ms))
PY
