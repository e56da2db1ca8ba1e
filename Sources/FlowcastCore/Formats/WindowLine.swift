/// One line of `windows.jsonl`: one cell's or link's traffic in one window.
///
/// Owner: FlowcastAggregate writes these lines (`WindowSummary.appendJSON`, a hand-written
/// emitter for speed, tested to decode through this type to `WindowSummary.line`). The type is
/// declared here, in FlowcastCore, because FlowcastModel reads windows.jsonl as a series input and
/// depends on nothing but FlowcastCore; FlowcastReview reads run folders through it too.
///
/// Times are in seconds (start since the epoch), byte and packet counts are integers. The lines
/// carry no `formatVersion` today; a line with one other than `WindowLine.formatVersion` is refused.
public struct WindowLine: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    public enum Kind: String, Sendable, Codable { case cell, link }

    public var kind: Kind
    public var id: String
    /// Window start, seconds since the epoch (capture time).
    public var start: Double
    /// Seconds: the window's length (a partial window's too).
    public var duration: Double
    /// True for the last window of a capture, cut short by its end. (A first window the capture
    /// started in is marked by `observedFrom` instead: a planner merging sites takes a partial
    /// line as its site's last window.)
    public var partial: Bool
    public var bytesUp: UInt64
    public var bytesDown: UInt64
    public var packetsUp: UInt64
    public var packetsDown: UInt64
    /// Flows with at least one packet in the window, and flows whose first packet is in it.
    public var activeFlows: UInt64
    public var newFlows: UInt64
    /// TCP segments that re-sent sequence space (estimate), and zero-window advertisements.
    public var retransmissions: UInt64
    public var zeroWindows: UInt64
    /// Packets whose decoding stopped early.
    public var decodeIssues: UInt64
    /// Packets by wire size: ≤64, ≤128, ≤256, ≤512, ≤1024, ≤1518, larger.
    public var sizeHistogram: [UInt64]
    /// Live only, and only when not zero: packets the kernel or the interface dropped before
    /// capture while the window was open (libpcap's drop counters, docs/live.md). The same number
    /// on every line of the window: a dropped packet was never decoded, so its cell is unknown.
    /// Absent (nil) means none were dropped, or the line is a replay's.
    public var droppedBeforeCapture: UInt64?
    /// Only on the first window of a run (or of a topology after a reload) when the run began
    /// after the window's start: seconds since the epoch from which the window was observed (the
    /// first packet of a replay; when a live capture started). Its counts cover only the time from
    /// then to the window's end, so its rate understates the load. Absent (nil) means the whole
    /// window was observed.
    public var observedFrom: Double?

    /// True when the window's rate understates its load: cut short, observed only from inside it,
    /// or with drops before capture. Series readers take it as a missing value, as the planner does
    /// (`IntervalPlanner.understates`, the same rule on the aggregator's `WindowSummary`).
    public var readsLow: Bool { partial || observedFrom != nil || (droppedBeforeCapture ?? 0) > 0 }

    public init(kind: Kind, id: String, start: Double, duration: Double, partial: Bool,
                bytesUp: UInt64 = 0, bytesDown: UInt64 = 0, packetsUp: UInt64 = 0, packetsDown: UInt64 = 0,
                activeFlows: UInt64 = 0, newFlows: UInt64 = 0, retransmissions: UInt64 = 0, zeroWindows: UInt64 = 0,
                decodeIssues: UInt64 = 0, sizeHistogram: [UInt64] = Array(repeating: 0, count: 7),
                droppedBeforeCapture: UInt64? = nil, observedFrom: Double? = nil) {
        self.kind = kind; self.id = id; self.start = start; self.duration = duration; self.partial = partial
        self.bytesUp = bytesUp; self.bytesDown = bytesDown; self.packetsUp = packetsUp; self.packetsDown = packetsDown
        self.activeFlows = activeFlows; self.newFlows = newFlows
        self.retransmissions = retransmissions; self.zeroWindows = zeroWindows
        self.decodeIssues = decodeIssues; self.sizeHistogram = sizeHistogram
        self.droppedBeforeCapture = droppedBeforeCapture; self.observedFrom = observedFrom
    }

    /// The written order of the keys.
    enum CodingKeys: String, CodingKey {
        case formatVersion, kind, id, start, duration, partial, bytesUp, bytesDown, packetsUp, packetsDown
        case activeFlows, newFlows, retransmissions, zeroWindows, decodeIssues, sizeHistogram, droppedBeforeCapture, observedFrom
    }

    /// Latest window start, seconds since the epoch: 2e10 (the year 2603).
    public static let maximumTime = 2e10
    /// Longest window, seconds: 366 days, the longest `--window` replay and live take (a year of
    /// 365 days refused the windows of a 366-day run: train and report read none of them).
    public static let maximumDuration = 366 * 86_400.0

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.checkFormatVersion(.formatVersion, supported: Self.formatVersion)
        kind = try c.decode(Kind.self, forKey: .kind)
        id = try c.decode(String.self, forKey: .id)
        start = try c.decode(Double.self, forKey: .start)
        duration = try c.decode(Double.self, forKey: .duration)
        // Capture times are 0 to 2e10 s (pcapng's 64-bit times reach 2554) and windows at most a
        // year long: a start of 1e20 (or a duration of 1e300) held `report` drawing a tick a day
        // until memory ran out.
        guard (0...Self.maximumTime).contains(start) else {
            throw DecodingError.dataCorruptedError(forKey: .start, in: c, debugDescription: "not a capture time")
        }
        guard (0...Self.maximumDuration).contains(duration) else {
            throw DecodingError.dataCorruptedError(forKey: .duration, in: c, debugDescription: "not a window length")
        }
        partial = try c.decode(Bool.self, forKey: .partial)
        bytesUp = try c.decode(UInt64.self, forKey: .bytesUp)
        bytesDown = try c.decode(UInt64.self, forKey: .bytesDown)
        packetsUp = try c.decode(UInt64.self, forKey: .packetsUp)
        packetsDown = try c.decode(UInt64.self, forKey: .packetsDown)
        activeFlows = try c.decode(UInt64.self, forKey: .activeFlows)
        newFlows = try c.decode(UInt64.self, forKey: .newFlows)
        retransmissions = try c.decode(UInt64.self, forKey: .retransmissions)
        zeroWindows = try c.decode(UInt64.self, forKey: .zeroWindows)
        decodeIssues = try c.decode(UInt64.self, forKey: .decodeIssues)
        sizeHistogram = try c.decode([UInt64].self, forKey: .sizeHistogram)
        droppedBeforeCapture = try c.decodeIfPresent(UInt64.self, forKey: .droppedBeforeCapture)
        observedFrom = try c.decodeIfPresent(Double.self, forKey: .observedFrom)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(id, forKey: .id)
        try c.encode(start, forKey: .start); try c.encode(duration, forKey: .duration); try c.encode(partial, forKey: .partial)
        try c.encode(bytesUp, forKey: .bytesUp); try c.encode(bytesDown, forKey: .bytesDown)
        try c.encode(packetsUp, forKey: .packetsUp); try c.encode(packetsDown, forKey: .packetsDown)
        try c.encode(activeFlows, forKey: .activeFlows); try c.encode(newFlows, forKey: .newFlows)
        try c.encode(retransmissions, forKey: .retransmissions); try c.encode(zeroWindows, forKey: .zeroWindows)
        try c.encode(decodeIssues, forKey: .decodeIssues); try c.encode(sizeHistogram, forKey: .sizeHistogram)
        try c.encodeIfPresent(droppedBeforeCapture, forKey: .droppedBeforeCapture)
        try c.encodeIfPresent(observedFrom, forKey: .observedFrom)
    }
}
