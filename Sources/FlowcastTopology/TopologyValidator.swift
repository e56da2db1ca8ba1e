internal import FlowcastCore
/// Resolves ids to indices and checks the rules a topology must obey, collecting every problem.
struct TopologyValidator {
    struct Problem { var line: Int; var message: String }
    let raw: RawTopology
    var problems: [Problem] = []

    init(raw: RawTopology) { self.raw = raw }

    mutating func report(_ line: Int, _ message: String) { problems.append(Problem(line: line, message: message)) }

    /// Index by id, reporting duplicates (the first definition wins).
    mutating func index(_ ids: [(String, Int)], kind: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for (i, (id, line)) in ids.enumerated() {
            if let first = out[id] {
                report(line, "duplicate \(kind) id '\(id)' (first defined at line \(ids[first].1))")
            } else {
                out[id] = i
            }
        }
        return out
    }

    mutating func lookup(_ r: RawRef, _ table: [String: Int], kind: String, in what: String) -> Int? {
        if let i = table[r.id] { return i }
        report(r.line, "unknown \(kind) '\(r.id)' in \(what)")
        return nil
    }

    mutating func resolve() -> Topology? {
        let bandIDs = index(raw.bands.map { ($0.id, $0.line) }, kind: "band")
        let nodeIDs = index(raw.nodes.map { ($0.id, $0.line) }, kind: "node")
        let cellIDs = index(raw.cells.map { ($0.id, $0.line) }, kind: "cell")
        let linkIDs = index(raw.links.map { ($0.id, $0.line) }, kind: "link")
        _ = index(raw.demands.map { ($0.id, $0.line) }, kind: "demand")

        let bands = raw.bands.map { b -> Band in
            checkBand(b)
            return Band(id: b.id, lowMHz: b.low, highMHz: b.high, blockMHz: b.block, line: b.line)
        }
        checkOverlaps(bands)
        let nodes = raw.nodes.map { TopologyNode(id: $0.id, kind: $0.kind, address: $0.address, line: $0.line) }

        var cells: [Cell] = []
        for c in raw.cells {
            let what = "cell '\(c.id)'"
            let band = lookup(c.band, bandIDs, kind: "band", in: what)
            let neighbours = c.neighbours.compactMap { lookup($0, cellIDs, kind: "neighbour cell", in: what) }
            let site = c.site.flatMap { lookup($0, nodeIDs, kind: "node", in: what) }
            var minBlocks = c.minBlocks ?? 0, maxBlocks = c.maxBlocks ?? 0
            if let band {
                let b = bands[band]
                minBlocks = c.minBlocks ?? c.minMHz.map { mhzToBlocks($0, b, c, "minMHz") } ?? 1
                maxBlocks = c.maxBlocks ?? c.maxMHz.map { mhzToBlocks($0, b, c, "maxMHz") } ?? b.blockCount
                if minBlocks < 0 { report(c.boundsLine, "\(what) has negative minimum bandwidth") }
                if minBlocks > maxBlocks {
                    report(c.boundsLine, "\(what) has minimum \(minBlocks) blocks above maximum \(maxBlocks)")
                }
                if maxBlocks > b.blockCount {
                    report(c.boundsLine, "\(what) allows \(maxBlocks) blocks but band '\(b.id)' has only \(b.blockCount)")
                }
            }
            if let se = c.se, !TopologyLimits.efficiencyRange.contains(se) {
                report(c.seLine, "\(what) has peak spectrum efficiency \(se) bit/s/Hz; expected 0.001 to 100")
            }
            if c.se == nil && c.kpiSource == nil {
                report(c.line, "\(what) needs 'peakSpectralEfficiency' or 'kpiSource'")
            }
            if neighbours.contains(cellIDs[c.id] ?? -1) { report(c.line, "\(what) lists itself as a neighbour") }
            var cell = Cell(id: c.id, band: band ?? 0, minBlocks: minBlocks, maxBlocks: maxBlocks,
                            peakSpectralEfficiency: c.se, kpiSource: c.kpiSource, neighbours: neighbours,
                            contiguous: c.contiguous, site: site, line: c.line)
            cell.globalID = c.globalID
            cell.slice = c.slice
            cell.observer = c.observer
            cell.cqiTable = c.cqiTable
            cells.append(cell)
        }
        checkNeighbourSymmetry(cells)
        checkNeighbourMinimums(cells, bands: bands)
        var cellByGlobalID: [String: String] = [:]
        for c in raw.cells {
            guard let global = c.globalID else { continue }
            if let first = cellByGlobalID[global] {
                report(c.line, "cell '\(c.id)' has globalId '\(global)', as cell '\(first)' does; a global identity names one cell")
            } else {
                cellByGlobalID[global] = c.id
            }
        }

        var links: [Link] = []
        for l in raw.links {
            let what = "link '\(l.id)'"
            let a = lookup(l.a, nodeIDs, kind: "node", in: what)
            let b = lookup(l.b, nodeIDs, kind: "node", in: what)
            let capacities = TopologyLimits.capacityRange
            if l.capacity < 0 { report(l.capacityLine, "\(what) has negative capacity \(l.capacity) bit/s") }
            else if l.capacity == 0 { report(l.capacityLine, "\(what) has zero capacity") }
            else if !capacities.contains(l.capacity) {
                report(l.capacityLine, "\(what) has capacity \(l.capacity) bit/s, "
                    + (l.capacity < capacities.lowerBound ? "under 1 bit/s" : "above 1 Pbit/s (1e15)")
                    + ": capacities are in bit/s (2.5G is 2.5e9)")
            }
            if l.weight < 0 { report(l.weightLine, "\(what) has negative weight \(l.weight)") }
            else if l.weight > TopologyLimits.maximumWeight {
                report(l.weightLine, "\(what) has weight \(l.weight), above 16777215, the largest IS-IS wide metric (OSPF's is 65535)")
            }
            if let a, let b, a == b { report(l.line, "\(what) connects node '\(l.a.id)' to itself") }
            var link = Link(id: l.id, a: a ?? 0, b: b ?? 0, capacity: l.capacity, weight: l.weight, line: l.line)
            link.observer = l.observer
            for (end, address) in l.addresses {
                if end.id == l.a.id { link.aAddress = address }
                else if end.id == l.b.id { link.bAddress = address }
                else { report(end.line, "\(what): addresses names '\(end.id)', which is not one of its ends ('\(l.a.id)', '\(l.b.id)')") }
            }
            links.append(link)
        }
        checkAddresses(nodes: nodes, links: links)

        var demands: [Demand] = []
        for d in raw.demands {
            let what = "demand '\(d.id)'"
            let s = lookup(d.source, nodeIDs, kind: "node", in: what)
            let t = lookup(d.destination, nodeIDs, kind: "node", in: what)
            if let s, let t, s == t { report(d.line, "\(what) has the same source and destination") }
            let cellRefs = d.cells.compactMap { lookup($0, cellIDs, kind: "cell", in: what) }
            var paths: [[Int]] = []
            for (n, p) in d.paths.enumerated() {
                let resolved = p.links.map { lookup($0, linkIDs, kind: "link", in: "path \(n + 1) of \(what)") }
                guard resolved.allSatisfy({ $0 != nil }) else { continue }
                let path = resolved.map { $0! }
                if let s, let t { checkPath(path, from: s, to: t, links: links, nodes: nodes, line: p.line, what: "path \(n + 1) of \(what)") }
                // A policy lists a demand's paths by their links: two the same would be one path
                // twice, with two weights (policy documents refuse that).
                if let same = paths.firstIndex(of: path) {
                    report(p.line, "path \(n + 1) of \(what) has the same links as its path \(same + 1)")
                    continue
                }
                paths.append(path)
            }
            demands.append(Demand(id: d.id, source: s ?? 0, destination: t ?? 0, cells: cellRefs, paths: paths, prefix: d.prefix, line: d.line))
        }

        var rules: [MatchRule] = []
        for r in raw.rules {
            let cell = r.cell.flatMap { lookup($0, cellIDs, kind: "cell", in: "match rule") }
            let ruleLinks = r.links.compactMap { lookup($0, linkIDs, kind: "link", in: "match rule") }
            var rule = MatchRule(cell: cell, links: ruleLinks, gtpAddress: r.gtpAddress, teid: r.teid, vlan: r.vlan,
                                 prefix: r.prefix, interface: r.interface, line: r.line)
            rule.mpls = r.mpls
            rules.append(rule)
        }
        guard problems.isEmpty else { return nil }
        var topology = Topology(bands: bands, cells: cells, nodes: nodes, links: links, demands: demands, rules: rules)
        topology.defaultSlice = raw.slice
        return topology
    }

