import FlowcastCapture
import FlowcastTestSupport
import Foundation
import Testing

/// The in-place readers against libpcap itself: the same packets, and where libpcap stops, the
/// same packet, the same kind of fault and libpcap's own words. (libpcap clips a record longer
/// than the snapshot length, where Flowcast keeps it whole; and it refuses a pcapng whose
/// interfaces differ in link type or snapshot length, where Flowcast reads on.)
@Suite("In-place readers against libpcap")
struct LibpcapReferenceTests {
    struct Outcome {
        var records: [LibpcapReference.Record] = []
        var error: CaptureError?
    }

    func readInPlace(_ path: String, mapFile: Bool = true) -> Outcome {
        var outcome = Outcome()
        do {
            let capture = try OfflineCapture(path: path, mapFile: mapFile)
            try capture.forEachPacket { p in
                outcome.records.append(.init(seconds: p.timestampSeconds, fraction: p.timestampFraction,
                                             wireLength: p.wireLength, bytes: p.copyBytes()))
            }
        } catch {
            outcome.error = error as? CaptureError
        }
        return outcome
    }

    /// The reason, the packet (0 at opening) and whether it is a truncation.
    func parts(_ error: CaptureError) -> (reason: String, packet: Int, truncated: Bool)? {
        switch error {
        case let .truncatedRecord(_, packet, reason): return (reason, packet, true)
        case let .corrupt(_, packet, reason): return (reason, packet ?? 0, false)
        case let .unsupportedVersion(_, reason): return (reason, 0, false)
        default: return nil
        }
    }

    func compare(_ path: String, _ label: String) {
        let reference = LibpcapReference.read(path: path)
        for mapFile in [true, false] {
            let ours = readInPlace(path, mapFile: mapFile)
            let mixed = reference.refusal?.hasPrefix("an interface has a") ?? false
            #expect(ours.records.count >= reference.records.count, "\(label)")
            for (mine, theirs) in zip(ours.records, reference.records) {
                // Whole where libpcap clips at the snapshot length: compare libpcap's part.
                #expect(Array(mine.bytes.prefix(theirs.bytes.count)) == theirs.bytes, "\(label)")
                #expect(mine.seconds == theirs.seconds && mine.fraction == theirs.fraction, "\(label)")
                #expect(mine.wireLength == theirs.wireLength, "\(label)")
            }
            guard !mixed else { continue }
            #expect(ours.records.count == reference.records.count, "\(label)")
            if let error = ours.error, ours.records.isEmpty, let (_, packet, _) = parts(error), packet == 0 {
                continue  // Flowcast's own header checks refuse at opening (as tshark does) before libpcap is asked
            }
            guard let refusal = reference.refusal else {
                #expect(ours.error == nil, "\(label): \(String(describing: ours.error))")
                continue
            }
            guard let error = ours.error, let (reason, packet, truncated) = parts(error) else {
                Issue.record("\(label): libpcap refuses (\(refusal)), Flowcast reads on: \(String(describing: ours.error))")
                continue
            }
            #expect(reason == refusal, "\(label)")
            #expect(packet == reference.records.count + 1, "\(label)")
            #expect(truncated == refusal.hasPrefix("truncated"), "\(label)")
        }
    }

    func write(_ bytes: [UInt8], suffix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-ref-\(UUID().uuidString).\(suffix)")
        try Data(bytes).write(to: url)
        return url
    }

    @Test("every capture with an oracle reads as libpcap reads it")
    func oracleCaptures() {
        let captures = Fixtures.oracleCaptures()
        #expect(captures.count >= 88)
        for capture in captures { compare(capture.url.path, capture.name) }
    }

