import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

/// A policy file that cannot be read (here policy-0003.json of the run fixture, cut short): the
/// next interval's row says its changes are since the policy before the unreadable one, and no
/// capacity is in force over the unreadable policy's window (the older policy's ends with its own).
extension ReviewReportTimelineTests {
    static func runWithUnreadablePolicy() throws -> URL {
        let fixture = ReviewFixture.url(ReviewFixture.runPath)
        let folder = Scratch.root.appendingPathComponent("flowcast-unreadable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["windows.jsonl", "flows.jsonl", "summary.json", "policies"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let cut = folder.appendingPathComponent("policies/policy-0003.json")
        let data = try Data(contentsOf: cut)
        try data.prefix(data.count / 2).write(to: cut)
        return folder
    }

    @Test func anUnreadablePolicyIsFlaggedInTheNextRowAndLeavesACapacityGap() throws {
        let folder = try Self.runWithUnreadablePolicy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = RunReport(run: try RunData.load(runDirectory: folder))
        #expect(report.run.policies.map(\.fileName) == ["policy-0000.json", "policy-0001.json", "policy-0002.json", "policy-0004.json"])
        #expect(report.run.problems.contains { $0.hasPrefix("policy-0003.json: ") })
        let html = report.html()

        // The row after the gap, and only it, says what its changes are against.
        for iv in report.intervals {
            let row = try #require(html.components(separatedBy: "<tr id=\"interval-\(iv.number)\"").dropFirst().first?
                .components(separatedBy: "</tr>").first)
            let flag = "changes since policy-0002.json: policy-0003.json could not be read"
            #expect(row.contains(flag) == (iv.number == 4), "interval \(iv.number): \(row)")
        }

        // Capacity per window, from the readable policies' own provenance windows and predictions
        // (the fixture's files; policy-0003.json's window is where none is in force).
        let fixture = ReviewFixture.url(ReviewFixture.runPath)
        let windows = try Self.provenance(fixture)
        var plans: [(start: Double, end: Double, capacity: [String: Double])] = []
        for (name, w) in windows where name != "policy-0003.json" {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixture.appendingPathComponent("policies/\(name)"))) as? [String: Any])
            let predicted = try #require(o["predicted"] as? [String: Any])
            var capacity: [String: Double] = [:]
            for kind in ["cells", "links"] {
                for e in predicted[kind] as! [[String: Any]] { capacity["\(kind.dropLast())/\(e["id"] as! String)"] = e["capacity"] as? Double }
            }
            plans.append((w.start, w.end, capacity))
        }
        let gap = try #require(windows["policy-0003.json"])
        for (kind, id) in [("cell", "cell-2"), ("link", "l-s2-agg1")] {
            let expected = try Self.windowLines().filter { $0.kind == kind && $0.id == id }.compactMap { w -> (t: Double, u: Double)? in
                guard let plan = plans.first(where: { $0.start <= w.start && w.start < $0.end }), let c = plan.capacity["\(kind)/\(id)"] else { return nil }
                return (w.start, w.load / c)
            }
            #expect(!expected.isEmpty)
            #expect(report.summary(kind, id).peakUtilisation == expected.map(\.u).max(), "\(kind) \(id)")
            // The measured line of its utilisation chart: a point per covered window, none in the gap.
            let section = try #require(html.components(separatedBy: "data-id=\"\(id)\">").dropFirst().first)
            let chart = try #require(charts(section).first { $0.kind == "utilisation" })
            let path = try #require(chart.body.components(separatedBy: "<path d=\"").dropFirst().first { $0.contains("stroke=\"\(Palette.blue)\"") })
            let points = path.prefix { $0 != "\"" }.split { $0 == "M" || $0 == "L" }.map { $0.split(separator: " ").map { Double($0)! } }
            #expect(points.count == expected.count, "\(kind) \(id)")
            for p in points {
                let t = chart.time(p[0])
                #expect(!(gap.start...gap.end).contains(t), "\(kind) \(id): a measured point at \(Self.utc(t)), in the unreadable policy's window")
                let w = try #require(expected.min { abs($0.t + 5 - t) < abs($1.t + 5 - t) })
                #expect(abs(chart.value(p[1]) - w.u) <= (chart.yMax - chart.yMin) * 0.06 / 144 + 1e-9, "\(kind) \(id) at \(Self.utc(w.t))")
            }
        }
    }
}
