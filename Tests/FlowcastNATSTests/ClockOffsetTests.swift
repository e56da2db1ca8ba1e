@testable import FlowcastPipeline
import FlowcastCore
import FlowcastNATS
import FlowcastTestSupport
import Foundation
import Testing

/// A tap whose clock is hours off, against a real nats-server: the planner warns once, naming the
/// site and the offset, and counts it in its summary.
@Suite("planner: a tap's clock hours off", .serialized, .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct ClockOffsetTests {
    /// Runs the planner in this process until it has warned (or `seconds` pass). Its log and summary.
    static func plannerUntilWarned(_ server: NATSServer, sites: [String], seconds: Double = 60) throws -> ([String], NetworkPlannerSummary) {
        let out = try Scenario.temporaryFolder("planner")
        let planner = try NetworkPlanner(InProcessPlanner.options(server, out: out, sites: sites, everySeconds: 3600))
        var lines: [String] = []
        planner.log = { lines.append($0) }
        let deadline = Date().addingTimeInterval(seconds)
        let summary = try planner.run(shouldStop: { lines.contains { $0.hasPrefix("warning:") } || Date() > deadline })
        return (lines, summary)
    }

    @Test("three replayed captures, site b's recorded by a clock 3 h behind: b is named, once, against the other sites' first windows (with --quiet too)")
    func replayedSiteBehind() throws {
        let server = try NATSServer()
        let folder = try Scenario.temporaryFolder("split")
        var captures = try Scenario.split(Scenario.demo, into: folder)
        captures["b"] = try Scenario.shifted(captures["b"]!, by: -10_800, into: folder)
        for (site, run) in try PlannerTests.runTaps(captures, server: server) { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        // Hourly plans: the windows span 3 h 10 min.
        let out = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(["planner", "--nats", server.url, "--topology", Scenario.topology, "--out", out.path,
                                            "--sites", "a,b,c", "--plan-every", "3600s", "--exit-when-done", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning:") }
        #expect(warnings == ["flowcast planner: warning: site b's windows are 3 h 0 min behind the other sites' (its first window starts at "
                             + "2025-11-29T05:00:00Z, a's at 2025-11-29T08:00:00Z, c's at 2025-11-29T08:00:00Z; the captures of one run "
                             + "should cover the same time) — is its clock wrong?"], "\(run.stderr)")
        #expect(try Scenario.summary(out)["clockWarnings"] as? [String: Int] == ["b": -10_800])
    }

    @Test("a live tap whose clock is 3 h behind: its windows are that far behind the time nats-server stored them, said once")
    func liveSiteBehind() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "live-tap"))
        _ = try connection.ensureStream(FlowcastSubjects.windowStream)
        // The marks of three windows (no lines) as a live tap 3 h behind closes them now.
        let now = Int64(Date().timeIntervalSince1970) / 10 * 10 - 10_800
        for (k, start) in [now - 30, now - 20, now - 10].enumerated() {
            let previous = k == 0 ? "null" : String(start - 10)
            let mark = #"{"formatVersion":1,"type":"window","site":"a","mode":"live","start":\#(start),"duration":10,"previous":\#(previous),"lines":0}"#
            try connection.publish(subject: FlowcastSubjects.tap(site: "a"), messageID: "a|window|\(start)", payload: Array(mark.utf8))
        }
        let (lines, summary) = try Self.plannerUntilWarned(server, sites: ["a"])
        let warnings = lines.filter { $0.hasPrefix("warning:") }
        #expect(warnings.count == 1, "\(lines)")
        #expect(warnings.first?.hasPrefix("warning: site a's windows are 3 h 0 min behind the stream's clock (a window of its ending at ") == true,
                "\(lines)")
        #expect(warnings.first?.hasSuffix("a live tap publishes a window as it closes) — is its clock wrong, or did its windows wait in its spool?") == true)
        #expect(summary.clockWarnings["a"].map { (-10_830 ... -10_780).contains($0) } == true, "\(summary.clockWarnings)")
    }
}
