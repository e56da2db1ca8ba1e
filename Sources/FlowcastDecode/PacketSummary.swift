public import FlowcastCore
/// What Aggregate needs to know about one packet: a small value built with no heap allocation.
public struct PacketSummary: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64 = 0
    /// The timestamp as the capture record stores it (see `Packet.timestampFraction`).
    public var timestampSeconds: Int64 = 0
    public var timestampFraction: Int64 = 0
    /// False when the record carries no time (`Packet.hasTimestamp`): the time column is empty.
    public var hasTimestamp = true
    /// False when `timestampNanoseconds` is not the packet's time: the record has none, or one
    /// that 64-bit nanoseconds since 1970 cannot hold (before 1677 or after 2262, which a pcapng
    /// timestamp can be). Readers of time give such a packet the time of the packet before it
    /// (`DecodeStatistics.settleTime`).
    public var timeIsUsable = true
    public var wireLength: Int = 0
    public var capturedLength: Int = 0
    /// Bytes of the outermost IP datagram as its header gives them (IPv4's total length; IPv6's
    /// 40 + payload length), what IPFIX's `octetDeltaCount` and NetFlow count: the frame without
    /// its link-layer header, padding and trailer. The frame's bytes from that header on for an
    /// IPv4 total length of 0 (segmentation offload); an IPv6 jumbogram's Jumbo Payload length
    /// + 40; 0 without an IP header of at least 4 bytes. A length past the frame is taken as the
    /// header claims it, as tshark's ip.len: a capture whose records understate the frames
    /// (tcp-reassembly.pcap) has it right, a malformed header (ipv4-bad-fragment.pcap: 3,841 bytes
    /// in a 60-byte frame, counted as a malformed-ipv4 issue) wrong, and nothing tells the two apart.
    public var ipLength: Int = 0
    /// The LINKTYPE_ number of the packet's interface.
    public var linkType: UInt32 = 0

    /// Outermost VLAN ID (802.1Q or 802.1ad) and the second tag, when present.
    public var vlan: UInt16? = nil
    public var innerVLAN: UInt16? = nil
    /// The first two MPLS labels, when present.
    public var mplsLabel: UInt32? = nil
    public var innerMPLSLabel: UInt32? = nil

    /// Outermost IP header's addresses.
    public var outerSource: IPAddress? = nil
    public var outerDestination: IPAddress? = nil
    /// Innermost IP header's addresses (after removing tunnels; never an ICMP-quoted packet).
    public var innerSource: IPAddress? = nil
    public var innerDestination: IPAddress? = nil
    /// The innermost IP protocol number (after IPv6 extension headers).
    public var ipProtocol: UInt8? = nil
    /// Innermost ports (TCP, UDP and SCTP only; absent for non-first fragments).
    public var sourcePort: UInt16? = nil
    public var destinationPort: UInt16? = nil
    /// Innermost TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 …).
    public var tcpFlags: UInt8? = nil
    /// Innermost TCP sequence number, window and payload length (for retransmission hints).
    public var tcpSequence: UInt32 = 0
    public var tcpWindow: UInt16 = 0
    /// Innermost ICMP or ICMPv6 message: type in the high byte, code in the low byte (the
    /// layout of IPFIX's `icmpTypeCodeIPv4`/`IPv6`); nil for other protocols, non-first
    /// fragments and messages cut before their code byte.
    public var icmpTypeCode: UInt16? = nil
    /// Bytes of transport payload of the innermost IP datagram (from its length fields).
    public var payloadLength: Int = 0
    /// True when the innermost IP datagram is a fragment (any, including the first).
    public var isFragment = false

    /// TEID of the outermost GTPv1 header (GTP-U or GTPv1-C) of the packet itself.
    public var teid: UInt32? = nil
    /// TEID and VLAN of the packet an ICMP error quotes, when the packet itself has none: the
    /// decode columns show them, as tshark's gtp.teid and vlan.id do, but they are no part of this
    /// packet's tunnel or VLAN (an audit: a "fragmentation needed" about a GTP-U packet, sent
    /// outside any tunnel, took the quoted TEID into its flow and could be placed in a cell).
    public var quotedTEID: UInt32? = nil
    public var quotedVLAN: UInt16? = nil
    /// GTP-U message type of the outermost GTP header (0xFF for G-PDU).
    public var gtpMessageType: UInt8? = nil
    /// QoS flow identifier from a 5G PDU Session Container extension header.
    public var qfi: UInt8? = nil
    /// Number of tunnel layers removed (GTP-U, GRE, IP-in-IP, VXLAN, Geneve, ERSPAN).
    public var tunnelDepth: UInt8 = 0
    /// True when the packet is 802.3 with an LLC header (not Ethernet II).
    public var isLLC = false
    /// UDP carrying GTPv2-C (port 2123, version 2): the offset of its header, for signalling.
    public var gtpv2Offset: Int? = nil
    /// Where the datagram (or TCP segment) that carries it ends, as its length fields and the
    /// capture say: the link layer's padding or trailer after it is no part of the message.
    public var gtpv2End: Int = 0

    /// Why decoding stopped early, if it did.
    public var issue: DecodeIssue? = nil

    public init() {}
}

extension PacketSummary {
    /// The GTPv2-C bytes of `packet` (the bytes this summary was decoded from): from
    /// `gtpv2Offset` to the end of the datagram carrying them, as tshark reads them.
    public func gtpv2Bytes(_ packet: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let at = gtpv2Offset, at <= gtpv2End, gtpv2End <= packet.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: packet[at..<gtpv2End])
    }
}
