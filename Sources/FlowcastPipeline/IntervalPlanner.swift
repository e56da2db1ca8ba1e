internal import FlowcastCore
public import FlowcastAggregate
internal import FlowcastModel
public import FlowcastPolicy
public import FlowcastTopology
public import Foundation
internal import Dispatch

/// Forecasts every cell and link window by window during a replay or live run, and every
/// `every` of capture time plans a policy from the latest forecasts.
///
/// Per window it writes POLICIES/forecasts.jsonl (the one-step-ahead forecast made for that
/// window, its P90 and what happened), so forecasts are always scored against the truth; per
/// interval POLICIES/policy-NNNN.json, planned with the previous policy as the current one (so
/// the churn penalty and least-change spectrum keep plans stable).
/// Without a model file the forecaster is persistence with an upper band from recent absolute
/// changes, and every forecast says so in its `source`.
public final class IntervalPlanner {
    public struct Options: Sendable {
        public var everyNanoseconds: Int64
        public var directory: String
        public var plan: PlanOptions
        public var modelPath: String?
        /// Carry on forecasts.jsonl's temporary file from this length (a restarted planner).
        public var resumeForecastsAt: Int64? = nil
        /// An interval model of spectral efficiency (`train --target se --horizon` the plan
        /// interval) for the cells with radio KPI logs; without one they use the recent mean.
        public var efficiencyModelPath: String? = nil
        /// Whether `provenance.inputDigest` is the SHA-256 of the windows.jsonl lines the policy
        /// was planned from (replay and live, which write exactly the lines they feed; `false`
        /// for the planner, whose windows come from many taps: the digest of its description).
        public var digestsWindows = true
        public init(everyNanoseconds: Int64, directory: String, plan: PlanOptions = PlanOptions(), modelPath: String? = nil) {
            self.everyNanoseconds = everyNanoseconds; self.directory = directory; self.plan = plan; self.modelPath = modelPath
        }
    }

    public let topology: Topology
    let options: Options
    let topologyDigest: String
    let inputDigest: String
    /// The windows fed so far, as their windows.jsonl lines (`Options.digestsWindows`): a policy's
    /// input digest is this hash as of its plan, so a reviewer can recompute it from the run's
    /// windows.jsonl. It was the digest of a description ("replay demo.pcapng window …"), the
    /// same for two different captures of one name (an audit).
    private var windowsHash = SHA256()
    private var lineBytes: [UInt8] = []
    let model: ForecastModel?
    let modelDigest: String?
    /// The demand model when `--model` is an interval model: each interval is planned from the
    /// forecast of its mean (and band), made from every window's history.
    let intervalModel: IntervalModel?
    /// Each series' recent windows (bit/s), for the interval model: at most `historyLimit`.
    var history: [String: [Double]] = [:]
    var windowSeconds: Double?
    /// The cells' recent windows for the `flowcast` sizing rule (`RecentScenarioSizing`): each
    /// window's start and end, and every topology cell's rate in it (bit/s, NaN where the window
    /// did not carry the cell or was partial), oldest first, at most the last 1800 s.
    var recentWindows: [(start: Int64, end: Int64)] = []
    var recentRates: [[Double]]
    let cellIndex: [String: Int]
    /// Each KPI-logged cell's efficiency over the windows its log has moved past, so a plan reads
    /// only the seconds since the last one (`RadioKPIEfficiency.windowMeans`).
    let efficiencyCache = WindowMeanCache()
    let efficiencyModel: IntervalModel?
    var forecasters: [String: StepForecaster] = [:]
    var pending: [String: (point: Double, upper: Double)] = [:]
    /// The last value each series was observed at: persistence, the baseline written beside every
    /// forecast (so replay and live runs score the model against it, as `evaluate` does).
    var lastObserved: [String: Double] = [:]
    var lastPlanEnd: Int64?
    var windowIndex = 0
    var current: PolicyDocument?
    /// Candidate paths, found at the first plan and kept (they depend on the topology alone).
    var candidatePaths: [[[Int]]]?
    var forecastFile: OutputFile
    public internal(set) var policiesWritten = 0
    /// Seconds the latest plan took (forecast assembly, solves and writing the document).
    public private(set) var lastSolveSeconds: Double?
    /// The latest one-step-ahead forecast per cell (bit/s): point and upper quantile.
    public var cellForecasts: [String: (point: Double, upper: Double)] {
        var result: [String: (point: Double, upper: Double)] = [:]
        for cell in topology.cells { if let f = pending["cell:\(cell.id)"] { result[cell.id] = f } }
        return result
    }
    public internal(set) var planFailures: [String] = []
    /// Whether `planFailures` says the plan interval is not whole windows (said once).
    private var intervalNotWholeWindowsSaid = false
    /// Radio KPI logs that gave a cell no efficiency (each problem once); those cells' plans used
    /// the configured peak (or failed, into `planFailures`, without one).
    public internal(set) var efficiencyProblems: [String] = []
    /// Set when the model was trained with covariates, which windows do not carry (print it once).
    public let modelWarning: String?

