import FlowcastCore
import FlowcastAggregate
import FlowcastDecode
import FlowcastPipeline
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

@Suite("Replay")
struct ReplayTests {
    static let demo = Fixtures.captures.appendingPathComponent("demo/demo.pcapng").path
    static let demoTopology = Fixtures.captures.appendingPathComponent("demo/topology.yaml").path

    func temporaryDirectory() -> String {
        Scratch.root.appendingPathComponent("flowcast-replay-\(UUID().uuidString)").path
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func replay(_ capture: String, topology: Topology, threads: Int, out: String, plan: Bool = false,
                flows: FlowTable.Configuration = .init(idleTimeout: 0, activeTimeout: 0)) throws -> ReplayResult {
        let planner = plan ? try IntervalPlanner(
            topology: topology, topologyData: Data(contentsOf: URL(fileURLWithPath: Self.demoTopology)),
            inputDescription: "test", options: .init(everyNanoseconds: 60_000_000_000, directory: out + "/policies")) : nil
        return try runReplay(ReplayOptions(capturePath: capture, topology: topology, outputDirectory: out,
                                           aggregation: .init(windowNanoseconds: 10_000_000_000, flows: flows),
                                           threads: threads), planner: planner)
    }

    @Test("two threads give byte-identical output to one, and the same input gives the same bytes")
    func deterministicAcrossThreads() throws {
        let topology = try Topology(contentsOfFile: Self.demoTopology)
        let a = temporaryDirectory(), b = temporaryDirectory()
        _ = try replay(Self.demo, topology: topology, threads: 1, out: a, plan: true, flows: .init())
        _ = try replay(Self.demo, topology: topology, threads: 2, out: b, plan: true, flows: .init())
        for name in ["windows.jsonl", "flows.jsonl", "summary.json", "policies/forecasts.jsonl", "policies/policy-0003.json"] {
            let x = try Data(contentsOf: URL(fileURLWithPath: a + "/" + name))
            let y = try Data(contentsOf: URL(fileURLWithPath: b + "/" + name))
            #expect(!x.isEmpty, "\(name) is empty")
            #expect(x == y, "\(name) differs between one and two threads")
        }
    }

    @Test("without a model every forecast is persistence: the series' last window, with a P90 above it, and says so")
    func persistenceWithoutAModel() throws {
        let topology = try Topology(contentsOfFile: Self.demoTopology)
        let out = temporaryDirectory()
        _ = try replay(Self.demo, topology: topology, threads: 2, out: out, plan: true, flows: .init())
        var last: [String: Double] = [:]
        var checked = 0
        for f in try lines(out + "/policies/forecasts.jsonl") {
            let key = "\(f["kind"]!):\(f["id"]!)"
            let point = try #require(f["point"] as? Double), upper = try #require(f["upper"] as? Double)
            if let previous = last[key] {
                #expect(point == previous, "\(key) interval \(f["interval"]!)")
                // The baseline written beside each forecast is persistence too.
                #expect(f["persistence"] as? Double == previous)
                checked += 1
            }
            #expect(upper >= point)
            if let actual = f["actual"] as? Double { last[key] = actual }
        }
        #expect(checked > 500)
        let policy = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/policies/policy-0003.json")))
        #expect(String(decoding: try JSONSerialization.data(withJSONObject: policy), as: UTF8.self).contains("persistence (no --model)"))
    }

    @Test("spectrum is sized by request in the first plan and on the recent windows as scenarios (reg-1800) from the second, and the reasons say so")
    func spectrumSizedOnRecentWindows() throws {
        let topology = try Topology(contentsOfFile: Self.demoTopology)
        let out = temporaryDirectory()
        _ = try replay(Self.demo, topology: topology, threads: 2, out: out, plan: true, flows: .init())
        func cells(_ name: String) throws -> [[String: Any]] {
            let policy = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/policies/" + name))) as! [String: Any]
            return (policy["spectrum"] as! [String: Any])["cells"] as! [[String: Any]]
        }
        for cell in try cells("policy-0001.json") {
            let reason = cell["reason"] as! String
            #expect(reason.hasPrefix("P90 ") && reason.contains("request sizing: 60 s of window history"), "\(reason)")
        }
        // The last plan comes after the capture's cut last window: it is sized on the 59 whole
        // ones before it, not on a copy standing in for the cut one.
        // Two intervals (policy 2) are scenarios unscaled: the rule fits its scales on three.
        for (name, windows) in [("policy-0002.json", 12), ("policy-0010.json", 59)] {
            for cell in try cells(name) {
                let reason = cell["reason"] as! String
                let scaled = windows >= 18 ? "(demand ×" : "(reg-1800 unscaled: it fits its scales on 3 whole intervals, and there are 2;"
                #expect(reason.hasPrefix("sized on \(windows) windows of the last \(windows * 10) s as scenarios \(scaled)"), "\(name): \(reason)")
                #expect(reason.contains("efficiency measured over each window from its radio KPIs"), "\(name): \(reason)")
                #expect(cell["requiredBlocks"] != nil && cell["unmetDemand"] != nil, "\(name)")
            }
        }
    }

    @Test("window totals equal flow totals per cell, and every window of the capture is there")
    func windowsAddUpToFlows() throws {
        let topology = try Topology(contentsOfFile: Self.demoTopology)
        let out = temporaryDirectory()
        let result = try replay(Self.demo, topology: topology, threads: 2, out: out)
        let windows = try lines(out + "/windows.jsonl")
        let flows = try lines(out + "/flows.jsonl")
        var windowBytes: [String: Int] = [:], flowBytes: [String: Int] = [:]
        for w in windows where w["kind"] as? String == "cell" {
            windowBytes[w["id"] as! String, default: 0] += (w["bytesUp"] as! Int) + (w["bytesDown"] as! Int)
        }
        for f in flows {
            guard let cell = f["cell"] as? String else { continue }
            flowBytes[cell, default: 0] += (f["bytes_ab"] as! Int) + (f["bytes_ba"] as! Int)
        }
        #expect(windowBytes.values.reduce(0, +) > 0)
        #expect(windowBytes.values.reduce(0, +) == flowBytes.values.reduce(0, +))
        // A flow keeps the cell of its first packet; windows follow each packet. Three UEs hand
        // over from cell-2 to cell-3, so only those two cells differ, and only by what moved.
        for cell in ["cell-1", "cell-4", "cell-5", "cell-6"] { #expect(windowBytes[cell] == flowBytes[cell], "\(cell)") }
        #expect(windowBytes["cell-2"]! + windowBytes["cell-3"]! == flowBytes["cell-2"]! + flowBytes["cell-3"]!)
        #expect(windowBytes["cell-3"]! > flowBytes["cell-3"]!)
        // 600 s of capture in 10 s windows: 60 or 61 windows per cell and link; the last is partial.
        let perSeries = windows.filter { $0["id"] as? String == "cell-1" }
        #expect((60...61).contains(perSeries.count))
        #expect(perSeries.last?["partial"] as? Bool == true)
        #expect(perSeries.dropLast().allSatisfy { $0["partial"] as? Bool == false })
        #expect(windows.count == perSeries.count * (topology.cells.count + topology.links.count))
        #expect(Int(result.totals.packets) == 42789)
    }

    /// The ECIs the demo's signalling teaches for cell-1 … cell-6 (a topology-less replay names them).
    static let demoECIs = [1: 65793, 2: 66049, 3: 66305, 4: 66561, 5: 66817, 6: 67073]

    @Test("a static rule conflicts with signalling only when the learned identity names another cell or contradicts the cell's own",
          arguments: ["none", "right", "swapped"])
    func staticRuleConflicts(_ globalIds: String) throws {
        var yaml = try String(contentsOfFile: Self.demoTopology, encoding: .utf8)
        // Start from cells without global identities, then give them the case's.
        for (cell, eci) in Self.demoECIs {
            yaml = yaml.replacingOccurrences(of: ", globalId: ecgi:001-01-\(eci)", with: "")
            #expect(!yaml.contains("ecgi:001-01-\(eci)"), "cell-\(cell)'s globalId is still there")
        }
        if globalIds != "none" {
            for (cell, _) in Self.demoECIs {
                let named = globalIds == "swapped" ? [1: 2, 2: 1][cell] ?? cell : cell
                yaml = yaml.replacingOccurrences(of: "{ id: cell-\(cell), band",
                                                 with: "{ id: cell-\(cell), globalId: \"ecgi:001-01-\(Self.demoECIs[named]!)\", band")
            }
        }
        let out = temporaryDirectory()
        _ = try replay(Self.demo, topology: Topology(yaml: yaml, file: "demo.yaml"), threads: 1, out: out)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let cells = summary["cells"] as! [String: Any]
        #expect(cells["learnedTEIDs"] as? Int == 99)
        let conflicts = try #require(cells["staticRuleConflicts"] as? Int)
        switch globalIds {
        case "swapped":
            // Every tunnelled packet of the two swapped cells: the static rule still wins.
            var packets = 0
            for line in try String(contentsOfFile: out + "/windows.jsonl", encoding: .utf8).split(separator: "\n") {
                let w = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                guard w["kind"] as? String == "cell", ["cell-1", "cell-2"].contains(w["id"] as? String) else { continue }
                packets += (w["packetsUp"] as! Int) + (w["packetsDown"] as! Int)
            }
            #expect(packets > 10_000)
            #expect(conflicts == packets)
        default:
            // Without global identities a static cell cannot conflict (this counted all 42,594
            // matched packets once); with the right ones nothing contradicts.
            #expect(conflicts == 0)
        }
    }

    @Test("without static cell rules, signalling alone places every tunnel in its cell, handovers included")
    func signallingAlonePlacesTunnels() throws {
        let out = temporaryDirectory()
        let result = try replay(Self.demo, topology: Topology(), threads: 1, out: out)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let cells = summary["cells"] as! [String: Any]
        // 48 UEs × (uplink + downlink TEID) + 3 new downlink TEIDs after the handover.
        #expect(cells["learnedTEIDs"] as? Int == 99)
        #expect(cells["signallingConflicts"] as? Int == 0)
        let names = Set(cells["names"] as! [String])
        #expect(names.count == 6)
        #expect(names.allSatisfy { $0.hasPrefix("ecgi:001-01-") })
        // Everything but the signalling itself is attributed.
        #expect(result.totals.unmatchedPackets == result.totals.signallingMessages)
    }

    @Test("a capture cut mid-record still writes what came before, and says where it stopped")
    func truncatedCaptureKeepsOutput() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.demo))
        let cut = Scratch.root.appendingPathComponent("cut-\(UUID().uuidString).pcapng")
        defer { try? FileManager.default.removeItem(at: cut) }
        try bytes.prefix(bytes.count / 2 + 3).write(to: cut)
        let out = temporaryDirectory()
        let result = try replay(cut.path, topology: Topology(contentsOfFile: Self.demoTopology), threads: 2, out: out)
        #expect(result.captureError != nil)
        #expect(result.totals.packets > 10_000)
        #expect(try !lines(out + "/windows.jsonl").isEmpty)
    }
}

