/// Options for training the interval model (`flowcast train --horizon`).
public struct IntervalTrainingOptions: Sendable {
    /// Forecast the mean of the next this many seconds.
    public var horizonSeconds: Double
    /// What was read from radio KPI logs (stored in the model, checked on use); nil for other series.
    public var target: RadioTarget?
    /// Train on origins whose whole target window lies before this 0-based row (nil: all rows).
    public var until: Int?
    public var seed: UInt64 = 1
    /// Boosted trees on top of the linear heads (nil: linear heads only).
    public var boosting: BoostingOptions? = IntervalTrainingOptions.defaultBoosting
    /// Fit the linear part of each head (off: trees only, from the recent mean).
    public var linear = true
    /// Ridge penalty of the linear parts, × the mean diagonal of XᵀWX: shrinks them towards the
    /// recent mean (all-zero weights), which the long-window features otherwise overshoot on
    /// traces unlike the training ones. 0.1 chosen on four folds of the training traces (SE, 300 s:
    /// 1.039 × recentMean unpenalised, 0.979 at 0.1, 0.980 at 1; docs/forecasting.md).
    public var ridge = 0.1
    public var useCovariates = true
    public var excludedCovariates: Set<String> = []
    /// Every this many rows is a training origin (neighbouring origins share almost all their
    /// target window, so every row adds little but time).
    public var originStride = 1
    /// Each tree leaf holds at least this many horizons of training origins (and at least the
    /// booster's `minLeafRows`): 3 chosen on four folds of the 5G training traces (SE, 300 s: 0.979 ×
    /// recentMean with leaves of 100 origins, 0.993 at 1 horizon, 0.953 at 2, 0.931 at 3, 0.957
    /// at 6; docs/forecasting.md).
    public var minLeafHorizons = 3.0
    /// Training samples kept at most; beyond this a seeded random subset is used.
    public var maxSamples = 400_000
    /// Refit the trees on every training row (the validation series included) once the
    /// validation series have chosen how many.
    public var refitOnAllRows = true
    /// Hold out every fifth series for early stopping and calibration (false: the last fifth of
    /// every series' origins).
    public var validationBySeries = true
    /// Stop boosting on the last fifth of every fitted series' origins (the held-out series still
    /// calibrate the band and measure the model against the rule).
    public var stopOnTail = false

    /// Interval heads: 64 depth-6 trees each at most, every head the same.
    public static var defaultBoosting: BoostingOptions {
        var options = BoostingOptions()
        options.maxTrees = 64
        options.maxUpperTrees = nil
        return options
    }

    public init(horizonSeconds: Double, target: RadioTarget? = nil, until: Int? = nil, seed: UInt64 = 1) {
        self.horizonSeconds = horizonSeconds
        self.target = target
        self.until = until
        self.seed = seed
    }
}

