import ArgumentParser
import FlowcastCore
import FlowcastModel
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the Flowcast forecasting model (and tune its baselines) on series files.")

    @Option(help: "A series file or folder (wide/long CSV, windows.jsonl, radio KPI logs); may be repeated.")
    var series: [String]
    @Option(help: "Where to write the model JSON (written atomically).")
    var out: String
    @Option(parsing: .unconditional, help: "Train on the rows before this 0-based row of every series' time grid, as evaluate --from counts them (default: all rows).")
    var until: Int?
    @Option(parsing: .unconditional, help: "Seed for the training run's random choices.")
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "The upper quantile to forecast (without --horizon; an interval model's band is P10–P90).")
    var quantile: Double = 0.9
    @Option(help: "For radio KPI logs: dl (DL bitrate, Mbit/s) or se (spectral efficiency from CQI).")
    var target: String = "dl"
    @Flag(help: "Keep Abilene self pairs (od_s_s), which are left out by default.")
    var includeSelfPairs = false
    @Option(parsing: .unconditional, help: "Boosted trees of the point head at most (early stopping may pick fewer); 0 keeps the linear heads only.")
    var trees: Int = BoostingOptions().maxTrees
    @Option(parsing: .unconditional, help: "Without --horizon: boosted trees of the upper-quantile head at most, and at most --trees. (default: 24)")
    var upperTrees: Int?
    @Flag(help: "Ignore exogenous covariates (radio logs' CQI, RSRP, SNR, RSRQ, State, Speed); train on the series alone.")
    var noCovariates = false
    @Option(name: .customLong("without-covariate"),
            help: ArgumentHelp("Leave out one covariate (cqi, rsrp, snr, rsrq, state, speed); may be repeated.", valueName: "name"))
    var withoutCovariates: [String] = []
    @Flag(help: "Keep the trees fitted without the validation tail (by default they are fitted again on every row once the tail has chosen how many).")
    var noRefit = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Forecast the mean of the next DURATION (e.g. 60s, 5m) instead of the next row: an interval model.",
                               valueName: "duration"))
    var horizon: DurationArgument?
    @Option(parsing: .unconditional, help: "With --horizon: every this many rows is a training origin.")
    var originStride: Int = 1
    @Flag(help: "With --horizon: boosted trees only, no linear part in the heads.")
    var noLinear = false
    @Option(parsing: .unconditional, help: "With --horizon: ridge penalty of the heads' linear parts (× the mean diagonal of XᵀWX).")
    var ridge: Double?
    @Option(parsing: .unconditional, help: "With --horizon: the boosting learning rate.")
    var learningRate: Double?
    @Option(parsing: .unconditional, help: "With --horizon: trees without a better validation loss before boosting stops.")
    var patience: Int?
    @Flag(help: "With --horizon: stop boosting and calibrate on the last fifth of every series instead of every fifth series.")
    var validationTail = false
    @Flag(help: "With --horizon: stop boosting on the last fifth of every series; calibrate on every fifth series.")
    var stopOnTail = false

    func validate() throws {
        try horizon?.checkRange("--horizon")
        guard quantile > 0.5, quantile < 1 else { throw ValidationError("--quantile must be between 0.5 and 1") }
        guard RadioTarget(rawValue: target) != nil else { throw ValidationError("--target must be dl or se") }
        if let until, until < 1 { throw ValidationError("--until must be at least 1") }
        let most = BoostingOptions.largestMaxTrees
        guard (0...most).contains(trees) else { throw ValidationError("--trees must be between 0 and \(most)") }
        if let upperTrees, upperTrees < 0 || trees == 0 { throw ValidationError("--upper-trees must be 0 or more, with --trees above 0") }
        if let upperTrees, upperTrees > most { throw ValidationError("--upper-trees must be at most \(most)") }
        // An interval model's heads all take --trees, and its band is P10–P90: these were ignored.
        if horizon != nil && upperTrees != nil { throw ValidationError("--upper-trees is for one-step models; with --horizon every head takes --trees") }
        if horizon != nil && quantile != 0.9 { throw ValidationError("--quantile is for one-step models; with --horizon the band is P10–P90") }
        guard originStride >= 1 else { throw ValidationError("--origin-stride must be at least 1") }
        // A name the covariates do not have (or the wrong case) left the covariate in, silently.
        let covariates = ["cqi", "rsrp", "snr", "rsrq", "state", "speed"]
        if let unknown = withoutCovariates.first(where: { !covariates.contains($0) }) {
            throw ValidationError("--without-covariate '\(unknown)' is not one of \(covariates.joined(separator: ", "))")
        }
        // The interval model's options on a one-step model were accepted and ignored.
        if horizon == nil {
            let given = [(originStride != 1, "--origin-stride"), (noLinear, "--no-linear"), (ridge != nil, "--ridge"),
                         (learningRate != nil, "--learning-rate"), (patience != nil, "--patience"),
                         (validationTail, "--validation-tail"), (stopOnTail, "--stop-on-tail")].filter(\.0).map(\.1)
            if let first = given.first { throw ValidationError("\(first) needs --horizon (it shapes interval models only)") }
        }
        // --validation-tail already stops on the tail; with it --stop-on-tail changed nothing and
        // was accepted without a word (an audit: byte-identical models).
        if validationTail && stopOnTail {
            throw ValidationError("--stop-on-tail and --validation-tail clash: --validation-tail stops boosting and calibrates on the last "
                + "fifth of every series; --stop-on-tail stops on it and calibrates on every fifth series; give one")
        }
        // The boosting step must move towards the loss's minimum and not past it: 0 or NaN fitted no
        // tree and still reported a model that beats the rule.
        if let learningRate, !(learningRate > 0 && learningRate <= 1) {
            throw ValidationError("--learning-rate must be above 0 and at most 1, found \(learningRate)")
        }
        if let ridge, !(ridge >= 0 && ridge.isFinite) {
            throw ValidationError("--ridge must be a finite penalty of 0 or more, found \(ridge)")
        }
        if let patience, patience < 0 { throw ValidationError("--patience must be 0 or more, found \(patience)") }
    }

    func run() throws {
        let options = SeriesReadOptions(radioTarget: RadioTarget(rawValue: target) ?? .downlinkBitrate,
                                        includeSelfPairs: includeSelfPairs)
        do {
            let sets = try readSeries(series, options: options)
            // An --until past every series' end cuts nothing: said, since a time-ordered split
            // meant to hold rows back then holds none (an audit's --until 5000 on 100 rows).
            if let until, let longest = sets.map(\.rowCount).max(), until >= longest {
                FileHandle.standardError.write(Data(("warning: --until \(until) is at or past the end of every series (the longest has "
                    + "\(longest) rows): every row is trained on, none held back\n").utf8))
            }
            if let horizon { return try trainInterval(sets, horizon: horizon.seconds) }
            var training = TrainingOptions(until: until, seed: seed, quantile: quantile)
            training.layout = .standard
            training.useCovariates = !noCovariates
            training.excludedCovariates = Set(withoutCovariates)
            training.refitOnAllRows = !noRefit
            if trees == 0 {
                training.boosting = nil
            } else {
                training.boosting?.maxTrees = trees
                if let upperTrees { training.boosting?.maxUpperTrees = upperTrees }
            }
            let model = try Trainer.train(sets, options: training)
            try ModelFile.write(model, to: URL(fileURLWithPath: out))
            let treeCounts = [model.pointTrees, model.upperTrees].map { "\($0?.treeCount ?? 0)" }.joined(separator: "+")
            print("trained \(model.id) on \(model.training.series) series, \(Trainer.describe(samples: model.training.samples, bound: training.maxSamples)), "
                + "\(treeCounts) trees -> \(out)")
        } catch {
            throw CommandFailure.wording(error)
        }
    }
}

