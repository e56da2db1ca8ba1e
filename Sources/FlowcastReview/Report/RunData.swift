internal import FlowcastAggregate
internal import FlowcastCore
internal import FlowcastPipeline
public import FlowcastPolicy
internal import FlowcastTopology
public import Foundation

/// Everything `flowcast report` reads from a run folder, loaded tolerantly: a missing file leaves
/// its part empty (the report says "no data"), a bad line is skipped and counted. Every file is
/// read through its format type (`WindowLine`, `FlowLine`, `ForecastLine`, `RunSummary`, the
/// policy document); `Window` and `ForecastLine` here are the report's views of those lines.
public struct RunData: Sendable {
    /// A cell's or link's traffic in one window (from one `WindowLine` of windows.jsonl).
    public struct Window: Hashable, Sendable {
        public var kind: String
        public var id: String
        /// Epoch seconds.
        public var start: Double
        public var duration: Double
        public var bytesUp: Double
        public var bytesDown: Double
        public var packets: Double
        public var activeFlows: Double
        public var retransmissions: Double
        public var decodeIssues: Double
        public var partial: Bool
        /// Live only: packets the kernel or interface dropped while the window was open (the
        /// whole capture's, on every line of the window), 0 when none or not known.
        public var droppedBeforeCapture: Double
        /// The first window of a run that began inside it: seconds from which it was observed.
        public var observedFrom: Double?

        public init(kind: String, id: String, start: Double, duration: Double, bytesUp: Double = 0, bytesDown: Double = 0,
                    packets: Double = 0, activeFlows: Double = 0, retransmissions: Double = 0, decodeIssues: Double = 0,
                    partial: Bool = false, droppedBeforeCapture: Double = 0, observedFrom: Double? = nil) {
            self.kind = kind
            self.id = id
            self.start = start
            self.duration = duration
            self.bytesUp = bytesUp
            self.bytesDown = bytesDown
            self.packets = packets
            self.activeFlows = activeFlows
            self.retransmissions = retransmissions
            self.decodeIssues = decodeIssues
            self.partial = partial
            self.droppedBeforeCapture = droppedBeforeCapture
            self.observedFrom = observedFrom
        }

        /// Observed for only part of its span: the last window, cut short by the capture's end,
        /// or the first, which the capture began inside. Its rate understates the load.
        public var cutShort: Bool { partial || observedFrom != nil }

        /// Both directions, bit/s.
        public var load: Double { duration > 0 ? (bytesUp + bytesDown) * 8 / duration : 0 }
    }

    /// The forecast made for one interval and what happened (from one line of forecasts.jsonl).
    public struct ForecastLine: Hashable, Sendable {
        public var interval: Int
        public var start: Double
        public var id: String
        public var kind: String
        public var point: Double
        public var upper: Double
        public var actual: Double?
        /// The baseline's forecast (persistence: the last observed value), when the run wrote it.
        public var persistence: Double?
        /// True when the window was cut short (its rate understates the load).
        public var partial: Bool

        public init(interval: Int, start: Double, id: String, kind: String, point: Double, upper: Double, actual: Double?,
                    persistence: Double? = nil, partial: Bool = false) {
            self.interval = interval
            self.start = start
            self.id = id
            self.kind = kind
            self.point = point
            self.upper = upper
            self.actual = actual
            self.persistence = persistence
            self.partial = partial
        }
    }

    /// The policy document planned for one interval (policy-<NNNN>.json).
    public struct IntervalPolicy: Sendable {
        /// NNNN from the file name: the plan interval's number, not a load window's.
        public var interval: Int
        /// 0, or N for a live run's policies/reload-N/ (planned after its Nth topology reload).
        public var generation: Int = 0
        /// The file's path under the policies folder (`reload-1/policy-0001.json` after a reload).
        public var fileName: String
        /// Epoch seconds, from the policy's provenance window; nil when it has none.
        public var start: Double?
        /// Epoch seconds, from the policy's provenance window; nil when it has none.
        public var end: Double?
        public var document: PolicyDocument
    }

