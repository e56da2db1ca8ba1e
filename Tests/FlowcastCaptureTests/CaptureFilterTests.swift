import FlowcastCapture
import FlowcastCore
import FlowcastTestSupport
import Foundation
import Testing

/// `OfflineCapture(filter:)` against libpcap's own filtering: the program libpcap compiles on the
/// file's own handle, run on each packet as libpcap hands it over (pseudo-headers turned round,
/// records clipped at the snapshot length), which is what tcpdump does.
@Suite("Capture filters against libpcap")
struct CaptureFilterTests {
    /// (capture, expression) pairs taken from what the captures hold: GTP-U, VLAN, IPv6, Linux
    /// cooked, nanosecond big-endian, raw IP, pcapng with two interfaces, BSD loopback.
    static let cases: [(String, String)] = [
        ("gtpv1-gn-gtpu-ipv4-inner-frag.pcap", "udp port 2152"),
        ("gtpu-ipv4-inner-mixed.pcap", "src host 192.168.40.179 and udp port 2152"),
        ("vlan-http.pcap", "vlan"),
        ("vlan-http.pcap", "vlan and tcp dst port 80"),
        ("vlan-qinq-8021q.pcap", "vlan and vlan"),
        ("ftp-ipv6.pcap", "ip6 and tcp src port 21"),
        ("sll-linux-cooked-capture.pcap", "tcp"),
        ("sll-linux-cooked-capture.pcap", "ip6 or arp"),
        ("nsec-big-endian.pcap", "tcp[tcpflags] & tcp-fin != 0"),
        ("linktype-raw-ipv4.pcap", "ip"),
        ("pcapng-multi-interface.pcapng", "udp port 53 and host 1.1.1.1"),
        ("dhcp-flood.pcap", "udp dst port 67"),
        ("mixed-traffic-example.pcap", "host 10.0.0.6 and not net 212.199.202.0/24"),
        // BSD loopback: libpcap tests a file for every BSD AF_INET6 value (24, 28, 30), a handle
        // of pcap_open_dead for this host's (10) only, so these passed nothing before.
        ("null-loopback.pcap", "ip6"),
        ("null-loopback.pcap", "tcp"),
    ]

    func path(_ name: String) -> String { Fixtures.captures.appendingPathComponent("real/\(name)").path }

    /// The numbers of the packets handed out, and what the capture counted.
    func filtered(_ path: String, _ filter: String, mapFile: Bool) throws -> (numbers: [Int], read: Int, skipped: Int) {
        let capture = try OfflineCapture(path: path, mapFile: mapFile, filter: filter)
        var numbers: [Int] = []
        try capture.forEachPacket { numbers.append($0.number) }
        return (numbers, capture.packetsRead, capture.packetsFiltered)
    }

    @Test("a filtered read hands out the packets libpcap's filter passes, with their numbers in the file",
          arguments: cases.indices)
    func agreesWithLibpcap(_ index: Int) throws {
        let (name, filter) = Self.cases[index]
        let reference = try #require(LibpcapReference.matching(path: path(name), filter: filter))
        #expect(reference.refusal == nil)
        #expect(!reference.numbers.isEmpty, "\(name) '\(filter)': nothing passes, the case shows little")
        for mapFile in [true, false] {
            let ours = try filtered(path(name), filter, mapFile: mapFile)
            #expect(ours.numbers == reference.numbers, "\(name) '\(filter)' mapFile \(mapFile)")
            #expect(ours.read - ours.skipped == ours.numbers.count)
        }
    }

