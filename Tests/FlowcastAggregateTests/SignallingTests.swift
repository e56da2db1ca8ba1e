internal import FlowcastCore
import FlowcastAggregate
import FlowcastCapture
import FlowcastDecode
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// GTPv2-C parsing and TEID → cell learning, checked against tshark's gtpv2 fields
/// (Oracles/NAME.gtpv2.tsv, written by tools/gtpv2-oracle.sh).
@Suite("GTPv2-C signalling")
struct SignallingTests {
    struct Case: Sendable, CustomStringConvertible {
        var capture: URL
        var oracle: URL
        /// TEID → cell the signalling implies, read off tshark's output by hand (see comments).
        var expectedCells: [UInt32: String]
        var description: String { capture.lastPathComponent }
    }

    static var oracles: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Oracles")
    }

    static let cases: [Case] = {
        var result = [
            // Frame 1 is a Modify Bearer Request (to control TEID 0xd37d1590) whose ULI names ECGI
            // 466-92-30303777 and whose bearer context names S5/S8 SGW GTP-U TEID 0xa430f3e2.
            Case(capture: Fixtures.captures.appendingPathComponent("real/gtpv2c-messages.pcap"),
                 oracle: oracles.appendingPathComponent("gtpv2c-messages.pcap.gtpv2.tsv"),
                 expectedCells: [0xA430_F3E2: "ecgi:466-92-30303777"]),
        ]
        // Copyleft capture (nDPI, LGPL): read from ../shared when present. Create Session Request
        // with ECGI 896-457-36984440 (0x2345678; tshark prints 305419896 with the spare bits) and SGW GTP-U TEID 0x35529205; the response (addressed to
        // the request's control TEID 0x35529204) adds PGW GTP-U TEID 0x35529207.
        if let shared = Fixtures.shared {
            result.append(Case(capture: shared.appendingPathComponent("captures/real/gtpv2c-create-session.pcap"),
                               oracle: oracles.appendingPathComponent("gtpv2c-create-session.pcap.gtpv2.tsv"),
                               expectedCells: [0x3552_9205: "ecgi:896-457-36984440", 0x3552_9207: "ecgi:896-457-36984440"]))
        }
        return result
    }()

    /// Reads every GTPv2-C message of a capture, by frame number.
    static func messages(_ path: String) throws -> [(Int, [GTPv2Message])] {
        var result: [(Int, [GTPv2Message])] = []
        let decoder = PacketDecoder()
        try OfflineCapture(path: path).forEachPacket { packet in
            let s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength, timestampNanoseconds: 0)
            guard let gtpv2 = s.gtpv2Bytes(packet.bytes) else { return }
            if let parsed = GTPv2Message.parse(gtpv2) {
                result.append((packet.number, parsed))
            }
        }
        return result
    }

    /// The columns of tools/gtpv2-oracle.sh as Flowcast's parse fills them for one frame (frame,
    /// message types, header TEIDs, F-TEID interface types, TEIDs and IPv4 addresses, ECIs, ECGI
    /// MCCs and MNCs), then three tshark 4.0 leaves out of the oracle but tools/diff-gtpv2.py
    /// compares: F-TEID IPv6 addresses, ULI TACs and NR cell identities.
    static func columns(frame: Int, _ messages: [GTPv2Message]) -> [String] {
        func join(_ values: [String]) -> String { values.joined(separator: ",") }
        let fteids = messages.flatMap(\.fteids)
        let cells = messages.flatMap(\.cells)
        let ecgis = cells.filter { $0.kind == .ecgi }
        return [String(frame),
                join(messages.map { String($0.messageType) }),
                join(messages.compactMap(\.teid).map { String(format: "0x%08x", $0) }),
                join(fteids.map { String($0.interfaceType) }),
                join(fteids.map { String(format: "0x%08x", $0.teid) }),
                join(fteids.compactMap { $0.ipv4.map { IPAddress(ipv4: $0).description } }),
                join(ecgis.map { String($0.cellID) }),
                join(ecgis.map(\.mcc)),
                join(ecgis.map(\.mnc)),
                join(fteids.compactMap { $0.ipv6?.description }),
                join(messages.flatMap(\.trackingAreaCodes).map { String($0) }),
                join(cells.filter { $0.kind == .ncgi }.map { String($0.cellID) })]
    }

    /// For tools/diff-gtpv2.py: with FLOWCAST_GTPV2_DUMP=DIR, writes CAPTURE.flowcast.tsv (rows
    /// of `columns`) beside every capture in DIR.
    @Test("dump the parse of every capture in FLOWCAST_GTPV2_DUMP",
          .enabled(if: ProcessInfo.processInfo.environment["FLOWCAST_GTPV2_DUMP"] != nil))
    func dumpParse() throws {
        let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FLOWCAST_GTPV2_DUMP"] ?? ".")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        for name in names.sorted() where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
            let path = folder.appendingPathComponent(name).path
            let rows = try Self.messages(path).map { Self.columns(frame: $0.0, $0.1).joined(separator: "\t") + "\n" }
            try rows.joined().write(toFile: path + ".flowcast.tsv", atomically: true, encoding: .utf8)
        }
    }

    /// The captures with a tshark reading: the real ones of `cases`, then every
    /// captures/synthetic/gtpv2-*.pcap (made by tools/diff-gtpv2.py) with its .gtpv2.tsv beside it.
    static let oracleCases: [Case] = {
        let folder = Fixtures.captures.appendingPathComponent("synthetic")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return cases + names.sorted().filter { $0.hasPrefix("gtpv2-") && $0.hasSuffix(".pcap") }.map {
            Case(capture: folder.appendingPathComponent($0), oracle: folder.appendingPathComponent($0 + ".gtpv2.tsv"),
                 expectedCells: [:])
        }
    }()

    @Test("messages, F-TEIDs and cell identities equal tshark's reading", arguments: oracleCases)
    func parseMatchesTshark(_ c: Case) throws {
        // tshark 4.0 shows the ECI with the four spare bits in front (305419896 = 0x12345678 in
        // gtpv2c-create-session, where the spare nibble is 1). TS 29.274 §8.21.5 makes the ECI
        // the low 28 bits; Flowcast reads 28 bits, so the comparison masks tshark's value. tshark
        // prints the MCC and MNC as numbers (e212.ecgi.mcc/mnc are integers: MCC 001 reads 1,
        // MNC 01 and 001 both 1); Flowcast keeps their digits, compared here as numbers.
        func numbers(_ s: String, mask: UInt64 = .max) -> String {
            s.split(separator: ",").map { UInt64($0).map { String($0 & mask) } ?? String($0) }.joined(separator: ",")
        }
        func normalized(_ f: [String]) -> [String] {
            var f = f
            f[6] = numbers(f[6], mask: 0x0FFF_FFFF); f[7] = numbers(f[7]); f[8] = numbers(f[8])
            return f
        }
        var expected: [String: [String]] = [:]
        for line in try String(contentsOf: c.oracle, encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            expected[f[0]] = normalized(f)
        }
        let parsed = try Self.messages(c.capture.path)
        #expect(Set(parsed.map { String($0.0) }) == Set(expected.keys), "frames read")
        for (frame, messages) in parsed {
            let got = normalized(Array(Self.columns(frame: frame, messages).prefix(9)))
            #expect(got == expected[String(frame)], "frame \(frame)")
        }
    }

    @Test("user-plane TEIDs are attributed to the cell the session's signalling names", arguments: cases)
    func learnsTEIDCells(_ c: Case) throws {
        var learner = TunnelCellLearner()
        for (_, messages) in try Self.messages(c.capture.path) { messages.forEach { learner.learn($0) } }
        #expect(Dictionary(learner.cellByTunnel.map { ($0.key.teid, $0.value.description) }, uniquingKeysWith: { a, _ in a }) == c.expectedCells)
        #expect(learner.conflicts == 0)
    }

    @Test("a TEID reused by a session in another cell is a counted conflict, and the newer session wins")
    func conflictCounted() {
        var learner = TunnelCellLearner()
        let cellA = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 1)
        let cellB = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 2)
        func request(control: UInt32, user: UInt32, cell: CellIdentity) -> GTPv2Message {
            var m = GTPv2Message(messageType: 32, teid: 0, sequence: 1)
            m.fteids = [FullyQualifiedTEID(interfaceType: 10, teid: control, ipv4: 1, ipv6: nil, instance: 0, inBearerContext: false),
                        FullyQualifiedTEID(interfaceType: 0, teid: user, ipv4: 2, ipv6: nil, instance: 0, inBearerContext: true)]
            m.cells = [cell]
            return m
        }
        learner.learn(request(control: 100, user: 7, cell: cellA))
        learner.learn(request(control: 200, user: 7, cell: cellB))
        #expect(learner.conflicts == 1)
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 7)] == cellB)
    }

    @Test("an NR cell from PSCell ID (IE 217) is read as an NCGI; ULI's ECGI still anchors the session")
    func nrCellFromPSCellID() throws {
        // Modify Bearer Request (34) with TEID, ULI (ECGI only: MCC 001, MNC 01, ECI 0x0ABCDEF)
        // and PSCell ID (MCC 001, MNC 01, NCI 0x123456789 in the upper 36 of 40 bits).
        var body: [UInt8] = []
        body += [86, 0, 8, 0, 0x10, 0x00, 0xF1, 0x10, 0x00, 0xAB, 0xCD, 0xEF]
        body += [217, 0, 8, 0, 0x00, 0xF1, 0x10, 0x12, 0x34, 0x56, 0x78, 0x90]
        let length = UInt16(8 + body.count)
        var bytes: [UInt8] = [0x48, 34, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, 100, 0, 0, 1, 0]
        bytes += body
        let messages = try #require(bytes.withUnsafeBytes { GTPv2Message.parse($0) })
        let cells = try #require(messages.first?.cells)
        #expect(cells.map(\.description) == ["ecgi:001-01-11259375", "ncgi:001-01-4886718345"])
        var learner = TunnelCellLearner()
        var create = GTPv2Message(messageType: 32, teid: 0, sequence: 1)
        create.fteids = [FullyQualifiedTEID(interfaceType: 10, teid: 100, ipv4: 1, ipv6: nil, instance: 0, inBearerContext: false),
                         FullyQualifiedTEID(interfaceType: 0, teid: 7, ipv4: 2, ipv6: nil, instance: 0, inBearerContext: true)]
        create.cells = [cells[1]]
        learner.learn(create)
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 7)] == cells[1])  // only an NR cell known: it names the session
        learner.learn(messages[0])
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 7)] == cells[0])  // the ECGI anchors once signalled
    }

    @Test("a handover (Modify Bearer with a new ULI) moves the session's tunnels, without a conflict")
    func handover() {
        var learner = TunnelCellLearner()
        let cellA = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 1)
        let cellB = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 2)
        var create = GTPv2Message(messageType: 32, teid: 0, sequence: 1)
        create.fteids = [FullyQualifiedTEID(interfaceType: 10, teid: 100, ipv4: 1, ipv6: nil, instance: 0, inBearerContext: false),
                         FullyQualifiedTEID(interfaceType: 0, teid: 7, ipv4: 2, ipv6: nil, instance: 0, inBearerContext: true)]
        create.cells = [cellA]
        learner.learn(create)
        var modify = GTPv2Message(messageType: 34, teid: 100, sequence: 2)
        modify.cells = [cellB]
        learner.learn(modify)
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 2), teid: 7)] == cellB)
        #expect(learner.conflicts == 0)
    }

    /// A Create Session Request built by hand: a header with a TEID, then `ies`; `length` overrides
    /// the header's length field.
    static func request(_ ies: [UInt8], length: Int? = nil) -> [UInt8] {
        let l = length ?? 8 + ies.count
        return [0x48, 32, UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF), 0, 0, 0, 0, 0, 0, 1, 0] + ies
    }
    static func uli(plmn: [UInt8] = [0x00, 0xF1, 0x10]) -> [UInt8] { [86, 0, 8, 0, 0x10] + plmn + [0, 0, 1, 1] }
    static let fteid: [UInt8] = [87, 0, 9, 0, 0x8A, 0, 0, 0, 7, 10, 0, 0, 1]

    /// Messages with something wrong say what (`GTPv2Message.problem`), first thing found, and keep
    /// what they hold; a sound one says nothing. Such messages were counted as sound (an audit:
    /// an IE of 0xFFFF bytes, a 1-byte F-TEID, a PLMN of FFF all learned without a word).
    @Test func malformedMessagesSayWhat() throws {
        func parse(_ bytes: [UInt8]) -> GTPv2Message? { bytes.withUnsafeBytes { GTPv2Message.parse($0)?.first } }
        let sound = try #require(parse(Self.request(Self.uli() + Self.fteid)))
        #expect(sound.problem == nil && sound.cells.count == 1 && sound.fteids.count == 1)
        #expect(sound.cells.first?.description == "ecgi:001-01-257")
        let unset = try #require(parse(Self.request(Self.uli(plmn: [0xFF, 0xFF, 0xFF]))))
        #expect(unset.problem == "a PLMN with a digit over 9 (ff ff ff)" && unset.cells.count == 1)
        let short = try #require(parse(Self.request([87, 0, 1, 0, 0x8A] + Self.uli())))
        #expect(short.problem == "an F-TEID of 1 bytes (5 at least)" && short.cells.count == 1 && short.fteids.isEmpty)
        let overrun = try #require(parse(Self.request(Self.fteid + [86, 0xFF, 0xFF, 0, 0x10])))
        #expect(overrun.problem == "IE 86 of 65535 bytes runs past the message's end" && overrun.fteids.count == 1)
        // The last message's length field is not checked, as tshark reads it to the datagram's end;
        // a carrier's (P flag) decides where the next message starts.
        let last = try #require(parse(Self.request(Self.fteid, length: 0xFFFF)))
        #expect(last.problem == nil && last.fteids.count == 1)
        var carrier = Self.request(Self.fteid, length: 0xFFFF)
        carrier[0] |= 0x10
        let long = try #require(parse(carrier))
        #expect(long.problem == "a carrier whose length field says 65539 bytes, 25 are there" && long.fteids.count == 1)
        let cut = try #require(parse(Array(Self.request([]).prefix(6))))
        #expect(cut.problem == "its header is cut short (6 of 12 bytes)")
        // The bundled real capture's messages are all sound, as tshark reads them.
        for (frame, messages) in try Self.messages(Fixtures.captures.appendingPathComponent("real/gtpv2c-messages.pcap").path) {
            #expect(messages.allSatisfy { $0.problem == nil }, "frame \(frame): \(messages.compactMap(\.problem))")
        }
    }

    @Test("hostile GTPv2-C bytes never trap: every prefix and every byte flip of real and synthetic messages",
          arguments: [Fixtures.captures.appendingPathComponent("real/gtpv2c-messages.pcap")] + oracleCases.dropFirst(cases.count).map(\.capture))
    func hostileBytes(_ capture: URL) throws {
        let path = capture.path
        let decoder = PacketDecoder()
        try OfflineCapture(path: path).forEachPacket { packet in
            let s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength, timestampNanoseconds: 0)
            guard let gtpv2 = s.gtpv2Bytes(packet.bytes) else { return }
            var bytes = Array(gtpv2)
            for length in 0...bytes.count {
                _ = bytes.prefix(length).withUnsafeBytes { GTPv2Message.parse($0) }
            }
            for i in bytes.indices {
                let original = bytes[i]
                for v: UInt8 in [0x00, 0xFF, original ^ 0x80] {
                    bytes[i] = v
                    _ = bytes.withUnsafeBytes { GTPv2Message.parse($0) }
                }
                bytes[i] = original
            }
        }
    }
}

