import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastCore
import FlowcastPolicy
import FlowcastTopology
import Foundation
import Testing

/// The demo baseline against the plan after link l-s1-s2 fails and n78 gains 5 blocks (planned with the baseline current).
@Suite struct ReviewDiffGoldenTests {
    func failedLinkComparison(_ options: DiffOptions = DiffOptions()) throws -> PolicyComparison {
        try PolicyComparison.compare(old: ReviewFixture.url(ReviewFixture.baselinePath),
                                     new: ReviewFixture.url(ReviewFixture.failedLinkPath), options: options)
    }

    @Test func textMatchesGolden() throws {
        try ReviewFixture.expectGolden(try failedLinkComparison().text(), "failed-link.txt")
    }

    @Test func colouredTextMatchesGolden() throws {
        try ReviewFixture.expectGolden(try failedLinkComparison().text(colour: true), "failed-link.ansi")
    }

    @Test func markdownMatchesGolden() throws {
        try ReviewFixture.expectGolden(try failedLinkComparison().markdown(), "failed-link.md")
    }

    @Test func jsonMatchesGolden() throws {
        try ReviewFixture.expectGolden(try failedLinkComparison().json(), "failed-link.json")
    }

    /// The baseline against the demo's first replay policy: five cells on other blocks, none
    /// with more or fewer, which the net lists read as "none" gained or lost.
    @Test func retunedCellsAreListedBesideTheNetShifts() throws {
        let oldURL = ReviewFixture.url(ReviewFixture.baselinePath)
        let old = try PolicyDocument(contentsOf: oldURL)
        var new = old
        // cell-1 and cell-2 swap their blocks: as many each, every one of them moved.
        let one = try #require(new.spectrum.cells.firstIndex { $0.id == "cell-1" })
        let two = try #require(new.spectrum.cells.firstIndex { $0.id == "cell-2" })
        (new.spectrum.cells[one].blocks, new.spectrum.cells[two].blocks) = (new.spectrum.cells[two].blocks, new.spectrum.cells[one].blocks)
        // Their carriers with them: a document whose carriers are not where its blocks are is refused.
        (new.spectrum.cells[one].carriersMHz, new.spectrum.cells[two].carriersMHz) = (new.spectrum.cells[two].carriersMHz, new.spectrum.cells[one].carriersMHz)
        let n = new.spectrum.cells[one].blocks.count
        try #require(n == new.spectrum.cells[two].blocks.count && n > 0)
        let newURL = Scratch.root.appendingPathComponent("flowcast-retune-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: newURL) }
        try new.write(to: newURL)
        let comparison = try PolicyComparison.compare(old: oldURL, new: newURL)
        let diff = try #require(comparison.files.first?.diff)
        #expect(diff.impact.spectrumGained.isEmpty && diff.impact.spectrumLost.isEmpty)
        #expect(diff.impact.spectrumRetuned == [SpectrumRetune(cell: "cell-1", blocksMoved: n), SpectrumRetune(cell: "cell-2", blocksMoved: n)])
        let text = comparison.text()
        #expect(text.contains("Retuned cells:   cell-1 \(n) blocks moved, cell-2 \(n) blocks moved"), "\(text)")
        #expect(comparison.markdown().contains("- Retuned cells: `cell-1` \(n) blocks moved, `cell-2` \(n) blocks moved"))
        #expect(try comparison.json().contains("\"spectrumRetuned\""))
    }

    @Test func thresholdedTextMatchesGolden() throws {
        let options = DiffOptions(minWeightChange: 0.1, minBlocks: 11, minUtilisationChange: 0.05)
        try ReviewFixture.expectGolden(try failedLinkComparison(options).text(), "failed-link-thresholds.txt")
    }

    @Test func folderTextMatchesGolden() throws {
        let c = try PolicyComparison.compare(old: ReviewFixture.url("Tests/FlowcastReviewTests/ReviewFixtures/Folders/old"),
                                             new: ReviewFixture.url("Tests/FlowcastReviewTests/ReviewFixtures/Folders/new"))
        try ReviewFixture.expectGolden(c.text(), "folders.txt")
        try ReviewFixture.expectGolden(c.markdown(), "folders.md")
        try ReviewFixture.expectGolden(try c.json(), "folders.json")
    }

    @Test func theFailedLinkShowsExactlyItsConsequences() throws {
        let diff = try #require(try failedLinkComparison().files.first?.diff)
        // The failed link is gone, and nothing routes over it any more.
        #expect(diff.links.filter { $0.action == .removed }.map(\.id) == ["l-s1-s2"])
        #expect(diff.demands.allSatisfy { d in d.paths.allSatisfy { !$0.links.contains("l-s1-s2") || $0.weight.new ?? 0 == 0 } })
        // The band grew by 5 blocks: cell-2, held at 10 by its neighbours, took them for its need,
        // and cell-4 (not its neighbour) the same 5 as spare; no other cell's blocks moved.
        #expect(diff.impact.spectrumGained.map(\.cell) == ["cell-2", "cell-4"])
        #expect(diff.impact.spectrumGained.map(\.blocks) == [5, 5])
        #expect(diff.impact.spectrumLost.isEmpty)
        #expect(diff.summaryLine == "Plan: 2 cells reallocated, 2 demands rerouted, 8 unchanged; "
            + "peak link utilisation 75.3% (l-s2-agg1) → 104.3% (l-s2-agg1); peak cell utilisation 119.2% (cell-2) → 119.0% (cell-6)")
        // Losing the link overloads cell-2's fibre uplink: a new violation.
        #expect(diff.impact.violations.filter(\.isNew).map(\.subject) == ["l-s2-agg1"])
    }

