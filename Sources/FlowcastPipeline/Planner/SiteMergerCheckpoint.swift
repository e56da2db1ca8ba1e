internal import FlowcastCore
public import FlowcastAggregate

/// How the planner's checkpoint (planner-state.json, under `--out`) holds a window it has not yet
/// merged: every counter as the aggregator keeps it and times in nanoseconds, so a restarted
/// planner resumes with exactly the values it saved. This is the checkpoint's private form; the
/// window's published form is `WindowLine` (windows.jsonl).
extension WindowSummary: Codable {
    enum CheckpointKeys: String, CodingKey {
        case kind, id, startNanoseconds, durationNanoseconds, partial, bytesUp, bytesDown, packetsUp, packetsDown
        case activeFlows, newFlows, retransmissions, zeroWindows, decodeIssues, sizeHistogram
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CheckpointKeys.self)
        self.init(kind: try c.decode(Kind.self, forKey: .kind), id: try c.decode(String.self, forKey: .id),
                  startNanoseconds: try c.decode(Int64.self, forKey: .startNanoseconds),
                  durationNanoseconds: try c.decode(Int64.self, forKey: .durationNanoseconds),
                  partial: try c.decode(Bool.self, forKey: .partial))
        bytesUp = try c.decode(UInt64.self, forKey: .bytesUp); bytesDown = try c.decode(UInt64.self, forKey: .bytesDown)
        packetsUp = try c.decode(UInt64.self, forKey: .packetsUp); packetsDown = try c.decode(UInt64.self, forKey: .packetsDown)
        activeFlows = try c.decode(UInt64.self, forKey: .activeFlows); newFlows = try c.decode(UInt64.self, forKey: .newFlows)
        retransmissions = try c.decode(UInt64.self, forKey: .retransmissions)
        zeroWindows = try c.decode(UInt64.self, forKey: .zeroWindows); decodeIssues = try c.decode(UInt64.self, forKey: .decodeIssues)
        let sizes = try c.decode([UInt64].self, forKey: .sizeHistogram)
        guard sizes.count == SizeHistogram.count else {
            throw DecodingError.dataCorruptedError(forKey: .sizeHistogram, in: c,
                                                   debugDescription: "expected \(SizeHistogram.count) size classes, found \(sizes.count)")
        }
        for (i, n) in sizes.enumerated() { sizeHistogram[i] = n }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CheckpointKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(id, forKey: .id)
        try c.encode(startNanoseconds, forKey: .startNanoseconds); try c.encode(durationNanoseconds, forKey: .durationNanoseconds)
        try c.encode(partial, forKey: .partial)
        try c.encode(bytesUp, forKey: .bytesUp); try c.encode(bytesDown, forKey: .bytesDown)
        try c.encode(packetsUp, forKey: .packetsUp); try c.encode(packetsDown, forKey: .packetsDown)
        try c.encode(activeFlows, forKey: .activeFlows); try c.encode(newFlows, forKey: .newFlows)
        try c.encode(retransmissions, forKey: .retransmissions); try c.encode(zeroWindows, forKey: .zeroWindows)
        try c.encode(decodeIssues, forKey: .decodeIssues)
        try c.encode((0..<SizeHistogram.count).map { sizeHistogram[$0] }, forKey: .sizeHistogram)
    }
}

/// The lines a `SiteMerger` holds (window start → site → "kind:id" → line). The checkpoint
/// saves them as one string, a line of text per held line:
/// "start<TAB>site<TAB>kind:id<TAB>duration partial bytesUp bytesDown packetsUp packetsDown
/// activeFlows newFlows retransmissions zeroWindows decodeIssues h0 … h6" (site and id with `%`,
/// tab and newline percent-escaped). With one site far behind, a checkpoint holds hundreds of
/// thousands of lines, and Foundation's JSONEncoder spent most of a save on each line's keyed
/// object: 26 % of the planner's CPU at 5,000 cells (tools/bench-planner.sh); the text is
/// written by hand because it is on that path. A checkpoint of the keyed form (a dictionary of
/// `WindowSummary` objects in `CheckpointKeys`, written before 2026-12-05) still reads.
struct HeldLines: Codable, Sendable {
    private var storage: [Int64: [String: [String: WindowSummary]]] = [:]

    init() {}

    /// The window starts it holds lines for.
    var starts: [Int64] { Array(storage.keys) }

    subscript(start: Int64) -> [String: [String: WindowSummary]]? {
        get { storage[start] }
        set { storage[start] = newValue }
    }

    subscript(start: Int64, default empty: [String: [String: WindowSummary]]) -> [String: [String: WindowSummary]] {
        get { storage[start, default: empty] }
        _modify { yield &storage[start, default: empty] }
    }

