#!/usr/bin/env python3
"""How far can a strong off-the-shelf learner get on the public 5G traces? (analysis only)

Flowcast runs no Python; this script is for reviewers who want to check the claims in
docs/forecasting.md ("5G: what a larger learner reaches") with LightGBM, the learner behind the
issue's reference figures. It reads the public traces in place (GPL data, never copied), puts each
on a one-second grid as flowcast does (repeated seconds averaged, gaps missing, history carried
forward), builds per-series normalised features (scale = mean |x| over the last 288 rows) and
scores one-step forecasts of the change from the last value, pooled over 5 folds of whole traces
(the folds of `tools/eval-5g.sh all`) and on the 24 held-out traces of `tools/eval-5g.sh heldout`.

  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pandas lightgbm
  /tmp/venv/bin/python tools/analysis/5g_ceiling.py [TRACES]    # default /work/shared/data/radio-5g/traces
"""
import glob, hashlib, os, sys
import numpy as np, pandas as pd, lightgbm as lgb

# 3GPP TS 38.214 Table 5.2.2.1-2, bit/s/Hz for CQI 0..15.
SE = [0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
      3.9023, 4.5234, 5.1152, 5.5547]
COVARIATES = ["cqi", "rsrp", "snr", "rsrq", "state", "speed"]


def read(path):
    raw = pd.read_csv(path, na_values=["-"], low_memory=False)
    t = pd.to_datetime(raw.Timestamp, format="%Y.%m.%d_%H.%M.%S").values.astype("datetime64[s]").astype("int64")
    num = lambda c: pd.to_numeric(raw[c], errors="coerce")
    frame = pd.DataFrame({"t": t, "dl": num("DL_bitrate") / 1000, "cqi": num("CQI"), "rsrp": num("RSRP"),
                          "snr": num("SNR"), "rsrq": num("RSRQ"), "state": raw.State.map({"D": 1.0, "I": 0.0}),
                          "speed": num("Speed")})
    frame["se"] = frame.cqi.map(lambda c: np.nan if np.isnan(c) else SE[int(c)])
    grid = frame.groupby("t").mean()
    return grid.reindex(np.arange(grid.index.min(), grid.index.max() + 1))


def features(grid, target):
    x = grid[target].ffill()
    last = x.shift(1)
    scale = np.maximum(x.abs().shift(1).rolling(288, min_periods=1).mean().values, 1e-3)
    f = pd.DataFrame(index=grid.index)
    for k in range(1, 11):
        f[f"lag{k}"] = (x.shift(k) - last) / scale
    for w in (5, 10, 30, 120):
        past = x.shift(1).rolling(w, min_periods=1)
        f[f"mean{w}"] = (past.mean() - last) / scale
        f[f"max{w}"] = (past.max() - last) / scale
        f[f"changes{w}"] = (x != x.shift(1)).astype(float).shift(1).rolling(w, min_periods=1).sum()
    f["std10"] = x.shift(1).rolling(10, min_periods=2).std() / scale
    f["level"] = last / scale
    f["log_scale"] = np.log(scale)
    for c in COVARIATES:
        f[c] = grid[c].shift(1)
        f[c + "_change"] = grid[c].shift(1) - grid[c].shift(2)
    busy = (x > 0.05 * scale).astype(int) if target == "dl" else (x != x.shift(1)).astype(int)
    runs = (busy != busy.shift(1)).cumsum()
    f["run"] = busy.groupby(runs).cumcount().shift(1)
    f["gap"] = grid[target].shift(1).isna().astype(float)
    keep = grid[target].notna().values & last.notna().values
    return f[keep], (grid[target] - last).values[keep], scale[keep]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/radio-5g/traces"
    paths = sorted(os.path.realpath(p) for p in glob.glob(os.path.join(root, "**", "*.csv"), recursive=True))
    if not paths:
        sys.exit(f"no traces under {root}")
    grids = [read(p) for p in paths]
    fold = np.array([int(hashlib.md5(p.encode()).hexdigest()[2:4], 16) % 5 for p in paths])
    held = np.array([int(hashlib.md5((p + "\n").encode()).hexdigest()[:2], 16) % 5 == 0 for p in paths])
    runs = {"se": [("median (L1)", dict(objective="l1")), ("mean (L2)", dict(objective="l2"))],
            "dl": [("median, depth-6 trees", dict(objective="l1", max_depth=6, num_leaves=64)),
                   ("median, depth-6, half rows", dict(objective="l1", max_depth=6, num_leaves=64,
                                                        bagging_fraction=0.5, bagging_freq=1)),
                   ("median, 8-leaf trees", dict(objective="l1", max_depth=6, num_leaves=8))]}
    for target, settings in runs.items():
        parts = [features(g, target) for g in grids]
        trace = np.concatenate([np.full(len(p[1]), i) for i, p in enumerate(parts)])
        X = pd.concat([p[0] for p in parts]).values
        e = np.concatenate([p[1] for p in parts])
        s = np.concatenate([p[2] for p in parts])
        for name, params in settings:
            params = dict(params, learning_rate=0.25, min_data_in_leaf=100, verbose=-1, num_threads=2, seed=1)

            def fit(train, test):
                model = lgb.train(params, lgb.Dataset(X[train], e[train] / s[train], weight=s[train]), 64)
                return model.predict(X[test]) * s[test]

            for split, groups in (("5 folds, all traces", [fold[trace] == k for k in range(5)]),
                                  ("held-out 24", [held[trace]])):
                rows = np.zeros(len(e), bool)
                predicted = np.zeros(len(e))
                for test in groups:
                    predicted[test] = fit(~test, test)
                    rows |= test
                r, p = e[rows] - predicted[rows], e[rows]
                print(f"{target} {name:28s} {split:20s} MAE x p {np.abs(r).mean() / np.abs(p).mean():.3f}"
                      f"  RMSE x p {np.sqrt((r ** 2).mean() / (p ** 2).mean()):.3f}", flush=True)


if __name__ == "__main__":
    main()
