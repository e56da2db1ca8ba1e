import FlowcastAggregate
import FlowcastCapture
import FlowcastCore
import FlowcastDecode
@testable import FlowcastPipeline
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// The hand-written emitters of windows.jsonl, flows.jsonl and forecasts.jsonl write their format
/// types: each line they write decodes through `WindowLine`, `FlowLine` or `ForecastLine` to the
/// values the writer holds. summary.json reads back through `RunSummary` to the same bytes.
@Suite("Output lines decode through their format types")
struct OutputLineTests {
    static let captures: [(capture: String, topology: String?, windowNanoseconds: Int64)] = [
        ("demo/demo.pcapng", "demo/topology.yaml", 1_000_000_000),
        ("demo/demo.pcapng", "demo/topology.yaml", 333_333_333),  // starts that are not whole seconds
        ("real/mixed-traffic-example.pcap", nil, 1_000_000_000),
        ("real/gtpv1-gn-gtpu-ipv4-inner-frag.pcap", nil, 1_000_000_000),
        ("real/sll-linux-cooked-capture.pcap", nil, 1_000_000_000),
        ("real/erspan-gre-mirror.pcap", nil, 1_000_000_000),
        ("real/dhcp-flood.pcap", nil, 1_000_000_000),
    ]

    /// Every IPv4 packet in one cell and on one link, every IPv6 packet in another cell (names the
    /// emitter must escape), so a real capture without a topology still gives windows.
    static let everything = """
        bands:
          - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }
        nodes:
          - { id: a, kind: site, address: 10.255.0.1 }
          - { id: b, kind: core, address: 10.255.0.2 }
        cells:
          - { id: "all \\"v4\\"", band: n78, peakSpectralEfficiency: 5.5, site: a }
          - { id: "all-v6 é", band: n78, peakSpectralEfficiency: 5.5, site: a }
        links:
          - { id: l-ab, a: a, b: b, capacity: 10G }
        match:
          - { prefix: 0.0.0.0/0, cell: "all \\"v4\\"", links: [l-ab] }
          - { prefix: "::/0", cell: "all-v6 é" }
        """

    func temporaryDirectory() -> String {
        Scratch.root.appendingPathComponent("flowcast-lines-\(UUID().uuidString)").path
    }

    /// A planner for the demo topology, planning every `every` ns into `out`.
    static func demoPlanner(every: Int64, out: String) throws -> IntervalPlanner {
        let topologyPath = ReplayTests.demoTopology
        return try IntervalPlanner(topology: try Topology(contentsOfFile: topologyPath),
                                   topologyData: Data(contentsOf: URL(fileURLWithPath: topologyPath)),
                                   inputDescription: "test", options: .init(everyNanoseconds: every, directory: out))
    }

