public import FlowcastTopology

// Fast k shortest paths (issue 14): the same result as `referencePaths` (plain Yen's) in far less time.
//
// Why the result is the same: Yen's algorithm yields every loop-free path once, in non-decreasing
// cost, whatever order it meets ties in. `referencePaths` goes on until the next path costs more
// than the k-th (so it has every path costing at most the k-th), sorts them by (hops, weight, link
// indices) and keeps k. That is the k first paths of that total order, a set that does not depend
// on how ties were met — unless more than `yenCap(k)` paths cost at most the k-th: then it stops at
// the cap with the ties it happened to meet first. So: enumerate with a faster Yen's; if the cap
// would cut ties off, run `referencePaths` for that pair instead (rare: none of the 5,000 and
// 25,000 demands of the benchmark's 1,000- and 5,000-cell topologies; corner to corner of a grid).
//
// What makes it faster:
//  - each spur search is A* towards the destination, guided by the exact (hops, weight) distance
//    of every node to it with nothing banned (one Dijkstra per destination, shared by all demands
//    to it), so it visits the corridor of near-shortest paths rather than the whole graph;
//  - searches are cut at an upper bound of the k-th cost (paths costing more are never kept);
//  - scratch arrays are reset by a generation stamp, not cleared per search;
//  - demands with the same endpoints share one search (`paths(for:k:)`).

extension PathFinder.Cost {
    static let unreachable = PathFinder.Cost(hops: .max, weight: .infinity)
    static let zero = PathFinder.Cost(hops: 0, weight: 0)
    static func + (x: Self, y: Self) -> Self { Self(hops: x.hops + y.hops, weight: x.weight + y.weight) }
    static func - (x: Self, y: Self) -> Self { Self(hops: x.hops - y.hops, weight: x.weight - y.weight) }
    /// Over `bound` by more than rounding (lenient: a search cut this way could not have led to a kept path).
    func exceeds(_ bound: Self) -> Bool {
        hops != bound.hops ? hops > bound.hops : weight > bound.weight + 1e-9 * max(1, abs(bound.weight))
    }
}

extension PathFinder {
    /// Scratch space for `SearchState`'s queries, reused across destinations.
    struct SearchState {
        /// Distance of every node to the current destination, nothing banned.
        var toDestination: [Cost]
        var destination = -1
        var g: [Cost]
        var via: [(link: Int, from: Int)]
        /// `seen[v] == generation`: g[v] is set in this search; `closed[v] == generation`: settled.
        var seen: [UInt32]
        var closed: [UInt32]
        var generation: UInt32 = 0
        var bannedLink: [Bool]
        var bannedNode: [Bool]
        var heap = Heap()
        /// Nodes along the path being spurred from (reused).
        var along: [Int] = []

        init(nodes: Int, links: Int) {
            toDestination = [Cost](repeating: .unreachable, count: nodes)
            g = toDestination
            via = [(link: Int, from: Int)](repeating: (-1, -1), count: nodes)
            seen = [UInt32](repeating: 0, count: nodes)
            closed = seen
            bannedLink = [Bool](repeating: false, count: links)
            bannedNode = [Bool](repeating: false, count: nodes)
        }

        mutating func nextGeneration() {
            if generation == .max {
                for v in seen.indices { seen[v] = 0; closed[v] = 0 }
                generation = 0
            }
            generation += 1
            heap.items.removeAll(keepingCapacity: true)
        }
    }

    /// A binary min-heap of (key, node), for both searches: the plain Dijkstra (`Scratch`) and the
    /// A* spur searches (`SearchState`). Hand-written: the standard library has no priority queue,
    /// and swift-collections' `Heap` would be a new package dependency for a few lines.
    struct Heap {
        var items: [(key: Cost, node: Int)] = []

        mutating func push(_ key: Cost, _ node: Int) {
            items.append((key, node))
            var i = items.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard items[i].key < items[parent].key else { break }
                items.swapAt(i, parent)
                i = parent
            }
        }

