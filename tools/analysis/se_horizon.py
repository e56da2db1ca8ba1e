#!/usr/bin/env python3
"""Which estimate of a cell's spectral efficiency should a plan use? (analysis only)

A plan holds for an interval (`replay --plan-every`, a forecasts file's window), so the efficiency
it needs is the mean over the next interval, not the next second. This script scores estimates
made from the reports before each decision point (every interval of each public 5G trace, with
at least half of the next interval reported): the last report, and the mean of the last W
seconds for several W, and the table's peak (what a topology's peakSpectralEfficiency stands for). Mean absolute error in bit/s/Hz, on the 53 training traces and on the 24
held-out traces of `tools/eval-5g.sh` (same split). `RadioKPIEfficiency` uses the rule the
training traces pick: W = max(60 s, 2 × interval).

  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pandas
  /tmp/venv/bin/python tools/analysis/se_horizon.py [TRACES]    # default /work/shared/data/radio-5g/traces
"""
import glob, hashlib, os, sys
import numpy as np, pandas as pd

# 3GPP TS 38.214 Table 5.2.2.1-2, bit/s/Hz for CQI 0..15 (as in 5g_ceiling.py and the reference).
SE = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
      3.9023, 4.5234, 5.1152, 5.5547]
WINDOWS = [1, 10, 30, 60, 120, 300, 600]


def efficiency(path):
    """The trace's efficiency on a one-second grid: repeated seconds averaged, gaps missing."""
    raw = pd.read_csv(path, na_values=["-"], low_memory=False)
    t = pd.to_datetime(raw.Timestamp, format="%Y.%m.%d_%H.%M.%S").values.astype("datetime64[s]").astype("int64")
    cqi = pd.to_numeric(raw.CQI, errors="coerce")
    frame = pd.DataFrame({"t": t, "se": cqi.map(lambda c: np.nan if np.isnan(c) else SE[int(c)])})
    grid = frame.groupby("t").se.mean()
    return grid.reindex(np.arange(grid.index.min(), grid.index.max() + 1)).values


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/radio-5g/traces"
    paths = sorted(os.path.realpath(p) for p in glob.glob(os.path.join(root, "**", "*.csv"), recursive=True))
    if not paths:
        sys.exit(f"no traces under {root}")
    held = [int(hashlib.md5((p + "\n").encode()).hexdigest()[:2], 16) % 5 == 0 for p in paths]
    traces = [efficiency(p) for p in paths]
    for interval in (60, 300):
        errors = {(split, w): [] for split in ("training", "held-out") for w in WINDOWS + ["rule", "peak"]}
        rule = max(60, 2 * interval)
        for se, is_held in zip(traces, held):
            split = "held-out" if is_held else "training"
            for t in range(interval, len(se) - interval, interval):
                future = se[t:t + interval]
                future = future[~np.isnan(future)]
                if len(future) < interval / 2:
                    continue
                past = se[:t]
                reported = past[~np.isnan(past)]
                if len(reported) == 0:
                    continue
                for w in WINDOWS + ["rule"]:
                    recent = past[-(rule if w == "rule" else w):]
                    recent = recent[~np.isnan(recent)]
                    estimate = recent.mean() if len(recent) else reported[-1]
                    errors[(split, w)].append(abs(estimate - future.mean()))
                errors[(split, "peak")].append(abs(SE[15] - future.mean()))  # a configured peak
        for split in ("training", "held-out"):
            cells = "  ".join(f"{'last' if w == 1 else w}: {np.mean(errors[(split, w)]):.3f}" for w in WINDOWS)
            print(f"interval {interval:3d} s, {split:8s} ({len(errors[(split, 1)])} decisions)  {cells}"
                  f"  | rule ({rule} s): {np.mean(errors[(split, 'rule')]):.3f}  | table peak: {np.mean(errors[(split, 'peak')]):.3f}")


if __name__ == "__main__":
    main()