    @Test("every window and flow line of a capture decodes to the writer's values", arguments: captures)
    func emittedLinesDecode(_ c: (capture: String, topology: String?, windowNanoseconds: Int64)) throws {
        let topology = try c.topology.map { try Topology(contentsOfFile: Fixtures.captures.appendingPathComponent($0).path) }
            ?? Topology(yaml: Self.everything, file: "everything.yaml")
        var aggregator = TrafficAggregator(topology: topology, configuration: .init(windowNanoseconds: c.windowNanoseconds))
        let decoder = JSONDecoder()
        var windows = 0, flows = 0, tcpFlows = 0, mismatches: [String] = []
        func checkWindows(_ closed: [WindowSummary]) {
            for w in closed {
                var bytes: [UInt8] = []
                w.appendJSON(to: &bytes)
                #expect(bytes.last == 10 && bytes.dropLast().allSatisfy { $0 != 10 })
                let decoded = try? decoder.decode(WindowLine.self, from: Data(bytes))
                if decoded != w.line { mismatches.append(String(decoding: bytes, as: UTF8.self)) }
                windows += 1
            }
        }
        func checkFlow(_ record: borrowing FlowRecord, _ reason: FlowEndReason) {
            // Cell names with characters the emitter escapes.
            let cell = record.cell >= 0 ? "cell \"\(record.cell)\"\\\u{1}é" : nil
            for (r, name) in [(reason, cell), (nil, nil)] as [(FlowEndReason?, String?)] {
                var bytes: [UInt8] = []
                record.appendJSON(reason: r, cellName: name, to: &bytes)
                let decoded = try? decoder.decode(FlowLine.self, from: Data(bytes))
                if decoded != record.line(reason: r, cellName: name) { mismatches.append(String(decoding: bytes, as: UTF8.self)) }
            }
            flows += 1
            if record.key.ipProtocol == 6 { tcpFlows += 1 }
        }
        let packetDecoder = PacketDecoder()
        try OfflineCapture(path: Fixtures.captures.appendingPathComponent(c.capture).path).forEachPacket { packet in
            let s = packetDecoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                         timestampNanoseconds: packet.timestampNanoseconds)
            aggregator.add(s, packetNumber: packet.number, windowClosed: checkWindows, flowEnded: checkFlow)
        }
        aggregator.finish(windowClosed: checkWindows, flowEnded: checkFlow)
        #expect(windows > 0 && flows > 0)
        #expect(mismatches.isEmpty, "\(mismatches.count) lines decode to other values, first: \(mismatches.first ?? "")")
    }

    @Test("a live window with drops ends its line with droppedBeforeCapture, which WindowLine and the planner's reader accept; without drops the line is unchanged")
    func droppedBeforeCaptureField() throws {
        let topology = try Topology(contentsOfFile: Fixtures.captures.appendingPathComponent("demo/topology.yaml").path)
        var aggregator = TrafficAggregator(topology: topology, configuration: .init(windowNanoseconds: 1_000_000_000))
        var first: [WindowSummary] = []
        func keep(_ closed: [WindowSummary]) { if first.isEmpty { first = closed } }
        let packetDecoder = PacketDecoder()
        try OfflineCapture(path: Fixtures.captures.appendingPathComponent("demo/demo.pcapng").path).forEachPacket { packet in
            let s = packetDecoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                         timestampNanoseconds: packet.timestampNanoseconds)
            aggregator.add(s, packetNumber: packet.number, windowClosed: keep, flowEnded: { _, _ in })
        }
        let window = try #require(first.first { $0.packetsUp + $0.packetsDown > 0 })
        var plain: [UInt8] = []
        window.appendJSON(to: &plain)
        #expect(!String(decoding: plain, as: UTF8.self).contains("dropped"))
        #expect(try JSONDecoder().decode(WindowLine.self, from: Data(plain)).droppedBeforeCapture == nil)

        var dropped = window
        dropped.droppedBeforeCapture = 13_695
        var bytes: [UInt8] = []
        dropped.appendJSON(to: &bytes)
        // The same line, the key added last.
        #expect(String(decoding: bytes, as: UTF8.self)
                == String(decoding: plain.dropLast(2), as: UTF8.self) + ",\"droppedBeforeCapture\":13695}\n")
        let line = try JSONDecoder().decode(WindowLine.self, from: Data(bytes))
        #expect(line.droppedBeforeCapture == 13_695 && line == dropped.line)
        // Published to a planner (the line plus "site"): read as the same window.
        let published = Array(bytes.dropLast(2)) + Array(#","site":"s1"}"#.utf8)
        let read = try WindowSummary.parsePublished(try #require(FlatJSON(published)))
        #expect(read.site == "s1" && read.window.packetsUp == window.packetsUp && read.window.bytesDown == window.bytesDown)
    }

    @Test("forecasts.jsonl lines decode through ForecastLine and re-emit to the same bytes")
    func forecastLinesRoundTrip() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let topology = try Topology(contentsOfFile: ReplayTests.demoTopology)
        let planner = try Self.demoPlanner(every: 60_000_000_000, out: out)
        _ = try runReplay(ReplayOptions(capturePath: ReplayTests.demo, topology: topology, outputDirectory: out,
                                        aggregation: .init(windowNanoseconds: 10_000_000_000)), planner: planner)
        let text = try String(contentsOfFile: out + "/forecasts.jsonl", encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count > 100)
        var partial = 0
        for (n, line) in lines.enumerated() {
            let f = try FormatReading.decode(ForecastLine.self, from: Data(line.utf8), path: "forecasts.jsonl", line: n + 1)
            var again: [UInt8] = []
            ForecastLine.appendJSON(interval: f.interval, startNanoseconds: Int64((f.start * 1e9).rounded()), kind: f.kind, id: f.id,
                                    point: f.point, upper: f.upper, actual: f.actual, persistence: f.persistence,
                                    partial: f.partial, to: &again)
            #expect(String(decoding: again, as: UTF8.self) == line + "\n")
            if f.partial { partial += 1 }
        }
        #expect(partial > 0)
        // One decimal: what the writer holds is within 0.05 of what the line says.
        var bytes: [UInt8] = []
        ForecastLine.appendJSON(interval: 3, startNanoseconds: 1_764_403_210_500_000_000, kind: .link, id: "l\"1",
                                point: 1234.5678, upper: 2000.04, actual: 0, persistence: nil, partial: true, to: &bytes)
        let f = try JSONDecoder().decode(ForecastLine.self, from: Data(bytes))
        #expect(f == ForecastLine(interval: 3, start: 1_764_403_210.5, kind: .link, id: "l\"1", point: 1234.6, upper: 2000.0,
                                  actual: 0, persistence: nil, partial: true))
    }

    /// A rate of 1.8e308 drew a report chart blank (`data-y-max="inf"`) without a word; a time of
    /// 1e20 is no capture's. Such lines are refused naming the field (the report skips and counts them).
    @Test("a forecasts.jsonl rate beyond 1 Pbit/s or a start at no capture time is refused, naming the field")
    func forecastLineValuesOutOfRange() throws {
        let good = #"{"interval":1,"start":1764403210,"kind":"cell","id":"c","point":10.0,"upper":12.0,"actual":11.0,"persistence":9.0,"partial":false}"#
        #expect(throws: Never.self) { try FormatReading.decode(ForecastLine.self, from: Data(good.utf8), path: "f.jsonl", line: 1) }
        for (field, from, to) in [("actual", #""actual":11.0"#, #""actual":1.7976931348623157e308"#),
                                  ("point", #""point":10.0"#, #""point":-1e16"#),
                                  ("persistence", #""persistence":9.0"#, #""persistence":2e15"#),
                                  ("start", #""start":1764403210"#, #""start":1e20"#)] {
            let line = good.replacingOccurrences(of: from, with: to)
            #expect(throws: FormatReadError(path: "f.jsonl", line: 4, problem: .badValue(field: field))) {
                try FormatReading.decode(ForecastLine.self, from: Data(line.utf8), path: "f.jsonl", line: 4)
            }
        }
    }

    /// A live window that lost packets before capture reads low: its forecast line is not scored
    /// (partial), the forecaster does not learn from it, and the next window's persistence
    /// baseline is the last window that did not lose any.
    @Test("a window that lost packets before capture is reported, not learned from")
    func windowsWithDropsAreNotLearnedFrom() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let planner = try Self.demoPlanner(every: 600_000_000_000, out: out)
        let ten: Int64 = 10_000_000_000
        // cell-1 carries 1,000 bytes a window, but window 3 lost packets and read 100.
        for n in 0..<5 {
            var w = WindowSummary(kind: .cell, id: "cell-1", startNanoseconds: 1_764_403_200 * 1_000_000_000 + Int64(n) * ten,
                                  durationNanoseconds: ten, partial: false)
            w.bytesUp = n == 3 ? 100 : 1_000
            if n == 3 { w.droppedBeforeCapture = 13_695 }
            planner.windowClosed([w])
        }
        try planner.finish()
        let lines = try String(contentsOfFile: out + "/forecasts.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(ForecastLine.self, from: Data($0.utf8)) }
        let byWindow = Dictionary(uniqueKeysWithValues: lines.map { ($0.interval, $0) })
        let three = try #require(byWindow[3]), four = try #require(byWindow[4])
        #expect(three.partial && three.actual == 80)  // 100 bytes in 10 s
        #expect(!four.partial && four.actual == 800)
        #expect(four.persistence == 800, "the baseline is window 2's 800 bit/s, not the dropped window's 80")
        #expect(four.point == 800, "persistence, learned from windows 0–2 only")
    }

    /// A run that began inside its first window observed only part of it: the window says from
    /// when (`observedFrom`) when that is known. A replay does not know when its capture began, so
    /// it marks nothing; live gives the time its capture opened or its topology was reloaded
    /// (here through the same aggregator, on a real capture).
    @Test("the first window says from when it was observed when that is known; no other window does, and a replay marks nothing")
    func firstWindowSaysWhenObservationBegan() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let capture = Fixtures.captures.appendingPathComponent("real/dhcp-flood.pcap").path
        let topology = try Topology(yaml: Self.everything, file: "everything.yaml")
        func run(_ seconds: Int64, _ start: TrafficAggregator.ObservationStart) throws -> (first: Double, lines: [WindowLine]) {
            _ = try runReplay(ReplayOptions(capturePath: capture, topology: topology, outputDirectory: out,
                                            aggregation: .init(windowNanoseconds: seconds * 1_000_000_000, observationStart: start)),
                              planner: nil)
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
            let lines = try String(contentsOfFile: out + "/windows.jsonl", encoding: .utf8).split(separator: "\n")
                .map { try JSONDecoder().decode(WindowLine.self, from: Data($0.utf8)) }
            return (try #require((summary["capture"] as! [String: Any])["firstTime"] as? Double), lines)
        }
        for seconds: Int64 in [10, 1] {
            let replay = try run(seconds, .unknown)
            let start = try #require(replay.lines.first?.start)
            try #require(replay.first > start, "the capture must start inside its first window for this test")
            #expect(replay.lines.allSatisfy { $0.observedFrom == nil })
            // Every line of the first window (both cells and the link), and nothing else.
            func marked(_ lines: [WindowLine], from: Double) {
                let marked = lines.filter { $0.observedFrom != nil }
                #expect(marked.count == 3 && marked.allSatisfy { $0.start == start && abs($0.observedFrom! - from) < 1e-6 }, "\(marked)")
                #expect(lines.filter { $0.start == start }.count == 3)
            }
            marked(try run(seconds, .earliestPacket).lines, from: replay.first)
            let opened = (start + replay.first) / 2
            marked(try run(seconds, .at(Int64((opened * 1e9).rounded()))).lines, from: opened)
            // Opened after the first packet was stamped (a packet read as the capture opened): the packet's time.
            marked(try run(seconds, .at(Int64((replay.first * 1e9).rounded()) + 1_000_000)).lines, from: replay.first)
            // Opened before the first packet's window: that window was watched whole, and the one
            // the capture opened in is written too, empty and observed from the opening (windows of
            // a live tap run from its start, not from its first packet).
            let early = try run(seconds, .at(Int64(start * 1e9) - 1)).lines
            #expect(early.filter { $0.start < start }.allSatisfy {
                $0.start == start - Double(seconds) && $0.observedFrom == start - 1e-9 && $0.packetsUp + $0.packetsDown == 0
            })
            #expect(early.filter { $0.start < start }.count == 3)
            #expect(early.filter { $0.start >= start }.allSatisfy { $0.observedFrom == nil })
        }
    }

    @Test("a first window observed from inside it is reported, not learned from")
    func firstWindowObservedInPartIsNotLearnedFrom() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let planner = try Self.demoPlanner(every: 600_000_000_000, out: out)
        let ten: Int64 = 10_000_000_000, origin: Int64 = 1_764_403_200 * 1_000_000_000
        // cell-1 carries 1,000 bytes a window, but the run began 7 s into window 0, which read 300.
        for n in 0..<4 {
            var w = WindowSummary(kind: .cell, id: "cell-1", startNanoseconds: origin + Int64(n) * ten, durationNanoseconds: ten, partial: false)
            w.bytesUp = n == 0 ? 300 : 1_000
            if n == 0 { w.observedFromNanoseconds = origin + 7_000_000_000 }
            planner.windowClosed([w])
        }
        try planner.finish()
        let lines = try String(contentsOfFile: out + "/forecasts.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(ForecastLine.self, from: Data($0.utf8)) }
        let byWindow = Dictionary(uniqueKeysWithValues: lines.map { ($0.interval, $0) })
        // Window 0 taught nothing, so nothing forecast window 1 (learned from it, the forecast and
        // the baseline would both have been its 240 bit/s); window 2 is forecast from window 1.
        #expect(byWindow[1] == nil, "\(lines)")
        let two = try #require(byWindow[2])
        #expect(two.point == 800 && two.persistence == 800 && !two.partial, "\(two)")
    }

    @Test("summary.json reads through RunSummary and writes back to the same bytes")
    func summaryRoundTrips() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        for capture in [ReplayTests.demo, Fixtures.captures.appendingPathComponent("real/dhcp-flood.pcap").path] {
            _ = try runReplay(ReplayOptions(capturePath: capture, topology: Topology(), outputDirectory: out,
                                            aggregation: .init(windowNanoseconds: 10_000_000_000)), planner: nil)
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
            let summary = try RunSummary.read(data, path: "summary.json")
            #expect(try summary.json() == [UInt8](data))
        }
    }

    @Test("summary.json of another formatVersion is refused, naming the file")
    func summaryVersionIsChecked() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try runReplay(ReplayOptions(capturePath: ReplayTests.demo, topology: Topology(), outputDirectory: out,
                                        aggregation: .init(windowNanoseconds: 10_000_000_000)), planner: nil)
        let text = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
            .replacingOccurrences(of: "\"formatVersion\" : 1", with: "\"formatVersion\" : 2")
        #expect(throws: FormatReadError(path: "summary.json", line: nil, problem: .unsupportedVersion(found: 2, supported: 1))) {
            try RunSummary.read(Data(text.utf8), path: "summary.json")
        }
    }

    /// Object keys in the order JSONSerialization's `.sortedKeys` gave summary.json and inspect --json.
    @Test("keys are ordered as JSONSerialization orders them")
    func keysInFoundationOrder() throws {
        let keys = ["zeta", "fragment", "IPv4", "alpha", "802.1Q/802.1ad", "5G PDU session container", "10x", "9x", "EN10MB",
                    "en10mb", "b", "B", "_u", "a-b", "a b", "ab", "Ä", "truncated-ipv4", "unsupported-PPP", "GTP-U G-PDU"]
        let values = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        let ours = try FoundationOrderedJSON.encode(["k": values, "e": [:]])
        let foundation = try JSONSerialization.data(withJSONObject: ["k": values, "e": [String: Int]()],
                                                    options: [.sortedKeys, .prettyPrinted])
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
    }

    /// A live run's summary.json has the bytes the dictionary LiveRun built before had (the shape
    /// a live test cannot compare byte for byte: its counts depend on timing).
    @Test("a live summary writes the bytes the former dictionary wrote", arguments: [nil, "udp port 2152"] as [String?])
    func liveSummaryBytes(filter: String?) throws {
        let summary = RunSummary(
            capture: .interface(.init(interface: "fcl1a", linkType: "EN10MB(1)", filter: filter, nanosecondTimestamps: true,
                                      packets: 42789, wireBytes: 48902611, capturedBytes: 4169911, firstTime: 1764403200.25,
                                      lastTime: 1764403799.9975524, error: filter == nil ? nil : "eth9: went down",
                                      libpcap: .init(received: 42790, kernelDrops: 1, interfaceDrops: 0))),
            decode: .init(issues: ["truncated-ipv4": .init(count: 2, firstPacket: 17), "IPv6-ext": .init(count: 1, firstPacket: 3),
                                   "unsupported-PPP": .init(count: 10, firstPacket: 1)], packetsWithIssues: 13, nonIPPackets: 4),
            cells: .init(names: ["cell-1", "cell 2"], matchedPackets: 42594, matchedBytes: 48886876,
                         learnedFromSignallingPackets: 7, signallingMessages: 195),
            unmatched: .init(packets: 195, bytes: 15735),
            flows: .init(created: 195, written: 190, evicted: 5),
            windows: .init(seconds: 0.5, count: 60, lines: 1140, latePackets: 0, statisticsPerWindow: "stats-0002.jsonl"),
            totals: .init(packets: 42789, bytes: 48902611),
            topologyReloads: 1, segments: 3)
        let issues: [String: Any] = ["truncated-ipv4": ["count": 2, "firstPacket": 17], "IPv6-ext": ["count": 1, "firstPacket": 3],
                                     "unsupported-PPP": ["count": 10, "firstPacket": 1]]
        let object: [String: Any] = [
            "formatVersion": 1,
            "capture": [
                "interface": "fcl1a", "linkType": "EN10MB(1)", "filter": filter as Any, "nanosecondTimestamps": true,
                "packets": 42789, "wireBytes": 48902611, "capturedBytes": 4169911,
                "firstTime": Optional(1764403200.25) as Any, "lastTime": 1764403799.9975524,
                "error": (filter == nil ? nil : "eth9: went down") as Any,
                "libpcap": ["received": UInt64(42790), "kernelDrops": UInt64(1), "interfaceDrops": UInt64(0)],
            ] as [String: Any],
            "decode": ["issues": issues, "packetsWithIssues": 13, "nonIPPackets": UInt64(4)] as [String: Any],
            "cells": ["names": ["cell-1", "cell 2"], "matchedPackets": UInt64(42594), "matchedBytes": UInt64(48886876),
                      "learnedFromSignallingPackets": UInt64(7), "signallingMessages": UInt64(195)] as [String: Any],
            "unmatched": ["packets": UInt64(195), "bytes": UInt64(15735)],
            "flows": ["created": 195, "written": 190, "evicted": 5] as [String: Any],
            "windows": ["seconds": 0.5, "count": UInt64(60), "lines": 1140, "latePackets": UInt64(0),
                        "statisticsPerWindow": "stats-0002.jsonl"] as [String: Any],
            "topologyReloads": 1,
            "segments": 3,
            "totals": ["packets": UInt64(42789), "bytes": UInt64(48902611)],
        ]
        let former = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        #expect(String(decoding: try summary.json(), as: UTF8.self) == String(decoding: former, as: UTF8.self) + "\n")
        #expect(try RunSummary.read(Data(try summary.json()), path: "summary.json") == summary)
    }
}
