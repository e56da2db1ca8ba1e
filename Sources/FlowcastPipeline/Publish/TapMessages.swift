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

    public var messageID: String { "\(site)|window|\(start)" }

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

    init?(_ j: FlatJSON) {
        guard j.unsigned("formatVersion") == 1, j.string("type") == "window", let site = j.string("site"),
              let start = j.nanoseconds("start"), let duration = j.nanoseconds("duration"), duration > 0,
              let lines = j.unsigned("lines") else { return nil }
        let previous = j.nanoseconds("previous")
        guard previous != nil || j.isNull("previous") else { return nil }
        self.init(site: site, mode: j.string("mode") ?? "replay", start: start, duration: duration, previous: previous, lines: Int(lines))
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

    init?(_ j: FlatJSON) {
        guard j.unsigned("formatVersion") == 1, j.string("type") == "end", let site = j.string("site"),
              let windows = j.unsigned("windows") else { return nil }
        let lastStart = j.nanoseconds("lastStart")
        guard lastStart != nil || j.isNull("lastStart") else { return nil }
        self.init(site: site, mode: j.string("mode") ?? "replay", lastStart: lastStart, windows: Int(windows))
    }
}

extension WindowSummary {
    /// Reads a published window line (a windows.jsonl line plus `site`); nil when it is not one.
    static func parsePublished(_ j: FlatJSON) -> (site: String, window: WindowSummary)? {
        // One pass over the members, last to first, so the first of a repeated key wins (as a
        // lookup by key would find it), wrong types included.
        var site: String?, kindText: String?, id: String?, start: Int64?, duration: Int64?, partial: Bool?
        var counters = [UInt64?](repeating: nil, count: 9)
        var sizes: [Substring.UTF8View]?
        for (key, value) in j.members.reversed() {
            func text() -> String? { if case let .string(s) = value { return s }; return nil }
            func unsigned() -> UInt64? { if case let .number(v) = value { return UInt64(Substring(v)) }; return nil }
            func nanoseconds() -> Int64? { if case let .number(v) = value { return FlatJSON.nanoseconds(v) }; return nil }
            switch key {
            case "site": site = text()
            case "kind": kindText = text()
            case "id": id = text()
            case "start": start = nanoseconds()
            case "duration": duration = nanoseconds()
            case "partial": if case let .bool(b) = value { partial = b } else { partial = nil }
            case "bytesUp": counters[0] = unsigned()
            case "bytesDown": counters[1] = unsigned()
            case "packetsUp": counters[2] = unsigned()
            case "packetsDown": counters[3] = unsigned()
            case "activeFlows": counters[4] = unsigned()
            case "newFlows": counters[5] = unsigned()
            case "retransmissions": counters[6] = unsigned()
            case "zeroWindows": counters[7] = unsigned()
            case "decodeIssues": counters[8] = unsigned()
            case "sizeHistogram": if case let .array(items) = value { sizes = items } else { sizes = nil }
            default: break
            }
        }
        guard let site, let kindText, let kind = WindowSummary.Kind(rawValue: kindText), let id, let start, let duration,
              duration > 0, let partial, let bytesUp = counters[0], let bytesDown = counters[1],
              let packetsUp = counters[2], let packetsDown = counters[3] else { return nil }
        var w = WindowSummary(kind: kind, id: id, startNanoseconds: start, durationNanoseconds: duration, partial: partial)
        w.bytesUp = bytesUp; w.bytesDown = bytesDown; w.packetsUp = packetsUp; w.packetsDown = packetsDown
        w.activeFlows = counters[4] ?? 0
        w.newFlows = counters[5] ?? 0
        w.retransmissions = counters[6] ?? 0
        w.zeroWindows = counters[7] ?? 0
        w.decodeIssues = counters[8] ?? 0
        if let sizes {
            for (i, item) in sizes.prefix(SizeHistogram.count).enumerated() { w.sizeHistogram[i] = UInt64(Substring(item)) ?? 0 }
        }
        return (site, w)
    }

    /// Adds another site's counts for the same cell or link and window.
    mutating func add(_ o: WindowSummary) {
        bytesUp &+= o.bytesUp; bytesDown &+= o.bytesDown; packetsUp &+= o.packetsUp; packetsDown &+= o.packetsDown
        activeFlows &+= o.activeFlows; newFlows &+= o.newFlows; retransmissions &+= o.retransmissions
        zeroWindows &+= o.zeroWindows; decodeIssues &+= o.decodeIssues
        for i in 0..<SizeHistogram.count { sizeHistogram[i] &+= o.sizeHistogram[i] }
    }
}
