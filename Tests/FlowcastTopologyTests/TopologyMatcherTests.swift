internal import FlowcastCore
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

let matchYAML = """
bands:
  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }
nodes:
  - { id: s1 }
  - { id: core }
cells:
  - { id: c1, band: n78, peakSpectralEfficiency: 5 }
  - { id: c2, band: n78, peakSpectralEfficiency: 5 }
  - { id: c3, band: n78, peakSpectralEfficiency: 5 }
links:
  - { id: l1, a: s1, b: core, capacity: 1G }
  - { id: l2, a: s1, b: core, capacity: 1G }
match:
  - { gtpAddress: 10.10.0.1, cell: c1 }
  - { gtpAddress: 10.10.0.2, teid: [0x1000, 0x1FFF], cell: c2 }
  - { teid: 0x2000-0x2FFF, cell: c3 }
  - { vlan: 101, links: [l1] }
  - { prefix: "2001:db8:1::/48", cell: c3, links: [l2] }
  - { prefix: 10.20.0.0/16, interface: eth1, links: [l2, l1] }

"""

@Test func gtpAddressMatchesEitherDirection() throws {
    let m = TopologyMatcher(try Topology(yaml: matchYAML))
    let up = m.match(ipv4Source: 0x0A0A_0001, ipv4Destination: 0x0A14_0001, teid: 7, vlan: nil)
    let down = m.match(ipv4Source: 0x0A14_0001, ipv4Destination: 0x0A0A_0001, teid: 7, vlan: nil)
    #expect(up.cell == 0 && down.cell == 0)
    #expect(up.links.isEmpty)
}

@Test func everyCriterionOfARuleMustMatch() throws {
    let m = TopologyMatcher(try Topology(yaml: matchYAML))
    #expect(m.match(ipv4Source: 0x0A0A_0002, ipv4Destination: 1, teid: 0x1800, vlan: nil).cell == 1)
    #expect(m.match(ipv4Source: 0x0A0A_0002, ipv4Destination: 1, teid: 0x3000, vlan: nil).cell == nil)
    #expect(m.match(ipv4Source: 0x0A0A_0002, ipv4Destination: 1, teid: nil, vlan: nil).cell == nil)
    #expect(m.match(ipv4Source: 9, ipv4Destination: 1, teid: 0x2FFF, vlan: nil).cell == 2)
}

@Test func cellAndLinksComeFromTheirFirstMatchingRules() throws {
    let m = TopologyMatcher(try Topology(yaml: matchYAML))
    let r = m.match(ipv4Source: 0x0A0A_0001, ipv4Destination: 0x0A14_0001, teid: nil, vlan: 101)
    #expect(r.cell == 0)
    #expect(Array(m.links(of: r)) == [0])
}

@Test func interfaceCriterion() throws {
    let m = TopologyMatcher(try Topology(yaml: matchYAML))
    let eth1 = try #require(m.interfaceID(named: "eth1"))
    #expect(m.match(ipv4Source: 1, ipv4Destination: 0x0A14_0203, teid: nil, vlan: nil, interface: eth1).links.count == 2)
    #expect(m.match(ipv4Source: 1, ipv4Destination: 0x0A14_0203, teid: nil, vlan: nil).links.isEmpty)
}

@Test func ipv6PrefixesMatchIPv6Only() throws {
    let m = TopologyMatcher(try Topology(yaml: matchYAML))
    let inside = m.match(ipv6Source: (0x2001_0DB8_0001_0000, 5), ipv6Destination: (0x2001_0DB8_9999_0000, 1),
                         teid: nil, vlan: nil)
    #expect(inside.cell == 2)
    #expect(Array(m.links(of: inside)) == [1])
    #expect(m.match(ipv4Source: 0x2001_0DB8, ipv4Destination: 0, teid: nil, vlan: nil).cell == nil)
}

