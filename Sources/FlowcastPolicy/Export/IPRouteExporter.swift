internal import FlowcastCore
internal import FlowcastTopology

/// Linux `ip route` multipath commands: for every destination prefix, one route on every router
/// the plan sends that prefix's traffic through.
///
/// Routers forward by destination: a router has one route per prefix (`ip route replace` a second
/// time replaces the first), and it applies that route to every packet for the prefix, whichever
/// demand it belongs to and wherever it entered. A plan, though, splits each demand over whole
/// paths from its source. Until 6 December 2026 the export wrote one route per *source* router,
/// mixing the demands that leave it by their point forecasts, and left transit routers alone. An
/// audit showed what that did: a robust plan that sent part of site-1's traffic through site-2 and
/// part of site-2's through site-1 became two routes pointing at each other, a forwarding loop
/// (135 of 254 destinations unreachable in network namespaces); and merging by the point forecast
/// put 122 % of a link's capacity where the plan held it at 70 % of the P90 traffic it sized links
/// for.
///
/// So the plan is turned into what destination routing can carry (`routes(_:)`): per prefix, the
/// traffic of every demand to it (its P90 forecast, `upper`, the figure the plan sizes links and
/// `predicted.links` on) is added up link by link into one flow toward the prefix; any cycle in that
/// flow (traffic that goes s1 → s2 on one demand's path and s2 → s1 on another's) is cancelled,
/// which only lowers link loads; and each router that still sends traffic for the prefix gets a
/// route whose weights are its outgoing flow per next hop. Forwarded that way the P90 traffic loads
/// every link exactly as the plan's flow without its cycles: never more than `predicted.links`, and
/// with no loop, since the flow left is acyclic, but for the rounding of its shares to whole weights
/// 1–256 (the closest split they can give; a next hop under 1/512 of the router's traffic is left
/// out), which a `# note:` states when it puts a link past the plan. A router that is itself a destination of the prefix
/// delivers it and gets no route. Demands without a prefix, and next hops whose address the policy
/// does not give, are listed as comments so nothing is dropped silently.
enum IPRouteExporter {
    /// One router's route for one prefix.
    struct Route {
        var router: String
        var prefix: String
        /// Next-hop node, the link to it and its share of the router's traffic for the prefix, in a
        /// stable order (two parallel links to one node are two hops).
        var hops: [(node: String, link: String, share: Double)]
        /// The demands whose traffic reaches this router and leaves it, in document order.
        var demands: [String]
        /// Where the prefix's demands end.
        var destinations: Set<String>
    }

