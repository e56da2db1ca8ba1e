internal import FlowcastCore
extension DecodeRun {
    /// TCP (RFC 9293): ports, flags, sequence number and window.
    mutating func decodeTCP() -> NextLayer {
        guard remaining >= 4 else { return truncated(.tcp, needed: 4) }
        summary.sourcePort = b.u16(offset)
        summary.destinationPort = b.u16(offset + 2)
        // A header cut short keeps the fields whose bytes are here, as tshark shows them: the
        // flags from 14 bytes, the window from 16 (a 96-byte snaplen on GTP-U with a PDU session
        // container cuts the inner TCP header at 18: its flags read 0, "none", and its sequence
        // analysis was lost). A data offset under 20 is malformed, and tshark then shows no flags.
        guard remaining >= 20 else {
            if remaining >= 14, Int(b.u8(offset + 12) >> 4) * 4 >= 20 {
                summary.tcpSequence = b.u32(offset + 4)
                summary.tcpFlags = b.u8(offset + 13)
                summary.payloadLength = max(0, summary.payloadLength - Int(b.u8(offset + 12) >> 4) * 4)
                if remaining >= 16 { summary.tcpWindow = b.u16(offset + 14) }
            }
            // Cut by the capture: truncated. Cut by a fragment's end: no issue, the rest is in the
            // next fragment (tshark says "unreassembled", not malformed). Cut by the datagram's
            // own length: malformed, unless the IP layer already said what was wrong.
            if cutShort { return truncated(.tcp, needed: 20) }
            if summary.isFragment || insideFirstFragment || summary.issue != nil || insideQuote { return .done }
            return malformed(.tcp, value: 20, limit: remaining)
        }
        let dataOffset = Int(b.u8(offset + 12) >> 4) * 4
        guard dataOffset >= 20 else { return malformed(.tcp, value: dataOffset, limit: 20) }
        summary.tcpSequence = b.u32(offset + 4)
        summary.tcpFlags = b.u8(offset + 13)
        summary.tcpWindow = b.u16(offset + 14)
        let segment = summary.payloadLength
        summary.payloadLength = max(0, segment - dataOffset)
        // A header longer than its segment is tshark's "short segment" (malformed), where the
        // segment is whole: not in a fragment, nor in the packet an ICMP error quotes (cut by
        // its sender). A header longer than the bytes captured is cut short. The fields above
        // stand in both, as tshark shows them. An issue already found (an IPv4 length past the
        // packet) is the first thing wrong and stays.
        if summary.issue == nil, !insideQuote {
            if dataOffset > segment, !summary.isFragment, !insideFirstFragment {
                return malformed(.tcp, value: dataOffset, limit: segment)
            }
            if dataOffset > remaining, cutShort { return truncated(.tcp, needed: dataOffset) }
        }
        // GTPv2-C may also run over TCP on its port (TS 29.274 allows it; operators do).
        let port = decoder.gtpCPort
        if (summary.sourcePort == port || summary.destinationPort == port), remaining > dataOffset,
           b.u8(offset + dataOffset) >> 5 == 2 {
            summary.gtpv2Offset = offset + dataOffset
            summary.gtpv2End = limit
        }
        return .done
    }

    /// UDP (RFC 768), and the tunnels found on its well-known ports.
    mutating func decodeUDP() -> NextLayer {
        guard remaining >= 4 else { return truncated(.udp, needed: 4) }
        let sourcePort = b.u16(offset), destinationPort = b.u16(offset + 2)
        summary.sourcePort = sourcePort
        summary.destinationPort = destinationPort
        guard remaining >= 8 else { return truncated(.udp, needed: 8) }
        let length = Int(b.u16(offset + 4))
        let start = offset
        // tshark's "Bad length value": below 8 (0 over IPv6 is a jumbogram's), or past the IP
        // payload of a whole datagram (a first fragment's ends early by design). Said as an issue
        // while decoding goes on as tshark's columns do; such datagrams were counted as sound UDP
        // (an audit), while a TCP data offset or an IPv4 length out of bounds was an issue.
        let jumbogram = length == 0 && summary.innerSource?.isIPv6 == true
        if summary.issue == nil && !insideQuote {
            if length < 8 && !jumbogram {
                summary.issue = DecodeIssue(kind: .malformed, layer: .udp, needed: length, present: 8, offset: start)
            } else if length > summary.payloadLength && !summary.isFragment && !insideFirstFragment && !jumbogram {
                summary.issue = DecodeIssue(kind: .malformed, layer: .udp, needed: length, present: summary.payloadLength, offset: start)
            }
        }
        offset += 8
        if length >= 8 { limit = min(limit, start + length) }
        summary.payloadLength = max(0, (length >= 8 ? length : summary.payloadLength) - 8)
        // tshark decodes no payload behind a length below 8, but for 0 over IPv6 (a jumbogram).
        if length < 8 && !jumbogram { return .done }
        // Like tshark: the lower port first, and a registered protocol on the lower port wins
        // over a tunnel on the higher one (a DNS client on port 2152 is not GTP).
        let low = min(sourcePort, destinationPort), high = max(sourcePort, destinationPort)
        if low != 0, let next = udpTunnel(port: low) { return next }
        if low != 0 && low != high && UDPPortPrecedence.claims(low, firstByte: remaining >= 1 ? b.u8(offset) : nil) {
            return .done
        }
        return high != 0 ? udpTunnel(port: high) ?? .done : .done
    }

    /// The tunnel Flowcast follows on a UDP port, decoded; nil when the port has none.
    private mutating func udpTunnel(port: UInt16) -> NextLayer? {
        let d = decoder
        switch port {
        case d.gtpUPort, d.gtpCPort:
            let layer: ProtocolLayer = port == d.gtpUPort ? .gtpU : .gtpC
            // Cut before the message type: whether tshark would take it is unknown.
            if remaining < 2 && cutShort { return truncated(layer, needed: 8) }
            return gtpAccepts() ? decodeGTP(userPlane: layer == .gtpU) : nil
        case d.vxlanPort: return decodeVXLAN()
        case d.genevePort: return decodeGeneve()
        case d.greUDPPort: return decodeGRE()
        default: return nil
        }
    }

    /// tshark's GTP dissector declines a datagram (leaving it to the other port's) with a version
    /// above 2 or, for versions 0 and 1, a message type it does not know (TS 29.060/29.281 ones:
    /// 1–7, 16–37, 48–62, 70, 96–105, 112–121, 128–129, 240–241, 254–255).
    @inline(__always) private func gtpAccepts() -> Bool {
        guard remaining >= 2 else { return false }
        let version = b.u8(offset) >> 5
        if version > 2 { return false }
        if version == 2 { return true }
        let type = b.u8(offset + 1)
        let known: (UInt64, UInt64, UInt64, UInt64) = (0x7FFF_003F_FFFF_00FE, 0x03FF_03FF_0000_0040, 0x3, 0xC003_0000_0000_0000)
        let word = switch type >> 6 { case 0: known.0; case 1: known.1; case 2: known.2; default: known.3 }
        return word >> (type & 63) & 1 != 0
    }

    /// SCTP common header (RFC 9260): ports only, and only from a whole 12-byte common header
    /// (tshark shows no SCTP field before it has all of it).
    mutating func decodeSCTP() -> NextLayer {
        guard remaining >= 12 else { return truncated(.sctp, needed: 12) }
        summary.sourcePort = b.u16(offset)
        summary.destinationPort = b.u16(offset + 2)
        return .done
    }
}