    /// Link and cell utilisation are different measures: each peak is reported on its own, with its element.
    @Test func peaksAreSeparateForLinksAndCells() throws {
        let diff = try #require(try failedLinkComparison().files.first?.diff)
        for (doc, side) in [(try ReviewFixture.baseline, diff.peakLink.old), (try ReviewFixture.failedLink, diff.peakLink.new)] {
            let top = try #require(doc.predicted.links.max { $0.utilisation < $1.utilisation })
            #expect(side == UtilisationPeak(id: top.id, utilisation: top.utilisation))
        }
        for (doc, side) in [(try ReviewFixture.baseline, diff.peakCell.old), (try ReviewFixture.failedLink, diff.peakCell.new)] {
            let top = try #require(doc.predicted.cells.max { $0.utilisation < $1.utilisation })
            #expect(side == UtilisationPeak(id: top.id, utilisation: top.utilisation))
        }
        #expect(diff.summaryLine.contains("peak link utilisation \(diff.peakLinkText); peak cell utilisation \(diff.peakCellText)"))
    }

    /// A planner's reason ("no change", "unchanged from the current policy") compares with the
    /// policy before it: OLD only when the two are consecutive.
    @Test func reasonsSayWhichPolicyTheyCompareWith() throws {
        let run = try ReviewFixture.runPolicies
        // The first consecutive pair with a visible change, and the first such pair further apart.
        let next = try #require(zip(run, run.dropFirst()).map { PolicyDiffer().diff($0, $1) }.first { !$0.cells.isEmpty || !$0.demands.isEmpty })
        let apart = try #require(run.indices.flatMap { i in stride(from: i + 2, to: run.count, by: 1).map { (i, $0) } }
            .map { PolicyDiffer().diff(run[$0.0], run[$0.1]) }.first { !$0.cells.isEmpty || !$0.demands.isEmpty })
        #expect((next.cells.map(\.reasonComparedWith) + next.demands.map(\.reasonComparedWith)).allSatisfy { $0 == "OLD" })
        #expect((apart.cells.map(\.reasonComparedWith) + apart.demands.map(\.reasonComparedWith))
            .allSatisfy { $0 == "the policy before NEW, not OLD" })
        let text = PolicyComparison(old: "a.json", new: "b.json", isFolder: false,
                                    files: [PolicyComparison.FileEntry(name: nil, status: .changed, diff: apart)]).text()
        #expect(text.contains("reason (vs the policy before NEW, not OLD): "))
        #expect(!text.contains("    reason: "))
    }

    /// A plan names the policy it was planned against (`provenance.currentDigest`), so the diff
    /// knows: planned against OLD itself, whatever the windows, the reasons compare with OLD. An
    /// audit's `plan --current policy-0010.json` diffed against policy-0010 read "vs the policy
    /// before NEW, not OLD", a guess from the windows that was false.
    @Test func reasonsCompareWithThePolicyNamedByItsDigest() throws {
        let run = try ReviewFixture.runPolicies
        let old = try #require(run.last)
        let topology = try Topology(contentsOfFile: ReviewFixture.url("captures/demo/topology.yaml").path)
        let input = try ForecastSet(contentsOf: ReviewFixture.url("policies/examples/demo-forecasts.json"))
        let provenance = Provenance(inputDigest: Provenance.digest(Data()), topologyDigest: old.provenance.topologyDigest,
                                    window: input.window, generator: "test")
        let new = try PolicyPlanner(topology: topology, options: PlanOptions(churnPenalty: 0.01)).plan(input, provenance: provenance, current: old)
        #expect(new.provenance.currentDigest == Provenance.digest(try old.jsonData()))
        #expect(new.provenance.window?.start != old.provenance.window?.end, "the windows do not tile: the guess would say not OLD")
        let against = PolicyDiffer().diff(old, new)
        let labels = against.cells.map(\.reasonComparedWith) + against.demands.map(\.reasonComparedWith)
        #expect(!labels.isEmpty && labels.allSatisfy { $0 == "OLD" }, "\(labels)")
        let other = PolicyDiffer().diff(run[0], new)
        let otherLabels = other.cells.filter { $0.action != .removed }.map(\.reasonComparedWith)
            + other.demands.filter { $0.action != .removed }.map(\.reasonComparedWith)
        #expect(!otherLabels.isEmpty && otherLabels.allSatisfy { $0 == "the policy before NEW, not OLD" }, "\(otherLabels)")
        // Without a current policy there is no digest, and the old rule stands.
        #expect(try PolicyPlanner(topology: topology).plan(input, provenance: provenance).provenance.currentDigest == nil)
    }

    /// Every "A% → B% … ±C pp" a diff prints (text and markdown goldens) has C = B − A as
    /// shown: the change was taken from the unrounded values, so "75.3% → 104.3%" read
    /// "+28.9 pp" (an audit).
    @Test func percentagePointsAreTheShownDifference() throws {
        let folder = ReviewFixture.url("Tests/FlowcastReviewTests/ReviewFixtures/Golden")
        let pattern = try NSRegularExpression(pattern: #"(-?\d+\.\d)% → (-?\d+\.\d)%[^\n%]*?([+-]\d+\.\d) pp"#)
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".txt") || name.hasSuffix(".md") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                func tenths(_ i: Int) -> Int { Int((Double((text as NSString).substring(with: m.range(at: i)))! * 10).rounded()) }
                #expect(tenths(3) == tenths(2) - tenths(1), "\(name): \((text as NSString).substring(with: m.range))")
                checked += 1
            }
        }
        #expect(checked >= 10)
        // A fall that rounds away has no sign (it read "+0.0 pp" beside a quieter cell).
        #expect(DiffFormat.points(from: 0.0044, to: 0.0037) == "±0.0 pp")
        #expect(DiffFormat.points(from: 0.7534, to: 1.0430) == "+29.0 pp")
    }

    /// The routing target is a field of the document (it was only in the reasons' text), and a
    /// changed target is a setting change of its own (an audit).
    @Test func targetUtilisationIsASetting() throws {
        let topology = try Topology(contentsOfFile: ReviewFixture.url("captures/demo/topology.yaml").path)
        let input = try ForecastSet(contentsOf: ReviewFixture.url("policies/examples/demo-forecasts.json"))
        let provenance = Provenance(inputDigest: Provenance.digest(Data()), topologyDigest: Provenance.digest(Data()), window: input.window, generator: "test")
        let minMax = try PolicyPlanner(topology: topology, options: PlanOptions(targetUtilisation: 0)).plan(input, provenance: provenance)
        let half = try PolicyPlanner(topology: topology, options: PlanOptions(targetUtilisation: 0.5)).plan(input, provenance: provenance)
        #expect(minMax.routing.targetUtilisation == 0 && half.routing.targetUtilisation == 0.5)
        let settings = PolicyDiffer().diff(minMax, half).settings
        #expect(settings.contains { $0.field == "targetUtilisation" && $0.old == "0 (pure min-max)" && $0.new == "50.0%" }, "\(settings)")
        #expect(PolicyDiffer().diff(half, half).settings.isEmpty)
    }

    @Test func jsonCarriesTheFormatVersion() throws {
        let json = try failedLinkComparison().json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["formatVersion"] as? Int == PolicyDiff.formatVersion)
        #expect(object["equal"] as? Bool == false)
    }

    @Test func plainTextHasNoEscapeCodes() throws {
        #expect(!(try failedLinkComparison().text()).contains("\u{1B}"))
        #expect(try failedLinkComparison().text(colour: true).contains("\u{1B}["))
    }
}

