internal import FlowcastCore
import FlowcastDecode
import Testing

/// Packets built byte by byte for behaviour the public captures do not show.
@Suite("Hand-built packets")
struct HandBuiltPacketTests {
    let decoder = PacketDecoder()

    func decode(_ bytes: [UInt8], linkType: UInt32 = 1) -> PacketSummary {
        bytes.withUnsafeBytes { decoder.decode($0, linkType: linkType, wireLength: bytes.count, timestampNanoseconds: 0) }
    }

    static func ethernet(_ type: UInt16) -> [UInt8] {
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, UInt8(type >> 8), UInt8(type & 0xFF)]
    }

    static func ipv4(proto: UInt8, src: [UInt8], dst: [UInt8], payload: Int, fragment: UInt16 = 0) -> [UInt8] {
        let total = 20 + payload
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, UInt8(fragment >> 8), UInt8(fragment & 0xFF),
                64, proto, 0, 0] + src + dst
    }

    static func udp(_ sport: UInt16, _ dport: UInt16, payload: Int) -> [UInt8] {
        let length = 8 + payload
        return [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
                UInt8(length >> 8), UInt8(length & 0xFF), 0, 0]
    }

    /// After a vendor header the decoding oracle does not read through (Cisco FabricPath here,
    /// Arista's in OracleTests), the issue names that header: its ethertype and offset, not the
    /// IPv4 ethertype inside ("unsupported ethertype 0x0800" read as if IPv4 were unknown).
    @Test("decoding stops at a FabricPath header, named as such; the inner VLAN is still read")
    func fabricPathIsTheUnsupportedHeader() {
        let fabricPath = Self.ethernet(0x8903) + [0x00, 0x3F]  // FTAG and TTL
        let inner = Self.ethernet(0x8100) + [0x00, 0x07, 0x08, 0x00]
            + Self.ipv4(proto: 17, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: 8) + Self.udp(1, 2, payload: 0)
        let s = decode(fabricPath + inner)
        #expect(s.vlan == 7)
        #expect(s.outerSource == nil)
        #expect(s.issue == DecodeIssue(kind: .unsupported, layer: .ethernet, needed: 0x8903, present: fabricPath.count + inner.count - 12, offset: 12))
        // With an 802.3 length inside, too (it was reported as an LLC type).
        let llc = decode(fabricPath + Self.ethernet(64) + [UInt8](repeating: 0, count: 64))
        #expect(llc.issue?.needed == 0x8903 && llc.issue?.layer == .ethernet)
    }

    /// A first fragment may end inside the TCP header it starts (tshark, not reassembling, flags
    /// no short segment there: the rest is in the next fragment).
    @Test("a TCP header longer than a first fragment's payload is no issue")
    func tcpHeaderAcrossFragments() {
        let tcp: [UInt8] = [0x1F, 0x90, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x10, 0x01, 0x00]  // data offset 32
        let first = Self.ipv4(proto: 6, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: tcp.count, fragment: 0x2000)
        let s = decode(Self.ethernet(0x0800) + first + tcp)
        #expect(s.issue == nil)
        #expect(s.tcpFlags == 0x10 && s.sourcePort == 8080)
        let whole = Self.ipv4(proto: 6, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: tcp.count + 4)
        #expect(decode(Self.ethernet(0x0800) + whole + tcp + [0, 0, 0, 0]).issue?.kind == .malformed)
    }

    @Test("GTP-U with a PDU Session Container yields TEID, QFI and the inner 5-tuple")
    func gtpuWithPDUSessionContainer() {
        let innerTCP: [UInt8] = [0x1F, 0x90, 0x00, 0x50] + [UInt8](repeating: 0, count: 8) + [0x50, 0x12, 0xFF, 0xFF, 0, 0, 0, 0]
        let inner = Self.ipv4(proto: 6, src: [192, 168, 1, 2], dst: [8, 8, 8, 8], payload: innerTCP.count) + innerTCP
        // flags: version 1, PT 1, E 1; type 0xFF; length; TEID 0x01020304; seq, N-PDU, next ext 0x85
        let ext: [UInt8] = [1, 0x10, 9, 0]  // length 1 (4 bytes): PDU type 1 (UL), QFI 9, next type 0
        let gtpPayload = 4 + ext.count + inner.count
        let gtp: [UInt8] = [0x34, 0xFF, UInt8(gtpPayload >> 8), UInt8(gtpPayload & 0xFF), 1, 2, 3, 4, 0, 0, 0, 0x85] + ext
        let udp = Self.udp(2152, 2152, payload: gtp.count + inner.count)
        let outer = Self.ipv4(proto: 17, src: [10, 10, 0, 1], dst: [10, 20, 0, 1], payload: udp.count + gtp.count + inner.count)
        let s = decode(Self.ethernet(0x0800) + outer + udp + gtp + inner)
        #expect(s.issue == nil)
        #expect(s.teid == 0x0102_0304)
        #expect(s.qfi == 9)
        #expect(s.outerSource?.description == "10.10.0.1")
        #expect(s.innerSource?.description == "192.168.1.2")
        #expect(s.ipProtocol == 6)
        #expect(s.sourcePort == 8080 && s.destinationPort == 80)
        #expect(s.tcpFlags == 0x12)
        #expect(s.tunnelDepth == 1)
    }

    /// GTP in GTP: the QFI is the outermost GTP header's, as the TEID is. It was the innermost
    /// one's beside the outermost TEID (an audit: TEID 0x1111 with the inner header's QFI 9).
    @Test("GTP in GTP: TEID and QFI both of the outermost header")
    func nestedGTPKeepsTheOuterQFI() {
        func gtp(teid: [UInt8], qfi: UInt8, carrying inner: [UInt8]) -> [UInt8] {
            let ext: [UInt8] = [1, 0x10, qfi, 0]
            let length = 4 + ext.count + inner.count
            return [0x34, 0xFF, UInt8(length >> 8), UInt8(length & 0xFF)] + teid + [0, 0, 0, 0x85] + ext + inner
        }
        func udpIP(_ payload: [UInt8], src: [UInt8], dst: [UInt8]) -> [UInt8] {
            let udp = Self.udp(2152, 2152, payload: payload.count)
            return Self.ipv4(proto: 17, src: src, dst: dst, payload: udp.count + payload.count) + udp + payload
        }
        let innerUDP = Self.udp(5000, 53, payload: 0)
        let user = Self.ipv4(proto: 17, src: [10, 45, 0, 2], dst: [8, 8, 8, 8], payload: innerUDP.count) + innerUDP
        let innerTunnel = udpIP(gtp(teid: [0, 0, 0x22, 0x22], qfi: 9, carrying: user), src: [192, 168, 2, 1], dst: [192, 168, 2, 2])
        let s = decode(Self.ethernet(0x0800) + udpIP(gtp(teid: [0, 0, 0x11, 0x11], qfi: 5, carrying: innerTunnel), src: [10, 10, 0, 1], dst: [10, 20, 0, 1]))
        #expect(s.issue == nil && s.tunnelDepth == 2)
        #expect(s.teid == 0x1111 && s.qfi == 5)
        #expect(s.innerSource?.description == "10.45.0.2")
    }

    /// An IPv4 total length past what holds the datagram (not a snaplen cut) is malformed, and
    /// its payload is the bytes there, as tshark's tcp.len: the claimed 1,480 bytes put the next
    /// expected sequence number past the next segment (an audit: two retransmissions that were not).
    @Test("a datagram longer than what holds it carries the bytes there; cut by the capture, what was claimed")
    func payloadOfADatagramLongerThanItsContainer() {
        let tcp: [UInt8] = [0x9C, 0x40, 0x00, 0x50, 0, 0, 0x03, 0xE8, 0, 0, 0, 0, 0x50, 0x18, 0x10, 0x00, 0, 0, 0, 0] + [UInt8](repeating: 0x61, count: 6)
        var ip = Self.ipv4(proto: 6, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: tcp.count)
        ip[2] = UInt8(1480 >> 8); ip[3] = UInt8(1480 & 0xFF)
        let bytes = Self.ethernet(0x0800) + ip + tcp
        let s = decode(bytes)
        #expect(s.issue?.kind == .malformed && s.issue?.layer == .ipv4)
        #expect(s.payloadLength == 6, "TCP payload \(s.payloadLength)")
        // The same bytes cut by a snapshot length from a 1,494-byte frame: the segment was sent whole.
        let cut = bytes.withUnsafeBytes { decoder.decode($0, linkType: 1, wireLength: 14 + 1480, timestampNanoseconds: 0) }
        #expect(cut.issue == nil || cut.issue?.kind == .truncated)
        #expect(cut.payloadLength == 1480 - 40, "TCP payload \(cut.payloadLength)")
    }

    /// A TCP header cut short keeps what tshark shows of it: flags from 14 bytes, the window from
    /// 16 (a 96-byte snaplen on GTP-U with a PDU session container cuts the inner header at 18,
    /// and its flags read 0). A data offset under 20 is malformed, with no flags, as tshark's.
    @Test("a TCP header cut at 13, 14, 16 and 18 bytes; a data offset of 16")
    func cutTCPHeader() {
        let tcp: [UInt8] = [0xA2, 0x27, 0x17, 0x75, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x50, 0x10, 0x00, 0x2E, 0, 0, 0, 0]
        func cut(_ n: Int, _ header: [UInt8] = tcp) -> PacketSummary {
            let bytes = Self.ethernet(0x0800) + Self.ipv4(proto: 6, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: 1460) + header.prefix(n)
            return bytes.withUnsafeBytes { decoder.decode($0, linkType: 1, wireLength: 14 + 20 + 1460, timestampNanoseconds: 0) }
        }
        #expect(cut(13).tcpFlags == nil && cut(13).issue?.kind == .truncated)
        #expect(cut(14).tcpFlags == 0x10 && cut(14).tcpWindow == 0 && cut(14).tcpSequence == 0x1000)
        #expect(cut(16).tcpWindow == 46 && cut(18).tcpWindow == 46 && cut(18).tcpFlags == 0x10)
        #expect(cut(18).payloadLength == 1440 && cut(18).issue?.kind == .truncated && cut(18).issue?.needed == 20)
        var bad = tcp
        bad[12] = 0x40
        let malformed = cut(20, bad)
        #expect(malformed.issue?.kind == .malformed && malformed.issue?.needed == 16 && malformed.tcpFlags == nil)
        #expect(cut(18, bad).tcpFlags == nil)
    }

    @Test("a non-first IPv4 fragment keeps its protocol but carries no ports")
    func laterFragment() {
        let packet = Self.ethernet(0x0800) + Self.ipv4(proto: 17, src: [1, 1, 1, 1], dst: [2, 2, 2, 2], payload: 8, fragment: 0x0010)
            + Self.udp(53, 53, payload: 0)
        let s = decode(packet)
        #expect(s.ipProtocol == 17)
        #expect(s.sourcePort == nil)
        #expect(s.isFragment)
    }

    /// Issue #16 item 13 said tshark marks these packets malformed and decodes no transport.
    /// tshark 4.0.17 (Debian 12, the oracle of every expected file here) does not: for a PadN,
    /// Router Alert, Jumbo Payload or unknown option whose length runs past its Hop-by-Hop or
    /// Destination Options header, and for an option header cut by the header's end, it lists
    /// `ipv6.hopopts:udp` (or `ipv6.dstopts:udp`) with both ports, and `tools/tshark-expected.py`
    /// derives `17 1234 5678`. Flowcast follows the oracle, raises no issue (a `DecodeIssue`
    /// means decoding stopped) and skips the header by its own length, as tshark does.
    @Test("option TLVs overrunning a Hop-by-Hop or Destination Options header: the transport decodes as tshark's",
          arguments: [[0, 0x3E, 10], [0, 0x05, 10], [0, 0xC2, 10], [0, 0x01, 10], [60, 0x3E, 10], [0, 0, 0, 0, 0, 0, 0x3E]] as [[UInt8]])
    func overrunningOptions(_ headerAndOptions: [UInt8]) {
        let header = headerAndOptions[0], options = Array(headerAndOptions.dropFirst())
        let src = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        let dst = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [2]
        let ext = [17, 0] + options + [UInt8](repeating: 0, count: 6 - options.count)
        let payload = ext + Self.udp(1234, 5678, payload: 4) + [0x61, 0x62, 0x63, 0x64]
        let packet = Self.ethernet(0x86DD) + [0x60, 0, 0, 0, 0, UInt8(payload.count), header, 64] + src + dst + payload
        let s = decode(packet)
        #expect(s.issue == nil)
        #expect(s.ipProtocol == 17)
        #expect(s.sourcePort == 1234 && s.destinationPort == 5678)
    }

    @Test("QinQ keeps the outer VLAN and the inner one")
    func qinq() {
        let packet: [UInt8] = Self.ethernet(0x88A8) + [0x00, 0x64, 0x81, 0x00, 0x00, 0xC8, 0x08, 0x00]
            + Self.ipv4(proto: 1, src: [1, 1, 1, 1], dst: [2, 2, 2, 2], payload: 0)
        let s = decode(packet)
        #expect(s.vlan == 100)
        #expect(s.innerVLAN == 200)
        #expect(s.ipProtocol == 1)
    }

    @Test("an ICMP error's quoted packet is never the innermost")
    func icmpQuoteIsNotInner() {
        let quoted = Self.ipv4(proto: 17, src: [9, 9, 9, 9], dst: [8, 8, 8, 8], payload: 8) + Self.udp(1, 2, payload: 0)
        let icmp: [UInt8] = [3, 3, 0, 0, 0, 0, 0, 0] + quoted
        let s = decode(Self.ethernet(0x0800) + Self.ipv4(proto: 1, src: [1, 1, 1, 1], dst: [2, 2, 2, 2], payload: icmp.count) + icmp)
        #expect(s.innerSource?.description == "1.1.1.1")
        #expect(s.ipProtocol == 1)
        #expect(s.sourcePort == nil)
    }

    @Test("an unknown link type is reported as unsupported, not guessed")
    func unknownLinkType() {
        let s = decode([1, 2, 3, 4], linkType: 160)
        #expect(s.issue?.kind == .unsupported)
        #expect(s.issue?.layer == .link)
        #expect(s.outerSource == nil)
    }

    @Test("a packet of nested IP-in-IP beyond the layer bound stops as malformed, not by recursion")
    func deepNesting() {
        var bytes: [UInt8] = []
        for _ in 0..<200 { bytes += Self.ipv4(proto: 4, src: [1, 1, 1, 1], dst: [2, 2, 2, 2], payload: 0) }
        // Lengths are inconsistent on purpose: each header claims only itself.
        let s = decode(bytes, linkType: 228)
        #expect(s.issue != nil)
    }

    /// IP-in-IP a hundred deep with every length right: decoding stops at the layer bound with
    /// an issue that says so. It read `malformed-link` (an audit), naming neither the cause nor a
    /// layer anyone could find; the inner columns are those of the last layer decoded.
    @Test func layersPastTheBoundAreSaidAsNesting() {
        var packet = Self.ipv4(proto: 17, src: [192, 168, 1, 1], dst: [192, 168, 1, 2], payload: 8) + Self.udp(1234, 80, payload: 0)
        for i in (0..<100).reversed() {
            packet = Self.ipv4(proto: 4, src: [10, 3, UInt8(i), 1], dst: [10, 3, UInt8(i), 2], payload: packet.count) + packet
        }
        let s = decode(packet, linkType: 228)
        let issue = s.issue
        #expect(issue?.kind == .unsupported && issue?.layer == .nesting && issue?.name == "unsupported-nesting", "\(String(describing: issue))")
        #expect(issue?.needed == decoder.maximumLayers + 1 && issue?.present == decoder.maximumLayers)
        // 64 IPv4 headers of 20 bytes were decoded: the issue is at the 65th.
        #expect(issue?.offset == 20 * decoder.maximumLayers)
        #expect(issue.map { "\($0)" } == "more layers of headers than 64: decoded up to offset 1280, layer 65 not decoded")
        #expect(s.innerSource?.description == "10.3.63.1" && s.ipProtocol == 4)
    }
}
