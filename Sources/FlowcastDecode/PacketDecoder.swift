internal import FlowcastCore
/// Decodes one packet's headers into a `PacketSummary`, reading the bytes in place.
///
/// The decoder walks the layers iteratively (no recursion, so a hostile packet with thousands
/// of nested tunnels costs time linear in its length and never a deep stack). Each layer checks
/// its length once, then reads fields without further checks. Ports are taken only from the
/// transport header that follows the innermost IP header; tunnels (GTP-U, GRE, ERSPAN, VXLAN,
/// Geneve, IP-in-IP) move "innermost" inward, an ICMP error's quoted packet never does.
public struct PacketDecoder: Sendable {
    /// Well-known UDP ports of the tunnels Flowcast follows.
    public var gtpUPort: UInt16 = 2152
    public var gtpCPort: UInt16 = 2123
    public var vxlanPort: UInt16 = 4789
    public var genevePort: UInt16 = 6081
    /// GRE in UDP (RFC 8086).
    public var greUDPPort: UInt16 = 4754
    /// A bound on layers per packet (headers and tunnels: 64, where no real packet nests more than
    /// a handful); a packet past it keeps what was decoded, with an `unsupported-nesting` issue.
    /// It read `malformed-link`, which named neither the cause nor the layer (an audit: GRE in GRE
    /// a hundred deep). tshark decodes deeper, so its inner columns then differ.
    public var maximumLayers = 64

    public init() {}

    /// Decodes `bytes` captured on a link of type `linkType` (a LINKTYPE_ number).
    public func decode(_ bytes: UnsafeRawBufferPointer, linkType: UInt32, wireLength: Int,
                       timestampNanoseconds: Int64) -> PacketSummary {
        decode(bytes, linkType: linkType, wireLength: wireLength,
               seconds: timestampNanoseconds / 1_000_000_000, fraction: timestampNanoseconds % 1_000_000_000)
    }

    /// Decodes `bytes`, with the timestamp as the record stores it (seconds and a nanosecond
    /// fraction that a corrupt record may hold out of range). `hasTimestamp`: false for a record
    /// that carries no time (`Packet.hasTimestamp`), whose time column is then empty.
    /// `fractionInRange`: false for a record whose stored fraction of a second is out of range
    /// (`Packet.fractionInRange`): printed as stored, but not a usable time.
    public func decode(_ bytes: UnsafeRawBufferPointer, linkType: UInt32, wireLength: Int,
                       seconds: Int64, fraction: Int64, hasTimestamp: Bool = true, fractionInRange: Bool = true) -> PacketSummary {
        // The frame starts after the pseudo-header tshark's file reader takes off (the readers
        // refuse a record too short for it); the lengths leave it out, as tshark's do, and a
        // wire length shorter than it wraps as tshark's unsigned arithmetic does.
        let pseudoHeader = LinkType(rawValue: linkType).wiretapPseudoHeaderLength
        let frame = pseudoHeader > 0 && bytes.count >= pseudoHeader ? UnsafeRawBufferPointer(rebasing: bytes[pseudoHeader...]) : bytes
        var run = DecodeRun(bytes: frame, decoder: self)
        // Wrapping, a time past 2262 read as 1715 (and `inspect` trapped on the span).
        let (scaled, over) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (nanoseconds, overSum) = scaled.addingReportingOverflow(fraction)
        run.summary.timestampNanoseconds = nanoseconds
        run.summary.timeIsUsable = hasTimestamp && fractionInRange && !over && !overSum
        run.summary.timestampSeconds = seconds
        run.summary.timestampFraction = fraction
        run.summary.hasTimestamp = hasTimestamp
        run.summary.wireLength = pseudoHeader == 0 || wireLength == Int(Int32.max) ? wireLength
            : wireLength >= pseudoHeader ? wireLength - pseudoHeader : Int(Int32.max)
        run.summary.capturedLength = frame.count
        run.summary.linkType = linkType
        run.start(linkType: linkType)
        return run.summary
    }
}

/// The next header to decode, as decided by the one before it.
enum NextLayer {
    case ethernet
    case etherType(UInt16)
    case ipv4
    case ipv6
    /// IP whose version the first nibble decides (raw link type, MPLS payload, GTP T-PDU).
    case ipAny
    case mpls
    case ppp(hdlc: Bool)
    case done
}

