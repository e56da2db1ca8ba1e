internal import FlowcastCore
/// An additive ensemble of oblivious (symmetric) regression trees: every tree splits all nodes of
/// a level on the same feature and threshold, so a tree of depth d is d independent comparisons
/// that form a leaf index — branch free and cheap enough for the per-window hot path.
public struct TreeEnsemble: Sendable, Equatable, Codable {
    /// Levels per tree (leaves per tree = 2^depth).
    public var depth: Int
    /// Per tree and level, the feature index compared (trees × depth).
    public var features: [Int]
    /// Per tree and level, the threshold: values above it go right (bit set in the leaf index).
    public var thresholds: [Double]
    /// Per tree, its 2^depth leaf values, learning rate already applied (trees × 2^depth).
    public var leaves: [Double]

    public init(depth: Int, features: [Int] = [], thresholds: [Double] = [], leaves: [Double] = []) {
        self.depth = depth
        self.features = features
        self.thresholds = thresholds
        self.leaves = leaves
    }

    public var treeCount: Int { depth > 0 ? features.count / depth : 0 }

    /// True when the arrays agree with each other and every index is inside a `featureCount` vector.
    func isConsistent(featureCount: Int) -> Bool {
        guard depth >= 1, depth <= 12, features.count == thresholds.count, features.count % depth == 0,
              leaves.count == treeCount << depth else { return false }
        return features.allSatisfy { $0 >= 0 && $0 < featureCount } && (thresholds + leaves).allSatisfy(\.isFinite)
    }

    /// The ensemble's output for one feature vector.
    @inline(__always)
    func predict(_ f: UnsafePointer<Double>) -> Double {
        features.withUnsafeBufferPointer { feature in
            thresholds.withUnsafeBufferPointer { threshold in
                leaves.withUnsafeBufferPointer { leaf in
                    Self.sum(f, feature.baseAddress!, threshold.baseAddress!, leaf.baseAddress!, trees: treeCount, depth: depth)
                }
            }
        }
    }

    /// The hot loop: comparisons become bits without branches, so the cost is flat per level.
    @inline(__always)
    static func sum(_ f: UnsafePointer<Double>, _ feature: UnsafePointer<Int>, _ threshold: UnsafePointer<Double>,
                            _ leaf: UnsafePointer<Double>, trees: Int, depth: Int) -> Double {
        @inline(__always) func bit(_ k: Int, _ node: Int) -> Int {
            Int(unsafeBitCast(f[feature[node &+ k]] > threshold[node &+ k], to: UInt8.self)) &<< k
        }
        var total = 0.0
        var node = 0
        var leafBase = 0
        let leafCount = 1 &<< depth
        // Usual depths get a loop the compiler unrolls: constant shifts, no inner loop.
        // Two trees per step into two sums, so the additions do not wait on each other.
        @inline(__always) func unrolled(_ depth: Int) -> Double {
            var even = 0.0
            var odd = 0.0
            var node = 0
            var leafBase = 0
            let leafCount = 1 &<< depth
            for _ in 0..<(trees / 2) {
                var first = 0
                var second = 0
                for k in 0..<depth {
                    first |= bit(k, node)
                    second |= bit(k, node &+ depth)
                }
                even += leaf[leafBase &+ first]
                odd += leaf[leafBase &+ leafCount &+ second]
                node &+= 2 &* depth
                leafBase &+= 2 &* leafCount
            }
            if trees % 2 == 1 {
                var index = 0
                for k in 0..<depth { index |= bit(k, node) }
                even += leaf[leafBase &+ index]
            }
            return even + odd
        }
        switch depth {
        case 5: return unrolled(5)
        case 6: return unrolled(6)
        case 7: return unrolled(7)
        case 8: return unrolled(8)
        default: break
        }
        for _ in 0..<trees {
            var index = 0
            for level in 0..<depth {
                let above = f[feature[node &+ level]] > threshold[node &+ level]
                index |= Int(UInt8(truncatingIfNeeded: unsafeBitCast(above, to: UInt8.self))) &<< level
            }
            total += leaf[leafBase &+ index]
            node &+= depth
            leafBase &+= leafCount
        }
        return total
    }
}

