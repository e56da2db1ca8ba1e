import FlowcastCore
import Testing
@testable import FlowcastModel

@Suite struct TreeEnsembleTests {
    /// Level k's comparison sets bit k of the leaf index; values above the threshold go right.
    @Test func leafIndexFollowsTheLevelBits() {
        let tree = TreeEnsemble(depth: 2, features: [0, 1], thresholds: [0.5, 10], leaves: [1, 2, 3, 4])
        func predict(_ a: Double, _ b: Double) -> Double { [a, b].withUnsafeBufferPointer { tree.predict($0.baseAddress!) } }
        #expect(predict(0.5, 10) == 1)  // neither above: leaf 0
        #expect(predict(0.6, 10) == 2)  // level 0 above: leaf 1
        #expect(predict(0.5, 11) == 3)  // level 1 above: leaf 2
        #expect(predict(0.6, 11) == 4)  // both: leaf 3
    }

    @Test func treesAddUpAndEveryUnrolledDepthAgreesWithTheGeneralLoop() {
        // One ensemble per depth 1…9 (5–8 take the unrolled path), checked against a direct walk.
        var generator = SplitMix64(seed: 11)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
        for depth in 1...9 {
            let trees = 7
            let ensemble = TreeEnsemble(depth: depth,
                                        features: (0..<(trees * depth)).map { _ in Int(generator.next() % 4) },
                                        thresholds: (0..<(trees * depth)).map { _ in uniform() },
                                        leaves: (0..<(trees << depth)).map { _ in uniform() - 0.5 })
            for _ in 0..<20 {
                let f = (0..<4).map { _ in uniform() }
                var expected = 0.0
                for t in 0..<trees {
                    var index = 0
                    for k in 0..<depth where f[ensemble.features[t * depth + k]] > ensemble.thresholds[t * depth + k] { index += 1 << k }
                    expected += ensemble.leaves[(t << depth) + index]
                }
                let got = f.withUnsafeBufferPointer { ensemble.predict($0.baseAddress!) }
                #expect(abs(got - expected) < 1e-12, "depth \(depth)")
            }
        }
    }

    /// Data where the median of y steps at x₀ = 0.3 and y's spread grows with x₁.
    static func stepData(rows: Int, seed: UInt64) -> TreeBooster.Samples {
        var generator = SplitMix64(seed: seed)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
        var x: [Double] = []
        var y: [Double] = []
        for _ in 0..<rows {
            let a = uniform(), b = uniform()
            x += [1, a, b]
            y.append((a > 0.3 ? 2 : -1) + (uniform() - 0.5) * 2 * b)
        }
        return TreeBooster.Samples(x: x, y: y, weights: Array(repeating: 1, count: rows), base: Array(repeating: 0, count: rows))
    }

    static var smallOptions: BoostingOptions {
        var options = BoostingOptions()
        options.depth = 3
        options.maxTrees = 40
        options.learningRate = 0.3
        options.minLeafRows = 20
        options.bins = 32
        return options
    }

    @Test func medianBoostingFindsTheStep() {
        let fit = TreeBooster.fit(train: Self.stepData(rows: 3000, seed: 1), validation: Self.stepData(rows: 1000, seed: 2),
                                  columns: 3, tau: 0.5, options: Self.smallOptions, seed: 1)
        #expect(fit.validationLoss < 0.3 * fit.baseValidationLoss)
        for (a, expected) in [(0.1, -1.0), (0.25, -1.0), (0.35, 2.0), (0.9, 2.0)] {
            let got = [1, a, 0.5].withUnsafeBufferPointer { fit.ensemble.predict($0.baseAddress!) }
            #expect(abs(got - expected) < 0.15, "x₀ = \(a): \(got)")
        }
        #expect(!fit.ensemble.features.contains(0))  // the constant bias column is never split on
    }

    @Test func quantileBoostingCoversItsQuantileOnUnseenRows() {
        let test = Self.stepData(rows: 4000, seed: 3)
        let fit = TreeBooster.fit(train: Self.stepData(rows: 3000, seed: 1), validation: Self.stepData(rows: 1000, seed: 2),
                                  columns: 3, tau: 0.9, options: Self.smallOptions, seed: 1)
        let covered = (0..<test.count).filter { i in
            test.y[i] <= test.x.withUnsafeBufferPointer { fit.ensemble.predict($0.baseAddress! + i * 3) }
        }.count
        let coverage = Double(covered) / Double(test.count)
        #expect((0.86...0.94).contains(coverage), "coverage \(coverage)")
    }

