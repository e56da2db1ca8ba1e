import FlowcastAggregate
@testable import FlowcastPipeline
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// Replay and live plan routing over the last hour's observed demand matrices, as the backtest's
/// scored method does: checked against windows.jsonl of the same replay.
@Suite("Routing scenarios from the recent windows")
struct RoutingScenarioTests {
    @Test("the scenarios are the demands' mean rates over each whole interval (from windows.jsonl), then the newest plus each one-step change")
    func scenariosAreTheObservedIntervals() throws {
        let topologyPath = Fixtures.captures.appendingPathComponent("demo/topology.yaml").path
        let topology = try Topology(contentsOfFile: topologyPath)
        let out = Scratch.root.appendingPathComponent("flowcast-scenarios-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let interval: Int64 = 60_000_000_000
        let planner = try IntervalPlanner(topology: topology, topologyData: Data(contentsOf: URL(fileURLWithPath: topologyPath)),
                                          inputDescription: "test", options: .init(everyNanoseconds: interval, directory: out + "/policies"))
        _ = try runReplay(ReplayOptions(capturePath: Fixtures.captures.appendingPathComponent("demo/demo.pcapng").path, topology: topology,
                                        outputDirectory: out, aggregation: .init(windowNanoseconds: 10_000_000_000), threads: 2),
                          planner: planner)

        // Each cell's rate per window from the file, a partial window taking the one before it.
        var rates: [String: [Int: Double]] = [:]
        var starts = Set<Int>()
        for line in try String(contentsOfFile: out + "/windows.jsonl", encoding: .utf8).split(separator: "\n") {
            let w = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard w["kind"] as? String == "cell", let id = w["id"] as? String, let start = w["start"] as? Int else { continue }
            starts.insert(start)
            if w["partial"] as? Bool == true { continue }
            rates[id, default: [:]][start] = Double((w["bytesUp"] as! Int) + (w["bytesDown"] as! Int)) * 8 / Double(w["duration"] as! Int)
        }
        let windows = starts.sorted()
        func rate(_ cell: String, _ start: Int) -> Double {
            windows.filter { $0 <= start }.reversed().lazy.compactMap { rates[cell]?[$0] }.first ?? .nan
        }
        // Whole 60 s intervals back from the end of the last window: ten in the demo's ten minutes.
        let end = Int64(windows.last! + 10) * 1_000_000_000
        let intervals = windows.count / 6
        #expect(intervals == 10)
        var matrices: [[String: Double]] = []
        for k in stride(from: intervals, through: 1, by: -1) {
            let chunk = windows[(windows.count - k * 6)..<(windows.count - (k - 1) * 6)]
            var m: [String: Double] = [:]
            for demand in topology.demands where !demand.cells.isEmpty {
                m[demand.id] = demand.cells.reduce(0) { sum, c in
                    sum + chunk.reduce(0) { $0 + rate(topology.cells[c].id, $1) } / Double(chunk.count)
                }
            }
            matrices.append(m)
        }
        let scenarios = planner.recentDemandScenarios(end: end, duration: interval)
        #expect(scenarios.count == intervals + (intervals - 2))
        for (s, expected) in matrices.enumerated() {
            #expect(Set(scenarios[s].keys) == Set(expected.keys) && expected.count == 6)
            for (id, value) in expected { #expect(abs(scenarios[s][id]! - value) <= 1e-9 * value, "interval \(s), \(id)") }
        }
        // The newest plus each recent one-step change, newest change first.
        let newest = matrices.last!
        for (n, i) in stride(from: intervals - 2, through: 1, by: -1).enumerated() {
            for (id, value) in newest {
                let expected = max(0, value + matrices[i][id]! - matrices[i - 1][id]!)
                #expect(abs(scenarios[intervals + n][id]! - expected) <= 1e-9 * max(1, expected), "change \(i), \(id)")
            }
        }
        // The last policy, planned at the end, was planned over those and its forecast.
        let last = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/policies/policy-0010.json"))) as! [String: Any]
        #expect((last["routing"] as! [String: Any])["scenarios"] as? Int == 1 + scenarios.count)
    }

    @Test("on a large network fewer intervals are taken: demands × scenarios stay within the limit")
    func scenariosAreBoundedBySize() {
        #expect(IntervalPlanner.scenarioIntervals(available: 10, demands: 6) == 10)
        #expect(IntervalPlanner.scenarioIntervals(available: 30, demands: 132) == 12)  // Abilene: 24 scenarios
        #expect(IntervalPlanner.scenarioIntervals(available: 30, demands: 2_000) == 3)
        #expect(IntervalPlanner.scenarioIntervals(available: 30, demands: 5_000) == 1)
        #expect(IntervalPlanner.scenarioIntervals(available: 30, demands: 10_000) == 0)
        for demands in [1, 7, 100, 417, 833, 1_000, 1_999, 3_334, 4_999, 9_999, 20_000] {
            for available in 0...30 {
                let h = IntervalPlanner.scenarioIntervals(available: available, demands: demands)
                #expect(h <= available && h <= 12)
                if h > 0 { #expect(demands * (1 + h + max(0, h - 2)) <= IntervalPlanner.scenarioPairLimit, "\(demands), \(available)") }
            }
        }
    }
}
