import FlowcastTestSupport
import Foundation
import Testing
@testable import FlowcastModel

/// Zero bands for every baseline (a model file must give each one).
let zeroBands: [String: [Double]] = Dictionary(uniqueKeysWithValues: IntervalMethod.allCases.dropFirst().map { ($0.rawValue, [0.0, 0.0]) })

/// An interval model whose heads are all zero, so its forecast is the recent mean and the
/// baselines can be read off an evaluation.
func handIntervalModel(horizon: Double, ewmaAlpha: Double = 0.5, bandOffsets: [String: [Double]] = zeroBands) -> IntervalModel {
    let d = IntervalSeries.featureCount(covariates: 0)
    func head(_ tau: Double) -> IntervalHead { IntervalHead(tau: tau, weights: [Double](repeating: 0, count: d), trees: nil, shift: 0) }
    return IntervalModel(id: "hand", horizonSeconds: horizon, target: nil, covariates: [],
                         featureNames: IntervalSeries.featureNames(covariates: []), lower: head(0.1), point: head(0.5),
                         upper: head(0.9), ewmaAlpha: ewmaAlpha, bandOffsets: bandOffsets,
                         validation: .init(series: 0, origins: 0, flowcastMAE: 1, recentMeanMAE: 2),
                         training: .init(sources: [], series: 0, samples: 0, untilRow: nil, stepSeconds: nil))
}

@Suite struct IntervalTests {
    func set(_ values: [Double], step: Double, source: String = "hand.csv") -> SeriesSet {
        SeriesSet(source: source, step: step, startTime: 0, series: [Series(name: "x", values: values)])
    }

    @Test func theTargetIsTheMeanOfTheNextHorizonRows() {
        let series = IntervalSeries(series: Series(name: "x", values: (1...10).map(Double.init)), step: 1, horizon: 3,
                                    covariateColumns: [], day: nil)
        #expect(series.horizonRows == 3)
        #expect(series.target(2) == 5)     // rows 3, 4, 5 hold 4, 5, 6
        #expect(series.target(6) == 9)     // rows 7, 8, 9: the last whole window
        #expect(series.target(7) == nil)   // would run past the end
    }

    @Test func aTargetNeedsHalfOfItsWindowObserved() {
        let n = Double.nan
        let series = IntervalSeries(series: Series(name: "x", values: [1, 2, n, n, 6, n, n, n, 9, 10]), step: 1, horizon: 4,
                                    covariateColumns: [], day: nil)
        #expect(series.target(0) == 4)     // rows 1–4: 2 and 6 observed, half the window
        #expect(series.target(3) == nil)   // rows 4–7: only 6
    }

    @Test func theRecentMeanWindowIsTheRuleThePlannerUses() {
        #expect(RecentMeanRule.window(horizon: 10) == 60)
        #expect(RecentMeanRule.window(horizon: 60) == 120)
        #expect(RecentMeanRule.window(horizon: 300) == 600)
        let series = IntervalSeries(series: Series(name: "x", values: [Double](repeating: 1, count: 5)), step: 10, horizon: 300,
                                    covariateColumns: [], day: nil)
        #expect(series.recentRows == 60)
        #expect(series.horizonRows == 30)
    }

    // Step 10 s, horizon 20 s: the target is the mean of the next 2 rows, recentMean the mean of
    // the last 60 s (6 rows). Values 4 8 6 2 10 0 4 6; EWMA (α 0.5) 4 6 6 4 7 3.5.
    // Origin 4: target (0 + 4) / 2 = 2; persistence 10, recentMean 30 / 5 = 6, EWMA 7.
    // Origin 5: target (4 + 6) / 2 = 5; persistence 0, recentMean 30 / 6 = 5, EWMA 3.5.
    @Test func baselinesMatchAHandComputation() throws {
        let model = handIntervalModel(horizon: 20)
        let values: [Double] = [4, 8, 6, 2, 10, 0, 4, 6]
        let last = try IntervalEvaluator.evaluate(model: model, sets: [set(values, step: 10)], from: 5)
        #expect(last.steps == 1)
        #expect(last[.persistence]?.mae == 5)
        #expect(last[.recentMean]?.mae == 0)
        #expect(last[.ewma]?.mae == 1.5)
        #expect(last[.seasonal] == nil)    // a 10 s step has a daily season, but 8 rows are not a day
        let both = try IntervalEvaluator.evaluate(model: model, sets: [set(values, step: 10)], from: 4)
        #expect(both.steps == 2)
        #expect(both[.persistence]?.mae == 6.5)
        #expect(both[.recentMean]?.mae == 2)
        #expect(both[.ewma]?.mae == 3.25)
        #expect(abs((both[.recentMean]?.rmse ?? 0) - 8.0.squareRoot()) < 1e-12)  // √((16 + 0) / 2)
        #expect(both[.flowcast]?.mae == both[.recentMean]?.mae)  // zero heads: the recent mean
    }

