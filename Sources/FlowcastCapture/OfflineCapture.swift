public import FlowcastCore
internal import CPcap
internal import Foundation

/// Reads a pcap or pcapng file, with nanosecond timestamps.
///
/// The extension of the file is never trusted: the magic number decides, and chooses the reader
/// (`PcapReader` or `PcapngReader`). libpcap opens and validates every file first; the reader
/// then reads the records in place, from a memory mapping or, with `mapFile: false`, through a
/// buffer.
public final class OfflineCapture {
    /// The file being read.
    public let path: String
    /// pcap or pcapng, with the pcap header's details.
    public let format: CaptureFormat
    /// Link types seen in the file header or interface descriptions, in order of first use.
    public var linkTypes: [LinkType] { reader.linkTypes }
    /// libpcap's snapshot length for the file: a pcap file's, or a pcapng file's first interface's
    /// (0 or more than the link type's maximum reads as that maximum).
    public var snapshotLength: Int { reader.snapshot }
    /// Packets read from the file so far, as of the last `forEachPacket` to return (the count
    /// lives in the reader's loop, not in this object, while packets are handed out). With a
    /// filter this includes the packets it skipped: `packetsRead - packetsFiltered` were handed out.
    public var packetsRead: Int { reader.packetsRead }
    /// The BPF filter packets must pass to be handed out (nil: every packet is).
    public let filter: CaptureFilter?
    /// Packets the filter skipped so far, as of the last `forEachPacket` to return.
    public private(set) var packetsFiltered = 0
    /// The link types of the records a filter skipped, in the order first met: with the link
    /// types of the packets handed out, the link types in use in the file.
    public private(set) var filteredLinkTypes: [LinkType] = []
    /// Size of the file in bytes (for progress); of the capture inside, for a compressed file.
    public let fileSize: Int64
    /// True when the file is compressed with gzip (`GzipCapture`): read as the capture inside.
    public let compressed: Bool
    /// Why the compressed stream ended before its end, when it did: the read ends there.
    private let compressionFault: String?
    /// A compressed file's inflated copy, kept open while the readers may reopen it.
    private let inflated: InflatedCapture?
    /// True when records are read in place from a memory mapping rather than through a buffer.
    public var readsInPlace: Bool { reader.readsInPlace }

    /// One case per format and byte source, so the per-packet loop is specialised, never an
    /// existential.
    private enum Reader {
        case pcap(PcapReader<MappedCaptureFile>)
        case pcapBuffered(PcapReader<BufferedCaptureFile>)
        case pcapng(PcapngReader<MappedCaptureFile>)
        case pcapngBuffered(PcapngReader<BufferedCaptureFile>)

        var base: any CaptureReader {
            switch self {
            case let .pcap(r): return r
            case let .pcapBuffered(r): return r
            case let .pcapng(r): return r
            case let .pcapngBuffered(r): return r
            }
        }
        var linkTypes: [LinkType] { base.linkTypes }
        var packetsRead: Int { base.packetsRead }
        var readsInPlace: Bool { base.readsInPlace }
        /// libpcap's snapshot length for the file (a pcapng file's first interface's).
        var snapshot: Int {
            switch self {
            case let .pcap(r): return r.snapshot
            case let .pcapBuffered(r): return r.snapshot
            case let .pcapng(r): return r.snapshot
            case let .pcapngBuffered(r): return r.snapshot
            }
        }
        /// What a filter sees of a record at most: libpcap clips a pcap record at the snapshot
        /// length where `PcapReader` keeps it whole, and tcpdump's filter sees what libpcap hands over.
        var filterLength: Int {
            switch self {
            case .pcap, .pcapBuffered: return snapshot
            case .pcapng, .pcapngBuffered: return Int.max
            }
        }
    }
    private var reader: Reader
    /// A pcapng file's current section's interface names (none for pcap), kept by its reader.
    private let interfaceNames: InterfaceNameTable?

