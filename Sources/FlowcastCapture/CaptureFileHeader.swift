internal import FlowcastCore
internal import Foundation

/// What the first bytes of a capture file say about it, checked before libpcap sees the file so
/// that refusals carry a precise, typed reason (libpcap's own messages are kept as the detail).
struct CaptureFileHeader {
    var format: CaptureFormat
    /// pcap only: the LINKTYPE_ from the file header (lower 16 bits).
    var linkType: LinkType?
    /// pcap only: Kuznetsov's modified format (magic 0xA1B2CD34, 24-byte record headers).
    var modified = false

    static let pcapMicro: UInt32 = 0xA1B2_C3D4
    static let pcapNano: UInt32 = 0xA1B2_3C4D
    static let pcapModified: UInt32 = 0xA1B2_CD34
    static let pcapngBlock: UInt32 = 0x0A0D_0D0A
    static let pcapngByteOrder: UInt32 = 0x1A2B_3C4D

    /// Reads the header of `path`; errors name `name` (the file the user gave, when `path` is a
    /// compressed file's inflated copy).
    static func read(path: String, named name: String? = nil) throws(CaptureError) -> CaptureFileHeader {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw .missingFile(path: path, reason: reason)
        }
        defer { try? handle.close() }
        let head: Data?
        do { head = try handle.read(upToCount: 28) } catch {
            // A folder opens for reading and fails here (EISDIR); it read as an empty file.
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw .notACapture(path: path, reason: "a folder, not a file")
            }
            throw .missingFile(path: path, reason: error.localizedDescription)
        }
        return try parse([UInt8](head ?? Data()), path: name ?? path)
    }

    static func parse(_ head: [UInt8], path: String) throws(CaptureError) -> CaptureFileHeader {
        if head.isEmpty { throw .notACapture(path: path, reason: "the file is empty") }
        guard head.count >= 4 else {
            throw .notACapture(path: path, reason: "only \(head.count) bytes, too short for a magic number")
        }
        func u32(_ at: Int, big: Bool) -> UInt32 {
            let b = (UInt32(head[at]), UInt32(head[at + 1]), UInt32(head[at + 2]), UInt32(head[at + 3]))
            return big ? (b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3) : (b.3 << 24 | b.2 << 16 | b.1 << 8 | b.0)
        }
        func u16(_ at: Int, big: Bool) -> UInt16 {
            big ? UInt16(head[at]) << 8 | UInt16(head[at + 1]) : UInt16(head[at + 1]) << 8 | UInt16(head[at])
        }
        let magicBE = u32(0, big: true)
        let magicLE = u32(0, big: false)
        if magicBE == pcapngBlock {
            guard head.count >= 16 else {
                throw .truncatedRecord(path: path, packet: 0, reason: "section header block cut at \(head.count) bytes")
            }
            let bom = u32(8, big: false)
            let big: Bool
            if bom == pcapngByteOrder { big = false } else if bom == pcapngByteOrder.byteSwapped { big = true } else {
                throw .corrupt(path: path, packet: nil, reason: "pcapng byte-order magic is 0x\(String(bom, radix: 16))")
            }
            let major = u16(12, big: big), minor = u16(14, big: big)
            guard major == 1 else {
                throw .unsupportedVersion(path: path, reason: "pcapng section header version \(major).\(minor)")
            }
            return CaptureFileHeader(format: .pcapng, linkType: nil)
        }
        let candidates: [(UInt32, Bool)] = [(magicLE, false), (magicBE, true)]
        for (magic, big) in candidates where magic == pcapMicro || magic == pcapNano || magic == pcapModified {
            guard head.count >= 24 else {
                throw .truncatedRecord(path: path, packet: 0, reason: "pcap file header cut at \(head.count) of 24 bytes")
            }
            let major = u16(4, big: big), minor = u16(6, big: big)
            // tshark reads any version from 2.0 on as 2.4 (libpcap refuses those after 2.4).
            guard major >= 2 else {
                throw .unsupportedVersion(path: path, reason: "pcap version \(major).\(minor) (versions before 2.0 are not read)")
            }
            let snaplen = u32(16, big: big)
            let network = u32(20, big: big)
            // Bits 16–25 are reserved and must be zero; bits 26–31 carry the FCS length.
            let reserved = network & 0x03FF_0000
            guard reserved == 0 else {
                throw .corrupt(path: path, packet: nil,
                               reason: "link-type reserved bits are not zero (0x\(String(reserved, radix: 16, uppercase: false)))")
            }
            return CaptureFileHeader(
                format: .pcap(nanosecond: magic == pcapNano, bigEndian: big, major: major, minor: minor, snaplen: snaplen),
                linkType: LinkType(rawValue: network & 0xFFFF), modified: magic == pcapModified)
        }
        let shown = head.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
        throw .notACapture(path: path, reason: "unknown magic number \(shown)")
    }
}