/// Mutable state of one decode. Lives on the stack for one packet.
struct DecodeRun {
    let b: UnsafeRawBufferPointer
    let decoder: PacketDecoder
    var summary = PacketSummary()
    /// Current header offset.
    var offset = 0
    /// End of the bytes that belong to the current layer (an IP datagram's length trims
    /// Ethernet padding and anything beyond).
    var limit: Int
    var layers = 0
    /// IP layers entered so far; the first one's addresses are the outer columns, even when it
    /// has none (cut short, or IPv6 behind an IPv4 ethertype).
    var ipLayers = 0
    /// True once an IP layer is a datagram's first fragment with more to come: what it carries
    /// ends where the fragment does, so an inner datagram longer than that is cut by the
    /// fragmentation, not malformed (the rest is in the next fragments).
    var insideFirstFragment = false
    /// True in the run that reads the packet an ICMP error quotes (see `scanQuotedPacket`).
    var insideQuote = false
    /// After a vendor header the oracle does not read through (Arista's, Cisco FabricPath): only
    /// VLAN tags and MPLS labels are decoded from here on (see `decodeAristaHeader`), as tshark
    /// reads them (tools/tshark-labels.py).
    var tagsOnly = false
    /// That header's ethertype and offset: where decoding stops is reported as this header, the
    /// one Flowcast does not read through, not as the (well-known) ethertype inside it.
    var vendorHeaderType: UInt16 = 0
    var vendorHeaderOffset = 0

    init(bytes: UnsafeRawBufferPointer, decoder: PacketDecoder) {
        b = bytes
        self.decoder = decoder
        limit = bytes.count
    }

    var remaining: Int { max(0, limit - offset) }

    /// True when the capture ended before the packet did and the current layer reaches that end:
    /// the layer's missing bytes were on the wire, so tshark still lists a layer that starts there.
    ///
    /// Inlined, as every non-mutating member the layers call: called out of line from a mutating
    /// method, it ran on a copy of the whole run (a 337-byte memcpy per call), which made decode
    /// 12 % slower on the bench capture (`cutShort`, `destinationOffset`, `gtpAccepts`).
    @inline(__always) var cutShort: Bool { limit >= b.count && summary.wireLength > b.count }

    /// Records a truncation at the current offset and returns `.done`.
    mutating func truncated(_ layer: ProtocolLayer, needed: Int) -> NextLayer {
        summary.issue = DecodeIssue(kind: .truncated, layer: layer, needed: needed, present: remaining, offset: offset)
        return .done
    }

    /// For a header whose payload may legitimately be empty: a truncation when the capture
    /// ended before the packet did, otherwise the natural end of decoding.
    mutating func endOrTruncated(_ layer: ProtocolLayer, needed: Int) -> NextLayer {
        if remaining < needed && cutShort {
            return truncated(layer, needed: needed)
        }
        return .done
    }

    mutating func malformed(_ layer: ProtocolLayer, value: Int, limit bound: Int) -> NextLayer {
        summary.issue = DecodeIssue(kind: .malformed, layer: layer, needed: value, present: bound, offset: offset)
        return .done
    }

    /// Decoding stops inside a vendor header's frame (`tagsOnly`): the issue names that header.
    mutating func stopAfterVendorHeader() -> NextLayer {
        summary.issue = DecodeIssue(kind: .unsupported, layer: .ethernet, needed: Int(vendorHeaderType),
                                    present: limit - vendorHeaderOffset, offset: vendorHeaderOffset)
        return .done
    }

    mutating func unsupported(_ layer: ProtocolLayer, type: Int) -> NextLayer {
        summary.issue = DecodeIssue(kind: .unsupported, layer: layer, needed: type, present: remaining, offset: offset)
        return .done
    }