    @Test func boostingIsDeterministicGivenTheSeed() {
        let train = Self.stepData(rows: 1500, seed: 1), validation = Self.stepData(rows: 500, seed: 2)
        var options = Self.smallOptions
        options.rowFraction = 0.5  // the default, 1, puts every row in every tree: no seeded choice left
        func fit(_ seed: UInt64) -> TreeEnsemble {
            TreeBooster.fit(train: train, validation: validation, columns: 3, tau: 0.5, options: options, seed: seed).ensemble
        }
        #expect(fit(5) == fit(5))
        #expect(fit(5).leaves != fit(6).leaves)  // the seed picks each tree's rows
    }

    /// A tree may see every row (row fraction 1, which used to trap converting 2^64 to UInt64) or
    /// about the given share of them; with every row the seed no longer matters.
    @Test func rowFractionOneUsesEveryRowAndIsSeedFree() {
        let train = Self.stepData(rows: 1500, seed: 1), validation = Self.stepData(rows: 500, seed: 2)
        var options = Self.smallOptions
        options.rowFraction = 1
        func fit(_ seed: UInt64) -> (ensemble: TreeEnsemble, validationLoss: Double, baseValidationLoss: Double) {
            TreeBooster.fit(train: train, validation: validation, columns: 3, tau: 0.5, options: options, seed: seed)
        }
        let first = fit(5)
        #expect(first.validationLoss < 0.3 * first.baseValidationLoss)
        #expect(first.ensemble.leaves == fit(6).ensemble.leaves)
        options.rowFraction = 0.999
        #expect(fit(5).validationLoss < 0.3 * first.baseValidationLoss)
    }

    @Test func weightedQuantileAndBinning() {
        #expect(TreeBooster.weightedQuantile([3, 1, 2], [1, 1, 1], 0.5) == 2)
        #expect(TreeBooster.weightedQuantile([3, 1, 2], [10, 1, 1], 0.5) == 3)
        #expect(TreeBooster.weightedQuantile([3, 1, 2], [1, 1, 10], 0.5) == 2)
        #expect(TreeBooster.weightedQuantile([3, 1, 2], [1, 1, 1], 0.9) == 3)
        // Few distinct values: one cut per value but the last; a constant column has none.
        let x: [Double] = [0, 5, 1, 5, 2, 5, 0, 5]
        let edges = TreeBooster.binEdges(x, columns: 2, rows: 4, bins: 8, seed: 1)
        #expect(edges[0] == [0, 1])
        #expect(edges[1].isEmpty)
        #expect(TreeBooster.lowerBound([0, 1], -1) == 0)
        #expect(TreeBooster.lowerBound([0, 1], 0) == 0)
        #expect(TreeBooster.lowerBound([0, 1], 0.5) == 1)
        #expect(TreeBooster.lowerBound([0, 1], 2) == 2)
    }
}

@Suite struct PackedTreesTests {
    /// The hot path's eight-trees-at-a-time layout gives the ensemble's own sum, for tree counts
    /// that fill groups of eight or not and for every depth the booster makes, including features
    /// exactly at a threshold (not above: the left side) and NaN (never above).
    @Test(arguments: [(0, 6), (1, 1), (7, 3), (8, 6), (9, 6), (40, 6), (63, 5), (17, 8)])
    func packedSumEqualsTheEnsembles(trees: Int, depth: Int) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(trees * 31 + depth)
        func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(state % 10_000) / 10_000 - 0.5
        }
        let featureCount = 12
        var ensemble = TreeEnsemble(depth: depth)
        for _ in 0..<(trees * depth) {
            ensemble.features.append(Int((next() + 0.5) * Double(featureCount)) % featureCount)
            ensemble.thresholds.append((next() * 20).rounded() / 20)
        }
        for _ in 0..<(trees << depth) { ensemble.leaves.append(next()) }
        #expect(ensemble.isConsistent(featureCount: featureCount))
        let packed = PackedTrees(ensemble)
        defer { packed.free() }
        for row in 0..<200 {
            var x = (0..<featureCount).map { _ in (next() * 20).rounded() / 20 }  // often exactly a threshold
            if row % 17 == 0 { x[row % featureCount] = .nan }
            let expected = x.withUnsafeBufferPointer { ensemble.predict($0.baseAddress!) }
            let got = x.withUnsafeBufferPointer { packed.predict($0.baseAddress!) }
            #expect(abs(got - expected) <= 1e-12, "row \(row)")
        }
    }
}
