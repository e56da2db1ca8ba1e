internal import FlowcastCore

/// One line of `flows.jsonl` (and of `flowcast flows --format json`): one flow as it ended.
///
/// Owner: FlowcastAggregate. `FlowRecord.appendJSON` writes these lines by hand for speed; tests
/// check its output decodes through this type to `FlowRecord.line(reason:cellName:)`. Keys are
/// snake_case as written since the first version; fields the writer leaves out (ports of port-less
/// protocols, TEIDs not seen, the TCP fields of non-TCP flows, cell and end reason) are optional.
public struct FlowLine: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    /// IP protocol number; nil (written as `null`) for a flow that is not IP.
    public var proto: Int?
    public var a: String
    public var portA: UInt16?
    public var b: String
    public var portB: UInt16?
    public var packetsAB: UInt64
    public var bytesAB: UInt64
    public var packetsBA: UInt64
    public var bytesBA: UInt64
    /// Bytes of the packets' outermost IP datagrams per direction (IPFIX's `octetDeltaCount`);
    /// `bytes_ab`/`bytes_ba` count whole frames. Absent in lines written before 7 December 2026.
    public var ipBytesAB: UInt64?
    public var ipBytesBA: UInt64?
    /// First and last packet time: seconds since the epoch as text with nine decimals (exact).
    public var first: String
    public var last: String
    public var teidAB: UInt32?
    public var teidBA: UInt32?
    /// ICMP and ICMPv6 only: type and code of the first message per direction (absent for a
    /// direction without one).
    public var icmpTypeAB: UInt8?
    public var icmpCodeAB: UInt8?
    public var icmpTypeBA: UInt8?
    public var icmpCodeBA: UInt8?
    /// TCP only: OR of the flags seen per direction, retransmissions and zero windows (both directions).
    public var tcpFlagsAB: UInt8?
    public var tcpFlagsBA: UInt8?
    public var retransmissions: UInt64?
    public var zeroWindows: UInt64?
    public var cell: String?
    public var end: FlowEndReason?
    /// Live runs on several interfaces (`live -i A -i B`): the interface the flow was seen on.
    public var interface: String?

    public init(proto: Int?, a: String, portA: UInt16?, b: String, portB: UInt16?, packetsAB: UInt64, bytesAB: UInt64,
                packetsBA: UInt64, bytesBA: UInt64, first: String, last: String, teidAB: UInt32? = nil, teidBA: UInt32? = nil,
                tcpFlagsAB: UInt8? = nil, tcpFlagsBA: UInt8? = nil, retransmissions: UInt64? = nil, zeroWindows: UInt64? = nil,
                cell: String? = nil, end: FlowEndReason? = nil) {
        self.proto = proto; self.a = a; self.portA = portA; self.b = b; self.portB = portB
        self.packetsAB = packetsAB; self.bytesAB = bytesAB; self.packetsBA = packetsBA; self.bytesBA = bytesBA
        self.first = first; self.last = last; self.teidAB = teidAB; self.teidBA = teidBA
        self.tcpFlagsAB = tcpFlagsAB; self.tcpFlagsBA = tcpFlagsBA
        self.retransmissions = retransmissions; self.zeroWindows = zeroWindows; self.cell = cell; self.end = end
    }

    /// The written names and order of the keys.
    enum CodingKeys: String, CodingKey {
        case formatVersion
        case proto, a, portA = "port_a", b, portB = "port_b"
        case packetsAB = "packets_ab", bytesAB = "bytes_ab", packetsBA = "packets_ba", bytesBA = "bytes_ba"
        case ipBytesAB = "ip_bytes_ab", ipBytesBA = "ip_bytes_ba"
        case first, last, teidAB = "teid_ab", teidBA = "teid_ba"
        case icmpTypeAB = "icmp_type_ab", icmpCodeAB = "icmp_code_ab", icmpTypeBA = "icmp_type_ba", icmpCodeBA = "icmp_code_ba"
        case tcpFlagsAB = "tcp_flags_ab", tcpFlagsBA = "tcp_flags_ba", retransmissions, zeroWindows = "zero_windows"
        case cell, end, interface
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.checkFormatVersion(.formatVersion, supported: Self.formatVersion)
        // `proto` is always written, as `null` when the flow is not IP.
        proto = try c.contains(.proto) ? c.decodeIfPresent(Int.self, forKey: .proto) : c.decode(Int.self, forKey: .proto)
        a = try c.decode(String.self, forKey: .a)
        portA = try c.decodeIfPresent(UInt16.self, forKey: .portA)
        b = try c.decode(String.self, forKey: .b)
        portB = try c.decodeIfPresent(UInt16.self, forKey: .portB)
        packetsAB = try c.decode(UInt64.self, forKey: .packetsAB)
        bytesAB = try c.decode(UInt64.self, forKey: .bytesAB)
        packetsBA = try c.decode(UInt64.self, forKey: .packetsBA)
        bytesBA = try c.decode(UInt64.self, forKey: .bytesBA)
        ipBytesAB = try c.decodeIfPresent(UInt64.self, forKey: .ipBytesAB)
        ipBytesBA = try c.decodeIfPresent(UInt64.self, forKey: .ipBytesBA)
        first = try c.decode(String.self, forKey: .first)
        last = try c.decode(String.self, forKey: .last)
        teidAB = try c.decodeIfPresent(UInt32.self, forKey: .teidAB)
        teidBA = try c.decodeIfPresent(UInt32.self, forKey: .teidBA)
        icmpTypeAB = try c.decodeIfPresent(UInt8.self, forKey: .icmpTypeAB)
        icmpCodeAB = try c.decodeIfPresent(UInt8.self, forKey: .icmpCodeAB)
        icmpTypeBA = try c.decodeIfPresent(UInt8.self, forKey: .icmpTypeBA)
        icmpCodeBA = try c.decodeIfPresent(UInt8.self, forKey: .icmpCodeBA)
        tcpFlagsAB = try c.decodeIfPresent(UInt8.self, forKey: .tcpFlagsAB)
        tcpFlagsBA = try c.decodeIfPresent(UInt8.self, forKey: .tcpFlagsBA)
        retransmissions = try c.decodeIfPresent(UInt64.self, forKey: .retransmissions)
        zeroWindows = try c.decodeIfPresent(UInt64.self, forKey: .zeroWindows)
        cell = try c.decodeIfPresent(String.self, forKey: .cell)
        end = try c.decodeIfPresent(FlowEndReason.self, forKey: .end)
        interface = try c.decodeIfPresent(String.self, forKey: .interface)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let proto { try c.encode(proto, forKey: .proto) } else { try c.encodeNil(forKey: .proto) }
        try c.encode(a, forKey: .a); try c.encodeIfPresent(portA, forKey: .portA)
        try c.encode(b, forKey: .b); try c.encodeIfPresent(portB, forKey: .portB)
        try c.encode(packetsAB, forKey: .packetsAB); try c.encode(bytesAB, forKey: .bytesAB)
        try c.encode(packetsBA, forKey: .packetsBA); try c.encode(bytesBA, forKey: .bytesBA)
        try c.encodeIfPresent(ipBytesAB, forKey: .ipBytesAB); try c.encodeIfPresent(ipBytesBA, forKey: .ipBytesBA)
        try c.encode(first, forKey: .first); try c.encode(last, forKey: .last)
        try c.encodeIfPresent(teidAB, forKey: .teidAB); try c.encodeIfPresent(teidBA, forKey: .teidBA)
        try c.encodeIfPresent(icmpTypeAB, forKey: .icmpTypeAB); try c.encodeIfPresent(icmpCodeAB, forKey: .icmpCodeAB)
        try c.encodeIfPresent(icmpTypeBA, forKey: .icmpTypeBA); try c.encodeIfPresent(icmpCodeBA, forKey: .icmpCodeBA)
        try c.encodeIfPresent(tcpFlagsAB, forKey: .tcpFlagsAB); try c.encodeIfPresent(tcpFlagsBA, forKey: .tcpFlagsBA)
        try c.encodeIfPresent(retransmissions, forKey: .retransmissions); try c.encodeIfPresent(zeroWindows, forKey: .zeroWindows)
        try c.encodeIfPresent(cell, forKey: .cell); try c.encodeIfPresent(end, forKey: .end)
        try c.encodeIfPresent(interface, forKey: .interface)
    }
}

