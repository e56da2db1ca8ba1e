import FlowcastAggregate
import FlowcastCore
import FlowcastDecode
import FlowcastTopology
import Foundation
import Testing

@Suite("Endpoint discovery (replay without a topology)")
struct EndpointDiscoveryTests {
    func gPDU(_ source: UInt32, _ destination: UInt32, bytes: Int = 100, syn: Bool = false, vlan: UInt16? = nil) -> PacketSummary {
        var s = PacketSummary()
        s.outerSource = IPAddress(ipv4: source); s.outerDestination = IPAddress(ipv4: destination)
        s.teid = 1; s.gtpMessageType = 0xFF; s.wireLength = bytes; s.vlan = vlan
        if syn { s.tcpFlags = 0x02 }
        return s
    }

    @Test("the end with more GTP-U peers is the UPF; the others are cells named by address")
    func peersTellTheUPF() {
        var d = EndpointDiscovery()
        // The UPF (9) sends first to both, so the first-packet rule alone would pick it.
        d.add(gPDU(9, 1)); d.add(gPDU(1, 9)); d.add(gPDU(9, 2, vlan: 100))
        let n = InferredNetwork(d)
        #expect(n.radio.map(\.cellName) == ["0.0.0.1", "0.0.0.2"])
        #expect(n.radio.allSatisfy { $0.reason == .peers })
        #expect(n.core.map(\.address) == [IPAddress(ipv4: 9)])
        #expect(n.links == ["vlan:100"])
        let t = n.topology
        #expect(t.cells.map(\.id) == ["0.0.0.1", "0.0.0.2"])
        #expect(TopologyMatcher(t).match(ipv4Source: 9, ipv4Destination: 2, teid: 1, vlan: 100).cell == 1)
    }

    @Test("on a single pair, the side opening TCP connections is the radio end, else the first sender")
    func singlePair() {
        var d = EndpointDiscovery()
        d.add(gPDU(5, 6)); d.add(gPDU(6, 5, syn: true))
        #expect(InferredNetwork(d).radio.map(\.address) == [IPAddress(ipv4: 6)])
        var e = EndpointDiscovery()
        e.add(gPDU(5, 6)); e.add(gPDU(6, 5))
        let n = InferredNetwork(e)
        #expect(n.radio.map(\.address) == [IPAddress(ipv4: 5)])
        #expect(n.radio.first?.reason == .firstPacket)
    }

    @Test("bounded: pairs past the table and cells past the cap are counted, not kept")
    func bounds() {
        var d = EndpointDiscovery()
        let pairs = EndpointDiscovery.maximumPairs + 1
        for i in 0..<pairs { d.add(gPDU(0x0A00_0000 + UInt32(i), 0xC000_0000 + UInt32(i), bytes: 10)) }
        #expect(d.overflowPairPackets == 1)
        let n = InferredNetwork(d)
        #expect(n.radio.count == InferredNetwork.maximumCells)
        #expect(n.cellsOverLimit == EndpointDiscovery.maximumPairs - InferredNetwork.maximumCells)
        #expect(n.packetsOverLimit == UInt64(pairs - InferredNetwork.maximumCells))
        #expect(n.bytesOverLimit == 10 * n.packetsOverLimit)
    }

    @Test("non-G-PDU packets (echo, GTPv1-C) do not make endpoints")
    func onlyGPDUs() {
        var d = EndpointDiscovery()
        var echo = gPDU(1, 2); echo.gtpMessageType = 1
        d.add(echo)
        #expect(InferredNetwork(d).hasNoGTP)
    }

    @Test("an IPv6 draft, filled in, loads: cells named in RFC 5952 text, quoted where YAML needs it")
    func ipv6Draft() throws {
        var d = EndpointDiscovery()
        var s = PacketSummary()
        s.outerSource = IPAddress("2001:db8::1"); s.outerDestination = IPAddress("2001:db8:0:0:1::2")
        s.teid = 7; s.gtpMessageType = 0xFF; s.wireLength = 120; s.mplsLabel = 16; s.vlan = 5
        d.add(s)
        let n = InferredNetwork(d)
        let draft = n.draftYAML(captureName: "x.pcap")
        #expect(draft.contains("{ id: \"2001:db8::1\", band: band-1"))
        #expect(draft.contains("{ vlan: 5, mpls: 16, links: [\"vlan:5\", \"mpls:16\"] }"))
        var filled = draft
        for (k, v) in ["lowMHz": "3300", "highMHz": "3400", "blockMHz": "10", "peakSpectralEfficiency": "4",
                       "capacity": "1G", "a": "\"ran-2001:db8::1\"", "b": "\"upf-2001:db8::1:0:0:2\""] {
            filled = filled.replacingOccurrences(of: "\(k): FILL-IN", with: "\(k): \(v)")
        }
        let t = try Topology(yaml: filled)
        #expect(t.cells.map(\.id) == ["2001:db8::1"])
        #expect(t.links.map(\.id) == ["vlan:5", "mpls:16"])
        #expect(t.rules.last?.mpls == 16)
    }
}
