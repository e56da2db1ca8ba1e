internal import FlowcastCore
public import FlowcastTopology
import Foundation

/// Target formats for `flowcast export`.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// O-RAN A1 ORAN_TrafficSteeringPreference_2.0.0 policies (JSON), slice-scoped, cells by global identity.
    case a1
    /// Linux `ip route replace … nexthop via … weight …` commands.
    case iproute
    /// 3GPP TS 28.541 NRCellDU and NRSectorCarrier attributes (JSON): `arfcnDL`, `bSChannelBwDL`.
    case nrcelldu
}

/// Renders a policy document in an operator format. Output is deterministic text.
public enum PolicyExporter {
    /// The A1 export's JSON Schema (ORAN_TrafficSteeringPreference_2.0.0 shape); exports are checked against it.
    public static var a1Schema: String { A1Schema.text }

    /// `addresses`: every next hop's address from the topology the policy was planned on, for the
    /// iproute export's transit routers whose next hop over a link is no path's first hop in the policy.
    /// `router`: for iproute, that router's routes only (`export --router`).
    public static func export(_ document: PolicyDocument, as format: ExportFormat,
                              addresses: NextHopAddresses = NextHopAddresses(), router: String? = nil) throws(PolicyError) -> String {
        if format != .nrcelldu, let uneven = document.demandWithPartialSplit() {
            throw .inconsistent("$.routing.demands[\(uneven.index)].paths: the weights of '\(uneven.id)' sum to \(uneven.sum), not 1; "
                + "an exported split must carry the whole demand")
        }
        switch format {
        case .a1:
            let text = try json(try A1Exporter.policies(document))
            if let v = A1Schema.violations(of: text).first {
                throw .inconsistent("A1 export does not match its schema at \(v.field): \(v.message)")
            }
            return text
        case .iproute: return IPRouteExporter.commands(document, known: addresses, only: router)
        case .nrcelldu: return try json(try NRCellDUExporter.configuration(document))
        }
    }

    static func json<T: Encodable>(_ value: T) throws(PolicyError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n" } catch {
            throw .inconsistent("cannot encode export: \(error)")
        }
    }
}

/// Next-hop addresses from a topology, by ids: a route exporter's next hop over a link toward one
/// of its ends is that end's interface address on the link (`links[].addresses`) when given, else
/// the end's node `address`.
public struct NextHopAddresses: Sendable, Equatable {
    /// Node id → its `address`.
    public var nodes: [String: String]
    /// Link id → an end's node id → that end's interface address on the link.
    public var links: [String: [String: String]]

    public init(nodes: [String: String] = [:], links: [String: [String: String]] = [:]) {
        self.nodes = nodes
        self.links = links
    }

    public init(topology: Topology) {
        var nodes: [String: String] = [:], links: [String: [String: String]] = [:]
        for node in topology.nodes { if let a = node.address { nodes[node.id] = a.description } }
        for link in topology.links {
            if let a = link.aAddress { links[link.id, default: [:]][topology.nodes[link.a].id] = a.description }
            if let b = link.bAddress { links[link.id, default: [:]][topology.nodes[link.b].id] = b.description }
        }
        self.init(nodes: nodes, links: links)
    }

    /// The next hop's address over `link` toward its end `node`, or nil when neither is given.
    public func address(over link: String, to node: String) -> String? {
        links[link]?[node] ?? nodes[node]
    }
}
