internal import FlowcastPipeline
internal import FlowcastPolicy
public import FlowcastTopology

/// What a run's forecasts and spectrum plans were worth, computed from the run's own files: the
/// forecaster against persistence and `recentMean` (forecasts.jsonl against windows.jsonl), and
/// the spectrum plans against a static split (policies against windows.jsonl and the cells' radio
/// KPI logs). `flowcast report` shows them; tests recompute them from the same files.
public struct RunScores: Sendable {
    /// One kind's (cells' or links') one-step forecasts scored on the same windows.
    public struct ForecastScore: Sendable, Equatable {
        public var kind: String
        /// Who forecast (the forecasts' `source` in the policies, e.g. "model fc1-…").
        public var forecaster: String
        /// Forecasts scored: complete windows with a previous window of the same series.
        public var count: Int
        /// Mean absolute error, bit/s, of the point forecast, of persistence (the last window) and
        /// of `recentMean` (the mean of the complete windows that started in the last
        /// max(60 s, 2 × window), the rule the planner sizes efficiency by).
        public var forecastMAE: Double
        public var persistenceMAE: Double
        public var recentMeanMAE: Double
        /// Seconds `recentMean` averages.
        public var recentSeconds: Double
    }

    /// One cell's (or the total's) spectrum, planned against static, over the scored windows.
    public struct SpectrumScore: Sendable, Equatable {
        public var cell: String
        /// Cell windows scored (for the total, summed over the cells).
        public var windows: Int
        /// Network windows scored: the distinct window starts among them. A cell's is its
        /// `windows`; the total's is what its unmet demand is a mean per (the cells' unmet summed
        /// per window, averaged over the windows), not the count of cell windows.
        public var networkWindows: Int = 0
        /// Sum of the windows' demand, bit/s × windows.
        public var demand: Double
        /// Demand beyond what the blocks carried at the window's measured efficiency.
        public var plannedUnmet: Double
        public var staticUnmet: Double
        /// Mean blocks over the scored windows.
        public var plannedBlocks: Double
        public var staticBlocks: Double
        /// Measured efficiency over the scored windows (bit/s/Hz), demand-weighted for a cell and for
        /// the total ("all") alike: Σ demand / Σ (demand / efficiency), the efficiency at which the
        /// demand was served, which is what sizing needs (blocks = demand / (efficiency × block
        /// width)); and the configured peak. The total is thereby the same aggregate of the rows. A
        /// cell's plain mean of its windows gave an idle window's high efficiency a loaded one's
        /// weight: cell-3 read 2.46 beside the total's demand-weighted 3.25 while leaving 20.76 %
        /// unmet, where its own demand-weighted figure is 1.92. Without demand, the plain mean.
        public var efficiency: Double
        public var peakEfficiency: Double?

        public var plannedUnmetFraction: Double { demand > 0 ? plannedUnmet / demand : 0 }
        public var staticUnmetFraction: Double { demand > 0 ? staticUnmet / demand : 0 }
        /// Mean unmet demand per network window, bit/s.
        public var plannedUnmetPerWindow: Double { networkWindows > 0 ? plannedUnmet / Double(networkWindows) : 0 }
        public var staticUnmetPerWindow: Double { networkWindows > 0 ? staticUnmet / Double(networkWindows) : 0 }
    }

    public var forecasts: [ForecastScore] = []
    /// Per cell with a radio KPI log, then the total (cell "all").
    public var spectrum: [SpectrumScore] = []
    /// The static split's blocks per cell.
    public var staticBlocks: [String: Int] = [:]
    /// Why spectrum could not be scored, or what was left out (one line each).
    public var notes: [String] = []
    /// What the spectrum was scored with: the topology file (and its digest), set by the caller,
    /// and each scored cell's radio KPI log.
    public var topologySource: (path: String, digest: String)?
    public var radioLogs: [(cell: String, path: String)] = []

    public init() {}

    /// Scores `run`; the spectrum needs the run's topology (bands, neighbours, radio KPI logs).
    public static func compute(run: RunData, topology: Topology?) -> RunScores {
        var scores = RunScores()
        scores.forecasts = ["cell", "link"].compactMap { forecastScore(run: run, kind: $0) }
        if let topology {
            scoreSpectrum(run: run, topology: topology, into: &scores)
        } else {
            scores.notes.append("Spectrum not scored: give --topology (bands, neighbours and the cells' radio KPI logs).")
        }
        return scores
    }

    /// Complete windows' load (bit/s) per series key `kind:id`, in time order: not cut short, and
    /// not missing packets dropped before capture, the windows the planner's forecaster learns
    /// from. (recentMean was charged with drop windows' low reads the forecaster never saw, and
    /// scored against it: an audit.)
    static func loads(_ run: RunData) -> [String: [(start: Double, duration: Double, load: Double)]] {
        var out: [String: [(start: Double, duration: Double, load: Double)]] = [:]
        for w in run.windows where !w.cutShort && w.droppedBeforeCapture == 0 {
            out["\(w.kind):\(w.id)", default: []].append((w.start, w.duration, w.load))
        }
        for k in out.keys { out[k]!.sort { $0.start < $1.start } }
        return out
    }

