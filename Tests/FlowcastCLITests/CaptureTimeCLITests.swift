import FlowcastTestSupport
import Foundation
import Testing

/// Packets that carry no usable time: one dated 2300 (past what 64-bit nanoseconds since 1970
/// hold) trapped `inspect` and read as 1715 in `flows` and `replay`; simple packet blocks, which
/// carry none, read as 1970 and split their flow. Each now takes the time of the packet before
/// it, and the commands say how many did. `decode` prints each record's own time, as tshark
/// does (the captures' expected output is tshark's).
@Suite struct CaptureTimeCLITests {
    static let beyond = "captures/synthetic/time-beyond-2262.pcapng"
    static let missing = "captures/synthetic/time-missing-spb.pcapng"

    /// A scratch folder for one test (removed by the caller's `defer`).
    static func folder(_ name: String) throws -> URL {
        let folder = Scratch.root.appendingPathComponent("flowcast-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The real capture these tests edit, as bytes (little-endian pcap, microseconds).
    static func webBrowsing() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("captures/real/http-web-browsing.pcap")))
    }

    /// `bytes` (a little-endian pcap) with the seconds of the packets `numbers` set to 0xFFFFFFFF (2106).
    static func dated2106(_ bytes: [UInt8], packets numbers: Set<Int>) -> [UInt8] {
        var bytes = bytes, offset = 24, packet = 1
        while packet <= (numbers.max() ?? 0) {
            if numbers.contains(packet) { for i in 0..<4 { bytes[offset + i] = 0xFF } }
            offset += 16 + Int(Pcapng.u32(bytes, offset + 8))
            packet += 1
        }
        return bytes
    }

    /// Little-endian pcapng blocks, written by hand so a test can date or place each packet.
    enum Pcapng {
        static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24 }
        static func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        static func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
            let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            let total = UInt32(12 + padded.count)
            return le(type) + le(total) + padded + le(total)
        }
        /// A section header block.
        static let section = block(0x0A0D_0D0A, le(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        /// An Ethernet interface (microseconds), named by `if_name` when given.
        static func interface(_ name: String? = nil) -> [UInt8] {
            guard let name else { return block(1, [1, 0, 0, 0] + le(0)) }
            let value = Array(name.utf8)
            let option = le16(2) + le16(UInt16(value.count)) + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
            return block(1, le16(1) + le16(0) + le(0) + option + le16(0) + le16(0))
        }
        /// An enhanced packet block on interface `id` at `micros`.
        static func packet(interface id: UInt32 = 0, micros: UInt64, wire: UInt32, _ data: [UInt8]) -> [UInt8] {
            block(6, le(id) + le(UInt32(micros >> 32)) + le(UInt32(micros & 0xFFFF_FFFF)) + le(UInt32(data.count)) + le(wire) + data)
        }
        /// Each record of a little-endian pcap: its time (µs), wire length and bytes.
        static func records(_ pcap: [UInt8]) -> [(micros: UInt64, wire: UInt32, data: [UInt8])] {
            var out: [(UInt64, UInt32, [UInt8])] = [], offset = 24
            while offset + 16 <= pcap.count {
                let included = Int(u32(pcap, offset + 8))
                out.append((UInt64(u32(pcap, offset)) * 1_000_000 + UInt64(u32(pcap, offset + 4)), u32(pcap, offset + 12),
                            Array(pcap[(offset + 16)..<(offset + 16 + included)])))
                offset += 16 + included
            }
            return out
        }
    }

    @Test func inspectSpansTheUsableTimesAndCountsTheRest() throws {
        let run = try Fixtures.runFlowcast(["inspect", Self.beyond])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("time: 2005-10-07T23:23:50.350788000Z → 2005-10-07T23:23:55.634189000Z (5.283401000 s)"), "\(run.stdout)")
        #expect(run.stdout.contains("packets without a usable time: 1 (first at packet 4;"), "\(run.stdout)")
        let json = try Fixtures.runFlowcast(["inspect", "--json", Self.beyond])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["packetsWithoutTime"] as? [String: Int]) == ["count": 1, "firstPacket": 4])
        #expect((object["lastTime"] as? Double).map { abs($0 - 1_128_727_435.634189) < 1e-6 } == true)
        let spb = try Fixtures.runFlowcast(["inspect", Self.missing])
        #expect(spb.stdout.contains("time: 2005-10-07T23:23:50.350788000Z → 2005-10-07T23:23:55.634189000Z"), "\(spb.stdout)")
        #expect(spb.stdout.contains("packets without a usable time: 2 (first at packet 3;"), "\(spb.stdout)")
    }

    /// Packets 3 to 6 are one TCP connection (port 56730 to 80): one flow of four packets, not two.
    @Test(arguments: [beyond, missing]) func flowsKeepOneConnectionOneFlow(_ capture: String) throws {
        let run = try Fixtures.runFlowcast(["flows", capture])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let http = rows.filter { $0.count > 10 && ($0[2] == "56730" || $0[4] == "56730") }
        #expect(http.count == 1, "\(run.stdout)")
        #expect(http.first?[5] == "3" && http.first?[7] == "1", "\(http)")
        for row in rows where row.count > 10 {
            for t in [row[9], row[10]] { #expect((Double(t) ?? 0) > 1_128_727_430 && (Double(t) ?? 0) < 1_128_727_436, "\(row)") }
        }
        #expect(run.stderr.contains("without a usable time (no timestamp in the record, one before 1677 or after 2262, or a fraction of a second out of range), first packet "
                                    + (capture == Self.beyond ? "4" : "3")), "\(run.stderr)")
    }

    /// The hostile-capture audit: one packet dated 2106 put 98.8 % of a capture in its window, and
    /// the warning gave a count alone. A lone packet dated ahead of the packets around it now takes
    /// the time of the packet before it, counted and named (a 17.5 h jump in the demo capture
    /// planned 1,059 policies on empty windows, exit status 0: a later audit). Two such packets in
    /// a row look like a gap in the traffic: their late packets are said, naming the first late
    /// packet and the packet dated after the skipped gap.
    @Test(arguments: [1, 2]) func replayNamesThePacketDatedAheadOfTheRest(_ packetsAhead: Int) throws {
        // Packet 5 (and 6) dated 2106 (seconds 0xFFFFFFFF).
        let bytes = Self.dated2106(try Self.webBrowsing(), packets: Set(5..<(5 + packetsAhead)))
        let folder = try Self.folder("ahead")
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = folder.appendingPathComponent("ahead.pcap").path
        try Data(bytes).write(to: URL(fileURLWithPath: capture))
        let out = folder.appendingPathComponent("out")
        let run = try Fixtures.runFlowcast(["replay", capture, "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        let decode = try #require(summary["decode"] as? [String: Any]), windows = try #require(summary["windows"] as? [String: Any])
        let lastTime = try #require((summary["capture"] as? [String: Any])?["lastTime"] as? Double)
        let inspect = try Fixtures.runFlowcast(["inspect", capture])
        if packetsAhead == 1 {
            #expect(run.stderr.contains("flowcast replay: warning: \(capture): 1 packet was dated more than 60 s after every packet before it "
                                        + "while the packet after went back again (a corrupt record, or an interface whose clock runs ahead), first packet 5: "
                                        + "each took the time of "
                                        + "the packet before it (summary.json decode.packetsDatedAhead)"), "\(run.stderr)")
            #expect(!run.stderr.contains("older than the open window"), "\(run.stderr)")
            #expect((decode["packetsDatedAhead"] as? [String: Int]) == ["count": 1, "firstPacket": 5], "\(decode)")
            #expect(windows["latePackets"] as? Int == 0 && windows["skippedEmptyWindows"] as? Int == 0, "\(windows)")
            #expect(lastTime < 1_200_000_000, "\(lastTime)")  // 2008, the capture's own time, not 2106
            // inspect leaves the packet out of the span, and says so.
            #expect(inspect.stdout.contains("packets dated ahead of the rest: 1 (first at packet 5;"), "\(inspect.stdout)")
            #expect(!inspect.stdout.contains("→ 2106"), "\(inspect.stdout)")
        } else {
            #expect(run.stderr.contains("flowcast replay: warning: \(capture): "), "\(run.stderr)")
            #expect(run.stderr.contains("(summary.json windows.latePackets, the first packet 7)"), "\(run.stderr)")
            #expect(run.stderr.contains("; packet 5 is dated after a gap of "), "\(run.stderr)")
            #expect(decode["packetsDatedAhead"] == nil, "\(decode)")
            #expect(!inspect.stdout.contains("dated ahead of the rest"), "\(inspect.stdout)")
        }
    }

    /// A packet with no time of its own (a pcapng simple packet block) right after the packet
    /// dated ahead took that packet's date, which stood when the packet was judged: the run still
    /// wrote hours of empty windows (an audit). It takes the corrected time too.
    @Test func aTimelessPacketAfterOneDatedAheadTakesTheCorrectedTime() throws {
        typealias B = Self.Pcapng
        // A section, one Ethernet interface (microseconds), then every record as an enhanced
        // packet block: packet 5 three hours ahead, packet 6 a simple packet block.
        var out = B.section + B.interface(), clean = out
        for (k, r) in B.records(try Self.webBrowsing()).enumerated() {
            clean += B.packet(micros: r.micros, wire: r.wire, r.data)
            out += k + 1 == 6 ? B.block(3, B.le(r.wire) + r.data) : B.packet(micros: r.micros + (k + 1 == 5 ? 3 * 3_600_000_000 : 0), wire: r.wire, r.data)
        }
        let folder = try Self.folder("ahead-spb")
        defer { try? FileManager.default.removeItem(at: folder) }
        var windows: [Int] = []
        for (name, bytes) in [("clean", clean), ("edited", out)] {
            let capture = folder.appendingPathComponent(name + ".pcapng").path
            try Data(bytes).write(to: URL(fileURLWithPath: capture))
            let run = try Fixtures.runFlowcast(["replay", capture, "--out", folder.appendingPathComponent(name).path, "--quiet"])
            #expect(run.status == 0, "\(run.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name + "/summary.json"))) as? [String: Any])
            let w = try #require(summary["windows"] as? [String: Any])
            windows.append(try #require(w["count"] as? Int))
            #expect(w["latePackets"] as? Int == 0, "\(name): \(w)")
            if name == "edited" {
                let decode = try #require(summary["decode"] as? [String: Any])
                #expect((decode["packetsDatedAhead"] as? [String: Int]) == ["count": 1, "firstPacket": 5], "\(decode)")
                #expect((decode["packetsWithoutTime"] as? [String: Int]) == ["count": 1, "firstPacket": 6], "\(decode)")
            }
        }
        #expect(windows[0] == windows[1] && windows[0] < 100, "\(windows)")
    }

    /// The first record dated 2106 (with packet 5 too, as a second argument): the two packets after
    /// it go back, so it is the odd one and takes the time of the next. Until 7 December 2026 the
    /// first packet was never judged: the whole capture was counted late in its one window.
    @Test(arguments: [false, true]) func replayJudgesTheFirstPacketDatedAhead(_ alsoPacket5: Bool) throws {
        let clean = try Self.webBrowsing()
        let bytes = Self.dated2106(clean, packets: alsoPacket5 ? [1, 5] : [1])
        let folder = try Self.folder("first-ahead")
        defer { try? FileManager.default.removeItem(at: folder) }
        var windows: [String: [String: Any]] = [:], firstTimes: [String: Double] = [:]
        for (name, data) in [("clean", clean), ("first-ahead", bytes)] {
            let capture = folder.appendingPathComponent(name + ".pcap").path
            try Data(data).write(to: URL(fileURLWithPath: capture))
            let out = folder.appendingPathComponent(name)
            let run = try Fixtures.runFlowcast(["replay", capture, "--out", out.path])
            #expect(run.status == 0, "\(run.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
            windows[name] = try #require(summary["windows"] as? [String: Any])
            firstTimes[name] = try #require((summary["capture"] as? [String: Any])?["firstTime"] as? Double)
            guard name == "first-ahead" else { continue }
            let opening = "flowcast replay: warning: \(capture): packet 1, the first with a usable time, was dated more than 60 s after the "
                + "next two that have one (a corrupt record): it took the time of the next"
            #expect(run.stderr.contains(opening + (alsoPacket5 ? "; 1 packet was dated more than 60 s after every packet before it while the "
                + "packet after went back again (a corrupt record, or an interface whose clock runs ahead), first packet 5: " : " (summary.json")),
                    "\(run.stderr)")
            let decode = try #require(summary["decode"] as? [String: Any])
            #expect((decode["packetsDatedAhead"] as? [String: Int]) == ["count": alsoPacket5 ? 2 : 1, "firstPacket": 1], "\(decode)")
            let inspect = try Fixtures.runFlowcast(["inspect", capture])
            #expect(inspect.stdout.contains("packets dated ahead of the rest: \(alsoPacket5 ? 2 : 1) (first at packet 1;") && !inspect.stdout.contains("2106"),
                    "\(inspect.stdout)")
        }
        // The same windows as the capture without the corrupt records, none late; its first time the
        // second packet's (2008), not 2106.
        #expect(windows["first-ahead"]?["latePackets"] as? Int == 0, "\(windows)")
        #expect(windows["first-ahead"]?["count"] as? Int == windows["clean"]?["count"] as? Int, "\(windows)")
        #expect(firstTimes["first-ahead"]! < 1_200_000_000 && firstTimes["first-ahead"]! >= firstTimes["clean"]!, "\(firstTimes)")
    }

    /// Two interfaces whose clocks disagree by three hours, their packets interleaved one by one:
    /// every packet of the one ahead is judged dated ahead by the other's next packet. Until 7
    /// December 2026 the note said "or an interface whose clock runs ahead" without naming it.
    @Test func anInterfaceWhoseClockRunsAheadIsNamed() throws {
        typealias B = Self.Pcapng
        var out = B.section + B.interface("uplink0") + B.interface("mirror1")
        let records = B.records(try Self.webBrowsing())
        var onMirror = 0
        for (k, r) in records.enumerated() {
            // Every other packet from packet 4 on came on mirror1, whose clock is 3 h ahead.
            let mirror = k + 1 >= 4 && (k + 1) % 2 == 0
            if mirror { onMirror += 1 }
            out += B.packet(interface: mirror ? 1 : 0, micros: r.micros + (mirror ? 3 * 3_600_000_000 : 0), wire: r.wire, r.data)
        }
        let packet = records.count + 1
        let folder = try Self.folder("ahead-if")
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = folder.appendingPathComponent("two-clocks.pcapng").path
        try Data(out).write(to: URL(fileURLWithPath: capture))
        // The last packet is not judged (nothing comes after it): one fewer when it is mirror1's.
        let judged = onMirror - ((packet - 1) % 2 == 0 ? 1 : 0)
        let run = try Fixtures.runFlowcast(["replay", capture, "--out", folder.appendingPathComponent("run").path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("\(judged) packets were dated more than 60 s after every packet before them while the packet after went back "
                                    + "again (each came on interface mirror1 and the packet after it on another: is mirror1's clock ahead of the "
                                    + "others'?), first packet 4:"), "\(run.stderr)")
        let inspect = try Fixtures.runFlowcast(["inspect", capture])
        #expect(inspect.stdout.contains("packets dated ahead of the rest: \(judged) (first at packet 4;")
                && inspect.stdout.contains("each came on interface mirror1 and the packet after it on another: is mirror1's clock ahead of the others'?)"),
                "\(inspect.stdout)")
    }

    /// `flows` runs its timeouts on the latest time seen: after a packet dated ahead of the rest,
    /// every live flow ended idle and the packets after it began new flows lasting until that
    /// date, without a word (an audit of hostile captures). The real capture's packet 2 is dated
    /// 2061; the count is the packets of its tshark-derived expected times more than 60 s before
    /// an earlier packet's (a usable time, before 2262), recomputed here.
    @Test func flowsNamesThePacketDatedAheadOfTheRest() throws {
        let capture = "captures/real/pcapng-example-comments.pcapng"
        let expected = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(capture + ".expected.tsv"), encoding: .utf8)
        var latest: Double?, behind = 0, first: Int?, packets = 0
        for line in expected.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            packets += 1
            guard let time = Double(fields[1]), time < 9_223_372_036 else { continue }
            guard let seen = latest, time <= seen else { latest = time; continue }
            if seen - time > 60 { behind += 1; if first == nil { first = Int(fields[0]) } }
        }
        try #require(behind > 0)
        let run = try Fixtures.runFlowcast(["flows", capture])
        #expect(run.status == 0, "\(run.stderr)")
        let share = String(format: "%.1f", Double(behind) / Double(packets) * 100)
        #expect(run.stderr.contains("flowcast flows: warning: \(capture): \(behind) packets (\(share) %) were dated more than 60 s before a packet "
                                    + "that came earlier in the file (the first packet \(first!), after packet 2 dated 2061-09-21T12:39:57Z): "
                                    + "timeouts run on the latest time, so flows live then were ended idle"), "\(run.stderr)")
        // With a longer idle timeout the threshold follows it; a capture in time order says nothing.
        let longer = try Fixtures.runFlowcast(["flows", capture, "--idle-timeout", "120"])
        #expect(longer.stderr.contains("were dated more than 120 s before"), "\(longer.stderr)")
        let ordered = try Fixtures.runFlowcast(["flows", "captures/real/http-web-browsing.pcap"])
        #expect(ordered.status == 0 && !ordered.stderr.contains("dated more than"), "\(ordered.stderr)")
    }

    @Test func replayTimesStayIn2005() throws {
        let out = Scratch.root.appendingPathComponent("flowcast-time-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Fixtures.runFlowcast(["replay", Self.beyond, "--out", out.path, "--window", "1s"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast replay: warning: 1 packet without a usable time"), "\(run.stderr)")
        // The run's first and last times are the capture's usable ones (the packet dated 2300 read
        // as 1715 made the first time -8034271494).
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        let capture = try #require(summary["capture"] as? [String: Any])
        #expect((capture["firstTime"] as? Double).map { abs($0 - 1_128_727_430.350788) < 1e-6 } == true, "\(capture)")
        #expect((capture["lastTime"] as? Double).map { abs($0 - 1_128_727_435.634189) < 1e-6 } == true, "\(capture)")
    }

    /// A pcap record's fraction of a second out of range (an audit of hostile captures): 4e9 µs
    /// was read as +1.385 s (the scaling to nanoseconds wraps in 32 bits, as tshark's does) and
    /// 5e6 µs as +0.705 s, dating packets out of order in flows and windows without a word. Both
    /// are now no usable time, counted and said; `decode` still prints them as tshark does.
    @Test func fractionOutOfRangeIsNoUsableTime() throws {
        var bytes = [UInt8](try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("captures/real/http-web-browsing.pcap")))
        var offset = 24, packet = 1
        func setFraction(_ value: UInt32) { for i in 0..<4 { bytes[offset + 4 + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) } }
        while packet <= 4 {
            if packet == 3 { setFraction(4_000_000_000) }
            if packet == 4 { setFraction(5_000_000) }
            let included = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16 | Int(bytes[offset + 11]) << 24
            offset += 16 + included
            packet += 1
        }
        let folder = try Self.folder("fraction")
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = folder.appendingPathComponent("fraction.pcap").path
        try Data(bytes).write(to: URL(fileURLWithPath: capture))
        let inspect = try Fixtures.runFlowcast(["inspect", capture])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("packets without a usable time: 2 (first at packet 3;"), "\(inspect.stdout)")
        let flows = try Fixtures.runFlowcast(["flows", capture])
        #expect(flows.stderr.contains("2 packets without a usable time"), "\(flows.stderr)")
        // decode prints the record as stored: 5,000,000 µs × 1000 wrapped in 32 bits is 705,032,704 ns.
        let decode = try Fixtures.runFlowcast(["decode", capture, "-c", "4"])
        let fourth = decode.stdout.split(separator: "\n").last.map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(fourth?[1].hasSuffix(".705032704") == true, "\(decode.stdout)")
        // Untouched, the capture has none.
        let clean = try Fixtures.runFlowcast(["inspect", "captures/real/http-web-browsing.pcap"])
        #expect(!clean.stdout.contains("without a usable time"), "\(clean.stdout)")
    }
}

