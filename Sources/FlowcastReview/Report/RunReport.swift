internal import FlowcastPolicy
internal import FlowcastTopology
/// The numbers behind `flowcast report`: per cell and link, load against forecast, utilisation
/// against the planned capacity, spectrum and routing per plan interval, and the policy diffs
/// between consecutive intervals. `html()` renders them.
public struct RunReport: Sendable {
    /// One plan interval on the time axis.
    public struct Interval: Hashable, Sendable {
        public var number: Int
        public var start: Double
        public var end: Double
        /// Index into `run.policies`, when this interval has a policy.
        public var policy: Int?
        /// Changes from the previous interval's policy, when both exist.
        public var diff: PolicyDiff?
        /// Unreadable policy files numbered between the previous readable policy and this one: its
        /// diff is against that older policy, not against what was planned just before it.
        public var unreadableBefore: [String] = []
        /// Index into `run.policies` of the policy this interval's diff is against.
        public var previousPolicy: Int?
    }

    /// Headline numbers for one cell or link.
    public struct EntitySummary: Hashable, Sendable {
        public var kind: String
        public var id: String
        public var windows: Int
        public var meanLoad: Double?
        public var peakLoad: Double?
        /// Share of complete windows whose actual load stayed at or under the P90 forecast; nil
        /// when the entity carried no traffic at all (every window's load and every actual 0:
        /// "100 %" would claim coverage of nothing).
        public var p90Coverage: Double?
        /// Mean |actual − point| / actual over complete windows with actual > 0.
        public var meanAbsolutePercentageError: Double?
        /// The point forecast's MAE over the baseline's (persistence), on the complete windows
        /// that have both: below 1 the forecaster beats the last value.
        public var maeToPersistence: Double?
        /// Highest measured utilisation against the capacity planned for its time (windows before
        /// the first plan have none).
        public var peakUtilisation: Double?
        public var decodeIssues: Double
        public var partialWindows: Int
        /// Windows that lost packets before capture (live: `droppedBeforeCapture`): their load
        /// reads low by traffic the tap never saw.
        public var windowsWithDrops: Int
    }

    public let run: RunData
    /// Demands carrying each cell (from the topology), for the cells' routing charts.
    public let cellDemands: [String: [String]]
    public let intervals: [Interval]
    /// The intervals whose plan differs from the previous interval's (a non-empty diff).
    public let changedIntervals: [Interval]
    /// Cells then links, ids in natural order.
    public let entities: [(kind: String, id: String)]
    /// The report's time axis, epoch seconds.
    public let timeRange: ClosedRange<Double>
    /// Where a forecast line starting at a time ends (forecasts follow load windows, not plan intervals).
    let forecastEnds: [Double: Double]
    /// Each series' windows and forecast lines, in time order, and each policy's entries by id:
    /// built once, so a report's cost grows with its lines, not with lines × series (until
    /// 6 December 2026 every chart filtered every line: 20,000 series took 18 s, 200,000 over a minute).
    let windowsBySeries: [SeriesKey: [RunData.Window]]
    let forecastsBySeries: [SeriesKey: [RunData.ForecastLine]]
    let policyEntries: [PolicyEntries]
    /// The kind summed for the network-wide load (`networkKind(_:)`), found once: it scans the
    /// windows, and reading it per window made 200,000 links' report quadratic.
    let networkKind: String
    /// At most this many cells, and as many links, get their own charts (`chartedEntities`); the
    /// summary table lists every one.
    public var maximumChartedPerKind = RunReport.defaultChartedPerKind
    public static let defaultChartedPerKind = 100
    /// At most this many intervals' changes are written out in the Diffs section (`shownDiffs`);
    /// the timeline lists every interval.
    public var maximumDiffs = RunReport.defaultDiffs
    public static let defaultDiffs = 100

    struct SeriesKey: Hashable {
        var kind: String
        var id: String
    }

    /// One policy's cells, links and demands by id (the first of an id, as `first(where:)` read it).
    struct PolicyEntries {
        var predictedCells: [String: (capacity: Double, utilisation: Double, withoutBlocks: Double?)] = [:]
        var predictedLinks: [String: (capacity: Double, utilisation: Double)] = [:]
        var spectrumCells: [String: Int] = [:]
        var demands: [String: Int] = [:]
        /// Per link, the share of each demand (of those indexed in `demands`) routed over it.
        var linkShares: [String: [String: Double]] = [:]