    func encode(to encoder: any Encoder) throws {
        var text: [UInt8] = []
        text.reserveCapacity(storage.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } * 96)
        // Sorted, so a checkpoint is the same bytes for the same state.
        for start in storage.keys.sorted() {
            let sites = storage[start]!
            for site in sites.keys.sorted() {
                let held = sites[site]!
                for key in held.keys.sorted() {
                    Self.append(held[key]!, start: start, site: site, key: key, to: &text)
                }
            }
        }
        var single = encoder.singleValueContainer()
        try single.encode(String(decoding: text, as: UTF8.self))
    }

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let text = try? single.decode(String.self) {
            for (n, row) in text.utf8.split(separator: UInt8(ascii: "\n")).enumerated() {
                guard let (start, site, key, w) = Self.line(row) else {
                    throw DecodingError.dataCorruptedError(in: single, debugDescription:
                        "held line \(n + 1): expected start, site, kind:id and \(11 + SizeHistogram.count) numbers (\(12 + SizeHistogram.count) with drops, \(13 + SizeHistogram.count) with the time a first window was observed from), found \"\(String(decoding: row.prefix(200), as: UTF8.self))\"")
                }
                storage[start, default: [:]][site, default: [:]][key] = w
            }
        } else {
            storage = try single.decode([Int64: [String: [String: WindowSummary]]].self)
        }
    }

    static func append(_ w: WindowSummary, start: Int64, site: String, key: String, to text: inout [UInt8]) {
        text.appendDecimal(Int(start))
        text.append(9)
        appendEscaped(site, to: &text)
        text.append(9)
        appendEscaped(key, to: &text)
        text.append(9)
        text.appendDecimal(Int(w.durationNanoseconds))
        text.append(contentsOf: w.partial ? [32, 49] : [32, 48])
        for v in [w.bytesUp, w.bytesDown, w.packetsUp, w.packetsDown, w.activeFlows, w.newFlows, w.retransmissions,
                  w.zeroWindows, w.decodeIssues] {
            text.append(32)
            text.appendDecimal(v)
        }
        for i in 0..<SizeHistogram.count {
            text.append(32)
            text.appendDecimal(w.sizeHistogram[i])
        }
        // Only when not zero, so a state without drops keeps its bytes (and older ones read); a
        // first window observed in part adds its time after the drops (0 then when none).
        if w.droppedBeforeCapture != 0 || w.observedFromNanoseconds != nil {
            text.append(32)
            text.appendDecimal(w.droppedBeforeCapture)
        }
        if let from = w.observedFromNanoseconds {
            text.append(32)
            text.appendDecimal(Int(from))
        }
        text.append(10)
    }

    static func appendEscaped(_ s: String, to text: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "%"): text.append(contentsOf: Array("%25".utf8))
            case 9: text.append(contentsOf: Array("%09".utf8))
            case 10: text.append(contentsOf: Array("%0A".utf8))
            default: text.append(b)
            }
        }
    }

    /// One held line of the checkpoint's text; nil when it is malformed.
    static func line(_ row: some Collection<UInt8>) -> (Int64, String, String, WindowSummary)? {
        let parts = row.split(separator: 9, omittingEmptySubsequences: false)
        guard parts.count == 4, let start = Int64(String(decoding: parts[0], as: UTF8.self)),
              let site = unescape(parts[1]), let key = unescape(parts[2]),
              let colon = key.firstIndex(of: ":"), let kind = WindowSummary.Kind(rawValue: String(key[..<colon])) else { return nil }
        let fields = parts[3].split(separator: 32, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard (11 + SizeHistogram.count)...(13 + SizeHistogram.count) ~= fields.count,
              let duration = Int64(fields[0]), duration > 0, let partial = UInt8(fields[1]), partial <= 1 else { return nil }
        let counters = fields.dropFirst(2).compactMap { UInt64($0) }
        guard counters.count == fields.count - 2 else { return nil }
        var w = WindowSummary(kind: kind, id: String(key[key.index(after: colon)...]), startNanoseconds: start,
                              durationNanoseconds: duration, partial: partial == 1)
        (w.bytesUp, w.bytesDown, w.packetsUp, w.packetsDown) = (counters[0], counters[1], counters[2], counters[3])
        (w.activeFlows, w.newFlows, w.retransmissions) = (counters[4], counters[5], counters[6])
        (w.zeroWindows, w.decodeIssues) = (counters[7], counters[8])
        for i in 0..<SizeHistogram.count { w.sizeHistogram[i] = counters[9 + i] }
        if counters.count >= 10 + SizeHistogram.count { w.droppedBeforeCapture = counters[9 + SizeHistogram.count] }
        if counters.count == 11 + SizeHistogram.count {
            guard let from = Int64(exactly: counters[10 + SizeHistogram.count]), from > start, from - start < duration else { return nil }
            w.observedFromNanoseconds = from
        }
        return (start, site, key, w)
    }

    /// Undoes `appendEscaped`; nil for a `%` not followed by one of its three escapes.
    static func unescape(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var it = bytes.makeIterator()
        while let b = it.next() {
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard let h = it.next(), let l = it.next() else { return nil }
            switch (h, l) {
            case (UInt8(ascii: "2"), UInt8(ascii: "5")): out.append(UInt8(ascii: "%"))
            case (UInt8(ascii: "0"), UInt8(ascii: "9")): out.append(9)
            case (UInt8(ascii: "0"), UInt8(ascii: "A")): out.append(10)
            default: return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
