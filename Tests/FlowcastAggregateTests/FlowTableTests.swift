@testable import FlowcastAggregate
import FlowcastCapture
import FlowcastCore
import FlowcastDecode
import FlowcastPipeline
import FlowcastTestSupport
import Foundation
import Testing

/// Flows summed from the tshark-derived per-packet expectations: key (protocol, endpoints in
/// either order) → packets and wire bytes per direction, A being the first packet's source.
/// A packet cut inside its innermost IP header may have a source but no destination: it has no
/// flow (a flow needs both addresses), so it is left out, as the flow table leaves it out.
func expectedFlows(_ capture: OracleCapture) -> [String: [Int]] {
    var flows: [String: (a: String, counts: [Int])] = [:]
    for row in capture.expectedRows where row.count == 13 && !row[6].isEmpty && !row[7].isEmpty && row[9] != "?" {
        let a = "\(row[6])|\(row[9])", b = "\(row[7])|\(row[10])"
        let key = "\(row[8])|" + [a, b].sorted().joined(separator: "|")
        var flow = flows[key] ?? (a, [0, 0, 0, 0])
        let wire = Int(row[2]) ?? 0
        if flow.a == a { flow.counts[0] += 1; flow.counts[1] += wire } else { flow.counts[2] += 1; flow.counts[3] += wire }
        flows[key] = flow
    }
    return flows.mapValues { $0.counts }
}

func tableFlows(_ path: String, configuration: FlowTable.Configuration) throws -> (flows: [FlowRecord], table: FlowTable, reasons: [FlowEndReason: Int]) {
    let table = FlowTable(configuration: configuration)
    var flows: [FlowRecord] = []
    var reasons: [FlowEndReason: Int] = [:]
    _ = try decodeCapture(path: path) { number, summary in
        _ = table.update(summary, packetNumber: number) { record, reason in flows.append(record); reasons[reason, default: 0] += 1 }
    }
    table.drain { record, reason in flows.append(record); reasons[reason, default: 0] += 1 }
    return (flows, table, reasons)
}

@Suite("Flow table")
struct FlowTableTests {
    static let captures = Fixtures.oracleCaptures().filter { !$0.expectsError }

