internal import FlowcastCore
/// Options for training the Flowcast model.
public struct TrainingOptions: Sendable {
    /// Train on rows before this 0-based data row of every series (nil: all rows).
    public var until: Int?
    /// Seed for the (only) random step: subsampling when there are more than `maxSamples` samples.
    public var seed: UInt64 = 1
    /// The upper quantile to fit (0.9 for P90).
    public var quantile: Double = 0.9
    /// Training samples kept at most; beyond this a seeded random subset is used.
    public var maxSamples = 600_000
    /// IRLS passes per quantile head (the trees correct what few passes leave).
    public var iterations = 12
    /// Shift the upper head so its coverage on the validation tail matches `quantile` exactly.
    public var calibrateUpper = true
    /// Boosted trees on top of the linear heads (nil: linear heads only).
    public var boosting: BoostingOptions? = BoostingOptions()
    /// The last fraction of every series' training rows that is held out for early stopping and
    /// calibration (time ordered: the validation rows come after the fitting rows).
    public var validationFraction = 0.15
    public var layout: FeatureLayout = .standard
    /// Use the series' exogenous covariates (e.g. radio KPIs) as features when the training series
    /// have them (all with the same names); series without covariates never get covariate features.
    public var useCovariates = true
    /// Covariates left out even when the series have them (e.g. `speed`).
    public var excludedCovariates: Set<String> = []
    /// After the validation tail has chosen the number of trees per head (and measured the upper
    /// head's calibration shift out of sample), fit the trees again on every training row, the
    /// tail included, so the most recent rows shape the model too.
    public var refitOnAllRows = true

    public init(until: Int? = nil, seed: UInt64 = 1, quantile: Double = 0.9) {
        self.until = until
        self.seed = seed
        self.quantile = quantile
    }
}

/// Why training could not produce a model.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    case badQuantile(Double)
    /// Fewer than 50 samples. `until` is the row `--until` stopped training at when that cut
    /// rows off some series, and nil when every row was used: only then is `--until` the hint.
    case tooLittleData(rows: Int, until: Int?)

    public var description: String {
        switch self {
        case .badQuantile(let q): "quantile \(q) is not between 0.5 and 1 (exclusive)"
        case .tooLittleData(let rows, let until?):
            "too little data to train: \(rows) usable samples before row \(until) (need at least 50; give a later --until)"
        case .tooLittleData(let rows, nil):
            "too little data to train: \(rows) usable samples (need at least 50: a sample is a row with history before it "
                + "and an observed target after it; give longer series, or more of them)"
        }
    }

    /// `until` when it is before the end of one of `lengths` (rows per series), else nil.
    static func cutting(_ until: Int?, _ lengths: some Sequence<Int>) -> Int? {
        guard let until, lengths.contains(where: { $0 > until }) else { return nil }
        return until
    }
}

/// Trains the Flowcast model and tunes the baselines on the same training rows.
public enum Trainer {
    /// `5760000 samples, 600000 of them trained on (a seeded subset)`, or `396 samples`: a model
    /// records how many samples its input had (`training.samples`), and past a trainer's
    /// `maxSamples` that count alone overstated the training set (tenfold for 20,000 series).
    public static func describe(samples count: Int, bound: Int) -> String {
        count > bound ? "\(count) samples, \(bound) of them trained on (a seeded subset)" : "\(count) samples"
    }

    /// Rows of history a series needs before its rows become training samples.
    static let minimumHistory = 12

