import FlowcastTestSupport
@testable import FlowcastReview
import FlowcastPolicy
import Foundation
import Testing

@Suite struct ReviewDiffPropertyTests {
    @Test func aDocumentAgainstItselfIsEmpty() throws {
        for doc in try ReviewFixture.all {
            let diff = PolicyDiffer().diff(doc, doc)
            #expect(diff.isEmpty)
            #expect(diff.hidden.total == 0)
            #expect(diff.unchanged == doc.spectrum.cells.count + doc.routing.demands.count)
            #expect(diff.impact.busierLinks.isEmpty && diff.impact.spectrumGained.isEmpty && diff.impact.resolved.isEmpty)
        }
    }

    /// Where no link carries load every link ties at 0 %: the text says "0.0% (no load)" and the
    /// JSON names no peak on that side (it named the first id, `l-agg1-agg2`, at 0).
    /// Thresholds that hide every change: the headline says so. "No changes." stood beside a plan
    /// line whose peak cell moved (an audit: a block hidden by --min-blocks, 115.4% → 153.8%).
    @Test func changesHiddenByThresholdsAreNotNoChanges() throws {
        let folder = "Tests/FlowcastReviewTests/ReviewFixtures/Run/policies/"
        let old = ReviewFixture.url(folder + "policy-0002.json"), new = ReviewFixture.url(folder + "policy-0003.json")
        let hiding = DiffOptions(minWeightChange: 1, minBlocks: 1000, minUtilisationChange: 1)
        let comparison = try PolicyComparison.compare(old: old, new: new, options: hiding)
        let diff = try #require(comparison.files.first?.diff)
        #expect(diff.isEmpty && comparison.exitStatus == 0)
        #expect(diff.hidden.total > 0)
        #expect(comparison.text().contains("No changes past the thresholds (\(diff.hidden.total) hidden). Plan: 0 cells reallocated"),
                "\(comparison.text())")
        #expect(!comparison.text().contains("No changes. "))
        // Without thresholds the same two documents differ, and with nothing hidden an equal pair
        // still reads "No changes.".
        #expect(try PolicyComparison.compare(old: old, new: new).exitStatus == 1)
        #expect(try PolicyComparison.compare(old: old, new: old, options: hiding).text().contains("No changes. Plan:"))
    }

    @Test func noPeakLinkWhereNothingCarriesLoad() throws {
        let old = try ReviewFixture.baseline
        var new = old
        new.predicted.links = new.predicted.links.map { var l = $0; l.load = 0; l.utilisation = 0; return l }
        let diff = PolicyDiffer().diff(old, new)
        #expect(diff.peakLink.old?.id == "l-s2-agg1" && diff.peakLink.new == nil)
        #expect(diff.peakLinkText == "75.3% (l-s2-agg1) → 0.0% (no load)")
        let json = try PolicyComparison(old: "a", new: "b", isFolder: false, files: [.init(name: nil, status: .changed, diff: diff)]).json()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let peak = try #require((((root["files"] as? [[String: Any]])?.first)?["diff"] as? [String: Any])?["peakLink"] as? [String: Any])
        #expect(peak["new"] == nil && (peak["old"] as? [String: Any])?["id"] as? String == "l-s2-agg1")
        #expect(PolicyDiffer.peakLink(new) == nil)
    }

    /// Every four-decimal share prints as its count of 1e-4 units rounded half away from zero to
    /// tenths of a percent (0.2035 read "20.3%" and 0.1855 "18.6%" by binary rounding of x * 100).
    @Test func fourDecimalSharesRoundTheSameWayEveryTime() {
        #expect(DiffFormat.percent(0.2035) == "20.4%" && DiffFormat.percent(0.1855) == "18.6%")
        #expect(DiffFormat.points(-0.0005) == "-0.1 pp" && DiffFormat.points(0.0015) == "+0.2 pp")
        for units in -30_000...30_000 {
            let tenths = units >= 0 ? (units + 5) / 10 : -((-units + 5) / 10)
            let expected = (tenths < 0 ? "-" : "") + "\(abs(tenths) / 10).\(abs(tenths) % 10)%"
            #expect(DiffFormat.percent(Double(units) / 10_000) == expected, "\(units)")
            if DiffFormat.percent(Double(units) / 10_000) != expected { break }
        }
    }

    /// The hidden-count hint names each threshold as applied: 0.3000001 read "0.3", a threshold
    /// that would hide less.
    @Test func theHiddenLineNamesTheThresholdAsGiven() throws {
        let old = try ReviewFixture.baseline, new = try ReviewFixture.failedLink
        let options = DiffOptions(minWeightChange: 0.3000001, minUtilisationChange: 0.2500001)
        let diff = PolicyDiffer(options: options).diff(old, new)
        #expect(diff.hidden.demands > 0 && diff.hidden.links > 0)
        let line = try #require(diff.hiddenLine(options: options))
        #expect(line.contains("(--min-weight-change 0.3000001)") && line.contains("(--min-utilisation-change 0.2500001)"), "\(line)")
        #expect(DiffFormat.exact(0.05) == "0.05" && DiffFormat.exact(1) == "1" && DiffFormat.exact(0) == "0")
    }

    @Test func theSameFileComparesEqualWithExitZero() throws {
        let url = ReviewFixture.url(ReviewFixture.baselinePath)
        let c = try PolicyComparison.compare(old: url, new: url)
        #expect(c.isEqual && c.exitStatus == 0)
        #expect(c.text().contains("No changes. Plan: 0 cells reallocated, 0 demands rerouted, 12 unchanged"))
    }

    /// The same blocks and weights under a forecast that outgrew them: no plan change, but a new
    /// overload, which is never "No changes" and never exit 0; the other way round it is fixed,
    /// and nothing NEW breaks, so that side is equal.
    /// A link id that holds the path separator reads as two links unless it is quoted.
    @Test func aLinkIdThatLooksLikeAPathIsQuoted() {
        #expect(DiffFormat.path(["l-s2-agg1", "l-agg1-core"]) == "l-s2-agg1 > l-agg1-core")
        #expect(DiffFormat.path(["l-s2-s3 > l-s1-s2", "l-agg1-core"]) == #""l-s2-s3 > l-s1-s2" > l-agg1-core"#)
        #expect(DiffFormat.path(["a \"b\""]) == #""a \"b\"""#)
        #expect(DiffFormat.visible("cell\u{200B}-1") == "cell⟨U+200B⟩-1")
    }

    @Test func aNewOverloadWithTheSamePlanIsADifference() throws {
        let folder = Scratch.root.appendingPathComponent("flowcast-overload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let baseline = ReviewFixture.url(ReviewFixture.baselinePath)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: baseline)) as? [String: Any])
        var predicted = try #require(json["predicted"] as? [String: Any])
        var cells = try #require(predicted["cells"] as? [[String: Any]])
        let k = try #require(cells.firstIndex { $0["id"] as? String == "cell-3" })
        let capacity = try #require(cells[k]["capacity"] as? Double)
        #expect(try #require(cells[k]["utilisation"] as? Double) <= 1)
        cells[k]["utilisation"] = 1.3
        cells[k]["load"] = 1.3 * capacity
        predicted["cells"] = cells
        json["predicted"] = predicted
        // The forecast that grew is the cell's P90, which its predicted load is (a read checks it).
        var spectrum = try #require(json["spectrum"] as? [String: Any])
        var planned = try #require(spectrum["cells"] as? [[String: Any]])
        let p = try #require(planned.firstIndex { $0["id"] as? String == "cell-3" })
        var forecast = try #require(planned[p]["forecast"] as? [String: Any])
        forecast["upper"] = 1.3 * capacity
        planned[p]["forecast"] = forecast
        planned[p]["unmetDemand"] = 0.3 * capacity
        spectrum["cells"] = planned
        json["spectrum"] = spectrum
        let grown = folder.appendingPathComponent("grown.json")
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: grown)

        let forward = try PolicyComparison.compare(old: baseline, new: grown)
        let diff = try #require(forward.files.first?.diff)
        #expect(diff.cells.isEmpty && diff.demands.isEmpty && diff.links.isEmpty)
        #expect(diff.impact.violations.filter(\.isNew).map(\.subject) == ["cell-3"])
        #expect(!forward.isEqual && forward.exitStatus == 1)
        #expect(forward.text().contains("No plan changes, but NEW breaks 1 constraint OLD did not. Plan: 0 cells reallocated"))
        #expect(!forward.text().contains("No changes."))
        // The impact names the cell and its utilisation either side, read from the documents.
        let before = try #require(try PolicyDocument(contentsOf: baseline).predicted.cells.first { $0.id == "cell-3" }?.utilisation)
        #expect(diff.impact.busierCells == [CellUtilisationShift(cell: "cell-3", old: before, new: 1.3)])
        #expect(forward.text().contains("Busier cells:    cell-3 \(DiffFormat.percent(before)) → 130.0%"))
        #expect(try #require(try PolicyComparison.compare(old: grown, new: baseline).files.first?.diff).impact.quieterCells.map(\.cell) == ["cell-3"])
        #expect(forward.markdown().contains("**No plan changes, but NEW breaks 1 constraint OLD did not. Plan:"))
        // The JSON's summaries carry the same line: they held the plan line alone, so a bot posting
        // them showed a new overload as "Plan: 0 cells reallocated, …" (an audit).
        let summaries = try #require(try JSONSerialization.jsonObject(with: Data(try forward.json().utf8)) as? [String: Any])["summaries"] as? [String]
        #expect(summaries?.count == 1 && summaries?.first?.hasPrefix("No plan changes, but NEW breaks 1 constraint OLD did not. Plan: 0 cells reallocated") == true,
                "\(summaries ?? [])")

        // Back again: the same plan, the cell's predicted utilisation 130% → its own: a change, as a
        // link's utilisation moving is (it read "No changes.", exit status 0, beside the quieter
        // cell in its impact).
        let backward = try PolicyComparison.compare(old: grown, new: baseline)
        #expect(!backward.isEqual && backward.exitStatus == 1)
        #expect(backward.text().contains("No plan changes, but the forecast moves 1 cell's predicted utilisation. Plan: 0 cells reallocated"),
                "\(backward.text())")
        #expect(!backward.text().contains("No changes."))
        #expect(try #require(backward.files.first?.diff).impact.resolved.map(\.subject) == ["cell-3"])
    }

    /// A path only one side lists says so: the failed link's policy no longer lists d-cell-2's path
    /// over l-s1-s2, which read "27.9% → 0.0%" like a path merely emptied. A path both sides list
    /// at a weight that goes to 0 has no tag, and the JSON leaves out the weight of the side
    /// that does not list the path.
    @Test func aPathOnlyOneSideListsIsTagged() throws {
        let old = try ReviewFixture.baseline, new = try ReviewFixture.failedLink
        let removed = ["l-s1-s2", "l-s1-agg1", "l-agg1-core"]
        #expect(old.routing.demands.first { $0.id == "d-cell-2" }?.paths.contains { $0.links == removed } == true)
        #expect(new.routing.demands.first { $0.id == "d-cell-2" }?.paths.contains { $0.links == removed } == false)
        func compare(_ a: PolicyDocument, _ b: PolicyDocument) -> PolicyComparison {
            PolicyComparison(old: "a", new: "b", isFolder: false, files: [.init(name: nil, status: .changed, diff: PolicyDiffer().diff(a, b))])
        }
        let forward = compare(old, new).text(), backward = compare(new, old).text()
        #expect(forward.contains("l-s1-s2 > l-s1-agg1 > l-agg1-core  28.0% → 0.0%  -28.0 pp  (path removed)"))
        #expect(backward.contains("l-s1-s2 > l-s1-agg1 > l-agg1-core  0.0% → 28.0%  +28.0 pp  (new path)"))
        #expect(compare(old, new).markdown().contains("~~28.0%~~ (path removed)"))
        #expect(compare(new, old).markdown().contains("| 28.0% (new path) |"))

        // The same move with the path still listed at 0: no tag.
        var emptied = old
        let d = try #require(emptied.routing.demands.firstIndex { $0.id == "d-cell-2" })
        for i in emptied.routing.demands[d].paths.indices {
            let links = emptied.routing.demands[d].paths[i].links
            if links == removed { emptied.routing.demands[d].paths[i].weight = 0 }
            if links == ["l-s2-agg1", "l-agg1-core"] { emptied.routing.demands[d].paths[i].weight = 1 }
        }
        let text = compare(old, try emptied.withRoutingLoads()).text()
        #expect(text.contains("l-s1-s2 > l-s1-agg1 > l-agg1-core  28.0% → 0.0%  -28.0 pp\n"))
        #expect(!text.contains("(path removed)") && !text.contains("(new path)"))

        let json = try compare(old, new).json()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let demands = try #require((((root["files"] as? [[String: Any]])?.first)?["diff"] as? [String: Any])?["demands"] as? [[String: Any]])
        let paths = try #require(demands.first { $0["id"] as? String == "d-cell-2" }?["paths"] as? [[String: Any]])
        let weight = try #require(paths.first { $0["links"] as? [String] == removed }?["weight"] as? [String: Any])
        #expect(weight["new"] == nil && weight["old"] as? Double == 0.28)
    }

    @Test func swappingTheSidesMirrorsTheDiff() throws {
        let docs = try ReviewFixture.all
        for a in docs {
            for b in docs {
                let forward = PolicyDiffer().diff(a, b), backward = PolicyDiffer().diff(b, a)
                #expect(forward.cells.map(\.id) == backward.cells.map(\.id))
                for (f, r) in zip(forward.cells, backward.cells) {
                    #expect(f.action == r.action.mirrored)
                    #expect(f.blocks == r.blocks.mirrored && f.bandwidthMHz == r.bandwidthMHz.mirrored)
                    #expect(f.utilisation == r.utilisation.mirrored)
                    #expect(f.blocksGained == r.blocksLost && f.blocksLost == r.blocksGained)
                }
                #expect(forward.demands.map(\.id) == backward.demands.map(\.id))
                for (f, r) in zip(forward.demands, backward.demands) {
                    #expect(f.action == r.action.mirrored)
                    #expect(f.moved == r.moved)
                    #expect(f.paths.map(\.links) == r.paths.map(\.links))
                    #expect(f.paths.map(\.weight) == r.paths.map(\.weight.mirrored))
                }
                #expect(forward.links.map(\.id) == backward.links.map(\.id))
                #expect(zip(forward.links, backward.links).allSatisfy { $0.action == $1.action.mirrored && $0.utilisation == $1.utilisation.mirrored })
                #expect(forward.unchanged == backward.unchanged)
                #expect(forward.peakLink == backward.peakLink.mirrored && forward.peakCell == backward.peakCell.mirrored)
                #expect(forward.impact.spectrumGained.map(\.cell).sorted() == backward.impact.spectrumLost.map(\.cell).sorted())
                #expect(forward.impact.busierLinks.map(\.link).sorted() == backward.impact.quieterLinks.map(\.link).sorted())
                #expect(forward.impact.busierCells.map(\.cell).sorted() == backward.impact.quieterCells.map(\.cell).sorted())
                #expect(Set(forward.impact.violations.filter(\.isNew).map(\.subject)) == Set(backward.impact.resolved.map(\.subject)))
            }
        }
    }

    @Test func reorderingADocumentChangesNothing() throws {
        var rng = SplitMix64(state: 6)
        let docs = try ReviewFixture.all
        for a in docs {
            for _ in 0..<5 {
                #expect(PolicyDiffer().diff(a, a.shuffled(using: &rng)).isEmpty)
            }
            for b in docs {
                let shuffledA = a.shuffled(using: &rng), shuffledB = b.shuffled(using: &rng)
                #expect(PolicyDiffer().diff(shuffledA, shuffledB) == PolicyDiffer().diff(a, b))
            }
        }
    }

    @Test func keyOrderInTheFileChangesNothing() throws {
        // JSONSerialization writes keys in hash order, not sorted: a different text, the same document.
        let original = try Data(contentsOf: ReviewFixture.url(ReviewFixture.failedLinkPath))
        let object = try JSONSerialization.jsonObject(with: original)
        let rewritten = try JSONSerialization.data(withJSONObject: object)
        #expect(rewritten != original)
        let diff = PolicyDiffer().diff(try PolicyDocument(reviewing: original, path: "a.json"),
                                       try PolicyDocument(reviewing: rewritten, path: "b.json"))
        #expect(diff.isEmpty)
    }

    /// Weights whose total changed: the change in the total is traffic dropped (or added), not
    /// moved. Weights summing to 0.5 read "25.0% of traffic moved" where half was dropped (an audit).
    @Test func aChangedTotalIsNotAMove() throws {
        let a = try ReviewFixture.baseline
        let i = try #require(a.routing.demands.firstIndex { $0.paths.count >= 2 && $0.paths[0].weight == 1 })
        func diff(_ weights: [Double], options: DiffOptions = DiffOptions()) throws -> DemandChange {
            var b = a
            for (k, w) in weights.enumerated() { b.routing.demands[i].paths[k].weight = w }
            return try #require(PolicyDiffer(options: options).diff(a, b).demands.first)
        }
        let halved = try diff([0.5, 0])
        #expect(halved.moved == 0 && halved.unrouted == 0.5)
        // Nothing moved between paths: not "0.0% of traffic moved", and not counted as rerouted.
        let dropped = PolicyDiffer().diff(a, { var b = a; b.routing.demands[i].paths[0].weight = 0.5; return b }())
        let lines = dropped.textLines(style: TextStyle(colour: false), options: DiffOptions())
        #expect(lines.contains { $0.hasSuffix("  50.0% no longer routed") } && !lines.contains { $0.contains("of traffic moved") }, "\(lines)")
        #expect(dropped.demandsRerouted == 0 && dropped.demandsRoutedShareChanged == 1)
        #expect(dropped.summaryLine.contains("0 demands rerouted, 1 demand with its routed share changed, "), "\(dropped.summaryLine)")
        let markdown = dropped.markdownLines(options: DiffOptions()).joined(separator: "\n")
        #expect(markdown.contains("(50.0% no longer routed)"), "\(markdown)")
        // Half moved to the second path and a quarter dropped.
        let both = try diff([0.25, 0.5])
        #expect(both.moved == 0.5 && both.unrouted == 0.25)
        // More routed than before (a total of 1.5).
        #expect(try diff([1, 0.5]).unrouted == -0.5)
        // A plain move keeps no unrouted share, and a threshold on moves does not hide a drop.
        let move = try diff([0.7, 0.3])
        #expect(move.moved == 0.3 && move.unrouted == nil)
        #expect(try diff([0.5, 0], options: DiffOptions(minWeightChange: 0.4)).unrouted == 0.5)
    }

    /// A link whose load moved because a demand's forecast did names that demand: a link newly
    /// at 122.8 % beside "0 demands rerouted" and no demand in the diff left its cause unsaid (an
    /// audit: one demand's P90 made five times larger).
    @Test func aLinkMovedByAForecastNamesTheDemand() throws {
        let a = try ReviewFixture.baseline
        var b = a
        let i = try #require(b.routing.demands.firstIndex { d in d.paths.contains { $0.weight == 1 } })
        let path = try #require(b.routing.demands[i].paths.first { $0.weight == 1 })
        let link = try #require(path.links.first)
        let upper = b.routing.demands[i].forecast.upper
        b.routing.demands[i].forecast.upper = 5 * upper
        let l = try #require(b.predicted.links.firstIndex { $0.id == link })
        b.predicted.links[l].load += 4 * upper
        b.predicted.links[l].utilisation = b.predicted.links[l].load / b.predicted.links[l].capacity
        let diff = PolicyDiffer().diff(a, b)
        #expect(diff.demands.isEmpty)
        let change = try #require(diff.links.first { $0.id == link })
        let shift = try #require(change.forecastShifts?.first)
        #expect(shift.demand == b.routing.demands[i].id && shift.upper == Change(old: upper, new: 5 * upper)
                && shift.load == Change(old: upper, new: 5 * upper), "\(shift)")
        let text = diff.textLines(style: TextStyle(colour: false), options: DiffOptions())
        #expect(text.contains("    forecast: \(shift.demand) P90 \(DiffFormat.rate(upper)) → \(DiffFormat.rate(5 * upper)), all of it over the link"),
                "\(text)")
        // A link whose demands kept their forecasts names none.
        #expect(PolicyDiffer().diff(a, a).links.allSatisfy { $0.forecastShifts == nil })
        // A demand whose forecast grew but whose share over the link stayed the same (half its
        // old P90 over it, a quarter of the doubled one) is no cause of the link's change.
        var c = a
        let j = try #require(c.routing.demands.firstIndex { d in d.paths.contains { $0.weight == 1 } })
        let k = try #require(c.routing.demands[j].paths.firstIndex { $0.weight == 1 })
        let over = try #require(c.routing.demands[j].paths[k].links.first)
        c.routing.demands[j].paths[k].weight = 0.5
        var d = c
        d.routing.demands[j].forecast.upper *= 2
        d.routing.demands[j].paths[k].weight = 0.25
        d.routing.demands[j].paths[(k + 1) % d.routing.demands[j].paths.count].weight += 0.25
        let m = try #require(d.predicted.links.firstIndex { $0.id == over })
        d.predicted.links[m].utilisation += 0.1  // the link moved, for another reason
        let moved = try #require(PolicyDiffer().diff(c, d).links.first { $0.id == over })
        #expect(moved.forecastShifts == nil, "\(moved)")
    }

    /// A folder beside a file: the message names the folder and the file, in either order.
    @Test func aFolderBesideAFileNamesBoth() {
        let folder = ReviewFixture.url("policies/examples"), file = ReviewFixture.url(ReviewFixture.baselinePath)
        for (old, new) in [(folder, file), (file, folder)] {
            #expect(throws: PolicyError.badInput(path: folder.path, message: "is a folder and \(file.path) a file: give two files or two folders")) {
                _ = try PolicyComparison.compare(old: old, new: new)
            }
        }
    }

    /// Digests are cut to 12 hex digits, but never so that two different ones read the same.
    @Test func digestsThatDifferLateReadDifferently() {
        let a = "sha256:" + String(repeating: "ab", count: 32)
        let b = String(a.dropLast()) + "0"
        let (x, y) = PolicyDiff.shortened(a, b)
        #expect(x != y && x.hasSuffix("…") == false && y == b, "\(x) → \(y)")
        let c = "sha256:0" + String(a.dropFirst(8))
        #expect(PolicyDiff.shortened(a, c) == ("sha256:abababababab…", "sha256:0bababababab…"))
        #expect(PolicyDiff.shortened(nil, a) == ("none", "sha256:abababababab…"))
    }

    @Test func weightsWithinTheToleranceAreEqual() throws {
        let a = try ReviewFixture.baseline
        var b = a
        for i in b.routing.demands.indices where b.routing.demands[i].paths.count >= 2 {
            b.routing.demands[i].paths[0].weight += 0.0004
            b.routing.demands[i].paths[1].weight -= 0.0004
        }
        #expect(PolicyDiffer().diff(a, b).isEmpty)
        #expect(!PolicyDiffer(options: DiffOptions(weightTolerance: 0.0001)).diff(a, b).isEmpty)
    }

    /// What NEW breaks that OLD did not: the cells, links and demands (and for a neighbour pair,
    /// both cells) whose changes no threshold hides.
    static func newlyBroken(_ a: PolicyDocument, _ b: PolicyDocument) -> Set<String> {
        let before = Set(PolicyDiffer.violations(of: a).map { "\($0.kind.rawValue) \($0.subject)" })
        return Set(PolicyDiffer.violations(of: b).filter { !before.contains("\($0.kind.rawValue) \($0.subject)") }.map(\.subject))
    }

    /// Whether demand `id` puts more weight on a path through a link NEW newly overloads.
    static func movedOnto(_ broken: Set<String>, _ id: String, _ a: PolicyDocument, _ b: PolicyDocument) -> Bool {
        func weights(_ d: PolicyDocument) -> [[String]: Double] {
            var out: [[String]: Double] = [:]
            for p in d.routing.demands.first(where: { $0.id == id })?.paths ?? [] { out[p.links, default: 0] += p.weight }
            return out
        }
        let old = weights(a)
        return weights(b).contains { key, w in w > (old[key] ?? 0) + 0.001 && key.contains(where: broken.contains) }
    }

    @Test func minWeightChangeHidesExactlyTheSmallerReroutes() throws {
        let docs = try ReviewFixture.all
        for (a, b) in zip(docs, docs.dropFirst()) + [(docs[0], docs[1])] {
            let all = PolicyDiffer().diff(a, b).demands.filter { $0.action == .changed }
            let broken = Self.newlyBroken(a, b)
            // A reroute onto a link NEW newly overloads is never hidden.
            func kept(_ d: DemandChange) -> Bool { broken.contains(d.id) || Self.movedOnto(broken, d.id, a, b) }
            for threshold in [0, 0.01, 0.05, 0.056, 0.1, 0.291, 0.5, 1.0] {
                let diff = PolicyDiffer(options: DiffOptions(minWeightChange: threshold)).diff(a, b)
                let shown = diff.demands.filter { $0.action == .changed }
                #expect(shown.map(\.id) == all.filter { $0.moved >= threshold || kept($0) }.map(\.id))
                #expect(diff.hidden.demands == all.filter { $0.moved < threshold && !kept($0) }.count)
                #expect(diff.cells == PolicyDiffer().diff(a, b).cells)  // one threshold touches one kind
            }
        }
    }

    @Test func minBlocksHidesExactlyTheSmallerReallocations() throws {
        let docs = try ReviewFixture.all
        for (a, b) in zip(docs, docs.dropFirst()) + [(docs[0], docs[1])] {
            let all = PolicyDiffer().diff(a, b).cells.filter { $0.action == .changed }
            let broken = Self.newlyBroken(a, b)
            for threshold in 0...16 {
                let diff = PolicyDiffer(options: DiffOptions(minBlocks: threshold)).diff(a, b)
                #expect(diff.cells.filter { $0.action == .changed }.map(\.id)
                        == all.filter { $0.blocksChanged >= threshold || broken.contains($0.id) }.map(\.id))
                #expect(diff.hidden.cells == all.filter { $0.blocksChanged < threshold && !broken.contains($0.id) }.count)
                #expect(diff.demands == PolicyDiffer().diff(a, b).demands)
            }
        }
    }

    @Test func minUtilisationChangeHidesExactlyTheSmallerLinkShifts() throws {
        let (a, b) = (try ReviewFixture.baseline, try ReviewFixture.failedLink)
        let all = PolicyDiffer().diff(a, b).links.filter { $0.action == .changed }
        let broken = Self.newlyBroken(a, b)
        #expect(!broken.isEmpty)  // the failed link overloads another: the exception below is exercised
        func delta(_ l: LinkChange) -> Double { abs((l.utilisation.new ?? 0) - (l.utilisation.old ?? 0)) }
        for threshold in [0, 0.005, 0.01, 0.05, 0.1, 0.3] {
            let diff = PolicyDiffer(options: DiffOptions(minUtilisationChange: threshold)).diff(a, b)
            #expect(diff.links.filter { $0.action == .changed }.map(\.id)
                    == all.filter { delta($0) >= threshold || broken.contains($0.id) }.map(\.id))
            #expect(diff.hidden.links == all.filter { delta($0) < threshold && !broken.contains($0.id) }.count)
            #expect(diff.links.filter { $0.action == .removed }.map(\.id) == ["l-s1-s2"])  // structure is never hidden
        }
    }

    /// With every change hidden, documents compare equal unless NEW breaks a constraint OLD did
    /// not (never hidden, nor the changes on what it breaks): both cases occur among the run's
    /// consecutive policies.
    @Test func onlyHiddenChangesCompareEqual() throws {
        let options = DiffOptions(minWeightChange: 2, minBlocks: 100, minUtilisationChange: 2)
        var equal = 0, overloaded = 0
        for k in 0..<4 {
            let c = try PolicyComparison.compare(old: ReviewFixture.url("\(ReviewFixture.runPath)/policies/policy-000\(k).json"),
                                                 new: ReviewFixture.url("\(ReviewFixture.runPath)/policies/policy-000\(k + 1).json"),
                                                 options: options)
            let diff = try #require(c.files.first?.diff)
            #expect(diff.hidden.total > 0)
            // What is shown is only what NEW newly breaks.
            let broken = Self.newlyBroken(try PolicyDocument(contentsOf: ReviewFixture.url("\(ReviewFixture.runPath)/policies/policy-000\(k).json")),
                                          try PolicyDocument(contentsOf: ReviewFixture.url("\(ReviewFixture.runPath)/policies/policy-000\(k + 1).json")))
            #expect((diff.cells.map(\.id) + diff.links.map(\.id)).allSatisfy(broken.contains), "\(broken)")
            #expect(diff.newViolations > 0 || (diff.cells.isEmpty && diff.demands.isEmpty && diff.links.isEmpty))
            #expect(c.text().contains("Hidden below thresholds:"))
            #expect(c.isEqual == (diff.newViolations == 0))
            if c.isEqual { equal += 1 } else { overloaded += 1 }
        }
        #expect(equal > 0 && overloaded > 0)
    }

    @Test func addedAndRemovedEntriesAreListed() throws {
        let a = try ReviewFixture.baseline
        var b = a
        let removed = b.spectrum.cells.removeLast()
        var extra = b.routing.demands[0]
        extra.id = "d-new"
        b.routing.demands.append(extra)
        let diff = PolicyDiffer().diff(a, b)
        #expect(diff.cells.map { "\($0.action.symbol)\($0.id)" } == ["-\(removed.id)"])
        #expect(diff.demands.map { "\($0.action.symbol)\($0.id)" } == ["+d-new"])
        #expect(diff.impact.spectrumLost.map(\.cell) == [removed.id])
    }
}
