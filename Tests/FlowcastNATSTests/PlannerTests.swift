import FlowcastCapture
import FlowcastCore
import FlowcastNATS
import FlowcastPipeline
import FlowcastTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import Synchronization
#endif

/// Taps publishing to a real nats-server and `flowcast planner` planning from it, end to end with
/// the built executable. The demo capture is split into three sites' captures (each packet in
/// exactly one); the reference is one `replay --plan-every 60s` of the whole capture.
@Suite("flowcast planner over NATS JetStream", .serialized, .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct PlannerTests {
    /// The three site captures, made once per test (a fraction of a second).
    static func siteCaptures() throws -> [String: String] {
        try Scenario.split(Scenario.demo, into: try Scenario.temporaryFolder("split"))
    }

    static func runTaps(_ captures: [String: String], server: NATSServer, sites: [String] = Scenario.sites,
                        extra: [String] = []) throws -> [String: ProcessResult] {
        let taps = try sites.map { site in
            (site, try RunningFlowcast(Scenario.replayArguments(captures[site]!, out: try Scenario.temporaryFolder("tap-\(site)"),
                                                                 extra: ["--publish", server.url, "--site", site] + extra)))
        }
        var runs: [String: ProcessResult] = [:]
        for (site, tap) in taps { runs[site] = tap.wait() }
        return runs
    }

    /// Runs the taps of `sites` one after the other (each publishes all its messages before the next
    /// starts), expecting each to succeed.
    static func runTapsOneAfterAnother(_ captures: [String: String], server: NATSServer, sites: [String] = Scenario.sites,
                                       windows: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for site in sites {
            let tap = try runTaps(captures, server: server, sites: [site], extra: windows.map { ["--window", $0] } ?? [])[site]!
            #expect(tap.status == 0, "\(site): \(tap.stderr)", sourceLocation: sourceLocation)
        }
    }

    static func expectSamePolicies(_ planner: URL, _ reference: URL) throws {
        let got = try Scenario.policies(in: planner), want = try Scenario.policies(in: reference)
        #expect(want.count >= 9)
        #expect(got.keys.sorted() == want.keys.sorted())
        for (name, policy) in want { #expect(got[name] == policy, "\(name) differs") }
    }

    /// replay and live refuse such a --plan-every at start, and so does the planner now that it is
    /// given the taps' window (`--window`, default 10 s). Until 7 December 2026 it learned the window
    /// from the first mark it read, refused such a --plan-every then, and took that mark's length
    /// for every site (next test).
    @Test("a --plan-every that is not whole windows: refused at start, as replay and live refuse it")
    func planIntervalNotWholeWindows() throws {
        let out = try Scenario.temporaryFolder("planner")
        for (every, window) in [("65s", nil), ("60s", "7s"), ("5s", nil)] as [(String, String?)] {
            let run = try Fixtures.runFlowcast(["planner", "--nats", "nats://127.0.0.1:1", "--topology", Scenario.topology, "--out", out.path,
                                                "--sites", "a", "--plan-every", every] + (window.map { ["--window", $0] } ?? []))
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr.contains("--plan-every (\(every)) must be a whole number of --window (\(window ?? "10s") windows)"), "\(run.stderr)")
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? ["?"]).isEmpty)
    }

    /// One tap run with another --window (or one mark of another length left in the stream by a
    /// trial run): the planner took the length of the first mark it read, and every message of
    /// another length was garbage. The order the taps published in decided which sites were
    /// planned (b first: b alone, a and c dropped), the run exited 0, and a stray mark stalled a
    /// planner with --exit-when-done for good (an audit).
    @Test("a tap with another --window, published first: the planner plans a and c at its own --window, names b, and exits 3")
    func aTapWithAnotherWindowIsNamed() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let b = try Self.runTaps(captures, server: server, sites: ["b"], extra: ["--window", "5s"])["b"]!
        #expect(b.status == 0, "\(b.stderr)")
        for (site, run) in try Self.runTaps(captures, server: server, sites: ["a", "c"]) { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        let out = try Scenario.temporaryFolder("planner")
        let run = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--lateness", "1s"])).wait(timeout: 120)
        #expect(run.status == 3, "\(run.stderr.prefix(3000))")
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning: site b") }
        #expect(warnings.count == 2 && warnings[0].contains("publishes windows of 5 s, not the planner's 10 s (--window)")
                && warnings[1].contains("of windows of another length than --window 10 s ignored; its windows were planned without it"),
                "\(warnings)")
        let summary = try Scenario.summary(out)
        let messages = summary["messages"] as? [String: Int] ?? [:]
        #expect((messages["otherWindowLength"] ?? 0) > 0 && messages["garbage"] == nil, "\(messages)")
        #expect((summary["policies"] as? Int ?? 0) >= 9, "\(summary)")
        let provenance = try Scenario.provenance(out.appendingPathComponent("policies"), "policy-0002.json")
        #expect(provenance["missingSites"] as? [String] == ["b"], "\(provenance)")
    }

    /// The other order: every site published at the planner's --window and was planned, then site
    /// b's tap was run again with --window 5s. Until 8 December 2026 the warnings said its windows
    /// were planned without it, which they were not.
    @Test("a tap rerun with another --window after its windows were planned: ignored, said as covered, not as planned without it")
    func aTapRerunWithAnotherWindow() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        for (site, run) in try Self.runTaps(captures, server: server) { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        let out = try Scenario.temporaryFolder("planner")
        let first = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]), timeout: 120)
        #expect(first.status == 0, "\(first.stderr)")
        let b = try Self.runTaps(captures, server: server, sites: ["b"], extra: ["--window", "5s"])["b"]!
        #expect(b.status == 0, "\(b.stderr)")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--quiet"]), timeout: 120)
        #expect(run.status == 3, "\(run.stderr)")
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning: site b") }
        #expect(warnings.count == 2 && warnings[0].contains("publishes windows of 5 s, not the planner's 10 s (--window) (stream sequence ")
                && warnings[0].contains(", a window its 10 s windows already cover): its lines and marks are ignored (a rerun of its tap with another --window?)")
                && warnings[1].contains("of windows of another length than --window 10 s ignored; its 10 s windows already covered all of theirs"),
                "\(warnings)")
        #expect(!run.stderr.contains("planned without it"), "\(run.stderr)")
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies())
    }

    @Test("three taps at once and the planner: the single replay's policies and forecasts")
    func threeSitesEqualOneReplay() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        let taps = try Self.runTaps(captures, server: server)
        for (site, run) in taps { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        let result = planner.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let reference = try Scenario.singleReplayPolicies()
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), reference)
        // Forecasts are merged window by window, so they match byte for byte.
        let forecasts = try Data(contentsOf: out.appendingPathComponent("policies/forecasts.jsonl"))
        #expect(forecasts == (try Data(contentsOf: reference.appendingPathComponent("forecasts.jsonl"))))
        let provenance = try Scenario.provenance(out.appendingPathComponent("policies"), "policy-0001.json")
        #expect(provenance["generator"] as? String == "flowcast planner 0.1.0")
        #expect(provenance["missingSites"] == nil)
        let summary = try Scenario.summary(out)
        #expect((summary["endedSites"] as? [String]) == Scenario.sites)
        #expect((summary["messages"] as? [String: Int])?["garbage"] == nil)
        // Resuming this folder with other planning options is refused: its policies would mix two
        // configurations (until 7 December 2026 it carried on, an audit).
        let other = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--headroom", "1.5",
                                                                                                "--target-utilisation", "0.6"]))
        #expect(other.status == 2, "\(other.stderr)")
        #expect(other.stderr.contains("planner-state.json: saved for --headroom 1.2, --target-utilisation 0.7; this run has --headroom 1.5, "
                                      + "--target-utilisation 0.6: use another --out"), "\(other.stderr)")
    }

    /// The demo keeps every link under 70 %, so the default plans leave traffic on least-cost
    /// paths; pure min-max utilisation (0) spreads it: the planner must plan as replay does with
    /// the same --target-utilisation, not with the default.
    @Test("--target-utilisation reaches the planner's plans: replay's policies with the same target")
    func targetUtilisation() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out,
                                                                   extra: ["--exit-when-done", "--target-utilisation", "0"]))
        let taps = try Self.runTaps(captures, server: server)
        for (site, run) in taps { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        let result = planner.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let minMax = try Scenario.singleReplayPolicies(extra: ["--target-utilisation", "0"])
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), minMax)
        #expect(try Scenario.policies(in: minMax) != (try Scenario.policies(in: try Scenario.singleReplayPolicies())),
                "the demo's min-max plans differ from its least-cost ones")
        let bad = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--target-utilisation", "1.5"]))
        #expect(bad.status == 64 && bad.stderr.contains("--target-utilisation must be"), "\(bad.stderr)")
    }

    @Test("a tap run twice (a re-sent capture) changes nothing")
    func tapRunTwice() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        _ = try Self.runTaps(captures, server: server)
        let again = try Self.runTaps(captures, server: server, sites: ["b"])
        #expect(again["b"]?.status == 0)
        #expect(again["b"]?.stderr.contains("were already in the stream") == true, "\(again["b"]?.stderr ?? "")")
        // Without --quiet, the counters line says how many of the messages acknowledged were not
        // stored: the warning's count (every message of the rerun).
        let loud = try Fixtures.runFlowcast(["replay", captures["b"]!, "--topology", Scenario.topology,
                                             "--out", try Scenario.temporaryFolder("tap-b-loud").path, "--publish", server.url, "--site", "b"])
        let warned = loud.stderr.components(separatedBy: "warning: ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }.first
        #expect(loud.status == 0 && warned != nil
                && loud.stderr.contains("re-sent 0 of them, \(warned ?? -1) already in the stream (not stored again), spooled 0"), "\(loud.stderr)")
        let out = try Scenario.temporaryFolder("planner")
        let first = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(first.status == 0, "\(first.stderr)")
        let policies = out.appendingPathComponent("policies")
        try Self.expectSamePolicies(policies, try Scenario.singleReplayPolicies())
        let before = try Scenario.policies(in: policies)
        let summary = try Scenario.summary(out)

        // Once more after the planner is done: the stream drops the re-sent windows (duplicate
        // message ids), and no policy changes. A line under another id for a window planned long
        // before, with other counts, was a silent duplicate until 7 December 2026; it is said as
        // no copy of a planned line (the planner keeps their digests), and the run exits 3.
        let third = try Self.runTaps(captures, server: server, sites: ["c"])
        #expect(third["c"]?.status == 0)
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        let line = #"{"kind":"cell","id":"cell-1","start":1764403200,"duration":10,"partial":false,"bytesUp":1,"bytesDown":1,"packetsUp":1,"packetsDown":1,"activeFlows":1,"newFlows":1,"retransmissions":0,"zeroWindows":0,"decodeIssues":0,"sizeHistogram":[0,0,0,0,0,0,0],"site":"a"}"#
        try connection.publish(subject: "flowcast.v1.win.a.cell.cell-1", messageID: "another-id", payload: Array(line.utf8))
        let rerun = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(rerun.status == 3, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("warning: site a: a line for cell:cell-1 in the window at 2025-11-29T08:00:00Z, which was planned "
                                      + "with the site's lines already, none of them with these counts (bytes 1/1, packets 1/1); not taken"),
                "\(rerun.stderr)")
        #expect(rerun.stderr.contains("Not a copy of a planned line: another run's line"), "\(rerun.stderr)")
        #expect(rerun.stderr.contains("warning: site a: 1 line came for windows already planned with its lines, not taken: none is a copy "
                                      + "of a planned line, so another run's lines were not planned with"), "\(rerun.stderr)")
        #expect(try Scenario.policies(in: policies) == before)
        let after = try Scenario.summary(out)
        #expect((after["windowsPlanned"] as? Int) == (summary["windowsPlanned"] as? Int))
        #expect((after["messages"] as? [String: Int])?["afterPlanned"] == 1, "\(after)")
        #expect((after["messages"] as? [String: Int])?["duplicate"] == nil, "\(after)")
    }

    /// The same capture replayed again once the stream has forgotten its message ids (its
    /// duplicate window, 15 min by default, 1 s here): the stream stores every message again under
    /// new sequences. Until 7 December 2026 the planner could not tell those copies from another
    /// run's lines for windows it had planned: it said each site's as `afterPlanned` and exited 3.
    @Test("the same capture replayed after the stream's duplicate window: copies of planned lines are duplicates, exit 0, policies unchanged")
    func replayedAfterTheDuplicateWindow() throws {
        let server = try NATSServer()
        var shortMemory = FlowcastSubjects.windowStream
        shortMemory.duplicateWindowNanoseconds = 1_000_000_000
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        #expect(try connection.ensureStream(shortMemory) == .created)
        let captures = try Self.siteCaptures()
        try Self.runTapsOneAfterAnother(captures, server: server)
        let out = try Scenario.temporaryFolder("planner")
        let first = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(first.status == 0, "\(first.stderr)")
        let policies = out.appendingPathComponent("policies")
        let before = try Scenario.policies(in: policies)
        Thread.sleep(forTimeInterval: 1.5)
        let again = try Self.runTaps(captures, server: server, sites: ["a"])["a"]!
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("already in the stream"), "the stream took them as new: \(again.stderr)")
        let rerun = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!rerun.stderr.contains("already planned"), "\(rerun.stderr)")
        #expect(try Scenario.policies(in: policies) == before)
        let messages = try #require(Scenario.summary(out)["messages"] as? [String: Int])
        #expect(messages["afterPlanned"] == nil && messages["conflict"] == nil, "\(messages)")
        // Every window line, mark and the end of site a's second run, read again.
        #expect((messages["duplicate"] ?? 0) > 100, "\(messages)")

        // Every site again, twice (7,206 copies), then site b's capture published as site a (lines
        // that differ): past the first fetch (at most 4,096). The planner, finished, read one batch
        // and exited 0 until an audit of 7 December 2026, the differing lines unread; it reads to
        // the end now.
        for _ in 0..<2 {
            Thread.sleep(forTimeInterval: 1.5)
            try Self.runTapsOneAfterAnother(captures, server: server)
        }
        let impostor = try Fixtures.runFlowcast(Scenario.replayArguments(captures["b"]!, out: try Scenario.temporaryFolder("tap-b-as-a"),
                                                                         extra: ["--publish", server.url, "--site", "a"]))
        #expect(impostor.status == 0, "\(impostor.stderr)")
        let third = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(third.status == 3, "\(third.stderr)")
        #expect(third.stderr.contains("Not a copy of a planned line: another run's line"), "\(third.stderr)")
        #expect(try Scenario.policies(in: policies) == before)
        let after = try #require(Scenario.summary(out)["messages"] as? [String: Int])
        #expect((after["afterPlanned"] ?? 0) > 100 && (after["duplicate"] ?? 0) >= (messages["duplicate"] ?? 0) + 7_206, "\(after)")
    }

    /// Two taps with the same --site (the default is the host name). Until 7 December 2026 every
    /// message of the second had the id of one of the first's: the stream dropped them all as
    /// duplicates, and the planner planned the first tap's traffic alone without a word (the tap
    /// warned, after an audit). Message ids carry the content now: the lines that differ reach the
    /// planner, which names each as a conflict and exits 3; the identical ones (cells without
    /// traffic in both) are still duplicates, which the tap still warns of.
    @Test("two taps with the same --site: the second warns of duplicates, and the planner names its lines as conflicts and exits 3")
    func sameSiteTwice() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        func tap(_ capture: String) throws -> FlowcastRun {
            try Fixtures.runFlowcast(Scenario.replayArguments(captures[capture]!, out: try Scenario.temporaryFolder("tap-\(capture)"),
                                                              extra: ["--publish", server.url, "--site", "x", "--quiet"]))
        }
        let first = try tap("a")
        #expect(first.status == 0 && !first.stderr.contains("already in the stream"), "\(first.stderr)")
        let second = try tap("b")
        #expect(second.status == 0, "\(second.stderr)")
        let warning = try #require(second.stderr.split(separator: "\n").first { $0.contains("already in the stream") }, "\(second.stderr)")
        #expect(warning.contains(" of the 1201 messages acknowledged were already in the stream (the same message ids) "
                                 + "and were dropped as duplicates: is another tap publishing with --site x"), "\(second.stderr)")
        #expect(second.stderr.contains("within the stream's 15 min duplicate window?"), "\(second.stderr)")
        // Its end has the first tap's end's id (the same last window, and an end's id has no
        // content), so the stream holds one end for site x, the first tap's, without the count.
        let reader = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        let consumer = try PullConsumer(connection: reader, stream: FlowcastSubjects.windowStream.name, durable: "t",
                                        filterSubject: "flowcast.v1.tap.x", startTimeNanoseconds: nil, ackWaitNanoseconds: 10_000_000_000)
        let ends = try consumer.fetch(batch: 200, milliseconds: 1000).messages.map { String(decoding: $0.payload, as: UTF8.self) }
            .filter { $0.contains("\"type\":\"end\"") }
        #expect(ends.count == 1 && !ends[0].contains("alreadyInStream"), "\(ends)")
        // The planner: the second tap's lines with other counts are conflicts, each named; the
        // first tap's were kept; exit 3.
        let out = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, sites: ["x"], extra: ["--exit-when-done"]))
        #expect(run.status == 3, "\(run.stderr)")
        let conflicts = try #require(try Scenario.summary(out)["conflicts"] as? Int)
        let named = run.stderr.split(separator: "\n").filter { $0.contains("conflict: site x") }
        // The first 10 are logged, the rest counted.
        #expect(conflicts > 100 && named.count == 10, "\(conflicts) conflicts, \(named.count) named: \(run.stderr.suffix(3000))")
        #expect(run.stderr.contains("the first of each was kept and planned with (\(conflicts - 10) not logged)"), "\(run.stderr.suffix(3000))")
        #expect(named.contains { $0.contains("a second line for cell:") && $0.contains("with other counts") }, "\(named.prefix(3))")
        #expect(run.stderr.contains("flowcast planner: warning: \(conflicts) lines this run came for a site, window and cell or link "
                                    + "the planner already held with other counts"), "\(run.stderr.suffix(2000))")
    }

    /// A capture rotated inside a window, replayed as two runs of one tap (or a trial run stopped
    /// inside a window, then the real one): both runs published a line for every cell and link of
    /// that window, under the same message ids until 7 December 2026, so the stream dropped the
    /// second run's as duplicates and the planner planned the window from the first run's part
    /// alone, with exit status 0 (an audit). The second run's lines now reach the planner: every
    /// line with other counts is a conflict, named with what it may be, and the run exits 3.
    @Test("a capture rotated inside a window, replayed as two runs of one tap: the second run's part of that window is named a conflict, exit 3")
    func twoRunsShareAWindow() throws {
        let server = try NATSServer()
        let (before, after) = try Scenario.cut(Scenario.demo, at: 305, into: try Scenario.temporaryFolder("cut"))
        for part in [before, after] {
            let tap = try Fixtures.runFlowcast(Scenario.replayArguments(part, out: try Scenario.temporaryFolder("tap"),
                                                                        extra: ["--publish", server.url, "--site", "a"]))
            #expect(tap.status == 0, "\(tap.stderr)")
        }
        let out = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, sites: ["a"], extra: ["--exit-when-done"]))
        #expect(run.status == 3, "\(run.stderr)")
        let named = run.stderr.split(separator: "\n").filter { $0.contains("conflict: site a") }
        #expect(!named.isEmpty && named.allSatisfy {
            $0.contains("in the window at 2025-11-29T08:05:00Z") && $0.contains("with other counts")
                && $0.contains("did two runs of the tap share it (a trial run stopped inside it, or a capture rotated inside it)? "
                               + "Their parts are not summed")
        }, "\(run.stderr)")
        let summary = try Scenario.summary(out)
        // Up to 10 are logged; every one is counted.
        let conflicts = try #require(summary["conflicts"] as? Int)
        #expect(conflicts > 10 && named.count == 10, "\(summary)")
        // The windows after it are the second run's, planned as usual.
        #expect((summary["windowsPlanned"] as? Int ?? 0) >= 60, "\(summary)")
    }

    @Test("--from: a second planner beside the first, reading the streams from a point in time")
    func secondPlannerFromTime() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let before = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-5))
        _ = try Self.runTaps(captures, server: server)
        let first = try Scenario.temporaryFolder("planner")
        #expect(try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: first, extra: ["--exit-when-done"])).status == 0)
        let second = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: second,
                                                                     extra: ["--exit-when-done", "--durable", "backfill", "--from", before]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Scenario.policies(in: second.appendingPathComponent("policies")) == (try Scenario.policies(in: first.appendingPathComponent("policies"))))
        let bad = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: second, extra: ["--from", "yesterday"]))
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--from"))
    }

    @Test("garbage on a flowcast subject (a number out of range included) is counted, logged with its reason and stream sequence, and ignored")
    func garbageIsIgnored() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        _ = try connection.ensureStream(FlowcastSubjects.windowStream)
        try connection.publish(subject: "flowcast.v1.win.a.cell.cell-1", messageID: "junk-1", payload: Array("not json".utf8))
        try connection.publish(subject: "flowcast.v1.tap.a", messageID: "junk-2", payload: Array("{\"type\":\"window\"}".utf8))
        // The audit's four: each trapped the planner, on every restart too (the journal replays it).
        let hostile = [
            ("flowcast.v1.win.a.cell.cell-1", #"{"kind":"cell","id":"cell-1","start":1764403200,"duration":10,"partial":false,"bytesUp":18446744073709551615,"bytesDown":1,"packetsUp":1,"packetsDown":1,"site":"a"}"#),
            ("flowcast.v1.tap.a", #"{"formatVersion":1,"type":"window","site":"a","mode":"replay","start":1764403200,"duration":10,"previous":null,"lines":18446744073709551615}"#),
            ("flowcast.v1.tap.b", #"{"formatVersion":1,"type":"end","site":"b","mode":"replay","lastStart":1764403200,"windows":9223372036854775808}"#),
            ("flowcast.v1.tap.c", #"{"formatVersion":1,"type":"window","site":"c","mode":"replay","start":9223372035,"duration":10,"previous":1764403200,"lines":0}"#),
        ]
        for (n, (subject, payload)) in hostile.enumerated() {
            try connection.publish(subject: subject, messageID: "hostile-\(n)", payload: Array(payload.utf8))
        }
        let captures = try Self.siteCaptures()
        _ = try Self.runTaps(captures, server: server)
        let out = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.components(separatedBy: "ignored a message").count - 1 == 6)
        #expect(run.stderr.contains("ignored a message on flowcast.v1.win.a.cell.cell-1 (stream sequence 1): not one JSON object"), "\(run.stderr)")
        #expect(run.stderr.contains(#"(stream sequence 2): "formatVersion" is not 1"#), "\(run.stderr)")
        #expect(run.stderr.contains(#"(stream sequence 3): "bytesUp" 18446744073709551615 is out of range"#), "\(run.stderr)")
        #expect(run.stderr.contains(#"(stream sequence 6): "start" 9223372035 is out of range"#), "\(run.stderr)")
        #expect((try Scenario.summary(out)["messages"] as? [String: Int])?["garbage"] == 6)
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies())
        // Started again, it replays nothing hostile into a trap; the state already counted them.
        let again = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(again.status == 0, "\(again.stderr)")
    }

    /// A window line of site a (the demo's first window is at 2025-11-29T08:00:00Z).
    static func junkLine(kind: String = "cell", id: String = "cell-1", start: Int) -> (String, [UInt8]) {
        (FlowcastSubjects.window(site: "a", kind: kind == "cell" ? .cell : .link, id: id),
         Array(#"{"kind":"\#(kind)","id":"\#(id)","start":\#(start),"duration":10,"partial":false,"bytesUp":5,"bytesDown":5,"packetsUp":1,"packetsDown":1,"activeFlows":1,"newFlows":1,"retransmissions":0,"zeroWindows":0,"decodeIssues":0,"sizeHistogram":[0,0,0,0,0,0,0],"site":"a"}"#.utf8))
    }

    /// A stray line for site a's first window came before the tap's own: the tap's is the conflict,
    /// the stray one is kept. Each conflict is logged without --quiet; with it, until the fourth
    /// scale-out audit, nothing was said (only `conflicts` in planner-summary.json). The total is
    /// said as the run ends, with --quiet too.
    @Test("a line that came before the tap's own for the same window and cell: the total of conflicts is said as the run ends, with --quiet too")
    func conflictsAreSaidWithQuiet() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        _ = try connection.ensureStream(FlowcastSubjects.windowStream)
        let (subject, payload) = Self.junkLine(start: 1_764_403_200)
        try connection.publish(subject: subject, messageID: "stray-1", payload: payload)
        _ = try Self.runTaps(try Self.siteCaptures(), server: server)
        let out = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--quiet"]))
        // Its policies are written, some with a line that may not be the tap's: exit status 3, as a
        // tap that lost messages (it was 0, and only the warning said so).
        #expect(run.status == 3, "\(run.stderr)")
        #expect(!run.stderr.contains("conflict: site a"), "\(run.stderr)")
        #expect(run.stderr.contains("flowcast planner: warning: 1 line this run came for a site, window and cell or link the planner already "
                                    + "held with other counts (site a: 1); the first of each was kept and planned with (the lines are logged without --quiet)"),
                "\(run.stderr)")
        #expect(try Scenario.summary(out)["conflicts"] as? Int == 1)
        let loud = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: try Scenario.temporaryFolder("planner"),
                                                                      extra: ["--exit-when-done", "--durable", "loud"]))
        #expect(loud.status == 3, "\(loud.stderr)")
        #expect(loud.stderr.contains("conflict: site a, stream sequence "), "\(loud.stderr)")
        #expect(loud.stderr.contains("flowcast planner: warning: 1 line this run came for a site, window and cell or link the planner already "
                                     + "held with other counts (site a: 1); the first of each was kept and planned with\n"), "\(loud.stderr)")
    }

    @Test("lines for ids the topology does not name, off the window grid, or far from every window are counted, logged and never kept for the run")
    func linesThatCannotBePlanned() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        _ = try connection.ensureStream(FlowcastSubjects.windowStream)
        func publish(_ message: (String, [UInt8]), id: String) throws {
            try connection.publish(subject: message.0, messageID: id, payload: message.1)
        }
        // Before any tap: nothing to compare them with, so held until the first window is planned.
        try publish(Self.junkLine(start: 1_764_403_200 - 3600), id: "an-hour-before")
        try publish(Self.junkLine(start: 1_764_403_200 + 30 * 86_400), id: "a-month-after")
        // Before its window's mark (after it, any line of that window is a duplicate): held until the
        // window is planned, not merged.
        try publish(Self.junkLine(kind: "link", id: "l-nowhere", start: 1_764_403_260), id: "unknown-link")
        let captures = try Self.siteCaptures()
        _ = try Self.runTaps(captures, server: server)
        // After the taps: refused as they come.
        try publish(Self.junkLine(start: 1_764_403_265), id: "off-grid")
        try publish(Self.junkLine(start: 1_764_403_200 + 30 * 86_400 + 10), id: "a-month-after-again")
        let out = try Scenario.temporaryFolder("planner")
        // --quiet: these lines are said all the same.
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--quiet"]))
        #expect(run.status == 0, "\(run.stderr)")
        for line in [
            "flowcast planner: dropped held lines no window of theirs can be planned with: 1 of windows before the first one planned (2025-11-29T08:00:00Z), "
                + "and 1 of windows more than 168 h 0 min after the newest window their site has marked",
            "flowcast planner: ignored a line on flowcast.v1.win.a.link.l-nowhere (stream sequence 3): a line for link:l-nowhere, which the topology does not name (nor is it a cell learned from signalling, ecgi:… or ncgi:…; does the tap use another topology?); not merged",
            #"flowcast planner: ignored a message on flowcast.v1.win.a.cell.cell-1 (stream sequence "#,
            #"): "start" 2025-11-29T08:01:05Z is not on the window grid (a multiple of the 10 s window length since the epoch, as taps make them)"#,
            "): a line for the window at 2025-12-29T08:00:10Z, 719 h 50 min after the newest window site a has marked (2025-11-29T08:09:50Z); dropped",
        ] {
            #expect(run.stderr.contains(line), "\(line)\n\(run.stderr)")
        }
        let summary = try Scenario.summary(out)
        let messages = summary["messages"] as? [String: Int]
        #expect(messages?["unknownID"] == 1 && messages?["farAhead"] == 1 && messages?["garbage"] == 1, "\(summary)")
        #expect(summary["heldLinesDropped"] as? Int == 2)
        let reference = try Scenario.singleReplayPolicies()
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), reference)
        // The unknown link is in no window, forecast or policy, and nothing is held at the end.
        #expect(try Data(contentsOf: out.appendingPathComponent("policies/forecasts.jsonl"))
                    == Data(contentsOf: reference.appendingPathComponent("forecasts.jsonl")))
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("planner-state.json"))) as? [String: Any])
        let merger = try #require(state["merger"] as? [String: Any])
        #expect(merger["lines"] as? String == "", "\(merger["lines"] ?? "")")
        #expect((merger["seenOutsideTopology"] as? [String]) == [])
    }

    /// Every message of `server`'s window stream, in stream order.
    static func windowStreamMessages(_ server: NATSServer) throws -> [ReceivedMessage] {
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "read-stream"))
        let consumer = try PullConsumer(connection: connection, stream: FlowcastSubjects.windowStream.name, durable: nil,
                                        filterSubject: "flowcast.v1.>")
        var out: [ReceivedMessage] = []
        while true {
            let batch = try consumer.fetch(batch: 4096, milliseconds: 500)
            if batch.messages.isEmpty { break }
            out += batch.messages
            try batch.acknowledge()
            if batch.messages.last?.pending == 0 { break }
        }
        return out
    }

    /// Publishes `messages` in this order to `server`'s window stream (same subjects and message
    /// ids): a stream as taps would have filled it, had their messages come so.
    static func publish(_ messages: [ReceivedMessage], to server: NATSServer) throws {
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "write-stream"))
        _ = try connection.ensureStream(FlowcastSubjects.windowStream)
        for m in messages {
            try m.payload.withUnsafeBytes { try connection.publishAsync(subject: m.subject, messageID: m.messageID, payload: $0) }
        }
        try connection.waitForAcknowledgements(milliseconds: 30_000)
    }

    @Test("a lost mark end to end: site a's mark of one window is not in the stream; that window is planned without a after --lateness, and a's windows go on from its next mark")
    func lostMarkEndToEnd() throws {
        // The three taps publish to one server; the planner's server holds the same messages but
        // the mark of a's window at 08:05:00 (1764403500 s), as after it was deleted from the stream.
        let taps = try NATSServer()
        for (site, run) in try Self.runTaps(try Self.siteCaptures(), server: taps) { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        let server = try NATSServer()
        let all = try Self.windowStreamMessages(taps)
        let kept = all.filter { m in
            !(m.subject == "flowcast.v1.tap.a" && String(decoding: m.payload, as: UTF8.self).contains(#""type":"window","site":"a","mode":"replay","start":1764403500,"#))
        }
        #expect(all.count - kept.count == 1)
        try Self.publish(kept, to: server)
        let out = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--lateness", "2s"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast planner: planned window 2025-11-29T08:05:00Z without a (--lateness 2.0s passed)"), "\(run.stderr)")
        #expect(run.stderr.contains("flowcast planner: site a: the mark of its window at 2025-11-29T08:05:00Z had not come when that window was planned "
                                    + "(lost?); its windows go on from 2025-11-29T08:05:10Z (the windows before were planned without it)"), "\(run.stderr)")
        #expect(run.stderr.components(separatedBy: " without a ").count - 1 == 1, "\(run.stderr)")
        let summary = try Scenario.summary(out)
        #expect(summary["windowsPlanned"] as? Int == 60)
        #expect(summary["windowsWithMissingSites"] as? Int == 1)
        #expect((summary["messages"] as? [String: Int])?["late"] == nil)
        // One policy names a as missing; the ones before it are the reference's, and none after it
        // is planned without a (before 2026-12-05 every later window lacked a).
        let missing = try #require(summary["policiesMissingSites"] as? [String: [String]])
        #expect(missing.count == 1 && missing.values.first == ["a"], "\(missing)")
        let affected = try #require(missing.keys.first)
        let reference = try Scenario.policies(in: try Scenario.singleReplayPolicies())
        let got = try Scenario.policies(in: out.appendingPathComponent("policies"))
        #expect(got.keys.sorted() == reference.keys.sorted())
        for (name, policy) in got where name < affected { #expect(reference[name] == policy, "\(name) differs") }
        #expect(try Scenario.provenance(out.appendingPathComponent("policies"), reference.keys.max()!)["missingSites"] == nil)
    }

    @Test("an empty end end to end: site b's tap first replays an empty capture (its end says lastStart null), then its real one, which lags a's and c's: b is waited for and planned with")
    func emptyEndThenRealRunEndToEnd() throws {
        // The taps publish to one server, one after the other: b's empty run, then a, b and c.
        let taps = try NATSServer()
        let captures = try Self.siteCaptures()
        let empty = try Scenario.temporaryFolder("empty").appendingPathComponent("empty.pcap").path
        let writer = try CaptureWriter(path: empty, format: .pcap, linkType: try OfflineCapture(path: captures["b"]!).linkTypes[0])
        try writer.close()
        let emptyRun = try Fixtures.runFlowcast(Scenario.replayArguments(empty, out: try Scenario.temporaryFolder("tap-b-empty"),
                                                                         extra: ["--publish", taps.url, "--site", "b"]))
        #expect(emptyRun.status == 0, "\(emptyRun.stderr)")
        for site in ["a", "b", "c"] {
            for (site, run) in try Self.runTaps(captures, server: taps, sites: [site]) { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        }
        // The planner's stream: b's empty end, b's first window, all of a and c, then the rest of b
        // (as when b's real run starts with the others and lags behind them).
        let all = try Self.windowStreamMessages(taps)
        // flowcast.v1.win.<site>.… and flowcast.v1.tap.<site> (the sites here need no escaping).
        func site(_ m: ReceivedMessage) -> String? { m.subject.split(separator: ".").dropFirst(3).first.map(String.init) }
        let bEmptyEnd = all.filter { site($0) == "b" && String(decoding: $0.payload, as: UTF8.self).contains(#""lastStart":null"#) }
        #expect(bEmptyEnd.count == 1)
        let b = all.filter { site($0) == "b" && !bEmptyEnd.map(\.streamSequence).contains($0.streamSequence) }
        let bFirst = b.filter { String(decoding: $0.payload, as: UTF8.self).contains(#""start":1764403200,"#) }
        #expect(bFirst.count > 1)
        let bRest = b.filter { !bFirst.map(\.streamSequence).contains($0.streamSequence) }
        let server = try NATSServer()
        try Self.publish(bEmptyEnd + bFirst + all.filter { site($0) == "a" } + all.filter { site($0) == "c" }, to: server)
        // The rest of b once the planner has read (and journaled) the rest: it would have planned
        // every window by then had the empty end still ended b.
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        let journal = out.appendingPathComponent("planner-journal.bin").path
        func journaled() -> Bool { ((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0) > 16 }
        for _ in 0..<3000 where !journaled() { usleep(20_000) }
        #expect(journaled())
        try Self.publish(bRest, to: server)
        let run = planner.wait(timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("without"), "\(run.stderr)")
        let summary = try Scenario.summary(out)
        #expect((summary["messages"] as? [String: Int])?["end"] == 4)
        #expect((summary["messages"] as? [String: Int])?["late"] == nil)
        #expect(summary["windowsWithMissingSites"] as? Int == 0)
        let reference = try Scenario.singleReplayPolicies()
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), reference)
        #expect(try Data(contentsOf: out.appendingPathComponent("policies/forecasts.jsonl"))
                    == Data(contentsOf: reference.appendingPathComponent("forecasts.jsonl")))
    }

    /// Every site's tap replays an empty capture: each end names no window. The planner waited for a
    /// window that could not come and --exit-when-done never exited (the fourth scale-out audit).
    @Test("every site ends without closing a window: --exit-when-done exits 0, saying there is nothing to plan")
    func everySiteEndsEmpty() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let empty = try Scenario.temporaryFolder("empty").appendingPathComponent("empty.pcap").path
        let writer = try CaptureWriter(path: empty, format: .pcap, linkType: try OfflineCapture(path: captures["a"]!).linkTypes[0])
        try writer.close()
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        for site in Scenario.sites {
            let run = try Fixtures.runFlowcast(Scenario.replayArguments(empty, out: try Scenario.temporaryFolder("tap-\(site)-empty"),
                                                                        extra: ["--publish", server.url, "--site", site]))
            #expect(run.status == 0, "\(run.stderr)")
        }
        let run = planner.wait(timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast planner: every site has ended without closing a window (each end names none); nothing to plan"),
                "\(run.stderr)")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("policies").path)) ?? []
        #expect(!written.contains { $0.hasPrefix("policy-") }, "\(written)")
        let summary = try Scenario.summary(out)
        #expect((summary["messages"] as? [String: Int])?["end"] == 3)
        #expect(summary["finished"] as? Bool == true)
        #expect((summary["endedSites"] as? [String]) == Scenario.sites)
    }

    /// Taps that start together race to create the stream; the ones that lose must use it, not
    /// fail ("subjects overlap with an existing stream" ended a tap once in a full run, and the
    /// planner then waited for its site for ever).
    @Test("connections that create the stream at the same moment all succeed: it is created once and used by all")
    func streamCreatedConcurrently() throws {
        let server = try NATSServer()
        for round in 0..<60 {
            // Two subjects, as the window stream has: the race shows with more than one.
            var wanted = FlowcastSubjects.windowStream
            wanted.name = "RACE_\(round)"
            wanted.subjects = ["race.\(round).win.>", "race.\(round).tap.>"]
            let stream = wanted
            let connections = try (0..<2).map { try NATSConnection(NATSConnectionOptions(url: server.url, name: "tap-\($0)")) }
            let results = Mutex<[Result<StreamEnsureResult, NATSError>]>([])
            let ready = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: connections.count) { i in
                // All at once: each waits until every thread is here.
                ready.add(1, ordering: .relaxed)
                while ready.load(ordering: .relaxed) < connections.count {}
                let result = Result { () throws(NATSError) -> StreamEnsureResult in try connections[i].ensureStream(stream) }
                results.withLock { $0.append(result) }
            }
            let outcomes = results.withLock { $0 }
            // JetStream's add is idempotent for the same configuration, so several may say .created.
            #expect(outcomes.allSatisfy { (try? $0.get()) != nil }, "round \(round): \(outcomes)")
        }
    }

    @Test("a stream that exists with another configuration is used as it is, the difference logged")
    func existingStreamIsUsedAsItIs() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        var other = FlowcastSubjects.windowStream
        other.maxAgeNanoseconds = 3600 * 1_000_000_000
        #expect(try connection.ensureStream(other) == .created)
        let tap = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: try Scenario.temporaryFolder("tap"),
                                                                    extra: ["--publish", server.url, "--site", "a"]))
        #expect(tap.status == 0, "\(tap.stderr)")
        #expect(tap.stderr.contains("warning: NATS stream FLOWCAST_WINDOWS: maxAge: 3600s on the server, 604800s wanted"), "\(tap.stderr)")
        #expect(try connection.ensureStream(FlowcastSubjects.windowStream)
                    == .existing(differences: ["maxAge: 3600s on the server, 604800s wanted"]))
    }

    /// The remedy the docs give a tap that exited 3 with messages spooled: the same command again.
    /// It re-sends the spool while publishing the same windows anew, under the same message ids.
    /// Until 7 December 2026 the second of an id replaced the first among the messages in flight,
    /// the spool never settled, and the run spun at 100 % CPU for all of --publish-wait, then exited
    /// 3 saying the spool's messages were not taken (an audit: 3 reruns of 6). Whether the two
    /// copies of an id are in flight at once here depends on timing (InFlightMessagesTests pins the
    /// bookkeeping); this checks the remedy end to end.
    @Test("a tap run again on its folder re-sends its spool while publishing the same windows anew: exit 0, the spool gone, no wait")
    func rerunClearsItsSpool() throws {
        // The first run spools every window from its first.
        let server = try Self.serverWithAFullStream()
        let out = try Scenario.temporaryFolder("tap")
        let arguments = Scenario.replayArguments(Scenario.demo, out: out, extra: ["--publish", server.url, "--site", "a", "--publish-wait", "2"])
        let first = try Fixtures.runFlowcast(arguments)
        #expect(first.status == 3, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("publish-spool").path))
        // summary.json has the counters the tap printed (until 7 December 2026 only stderr did),
        // and `spooled` counts each message once: every message but the one the stream took went
        // to the spool and is still there, however often it was re-sent and refused in between.
        let publish = try #require(Self.tapSummary(out)["publish"] as? [String: Any], "no publish in summary.json")
        let (published, spooled, left) = (publish["published"] as? Int, publish["spooled"] as? Int, publish["leftInSpool"] as? Int)
        #expect(published == 1 && spooled == left && (left ?? 0) > 1000 && publish["dropped"] as? Int == 0, "\(publish)")
        #expect(publish["site"] as? String == "a" && publish["url"] as? String == server.url, "\(publish)")
        #expect(first.stderr.contains("published 1 messages (of \(publish["windowLinesProduced"] as? Int ?? -1) window lines produced) "
                                      + "to \(server.url) as site a; re-sent 0 of them, spooled \(spooled ?? -1), dropped 0; \(left ?? -1) still in "),
                "\(first.stderr)")
        // A stream that takes everything (the server's store removed: the tap makes it as usual).
        try Self.restartWithoutStore(server)
        let clock = ContinuousClock()
        let started = clock.now
        let rerun = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: out,
                                                                      extra: ["--publish", server.url, "--site", "a", "--publish-wait", "30"]))
        let took = clock.now - started
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!rerun.stderr.contains("were not taken"), "\(rerun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("publish-spool").path))
        #expect(took < .seconds(20), "the rerun took \(took)")
        let again = try #require(Self.tapSummary(out)["publish"] as? [String: Any], "no publish in summary.json")
        #expect(again["resent"] as? Int == left && again["leftInSpool"] as? Int == 0 && again["spooled"] as? Int == 0, "\(again)")
    }

    /// An audit: a tap rerun while the stream still refused its messages re-sent its spool (refused:
    /// spooled again) and published the same windows anew (refused: spooled too), so each rerun
    /// added a copy of every message: 701, then 1,402, then 2,103 "not taken". The spool holds a
    /// message once now.
    @Test("a tap rerun while the stream refuses its messages keeps each message once in its spool")
    func rerunWhileRefusedSpoolsOnce() throws {
        let server = try Self.serverWithAFullStream()
        let out = try Scenario.temporaryFolder("tap")
        var left: [Int] = []
        for _ in 0..<2 {
            let run = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: out,
                                                                        extra: ["--publish", server.url, "--site", "a", "--publish-wait", "3"]))
            #expect(run.status == 3, "\(run.stderr)")
            let publish = try #require(try Self.tapSummary(out)["publish"] as? [String: Any], "no publish in summary.json")
            left.append(publish["leftInSpool"] as? Int ?? -1)
            #expect(run.stderr.contains("\(left.last!) messages were not taken by the stream"), "\(run.stderr)")
        }
        #expect(left[0] > 1000 && left[1] == left[0], "\(left)")
        let spooled = try PublishSpoolFiles.ids(in: out.appendingPathComponent("publish-spool").path)
        #expect(spooled.count == left[0] && Set(spooled).count == spooled.count, "\(spooled.count) in the spool, \(Set(spooled).count) distinct")
    }

    /// An audit: the stream deleted under a tap whose refusals had backed off to seconds; the tap
    /// created it again and said "re-sending the spool", then waited out the back-off (up to 10 s)
    /// first, and with --publish-wait 20 ended with the whole spool unsent. The re-send now follows
    /// the new stream at once.
    @Test("a stream created again under a tap that was backing off: its spool is re-sent at once, not after the back-off")
    func spoolResentOnceTheStreamIsCreatedAgain() throws {
        let server = try Self.serverWithAFullStream()
        let out = try Scenario.temporaryFolder("tap")
        let tap = try RunningFlowcast(Scenario.replayArguments(Scenario.demo, out: out,
                                                               extra: ["--publish", server.url, "--site", "a", "--publish-wait", "60"]))
        // Refused again and again, the back-off doubles: 0.25, 0.5, 1, 2, 4 s, then 8 s by about 8 s.
        Thread.sleep(forTimeInterval: 9)
        try Self.restartWithoutStore(server)
        let clock = ContinuousClock()
        let back = clock.now
        let run = tap.wait(timeout: 60)
        let took = clock.now - back
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("created stream FLOWCAST_WINDOWS again and re-sending the spool"), "\(run.stderr)")
        // Reconnecting takes up to a few hundred ms; the back-off it waited out before was 10 s.
        #expect(took < .seconds(6), "the tap ended \(took) after the server came back: \(run.stderr)")
    }

    /// A nats-server whose window stream takes one message and refuses the rest (a full stream that
    /// discards new messages): a tap spools everything after its first message.
    static func serverWithAFullStream() throws -> NATSServer {
        let server = try NATSServer()
        var full = FlowcastSubjects.windowStream
        full.maxMessages = 1
        full.discardNew = true
        guard try NATSConnection(NATSConnectionOptions(url: server.url, name: "test")).ensureStream(full) == .created else {
            throw TestFailure("the full stream was not created")
        }
        return server
    }

    /// A tap's summary.json.
    static func tapSummary(_ out: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: out.appendingPathComponent("summary.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Finding 6 of the second scale-out audit: max_msgs, max_msgs_per_subject and discard were
    /// not compared, so a stream made with them said nothing.
    @Test("an existing stream's message limits and discard policy are compared and logged too")
    func existingStreamLimitsAreLogged() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        var other = FlowcastSubjects.windowStream
        other.maxMessages = 5000
        other.maxMessagesPerSubject = 100
        other.discardNew = true
        #expect(try connection.ensureStream(other) == .created)
        let differences = ["maxMsgs: 5000 on the server, no limit wanted", "maxMsgsPerSubject: 100 on the server, no limit wanted",
                           "discard: new (a full stream refuses messages) on the server, old (a full stream removes its oldest) wanted"]
        #expect(try connection.ensureStream(FlowcastSubjects.windowStream) == .existing(differences: differences))
        #expect(try connection.ensureStream(other) == .existing(differences: []))
        let tap = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: try Scenario.temporaryFolder("tap"),
                                                                    extra: ["--publish", server.url, "--site", "a"]))
        #expect(tap.status == 0, "\(tap.stderr)")
        for difference in differences {
            #expect(tap.stderr.contains("warning: NATS stream FLOWCAST_WINDOWS: \(difference); using the stream as it is"), "\(tap.stderr)")
        }
    }

    /// A stream whose limit removed the taps' first marks (discard old) before the planner read it:
    /// no site's chain started, nothing was planned, and --exit-when-done never exited (nor logged
    /// anything) although every site's end was read. The same path as `--from` after the taps began.
    @Test("the stream's limit removed every site's first mark: each site starts from its earliest mark read, says so, and the planner plans and exits")
    func firstMarksRemovedByTheStreamLimit() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        var limited = FlowcastSubjects.windowStream
        // A tap publishes about 460 KB of the demo: the stream keeps about the last 2.5 taps'.
        limited.maxBytes = 1_150_000
        #expect(try connection.ensureStream(limited) == .created)
        // One after the other, so that what is removed is the first half of site a's windows.
        let captures = try Self.siteCaptures()
        try Self.runTapsOneAfterAnother(captures, server: server)
        let out = try Scenario.temporaryFolder("planner")
        let run = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--lateness", "1s"])).wait(timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("site a: the mark of its first window (previous null) was not read (the consumer started after it"),
                "\(run.stderr)")
        #expect(!run.stderr.contains("site b: the mark of its first") && !run.stderr.contains("site c: the mark of its first"), "\(run.stderr)")
        let summary = try Scenario.summary(out)
        // Planned with a from its earliest mark read on (before, every window was planned without a).
        let planned = summary["windowsPlanned"] as? Int ?? 0, withoutA = summary["windowsWithMissingSites"] as? Int ?? 0
        #expect(planned == 60 && withoutA > 10 && withoutA < 50, "\(summary)")
        #expect((summary["endedSites"] as? [String]) == Scenario.sites)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("policies/policy-0001.json").path))
    }

    /// N6 of the third scale-out verification: a stream with max_msgs 1500 (discard old) and the
    /// taps a, b, c published one after the other keeps c's 1,201 messages and b's last 299, none
    /// of a's (its end included). The planner planned every window without a, logged it per
    /// window and never exited with --exit-when-done.
    @Test("the stream's limit removed every message of site a, its end included: said once, planned without it, and --exit-when-done exits")
    func wholeSiteRemovedByTheStreamLimit() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        var limited = FlowcastSubjects.windowStream
        limited.maxMessages = 1500
        #expect(try connection.ensureStream(limited) == .created)
        let captures = try Self.siteCaptures()
        try Self.runTapsOneAfterAnother(captures, server: server)
        let out = try Scenario.temporaryFolder("planner")
        let run = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--lateness", "1s", "--quiet"]))
            .wait(timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        // Said once --lateness has passed with nothing of a after b and c ended (a site that has not
        // started yet looks the same until then); its windows were planned without it meanwhile.
        let said = "flowcast planner: warning: site a: nothing of it was read, and nothing came in --lateness (1 s) after every other site had ended"
        #expect(run.stderr.components(separatedBy: said).count - 1 == 1, "\(run.stderr)")
        #expect(!run.stderr.contains("site b: nothing") && !run.stderr.contains("site c: nothing"), "\(run.stderr)")
        let summary = try Scenario.summary(out)
        #expect(summary["finished"] as? Bool == true, "\(summary)")
        #expect(summary["windowsPlanned"] as? Int == 60 && summary["windowsWithMissingSites"] as? Int == 60, "\(summary)")
        #expect(summary["sitesNotRead"] as? [String] == ["a"], "\(summary)")
        #expect(summary["endedSites"] as? [String] == ["b", "c"], "\(summary)")
        let missing = try #require(summary["policiesMissingSites"] as? [String: [String]])
        #expect(missing.count == summary["policies"] as? Int && missing.values.allSatisfy { $0.contains("a") }, "\(missing)")
    }

    /// A tap that starts after its windows were planned without it (the planner reading a backlog
    /// older than --lateness): every line it sent was dropped as late with nothing in the log (a
    /// verifier's finding). Now it is said once as it happens and totalled as the run ends, with
    /// --quiet too.
    @Test("lines of a site that came after their windows were planned without it are said, with --quiet too")
    func lateLinesAreSaid() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        try Self.runTapsOneAfterAnother(captures, server: server, sites: ["a", "b"])
        Thread.sleep(forTimeInterval: 3)  // a's and b's messages are older than --lateness
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--lateness", "2s", "--quiet"]))
        // c starts once the planner has planned windows without it.
        let first = out.appendingPathComponent("policies/policy-0001.json").path
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: first) && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(FileManager.default.fileExists(atPath: first))
        let c = try Self.runTaps(captures, server: server, sites: ["c"])["c"]!
        #expect(c.status == 0, "\(c.stderr)")
        let run = planner.wait(timeout: 90)
        #expect(run.status == 0, "\(run.stderr)")
        let said = "flowcast planner: warning: site c: a line came for a window already planned without it (--lateness 2.0s passed"
        #expect(run.stderr.components(separatedBy: said).count - 1 == 1, "\(run.stderr)")
        let total = try #require(run.stderr.split(separator: "\n").first { $0.contains("warning: site c: ") && $0.contains(" came after ") }, "\(run.stderr)")
        #expect(total.hasSuffix("planned without it (its mark had not come within --lateness, or it published the window later); not counted"), "\(total)")
        let late = try #require(Scenario.summary(out)["messages"] as? [String: Int])["late"]
        #expect(late != nil && total.contains("site c: \(late!) line"), "\(total) against \(String(describing: late))")
    }

    /// N7 of the third scale-out verification: with --quiet the planner still printed "ignored a
    /// message … its site is not in --sites" for the first 10 messages of a site left out of --sites.
    @Test("messages of a site not in --sites: each logged (up to 10) without --quiet, only the run's total with it")
    func unlistedSiteUnderQuiet() throws {
        let server = try NATSServer()
        _ = try Self.runTaps(try Self.siteCaptures(), server: server)
        let perMessage = "its site is not in --sites"
        let total = try NSRegularExpression(pattern: #"flowcast planner: ignored (\d+) messages this run from sites not in --sites: c\n"#)
        func count(_ stderr: String) -> Int {
            let range = NSRange(stderr.startIndex..., in: stderr)
            guard let m = total.firstMatch(in: stderr, range: range), let r = Range(m.range(at: 1), in: stderr) else { return 0 }
            return Int(stderr[r]) ?? 0
        }
        for quiet in [false, true] {
            let out = try Scenario.temporaryFolder("planner")
            let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, sites: ["a", "b"],
                                                                         extra: ["--exit-when-done", "--durable", quiet ? "quiet" : "loud"]
                                                                             + (quiet ? ["--quiet"] : [])), timeout: 120)
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count { $0.contains(perMessage) } == (quiet ? 0 : 10), "quiet \(quiet): \(run.stderr)")
            let unlisted = (try Scenario.summary(out)["messages"] as? [String: Int])?["unlistedSite"] ?? 0
            #expect(unlisted > 10 && count(run.stderr) == unlisted, "quiet \(quiet): \(unlisted) \(run.stderr)")
            #expect(lines.count { $0.contains("sites not in --sites") } == 1, "quiet \(quiet): \(run.stderr)")
        }
    }

    /// A finished planner with --exit-when-done reads on until it has caught up with the stream, but
    /// no longer than --catch-up-limit: a stream that keeps receiving (here a backlog of a site not in
    /// --sites, too long to read within the limit) does not keep it reading. The path had no test
    /// until the limit became an option.
    @Test("a finished planner stops reading --catch-up-limit after its last plan, says so, exits 0; the next run reads on")
    func catchUpLimit() throws {
        let server = try NATSServer()
        _ = try Self.runTaps(try Self.siteCaptures(), server: server)
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "busy-unlisted-site"))
        let backlog = 200_000
        let payload = Array(#"{"formatVersion":1,"type":"heartbeat","site":"z","mode":"live"}"#.utf8)
        for n in 0..<backlog {
            try payload.withUnsafeBytes { try connection.publishAsync(subject: "flowcast.v1.tap.z", messageID: "z-\(n)", payload: $0) }
            // In batches: the client stalls past a bound of outstanding asynchronous publishes.
            if n % 4096 == 4095 { try connection.waitForAcknowledgements(milliseconds: 60_000) }
        }
        try connection.waitForAcknowledgements(milliseconds: 60_000)
        let out = try Scenario.temporaryFolder("planner")
        let run = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--quiet", "--catch-up-limit", "1s"]),
                                           timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("flowcast planner: warning: stopped reading 1 s after the last interval was planned with messages still arriving "
                                    + "(a tap still publishing, or of a site not in --sites?); what came after is for the next run (--catch-up-limit)"),
                "\(run.stderr)")
        let first = (try Scenario.summary(out)["messages"] as? [String: Int])?["unlistedSite"] ?? 0
        #expect(first < backlog, "read all \(first) within 1 s: the limit was not reached")
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies())
        // The next run, at the default limit, reads the rest (nothing is lost) and catches up.
        let again = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--quiet"]), timeout: 300)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("stopped reading"), "\(again.stderr)")
        let second = (try Scenario.summary(out)["messages"] as? [String: Int])?["unlistedSite"] ?? 0
        #expect(second == backlog, "\(first) then \(second) of \(backlog)")
    }

    /// Finding 4 of the second scale-out audit: `rm -rf OUT` and the same command again (the
    /// default --durable) read nothing, planned nothing and waited for ever without a word.
    @Test("a new --out on a durable consumer that has acknowledged messages: refused in one line naming it; once it is deleted, the planner starts")
    func freshOutWithAUsedDurable() throws {
        let server = try NATSServer()
        let connection = try NATSConnection(NATSConnectionOptions(url: server.url, name: "test"))
        _ = try connection.ensureStream(FlowcastSubjects.windowStream)
        try connection.publish(subject: FlowcastSubjects.tap(site: "a"), messageID: nil,
                               payload: Array("{\"formatVersion\":1,\"type\":\"heartbeat\",\"site\":\"a\",\"time\":1764403215.5}".utf8))
        // An earlier planner's consumer, as the planner makes it, with that message acknowledged.
        do {
            let consumer = try PullConsumer(connection: connection, stream: FlowcastSubjects.windowStream.name, durable: "reuse",
                                            filterSubject: "flowcast.v1.>", ackWaitNanoseconds: 10_000_000_000)
            let batch = try consumer.fetch(batch: 10, milliseconds: 1000)
            #expect(batch.messages.count == 1)
            try batch.acknowledge()
            try connection.flush(milliseconds: 2000)
            for _ in 0..<100 where try consumer.acknowledgedFloor() == 0 { usleep(20_000) }
            #expect(try consumer.acknowledgedFloor() == 1)
        }
        let out = try Scenario.temporaryFolder("planner")
        let arguments = Scenario.plannerArguments(server, out: out, extra: ["--durable", "reuse", "--exit-when-done"])
        let refused = try RunningFlowcast(arguments).wait(timeout: 20)
        #expect(refused.status == 2)
        #expect(refused.stderr == "flowcast planner: consumer reuse on stream FLOWCAST_WINDOWS has already acknowledged messages "
                + "(through stream sequence 1) for a planner whose state is not in \(out.path) (no planner-state.json): this planner would "
                + "read only what comes after them and wait for their windows for ever. Give it a new --durable (with --from to start "
                + "later than the stream's first message), or delete the consumer (nats consumer rm FLOWCAST_WINDOWS reuse) to plan the "
                + "stream from its start\n", "\(refused.stderr)")
        try connection.deleteConsumer(stream: FlowcastSubjects.windowStream.name, name: "reuse")
        let planner = try RunningFlowcast(arguments)
        let state = out.appendingPathComponent("planner-state.json").path
        for _ in 0..<1000 where !FileManager.default.fileExists(atPath: state) { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: state))
        planner.signal(SIGTERM)
        let stopped = planner.wait(timeout: 20)
        #expect(stopped.status == 0, "\(stopped.stderr)")
    }

    @Test("an unreachable server at start: one line naming the URL, exit status 2, no hang")
    func unreachableServer() throws {
        let port = try NATSServer.freePort()
        let url = "nats://127.0.0.1:\(port)"
        let started = Date()
        let tap = try Fixtures.runFlowcast(Scenario.replayArguments(Scenario.demo, out: try Scenario.temporaryFolder("tap"),
                                                                    extra: ["--publish", url, "--site", "a"]))
        #expect(tap.status == 2)
        #expect(tap.stderr.split(separator: "\n").count == 1)
        #expect(tap.stderr.contains(url))
        let planner = try Fixtures.runFlowcast(["planner", "--nats", url, "--topology", Scenario.topology,
                                                "--out", try Scenario.temporaryFolder("planner").path, "--sites", "a"])
        #expect(planner.status == 2)
        #expect(planner.stderr.split(separator: "\n").count == 1)
        #expect(planner.stderr.contains(url))
        #expect(Date().timeIntervalSince(started) < 20)
        // A topology that is not there: the file and the reason, as replay says it (an audit got
        // Foundation's `Error Domain=NSCocoaErrorDomain Code=260 …`).
        let missing = try Fixtures.runFlowcast(["planner", "--nats", url, "--topology", "/nonexistent/topology.yaml",
                                                "--out", try Scenario.temporaryFolder("planner").path, "--sites", "a"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "flowcast planner: /nonexistent/topology.yaml: cannot read file: No such file or directory\n", "\(missing.stderr)")
        // A host name that does not resolve is said to be one (the client says only "No server
        // available for connection"); .invalid never resolves (RFC 2606).
        let unresolved = try Fixtures.runFlowcast(["planner", "--nats", "nats://no-such-host.invalid:4222", "--topology", Scenario.topology,
                                                   "--out", try Scenario.temporaryFolder("planner").path, "--sites", "a"])
        #expect(unresolved.status == 2)
        #expect(unresolved.stderr.contains("No server available for connection (cannot resolve no-such-host.invalid: "), "\(unresolved.stderr)")
    }

    /// Sites a and b publish first: the planner holds their windows, waits for c, and is killed
    /// (SIGKILL) once it has journaled a batch (the state file is written at start). Then c
    /// publishes, and a second planner is killed as soon as it has written policy-0002.json.
    static func killWhileWaitingThenAfterPlanning(_ captures: [String: String], server: NATSServer, out: URL,
                                                  extra: [String] = [], signal: Int32 = SIGKILL,
                                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        // A tap that failed would leave the last planner waiting for its site for ever: said here.
        for (site, run) in try runTaps(captures, server: server, sites: ["a", "b"]) {
            #expect(run.status == 0, "tap \(site): \(run.stderr)", sourceLocation: sourceLocation)
        }
        let first = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: extra))
        let journal = out.appendingPathComponent("planner-journal.bin").path
        func journaled() -> Bool { ((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0) > 16 }
        for _ in 0..<3000 where !journaled() { usleep(20_000) }
        #expect(journaled(), sourceLocation: sourceLocation)
        first.signal(signal)
        _ = first.wait()
        for (site, run) in try runTaps(captures, server: server, sites: ["c"]) {
            #expect(run.status == 0, "tap \(site): \(run.stderr)", sourceLocation: sourceLocation)
        }
        let second = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: extra))
        let policy = out.appendingPathComponent("policies/policy-0002.json")
        for _ in 0..<6000 where !FileManager.default.fileExists(atPath: policy.path) { usleep(10_000) }
        second.signal(signal)
        _ = second.wait()
    }

    @Test("the planner killed (SIGKILL) midway and started again: the same policies")
    func killedAndRestarted() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let out = try Scenario.temporaryFolder("planner")
        try Self.killWhileWaitingThenAfterPlanning(captures, server: server, out: out)
        let last = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(last.status == 0, "\(last.stderr)")
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies())
        let forecasts = try Data(contentsOf: out.appendingPathComponent("policies/forecasts.jsonl"))
        let reference = try Scenario.singleReplayPolicies()
        #expect(forecasts == (try Data(contentsOf: reference.appendingPathComponent("forecasts.jsonl"))))
        let summary = try Scenario.summary(out)
        #expect((summary["windowsPlanned"] as? Int) == 60)
    }

    /// A planner killed while it reads a backlog leaves messages delivered to it and not yet
    /// journaled; the stream delivers them again after the consumer's ack wait (10 s). Until
    /// 7 December 2026 the restarted planner took an empty fetch, or the last message's pending
    /// count of 0, as caught up and went over to the wall clock: windows were planned without the
    /// site whose messages were still to come (an audit: 412 windows, and --exit-when-done exited
    /// without reading them). With --lateness 8 s, under the ack wait, that is every run.
    @Test("the planner killed while reading a backlog and started again with --exit-when-done: it waits for the messages the killed one was given, the same policies")
    func killedInBacklogWaitsForRedelivery() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        // One-second windows: about 24,000 messages, more than the planner fetches ahead (two
        // batches of 4,096) of what it has journaled. The taps at once, so the backlog's stored
        // times span the seconds they take (lateness runs on those while a backlog is read).
        for (site, run) in try Self.runTaps(captures, server: server, extra: ["--window", "1s"]) {
            #expect(run.status == 0, "tap \(site): \(run.stderr)")
        }
        let out = try Scenario.temporaryFolder("planner")
        // Under the consumer's 10 s ack wait: a planner that stops waiting for the redelivery (the
        // wall clock once "caught up") plans windows without their sites.
        let lateness = ["--lateness", "8s", "--window", "1s"]
        let first = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: lateness))
        let journal = out.appendingPathComponent("planner-journal.bin").path
        func journaled() -> Bool { ((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0) > 16 }
        for _ in 0..<3000 where !journaled() { usleep(5_000) }
        #expect(journaled())
        first.signal(SIGKILL)
        _ = first.wait()
        let second = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: lateness + ["--exit-when-done"]))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("without"), "\(second.stderr.prefix(3000))")
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies(extra: ["--window", "1s"]))
    }

    @Test("the planner stopped (SIGTERM, SIGINT) midway and started again: the same policies and forecasts, no hole in forecasts.jsonl",
          arguments: [SIGTERM, SIGINT])
    func stoppedAndRestarted(signal: Int32) throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let out = try Scenario.temporaryFolder("planner")
        try Self.killWhileWaitingThenAfterPlanning(captures, server: server, out: out, signal: signal)
        let last = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(last.status == 0, "\(last.stderr)")
        let reference = try Scenario.singleReplayPolicies()
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), reference)
        let forecasts = try Data(contentsOf: out.appendingPathComponent("policies/forecasts.jsonl"))
        #expect(!forecasts.contains(0))
        #expect(forecasts == (try Data(contentsOf: reference.appendingPathComponent("forecasts.jsonl"))))
    }

    @Test("a restart whose forecasts.jsonl.partial is gone fails, naming the file, instead of writing after a hole")
    func restartWithForecastsGone() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let out = try Scenario.temporaryFolder("planner")
        try Self.killWhileWaitingThenAfterPlanning(captures, server: server, out: out)
        let partial = out.appendingPathComponent("policies/forecasts.jsonl.partial").path
        #expect(FileManager.default.fileExists(atPath: partial))
        try FileManager.default.removeItem(atPath: partial)
        let last = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        #expect(last.status != 0)
        #expect(last.stderr.contains("forecasts.jsonl.partial"), "\(last.stderr)")
        #expect(!FileManager.default.fileExists(atPath: partial))
    }

    @Test("--model and --efficiency-model interval models, the planner killed midway and started again: replay's policies with the same models")
    func intervalModelsKilledAndRestarted() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let models = try DemoIntervalModels(in: try Scenario.temporaryFolder("models"))
        let demandId = try DemoIntervalModels.id(of: models.demand)
        let flags = ["--model", models.demand, "--efficiency-model", models.efficiency]
        let out = try Scenario.temporaryFolder("planner")
        // As the test above, killed twice: the restart must carry on the models' history.
        try Self.killWhileWaitingThenAfterPlanning(captures, server: server, out: out, extra: flags)
        // A third run saves its state (with the history so far) once it has replayed the journal,
        // plans on, and is killed: the last run starts from that saved history.
        let statePath = out.appendingPathComponent("planner-state.json")
        func generation() -> Int {
            let object = (try? Data(contentsOf: statePath)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return object?["generation"] as? Int ?? -1
        }
        let before = generation()
        let third = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: flags))
        for _ in 0..<6000 where generation() <= before { usleep(10_000) }
        third.signal(SIGKILL)
        _ = third.wait()
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: statePath)) as? [String: Any]
        let history = (saved?["planner"] as? [String: Any])?["intervalHistory"] as? [String: [Any]]
        #expect((history?["cell:cell-1"]?.count ?? 0) >= 12, "the saved state holds the interval model's history")
        let last = try Fixtures.runFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"] + flags))
        #expect(last.status == 0, "\(last.stderr)")
        let reference = try Scenario.singleReplayPolicies(extra: flags)
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), reference)
        let text = try String(contentsOf: out.appendingPathComponent("policies/policy-0009.json"), encoding: .utf8)
        #expect(text.contains("model \(demandId): mean of the next 60 s, P10–P90 band"), "\(text.prefix(3000))")
        #expect(text.contains("model \(try DemoIntervalModels.id(of: models.efficiency)): mean of the next 60 s"))
        #expect(!text.contains("persistence"))
        // A model for another interval: one line naming the file, exit status 2.
        let wrong = try Fixtures.runFlowcast(["planner", "--nats", server.url, "--topology", Scenario.topology,
                                              "--out", try Scenario.temporaryFolder("wrong").path, "--sites", "a", "--plan-every", "120s",
                                              "--model", models.demand])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("\(models.demand): the model forecasts the mean of the next 60 s, not of the next 120 s"), "\(wrong.stderr)")
    }

    /// Stops the server, removes its JetStream store (streams, consumers, messages) and starts it
    /// again on the same port: what a restart on a fresh disk, or without `-sd`, looks like.
    static func restartWithoutStore(_ server: NATSServer) throws {
        server.stop()
        try FileManager.default.removeItem(at: server.store.appendingPathComponent("jetstream"))
        try server.start()
    }

    /// The client reconnects on its own and pulls come back empty meanwhile: a planner whose server
    /// was down logged nothing (the fourth scale-out audit). Said with --quiet too.
    @Test("nats-server down for a few seconds under a waiting planner: it says so and when it is back, and plans what the taps publish")
    func serverDownUnderPlanner() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done", "--quiet"]))
        let state = out.appendingPathComponent("planner-state.json").path
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: state) { usleep(20_000) }
        usleep(300_000)
        server.stop()
        usleep(3_500_000)
        try server.start()
        let taps = try Self.runTaps(captures, server: server)
        for (site, run) in taps { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        let result = planner.wait(timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("flowcast planner: warning: NATS: the connection to \(server.url) is down; the client reconnects"),
                "\(result.stderr)")
        #expect(result.stderr.contains("flowcast planner: NATS: connected to \(server.url) again after "), "\(result.stderr)")
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies())
    }

    @Test("nats-server restarted without its JetStream store under a waiting planner: it says so, creates its consumer again, and plans what the taps publish")
    func storeLostUnderPlanner() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        let state = out.appendingPathComponent("planner-state.json").path
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: state) { usleep(20_000) }
        usleep(300_000)
        try Self.restartWithoutStore(server)
        let taps = try Self.runTaps(captures, server: server)
        for (site, run) in taps { #expect(run.status == 0, "tap \(site): \(run.stderr)") }
        let result = planner.wait(timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("the server has no consumer flowcast-planner on stream FLOWCAST_WINDOWS"), "\(result.stderr)")
        #expect(result.stderr.contains("consumer flowcast-planner again"), "\(result.stderr)")
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies())
    }

    @Test("nats-server restarted without its store under a publishing tap: it creates the stream again and re-sends; a server that stays away: exit status 3, the spool kept")
    func storeLostUnderTap() throws {
        let folder = try Scenario.temporaryFolder("long")
        let long = try Scenario.repeated(Scenario.demo, times: 10, into: folder)
        func started(_ server: NATSServer, wait: String) throws -> (RunningFlowcast, URL) {
            let tapOut = try Scenario.temporaryFolder("tap")
            let tap = try RunningFlowcast(["replay", long, "--topology", Scenario.topology, "--out", tapOut.path,
                                           "--publish", server.url, "--site", "a", "--publish-wait", wait])
            let partial = tapOut.appendingPathComponent("windows.jsonl.partial").path
            func writing() -> Bool { ((try? FileManager.default.attributesOfItem(atPath: partial)[.size]) as? NSNumber)?.intValue ?? 0 > 0 }
            for _ in 0..<15000 where !writing() { usleep(2_000) }
            // Paused (SIGSTOP) until the caller has done to the server what it tests: on a loaded
            // machine the tap could otherwise publish its last window before the server goes.
            tap.signal(SIGSTOP)
            return (tap, tapOut)
        }
        let server = try NATSServer()
        let (tap, _) = try started(server, wait: "60")
        try Self.restartWithoutStore(server)
        tap.signal(SIGCONT)
        let run = tap.wait(timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("created stream FLOWCAST_WINDOWS again"), "\(run.stderr)")
        #expect(!run.stderr.contains("still in"), "\(run.stderr)")

        let gone = try NATSServer()
        let (second, secondOut) = try started(gone, wait: "1")
        gone.stop()
        second.signal(SIGCONT)
        let stranded = second.wait(timeout: 120)
        #expect(stranded.status == 3, "\(stranded.stderr)")
        #expect(stranded.stderr.contains("still in"), "\(stranded.stderr)")
        #expect(stranded.stderr.contains("were not taken by the stream (exit status 3)"), "\(stranded.stderr)")
        #expect(FileManager.default.fileExists(atPath: secondOut.appendingPathComponent("publish-spool").path))

    }

    @Test("nats-server stopped while the taps run and started again: they spool, re-send, and the policies are the same")
    func serverRestartDuringTaps() throws {
        let folder = try Scenario.temporaryFolder("long")
        // Ten demo captures end to end (100 minutes of traffic): the taps run long enough to lose the server.
        let long = try Scenario.repeated(Scenario.demo, times: 10, into: folder)
        let captures = try Scenario.split(long, into: folder)
        let server = try NATSServer()
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, extra: ["--exit-when-done"]))
        var outs: [String: URL] = [:]
        let taps = try Scenario.sites.map { site in
            let tapOut = try Scenario.temporaryFolder("tap-\(site)")
            outs[site] = tapOut
            return try RunningFlowcast(["replay", captures[site]!, "--topology", Scenario.topology, "--out", tapOut.path,
                                        "--publish", server.url, "--site", site, "--publish-wait", "60"])
        }
        // Once a tap has written windows (it is publishing), stop the server; start it again a second later.
        func writing() -> Bool {
            outs.values.contains { url in
                let size = (try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent("windows.jsonl.partial").path)[.size]) as? NSNumber
                return (size?.intValue ?? 0) > 0
            }
        }
        // The taps are paused (SIGSTOP) while the server stops, so on a loaded machine none can
        // finish its capture between the test seeing it write and the server going away.
        for _ in 0..<15000 where !writing() { usleep(2_000) }
        for tap in taps { tap.signal(SIGSTOP) }
        server.stop()
        for tap in taps { tap.signal(SIGCONT) }
        usleep(1_500_000)
        try server.start()
        var spooled = 0, resent = 0, logs: [String] = []
        for (i, tap) in taps.enumerated() {
            let run = tap.wait()
            logs.append(run.stderr)
            #expect(run.status == 0, "tap \(Scenario.sites[i]): \(run.stderr)")
            #expect(!run.stderr.contains("still in"), "\(run.stderr)")
            if let line = run.stderr.split(separator: "\n").first(where: { $0.contains("re-sent") }) {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" })
                if let i = words.firstIndex(of: "spooled") { spooled += Int(words[i + 1]) ?? 0 }
                if let i = words.firstIndex(of: "re-sent") { resent += Int(words[i + 1]) ?? 0 }
            }
        }
        #expect(spooled > 0, "\(logs)")
        #expect(resent > 0, "\(logs)")
        let result = planner.wait(timeout: 180)
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectSamePolicies(out.appendingPathComponent("policies"), try Scenario.singleReplayPolicies(long))
    }

    @Test("a tap that never ends: the planner plans after --lateness, naming the missing site")
    func lateSite() throws {
        let server = try NATSServer()
        let captures = try Self.siteCaptures()
        _ = try Self.runTaps(captures, server: server)
        let out = try Scenario.temporaryFolder("planner")
        let planner = try RunningFlowcast(Scenario.plannerArguments(server, out: out, sites: ["a", "b", "c", "d"],
                                                                   extra: ["--lateness", "1s"]))
        let policy = out.appendingPathComponent("policies/policy-0009.json")
        for _ in 0..<3000 where !FileManager.default.fileExists(atPath: policy.path) { usleep(10_000) }
        // While it runs, planner-summary.json says what it has planned so far (until 7 December
        // 2026 it was written only as the planner stopped).
        var running: [String: Any] = [:]
        for _ in 0..<1000 {
            running = (try? Scenario.summary(out)) ?? [:]
            if (running["policies"] as? Int ?? 0) >= 9 { break }
            usleep(10_000)
        }
        #expect((running["policies"] as? Int ?? 0) >= 9, "\(running)")
        #expect(running["finished"] as? Bool == false)
        #expect((running["policiesMissingSites"] as? [String: [String]])?["policy-0009.json"] == ["d"], "\(running)")
        planner.signal(SIGTERM)
        let result = planner.wait(timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("without d"))
        let provenance = try Scenario.provenance(out.appendingPathComponent("policies"), "policy-0009.json")
        #expect(provenance["missingSites"] as? [String] == ["d"])
        // Apart from provenance the policies are those of a, b and c together (d saw nothing). The
        // reference's last policy is planned at the capture's end, which the planner cannot know
        // while d has not ended (it plans the last window as a full one): the first nine compare.
        let reference = try Scenario.policies(in: try Scenario.singleReplayPolicies())
        let got = try Scenario.policies(in: out.appendingPathComponent("policies"))
        #expect(got.count >= 9)
        for (name, policy) in got where name <= "policy-0009.json" { #expect(reference[name] == policy, "\(name) differs") }
        let summary = try Scenario.summary(out)
        #expect((summary["policiesMissingSites"] as? [String: [String]])?["policy-0001.json"] == ["d"])
    }
}

/// The message ids in a tap's spool folder (`active.spool` and `sending.spool`), read as the format
/// is documented (PublishSpool: three little-endian UInt32 lengths, subject, id and payload, then
/// the bytes), every copy listed.
enum PublishSpoolFiles {
    static func ids(in folder: String) throws -> [String] {
        var ids: [String] = []
        for name in ["active.spool", "sending.spool"] {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
            let bytes = [UInt8](data)
            func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
            var i = 0
            while i + 12 <= bytes.count {
                let (s, d, p) = (u32(i), u32(i + 4), u32(i + 8))
                guard i + 12 + s + d + p <= bytes.count else { break }
                ids.append(String(decoding: bytes[(i + 12 + s)..<(i + 12 + s + d)], as: UTF8.self))
                i += 12 + s + d + p
            }
        }
        return ids
    }
}
