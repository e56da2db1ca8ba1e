@testable import FlowcastPolicy
import FlowcastTopology
import Testing

// Issue 14: the fast k shortest paths (A* spur searches, shared by endpoints) must return exactly
// what plain Yen's (`referencePaths`, the implementation before) returns: same paths, same order.

/// A ring of `routers` with a chord from every third router a third of the way round (the
/// benchmark's shape), weights from `weights`, and `extra` random links (parallel ones allowed).
func ringTopology(routers: Int, seed: UInt64, weights: [Double], extra: Int = 0) -> Topology {
    var rng = SplitMix(seed: seed)
    var t = Topology(bands: [])
    t.nodes = (0..<routers).map { TopologyNode(id: "r\($0)") }
    for i in 0..<routers {
        t.links.append(Link(id: "ring\(i)", a: i, b: (i + 1) % routers, capacity: 10e9, weight: weights[rng.int(weights.count)]))
        if i % 3 == 0 {
            t.links.append(Link(id: "chord\(i)", a: i, b: (i + routers / 3 + 1) % routers, capacity: 40e9, weight: 3))
        }
    }
    for e in 0..<extra {
        let a = rng.int(routers), b = (a + 1 + rng.int(routers - 1)) % routers
        t.links.append(Link(id: "extra\(e)", a: a, b: b, capacity: 10e9, weight: weights[rng.int(weights.count)]))
    }
    return t
}

/// A `side` × `side` grid of unit links: very many equal paths, so plain Yen's often stops at its cap.
func gridTopology(side: Int) -> Topology {
    var t = Topology(bands: [])
    t.nodes = (0..<side * side).map { TopologyNode(id: "g\($0)") }
    for r in 0..<side {
        for c in 0..<side {
            let v = r * side + c
            if c + 1 < side { t.links.append(Link(id: "h\(v)", a: v, b: v + 1, capacity: 1e9)) }
            if r + 1 < side { t.links.append(Link(id: "v\(v)", a: v, b: v + side, capacity: 1e9)) }
        }
    }
    return t
}

@Test func fastPathsEqualPlainYensOnGeneratedTopologies() {
    let cases: [(Topology, String)] = [
        (ringTopology(routers: 60, seed: 1, weights: [1, 2, 3, 4, 5]), "ring 60, integer weights"),
        (ringTopology(routers: 150, seed: 2, weights: [1, 2, 3, 4, 5], extra: 30), "ring 150 + random links"),
        (ringTopology(routers: 40, seed: 3, weights: [1]), "ring 40, unit weights"),
        (ringTopology(routers: 50, seed: 4, weights: [0.5, 1.25, 2.75, 3], extra: 20), "ring 50, fractional weights"),
        (gridTopology(side: 6), "grid 6×6"),
    ]
    var rng = SplitMix(seed: 14)
    for (t, name) in cases {
        let finder = PathFinder(t)
        var demands: [Demand] = []
        for i in 0..<120 {
            let s = rng.int(t.nodes.count), e = rng.int(t.nodes.count)
            demands.append(Demand(id: "d\(i)", source: s, destination: e))   // s == e now and then: no paths
        }
        demands.append(Demand(id: "again", source: demands[0].source, destination: demands[0].destination))
        for k in [1, 2, 4, 7] {
            let batch = finder.paths(for: demands, k: k)
            for (i, d) in demands.enumerated() {
                let reference = finder.referencePaths(from: d.source, to: d.destination, k: k)
                // The batch also puts the least-weight path among them (last, when Yen's k leave it out).
                #expect(batch[i] == finder.withLeastWeight(reference, from: d.source, to: d.destination, k: k), "\(name), k \(k), \(d.id)")
                #expect(finder.paths(from: d.source, to: d.destination, k: k) == reference, "\(name), k \(k), \(d.id)")
            }
        }
    }
}

@Test func fastPathsFallBackToPlainYensWhenTheCapCutsTies() {
    // Corner to corner of a 6×6 grid: 252 shortest paths of 10 hops, far over the cap of 32.
    let t = gridTopology(side: 6)
    let finder = PathFinder(t)
    var state = PathFinder.SearchState(nodes: t.nodes.count, links: t.links.count)
    finder.aim(at: 35, &state)
    #expect(finder.fastPaths(from: 0, k: 4, &state) == nil)
    #expect(finder.paths(from: 0, to: 35, k: 4) == finder.referencePaths(from: 0, to: 35, k: 4))
    // One step apart: few ties, so the fast search answers itself.
    finder.aim(at: 7, &state)
    let fast = finder.fastPaths(from: 0, k: 4, &state)
    #expect(fast != nil)
    #expect(fast == finder.referencePaths(from: 0, to: 7, k: 4))
}

@Test func topologyPathsAreKeptAndUnreachableDestinationsGetNone() throws {
    var t = ringTopology(routers: 10, seed: 5, weights: [1, 2])
    t.nodes.append(TopologyNode(id: "island"))
    let given = [[0, 1]]
    let demands = [Demand(id: "given", source: 0, destination: 2, paths: given),
                   Demand(id: "island", source: 0, destination: 10),
                   Demand(id: "found", source: 0, destination: 5)]
    let finder = PathFinder(t)
    let paths = finder.paths(for: demands, k: 4)
    #expect(paths[0] == given)
    #expect(paths[1].isEmpty)
    #expect(paths[2] == finder.referencePaths(from: 0, to: 5, k: 4) && paths[2].count == 4)
}

@Test func planTimeLimitScalesWithDemandsBeyondFiveThousand() {
    #expect(PlanOptions.scaledTimeLimit(demands: 6) == 10)
    #expect(PlanOptions.scaledTimeLimit(demands: 5000) == 10)
    #expect(PlanOptions.scaledTimeLimit(demands: 25000) == 50)
}
