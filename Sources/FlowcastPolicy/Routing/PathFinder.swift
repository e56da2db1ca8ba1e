public import FlowcastTopology

/// Loop-free paths through a topology, shortest first: by hop count, ties broken by total link
/// weight, then by link indices (so the order is deterministic). Yen's algorithm over a
/// lexicographic Dijkstra.
public struct PathFinder: Sendable {
    public let topology: Topology
    /// adjacency[node] = [(link, neighbour)] in link order.
    private let adjacency: [[(link: Int, node: Int)]]

    public init(_ topology: Topology) {
        self.topology = topology
        var adjacency = [[(link: Int, node: Int)]](repeating: [], count: topology.nodes.count)
        for (i, l) in topology.links.enumerated() {
            adjacency[l.a].append((i, l.b))
            adjacency[l.b].append((i, l.a))
        }
        self.adjacency = adjacency
    }

    struct Cost: Comparable {
        var hops: Int
        var weight: Double
        static func < (x: Cost, y: Cost) -> Bool { (x.hops, x.weight) < (y.hops, y.weight) }
    }

    func cost(_ links: [Int]) -> Cost { Cost(hops: links.count, weight: links.reduce(0) { $0 + topology.links[$1].weight }) }

    func precedes(_ x: [Int], _ y: [Int]) -> Bool {
        let cx = cost(x), cy = cost(y)
        if cx != cy { return cx < cy }
        return x.lexicographicallyPrecedes(y)
    }

    /// Shortest path avoiding some links and nodes, as link indices; nil when unreachable.
    func shortest(from s: Int, to t: Int, bannedLinks: Set<Int>, bannedNodes: Set<Int>) -> [Int]? {
        let n = topology.nodes.count
        var best = [Cost?](repeating: nil, count: n)
        var via = [(link: Int, from: Int)?](repeating: nil, count: n)
        var done = [Bool](repeating: false, count: n)
        best[s] = Cost(hops: 0, weight: 0)
        while true {
            var u = -1
            for v in 0..<n where !done[v] {
                if let c = best[v], u < 0 || c < best[u]! { u = v }
            }
            if u < 0 { return nil }
            if u == t { break }
            done[u] = true
            for (link, v) in adjacency[u] where !bannedLinks.contains(link) && !bannedNodes.contains(v) && !done[v] {
                let c = Cost(hops: best[u]!.hops + 1, weight: best[u]!.weight + topology.links[link].weight)
                if best[v] == nil || c < best[v]! { best[v] = c; via[v] = (link, u) }
            }
        }
        var path: [Int] = []
        var at = t
        while at != s, let step = via[at] { path.append(step.link); at = step.from }
        return path.reversed()
    }

    /// Up to `k` loop-free paths from `source` to `destination`, shortest first.
    public func paths(from source: Int, to destination: Int, k: Int = 4) -> [[Int]] {
        guard k > 0, source != destination,
              let first = shortest(from: source, to: destination, bannedLinks: [], bannedNodes: []) else { return [] }
        var accepted = [first]
        var candidates: [[Int]] = []
        while accepted.count < 4 * k + 16 {
            let previous = accepted.last!
            let nodes = topology.nodesAlong(previous, from: source)!
            for j in 0..<previous.count {
                let root = Array(previous[0..<j])
                var bannedLinks: Set<Int> = []
                for p in accepted where p.count > j && Array(p[0..<j]) == root { bannedLinks.insert(p[j]) }
                let bannedNodes = Set(nodes[0..<j])
                guard let spur = shortest(from: nodes[j], to: destination, bannedLinks: bannedLinks, bannedNodes: bannedNodes) else { continue }
                let total = root + spur
                if !accepted.contains(total) && !candidates.contains(total) { candidates.append(total) }
            }
            guard !candidates.isEmpty else { break }
            // Yen yields paths in non-decreasing cost, but ties come in no useful order: go on
            // while candidates tie with the k-th path, then sort (bounded by the loop limit).
            var bestIndex = 0
            for i in candidates.indices.dropFirst() where precedes(candidates[i], candidates[bestIndex]) { bestIndex = i }
            if accepted.count >= k && cost(candidates[bestIndex]) > cost(accepted[k - 1]) { break }
            accepted.append(candidates.remove(at: bestIndex))
        }
        accepted.sort(by: precedes)
        return Array(accepted.prefix(k))
    }
}