        init(_ document: PolicyDocument) {
            for c in document.predicted.cells where predictedCells[c.id] == nil { predictedCells[c.id] = (c.capacity, c.utilisation, c.loadWithoutBlocks) }
            for l in document.predicted.links where predictedLinks[l.id] == nil { predictedLinks[l.id] = (l.capacity, l.utilisation) }
            for (i, c) in document.spectrum.cells.enumerated() where spectrumCells[c.id] == nil { spectrumCells[c.id] = i }
            for (i, d) in document.routing.demands.enumerated() where demands[d.id] == nil {
                demands[d.id] = i
                for path in d.paths {
                    // A path that passes a link twice puts its weight on it once.
                    for link in Set(path.links) { linkShares[link, default: [:]][d.id, default: 0] += path.weight }
                }
            }
        }
    }
    /// The forecaster and the spectrum plans against their baselines, when computed
    /// (`RunScores.compute`); the report shows them after the overview.
    public var scores: RunScores?

    public init(run: RunData, cellDemands: [String: [String]] = [:]) {
        self.run = run
        self.cellDemands = cellDemands
        var ids: [String: Set<String>] = ["cell": [], "link": []]
        for w in run.windows { ids[w.kind, default: []].insert(w.id) }
        for f in run.forecasts where f.kind == "cell" || f.kind == "link" { ids[f.kind, default: []].insert(f.id) }
        for p in run.policies {
            p.document.predicted.cells.forEach { ids["cell", default: []].insert($0.id) }
            p.document.predicted.links.forEach { ids["link", default: []].insert($0.id) }
        }
        entities = ["cell", "link"].flatMap { kind in
            (ids[kind] ?? []).sorted { Natural($0) < Natural($1) }.map { (kind: kind, id: $0) }
        }
        let windowStart = run.windows.map(\.start).min(), windowEnd = run.windows.map { $0.start + $0.duration }.max()
        intervals = Self.intervals(run, windowStart: windowStart, windowEnd: windowEnd)
        changedIntervals = intervals.filter { $0.diff.map { !$0.isEmpty } ?? false }
        forecastEnds = Self.forecastEnds(run.forecasts, windows: run.windows)
        var windowsBySeries: [SeriesKey: [RunData.Window]] = [:]
        for w in run.windows { windowsBySeries[SeriesKey(kind: w.kind, id: w.id), default: []].append(w) }
        for k in windowsBySeries.keys { windowsBySeries[k]!.sort { $0.start < $1.start } }
        self.windowsBySeries = windowsBySeries
        var forecastsBySeries: [SeriesKey: [RunData.ForecastLine]] = [:]
        for f in run.forecasts { forecastsBySeries[SeriesKey(kind: f.kind, id: f.id), default: []].append(f) }
        for k in forecastsBySeries.keys { forecastsBySeries[k]!.sort { ($0.start, $0.interval) < ($1.start, $1.interval) } }
        self.forecastsBySeries = forecastsBySeries
        policyEntries = run.policies.map { PolicyEntries($0.document) }
        networkKind = Self.networkKind(run)
        let forecastStart = run.forecasts.map(\.start).min(), forecastEnd = forecastEnds.values.max()
        let lo = [windowStart, intervals.first?.start, forecastStart].compactMap { $0 }.min() ?? 0
        let hi = [windowEnd, intervals.map(\.end).max(), forecastEnd].compactMap { $0 }.max() ?? lo + 60
        timeRange = lo...max(hi, lo + 1)
    }

    /// One interval per policy, at its provenance window, in time order. Policies without a window
    /// are laid end to end over the captured windows (and say so nowhere else, so they are rare).
    private static func intervals(_ run: RunData, windowStart: Double?, windowEnd: Double?) -> [Interval] {
        guard !run.policies.isEmpty else { return [] }
        var spans = run.policies.map { p -> (start: Double?, end: Double?) in (p.start, p.end) }
        if spans.contains(where: { $0.start == nil }) {
            let count = Double(run.policies.count), lo = windowStart ?? 0
            let span = max(1, ((windowEnd ?? lo + count * 60) - lo) / count)
            for i in spans.indices where spans[i].start == nil { spans[i] = (lo + Double(i) * span, lo + Double(i + 1) * span) }
        }
        let order = run.policies.indices.sorted { (spans[$0].start!, run.policies[$0].interval) < (spans[$1].start!, run.policies[$1].interval) }
        let starts = order.map { spans[$0].start! }
        let gaps = zip(starts, starts.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }.sorted()
        let typical = gaps.isEmpty ? 60 : gaps[gaps.count / 2]
        var out: [Interval] = []
        for (k, i) in order.enumerated() {
            let start = starts[k]
            var end = spans[i].end.flatMap { $0 > start ? $0 : nil } ?? (k + 1 < starts.count ? starts[k + 1] : start + typical)
            // A later policy that begins inside this one's window supersedes it from there: a
            // live reload's first policy overlaps the old topology's last.
            if k + 1 < starts.count, starts[k + 1] > start, starts[k + 1] < end { end = starts[k + 1] }
            out.append(Interval(number: run.policies[i].interval, start: start, end: end, policy: i))
        }
        var previous: (index: Int, number: (Int, Int), document: PolicyDocument)?
        let differ = PolicyDiffer()
        for i in out.indices {
            guard let p = out[i].policy else { continue }
            let doc = run.policies[p].document, number = (run.policies[p].generation, run.policies[p].interval)
            if let previous {
                out[i].diff = differ.diff(previous.document, doc)
                out[i].previousPolicy = previous.index
                out[i].unreadableBefore = run.unreadablePolicies
                    .filter { ($0.generation, $0.number) > previous.number && ($0.generation, $0.number) < number }.map(\.fileName)
            }
            previous = (p, number, doc)
        }
        return out
    }