    /// `known`: next-hop addresses from the topology (`export --topology`); where it gives none, the
    /// policy's first hops over the same link.
    /// `only`: one router's section (and the header and warnings), for `export --router`.
    static func commands(_ document: PolicyDocument, known: NextHopAddresses = NextHopAddresses(), only: String? = nil) -> String {
        var lines = ["# flowcast policy (schemaVersion \(document.schemaVersion)); topology \(document.provenance.topologyDigest)"]
        let (routes, notes, warnings) = routes(document)
        lines += warnings.map { "# " + $0 }
        let firstHops = firstHopAddresses(document)
        // A next hop's address is per link: an end's interface address on it, or the node's own.
        // The topology says which (`known`); else a path whose first hop takes the same link. Else,
        // without the topology, the address the policy's first hops give the node over its other
        // links when they all agree: the node's own address in a topology without links'
        // addresses (as the export did before those existed), but another link's interface in one
        // with them, so such a route says where its address came from. Nodes whose first hops
        // disagree have addresses per link, and none is taken.
        let byNode = known == NextHopAddresses() ? nodeAddresses(firstHops) : [:]
        func address(_ hop: (node: String, link: String, share: Double)) -> String? {
            known.address(over: hop.link, to: hop.node) ?? firstHops[LinkEnd(link: hop.link, node: hop.node)] ?? byNode[hop.node]?.address
        }
        /// Whether the hop's address is the policy's over another link.
        func inferred(_ hop: (node: String, link: String, share: Double)) -> Bool {
            known.address(over: hop.link, to: hop.node) == nil && firstHops[LinkEnd(link: hop.link, node: hop.node)] == nil
        }
        var blocks: [String: [String]] = [:]
        var inferredHops = 0, mergedHops = 0
        // Each exported route's split as the kernel applies it, by "prefix router".
        var exported: [String: [(node: String, link: String, share: Double)]] = [:]
        for (router, note) in notes { blocks[router, default: []].append("# \(note)") }
        for route in routes {
            let unknownHops = route.hops.filter { address($0) == nil }
            var unknown: [String] = []
            for hop in unknownHops where !unknown.contains(hop.node) { unknown.append(hop.node) }
            if unknown.count == 1, route.hops.count == 1, route.destinations.contains(unknown[0]) {
                // Straight on to where the prefix is: the router's own route to it carries that.
                blocks[route.router, default: []].append(
                    "# \(route.prefix): all to \(unknown[0]), where the prefix is (by this router's own route; the policy has no address for \(unknown[0]))")
                exported[route.prefix + " " + route.router] = route.hops
                continue
            }
            guard unknown.isEmpty else {
                let over = unknownHops.map { "\($0.node) over \($0.link)" }.joined(separator: ", ")
                blocks[route.router, default: []].append(known == NextHopAddresses()
                    ? "# \(route.prefix): next hop \(over) has no address in the policy (no path's first hop over that link gives one); "
                        + "not exported (give the topology: export --topology)"
                    : "# \(route.prefix): next hop \(over) has no address in the topology (neither the node's nor its end of the link's); not exported")
                continue
            }
            // An address no route can use (a loopback, link-local, multicast …: a drafted topology's
            // node address is a GTP-U end, whatever it is) would make `ip` refuse the line.
            let unusable = route.hops.compactMap { hop in address(hop).flatMap(IPAddress.init).flatMap { a in a.nextHopProblem.map { (hop.node, a, $0) } } }
            if let (node, a, why) = unusable.first {
                blocks[route.router, default: []].append("# \(route.prefix): next hop \(node)'s address \(a) is \(why), not a gateway a route "
                    + "can use; not exported")
                continue
            }
            // Hops whose addresses are the same (parallel links to a router known by one address)
            // are one next hop to the kernel: their shares add up.
            var hopsByAddress: [(via: String, nodes: [String], links: [String], share: Double)] = []
            for hop in route.hops {
                let via = address(hop)!
                if let i = hopsByAddress.firstIndex(where: { $0.via == via }) {
                    hopsByAddress[i].share += hop.share
                    if !hopsByAddress[i].nodes.contains(hop.node) { hopsByAddress[i].nodes.append(hop.node) }
                    if !hopsByAddress[i].links.contains(hop.link) { hopsByAddress[i].links.append(hop.link) }
                } else {
                    hopsByAddress.append((via, [hop.node], [hop.link], hop.share))
                }
            }
            // The kernel then picks one of those links for all of it: the plan's split over them is
            // lost, and one link may carry what the plan spread over several (an audit's 72/28
            // split over a 2.5G and a 1G link to one router became one next hop, 105 % of the
            // 2.5G link or 262 % of the 1G one). Said in the route's comments and as a warning.
            for merged in hopsByAddress where merged.links.count > 1 {
                mergedHops += 1
                blocks[route.router, default: []].append("# \(route.prefix): links \(merged.links.joined(separator: ", ")) to "
                    + "\(merged.nodes.joined(separator: ", ")) share the address \(merged.via), so they are one next hop: the plan's split over "
                    + "them is lost (give each link its own addresses in the topology)")
            }
            // An IPv4 prefix through an IPv6 next hop is written `via inet6` (RFC 5549 next hops,
            // Linux 5.2 and later); plain `via` made every line fail in `ip` ("inet address is
            // expected"). An IPv6 prefix has no IPv4 next hop in Linux: not exported.
            let prefixIsV6 = (try? IPPrefix(parsing: route.prefix))?.network.isIPv6 ?? route.prefix.contains(":")
            let v4Hops = hopsByAddress.filter { IPAddress($0.via)?.isIPv6 == false }
            if prefixIsV6, !v4Hops.isEmpty {
                blocks[route.router, default: []].append("# \(route.prefix): next hop \(v4Hops.flatMap(\.nodes).joined(separator: ", ")) has an IPv4 address "
                    + "(\(v4Hops.map(\.via).joined(separator: ", "))), which cannot carry an IPv6 prefix; not exported")
                continue
            }
            // A share under 1/512 is left out and its traffic goes to the others (a weight of at
            // least 1 sent 1/257 of a router's traffic to a side link the plan gave 0.14 %, 195 % of
            // its capacity). The rest get the whole weights that come closest to their split.
            let kept = hopsByAddress.filter { $0.share * 512 >= 1 }
            let exportedHops = kept.isEmpty ? hopsByAddress : kept
            let weights = integerWeights(exportedHops.map(\.share))
            let hops = zip(exportedHops, weights).map { hop, weight -> String in
                let via = hop.via
                let family = !prefixIsV6 && IPAddress(via)?.isIPv6 == true ? "inet6 " : ""
                return "nexthop via \(family)\(via) weight \(weight)"
            }
            // What the kernel will do: each address's weight over the total, shared by the links
            // behind one address as the plan shares them.
            let totalWeight = Double(weights.reduce(0, +))
            exported[route.prefix + " " + route.router] = zip(exportedHops, weights).flatMap { hop, weight in
                route.hops.filter { address($0) == hop.via }.map { ($0.node, $0.link, Double(weight) / totalWeight * $0.share / hop.share) }
            }
            let note = route.demands.count == 1 ? route.demands[0]
                : route.demands.joined(separator: ", ") + " (one route per prefix on a router: the split of their traffic through it)"
            for hop in route.hops where inferred(hop) {
                inferredHops += 1
                let from = byNode[hop.node]!.links.joined(separator: ", ")
                blocks[route.router, default: []].append("# \(route.prefix): \(hop.node)'s address over \(hop.link) is the one paths reaching it "
                    + "over \(from) give (its node address unless the topology gives links their own: then export --topology)")
            }
            blocks[route.router, default: []].append("ip route replace \(route.prefix) " + hops.joined(separator: " ") + "  # \(note)")
        }
        // Said on stderr too (`export` repeats warning lines there): in a topology with links' own
        // addresses such a route names another link's address, which `ip` refuses.
        if inferredHops > 0 {
            lines.insert("# warning: \(inferredHops) next hop\(inferredHops == 1 ? " is" : "s are") the address paths reaching the router over "
                + "another link give (comments above the routes): right for a node address; if the topology gives links their own "
                + "addresses, export with --topology", at: 1 + warnings.count)
        }
        if mergedHops > 0 {
            lines.insert("# warning: \(mergedHops) route\(mergedHops == 1 ? " sends" : "s send") over parallel links to one address (comments "
                + "above them): the kernel sees one next hop, so the plan's split over those links is lost; give each link its own "
                + "addresses in the topology", at: 1 + warnings.count + (inferredHops > 0 ? 1 : 0))
        }
        // Whole weights cannot give every split exactly: say where forwarding the P90 traffic by
        // them loads a link past the plan's figure (an audit: the demo's l-s2-agg1 at 0.7542
        // against 0.7534 with weights of share × 256, while the docs said "never past the plan").
        if let excess = roundingExcess(document, exported: exported) {
            lines.insert("# note: next-hop weights are whole numbers, so forwarded by them the P90 traffic puts \(excess.link) at "
                + "\(excess.forwarded) where the plan's split puts \(excess.planned)"
                + (excess.others > 0 ? " (the largest of \(excess.others + 1) such links)" : ""), at: 1 + warnings.count + (inferredHops > 0 ? 1 : 0) + (mergedHops > 0 ? 1 : 0))
        }
        // Each router's routes are its own: run a section on its router only. The file as a whole
        // replaced one prefix's route on one box once per router, the last one winning (an audit).
        lines.append(only.map { "# The routes of router \($0) only: run them on \($0)." }
            ?? "# One section per router (\"# on NAME\"): run each section on that router only "
            + "(flowcast export --to iproute --router NAME writes one router's).")
        for router in blocks.keys.sorted() where only == nil || only == router {
            lines.append("# on \(router)")
            lines.append(contentsOf: blocks[router]!)
        }
        if let only, blocks[only] == nil { lines.append("# on \(only)") ; lines.append("# no route on \(only): it forwards none of the plan's traffic (or the prefixes end there)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whole next-hop weights (1–256, the range `ip route` takes) whose split comes closest to
    /// `shares` (largest error in any hop's share of the traffic): for each weight 1–256 of the
    /// largest hop, the others' weights rounded to scale, the best kept, the smallest on a tie. A
    /// 75.34 / 24.66 split is 223 / 73 (75.34 %), where share × 256 gave 193 / 63 (75.39 %). Every
    /// share must be at least 1/512 of their sum (the caller leaves out smaller ones).
    static func integerWeights(_ shares: [Double]) -> [Int] {
        let sum = shares.reduce(0, +)
        guard sum > 0, let largest = shares.max(), shares.count > 1 else { return shares.map { _ in 1 } }
        let target = shares.map { $0 / sum }
        var best: (weights: [Int], error: Double) = ([], .infinity)
        for top in 1...256 {
            let scale = Double(top) / largest
            let weights = shares.map { min(256, max(1, Int(($0 * scale).rounded()))) }
            let total = Double(weights.reduce(0, +))
            let error = zip(weights, target).map { abs(Double($0) / total - $1) }.max()!
            if error < best.error - 1e-12 { best = (weights, error) }
        }
        return best.weights
    }

    /// The link that forwarding each demand's P90 traffic through the exported routes (each
    /// router's split as the kernel applies it to whatever reaches it for the prefix) loads
    /// furthest past what the same routes with their exact shares (`routes(_:)`, the plan's flow)
    /// give it, both as utilisations at four decimals, as the document writes them; and how many
    /// other links go past theirs; nil when none does. Traffic reaching a router whose route was
    /// not exported goes no further (its comment says why).
    static func roundingExcess(_ document: PolicyDocument, exported: [String: [(node: String, link: String, share: Double)]])
        -> (link: String, forwarded: String, planned: String, others: Int)? {
        var exact: [String: [(node: String, link: String, share: Double)]] = [:]
        for route in routes(document).routes where exported[route.prefix + " " + route.router] != nil {
            exact[route.prefix + " " + route.router] = route.hops
        }
        let forwarded = busierDirectionLoads(document, through: exported), planned = busierDirectionLoads(document, through: exact)
        var over: [(link: String, forwarded: Double, planned: Double)] = []
        for link in document.predicted.links where link.capacity > 0 {
            let f = PolicyDocumentBuilder.round((forwarded[link.id] ?? 0) / link.capacity, 4)
            let p = PolicyDocumentBuilder.round((planned[link.id] ?? 0) / link.capacity, 4)
            if f > p { over.append((link.id, f, p)) }
        }
        guard let worst = over.max(by: { ($0.forwarded - $0.planned, $1.link) < ($1.forwarded - $1.planned, $0.link) }) else { return nil }
        return (worst.link, "utilisation \(worst.forwarded)", "\(worst.planned)", over.count - 1)
    }

    /// Each link's load in its busier direction when every demand's P90 traffic is forwarded by
    /// destination through `routes` (by "prefix router").
    static func busierDirectionLoads(_ document: PolicyDocument, through routes: [String: [(node: String, link: String, share: Double)]]) -> [String: Double] {
        var load: [LinkEnd: Double] = [:]  // per link and the node it is entered from
        var byPrefix: [String: [DemandDecision]] = [:]
        for demand in document.routing.demands {
            if let prefix = demand.prefix { byPrefix[prefix, default: []].append(demand) }
        }
        for (prefix, demands) in byPrefix {
            let destinations = Set(demands.map(\.destination))
            for demand in demands {
                let traffic = max(0, demand.forecast.upper.isFinite ? demand.forecast.upper : 0)
                // Splits multiply along the way; routes have no loop (the flow they come from has
                // none), and the depth bound keeps a hand-made document from recursing without end.
                func forward(_ node: String, _ amount: Double, _ depth: Int) {
                    guard amount > 0, !destinations.contains(node), depth < 256, let hops = routes[prefix + " " + node] else { return }
                    for hop in hops where hop.share > 0 {
                        load[LinkEnd(link: hop.link, node: node), default: 0] += amount * hop.share
                        forward(hop.node, amount * hop.share, depth + 1)
                    }
                }
                forward(demand.source, traffic, 0)
            }
        }
        var busier: [String: Double] = [:]
        for (end, value) in load { busier[end.link] = max(busier[end.link] ?? 0, value) }
        return busier
    }

    /// One end of a link: the next hop `node` reached over `link`.
    struct LinkEnd: Hashable {
        var link: String, node: String
    }

    /// The one address the policy's first hops give each node over all the links they reach it by,
    /// with those links; a node given two addresses has none here.
    static func nodeAddresses(_ firstHops: [LinkEnd: String]) -> [String: (address: String, links: [String])] {
        var out: [String: (address: String, links: [String])] = [:]
        var split: Set<String> = []
        for (end, address) in firstHops.sorted(by: { ($0.key.node, $0.key.link) < ($1.key.node, $1.key.link) }) where !split.contains(end.node) {
            if let known = out[end.node] {
                if known.address != address { out[end.node] = nil; split.insert(end.node) } else { out[end.node]!.links.append(end.link) }
            } else {
                out[end.node] = (address, [end.link])
            }
        }
        return out
    }

    /// Next-hop addresses the policy's paths give: `nextHop` is the address of `nodes[1]` over
    /// `links[0]` (its interface address on that link when the topology has one).
    static func firstHopAddresses(_ document: PolicyDocument) -> [LinkEnd: String] {
        var address: [LinkEnd: String] = [:]
        for demand in document.routing.demands {
            for path in demand.paths where path.nodes.count >= 2 && !path.links.isEmpty {
                let end = LinkEnd(link: path.links[0], node: path.nodes[1])
                if let hop = path.nextHop, address[end] == nil { address[end] = hop }
            }
        }
        return address
    }

    /// The routes destination forwarding needs to carry the plan, sorted by router then prefix
    /// (in first-seen order), and the comments for demands that cannot be exported, by router.
    static func routes(_ document: PolicyDocument) -> (routes: [Route], notes: [(router: String, note: String)], warnings: [String]) {
        var notes: [(router: String, note: String)] = []
        var warnings: [String] = []
        var prefixes: [String] = []
        var byPrefix: [String: [DemandDecision]] = [:]
        for demand in document.routing.demands {
            guard let prefix = demand.prefix else {
                notes.append((demand.source, "\(demand.id): no destination prefix in the topology; not exported"))
                continue
            }
            guard demand.paths.contains(where: { $0.weight > 0 && $0.nodes.count >= 2 }) else {
                notes.append((demand.source, "\(demand.id): no path with traffic; not exported"))
                continue
            }
            if byPrefix[prefix] == nil { prefixes.append(prefix) }
            byPrefix[prefix, default: []].append(demand)
        }
        var routes: [Route] = []
        for prefix in prefixes {
            routes += self.routes(prefix: prefix, demands: byPrefix[prefix]!, warnings: &warnings)
        }
        routes.sort { ($0.router, prefixes.firstIndex(of: $0.prefix)!) < ($1.router, prefixes.firstIndex(of: $1.prefix)!) }
        return (routes, notes, warnings)
    }

    /// One prefix's routes: the demands' P90 traffic summed per directed node pair, cycles
    /// cancelled, and each router's outgoing flow as its split.
    static func routes(prefix: String, demands: [DemandDecision], warnings: inout [String]) -> [Route] {
        // Traffic each demand is planned for. A demand forecast at zero still gets its plan's
        // routes (traffic may come after all): it counts as a millionth of the prefix's traffic
        // (1 bit/s when all are zero), which moves no weight of a busy router by a step of 1/256.
        var traffic = demands.map { max(0, $0.forecast.upper.isFinite ? $0.forecast.upper : 0) }
        let floor = max(traffic.reduce(0, +), 1) * 1e-6
        traffic = traffic.map { max($0, floor) }
        // Flow on each directed link (u → v over l), and the order nodes were first seen.
        var flow: [Edge: Double] = [:]
        var nodeOrder: [String] = []
        var through: [String: [String]] = [:]  // node → demands whose traffic leaves it, in order
        var seen: Set<String> = []
        func see(_ node: String) { if seen.insert(node).inserted { nodeOrder.append(node) } }
        for (d, demand) in demands.enumerated() {
            let weights = demand.paths.filter { $0.weight > 0 && $0.nodes.count >= 2 }
            let total = weights.reduce(0) { $0 + $1.weight }
            for path in weights {
                let amount = traffic[d] * path.weight / total
                for (i, (u, v)) in zip(path.nodes, path.nodes.dropFirst()).enumerated() {
                    see(u); see(v)
                    // A document's paths name one link per hop (the reader checks it); "" only if not.
                    flow[Edge(u, v, over: path.links.indices.contains(i) ? path.links[i] : ""), default: 0] += amount
                    if !(through[u]?.contains(demand.id) ?? false) { through[u, default: []].append(demand.id) }
                }
            }
        }
        let total = traffic.reduce(0, +)
        let cancelled = cancelCycles(&flow, nodes: nodeOrder, tolerance: total * 1e-12)
        // Traffic sent both ways round a cycle is what a plan over several demand scenarios does
        // to split each demand its own way: destination routes cannot keep that, so say so (a
        // verifier found a robust plan's scenario at 1.6 on a link it held at 0.909).
        if !cancelled.isEmpty {
            let largest = cancelled.max { $0.amount < $1.amount }!
            let rate = PolicyDocumentBuilder.rate(largest.amount)
            warnings.append("warning: \(prefix): the plan sends P90 traffic round \((largest.nodes + [largest.nodes[0]]).joined(separator: " → ")) "
                + "(\(rate)\(cancelled.count > 1 ? ", and \(cancelled.count - 1) more cycle\(cancelled.count == 2 ? "" : "s")" : "")), splitting demands "
                + "their own ways; destination routes carry its P90 flow without the cycle, so its other demand scenarios may load "
                + "links past their caps (docs/policy.md)")
        }
        let destinations = Set(demands.map(\.destination))
        let next = successors(flow, nodes: nodeOrder, tolerance: 0)
        var routes: [Route] = []
        for u in nodeOrder where !destinations.contains(u) {
            let out = (next[u] ?? []).map { edge in (edge, flow[edge]!) }
            let sum = out.reduce(0) { $0 + $1.1 }
            guard sum > 0 else { continue }
            routes.append(Route(router: u, prefix: prefix, hops: out.map { ($0.0.to, $0.0.link, $0.1 / sum) }, demands: through[u] ?? [],
                                destinations: destinations))
        }
        return routes
    }

    /// A directed use of a link: from node `from` to node `to` over link `link`.
    struct Edge: Hashable {
        var from: String, to: String, link: String
        init(_ from: String, _ to: String, over link: String) { self.from = from; self.to = to; self.link = link }
    }

    /// Removes every cycle from a flow: finds one by depth-first search over edges with flow, takes
    /// the smallest flow on it off every edge of it (at least one edge drops to zero, so this ends),
    /// and repeats. Traffic that goes round a cycle arrives where it would without it, so link
    /// loads only fall. Flows at or under `tolerance` count as zero.
    static func cancelCycles(_ flow: inout [Edge: Double], nodes: [String], tolerance: Double) -> [(nodes: [String], amount: Double)] {
        var cancelled: [(nodes: [String], amount: Double)] = []
        while let cycle = findCycle(flow, nodes: nodes, tolerance: tolerance) {
            let least = cycle.map { flow[$0]! }.min()!
            for edge in cycle {
                flow[edge]! -= least
                if flow[edge]! <= tolerance { flow[edge] = nil }
            }
            cancelled.append((cycle.map(\.from), least))
        }
        return cancelled
    }

    /// Each node's edges with flow over `tolerance`, by the next node's place in `nodes` then link
    /// id: one pass over the edges with flow (scanning every pair of nodes for each node was
    /// quadratic in the routers).
    static func successors(_ flow: [Edge: Double], nodes: [String], tolerance: Double) -> [String: [Edge]] {
        let index = Dictionary(nodes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var next: [String: [Edge]] = [:]
        for (edge, amount) in flow where amount > tolerance { next[edge.from, default: []].append(edge) }
        return next.mapValues { $0.sorted { (index[$0.to]!, $0.link) < (index[$1.to]!, $1.link) } }
    }

    /// A cycle of edges with flow over `tolerance` (each ending where the next begins, the last
    /// where the first begins), or nil when there is none.
    static func findCycle(_ flow: [Edge: Double], nodes: [String], tolerance: Double) -> [Edge]? {
        let next = successors(flow, nodes: nodes, tolerance: tolerance)
        var state: [String: Int] = [:]  // 1 on the current path, 2 done
        var path: [Edge] = []
        func visit(_ u: String) -> [Edge]? {
            state[u] = 1
            for edge in next[u] ?? [] {
                path.append(edge)
                if state[edge.to] == 1 { return Array(path[path.firstIndex { $0.from == edge.to }!...]) }
                if state[edge.to] == nil, let cycle = visit(edge.to) { return cycle }
                path.removeLast()
            }
            state[u] = 2
            return nil
        }
        for u in nodes where state[u] == nil {
            if let cycle = visit(u) { return cycle }
        }
        return nil
    }
}
