public import FlowcastTopology

/// Loop-free paths through a topology, shortest first: by hop count, ties broken by total link
/// weight, then by link indices (so the order is deterministic). Yen's algorithm over a
/// lexicographic Dijkstra.
///
/// Built for many queries on one topology (500 demands in well under a second): flat adjacency,
/// a binary heap, ban lists as reusable flag arrays, and costs computed once per candidate.
public struct PathFinder: Sendable {
    public let topology: Topology
    /// Flat adjacency: the neighbours of node v are `adjacency[start[v]..<start[v + 1]]`, in link order.
    let start: [Int]
    let adjacency: [(link: Int, node: Int)]
    let weights: [Double]

    public init(_ topology: Topology) {
        self.topology = topology
        var lists = [[(link: Int, node: Int)]](repeating: [], count: topology.nodes.count)
        for (i, l) in topology.links.enumerated() {
            lists[l.a].append((i, l.b))
            lists[l.b].append((i, l.a))
        }
        var start = [0]
        for list in lists { start.append(start.last! + list.count) }
        self.start = start
        adjacency = lists.flatMap { $0 }
        weights = topology.links.map(\.weight)
    }

    struct Cost: Comparable {
        var hops: Int
        var weight: Double
        static func < (x: Cost, y: Cost) -> Bool { (x.hops, x.weight) < (y.hops, y.weight) }
    }

    /// 64 candidate paths per demand at most (`plan` and `backtest --paths`): the routing LP has a
    /// column per path per demand, and a policy lists each; 2^61 overflowed `yenCap` (a crash).
    public static let maximumPathsPerDemand = 64

    /// Yen's loop stops after this many paths even when more tie with the k-th.
    static func yenCap(_ k: Int) -> Int { 4 * k + 16 }

    func cost(_ links: [Int]) -> Cost { Cost(hops: links.count, weight: links.reduce(0) { $0 + weights[$1] }) }

    func precedes(_ x: [Int], _ y: [Int]) -> Bool {
        let cx = cost(x), cy = cost(y)
        if cx != cy { return cx < cy }
        return x.lexicographicallyPrecedes(y)
    }

    /// Scratch space for one query, reused across its Dijkstra runs.
    struct Scratch {
        var best: [Cost]
        var via: [(link: Int, from: Int)]
        var done: [Bool]
        var bannedLink: [Bool]
        var bannedNode: [Bool]
        var heap = Heap()

        init(nodes: Int, links: Int) {
            best = [Cost](repeating: Cost(hops: .max, weight: .infinity), count: nodes)
            via = [(link: Int, from: Int)](repeating: (-1, -1), count: nodes)
            done = [Bool](repeating: false, count: nodes)
            bannedLink = [Bool](repeating: false, count: links)
            bannedNode = [Bool](repeating: false, count: nodes)
        }
    }

    /// Shortest path (hops, then weight) avoiding the scratch's banned links and nodes; nil when unreachable.
    func shortest(from s: Int, to t: Int, _ scratch: inout Scratch) -> [Int]? {
        for v in scratch.best.indices {
            scratch.best[v] = Cost(hops: .max, weight: .infinity)
            scratch.done[v] = false
        }
        scratch.heap.items.removeAll(keepingCapacity: true)
        scratch.best[s] = Cost(hops: 0, weight: 0)
        scratch.heap.push(scratch.best[s], s)
        var reached = false
        while let (c, u) = scratch.heap.pop() {
            if scratch.done[u] || c > scratch.best[u] { continue }
            if u == t { reached = true; break }
            scratch.done[u] = true
            for e in start[u]..<start[u + 1] {
                let (link, v) = adjacency[e]
                if scratch.bannedLink[link] || scratch.bannedNode[v] || scratch.done[v] { continue }
                let next = Cost(hops: c.hops + 1, weight: c.weight + weights[link])
                if next < scratch.best[v] {
                    scratch.best[v] = next
                    scratch.via[v] = (link, u)
                    scratch.heap.push(next, v)
                }
            }
        }
        guard reached else { return nil }
        var path: [Int] = []
        var at = t
        while at != s { let step = scratch.via[at]; path.append(step.link); at = step.from }
        return path.reversed()
    }

