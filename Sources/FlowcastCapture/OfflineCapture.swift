internal import CPcap
internal import Foundation

/// Reads a pcap or pcapng file through libpcap, with nanosecond timestamps.
///
/// The extension of the file is never trusted: the magic number decides. libpcap 1.10 refuses a
/// pcapng whose interfaces differ in link type or snapshot length; for those files only, Flowcast
/// falls back to its own `PcapngBlockReader`, so that every capture tshark reads, Flowcast reads.
public final class OfflineCapture {
    /// The file being read.
    public let path: String
    /// pcap or pcapng, with the pcap header's details.
    public let format: CaptureFormat
    /// Link types seen in the file header or interface descriptions, in order of first use.
    public private(set) var linkTypes: [LinkType]
    /// Packets handed to the caller so far.
    public private(set) var packetsRead = 0
    /// Size of the file in bytes (for progress).
    public let fileSize: Int64
    /// True when Flowcast's own pcapng reader is in use instead of libpcap.
    public var usesFallbackReader: Bool { fallback != nil }

    private var handle: OpaquePointer?
    private var fallback: PcapngBlockReader?
    /// True when records are read in place from a memory mapping (`MappedPcapRecords`).
    public var readsInPlace: Bool { mapped != nil || mappedBlocks != nil }
    /// The file mapped for reading records in place (`MappedPcapRecords`, `MappedPcapngBlocks`).
    private var mapped: MappedPcapRecords?
    private var mappedBlocks: MappedPcapngBlocks?
    private var libpcapLinkType = LinkType.ethernet

    /// Opens `path`. Throws a `CaptureError` saying exactly why a file cannot be read.
    /// `mapFile: false` reads every record through libpcap (the mapping is otherwise used for
    /// classic pcap files, see `MappedPcapRecords`).
    public init(path: String, mapFile: Bool = true) throws(CaptureError) {
        self.path = path
        let header = try CaptureFileHeader.read(path: path)
        format = header.format
        fileSize = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
        linkTypes = header.linkType.map { [$0] } ?? []

        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        if let pcap = Self.openWithLargeBuffer(path, &errbuf) {
            handle = pcap
            // pcap_datalink answers in DLT_ numbers; a pcap file header names its LINKTYPE_
            // directly, so prefer that where there is one.
            libpcapLinkType = header.linkType.map { LinkType(dlt: Int32($0.rawValue)) }
                ?? LinkType(dlt: pcap_datalink(pcap))
            linkTypes = [libpcapLinkType]
            if mapFile, case .pcap = format {
                mapped = MappedPcapRecords(path: path, format: format, linkType: header.linkType,
                                           snapshot: Int(pcap_snapshot(pcap)))
            } else if mapFile {
                mappedBlocks = MappedPcapngBlocks(path: path, format: format, libpcapLinkType: libpcapLinkType,
                                                  snapshot: Int(pcap_snapshot(pcap)))
            }
            return
        }
        let message = String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if format == .pcapng, Self.isMixedInterfaceRefusal(message) {
            let reader = try PcapngBlockReader(path: path)
            fallback = reader
            linkTypes = reader.interfaceLinkTypes
            return
        }
        throw Self.classify(openError: message, path: path)
    }

    deinit {
        if let handle { pcap_close(handle) }
        mapped?.mapping.unmap()
        mappedBlocks?.mapping.unmap()
    }