    @Test("cut and corrupted pcap files, in both byte orders, stop where libpcap stops and say what it says",
          arguments: ["dhcp-flood.pcap", "nsec-big-endian.pcap", "ss7-isup.pcap"])
    func damagedPcap(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.captures.appendingPathComponent("real/\(name)")))
        let big = bytes[0] == 0xA1
        func put32(_ file: inout [UInt8], _ at: Int, _ value: UInt32) {
            for i in 0..<4 { file[at + i] = UInt8(truncatingIfNeeded: big ? value >> (24 - 8 * i) : value >> (8 * i)) }
        }
        var variants: [[UInt8]] = []
        for length in stride(from: 24, through: bytes.count, by: max(1, bytes.count / 150)) { variants.append(Array(bytes.prefix(length))) }
        func get32(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for i in 0..<4 { value |= UInt32(bytes[at + i]) << (big ? 24 - 8 * i : 8 * i) }
            return value
        }
        let first = 24 + 16 + Int(get32(32))
        for caplen: UInt32 in [0x000F_FFFF, 300_000, 0xFFFF_FFFF] {  // beyond any maximum, beyond the snapshot, absurd
            var file = bytes; put32(&file, first + 8, caplen); variants.append(file)
        }
        var clipped = bytes  // a small snapshot length: records beyond it are clipped or kept whole
        put32(&clipped, 16, 64)
        variants.append(clipped)
        variants.append(Array(clipped.prefix(first + 16 + 30)))
        variants.append(Array(clipped.prefix(first + 16 + 70)))
        for (i, variant) in variants.enumerated() {
            let url = try write(variant, suffix: "pcap")
            defer { try? FileManager.default.removeItem(at: url) }
            compare(url.path, "\(name) variant \(i)")
        }
    }

    @Test("cut and corrupted pcapng files stop where libpcap stops and say what it says",
          arguments: ["vlan-qinq-8021ad.pcapng", "gtpv1c-pdp-ctx-messages.pcapng", "pcapng-multi-interface.pcapng",
                     "pcapng-example-comments.pcapng"])
    func damagedPcapng(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.captures.appendingPathComponent("real/\(name)")))
        var variants: [[UInt8]] = []
        for length in stride(from: 16, through: bytes.count, by: max(1, bytes.count / 200)) { variants.append(Array(bytes.prefix(length))) }
        var at = 0
        var blocks: [Int] = []
        while at + 12 <= bytes.count {
            blocks.append(at)
            let length = Int(bytes[at + 4]) | Int(bytes[at + 5]) << 8 | Int(bytes[at + 6]) << 16 | Int(bytes[at + 7]) << 24
            guard length >= 12 else { break }
            at += length
        }
        for at in blocks.prefix(8) {
            for (offset, value) in [(4, UInt8(0x01)), (7, 0x7F), (8, 0x03), (12, 0x40), (16, 0x09), (21, 0x40), (24, 0xFF)] where at + offset < bytes.count {
                var file = bytes; file[at + offset] ^= value; variants.append(file)
            }
        }
        for (i, variant) in variants.enumerated() {
            let url = try write(variant, suffix: "pcapng")
            defer { try? FileManager.default.removeItem(at: url) }
            compare(url.path, "\(name) variant \(i)")
        }
    }

    @Test("a pcapng block larger than the read buffer reads the same mapped, buffered and through libpcap")
    func blockLargerThanBuffer() throws {
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var file = le32(0x0A0D_0D0A) + le32(28) + le32(0x1A2B_3C4D) + le16(1) + le16(0) + [UInt8](repeating: 0xFF, count: 8) + le32(28)
        file += le32(1) + le32(20) + le16(1) + le16(0) + le32(0) + le32(20)
        let frame = [UInt8](repeating: 0xAB, count: 60)
        for packet in 0..<3 {
            // Comments of 65,532 bytes each push the middle block past 2 MiB.
            let comments = packet == 1 ? 33 : 0
            let options = comments * (4 + 65_532)
            let total = 12 + 20 + frame.count + options
            file += le32(6) + le32(total) + le32(0) + le32(0) + le32(1_000_000 + packet) + le32(frame.count) + le32(frame.count) + frame
            for _ in 0..<comments { file += le16(1) + le16(65_532) + [UInt8](repeating: 0x41, count: 65_532) }
            file += le32(total)
        }
        let url = try write(file, suffix: "pcapng")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(LibpcapReference.read(path: url.path).records.count == 3)
        compare(url.path, "large block")
    }

    /// A little-endian pcapng file rewritten big-endian: block headers and trailers, the section
    /// header, interface descriptions with their option headers and `if_tsoffset`, and the fixed
    /// fields of enhanced packet blocks (what a reader parses).
    func bigEndian(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        func swap(_ at: Int, _ width: Int) { out[at..<(at + width)].reverse() }
        func le(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func options(from start: Int, to end: Int) {
            var at = start
            while at + 4 <= end {
                let code = Int(bytes[at]) | Int(bytes[at + 1]) << 8, length = Int(bytes[at + 2]) | Int(bytes[at + 3]) << 8
                swap(at, 2); swap(at + 2, 2)
                if code == 0 || at + 4 + length > end { break }
                if code == 14, length == 8 { swap(at + 4, 8) }
                at += 4 + (length + 3) & ~3
            }
        }
        var at = 0
        while at + 12 <= bytes.count {
            let type = le(at), length = le(at + 4)
            guard length >= 12, at + length <= bytes.count else { break }
            swap(at, 4); swap(at + 4, 4); swap(at + length - 4, 4)
            switch type {
            case 0x0A0D_0D0A: swap(at + 8, 4); swap(at + 12, 2); swap(at + 14, 2); swap(at + 16, 8); options(from: at + 24, to: at + length - 4)
            case 1: swap(at + 8, 2); swap(at + 12, 4); options(from: at + 16, to: at + length - 4)
            case 6: for field in 0..<5 { swap(at + 8 + 4 * field, 4) }
            default: break
            }
            at += length
        }
        return out
    }

    @Test("big-endian pcapng files, whole and cut, read as libpcap reads them",
          arguments: ["vlan-qinq-8021ad.pcapng", "pcapng-multi-interface.pcapng", "pcapng-example-comments.pcapng"])
    func bigEndianPcapng(_ name: String) throws {
        let little = [UInt8](try Data(contentsOf: Fixtures.captures.appendingPathComponent("real/\(name)")))
        let big = bigEndian(little)
        let whole = try write(big, suffix: "pcapng")
        defer { try? FileManager.default.removeItem(at: whole) }
        let reference = LibpcapReference.read(path: whole.path)
        #expect(!reference.records.isEmpty, "\(String(describing: reference.refusal))")
        let same = readInPlace(whole.path).records, original = readInPlace(Fixtures.captures.appendingPathComponent("real/\(name)").path).records
        #expect(same == original)
        for length in stride(from: 16, through: big.count, by: max(1, big.count / 100)) {
            let url = try write(Array(big.prefix(length)), suffix: "pcapng")
            defer { try? FileManager.default.removeItem(at: url) }
            compare(url.path, "\(name) big-endian cut at \(length)")
        }
        compare(whole.path, "\(name) big-endian")
    }
}
