internal import FlowcastCore
import FlowcastCapture
import FlowcastTestSupport
import Foundation
import Testing

/// The in-place reader of classic pcap files must deliver exactly what libpcap delivers.
@Suite("Mapped pcap reader")
struct MappedReaderTests {
    struct Record: Equatable {
        var number: Int, seconds: Int64, fraction: Int64, wireLength: Int, linkType: UInt32, bytes: [UInt8]
    }

    /// Every packet and the error (if any) the reader ends with.
    func read(_ path: String, mapFile: Bool) -> (records: [Record], error: String?) {
        var records: [Record] = []
        do {
            // Records too (pcapng custom blocks), so that every number the reader gives is seen.
            let capture = try OfflineCapture(path: path, mapFile: mapFile, records: true)
            try capture.forEachPacket { p in
                records.append(Record(number: p.number, seconds: p.timestampSeconds, fraction: p.timestampFraction,
                                      wireLength: p.wireLength, linkType: p.linkType.rawValue, bytes: p.copyBytes()))
            }
            #expect(capture.packetsRead == records.count)
            return (records, nil)
        } catch {
            return (records, "\(error)")
        }
    }

    /// Packet count, an FNV hash of every packet's length, time and bytes, and whether the
    /// capture was read in place.
    func fingerprint(_ path: String, mapFile: Bool) throws -> (Int, UInt64, Bool) {
        let capture = try OfflineCapture(path: path, mapFile: mapFile)
        let inPlace = capture.readsInPlace
        var count = 0
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        try capture.forEachPacket { p in
            count += 1
            h = (h ^ UInt64(p.wireLength) ^ UInt64(bitPattern: p.timestampNanoseconds)) &* 0x100_0000_01B3
            for b in p.bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        }
        return (count, h, inPlace)
    }

    @Test("every capture with an oracle reads the same mapped as through libpcap alone")
    func sameAsLibpcap() {
        let captures = Fixtures.oracleCaptures()
        #expect(captures.count >= 88)
        for capture in captures {
            let mapped = read(capture.url.path, mapFile: true)
            let plain = read(capture.url.path, mapFile: false)
            #expect(mapped.records == plain.records, "\(capture.name)")
            #expect(mapped.error == plain.error, "\(capture.name)")
        }
    }

    @Test("cut and corrupted pcap files read the same mapped as through libpcap alone")
    func damagedFiles() throws {
        let source = Fixtures.captures.appendingPathComponent("real/dhcp-flood.pcap")
        let bytes = [UInt8](try Data(contentsOf: source))
        var variants: [[UInt8]] = []
        // Cut at many lengths, including inside record headers and data.
        for length in stride(from: 24, through: bytes.count, by: 997) { variants.append(Array(bytes.prefix(length))) }
        // A captured length beyond the snapshot length, and one beyond the file, mid-file.
        var huge = bytes
        huge[24 + 8] = 0xFF; huge[24 + 9] = 0xFF; huge[24 + 10] = 0x0F
        variants.append(huge)
        var second = bytes
        let firstLength = Int(bytes[32]) | Int(bytes[33]) << 8
        let at = 24 + 16 + firstLength + 8
        second[at] = 0xF0; second[at + 1] = 0xFF
        variants.append(second)
        #expect(try OfflineCapture(path: source.path).readsInPlace)
        #expect(try !OfflineCapture(path: source.path, mapFile: false).readsInPlace)
        #expect(try compareVariants(variants, suffix: "pcap") == variants.count)
    }

    /// Writes each variant to a file and checks the mapped read equals libpcap's, packets and
    /// error alike; returns how many were compared.
    func compareVariants(_ variants: [[UInt8]], suffix: String) throws -> Int {
        var checked = 0
        for variant in variants {
            let url = Scratch.root.appendingPathComponent("flowcast-mapped-\(UUID().uuidString).\(suffix)")
            try Data(variant).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            let mapped = read(url.path, mapFile: true)
            let plain = read(url.path, mapFile: false)
            #expect(mapped.records == plain.records)
            #expect(mapped.error == plain.error)
            checked += 1
        }
        return checked
    }

    @Test("a capture large enough for the pager thread reads the same mapped as through libpcap")
    func largeFile() throws {
        let source = Fixtures.captures.appendingPathComponent("real/dhcp-flood.pcap")
        let bytes = [UInt8](try Data(contentsOf: source))
        try compareLarge(head: Array(bytes.prefix(24)), repeating: bytes[24...], suffix: "pcap", atLeast: 100_000)
    }

    /// Offsets of a little-endian pcapng file's blocks.
    func blockOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var at = 0
        while at + 12 <= bytes.count {
            offsets.append(at)
            let length = Int(bytes[at + 4]) | Int(bytes[at + 5]) << 8 | Int(bytes[at + 6]) << 16 | Int(bytes[at + 7]) << 24
            guard length >= 12 else { break }
            at += length
        }
        return offsets
    }

    @Test("cut and corrupted pcapng files read the same mapped as through libpcap alone",
          arguments: ["vlan-qinq-8021ad.pcapng", "gtpv1c-pdp-ctx-messages.pcapng"])
    func damagedPcapng(_ name: String) throws {
        let source = Fixtures.captures.appendingPathComponent("real/\(name)")
        let bytes = [UInt8](try Data(contentsOf: source))
        #expect(try OfflineCapture(path: source.path).readsInPlace)
        var variants: [[UInt8]] = []
        for length in stride(from: 28, through: bytes.count, by: 5) { variants.append(Array(bytes.prefix(length))) }
        // Each block's total length made odd, too large, or disagreeing with its trailer.
        for at in blockOffsets(bytes).dropFirst(2) {
            var odd = bytes; odd[at + 4] ^= 0x01; variants.append(odd)
            var huge = bytes; huge[at + 7] = 0x7F; variants.append(huge)
            var captured = bytes; captured[at + 21] ^= 0x40; variants.append(captured)
            var interface = bytes; interface[at + 8] = 3; variants.append(interface)
        }
        #expect(try compareVariants(variants, suffix: "pcapng") == variants.count)
    }

    @Test("a pcapng large enough for the pager thread reads the same mapped as through libpcap")
    func largePcapng() throws {
        let source = Fixtures.captures.appendingPathComponent("real/vlan-qinq-8021ad.pcapng")
        let bytes = [UInt8](try Data(contentsOf: source))
        let offsets = blockOffsets(bytes)
        // The section and interface blocks, then the packet blocks over and over.
        try compareLarge(head: Array(bytes[..<offsets[2]]), repeating: bytes[offsets[2]...], suffix: "pcapng", atLeast: 40_000)
    }

    /// Writes `head` then `repeating` until the file passes 72 MiB (large enough for the pager
    /// thread), and checks the mapped read equals libpcap's.
    func compareLarge(head: [UInt8], repeating body: ArraySlice<UInt8>, suffix: String, atLeast packets: Int) throws {
        var file = head
        file.reserveCapacity(72 << 20)
        while file.count < 72 << 20 { file.append(contentsOf: body) }
        let url = Scratch.root.appendingPathComponent("flowcast-large-\(UUID().uuidString).\(suffix)")
        try Data(file).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let mapped = try fingerprint(url.path, mapFile: true), plain = try fingerprint(url.path, mapFile: false)
        #expect(mapped.2 && !plain.2)
        #expect(mapped.0 == plain.0 && mapped.0 > packets)
        #expect(mapped.1 == plain.1)
    }
}
