internal import FlowcastCore

/// Fits `TreeEnsemble`s by gradient boosting with the pinball loss at quantile τ (τ = 0.5: L1).
///
/// Histogram based: each feature is cut into at most `bins` quantile bins once; a level's split is
/// the (feature, bin) that maximises the summed second-order gain over all nodes of the level.
/// As for any L1-type loss the gradient carries no size, so leaf values are refitted to the
/// weighted τ-quantile of the residuals in the leaf. Early stopping on a validation set.
enum TreeBooster {
    struct Samples {
        /// Row-major features, `columns` per row.
        var x: [Double]
        var y: [Double]
        var weights: [Double]
        /// The prediction the trees add to (e.g. a linear model's).
        var base: [Double]
        var count: Int { y.count }
    }

    /// Fits trees to the pinball loss at `tau` (the median at 0.5). Huber and pinball-plus-squared
    /// losses for the point head were measured and not adopted (docs/forecasting.md).
    static func fit(train: Samples, validation: Samples, columns d: Int, tau: Double,
                    options: BoostingOptions, seed: UInt64) -> (ensemble: TreeEnsemble, validationLoss: Double, baseValidationLoss: Double) {
        let n = train.count
        let depth = options.depth
        let leafCount = 1 << depth
        let edges = binEdges(train.x, columns: d, rows: n, bins: options.bins, seed: seed)
        let binCount = options.bins
        // Row-major bin codes, codes[i * d + j]: a row's histogram updates then go to d different
        // places, so they do not wait on each other.
        var codes = [UInt8](repeating: 0, count: n * d)
        for i in 0..<n {
            for j in 0..<d { codes[i * d + j] = UInt8(lowerBound(edges[j], train.x[i * d + j])) }
        }
        var prediction = train.base
        var validationPrediction = validation.base
        func loss(_ s: Samples, _ p: [Double]) -> Double {
            var total = 0.0
            for i in 0..<s.count {
                let r = s.y[i] - p[i]
                total += s.weights[i] * (r >= 0 ? tau * r : (tau - 1) * r)
            }
            return total
        }
        let baseValidationLoss = loss(validation, validationPrediction)
        var bestLoss = baseValidationLoss
        var bestTrees = 0
        var ensemble = TreeEnsemble(depth: depth)
        var generator = SplitMix64(seed: seed &+ 0x5eed)
        var gradient = [Double](repeating: 0, count: n)
        var node = [Int](repeating: 0, count: n)
        // Histograms: [node][feature][bin] × (gradient, hessian, rows).
        let block = d * binCount * 3
        let histogramSize = d * leafCount * binCount
        var histogram = [Double](repeating: 0, count: histogramSize * 3)
        var previous = histogram
        var inBag: [Int] = []
        inBag.reserveCapacity(n)
        var builtRows: [Int] = []
        builtRows.reserveCapacity(n)
        var nodeRows = [Int](repeating: 0, count: leafCount)
        var buildRight = [Bool](repeating: false, count: leafCount)

        for _ in 0..<options.maxTrees {
            inBag.removeAll(keepingCapacity: true)
            if options.rowFraction >= 1 {
                inBag.append(contentsOf: 0..<n)
            } else {
                // 2^64 × fraction, computed below 2^64 (Double(UInt64.max) rounds up to 2^64, which traps).
                let threshold = UInt64(Double(1 << 62) * max(options.rowFraction, 0)) << 2
                for i in 0..<n where generator.next() < threshold { inBag.append(i) }
            }
            for i in inBag {
                let r = train.y[i] - prediction[i]
                gradient[i] = train.weights[i] * (r > 0 ? tau : tau - 1)
                node[i] = 0
            }
            var treeFeatures: [Int] = []
            var treeThresholds: [Double] = []
            var treeBins: [Int] = []
            for level in 0..<depth {
                let nodes = 1 << level
                let half = nodes / 2
                // Rows to histogram: all at the root, then of each pair of children only the one with
                // fewer rows; the other's histogram is the parent's minus it.
                builtRows.removeAll(keepingCapacity: true)
                if level == 0 {
                    builtRows = inBag
                } else {
                    for k in 0..<nodes { nodeRows[k] = 0 }
                    for i in inBag { nodeRows[node[i]] += 1 }
                    for parent in 0..<half { buildRight[parent] = nodeRows[parent + half] < nodeRows[parent] }
                    for i in inBag {
                        let v = node[i]
                        if v < half ? !buildRight[v] : buildRight[v - half] { builtRows.append(i) }
                    }
                }
                let rowCount = builtRows.count
                let rowGradient = builtRows.map { gradient[$0] }
                let rowWeight = builtRows.map { train.weights[$0] }
                let rowSlot = builtRows.map { node[$0] * block }
                histogram.withUnsafeMutableBufferPointer { h in
                    for k in 0..<(nodes * block) { h[k] = 0 }  // the level's nodes only
                    codes.withUnsafeBufferPointer { c in
                        builtRows.withUnsafeBufferPointer { rows in
                            rowGradient.withUnsafeBufferPointer { g in
                                rowWeight.withUnsafeBufferPointer { w in
                                    rowSlot.withUnsafeBufferPointer { slot in
                                        for r in 0..<rowCount {
                                            let rowCodes = c.baseAddress! + rows[r] &* d
                                            let slab = h.baseAddress! + slot[r]
                                            let gr = g[r], wr = w[r]
                                            for j in 0..<d {
                                                let at = (j &* binCount &+ Int(rowCodes[j])) &* 3
                                                slab[at] += gr
                                                slab[at &+ 1] += wr
                                                slab[at &+ 2] += 1
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if level > 0 {
                        previous.withUnsafeBufferPointer { p in
                            for parent in 0..<half {
                                // The parent's histogram is at the left child's slot of the level before.
                                let from = parent * block
                                let (built, derived) = buildRight[parent] ? ((parent + half) * block, parent * block)
                                                                          : (parent * block, (parent + half) * block)
                                for k in 0..<block { h[derived + k] = p[from + k] - h[built + k] }
                            }
                        }
                    }
                }
                // Best (feature, bin) by summed gain G²/H over the level's nodes.
                var bestGain = 0.0
                var bestFeature = -1
                var bestBin = 0
                histogram.withUnsafeBufferPointer { h in
                    for j in 0..<d where edges[j].count > 0 {
                        var gain = [Double](repeating: 0, count: edges[j].count)
                        for v in 0..<nodes {
                            let base = v * block + j * binCount * 3
                            var totalG = 0.0, totalH = 0.0, totalC = 0.0
                            for b in 0..<binCount {
                                totalG += h[base + b * 3]; totalH += h[base + b * 3 + 1]; totalC += h[base + b * 3 + 2]
                            }
                            guard totalH > 0 else { continue }
                            let parentScore = totalG * totalG / totalH
                            var g = 0.0, hh = 0.0, cc = 0.0
                            for b in 0..<edges[j].count {
                                g += h[base + b * 3]; hh += h[base + b * 3 + 1]; cc += h[base + b * 3 + 2]
                                let rc = totalC - cc
                                guard cc >= Double(options.minLeafRows), rc >= Double(options.minLeafRows) else { continue }
                                let rg = totalG - g, rh = totalH - hh
                                gain[b] += g * g / hh + rg * rg / rh - parentScore
                            }
                        }
                        for b in 0..<gain.count where gain[b] > bestGain {
                            bestGain = gain[b]; bestFeature = j; bestBin = b
                        }
                    }
                }
                if bestFeature < 0 { break }
                treeFeatures.append(bestFeature)
                treeThresholds.append(edges[bestFeature][bestBin])
                treeBins.append(bestBin)
                for i in inBag where Int(codes[i * d + bestFeature]) > bestBin { node[i] |= 1 << level }
                swap(&histogram, &previous)
            }
            guard !treeFeatures.isEmpty else { break }
            // Pad shallow trees with a split nobody takes, so every tree has `depth` levels.
            while treeFeatures.count < depth {
                treeFeatures.append(treeFeatures[0]); treeThresholds.append(.greatestFiniteMagnitude); treeBins.append(Int.max)
            }
            // Leaf values: the weighted τ-quantile of the in-bag residuals in each leaf.
            var members = [[Int]](repeating: [], count: leafCount)
            for i in inBag { members[node[i]].append(i) }
            var leafValues = [Double](repeating: 0, count: leafCount)
            for leaf in 0..<leafCount where members[leaf].count >= options.minLeafRows {
                let rows = members[leaf]
                let residuals = rows.map { train.y[$0] - prediction[$0] }
                let weights = rows.map { train.weights[$0] }
                leafValues[leaf] = options.learningRate * weightedQuantile(residuals, weights, tau)
            }
            // Update every training and validation prediction.
            for i in 0..<n {
                var index = 0
                for level in 0..<depth where treeBins[level] != Int.max && Int(codes[i * d + treeFeatures[level]]) > treeBins[level] {
                    index |= 1 << level
                }
                prediction[i] += leafValues[index]
            }
            let tree = TreeEnsemble(depth: depth, features: treeFeatures, thresholds: treeThresholds, leaves: leafValues)
            validation.x.withUnsafeBufferPointer { vx in
                for i in 0..<validation.count { validationPrediction[i] += tree.predict(vx.baseAddress! + i * d) }
            }
            ensemble.features += treeFeatures
            ensemble.thresholds += treeThresholds
            ensemble.leaves += leafValues
            let current = loss(validation, validationPrediction)
            if current < bestLoss * (1 - 1e-9) {
                bestLoss = current
                bestTrees = ensemble.treeCount
            } else if ensemble.treeCount - bestTrees >= options.patience {
                break
            }
        }
        ensemble.features = Array(ensemble.features.prefix(bestTrees * depth))
        ensemble.thresholds = Array(ensemble.thresholds.prefix(bestTrees * depth))
        ensemble.leaves = Array(ensemble.leaves.prefix(bestTrees * leafCount))
        return (ensemble, bestLoss, baseValidationLoss)
    }

    /// Per feature, up to `bins − 1` ascending cut points at quantiles of a seeded sample of rows.
    static func binEdges(_ x: [Double], columns d: Int, rows n: Int, bins: Int, seed: UInt64) -> [[Double]] {
        var generator = SplitMix64(seed: seed &+ 0xb1)
        let sampleSize = min(n, 50_000)
        let rows = n <= sampleSize ? Array(0..<n) : (0..<sampleSize).map { _ in Int(generator.next() % UInt64(n)) }
        return (0..<d).map { j in
            let values = rows.map { x[$0 * d + j] }.sorted()
            var unique: [Double] = []
            for v in values where unique.last != v { unique.append(v) }
            guard unique.count > 1 else { return [] }
            if unique.count <= bins { return Array(unique.dropLast()) }
            var cuts: [Double] = []
            for b in 1..<bins {
                let v = values[min(values.count - 1, b * values.count / bins)]
                // Cut between two distinct values so ties stay together.
                if cuts.last.map({ v > $0 }) ?? true, v < unique.last! { cuts.append(v) }
            }
            return cuts
        }
    }

    /// Index of the first edge ≥ value (= the bin of value; values ≤ edges[b] fall in bins ≤ b).
    @inline(__always)
    static func lowerBound(_ edges: [Double], _ value: Double) -> Int {
        var low = 0, high = edges.count
        while low < high {
            let mid = (low + high) / 2
            if edges[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The weighted τ-quantile: the smallest value whose cumulative weight reaches τ of the total.
    static func weightedQuantile(_ values: [Double], _ weights: [Double], _ tau: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        // Sorting (value, weight) pairs, not indices into the two arrays: contiguous, and this sort
        // was a tenth of the training time.
        var pairs = Array(zip(values, weights))
        pairs.sort { $0.0 < $1.0 }
        let total = weights.reduce(0, +)
        var cumulative = 0.0
        for (value, weight) in pairs {
            cumulative += weight
            if cumulative >= tau * total { return value }
        }
        return pairs[pairs.count - 1].0
    }
}