@Test("An IPv4 host carried IPv4-mapped in IPv6 matches the rules that name it in IPv4")
func ipv4MappedAddressesMatchIPv4Rules() throws {
    let m = TopologyMatcher(try Topology(yaml: matchYAML))
    for v4: UInt32 in [0x0A0A_0001, 0x0A14_0304] {
        // 10.10.0.1 is a gtpAddress rule's (a cell); 10.20.3.4 lies in a prefix rule's (links, on eth1).
        let plain = m.match(ipv4Source: v4, ipv4Destination: 0x0808_0808, teid: nil, vlan: nil, interface: 0)
        let mapped = m.match(ipv6Source: (0, 0x0000_FFFF_0000_0000 | UInt64(v4)), ipv6Destination: (0, 0x0000_FFFF_0808_0808),
                             teid: nil, vlan: nil, interface: 0)
        #expect(plain.cell != nil || !plain.links.isEmpty)
        #expect(mapped == plain)
    }
}

@Test func addressesFromBytes() {
    let v4: [UInt8] = [10, 10, 0, 1]
    let a = v4.withUnsafeBytes { IPAddress(bytes: $0) }
    #expect(a == IPAddress("10.10.0.1"))
    #expect(a?.description == "10.10.0.1")
    var v6 = [UInt8](repeating: 0, count: 16)
    v6[0] = 0x20; v6[1] = 0x01; v6[15] = 1
    #expect(v6.withUnsafeBytes { IPAddress(bytes: $0) } == IPAddress("2001::1"))
    #expect(IPAddress("300.1.1.1") == nil)
}

@Test func prefixParsing() throws {
    #expect(throws: IPPrefix.ParseError.hostBitsSet("10.0.0.1/8")) { try IPPrefix(parsing: "10.0.0.1/8") }
    #expect(throws: IPPrefix.ParseError.badLength("10.0.0.0/33")) { try IPPrefix(parsing: "10.0.0.0/33") }
    let p = try IPPrefix(parsing: "10.20.0.0/16")
    #expect(p.contains(IPAddress(ipv4: 0x0A14_FFFF)))
    #expect(!p.contains(IPAddress(ipv4: 0x0A15_0000)))
    #expect(try IPPrefix(parsing: "0.0.0.0/0").contains(IPAddress(ipv4: 1)))
}

@Test func demoTopologyFollowsTheDemoCaptureConventions() throws {
    let t = try Topology(contentsOfFile: Fixtures.captures.appendingPathComponent("demo/topology.yaml").path)
    let m = TopologyMatcher(t)
    for k in 1...6 {
        let r = m.match(ipv4Source: 0x0A0A_0000 | UInt32(k), ipv4Destination: 0x0A14_0001, teid: 42, vlan: UInt16(100 + k))
        #expect(r.cell.map { t.cells[$0].id } == "cell-\(k)")
        // The site's VLAN carries its traffic over the path the network routed it by: its demand's
        // first (least-cost) path, every link of it, so each link's measured load is all it carried.
        let demand = try #require(t.demands.first { $0.id == "d-cell-\(k)" })
        #expect(m.links(of: r).sorted() == demand.paths[0].sorted())
    }
    // Untagged signalling to a UPF is on no link: the capture keeps all of it while the user
    // plane is sampled, so --sampling would invent load there.
    let core = m.match(ipv4Source: 0x0A14_0002, ipv4Destination: 0x0A0A_0004, teid: 1, vlan: nil)
    #expect(m.links(of: core).isEmpty)
}

/// `mayMatch` lets callers skip `match` (and any cache) for most traffic: it must never say
/// "no" to a packet some rule matches.
@Test("mayMatch is conservative: whenever it says no rule can match, match finds none",
      arguments: [matchYAML, prefixOnlyYAML, mplsYAML])