@Suite("Cells named by global identity")
struct GlobalIdentityTests {
    @Test("a topology cell with a globalId receives the tunnels signalling places in it, with no match rule")
    func globalIdentityAttribution() throws {
        var yaml = "bands:\n  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }\ncells:\n"
        for k in 1...6 {
            let eci = (0x100 + k) << 8 | 1  // the demo capture's ECGIs (DemoCaptureGenerator.eci)
            yaml += "  - { id: site\(k)-cell, band: n78, peakSpectralEfficiency: 5.5, globalId: \"ecgi:001-01-\(eci)\" }\n"
        }
        let topology = try Topology(yaml: yaml, file: "inline.yaml")
        let out = Scratch.root.appendingPathComponent("flowcast-gid-\(UUID().uuidString)").path
        let result = try runReplay(ReplayOptions(capturePath: ReplayTests.demo, topology: topology, outputDirectory: out,
                                                 aggregation: .init(flows: .init(idleTimeout: 0, activeTimeout: 0)), threads: 1))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let cells = summary["cells"] as! [String: Any]
        #expect(cells["names"] as? [String] == (1...6).map { "site\($0)-cell" })
        #expect(result.totals.unmatchedPackets == result.totals.signallingMessages)
        #expect(result.totals.learnedCellPackets == result.totals.cellPackets)
    }

