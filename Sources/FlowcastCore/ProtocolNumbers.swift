/// Protocol numbers as open sets rather than closed enums: captures carry numbers Flowcast has
/// never heard of, and those must still flow through (counted as unsupported by the decoder).
/// The constants are computed and inlinable, so a `switch` over raw values in a decoder's hot
/// path compiles to plain integer comparisons.

/// An EtherType (IEEE 802 numbers; also GRE's protocol type and SLL's protocol field).
public struct EtherType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var ipv4: EtherType { EtherType(rawValue: 0x0800) }
    @inlinable public static var ipv6: EtherType { EtherType(rawValue: 0x86DD) }
    /// 802.1Q customer VLAN tag.
    @inlinable public static var vlan: EtherType { EtherType(rawValue: 0x8100) }
    /// 802.1ad service VLAN tag (QinQ).
    @inlinable public static var qinq: EtherType { EtherType(rawValue: 0x88A8) }
    /// Pre-standard QinQ tag protocol identifiers still seen on the wire.
    @inlinable public static var qinqLegacy9100: EtherType { EtherType(rawValue: 0x9100) }
    @inlinable public static var qinqLegacy9200: EtherType { EtherType(rawValue: 0x9200) }
    @inlinable public static var mplsUnicast: EtherType { EtherType(rawValue: 0x8847) }
    @inlinable public static var mplsMulticast: EtherType { EtherType(rawValue: 0x8848) }
    @inlinable public static var pppoeSession: EtherType { EtherType(rawValue: 0x8864) }
    /// Transparent Ethernet bridging (Ethernet inside GRE, NVGRE, Geneve).
    @inlinable public static var transparentEthernet: EtherType { EtherType(rawValue: 0x6558) }
    /// PPP inside GRE (PPTP).
    @inlinable public static var ppp: EtherType { EtherType(rawValue: 0x880B) }
    /// ERSPAN type II inside GRE.
    @inlinable public static var erspanII: EtherType { EtherType(rawValue: 0x88BE) }
    /// ERSPAN type III inside GRE.
    @inlinable public static var erspanIII: EtherType { EtherType(rawValue: 0x22EB) }

    public var description: String { "0x" + String(rawValue, radix: 16, uppercase: true) }
}

/// An IP protocol number (IANA "Assigned Internet Protocol Numbers"; IPv4's protocol field and
/// IPv6's next header).
public struct IPProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public static var hopByHop: IPProtocol { IPProtocol(rawValue: 0) }
    @inlinable public static var icmp: IPProtocol { IPProtocol(rawValue: 1) }
    /// IPv4 in IP.
    @inlinable public static var ipv4: IPProtocol { IPProtocol(rawValue: 4) }
    @inlinable public static var tcp: IPProtocol { IPProtocol(rawValue: 6) }
    @inlinable public static var udp: IPProtocol { IPProtocol(rawValue: 17) }
    /// IPv6 in IP.
    @inlinable public static var ipv6: IPProtocol { IPProtocol(rawValue: 41) }
    @inlinable public static var ipv6Routing: IPProtocol { IPProtocol(rawValue: 43) }
    @inlinable public static var ipv6Fragment: IPProtocol { IPProtocol(rawValue: 44) }
    @inlinable public static var gre: IPProtocol { IPProtocol(rawValue: 47) }
    @inlinable public static var esp: IPProtocol { IPProtocol(rawValue: 50) }
    /// Authentication Header.
    @inlinable public static var ah: IPProtocol { IPProtocol(rawValue: 51) }
    @inlinable public static var icmpv6: IPProtocol { IPProtocol(rawValue: 58) }
    @inlinable public static var ipv6DestinationOptions: IPProtocol { IPProtocol(rawValue: 60) }
    @inlinable public static var sctp: IPProtocol { IPProtocol(rawValue: 132) }
    /// IPv6 extension headers of RFC 6275 (mobility), RFC 7401 (HIP) and RFC 5533 (shim6).
    @inlinable public static var mobility: IPProtocol { IPProtocol(rawValue: 135) }
    @inlinable public static var hip: IPProtocol { IPProtocol(rawValue: 139) }
    @inlinable public static var shim6: IPProtocol { IPProtocol(rawValue: 140) }

    public var name: String {
        switch rawValue {
        case 1: "ICMP"
        case 6: "TCP"
        case 17: "UDP"
        case 47: "GRE"
        case 50: "ESP"
        case 58: "ICMPv6"
        case 132: "SCTP"
        default: "IP protocol \(rawValue)"
        }
    }
    public var description: String { name }
}
