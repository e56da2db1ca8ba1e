internal import FlowcastCore
internal import Foundation

/// Writes packets to a pcap (nanosecond) or pcapng file.
///
/// Written in Swift rather than through `pcap_dump`: libpcap's dumper writes only pcap, with
/// one link type per file, and Flowcast also needs pcapng (rings from live capture). The format
/// is small and both tshark and libpcap read the result (tests read it back).
public final class CaptureWriter {
    public enum Format: Sendable { case pcap, pcapng }

    public let path: String
    public let format: Format
    public let linkType: LinkType
    public private(set) var packetsWritten = 0
    public private(set) var bytesWritten = 0

    private var file: UnsafeMutablePointer<FILE>?
    private var scratch: [UInt8] = []
    private let snaplen: UInt32

    public init(path: String, format: Format, linkType: LinkType, snaplen: UInt32 = 262_144) throws(CaptureError) {
        self.path = path
        self.format = format
        self.linkType = linkType
        self.snaplen = snaplen
        guard let file = fopen(path, "wb") else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        self.file = file
        var header: [UInt8] = []
        switch format {
        case .pcap:
            header.appendLE(UInt32(0xA1B2_3C4D))  // nanosecond pcap
            header.appendLE(UInt16(2)); header.appendLE(UInt16(4))
            header.appendLE(UInt32(0)); header.appendLE(UInt32(0))
            header.appendLE(snaplen); header.appendLE(linkType.rawValue)
        case .pcapng:
            // Section Header Block: no options, section length unknown (-1).
            header.appendLE(UInt32(0x0A0D_0D0A)); header.appendLE(UInt32(28))
            header.appendLE(UInt32(0x1A2B_3C4D)); header.appendLE(UInt16(1)); header.appendLE(UInt16(0))
            header.appendLE(UInt64.max); header.appendLE(UInt32(28))
            // Interface Description Block with if_tsresol = 9 (nanoseconds).
            header.appendLE(UInt32(1)); header.appendLE(UInt32(32))
            header.appendLE(UInt16(truncatingIfNeeded: linkType.rawValue)); header.appendLE(UInt16(0)); header.appendLE(snaplen)
            header.appendLE(UInt16(9)); header.appendLE(UInt16(1)); header += [9, 0, 0, 0]
            header.appendLE(UInt16(0)); header.appendLE(UInt16(0))
            header.appendLE(UInt32(32))
        }
        try put(header)
    }

    deinit { if let file { fclose(file) } }

    /// Appends one packet.
    public func write(_ bytes: UnsafeRawBufferPointer, timestampNanoseconds: Int64, wireLength: Int? = nil) throws(CaptureError) {
        let caplen = UInt32(min(bytes.count, Int(snaplen)))
        let wire = UInt32(clamping: wireLength ?? bytes.count)
        scratch.removeAll(keepingCapacity: true)
        switch format {
        case .pcap:
            let seconds = timestampNanoseconds >= 0 ? timestampNanoseconds / 1_000_000_000 : (timestampNanoseconds - 999_999_999) / 1_000_000_000
            let fraction = timestampNanoseconds - seconds * 1_000_000_000
            scratch.appendLE(UInt32(truncatingIfNeeded: seconds)); scratch.appendLE(UInt32(fraction))
            scratch.appendLE(caplen); scratch.appendLE(wire)
            scratch.append(contentsOf: bytes.prefix(Int(caplen)))
        case .pcapng:
            let padded = (Int(caplen) + 3) & ~3
            let total = UInt32(32 + padded)
            let ticks = UInt64(bitPattern: timestampNanoseconds)
            scratch.appendLE(UInt32(6)); scratch.appendLE(total); scratch.appendLE(UInt32(0))
            scratch.appendLE(UInt32(ticks >> 32)); scratch.appendLE(UInt32(ticks & 0xFFFF_FFFF))
            scratch.appendLE(caplen); scratch.appendLE(wire)
            scratch.append(contentsOf: bytes.prefix(Int(caplen)))
            scratch.append(contentsOf: repeatElement(0, count: padded - Int(caplen)))
            scratch.appendLE(total)
        }
        try put(scratch)
        packetsWritten += 1
    }

    /// Flushes and closes the file; reports a failed flush (a full disk, say).
    public func close() throws(CaptureError) {
        guard let file else { return }
        self.file = nil
        if fflush(file) != 0 || ferror(file) != 0 {
            let reason = String(cString: strerror(errno))
            fclose(file)
            throw .writeFailed(path: path, reason: reason)
        }
        if fclose(file) != 0 { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    private func put(_ bytes: [UInt8]) throws(CaptureError) {
        guard let file else { throw .writeFailed(path: path, reason: "the writer is closed") }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == bytes.count else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        bytesWritten += written
    }
}
