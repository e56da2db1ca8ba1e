public import FlowcastCore
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

    /// The open file (-1 once closed). Written with write(2) from a buffer of whole records, so a
    /// failed write (a full disk) knows how many bytes reached the file, and the file is cut back to
    /// its last whole record: stdio reported an ENOSPC of its buffered write as "No such file or
    /// directory" (a stale errno) and left a record cut in half under the final name (an audit).
    private var descriptor: Int32 = -1
    private var scratch: [UInt8] = []
    private var pending: [UInt8] = []
    /// Where each record in `pending` ends, as offsets into it.
    private var recordEnds: [Int] = []
    /// Bytes already in the file, every one of them part of a whole record.
    private var flushed = 0
    private let snaplen: UInt32

    public init(path: String, format: Format, linkType: LinkType, snaplen: UInt32 = 262_144) throws(CaptureError) {
        self.path = path
        self.format = format
        self.linkType = linkType
        self.snaplen = snaplen
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        pending.reserveCapacity(1 << 16 + 4096)
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

    deinit { if descriptor >= 0 { Foundation.close(descriptor) } }

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

    /// Flushes and closes the file; reports a failed write (a full disk, say).
    public func close() throws(CaptureError) {
        guard descriptor >= 0 else { return }
        try flush()
        let fd = descriptor
        descriptor = -1
        if Foundation.close(fd) != 0 { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    private func put(_ bytes: [UInt8]) throws(CaptureError) {
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: "the writer is closed") }
        pending.append(contentsOf: bytes)
        recordEnds.append(pending.count)
        bytesWritten += bytes.count
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Writes the buffered records; on a failure cuts the file back to its last whole record,
    /// closes it and throws.
    private func flush() throws(CaptureError) {
        var done = 0
        var failure: String?
        pending.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Foundation.write(descriptor, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = n < 0 ? String(cString: strerror(errno)) : "nothing written"; return }
                done += n
            }
        }
        guard let failure else {
            flushed += done
            pending.removeAll(keepingCapacity: true)
            recordEnds.removeAll(keepingCapacity: true)
            return
        }
        let whole = recordEnds.last { $0 <= done } ?? 0
        let keep = flushed + whole
        _ = ftruncate(descriptor, off_t(keep))
        Foundation.close(descriptor)
        descriptor = -1
        throw .writeFailed(path: path, reason: failure + " (the file is cut back to its last whole packet: \(keep) bytes)")
    }
}