/// Ids are any printable text: in Markdown each stays the id it is (no code span closed early, no
/// HTML, no entity, no split table row), in text it is printed as it is.
@Suite struct ReviewOddIdTests {
    @Test("an id with a backtick, a bar, a tag and an entity reads as itself in Markdown")
    func oddIdsInMarkdown() throws {
        let id = "c|2 `x` <b>&amp; é"
        let jsonID = id.replacingOccurrences(of: "\"", with: "\\\"")
        func renamed(_ path: String) throws -> URL {
            let text = try String(contentsOf: ReviewFixture.url(path), encoding: .utf8).replacingOccurrences(of: "\"cell-2\"", with: "\"\(jsonID)\"")
            let url = Scratch.root.appendingPathComponent("flowcast-odd-\(UUID().uuidString).json")
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        let old = try renamed(ReviewFixture.baselinePath), new = try renamed(ReviewFixture.failedLinkPath)
        defer { try? FileManager.default.removeItem(at: old); try? FileManager.default.removeItem(at: new) }
        let comparison = try PolicyComparison.compare(old: old, new: new)
        let markdown = comparison.markdown()
        // The cells table: the bar escaped, the backticks, the tag and the entity taken literally.
        #expect(markdown.contains("| ~ | c\\|2 \\`x\\` \\<b>\\&amp; é | "), "\(markdown)")
        // Code spans: fenced by two backticks, since the id holds one.
        #expect(markdown.contains("- ``~ c|2 `x` <b>&amp; é``: "), "\(markdown)")
        #expect(markdown.contains(", ``c|2 `x` <b>&amp; é`` +5 blocks (+50 MHz)"), "\(markdown)")
        // Text output prints the id itself.
        #expect(comparison.text().contains("~ c|2 `x` <b>&amp; é  n78 blocks"))
        // JSON carries it exactly.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(comparison.json().utf8)) as? [String: Any])
        let files = try #require(json["files"] as? [[String: Any]])
        let cells = try #require((files.first?["diff"] as? [String: Any])?["cells"] as? [[String: Any]])
        #expect(cells.contains { $0["id"] as? String == id })
    }

    @Test("a markdown code span is fenced longer than any run of backticks in it")
    func codeSpans() {
        #expect(DiffFormat.markdownCode("cell-1") == "`cell-1`")
        #expect(DiffFormat.markdownCode("a``b") == "```a``b```")
        #expect(DiffFormat.markdownCode("`a") == "`` `a ``")
        #expect(DiffFormat.markdownCode("a|b", inTable: true) == "`a\\|b`")
        #expect(DiffFormat.markdownText("a*b_[c]<d>&e|f~g`h\\i") == "a\\*b\\_\\[c\\]\\<d>\\&e\\|f\\~g\\`h\\\\i")
    }
}

/// `diff` compares the first entry of an id and the exporters write every one: a duplicate would
/// pass review as "No changes" and then act on the network. Such a document is refused when read.
@Suite struct ReviewDuplicateTests {
    /// With `routingLoads`, the predicted link loads are recomputed from the edited routing (a read
    /// refuses figures that describe another routing; `PolicyDocument.withRoutingLoads`).
    static func edited(routingLoads: Bool = false, _ edit: (inout [String: Any]) -> Void) throws -> URL {
        let data = try Data(contentsOf: ReviewFixture.url(ReviewFixture.baselinePath))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&object)
        let url = Scratch.root.appendingPathComponent("flowcast-duplicate-\(UUID().uuidString).json")
        var bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        if routingLoads { bytes = try JSONDecoder().decode(PolicyDocument.self, from: bytes).withRoutingLoads().jsonData() }
        try bytes.write(to: url)
        return url
    }

