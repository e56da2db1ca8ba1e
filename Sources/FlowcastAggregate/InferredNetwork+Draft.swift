internal import FlowcastCore
internal import FlowcastDecode

extension InferredNetwork {
    /// The placeholder written where the capture cannot tell a value; `topology check` refuses
    /// it (not a number, not a node), so a draft is not usable until each one is replaced.
    public static let placeholder = "FILL-IN"

    /// A draft topology file in the loader's format (docs/topology.md): bands, nodes, cells,
    /// links and match rules for what the capture showed. Every value it cannot know is
    /// `FILL-IN`, on a line ending in a `# FILL IN:` comment that says what to put there.
    public func draftYAML(captureName: String) -> String {
        let fill = Self.placeholder
        // YAML comments run to the line's end: a newline in the expression would end the comment.
        let filterText = filter.map { " through the filter '\($0.expression.filter { !$0.isNewline })' (\($0.skipped) packets skipped)" } ?? ""
        var out = """
            # Draft topology inferred by `flowcast topology infer` from \(captureName)\(filterText):
            # \(packets) packets, \(gtpUPackets) GTP-U packets; \(radio.count) radio endpoints (eNB/gNB), \
            \(core.count) core endpoints (UPF/SGW),
            # \(identityCells.count + radio.filter { $0.identity != nil }.count) cell identities from \
            \(signallingMessages) GTPv2-C messages, \(links.count) VLAN/MPLS links.
            # Every \(fill) is a value a capture cannot show: replace each (the `# FILL IN` comment on its
            # line says what goes there), then run `flowcast topology check` on this file.
            # Cells are named by their eNB/gNB address. The radio end of a tunnel was told from the core
            # end by, in order: GTPv2-C F-TEIDs; fewer GTP-U peers; the side opening inner TCP connections;
            # the sender of the first packet (docs/topology.md, "Drafting a topology from a capture").

            """
        if !radio.isEmpty || !identityCells.isEmpty {
            out += """
                bands:
                  - { id: band-1, lowMHz: \(fill), highMHz: \(fill), blockMHz: \(fill) }  \
                # FILL IN: the cells' band: range and block width in MHz (add bands as needed)

                """
        }
        if !radio.isEmpty || !core.isEmpty {
            out += "nodes:\n"
            for r in radio {
                out += "  - { id: \(Self.quoted(r.nodeName)), kind: site, address: \(Self.quoted(r.address.description)) }"
                    + "  # eNB/gNB: \(r.reason.rawValue); \(r.peers) GTP-U peer\(r.peers == 1 ? "" : "s")\n"
            }
            for c in core {
                out += "  - { id: \(Self.quoted(c.nodeName)), kind: core, address: \(Self.quoted(c.address.description)) }"
                    + "  # UPF/SGW: the other end is the radio end (\(c.reason.rawValue)); \(c.peers) GTP-U peer\(c.peers == 1 ? "" : "s")\n"
            }
            out += "\n"
        }
        if !radio.isEmpty || !identityCells.isEmpty {
            out += "cells:\n"
            let todo = "  # FILL IN: peakSpectralEfficiency (bit/s/Hz; or a kpiSource instead), and the band if not band-1"
            for r in radio {
                var line = "  - { id: \(Self.quoted(r.cellName)), band: band-1, peakSpectralEfficiency: \(fill), site: \(Self.quoted(r.nodeName))"
                if let id = r.identity { line += ", globalId: \(Self.quoted(id.description))" }
                out += line + " }" + todo + "; \(r.packets) GTP-U packets, \(r.bytes) bytes\n"
            }
            for id in identityCells {
                out += "  - { id: \(Self.quoted(id.description)), band: band-1, peakSpectralEfficiency: \(fill), "
                    + "globalId: \(Self.quoted(id.description)) }" + todo + "; named by signalling only\n"
            }
            out += "\n"
        }
        if !links.isEmpty {
            out += "links:\n"
            for (i, id) in links.enumerated() {
                out += "  - { id: \(Self.quoted(id)), a: \(fill), b: \(fill), capacity: \(fill) }"
                    + "  # FILL IN: the link's end nodes (node ids) and capacity (bit/s each way); \(linkPackets[i]) packets\n"
            }
            out += "\n"
        }
        if !radio.isEmpty || !linkRules.isEmpty {
            out += "match:\n"
            for r in radio {
                out += "  - { gtpAddress: \(Self.quoted(r.address.description)), cell: \(Self.quoted(r.cellName)) }\n"
            }
            for r in linkRules {
                var criteria: [String] = []
                if let v = r.vlan { criteria.append("vlan: \(v)") }
                if let m = r.mpls { criteria.append("mpls: \(m)") }
                let names = r.links.map { Self.quoted(links[$0]) }.joined(separator: ", ")
                out += "  - { \(criteria.joined(separator: ", ")), links: [\(names)] }\n"
            }
        }
        if cellsOverLimit > 0 || linksOverLimit > 0 || packetsOverLimit > 0 {
            out += "# Left out by the bounds (\(Self.maximumCells) cells, \(Self.maximumLinks) links, "
                + "\(EndpointDiscovery.maximumPairs) endpoint pairs): \(cellsOverLimit) cells, \(linksOverLimit) links, "
                + "\(packetsOverLimit) packets.\n"
        }
        return out
    }

    /// A YAML scalar: plain when it is a simple word, else double-quoted.
    static func quoted(_ s: String) -> String {
        let plain = s.first.map { $0.isLetter } == true
            && s.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_.".unicodeScalars.contains($0) }
        if plain { return s }
        var q = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": q += "\\\""
            case "\\": q += "\\\\"
            default: q.unicodeScalars.append(c)
            }
        }
        return q + "\""
    }
}