extension TrainCommand {
    func trainInterval(_ sets: [SeriesSet], horizon: Double) throws {
        // A horizon as long as the longest series leaves no origin with a whole interval after it:
        // said here, where the trainer's "too little data … check --until" misled.
        let spans = sets.compactMap { set in set.step.map { (Double(set.rowCount) * $0, set.source) } }
        if let longest = spans.max(by: { $0.0 < $1.0 }), horizon >= longest.0 {
            throw CommandFailure(message: "--horizon " + String(format: "%g", horizon) + " s is not shorter than the longest series "
                + "(\(longest.1): " + String(format: "%g", longest.0) + " s); a model needs history and a whole interval after each origin")
        }
        let radio = sets.contains { $0.radioTarget != nil }
        var training = IntervalTrainingOptions(horizonSeconds: horizon, target: radio ? RadioTarget(rawValue: target) : nil,
                                               until: until, seed: seed)
        training.useCovariates = !noCovariates
        training.excludedCovariates = Set(withoutCovariates)
        training.refitOnAllRows = !noRefit
        training.originStride = originStride
        training.linear = !noLinear
        if let ridge { training.ridge = ridge }
        if let learningRate { training.boosting?.learningRate = learningRate }
        if let patience { training.boosting?.patience = patience }
        training.validationBySeries = !validationTail
        training.stopOnTail = stopOnTail
        if trees == 0 { training.boosting = nil } else { training.boosting?.maxTrees = trees }
        let model = try IntervalTrainer.train(sets, options: training)
        try ModelFile.write(model, to: URL(fileURLWithPath: out))
        let treeCounts = [model.lower, model.point, model.upper].map { "\($0.trees?.treeCount ?? 0)" }.joined(separator: "+")
        let verdict = model.beatsRecentMean ? "beats the rule" : "does not beat the rule (planners keep it)"
        print("trained \(model.id) (mean of the next \(horizon.formatted()) s) on \(model.training.series) series, "
            + "\(Trainer.describe(samples: model.training.samples, bound: training.maxSamples)), \(treeCounts) trees; validation MAE \(String(format: "%.3f", model.validation.ratio)) × recentMean: "
            + "\(verdict) -> \(out)")
    }
}