/// A record holding more bytes than its wire length (incl_len over orig_len: a corrupt record
/// header, read as tshark reads it) is counted and said: windows and flows count the wire length,
/// so such a capture's counts read low, and nothing said so (an audit).
@Suite struct RecordLengthCLITests {
    static let capture = "captures/synthetic/pcapng-wire-shorter.pcapng"  // packet 1: 42 bytes captured, 10 on the wire

    @Test func recordsLongerThanTheirWireAreCountedAndSaid() throws {
        let inspect = try Fixtures.runFlowcast(["inspect", Self.capture])
        #expect(inspect.stdout.contains("records longer than their wire length: 1 (first at packet 1;"), "\(inspect.stdout)")
        let json = try Fixtures.runFlowcast(["inspect", "--json", Self.capture])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["recordsLongerThanWire"] as? [String: Int]) == ["count": 1, "firstPacket": 1])
        let flows = try Fixtures.runFlowcast(["flows", Self.capture])
        #expect(flows.stderr.contains("flowcast flows: warning: 1 record held more bytes than the packet's length on the wire "
                                      + "(a corrupt record header), first packet 1"), "\(flows.stderr)")
        let out = Scratch.root.appendingPathComponent("flowcast-lengths-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let replay = try Fixtures.runFlowcast(["replay", Self.capture, "--out", out.path, "--quiet"])
        #expect(replay.status == 0 && replay.stderr.contains("1 record held more bytes"), "\(replay.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        #expect(((summary["decode"] as? [String: Any])?["recordsLongerThanWire"] as? [String: Int]) == ["count": 1, "firstPacket": 1])
        // A capture whose records are sound says nothing.
        let clean = try Fixtures.runFlowcast(["inspect", "captures/real/http-web-browsing.pcap"])
        #expect(!clean.stdout.contains("records longer"), "\(clean.stdout)")
    }
}