    @Test("a duplicated demand, cell or link id, a block listed twice and a path listed twice are refused, naming the field")
    func duplicatesAreRefused() throws {
        let base = ReviewFixture.url(ReviewFixture.baselinePath)
        func appendCopy(_ section: String, _ list: String, from index: Int, change: @escaping (inout [String: Any]) -> Void = { _ in }) -> (inout [String: Any]) -> Void {
            { object in
                var outer = object[section] as! [String: Any]
                var items = outer[list] as! [[String: Any]]
                var copy = items[index]
                change(&copy)
                items.append(copy)
                outer[list] = items
                object[section] = outer
            }
        }
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("demand", appendCopy("routing", "demands", from: 1) { d in
                var paths = d["paths"] as! [[String: Any]]
                for i in paths.indices { paths[i]["weight"] = i == 0 ? 1.0 : 0.0 }
                d["paths"] = paths
            }, "$.routing.demands[6].id: duplicates $.routing.demands[1].id"),
            ("cell", appendCopy("spectrum", "cells", from: 0), "$.spectrum.cells[6].id: duplicates $.spectrum.cells[0].id 'cell-1'"),
            ("link", appendCopy("predicted", "links", from: 0), "$.predicted.links[13].id: duplicates $.predicted.links[0].id"),
            ("block", { object in
                var spectrum = object["spectrum"] as! [String: Any]
                var cells = spectrum["cells"] as! [[String: Any]]
                cells[0]["blocks"] = [0] + (cells[0]["blocks"] as! [Int])
                spectrum["cells"] = cells
                object["spectrum"] = spectrum
            }, "$.spectrum.cells[0].blocks: block 0 is listed twice"),
            ("path", { object in
                var routing = object["routing"] as! [String: Any]
                var demands = routing["demands"] as! [[String: Any]]
                var paths = demands[0]["paths"] as! [[String: Any]]
                paths.append(paths[0])
                demands[0]["paths"] = paths
                routing["demands"] = demands
                object["routing"] = routing
            }, "the same links as paths[0] of 'd-cell-1'"),
        ]
        for (what, edit, message) in cases {
            let url = try Self.edited(edit)
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                _ = try PolicyComparison.compare(old: base, new: url)
                Issue.record("a duplicated \(what) was read")
            } catch {
                #expect("\(error)".contains(message), "\(what): \(error)")
            }
        }
    }
}

/// Values a policy's schema types allow and no plan writes, each refused at its JSON path for
/// what it did: an address that is not one went verbatim into `export --to iproute` (a shell
/// command), a carrier of 1e20 MHz crashed `export --to nrcelldu`, 1.8e308 printed `+inf` in `diff`.
@Suite struct ReviewHostileValueTests {
    func edit(_ section: String, _ list: String, _ index: Int, _ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
        { object in
            var outer = object[section] as! [String: Any]
            var items = outer[list] as! [[String: Any]]
            change(&items[index])
            outer[list] = items
            object[section] = outer
        }
    }