    /// Where each forecast line's span ends: the next forecast start, else the typical step (or the
    /// windows' duration when there is only one start).
    private static func forecastEnds(_ forecasts: [RunData.ForecastLine], windows: [RunData.Window]) -> [Double: Double] {
        let starts = Set(forecasts.map(\.start)).sorted()
        let gaps = zip(starts, starts.dropFirst()).map { $1 - $0 }.sorted()
        let durations = windows.map(\.duration).filter { $0 > 0 }.sorted()
        let typical = gaps.isEmpty ? (durations.isEmpty ? 60 : durations[durations.count / 2]) : gaps[gaps.count / 2]
        var out: [Double: Double] = [:]
        for (i, s) in starts.enumerated() { out[s] = i + 1 < starts.count ? min(starts[i + 1], s + typical) : s + typical }
        return out
    }

    // MARK: Per-entity series

    func windows(_ kind: String, _ id: String) -> [RunData.Window] {
        windowsBySeries[SeriesKey(kind: kind, id: id)] ?? []
    }

    func forecasts(_ kind: String, _ id: String) -> [(line: RunData.ForecastLine, end: Double)] {
        (forecastsBySeries[SeriesKey(kind: kind, id: id)] ?? []).map { ($0, forecastEnds[$0.start] ?? $0.start + 60) }
    }

    /// Planned capacity and predicted utilisation per interval; for a cell the plan gives no
    /// blocks while it has demand, that demand in `withoutBlocks` (its utilisation is a stand-in).
    func plan(_ kind: String, _ id: String) -> [(interval: Interval, capacity: Double, utilisation: Double, withoutBlocks: Double?)] {
        intervals.compactMap { iv in
            guard let p = iv.policy else { return nil }
            let entries = policyEntries[p]
            if kind == "cell", let c = entries.predictedCells[id] { return (iv, c.capacity, c.utilisation, c.withoutBlocks) }
            if kind == "link", let l = entries.predictedLinks[id] { return (iv, l.capacity, l.utilisation, nil) }
            return nil
        }
    }

    /// Capacity in force at time `t`: that of the plan whose interval holds `t`; nil where none
    /// does (before the first plan, or in the window of a policy that could not be read: a
    /// policy's capacity ends with its own window, so no utilisation is claimed for those windows).
    func capacity(at t: Double, in plan: [(interval: Interval, capacity: Double, utilisation: Double, withoutBlocks: Double?)]) -> Double? {
        plan.last { $0.interval.start <= t && t < $0.interval.end }?.capacity
    }

    /// Measured utilisation of a window: both directions over the capacity, for a link too, as the
    /// planner predicts it (a demand's forecast is its cells' traffic both ways, placed on its
    /// path's direction), so the two lines of a link's chart measure the same thing. For a
    /// full-duplex link it bounds the busier direction's utilisation from above.
    func utilisation(_ w: RunData.Window, capacity: Double?) -> Double? {
        guard let capacity, capacity > 0 else { return nil }
        return w.load / capacity
    }

