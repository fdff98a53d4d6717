"""timeline_report.py OUT_PREFIX: the load generator's line, then its 100 ms windows grouped by
whether RocksDB's background threads ran in them (ticks from timeline_sampler.py), with the
ticks other processes took of core 0, completions, and the median and 90th percentile of the
windows' p99 latency; and RocksDB's write-stall warnings. Used by timeline.sh."""
import bisect
import sys

out = sys.argv[1]
with open(out + ".samples") as f:
    samples = [tuple(map(int, line.split())) for line in f if line.strip()]
times = [s[0] for s in samples]


def at(t):
    return samples[max(0, bisect.bisect_right(times, t) - 1)]


windows = []
with open(out + ".timeline") as f:
    for line in f:
        fields = line.split()
        if fields and fields[0] == "insert":
            print(line.rstrip())
        if not fields or fields[0] != "timeline":
            continue
        start, n, p99 = int(fields[3]), int(fields[4]), float(fields[5])
        a, b = at(start), at(start + 100)
        node, background, core0 = b[1] - a[1], b[2] - a[2], b[3] - a[3]
        windows.append((background, max(0, core0 - node), n, p99))


def report(name, chosen):
    if not chosen:
        print(f"  {name}: none")
        return
    p = sorted(w[3] for w in chosen)
    print(f"  {name}: {len(chosen)} windows, other processes {sum(w[1] for w in chosen) / len(chosen):.1f}"
          f" ticks/window on core 0, {sum(w[2] for w in chosen) / len(chosen):.0f} completions/window,"
          f" window p99 median {p[len(p) // 2]:.0f} us, p90 {p[int(len(p) * 0.9)]:.0f} us")


report("no flush or compaction", [w for w in windows if w[0] == 0])
report("flush or compaction ran", [w for w in windows if w[0] > 0])
with open(out + ".stalls") as f:
    print(f"  RocksDB write-stall warnings in LOG: {f.read().strip()}")
