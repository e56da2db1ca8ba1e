internal import FlowcastCore
public import FlowcastPolicy
internal import FlowcastTopology
public import Foundation

/// Everything `flowcast report` reads from a run folder, loaded tolerantly: a missing file leaves
/// its part empty (the report says "no data"), a bad line is skipped and counted.
public struct RunData: Sendable {
    /// One line of windows.jsonl: a cell's or link's traffic in one window.
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

        public init(kind: String, id: String, start: Double, duration: Double, bytesUp: Double = 0, bytesDown: Double = 0,
                    packets: Double = 0, activeFlows: Double = 0, retransmissions: Double = 0, decodeIssues: Double = 0,
                    partial: Bool = false) {
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
        }

        /// Both directions, bit/s.
        public var load: Double { duration > 0 ? (bytesUp + bytesDown) * 8 / duration : 0 }
        /// The busier direction, bit/s (what a full-duplex link's capacity limits).
        public var busierDirection: Double { duration > 0 ? max(bytesUp, bytesDown) * 8 / duration : 0 }
    }

    /// One line of forecasts.jsonl: the forecast made for one interval and what happened.
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
        public var fileName: String
        /// Epoch seconds, from the policy's provenance window; nil when it has none.
        public var start: Double?
        /// Epoch seconds, from the policy's provenance window; nil when it has none.
        public var end: Double?
        public var document: PolicyDocument
    }

    public var runDirectory: String
    public var windows: [Window] = []
    public var forecasts: [ForecastLine] = []
    public var policies: [IntervalPolicy] = []
    /// summary.json flattened to `key.sub` → value text, in key order.
    public var summary: [(key: String, value: String)] = []
    /// Lines in flows.jsonl, when present.
    public var flowCount: Int?
    /// Files looked for and not found.
    public var missing: [String] = []
    /// Lines or files skipped, with why.
    public var problems: [String] = []

    public init(runDirectory: String) { self.runDirectory = runDirectory }

    /// Loads a run folder; policies come from `policies` (default: RUN_DIR/policies, else RUN_DIR).
    public static func load(runDirectory: URL, policies: URL? = nil) throws(PolicyError) -> RunData {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory.path, isDirectory: &isDir), isDir.boolValue else {
            throw .io(path: runDirectory.path, message: "not a folder")
        }
        var run = RunData(runDirectory: runDirectory.path)
        run.windows = run.readLines(runDirectory.appendingPathComponent("windows.jsonl"), Self.window)
        if let flows = run.text(runDirectory.appendingPathComponent("flows.jsonl")) {
            run.flowCount = flows.split(whereSeparator: \.isNewline).count
        }
        if let summary = run.text(runDirectory.appendingPathComponent("summary.json")) {
            if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(summary.utf8)) {
                run.summary = flatten(value, prefix: "")
            } else {
                run.problems.append("summary.json: not valid JSON")
            }
        }
        let policyFolder = policies ?? {
            let sub = runDirectory.appendingPathComponent("policies")
            return FileManager.default.fileExists(atPath: sub.path) ? sub : runDirectory
        }()
        run.forecasts = run.readLines(policyFolder.appendingPathComponent("forecasts.jsonl"), Self.forecast)
        run.loadPolicies(from: policyFolder)
        return run
    }

    // MARK: Reading

    private mutating func text(_ url: URL) -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            missing.append(url.lastPathComponent)
            return nil
        }
        guard let data = try? Data(contentsOf: url) else {
            problems.append("\(url.lastPathComponent): cannot be read")
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    private mutating func readLines<T>(_ url: URL, _ parse: ([String: JSONValue]) -> T?) -> [T] {
        guard let text = text(url) else { return [] }
        var out: [T] = [], skipped = 0, firstBad: Int?
        // `\r\n` is one `Character` in a Swift `String`: a CRLF file must split on it too.
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: Data(trimmed.utf8)), let value = parse(o) {
                out.append(value)
            } else {
                skipped += 1
                firstBad = firstBad ?? n + 1
            }
        }
        if skipped > 0, let firstBad {
            problems.append("\(url.lastPathComponent): \(skipped) line\(skipped == 1 ? "" : "s") skipped (first at line \(firstBad))")
        }
        return out
    }

    private mutating func loadPolicies(from folder: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("policy-"), name.hasSuffix(".json"),
                  let n = Int(name.dropFirst("policy-".count).dropLast(".json".count)) else { return nil }
            return (n, name)
        }.sorted { $0.0 < $1.0 }
        if numbered.isEmpty { missing.append("policy-NNNN.json") }
        // A policy's time is its own provenance window. forecasts.jsonl numbers load windows, not
        // plan intervals, so its `interval` must not be matched with NNNN.
        for (n, name) in numbered {
            do {
                let doc = try PolicyDocument(reviewing: folder.appendingPathComponent(name))
                let window = doc.provenance.window
                policies.append(IntervalPolicy(interval: n, fileName: name, start: window.flatMap { Self.epoch($0.start) },
                                               end: window.flatMap { Self.epoch($0.end) }, document: doc))
            } catch {
                problems.append("\(name): \(error)")
            }
        }
    }

    // MARK: Field extraction

    private static func window(_ o: [String: JSONValue]) -> Window? {
        guard let id = string(o["id"]), let start = time(o["start"]) else { return nil }
        return Window(kind: string(o["kind"]) ?? "cell", id: id, start: start, duration: number(o["duration"]) ?? 0,
                      bytesUp: number(o["bytesUp"]) ?? 0, bytesDown: number(o["bytesDown"]) ?? 0,
                      packets: (number(o["packetsUp"]) ?? 0) + (number(o["packetsDown"]) ?? 0),
                      activeFlows: number(o["activeFlows"]) ?? 0, retransmissions: number(o["retransmissions"]) ?? 0,
                      decodeIssues: count(o["decodeIssues"]), partial: o["partial"] == .bool(true))
    }

    private static func forecast(_ o: [String: JSONValue]) -> ForecastLine? {
        guard let id = string(o["id"]), let interval = number(o["interval"]), let start = time(o["start"]),
              let point = number(o["point"]) else { return nil }
        return ForecastLine(interval: Int(interval), start: start, id: id, kind: string(o["kind"]) ?? "cell", point: point,
                            upper: number(o["upper"]) ?? point, actual: number(o["actual"]), persistence: number(o["persistence"]),
                            partial: o["partial"] == .bool(true))
    }

    private static func string(_ v: JSONValue?) -> String? {
        if case .string(let s)? = v { return s }
        return nil
    }

    private static func number(_ v: JSONValue?) -> Double? {
        if case .number(let n)? = v { return n }
        return nil
    }

    /// Epoch seconds, or an ISO 8601 date string.
    private static func time(_ v: JSONValue?) -> Double? { number(v) ?? string(v).flatMap(epoch) }

    static func epoch(_ iso: String) -> Double? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: iso) { return d.timeIntervalSince1970 }
        f.formatOptions.insert(.withFractionalSeconds)
        return f.date(from: iso)?.timeIntervalSince1970
    }

    /// Decode issues may be a count, counts by kind, or a list of issues.
    private static func count(_ v: JSONValue?) -> Double {
        switch v {
        case .number(let n)?: n
        case .object(let o)?: o.values.reduce(0) { $0 + (number($1) ?? 1) }
        case .array(let a)?: Double(a.count)
        default: 0
        }
    }

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
