import FlowcastCore
@testable import FlowcastTopology
import Testing

/// Links may give each end's interface address (`addresses`): the next hop over that link, where
/// a router's own `address` (often a loopback) is not on-link from its neighbours.
@Test func linkAddressesAreEachEndsNextHopOverThatLink() throws {
    let t = try Topology(yaml: """
    nodes:
      - { id: s1, address: 10.255.0.1 }
      - { id: a1, address: 10.255.0.11 }
      - { id: a2 }
    links:
      - { id: l1, a: s1, b: a1, capacity: 1G, addresses: { s1: 192.0.2.0, a1: 192.0.2.1 } }
      - { id: l2, a: s1, b: a2, capacity: 1G, addresses: { a2: "2001:db8::3" } }
      - { id: l3, a: a1, b: a2, capacity: 1G }
    """)
    let s1 = try #require(t.nodeIndex("s1")), a1 = try #require(t.nodeIndex("a1")), a2 = try #require(t.nodeIndex("a2"))
    let l1 = try #require(t.linkIndex("l1")), l2 = try #require(t.linkIndex("l2")), l3 = try #require(t.linkIndex("l3"))
    #expect(t.nextHopAddress(over: l1, to: a1)?.description == "192.0.2.1")
    #expect(t.nextHopAddress(over: l1, to: s1)?.description == "192.0.2.0")
    #expect(t.nextHopAddress(over: l2, to: a2)?.description == "2001:db8::3")
    // An end the link gives no address for: the node's own, or none.
    #expect(t.nextHopAddress(over: l2, to: s1)?.description == "10.255.0.1")
    #expect(t.nextHopAddress(over: l3, to: a1)?.description == "10.255.0.11")
    #expect(t.nextHopAddress(over: l3, to: a2) == nil)
    // A node that is not the link's end has no address on it.
    #expect(t.links[l3].address(of: s1) == nil)
}

@Test func badLinkAddressesAreProblemsAtTheirLines() {
    let found = problems("""
    nodes:
      - { id: s1, address: 10.255.0.1 }
      - { id: a1 }
      - { id: a2 }
    links:
      - { id: l1, a: s1, b: a1, capacity: 1G, addresses: { s1: 192.0.2.0, a2: 192.0.2.1 } }
      - { id: l2, a: s1, b: a2, capacity: 1G, addresses: { a2: 300.1.1.1 } }
      - { id: l3, a: a1, b: a2, capacity: 1G, addresses: [192.0.2.8, 192.0.2.9] }
      - { id: l4, a: a1, b: a2, capacity: 1G, addresses: { a1: 10.255.0.1 } }
      - { id: l5, a: a1, b: a2, capacity: 1G, addresses: { a1: 192.0.2.0 } }
    """)
    let messages = found.map(\.message)
    #expect(messages.contains("link 'l1': addresses names 'a2', which is not one of its ends ('s1', 'a1')"), "\(messages)")
    #expect(messages.contains("bad address '300.1.1.1' for node 'a2' in the addresses of link 'l2'"), "\(messages)")
    #expect(messages.contains { $0.hasPrefix("'addresses' in link 'l3' must be a mapping of its ends' node ids to addresses") }, "\(messages)")
    // One address for two routers: a node's own and another's interface, or two interfaces.
    #expect(messages.contains("address 10.255.0.1 is given to node 'a1' (on link 'l4', line 9) and to node 's1' (its address, line 2); "
        + "an address names one router"), "\(messages)")
    #expect(messages.contains("address 192.0.2.0 is given to node 'a1' (on link 'l5', line 10) and to node 's1' (on link 'l1', line 6); "
        + "an address names one router"), "\(messages)")
    #expect(found.first { $0.message.hasPrefix("link 'l1': addresses names") }?.line == 6)
    #expect(found.first { $0.message.hasPrefix("bad address '300.1.1.1'") }?.line == 7)
    #expect(found.count == 5, "\(messages)")
}

/// The same router may give one address on several of its links (an unnumbered interface
/// borrowing its loopback's): that is not two routers with one address.
@Test func oneRouterMayRepeatItsAddress() throws {
    _ = try Topology(yaml: """
    nodes:
      - { id: s1, address: 10.255.0.1 }
      - { id: a1 }
    links:
      - { id: l1, a: s1, b: a1, capacity: 1G, addresses: { s1: 10.255.0.1 } }
      - { id: l2, a: s1, b: a1, capacity: 1G, addresses: { s1: 10.255.0.1 } }
    """)
}

/// A link's addresses are next hops: one no route can use is refused at its line (a reviewer found
/// fe80::1 accepted, and Linux then refused the route: "Egress device not specified").
@Test func addressesNoRouteCanUseAreRefused() {
    let unusable = ["0.0.0.0": "the unspecified address", "127.0.0.1": "a loopback address", "224.0.0.1": "a multicast address",
                    "255.255.255.255": "the broadcast address", "::": "the unspecified address", "::1": "the loopback address",
                    "ff02::1": "a multicast address", "fe80::1": "link-local"]
    for (address, why) in unusable {
        let found = problems("""
        nodes:
          - { id: s1 }
          - { id: a1 }
        links:
          - { id: l1, a: s1, b: a1, capacity: 1G, addresses: { a1: "\(address)" } }
        """)
        #expect(found.count == 1 && found.first?.line == 5, "\(address): \(found)")
        #expect(found.first?.message.hasPrefix("address \(IPAddress(address)!) for node 'a1' in the addresses of link 'l1' is \(why)") == true,
                "\(address): \(found)")
    }
    for usable in ["192.0.2.1", "10.0.0.1", "2001:db8::1", "fd00::1", "100.64.0.1"] {
        #expect(IPAddress(usable)?.nextHopProblem == nil, "\(usable)")
    }
}
