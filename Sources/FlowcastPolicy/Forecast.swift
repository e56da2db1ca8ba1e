public import Foundation
internal import FlowcastCore
internal import FlowcastTopology

/// A forecast for one cell, link or demand over the planning horizon (the Predict → Decide contract).
public struct Forecast: Codable, Hashable, Sendable {
    /// What the forecast is about.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case cell, link, demand

        /// Names the kinds there are ("'cel' is not a kind: cell, link or demand"), where
        /// Foundation said "Cannot initialize Kind from invalid String value cel".
        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let kind = Kind(rawValue: text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not a kind: cell, link or demand")
            }
            self = kind
        }
    }

    /// Id of the cell, link or demand in the topology.
    public var id: String
    public var kind: Kind
    /// Point estimate of the load in bit/s.
    public var point: Double
    /// Upper quantile (P90 by default) of the load in bit/s; plans size for this.
    public var upper: Double
    /// Forecast spectrum efficiency in bit/s/Hz (cells only); the topology's peak value is used when absent.
    public var spectralEfficiency: Double?
    /// Where the forecast came from (model id, baseline, file …).
    public var source: String

    public init(id: String, kind: Kind, point: Double, upper: Double, spectralEfficiency: Double? = nil, source: String) {
        self.id = id
        self.kind = kind
        self.point = point
        self.upper = upper
        self.spectralEfficiency = spectralEfficiency
        self.source = source
    }
}

/// The forecasts one plan is made from, plus what identifies them.
public struct ForecastSet: Codable, Hashable, Sendable {
    /// The forecasts (upper quantile drives the plan).
    public var forecasts: [Forecast]
    /// Extra demand scenarios for a robust routing plan: each maps demand id → bit/s.
    public var scenarios: [[String: Double]]?
    /// Model that produced the forecasts, when known.
    public var modelId: String?
    /// The window the forecasts cover, as given by the producer (e.g. ISO 8601 times).
    public var window: PlanWindow?
    /// Spectrum efficiencies measured from cells' radio KPIs (the topology's `kpiSource`), used for
    /// cells whose forecast gives none, before the topology's configured peak.
    public var measuredEfficiencies: [MeasuredEfficiency]?

    public init(forecasts: [Forecast], scenarios: [[String: Double]]? = nil, modelId: String? = nil, window: PlanWindow? = nil,
                measuredEfficiencies: [MeasuredEfficiency]? = nil) {
        self.forecasts = forecasts
        self.scenarios = scenarios
        self.modelId = modelId
        self.window = window
        self.measuredEfficiencies = measuredEfficiencies
    }

    /// Reads a forecasts JSON file (`{"forecasts": [...], "scenarios": [...], "modelId": …, "window": …}`).
    public init(contentsOf url: URL) throws(PolicyError) {
        let data = try PolicyLimits.read(url, what: "forecasts file")
        // The strict parser policy documents are read with first: it names the line and column
        // of a syntax error, and refuses a key given twice ("point" twice read as the first;
        // other tools take the last). Foundation's decoder said only "not valid JSON".
        guard let tree = data.withUnsafeBytes({ JSONValue.parse($0) }) else { throw PolicyDocument.invalidJSON(data, path: url.path) }
        if let problem = Self.strictProblem(tree) { throw .badInput(path: url.path, message: problem) }
        do { self = try JSONDecoder().decode(ForecastSet.self, from: data) } catch {
            throw .badInput(path: url.path, message: PolicyError.describe(decoding: error))
        }
        if let problem = problem { throw .badInput(path: url.path, message: problem) }
    }

    /// The keys each object of a forecasts file may have.
    static let keys: [String: Set<String>] = [
        "$": ["forecasts", "scenarios", "modelId", "window", "measuredEfficiencies"],
        "forecast": ["id", "kind", "point", "upper", "spectralEfficiency", "source"],
        "window": ["start", "end"],
        "measuredEfficiency": ["cell", "bitsPerSecondPerHertz", "source"],
    ]

    /// The first key no reader of the file knows, or text that is not one printable line, at its
    /// JSON path; nil when there is none. A misspelt key was dropped without a word
    /// (`spectralEfficency`: the cell was planned at another efficiency; `scenarios_typo`: the
    /// robust plan had one scenario), where a policy document refuses one; and a forecast's
    /// `source` holding a newline was refused only when the policy was written, naming the policy.
    static func strictProblem(_ tree: JSONValue) -> String? {
        func unknown(_ value: JSONValue, _ kind: String, _ path: String) -> String? {
            guard case .object(let fields) = value, let known = keys[kind] else { return nil }
            return fields.keys.sorted().first { !known.contains($0) }.map { "\(path).\($0): unknown field" }
        }
        func text(_ value: JSONValue, _ path: String) -> String? {
            switch value {
            case .string(let s): return s.unprintableCharacter.map { "\(path): contains \($0); text in a forecasts file is one line of printable characters" }
            case .array(let items): return items.enumerated().lazy.compactMap { text($0.element, "\(path)[\($0.offset)]") }.first
            case .object(let fields): return fields.keys.sorted().lazy.compactMap { text(fields[$0]!, "\(path).\($0)") }.first
            default: return nil
            }
        }
        guard case .object(let top) = tree else { return nil }  // the decoder names the type
        if let problem = unknown(tree, "$", "$") { return problem }
        if case .array(let items)? = top["forecasts"] {
            for (i, item) in items.enumerated() { if let problem = unknown(item, "forecast", "$.forecasts[\(i)]") { return problem } }
        }
        if let window = top["window"], let problem = unknown(window, "window", "$.window") { return problem }
        if case .array(let items)? = top["measuredEfficiencies"] {
            for (i, item) in items.enumerated() {
                if let problem = unknown(item, "measuredEfficiency", "$.measuredEfficiencies[\(i)]") { return problem }
            }
        }
        return text(tree, "$")
    }

