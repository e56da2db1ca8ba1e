/// Protocol numbers as open sets rather than closed enums: captures carry numbers Flowcast has
/// never heard of, and those must still flow through (counted as unsupported by the decoder).
/// The constants are computed and inlinable, so a `switch` over raw values in a decoder's hot
/// path compiles to plain integer comparisons.

/// A link-layer header type, by its LINKTYPE_ number (tcpdump.org/linktypes.html).
///
/// An open set rather than a closed enum: captures carry numbers Flowcast has never heard of,
/// and those must still flow through (counted as unsupported by the decoder).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// BSD loopback: 4-byte address family in host byte order.
    @inlinable public static var null: LinkType { LinkType(rawValue: 0) }
    /// Ethernet (and 802.3).
    @inlinable public static var ethernet: LinkType { LinkType(rawValue: 1) }
    /// PPP, RFC 1661 (optionally with address/control bytes).
    @inlinable public static var ppp: LinkType { LinkType(rawValue: 9) }
    /// PPP in HDLC-like framing (RFC 1662) or Cisco HDLC.
    @inlinable public static var pppHDLC: LinkType { LinkType(rawValue: 50) }
    /// PPP preceded by a one-byte direction pseudo-header (`wiretapPseudoHeaderLength`).
    @inlinable public static var pppWithDirection: LinkType { LinkType(rawValue: 204) }
    /// Raw IPv4 or IPv6, version nibble decides.
    @inlinable public static var raw: LinkType { LinkType(rawValue: 101) }
    /// OpenBSD loopback: 4-byte address family in network byte order.
    @inlinable public static var loop: LinkType { LinkType(rawValue: 108) }
    /// Linux cooked capture v1.
    @inlinable public static var linuxSLL: LinkType { LinkType(rawValue: 113) }
    /// Raw IPv4 only.
    @inlinable public static var ipv4: LinkType { LinkType(rawValue: 228) }
    /// Raw IPv6 only.
    @inlinable public static var ipv6: LinkType { LinkType(rawValue: 229) }
    /// Linux netfilter NFLOG.
    @inlinable public static var nflog: LinkType { LinkType(rawValue: 239) }
    /// Linux cooked capture v2.
    @inlinable public static var linuxSLL2: LinkType { LinkType(rawValue: 276) }

    /// PPPoE session stage with no Ethernet header (RFC 2516).
    @inlinable public static var pppEther: LinkType { LinkType(rawValue: 51) }
    /// LLC/SNAP-encapsulated ATM (RFC 1483); 11 is the number some systems give it.
    @inlinable public static var atmRFC1483: LinkType { LinkType(rawValue: 100) }
    @inlinable public static var atmRFC1483DLT11: LinkType { LinkType(rawValue: 11) }

    /// DLT_RAW as some systems number it (12 on Linux, 14 on OpenBSD); a capture file says 101.
    @inlinable public static var rawDLT12: LinkType { LinkType(rawValue: 12) }
    @inlinable public static var rawDLT14: LinkType { LinkType(rawValue: 14) }

    /// The pseudo-header Wireshark's file reader (wiretap) takes off the front of a record of
    /// this link type before the frame begins, in bytes, or 0: tshark's frame length and
    /// captured length leave it out, and a record too short to hold it ends the file's reading
    /// (`WiretapPseudoHeader` in FlowcastCapture says why). Measured on tshark 4.0.17 with a
    /// one-packet pcap for every link type 0–299: SunATM (123), MTP2 with pseudo-header (139),
    /// IrDA (144), LAPD (177), SITA (196), Bluetooth H4 with direction (201), PPP with direction
    /// (204), I2C (209), NFC LLCP (245) and Bluetooth Linux monitor (254). ERF (197) carries a
    /// record header of its own length and is not among them.
    @inlinable public var wiretapPseudoHeaderLength: Int {
        switch rawValue {
        case 204: return 1
        case 245: return 2
        case 123, 139, 201, 254: return 4
        case 196, 209: return 5
        case 144, 177: return 16
        default: return 0
        }
    }

    /// Not a LINKTYPE_: a pcapng record that is not a packet (a custom block), which no decoder reads.
    @inlinable public static var noLinkLayer: LinkType { LinkType(rawValue: 0xFFFF_FFFF) }

    /// Maps a libpcap DLT_ value (what `pcap_datalink` returns) to its LINKTYPE_ number.
    /// They differ only for a few historical values; DLT_RAW is 12 on Linux and 14 on OpenBSD.
    public init(dlt: Int32) {
        switch dlt {
        case 12, 14: self = .raw
        default: self.init(rawValue: UInt32(truncatingIfNeeded: dlt))
        }
    }

    public var name: String {
        switch self {
        case .null: return "NULL"
        case .ethernet: return "EN10MB"
        case .ppp: return "PPP"
        case .pppHDLC: return "PPP_HDLC"
        case .pppWithDirection: return "PPP_WITH_DIR"
        case .raw: return "RAW"
        case .loop: return "LOOP"
        case .linuxSLL: return "LINUX_SLL"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .nflog: return "NFLOG"
        case .linuxSLL2: return "LINUX_SLL2"
        case .pppEther: return "PPP_ETHER"
        case .atmRFC1483, .atmRFC1483DLT11: return "ATM_RFC1483"
        default: return "LINKTYPE_\(rawValue)"
        }
    }
    public var description: String { "\(name)(\(rawValue))" }
}

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
    /// The pre-standard QinQ tag protocol identifier still seen on the wire (tshark's default
    /// `vlan.qinq_ethertype`; it does not read 0x9200 as a tag).
    @inlinable public static var qinqLegacy9100: EtherType { EtherType(rawValue: 0x9100) }
    @inlinable public static var mplsUnicast: EtherType { EtherType(rawValue: 0x8847) }
    @inlinable public static var mplsMulticast: EtherType { EtherType(rawValue: 0x8848) }
    @inlinable public static var pppoeSession: EtherType { EtherType(rawValue: 0x8864) }
    /// Transparent Ethernet bridging (Ethernet inside GRE, NVGRE, Geneve).
    @inlinable public static var transparentEthernet: EtherType { EtherType(rawValue: 0x6558) }
    /// Cisco FabricPath (DCE).
    @inlinable public static var fabricPath: EtherType { EtherType(rawValue: 0x8903) }
    /// Arista's vendor-specific protocol (timestamps).
    @inlinable public static var aristaVendor: EtherType { EtherType(rawValue: 0xD28B) }
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