    public var runDirectory: String
    public var windows: [Window] = []
    /// `windows` counts one line per series (cell or link) and time; this is the number of times
    /// and of series: "60 windows × 19 series", not "1140 windows".
    public var windowShape: String {
        let times = Set(windows.map(\.start)).count, series = Set(windows.map { $0.kind + "/" + $0.id }).count
        return "\(times) window\(times == 1 ? "" : "s") × \(series) series"
    }
    public var forecasts: [ForecastLine] = []
    public var policies: [IntervalPolicy] = []
    /// summary.json flattened to `key.sub` → value text, in key order.
    public var summary: [(key: String, value: String)] = []
    /// Lines in flows.jsonl, when present.
    public var flowCount: Int?
    /// Files looked for and not found.
    public var missing: [String] = []
    /// Said when the folder holds a run still being written or one that stopped before its end
    /// (partial files, or windows or policies without summary.json); also among `problems`.
    public var unfinished: String?
    /// Lines or files skipped, with why.
    public var problems: [String] = []
    /// Set when the policies were planned by `flowcast planner`: from every site's windows, where
    /// the run folder holds one tap's (`sitePolicyNote`).
    public var plannedFromSites: Bool = false
    /// What the report says, on the page and the terminal, when `plannedFromSites`: an audit scored
    /// the network's plan against one tap's third of the traffic (cell-3 0.00 % unmet, 20.76 % on the
    /// whole capture), with nothing to say so.
    public var sitePolicyNote: String? {
        guard plannedFromSites else { return nil }
        return "the policies were planned by flowcast planner from the windows of every site it reads, and this run folder holds one "
            + "tap's: its measured loads, and the scores against them, are that site's share of the traffic unless it is the only site "
            + "(give the run folder of a replay of all the traffic for the network's)"
    }
    /// policy-NNNN.json files that could not be read (each also in `problems`), by NNNN: the
    /// report flags the interval after one, whose diff is against the policy before it.
    public var unreadablePolicies: [(generation: Int, number: Int, fileName: String)] = []
    /// Live runs: when each topology reload's policies begin (`policies/reload-N/`), by N.
    public var reloads: [(generation: Int, firstPolicyStart: Double?)] = []
    /// Windows a live reload wrote twice, once per topology (the old one's cut short, the new
    /// one's observed from the reload), added up into one window each.
    public var reloadSplitWindows = 0

    public init(runDirectory: String) { self.runDirectory = runDirectory }