    /// Opens through a stdio stream with a 1 MiB buffer: libpcap's own `fopen` keeps glibc's 4 KiB
    /// default, which costs one `read` system call per 4 KiB (a million for a 4 GB capture).
    /// libpcap owns the stream once it accepts it and closes it with the handle.
    static func openWithLargeBuffer(_ path: String, _ errbuf: inout [CChar]) -> OpaquePointer? {
        guard let file = fopen(path, "rb") else {
            return pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf)
        }
        setvbuf(file, nil, _IOFBF, 1 << 20)
        if let pcap = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) {
            return pcap
        }
        fclose(file)
        return nil
    }

    /// libpcap's refusal of a pcapng with interfaces of different link types or snapshot lengths.
    static func isMixedInterfaceRefusal(_ message: String) -> Bool {
        message.contains("different from the type of the first interface")
            || message.contains("different from the snapshot length of the first interface")
            || message.contains("snapshot length")
    }

    static func classify(openError message: String, path: String) -> CaptureError {
        if message.contains("truncated") {
            return .truncatedRecord(path: path, packet: 0, reason: message)
        }
        if message.contains("unknown file format") || message.contains("bad dump file format") {
            return .notACapture(path: path, reason: message)
        }
        if message.contains("version") || message.contains("archaic") {
            return .unsupportedVersion(path: path, reason: message)
        }
        return .corrupt(path: path, packet: nil, reason: message)
    }

    /// Calls `body` once per packet, in file order, with a borrowed view of its bytes.
    ///
    /// Packets read before a fault are delivered before the fault is thrown. Errors thrown by
    /// `body` stop the read and propagate unchanged.
    public func forEachPacket(_ body: (Packet) throws -> Void) throws {
        if let fallback {
            try fallback.forEachPacket { packet in
                packetsRead = packet.number
                try body(packet)
            }
            return
        }
        guard let handle else { return }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let linkType = libpcapLinkType
        let snapshot = Int(pcap_snapshot(handle))
        var isPcap = false
        if case .pcap = format { isPcap = true }
        // File offset of the next pcap record, tracked without system calls; used only to
        // recover bytes libpcap drops (below).
        var recordOffset: Int64 = 24
        var recovered: [UInt8] = []
        // Well-formed records or blocks straight from the mapping; libpcap reads on from the
        // first that is not (or reports the truncation at the end of the file).
        func readInPlace(_ mapping: FileMapping, _ walk: (inout Int) throws -> Int) throws -> Bool {
            defer { mapping.unmap() }
            var number = packetsRead
            defer { packetsRead = number }
            let stop = try walk(&number)
            if stop >= mapping.size { return true }
            guard let file = pcap_file(handle), fseeko(file, off_t(stop), SEEK_SET) == 0 else {
                throw CaptureError.corrupt(path: path, packet: number + 1, reason: "cannot seek to offset \(stop)")
            }
            recordOffset = Int64(stop)
            return false
        }
        if let records = mapped {
            mapped = nil
            let first = Int(recordOffset)
            if try readInPlace(records.mapping, { try records.forEach(from: first, linkType: linkType, number: &$0, body) }) { return }
        } else if let blocks = mappedBlocks {
            mappedBlocks = nil
            if try readInPlace(blocks.mapping, { try blocks.forEach(number: &$0, body) }) { return }
        }
        while true {
            let status = pcap_next_ex(handle, &header, &data)
            if status == 1, let header, let data {
                packetsRead += 1
                let h = header.pointee
                let bytes = UnsafeRawBufferPointer(start: data, count: Int(h.caplen))
                if isPcap {
                    // libpcap clips a record longer than the file's snapshot length to that length
                    // and discards the rest; tshark keeps it. Re-read such rare records whole.
                    if Int(h.caplen) == snapshot && h.len > h.caplen,
                       let end = currentOffset(handle), end - recordOffset - 16 > Int64(h.caplen) {
                        recovered = readBytes(at: recordOffset + 16, count: Int(end - recordOffset - 16))
                        recordOffset = end
                    } else {
                        recordOffset += 16 + Int64(h.caplen)
                    }
                }
                if !recovered.isEmpty {
                    try recovered.withUnsafeBytes { raw in
                        try body(Packet(number: packetsRead, seconds: Int64(h.ts.tv_sec), fraction: Int64(h.ts.tv_usec),
                                        wireLength: clampedWireLength(h.len), bytes: raw, linkType: linkType))
                    }
                    recovered.removeAll()
                    continue
                }
                // With nanosecond precision requested, tv_usec holds nanoseconds.
                try body(Packet(number: packetsRead, seconds: Int64(h.ts.tv_sec), fraction: Int64(h.ts.tv_usec),
                                wireLength: clampedWireLength(h.len), bytes: bytes, linkType: linkType))
                continue
            }
            if status == PCAP_ERROR_BREAK { return }  // end of file
            let message = String(cString: pcap_geterr(handle))
            let number = packetsRead + 1
            if format == .pcapng, Self.isMixedInterfaceRefusal(message) {
                // libpcap met a second interface of another link type mid-file: continue with
                // Flowcast's own reader from the first packet libpcap did not deliver.
                let reader = try PcapngBlockReader(path: path)
                linkTypes = reader.interfaceLinkTypes
                let delivered = packetsRead
                try reader.forEachPacket { packet in
                    guard packet.number > delivered else { return }
                    packetsRead = packet.number
                    try body(packet)
                }
                return
            }
            if message.contains("truncated") {
                throw CaptureError.truncatedRecord(path: path, packet: number, reason: message)
            }
            throw CaptureError.corrupt(path: path, packet: number, reason: message)
        }
    }

    private func currentOffset(_ handle: OpaquePointer) -> Int64? {
        guard let file = pcap_file(handle) else { return nil }
        let position = ftello(file)
        return position >= 0 ? Int64(position) : nil
    }

    private func readBytes(at offset: Int64, count: Int) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            return [UInt8](try handle.read(upToCount: count) ?? Data())
        } catch {
            return []
        }
    }
}
