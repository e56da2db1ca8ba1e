/// A protocol layer, as named in decode issues and statistics.
public enum ProtocolLayer: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case link, ethernet, llc, vlan, mpls, pppoe, ppp, linuxSLL, linuxSLL2, null, nflog
    case ipv4, ipv6, ipv6Extension, ah
    case tcp, udp, sctp, icmp, icmpv6
    case gtpU, gtpC, gtpv2C, gre, erspan, vxlan, geneve
    /// Not a header: the packet holds more layers than `PacketDecoder.maximumLayers`.
    case nesting

    public var description: String {
        switch self {
        case .link: return "link"
        case .ethernet: return "ethernet"
        case .llc: return "llc"
        case .vlan: return "vlan"
        case .mpls: return "mpls"
        case .pppoe: return "pppoe"
        case .ppp: return "ppp"
        case .linuxSLL: return "sll"
        case .linuxSLL2: return "sll2"
        case .null: return "null"
        case .nflog: return "nflog"
        case .ipv4: return "ipv4"
        case .ipv6: return "ipv6"
        case .ipv6Extension: return "ipv6-ext"
        case .ah: return "ah"
        case .tcp: return "tcp"
        case .udp: return "udp"
        case .sctp: return "sctp"
        case .icmp: return "icmp"
        case .icmpv6: return "icmpv6"
        case .gtpU: return "gtp-u"
        case .gtpC: return "gtpv1-c"
        case .gtpv2C: return "gtpv2-c"
        case .gre: return "gre"
        case .erspan: return "erspan"
        case .vxlan: return "vxlan"
        case .geneve: return "geneve"
        case .nesting: return "nesting"
        }
    }
}

/// Why decoding stopped before the innermost transport header.
///
/// Like gopacket's truncation flag and Suricata's decode events: the packet is kept and counted,
/// the issue says what was wrong and where, and decoding of the next packet goes on.
public struct DecodeIssue: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable, CustomStringConvertible {
        /// The capture holds fewer bytes than the header needs (snaplen or a short record).
        case truncated
        /// The header contradicts itself (bad length, bad version …).
        case malformed
        /// A valid header Flowcast does not decode further (unknown link type, ethertype …).
        case unsupported
        public var description: String {
            switch self {
            case .truncated: return "truncated"
            case .malformed: return "malformed"
            case .unsupported: return "unsupported"
            }
        }
    }
    public var kind: Kind
    public var layer: ProtocolLayer
    /// Bytes the header needed (for `truncated` and length faults).
    public var needed: Int
    /// Bytes that were present.
    public var present: Int
    /// Offset of the header from the start of the packet.
    public var offset: Int

    public init(kind: Kind, layer: ProtocolLayer, needed: Int, present: Int, offset: Int) {
        self.kind = kind; self.layer = layer; self.needed = needed; self.present = present; self.offset = offset
    }

    /// A stable short name for counting, e.g. `truncated-tcp`: one of a table made once (it was
    /// built per packet, two heap allocations for names past 15 bytes such as
    /// `unsupported-ethernet`, every ARP or LLDP frame's, twice per packet in the statistics).
    public var name: String { Self.names[Int(code)] }

    /// The kind and layer as one number (kind × 256 + layer): the key statistics count by.
    @inlinable public var code: UInt16 { UInt16(kind.rawValue) << 8 | UInt16(layer.rawValue) }

    /// The name of a `code`.
    public static func name(code: UInt16) -> String { names[Int(code)] }

    static let names: [String] = (0..<(3 << 8)).map { code in
        guard let kind = Kind(rawValue: UInt8(code >> 8)), let layer = ProtocolLayer(rawValue: UInt8(code & 0xFF)) else { return "" }
        return "\(kind)-\(layer)"
    }

    public var description: String {
        switch kind {
        case .truncated: return "truncated \(layer) header at offset \(offset): needed \(needed) bytes, \(present) present"
        case .malformed: return "malformed \(layer) header at offset \(offset) (value \(needed), limit \(present))"
        case .unsupported where layer == .nesting:
            return "more layers of headers than \(present): decoded up to offset \(offset), layer \(needed) not decoded"
        case .unsupported: return "unsupported \(layer) payload at offset \(offset) (type \(needed))"
        }
    }
}
