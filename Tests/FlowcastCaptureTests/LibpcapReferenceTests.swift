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
        // libpcap refuses a pcap version after 2.4 at opening; tshark, and so the readers, read it as 2.4.
        if reference.records.isEmpty, reference.refusal?.hasPrefix("unsupported pcap savefile version") == true { return }
        // libpcap refuses a pcapng file that ends before any interface description; tshark reads
        // it (no packets, its custom blocks as records), and so do the readers.
        if reference.records.isEmpty, reference.refusal == "the capture file has no Interface Description Blocks" {
            for mapFile in [true, false] {
                let ours = readInPlace(path, mapFile: mapFile)
                #expect(ours.error == nil && ours.records.isEmpty, "\(label): \(String(describing: ours.error))")
            }
            return
        }
        for mapFile in [true, false] {
            let ours = readInPlace(path, mapFile: mapFile)
            let mixed = reference.refusal?.hasPrefix("an interface has a") ?? false
            // tshark's file reader checks a few link types' pseudo-headers, which libpcap does
            // not (WiretapPseudoHeader): the readers stop where tshark does, at a record libpcap
            // hands over, and agree with libpcap before it.
            if let error = ours.error, case let .corrupt(_, packet?, reason) = error,
               reason.contains("pseudo-header") || reason.contains("sll_protocol") {
                #expect(packet == ours.records.count + 1 && reference.records.count > ours.records.count, "\(label)")
                for (mine, theirs) in zip(ours.records, reference.records) {
                    #expect(mine.bytes == theirs.bytes && mine.wireLength == theirs.wireLength, "\(label)")
                }
                continue
            }
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
        let url = Scratch.root.appendingPathComponent("flowcast-ref-\(UUID().uuidString).\(suffix)")
        try Data(bytes).write(to: url)
        return url
    }

    @Test("every capture with an oracle reads as libpcap reads it")
    func oracleCaptures() {
        let captures = Fixtures.oracleCaptures()
        #expect(captures.count >= 88)
        for capture in captures where capture.readsAsLibpcap { compare(capture.url.path, capture.name) }
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

    /// A big-endian pcap file of `linkType` holding `packets`.
    func bigEndianPcap(linkType: UInt32, _ packets: [[UInt8]]) -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
        var file = be32(0xA1B2_C3D4) + [0, 2, 0, 4] + be32(0) + be32(0) + be32(65_535) + be32(linkType)
        for (i, packet) in packets.enumerated() {
            file += be32(1_000 + UInt32(i)) + be32(5) + be32(UInt32(packet.count)) + be32(UInt32(packet.count) + 4) + packet
        }
        return file
    }

    @Test("pseudo-headers written in the other byte order are turned round as libpcap turns them",
          arguments: [113, 276, 117, 189, 220, 239] as [UInt32])
    func pseudoHeaders(_ linkType: UInt32) throws {
        let pattern = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        var packets: [[UInt8]] = []
        switch linkType {
        case 113:  // Linux cooked: CAN, CAN FD, CAN XL, IPv4 behind the protocol field
            for proto: [UInt8] in [[0, 0x0C], [0, 0x0D], [0, 0x0E], [0x08, 0]] { packets.append(Array(pattern[0..<14]) + proto + Array(pattern[16..<40])) }
        case 276:
            for proto: [UInt8] in [[0, 0x0C], [0, 0x0D], [0, 0x0E], [0x08, 0]] { packets.append(proto + Array(pattern[2..<44])) }
        case 117:  // pflog header lengths that reach each field, and one that reaches none
            for length: UInt8 in [61, 50, 45, 40] { packets.append([length] + Array(pattern[1..<80])) }
        case 189, 220:  // isochronous (transfer type 0) with descriptors, and bulk
            var iso = Array(pattern[0..<160]); iso[9] = 0
            iso[60...63] = [0, 0, 0, 3]  // three descriptors (big-endian)
            var bulk = Array(pattern[0..<100]); bulk[9] = 3
            packets = [iso, bulk]
        default:  // NFLOG: version 0 with TLVs, and an unknown version
            packets = [[2, 0, 0, 0, 0, 8, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD, 0, 5, 0, 2, 0x11, 0x22, 0x33, 0],
                       [2, 1, 0, 0, 0, 8, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD]]
        }
        // Every packet also cut short, inside the pseudo-header.
        packets += packets.flatMap { packet in stride(from: 1, to: min(packet.count, 70), by: 5).map { Array(packet.prefix($0)) } }
        let url = try write(bigEndianPcap(linkType: linkType, packets), suffix: "pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let reference = LibpcapReference.read(path: url.path)
        #expect(reference.refusal == nil && reference.records.count == packets.count)
        #expect(reference.records.map(\.bytes) != packets, "libpcap turned nothing round: the test shows nothing")
        for mapFile in [true, false] {
            #expect(readInPlace(url.path, mapFile: mapFile).records == reference.records)
        }
    }

    @Test("memory-mapped USB captures get libpcap's corrected wire length", arguments: [false, true])
    func usbMappedLength(_ bigEndian: Bool) throws {
        func bytes32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: bigEndian ? v >> (24 - 8 * $0) : v >> (8 * $0)) } }
        /// A completion event of an incoming isochronous transfer whose wire length was computed
        /// from the URB length, with descriptors (offset, length), some payload, cut by `cut` bytes.
        func event(urb: UInt32, descriptors: [(UInt32, UInt32)], payload: Int, dataFlag: UInt8 = 0,
                   endpoint: UInt8 = 0x81, cut: Int = 0) -> (bytes: [UInt8], wire: UInt32) {
            var packet = [UInt8](repeating: 0, count: 64)
            packet[8] = UInt8(ascii: "C"); packet[9] = 0; packet[10] = endpoint; packet[15] = dataFlag
            packet.replaceSubrange(32..<36, with: bytes32(urb))
            packet.replaceSubrange(60..<64, with: bytes32(UInt32(descriptors.count)))
            for (offset, length) in descriptors { packet += bytes32(0) + bytes32(offset) + bytes32(length) + bytes32(0) }
            packet += [UInt8](repeating: 0x5A, count: payload)
            return (Array(packet.dropLast(cut)), 64 + UInt32(descriptors.count) * 16 + urb)
        }
        let events = [
            event(urb: 3000, descriptors: [(0, 100), (1000, 200), (500, 0)], payload: 40),
            event(urb: 10, descriptors: [(0, 4), (8, 4)], payload: 300),
            event(urb: 3000, descriptors: [(0, 100), (1000, 200)], payload: 40, dataFlag: 1),
            event(urb: 3000, descriptors: [(0, 100), (1000, 200)], payload: 40, endpoint: 0x01),
            event(urb: 3000, descriptors: [(0, 100), (1000, 200), (4000, 8)], payload: 0, cut: 16),
        ]
        var file: [UInt8] = bigEndian ? [0xA1, 0xB2, 0xC3, 0xD4, 0, 2, 0, 4] : [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0]
        file += bytes32(0) + bytes32(0) + bytes32(65_535) + bytes32(220)
        for (packet, wire) in events {
            file += bytes32(1) + bytes32(2) + bytes32(UInt32(packet.count)) + bytes32(wire) + packet
        }
        let url = try write(file, suffix: "pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let reference = LibpcapReference.read(path: url.path)
        #expect(reference.refusal == nil && reference.records.count == events.count)
        #expect(reference.records.map(\.wireLength) != events.map { Int($0.wire) }, "libpcap corrected nothing: the test shows nothing")
        for mapFile in [true, false] {
            #expect(readInPlace(url.path, mapFile: mapFile).records == reference.records)
        }
    }
}
