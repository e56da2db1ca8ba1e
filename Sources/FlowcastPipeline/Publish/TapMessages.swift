internal import FlowcastCore
internal import FlowcastAggregate
internal import FlowcastDecode
internal import Foundation

/// `flowcast.v1.tap.<site>` `{"type":"window",…}`: a tap closed one window and published `lines`
/// window lines for it. `previous` is the start of the window it closed before (null for its
/// first), so the planner can tell when it holds all of a site's windows up to a time even when
/// re-sent messages arrive out of order.
public struct TapMark: Sendable, Equatable {
    public static let formatVersion = 1
    public var site: String
    public var mode: String
    public var start: Int64
    public var duration: Int64
    public var previous: Int64?
    public var lines: Int

    /// `<site>|window|<start ns>|<content>`: a mark of another run for the same window (another
    /// count, or another previous window) is not dropped by the stream as a duplicate.
    public func messageID(payload: [UInt8]) -> String { "\(site)|window|\(start)|\(FlowcastSubjects.content(of: payload))" }

    func json() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLiteral("{\"formatVersion\":1,\"type\":\"window\",\"site\":"); out.appendJSONString(site)
        out.appendLiteral(",\"mode\":"); out.appendJSONString(mode)
        out.appendLiteral(",\"start\":"); out.appendSeconds(start)
        out.appendLiteral(",\"duration\":"); out.appendSeconds(duration)
        out.appendLiteral(",\"previous\":")
        if let previous { out.appendSeconds(previous) } else { out.appendLiteral("null") }
        out.appendLiteral(",\"lines\":"); out.appendDecimal(lines)
        out.appendLiteral("}")
        return out
    }

    init(site: String, mode: String, start: Int64, duration: Int64, previous: Int64?, lines: Int) {
        self.site = site; self.mode = mode; self.start = start; self.duration = duration; self.previous = previous; self.lines = lines
    }

    /// Reads a mark; throws what is wrong with it (every number range-checked, `MessageLimits`).
    init(_ j: FlatJSON) throws(BadMessage) {
        guard j.unsigned("formatVersion") == 1 else { throw BadMessage("\"formatVersion\" is not 1") }
        guard j.string("type") == "window" else { throw BadMessage("type is not \"window\"") }
        guard let site = j.string("site") else { throw BadMessage("no \"site\" string") }
        let start = try j.checkedStart("start")
        let duration = try j.checkedDuration("duration")
        let lines = try j.checkedCount("lines")
        var previous: Int64?
        if !j.isNull("previous") {
            let p = try j.checkedStart("previous")
            guard p < start else { throw BadMessage("\"previous\" is not before \"start\"") }
            previous = p
        }
        self.init(site: site, mode: j.string("mode") ?? "replay", start: start, duration: duration, previous: previous, lines: lines)
    }
}

/// The totals a tap's end message carries under `summary`, for people reading the stream.
public struct TapEndSummary: Codable, Sendable, Equatable {
    public var packets: UInt64?
    public var windowLines: Int?
    /// The capture file's name (replay) or the interface (live).
    public var capture: String?
    public var interface: String?
    /// The publishing counters as the tap stopped.
    public var publish: Publish?

    public struct Publish: Codable, Sendable, Equatable {
        public var published: Int, resent: Int, spooled: Int, dropped: Int
        /// Messages the stream already held (same message id) the first time they were sent, and
        /// dropped as duplicates (`PublishCounters.alreadyInStream`); absent when none.
        public var alreadyInStream: Int?
    }

    public init(packets: UInt64? = nil, windowLines: Int? = nil, capture: String? = nil, interface: String? = nil) {
        self.packets = packets; self.windowLines = windowLines; self.capture = capture; self.interface = interface
    }
}

/// `flowcast.v1.tap.<site>` `{"type":"end",…}`: the tap stopped; its last window started at
/// `lastStart` (null: it closed none). `summary` carries the tap's totals, for people.
public struct TapEnd: Sendable, Equatable {
    public var site: String
    public var mode: String
    public var lastStart: Int64?
    public var windows: Int

    public var messageID: String { "\(site)|end|\(lastStart.map(String.init) ?? "none")" }

    func json(summary: TapEndSummary) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLiteral("{\"formatVersion\":1,\"type\":\"end\",\"site\":"); out.appendJSONString(site)
        out.appendLiteral(",\"mode\":"); out.appendJSONString(mode)
        out.appendLiteral(",\"lastStart\":")
        if let lastStart { out.appendSeconds(lastStart) } else { out.appendLiteral("null") }
        out.appendLiteral(",\"windows\":"); out.appendDecimal(windows)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A summary of plain numbers and strings always encodes; the message goes out without one otherwise.
        if let data = try? encoder.encode(summary) {
            out.appendLiteral(",\"summary\":"); out.append(contentsOf: data)
        }
        out.appendLiteral("}")
        return out
    }

    init(site: String, mode: String, lastStart: Int64?, windows: Int) {
        self.site = site; self.mode = mode; self.lastStart = lastStart; self.windows = windows
    }

    /// Reads an end; throws what is wrong with it (every number range-checked, `MessageLimits`).
    init(_ j: FlatJSON) throws(BadMessage) {
        guard j.unsigned("formatVersion") == 1 else { throw BadMessage("\"formatVersion\" is not 1") }
        guard j.string("type") == "end" else { throw BadMessage("type is not \"end\"") }
        guard let site = j.string("site") else { throw BadMessage("no \"site\" string") }
        let windows = try j.checkedCount("windows")
        let lastStart: Int64? = j.isNull("lastStart") ? nil : try j.checkedStart("lastStart")
        self.init(site: site, mode: j.string("mode") ?? "replay", lastStart: lastStart, windows: windows)
    }
}