    /// A series that carried no traffic in any complete window is left out: every method is exact
    /// on it, and its zero errors would pull the kind's mean down (in the demo five of thirteen
    /// links carry nothing, 290 of 754 link windows). The report's summary shows "–" for them.
    static func forecastScore(run: RunData, kind: String) -> ForecastScore? {
        // Per series, window starts in time order: each forecast's recentMean windows are found by
        // binary search (a filter per forecast made a day of 10 s windows quadratic) and summed
        // in the same order as before.
        var indexed: [String: (starts: [Double], loads: [Double], duration: Double)] = [:]
        for (key, windows) in loads(run) where windows.contains(where: { $0.load > 0 }) {
            indexed[key] = (windows.map(\.start), windows.map(\.load), windows.first?.duration ?? 0)
        }
        func firstIndex(_ starts: [Double], notBelow t: Double) -> Int {
            var lo = 0, hi = starts.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if starts[mid] < t { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        var count = 0, model = 0.0, persistence = 0.0, recent = 0.0, seconds = 0.0
        for f in run.forecasts where f.kind == kind && !f.partial {
            guard let actual = f.actual, let last = f.persistence, let series = indexed["\(kind):\(f.id)"] else { continue }
            let span = RadioKPIEfficiency.window(horizon: series.duration)
            // The windows that started in [f.start − span, f.start).
            let from = firstIndex(series.starts, notBelow: f.start - span - 1e-6), to = firstIndex(series.starts, notBelow: f.start)
            guard to > from else { continue }
            seconds = span
            count += 1
            model += abs(actual - f.point)
            persistence += abs(actual - last)
            recent += abs(actual - series.loads[from..<to].reduce(0, +) / Double(to - from))
        }
        guard count > 0 else { return nil }
        let source = run.policies.lazy.compactMap { p in p.document.spectrum.cells.first?.forecast.source }.first
        return ForecastScore(kind: kind, forecaster: source ?? "unknown", count: count, forecastMAE: model / Double(count),
                             persistenceMAE: persistence / Double(count), recentMeanMAE: recent / Double(count),
                             recentSeconds: seconds)
    }

    static func scoreSpectrum(run: RunData, topology: Topology, into scores: inout RunScores) {
        let split = SpectrumBacktest(topology: topology, truth: RadioTruth(demand: [], efficiency: []), planEvery: 60).staticSplit()
        let series = loads(run)
        var total = SpectrumScore(cell: "all", windows: 0, demand: 0, plannedUnmet: 0, staticUnmet: 0, plannedBlocks: 0,
                                  staticBlocks: 0, efficiency: 0, peakEfficiency: nil)
        var starts: Set<Double> = []
        var demandOverEfficiency = 0.0
        for (c, cell) in topology.cells.enumerated() {
            var cellDemandOverEfficiency = 0.0
            scores.staticBlocks[cell.id] = split[c].count
            guard let path = cell.kpiSource else {
                scores.notes.append("\(cell.id): no radio KPI log (kpiSource), not scored.")
                continue
            }
            let log: RadioKPISeries
            scores.radioLogs.append((cell.id, path))
            do { log = try RadioKPISeries.read(path: path, cqiTable: cell.cqiTable) } catch {
                scores.notes.append("\(cell.id): \(error.description)")
                continue
            }
            let hz = topology.bands[cell.band].blockMHz * 1e6
            var s = SpectrumScore(cell: cell.id, windows: 0, demand: 0, plannedUnmet: 0, staticUnmet: 0, plannedBlocks: 0,
                                  staticBlocks: 0, efficiency: 0, peakEfficiency: cell.peakSpectralEfficiency)
            var noReport = 0
            for p in run.policies {
                guard let start = p.start, let end = p.end,
                      let planned = p.document.spectrum.cells.first(where: { $0.id == cell.id }) else { continue }
                for w in series["cell:\(cell.id)"] ?? [] where w.start >= start && w.start < end {
                    guard let efficiency = log.mean(from: w.start, to: w.start + w.duration) else {
                        noReport += 1
                        continue
                    }
                    s.windows += 1
                    starts.insert(w.start)
                    s.demand += w.load
                    s.plannedUnmet += max(0, w.load - Double(planned.blocks.count) * hz * efficiency)
                    s.staticUnmet += max(0, w.load - Double(split[c].count) * hz * efficiency)
                    s.plannedBlocks += Double(planned.blocks.count)
                    s.staticBlocks += Double(split[c].count)
                    s.efficiency += efficiency
                    if efficiency > 0 { cellDemandOverEfficiency += w.load / efficiency }
                }
            }
            if noReport > 0 { scores.notes.append("\(cell.id): \(noReport) windows without a CQI report in \(path), not scored.") }
            guard s.windows > 0 else { continue }
            total.windows += s.windows
            total.demand += s.demand
            total.plannedUnmet += s.plannedUnmet
            total.staticUnmet += s.staticUnmet
            s.networkWindows = s.windows
            let n = Double(s.windows)
            s.plannedBlocks /= n
            s.staticBlocks /= n
            s.efficiency = s.demand > 0 && cellDemandOverEfficiency > 0 ? s.demand / cellDemandOverEfficiency : s.efficiency / n
            demandOverEfficiency += cellDemandOverEfficiency
            scores.spectrum.append(s)
        }
        if total.windows > 0 {
            total.networkWindows = starts.count
            total.plannedBlocks = scores.spectrum.reduce(0) { $0 + $1.plannedBlocks }
            total.staticBlocks = scores.spectrum.reduce(0) { $0 + $1.staticBlocks }
            total.efficiency = total.demand > 0 && demandOverEfficiency > 0
                ? total.demand / demandOverEfficiency
                : scores.spectrum.reduce(0) { $0 + $1.efficiency * Double($1.windows) } / Double(total.windows)
            scores.spectrum.append(total)
        }
    }
}