    // A 12-hour step has a 2-row day: the seasonal baseline is the same window one day earlier.
    @Test func seasonalIsTheSameWindowOneDayEarlier() throws {
        let model = handIntervalModel(horizon: 43_200)
        let report = try IntervalEvaluator.evaluate(model: model, sets: [set([1, 2, 3, 4, 5], step: 43_200)], from: 3)
        #expect(report.steps == 1)
        #expect(report[.seasonal]?.mae == 2)   // target 5, one day before it: 3
        #expect(report[.persistence]?.mae == 1)
    }

    // A horizon past a day: the same window as many whole days back as it takes to end by the
    // origin. A 12-hour step (a 2-row day) and a 2-day horizon (4 rows): 2 days back. Until 6
    // December 2026 it went back one day, so half its window was the target's own rows.
    @Test func seasonalNeverReadsPastTheOrigin() throws {
        let values: [Double] = [3, 9, 4, 1, 7, 12, 5, 8, 2, 6, 11, 10, 0, 13, 4, 9]
        for rows in 1...7 {
            let series = IntervalSeries(series: Series(name: "x", values: values), step: 43_200, horizon: 43_200 * Double(rows),
                                        covariateColumns: [], day: 2)
            for t in values.indices {
                var future = values
                for i in (t + 1)..<values.count { future[i] = 1e6 }
                let changed = IntervalSeries(series: Series(name: "x", values: future), step: 43_200, horizon: 43_200 * Double(rows),
                                             covariateColumns: [], day: 2)
                #expect(series.seasonal(t) == changed.seasonal(t), "horizon \(rows) rows, origin \(t)")
            }
        }
        let twoDays = IntervalSeries(series: Series(name: "x", values: values), step: 43_200, horizon: 4 * 43_200,
                                     covariateColumns: [], day: 2)
        #expect(abs((twoDays.seasonal(7) ?? 0) - (7 + 12 + 5 + 8) / 4.0) < 1e-12)   // rows 4–7: the window (7, 11] two days back
        #expect(twoDays.seasonal(2) == nil)                     // two days of history are not there yet
        let threeRows = IntervalSeries(series: Series(name: "x", values: values), step: 43_200, horizon: 3 * 43_200,
                                       covariateColumns: [], day: 2)
        #expect(abs((threeRows.seasonal(7) ?? 0) - (7 + 12 + 5) / 3.0) < 1e-12)     // 1.5 days: two days back, rows 4–6
    }

    // The band of a baseline is its point plus the training residual quantiles times the scale
    // (mean |x| over the scale window: 5 here), so offsets ±0.2 give ±1.
    @Test func bandCoverageAndPinballOfABaseline() throws {
        let model = handIntervalModel(horizon: 20, bandOffsets: ["recentMean": [-0.2, 0.2]])
        let report = try IntervalEvaluator.evaluate(model: model, sets: [set([4, 8, 6, 2, 10, 0, 4, 6], step: 10)], from: 4)
        let rule = try #require(report[.recentMean])
        // Origin 4: recentMean 6, scale 6 (mean |x| 30 / 5, and |m| = 6), band 4.8…7.2, target 2: outside.
        // Origin 5: recentMean 5, scale 5, band 4…6, target 5: inside.
        #expect(rule.bandCoverage == 0.5)
        // Pinball, the mean of the P10 and P90 losses: origin 4: P10 0.9 × 2.8, P90 0.1 × 5.2;
        // origin 5: P10 0.1 × 1, P90 0.1 × 1 (both inside, each 1 away).
        let expected = (0.5 * (0.9 * 2.8 + 0.1 * 5.2) + 0.5 * (0.1 * 1 + 0.1 * 1)) / 2
        #expect(abs(rule.pinball - expected) < 1e-12)
    }

