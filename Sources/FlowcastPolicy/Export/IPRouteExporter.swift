/// Linux `ip route` multipath commands, one block per source router.
///
/// Each demand with a destination prefix becomes `ip route replace PREFIX nexthop via A weight W …`
/// on its source router; paths that share a first hop are merged; weights are integers 1–256
/// proportional to the split (share × 256, rounded, at least 1). Demands without a prefix or
/// next-hop addresses are listed as comments so nothing is dropped silently.
enum IPRouteExporter {
    static func commands(_ document: PolicyDocument) -> String {
        var lines = ["# flowcast policy (schemaVersion \(document.schemaVersion)); topology \(document.provenance.topologyDigest)"]
        let sources = Array(Set(document.routing.demands.map(\.source))).sorted()
        for source in sources {
            lines.append("# on \(source)")
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
                let hops = order.map { hop in
                    let w = min(256, max(1, Int((shares[hop]! / total * 256).rounded())))
                    return "nexthop via \(hop) weight \(w)"
                }
                lines.append("ip route replace \(prefix) " + hops.joined(separator: " ") + "  # \(demand.id)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
