"""timeline_sampler.py PID INTERVAL_MS: every interval, one line "epoch_ms node_ticks
background_ticks core0_busy_ticks" (cumulative; background: the rocksdb:* threads) until PID
exits. Used by timeline.sh."""
import os
import sys
import time

pid, interval = int(sys.argv[1]), int(sys.argv[2]) / 1000
while os.path.exists(f"/proc/{pid}"):
    node = background = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        node += ticks
        if name.startswith("rocksdb"):
            background += ticks
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu0 "):
                v = [int(x) for x in line.split()[1:]]
                busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
                break
    print(int(time.time() * 1000), node, background, busy, flush=True)
    time.sleep(interval)
