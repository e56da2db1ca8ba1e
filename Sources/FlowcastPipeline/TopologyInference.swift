internal import FlowcastCore
public import FlowcastAggregate
public import FlowcastCapture
internal import FlowcastDecode

/// Reads a capture once and infers its network (`InferredNetwork`): the pass in front of a
/// replay without `--topology`, and all of `flowcast topology infer`. Single-threaded; each
/// packet is decoded in place, and only a new endpoint pair or VLAN/MPLS combination allocates.
/// A capture fault ends the read and is rethrown: a draft from part of a capture would look whole.
/// With `upToFault`, the network of the packets before a fault in the records is returned instead:
/// replay's first pass, whose replay then reads the same packets, writes what they gave and
/// reports the fault (it wrote nothing at all, and left an earlier run's outputs in place).
/// With a `filter` (a BPF expression), only the packets it passes are read, and the network
/// records the expression and how many it skipped.
public func inferNetwork(capturePath: String, mapFile: Bool = true, filter: String? = nil, upToFault: Bool = false,
                         inflated: InflatedCapture? = nil) throws -> InferredNetwork {
    let capture = try OfflineCapture(path: capturePath, mapFile: mapFile, filter: filter, inflated: inflated)
    let decoder = PacketDecoder()
    var discovery = EndpointDiscovery()
    do {
        try capture.forEachPacket { packet in
            let s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                   seconds: packet.timestampSeconds, fraction: packet.timestampFraction)
            if let gtpv2 = s.gtpv2Bytes(packet.bytes), let messages = GTPv2Message.parse(gtpv2) {
                for m in messages { discovery.learn(m) }
            }
            discovery.add(s)
        }
    } catch is CaptureError where upToFault && capture.packetsRead > 0 {
        // The replay reads to the same fault and reports it.
    }
    var network = InferredNetwork(discovery)
    if let filter { network.filter = (filter, UInt64(capture.packetsFiltered)) }
    return network
}

extension RunSummary.InferredTopology {
    init(_ n: InferredNetwork) {
        self.init(cells: n.cellCount, radioEndpoints: n.radio.count, coreEndpoints: n.core.count,
                  identityCells: n.identityCells.count, links: n.links.count,
                  maximumCells: InferredNetwork.maximumCells, maximumLinks: InferredNetwork.maximumLinks,
                  maximumEndpointPairs: EndpointDiscovery.maximumPairs,
                  cellsOverLimit: n.cellsOverLimit, linksOverLimit: n.linksOverLimit,
                  packetsOverLimit: n.packetsOverLimit, bytesOverLimit: n.bytesOverLimit,
                  planning: "skipped: an inferred topology has no bands, capacities or efficiencies "
                    + "(draft one with `flowcast topology infer`, fill it in, and replay with --topology)")
    }
}