extension FlowRecord {
    /// The flows.jsonl line this flow is written as (what `appendJSON` writes).
    public func line(reason: FlowEndReason?, cellName: String?) -> FlowLine {
        let tcp = key.ipProtocol == 6
        var line = FlowLine(proto: key.ipProtocol.map { Int($0) }, a: addressA.description, portA: key.hasPorts ? portA : nil,
                        b: addressB.description, portB: key.hasPorts ? portB : nil,
                        packetsAB: packets.0, bytesAB: bytes.0, packetsBA: packets.1, bytesBA: bytes.1,
                        first: Self.secondsText(firstNanoseconds), last: Self.secondsText(lastNanoseconds),
                        teidAB: teid.0, teidBA: teid.1,
                        tcpFlagsAB: tcp ? tcpFlags.0 : nil, tcpFlagsBA: tcp ? tcpFlags.1 : nil,
                        retransmissions: tcp ? UInt64(retransmissions.0) + UInt64(retransmissions.1) : nil,
                        zeroWindows: tcp ? UInt64(zeroWindows.0) + UInt64(zeroWindows.1) : nil,
                        cell: cellName, end: reason)
        line.ipBytesAB = ipBytes.0; line.ipBytesBA = ipBytes.1
        let icmp = icmpTypeCode
        line.icmpTypeAB = icmp.0.map { UInt8($0 >> 8) }; line.icmpCodeAB = icmp.0.map { UInt8($0 & 0xFF) }
        line.icmpTypeBA = icmp.1.map { UInt8($0 >> 8) }; line.icmpCodeBA = icmp.1.map { UInt8($0 & 0xFF) }
        return line
    }

    /// Seconds since the epoch with nine decimals, floored (as the TSV and JSON outputs write them).
    static func secondsText(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds.floorDivided(by: 1_000_000_000), fraction = nanoseconds.floorModulo(1_000_000_000)
        let digits = String(fraction)
        return "\(seconds).\(String(repeating: "0", count: 9 - digits.count))\(digits)"
    }
}