    /// Largest load a forecast or scenario may give, bit/s: 1 Pbit/s, a thousand times the fastest
    /// router port. Beyond it (1e300 was seen) the routing LP fails with only a solver status.
    public static let maximumRate = TopologyLimits.maximumRate

    /// Spectrum efficiencies a forecasts file may give, bit/s/Hz: CQI 1 of TS 38.214 is 0.15 and
    /// 256QAM over eight layers about 60. 1e-300 made the blocks a cell needs overflow Int.
    public static let efficiencyRange = TopologyLimits.efficiencyRange

    /// Extra routing scenarios a forecasts file may hold; with the demands they also meet
    /// `maximumScenarioEntries` (`problem(for:)`). 100,000 took a minute and 1.2 GB before.
    public static let maximumScenarios = 1_000
    /// Demands × scenarios (the forecast's own included) a plan takes: the routing LP's capacity
    /// rows grow with it (60,000 took 5 s).
    public static let maximumScenarioEntries = 100_000

    /// The first value a plan cannot use, at its JSON path: a load that is negative, not finite or
    /// beyond `maximumRate`, or an efficiency that is not positive and finite. Nil when all are usable.
    public var problem: String? {
        func rate(_ value: Double, _ path: String) -> String? {
            if !value.isFinite { return "\(path): must be a finite number, found \(value)" }
            if value < 0 { return "\(path): must be at least 0 bit/s, found \(value)" }
            if value > Self.maximumRate { return "\(path): must be at most 1e15 bit/s (1 Pbit/s), found \(value)" }
            return nil
        }
        func efficiency(_ value: Double, _ path: String) -> String? {
            Self.efficiencyRange.contains(value) ? nil
                : "\(path): must be \(Self.efficiencyRange.lowerBound) to \(Self.efficiencyRange.upperBound) bit/s/Hz, found \(value)"
        }
        var first: [String: Int] = [:]
        for (i, f) in forecasts.enumerated() {
            let at = "$.forecasts[\(i)] (\(f.kind.rawValue) '\(f.id)')"
            if let p = rate(f.point, at + ".point") ?? rate(f.upper, at + ".upper") { return p }
            if f.upper < f.point { return "\(at).upper: must be at least the point forecast \(f.point) bit/s, found \(f.upper)" }
            if let se = f.spectralEfficiency, let p = efficiency(se, at + ".spectralEfficiency") { return p }
            if let j = first["\(f.kind.rawValue) \(f.id)"] {
                return "\(at): a second forecast for \(f.kind.rawValue) '\(f.id)' (the first is $.forecasts[\(j)])"
            }
            first["\(f.kind.rawValue) \(f.id)"] = i
        }
        if let window {
            // The window names the plan's interval (its efficiency window, the policy's
            // provenance): "yesterday" or a reversed one was copied as given, and the efficiency
            // window fell back to 60 s without a word.
            guard let start = ISOTime.date(window.start), let end = ISOTime.date(window.end), end > start else {
                return "$.window: start and end must be ISO 8601 times with the end after the start "
                    + "(e.g. 2026-01-05T18:00:00Z), found \(window.start) to \(window.end)"
            }
        }
        if let count = scenarios?.count, count > Self.maximumScenarios {
            return "$.scenarios: at most \(Self.maximumScenarios) scenarios, found \(count)"
        }
        for (s, scenario) in (scenarios ?? []).enumerated() {
            for id in scenario.keys.sorted() {
                if let p = rate(scenario[id]!, "$.scenarios[\(s)]['\(id)']") { return p }
            }
        }
        for (i, m) in (measuredEfficiencies ?? []).enumerated() {
            if let p = efficiency(m.bitsPerSecondPerHertz, "$.measuredEfficiencies[\(i)] (cell '\(m.cell)').bitsPerSecondPerHertz") { return p }
        }
        return nil
    }
}

/// A cell's spectrum efficiency estimated from its radio KPI reports (CQI through the TS 38.214
/// table), with how it was estimated, which the cell's decision quotes.
public struct MeasuredEfficiency: Codable, Hashable, Sendable {
    /// Id of the cell in the topology.
    public var cell: String
    /// Estimated efficiency over the planning horizon, bit/s/Hz.
    public var bitsPerSecondPerHertz: Double
    /// How it was estimated, e.g. `radio KPIs: mean of 120 s of CQI reports to 2019-11-25T15:40:12, table1, in kpi/cell-1.csv`.
    public var source: String

    public init(cell: String, bitsPerSecondPerHertz: Double, source: String) {
        self.cell = cell
        self.bitsPerSecondPerHertz = bitsPerSecondPerHertz
        self.source = source
    }
}

/// The time window a plan is for.
public struct PlanWindow: Codable, Hashable, Sendable {
    public var start: String
    public var end: String

    public init(start: String, end: String) {
        self.start = start
        self.end = end
    }
}
