@testable import FlowcastPolicy
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// Two parallel links of capacity 1 and 2 between a and b, plus a detour a–c–b of capacity 1.
let parallelYAML = """
nodes: [{ id: a }, { id: b }, { id: c }]
links:
  - { id: small, a: a, b: b, capacity: 1 }
  - { id: big, a: a, b: b, capacity: 2, weight: 2 }
  - { id: ac, a: a, b: c, capacity: 1 }
  - { id: cb, a: c, b: b, capacity: 1 }
demands:
  - { id: d1, source: a, destination: b, paths: [[small], [big]] }

"""

@Test func splitsInProportionToCapacityOnParallelLinks() throws {
    // Hand-derived: demand 3 over capacities 1 and 2 is best split 1/3, 2/3, giving utilisation 1.
    let t = try Topology(yaml: parallelYAML)
    let p = RoutingProblem(topology: t, paths: [[[0], [1]]], scenarios: [[3]])
    let s = try RoutingOptimizer().solve(p)
    #expect(abs(s.maxUtilisation - 1) < 1e-6)
    #expect(abs(s.weights[0][0] - 1.0 / 3) < 1e-6)
}

/// Brute force over a grid of splits for two demands with two or three paths each.
@Test(arguments: 0..<12)
func lpOptimumEqualsBruteForce(seed: Int) throws {
    var rng = SplitMix(seed: UInt64(seed))
    let t = try Topology(yaml: parallelYAML.replacingOccurrences(of: "capacity: 1 }\n  - { id: big", with: "capacity: \(1 + rng.int(4)) }\n  - { id: big"))
    let paths: [[[Int]]] = [[[0], [1], [2, 3]], [[1], [2, 3]]]
    var demands = [Double(1 + rng.int(5)), Double(1 + rng.int(5))]
    var t2 = t
    t2.demands.append(Demand(id: "d2", source: 0, destination: 1, paths: paths[1]))
    let problem = RoutingProblem(topology: t2, paths: paths, scenarios: [demands])
    let lp = try RoutingOptimizer().solve(problem)
    var best = Double.infinity
    let steps = 40
    for i in 0...steps {
        for j in 0...(steps - i) {
            for k in 0...steps {
                let w: [[Double]] = [[Double(i) / Double(steps), Double(j) / Double(steps), Double(steps - i - j) / Double(steps)],
                                     [Double(k) / Double(steps), Double(steps - k) / Double(steps)]]
                best = min(best, RoutingOptimizer.maxUtilisation(problem, weights: w, demand: demands))
            }
        }
    }
    #expect(lp.maxUtilisation <= best + 1e-6)
    #expect(best - lp.maxUtilisation < 0.15 * best)   // the grid is coarse; the LP is never worse
    demands = []
}

@Test func robustPlanMinimisesTheWorstScenario() throws {
    let t = try Topology(yaml: parallelYAML)
    let p = RoutingProblem(topology: t, paths: [[[0], [1]]], scenarios: [[3], [6]])
    let s = try RoutingOptimizer().solve(p)
    #expect(abs(s.worstCaseUtilisation - 2) < 1e-6)
    #expect(abs(s.maxUtilisation - 1) < 1e-6)
}

@Test func churnPenaltyKeepsTheCurrentSplitWhenTheGainIsSmall() throws {
    let t = try Topology(yaml: parallelYAML)
    let base = RoutingProblem(topology: t, paths: [[[0], [1]]], scenarios: [[3]], current: [[0.4, 0.6]], churnPenalty: 10)
    let kept = try RoutingOptimizer().solve(base)
    #expect(abs(kept.weights[0][0] - 0.4) < 1e-6)
    var cheap = base
    cheap.churnPenalty = 0.01
    let moved = try RoutingOptimizer().solve(cheap)
    #expect(abs(moved.weights[0][0] - 1.0 / 3) < 1e-6)
}

@Test func kShortestPathsMatchExhaustiveEnumeration() throws {
    let t = try Topology(contentsOfFile: Fixtures.captures.appendingPathComponent("demo/topology.yaml").path)
    let finder = PathFinder(t)
    for source in 0..<6 {
        let core = t.nodeIndex("core")!
        let found = finder.paths(from: source, to: core, k: 4)
        // Every simple path by depth-first search, sorted by (hops, weight, link indices).
        var all: [[Int]] = []
        func walk(_ at: Int, _ path: [Int], _ seen: Set<Int>) {
            if at == core { all.append(path); return }
            for (i, l) in t.links.enumerated() {
                guard let next = l.otherEnd(from: at), !seen.contains(next) else { continue }
                walk(next, path + [i], seen.union([next]))
            }
        }
        walk(source, [], [source])
        all.sort { finder.precedes($0, $1) }
        #expect(found == Array(all.prefix(4)))
    }
}

/// A small deterministic generator so property tests repeat exactly.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
