#!/usr/bin/env python3
"""Build the benchmark for radio KPI logs at scale: the demo topology with its six cells replaced
by --cells cells, each with a `kpiSource`.

Six synthetic 30-hour logs (Timestamp,CQI,DL_bitrate; one report a second, 28-byte rows; a CQI
random walk) end at 2025-11-29 08:11, just after the demo capture, so a replay plans from their
tails. With --shared every cell names one of the six files (cell k the (k mod 6)-th); without it
every cell has a path of its own (a symbolic link to one of the six), as a real network's cells
have their own logs. Cells are non-contiguous, ring neighbours, maxBlocks 10. Standard library
only; the same arguments give the same files.

    tools/make-kpi-bench.py --cells 1000 --out /tmp/kp-1000d
    swift build -c release --product flowcast
    /usr/bin/time -f '%e s %M KB' .build/release/flowcast replay captures/demo/demo.pcapng \
        --topology /tmp/kp-1000d/topology.yaml --sampling 1500 --window 10s --plan-every 60s \
        --out /tmp/kp-out --quiet

Measured with it: docs/policy.md, "Radio KPI logs at scale".
"""
import argparse
import datetime
import os
import random
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--shared", action="store_true", help="cells share the six logs' paths")
    parser.add_argument("--topology", default=os.path.join(os.path.dirname(__file__), "..", "captures", "demo", "topology.yaml"))
    args = parser.parse_args()
    if args.cells < 2:
        sys.exit("--cells must be at least 2")
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)

    end = datetime.datetime(2025, 11, 29, 8, 11, 0)
    start = end - datetime.timedelta(hours=30)
    sources = []
    for k in range(6):
        rng = random.Random(k)
        path = os.path.join(out, f"radio-{k}.csv")
        rows = ["Timestamp,CQI,DL_bitrate"]
        t, cqi = start, 10
        while t < end:
            cqi = max(1, min(15, cqi + rng.choice([-1, 0, 0, 1])))
            rows.append(f"{t.strftime('%Y.%m.%d_%H.%M.%S')},{cqi},{rng.randrange(1000, 99999)}")
            t += datetime.timedelta(seconds=1)
        with open(path, "w") as f:
            f.write("\n".join(rows) + "\n")
        sources.append(path)

    with open(args.topology) as f:
        text = f.read()
    head, rest = text.split("\ncells:", 1)
    lines = rest.split("\n")
    i = 0
    while i < len(lines) and (lines[i].startswith("  - { id: cell") or not lines[i].strip()):
        i += 1
    tail = "\n".join(lines[i:])
    n = args.cells
    cells = [head, "cells:"]
    for c in range(n):
        path = sources[c % 6]
        if not args.shared:
            link = os.path.join(out, "logs", f"cell-{c + 1}.csv")
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(path, link)
            path = link
        cells.append(f"  - {{ id: cell-{c + 1}, band: n78, minBlocks: 1, maxBlocks: 10, peakSpectralEfficiency: 5.5, "
                     f"kpiSource: {path}, cqiTable: table1, neighbours: [cell-{(c - 1) % n + 1}, cell-{(c + 1) % n + 1}], "
                     f"contiguous: false, site: site-{c % 6 + 1} }}")
    with open(os.path.join(out, "topology.yaml"), "w") as f:
        f.write("\n".join(cells) + "\n" + tail)
    print(f"{out}/topology.yaml: {n} cells, {'six shared logs' if args.shared else 'a log path each'}")


if __name__ == "__main__":
    main()
