internal import FlowcastCore
internal import FlowcastCapture
public import FlowcastDecode

/// Counts kept while decoding a capture.
public struct DecodeStatistics: Sendable {
    public var packets = 0
    public var wireBytes = 0
    public var capturedBytes = 0
    /// Packets a `--filter` skipped (not decoded, not in `packets`).
    public var filteredPackets = 0
    /// Decode issues by stable name (`truncated-tcp` …), with the first packet of each.
    public var issues: [String: (count: Int, firstPacket: Int)] {
        Dictionary(uniqueKeysWithValues: issueCounts.map { (DecodeIssue.name(code: $0.key), $0.value) })
    }
    /// The same by `DecodeIssue.code`: counted per packet without making or hashing a name.
    var issueCounts: [UInt16: (count: Int, firstPacket: Int)] = [:]
    /// Packets with no usable time (`PacketSummary.timeIsUsable`), given the time of the packet
    /// before them, and the first of them.
    public var packetsWithoutTime = 0
    public var firstPacketWithoutTime: Int?
    /// The last usable time seen (`settleTime`).
    var lastTime: Int64 = 0
    /// Packets dated far ahead of the packets around them (`DatedAhead`), given the time of the
    /// latest packet before them, and the first of them (replay and live).
    public var packetsDatedAhead = 0
    public var firstPacketDatedAhead: Int?
    /// The interface every packet dated ahead came on, when each was judged by a packet of another
    /// interface: a capture of two interfaces whose clocks disagree by more than a minute, packets
    /// interleaved, rather than corrupt records. Its name (pcapng `if_name`), or "#N" without one;
    /// nil otherwise. (Until 7 December 2026 the note said "or an interface whose clock runs
    /// ahead" without saying which.)
    public var datedAheadInterface: String?
    var datedAheadInterfaceIndex: Int?
    /// The first packet with a usable time, when it was judged dated ahead (by the two after it):
    /// it took the time of the packet after it.
    public var firstUsableDatedAhead: Int?
    /// The first packet judged dated ahead other than that one.
    var laterDatedAhead: Int?
    var datedAheadOneInterface = true

    /// Counts a packet judged dated ahead: its number and interface, and the interface of the
    /// packet that judged it (`name`: the first's interface name, asked only for the first).
    mutating func countDatedAhead(packet: Int, interface: Int, judgedBy: Int, name: @autoclosure () -> String?, first: Bool = false) {
        packetsDatedAhead += 1
        if first { firstUsableDatedAhead = packet } else if laterDatedAhead == nil { laterDatedAhead = packet }
        if firstPacketDatedAhead == nil {
            firstPacketDatedAhead = packet
            datedAheadInterfaceIndex = interface
            datedAheadOneInterface = interface != judgedBy
            if datedAheadOneInterface { datedAheadInterface = name() ?? "#\(interface)" }
        } else if interface != datedAheadInterfaceIndex || interface == judgedBy {
            datedAheadOneInterface = false
        }
        if !datedAheadOneInterface { datedAheadInterface = nil }
    }
    /// Records holding more bytes than their wire length says the packet had (incl_len over
    /// orig_len: a corrupt record header, read as tshark reads it), and the first of them: windows
    /// and flows count the wire length, so they count less than was captured.
    public var recordsLongerThanWire = 0
    public var firstRecordLongerThanWire: Int?

    /// Counts a record whose captured bytes exceed its wire length.
    @inline(__always)
    mutating func checkLengths(captured: Int, wire: Int, packet: Int) {
        guard _slowPath(captured > wire) else { return }
        recordsLongerThanWire += 1
        if firstRecordLongerThanWire == nil { firstRecordLongerThanWire = packet }
    }

    /// One line for stderr when some records held more bytes than their wire length, or nil.
    public var lengthNote: String? {
        guard recordsLongerThanWire > 0, let first = firstRecordLongerThanWire else { return nil }
        return "\(recordsLongerThanWire) record\(recordsLongerThanWire == 1 ? "" : "s") held more bytes than the packet's length on the wire "
            + "(a corrupt record header), first packet \(first): windows and flows count the wire length, as tshark's frame length does"
    }
    public init() {}

    /// Gives a packet with no usable time the time of the last packet that had one (0 before
    /// any), and counts it: a pcapng simple packet block carries no time, and one dated past 2262
    /// wrapped to 1715, so either moved the run's first time to 1970, split a flow at it, or put
    /// its packets in a window centuries away. Decode output prints the record's own fields.
    @inline(__always)
    public mutating func settleTime(_ summary: inout PacketSummary, packet: Int) {
        if summary.timeIsUsable {
            lastTime = summary.timestampNanoseconds
        } else {
            settle(&summary.timestampNanoseconds, packet: packet)
        }
    }

