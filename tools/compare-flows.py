#!/usr/bin/env python3
"""Check `flowcast flows --idle-timeout 0 --active-timeout 0` against flows summed from the
tshark-derived per-packet expected files: per flow (protocol + both endpoints, either
direction), packets and wire bytes each way must agree.
Usage: tools/compare-flows.py [--flowcast PATH] CAPTURE..."""
import subprocess, sys, os

def expected_flows(path):
    flows = {}
    for line in open(path):
        c = line.rstrip("\n").split("\t")
        if len(c) < 13 or not c[6]: continue
        proto, src, dst, sp, dp, wire = c[8], c[6], c[7], c[9], c[10], int(c[2])
        if sp == "?": continue
        a, b = (src, sp), (dst, dp)
        key = (proto,) + tuple(sorted([a, b]))
        f = flows.setdefault(key, {"a": a, "ab": [0, 0], "ba": [0, 0]})
        d = "ab" if a == f["a"] else "ba"
        f[d][0] += 1; f[d][1] += wire
    return flows

def main(argv):
    exe = ".build/debug/flowcast"
    if argv[:1] == ["--flowcast"]: exe, argv = argv[1], argv[2:]
    bad = 0
    for cap in argv:
        exp = cap + ".expected.tsv"
        if not os.path.exists(exp) or os.path.exists(cap + ".expected.err"): continue
        want = expected_flows(exp)
        out = subprocess.run([exe, "flows", cap, "--idle-timeout", "0", "--active-timeout", "0"], capture_output=True, text=True)
        got = {}
        for line in out.stdout.splitlines():
            c = line.split("\t")
            a, b = (c[1], c[2]), (c[3], c[4])
            key = (c[0],) + tuple(sorted([a, b]))
            got[key] = {"a": a, "ab": [int(c[5]), int(c[6])], "ba": [int(c[7]), int(c[8])]}
        problems = []
        skipped_q = any("\t?\t" in l for l in open(exp))
        for k, f in want.items():
            g = got.get(k)
            if g is None: problems.append(f"missing flow {k}"); continue
            gab, gba = (g["ab"], g["ba"]) if g["a"] == f["a"] else (g["ba"], g["ab"])
            if (gab, gba) != (f["ab"], f["ba"]): problems.append(f"{k}: got {gab} {gba}, expected {f['ab']} {f['ba']}")
        if not skipped_q:
            for k in got:
                if k not in want: problems.append(f"extra flow {k}")
        if problems:
            bad += 1
            print(f"FAIL {os.path.basename(cap)}: {len(problems)}"); [print("   ", p) for p in problems[:4]]
    print(f"{len(argv) - bad}/{len(argv)} captures agree")
    return 1 if bad else 0

sys.exit(main(sys.argv[1:]))