    public static func train(_ sets: [SeriesSet], options: TrainingOptions = TrainingOptions()) throws(TrainingError) -> ForecastModel {
        guard options.quantile > 0.5, options.quantile < 1 else { throw .badQuantile(options.quantile) }
        var layout = options.layout
        let allSeries = sets.flatMap(\.series)
        if options.useCovariates, let names = allSeries.first?.covariateNames, !names.isEmpty,
           allSeries.allSatisfy({ $0.covariateNames == names }) {
            layout.covariates = names.filter { !options.excludedCovariates.contains($0) }
        }
        let d = layout.count
        var histories: [(filled: [Double], observed: [Bool], first: Int, set: Int)] = []
        var historySeries: [Series] = []
        for (setIndex, set) in sets.enumerated() {
            for series in set.series {
                let end = min(options.until ?? series.values.count, series.values.count)
                let history = fill(Array(series.values.prefix(end)))
                if let first = history.first {
                    histories.append((history.filled, history.observed, first, setIndex))
                    historySeries.append(series)
                }
            }
        }
        var row = Array(repeating: Double.nan, count: layout.covariates.count)
        var parameters = tuneBaselines(histories, sets: sets)

        // Which samples to keep is decided before any feature is built: past `maxSamples`, the same
        // seeded subset as before, chosen from the count of samples (a series' state has seen
        // t − first + 1 rows at row t, the guard below), so memory stays at `maxSamples` rows of
        // features however long the input (a 10-million-row radio log took 8.4 GB building every
        // row's features, to keep 600,000 of them).
        var eligible = 0
        for history in histories {
            for t in history.first..<history.filled.count
            where t - history.first + 1 >= minimumHistory && t + 1 < history.filled.count && history.observed[t + 1] {
                eligible += 1
            }
        }
        let kept = eligible > options.maxSamples ? seededSubset(count: eligible, keep: options.maxSamples, seed: options.seed) : nil
        var sampleIndex = -1, keptCursor = 0

        // Collect samples through the same online state that forecasting uses.
        var x: [Double] = []
        var y: [Double] = []
        var scale: [Double] = []
        var isValidation: [Bool] = []
        var residuals: [[Double]] = Array(repeating: [], count: 5)
        for (historyIndex, history) in histories.enumerated() {
            let set = sets[history.set]
            let series = historySeries[historyIndex]
            var state = SeriesState(layout: layout, seasonality: set.seasonality, step: set.step, parameters: parameters)
            let span = history.filled.count - history.first
            let validationFrom = history.first + span - Int((Double(span) * options.validationFraction).rounded())
            for t in history.first..<history.filled.count {
                if row.isEmpty {
                    state.observe(history.filled[t], at: set.time(ofRow: t))
                } else {
                    series.covariates(atRow: t, into: &row)
                    state.observe(history.filled[t], at: set.time(ofRow: t), covariates: row)
                }
                guard state.count >= minimumHistory, t + 1 < history.filled.count, history.observed[t + 1] else { continue }
                sampleIndex += 1
                if let kept {
                    guard keptCursor < kept.count, kept[keptCursor] == sampleIndex else { continue }
                    keptCursor += 1
                }
                let target = history.filled[t + 1]
                withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { f in
                    let (x0, s) = state.features(into: f)
                    x.append(contentsOf: f)
                    y.append((target - x0) / s)
                    scale.append(s)
                    isValidation.append(t + 1 >= validationFrom)
                    let b = state.baselinePoints(features: f, last: x0, scale: s)
                    for (index, point) in [b.persistence, b.seasonalDay, b.seasonalWeek, b.ewma, b.holtWinters].enumerated() {
                        residuals[index].append((target - point) / s)
                    }
                }
            }
        }
        precondition(sampleIndex + 1 == eligible, "the samples counted (\(eligible)) are the samples met (\(sampleIndex + 1))")
        guard y.count >= 50 else {
            throw .tooLittleData(rows: y.count, until: TrainingError.cutting(options.until, allSeries.lazy.map(\.values.count)))
        }
        let totalSamples = eligible

        // Weighting by scale makes the loss the error in the series' own units, as MAE and WAPE are.
        // The heads are fitted on the earlier rows; the validation tail stops boosting and
        // calibrates the upper head (with no tail, e.g. tiny inputs, everything is fitted on).
        let hasTail = isValidation.contains(true) && isValidation.contains(false)
        let fitRows = y.indices.filter { !hasTail || !isValidation[$0] }
        let tailRows = hasTail ? y.indices.filter { isValidation[$0] } : []
        func subset(_ rows: [Int]) -> (x: [Double], y: [Double], w: [Double]) {
            (Trainer.rows(rows, of: x, width: d), rows.map { y[$0] }, rows.map { scale[$0] })
        }
        let fit = subset(fitRows)
        let tail = subset(tailRows)
        let point = LinearFit.quantile(x: fit.x, columns: d, y: fit.y, weights: fit.w, tau: 0.5,
                                       iterations: options.iterations)
        var upper = LinearFit.quantile(x: fit.x, columns: d, y: fit.y, weights: fit.w, tau: options.quantile,
                                       iterations: options.iterations)
        var pointTrees: TreeEnsemble?
        var upperTrees: TreeEnsemble?
        func samples(_ part: (x: [Double], y: [Double], w: [Double]), _ weights: [Double]) -> TreeBooster.Samples {
            TreeBooster.Samples(x: part.x, y: part.y, weights: part.w,
                                base: (0..<part.y.count).map { dot(weights, part.x, row: $0, columns: d) })
        }
        /// Boosts one head's trees, stopping early on `validation` (the point head, τ 0.5, takes
        /// the point loss options).
        func boost(_ train: TreeBooster.Samples, _ validation: TreeBooster.Samples, tau: Double, seed: UInt64,
                   _ boosting: BoostingOptions) -> TreeEnsemble {
            TreeBooster.fit(train: train, validation: validation, columns: d, tau: tau,
                            options: boosting, seed: seed).ensemble
        }
        var tailPoint: TreeBooster.Samples?, tailUpper: TreeBooster.Samples?
        if let boosting = options.boosting, !tailRows.isEmpty {
            let validationPoint = samples(tail, point), validationUpper = samples(tail, upper)
            pointTrees = boost(samples(fit, point), validationPoint, tau: 0.5, seed: options.seed, boosting)
            var upperBoosting = boosting
            upperBoosting.maxTrees = min(boosting.maxUpperTrees ?? boosting.maxTrees, boosting.maxTrees)
            upperTrees = boost(samples(fit, upper), validationUpper, tau: options.quantile, seed: options.seed &+ 1, upperBoosting)
            tailPoint = validationPoint
            tailUpper = validationUpper
        }
        var shift = 0.0
        if options.calibrateUpper {
            let check = tailRows.isEmpty ? fit : tail
            let gaps = check.y.indices.map { i in
                var prediction = dot(upper, check.x, row: i, columns: d)
                if let upperTrees {
                    prediction += check.x.withUnsafeBufferPointer { upperTrees.predict($0.baseAddress! + i * d) }
                }
                return check.y[i] - prediction
            }
            shift = quantile(gaps, options.quantile)
        }
        if options.refitOnAllRows, var boosting = options.boosting, let tailPoint, let tailUpper {
            // The tail chose the tree counts; now the trees are fitted on every row, the most
            // recent included, on top of the linear heads. Only the trees: refitting the linear
            // heads as well measured no better and costs 7 s on the Abilene OD rows.
            let all = subset(Array(y.indices))
            func refit(_ chosen: TreeEnsemble?, _ weights: [Double], _ validation: TreeBooster.Samples,
                       tau: Double, seed: UInt64) -> TreeEnsemble? {
                guard let chosen, chosen.treeCount > 0 else { return chosen }  // no trees chosen: none to refit
                boosting.maxTrees = chosen.treeCount
                boosting.patience = chosen.treeCount
                return boost(samples(all, weights), validation, tau: tau, seed: seed, boosting)
            }
            pointTrees = refit(pointTrees, point, tailPoint, tau: 0.5, seed: options.seed)
            upperTrees = refit(upperTrees, upper, tailUpper, tau: options.quantile, seed: options.seed &+ 1)
        }
        upper[0] += shift
        parameters.ridgeWeights = LinearFit.ridge(x: x, columns: d, y: y, weights: scale.map { $0 * $0 }, lambda: 1e-4,
                                                  use: layout.ridgeIndices)
        let names: [ForecastMethod] = [.persistence, .seasonalDay, .seasonalWeek, .ewma, .holtWinters]
        for (index, method) in names.enumerated() {
            parameters.upperOffsets[method.rawValue] = quantile(residuals[index], options.quantile)
        }
        let ridgeResiduals = y.indices.map { i in y[i] - dot(parameters.ridgeWeights, x, row: i, columns: d) }
        parameters.upperOffsets[ForecastMethod.ridge.rawValue] = quantile(ridgeResiduals, options.quantile)

        var model = ForecastModel(id: "", quantile: options.quantile, seed: options.seed, layout: layout,
                                  featureNames: layout.names, pointWeights: point, upperWeights: upper,
                                  pointTrees: pointTrees, upperTrees: upperTrees, baselines: parameters,
                                  training: .init(sources: sets.map(\.source), series: histories.count, samples: totalSamples,
                                                  untilRow: options.until, stepSeconds: sets.first?.step,
                                                  radioTarget: sets.first { $0.radioTarget != nil }?.radioTarget?.rawValue))
        model.id = fingerprint(point + upper + parameters.ridgeWeights + (pointTrees?.leaves ?? []) + (upperTrees?.leaves ?? []))
        return model
    }