    public func summary(_ kind: String, _ id: String) -> EntitySummary {
        let ws = windows(kind, id), fs = forecasts(kind, id), p = plan(kind, id)
        let loads = ws.map(\.load)
        // Scores use complete windows only: a partial window's rate understates its load.
        let withActual = fs.compactMap { f in f.line.partial ? nil : f.line.actual.map { (f.line, $0) } }
        let errors = withActual.filter { $0.1 > 0 }.map { abs($0.1 - $0.0.point) / $0.1 }
        var modelError = 0.0, baselineError = 0.0
        for (line, actual) in withActual {
            guard let persistence = line.persistence else { continue }
            modelError += abs(actual - line.point)
            baselineError += abs(actual - persistence)
        }
        // Traffic in a complete window: one whose only traffic was in windows cut short or missing
        // drops has nothing scored but quiet windows, where every forecast of 0 is "within P90"
        // (an audit: 100 % for a cell whose loaded windows all lost packets).
        let carried = ws.contains { !$0.cutShort && $0.droppedBeforeCapture == 0 && $0.load > 0 } || withActual.contains { $0.1 > 0 }
        let utilisations = ws.compactMap { utilisation($0, capacity: capacity(at: $0.start, in: p)) }
        return EntitySummary(
            kind: kind, id: id, windows: ws.count, meanLoad: loads.isEmpty ? nil : loads.reduce(0, +) / Double(loads.count),
            peakLoad: loads.max(),
            p90Coverage: withActual.isEmpty || !carried ? nil : Double(withActual.filter { $0.1 <= $0.0.upper }.count) / Double(withActual.count),
            meanAbsolutePercentageError: errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count),
            maeToPersistence: baselineError > 0 ? modelError / baselineError : nil,
            peakUtilisation: utilisations.max(), decodeIssues: ws.reduce(0) { $0 + $1.decodeIssues },
            partialWindows: ws.filter(\.cutShort).count, windowsWithDrops: ws.filter { $0.droppedBeforeCapture > 0 }.count)
    }

    /// Share of each demand routed over a link, per interval (demands that ever use it).
    func demandSharesOnLink(_ link: String) -> [(demand: String, shares: [(Interval, Double)])] {
        var carried: Set<String> = []
        for iv in intervals {
            guard let p = iv.policy else { continue }
            for (demand, share) in policyEntries[p].linkShares[link] ?? [:] where share > 0.0005 { carried.insert(demand) }
        }
        return carried.sorted { Natural($0) < Natural($1) }.map { demand in
            let shares = intervals.compactMap { iv -> (Interval, Double)? in
                guard let p = iv.policy, policyEntries[p].demands[demand] != nil else { return nil }
                return (iv, policyEntries[p].linkShares[link]?[demand] ?? 0)
            }
            return (demand: demand, shares: shares)
        }
    }

    /// The cells and links given their own charts, by kind, in natural order: every one when a kind
    /// has at most `maximumChartedPerKind`, else that many with the highest peak utilisation, then
    /// peak load (a report of 20,000 cells charted in full is 800 MB that no reviewer reads).
    func chartedEntities(_ summaries: [SeriesKey: EntitySummary]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for kind in ["cell", "link"] {
            let ids = entities.filter { $0.kind == kind }.map(\.id)
            guard ids.count > maximumChartedPerKind else {
                out[kind] = ids
                continue
            }
            let ranked = ids.map { id in (id, summaries[SeriesKey(kind: kind, id: id)]) }.sorted { a, b in
                let ua = a.1?.peakUtilisation ?? -1, ub = b.1?.peakUtilisation ?? -1
                if ua != ub { return ua > ub }
                let la = a.1?.peakLoad ?? -1, lb = b.1?.peakLoad ?? -1
                if la != lb { return la > lb }
                return Natural(a.0) < Natural(b.0)
            }
            out[kind] = ranked.prefix(maximumChartedPerKind).map(\.0).sorted { Natural($0) < Natural($1) }
        }
        return out
    }

    /// The demands given path-weight charts, natural order: every one when there are at most
    /// `maximumChartedPerKind`, else that many whose split changed most over the run (the sum over
    /// consecutive intervals of the weight moved between paths), with the total count.
    func chartedDemands() -> (ids: [String], total: Int, unchanged: Int) {
        let ids = demandIds
        guard ids.count > maximumChartedPerKind else { return (ids, ids.count, 0) }
        let moved = ids.map { id -> (String, Double) in
            var total = 0.0, previous: [[String]: Double]?
            for iv in intervals {
                guard let p = iv.policy, let d = policyEntries[p].demands[id] else { continue }
                var split: [[String]: Double] = [:]
                for path in run.policies[p].document.routing.demands[d].paths { split[path.links, default: 0] += path.weight }
                if let previous {
                    for key in Set(split.keys).union(previous.keys) { total += abs((split[key] ?? 0) - (previous[key] ?? 0)) }
                }
                previous = split
            }
            return (id, total / 2)
        }
        let ranked = moved.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : Natural($0.0) < Natural($1.0) }
        let kept = ranked.prefix(maximumChartedPerKind)
        return (kept.map(\.0).sorted { Natural($0) < Natural($1) }, ids.count, moved.filter { $0.1 < 0.0005 }.count)
    }

    /// Every demand id in any policy, natural order.
    var demandIds: [String] {
        sortedUnion(run.policies.flatMap { $0.document.routing.demands.map(\.id) }, [])
    }
}