    mutating func checkBand(_ b: RawBand) {
        if b.low < 0 || b.high <= b.low {
            report(b.line, "band '\(b.id)' range \(b.low)–\(b.high) MHz is empty or negative")
        }
        if b.block <= 0 {
            report(b.line, "band '\(b.id)' block size \(b.block) MHz must be positive")
        } else if b.high > b.low {
            let blocks = (b.high - b.low) / b.block
            if abs(blocks - blocks.rounded()) > 1e-9 {
                report(b.line, "band '\(b.id)' range of \(b.high - b.low) MHz is not a whole number of \(b.block) MHz blocks")
            } else if blocks > Double(TopologyLimits.maximumBlocksPerBand) {
                report(b.line, "band '\(b.id)' has \(blocks < 1e15 ? String(Int(blocks.rounded())) : String(blocks)) blocks of \(b.block) MHz, more than the bound of "
                    + "\(TopologyLimits.maximumBlocksPerBand) (docs/limits.md)")
            }
        }
    }

    mutating func checkOverlaps(_ bands: [Band]) {
        for i in bands.indices {
            for j in bands.indices where j > i {
                let x = bands[i], y = bands[j]
                if x.lowMHz < y.highMHz && y.lowMHz < x.highMHz {
                    report(y.line, "band '\(y.id)' (\(y.lowMHz)–\(y.highMHz) MHz) overlaps band '\(x.id)' (\(x.lowMHz)–\(x.highMHz) MHz) defined at line \(x.line)")
                }
            }
        }
    }