    /// The name of the interface a packet of the current section came on (`Packet.interfaceIndex`;
    /// pcapng `if_name`, as tshark's `frame.interface_name`), or nil when it has none. Valid
    /// while the packet is being handed out.
    public func interfaceName(at index: Int) -> String? {
        guard let names = interfaceNames?.names, index >= 0, index < names.count else { return nil }
        return names[index]
    }

    /// Opens `path`. Throws a `CaptureError` saying exactly why a file cannot be read.
    /// `mapFile: false` reads through a buffer instead of a memory mapping: for a file that may
    /// shrink or be rotated while it is read (a mapping would fault).
    ///
    /// `filter`: a BPF expression (tcpdump's syntax); only packets that pass it are handed out,
    /// keeping their numbers in the file, and the others are counted in `packetsFiltered`. It is
    /// compiled here for the link types the file declares up front, so a bad expression throws
    /// `.badFilter` (libpcap's message) before any packet is read.
    /// `records`: hand out a pcapng file's custom blocks (copyable or not) too, as tshark lists them
    /// (`Packet.record`: no link layer, no time); they are numbered either way.
    /// `inflated`: the file already inflated (`InflatedCapture.ifCompressed`), by a caller that
    /// reads it more than once; without it a gzip file is inflated here.
    public init(path: String, mapFile: Bool = true, filter: String? = nil, records: Bool = false,
                inflated given: InflatedCapture? = nil) throws(CaptureError) {
        self.path = path
        // A gzip file is read as the capture inside it, inflated into a temporary file without
        // a name, held open while this capture lives.
        let inflated: InflatedCapture?
        if let given, given.path == path { inflated = given } else { inflated = try InflatedCapture.ifCompressed(path: path) }
        self.inflated = inflated
        let source = inflated?.source ?? path
        compressed = inflated?.compressed ?? false
        compressionFault = inflated?.fault
        var status = stat()  // stat, not lstat: a compressed file's source is a /proc/self/fd link
        fileSize = stat(source, &status) == 0 ? Int64(status.st_size) : 0
        let header: CaptureFileHeader
        do throws(CaptureError) {
            header = try CaptureFileHeader.read(path: source, named: path)
        } catch {
            // A gzip stream that ended or broke before the capture's file header was whole: said
            // as that, not as what the few inflated bytes look like ("the file is empty").
            guard let fault = compressionFault, case .notACapture = error else { throw error }
            throw .corrupt(path: path, packet: nil, reason: "\(fault) before the capture's file header was whole ("
                + (fileSize == 0 ? "nothing was inflated)" : "\(fileSize) byte\(fileSize == 1 ? "" : "s") inflated)"))
        }
        format = header.format
        var reader = try Self.makeReader(path: path, source: source, header: header, mapFile: mapFile)
        if records {
            switch reader {
            case var .pcapng(r): r.deliversRecords = true; reader = .pcapng(r)
            case var .pcapngBuffered(r): r.deliversRecords = true; reader = .pcapngBuffered(r)
            case .pcap, .pcapBuffered: break
            }
        }
        if let unknown = reader.linkTypes.first(where: { !$0.hasDissector }) {
            reader.base.close()
            throw .unsupportedLinkType(path: path, linkType: unknown)
        }
        if let filter {
            do throws(CaptureError) {
                self.filter = try CaptureFilter(expression: filter, linkTypes: reader.linkTypes, savefile: source)
            } catch {
                reader.base.close()
                throw error
            }
        } else {
            self.filter = nil
        }
        switch reader {
        case let .pcapng(r): interfaceNames = r.names
        case let .pcapngBuffered(r): interfaceNames = r.names
        case .pcap, .pcapBuffered: interfaceNames = nil
        }
        self.reader = reader
    }