    /// The time of a packet with none: the last usable one, counted.
    mutating func settle(_ time: inout Int64, packet: Int) {
        time = lastTime
        packetsWithoutTime += 1
        if firstPacketWithoutTime == nil { firstPacketWithoutTime = packet }
    }

    /// One line for stderr when some packets had no usable time, or nil.
    public var timeNote: String? {
        guard packetsWithoutTime > 0, let first = firstPacketWithoutTime else { return nil }
        return "\(packetsWithoutTime) packet\(packetsWithoutTime == 1 ? "" : "s") without a usable time (no timestamp in the record, "
            + "one before 1677 or after 2262, or a fraction of a second out of range), first packet \(first): each took the time of the packet before it"
    }

    /// One line for stderr when some packets were dated ahead of the rest, or nil.
    public var datedAheadNote: String? {
        guard packetsDatedAhead > 0, let first = firstPacketDatedAhead else { return nil }
        let minute = DatedAhead.jumpNanoseconds / 1_000_000_000
        if let opening = firstUsableDatedAhead {
            let alone = "packet \(opening), the first with a usable time, was dated more than \(minute) s after the next two that have one "
                + "(a corrupt record): it took the time of the next"
            if packetsDatedAhead == 1 { return alone + " (summary.json decode.packetsDatedAhead)" }
            var rest = self
            rest.packetsDatedAhead -= 1
            rest.firstUsableDatedAhead = nil
            if rest.firstPacketDatedAhead == opening { rest.firstPacketDatedAhead = laterDatedAhead }
            return alone + "; " + (rest.datedAheadNote ?? "")
        }
        return "\(packetsDatedAhead) packet\(packetsDatedAhead == 1 ? " was" : "s were") dated more than \(minute) s after every packet before "
            + "\(packetsDatedAhead == 1 ? "it" : "them") while the packet after went back again ("
            + (datedAheadInterface.map { "each came on interface \($0) and the packet after it on another: is \($0)'s clock ahead of the others'?" }
                ?? "a corrupt record, or an interface whose clock runs ahead")
            + "), first packet \(first): "
            + "each took the time of the packet before it (summary.json decode.packetsDatedAhead)"
    }

    mutating func record(_ issue: DecodeIssue, packet: Int) {
        let code = issue.code
        if let existing = issueCounts[code] {
            issueCounts[code] = (existing.count + 1, existing.firstPacket)
        } else {
            issueCounts[code] = (1, packet)
        }
    }
}

/// Reads a capture and decodes every packet, handing each summary to `body`.
///
/// Packets read before a capture fault are delivered; the fault is then thrown. `limit` stops
/// after that many packets. `mapFile: false` reads through a buffer instead of a memory mapping.
/// `filter`: a BPF expression; only packets passing it are decoded (with their numbers in the
/// file), the others are counted in `filteredPackets`, and `limit` counts passing packets.
/// `onStatistics` receives the counts as of the end of the read, also when a fault ends it.
public func decodeCapture(path: String, limit: Int? = nil, decoder: PacketDecoder = PacketDecoder(), mapFile: Bool = true,
                          filter: String? = nil, onStatistics: ((DecodeStatistics) -> Void)? = nil,
                          _ body: (_ number: Int, _ summary: borrowing PacketSummary) throws -> Void) throws -> DecodeStatistics {
    let capture = try OfflineCapture(path: path, mapFile: mapFile, filter: filter, records: true)
    var stats = DecodeStatistics()
    defer {
        if let onStatistics {
            var final = stats
            final.filteredPackets = capture.packetsFiltered
            onStatistics(final)
        }
    }
    struct Stop: Error {}
    do {
        try capture.forEachPacket { packet in
            if let limit, stats.packets >= limit { throw Stop() }
            var summary = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue,
                                         wireLength: packet.wireLength, seconds: packet.timestampSeconds,
                                         fraction: packet.timestampFraction, hasTimestamp: packet.hasTimestamp,
                                   fractionInRange: packet.fractionInRange)
            if packet.linkType == .noLinkLayer {
                // A pcapng custom block, listed as tshark lists it: not a packet, so not one
                // "without a usable time" (flows warned of one: an audit); it takes the time before it.
                summary.timestampNanoseconds = stats.lastTime
            } else {
                stats.settleTime(&summary, packet: packet.number)
            }
            stats.packets += 1
            stats.wireBytes += summary.wireLength  // the frame's, without a link pseudo-header
            stats.capturedBytes += summary.capturedLength
            stats.checkLengths(captured: packet.capturedLength, wire: packet.wireLength, packet: packet.number)
            if let issue = summary.issue { stats.record(issue, packet: packet.number) }
            try body(packet.number, summary)
            // Stop at the limit's packet, not at the next one read: with a filter, the packets
            // skipped on the way to it would be counted though the run never needed them.
            if let limit, stats.packets >= limit { throw Stop() }
        }
    } catch is Stop {}
    stats.filteredPackets = capture.packetsFiltered
    return stats
}
