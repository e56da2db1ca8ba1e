import ArgumentParser
import FlowcastModel
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay a demand series interval by interval: forecast, plan robust routing, score realised MLU against OSPF, an equal split over the fewest-hop candidate paths (ecmp) and the perfect-foresight LP; or, with --radio-scenario, plan spectrum blocks and score served bits against naive plans and the oracle.")

    @Option(help: "Topology YAML file (demand ids name the series columns, e.g. od_0_1).") var topology: String?
    @Option(help: "Demand series (CSV, one column per demand id).") var series: String?
    @Option(parsing: .unconditional, help: "First 0-based row to plan and score; rows before it are history (and training data). With --radio-scenario: the first second planned (600 when not given).")
    var from: Int?
    @Option(help: "Model file (flowcast train); without it a model is trained on the rows before --from.") var model: String?
    @Option(help: "Spectrum backtest: a folder made by tools/make-radio-scenario.py (topology.yaml and one radio KPI log per cell).")
    var radioScenario: String?
    @Option(help: "With --radio-scenario: demand model (flowcast train --target dl on 1 s series); without it one is trained on the seconds before --from.")
    var modelDemand: String?
    @Option(help: "With --radio-scenario: efficiency model (flowcast train --target se), used by --sizing quantile and ar1f-N (the others size efficiency from the observed seconds); without it the mean of the last max(60 s, 2 × interval) of CQI reports, as plan and live use.")
    var modelSe: String?
    @Option(parsing: .unconditional, help: "With --radio-scenario: how long each spectrum plan holds.") var planEvery: DurationArgument = DurationArgument(argument: "60s")!
    @Option(help: "With --radio-scenario: how the flowcast method sizes its plan from the last N seconds (as scenarios): reg-N (scaled by a regression on the last interval and its last 10 s, see docs/policy.md), ar1-N (scaled by an AR(1) forecast of the interval mean; ar1f-N: efficiency by Flowcast's forecast), scaled-N (by the demand model's forecast), recent-N, recent-N-half-H (weighted by 2^(−age/H)), or quantile (one scenario, the forecast's P90).")
    var sizing: String = "reg-1800"
    @Option(parsing: .unconditional, help: "With --radio-scenario: cost of one block changed, in blocks' worth of expected served traffic.")
    var changeCost: Double = 0.0175
    @Option(help: "Unit of the series values: bit/s, kbit/s, Mbit/s or Gbit/s (the Abilene series are Mbit/s).")
    var unit: String = "Mbit/s"
    @Option(parsing: .unconditional, help: "Observed matrices of the last N intervals planned for as scenarios (1 to 288).") var history: Int = 12
    @Option(parsing: .unconditional, help: "Weight of the mean scenario utilisation in the robust objective.") var meanWeight: Double = 5
    @Option(parsing: .unconditional, help: "Weight of the mean per-link worst utilisation in the robust objective.") var linkWeight: Double = 1
    @Flag(help: "Do not add the forecast's point and upper matrices as scenarios (and do not forecast).")
    var noForecastScenarios = false
    @Flag(help: "Do not add the newest matrix plus each recent one-step change as scenarios.")
    var noChangeScenarios = false
    @Flag(help: "Do not scale each scenario by its own optimal MLU.") var noNormalise = false
    @Option(parsing: .unconditional, help: "Candidate paths per demand when the topology gives none (1 to 64).") var paths: Int = 4
    @Option(parsing: .unconditional, help: "Keep every link at or under this utilisation, traffic on least-cost paths until it must move (0: pure min-max utilisation, the robust plan).")
    var targetUtilisation: Double = 0.7
    @Option(parsing: .unconditional, help: "Multiply every demand by K (a loaded network).") var scale: Double = 1
    @Flag(help: "Print the summary as JSON.") var json = false

    static let units: [String: Double] = ["bit/s": 1, "kbit/s": 1e3, "Mbit/s": 1e6, "Gbit/s": 1e9]

    func validate() throws {
        try planEvery.checkRange("--plan-every")
        if radioScenario != nil {
            guard topology == nil, series == nil, model == nil else {
                throw ValidationError("--radio-scenario takes its topology and series from its folder: leave out --topology, --series and --model")
            }
            guard planEvery.nanoseconds % 1_000_000_000 == 0 else { throw ValidationError("--plan-every must be whole seconds") }
            guard Self.parseSizing(sizing) != nil else { throw ValidationError("--sizing must be recent-N, recent-N-half-H, scaled-N, ar1-N, ar1f-N, reg-N (N seconds, at least 1) or quantile") }
            // Bounded: 1e300 made Clp abort on its objective, 1e20 read as an infeasible band.
            guard (0...100).contains(changeCost) else { throw ValidationError("--change-cost must be 0 to 100 (blocks' worth of served traffic)") }
            if let from, from < 1 { throw ValidationError("--from must be at least 1") }
            // The routing backtest's options do nothing here: given (other than their defaults),
            // they were accepted and ignored, out of range or not.
            let routingOnly = [(unit != "Mbit/s", "--unit"), (history != 12, "--history"), (meanWeight != 5, "--mean-weight"),
                               (linkWeight != 1, "--link-weight"), (paths != 4, "--paths"), (targetUtilisation != 0.7, "--target-utilisation"),
                               (scale != 1, "--scale"), (noForecastScenarios, "--no-forecast-scenarios"),
                               (noChangeScenarios, "--no-change-scenarios"), (noNormalise, "--no-normalise")].filter(\.0).map(\.1)
            if let first = routingOnly.first { throw ValidationError("\(first) is for the routing backtest; --radio-scenario does not use it") }
            return
        }
        let radioOnly = [(planEvery.nanoseconds != 60_000_000_000, "--plan-every"), (sizing != "reg-1800", "--sizing"),
                         (changeCost != 0.0175, "--change-cost")].filter(\.0).map(\.1)
        if let first = radioOnly.first { throw ValidationError("\(first) needs --radio-scenario (the routing backtest plans every row)") }
        guard topology != nil, series != nil, from != nil else {
            throw ValidationError("give --topology, --series and --from (routing backtest) or --radio-scenario (spectrum backtest)")
        }
        if modelDemand != nil || modelSe != nil { throw ValidationError("--model-demand and --model-se need --radio-scenario") }
        guard Self.units[unit] != nil else { throw ValidationError("--unit must be one of bit/s, kbit/s, Mbit/s, Gbit/s") }
        guard from! >= 1 else { throw ValidationError("--from must be at least 1 (the first plan needs history)") }
        // Each option on its own: one message for both named neither as the wrong one (an audit).
        guard (1...288).contains(history) else {
            throw ValidationError("--history \(history) is out of range: 1 to 288 intervals (a day of 5-minute rows)")
        }
        guard (1...PathFinder.maximumPathsPerDemand).contains(paths) else {
            throw ValidationError("--paths \(paths) is out of range: 1 to \(PathFinder.maximumPathsPerDemand) candidate paths per demand")
        }
        // Bounded: infinite or 1e300 weights made Clp abort on its objective coefficients.
        guard (0...1000).contains(meanWeight), (0...1000).contains(linkWeight) else {
            throw ValidationError("--mean-weight and --link-weight must be 0 to 1000")
        }
        if !(0...1).contains(targetUtilisation) { throw ValidationError("--target-utilisation must be 0 (pure min-max utilisation) to 1") }
        guard scale > 0, scale <= 1e6 else { throw ValidationError("--scale must be more than 0 and at most 1e6") }
    }

    func run() throws {
        if let radioScenario {
            try runSpectrum(folder: radioScenario)
            return
        }
        let topology = self.topology!, series = self.series!, from = self.from!
        let topo: Topology
        do { topo = try Topology(contentsOfFile: topology) } catch {
            for problem in error.problems { printError("\(problem)") }
            throw ExitCode.failure
        }
        do {
            let set = try SeriesReader.read(file: URL(fileURLWithPath: series))
            guard from < set.rowCount else {
                throw CommandFailure(message: "--from \(from) is past the last row of \(series) (\(set.rowCount) rows)")
            }
            let scale = Self.units[unit]! * self.scale
            // Series per demand, in topology order; a demand with no column is routed as zero traffic.
            let byName = Dictionary(set.series.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let columns = topo.demands.map { byName[$0.id] }
            let missing = topo.demands.indices.filter { columns[$0] == nil }.map { topo.demands[$0].id }
            if missing.count == topo.demands.count {
                throw CommandFailure(message: "no column of \(series) is named after a demand of \(topology)")
            }
            if !missing.isEmpty {
                printError("warning: \(missing.count) demands have no series and carry no traffic: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")")
            }
            // A column with no value carries no traffic, as a missing one does, and says so (it was
            // silent). A name given twice is refused by the reader, naming both columns.
            let empty = topo.demands.indices.filter { columns[$0].map { !$0.values.contains { !$0.isNaN } } ?? false }.map { topo.demands[$0].id }
            if !empty.isEmpty {
                printError("warning: \(empty.count) demands' columns hold no value and carry no traffic: \(empty.prefix(5).joined(separator: ", "))\(empty.count > 5 ? ", …" : "")")
            }
            // What the reader regularised (averaged, filled), said rather than silently scored.
            if let warning = set.cutWarning { printError(warning) }
            let loaded = set.report
            // Where: the first missing value, and how many fall in the rows scored (the realised
            // matrices then hold values made up; "1 missing values" said neither, an audit).
            var firstMissing: (row: Int, column: String)? = nil
            var missingScored = 0
            for column in columns.compactMap({ $0 }) where column.values.contains(where: { !$0.isNaN }) {
                for (row, v) in column.values.enumerated() where v.isNaN {
                    if firstMissing.map({ row < $0.row }) ?? true { firstMissing = (row, column.name) }
                    if row >= from { missingScored += 1 }
                }
            }
            if loaded.missingValues + loaded.duplicateRows + loaded.gapRows > 0 {
                let whereMissing = firstMissing.map { "; the first at row \($0.row) (0-based, as --from counts), column \($0.column)"
                    + (missingScored > 0 ? "; \(missingScored) in the rows scored from --from \(from), whose realised loads are then not all observed" : "") } ?? ""
                printError("warning: \(series): " + loaded.summary(files: 1) + " (a missing value takes the row before it, 0 before the first"
                    + whereMissing + ")")
            }
            // Matrices with missing values carried forward (a missing first value is zero). A load
            // the routing LP cannot use is refused at its row and column (1e200 ended in "solver:
            // unexpected solver status 4/0"); a negative one was read as 0 without a word.
            var matrices = [[Double]](repeating: [Double](repeating: 0, count: topo.demands.count), count: set.rowCount)
            for (d, column) in columns.enumerated() {
                guard let column else { continue }
                var last = 0.0
                for row in 0..<set.rowCount {
                    let v = row < column.values.count ? column.values[row] : .nan
                    if !v.isNaN {
                        guard v >= 0, v * scale <= ForecastSet.maximumRate else {
                            throw CommandFailure(message: "\(series): row \(row) (0-based, as --from counts), column \(column.name): \(v) \(unit)"
                                + (self.scale == 1 ? "" : " × --scale \(self.scale)")
                                + " is not a load (it must be at least 0 and at most 1e15 bit/s, 1 Pbit/s)")
                        }
                        last = v
                    }
                    matrices[row][d] = last * scale
                }
            }

            let forecaster = noForecastScenarios ? nil : try makeForecaster(set: set, columns: columns, scale: scale, from: from)
            let options = RobustPlanOptions(history: history, forecastScenarios: !noForecastScenarios,
                                            changeScenarios: !noChangeScenarios, normalise: !noNormalise,
                                            objective: RobustObjective(meanWeight: meanWeight, linkWeight: linkWeight),
                                            pathsPerDemand: paths, targetUtilisation: targetUtilisation)
            let backtest = RoutingBacktest(topology: topo, options: options)
            if let d = backtest.paths.firstIndex(where: { $0.isEmpty }) {
                throw CommandFailure(message: "\(topology): " + RoutingOptimizer.unroutable(topo, demand: d))
            }
            var report = try backtest.run(matrices: matrices, from: from) { row in forecaster?.forecast(row: row) }
            report.scale = self.scale
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(text(report, model: forecaster?.modelID))
            }
        } catch {
            let worded = CommandFailure.wording(error)
            throw worded is CommandFailure ? worded : CommandFailure(message: "\(error)")
        }
    }

    /// The model from --model, or one trained now on the rows before --from.
    private func makeForecaster(set: SeriesSet, columns: [Series?], scale: Double, from: Int) throws -> SeriesForecaster {
        let trained: ForecastModel
        if let model {
            trained = try ModelFile.read(from: URL(fileURLWithPath: model))
            if let problem = RadioModelCheck.problem(path: model, target: trained.training.radioTarget, sets: [set]) {
                throw CommandFailure(message: problem)
            }
            if let warning = trained.covariateWarning(for: [set]) { printError(warning) }
            if let warning = StepCheck.warning(modelID: trained.id, trainedStep: trained.training.stepSeconds, sets: [set]) { printError(warning) }
            if let warning = ModelInputCheck.trainingOverlapWarning(modelID: trained.id, sources: trained.training.sources,
                                                                    untilRow: trained.training.untilRow, sets: [set], from: from) {
                printError(warning)
            }
        } else {
            if !json { printError("training a model on rows 0–\(from - 1) of \(series ?? "") …") }
            do { trained = try Trainer.train([set], options: TrainingOptions(until: from)) } catch TrainingError.tooLittleData(let rows, _) {
                // backtest has no --until: the rows before --from are what it trains on.
                throw CommandFailure(message: "too little data to train a model on the rows before --from \(from): \(rows) usable samples "
                    + "(need at least 50); give a later --from, or a model with --model")
            }
        }
        return SeriesForecaster(model: trained, set: set, columns: columns, scale: scale)
    }

    private func text(_ r: BacktestReport, model: String?) -> String {
        func f(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
        var lines = ["\(r.intervals) intervals from row \(from ?? 0)" + (scale == 1 ? "" : " (demands × \(scale.formatted()))")
            + "; up to \(paths) candidate paths per demand; "
            + (targetUtilisation > 0 ? "least-cost paths under a \(f(targetUtilisation * 100, 0))% target, " : "")
            + "robust plan over the last \(history) matrices"
            + (noForecastScenarios ? "" : " + forecast (model \(model ?? "?"))")]
        // Two oracles: this table's is the min-max optimum whatever the target (`mlu.oracle`); the
        // next table's is the perfect-foresight plan under the run's own objective (`methods`).
        lines.append("method     mean MLU  P95 MLU   ratio to min-max: mean  P95     max")
        func row(_ name: String, _ m: SampleSummary, _ ratio: BacktestReport.Ratio?) -> String {
            name.padding(toLength: 11, withPad: " ", startingAt: 0) + f(m.mean) + "    " + f(m.p95)
                + (ratio.map { "                    " + f($0.mean, 3) + "   " + f($0.p95, 3) + "   " + f($0.max, 3) } ?? "")
        }
        lines.append(row("flowcast", r.mlu.flowcast, r.ratioToOracle))
        lines.append(row("min-max", r.mlu.oracle, nil))
        lines.append(row("ospf", r.mlu.ospf, r.ospfRatio))
        lines.append(row("ecmp", r.mlu.ecmp, r.ecmpRatio))
        lines.append("plan solve time: mean \(f(r.solveMs.mean, 2)) ms, P95 \(f(r.solveMs.p95, 2)) ms")
        lines.append("method     mean MLU  P95 MLU   over target  path stretch  moved per interval   ("
            + (targetUtilisation > 0 ? "target \(f(targetUtilisation, 2))" : "no target")
            + "; oracle: perfect foresight, same objective)")
        for m in r.methods {
            lines.append(m.name.padding(toLength: 11, withPad: " ", startingAt: 0) + f(m.mluMean) + "    " + f(m.mluP95) + "    "
                + (m.overTargetFraction.map { f($0) } ?? "–     ") + "       " + f(m.pathStretch) + "        " + (m.movedFraction.map { f($0) } ?? "–"))
        }
        return lines.joined(separator: "\n")
    }
}

