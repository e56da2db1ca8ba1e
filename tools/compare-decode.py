#!/usr/bin/env python3
"""Compare `flowcast decode --format tsv` with the tshark-derived expected files.

Usage: tools/compare-decode.py [--flowcast PATH] [--verbose] CAPTURE...
For each capture, runs flowcast and compares every field of every packet with
CAPTURE.expected.tsv ("?" fields are not compared). Where CAPTURE.expected.err exists,
flowcast must exit non-zero. Prints one line per capture and a total; exit 1 on any mismatch.
"""
import subprocess, sys, os

def main(argv):
    exe = ".build/debug/flowcast"
    verbose = False
    files = []
    i = 0
    while i < len(argv):
        if argv[i] == "--flowcast": exe = argv[i + 1]; i += 2; continue
        if argv[i] == "--verbose": verbose = True; i += 1; continue
        files.append(argv[i]); i += 1
    bad = 0
    for cap in files:
        exp_path = cap + ".expected.tsv"
        if not os.path.exists(exp_path):
            continue
        expected = [l.split("\t") for l in open(exp_path).read().splitlines()]
        proc = subprocess.run([exe, "decode", cap, "--format", "tsv"], capture_output=True, text=True)
        got = [l.split("\t") for l in proc.stdout.splitlines()]
        problems = []
        want_err = os.path.exists(cap + ".expected.err")
        if want_err and proc.returncode == 0:
            problems.append("expected a non-zero exit (tshark refused the file)")
        if not want_err and proc.returncode != 0:
            problems.append(f"exit {proc.returncode}: {proc.stderr.strip()}")
        if len(got) != len(expected):
            problems.append(f"{len(got)} packets, expected {len(expected)}")
        for e, g in zip(expected, got):
            if len(g) != 13:
                problems.append(f"frame {e[0]}: {len(g)} columns"); continue
            for col, (ev, gv) in enumerate(zip(e, g)):
                if ev == "?" or ev == gv: continue
                problems.append(f"frame {e[0]} col {col+1}: got {gv!r} expected {ev!r}")
        name = os.path.basename(cap)
        if problems:
            bad += 1
            print(f"FAIL {name}: {len(problems)} problems")
            for p in problems[: (50 if verbose else 5)]:
                print("   ", p)
        elif verbose:
            print(f"ok   {name}")
    print(f"{len(files) - bad}/{len(files)} captures agree")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