    @Test("a bad expression throws libpcap's message before any packet is read")
    func badExpression() {
        #expect(throws: CaptureError.badFilter(filter: "tcp port", reason: "can't parse filter expression: syntax error")) {
            _ = try OfflineCapture(path: path("vlan-http.pcap"), filter: "tcp port")
        }
        // Valid syntax that libpcap refuses for the file's link type (raw IP has no MAC addresses).
        #expect {
            _ = try OfflineCapture(path: path("linktype-raw-ipv4.pcap"), filter: "ether host 1:2:3:4:5:6")
        } throws: { error in
            guard case let .badFilter(filter, reason) = error as? CaptureError else { return false }
            return filter == "ether host 1:2:3:4:5:6" && reason.contains("ethernet addresses supported only on")
        }
    }

    @Test("an empty expression passes every packet, as tcpdump without one")
    func emptyExpression() throws {
        let all = try filtered(path("dhcp-flood.pcap"), "", mapFile: true)
        #expect(all.numbers == Array(1...500) && all.skipped == 0)
    }

    @Test("a pcapng whose interfaces differ in link type filters each packet with its own link type's program")
    func perInterfaceLinkType() throws {
        let name = "pcapng-many-interfaces.pcapng"
        let capture = try OfflineCapture(path: path(name), filter: "ip")
        var passedByLinkType: [String: Int] = [:]
        var numbers: [Int] = []
        try capture.forEachPacket {
            passedByLinkType[$0.linkType.name, default: 0] += 1
            numbers.append($0.number)
        }
        // The packets of both link types that carry packets, Ethernet and BSD loopback, pass.
        #expect(passedByLinkType == ["EN10MB": 62, "NULL": 2], "\(passedByLinkType)")
        // libpcap stops at the first interface of another link type; up to there, the same packets.
        let reference = try #require(LibpcapReference.matching(path: path(name), filter: "ip"))
        #expect(reference.refusal?.hasPrefix("an interface has a type") == true)
        let readByLibpcap = LibpcapReference.read(path: path(name)).records.count
        #expect(numbers.filter { $0 <= readByLibpcap } == reference.numbers)
    }

    /// A big-endian pcap file of `linkType` holding `packets`.
    func bigEndianPcap(linkType: UInt32, _ packets: [[UInt8]]) -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
        var file = be32(0xA1B2_C3D4) + [0, 2, 0, 4] + be32(0) + be32(0) + be32(65_535) + be32(linkType)
        for (i, packet) in packets.enumerated() {
            file += be32(1_000 + UInt32(i)) + be32(5) + be32(UInt32(packet.count)) + be32(UInt32(packet.count)) + packet
        }
        return file
    }

    @Test("pseudo-headers written in the other byte order are filtered as libpcap turns them round",
          arguments: [113, 239] as [UInt32])
    func swappedPseudoHeaders(_ linkType: UInt32) throws {
        // Linux cooked CAN frames whose CAN IDs differ, or NFLOG messages whose first TLV lengths
        // differ: the filter tests a byte of the swapped field, at its place after swapping.
        let packets: [[UInt8]]
        let offset: Int
        if linkType == 113 {
            packets = (0..<6).map { i in [0, 1, 0, 1, 0, 6] + Array(repeating: 0xAA, count: 8) + [0, 0x0C] + [UInt8(i % 3), 0, 0, 0x80] + Array(repeating: 1, count: 8) }
            offset = 19
        } else {
            packets = (0..<6).map { i in [2, 0, 0, 0, UInt8(4 + 4 * (i % 3)), 0, 0, 1] + Array(repeating: 0xCC, count: 4 * (i % 3)) }
            offset = 5
        }
        let url = Scratch.root.appendingPathComponent("flowcast-filter-\(UUID().uuidString).pcap")
        try Data(bigEndianPcap(linkType: linkType, packets)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let seen = LibpcapReference.read(path: url.path).records.map(\.bytes)
        #expect(seen.count == packets.count)
        let wanted = try #require(seen.first)[offset]
        #expect(packets[0][offset] != wanted, "libpcap turned nothing round: the test shows nothing")
        let filter = "link[\(offset)] = \(wanted)"
        let reference = try #require(LibpcapReference.matching(path: url.path, filter: filter))
        #expect(reference.numbers == [1, 4])
        for mapFile in [true, false] {
            #expect(try filtered(url.path, filter, mapFile: mapFile).numbers == reference.numbers)
        }
    }

    @Test("a record longer than the snapshot length is judged on the part libpcap hands over")
    func beyondSnapshot() throws {
        // Snapshot length 60; the second record holds 100 captured bytes and says 100 on the wire
        // (Flowcast keeps all 100, libpcap clips to 60): `len` and byte 80 differ from libpcap's view.
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var file = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(60) + le32(1)
        for size in [60, 100] as [UInt32] {
            file += le32(1_000) + le32(0) + le32(size) + le32(size) + Array(repeating: 0x11, count: Int(size))
        }
        let url = Scratch.root.appendingPathComponent("flowcast-filter-\(UUID().uuidString).pcap")
        try Data(file).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        for filter in ["ether[80] = 0x11", "ether[59] = 0x11", "greater 90"] {
            let reference = try #require(LibpcapReference.matching(path: url.path, filter: filter))
            for mapFile in [true, false] {
                #expect(try filtered(url.path, filter, mapFile: mapFile).numbers == reference.numbers, "\(filter)")
            }
        }
    }
}