    mutating func mhzToBlocks(_ mhz: Double, _ band: Band, _ c: RawCell, _ key: String) -> Int {
        guard band.blockMHz > 0 else { return 0 }
        let blocks = mhz / band.blockMHz
        if abs(blocks - blocks.rounded()) > 1e-9 {
            report(c.boundsLine, "cell '\(c.id)' \(key) \(mhz) is not a whole number of \(band.blockMHz) MHz blocks of band '\(band.id)'")
        }
        // Beyond any band's blocks: clamped, and the bound checks that follow report it.
        guard blocks.isFinite else { return 0 }
        return Int(max(-1e15, min(blocks.rounded(), 1e15)))
    }

    /// An address names one router: given to two nodes (as a node's `address` or an end's on a
    /// link), a route exporter's next hop would reach either.
    mutating func checkAddresses(nodes: [TopologyNode], links: [Link]) {
        var owner: [IPAddress: (node: Int, where: String)] = [:]
        func claim(_ address: IPAddress, _ node: Int, _ place: String, line: Int) {
            if let first = owner[address] {
                if first.node != node {
                    report(line, "address \(address) is given to node '\(nodes[node].id)' (\(place)) and to node '\(nodes[first.node].id)' "
                        + "(\(first.where)); an address names one router")
                }
            } else {
                owner[address] = (node, place)
            }
        }
        for (n, node) in nodes.enumerated() {
            if let address = node.address { claim(address, n, "its address, line \(node.line)", line: node.line) }
        }
        for link in links where nodes.indices.contains(link.a) && nodes.indices.contains(link.b) {
            if let address = link.aAddress { claim(address, link.a, "on link '\(link.id)', line \(link.line)", line: link.line) }
            if let address = link.bAddress { claim(address, link.b, "on link '\(link.id)', line \(link.line)", line: link.line) }
        }
    }

    mutating func checkNeighbourSymmetry(_ cells: [Cell]) {
        for (i, c) in cells.enumerated() {
            for n in c.neighbours where n != i && !cells[n].neighbours.contains(i) {
                report(c.line, "neighbours are asymmetric: cell '\(c.id)' lists '\(cells[n].id)' but '\(cells[n].id)' (line \(cells[n].line)) does not list '\(c.id)'")
            }
        }
    }

    /// Two neighbours on one band whose minimums add up past its blocks can never be kept apart:
    /// `topology check` said ok, and every plan then failed with "the minimum bandwidths of
    /// neighbouring cells do not fit in their band", naming no cell (an audit). Pairs only: a
    /// necessary condition, cheap on any topology; larger cliques are left to the solver.
    mutating func checkNeighbourMinimums(_ cells: [Cell], bands: [Band]) {
        for (i, c) in cells.enumerated() where bands.indices.contains(c.band) {
            for n in c.neighbours where n > i && cells.indices.contains(n) && cells[n].band == c.band {
                let blocks = bands[c.band].blockCount
                if c.minBlocks + cells[n].minBlocks > blocks {
                    report(c.line, "neighbours '\(c.id)' and '\(cells[n].id)' (line \(cells[n].line)) need at least \(c.minBlocks) + "
                        + "\(cells[n].minBlocks) blocks of band '\(bands[c.band].id)', which has \(blocks): they cannot be kept apart")
                }
            }
        }
    }

    mutating func checkPath(_ path: [Int], from s: Int, to t: Int, links: [Link], nodes: [TopologyNode], line: Int, what: String) {
        var here = s
        var seen: Set<Int> = [s]
        for l in path {
            guard let next = links[l].otherEnd(from: here) else {
                report(line, "\(what) is not connected: link '\(links[l].id)' does not touch node '\(nodes[here].id)'")
                return
            }
            if seen.contains(next) {
                report(line, "\(what) has a loop: it visits node '\(nodes[next].id)' twice")
                return
            }
            seen.insert(next)
            here = next
        }
        if here != t {
            report(line, "\(what) ends at node '\(nodes[here].id)', not at destination '\(nodes[t].id)'")
        }
    }
}