    /// Shortest path by total link weight alone (what OSPF routes on), ties by fewer hops then
    /// Dijkstra order; nil when unreachable.
    public func shortestByWeight(from s: Int, to t: Int) -> [Int]? {
        let n = topology.nodes.count
        var dist = [(Double, Int)](repeating: (.infinity, .max), count: n)
        var via = [(link: Int, from: Int)](repeating: (-1, -1), count: n)
        var done = [Bool](repeating: false, count: n)
        dist[s] = (0, 0)
        while true {
            var u = -1
            for v in 0..<n where !done[v] && dist[v].0.isFinite && (u < 0 || dist[v] < dist[u]) { u = v }
            if u < 0 { return nil }
            if u == t { break }
            done[u] = true
            for e in start[u]..<start[u + 1] {
                let (link, v) = adjacency[e]
                let next = (dist[u].0 + weights[link], dist[u].1 + 1)
                if !done[v] && next < dist[v] { dist[v] = next; via[v] = (link, u) }
            }
        }
        var path: [Int] = []
        var at = t
        while at != s { path.append(via[at].link); at = via[at].from }
        return path.reversed()
    }

    /// Up to `k` loop-free paths from `source` to `destination`, shortest first: plain Yen's, the
    /// implementation `paths(from:to:k:)` had until issue 14 (see `PathFinder+Search.swift`). It
    /// stays as the fallback when more than `yenCap(k)` paths tie with the k-th, where its result
    /// depends on the order it met the ties in, and as the tests' reference.
    func referencePaths(from source: Int, to destination: Int, k: Int = 4) -> [[Int]] {
        var scratch = Scratch(nodes: topology.nodes.count, links: topology.links.count)
        guard k > 0, source != destination,
              let first = shortest(from: source, to: destination, &scratch) else { return [] }
        var accepted: [(path: [Int], cost: Cost)] = [(first, cost(first))]
        var candidates: [(path: [Int], cost: Cost)] = []
        func before(_ x: (path: [Int], cost: Cost), _ y: (path: [Int], cost: Cost)) -> Bool {
            x.cost != y.cost ? x.cost < y.cost : x.path.lexicographicallyPrecedes(y.path)
        }
        while accepted.count < Self.yenCap(k) {
            let previous = accepted.last!.path
            let nodes = topology.nodesAlong(previous, from: source)!
            for j in 0..<previous.count {
                let root = previous[0..<j]
                var banned: [Int] = []
                for p in accepted where p.path.count > j && p.path[0..<j] == root { banned.append(p.path[j]) }
                for l in banned { scratch.bannedLink[l] = true }
                for v in nodes[0..<j] { scratch.bannedNode[v] = true }
                let spur = shortest(from: nodes[j], to: destination, &scratch)
                for l in banned { scratch.bannedLink[l] = false }
                for v in nodes[0..<j] { scratch.bannedNode[v] = false }
                guard let spur else { continue }
                let total = Array(root) + spur
                if !accepted.contains(where: { $0.path == total }) && !candidates.contains(where: { $0.path == total }) {
                    candidates.append((total, cost(total)))
                }
            }
            guard !candidates.isEmpty else { break }
            // Yen yields paths in non-decreasing cost, but ties come in no useful order: go on
            // while candidates tie with the k-th path, then sort (bounded by the loop limit).
            var bestIndex = 0
            for i in candidates.indices.dropFirst() where before(candidates[i], candidates[bestIndex]) { bestIndex = i }
            if accepted.count >= k && candidates[bestIndex].cost > accepted[k - 1].cost { break }
            accepted.append(candidates.remove(at: bestIndex))
        }
        accepted.sort(by: before)
        return accepted.prefix(k).map(\.path)
    }
}