    @Test("a next hop or prefix that is not an address, a carrier or bandwidth beyond the radio spectrum, a load beyond 1e15: refused at the field")
    func valuesNoPlanWritesAreRefused() throws {
        let base = ReviewFixture.url(ReviewFixture.baselinePath)
        func firstPath(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            edit("routing", "demands", 0) { d in
                var paths = d["paths"] as! [[String: Any]]
                change(&paths[0])
                d["paths"] = paths
            }
        }
        let cases: [((inout [String: Any]) -> Void, String)] = [
            (firstPath { $0["nextHop"] = "not-an-ip; rm -rf /" }, "$.routing.demands[0].paths[0].nextHop: 'not-an-ip; rm -rf /' is not an IP address"),
            (edit("routing", "demands", 0) { $0["prefix"] = "$(reboot)" }, "$.routing.demands[0].prefix: '$(reboot)' is not an address prefix"),
            (edit("routing", "demands", 0) { $0["prefix"] = "10.20.0.0/99" }, "$.routing.demands[0].prefix: '10.20.0.0/99' is not an address prefix"),
            (edit("spectrum", "cells", 0) { $0["carriersMHz"] = [[1e20, 3600.0]] },
             "$.spectrum.cells[0].carriersMHz[0]: must be a low and a higher edge within 0 to 300000 MHz, found 1e+20 to 3600.0"),
            (edit("spectrum", "cells", 0) { $0["bandwidthMHz"] = Double.greatestFiniteMagnitude },
             "$.spectrum.cells[0].bandwidthMHz: must be 0 to 300000 MHz, found 1.7976931348623157e+308"),
            (edit("predicted", "links", 0) { $0["utilisation"] = Double.greatestFiniteMagnitude },
             "$.predicted.links[0].utilisation: must be 0 to 1e15, found 1.7976931348623157e+308"),
            // What an audit found unbounded, printed as "forecast P90 1.8e+308 bit/s" or a 309-digit
            // efficiency, or read as "No changes".
            (edit("routing", "demands", 0) { d in var f = d["forecast"] as! [String: Any]; f["upper"] = 1e300; d["forecast"] = f },
             "$.routing.demands[0].forecast.upper: must be 0 to 1e15, found 1e+300"),
            (edit("spectrum", "cells", 0) { c in var f = c["forecast"] as! [String: Any]; f["spectralEfficiency"] = 1e300; c["forecast"] = f },
             "$.spectrum.cells[0].forecast.spectralEfficiency: must be 0 to 100 bit/s/Hz, found 1e+300"),
            (edit("spectrum", "cells", 0) { $0["unmetDemand"] = 1e300 }, "$.spectrum.cells[0].unmetDemand: must be 0 to 1e15, found 1e+300"),
            (edit("spectrum", "cells", 0) { $0["requiredBlocks"] = (UInt64(1) << 63) + 5 },
             "$.spectrum.cells[0].requiredBlocks: expected an integer below 2^53 in magnitude, found 9.223372036854776e+18"),
            // 2^53 + 1 parses as 2^53 and was taken as that (an audit).
            (edit("spectrum", "cells", 0) { $0["requiredBlocks"] = (UInt64(1) << 53) + 1 },
             "$.spectrum.cells[0].requiredBlocks: expected an integer below 2^53 in magnitude, found 9007199254740992"),
            ({ o in var p = o["provenance"] as! [String: Any]; p["window"] = ["start": "garbage", "end": "x"]; o["provenance"] = p },
             "$.provenance.window: start and end must be ISO 8601 times, the end not before the start (e.g. 2026-01-05T18:00:00Z), found garbage to x"),
            ({ o in var p = o["provenance"] as! [String: Any]; p["window"] = ["start": "2026-01-05T18:10:00Z", "end": "2026-01-05T18:00:00Z"]; o["provenance"] = p },
             "found 2026-01-05T18:10:00Z to 2026-01-05T18:00:00Z"),
            ({ o in var p = o["predicted"] as! [String: Any]; p["cells"] = Array((p["cells"] as! [[String: Any]]).dropFirst()); o["predicted"] = p },
             "$.spectrum.cells[0]: cell 'cell-1' has no entry in $.predicted.cells"),
            (edit("predicted", "cells", 0) { $0["load"] = ($0["load"] as! Double) + 1e6; $0["utilisation"] = 1.0e6 },
             "$.predicted.cells[0].load: 'cell-1' is at"),
        ]
        for (change, message) in cases {
            let url = try ReviewDuplicateTests.edited(change)
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                _ = try PolicyComparison.compare(old: base, new: url)
                Issue.record("read: \(message)")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    /// A routing edit that leaves the predicted link figures describing the old routing: moving
    /// 30 % of a demand showed "30.0 % of traffic moved" with no link busier or quieter; a path
    /// over a link the document does not list carried its traffic nowhere; a maxUtilisation
    /// raised to 0.9 read as "No changes" (an audit). Each is refused, naming the field; the same
    /// edit with its loads recomputed (`withRoutingLoads`) is read, and the diff then shows the
    /// links the move loads.
    @Test("a routing whose predicted link loads or maxUtilisation are not what its paths put on the links is refused")
    func routingAndItsLinkLoadsMustAgree() throws {
        let base = ReviewFixture.url(ReviewFixture.baselinePath)
        let document = try PolicyDocument(contentsOf: base)
        let d = try #require(document.routing.demands.firstIndex { $0.paths.count >= 2 && $0.forecast.upper > 1e6 })
        let moved: (inout [String: Any]) -> Void = edit("routing", "demands", d) { demand in
            var paths = demand["paths"] as! [[String: Any]]
            let weights = paths.map { $0["weight"] as! Double }
            let from = weights.indices.max { weights[$0] < weights[$1] }!, to = (from + 1) % paths.count
            paths[from]["weight"] = weights[from] - 0.3 * weights[from]
            paths[to]["weight"] = weights[to] + 0.3 * weights[from]
            demand["paths"] = paths
        }
        let stale = try ReviewDuplicateTests.edited(moved)
        defer { try? FileManager.default.removeItem(at: stale) }
        #expect(throws: PolicyError.self) { _ = try PolicyDocument(contentsOf: stale) }
        do { _ = try PolicyDocument(contentsOf: stale) } catch {
            #expect("\(error)".contains("$.predicted.links[") && "\(error)".contains("but the routing's paths put"), "\(error)")
        }
        let recomputed = try ReviewDuplicateTests.edited(routingLoads: true, moved)
        defer { try? FileManager.default.removeItem(at: recomputed) }
        let diff = try #require(try PolicyComparison.compare(old: base, new: recomputed).files.first?.diff)
        #expect(diff.demandsRerouted == 1 && !diff.impact.busierLinks.isEmpty && !diff.impact.quieterLinks.isEmpty)

        let unlisted = try ReviewDuplicateTests.edited(edit("routing", "demands", d) { demand in
            var paths = demand["paths"] as! [[String: Any]]
            var links = paths[0]["links"] as! [String]
            links[0] = "l-nonexistent"
            paths[0]["links"] = links
            demand["paths"] = paths
        })
        defer { try? FileManager.default.removeItem(at: unlisted) }
        do { _ = try PolicyDocument(contentsOf: unlisted); Issue.record("a path over an unlisted link was read") } catch {
            #expect("\(error)".contains("$.routing.demands[\(d)].paths[0].links[0]: demand '\(document.routing.demands[d].id)' is routed over "
                                        + "link 'l-nonexistent', which $.predicted.links does not list"), "\(error)")
        }
        let raised = try ReviewDuplicateTests.edited { object in
            var routing = object["routing"] as! [String: Any]
            routing["maxUtilisation"] = 0.9
            object["routing"] = routing
        }
        defer { try? FileManager.default.removeItem(at: raised) }
        do { _ = try PolicyDocument(contentsOf: raised); Issue.record("a maxUtilisation of no link was read") } catch {
            #expect("\(error)".contains("$.routing.maxUtilisation: is 0.9, but the busiest link under the routing is at \(document.routing.maxUtilisation)"),
                    "\(error)")
        }
        // Policies plans wrote agree with themselves within their rounding: the shipped ones read.
        for path in ["policies/examples/demo-policy.json", "policies/baseline/demo.json", ReviewFixture.failedLinkPath] {
            #expect(throws: Never.self) { _ = try PolicyDocument(contentsOf: ReviewFixture.url(path)) }
        }
    }

    @Test("an export refuses a demand whose weights do not sum to 1, where it normalised them (a split of 4 exported as whole)")
    func exportRefusesAPartialSplit() throws {
        for (weights, sum) in [([1.0, 1, 1, 1], "4.0"), ([0.25, 0.25, 0, 0], "0.5"), ([0, 0, 0, 0], "0.0")] {
            let url = try ReviewDuplicateTests.edited(routingLoads: true, edit("routing", "demands", 0) { d in
                var paths = d["paths"] as! [[String: Any]]
                for i in paths.indices { paths[i]["weight"] = i < weights.count ? weights[i] : 0.0 }
                d["paths"] = paths
            })
            defer { try? FileManager.default.removeItem(at: url) }
            let document = try PolicyDocument(contentsOf: url)
            for format in [ExportFormat.iproute, .a1] {
                #expect(throws: PolicyError.inconsistent("$.routing.demands[0].paths: the weights of '\(document.routing.demands[0].id)' sum to \(sum), "
                                                         + "not 1; an exported split must carry the whole demand")) {
                    try PolicyExporter.export(document, as: format)
                }
            }
        }
    }
}