    mutating func start(linkType: UInt32) {
        let next: NextLayer
        switch linkType {
        case LinkType.ethernet.rawValue: next = .ethernet
        case LinkType.null.rawValue: next = decodeNull(networkOrder: false)
        case LinkType.loop.rawValue: next = decodeNull(networkOrder: true)
        case LinkType.ppp.rawValue: next = .ppp(hdlc: false)
        case LinkType.pppHDLC.rawValue: next = .ppp(hdlc: true)
        case LinkType.pppWithDirection.rawValue: next = .ppp(hdlc: false)  // after its direction byte
        case LinkType.raw.rawValue, LinkType.rawDLT12.rawValue, LinkType.rawDLT14.rawValue: next = decodeRaw()
        case LinkType.ipv4.rawValue: next = .ipv4
        case LinkType.ipv6.rawValue: next = .ipv6
        case LinkType.linuxSLL.rawValue: next = decodeLinuxSLL()
        case LinkType.linuxSLL2.rawValue: next = decodeLinuxSLL2()
        case LinkType.nflog.rawValue: next = decodeNFLOG()
        case LinkType.pppEther.rawValue: next = decodePPPoESession()
        case LinkType.atmRFC1483.rawValue, LinkType.atmRFC1483DLT11.rawValue:
            summary.isLLC = true
            next = decodeLLC()
        // A pcapng record that is not a packet (a custom block): nothing to decode, and no issue.
        case LinkType.noLinkLayer.rawValue: next = .done
        default: next = unsupported(.link, type: Int(linkType))
        }
        run(from: next)
    }

    /// Decodes layer after layer from `next` until one says `.done`.
    mutating func run(from first: NextLayer) {
        var next = first
        while true {
            layers += 1
            if layers > decoder.maximumLayers {
                summary.issue = DecodeIssue(kind: .unsupported, layer: .nesting, needed: layers, present: decoder.maximumLayers, offset: offset)
                return
            }
            switch next {
            case .ethernet: next = decodeEthernet()
            case let .etherType(type): next = dispatch(etherType: type)
            case .ipv4: next = decodeIPv4()
            case .ipv6: next = decodeIPv6()
            case .ipAny:
                guard remaining >= 1 else { next = truncated(.ipv4, needed: 1); continue }
                switch b.u8(offset) >> 4 {
                case 4: next = decodeIPv4()
                case 6: next = decodeIPv6()
                default: next = unsupported(.link, type: Int(b.u8(offset) >> 4))
                }
            case .mpls: next = decodeMPLS()
            case let .ppp(hdlc): next = decodePPP(hdlc: hdlc)
            case .done: return
            }
        }
    }

    /// Raw IP, read as tshark's raw dissector reads it: nothing from fewer than 8 bytes, PPP in
    /// HDLC framing at FF 03 (first or second byte), IP after ten zero bytes (an old Linux PPP
    /// driver's leftovers; tshark's version-dispatching IP layer then has no fields of its own),
    /// else the version.
    mutating func decodeRaw() -> NextLayer {
        guard remaining >= 8 else { return truncated(.link, needed: 8) }
        if b.u16(offset) == 0xFF03 { return .ppp(hdlc: true) }
        if b.u16(offset + 1) == 0xFF03 { offset += 1; return .ppp(hdlc: true) }
        if remaining >= 10 && b.u64(offset) == 0 && b.u16(offset + 8) == 0 {
            offset += 10
            return .ipv4
        }
        return .ipAny
    }

    /// Ethertype dispatch shared by Ethernet, VLAN, SLL, SLL2, GRE and Geneve.
    mutating func dispatch(etherType: UInt16) -> NextLayer {
        if tagsOnly, etherType != EtherType.vlan.rawValue, etherType != EtherType.qinq.rawValue,
           etherType != EtherType.qinqLegacy9100.rawValue, etherType != EtherType.mplsUnicast.rawValue,
           etherType != EtherType.mplsMulticast.rawValue {
            return stopAfterVendorHeader()
        }
        switch etherType {
        case EtherType.ipv4.rawValue: return .ipv4
        case EtherType.ipv6.rawValue: return .ipv6
        case EtherType.vlan.rawValue, EtherType.qinq.rawValue, EtherType.qinqLegacy9100.rawValue:
            return decodeVLAN(tpid: etherType)
        case EtherType.mplsUnicast.rawValue, EtherType.mplsMulticast.rawValue: return .mpls
        case EtherType.pppoeSession.rawValue: return decodePPPoESession()
        case EtherType.transparentEthernet.rawValue: return .ethernet
        case EtherType.aristaVendor.rawValue: return decodeAristaHeader()
        default: return unsupported(.ethernet, type: Int(etherType))
        }
    }
}
