internal import FlowcastCore
internal import FlowcastCapture
internal import FlowcastDecode
internal import Foundation

/// What `flowcast inspect` reports about a capture.
public struct CaptureInspection: Sendable {
    public var file: String
    public var format: String
    public var linkTypes: [String]
    /// Packets that passed the filter (all packets read, without one).
    public var packets = 0
    /// The BPF filter the packets had to pass, if any, and how many it skipped.
    public var filter: String?
    public var filteredPackets = 0
    public var wireBytes = 0
    public var capturedBytes = 0
    public var firstNanoseconds: Int64?
    public var lastNanoseconds: Int64?
    /// Packet counts per layer: "link", "network", "tunnel", "transport" → name → packets.
    public var protocolMix: [String: [String: Int]] = [:]
    /// Innermost source addresses by wire bytes.
    public var talkers: [String: (packets: Int, bytes: Int)] = [:]
    /// GTP-U tunnels: G-PDUs and end markers by TEID and the outer destination that chose it (a
    /// TEID is the receiving end's, so two ends may use one value for two tunnels). Echo, error
    /// indication and GTPv1-C messages carry a TEID too, but are no tunnel's traffic.
    public var tunnels: [TunnelKey: (packets: Int, bytes: Int)] = [:]

    public struct TunnelKey: Hashable, Sendable {
        public var teid: UInt32
        /// The outermost IP destination: the tunnel end the TEID belongs to ("" without one).
        public var endpoint: String
    }
    public var issues: [String: (count: Int, firstPacket: Int)] = [:]
    /// Packets with no usable time (`DecodeStatistics.settleTime`), and the first of them.
    public var packetsWithoutTime = 0
    public var firstPacketWithoutTime: Int?
    /// Packets dated far ahead of those around them (`DatedAhead`): left out of the span, as
    /// replay gives them the time of the packet before them.
    public var packetsDatedAhead = 0
    public var firstPacketDatedAhead: Int?
    /// The interface every packet dated ahead came on, each judged by a packet of another
    /// (`DecodeStatistics.datedAheadInterface`); nil otherwise.
    public var datedAheadInterface: String?
    /// Records holding more bytes than their wire length (`DecodeStatistics.checkLengths`).
    public var recordsLongerThanWire = 0
    public var firstRecordLongerThanWire: Int?
    public var error: String?

