import Foundation
import Testing
import FlowcastTestSupport
@testable import FlowcastModel

/// The interval model on the public 5G traces (GPL-3.0, read in place from ../shared, never copied):
/// trained on some traces, scored on whole traces it never saw. A smaller run than
/// `tools/eval-5g.sh heldout … --horizon` (docs/forecasting.md has those figures): every eighth
/// trace in path order is held out (10 of 77), the model is trained on every tenth origin of every
/// other remaining trace (every even index: 39) with at most 16 trees per head, so a debug build runs it in well
/// under a minute.
let publicRadioTraces: URL? = Fixtures.shared.map { $0.appendingPathComponent("data/radio-5g/traces") }
    .flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil }

@Suite(.enabled(if: publicRadioTraces != nil))
struct IntervalRadioTests {
    static var traces: URL? { publicRadioTraces }

    static func split() throws -> (train: [String], heldOut: [String]) {
        let root = try #require(traces)
        let files = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".csv") }.sorted()
        let train = files.indices.filter { $0 % 8 != 1 && $0 % 2 == 0 }.map { root.appendingPathComponent(files[$0]).path }
        let heldOut = files.indices.filter { $0 % 8 == 1 }.map { root.appendingPathComponent(files[$0]).path }
        return (train, heldOut)
    }

    func score(_ target: RadioTarget, horizon: Double) throws -> IntervalEvaluationReport {
        let (train, heldOut) = try Self.split()
        let options = SeriesReadOptions(radioTarget: target)
        let trainSets = try SeriesReader.read(paths: train, options: options).sets
        let heldOutSets = try SeriesReader.read(paths: heldOut, options: options).sets
        var training = IntervalTrainingOptions(horizonSeconds: horizon, target: target)
        training.originStride = 10
        training.boosting?.maxTrees = 16
        let model = try IntervalTrainer.train(trainSets, options: training)
        return try IntervalEvaluator.evaluate(model: model, sets: heldOutSets, from: 0)
    }

    func ratio(_ report: IntervalEvaluationReport, _ method: IntervalMethod = .flowcast) throws -> Double {
        try #require(report[method]).mae / #require(report[.recentMean]).mae
    }

    @Test func spectralEfficiencyOverTheNextMinute() throws {
        let report = try score(.spectralEfficiency, horizon: 60)
        #expect(report.steps > 12_000)
        #expect(try ratio(report) <= 0.90)            // goal: ≤ 0.90 × recentMean (0.806 on these traces)
        #expect(try ratio(report, .persistence) > 1)  // the last report is a poor guide to a minute
        let coverage = try #require(report[.flowcast]).bandCoverage
        #expect(coverage >= 0.75 && coverage <= 0.85, "\(coverage)")
    }

    @Test func downlinkOverTheNextMinute() throws {
        let report = try score(.downlinkBitrate, horizon: 60)
        let ratio = try ratio(report)
        #expect(ratio < 1)                             // beats the rule
        // The goal (≤ 0.78 × recentMean) is met on these 10 traces (0.754) but missed on the 24
        // held-out traces of `tools/eval-5g.sh heldout dl --horizon 60s` (0.882; docs/forecasting.md),
        // so this guards the model against regressions, not the goal on the reported split.
        #expect(ratio <= 0.78, "\(ratio)")
        let coverage = try #require(report[.flowcast]).bandCoverage
        #expect(coverage >= 0.75 && coverage <= 0.85, "\(coverage)")
    }
}