extension WindowSummary {
    /// Reads a published window line (a windows.jsonl line plus `site`); throws what is wrong
    /// with it (every number range-checked, `MessageLimits`).
    static func parsePublished(_ j: FlatJSON) throws(BadMessage) -> (site: String, window: WindowSummary) {
        // One pass over the members, last to first, so the first of a repeated key wins (as a
        // lookup by key would find it), wrong types included.
        var site: String?, kindText: String?, id: String?, start: FlatJSON.Value?, duration: FlatJSON.Value?, partial: Bool?
        var counters = [FlatJSON.Value?](repeating: nil, count: 9)
        var sizes: FlatJSON.Value?, dropped: FlatJSON.Value?, observedFrom: FlatJSON.Value?
        for (key, value) in j.members.reversed() {
            func text() -> String? { if case let .string(s) = value { return s }; return nil }
            switch key {
            case "site": site = text()
            case "kind": kindText = text()
            case "id": id = text()
            case "start": start = value
            case "duration": duration = value
            case "partial": if case let .bool(b) = value { partial = b } else { partial = nil }
            case "bytesUp": counters[0] = value
            case "bytesDown": counters[1] = value
            case "packetsUp": counters[2] = value
            case "packetsDown": counters[3] = value
            case "activeFlows": counters[4] = value
            case "newFlows": counters[5] = value
            case "retransmissions": counters[6] = value
            case "zeroWindows": counters[7] = value
            case "decodeIssues": counters[8] = value
            case "sizeHistogram": sizes = value
            case "droppedBeforeCapture": dropped = value
            case "observedFrom": observedFrom = value
            default: break
            }
        }
        guard let site else { throw BadMessage("no \"site\" string") }
        guard let kindText, let kind = WindowSummary.Kind(rawValue: kindText) else { throw BadMessage("\"kind\" is not \"cell\" or \"link\"") }
        guard let id else { throw BadMessage("no \"id\" string") }
        guard let partial else { throw BadMessage("no \"partial\" true or false") }
        let names = ["bytesUp", "bytesDown", "packetsUp", "packetsDown", "activeFlows", "newFlows", "retransmissions",
                     "zeroWindows", "decodeIssues"]
        var values = [UInt64](repeating: 0, count: 9)
        for i in 0..<9 {
            // The first four are required; the others default to 0.
            if counters[i] == nil && i >= 4 { continue }
            values[i] = try FlatJSON.checkedCounter(counters[i], names[i])
        }
        var w = WindowSummary(kind: kind, id: id, startNanoseconds: try FlatJSON.checkedStart(start, "start"),
                              durationNanoseconds: try FlatJSON.checkedDuration(duration, "duration"), partial: partial)
        (w.bytesUp, w.bytesDown, w.packetsUp, w.packetsDown) = (values[0], values[1], values[2], values[3])
        (w.activeFlows, w.newFlows, w.retransmissions, w.zeroWindows, w.decodeIssues) = (values[4], values[5], values[6], values[7], values[8])
        // A live tap's window that lost packets before capture (optional; 0 when absent).
        if dropped != nil { w.droppedBeforeCapture = try FlatJSON.checkedCounter(dropped, "droppedBeforeCapture") }
        // The first window of a tap that started inside it (optional): within the window.
        if observedFrom != nil {
            let from = try FlatJSON.checkedStart(observedFrom, "observedFrom")
            guard from > w.startNanoseconds && from - w.startNanoseconds < w.durationNanoseconds else {
                throw BadMessage("\"observedFrom\" is not inside the window")
            }
            w.observedFromNanoseconds = from
        }
        if case let .array(items)? = sizes {
            for (i, item) in items.prefix(SizeHistogram.count).enumerated() {
                // An item that is not a number counts 0, as before; a number out of range refuses the line.
                guard let v = UInt64(Substring(item)) else { continue }
                guard v <= MessageLimits.largestCounter else {
                    throw BadMessage("\"sizeHistogram\" item \(i + 1) \(v) is out of range (0 to \(MessageLimits.largestCounter))")
                }
                w.sizeHistogram[i] = v
            }
        }
        return (site, w)
    }