    /// The demand model's steps against the run's windows: a model of 10 s rows ran on 5 s windows
    /// without a word in replay and live, where evaluate, plan --series and backtest warn (an audit).
    public func stepWarning(windowSeconds: Double) -> String? {
        guard let model, let step = model.training.stepSeconds, step > 0, abs(step - windowSeconds) > 1e-6 * step else { return nil }
        func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
        return "warning: model \(model.id) was trained on \(seconds(step)) s steps; the windows are \(seconds(windowSeconds)) s: its "
            + "seasons and time features are read at a scale it was not trained on (train on windows of this length)"
    }
    var latestEnd: Int64 = 0
    /// Who wrote the policies (`provenance.generator`).
    public var generator = "flowcast replay \(FlowcastVersion.current)"
    /// Sites missing from windows of the interval being gathered (flowcast planner); the next plan
    /// names them in its provenance and clears them.
    public var missingSites: Set<String> = []

    public init(topology: Topology, topologyData: Data, inputDescription: String, options: Options) throws {
        self.topology = topology
        self.options = options
        recentRates = topology.cells.map { _ in [] }
        cellIndex = Dictionary(topology.cells.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        topologyDigest = Provenance.digest(topologyData)
        inputDigest = Provenance.digest(Data(inputDescription.utf8))
        let models = try PlannerModels(modelPath: options.modelPath, efficiencyModelPath: options.efficiencyModelPath,
                                       interval: Double(options.everyNanoseconds) / 1e9)
        model = models.model
        intervalModel = models.intervalModel
        efficiencyModel = models.efficiencyModel
        modelDigest = models.modelDigest
        modelWarning = model?.covariateWarningForWindows
        do { try OutputFolder.create(options.directory) } catch {
            throw ReplayError.output(path: options.directory, reason: "cannot create the folder: \(error.reason)")
        }
        forecastFile = try OutputFile(directory: options.directory, name: "forecasts.jsonl", resumingAt: options.resumeForecastsAt)
    }

    private func key(_ w: WindowSummary) -> String { "\(w.kind.rawValue):\(w.id)" }

    /// Two radio KPI problems of one cell and log that differ only in the plan's time.
    static func sameProblem(_ a: String, _ b: String) -> Bool {
        func kind(_ s: String) -> String { s.replacingOccurrences(of: #" before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, with: "", options: .regularExpression) }
        return a == b || kind(a) == kind(b)
    }

    /// True when a window's rate understates its load: cut short (`partial`), observed only from
    /// some time after its start (`observedFrom`: the run began inside it), or, in a live run,
    /// packets were dropped before capture while it was open (`droppedBeforeCapture`). Until
    /// 5 December 2026 such windows were learned from and sized on as if the network were quiet.
    /// `WindowLine.readsLow` is the same rule on a written line (the series readers).
    static func understates(_ w: WindowSummary) -> Bool {
        w.partial || w.droppedBeforeCapture > 0 || w.observedFromNanoseconds != nil
    }

    /// Feeds one closed window (all cells and links of it). `lines` are the bytes the caller has
    /// just written to windows.jsonl for them (replay and live), hashed as they are; without them
    /// the lines are formatted here (formatting them twice cost the 1,000-cell KPI bench 18 MB a run).
    public func windowClosed(_ windows: [WindowSummary], lines: ArraySlice<UInt8>? = nil) {
        guard let first = windows.first else { return }
        if options.digestsWindows {
            if let lines {
                windowsHash.update(lines)
            } else {
                lineBytes.removeAll(keepingCapacity: true)
                for w in windows { w.appendJSON(to: &lineBytes) }
                windowsHash.update(lineBytes)
            }
        }
        let start = first.startNanoseconds, duration = first.durationNanoseconds
        // replay and live refuse such a --plan-every; the planner learns the taps' window only
        // from their messages, so it says so here, once.
        if duration > 0, options.everyNanoseconds % duration != 0, !intervalNotWholeWindowsSaid {
            intervalNotWholeWindowsSaid = true
            planFailures.append("the plan interval (\(Double(options.everyNanoseconds) / 1e9) s) is not a whole number of the "
                                + "\(Double(duration) / 1e9) s windows: policies leave gaps between them; give --plan-every as a multiple")
        }
        let startSeconds = Double(start) / 1e9
        for w in windows {
            let k = key(w)
            let actual = (Double(w.bytesUp) + Double(w.bytesDown)) * 8 / (Double(w.durationNanoseconds) / 1e9)
            if let f = pending[k] {
                ForecastLine.appendJSON(interval: windowIndex, startNanoseconds: start, kind: w.kind, id: w.id, point: f.point,
                                        upper: f.upper, actual: actual, persistence: lastObserved[k], partial: Self.understates(w),
                                        to: &forecastFile.buffer)
            }
            if intervalModel != nil {
                // A partial window understates the rate: a missing value in the interval model's
                // history (so the history stays on the windows' grid, as `plan --series` reads it).
                windowSeconds = Double(duration) / 1e9
                var values = history[k] ?? []
                values.append(Self.understates(w) ? .nan : actual)
                if values.count > Self.historyLimit { values.removeFirst(values.count - Self.historyLimit) }
                history[k] = values
            }
            // A partial window understates the rate, as does one that lost packets before capture
            // (live): it is reported, not learned from.
            guard !Self.understates(w) else { continue }
            var forecaster = forecasters[k] ?? makeForecaster(step: Double(duration) / 1e9)
            forecaster.observe(actual / modelUnit, at: startSeconds)
            forecasters[k] = forecaster
            lastObserved[k] = actual
            pending[k] = forecaster.forecast().map { ($0.point * modelUnit, $0.upper * modelUnit) }
        }
        recordRecent(windows, start: start, duration: duration)
        forecastFile.flushIfNeeded()
        windowIndex += 1
        let end = start + duration
        latestEnd = end
        if lastPlanEnd == nil { lastPlanEnd = start }
        if let last = lastPlanEnd, end - last >= options.everyNanoseconds {
            plan(windowStart: end, duration: options.everyNanoseconds)
            lastPlanEnd = end
        }
    }

    /// Keeps the window's cell rates, dropping those older than the sizing rule's 1800 s.
    func recordRecent(_ windows: [WindowSummary], start: Int64, duration: Int64) {
        var rates = [Double](repeating: .nan, count: topology.cells.count)
        for w in windows where w.kind == .cell && !Self.understates(w) {
            if let c = cellIndex[w.id] { rates[c] = (Double(w.bytesUp) + Double(w.bytesDown)) * 8 / (Double(w.durationNanoseconds) / 1e9) }
        }
        recentWindows.append((start, start + duration))
        for c in rates.indices { recentRates[c].append(rates[c]) }
        let limit = max(1, Int((Double(RecentScenarioSizing.seconds) * 1e9 / Double(max(1, duration))).rounded(.up)))
        if recentWindows.count > limit {
            let drop = recentWindows.count - limit
            recentWindows.removeFirst(drop)
            for c in recentRates.indices { recentRates[c].removeFirst(drop) }
        }
    }

    /// The recent windows as the sizing rule's input for an interval of `duration` from `end`
    /// (the windows before `end` only; radio KPI logs read up to `end`, through `reads`: the logs
    /// the plan has already read).
    func recentCellWindows(end: Int64, duration: Int64, reads: RecentReads? = nil) -> RecentCellWindows? {
        var kept = recentWindows.indices.filter { recentWindows[$0].end <= end }
        // The newest windows with no cell's rate (a window cut short: the capture's end, a stop)
        // are left out rather than copied from the one before: the sizing rule scales by the
        // last interval and its last 10 s, which a copy would decide (the demo's last plan, after
        // the capture's cut last window, scaled cell-6 by a copy of the window before it).
        while let last = kept.last, recentRates.allSatisfy({ $0[last].isNaN }) { kept.removeLast() }
        guard let last = kept.last, let first = kept.first else { return nil }
        let windowNanoseconds = recentWindows[last].end - recentWindows[last].start
        guard windowNanoseconds > 0 else { return nil }
        var demand: [String: [Double]] = [:]
        for (c, cell) in topology.cells.enumerated() {
            // A window that did not carry the cell takes the one before it (the first ones the first there is).
            guard let row = RadioKPIEfficiency.carriedForward(Array(recentRates[c][first...last])) else { continue }
            demand[cell.id] = row
        }
        let spans = kept.map { (start: Double(recentWindows[$0].start) / 1e9, end: Double(recentWindows[$0].end) / 1e9) }
        let efficiency = demand.isEmpty ? [:] : RadioKPIEfficiency.windowMeans(topology, windows: spans, until: Double(end) / 1e9,
                                                                                            cache: efficiencyCache, reads: reads)
        return RecentCellWindows(windowSeconds: Double(windowNanoseconds) / 1e9,
                                 windowsPerInterval: Int((Double(duration) / Double(windowNanoseconds)).rounded()),
                                 demand: demand, efficiency: efficiency, count: kept.count)
    }

    /// The routing plan's extra demand scenarios for an interval of `duration` from `end`, as the
    /// backtest's `flowcast` method has them (`RoutingBacktest.targetPlan`): the demand matrices
    /// observed over the last `RobustPlanOptions.history` whole intervals before `end` (each demand's
    /// mean rate, the sum of its cells'; a window that did not carry a cell takes the one before
    /// it), then the newest plus each recent one-step change. Empty when no demand is carried by
    /// cells or no whole interval has been seen yet.
    ///
    /// Bounded by size (`scenarioPairLimit` demands × scenarios, the forecast included), not time,
    /// so documents do not depend on the machine: fewer intervals (and changes) on a large network.
    func recentDemandScenarios(end: Int64, duration: Int64) -> [[String: Double]] {
        let kept = recentWindows.indices.filter { recentWindows[$0].end <= end }
        guard let last = kept.last, let first = kept.first, duration > 0 else { return [] }
        let windowNanoseconds = recentWindows[last].end - recentWindows[last].start
        guard windowNanoseconds > 0 else { return [] }
        let perInterval = max(1, Int((Double(duration) / Double(windowNanoseconds)).rounded()))
        let options = RobustPlanOptions()
        let intervals = Self.scenarioIntervals(available: kept.count / perInterval, demands: topology.demands.count)
        let demands = topology.demands.filter { !$0.cells.isEmpty }
        guard intervals > 0, !demands.isEmpty else { return [] }
        let rates = topology.cells.indices.map { RadioKPIEfficiency.carriedForward(Array(recentRates[$0][first...last])) }
        var matrices: [[String: Double]] = []
        for k in stride(from: intervals, through: 1, by: -1) {  // oldest first
            let rows = (kept.count - k * perInterval)..<(kept.count - (k - 1) * perInterval)
            var matrix: [String: Double] = [:]
            for demand in demands {
                let cells = demand.cells.compactMap { rates[$0] }
                guard !cells.isEmpty else { continue }
                matrix[demand.id] = cells.reduce(0) { $0 + $1[rows].reduce(0, +) / Double(rows.count) }
            }
            matrices.append(matrix)
        }
        guard let newest = matrices.last, !newest.isEmpty else { return [] }
        guard options.changeScenarios else { return matrices }
        // Over the newest interval's demands (a demand missing from an older one counts 0 there).
        let ids = newest.keys.sorted()
        let changes = RoutingBacktest.changeScenarios(matrices.map { m in ids.map { m[$0] ?? 0 } })
        return matrices + changes.map { Dictionary(uniqueKeysWithValues: zip(ids, $0)) }
    }

    /// Demands × routing scenarios above which the observed scenarios are thinned. The routing
    /// LP's capacity rows grow with both; `flowcast plan --timing` with 2,000 demands of 4 paths
    /// over target (release, 2 cores, with a test run beside it): 1 scenario 0.6 s, 3 1.8 s, 5
    /// 2.7 s, 23 over the 10 s time limit. Abilene (132 demands × 24) is far inside it.
    static let scenarioPairLimit = 10_000

    /// Observed intervals the routing scenarios take, of `available`, for a topology of `demands`:
    /// `RobustPlanOptions.history` at most, and room for them and their changes (h − 2) beside
    /// the forecast within `scenarioPairLimit`.
    static func scenarioIntervals(available: Int, demands: Int) -> Int {
        let extra = scenarioPairLimit / max(1, demands) - 1
        guard extra > 0 else { return 0 }
        return max(0, min(RobustPlanOptions().history, available, (extra + 2) / 2))
    }

    /// Whether `windowClosed` with the window from `start` to `end` plans an interval.
    public func plansOnClosing(start: Int64, end: Int64) -> Bool {
        end - (lastPlanEnd ?? start) >= options.everyNanoseconds
    }

    /// Writes the forecasts file and a final policy: for the interval after the last window, or,
    /// when a policy already covers the time after it, for the interval after that policy's.
    public func finish() throws {
        // No window ever closed (a run that saw no packet): nothing to plan from, and no time to
        // plan at (it read 1970-01-01).
        if windowIndex > 0 && (policiesWritten == 0 || lastPlanEnd != latestEnd) {
            // The last policy holds [lastPlanEnd, lastPlanEnd + every), past the last window when
            // the run did not end on a plan boundary: the final one starts where it ends. (Until
            // 5 December 2026 it started at the last window's end, so two policies claimed the
            // same seconds, and the report drew both.)
            var start = latestEnd
            if policiesWritten > 0, let last = lastPlanEnd { start = max(start, last + options.everyNanoseconds) }
            plan(windowStart: start, duration: options.everyNanoseconds, dataEnd: latestEnd)
        }
        try forecastFile.commit()
        if let writeFailure { throw writeFailure }
    }

    /// Windows of history kept per series for an interval model.
    static let historyLimit = IntervalLoadForecast.historyLimit

    /// The interval model's forecast of each series' next interval, where `--model` is one.
    func intervalForecasts() -> [String: IntervalLoadForecast] {
        guard let intervalModel, let step = windowSeconds else { return [:] }
        var result: [String: IntervalLoadForecast] = [:]
        for (key, values) in history {
            if let f = IntervalLoadForecast.forecast(intervalModel, name: key, bitsPerSecond: values[...], step: step) { result[key] = f }
        }
        return result
    }

    /// Bits per unit of the series a model sees: a model is trained on windows.jsonl, which
    /// `flowcast train` reads in bytes/s, and its size feature (log of the series' scale) must see
    /// the same unit here; persistence is unit free.
    var modelUnit: Double { model == nil ? 1 : Self.windowsUnit }

    /// Bits per unit of windows.jsonl as `flowcast train` reads it (bytes/s): the unit every model
    /// trained on windows sees, interval models included (their history is kept in it).
    static let windowsUnit = IntervalLoadForecast.windowsUnit

    /// `step`: the window length in seconds, which the model's season lengths and calendar
    /// features (time of day and weekend of the target) are counted in, as `evaluate` has them from
    /// windows.jsonl; without it the calendar features are 0, which no trained model saw.
    func makeForecaster(step: Double? = nil) -> StepForecaster {
        if let model { return .model(model, model.makeState(step: step)) }
        return .persistence(last: nil, change: 0)
    }

    /// Leaves forecasts.jsonl.partial in place if the file is never committed or its commit fails.
    public func keepsForecastsOnFailure() { forecastFile.keepPartialFile() }

    /// The first policy document that could not be written (a full disk, a folder in the way):
    /// a live run stops on it, as on any write error, and `finish` throws it.
    public private(set) var writeFailure: (any Error)?

    /// Plans [windowStart, windowStart + duration) from what was known at `dataEnd` (default: the
    /// interval's start): windows and radio KPI reports before it only.
    private func plan(windowStart: Int64, duration: Int64, dataEnd: Int64? = nil) {
        let known = dataEnd ?? windowStart
        let started = DispatchTime.now()
        defer { lastSolveSeconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        let source = model.map { "model \($0.id)" } ?? "persistence (no --model)"
        let intervals = intervalForecasts()
        // No complete window yet (a capture shorter than a window, or a --window longer than it):
        // no series has a forecast, and the policy predicted zero load everywhere without a word.
        guard !pending.isEmpty || !intervals.isEmpty else {
            let failure = "\(Self.iso(windowStart))–\(Self.iso(windowStart + duration)): no complete window before it, "
                + "so nothing to forecast from; no policy written"
            // `finish` tries the interval again when no policy was written: said once.
            if planFailures.last != failure { planFailures.append(failure) }
            return
        }
        /// The interval model's forecast (mean of the interval, P90 of it) where there is one, else the next window's.
        func forecast(_ key: String) -> (point: Double, upper: Double, source: String)? {
            if let f = intervals[key] { return (f.point, f.upper, f.source) }
            guard let f = pending[key] else { return nil }
            return (f.point, f.upper, intervalModel == nil ? source : "persistence (model \(intervalModel?.id ?? "") has no forecast yet)")
        }
        var forecasts: [FlowcastPolicy.Forecast] = []
        var cellForecast: [String: (Double, Double)] = [:]
        for cell in topology.cells {
            guard let f = forecast("cell:\(cell.id)") else { continue }
            cellForecast[cell.id] = (f.point, f.upper)
            forecasts.append(.init(id: cell.id, kind: .cell, point: f.point, upper: f.upper, source: f.source))
        }
        for link in topology.links {
            guard let f = forecast("link:\(link.id)") else { continue }
            forecasts.append(.init(id: link.id, kind: .link, point: f.point, upper: f.upper, source: f.source))
        }
        for demand in topology.demands where !demand.cells.isEmpty {
            // A demand carries its cells' traffic to the core: the sum of their forecasts (upper
            // quantiles add conservatively, as if the cells peaked together).
            let parts = demand.cells.compactMap { cellForecast[topology.cells[$0].id] }
            guard !parts.isEmpty else { continue }
            forecasts.append(.init(id: demand.id, kind: .demand, point: parts.reduce(0) { $0 + $1.0 },
                                   upper: parts.reduce(0) { $0 + $1.1 },
                                   source: intervalModel.map { "sum of its cells' forecasts of the interval's mean (model \($0.id))" } ?? source))
        }
        let window = PlanWindow(start: Self.iso(windowStart), end: Self.iso(windowStart + duration))
        let digest = options.digestsWindows ? "sha256:" + windowsHash.hexDigest() : inputDigest
        var provenance = Provenance(inputDigest: digest, topologyDigest: topologyDigest, modelId: model?.id ?? intervalModel?.id,
                                    modelDigest: modelDigest, window: window, generator: generator)
        if !missingSites.isEmpty { provenance.missingSites = missingSites.sorted() }
        missingSites = []
        let name = Self.policyFileName(policiesWritten + 1)
        do {
            let planner = PolicyPlanner(topology: topology, options: options.plan)
            // Reports before the interval only: a replayed log already holds the seconds after it.
            let reads = RecentReads()
            let kpi = RadioKPIEfficiency.measure(topology, horizon: Double(duration) / 1e9, model: efficiencyModel,
                                                 until: Double(known) / 1e9, reads: reads)
            // Once per cell and log: a log that stopped would repeat its problem at every plan
            // (a line per cell per plan in replay's output, and a list a live run kept growing).
            for problem in kpi.problems where !efficiencyProblems.contains(where: { Self.sameProblem($0, problem) }) {
                efficiencyProblems.append(problem)
            }
            // The routing plan holds every link under the target in the last hour's observed
            // matrices too, as the backtest's scored method does.
            let observed = recentDemandScenarios(end: known, duration: duration)
            let input = ForecastSet(forecasts: forecasts, scenarios: observed.isEmpty ? nil : observed,
                                    modelId: model?.id ?? intervalModel?.id, window: window,
                                    measuredEfficiencies: kpi.measured.isEmpty ? nil : kpi.measured)
            let paths = candidatePaths ?? planner.candidatePaths()
            candidatePaths = paths
            let document = try planner.plan(input, provenance: provenance, current: current, paths: paths,
                                            recent: recentCellWindows(end: known, duration: duration, reads: reads))
            do { try document.write(to: URL(fileURLWithPath: options.directory).appendingPathComponent(name)) } catch {
                // A plan that cannot be written is not a plan that failed: the run cannot do its
                // job, and says so once, as the error it stops on (not also as a failed plan).
                if writeFailure == nil { writeFailure = error }
                return
            }
            current = document
            policiesWritten += 1
        } catch {
            planFailures.append("\(name): \(error)")
        }
    }

    static func iso(_ nanoseconds: Int64) -> String { ISOTime.string(nanoseconds: nanoseconds) }

    /// The file name of the planner's policy number `number` (from 1) in its folder.
    static func policyFileName(_ number: Int) -> String { String(format: "policy-%04d.json", number) }
}

/// A model the interval planner cannot plan with: one line naming the file and what is wrong.
public enum IntervalPlannerError: Error, CustomStringConvertible {
    case badModel(String)

    public var description: String {
        switch self {
        case .badModel(let message): message
        }
    }
}