/// Trains the interval model and tunes its baselines on the same origins.
public enum IntervalTrainer {
    /// EWMA smoothing factors tried (per row).
    static let ewmaGrid: [Double] = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1]

    /// The series of `sets` each give origins; every fifth series (in input order) is held out for
    /// early stopping and band calibration when there are at least five, else the last fifth of
    /// every series' origins.
    public static func train(_ sets: [SeriesSet], options: IntervalTrainingOptions) throws -> IntervalModel {
        let horizon = options.horizonSeconds
        let all = sets.flatMap(\.series)
        var covariates: [String] = []
        if options.useCovariates, let first = all.first, !first.covariateNames.isEmpty,
           all.allSatisfy({ $0.covariateNames == first.covariateNames }) {
            covariates = first.covariateNames.filter { !options.excludedCovariates.contains($0) }
        }
        let d = IntervalSeries.featureCount(covariates: covariates.count)
        let byName = all.count >= 5 && options.validationBySeries
        var x: [Double] = [], y: [Double] = [], scale: [Double] = [], isValidation: [Bool] = [], isTail: [Bool] = []
        var residuals: [IntervalMethod: [Double]] = [:]
        var ewmaErrors = [Double](repeating: 0, count: ewmaGrid.count)
        var seriesIndex = 0
        var validationSeries = 0
        var f = [Double](repeating: 0, count: d)
        // Past `maxSamples` origins, which to keep is decided before any feature is built (the
        // same seeded subset of the same count as before), so features take `maxSamples` rows of
        // memory however long the input. The count needs a pass of its own, made only when the
        // origins could outnumber `maxSamples` (each series gives at most one per stride of rows).
        let possible = all.reduce(0) { $0 + (min(options.until ?? $1.values.count, $1.values.count) + options.originStride - 1) / options.originStride }
        var kept: [Int]?
        var eligible = 0
        for counting in possible > options.maxSamples ? [true, false] : [false] {
            if !counting, eligible > options.maxSamples {
                kept = Trainer.seededSubset(count: eligible, keep: options.maxSamples, seed: options.seed)
            }
            seriesIndex = 0
            validationSeries = 0
            var sampleIndex = -1, keptCursor = 0
            for set in sets {
                guard let step = set.step else { throw HorizonError.noTimestamps(path: set.source) }
                try HorizonError.check(path: set.source, horizon: horizon, step: step)
                for series in set.series {
                    defer { seriesIndex += 1 }
                    let prepared = IntervalSeries(series: series, step: step, horizon: horizon,
                                                  covariateColumns: series.covariateColumns(for: covariates), day: set.seasonality.day)
                    let held = byName && seriesIndex % 5 == 4
                    if held { validationSeries += 1 }
                    let limit = min(options.until ?? prepared.rowCount, prepared.rowCount)
                    let tailFrom = byName && !options.stopOnTail ? Int.max : Int(Double(limit) * 0.8)
                    var ewma = [Double](repeating: .nan, count: ewmaGrid.count)
                    for t in 0..<limit {
                        let v = prepared.values[t]
                        if !v.isNaN {
                            for k in ewma.indices { ewma[k] = ewma[k].isNaN ? v : ewma[k] + ewmaGrid[k] * (v - ewma[k]) }
                        }
                        guard t % options.originStride == 0, t + prepared.horizonRows < limit,
                              let origin = prepared.origin(t), let target = prepared.target(t) else { continue }
                        sampleIndex += 1
                        if counting { continue }
                        let s = origin.scale
                        if kept.map({ keptCursor < $0.count && $0[keptCursor] == sampleIndex }) ?? true {
                            keptCursor += 1
                            prepared.features(t, origin: origin, into: &f)
                            x.append(contentsOf: f)
                            y.append((target - origin.recentMean) / s)
                            scale.append(s)
                            isValidation.append(held || (!byName && t >= tailFrom))
                            isTail.append(!held && t >= tailFrom)
                        }
                        // The baselines' errors and residuals are of every origin, kept or not, as before.
                        for k in ewma.indices { ewmaErrors[k] += abs(target - ewma[k]) }
                        residuals[.persistence, default: []].append((target - origin.last) / s)
                        residuals[.recentMean, default: []].append((target - origin.recentMean) / s)
                        residuals[.seasonal, default: []].append((target - (prepared.seasonal(t) ?? origin.last)) / s)
                    }
                }
            }
            if counting { eligible = sampleIndex + 1 }
        }
        guard y.count >= 50 else {
            throw TrainingError.tooLittleData(rows: y.count, until: TrainingError.cutting(options.until, all.lazy.map(\.values.count)))
        }
        let totalSamples = kept == nil ? y.count : eligible
        let alpha = ewmaGrid[ewmaErrors.indices.min { ewmaErrors[$0] < ewmaErrors[$1] } ?? 0]
        // The EWMA residuals need the chosen alpha: a second, cheap pass.
        var ewmaResiduals: [Double] = []
        for set in sets {
            guard let step = set.step else { continue }
            for series in set.series {
                let prepared = IntervalSeries(series: series, step: step, horizon: horizon, covariateColumns: [], day: nil)
                let limit = min(options.until ?? prepared.rowCount, prepared.rowCount)
                var e = Double.nan
                for t in 0..<limit {
                    let v = prepared.values[t]
                    if !v.isNaN { e = e.isNaN ? v : e + alpha * (v - e) }
                    guard t % options.originStride == 0, t + prepared.horizonRows < limit,
                          let origin = prepared.origin(t), let target = prepared.target(t) else { continue }
                    ewmaResiduals.append((target - e) / origin.scale)
                }
            }
        }
        var bandOffsets: [String: [Double]] = [:]
        for (method, r) in residuals { bandOffsets[method.rawValue] = [Trainer.quantile(r, 0.1), Trainer.quantile(r, 0.9)] }
        bandOffsets[IntervalMethod.ewma.rawValue] = [Trainer.quantile(ewmaResiduals, 0.1), Trainer.quantile(ewmaResiduals, 0.9)]

        let hasValidation = isValidation.contains(true) && isValidation.contains(false)
        // With `stopOnTail` the trees stop on the last fifth of the other series' origins and the
        // held-out series only calibrate the band and measure the model against the rule.
        let stopOnTail = hasValidation && isTail.contains(true)
        let fitRows = y.indices.filter { !hasValidation || (!isValidation[$0] && !(stopOnTail && isTail[$0])) }
        let checkRows = hasValidation ? y.indices.filter { isValidation[$0] } : fitRows
        let stopRows = stopOnTail ? y.indices.filter { isTail[$0] } : checkRows
        func subset(_ rows: [Int]) -> (x: [Double], y: [Double], w: [Double]) {
            (Trainer.rows(rows, of: x, width: d), rows.map { y[$0] }, rows.map { scale[$0] })
        }
        let fit = subset(fitRows), check = subset(checkRows), stop = subset(stopRows), everything = subset(Array(y.indices))
        func samples(_ part: (x: [Double], y: [Double], w: [Double]), _ weights: [Double]) -> TreeBooster.Samples {
            TreeBooster.Samples(x: part.x, y: part.y, weights: part.w,
                                base: (0..<part.y.count).map { Trainer.dot(weights, part.x, row: $0, columns: d) })
        }
        // A leaf needs `minLeafHorizons` horizons' worth of origins: neighbouring origins share
        // most of their target window, so at long horizons a leaf of `minLeafRows` origins is a
        // few independent outcomes of one trace, and the trees learn traces, not patterns.
        var options = options
        if let step = sets.compactMap(\.step).min(), step > 0, let boosting = options.boosting {
            let rows = Int((options.minLeafHorizons * horizon / step / Double(options.originStride)).rounded())
            options.boosting?.minLeafRows = max(boosting.minLeafRows, rows)
        }
        func head(tau: Double, seed: UInt64) -> (head: IntervalHead, check: [Double]) {
            let weights = options.linear
                ? LinearFit.quantile(x: fit.x, columns: d, y: fit.y, weights: fit.w, tau: tau, iterations: 12, lambda: options.ridge)
                : [Double](repeating: 0, count: d)
            var trees: TreeEnsemble?
            if let boosting = options.boosting {
                let validation = samples(stop, weights)
                trees = TreeBooster.fit(train: samples(fit, weights), validation: validation, columns: d, tau: tau,
                                        options: boosting, seed: seed).ensemble.heldToFileBound()
            }
            var head = IntervalHead(tau: tau, weights: weights, trees: trees, shift: 0)
            let predictions = check.x.withUnsafeBufferPointer { buffer in
                (0..<check.y.count).map { i in head.predict(UnsafeBufferPointer(rebasing: buffer[(i * d)..<((i + 1) * d)])) }
            }
            if tau != 0.5 {
                // Out of sample: the band's coverage on the validation series is made exactly tau.
                head.shift = Trainer.quantile(check.y.indices.map { check.y[$0] - predictions[$0] }, tau)
            }
            if options.refitOnAllRows, hasValidation, var boosting = options.boosting, let chosen = trees, chosen.treeCount > 0 {
                boosting.maxTrees = chosen.treeCount
                boosting.patience = chosen.treeCount
                head.trees = TreeBooster.fit(train: samples(everything, weights), validation: samples(check, weights), columns: d,
                                             tau: tau, options: boosting, seed: seed).ensemble.heldToFileBound()
            }
            return (head, predictions)
        }
        let (lower, _) = head(tau: 0.1, seed: options.seed &+ 2)
        let (point, pointCheck) = head(tau: 0.5, seed: options.seed)
        let (upper, _) = head(tau: 0.9, seed: options.seed &+ 1)
        var modelError = 0.0, ruleError = 0.0
        for i in check.y.indices {
            modelError += check.w[i] * abs(check.y[i] - pointCheck[i])
            ruleError += check.w[i] * abs(check.y[i])
        }
        let n = Double(max(check.y.count, 1))
        let validation = IntervalModel.ValidationSummary(series: byName ? validationSeries : 0, origins: check.y.count,
                                                         flowcastMAE: modelError / n, recentMeanMAE: ruleError / n)
        var model = IntervalModel(
            id: "", horizonSeconds: horizon, target: options.target?.rawValue, covariates: covariates,
            featureNames: IntervalSeries.featureNames(covariates: covariates), lower: lower, point: point, upper: upper,
            ewmaAlpha: alpha, bandOffsets: bandOffsets, validation: validation,
            training: .init(sources: sets.map(\.source), series: all.count, samples: totalSamples, untilRow: options.until,
                            stepSeconds: sets.first?.step))
        let parts = [lower, point, upper].flatMap { $0.weights + ($0.trees?.leaves ?? []) + [$0.shift] }
        model.id = Trainer.fingerprint(parts + [horizon])
        return model
    }
}

extension TreeEnsemble {
    /// The ensemble with every leaf held to the ±1e6 scale units a model file may hold
    /// (`ModelFile.maximumScaleValue`). A leaf past it comes only from origins whose scale is the
    /// 1e-9 floor (a series silent over its whole scale window: an Abilene OD pair before its
    /// traffic starts, a 5G trace between downloads), which the trees split off by their log
    /// scale: there a leaf of 7.8e6 is a forecast 0.0078 units off the recent mean, and held to
    /// 1e6, 0.001. `train --horizon 15m` on Abilene wrote such a leaf, and `evaluate` refused the
    /// model (an audit). Clipping the training targets instead changed every 5G model (held-out DL
    /// 60 s 0.882 → 0.902 × recentMean at ±1000): those origins shape the trees' splits. A model
    /// with no such leaf is unchanged, its id too.
    func heldToFileBound() -> TreeEnsemble {
        let bound = ModelFile.maximumScaleValue
        guard leaves.contains(where: { abs($0) > bound }) else { return self }
        var held = self
        held.leaves = leaves.map { min(max($0, -bound), bound) }
        return held
    }
}
