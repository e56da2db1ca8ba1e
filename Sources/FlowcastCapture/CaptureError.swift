public import FlowcastCore
/// Why a capture could not be opened or read to its end.
///
/// Every case carries the file, and the 1-based packet number where a fault sits inside the
/// file, so a person can find the bad record with `tshark -r FILE -c N` or a hex editor.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist or cannot be opened for reading.
    case missingFile(path: String, reason: String)
    /// The file is empty or does not start with a pcap or pcapng magic number.
    case notACapture(path: String, reason: String)
    /// A pcap or pcapng file of a version Flowcast (and tshark) does not read.
    case unsupportedVersion(path: String, reason: String)
    /// A header or record ends before the length it declares.
    case truncatedRecord(path: String, packet: Int, reason: String)
    /// A structurally invalid file (bad block length, bad option, reserved bits set …).
    case corrupt(path: String, packet: Int?, reason: String)
    /// A live interface could not be opened or configured.
    case liveCapture(interface: String, reason: String)
    /// The live interface does not exist (`detail`: libpcap's words).
    case noSuchInterface(interface: String, detail: String)
    /// A file of a link type no decoder knows (`LinkType.hasDissector`): tshark refuses it too.
    case unsupportedLinkType(path: String, linkType: LinkType)
    /// A BPF filter that libpcap could not compile.
    case badFilter(filter: String, reason: String)
    /// Writing a capture failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path, reason): return "\(path.visible): cannot open: \(reason)"
        case let .notACapture(path, reason): return "\(path.visible): not a pcap or pcapng capture: \(reason)"
        case let .unsupportedVersion(path, reason): return "\(path.visible): unsupported capture version: \(reason)"
        // Packet 0 is the file's header, before any packet ("packet 0" read as a packet number).
        case let .truncatedRecord(path, 0, reason): return "\(path.visible): cut short before its first packet: \(reason)"
        case let .truncatedRecord(path, packet, reason): return "\(path.visible): packet \(packet): truncated record: \(reason)"
        case let .corrupt(path, packet?, reason): return "\(path.visible): packet \(packet): corrupt capture: \(reason)"
        case let .corrupt(path, nil, reason): return "\(path.visible): corrupt capture: \(reason)"
        case let .liveCapture(interface, reason): return "\(interface): \(reason)"
        case let .noSuchInterface(interface, detail): return "\(interface): no such interface (libpcap: \(detail))"
        case let .unsupportedLinkType(path, linkType):
            return "\(path.visible): link type \(linkType) has no decoder (Flowcast's or tshark's): none of its packets can be read"
        case let .badFilter(filter, reason): return "bad capture filter '\(filter)': \(reason)"
        case let .writeFailed(path, reason): return "\(path.visible): write failed: \(reason)"
        }
    }
}
