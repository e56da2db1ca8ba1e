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
    /// The most trees `flowcast train --trees` (and `--upper-trees`) accepts: 4,096 per head. A
    /// depth-6 tree is about 1.4 KB of model JSON (measured on Abilene), so two full heads are
    /// about 12 MB, well inside `ModelFile.maximumBytes`. Without this cap, `train` could write
    /// a model that `evaluate` refuses.
    public static let largestMaxTrees = 4_096
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
