internal import FlowcastCore
/// Reads the records of a classic pcap file in place.
///
/// Follows libpcap 1.10's `pcap_next_packet`: either byte order, microsecond or nanosecond
/// files, the swapped length fields of versions before 2.4, a refusal of captured lengths beyond
/// what libpcap accepts for the link type, pseudo-headers turned to this host's byte order, and
/// the same words for every refusal. Two differences, on purpose, where tshark (the decoding
/// oracle) reads otherwise: a record longer than the file's snapshot length is delivered whole
/// (libpcap clips it to the snapshot length; a filter still sees libpcap's part, see
/// `OfflineCapture.Reader.filterLength`), and the seconds are unsigned.
struct PcapReader<Bytes: CaptureBytes>: CaptureReader {
    private var bytes: Bytes
    private let path: String
    private let swapped: Bool
    private let nanosecond: Bool
    private let lengths: LengthOrder
    /// libpcap's snapshot length for the file (the header's, adjusted).
    let snapshot: Int
    /// The largest captured length libpcap accepts for the link type.
    private let maximumCapture: Int
    private let linkType: LinkType
    private let swapsPseudoHeader: Bool
    /// Bytes of each record's header: 16, or 24 in the modified format of Alexey Kuznetsov's
    /// patched tcpdump (magic 0xA1B2CD34: interface index, protocol and packet type after the
    /// lengths), which libpcap and tshark read and Flowcast reads as they do, the extra fields unused.
    private let recordHeader: Int
    /// Whether records of the link type begin with a pseudo-header tshark checks.
    private let checksPseudoHeader: Bool
    private var scratch: UnsafeMutableRawBufferPointer?
    private var offset = 24
    private(set) var packetsRead = 0

    /// Where versions before 2.4 may have stored the captured and wire lengths the other way round.
    enum LengthOrder { case asStored, swappedIfCaptureExceedsWire, swapped }

    /// `header`: the file header as sniffed; `dlt` and `snapshot`: what libpcap made of it.
    init(bytes: Bytes, path: String, header: CaptureFormat, linkType: LinkType, dlt: Int32, snapshot: Int, modified: Bool = false) {
        self.bytes = bytes
        self.path = path
        guard case let .pcap(nanosecond, bigEndian, major, minor, _) = header else {
            preconditionFailure("a pcap reader for a pcapng file")
        }
        swapped = bigEndian != (UInt32(1).bigEndian == 1)
        self.nanosecond = nanosecond
        lengths = major == 2 && minor < 3 ? .swapped : major == 2 && minor == 3 ? .swappedIfCaptureExceedsWire : .asStored
        self.snapshot = snapshot
        maximumCapture = LibpcapLimits.maximumSnapshot(dlt: dlt)
        self.linkType = linkType
        swapsPseudoHeader = swapped && PseudoHeaderByteOrder.applies(to: linkType)
        checksPseudoHeader = linkType.wiretapPseudoHeaderLength > 0
        recordHeader = modified ? 24 : 16
    }

    var linkTypes: [LinkType] { [linkType] }
    var readsInPlace: Bool { bytes.readsInPlace }

    func close() {
        bytes.close()
        scratch?.deallocate()
    }

    mutating func forEachPacket(_ body: (Packet) throws -> Void) throws {
        defer { bytes.pause() }
        while true {
            bytes.reached(offset)
            let header = bytes.bytes(at: offset, count: recordHeader)
            guard header.count == recordHeader else {
                if header.count == 0 {
                    // A file cut inside its last page reads as zeros there, without a fault.
                    if let size = bytes.shrunkSize() { throw shrank(to: size) }
                    return
                }
                throw fault(.truncated("truncated dump file; tried to read \(recordHeader) header bytes, only got \(header.count)"))
            }
            var seconds = header.loadUnaligned(as: UInt32.self)
            var fraction = header.loadUnaligned(fromByteOffset: 4, as: Int32.self)
            var caplen = header.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            var len = header.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            if swapped {
                seconds = seconds.byteSwapped; fraction = fraction.byteSwapped
                caplen = caplen.byteSwapped; len = len.byteSwapped
            }
            switch lengths {
            case .asStored: break
            case .swappedIfCaptureExceedsWire: if caplen > len { swap(&caplen, &len) }
            case .swapped: swap(&caplen, &len)
            }
            let captured = Int(caplen)
            if captured > maximumCapture {
                throw fault(.corrupt(captured > snapshot
                    ? "invalid packet capture length \(caplen), bigger than snaplen of \(snapshot)"
                    : "invalid packet capture length \(caplen), bigger than maximum of \(maximumCapture)"))
            }
            var data = bytes.bytes(at: offset + recordHeader, count: captured)
            if data.count < captured {
                let message = captured > snapshot && data.count < snapshot
                    ? "truncated dump file; tried to read \(snapshot) captured bytes, only got \(data.count)"
                    : "truncated dump file; tried to read \(caplen) captured bytes, only got \(data.count)"
                throw fault(.truncated(message))
            }
            guard bytes.holds(through: offset + recordHeader + captured) else { throw shrank(to: bytes.shrunkSize() ?? 0) }
            if checksPseudoHeader, let reason = WiretapPseudoHeader.refusal(data, linkType: linkType) {
                throw fault(.corrupt(reason))
            }
            bytes.prefetch(offset + recordHeader + captured)  // the next record, while this one is decoded
            packetsRead += 1
            // Seconds unsigned, as the format defines them and tshark reads them (libpcap 1.10
            // reads them signed: 0xFFFF0000 is 1969 to it, 2106 to tshark); a microsecond
            // fraction scaled by 1000 in 32-bit arithmetic, as both do.
            let nanos = nanosecond ? Int64(fraction) : Int64(fraction &* 1000)
            if swapsPseudoHeader { data = swapPseudoHeader(data, wireLength: len) }
            if linkType == USBMappedLength.linkType { len = USBMappedLength.corrected(data, wireLength: len) }
            var packet = Packet(number: packetsRead, seconds: Int64(seconds), fraction: nanos,
                                wireLength: clampedWireLength(len), bytes: data, linkType: linkType)
            // 4,000,000,000 µs read as +1.385 s (the scaling wraps in 32 bits) and −1 ns dated
            // a packet before the one ahead of it, in flows and windows alike, unsaid (an audit).
            packet.fractionInRange = UInt32(bitPattern: fraction) < (nanosecond ? 1_000_000_000 : 1_000_000)
            try body(packet)
            offset += recordHeader + captured
        }
    }

    /// A fault in a file that shrank while it was read is reported as that.
    private func fault(_ fault: ReadFault) -> CaptureError {
        if let size = bytes.shrunkSize() { return shrank(to: size) }
        return fault.error(path: path, packet: packetsRead + 1)
    }

    private func shrank(to size: Int) -> CaptureError {
        ReadFault.truncated(Bytes.shrankReason(to: size)).error(path: path, packet: packetsRead + 1)
    }

    /// A copy of `data` with its pseudo-header in this host's byte order (`PseudoHeaderByteOrder`).
    private mutating func swapPseudoHeader(_ data: UnsafeRawBufferPointer, wireLength: UInt32) -> UnsafeRawBufferPointer {
        PseudoHeaderByteOrder.swappedCopy(data, linkType: linkType, wireLength: wireLength, scratch: &scratch)
    }
}
