/// Linux `ip route` multipath commands, one block per source router.
///
/// Each demand with a destination prefix becomes `ip route replace PREFIX nexthop via A weight W …`
/// on its source router; paths that share a first hop are merged; weights are integers 1–256
/// proportional to the split (share × 256, rounded, at least 1). Demands without a prefix or
/// next-hop addresses are listed as comments so nothing is dropped silently.
///
/// A router has one route per prefix: `ip route replace` a second time for the same prefix
/// replaces the first. So demands that leave the same router for the same prefix get one route,
/// their splits combined in proportion to their forecast traffic (point forecasts; equal shares
/// when those are all zero), and the comment names every demand it carries.
enum IPRouteExporter {
    static func commands(_ document: PolicyDocument) -> String {
        var lines = ["# flowcast policy (schemaVersion \(document.schemaVersion)); topology \(document.provenance.topologyDigest)"]
        let sources = Array(Set(document.routing.demands.map(\.source))).sorted()
        for source in sources {
            lines.append("# on \(source)")
            // Each exportable demand's next-hop shares, grouped by prefix in first-seen order.
            var groups: [(prefix: String, demands: [(demand: DemandDecision, shares: [String: Double], order: [String])])] = []
            for demand in document.routing.demands where demand.source == source {
                guard let prefix = demand.prefix else {
                    lines.append("# \(demand.id): no destination prefix in the topology; not exported")
                    continue
                }
                var shares: [String: Double] = [:]
                var order: [String] = []
                var missing = false
                for path in demand.paths where path.weight > 0 {
                    guard let hop = path.nextHop else { missing = true; continue }
                    if shares[hop] == nil { order.append(hop) }
                    shares[hop, default: 0] += path.weight
                }
                if missing || order.isEmpty {
                    lines.append("# \(demand.id): a used path has no next-hop address in the topology; not exported")
                    continue
                }
                let total = shares.values.reduce(0, +)
                shares = shares.mapValues { $0 / total }
                if let g = groups.firstIndex(where: { $0.prefix == prefix }) {
                    groups[g].demands.append((demand, shares, order))
                } else {
                    groups.append((prefix, [(demand, shares, order)]))
                }
            }
            for group in groups {
                var shares: [String: Double] = [:]
                var order: [String] = []
                let traffic = group.demands.map { max(0, $0.demand.forecast.point) }
                let sum = traffic.reduce(0, +)
                for (i, d) in group.demands.enumerated() {
                    let part = sum > 0 ? traffic[i] / sum : 1 / Double(group.demands.count)
                    for hop in d.order {
                        if shares[hop] == nil { order.append(hop) }
                        shares[hop, default: 0] += part * d.shares[hop]!
                    }
                }
                let total = shares.values.reduce(0, +)
                let hops = order.compactMap { hop -> String? in
                    guard shares[hop]! > 0 || total == 0 else { return nil }
                    let w = min(256, max(1, Int((shares[hop]! / max(total, .leastNormalMagnitude) * 256).rounded())))
                    return "nexthop via \(hop) weight \(w)"
                }
                let ids = group.demands.map(\.demand.id)
                let note = ids.count == 1 ? ids[0]
                    : ids.joined(separator: ", ") + " (one route per prefix on a router: their splits combined by forecast traffic)"
                lines.append("ip route replace \(group.prefix) " + hops.joined(separator: " ") + "  # \(note)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