/// Settings for gradient boosting of oblivious trees.
public struct BoostingOptions: Sendable, Equatable {
    /// Trees at most (early stopping may end sooner), for the point head.
    /// 64 point and 24 upper depth-6 trees keep a forecast under 1 µs (tools/bench-model.sh). The
    /// point head gains from more trees (OD MAE 0.909 → 0.904 × persistence on the main split,
    /// 0.834 → 0.829 on the earlier one, against 40); the upper head, whose pinball loss is far
    /// inside its goal, does not need them: 24 instead of 32 moved the pinball loss by at most 1 %
    /// on every split and gave the 5G DL hot path back its margin (docs/forecasting.md).
    public var maxTrees = 64
    /// Trees at most for the upper head, and never more than `maxTrees` (nil: `maxTrees`).
    public var maxUpperTrees: Int? = 24
    public var depth = 6
    public var learningRate = 0.25
    /// Histogram bins per feature (at most 256).
    public var bins = 64
    /// Fraction of training rows each tree sees (seeded when below 1). Every row (1) measured better
    /// than half (0.5) on the 5G DL traces (all 77, 5 folds: MAE 0.761 → 0.753 × persistence;
    /// held-out 24: 0.897 → 0.881) and level on the Abilene splits, and costs about 1.5× the
    /// training time (docs/forecasting.md).
    public var rowFraction = 1.0
    /// A leaf needs at least this many rows to get a value; smaller leaves output 0.
    public var minLeafRows = 100
    /// Stop after this many trees without a better validation loss.
    public var patience = 20

    public init() {}
}

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

/// An ensemble laid out for the hot path: trees in groups of eight, each level's eight feature
/// indices and thresholds side by side, so one `SIMD8` comparison makes a level's bit for eight
/// trees at once. Measured on this machine (x86-64 baseline, SSE2): 96 depth-6 trees in 430 ns
/// instead of 530 ns one tree at a time. The last group is padded with trees whose thresholds are
/// +∞ (never above: leaf 0) and whose leaves are 0. Owned memory, freed with `free()`; the sum
/// equals `TreeEnsemble.predict` up to the order of the additions.
struct PackedTrees {
    let groups: Int
    let depth: Int
    /// groups × depth × 8
    private let features: UnsafeMutablePointer<Int32>
    private let thresholds: UnsafeMutablePointer<Double>
    /// groups × 8 × 2^depth (tree-major, as in `TreeEnsemble.leaves`)
    private let leaves: UnsafeMutablePointer<Double>

    init(_ ensemble: TreeEnsemble?) {
        let e = ensemble ?? TreeEnsemble(depth: 1)
        let trees = e.treeCount
        depth = e.depth
        groups = (trees + 7) / 8
        let leafCount = 1 << depth
        let nodes = max(groups * depth * 8, 1)
        features = .allocate(capacity: nodes)
        features.initialize(repeating: 0, count: nodes)
        thresholds = .allocate(capacity: nodes)
        thresholds.initialize(repeating: .infinity, count: nodes)
        leaves = .allocate(capacity: max(groups * 8 * leafCount, 1))
        leaves.initialize(repeating: 0, count: max(groups * 8 * leafCount, 1))
        for tree in 0..<trees {
            let (group, lane) = tree.quotientAndRemainder(dividingBy: 8)
            for level in 0..<depth {
                let slot = (group * depth + level) * 8 + lane
                features[slot] = Int32(e.features[tree * depth + level])  // < feature count (checked on load)
                thresholds[slot] = e.thresholds[tree * depth + level]
            }
            for leaf in 0..<leafCount { leaves[tree * leafCount + leaf] = e.leaves[tree * leafCount + leaf] }
        }
    }

    func free() {
        features.deallocate()
        thresholds.deallocate()
        leaves.deallocate()
    }

    @inline(__always)
    func predict(_ f: UnsafePointer<Double>) -> Double {
        var total = SIMD8<Double>()
        let leafCount = Int64(1) << Int64(depth)
        let lanes = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7) &* leafCount
        var slot = 0
        var leafBase: Int64 = 0
        for _ in 0..<groups {
            var index = SIMD8<Int64>()
            for level in 0..<depth {
                let i = features + slot
                let values = SIMD8<Double>(f[Int(i[0])], f[Int(i[1])], f[Int(i[2])], f[Int(i[3])],
                                           f[Int(i[4])], f[Int(i[5])], f[Int(i[6])], f[Int(i[7])])
                let limits = UnsafeRawPointer(thresholds + slot).loadUnaligned(as: SIMD8<Double>.self)
                index |= SIMD8<Int64>(repeating: 0).replacing(with: 1 &<< Int64(level), where: values .> limits)
                slot &+= 8
            }
            let at = index &+ lanes &+ leafBase
            total += SIMD8<Double>(leaves[Int(at[0])], leaves[Int(at[1])], leaves[Int(at[2])], leaves[Int(at[3])],
                                   leaves[Int(at[4])], leaves[Int(at[5])], leaves[Int(at[6])], leaves[Int(at[7])])
            leafBase &+= 8 &* leafCount
        }
        return total.sum()
    }
}