    /// The reader for the file's format, over a mapping or a buffer, once libpcap has accepted
    /// the file.
    /// `source` is the file read (`path` itself, or a compressed file's inflated copy); errors name `path`.
    private static func makeReader(path: String, source: String, header: CaptureFileHeader, mapFile: Bool) throws(CaptureError) -> Reader {
        let opened = LibpcapValidation(path: source, format: header.format)
        let mapped = mapFile ? MappedCaptureFile(path: source) : nil
        let buffered = mapped == nil ? BufferedCaptureFile(path: source) : nil
        guard mapped != nil || buffered != nil else {
            throw .missingFile(path: path, reason: "cannot open for reading")
        }
        switch header.format {
        case .pcap:
            guard case let .accepted(dlt, snapshot) = opened else {
                mapped?.close(); buffered?.close()
                throw .corrupt(path: path, packet: nil, reason: opened.message)
            }
            // A pcap file header names its LINKTYPE_ directly; libpcap answers in DLT_ numbers.
            let linkType = header.linkType.map { LinkType(dlt: Int32($0.rawValue)) } ?? LinkType(dlt: dlt)
            if let mapped {
                return .pcap(PcapReader(bytes: mapped, path: path, header: header.format, linkType: linkType,
                                        dlt: dlt, snapshot: snapshot, modified: header.modified))
            }
            return .pcapBuffered(PcapReader(bytes: buffered!, path: path, header: header.format, linkType: linkType,
                                            dlt: dlt, snapshot: snapshot, modified: header.modified))
        case .pcapng:
            // libpcap's refusal decides whether the file opens; the file's own structure says
            // which kind of fault it is (libpcap's words are kept as the reason).
            let (dlt, snapshot) = opened.accepted ?? (0, 0)
            let made: Reader
            do throws(PcapngOpenFault) {
                if let mapped {
                    made = .pcapng(try PcapngReader(bytes: mapped, path: path, dlt: dlt, snapshot: snapshot))
                } else {
                    made = .pcapngBuffered(try PcapngReader(bytes: buffered!, path: path, dlt: dlt, snapshot: snapshot))
                }
            } catch {
                mapped?.close(); buffered?.close()
                let refused = opened.accepted == nil
                switch error {
                case let .truncated(reason):
                    throw .truncatedRecord(path: path, packet: 0, reason: refused ? opened.message : reason)
                case let .unsupportedVersion(reason):
                    throw .unsupportedVersion(path: path, reason: refused ? opened.message : reason)
                case let .corrupt(reason):
                    throw .corrupt(path: path, packet: nil, reason: refused ? opened.message : reason)
                }
            }
            // libpcap refuses a file with no interface description before its end or its first
            // packet; tshark reads it (its custom blocks as records, then refuses the packet), and
            // so does the reader.
            guard opened.accepted != nil || made.base.linkTypes.isEmpty else {
                made.base.close()
                throw .corrupt(path: path, packet: nil, reason: opened.message)
            }
            return made
        }
    }

    deinit { reader.base.close() }

    /// Calls `body` once per packet, in file order, with a borrowed view of its bytes.
    ///
    /// Packets read before a fault are delivered before the fault is thrown. Errors thrown by
    /// `body` stop the read and propagate unchanged. With a filter, only the packets that pass
    /// it reach `body`.
    public func forEachPacket(_ body: (Packet) throws -> Void) throws {
        // Without a filter the readers call `body` directly: the hot path is unchanged.
        guard let filter else {
            guard compressionFault != nil else { return try forEachRecord(body) }
            return try naming(compressionFault) { try forEachRecord(body) }
        }
        var skipped = 0
        defer { packetsFiltered += skipped }
        let clip = reader.filterLength
        try naming(compressionFault) {
            try forEachRecord { packet in
                // A record that is not a packet matches no filter (tcpdump never sees one).
                if packet.linkType != .noLinkLayer, try filter.matches(packet, capturedLength: min(packet.capturedLength, clip)) {
                    try body(packet)
                } else {
                    skipped += 1
                    if packet.linkType != .noLinkLayer, !filteredLinkTypes.contains(packet.linkType) { filteredLinkTypes.append(packet.linkType) }
                }
            }
        }
    }

