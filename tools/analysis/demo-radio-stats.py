#!/usr/bin/env python3
"""Statistics of the public 5G traces' CQI that `flowcast synth --radio` reproduces, and the fit.

Usage: tools/analysis/demo-radio-stats.py [../shared/data/radio-5g] [--fit]

Reads the GPL-3.0 traces in place (nothing is copied): per trace, the CQI reports averaged per
second and rounded, then pooled: the marginal distribution, the autocorrelation at 1-120 s and the
share of seconds whose report differs from the last. With --fit, simulates the generator of
Sources/FlowcastDemo/DemoRadioLog.swift (latent sum of AR(1) processes through the marginal's
quantile function, a new report with probability q a second) and prints the same statistics.
Standard library only.
"""
import csv, glob, math, random, sys

LAGS = (1, 5, 10, 30, 60, 120)


def stats(series):
    allv = [x for s in series for x in s]
    m = sum(allv) / len(allv)
    var = sum((x - m) ** 2 for x in allv) / len(allv)
    acf = {}
    for lag in LAGS:
        num = cnt = 0
        for s in series:
            for i in range(len(s) - lag):
                num += (s[i] - m) * (s[i + lag] - m)
                cnt += 1
        acf[lag] = round(num / cnt / var, 3)
    changes = sum(1 for s in series for i in range(len(s) - 1) if s[i] != s[i + 1])
    return m, math.sqrt(var), acf, changes / sum(len(s) - 1 for s in series)


def within(series):
    """Autocorrelation around each series' own mean (what differs between traces left out)."""
    acf = {}
    for lag in LAGS:
        num = den = 0
        for s in series:
            m = sum(s) / len(s)
            den += sum((x - m) ** 2 for x in s)
            num += sum((s[i] - m) * (s[i + lag] - m) for i in range(len(s) - lag))
        acf[lag] = round(num / den, 3)
    return acf


def traces(root):
    series = []
    # Every trace, at any depth: `traces/*/*/*/*.csv` missed the 19 of 77 stored one folder
    # shallower, and the generator was fitted to the other 58 (an audit; see DemoRadioLog.swift).
    for f in sorted(glob.glob(root + "/traces/**/*.csv", recursive=True)):
        seconds = {}
        for r in csv.DictReader(open(f)):
            if r["CQI"] not in ("-", ""):
                seconds.setdefault(r["Timestamp"], []).append(float(r["CQI"]))
        v = [round(sum(a) / len(a)) for _, a in sorted(seconds.items())]
        if len(v) >= 50:
            series.append(v)
    return series


def simulate(marginal, components, q, n=200000, seed=1):
    r = random.Random(seed)
    cum, s = [], 0
    for p in marginal:
        s += p
        cum.append(s)
    state = [r.gauss(0, 1) for _ in components]
    out, cur = [], None
    for _ in range(n):
        z = 0
        for i, (w, c) in enumerate(components):
            state[i] = c * state[i] + math.sqrt(1 - c * c) * r.gauss(0, 1)
            z += math.sqrt(w) * state[i]
        if cur is None or r.random() < q:
            u = 0.5 * math.erfc(-z / math.sqrt(2)) * s
            cur = next((i for i, c in enumerate(cum) if c >= u), len(cum) - 1)
        out.append(cur)
    return out


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    series = traces(args[0] if args else "../shared/data/radio-5g")
    counts = [0] * 16
    for s in series:
        for x in s:
            counts[int(x)] += 1
    total = sum(counts)
    print("traces", len(series), "reports", total)
    print("marginal", [round(c / total, 4) for c in counts])
    m, sd, acf, ch = stats(series)
    print(f"traces: mean {m:.2f} sd {sd:.2f} acf {acf} changes {ch:.3f}")
    print("within each trace: acf", within(series))
    means = [sum(s) / len(s) for s in series]
    mm = sum(means) / len(means)
    print(f"sd of trace means {math.sqrt(sum((x - mm) ** 2 for x in means) / len(means)):.2f}")
    if "--fit" in sys.argv:
        marginal = [c / total for c in counts]
        out = simulate(marginal, [(0.38, 0.997), (0.32, 0.96), (0.30, 0.0)], 0.35)
        m, sd, acf, ch = stats([out])
        print(f"generator: mean {m:.2f} sd {sd:.2f} acf {acf} changes {ch:.3f}")
        print("generator, within 2-hour runs: acf", within([out[i:i + 7200] for i in range(0, len(out), 7200)]))
