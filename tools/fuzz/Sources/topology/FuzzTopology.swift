// Fuzz target: the topology loader. Input: topology YAML; a topology that loads is also turned
// into the matcher replay uses and asked about one address.
import FlowcastCore
import FlowcastTopology
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Fuzz.run(data, size) { bytes in
        guard let topology = try? Topology(yaml: Fuzz.text(bytes), file: "fuzz.yaml") else { return }
        let matcher = TopologyMatcher(topology)
        let address = IPAddress(ipv4: 0x0A00_0001)
        _ = matcher.match(source: address, destination: address, teid: 1, vlan: 100)
        for demand in topology.demands {
            for path in demand.paths { _ = topology.nodesAlong(path, from: demand.source) }
        }
    }
}