    /// Carries the last observed value over missing rows; leading missing rows stay unusable.
    static func fill(_ values: [Double]) -> (filled: [Double], observed: [Bool], first: Int?) {
        var filled = values
        var observed = Array(repeating: false, count: values.count)
        var first: Int?
        var last = Double.nan
        for (t, value) in values.enumerated() {
            if value.isNaN {
                filled[t] = last
            } else {
                observed[t] = true
                last = value
                if first == nil { first = t }
            }
        }
        return (filled, observed, first)
    }

    /// Pooled-MAE grid search for the EWMA alpha and the Holt-Winters smoothing factors.
    static func tuneBaselines(_ histories: [(filled: [Double], observed: [Bool], first: Int, set: Int)], sets: [SeriesSet]) -> BaselineParameters {
        var parameters = BaselineParameters()
        var bestError = Double.infinity
        for step in 1...20 {
            let alpha = Double(step) * 0.05
            var error = 0.0
            for history in histories {
                var level = history.filled[history.first]
                for t in (history.first + 1)..<max(history.filled.count, history.first + 1) {
                    if history.observed[t] { error += abs(history.filled[t] - level) }
                    level += alpha * (history.filled[t] - level)
                }
            }
            if error < bestError { bestError = error; parameters.ewmaAlpha = alpha }
        }
        bestError = .infinity
        for alpha in [0.1, 0.2, 0.3, 0.5, 0.7, 0.9] {
            for beta in [0.0, 0.01] {
                for gamma in [0.05, 0.1, 0.2, 0.3] {
                    var error = 0.0
                    for history in histories {
                        let period = sets[history.set].seasonality.day.flatMap { $0 <= FeatureLayout.standard.maxSeasonRows ? $0 : nil }
                        var state = HoltWintersState(period: period)
                        // Score after the first season so the seasonal terms have been learnt once.
                        let scoreFrom = history.first + min(period ?? 1, max(history.filled.count - history.first - 1, 1) / 2)
                        for t in history.first..<history.filled.count {
                            if t >= scoreFrom, history.observed[t] { error += abs(history.filled[t] - state.forecast) }
                            state.observe(history.filled[t], alpha: alpha, beta: beta, gamma: gamma)
                        }
                    }
                    if error < bestError {
                        bestError = error
                        parameters.holtWintersAlpha = alpha
                        parameters.holtWintersBeta = beta
                        parameters.holtWintersGamma = gamma
                    }
                }
            }
        }
        return parameters
    }