    @Test("with no timeouts, flows equal the per-packet oracle summed per flow", arguments: captures)
    func flowsMatchOracle(_ capture: OracleCapture) throws {
        let (flows, _, _) = try tableFlows(capture.url.path, configuration: .init(idleTimeout: 0, activeTimeout: 0))
        let hasUndecidedPorts = capture.expectedRows.contains { $0.count == 13 && $0[9] == "?" }
        var got: [String: [Int]] = [:]
        for f in flows {
            let p = f.key.ipProtocol.map(String.init) ?? ""
            let a = "\(f.addressA)|\(f.key.hasPorts ? String(f.portA) : "")"
            let b = "\(f.addressB)|\(f.key.hasPorts ? String(f.portB) : "")"
            let key = "\(p)|" + [a, b].sorted().joined(separator: "|")
            got[key] = [Int(f.packets.0), Int(f.bytes.0), Int(f.packets.1), Int(f.bytes.1)]
        }
        for (key, want) in expectedFlows(capture) {
            let have = try #require(got[key], "\(capture.name): flow \(key) missing")
            // Directions: both orientations agree in totals, and A is the first packet's source.
            #expect(have == want || have == [want[2], want[3], want[0], want[1]], "\(capture.name) \(key): \(have) vs \(want)")
            #expect(have[0] + have[2] == want[0] + want[2])
        }
        if !hasUndecidedPorts { #expect(got.count == expectedFlows(capture).count, "\(capture.name)") }
    }

    @Test("a small bound evicts exactly the flows beyond it, each exported, none lost")
    func evictionIsCounted() throws {
        let path = Fixtures.captures.appendingPathComponent("real/mixed-traffic-example.pcap").path
        let (unbounded, _, _) = try tableFlows(path, configuration: .init(idleTimeout: 0, activeTimeout: 0))
        let (bounded, table, reasons) = try tableFlows(path, configuration: .init(idleTimeout: 0, activeTimeout: 0, maximumFlows: 8))
        #expect(table.evictedFlows > 0)
        #expect(table.peakFlows == 8)
        // Every created flow is exported exactly once: evicted ones when evicted, the rest at the end.
        #expect(bounded.count == table.createdFlows)
        #expect(reasons[.evicted] == table.evictedFlows)
        #expect(reasons[.end] == 8)
        #expect(bounded.count >= unbounded.count)
        let packets = { (fs: [FlowRecord]) in fs.reduce(0) { $0 + Int($1.packets.0 + $1.packets.1) } }
        let bytes = { (fs: [FlowRecord]) in fs.reduce(0) { $0 + Int($1.bytes.0 + $1.bytes.1) } }
        #expect(packets(bounded) == packets(unbounded))
        #expect(bytes(bounded) == bytes(unbounded))
    }

    @Test("an idle timeout splits a flow at the gap, and the pieces add up")
    func idleTimeoutSplits() throws {
        let path = Fixtures.captures.appendingPathComponent("real/mixed-traffic-example.pcap").path
        let (whole, _, _) = try tableFlows(path, configuration: .init(idleTimeout: 0, activeTimeout: 0))
        let (split, table, _) = try tableFlows(path, configuration: .init(idleTimeout: 20_000_000, activeTimeout: 0))
        #expect(split.count >= whole.count)
        #expect(table.expiredFlows > 0)
        #expect(split.reduce(0) { $0 + $1.packets.0 + $1.packets.1 } == whole.reduce(0) { $0 + $1.packets.0 + $1.packets.1 })
        for f in split { #expect(f.lastNanoseconds - f.firstNanoseconds >= 0) }
    }

    @Test("a flow that goes quiet ends on its idle timeout while other flows go on, not at the end of the capture")
    func idleFlowsEndWithoutAPacketOfTheirOwn() throws {
        let path = Fixtures.captures.appendingPathComponent("real/mixed-traffic-example.pcap").path
        let idle: Int64 = 2_000_000_000
        let table = FlowTable(configuration: .init(idleTimeout: idle, activeTimeout: 0))
        var ended: [(record: FlowRecord, reason: FlowEndReason, at: Int64)] = []
        var now: Int64 = 0
        _ = try decodeCapture(path: path) { number, summary in
            now = summary.timestampNanoseconds
            _ = table.update(summary, packetNumber: number) { record, reason in ended.append((record, reason, now)) }
        }
        table.drain { record, reason in ended.append((record, reason, now)) }
        let lastPacket = ended.map(\.record.lastNanoseconds).max() ?? 0
        // The sweep runs every quarter of the shortest timeout, so a flow idle for longer than
        // its timeout plus that quarter before the capture ends has ended idle.
        let quietLong = ended.filter { lastPacket - $0.record.lastNanoseconds > idle + idle / 4 }
        #expect(quietLong.count > 10)
        for e in quietLong {
            #expect(e.reason == .idle, "a flow last seen \(Double(lastPacket - e.record.lastNanoseconds) / 1e9) s before the end ended \(e.reason)")
            // … when its timeout had passed, at most a sweep later.
            if e.reason == .idle { #expect(e.at - e.record.lastNanoseconds >= idle && e.at - e.record.lastNanoseconds <= idle + idle / 4 + 1_000_000_000) }
        }
    }

    /// One TCP segment from 10.0.0.1:40000 (A) to 10.0.0.2:80 at `micros`, or back when `back`.
    static func segment(_ micros: Int64, seq: UInt32, length: Int, flags: UInt8 = 0x18, back: Bool = false) -> PacketSummary {
        var s = PacketSummary()
        s.timestampNanoseconds = 1_764_000_000_000_000_000 + micros * 1000
        s.wireLength = 54 + length
        let a = IPAddress(ipv4: 0x0A00_0001), b = IPAddress(ipv4: 0x0A00_0002)
        (s.innerSource, s.innerDestination) = back ? (b, a) : (a, b)
        (s.sourcePort, s.destinationPort) = back ? (80, 40000) : (40000, 80)
        s.ipProtocol = 6
        s.tcpFlags = flags
        s.tcpSequence = seq
        s.tcpWindow = 1000
        s.payloadLength = length
        return s
    }

    /// Wireshark's tcp.analysis.zero_window: window 0 with none of SYN, FIN and RST. A tarpit's
    /// SYN-ACK, a FIN and a RST with window 0 counted (an audit: 3 where tshark has 1).
    @Test("a zero window is counted on segments without SYN, FIN or RST only")
    func zeroWindowsAreWiresharks() {
        let table = FlowTable(configuration: .init(idleTimeout: 0, activeTimeout: 0))
        for (i, (flags, back)) in [(UInt8(0x02), false), (0x12, true), (0x10, false), (0x11, true), (0x14, false), (0x18, true)].enumerated() {
            var s = Self.segment(Int64(i) * 1000, seq: UInt32(1000 + i), length: 0, flags: flags, back: back)
            s.tcpWindow = 0
            _ = table.update(s, packetNumber: i + 1) { _, _ in }
        }
        var zero = (0, 0)
        table.drain { r, _ in zero = (Int(r.zeroWindows.0), Int(r.zeroWindows.1)) }
        // A→B: SYN (no), ACK (yes), RST-ACK (no); B→A: SYN-ACK (no), FIN-ACK (no), PSH-ACK (yes).
        #expect(zero == (1, 1))
    }

    /// Feeds segments (time in µs, sequence, length) A→B and returns which ones counted as
    /// retransmissions, and the flow's count.
    static func retransmitted(_ segments: [(Int64, UInt32, Int)], handshakeRTT: Int64? = nil) -> ([Bool], Int) {
        let table = FlowTable(configuration: .init(idleTimeout: 0, activeTimeout: 0))
        if let rtt = handshakeRTT {
            _ = table.update(segment(-rtt - 1, seq: 999, length: 0, flags: 0x02), packetNumber: 0) { _, _ in }
            _ = table.update(segment(-rtt / 2, seq: 5000, length: 0, flags: 0x12, back: true), packetNumber: 0) { _, _ in }
            _ = table.update(segment(-1, seq: 1000, length: 0, flags: 0x10), packetNumber: 0) { _, _ in }
        }
        var marks: [Bool] = []
        for (i, (t, seq, length)) in segments.enumerated() {
            marks.append(table.update(segment(t, seq: seq, length: length), packetNumber: i + 1) { _, _ in }!.retransmission)
        }
        var total = 0
        table.drain { r, _ in total += Int(r.retransmissions.0 + r.retransmissions.1) }
        return (marks, total)
    }

    @Test("in-order segments are not retransmissions")
    func inOrderIsNotRetransmission() {
        let (marks, total) = Self.retransmitted([(0, 1000, 100), (100, 1100, 100), (200, 1200, 100)])
        #expect(marks == [false, false, false] && total == 0)
    }

    @Test("a segment filling a gap within 1 ms of the segment past it is out of order, not a retransmission")
    func reorderedWithinAMillisecond() {
        // 1100 arrives before 1000…1099, which follows 0.5 ms later.
        let (marks, total) = Self.retransmitted([(0, 900, 100), (1000, 1100, 100), (1500, 1000, 100), (2000, 1200, 100)])
        #expect(marks == [false, false, false, false] && total == 0)
    }

    @Test("the same gap filled 200 ms later is a retransmission")
    func gapFilledLateIsRetransmission() {
        let (marks, total) = Self.retransmitted([(0, 900, 100), (1000, 1100, 100), (201_000, 1000, 100)])
        #expect(marks == [false, false, true] && total == 1)
    }

    @Test("a segment sent again is a retransmission even at once: it ends at the next expected sequence number")
    func duplicateIsRetransmission() {
        // The last segment repeated 10 µs later, and an older one 20 ms later.
        let (marks, total) = Self.retransmitted([(0, 1000, 100), (1000, 1100, 100), (1010, 1100, 100), (21_000, 1000, 100)])
        #expect(marks == [false, false, true, true] && total == 2)
    }

    @Test("with the handshake seen, the out-of-order threshold is the initial round-trip time, not 3 ms")
    func thresholdIsTheInitialRTT() {
        let late = [(Int64(0), UInt32(1000), 100), (1000, 1100, 100), (21_000, 1000, 100)]
        // 20 ms after the segment past the gap: out of order under a 50 ms RTT, a retransmission
        // under a 10 ms one and without a handshake (3 ms).
        #expect(Self.retransmitted(late.map { ($0.0, $0.1 + 100, $0.2) }, handshakeRTT: 50_000).1 == 0)
        #expect(Self.retransmitted(late.map { ($0.0, $0.1 + 100, $0.2) }, handshakeRTT: 10_000).1 == 1)
        #expect(Self.retransmitted(late.map { ($0.0, $0.1 + 100, $0.2) }).1 == 1)
    }

    @Test("the initial round-trip time is kept in one byte, rounded down by less than 1/16")
    func initialRTTByte() {
        #expect(FlowTable.initialRTTMicros(FlowTable.encodeInitialRTT(5)) == 16)
        #expect(FlowTable.initialRTTMicros(FlowTable.encodeInitialRTT(4_000_000_000)) == 31 << 15)
        for micros: UInt32 in [16, 17, 31, 32, 33, 1000, 2999, 3000, 49_999, 50_000, 123_457, 1_015_808] {
            let back = FlowTable.initialRTTMicros(FlowTable.encodeInitialRTT(micros))
            #expect(back <= micros && back > micros - micros / 16 - 1, "\(micros) → \(back)")
        }
    }

    @Test("a keep-alive (one byte, one before the next expected) is not a retransmission")
    func keepAliveIsNotRetransmission() {
        let (marks, total) = Self.retransmitted([(0, 1000, 100), (5_000_000, 1099, 1), (10_000_000, 1099, 1)])
        #expect(marks == [false, false, false] && total == 0)
    }

    /// tshark's per-flow counts (Oracles/tcp-retransmissions.tsv, made by
    /// tools/tshark-retransmissions.py with the command in its header): capture → flow → frames
    /// flagged tcp.analysis.retransmission (which includes the fast and spurious ones).
    static let tshark: (captures: [String], flows: [String: [String: Int]]) = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Oracles/tcp-retransmissions.tsv")
        var captures: [String] = [], flows: [String: [String: Int]] = [:]
        for line in ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n") {
            if line.hasPrefix("# made by: ") { captures = line.split(separator: " ").dropFirst(4).map(String.init); continue }
            let f = line.split(separator: "\t")
            guard !line.hasPrefix("#"), f.count == 6, let n = Int(f[2]) else { continue }
            flows[String(f[0]), default: [:]][String(f[1])] = n
        }
        return (captures, flows)
    }()

    /// Frames tshark flags that the flow table counts out of order: each is a fast retransmission
    /// (≥ 2 duplicate ACKs the other way, < 20 ms after the last) or a spurious one (its data
    /// already acknowledged) that came within the out-of-order threshold of the segment that last
    /// advanced its direction. Telling them needs acknowledgement numbers, which the flow table
    /// does not follow (FlowTable.trackTCP). Every other flagged frame matches, and no other.
    static let countedOutOfOrder: [String: [String: Int]] = [
        "fuzz-2006-06-26-2594.pcap": ["147.234.1.253 21 192.168.1.2 2720": 1],  // frame 47, spurious
        "mixed-apps-teams.pcap": ["192.168.1.6 50021 52.114.250.123 443": 1,     // frame 73, fast
                                  "192.168.1.6 60534 40.126.9.5 443": 1],        // frame 1286, fast
        "mixed-traffic-example.pcap": ["10.0.0.6 44153 212.199.202.9 80": 1],    // frame 1383, fast
    ]

    /// Per-flow retransmissions of `flowcast flows --format json` (no timeouts: tshark's streams
    /// are not cut) against tshark 4.0's on every capture the oracle file was made from, with a
    /// tolerance of 0: equal per flow, less exactly the frames of `countedOutOfOrder`. The
    /// copyleft captures (nDPI, tcpreplay) are read from ../shared only and skipped without it.
    /// Flowcast before this rule (any data before the next expected sequence number counted):
    /// mixed-apps-1kxun 76 (tshark 47, 9 out of order), mixed-apps-teams 27 (tshark 5, 22 out of
    /// order), mixed-traffic-example 13 (10, 3), fuzz-2006-06-26-2594 9 (8, 2).
    @Test("per-flow TCP retransmissions equal tshark's, but for fast and spurious ones within the out-of-order threshold",
          arguments: tshark.captures)
    func retransmissionsMatchTshark(_ name: String) throws {
        let folders = ["captures/real", "captures/demo"].map { Fixtures.repositoryRoot.appendingPathComponent($0) }
            + (Fixtures.shared.map { [$0.appendingPathComponent("captures/real")] } ?? [])
        guard let url = folders.map({ $0.appendingPathComponent(name) }).first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            return  // a copyleft capture, read from ../shared only, absent here
        }
        let run = try Fixtures.runFlowcast(["flows", url.path, "--format", "json", "--idle-timeout", "0", "--active-timeout", "0"])
        #expect(run.status == 0, "\(run.stderr)")
        var got: [String: Int] = [:]
        for line in run.stdout.split(separator: "\n") {
            let flow = try JSONDecoder().decode(FlowLine.self, from: Data(line.utf8))
            guard flow.proto == 6 else { continue }
            let ends = ["\(flow.a) \(flow.portA ?? 0)", "\(flow.b) \(flow.portB ?? 0)"].sorted()
            got[ends.joined(separator: " "), default: 0] += Int(flow.retransmissions ?? 0)
        }
        #expect(!got.isEmpty, "\(name): no TCP flows")
        let want = Self.tshark.flows[name] ?? [:], outOfOrder = Self.countedOutOfOrder[name] ?? [:]
        for flow in Set(want.keys).union(got.keys).sorted() {
            let expected = want[flow, default: 0] - outOfOrder[flow, default: 0]
            #expect(got[flow, default: 0] == expected,
                    "\(name) \(flow): \(got[flow, default: 0]), tshark \(want[flow, default: 0]), \(outOfOrder[flow, default: 0]) of them out of order here")
        }
    }

    static let icmpCaptures = captures.filter { !$0.isShared && FileManager.default.fileExists(atPath: $0.url.path + ".icmp.tsv") }

    /// Each ICMP flow's type and code per direction is tshark's for the first message of that
    /// direction (tools/tshark-icmp.py's NAME.icmp.tsv, placed by NAME.expected.tsv's addresses).
    @Test("ICMP flows carry the type and code of each direction's first message, as tshark decodes it", arguments: icmpCaptures)
    func icmpTypeCodePerDirection(_ capture: OracleCapture) throws {
        var oracle: [Int: String] = [:]
        for line in try String(contentsOfFile: capture.url.path + ".icmp.tsv", encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: "\t")
            oracle[Int(f[0])!] = f[1] == "-" || f[1] == "?" ? "" : "\(f[1]).\(f[2])"
        }
        // "proto|source|destination" → the first message's "type.code", in frame order.
        var want: [String: String] = [:]
        for row in capture.expectedRows where row.count == 13 && (row[8] == "1" || row[8] == "58") {
            guard let typeCode = oracle[Int(row[0])!], !typeCode.isEmpty else { continue }
            let key = "\(row[8])|\(row[6])|\(row[7])"
            if want[key] == nil { want[key] = typeCode }
        }
        #expect(!want.isEmpty)
        let (flows, _, _) = try tableFlows(capture.url.path, configuration: .init(idleTimeout: 0, activeTimeout: 0))
        var seen = 0
        for f in flows {
            guard let p = f.key.ipProtocol, p == 1 || p == 58 else {
                #expect(f.icmpTypeCode.0 == nil && f.icmpTypeCode.1 == nil)
                continue
            }
            let text = { (v: UInt16?) in v.map { "\($0 >> 8).\($0 & 0xFF)" } }
            #expect(text(f.icmpTypeCode.0) == want["\(p)|\(f.addressA)|\(f.addressB)"], "\(capture.name) \(f.addressA) → \(f.addressB)")
            // A host pinging itself (sll2-linux-cooked-v2.pcap) is one direction, A→B.
            let reverse = f.addressA == f.addressB ? nil : want["\(p)|\(f.addressB)|\(f.addressA)"]
            #expect(text(f.icmpTypeCode.1) == reverse, "\(capture.name) \(f.addressB) → \(f.addressA)")
            seen += (f.icmpTypeCode.0 != nil ? 1 : 0) + (f.icmpTypeCode.1 != nil ? 1 : 0)
        }
        #expect(seen == want.count, "\(capture.name): \(seen) directions with a type, tshark \(want.count)")
    }

    /// Random short flows (IPv4 and IPv6, times a little out of order, both timeouts): a table
    /// whose sweeps look only at the records its deadlines say are due ends the same flows, for
    /// the same reasons, in the same order, as one whose sweeps test every record.
    @Test("sweeping by deadline ends exactly the flows a sweep of every record ends, in the same order")
    func deadlineSweepIsTheWholeSweep() {
        var rng = SplitMix64(seed: 3)
        let configuration = FlowTable.Configuration(idleTimeout: 2_000_000_000, activeTimeout: 7_000_000_000, maximumFlows: 1 << 14)
        let byDeadline = FlowTable(configuration: configuration), everyRecord = FlowTable(configuration: configuration)
        everyRecord.sweepsEveryRecord = true
        var ended: [[String]] = [[], []]
        var now: Int64 = 1_764_000_000_000_000_000
        for number in 1...200_000 {
            now += Int64(rng.next() % 200_000)  // 100 µs apart on average: 20 s in all
            var s = PacketSummary()
            s.timestampNanoseconds = now - Int64(rng.next() % 3_000_000)  // up to 3 ms out of order
            s.wireLength = 100
            let flow = rng.next() % (rng.next() % 4 == 0 ? 20_000 : 500)
            let v6 = flow % 5 == 0
            s.innerSource = v6 ? IPAddress(ipv6High: 0x2001_0db8 << 32, low: flow) : IPAddress(ipv4: 0x0A00_0000 | UInt32(flow))
            s.innerDestination = v6 ? IPAddress(ipv6High: 0x2001_0db8 << 32, low: 1 << 40) : IPAddress(ipv4: 0xC000_0201)
            (s.sourcePort, s.destinationPort) = (UInt16(1024 + flow % 60_000), 443)
            s.ipProtocol = 17
            for (t, table) in [byDeadline, everyRecord].enumerated() {
                _ = table.update(s, packetNumber: number) { record, reason in
                    ended[t].append("\(record.addressA) \(record.portA) \(reason) \(record.firstNanoseconds) \(record.lastNanoseconds) \(record.packets.0)")
                }
            }
        }
        #expect(ended[0].count > 5_000)
        #expect(Set(ended[0].map { $0.split(separator: " ")[2] }) == ["idle", "active"])
        #expect(ended[0].count == ended[1].count)
        let differ = zip(ended[0], ended[1]).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(differ == nil, "ended flow \(differ?.offset ?? 0): by deadline \(differ?.element.0 ?? ""), every record \(differ?.element.1 ?? "")")
    }

    @Test("a packet time of 2^61 or more in magnitude makes every sweep test every record, and flows still end on their timeouts")
    func extremeTimesSweepEveryRecord() throws {
        let table = FlowTable(configuration: .init(idleTimeout: 1_000_000_000, activeTimeout: 0))
        var ended: [FlowEndReason] = []
        let base: Int64 = 1 << 62
        for (i, t) in [base, base + 500_000_000, base + 5_000_000_000].enumerated() {
            var s = FlowTableTests.segment(0, seq: 1, length: 10)
            s.timestampNanoseconds = t
            if i == 2 { s.innerSource = IPAddress(ipv4: 0x0A00_0009) }
            _ = table.update(s, packetNumber: i) { _, reason in ended.append(reason) }
        }
        #expect(table.sweepsEveryRecord)
        #expect(ended == [.idle])
    }

    /// The longest line a flow can make: IPv6 addresses of eight four-digit words, ports, every
    /// counter at its largest, times at both ends of 64-bit nanoseconds, both TEIDs, TCP fields, an end
    /// reason; within `appendJSON`'s 800-byte bound with room left, and read back by `FlowLine`.
    @Test("the longest flow line fits the bound its writer reserves, and decodes")
    func longestFlowLineFitsItsBound() throws {
        let ones = UInt64.max - 0x0001_0001_0001_0001
        var record = FlowRecord(key: FlowKey(lowHigh: ones, lowLow: ones, highHigh: ones, highLow: ones - 1,
                                             lowPort: 65535, highPort: 65534, proto: 0x100 | 6, familyBits: 3),
                                aIsLow: true, now: .min + 1_000_000_000, firstPacket: 1)
        record.lastNanoseconds = .max
        record.packets = (.max, .max); record.bytes = (.max, .max); record.ipBytes = (.max, .max)
        record.teidValue = (.max, .max); record.flags |= 6
        record.retransmissions = (.max, .max); record.zeroWindows = (.max, .max); record.tcpFlags = (255, 255)
        let cell = "cell-\u{1}\"\\" + String(repeating: "é", count: 50)
        var out: [UInt8] = []
        record.appendJSON(reason: .evicted, cellName: nil, to: &out)
        #expect(out.count < 800, "\(out.count) bytes")
        out.removeAll()
        record.appendJSON(reason: .evicted, cellName: cell, to: &out)
        let line = try JSONDecoder().decode(FlowLine.self, from: Data(out.dropLast()))
        #expect(line.cell == cell && line.bytesAB == .max && line.retransmissions == 2 * UInt64(UInt32.max))
        #expect(line.a == "fffe:fffe:fffe:fffe:fffe:fffe:fffe:fffe" && line.portB == 65534)
        #expect(line.first == "-9223372036.145224192" && line.last == "9223372036.854775807")
    }

    @Test("memory per live flow is what the README states (192 bytes)")
    func memoryPerFlow() {
        #expect(MemoryLayout<FlowRecord>.stride == 168)
        #expect(FlowTable.bytesPerFlow == 192)
    }
}