func mayMatchIsConservative(_ yaml: String) throws {
    let m = TopologyMatcher(try Topology(yaml: yaml))
    var rng = SystemRandomNumberGenerator()
    // Addresses near the rules' own (so matches happen) and random ones, both families.
    let bases: [IPAddress] = [IPAddress("10.10.0.1")!, IPAddress("10.20.3.4")!, IPAddress("10.30.7.9")!,
                              IPAddress("2001:db8:1::5")!, IPAddress("2001:db8:2::1")!, IPAddress("::ffff:10.20.3.4")!]
    func address() -> IPAddress {
        let base = bases.randomElement(using: &rng)!
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return base
        case 1: return base.isIPv4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: base.low) ^ UInt32.random(in: 0..<1024, using: &rng))
                                   : IPAddress(ipv6High: base.high, low: base.low ^ UInt64.random(in: 0..<1024, using: &rng))
        default: return Bool.random(using: &rng) ? IPAddress(ipv4: UInt32.random(in: 0...UInt32.max, using: &rng))
                                                 : IPAddress(ipv6High: UInt64.random(in: 0...UInt64.max, using: &rng), low: UInt64.random(in: 0...UInt64.max, using: &rng))
        }
    }
    var skipped = 0, matched = 0
    for _ in 0..<50_000 {
        let src = address(), dst = address()
        let vlan: UInt16? = Bool.random(using: &rng) ? UInt16.random(in: 99...102, using: &rng) : nil
        let teid: UInt32? = Bool.random(using: &rng) ? UInt32.random(in: 0xF00...0x3000, using: &rng) : nil
        let mpls: UInt32? = Bool.random(using: &rng) ? UInt32.random(in: 14...18, using: &rng) : nil
        let result = m.match(source: src, destination: dst, teid: teid, vlan: vlan, mpls: mpls)
        if result.cell != nil || !result.links.isEmpty { matched += 1 }
        if !m.mayMatch(source: src, destination: dst, vlan: vlan, mpls: mpls) {
            skipped += 1
            #expect(result.cell == nil && result.links.isEmpty, "\(src) \(dst) vlan \(String(describing: vlan))")
        }
    }
    #expect(matched > 1000)
    if yaml == prefixOnlyYAML { #expect(skipped > 10_000) }  // the filter does its job
}

/// `matchYAML` with MPLS rules in front (one with a VLAN too).
let mplsYAML = matchYAML.replacingOccurrences(of: "match:\n", with: "match:\n  - { vlan: 100, mpls: 15, links: [l1] }\n  - { mpls: 16, links: [l2] }\n")

let prefixOnlyYAML = """
bands:
  - { id: n78, lowMHz: 3300, highMHz: 3800, blockMHz: 10 }
nodes:
  - { id: s1 }
  - { id: core }
cells:
  - { id: c1, band: n78, peakSpectralEfficiency: 5 }
  - { id: c2, band: n78, peakSpectralEfficiency: 5 }
links:
  - { id: l1, a: s1, b: core, capacity: 1G }
match:
  - { prefix: 10.20.0.0/24, cell: c1, links: [l1] }
  - { prefix: 10.30.7.0/28, cell: c2 }
  - { prefix: "2001:db8:1::/48", links: [l1] }
  - { prefix: 10.10.0.1/32, cell: c2 }

"""

@Test func mplsCriterionMatchesTheOutermostLabel() throws {
    let yaml = matchYAML.replacingOccurrences(of: "match:\n", with: "match:\n  - { vlan: 7, mpls: 16, links: [l1, l2] }\n  - { mpls: 16, links: [l2] }\n")
    let m = TopologyMatcher(try Topology(yaml: yaml))
    #expect(m.rulesUseMPLS)
    #expect(Array(m.links(of: m.match(source: IPAddress(ipv4: 1), destination: IPAddress(ipv4: 2), teid: nil, vlan: 7, mpls: 16))) == [0, 1])
    #expect(Array(m.links(of: m.match(source: IPAddress(ipv4: 1), destination: IPAddress(ipv4: 2), teid: nil, vlan: nil, mpls: 16))) == [1])
    #expect(m.match(source: IPAddress(ipv4: 1), destination: IPAddress(ipv4: 2), teid: nil, vlan: nil, mpls: 17).links.isEmpty)
    #expect(m.mayMatch(source: IPAddress(ipv4: 1), destination: IPAddress(ipv4: 2), vlan: nil, mpls: 16))
    #expect(!TopologyMatcher(try Topology(yaml: matchYAML)).rulesUseMPLS)
}

@Test func anMPLSLabelOutOfRangeIsRefusedAtItsLine() {
    let yaml = matchYAML.replacingOccurrences(of: "match:\n", with: "match:\n  - { mpls: 1048576, links: [l2] }\n")
    let found = problems(yaml)
    let line = yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("1048576") }! + 1
    #expect(found.contains { $0.message.contains("MPLS label 1048576") && $0.line == line }, "\(found)")
}
