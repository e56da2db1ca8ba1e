internal import FlowcastCore
/// Reads the packets of one capture file format in place, from the bytes of the file.
///
/// One conformer per format (`PcapReader`, `PcapngReader`), each generic over where the bytes
/// come from (`CaptureBytes`). libpcap has opened and validated the file before a reader is
/// made; the readers then follow libpcap 1.10's rules record by record (what it accepts, clips
/// or refuses, and the words of its refusals), and the tests compare them against libpcap.
protocol CaptureReader {
    /// Packets handed to the caller so far.
    var packetsRead: Int { get }
    /// Link types of the file's interfaces, as far as known, in order of first use.
    var linkTypes: [LinkType] { get }
    /// Calls `body` per packet in file order; throws a `CaptureError` at the first record it
    /// cannot read (after delivering every packet before it), or what `body` throws.
    mutating func forEachPacket(_ body: (Packet) throws -> Void) throws
    /// Releases the file.
    func close()
    var readsInPlace: Bool { get }
}

/// What stops a reader, before the file name and packet number are attached.
enum ReadFault: Error {
    /// A record or block ends past the end of the file.
    case truncated(String)
    /// Anything else: a length, option or reference that cannot be right.
    case corrupt(String)

    /// The `CaptureError` for a fault at packet `packet` of `path`.
    func error(path: String, packet: Int) -> CaptureError {
        switch self {
        case let .truncated(reason): return .truncatedRecord(path: path, packet: packet, reason: reason)
        case let .corrupt(reason): return .corrupt(path: path, packet: packet, reason: reason)
        }
    }
}