    /// A compressed stream that ended early (`fault`) ends the read after the last whole record
    /// inflated, as a cut capture does; a record it cut, or garbage it left, is put down to it.
    private func naming(_ fault: String?, _ read: () throws -> Void) throws {
        guard let fault else { return try read() }
        do {
            try read()
        } catch let error as CaptureError {
            switch error {
            case let .truncatedRecord(path, packet, reason), let .corrupt(path, packet?, reason):
                throw CaptureError.truncatedRecord(path: path, packet: packet, reason: "\(fault); then \(reason)")
            default: throw error
            }
        }
        throw CaptureError.truncatedRecord(path: path, packet: packetsRead + 1, reason: fault)
    }

    /// Every record of the file, through the reader of its format (specialised per case).
    private func forEachRecord(_ body: (Packet) throws -> Void) throws {
        switch reader {
        case var .pcap(r):
            defer { reader = .pcap(r) }
            try r.forEachPacket(body)
        case var .pcapBuffered(r):
            defer { reader = .pcapBuffered(r) }
            try r.forEachPacket(body)
        case var .pcapng(r):
            defer { reader = .pcapng(r) }
            try r.forEachPacket(body)
        case var .pcapngBuffered(r):
            defer { reader = .pcapngBuffered(r) }
            try r.forEachPacket(body)
        }
    }
}

/// libpcap's verdict on a capture file: it opens the file (header, and for pcapng the section
/// header and first interface) and is then closed; the in-place readers read the packets.
enum LibpcapValidation {
    case accepted(dlt: Int32, snapshot: Int)
    case refused(message: String)

    init(path: String, format: CaptureFormat) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let pcap = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            if case let .pcap(_, bigEndian, major, minor, _) = format, major > 2 || minor > 4,
               let asVersion24 = Self.asVersion24(path: path, bigEndian: bigEndian) {
                self = asVersion24
                return
            }
            self = .refused(message: String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            return
        }
        self = .accepted(dlt: pcap_datalink(pcap), snapshot: Int(pcap_snapshot(pcap)))
        pcap_close(pcap)
    }

    /// libpcap refuses a pcap file of a version after 2.4, which tshark reads as 2.4 (a test file
    /// of libpcap's own, pcap-invalid-version-2.pcap, is 2.5). libpcap is asked about the file's
    /// 24-byte header with the version set to 2.4, from memory, for the link type and snapshot
    /// length it would give.
    private static func asVersion24(path: String, bigEndian: Bool) -> LibpcapValidation? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard var head = try? handle.read(upToCount: 24).map(Array.init), head.count == 24 else { return nil }
        let (major, minor): (UInt16, UInt16) = bigEndian ? (UInt16(2).bigEndian, UInt16(4).bigEndian) : (UInt16(2).littleEndian, UInt16(4).littleEndian)
        withUnsafeBytes(of: major) { head[4] = $0[0]; head[5] = $0[1] }
        withUnsafeBytes(of: minor) { head[6] = $0[0]; head[7] = $0[1] }
        return head.withUnsafeMutableBytes { raw -> LibpcapValidation? in
            // pcap_fopen_offline takes the stream and closes it with the handle.
            guard let stream = fmemopen(raw.baseAddress, raw.count, "rb") else { return nil }
            var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
            guard let pcap = pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
                fclose(stream)
                return nil
            }
            defer { pcap_close(pcap) }
            return .accepted(dlt: pcap_datalink(pcap), snapshot: Int(pcap_snapshot(pcap)))
        }
    }

    var accepted: (dlt: Int32, snapshot: Int)? {
        if case let .accepted(dlt, snapshot) = self { return (dlt, snapshot) }
        return nil
    }

    var message: String {
        if case let .refused(message) = self { return message }
        return ""
    }
}
