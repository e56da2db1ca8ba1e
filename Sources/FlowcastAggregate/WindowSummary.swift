public import FlowcastCore

/// Load of one cell or link over one time window: what Predict consumes. Counted in place by the
/// aggregator; written as one `WindowLine` of windows.jsonl by `appendJSON`.
public struct WindowSummary: Sendable, Equatable {
    public typealias Kind = WindowLine.Kind
    public var kind: Kind
    public var id: String
    /// Window start, nanoseconds since the epoch (capture time).
    public var startNanoseconds: Int64
    public var durationNanoseconds: Int64
    /// True for the last window of a capture, cut short by its end.
    public var partial: Bool
    public var bytesUp: UInt64 = 0, bytesDown: UInt64 = 0
    public var packetsUp: UInt64 = 0, packetsDown: UInt64 = 0
    /// Flows with at least one packet in the window, and flows whose first packet is in it.
    public var activeFlows: UInt64 = 0, newFlows: UInt64 = 0
    /// TCP segments that re-sent sequence space (estimate), and zero-window advertisements.
    public var retransmissions: UInt64 = 0, zeroWindows: UInt64 = 0
    /// Packets whose decoding stopped early.
    public var decodeIssues: UInt64 = 0
    /// Packets by wire size: ≤64, ≤128, ≤256, ≤512, ≤1024, ≤1518, larger.
    public var sizeHistogram: SizeHistogram = SizeHistogram()
    /// Live only: packets the kernel or the interface dropped before capture while the window was
    /// open, set as the window is written (`WindowLine.droppedBeforeCapture`); written only when
    /// not zero, so a replay's lines, and a live run's without drops, are unchanged.
    public var droppedBeforeCapture: UInt64 = 0
    /// Set on the first window of a run when the run began after the window's start: from when
    /// it was observed (`WindowLine.observedFrom`); nil when the whole window was.
    public var observedFromNanoseconds: Int64? = nil

    public static let sizeBounds = [64, 128, 256, 512, 1024, 1518]

    public init(kind: Kind, id: String, startNanoseconds: Int64, durationNanoseconds: Int64, partial: Bool) {
        self.kind = kind; self.id = id; self.startNanoseconds = startNanoseconds
        self.durationNanoseconds = durationNanoseconds; self.partial = partial
    }

    /// The windows.jsonl line this window is written as (times in seconds).
    public var line: WindowLine {
        WindowLine(kind: kind, id: id, start: Self.seconds(startNanoseconds), duration: Self.seconds(durationNanoseconds),
                   partial: partial, bytesUp: bytesUp, bytesDown: bytesDown, packetsUp: packetsUp, packetsDown: packetsDown,
                   activeFlows: activeFlows, newFlows: newFlows, retransmissions: retransmissions, zeroWindows: zeroWindows,
                   decodeIssues: decodeIssues, sizeHistogram: (0..<SizeHistogram.count).map { sizeHistogram[$0] },
                   droppedBeforeCapture: droppedBeforeCapture == 0 ? nil : droppedBeforeCapture,
                   observedFrom: observedFromNanoseconds.map(Self.seconds))
    }

    /// Seconds as the line reads: its exact decimal text converted once (as a JSON decoder does),
    /// not `Double(nanoseconds) / 1e9`, which rounds twice.
    static func seconds(_ nanoseconds: Int64) -> Double {
        var text: [UInt8] = []
        text.appendSeconds(nanoseconds)
        return Double(String(decoding: text, as: UTF8.self))!
    }

    /// One line of windows.jsonl, written by hand for speed: the `WindowLine` format, keys in its
    /// order, times in seconds with up to nine decimals. Tests check it decodes to `line`.
    public func appendJSON(to out: inout [UInt8]) {
        out.appendLiteral("{\"kind\":\""); out.appendASCII(kind.rawValue); out.appendLiteral("\",\"id\":")
        out.appendJSONString(id)
        out.appendLiteral(",\"start\":"); out.appendSeconds(startNanoseconds)
        out.appendLiteral(",\"duration\":"); out.appendSeconds(durationNanoseconds)
        out.appendLiteral(",\"partial\":"); if partial { out.appendLiteral("true") } else { out.appendLiteral("false") }
        out.appendLiteral(",\"bytesUp\":"); out.appendDecimal(bytesUp)
        out.appendLiteral(",\"bytesDown\":"); out.appendDecimal(bytesDown)
        out.appendLiteral(",\"packetsUp\":"); out.appendDecimal(packetsUp)
        out.appendLiteral(",\"packetsDown\":"); out.appendDecimal(packetsDown)
        out.appendLiteral(",\"activeFlows\":"); out.appendDecimal(activeFlows)
        out.appendLiteral(",\"newFlows\":"); out.appendDecimal(newFlows)
        out.appendLiteral(",\"retransmissions\":"); out.appendDecimal(retransmissions)
        out.appendLiteral(",\"zeroWindows\":"); out.appendDecimal(zeroWindows)
        out.appendLiteral(",\"decodeIssues\":"); out.appendDecimal(decodeIssues)
        out.appendLiteral(",\"sizeHistogram\":[")
        for i in 0..<SizeHistogram.count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.appendDecimal(sizeHistogram[i])
        }
        out.append(UInt8(ascii: "]"))
        if droppedBeforeCapture != 0 { out.appendLiteral(",\"droppedBeforeCapture\":"); out.appendDecimal(droppedBeforeCapture) }
        if let from = observedFromNanoseconds { out.appendLiteral(",\"observedFrom\":"); out.appendSeconds(from) }
        out.appendLiteral("}\n")
    }
}

/// Seven packet-size counters held inline (no array, so counting allocates nothing and
/// needs no copy-on-write check per packet).
public struct SizeHistogram: Sendable, Equatable {
    public static let count = 7
    var counts: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
    public init() {}
    public subscript(i: Int) -> UInt64 {
        get { withUnsafeBytes(of: counts) { $0.load(fromByteOffset: i * 8, as: UInt64.self) } }
        set { withUnsafeMutableBytes(of: &counts) { $0.storeBytes(of: newValue, toByteOffset: i * 8, as: UInt64.self) } }
    }
    public static func == (a: SizeHistogram, b: SizeHistogram) -> Bool { (0..<count).allSatisfy { a[$0] == b[$0] } }
}