    static func dot(_ w: [Double], _ x: [Double], row i: Int, columns d: Int) -> Double {
        var sum = 0.0
        for j in 0..<d { sum += w[j] * x[i * d + j] }
        return sum
    }

    /// The empirical q-quantile (0 for no values).
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.filter { $0.isFinite }.sorted()
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    /// The rows `keep` of a row-major matrix `x` of `width` columns, in that order.
    static func rows(_ keep: [Int], of x: [Double], width d: Int) -> [Double] {
        var xs: [Double] = []
        xs.reserveCapacity(keep.count * d)
        for i in keep { xs.append(contentsOf: x[(i * d)..<((i + 1) * d)]) }
        return xs
    }

    /// `keep` distinct indices of 0..<count, in order, chosen by a seeded partial shuffle.
    static func seededSubset(count: Int, keep: Int, seed: UInt64) -> [Int] {
        var generator = SplitMix64(seed: seed)
        var indices = Array(0..<count)
        for i in 0..<keep {
            let j = i + Int(generator.next() % UInt64(count - i))
            indices.swapAt(i, j)
        }
        return indices.prefix(keep).sorted()
    }

    static func fingerprint(_ values: [Double]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in values {
            var bits = value.bitPattern
            for _ in 0..<8 {
                hash = (hash ^ (bits & 0xff)) &* 0x100_0000_01b3
                bits >>= 8
            }
        }
        let hex = String(hash, radix: 16)
        return "fc1-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

