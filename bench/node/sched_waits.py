"""sched_waits.py PERF_SCRIPT_OUTPUT NODE_PID: from `perf script` of sched:sched_switch and
sched:sched_waking recorded on every CPU, each time one of the node's threads waited for core 0:
from its wakeup (any CPU) or from being switched out runnable (preempted) until it ran on core 0
again. Grouped by how it lost the core and by the task that ran just before it got it back
(rocksdb:high flushes, rocksdb:low compacts): count, percentiles, and the waits over 1 ms."""
import collections
import os
import re
import sys

path, node_pid = sys.argv[1], sys.argv[2]
node_tids = set(os.listdir(f"/proc/{node_pid}/task")) if os.path.isdir(f"/proc/{node_pid}") else None
switch = re.compile(r"\[000\]\s+(\d+\.\d+):\s+sched:sched_switch:\s+prev_comm=(.*?) prev_pid=(\d+) "
                    r"prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)")
waking = re.compile(r"\s(\d+\.\d+):\s+sched:sched_waking:.*pid=(\d+)")
since = {}
waits = collections.defaultdict(list)


def is_node(comm, tid):
    if node_tids is not None:
        return tid in node_tids and not comm.startswith("rocksdb")
    return comm.startswith("postfork-node")


with open(path) as f:
    for line in f:
        m = switch.search(line)
        if m:
            t, prev, prev_tid, state, nxt, next_tid = float(m[1]), m[2], m[3], m[4], m[5], m[6]
            if next_tid in since:
                how, t0 = since.pop(next_tid)
                if is_node(nxt, next_tid):
                    before = "the node" if is_node(prev, prev_tid) else prev
                    waits[(how, before)].append((t - t0) * 1e6)
            if is_node(prev, prev_tid) and state.startswith("R"):
                since[prev_tid] = ("preempted", t)
            continue
        m = waking.search(line)
        if m and m[2] not in since:
            since[m[2]] = ("woken", float(m[1]))

for (how, before), ds in sorted(waits.items(), key=lambda kv: -len(kv[1])):
    ds.sort()
    n = len(ds)
    long = [d for d in ds if d > 1000]
    print(f"{how:9} after {before[:16]:16} n={n:7d} p50={ds[n // 2]:6.0f} p99={ds[int(n * .99)]:6.0f} "
          f"max={ds[-1]:6.0f} us; over 1 ms: {len(long)}, {sum(long) / 1000:.1f} ms in all")