    @Test("a malformed globalId is a topology problem with its line")
    func badGlobalIdentity() {
        let yaml = "bands:\n  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }\ncells:\n  - { id: c, band: n78, peakSpectralEfficiency: 5, globalId: \"ecgi:1-2\" }\n"
        #expect(throws: (any Error).self) { try Topology(yaml: yaml, file: "bad.yaml") }
        do { _ = try Topology(yaml: yaml, file: "bad.yaml") } catch {
            #expect("\(error)".contains("bad.yaml:4"))
        }
    }
}

@Suite("Windows on a quiet link")
struct QuietLinkTests {
    @Test("advancing the clock closes the windows that ended, empty ones included, and no others")
    func advanceClosesEndedWindows() throws {
        var aggregator = TrafficAggregator(topology: try Topology(contentsOfFile: ReplayTests.demoTopology))
        var s = PacketSummary()
        s.timestampNanoseconds = 5_000_000_000
        s.wireLength = 100
        var closed: [Int64] = []
        let record: ([WindowSummary]) -> Void = { closed.append($0[0].startNanoseconds) }
        aggregator.add(s, packetNumber: 1, windowClosed: record, flowEnded: { _, _ in })
        aggregator.advance(to: 9_000_000_000, windowClosed: record, flowEnded: { _, _ in })
        #expect(closed.isEmpty)
        aggregator.advance(to: 35_000_000_000, windowClosed: record, flowEnded: { _, _ in })
        #expect(closed == [0, 10_000_000_000, 20_000_000_000])
        aggregator.advance(to: 36_000_000_000, windowClosed: record, flowEnded: { _, _ in })
        #expect(closed.count == 3)
    }