    /// Reads the whole capture. A capture fault ends the read and is kept in `error`.
    /// `mapFile: false` reads through a buffer instead of a memory mapping. `filter`: a BPF
    /// expression; the report covers the packets passing it and counts the others.
    public static func inspect(path: String, mapFile: Bool = true, filter: String? = nil) throws -> CaptureInspection {
        let capture = try OfflineCapture(path: path, mapFile: mapFile, filter: filter)
        // A pcap header's own line names its snapshot length; a pcapng file's is its interfaces'.
        let format = (capture.compressed ? "gzip-compressed " : "")
            + (capture.format != .pcapng ? capture.format.description
                : capture.linkTypes.isEmpty ? "pcapng (no interface described before its end or its first packet)"
                : "pcapng (snaplen \(capture.snapshotLength), first interface)")
        var r = CaptureInspection(file: path, format: format, linkTypes: [])
        r.filter = filter
        let decoder = PacketDecoder()
        var times = DecodeStatistics()  // for its `settleTime`
        var seenLinks: [String] = []
        var ahead = DatedAhead(), held: (time: Int64, packet: Int, interface: Int)? = nil
        var heldFirst: (time: Int64, packet: Int, interface: Int)? = nil
        func span(_ t: Int64) {
            r.firstNanoseconds = min(r.firstNanoseconds ?? t, t)
            r.lastNanoseconds = max(r.lastNanoseconds ?? t, t)
        }
        func count(_ layer: String, _ name: String) { r.protocolMix[layer, default: [:]][name, default: 0] += 1 }
        do {
            try capture.forEachPacket { packet in
                var s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                       seconds: packet.timestampSeconds, fraction: packet.timestampFraction, hasTimestamp: packet.hasTimestamp,
                                   fractionInRange: packet.fractionInRange)
                times.settleTime(&s, packet: packet.number)
                r.packets += 1
                // The frame's own lengths, without a link pseudo-header (SunATM, PPP direction,
                // …), as `decode` and tshark count them; the record's lengths include it.
                r.wireBytes += s.wireLength
                r.capturedBytes += s.capturedLength
                times.checkLengths(captured: packet.capturedLength, wire: packet.wireLength, packet: packet.number)
                if s.timeIsUsable {  // a packet without one has no time of its own to span
                    let t = s.timestampNanoseconds
                    // A packet dated ahead of the rest spans nothing (one 17.5 h ahead made a
                    // capture of minutes read as 17.6 h, without a note: an audit).
                    func countAhead(_ h: (time: Int64, packet: Int, interface: Int)) {
                        times.countDatedAhead(packet: h.packet, interface: h.interface, judgedBy: packet.interfaceIndex,
                                              name: capture.interfaceName(at: h.interface))
                        r.packetsDatedAhead = times.packetsDatedAhead
                        r.firstPacketDatedAhead = times.firstPacketDatedAhead
                        r.datedAheadInterface = times.datedAheadInterface
                    }
                    let verdict = ahead.see(t)
                    if case .datedAhead = verdict, let h = held {
                        countAhead(h)
                    } else if let h = held {
                        span(h.time)
                    }
                    // The first usable time, judged by the two after it.
                    if case .firstDatedAhead = verdict, let f = heldFirst {
                        countAhead(f)
                        heldFirst = nil
                    } else if let f = heldFirst, !ahead.holdingFirst {
                        span(f.time)
                        heldFirst = nil
                    }
                    held = ahead.holding ? (t, packet.number, packet.interfaceIndex) : nil
                    if ahead.holdingFirst && heldFirst == nil {
                        heldFirst = (t, packet.number, packet.interfaceIndex)
                    } else if held == nil {
                        span(t)
                    }
                }
                let link = packet.linkType.description
                if !seenLinks.contains(link) { seenLinks.append(link) }
                count("link", packet.linkType.name)
                if s.vlan != nil { count("link", s.innerVLAN != nil ? "802.1Q/QinQ (2+ tags)" : "802.1Q/802.1ad") }
                if s.mplsLabel != nil { count("link", "MPLS") }
                if s.isLLC { count("link", "802.3/LLC") }
                if let outer = s.outerSource {
                    count("network", outer.isIPv6 ? "IPv6" : "IPv4")
                    if s.isFragment { count("network", "fragment") }
                } else {
                    count("network", "non-IP")
                }
                if let teid = s.teid {
                    count("tunnel", s.gtpMessageType == 0xFF ? "GTP-U G-PDU" : "GTPv1 other")
                    if s.qfi != nil { count("tunnel", "5G PDU session container") }
                    // G-PDU (255) and end marker (254), the messages sent down a tunnel.
                    if s.gtpMessageType == 0xFF || s.gtpMessageType == 0xFE {
                        let key = TunnelKey(teid: teid, endpoint: s.outerDestination?.description ?? "")
                        var entry = r.tunnels[key] ?? (0, 0)
                        entry.packets += 1; entry.bytes += s.wireLength
                        r.tunnels[key] = entry
                    }
                } else if s.tunnelDepth > 0 {
                    count("tunnel", "other tunnel (GRE/ERSPAN/VXLAN/Geneve/IP-in-IP)")
                }
                if s.gtpv2Offset != nil { count("tunnel", "GTPv2-C") }
                if let p = s.ipProtocol {
                    count("transport", IPProtocol(rawValue: p).name)
                }
                if let inner = s.innerSource {
                    let key = inner.description
                    var entry = r.talkers[key] ?? (0, 0)
                    entry.packets += 1; entry.bytes += s.wireLength
                    r.talkers[key] = entry
                }
                if let issue = s.issue {
                    let e = r.issues[issue.name]
                    r.issues[issue.name] = (count: (e?.count ?? 0) + 1, firstPacket: e?.firstPacket ?? packet.number)
                }
            }
        } catch {
            r.error = "\(error)"
        }
        if let h = held { span(h.time) }  // nothing came after it to judge it
        if let f = heldFirst { span(f.time) }
        r.filteredPackets = capture.packetsFiltered
        r.packetsWithoutTime = times.packetsWithoutTime
        r.firstPacketWithoutTime = times.firstPacketWithoutTime
        r.recordsLongerThanWire = times.recordsLongerThanWire
        r.firstRecordLongerThanWire = times.firstRecordLongerThanWire
        // The link types in use: of the packets that passed a filter and of those it skipped
        // (with a filter only the first were listed, an audit found); the file's declared ones
        // when no packet was read.
        for link in capture.filteredLinkTypes.map(\.description) where !seenLinks.contains(link) { seenLinks.append(link) }
        r.linkTypes = seenLinks.isEmpty ? capture.linkTypes.map(\.description) : seenLinks
        return r
    }

    public func topTalkers(_ n: Int) -> [(String, Int, Int)] {
        talkers.map { ($0.key, $0.value.packets, $0.value.bytes) }.sorted { $0.2 != $1.2 ? $0.2 > $1.2 : $0.0 < $1.0 }.prefix(n).map { $0 }
    }

    public func topTunnels(_ n: Int) -> [(TunnelKey, Int, Int)] {
        tunnels.map { ($0.key, $0.value.packets, $0.value.bytes) }
            .sorted { $0.2 != $1.2 ? $0.2 > $1.2 : ($0.0.teid, $0.0.endpoint) < ($1.0.teid, $1.0.endpoint) }.prefix(n).map { $0 }
    }

    /// UTC to the nanosecond, as the capture holds it (a Double of seconds since 1970 keeps only
    /// about 100 ns of it, and the formatter's fraction milliseconds: a 0.8 ms capture read as
    /// "0.001 s" between times a millisecond apart).
    static func time(_ ns: Int64?) -> String {
        guard let ns else { return "-" }
        let (seconds, fraction) = ns.quotientAndRemainder(dividingBy: 1_000_000_000)
        let whole = fraction < 0 ? seconds - 1 : seconds
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let text = f.string(from: Date(timeIntervalSince1970: Double(whole)))
        return text.dropLast() + "." + nineDigits(fraction < 0 ? fraction + 1_000_000_000 : fraction) + "Z"
    }

    /// Nanoseconds 0–999,999,999 as the nine digits after a decimal point.
    static func nineDigits(_ nanoseconds: Int64) -> String {
        let digits = String(nanoseconds)
        return String(repeating: "0", count: 9 - digits.count) + digits
    }

    /// The span between two times in seconds, to the nanosecond.
    static func span(_ first: Int64?, _ last: Int64?) -> String {
        guard let first, let last else { return "0.000000000" }
        // In Double past Int64: the difference of two times far apart (1678 and 2261).
        let (difference, overflow) = last.subtractingReportingOverflow(first)
        if overflow { return String(format: "%.3f", (Double(last) - Double(first)) / 1e9) }
        let (seconds, fraction) = difference.quotientAndRemainder(dividingBy: 1_000_000_000)
        return "\(seconds)." + nineDigits(fraction)
    }

    /// Human-readable report.
    public func text(top: Int = 10) -> String {
        var out = "\(file)\n  format: \(format)\n  link types: \(linkTypes.isEmpty ? "none" : linkTypes.joined(separator: ", "))\n"
        if let filter {
            out += "  filter: \(filter) (\(packets) of \(packets + filteredPackets) packets passed, \(filteredPackets) skipped)\n"
        }
        out += "  packets: \(packets)  wire bytes: \(wireBytes)  captured bytes: \(capturedBytes)\n"
        out += "  time: \(Self.time(firstNanoseconds)) → \(Self.time(lastNanoseconds)) (\(Self.span(firstNanoseconds, lastNanoseconds)) s)\n"
        if let first = firstPacketWithoutTime {
            out += "  packets without a usable time: \(packetsWithoutTime) (first at packet \(first); no timestamp, one before 1677 "
                + "or after 2262, or a fraction of a second out of range: each counted at the time of the packet before it)\n"
        }
        if let first = firstRecordLongerThanWire {
            out += "  records longer than their wire length: \(recordsLongerThanWire) (first at packet \(first); more bytes captured "
                + "than the record says were on the wire, a corrupt record header: the wire bytes above count its length, as tshark does)\n"
        }
        if let first = firstPacketDatedAhead {
            out += "  packets dated ahead of the rest: \(packetsDatedAhead) (first at packet \(first); more than "
                + "\(DatedAhead.jumpNanoseconds / 1_000_000_000) s after every packet before, and the packet after went back: "
                + "left out of the time span; replay counts each at the time of the packet before it"
                + (datedAheadInterface.map { "; each came on interface \($0) and the packet after it on another: is \($0)'s clock ahead of the others'?" } ?? "")
                + ")\n"
        }
        for layer in ["link", "network", "tunnel", "transport"] {
            guard let mix = protocolMix[layer], !mix.isEmpty else { continue }
            let parts = mix.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.key) \($0.value) (\(String(format: "%.1f", Double($0.value) * 100 / Double(max(packets, 1))))%)" }
            out += "  \(layer): \(parts.joined(separator: ", "))\n"
        }
        let talkers = topTalkers(top)
        if !talkers.isEmpty {
            out += "  top talkers (innermost source, by bytes):\n"
            for (a, p, b) in talkers { out += "    \(a.padding(toLength: 40, withPad: " ", startingAt: 0)) \(b) bytes, \(p) packets\n" }
        }
        let tunnels = topTunnels(top)
        if !tunnels.isEmpty {
            out += "  top GTP-U tunnels (G-PDUs and end markers by TEID and the end it belongs to, by bytes):\n"
            for (t, p, b) in tunnels {
                let to = t.endpoint.isEmpty ? "" : " to \(t.endpoint)"
                out += "    TEID \(t.teid) (0x\(String(t.teid, radix: 16)))\(to): \(b) bytes, \(p) packets\n"
            }
        }
        if issues.isEmpty {
            out += "  decode issues: none\n"
        } else {
            out += "  decode issues:\n"
            for (name, e) in issues.sorted(by: { $0.key < $1.key }) { out += "    \(name): \(e.count) (first at packet \(e.firstPacket))\n" }
        }
        if let error { out += "  error: \(error)\n" }
        return out
    }

    /// JSON form (pretty printed, keys in `JSONSerialization` order); throws rather than print nothing.
    public func json(top: Int = 10) throws -> String {
        let report = JSONReport(
            file: file, format: format, linkTypes: linkTypes, packets: packets, wireBytes: wireBytes,
            capturedBytes: capturedBytes, firstTime: firstNanoseconds.map { Double($0) / 1e9 },
            lastTime: lastNanoseconds.map { Double($0) / 1e9 }, firstNanoseconds: firstNanoseconds, lastNanoseconds: lastNanoseconds,
            protocolMix: protocolMix,
            topTalkers: topTalkers(top).map { .init(address: $0.0, packets: $0.1, bytes: $0.2) },
            topTunnels: topTunnels(top).map { .init(teid: Int($0.0.teid), endpoint: $0.0.endpoint, packets: $0.1, bytes: $0.2) },
            decodeIssues: issues.mapValues { .init(count: $0.count, firstPacket: $0.firstPacket) }, error: error,
            filter: filter, filteredPackets: filteredPackets,
            packetsWithoutTime: firstPacketWithoutTime.map { .init(count: packetsWithoutTime, firstPacket: $0) },
            packetsDatedAhead: firstPacketDatedAhead.map { .init(count: packetsDatedAhead, firstPacket: $0) },
            recordsLongerThanWire: firstRecordLongerThanWire.map { .init(count: recordsLongerThanWire, firstPacket: $0) })
        return String(decoding: try FoundationOrderedJSON.encode(report), as: UTF8.self)
    }

    /// The shape of `flowcast inspect --json` (stdout only; no file reads it back).
    private struct JSONReport: Encodable {
        struct Talker: Encodable { var address: String; var packets: Int; var bytes: Int }
        struct Tunnel: Encodable { var teid: Int; var endpoint: String; var packets: Int; var bytes: Int }
        struct Issue: Encodable { var count: Int; var firstPacket: Int }
        var file: String, format: String, linkTypes: [String], packets: Int, wireBytes: Int, capturedBytes: Int
        var firstTime: Double?, lastTime: Double?
        /// The same times exact (a Double of seconds keeps about 100 ns of them).
        var firstNanoseconds: Int64?, lastNanoseconds: Int64?
        var protocolMix: [String: [String: Int]]
        var topTalkers: [Talker], topTunnels: [Tunnel]
        var decodeIssues: [String: Issue]
        var error: String?
        /// Only with a filter: the expression and the packets it skipped (`packets` passed it).
        var filter: String?, filteredPackets: Int
        /// Only when some packets had no usable time.
        var packetsWithoutTime: Issue?
        /// Only when some packets were dated ahead of the rest.
        var packetsDatedAhead: Issue?
        /// Only when some records held more bytes than their wire length.
        var recordsLongerThanWire: Issue?

        enum CodingKeys: String, CodingKey {
            case file, format, linkTypes, packets, wireBytes, capturedBytes, firstTime, lastTime, firstNanoseconds, lastNanoseconds, protocolMix
            case topTalkers, topTunnels, decodeIssues, error, filter, filteredPackets, packetsWithoutTime, packetsDatedAhead, recordsLongerThanWire
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file); try c.encode(format, forKey: .format); try c.encode(linkTypes, forKey: .linkTypes)
            if let filter {
                try c.encode(filter, forKey: .filter); try c.encode(filteredPackets, forKey: .filteredPackets)
            }
            try c.encode(packets, forKey: .packets); try c.encode(wireBytes, forKey: .wireBytes)
            try c.encode(capturedBytes, forKey: .capturedBytes)
            // Absent times and no error are written as null.
            if let firstTime { try c.encode(firstTime, forKey: .firstTime) } else { try c.encodeNil(forKey: .firstTime) }
            if let lastTime { try c.encode(lastTime, forKey: .lastTime) } else { try c.encodeNil(forKey: .lastTime) }
            if let firstNanoseconds { try c.encode(firstNanoseconds, forKey: .firstNanoseconds) } else { try c.encodeNil(forKey: .firstNanoseconds) }
            if let lastNanoseconds { try c.encode(lastNanoseconds, forKey: .lastNanoseconds) } else { try c.encodeNil(forKey: .lastNanoseconds) }
            try c.encode(protocolMix, forKey: .protocolMix)
            try c.encode(topTalkers, forKey: .topTalkers); try c.encode(topTunnels, forKey: .topTunnels)
            try c.encode(decodeIssues, forKey: .decodeIssues)
            if let packetsWithoutTime { try c.encode(packetsWithoutTime, forKey: .packetsWithoutTime) }
            if let packetsDatedAhead { try c.encode(packetsDatedAhead, forKey: .packetsDatedAhead) }
            if let recordsLongerThanWire { try c.encode(recordsLongerThanWire, forKey: .recordsLongerThanWire) }
            if let error { try c.encode(error, forKey: .error) } else { try c.encodeNil(forKey: .error) }
        }
    }
}