/// One-step forecasts of every demand from its history only, through FlowcastModel's online API.
final class SeriesForecaster {
    let model: ForecastModel
    let set: SeriesSet
    let columns: [Series?]
    let scale: Double
    private var states: [SeriesState?]
    private var last: [Double]
    private var observed = 0

    var modelID: String { model.id }

    init(model: ForecastModel, set: SeriesSet, columns: [Series?], scale: Double) {
        self.model = model
        self.set = set
        self.columns = columns
        self.scale = scale
        states = columns.map { $0 == nil ? nil : model.makeState(step: set.step) }
        last = [Double](repeating: 0, count: columns.count)
    }

    /// Forecast of `row` after observing rows before it (never `row` itself); rows must increase.
    func forecast(row: Int) -> MatrixForecast {
        precondition(row >= observed, "forecasts must go forward in time")
        while observed < row {
            let time = set.time(ofRow: observed)
            for (d, column) in columns.enumerated() {
                guard let column else { continue }
                let v = observed < column.values.count ? column.values[observed] : .nan
                if !v.isNaN { last[d] = v }
                states[d]!.observe(last[d], at: time)
            }
            observed += 1
        }
        var point = [Double](repeating: 0, count: columns.count), upper = point
        for d in columns.indices {
            guard let state = states[d] else { continue }
            let f = model.forecastPoint(state)
            point[d] = max(0, f.point) * scale
            upper[d] = max(0, f.upper, f.point) * scale
        }
        return MatrixForecast(point: point, upper: upper)
    }
}
