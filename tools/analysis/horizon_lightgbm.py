#!/usr/bin/env python3
"""The issue's LightGBM reference for interval-ahead forecasts, on this repository's split (analysis only).

Forecasts the mean of the next H seconds of a public 5G trace (SE from CQI, or DL bitrate) as a change
from recentMean (the mean of the last max(60 s, 2 H)), with LightGBM on summary features of the past:
recent means over 5 s … 600 s, the last value, spread, trend, the other radio KPIs (CQI, RSRP, SNR, RSRQ),
State and Speed. Trained on the 53 training traces of `tools/eval-5g.sh`, scored on the 24 held-out ones
(same md5 split), every origin whose next H seconds lie inside the trace and are at least half observed,
as `flowcast evaluate --horizon` scores. Fixed parameters, chosen before looking at any score.

  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pandas lightgbm
  /tmp/venv/bin/python tools/analysis/horizon_lightgbm.py se 60 [TRACES]   # default /work/shared/data/radio-5g/traces
"""
import glob, hashlib, math, os, sys
import numpy as np, pandas as pd, lightgbm as lgb

SE = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
      3.9023, 4.5234, 5.1152, 5.5547]
COVARIATES = ["CQI", "RSRP", "SNR", "RSRQ", "state", "Speed"]


def grid(path, target):
    """The trace on a one-second grid: repeated seconds averaged, gaps missing."""
    raw = pd.read_csv(path, na_values=["-"], low_memory=False)
    t = pd.to_datetime(raw.Timestamp, format="%Y.%m.%d_%H.%M.%S").values.astype("datetime64[s]").astype("int64")
    frame = pd.DataFrame({"t": t})
    for c in ["CQI", "RSRP", "SNR", "RSRQ", "Speed", "DL_bitrate"]:
        frame[c] = pd.to_numeric(raw[c], errors="coerce") if c in raw else np.nan
    frame["state"] = (raw.State == "D").astype(float) if "State" in raw else np.nan
    if target == "se":
        frame["y"] = frame.CQI.map(lambda c: np.nan if np.isnan(c) else SE[int(c)])
    else:
        frame["y"] = frame.DL_bitrate / 1000
    g = frame.groupby("t").mean()
    return g.reindex(np.arange(g.index.min(), g.index.max() + 1))


def rows(g, horizon):
    y = g.y
    window = int(max(60, 2 * horizon))
    m = y.rolling(window, min_periods=1).mean()
    f = pd.DataFrame(index=g.index)
    for w in [5, 10, 30, 60, 120, 300, 600]:
        f[f"mean{w}"] = y.rolling(w, min_periods=1).mean() - m
    last = y.ffill()
    f["last"] = last - m
    f["level"] = m
    f["spread"] = y.rolling(window, min_periods=2).std()
    f["spread60"] = y.rolling(60, min_periods=2).std()
    half = max(1, window // 2)
    f["trend"] = y.rolling(half, min_periods=1).mean() - y.shift(half).rolling(half, min_periods=1).mean()
    for c in COVARIATES:
        f[c] = g[c].ffill()
        f[c + "_mean"] = g[c].rolling(window, min_periods=1).mean()
        f[c + "_change"] = f[c] - g[c].rolling(10, min_periods=1).mean()
    # mean of rows t+1 … t+H with at least half observed, only where the window lies inside the trace
    future = y[::-1].rolling(horizon, min_periods=math.ceil(horizon / 2)).mean()[::-1].shift(-1)
    n = len(y)
    future.iloc[max(0, n - horizon):] = np.nan
    keep = m.notna() & future.notna() & last.notna()
    return f[keep], (future - m)[keep], m[keep]


def main():
    target, horizon = sys.argv[1], int(sys.argv[2])
    root = sys.argv[3] if len(sys.argv) > 3 else "/work/shared/data/radio-5g/traces"
    paths = sorted(os.path.realpath(p) for p in glob.glob(os.path.join(root, "**", "*.csv"), recursive=True))
    held = [int(hashlib.md5((p + "\n").encode()).hexdigest()[:2], 16) % 5 == 0 for p in paths]
    parts = {True: [], False: []}
    for p, h in zip(paths, held):
        parts[h].append(rows(grid(p, target), horizon))
    def stack(items):
        return pd.concat([i[0] for i in items]), pd.concat([i[1] for i in items]), pd.concat([i[2] for i in items])
    xt, yt, _ = stack(parts[False])
    xh, yh, _ = stack(parts[True])
    model = lgb.train({"objective": "l1", "learning_rate": 0.05, "num_leaves": 63, "min_data_in_leaf": 100,
                       "feature_fraction": 0.8, "verbose": -1, "seed": 1}, lgb.Dataset(xt, yt), num_boost_round=300)
    prediction = model.predict(xh)
    flowcast_like = np.abs(yh.values - prediction).mean()
    rule = np.abs(yh.values).mean()
    print(f"{target} {horizon}s: train {len(yt)} origins, held-out {len(yh)}; LightGBM MAE {flowcast_like:.4f}, "
          f"recentMean {rule:.4f}, ratio {flowcast_like / rule:.3f}")


if __name__ == "__main__":
    main()
