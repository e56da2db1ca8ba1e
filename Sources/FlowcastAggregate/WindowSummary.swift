internal import FlowcastCore
public import FlowcastDecode

/// Load of one cell or link over one time window: what Predict consumes.
public struct WindowSummary: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case cell, link }
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

    public static let sizeBounds = [64, 128, 256, 512, 1024, 1518]

    public init(kind: Kind, id: String, startNanoseconds: Int64, durationNanoseconds: Int64, partial: Bool) {
        self.kind = kind; self.id = id; self.startNanoseconds = startNanoseconds
        self.durationNanoseconds = durationNanoseconds; self.partial = partial
    }

    /// One line of windows.jsonl, keys in a fixed order, times in seconds.
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
        out.appendLiteral("]}\n")
    }
}

/// Seven packet-size counters held inline (no array, so counting allocates nothing and
/// needs no copy-on-write check per packet).
public struct SizeHistogram: Sendable, Codable, Equatable {
    public static let count = 7
    var counts: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
    public init() {}
    public subscript(i: Int) -> UInt64 {
        get { withUnsafeBytes(of: counts) { $0.load(fromByteOffset: i * 8, as: UInt64.self) } }
        set { withUnsafeMutableBytes(of: &counts) { $0.storeBytes(of: newValue, toByteOffset: i * 8, as: UInt64.self) } }
    }
    public static func == (a: SizeHistogram, b: SizeHistogram) -> Bool { (0..<count).allSatisfy { a[$0] == b[$0] } }
    public init(from decoder: any Decoder) throws {
        let values = try [UInt64](from: decoder)
        for (i, v) in values.prefix(Self.count).enumerated() { self[i] = v }
    }
    public func encode(to encoder: any Encoder) throws { try (0..<Self.count).map { self[$0] }.encode(to: encoder) }
}