    @Test func aHorizonShorterThanTheStepIsRefusedNamingTheFile() {
        let model = handIntervalModel(horizon: 60)
        #expect(throws: HorizonError.shorterThanStep(path: "od.csv", horizon: 60, step: 300)) {
            try IntervalEvaluator.evaluate(model: model, sets: [set([1, 2, 3], step: 300, source: "od.csv")], from: 0)
        }
        #expect(HorizonError.shorterThanStep(path: "od.csv", horizon: 60, step: 300).description
            == "od.csv: the horizon 60 s is shorter than the series step 300 s")
        #expect(throws: HorizonError.self) {
            try IntervalTrainer.train([set((0..<500).map(Double.init), step: 300, source: "od.csv")],
                                      options: IntervalTrainingOptions(horizonSeconds: 60))
        }
    }

    @Test func modelFilesOfTheWrongKindOrHorizonAreRefused() throws {
        let directory = Scratch.root.appendingPathComponent("interval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("se60.json")
        var model = handIntervalModel(horizon: 60)
        model.target = "se"
        try ModelFile.write(model, to: url)
        #expect(try ModelFile.readInterval(from: url, horizon: 60) == model)
        #expect(throws: ModelFileError.intervalModel(path: url.path, horizon: 60)) { try ModelFile.read(from: url) }
        #expect(model.mismatch(path: "m.json", horizon: 300, target: .spectralEfficiency)
            == "m.json: the model forecasts the mean of the next 60 s, not of the next 300 s (train one with --horizon 300s)")
        #expect(model.mismatch(path: "m.json", horizon: 60, target: .downlinkBitrate)
            == "m.json: the model forecasts --target se, not --target dl")
        #expect(model.mismatch(path: "m.json", horizon: 60, target: .spectralEfficiency) == nil)
        let nextRow = directory.appendingPathComponent("next.json")
        // Written as JSON directly: this hand model has no band offsets, which `ModelFile.write`
        // refuses (a file read refuses them too, after telling a next-row model from an interval one).
        try JSONEncoder().encode(handModel(BaselineParameters())).write(to: nextRow)
        #expect(throws: ModelFileError.nextRowModel(path: nextRow.path, horizon: 60)) {
            try ModelFile.readInterval(from: nextRow, horizon: 60)
        }
    }

    /// Series silent over their whole scale window before each burst: those origins' scale is the
    /// 1e-9 floor, their targets billions of scale units, and the trees split them off into leaves
    /// beyond the 1e6 a model file may hold; `train --horizon 15m` on Abilene wrote such a model
    /// and `evaluate` refused it (an audit). Every leaf is held to the bound, so the file reads back.
    @Test func silentSeriesStillGiveAModelFileThatReads() throws {
        var sets: [SeriesSet] = []
        for k in 0..<5 {
            let values = (0..<3_200).map { t -> Double in (t + 37 * k) % 640 >= 620 ? 5 + Double(k) : 0 }
            sets.append(SeriesSet(source: "burst\(k).csv", step: 1, startTime: 0, series: [Series(name: "b\(k)", values: values)]))
        }
        var options = IntervalTrainingOptions(horizonSeconds: 10)
        options.boosting?.maxTrees = 16
        let model = try IntervalTrainer.train(sets, options: options)
        let leaves = [model.lower, model.point, model.upper].flatMap { $0.trees?.leaves ?? [] }
        #expect(!leaves.isEmpty && leaves.allSatisfy { abs($0) <= ModelFile.maximumScaleValue })
        #expect(leaves.contains { abs($0) == ModelFile.maximumScaleValue }, "no leaf reached the bound: the case no longer tests it")
        let url = Scratch.root.appendingPathComponent("silent-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelFile.write(model, to: url)
        #expect(try ModelFile.readInterval(from: url, horizon: 10) == model)
        // And a model that would not read back is never written.
        var beyond = model
        beyond.point.shift = 2e6
        #expect(throws: ModelFileError.writeFailed(path: url.path, reason: "the trained model has a value a model file may not hold "
                + "($.point.shift: must be at most 1e6 in magnitude (scale units), found 2000000.0); not written")) {
            try ModelFile.write(beyond, to: url)
        }
    }

    @Test func trainingLearnsAReversionTheRecentMeanMisses() throws {
        // Square waves of period 40 rows: the next 10 rows' mean is predictable from the phase,
        // which the recent mean (60 rows) averages away.
        var sets: [SeriesSet] = []
        for k in 0..<6 {
            let values = (0..<1_200).map { t -> Double in ((t + 7 * k) / 20) % 2 == 0 ? 10 + Double(k) : 2 }
            sets.append(SeriesSet(source: "wave\(k).csv", step: 1, startTime: 0, series: [Series(name: "w\(k)", values: values)]))
        }
        var options = IntervalTrainingOptions(horizonSeconds: 10)
        options.boosting?.maxTrees = 16
        let model = try IntervalTrainer.train(Array(sets.prefix(5)), options: options)
        #expect(model.beatsRecentMean)
        let report = try IntervalEvaluator.evaluate(model: model, sets: [sets[5]], from: 100)
        let flowcast = try #require(report[.flowcast]), rule = try #require(report[.recentMean])
        #expect(flowcast.mae < 0.5 * rule.mae)
    }
}