    /// Loads a run folder; policies come from `policies` (default: RUN_DIR/policies, else RUN_DIR).
    public static func load(runDirectory: URL, policies: URL? = nil) throws(PolicyError) -> RunData {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory.path, isDirectory: &isDir), isDir.boolValue else {
            throw .io(path: runDirectory.path, message: "not a folder")
        }
        var run = RunData(runDirectory: runDirectory.path)
        // A window of no duration has no load to read (it was read as 0 bit/s and lowered its
        // cell's mean), and a second line for one window (kind, id, start) was summed into the
        // summary while the header counted windows once: both are skipped and counted. A live
        // topology reload writes one window twice, as two halves: the old topology's cut short
        // (partial), then the new one's observed from the reload; those add up to the window
        // (the second was skipped as read already, and its traffic lost: an audit).
        var seenWindows: [String: Bool] = [:]  // key → its first line is cut short
        var halves = Set<String>()
        let windowLines = run.readSegments(runDirectory, "windows", as: WindowLine.self) { w in
            if w.duration <= 0 { return "a window of no duration" }
            let key = "\(w.kind.rawValue)\u{0}\(w.id)\u{0}\(w.start)"
            guard let firstCut = seenWindows[key] else { seenWindows[key] = w.partial; return nil }
            if firstCut, w.observedFrom != nil, halves.insert(key).inserted { return nil }
            return "a window already read (same kind, id and start)"
        }
        run.windows = Self.joiningHalves(windowLines.map(Window.init), halves: halves)
        run.reloadSplitWindows = Set(halves.map { $0.split(separator: "\u{0}", omittingEmptySubsequences: false).last.map(String.init) ?? "" }).count
        // A run written with --rotate has segments (windows-0000.jsonl …) and no windows.jsonl:
        // read in order (the report was empty for such a run: an audit).
        let flows: [FlowLine] = run.readSegments(runDirectory, "flows", as: FlowLine.self)
        if !run.missing.contains("flows.jsonl") { run.flowCount = flows.count }
        let summaryURL = runDirectory.appendingPathComponent("summary.json")
        if let summary = run.data(summaryURL) {
            do {
                let decoded = try RunSummary.read(summary, path: summaryURL.lastPathComponent)
                run.summary = flatten(try JSONDecoder().decode(JSONValue.self, from: Data(try decoded.json())), prefix: "")
            } catch {
                run.problems.append("\(error)")
            }
        }
        let policyFolder = policies ?? {
            let sub = runDirectory.appendingPathComponent("policies")
            return FileManager.default.fileExists(atPath: sub.path) ? sub : runDirectory
        }()
        run.forecasts = run.readLines(policyFolder.appendingPathComponent("forecasts.jsonl"), as: FlowcastPipeline.ForecastLine.self)
            .map(ForecastLine.init)
        run.loadPolicies(from: policyFolder)
        // A live run's topology reloads: each one's policies and forecasts in policies/reload-N/
        // (the report read the first topology's only: an audit).
        for (n, folder) in reloadFolders(in: policyFolder) {
            run.forecasts += run.readLines(folder.appendingPathComponent("forecasts.jsonl"), as: FlowcastPipeline.ForecastLine.self,
                                           label: "reload-\(n)/forecasts.jsonl").map(ForecastLine.init)
            let before = run.policies.count
            run.loadPolicies(from: folder, generation: n)
            run.reloads.append((n, run.policies[before...].compactMap(\.start).min()))
        }
        if !run.reloads.isEmpty, run.missing.contains("policy-NNNN.json"), run.policies.contains(where: { $0.generation > 0 }) {
            run.missing.removeAll { $0 == "policy-NNNN.json" }
        }
        // A run still being written, or one that stopped before its end (killed, a full disk),
        // leaves `.partial` files: said, since the report then shows part of a run (an audit: a
        // replay that failed on a full disk reported with status 0 and "not found: summary.json").
        let partial = Set([runDirectory, policyFolder].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".partial") }
        }).sorted()
        // No summary.json beside windows or policies: a replay that failed (a full disk) removes its
        // partial files and leaves what it had committed. A planner's or reader's folder has its
        // own summary instead.
        let ownSummaries = ["planner-summary.json", "policies-summary.json"].contains {
            FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent($0).path)
        }
        let unfinished = run.missing.contains("summary.json") && (!run.windows.isEmpty || !run.policies.isEmpty) && !ownSummaries
        if !partial.isEmpty {
            let shown = partial.prefix(5).joined(separator: ", ") + (partial.count > 5 ? ", …" : "")
            run.unfinished = "the run is still being written or stopped before its end (killed, or an error such as a full disk): "
                + "\(partial.count) partial file\(partial.count == 1 ? "" : "s") (\(shown))\(unfinished ? " and no summary.json" : ""); "
                + "this report shows what it had committed"
        } else if unfinished {
            run.unfinished = Self.noSummary
        }
        if let note = run.unfinished { run.problems.append(note) }
        return run
    }

    /// policies/reload-N folders, by N.
    static func reloadFolders(in folder: URL) -> [(Int, URL)] {
        NumberedFolders.list(in: folder.path, prefix: "reload").map { ($0.number, URL(fileURLWithPath: $0.path)) }
    }

    /// Each window once: the two halves of a window a reload split (`halves`: kind, id, start)
    /// added up, with the first half's start of observation and the second's end.
    static func joiningHalves(_ windows: [Window], halves: Set<String>) -> [Window] {
        guard !halves.isEmpty else { return windows }
        var out: [Window] = [], at: [String: Int] = [:]
        for w in windows {
            let key = "\(w.kind)\u{0}\(w.id)\u{0}\(w.start)"
            if halves.contains(key), let i = at[key] {
                var a = out[i]
                a.bytesUp += w.bytesUp; a.bytesDown += w.bytesDown; a.packets += w.packets
                a.activeFlows += w.activeFlows; a.retransmissions += w.retransmissions; a.decodeIssues += w.decodeIssues
                a.droppedBeforeCapture += w.droppedBeforeCapture
                a.partial = w.partial
                out[i] = a
            } else {
                at[key] = out.count
                out.append(w)
            }
        }
        return out
    }

    // MARK: Reading

    private mutating func data(_ url: URL, label: String? = nil) -> Data? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            missing.append(label ?? url.lastPathComponent)
            return nil
        }
        // 4 GiB per run file and 1 MiB per line (docs/limits.md): flows.jsonl of a long replay is
        // the largest, at about 400 bytes a flow; a line is under 2 KB.
        let bounds = InputBounds(what: "run file", maximumBytes: 4 << 30, maximumLineBytes: 1 << 20)
        do { return Data(try BoundedInput.read(path: url.path, bounds: bounds)) } catch {
            if case .unreadable = error.problem {
                problems.append("\(url.lastPathComponent): cannot be read")
            } else {
                problems.append("\(url.lastPathComponent)\(error.line > 0 ? ":\(error.line)" : ""): \(error.reason)")
            }
            return nil
        }
    }

    /// Decodes each line through the file's format type; bad lines are skipped and counted, and a
    /// line of an unsupported `formatVersion` is also named on its own.
    /// `refuse` gives the reason a well-formed line is not used, or nil; such lines are skipped and
    /// counted per reason.
    /// `base`.jsonl, or where a run rotated its outputs, its segments `base`-NNNN.jsonl in order.
    private mutating func readSegments<Line: Decodable>(_ folder: URL, _ base: String, as type: Line.Type,
                                                        refuse: (Line) -> String? = { _ in nil }) -> [Line] {
        let whole = folder.appendingPathComponent(base + ".jsonl")
        let names = FileManager.default.fileExists(atPath: whole.path) ? [] :
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { name in
                name.hasPrefix(base + "-") && name.hasSuffix(".jsonl") && name.count == base.count + 11
                    && name.dropFirst(base.count + 1).prefix(4).allSatisfy(\.isNumber)
            }.sorted()
        guard !names.isEmpty else { return readLines(whole, as: type, refuse: refuse) }
        var out: [Line] = []
        for name in names { out += readLines(folder.appendingPathComponent(name), as: type, refuse: refuse) }
        return out
    }

    private mutating func readLines<Line: Decodable>(_ url: URL, as type: Line.Type, label: String? = nil,
                                                     refuse: (Line) -> String? = { _ in nil }) -> [Line] {
        guard let data = data(url, label: label) else { return [] }
        let decoder = JSONDecoder()
        var out: [Line] = [], skipped = 0, firstBad: Int?
        var refused: [(reason: String, count: Int, first: Int)] = []
        // Lines end at LF; a CRLF line's CR is trimmed with the other blanks around it. Split as
        // bytes: splitting a large flows.jsonl as `Character`s took longer than decoding it.
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        for (n, line) in data.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
            guard let first = line.firstIndex(where: { !isBlank($0) }), let last = line.lastIndex(where: { !isBlank($0) }) else { continue }
            do {
                let decoded = try FormatReading.decode(Line.self, from: line[first...last], path: url.lastPathComponent, line: n + 1,
                                                       decoder: decoder)
                if let reason = refuse(decoded) {
                    if let i = refused.firstIndex(where: { $0.reason == reason }) { refused[i].count += 1 } else { refused.append((reason, 1, n + 1)) }
                    continue
                }
                out.append(decoded)
            } catch {
                if case .unsupportedVersion = error.problem { problems.append(error.description) }
                skipped += 1
                firstBad = firstBad ?? n + 1
            }
        }
        if skipped > 0, let firstBad {
            problems.append("\(url.lastPathComponent): \(skipped) line\(skipped == 1 ? "" : "s") skipped (first at line \(firstBad))")
        }
        for r in refused {
            problems.append("\(url.lastPathComponent): \(r.count) line\(r.count == 1 ? "" : "s") skipped, \(r.reason) (first at line \(r.first))")
        }
        return out
    }

    private mutating func loadPolicies(from folder: URL, generation: Int = 0) {
        let prefix = generation > 0 ? "reload-\(generation)/" : ""
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("policy-"), name.hasSuffix(".json"),
                  let n = Int(name.dropFirst("policy-".count).dropLast(".json".count)) else { return nil }
            return (n, name)
        }.sorted { $0.0 < $1.0 }
        if numbered.isEmpty && generation == 0 { missing.append("policy-NNNN.json") }
        // A policy's time is its own provenance window. forecasts.jsonl numbers load windows, not
        // plan intervals, so its `interval` must not be matched with NNNN.
        for (n, name) in numbered {
            do {
                let doc = try PolicyDocument(reviewing: folder.appendingPathComponent(name))
                if doc.provenance.generator == "flowcast planner" || doc.provenance.generator.hasPrefix("flowcast planner ") { plannedFromSites = true }
                let window = doc.provenance.window
                policies.append(IntervalPolicy(interval: n, generation: generation, fileName: prefix + name, start: window.flatMap { Self.epoch($0.start) },
                                               end: window.flatMap { Self.epoch($0.end) }, document: doc))
            } catch {
                unreadablePolicies.append((generation, n, prefix + name))
                problems.append("\(prefix + name): \(error)")
            }
        }
    }

    static func epoch(_ iso: String) -> Double? { ISOTime.seconds(iso) }

    /// Said of a folder with windows and no summary.json (and no partial file).
    public static let noSummary = "no summary.json: a run that stopped before its end (killed, or an error such as a full disk), "
        + "or a folder not written by replay or live; this report shows what the folder holds"

    private static func flatten(_ value: JSONValue, prefix: String) -> [(key: String, value: String)] {
        switch value {
        case .object(let o):
            return o.keys.sorted().flatMap { flatten(o[$0]!, prefix: prefix.isEmpty ? $0 : "\(prefix).\($0)") }
        case .array(let a) where a.count > 8 || a.contains(where: { if case .object = $0 { true } else { false } }):
            return [(prefix, "\(a.count) items")]
        case .array(let a):
            return [(prefix, a.map { flatten($0, prefix: "").first?.value ?? "" }.joined(separator: ", "))]
        case .string(let s): return [(prefix, s)]
        case .number(let n): return [(prefix, n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : DiffFormat.trimmed(n, decimals: 4))]
        case .bool(let b): return [(prefix, b ? "true" : "false")]
        case .null: return [(prefix, "null")]
        }
    }
}

extension RunData.Window {
    init(_ line: WindowLine) {
        self.init(kind: line.kind.rawValue, id: line.id, start: line.start, duration: line.duration,
                  bytesUp: Double(line.bytesUp), bytesDown: Double(line.bytesDown),
                  packets: Double(line.packetsUp) + Double(line.packetsDown), activeFlows: Double(line.activeFlows),
                  retransmissions: Double(line.retransmissions), decodeIssues: Double(line.decodeIssues), partial: line.partial,
                  droppedBeforeCapture: Double(line.droppedBeforeCapture ?? 0), observedFrom: line.observedFrom)
    }
}

extension RunData.ForecastLine {
    init(_ line: FlowcastPipeline.ForecastLine) {
        self.init(interval: line.interval, start: line.start, id: line.id, kind: line.kind.rawValue, point: line.point,
                  upper: line.upper, actual: line.actual, persistence: line.persistence, partial: line.partial)
    }
}
