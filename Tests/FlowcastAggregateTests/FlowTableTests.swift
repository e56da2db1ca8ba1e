import FlowcastAggregate
import FlowcastCapture
import FlowcastDecode
import FlowcastPipeline
import FlowcastTestSupport
import Foundation
import Testing

/// Flows summed from the tshark-derived per-packet expectations: key (protocol, endpoints in
/// either order) → packets and wire bytes per direction, A being the first packet's source.
/// A packet whose innermost header was cut between its two addresses belongs to no flow.
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

    /// tshark's `tcp.analysis.retransmission` counts: tcp-reassembly.pcap 20, nflog-http.pcap 2,
    /// mixed-traffic-example.pcap 10. Flowcast's estimate only looks at sequence numbers (no
    /// timing), so it may count a little differently, but must find them and stay close.
    @Test("TCP retransmissions are estimated from repeated sequence space", arguments: [
        ("tcp-reassembly.pcap", 20), ("nflog-http.pcap", 2), ("mixed-traffic-example.pcap", 10), ("http-web-browsing.pcap", 0),
    ])
    func retransmissions(_ name: String, _ tshark: Int) throws {
        let path = Fixtures.captures.appendingPathComponent("real/\(name)").path
        let (flows, _, _) = try tableFlows(path, configuration: .init(idleTimeout: 0, activeTimeout: 0))
        let found = flows.reduce(0) { $0 + Int($1.retransmissions.0 + $1.retransmissions.1) }
        if tshark == 0 { #expect(found == 0) } else {
            #expect(found > 0)
            #expect(abs(found - tshark) <= max(3, tshark / 3), "\(name): \(found) vs tshark \(tshark)")
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

    @Test("memory per live flow is what the README states (160 bytes)")
    func memoryPerFlow() {
        #expect(MemoryLayout<FlowRecord>.stride == 144)
        #expect(FlowTable.bytesPerFlow == 160)
    }
}