/// A policy file is input a reviewer did not write: an id or a reason with a newline or an
/// escape sequence would forge lines in the diff's text and markdown. It is refused, naming the field.
@Suite struct ReviewHostileTextTests {
    @Test("a control, bidirectional formatting or invisible character in any string of a policy is a schema violation, named by its field",
          arguments: ["\n", "\u{1B}[31m", "\u{2028}", "\u{202E}", "\u{2066}", "\u{200F}", "\u{200B}", "\u{00A0}", "\u{FEFF}", "\u{3164}"])
    func controlCharactersAreRefused(_ bad: String) throws {
        let oldURL = ReviewFixture.url(ReviewFixture.baselinePath)
        var text = try String(contentsOf: oldURL, encoding: .utf8)
        let escaped = bad.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
        let range = try #require(text.range(of: "\"id\" : \"cell-2\"") ?? text.range(of: "\"id\":\"cell-2\""))
        text.replaceSubrange(range, with: "\"id\" : \"cell-2\(escaped)fake\"")
        let newURL = Scratch.root.appendingPathComponent("flowcast-hostile-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: newURL) }
        try text.write(to: newURL, atomically: true, encoding: .utf8)
        #expect(throws: PolicyError.self) { _ = try PolicyComparison.compare(old: oldURL, new: newURL) }
        do {
            _ = try PolicyComparison.compare(old: oldURL, new: newURL)
        } catch {
            let message = "\(error)"
            let scalar = bad.unicodeScalars.first!
            let what = scalar.isControlCharacter ? "a control character" : scalar.isBidiControl ? "a bidirectional formatting character" : "an invisible character"
            #expect(message.contains(".id") && message.contains("contains \(what) (U+\(String(format: "%04X", scalar.value)))"), "\(message)")
        }
    }

    /// File and folder names are not validated as ids are: one holding a newline or an escape
    /// sequence forged lines of the diff header and the folder listing ("No changes. Plan: 0
    /// cells reallocated"). Every format shows their control characters as code points; the
    /// JSON's `old`, `new` and `name` keep them as given (escaped by JSON).
    @Test func fileNamesCannotForgeLines() throws {
        let root = Scratch.root.appendingPathComponent("flowcast-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let forged = "w\nNo changes. Plan: 0 cells reallocated.json", erased = "\u{1B}[1A\u{1B}[2Kx.json"
        for folder in ["a", "b"] { try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true) }
        let baseline = try Data(contentsOf: ReviewFixture.url(ReviewFixture.baselinePath))
        let failed = try Data(contentsOf: ReviewFixture.url(ReviewFixture.failedLinkPath))
        try baseline.write(to: root.appendingPathComponent("a/\(forged)"))
        try failed.write(to: root.appendingPathComponent("b/\(forged)"))
        try failed.write(to: root.appendingPathComponent("b/\(erased)"))
        let single = try PolicyComparison.compare(old: root.appendingPathComponent("a/\(forged)"), new: root.appendingPathComponent("b/\(erased)"))
        let folders = try PolicyComparison.compare(old: root.appendingPathComponent("a"), new: root.appendingPathComponent("b"))
        for comparison in [single, folders] {
            for output in [comparison.text(), comparison.markdown()] {
                #expect(!output.contains("\u{1B}"), "\(output)")
                #expect(!output.split(separator: "\n").contains { $0.hasPrefix("No changes.") || $0.hasPrefix("  No changes.") }, "\(output)")
                #expect(output.contains("w⟨U+000A⟩No changes. Plan: 0 cells reallocated.json"), "\(output)")
                #expect(output.contains("⟨U+001B⟩[1A⟨U+001B⟩[2Kx.json"), "\(output)")
            }
            let json = try comparison.json()
            #expect(!json.contains("\u{1B}"))
            let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            for summary in try #require(root["summaries"] as? [String]) { #expect(!summary.contains("\n") && !summary.contains("\u{1B}"), "\(summary)") }
            let names = [root["old"], root["new"]] + ((root["files"] as? [[String: Any]]) ?? []).map { $0["name"] }
            #expect(names.compactMap { $0 as? String }.contains { $0.contains("\n") })
        }
        // Folder mode: one line a file, the forged name among them.
        let text = folders.text()
        #expect(text.contains("\n~ w⟨U+000A⟩No changes. Plan: 0 cells reallocated.json\n"), "\(text)")
        #expect(text.contains("\n+ ⟨U+001B⟩[1A⟨U+001B⟩[2Kx.json  added ("), "\(text)")
    }
}

/// What thresholds hide and what the Impact section calls fixed, against edits of the demo policy
/// whose effect is known.
@Suite struct ReviewThresholdTests {
    static func demo() throws -> PolicyDocument { try ReviewFixture.document("policies/examples/demo-policy.json") }

    @Test("a reallocation under --min-blocks that makes NEW overload the cell is shown, not hidden behind 'No plan changes'")
    func theChangeBehindANewOverloadIsShown() throws {
        let old = try Self.demo()
        var new = old
        let i = try #require(new.spectrum.cells.firstIndex { $0.id == "cell-1" })
        #expect(new.spectrum.cells[i].blocks == Array(0...9))
        new.spectrum.cells[i].blocks = Array(0...7)
        let p = try #require(new.predicted.cells.firstIndex { $0.id == "cell-1" })
        new.predicted.cells[p].utilisation = 1.128
        let diff = PolicyDiffer(options: DiffOptions(minBlocks: 5)).diff(old, new)
        #expect(diff.cells.map(\.id) == ["cell-1"], "\(diff.cells.map(\.id))")
        #expect(diff.hidden.cells == 0)
        #expect(diff.headline == "")
        #expect(diff.newViolations == 1)
        // The same two-block change with no new overload stays hidden.
        new.predicted.cells[p].utilisation = old.predicted.cells[p].utilisation
        let quiet = PolicyDiffer(options: DiffOptions(minBlocks: 5)).diff(old, new)
        #expect(quiet.cells.isEmpty && quiet.hidden.cells == 1)
    }

    /// The report audit moved cell-2 one block onto its neighbours' (blocks 10–19 → 9–18, where
    /// cell-1 and cell-3 hold 9): under --min-blocks 5 the move was hidden and the diff read "No
    /// plan changes, but NEW breaks 2 constraints". The move that makes neighbours share is shown.
    @Test("a retune under --min-blocks that makes neighbours share a block is shown, with both new violations")
    func theMoveBehindANewSharedBlockIsShown() throws {
        let old = try Self.demo()
        var new = old
        let i = try #require(new.spectrum.cells.firstIndex { $0.id == "cell-2" })
        #expect(new.spectrum.cells[i].blocks == Array(10...19))
        new.spectrum.cells[i].blocks = Array(9...18)
        new.spectrum.cells[i].carriersMHz = [[3490, 3590]]
        let diff = PolicyDiffer(options: DiffOptions(minBlocks: 5)).diff(old, new)
        #expect(diff.cells.map(\.id) == ["cell-2"], "\(diff.cells.map(\.id))")
        #expect(diff.hidden.cells == 0 && diff.headline == "")
        #expect(diff.impact.violations.filter(\.isNew).map(\.subject) == ["cell-1+cell-2", "cell-2+cell-3"])
        // Two blocks fewer, clear of the neighbours: hidden under --min-blocks 5, as before.
        var clear = old
        clear.spectrum.cells[i].blocks = Array(10...17)
        let quiet = PolicyDiffer(options: DiffOptions(minBlocks: 5)).diff(old, clear)
        #expect(quiet.cells.isEmpty && quiet.hidden.cells == 1)
    }

    /// Cells whose predicted utilisation moved less than --min-utilisation-change were left out of
    /// the impact and counted nowhere (the audit: cell-2's +2.9 pp gone, "Hidden: 7 links").
    @Test("cell utilisations under --min-utilisation-change are counted as hidden, and said")
    func hiddenCellUtilisationsAreCounted() throws {
        let old = try Self.demo()
        var new = old
        let p = try #require(new.predicted.cells.firstIndex { $0.id == "cell-3" })
        new.predicted.cells[p].utilisation = old.predicted.cells[p].utilisation + 0.03
        let shown = PolicyDiffer(options: DiffOptions()).diff(old, new)
        #expect(shown.impact.busierCells.map(\.cell) == ["cell-3"] && shown.hidden.cellUtilisations == 0 && !shown.isEmpty)
        let hidden = PolicyDiffer(options: DiffOptions(minUtilisationChange: 0.05)).diff(old, new)
        #expect(hidden.impact.busierCells.isEmpty && hidden.hidden.cellUtilisations == 1 && hidden.isEmpty)
        #expect(hidden.hiddenLine(options: DiffOptions(minUtilisationChange: 0.05)) == "Hidden below thresholds: 1 cell utilisation (--min-utilisation-change 0.05)")
    }

    @Test("a cell NEW no longer plans fixed nothing: its old violations are not listed as resolved")
    func aRemovedCellIsNotFixed() throws {
        let old = try Self.demo()
        #expect(PolicyDiffer.violations(of: old).contains { $0.subject == "cell-6" })
        var new = old
        new.spectrum.cells.removeAll { $0.id == "cell-6" }
        new.predicted.cells.removeAll { $0.id == "cell-6" }
        new.routing.demands.removeAll { $0.id == "d-cell-6" }
        let diff = PolicyDiffer().diff(old, new)
        #expect(diff.cells.contains { $0.id == "cell-6" && $0.action == .removed })
        #expect(!diff.impact.resolved.contains { $0.subject == "cell-6" }, "\(diff.impact.resolved.map(\.message))")
    }

    @Test("a change of exactly the threshold is at it, whatever the binary rounding of the difference")
    func exactlyAtTheThreshold() throws {
        let old = try Self.demo()
        var new = old
        // 0.07 → 0.09 is 0.01999… in binary; 0.301 → 0.321 is 0.02000…1.
        for i in new.predicted.links.indices { new.predicted.links[i].utilisation = ((old.predicted.links[i].utilisation + 0.02) * 1e4).rounded() / 1e4 }
        let diff = PolicyDiffer(options: DiffOptions(minUtilisationChange: 0.02)).diff(old, new)
        #expect(diff.hidden.links == 0, "\(diff.hidden)")
        #expect(diff.links.count == old.predicted.links.count)
    }
}

extension ReviewThresholdTests {
    @Test("a cell moved to another band with the same block numbers and MHz is a retune in the impact, not 'none'")
    func aBandChangeIsARetune() throws {
        let old = try Self.demo()
        var new = old
        let i = try #require(new.spectrum.cells.firstIndex { $0.id == "cell-5" })
        #expect(new.spectrum.cells[i].band == "n3")
        new.spectrum.cells[i].band = "n78"
        let diff = PolicyDiffer().diff(old, new)
        #expect(diff.impact.spectrumRetuned == [SpectrumRetune(cell: "cell-5", blocksMoved: new.spectrum.cells[i].blocks.count)])
    }
}

extension ReviewThresholdTests {
    @Test("links that round to the same utilisation are told apart by load over capacity when naming the busiest")
    func theBusiestIsNamedBeforeRounding() throws {
        var document = try Self.demo()
        // Every link at 0.0001 after rounding; l-s2-agg1 carries the most for its capacity.
        for i in document.predicted.links.indices {
            document.predicted.links[i].utilisation = 0.0001
            document.predicted.links[i].load = document.predicted.links[i].capacity * (document.predicted.links[i].id == "l-s2-agg1" ? 0.000128 : 0.000054)
        }
        #expect(PolicyDiffer.peakLink(document)?.id == "l-s2-agg1")
    }
}

/// What the exporters deploy besides blocks and weights: a change to it with the blocks and the
/// split kept read "No changes" (exit 0), and shipped another carrier, next hop, cell identity or
/// slice. Each is listed under Settings, counted on the plan line, and in the JSON.
@Suite struct ReviewSettingTests {
    static func demo() throws -> PolicyDocument { try ReviewFixture.document("policies/examples/demo-policy.json") }

    func compare(_ old: PolicyDocument, _ new: PolicyDocument) throws -> PolicyComparison {
        let folder = Scratch.root.appendingPathComponent("flowcast-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try old.write(to: folder.appendingPathComponent("old.json"))
        try new.write(to: folder.appendingPathComponent("new.json"))
        return try PolicyComparison.compare(old: folder.appendingPathComponent("old.json"), new: folder.appendingPathComponent("new.json"))
    }

    @Test func deployedSettingsThatChangeAreShown() throws {
        let old = try Self.demo()
        var new = old
        let c = try #require(new.spectrum.cells.firstIndex { $0.globalId != nil && !$0.carriersMHz.isEmpty })
        let cell = new.spectrum.cells[c].id
        // The band moved 200 MHz up, same blocks: every cell of it retuned together (one cell's
        // carriers alone would contradict its band's other cells, and the document is refused).
        let band = new.spectrum.cells[c].band
        let retuned = new.spectrum.cells.indices.filter { new.spectrum.cells[$0].band == band && !new.spectrum.cells[$0].carriersMHz.isEmpty }
        for i in retuned { new.spectrum.cells[i].carriersMHz = new.spectrum.cells[i].carriersMHz.map { $0.map { $0 + 200 } } }
        new.spectrum.cells[c].globalId = "ecgi:001-01-99999"
        let d = try #require(new.routing.demands.firstIndex { $0.paths.contains { $0.nextHop != nil } })
        let p = try #require(new.routing.demands[d].paths.firstIndex { $0.nextHop != nil })
        let demand = new.routing.demands[d].id, links = new.routing.demands[d].paths[p].links
        let hop = try #require(new.routing.demands[d].paths[p].nextHop)
        new.routing.demands[d].paths[p].nextHop = "10.99.99.99"

        let comparison = try compare(old, new)
        #expect(!comparison.isEqual)
        let diff = try #require(comparison.files.first?.diff)
        #expect(diff.cells.isEmpty && diff.demands.isEmpty && !diff.planUnchanged)
        let carriers = { (x: CellDecision) in x.carriersMHz.map { $0.map { DiffFormat.trimmed($0, decimals: 3) }.joined(separator: "-") }.joined(separator: ", ") }
        #expect(Set(diff.settings) == Set(retuned.map { i in
            SettingChange(kind: "cell", id: old.spectrum.cells[i].id, field: "carriersMHz", old: carriers(old.spectrum.cells[i]), new: carriers(new.spectrum.cells[i]))
        } + [
            SettingChange(kind: "cell", id: cell, field: "globalId", old: old.spectrum.cells[c].globalId, new: "ecgi:001-01-99999"),
            SettingChange(kind: "demand", id: demand, field: "path \(DiffFormat.path(links)): nextHop", old: hop, new: "10.99.99.99"),
        ]))
        // Counted once per setting, and the cells and demand are no longer "unchanged".
        let cellsAndDemands = old.spectrum.cells.count + old.routing.demands.count
        #expect(diff.unchanged == cellsAndDemands - retuned.count - 1)
        let text = comparison.text()
        #expect(text.contains("\(retuned.count + 2) settings changed, \(cellsAndDemands - retuned.count - 1) unchanged"), "\(text)")
        #expect(text.contains("nextHop: \(hop) → 10.99.99.99"), "\(text)")
        #expect(!text.contains("No changes"))
        #expect(comparison.markdown().contains("| ~ | cell \(cell) | globalId |"))
        #expect(try comparison.json().contains("\"field\" : \"carriersMHz\""))
    }

    /// Cells and demands only on one side are counted as added and removed, not as reallocated
    /// or rerouted: a policy that no longer planned any cell read "6 cells reallocated".
    @Test func addedAndRemovedAreCountedApart() throws {
        let old = try Self.demo()
        var new = old
        let cells = new.spectrum.cells.count
        new.spectrum.cells = []
        new.predicted.cells = []
        var extra = try #require(new.routing.demands.first)
        extra.id = "d-new"
        new.routing.demands.append(extra)
        new = try new.withRoutingLoads()
        let diff = try #require(try compare(old, new).files.first?.diff)
        #expect(diff.cellsReallocated == 0 && diff.cellsRemoved == cells && diff.demandsAdded == 1 && diff.demandsRerouted == 0)
        #expect(diff.summaryLine.hasPrefix("Plan: 0 cells reallocated (\(cells) removed), 0 demands rerouted (1 added), "), "\(diff.summaryLine)")
    }

    /// A retune shows as the cell's change; its carriers, which follow the blocks, are not listed again.
    @Test func carriersOfARetunedCellAreNotListedTwice() throws {
        let old = try Self.demo()
        var new = old
        let c = try #require(new.spectrum.cells.firstIndex { !$0.blocks.isEmpty })
        new.spectrum.cells[c].blocks = new.spectrum.cells[c].blocks.map { $0 + 30 }
        new.spectrum.cells[c].carriersMHz = new.spectrum.cells[c].carriersMHz.map { $0.map { $0 + 300 } }
        let diff = try #require(try compare(old, new).files.first?.diff)
        #expect(diff.cells.map(\.id) == [new.spectrum.cells[c].id])
        #expect(diff.settings.isEmpty)
    }
}