/// A TEID is chosen by its receiving end (TS 29.281 §5.1), so two eNodeBs may both choose 0x1000.
/// Keyed by the TEID alone, an audit's two cells' downlink all went to the cell signalled last
/// (cell A 0 bytes, cell B both eNodeBs' 3,060), with one "conflict" counted and nothing said.
@Suite("Tunnel ends learned from signalling")
struct TunnelEndTests {
    static let cellA = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 257)
    static let cellB = CellIdentity(kind: .ecgi, mcc: "001", mnc: "01", cellID: 258)

    static func createSession(control: UInt32, enodeB: UInt32, sgwTEID: UInt32, cell: CellIdentity) -> GTPv2Message {
        var m = GTPv2Message(messageType: 32, teid: 0, sequence: 1)
        m.fteids = [FullyQualifiedTEID(interfaceType: 10, teid: control, ipv4: 0x0A00_0001, ipv6: nil, instance: 0, inBearerContext: false),
                    FullyQualifiedTEID(interfaceType: 0, teid: 0x1000, ipv4: enodeB, ipv6: nil, instance: 0, inBearerContext: true),
                    FullyQualifiedTEID(interfaceType: 1, teid: sgwTEID, ipv4: 0x0A00_0009, ipv6: nil, instance: 1, inBearerContext: true)]
        m.cells = [cell]
        return m
    }

    @Test("two eNodeBs' TEID 0x1000 are two tunnels, each in its cell, with no conflict")
    func sameTEIDAtTwoEnds() throws {
        var yaml = "bands:\n  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }\ncells:\n"
        yaml += "  - { id: a, band: n78, peakSpectralEfficiency: 5, globalId: \"ecgi:001-01-257\" }\n"
        yaml += "  - { id: b, band: n78, peakSpectralEfficiency: 5, globalId: \"ecgi:001-01-258\" }\n"
        var aggregator = TrafficAggregator(topology: try Topology(yaml: yaml), configuration: .init(windowNanoseconds: 1_000_000_000))
        aggregator.learn(Self.createSession(control: 100, enodeB: 0x0A0A_0001, sgwTEID: 0x2000, cell: Self.cellA))
        aggregator.learn(Self.createSession(control: 200, enodeB: 0x0A0A_0002, sgwTEID: 0x2001, cell: Self.cellB))
        #expect(aggregator.learner.conflicts == 0 && aggregator.learner.cellByTunnel.count == 4)
        var windows: [WindowSummary] = []
        var number = 0
        func packet(to destination: UInt32, from source: UInt32, teid: UInt32, bytes: Int) {
            var s = PacketSummary()
            number += 1
            s.timestampNanoseconds = Int64(number) * 1_000_000
            s.wireLength = bytes; s.capturedLength = bytes
            s.outerSource = IPAddress(ipv4: source); s.outerDestination = IPAddress(ipv4: destination)
            s.innerSource = IPAddress(ipv4: 0x0B00_0001); s.innerDestination = IPAddress(ipv4: 0x0B00_0002 + destination)
            s.teid = teid; s.gtpMessageType = 0xFF; s.ipProtocol = 17; s.sourcePort = 1; s.destinationPort = 2
            aggregator.add(s, packetNumber: number, windowClosed: { windows += $0 }, flowEnded: { _, _ in })
        }
        for _ in 0..<10 { packet(to: 0x0A0A_0001, from: 0x0A00_0009, teid: 0x1000, bytes: 178) }  // downlink to eNodeB A
        for _ in 0..<10 { packet(to: 0x0A0A_0002, from: 0x0A00_0009, teid: 0x1000, bytes: 128) }  // downlink to eNodeB B
        for _ in 0..<4 { packet(to: 0x0A00_0009, from: 0x0A0A_0002, teid: 0x2001, bytes: 100) }   // uplink from B
        packet(to: 0x0A0A_0003, from: 0x0A00_0009, teid: 0x1000, bytes: 500)                      // an end no signalling named
        aggregator.finish(windowClosed: { windows += $0 }, flowEnded: { _, _ in })
        let a = try #require(windows.first { $0.kind == .cell && $0.id == "a" })
        let b = try #require(windows.first { $0.kind == .cell && $0.id == "b" })
        #expect([a.bytesDown, a.packetsDown, a.bytesUp] == [1_780, 10, 0])
        #expect([b.bytesDown, b.packetsDown, b.bytesUp, b.packetsUp] == [1_280, 10, 400, 4])
        #expect(aggregator.totals.unmatchedPackets == 1)
    }

    @Test("F-TEID interface types: GTP-U ends only, and the core side's ends receive uplink (TS 29.274 Table 8.22-1)")
    func interfaceTypes() {
        func f(_ type: UInt8) -> FullyQualifiedTEID { FullyQualifiedTEID(interfaceType: type, teid: 1, ipv4: 1, ipv6: nil, instance: 0, inBearerContext: true) }
        // tshark 4.0's names: "… GTP-U interface" for these, GTP-C or PMIPv6 for the rest of 0–40.
        let userPlane: Set<UInt8> = [0, 1, 2, 3, 4, 5, 15, 16, 19, 20, 21, 22, 23, 28, 29, 31, 33, 34, 37, 38, 39]
        #expect(Set((0...63).map(UInt8.init).filter { f($0).isUserPlane }) == userPlane)
        #expect(Set((0...63).map(UInt8.init).filter { f($0).receivesUplink }) == [1, 3, 5, 16, 28, 33, 37, 39])
        // An S10 MME control F-TEID (12) is followed as control, never a tunnel.
        var learner = TunnelCellLearner()
        var m = Self.createSession(control: 100, enodeB: 0x0A0A_0001, sgwTEID: 0x2000, cell: Self.cellA)
        m.fteids.append(FullyQualifiedTEID(interfaceType: 12, teid: 0x5555, ipv4: 0x0A63_0002, ipv6: nil, instance: 0, inBearerContext: false))
        learner.learn(m)
        #expect(learner.cellByTunnel[TunnelEnd(IPAddress(ipv4: 0x0A63_0002), teid: 0x5555)] == nil)
    }
}