/// Reads the series files as `train` and `evaluate` do: says on stderr what was read (and each file
/// of a folder skipped as not a series, with why), and refuses
/// (none of the files can give it) or warns about (some cannot) a radio target.
func readSeries(_ paths: [String], options: SeriesReadOptions) throws -> [SeriesSet] {
    let (sets, skipped) = try SeriesReader.read(paths: paths, options: options)
    // Files of a folder that are not series are left out, one warning each, and counted.
    for file in skipped {
        FileHandle.standardError.write(Data("warning: \(file.path): skipped, not a series file: \(file.reason)\n".utf8))
    }
    for warning in sets.compactMap(\.cutWarning) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
    var loaded = SeriesLoadReport(combining: sets.map(\.report)).summary(files: sets.count)
    if !skipped.isEmpty { loaded += "; skipped \(skipped.count) file\(skipped.count == 1 ? "" : "s") that \(skipped.count == 1 ? "is" : "are") not series" }
    FileHandle.standardError.write(Data((loaded + "\n").utf8))
    // A folder with no series file: said as such, not as "no series has an observed value" later.
    if sets.isEmpty {
        // A folder of a run still being written (or one that stopped) holds only `.partial` files:
        // said so, where "an empty folder?" misled (an audit).
        let partial = paths.flatMap { path in
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".jsonl.partial") }
        }
        let why = !skipped.isEmpty ? " (\(skipped.count) file\(skipped.count == 1 ? "" : "s") skipped, above)"
            : !partial.isEmpty ? " (only \(partial.sorted().joined(separator: ", ")): a run still being written, or one that stopped before its end)"
            : " (an empty folder?)"
        throw CommandFailure(message: "\(paths.map(\.visible).joined(separator: ", ")): no series file" + why)
    }
    if let problem = SeriesReader.targetProblem(options.radioTarget, sets: sets) {
        if problem.fatal { throw CommandFailure(message: problem.message) }
        FileHandle.standardError.write(Data((problem.message + "\n").utf8))
    }
    return sets
}

/// A one-line error message on stderr and exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension CommandFailure: LocalizedError {
    var errorDescription: String? { message }
}

extension CommandFailure {
    /// The one wording of the model stage's errors (series input, training, model files) for
    /// train, evaluate and backtest; any other error is returned as it is.
    static func wording(_ error: any Error) -> any Error {
        switch error {
        case let error as CommandFailure: error
        case let error as SeriesInputError: CommandFailure(message: error.description)
        case let error as TrainingError: CommandFailure(message: "training: \(error.description)")
        case let error as ModelFileError: CommandFailure(message: error.description)
        case let error as HorizonError: CommandFailure(message: error.description)
        default: error
        }
    }
}
