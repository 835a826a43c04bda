#!/usr/bin/env python3
"""Per-broadcast latencies from the fan-out harness's per-message files.

The harness built with fanout-permsg.patch writes, when FANOUT_PERMSG names
a file, one line per message: its publish round trip and the minimum, median,
99th percentile and maximum of its viewers' publish-to-receipt latencies.
connect-storm.sh with PERMSG_DIR=<dir> leaves one such file per run, named
after the run's label (ideal-1.txt, hybridcon-1.txt, …).

    docs/bench/per-broadcast.py <dir>

For each run, the medians over its broadcasts of: the first delivery (how long
before the first viewer has it: the publish path), the broadcast's own 99th
percentile, and its spread (99th percentile minus first delivery: the fan-out),
with the 90th percentile of the broadcasts' 99th percentiles (its bad
broadcasts, which decide the run's overall p99); then the medians of those per
server.
"""
import glob
import os
import re
import statistics
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            rows.append({k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)})
    return rows


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "."
    per_server = {}
    for path in sorted(glob.glob(os.path.join(d, "*.txt"))):
        rows = load(path)
        if not rows:
            continue
        label = os.path.basename(path)[:-4]
        server = label.rsplit("-", 1)[0]
        first = statistics.median(r["min"] for r in rows)
        p99 = statistics.median(r["p99"] for r in rows)
        spread = statistics.median(r["p99"] - r["min"] for r in rows)
        tail = sorted(r["p99"] for r in rows)[int(len(rows) * 0.9)]
        per_server.setdefault(server, []).append((first, p99, spread, tail))
        print(f"{label:14s} first {first:6.2f}  p99 {p99:6.2f}  spread {spread:6.2f}  p90 of p99s {tail:6.2f} ms  ({len(rows)} broadcasts)")
    for server, runs in per_server.items():
        med = [statistics.median(x[i] for x in runs) for i in range(4)]
        print(f"{server:14s} medians of {len(runs)} runs: first {med[0]:.2f}, p99 {med[1]:.2f}, spread {med[2]:.2f}, p90 of p99s {med[3]:.2f} ms")


if __name__ == "__main__":
    main()
