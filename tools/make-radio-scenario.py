#!/usr/bin/env python3
"""Build a spectrum scenario from 5G radio KPI logs (the format of ../shared/data/radio-5g).

N cells on a hexagonal neighbour graph share one band of --blocks blocks. Each cell serves
--users users; every user replays one trace (round-robin over a seeded shuffle of the traces,
so a trace serves several users when there are fewer traces than users) from a seeded time
offset, wrapping at the trace's end. A cell's demand each second is the sum of its users'
downlink throughput; its spectral efficiency is the demand-weighted harmonic mean of its
users' CQI efficiencies (TS 38.214 table of the cell), i.e. the efficiency at which the cell
serves that mix of users, written back as the nearest CQI index.

Writes DIR/topology.yaml, one radio KPI log per cell (DIR/cell-K.csv: Timestamp, CQI,
DL_bitrate in kbit/s, one row per second, the same seconds in every cell) and
DIR/scenario.json (parameters and which trace and offset each user replays).
Standard library only; the same arguments give the same bytes.
"""
import argparse
import csv
import hashlib
import json
import math
import os
import random
import sys
import calendar
import time

TABLES = {
    "table1": [0.0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063,
               2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547],
    "table2-256qam": [0.0, 0.1523, 0.3770, 0.8770, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
                      3.9023, 4.5234, 5.1152, 5.5547, 6.2266, 6.9141, 7.4063],
}
START = 1577836800  # 2020-01-01T00:00:00, the scenario's own clock


def fail(message):
    print("make-radio-scenario: " + message, file=sys.stderr)
    sys.exit(1)


def number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_trace(path):
    """Per-second DL bitrate (kbit/s) and CQI on a 1 s grid: repeated seconds averaged, missing
    seconds and values carried forward (CQI back-filled before its first report)."""
    try:
        # utf-8-sig: a log saved with a byte order mark has it before "Timestamp" (flowcast reads such logs too).
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    if not rows:
        fail(f"{path}: empty file")
    header = rows[0]
    for column in ("Timestamp", "DL_bitrate", "CQI"):
        if column not in header:
            fail(f"{path}: not a radio KPI log (no {column} column)")
    it, idl, icqi = header.index("Timestamp"), header.index("DL_bitrate"), header.index("CQI")
    seconds = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            fail(f"{path}:{n}: {len(row)} fields, the header has {len(header)}")
        try:
            t = calendar.timegm(time.strptime(row[it], "%Y.%m.%d_%H.%M.%S"))
        except ValueError:
            fail(f"{path}:{n}: bad Timestamp '{row[it]}'")
        slot = seconds.setdefault(t, [0.0, 0, 0.0, 0])
        dl, cqi = number(row[idl]), number(row[icqi])
        if dl is not None:
            slot[0] += max(0.0, dl)
            slot[1] += 1
        if cqi is not None:
            slot[2] += cqi
            slot[3] += 1
    if not seconds:
        fail(f"{path}: no rows")
    first, last = min(seconds), max(seconds)
    dl, cqi = [], []
    last_dl, last_cqi = 0.0, None
    for t in range(first, last + 1):
        slot = seconds.get(t)
        if slot and slot[1]:
            last_dl = slot[0] / slot[1]
        if slot and slot[3]:
            last_cqi = int(round(slot[2] / slot[3]))
        dl.append(last_dl)
        cqi.append(last_cqi)
    known = [c for c in cqi if c is not None]
    if not known:
        print(f"make-radio-scenario: warning: {path}: no CQI report (a 2G/3G-only log); skipped", file=sys.stderr)
        return None
    fill = known[0]
    cqi = [fill if c is None else c for c in cqi]
    return dl, [min(15, max(0, c)) for c in cqi]


def hex_cells(n):
    """Axial coordinates of n cells spiralling out from the centre."""
    cells = [(0, 0)]
    directions = [(1, 0), (1, -1), (0, -1), (-1, 0), (-1, 1), (0, 1)]
    ring = 1
    while len(cells) < n:
        q, r = -ring, ring  # start of the ring: ring steps in direction 4 from the centre
        for d in range(6):
            for _ in range(ring):
                if len(cells) < n:
                    cells.append((q, r))
                q, r = q + directions[d][0], r + directions[d][1]
        ring += 1
    return cells[:n]