        mutating func pop() -> (key: Cost, node: Int)? {
            guard let last = items.popLast() else { return nil }
            guard !items.isEmpty else { return last }
            let top = items[0]
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].key < items[m].key { m = l }
                if r < items.count && items[r].key < items[m].key { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
            return top
        }
    }

    /// Sets `state.toDestination` to every node's (hops, weight) distance to `t` (links are undirected).
    func aim(at t: Int, _ state: inout SearchState) {
        guard state.destination != t else { return }
        state.destination = t
        state.nextGeneration()
        for v in state.toDestination.indices { state.toDestination[v] = .unreachable }
        state.toDestination[t] = .zero
        state.heap.push(.zero, t)
        let generation = state.generation
        while let (c, u) = state.heap.pop() {
            if state.closed[u] == generation { continue }
            state.closed[u] = generation
            for e in start[u]..<start[u + 1] {
                let (link, v) = adjacency[e]
                if state.closed[v] == generation { continue }
                let next = Cost(hops: c.hops + 1, weight: c.weight + weights[link])
                if next < state.toDestination[v] {
                    state.toDestination[v] = next
                    state.heap.push(next, v)
                }
            }
        }
    }

    /// A* from `s` to the aimed-at destination avoiding banned links and nodes: a least-cost path
    /// (any of equal cost), or nil when there is none costing at most `bound`.
    func spur(from s: Int, bound: Cost?, _ state: inout SearchState) -> [Int]? {
        let t = state.destination
        guard state.toDestination[s] != .unreachable else { return nil }
        if let bound, state.toDestination[s].exceeds(bound) { return nil }
        state.nextGeneration()
        let generation = state.generation
        state.g[s] = .zero
        state.seen[s] = generation
        state.heap.push(state.toDestination[s], s)
        var reached = false
        while let (_, u) = state.heap.pop() {
            if state.closed[u] == generation { continue }
            if u == t { reached = true; break }
            state.closed[u] = generation
            let gu = state.g[u]
            for e in start[u]..<start[u + 1] {
                let (link, v) = adjacency[e]
                if state.bannedLink[link] || state.bannedNode[v] || state.closed[v] == generation { continue }
                let h = state.toDestination[v]
                if h == .unreachable { continue }
                let next = Cost(hops: gu.hops + 1, weight: gu.weight + weights[link])
                if state.seen[v] == generation && !(next < state.g[v]) { continue }
                let f = next + h
                if let bound, f.exceeds(bound) { continue }
                state.g[v] = next
                state.seen[v] = generation
                state.via[v] = (link, u)
                state.heap.push(f, v)
            }
        }
        guard reached else { return nil }
        var path: [Int] = []
        var at = t
        while at != s { let step = state.via[at]; path.append(step.link); at = step.from }
        return path.reversed()
    }

    /// Yen's with A* spur searches (see the top of this file); nil when more than `yenCap(k)` paths
    /// cost at most the k-th (the caller then runs `referencePaths`). Needs `aim(at: destination)`.
    func fastPaths(from source: Int, k: Int, _ state: inout SearchState) -> [[Int]]? {
        let destination = state.destination
        guard k > 0, source != destination, let first = spur(from: source, bound: nil, &state) else { return [] }
        // `deviation`: where the path left the accepted path it was found from (Lawler: spurs
        // from it start there; the earlier ones were searched with the same bans already).
        typealias Found = (path: [Int], cost: Cost, deviation: Int)
        func before(_ x: Found, _ y: Found) -> Bool {
            x.cost != y.cost ? x.cost < y.cost : x.path.lexicographicallyPrecedes(y.path)
        }
        var accepted: [Found] = [(first, cost(first), 0)]
        var candidates: [Found] = []
        var known: Set<[Int]> = [first]
        // An upper bound on the k-th cost (paths over it are never kept): the k-th least of the
        // paths known so far, updated as soon as a candidate lowers it.
        func bound() -> Cost? {
            if accepted.count >= k { return accepted[k - 1].cost }
            guard accepted.count + candidates.count >= k else { return nil }
            return (accepted.map(\.cost) + candidates.map(\.cost)).sorted()[k - 1]
        }
        while true {
            var limit = bound()
            let previous = accepted.last!.path
            let deviation = accepted.last!.deviation
            state.along.removeAll(keepingCapacity: true)
            state.along.append(source)
            for l in previous {
                let here = state.along.last!
                let link = topology.links[l]
                state.along.append(link.a == here ? link.b : link.a)
            }
            // Accepted paths that start with previous[0..<j]: their next links are banned at j.
            // The list only shrinks as j grows (the root nodes banned at j are along[0..<j]).
            var sharing = accepted.indices.filter { accepted[$0].path.starts(with: previous[0..<deviation]) }
            var rootCost = Cost.zero
            for j in 0..<deviation {
                state.bannedNode[state.along[j]] = true
                rootCost = rootCost + Cost(hops: 1, weight: weights[previous[j]])
            }
            for j in deviation..<previous.count {
                if j > deviation {
                    sharing.removeAll { accepted[$0].path.count < j || accepted[$0].path[j - 1] != previous[j - 1] }
                    state.bannedNode[state.along[j - 1]] = true
                }
                for i in sharing where accepted[i].path.count > j { state.bannedLink[accepted[i].path[j]] = true }
                let spurPath = spur(from: state.along[j], bound: limit.map { $0 - rootCost }, &state)
                for i in sharing where accepted[i].path.count > j { state.bannedLink[accepted[i].path[j]] = false }
                rootCost = rootCost + Cost(hops: 1, weight: weights[previous[j]])
                guard let spurPath else { continue }
                let total = Array(previous[0..<j]) + spurPath
                if known.insert(total).inserted {
                    candidates.append((total, cost(total), j))
                    if accepted.count < k { limit = bound() }
                }
            }
            for v in state.along[0..<max(deviation, previous.count - 1)] { state.bannedNode[v] = false }
            guard !candidates.isEmpty else { break }
            var bestIndex = 0
            for i in candidates.indices.dropFirst() where before(candidates[i], candidates[bestIndex]) { bestIndex = i }
            if accepted.count >= k && candidates[bestIndex].cost > accepted[k - 1].cost { break }
            // Plain Yen's would stop here with ties still to meet: its answer depends on their order.
            if accepted.count >= Self.yenCap(k) { return nil }
            accepted.append(candidates.remove(at: bestIndex))
        }
        accepted.sort(by: before)
        return accepted.prefix(k).map(\.path)
    }

    /// Up to `k` loop-free paths from `source` to `destination`, shortest first: by hop count, ties
    /// by total link weight, then by link indices.
    public func paths(from source: Int, to destination: Int, k: Int = 4) -> [[Int]] {
        guard k > 0, source != destination else { return [] }
        var state = SearchState(nodes: topology.nodes.count, links: topology.links.count)
        aim(at: destination, &state)
        return fastPaths(from: source, k: k, &state) ?? referencePaths(from: source, to: destination, k: k)
    }

    /// `found` (at most `k` paths from `s` to `t`) with the least-weight path among them: in the
    /// last place when it is not already there.
    func withLeastWeight(_ found: [[Int]], from s: Int, to t: Int, k: Int) -> [[Int]] {
        guard s != t, let ospf = shortestByWeight(from: s, to: t), !found.contains(ospf) else { return found }
        var paths = found
        if paths.count >= k { paths[k - 1] = ospf } else { paths.append(ospf) }
        return paths
    }

    /// Candidate paths of every demand: its own when the topology gives them, else up to `k` found
    /// as `paths(from:to:k:)` does, once per (source, destination) pair, with the least-weight
    /// path (what OSPF routes on) always among them: when the `k` fewest-hop paths leave it out,
    /// it takes the last place. Without it a plan could not keep traffic where the IGP puts it,
    /// and the backtest's OSPF baseline had no path for the demand (its traffic was left out:
    /// with `--paths 1` on Abilene, 22 of 132 demands, until 5 December 2026).
    public func paths(for demands: [Demand], k: Int) -> [[[Int]]] {
        var result = [[[Int]]](repeating: [], count: demands.count)
        // By destination, so one distance table serves every demand to it; then by source, so
        // demands with the same endpoints are next to each other.
        let order = demands.indices.filter { demands[$0].paths.isEmpty }.sorted {
            (demands[$0].destination, demands[$0].source, $0) < (demands[$1].destination, demands[$1].source, $1)
        }
        var state = SearchState(nodes: topology.nodes.count, links: topology.links.count)
        var last: (source: Int, destination: Int, paths: [[Int]])?
        for d in order {
            let (s, t) = (demands[d].source, demands[d].destination)
            if let last, last.source == s, last.destination == t {
                result[d] = last.paths
                continue
            }
            var found: [[Int]] = []
            if k > 0, s != t {
                aim(at: t, &state)
                found = withLeastWeight(fastPaths(from: s, k: k, &state) ?? referencePaths(from: s, to: t, k: k), from: s, to: t, k: k)
            }
            result[d] = found
            last = (s, t, found)
        }
        for d in demands.indices where !demands[d].paths.isEmpty { result[d] = demands[d].paths }
        return result
    }
}