    /// Adds another site's counts for the same cell or link and window. Each count read from a
    /// message is at most `MessageLimits.largestCounter` (2^53), so 2,048 sites sum without
    /// reaching 2^64; past that a sum stays at `UInt64.max` rather than wrapping to a small number.
    mutating func add(_ o: WindowSummary) {
        func sum(_ a: inout UInt64, _ b: UInt64) {
            let (r, overflow) = a.addingReportingOverflow(b)
            a = overflow ? .max : r
        }
        sum(&bytesUp, o.bytesUp); sum(&bytesDown, o.bytesDown); sum(&packetsUp, o.packetsUp); sum(&packetsDown, o.packetsDown)
        sum(&activeFlows, o.activeFlows); sum(&newFlows, o.newFlows); sum(&retransmissions, o.retransmissions)
        sum(&zeroWindows, o.zeroWindows); sum(&decodeIssues, o.decodeIssues)
        for i in 0..<SizeHistogram.count { sum(&sizeHistogram[i], o.sizeHistogram[i]) }
        // Any site's drops make the network's window read low.
        sum(&droppedBeforeCapture, o.droppedBeforeCapture)
        // So does any part observed only from some time on: the latest such time.
        if let from = o.observedFromNanoseconds { observedFromNanoseconds = max(observedFromNanoseconds ?? from, from) }
    }
}

/// Why a message on a Flowcast subject was refused: counted `garbage`, and logged with this.
struct BadMessage: Error, Equatable, CustomStringConvertible {
    var reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}

/// The ranges every number read from a tap's message must lie in, so that no step or sum the
/// planner takes with them (a window start plus its length, a line's bytes up plus down, a site's
/// sum over sites) can overflow. Each is far past anything a tap publishes.
enum MessageLimits {
    /// Window starts (and a mark's `previous`, an end's `lastStart`): 0 to 2^62 ns after the
    /// epoch (the year 2116).
    static let latestStart: Int64 = 1 << 62
    /// Window lengths: more than 0, at most 2^50 ns (13 days).
    static let longestDuration: Int64 = 1 << 50
    /// A line's counters (bytes, packets, flows, size histogram): at most 2^53 (8 PiB in a window).
    static let largestCounter: UInt64 = 1 << 53
    /// A mark's `lines`, an end's `windows`: at most 2^32.
    static let largestCount: UInt64 = 1 << 32
}

extension FlatJSON {
    func checkedStart(_ key: String) throws(BadMessage) -> Int64 { try Self.checkedStart(self[key], key) }
    func checkedDuration(_ key: String) throws(BadMessage) -> Int64 { try Self.checkedDuration(self[key], key) }
    func checkedCount(_ key: String) throws(BadMessage) -> Int {
        guard case let .number(v)? = self[key] else { throw BadMessage("no number \"\(key)\"") }
        guard let n = UInt64(Substring(v)), n <= MessageLimits.largestCount else {
            throw BadMessage("\"\(key)\" \(Self.shown(v)) \(Self.wrongInteger(v)) (0 to \(MessageLimits.largestCount))")
        }
        return Int(n)
    }

    static func checkedStart(_ value: Value?, _ key: String) throws(BadMessage) -> Int64 {
        guard case let .number(v)? = value else { throw BadMessage("no number \"\(key)\"") }
        guard let t = nanoseconds(v), t >= 0, t <= MessageLimits.latestStart else {
            throw BadMessage("\"\(key)\" \(shown(v)) is out of range (0 to \(MessageLimits.latestStart / 1_000_000_000) s)")
        }
        return t
    }

    static func checkedDuration(_ value: Value?, _ key: String) throws(BadMessage) -> Int64 {
        guard case let .number(v)? = value else { throw BadMessage("no number \"\(key)\"") }
        guard let t = nanoseconds(v), t > 0, t <= MessageLimits.longestDuration else {
            throw BadMessage("\"\(key)\" \(shown(v)) is out of range (more than 0, at most \(MessageLimits.longestDuration / 1_000_000_000) s)")
        }
        return t
    }

    static func checkedCounter(_ value: Value?, _ key: String) throws(BadMessage) -> UInt64 {
        guard case let .number(v)? = value else { throw BadMessage("no number \"\(key)\"") }
        guard let n = UInt64(Substring(v)), n <= MessageLimits.largestCounter else {
            throw BadMessage("\"\(key)\" \(shown(v)) \(wrongInteger(v)) (0 to \(MessageLimits.largestCounter))")
        }
        return n
    }

    /// Why a number is no count: a fraction or an exponent (`1.5`, `1e3`: in range, but counts are
    /// written as whole numbers; they read "out of range" until 7 December 2026, an audit), or its size.
    static func wrongInteger(_ v: Substring.UTF8View) -> String {
        let text = Substring(v)
        if !text.hasPrefix("-"), text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let d = Double(text), d.isFinite, d >= 0 {
            return "is not written as a whole number"
        }
        return "is out of range"
    }

    /// A number's text for a message, cut short.
    static func shown(_ v: Substring.UTF8View) -> String {
        let text = String(Substring(v))
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