def hex_neighbours(coords):
    result = []
    for i, (q, r) in enumerate(coords):
        near = []
        for j, (q2, r2) in enumerate(coords):
            dq, dr = q2 - q, r2 - r
            if i != j and max(abs(dq), abs(dr), abs(dq + dr)) == 1:
                near.append(j)
        result.append(near)
    return result



def mhz(value):
    """A frequency in MHz as the topology needs it: every digit to the kHz kept (`:g` kept six
    significant digits, so 31 blocks of 10.573 MHz ended the band at 3727.76, not a whole number
    of blocks, and flowcast refused the scenario)."""
    value = round(value, 6)
    return str(int(value)) if value == int(value) else repr(value)

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--traces", nargs="+", required=True, help="radio KPI logs (CSV)")
    p.add_argument("--out", required=True, help="scenario folder (created)")
    p.add_argument("--cells", type=int, default=7)
    p.add_argument("--users", type=int, default=16, help="users per cell")
    p.add_argument("--blocks", type=int, default=30, help="blocks in the shared band")
    p.add_argument("--block-mhz", type=float, help="width of one block, MHz to the kHz (default: the width at which the static split leaves --static-unmet of the demand unmet)")
    p.add_argument("--static-unmet", type=float, default=0.10,
                   help="the load: without --block-mhz, blocks are as wide as makes the static equal split by colouring leave this fraction of demand unmet")
    p.add_argument("--seconds", type=int, default=3600, help="length of the scenario")
    p.add_argument("--cqi-table", choices=sorted(TABLES), default="table1")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if os.path.exists(a.out) and not os.path.isdir(a.out):
        fail(f"--out {a.out}: a file is there, not a folder (the scenario is a folder of files)")
    if a.cells < 1 or a.users < 1 or a.blocks < a.cells or a.seconds < 1 or (a.block_mhz is not None and not (a.block_mhz > 0 and math.isfinite(a.block_mhz))):
        fail("--cells, --users and --seconds must be positive, --blocks at least --cells, --block-mhz positive")
    if not 0 < a.static_unmet < 1:
        fail("--static-unmet must be between 0 and 1")

    paths = sorted(set(a.traces))
    read = [(path, read_trace(path)) for path in paths]
    paths = [path for path, trace in read if trace is not None]
    traces = [trace for _, trace in read if trace is not None]
    if not traces:
        fail("no trace with CQI reports")
    rng = random.Random(a.seed)
    order = list(range(len(paths)))
    rng.shuffle(order)
    table = TABLES[a.cqi_table]
    users = []
    for u in range(a.cells * a.users):
        k = order[u % len(order)]
        users.append((k, rng.randrange(len(traces[k][0]))))

    coords = hex_cells(a.cells)
    neighbours = hex_neighbours(coords)
    names = [f"cell-{c + 1}" for c in range(a.cells)]
    series = []  # per cell: (demand kbit/s, CQI index) per second
    for c in range(a.cells):
        mine = users[c * a.users:(c + 1) * a.users]
        rows = []
        for t in range(a.seconds):
            demand, airtime, se_sum = 0.0, 0.0, 0.0
            for k, offset in mine:
                dl, cqi = traces[k]
                i = (offset + t) % len(dl)
                se = max(table[1], table[cqi[i]])  # CQI 0 (out of range) counts as the lowest index
                demand += dl[i]
                airtime += dl[i] / se
                se_sum += se
            cell_se = demand / airtime if airtime > 0 else se_sum / len(mine)
            index = min(range(1, 16), key=lambda q: (abs(table[q] - cell_se), q))
            rows.append((int(round(demand)), index))
        series.append(rows)
    # No demand, no scenario: every plan serves all of nothing, and --static-unmet cannot be met
    # (an audit's all-zero DL_bitrate traces gave a 0.001 MHz block and a "perfect" backtest).
    if not any(demand > 0 for rows in series for demand, _ in rows):
        fail("the traces' users demand nothing over --seconds (DL_bitrate is 0 or missing throughout): no load to plan for")

    # The static split (flowcast backtest's): greedy colouring in cell order, equal runs per colour.
    colour = []
    for c in range(a.cells):
        taken = {colour[n] for n in neighbours[c] if n < c}
        colour.append(min(q for q in range(a.cells + 1) if q not in taken))
    colours = max(colour) + 1
    static_blocks = [a.blocks // colours + (1 if colour[c] < a.blocks % colours else 0) for c in range(a.cells)]

    def static_unmet(width):
        total = unmet = 0.0
        for c in range(a.cells):
            for demand, index in series[c]:
                total += demand
                unmet += max(0.0, demand - static_blocks[c] * width * 1e3 * table[index])
        return unmet / total if total > 0 else 0.0

    # Block widths are whole kHz, given or found (--block-mhz 0.3333333 wrote a width rounded to
    # 1 Hz beside a band edge from the unrounded one: not a whole number of blocks).
    width = None if a.block_mhz is None else round(a.block_mhz, 3) if math.isfinite(a.block_mhz) else -1.0
    if width is not None and width <= 0:
        sys.exit("make-radio-scenario: --block-mhz must be a number of MHz, at least 0.001 (block widths are whole kHz)")
    if width is None:
        low, high = 1e-3, 1e3
        for _ in range(60):
            mid = (low * high) ** 0.5
            low, high = (mid, high) if static_unmet(mid) > a.static_unmet else (low, mid)
        width = round(high, 3)

    # An --out that is a file (or not writable) is one line, not a traceback (an audit).
    try:
        os.makedirs(a.out, exist_ok=True)
    except OSError as e:
        fail(f"--out {a.out}: cannot make the scenario folder: {e.strerror}" + (" (a file is there)" if os.path.isfile(a.out) else ""))
    for c in range(a.cells):
        with open(os.path.join(a.out, names[c] + ".csv"), "w", newline="", encoding="utf-8") as f:
            f.write("Timestamp,CQI,DL_bitrate\n")
            for t, (demand, index) in enumerate(series[c]):
                stamp = time.strftime("%Y.%m.%d_%H.%M.%S", time.gmtime(START + t))
                f.write(f"{stamp},{index},{demand}\n")

    lines = [
        "# Spectrum scenario made by tools/make-radio-scenario.py from 5G radio KPI logs.",
        f"# {a.cells} cells x {a.users} users, seed {a.seed}; see scenario.json.",
        "bands:",
        f"  - {{ id: n78, lowMHz: 3400, highMHz: {mhz(3400 + a.blocks * width)}, blockMHz: {mhz(width)} }}",
        "cells:",
    ]
    for c in range(a.cells):
        near = ", ".join(names[n] for n in neighbours[c])
        lines.append(f"  - {{ id: {names[c]}, band: n78, minBlocks: 1, maxBlocks: {a.blocks}, "
                     f"peakSpectralEfficiency: {table[15]}, kpiSource: {names[c]}.csv, cqiTable: {a.cqi_table}, "
                     f"neighbours: [{near}] }}")
    with open(os.path.join(a.out, "topology.yaml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # The digest of every file written, so `flowcast backtest` can tell a folder where another
    # run's logs or topology replaced these (two seeds at one --block-mhz agree on every count).
    digests = {}
    for name in [n + ".csv" for n in names[:a.cells]] + ["topology.yaml"]:
        with open(os.path.join(a.out, name), "rb") as f:
            digests[name] = "sha256:" + hashlib.sha256(f.read()).hexdigest()
    meta = {
        "files": digests,
        "cells": a.cells, "usersPerCell": a.users, "blocks": a.blocks, "blockMHz": width,
        "staticUnmetFraction": round(static_unmet(width), 6),
        "seconds": a.seconds, "seed": a.seed, "cqiTable": a.cqi_table,
        "peakSpectralEfficiency": table[15],
        "traces": [os.path.basename(path) for path in paths],
        "users": [{"cell": names[u // a.users], "trace": os.path.basename(paths[k]), "offset": off}
                  for u, (k, off) in enumerate(users)],
    }
    with open(os.path.join(a.out, "scenario.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
