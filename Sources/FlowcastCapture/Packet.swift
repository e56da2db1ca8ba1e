public import FlowcastCore
/// One captured packet, borrowed from the capture's buffer.
///
/// `bytes` is valid only inside the `forEachPacket` closure that received it: libpcap reuses the
/// buffer on the next read. Call `copyBytes()` to keep the bytes longer.
public struct Packet: @unchecked Sendable {
    /// 1-based position of the packet in the capture.
    public var number: Int
    /// Nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64
    /// The record's own seconds and fraction (in nanoseconds) as stored, before normalising:
    /// a corrupt record may hold a fraction of a second of 1e9 or more, or a negative one, and a
    /// faithful display shows it as stored (tshark does the same).
    public var timestampSeconds: Int64
    public var timestampFraction: Int64
    /// Bytes on the wire (`len` in the record header); may exceed `bytes.count`.
    public var wireLength: Int
    /// The captured bytes (`caplen` of them).
    public var bytes: UnsafeRawBufferPointer
    /// The link-layer type of this packet's interface.
    public var linkType: LinkType
    /// The pcapng interface index (0 for pcap files and live captures).
    public var interfaceIndex: Int
    /// False for a record that carries no time (a pcapng simple packet block, a custom block
    /// read as a record): its timestamp reads 0, and tshark shows none.
    public var hasTimestamp = true
    /// False for a pcap record whose fraction of a second is out of range (1,000,000 µs or
    /// more, 10^9 ns or more): a corrupt record, whose time is printed as stored (as tshark
    /// does) but is no time to count it at (`PacketSummary.timeIsUsable`).
    public var fractionInRange = true

    public init(number: Int, timestampNanoseconds: Int64, wireLength: Int,
                bytes: UnsafeRawBufferPointer, linkType: LinkType, interfaceIndex: Int = 0) {
        self.init(number: number, seconds: timestampNanoseconds / 1_000_000_000,
                  fraction: timestampNanoseconds % 1_000_000_000, wireLength: wireLength,
                  bytes: bytes, linkType: linkType, interfaceIndex: interfaceIndex)
    }

    /// A packet whose timestamp is given as the record stores it: seconds and a nanosecond
    /// fraction that may be out of range.
    public init(number: Int, seconds: Int64, fraction: Int64, wireLength: Int,
                bytes: UnsafeRawBufferPointer, linkType: LinkType, interfaceIndex: Int = 0) {
        self.number = number
        self.timestampSeconds = seconds
        self.timestampFraction = fraction
        self.timestampNanoseconds = seconds &* 1_000_000_000 &+ fraction
        self.wireLength = wireLength
        self.bytes = bytes
        self.linkType = linkType
        self.interfaceIndex = interfaceIndex
    }

    /// A pcapng record that is not a packet (a custom block, copyable or not), as tshark lists one: no
    /// link layer, no time, its data as the frame (`OfflineCapture(records:)`).
    public static func record(number: Int, data: UnsafeRawBufferPointer) -> Packet {
        var record = Packet(number: number, seconds: 0, fraction: 0, wireLength: data.count, bytes: data, linkType: .noLinkLayer)
        record.hasTimestamp = false
        return record
    }

    /// Captured length.
    @inlinable public var capturedLength: Int { bytes.count }

    /// Copies the borrowed bytes into an array that outlives the read.
    public func copyBytes() -> [UInt8] { Array(bytes) }
}

/// The container format of a capture file, as sniffed from its magic number.
public enum CaptureFormat: Sendable, Equatable, CustomStringConvertible {
    case pcap(nanosecond: Bool, bigEndian: Bool, major: UInt16, minor: UInt16, snaplen: UInt32)
    case pcapng

    public var description: String {
        switch self {
        case let .pcap(ns, be, major, minor, snaplen):
            return "pcap v\(major).\(minor) (\(ns ? "ns" : "µs"), \(be ? "big" : "little")-endian, snaplen \(snaplen))"
        case .pcapng: return "pcapng"
        }
    }
}

/// A record's original length, capped at 2^31−1 as tshark caps it: a larger value is corrupt
/// (no link carries a 2 GiB frame) and must not overflow byte counters downstream.
@inline(__always) func clampedWireLength(_ length: UInt32) -> Int {
    Int(min(length, UInt32(Int32.max)))
}
