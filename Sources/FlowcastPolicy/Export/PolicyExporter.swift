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

    /// `addresses`: every router's address by node id (the topology's `nodes[].address`), for the
    /// iproute export's transit routers whose next hop is no path's first hop in the policy.
    public static func export(_ document: PolicyDocument, as format: ExportFormat,
                              addresses: [String: String] = [:]) throws(PolicyError) -> String {
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
        case .iproute: return IPRouteExporter.commands(document, known: addresses)
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