    /// A live capture (or reload) knows when it began watching: its windows run from then, with
    /// or without packets, the first marked observed from that time. A replay, which does not
    /// know, writes nothing before its first packet. (An audit: a live tap started 3.5 s before
    /// its first packet wrote its windows only from that packet on, and nothing at all when its
    /// filter matched nothing.)
    @Test("a capture that began at a known time writes its quiet windows from then, before any packet")
    func quietFromTheStart() throws {
        let topology = try Topology(contentsOfFile: ReplayTests.demoTopology)
        var closed: [WindowSummary] = []
        let record: ([WindowSummary]) -> Void = { closed.append($0[0]) }
        var live = TrafficAggregator(topology: topology, configuration: .init(windowNanoseconds: 1_000_000_000, observationStart: .at(10_400_000_000)))
        live.advance(to: 10_900_000_000, windowClosed: record, flowEnded: { _, _ in })
        #expect(closed.isEmpty)  // the first window has not ended
        live.advance(to: 13_200_000_000, windowClosed: record, flowEnded: { _, _ in })
        #expect(closed.map(\.startNanoseconds) == [10_000_000_000, 11_000_000_000, 12_000_000_000])
        #expect(closed.map(\.observedFromNanoseconds) == [10_400_000_000, nil, nil])
        #expect(closed.allSatisfy { $0.packetsUp == 0 && $0.packetsDown == 0 && !$0.partial })
        var replay = TrafficAggregator(topology: topology, configuration: .init(windowNanoseconds: 1_000_000_000))
        closed = []
        replay.advance(to: 13_200_000_000, windowClosed: record, flowEnded: { _, _ in })
        #expect(closed.isEmpty)
    }

    /// The idle timeout ends a flow when the clock passes it, not only when a later packet comes:
    /// on a quiet tap a flow was left open until the stop, and then ended "end", not "idle".
    @Test("a flow idle past its timeout ends on the clock, as idle")
    func idleFlowsEndOnTheClock() throws {
        let topology = try Topology(contentsOfFile: ReplayTests.demoTopology)
        var aggregator = TrafficAggregator(topology: topology, configuration: .init(flows: .init(idleTimeout: 2_000_000_000, activeTimeout: 0)))
        var s = PacketSummary()
        s.timestampNanoseconds = 5_000_000_000
        s.wireLength = 100
        s.outerSource = IPAddress(ipv4: 0x0A00_0001); s.outerDestination = IPAddress(ipv4: 0x0A00_0002)
        s.innerSource = s.outerSource; s.innerDestination = s.outerDestination
        s.ipProtocol = 17; s.sourcePort = 1000; s.destinationPort = 2000
        var ended: [FlowEndReason] = []
        aggregator.add(s, packetNumber: 1, windowClosed: { _ in }, flowEnded: { _, _ in })
        #expect(aggregator.flows.liveFlows == 1)
        aggregator.advance(to: 6_900_000_000, windowClosed: { _ in }, flowEnded: { _, reason in ended.append(reason) })
        #expect(ended.isEmpty)
        aggregator.advance(to: 7_000_000_000, windowClosed: { _ in }, flowEnded: { _, reason in ended.append(reason) })
        #expect(ended == [.idle])
        #expect(aggregator.flows.liveFlows == 0)
    }
}
