import FlowcastPolicy
import FlowcastTestSupport
import Foundation
import Testing

/// Runs the built `flowcast` executable; skipped when it has not been built.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: Fixtures.flowcastExecutable.path)))
struct ReviewCLITests {
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let run = try Fixtures.runFlowcast(arguments)
        return (run.status, run.stdout, run.stderr)
    }

    @Test func equalDocumentsExitZero() throws {
        let r = try run(["diff", ReviewFixture.baselinePath, "policies/examples/demo-policy.json"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("No changes."))
    }

    /// Two folders as `flowcast policies` writes them (policies beside policies-summary.json), with
    /// a planner's and a run's summaries too: only the policies are compared (exit 2 before).
    @Test func foldersWithTheSummariesBesideThePoliciesCompare() throws {
        let root = Scratch.root.appendingPathComponent("diff-summaries-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (side, summary) in [("a", #"{"messages": 10}"#), ("b", #"{"messages": 12, "bad": 0}"#)] {
            let folder = root.appendingPathComponent(side)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Fixtures.repositoryRoot.appendingPathComponent(ReviewFixture.baselinePath),
                                             to: folder.appendingPathComponent("policy-0001.json"))
            for name in ["policies-summary.json", "planner-summary.json", "summary.json"] {
                try Data(summary.utf8).write(to: folder.appendingPathComponent(name))
            }
        }
        let r = try run(["diff", root.appendingPathComponent("a").path, root.appendingPathComponent("b").path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("(1 file: 1 unchanged)") || r.stdout.contains("1 unchanged"), "\(r.stdout)")
        #expect(!r.stdout.contains("summary"), "\(r.stdout)")
    }

    @Test func differentDocumentsExitOneAndMatchTheGolden() throws {
        let r = try run(["diff", ReviewFixture.baselinePath, ReviewFixture.failedLinkPath])
        #expect(r.status == 1)
        // Not a terminal: plain text, byte for byte the library's rendering.
        let golden = try String(contentsOf: ReviewFixture.folder.appendingPathComponent("Golden/failed-link.txt"), encoding: .utf8)
        #expect(r.stdout == golden)
        // docs/review.md shows this diff as the example of `flowcast diff`: it is this output (it
        // had gone stale by two percentage-point figures, an audit of the docs found).
        let doc = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/review.md"), encoding: .utf8)
        let command = "$ flowcast diff policies/baseline/demo.json Tests/FlowcastReviewTests/ReviewFixtures/Policies/failed-link.json\n"
        let example = try #require(doc.range(of: command)).upperBound
        let end = try #require(doc.range(of: "```", range: example..<doc.endIndex)).lowerBound
        #expect(String(doc[example..<end]) == golden, "docs/review.md's diff example differs from the golden")
    }

    @Test func jsonAndMarkdownFormats() throws {
        let json = try run(["diff", "--format", "json", ReviewFixture.baselinePath, ReviewFixture.failedLinkPath])
        #expect(json.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["formatVersion"] as? Int == 2)
        let md = try run(["diff", "--format", "markdown", "--min-weight-change", "10%", ReviewFixture.baselinePath, ReviewFixture.failedLinkPath])
        #expect(md.status == 1)
        #expect(md.stdout.hasPrefix("### Policy diff:"))
        #expect(md.stdout.contains("Hidden below thresholds: 1 demand (--min-weight-change 0.1)"))
    }

    /// Each refusal names the option and the value as typed: the audit of help lines met one line
    /// for all four options ("thresholds and tolerances must be numbers, not negative"), and
    /// `150%` said back as 1.5 with a hint to give `1.5%`.
    @Test("a negative or not-a-number threshold, given with or without '=', is exit status 2 with one line naming the option and the value as given")
    func badThresholdsExitTwo() throws {
        let cases: [([String], String)] = [
            (["--min-blocks", "-1"], "--min-blocks is a count of blocks, 0 or more, not -1"),
            (["--min-blocks=-1"], "--min-blocks is a count of blocks, 0 or more, not -1"),
            (["--min-weight-change", "nan"], "--min-weight-change is a share, 0 to 1 (or 0% to 100%), not nan"),
            (["--min-utilisation-change", "-2%"], "--min-utilisation-change is a share, 0 to 1 (or 0% to 100%), not -2%"),
            (["--weight-tolerance", "inf"], "--weight-tolerance is for rounding, 0 to 0.01 (1%), not inf; --min-weight-change hides small moves, and counts them"),
            (["--weight-tolerance=-0.001"], "--weight-tolerance is for rounding, 0 to 0.01 (1%), not -0.001; --min-weight-change hides small moves, and counts them"),
        ]
        for (arguments, line) in cases {
            let r = try run(["diff", ReviewFixture.baselinePath, ReviewFixture.baselinePath] + arguments)
            #expect(r.status == 2, "\(arguments): \(r.stderr)")
            #expect(r.stderr == "flowcast diff: \(line)\n", "\(arguments)")
        }
    }

    @Test func errorsExitTwoNamingTheFile() throws {
        let r = try run(["diff", ReviewFixture.baselinePath, "policies/examples/demo-policy.a1.json"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("demo-policy.a1.json"))
        let missing = try run(["diff", ReviewFixture.baselinePath, "no/such/file.json"])
        #expect(missing.status == 2)
    }

    /// A share past 1 hid every move but a new violation's (`--min-weight-change 5`, meant as
    /// 5 %), and a weight tolerance of 1 made every reroute equal, one onto a newly overloaded link
    /// included, counting none as hidden: both are refused with exit status 2, saying what to give.
    @Test func sharesAndToleranceAreBounded() throws {
        let failed = "Tests/FlowcastReviewTests/ReviewFixtures/Policies/failed-link.json"
        let five = try run(["diff", ReviewFixture.baselinePath, failed, "--min-weight-change", "5"])
        #expect(five.status == 2 && five.stderr.contains("--min-weight-change is a share, 0 to 1 (or 0% to 100%), not 5; for 5 % give 5%"), "\(five.stderr)")
        let utilisation = try run(["diff", ReviewFixture.baselinePath, failed, "--min-utilisation-change", "150%"])
        #expect(utilisation.status == 2 && utilisation.stderr.contains("--min-utilisation-change is a share, 0 to 1 (or 0% to 100%), not 150%\n"), "\(utilisation.stderr)")
        let tolerance = try run(["diff", ReviewFixture.baselinePath, failed, "--weight-tolerance", "1"])
        #expect(tolerance.status == 2 && tolerance.stderr.contains("--weight-tolerance is for rounding, 0 to 0.01 (1%), not 1;"), "\(tolerance.stderr)")
        // At the bound, the reroute onto the newly overloaded link still shows.
        let bound = try run(["diff", ReviewFixture.baselinePath, failed, "--weight-tolerance", "0.01"])
        #expect(bound.status == 1 && bound.stdout.contains("~ d-cell-2"), "\(bound.stdout)")
    }

    /// The fifth scale-out audit scored a planner's network-wide policies against one tap's run
    /// folder (cell-3 0.00 % unmet where the whole capture leaves 20.76 %), with nothing to say the
    /// loads were one site's. Policies from `flowcast planner` now bring a note, on the page and
    /// the terminal; a replay's do not.
    @Test func aPlannersPoliciesOnARunFolderAreSaidToBeTheNetworks() throws {
        let root = Scratch.root.appendingPathComponent("flowcast-report-planner-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let policies = root.appendingPathComponent("policies")
        try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
        let source = Fixtures.repositoryRoot.appendingPathComponent(ReviewFixture.runPath + "/policies")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasPrefix("policy-") {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent(name))) as? [String: Any])
            var provenance = try #require(object["provenance"] as? [String: Any])
            provenance["generator"] = "flowcast planner"
            object["provenance"] = provenance
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: policies.appendingPathComponent(name))
        }
        let note = "the policies were planned by flowcast planner from the windows of every site it reads, and this run folder holds one tap's"
        let page = root.appendingPathComponent("report.html")
        let planned = try run(["report", ReviewFixture.runPath, "--policies", policies.path, "--out", page.path])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("flowcast report: warning: " + note), "\(planned.stderr)")
        #expect(try String(contentsOf: page, encoding: .utf8).contains("<p class=\"warning\">Note: " + note.replacingOccurrences(of: "'", with: "&#39;")))
        let replayed = try run(["report", ReviewFixture.runPath, "--out", page.path])
        #expect(replayed.status == 0 && !replayed.stderr.contains(note), "\(replayed.stderr)")
        #expect(!(try String(contentsOf: page, encoding: .utf8).contains(note)))
    }

    /// Policies planned with another topology than `--topology` are scored against cells, bands
    /// and logs they were not planned for: an audit found that said on the page only.
    @Test("report --topology other than the policies' own warns on the terminal as on the page, naming both digests; the same topology says nothing")
    func reportWithAnotherTopologySaysSoOnTheTerminal() throws {
        let root = Scratch.root.appendingPathComponent("flowcast-report-topology-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let topology = "captures/demo/topology.yaml"
        let own = Provenance.digest(try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(topology)))
        let fixtureDigest = try #require((try ReviewFixture.runPolicies.first)?.provenance.topologyDigest)
        try #require(own != fixtureDigest)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let page = root.appendingPathComponent("report.html")
        let other = try run(["report", ReviewFixture.runPath, "--topology", topology, "--out", page.path])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stderr.contains("flowcast report: warning: the policies were planned with another topology (\(fixtureDigest)) than "
                                      + "\(topology) (\(own)): the spectrum scores use its cells, bands and logs"), "\(other.stderr)")
        #expect(try String(contentsOf: page, encoding: .utf8).contains("The policies were planned with another topology (\(fixtureDigest))"))
        // The same run, its policies saying they were planned with this topology: no warning.
        let folder = root.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("policies"), withIntermediateDirectories: true)
        let source = Fixtures.repositoryRoot.appendingPathComponent(ReviewFixture.runPath)
        for name in ["windows.jsonl", "flows.jsonl", "summary.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent("policies").path) where name.hasPrefix("policy-") {
            let text = try String(contentsOf: source.appendingPathComponent("policies/" + name), encoding: .utf8)
            try Data(text.replacingOccurrences(of: fixtureDigest, with: own).utf8).write(to: folder.appendingPathComponent("policies/" + name))
        }
        let same = try run(["report", folder.path, "--topology", topology, "--out", page.path])
        #expect(same.status == 0 && !same.stderr.contains("another topology"), "\(same.stderr)")
        #expect(!(try String(contentsOf: page, encoding: .utf8).contains("planned with another topology")))
    }

    /// A replay without --topology of a capture with no GTP-U: every section read "No data: no
    /// windows, forecasts or policies" (the report audit). The page says why, from summary.json.
    @Test("a run with no window says why: packets captured, none matched, the inferred topology empty")
    func aRunWithoutWindowsSaysWhy() throws {
        let root = Scratch.root.appendingPathComponent("flowcast-nowindows-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let replay = try run(["replay", "captures/real/mixed-traffic-example.pcap", "--out", root.path, "--quiet"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("summary.json"))) as? [String: Any])
        let packets = try #require((summary["totals"] as? [String: Any])?["packets"] as? Int)
        let page = root.appendingPathComponent("report.html")
        let report = try run(["report", root.path, "--out", page.path])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("No windows: \(packets) packets captured (summary.json), 0 matched a cell or link; the run had no --topology, "
                              + "and the topology it inferred from the capture holds 0 cells and 0 links"), "\(html.prefix(3000))")
    }

    @Test func reportWritesOneHTMLFile() throws {
        let out = Scratch.root.appendingPathComponent("flowcast-report-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try run(["report", ReviewFixture.runPath, "--topology", "captures/demo/topology.yaml", "--out", out.path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("6 cells, 13 links, 30 windows × 9 series, 5 policies"))
        #expect(try String(contentsOf: out, encoding: .utf8).contains("<svg class=\"chart load\""))

        // --charts below the run's 13 links: the line says so, and the page charts that many.
        let limited = try run(["report", ReviewFixture.runPath, "--charts", "4", "--out", out.path])
        #expect(limited.status == 0)
        #expect(limited.stdout.contains("6 cells, 13 links (charted at most 4 of each), 30 windows × 9 series, 5 policies"))
        let html = try String(contentsOf: out, encoding: .utf8)
        #expect(html.components(separatedBy: "<section class=\"entity link\"").count - 1 == 4)
        #expect(html.components(separatedBy: "<section class=\"entity cell\"").count - 1 == 4)
        let zero = try run(["report", ReviewFixture.runPath, "--charts", "0", "--out", out.path])
        #expect(zero.status == 64)
        #expect(zero.stderr.contains("--charts is 1 or more, not 0."))

        // --diffs below the run's four changed intervals: the line says so.
        let fewer = try run(["report", ReviewFixture.runPath, "--diffs", "2", "--out", out.path])
        #expect(fewer.status == 0)
        #expect(fewer.stdout.contains("5 policies (changes written for 2 of the 4 intervals whose policy changed)"), "\(fewer.stdout)")
        #expect(try String(contentsOf: out, encoding: .utf8).components(separatedBy: "<article class=\"diff\"").count - 1 == 2)
        let none = try run(["report", ReviewFixture.runPath, "--diffs", "0", "--out", out.path])
        #expect(none.status == 64)
        #expect(none.stderr.contains("--diffs is 1 or more, not 0."))
    }
}
