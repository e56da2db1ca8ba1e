import FlowcastCore
@testable import FlowcastPolicy
import FlowcastTestSupport
import FlowcastTopology
import Foundation
import Testing

/// Applies `flowcast export --to iproute` output for real: one network namespace per source
/// router, a veth pair whose link routes make every next hop on-link, then each exported command
/// with `ip -n NS`, and `ip route show` must list the same next hops with the same weights.
/// Needs root and iproute2 with namespace support; skipped (with this reason) otherwise.
enum Namespaces {
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `ip` with arguments; returns (status, stdout + stderr).
    @discardableResult
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        guard let ip else { return (-1, "no ip") }
        do {
            let child = try ChildProcess(ip, arguments, stdout: .capture, stderr: .standardOutput)
            try child.wait(timeout: 60)
            return (child.terminationStatus, child.stdout)
        } catch {
            return (-1, "\(error)")
        }
    }

    /// True when a namespace with a veth pair can be made here (root, iproute2, kernel support).
    static let available: Bool = {
        guard ip != nil, geteuid() == 0 else { return false }
        let name = "fc-probe-\(getpid())"
        defer { run(["netns", "del", name]) }
        return run(["netns", "add", name]).status == 0
            && run(["-n", name, "link", "add", "fcp0", "type", "veth", "peer", "name", "fcp1"]).status == 0
    }()
}

/// Exported route per prefix: next hop → weight.
typealias RouteTable = [String: [String: Int]]

/// Parses the `ip route replace` lines of one source router's block.
func exportedRoutes(_ lines: [Substring]) -> RouteTable {
    var table: RouteTable = [:]
    for line in lines where line.hasPrefix("ip route replace ") {
        // `via inet6 ADDR` (an IPv4 prefix through an IPv6 next hop) reads as `via ADDR`.
        let words = line.split(separator: "#")[0].split(separator: " ").map(String.init).filter { $0 != "inet6" }
        var hops: [String: Int] = [:]
        var i = 4
        while i + 4 < words.count + 1 && words[i] == "nexthop" {
            hops[words[i + 2]] = Int(words[i + 4])!
            i += 5
        }
        table[words[3]] = hops
    }
    return table
}

/// Parses `ip route show` text: multipath routes as `nexthop via A dev D weight W` lines under
/// the prefix; single next hops as `PREFIX via A dev D` (the kernel keeps no weight for those).
func installedRoutes(_ text: String) -> RouteTable {
    var table: RouteTable = [:]
    var current: String?
    for line in text.split(separator: "\n") {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init).filter { $0 != "inet6" }
        guard let first = words.first else { continue }
        if line.hasPrefix("\t") || line.hasPrefix(" ") {
            guard first == "nexthop", let current, let via = words.firstIndex(of: "via") else { continue }
            let weight = words.firstIndex(of: "weight").map { Int(words[$0 + 1])! } ?? 1
            table[current, default: [:]][words[via + 1]] = weight
        } else {
            current = first
            // One next hop: the kernel keeps no weight for it; the export writes `weight 1`.
            if let via = words.firstIndex(of: "via") { table[first] = [words[via + 1]: 1] }
        }
    }
    return table
}

/// Applies every source router's block in its own namespace and checks what the kernel holds.
func applyInNamespaces(_ export: String, tag: String) throws {
    var blocks: [(source: String, lines: [Substring])] = []
    for line in export.split(separator: "\n") {
        if line.hasPrefix("# on ") { blocks.append((String(line.dropFirst(5)), [])) }
        else if !blocks.isEmpty { blocks[blocks.count - 1].lines.append(line) }
    }
    #expect(!blocks.isEmpty)
    for (n, block) in blocks.enumerated() {
        let expected = exportedRoutes(block.lines)
        guard !expected.isEmpty else { continue }
        let ns = "fc-\(tag)-\(getpid())-\(n)"
        Namespaces.run(["netns", "del", ns])
        #expect(Namespaces.run(["netns", "add", ns]).status == 0)
        defer { Namespaces.run(["netns", "del", ns]) }
        #expect(Namespaces.run(["-n", ns, "link", "add", "fc0", "type", "veth", "peer", "name", "fc1"]).status == 0)
        for dev in ["lo", "fc0", "fc1"] { Namespaces.run(["-n", ns, "link", "set", dev, "up"]) }
        for hop in Set(expected.values.flatMap(\.keys)).sorted() {
            let r = Namespaces.run(["-n", ns, "route", "add", hop, "dev", "fc0", "scope", "link"])
            #expect(r.status == 0, "\(ns): \(r.output)")
        }
        for line in block.lines where line.hasPrefix("ip route replace ") {
            let words = line.split(separator: "#")[0].split(separator: " ").map(String.init)
            let r = Namespaces.run(["-n", ns] + words.dropFirst())
            #expect(r.status == 0, "\(block.source): \(line): \(r.output)")
        }
        // Replacing again must be idempotent (the exporter's commands are re-runnable).
        for line in block.lines where line.hasPrefix("ip route replace ") {
            let words = line.split(separator: "#")[0].split(separator: " ").map(String.init)
            #expect(Namespaces.run(["-n", ns] + words.dropFirst()).status == 0)
        }
        let shown = Namespaces.run(["-n", ns, "route", "show"]), shown6 = Namespaces.run(["-n", ns, "-6", "route", "show"])
        #expect(shown.status == 0 && shown6.status == 0)
        let installed = installedRoutes(shown.output + "\n" + shown6.output).filter { expected[$0.key] != nil }
        #expect(installed == expected, "\(block.source)")
    }
}

@Test(.enabled(if: Namespaces.available, "needs root and iproute2 with network namespaces (ip netns add, veth); skipped"),
      arguments: ["Tests/FlowcastPolicyTests/Golden/policy.json", "policies/examples/demo-policy.json"])
func ipRouteExportAppliesInANamespaceAndReadsBack(path: String) throws {
    let document = try PolicyDocument(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path))
    try applyInNamespaces(try PolicyExporter.export(document, as: .iproute), tag: path.contains("Golden") ? "g" : "d")
}

@Test(.enabled(if: Namespaces.available, "needs root and iproute2 with network namespaces (ip netns add, veth); skipped"))
func abilenePlanAppliesInNamespacesWithMultipathWeights() throws {
    // A robust plan over three real matrices spreads many demands over several next hops.
    let t = try abileneTopology()
    let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("data/abilene/od_tm_public.csv"), encoding: .utf8)
    let lines = text.split(separator: "\n")
    let header = lines[0].split(separator: ",").map(String.init)
    func row(_ r: Int) -> [String: Double] {
        let cells = lines[r + 1].split(separator: ",", omittingEmptySubsequences: false)
        return Dictionary(uniqueKeysWithValues: t.demands.map { ($0.id, Double(cells[header.firstIndex(of: $0.id)!])! * 1e6) })
    }
    let now = row(2000)
    let input = ForecastSet(forecasts: t.demands.map { Forecast(id: $0.id, kind: .demand, point: now[$0.id]!, upper: now[$0.id]! * 1.5, source: "row 2000") },
                            scenarios: [row(1999), row(1998)])
    let zero = "sha256:" + String(repeating: "0", count: 64)
    let document = try PolicyPlanner(topology: t).plan(input, provenance: Provenance(inputDigest: zero, topologyDigest: zero))
    let export = try PolicyExporter.export(document, as: .iproute)
    #expect(export.contains("weight"))
    // Destination forwarding through those routes: no loop, nothing lost, no link past the plan.
    _ = forwardThroughRoutes(document)
    try applyInNamespaces(export, tag: "a")
}

/// An IPv4 prefix behind routers with IPv6 addresses: exported `via inet6` (plain `via` failed in
/// `ip` with "inet address is expected"), and the kernel takes it.
@Test(.enabled(if: Namespaces.available, "needs root and iproute2 with network namespaces (ip netns add, veth); skipped"))
func anIPv4PrefixThroughIPv6NextHopsApplies() throws {
    let yaml = """
    bands:
      - { id: n78, lowMHz: 3400, highMHz: 3600, blockMHz: 10 }
    nodes:
      - { id: s1, address: "2001:db8:ff::1" }
      - { id: a1, address: "2001:db8:ff::11" }
      - { id: a2, address: "2001:db8:ff::12" }
      - { id: core, address: "2001:db8:ff::20" }
    cells:
      - { id: c1, band: n78, peakSpectralEfficiency: 5 }
    links:
      - { id: l1, a: s1, b: a1, capacity: 1G }
      - { id: l2, a: s1, b: a2, capacity: 1G }
      - { id: l4, a: a1, b: core, capacity: 10G }
      - { id: l5, a: a2, b: core, capacity: 10G }
    demands:
      - { id: d1, source: s1, destination: core, prefix: "10.20.0.0/24" }
      - { id: d6, source: s1, destination: core, prefix: "2001:db8:20::/48" }
    """
    let zero = "sha256:" + String(repeating: "0", count: 64)
    let input = ForecastSet(forecasts: [Forecast(id: "d1", kind: .demand, point: 1e9, upper: 1.2e9, source: "t"),
                                        Forecast(id: "d6", kind: .demand, point: 1e8, upper: 1e8, source: "t")])
    let document = try PolicyPlanner(topology: try Topology(yaml: yaml)).plan(input, provenance: Provenance(inputDigest: zero, topologyDigest: zero))
    let export = try PolicyExporter.export(document, as: .iproute)
    #expect(export.contains("ip route replace 10.20.0.0/24 nexthop via inet6 2001:db8:ff::"), "\(export)")
    #expect(export.contains("ip route replace 2001:db8:20::/48 nexthop via 2001:db8:ff::"), "\(export)")
    try applyInNamespaces(export, tag: "m")
}

/// A network of routers with loopback addresses and /31 point-to-point links, as operators number
/// them: a loopback is not on-link from a neighbour, so Linux refuses it as a next hop ("Nexthop
/// has invalid gateway"), and each link's interface addresses (`links[].addresses`) are the next
/// hops. One namespace per router, one veth pair per link (two in parallel between s1 and a1);
/// the export's commands are applied on every router and a ping crosses the network.
enum PointToPointNetwork {
    static let yaml = """
    bands:
      - { id: n78, lowMHz: 3400, highMHz: 3600, blockMHz: 10 }
    nodes:
      - { id: s1, address: 10.255.0.1 }
      - { id: a1, address: 10.255.0.11 }
      - { id: a2, address: 10.255.0.12 }
      - { id: core, address: 10.255.0.20 }
    cells:
      - { id: c1, band: n78, peakSpectralEfficiency: 5 }
    links:
      - { id: l1, a: s1, b: a1, capacity: 1G, addresses: { s1: 192.0.2.0, a1: 192.0.2.1 } }
      - { id: l1b, a: s1, b: a1, capacity: 1G, addresses: { s1: 192.0.2.8, a1: 192.0.2.9 } }
      - { id: l2, a: s1, b: a2, capacity: 1G, addresses: { s1: 192.0.2.2, a2: 192.0.2.3 } }
      - { id: l4, a: a1, b: core, capacity: 10G, addresses: { a1: 192.0.2.4, core: 192.0.2.5 } }
      - { id: l5, a: a2, b: core, capacity: 10G, addresses: { a2: 192.0.2.6, core: 192.0.2.7 } }
    demands:
      - { id: d1, source: s1, destination: core, prefix: "10.20.0.0/24" }
    """

    /// The same network with the routers' loopbacks as the only addresses.
    static var loopbacksOnly: String {
        yaml.split(separator: "\n").map { line in
            guard let cut = line.range(of: ", addresses:") else { return String(line) }
            return String(line[..<cut.lowerBound]) + " }"
        }.joined(separator: "\n")
    }

    /// A plan that must use all three links out of s1 (2.4 Gbit/s over three of 1 Gbit/s).
    static func plan(_ yaml: String) throws -> (Topology, PolicyDocument) {
        let topology = try Topology(yaml: yaml)
        let zero = "sha256:" + String(repeating: "0", count: 64)
        let input = ForecastSet(forecasts: [Forecast(id: "d1", kind: .demand, point: 2e9, upper: 2.4e9, source: "t")])
        return (topology, try PolicyPlanner(topology: topology).plan(input, provenance: Provenance(inputDigest: zero, topologyDigest: zero)))
    }
}

@Test func eachLinksInterfaceAddressIsTheNextHopOverIt() throws {
    let (topology, document) = try PointToPointNetwork.plan(PointToPointNetwork.yaml)
    let paths = try #require(document.routing.demands.first).paths
    #expect(Set(paths.filter { $0.weight > 0 }.compactMap(\.nextHop)) == ["192.0.2.1", "192.0.2.9", "192.0.2.3"], "\(paths)")
    let full = try PolicyExporter.export(document, as: .iproute, addresses: NextHopAddresses(topology: topology))
    let s1 = exportedRoutes(full.components(separatedBy: "# on s1\n")[1].split(separator: "\n"))
    let hops: Set<String> = Set(s1["10.20.0.0/24"].map { Array($0.keys) } ?? [])
    #expect(hops == ["192.0.2.1", "192.0.2.9", "192.0.2.3"], "\(full)")
    // Transit routers: their next hop over l4 / l5 is core's interface there, not its loopback.
    #expect(full.contains("# on a1\nip route replace 10.20.0.0/24 nexthop via 192.0.2.5 weight 1  # d1"), "\(full)")
    #expect(full.contains("# on a2\nip route replace 10.20.0.0/24 nexthop via 192.0.2.7 weight 1  # d1"), "\(full)")
    #expect(!full.contains("10.255.0."), "\(full)")
    // Without the topology the policy gives only first hops: a transit router's hop over another
    // link is not guessed from them.
    let bare = try PolicyExporter.export(document, as: .iproute)
    #expect(bare.contains("# on a1\n# 10.20.0.0/24: all to core, where the prefix is"), "\(bare)")
    #expect(exportedRoutes(bare.components(separatedBy: "# on s1\n")[1].split(separator: "\n")) == s1)
}

/// Two parallel links to one router known only by its loopback are one next hop to the kernel:
/// one `nexthop` with both shares (two with the same gateway are refused by `ip`).
@Test func parallelLinksToOneAddressAreOneNextHop() throws {
    let (topology, document) = try PointToPointNetwork.plan(PointToPointNetwork.loopbacksOnly)
    let full = try PolicyExporter.export(document, as: .iproute, addresses: NextHopAddresses(topology: topology))
    let s1 = try #require(exportedRoutes(full.components(separatedBy: "# on s1\n")[1].split(separator: "\n"))["10.20.0.0/24"])
    #expect(Set(s1.keys) == ["10.255.0.11", "10.255.0.12"], "\(full)")
    let sum = s1.values.reduce(0, +)
    let share = Double(s1["10.255.0.11"] ?? 0) / Double(sum)
    #expect(abs(share - 2.0 / 3) < 0.01, "\(full)")
    // The split over the parallel links is lost to the kernel: said in the route's comments and
    // as a warning (`export` repeats it on stderr). An audit's 72/28 split over a 2.5G and a 1G
    // link became one next hop without a word.
    #expect(full.contains("# warning: 1 route sends over parallel links to one address"), "\(full)")
    #expect(full.contains("share the address 10.255.0.11, so they are one next hop: the plan's split over them is lost"), "\(full)")
    // One router's section alone, for --router.
    let one = try PolicyExporter.export(document, as: .iproute, addresses: NextHopAddresses(topology: topology), router: "s1")
    #expect(one.contains("# The routes of router s1 only: run them on s1.\n") && one.contains("# on s1\n"), "\(one)")
    #expect(one.components(separatedBy: "# on ").count == 2, "\(one)")
    #expect(exportedRoutes(one.components(separatedBy: "# on s1\n")[1].split(separator: "\n"))["10.20.0.0/24"] == s1)
}

@Test(.enabled(if: Namespaces.available, "needs root and iproute2 with network namespaces (ip netns add, veth); skipped"))
func pointToPointNetworkForwardsThroughTheExportedRoutes() throws {
    let (topology, document) = try PointToPointNetwork.plan(PointToPointNetwork.yaml)
    let export = try PolicyExporter.export(document, as: .iproute, addresses: NextHopAddresses(topology: topology))
    let tag = "fp\(getpid())"
    func ns(_ node: String) -> String { "\(tag)-\(node)" }
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let r = Namespaces.run(arguments)
        #expect(r.status == 0, "ip \(arguments.joined(separator: " ")): \(r.output)", sourceLocation: sourceLocation)
    }
    let routers = topology.nodes.map(\.id)
    defer { for r in routers { Namespaces.run(["netns", "del", ns(r)]) } }
    for r in routers {
        Namespaces.run(["netns", "del", ns(r)])
        ok(["netns", "add", ns(r)])
        // Forward, hash multipath by ports, and accept replies on any link (the paths are asymmetric).
        ok(["netns", "exec", ns(r), "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1",
            "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"])
        ok(["-n", ns(r), "link", "set", "lo", "up"])
        ok(["-n", ns(r), "addr", "add", topology.nodes[topology.nodeIndex(r)!].address!.description + "/32", "dev", "lo"])
    }
    ok(["-n", ns("core"), "addr", "add", "10.20.0.1/24", "dev", "lo"])
    for (i, link) in topology.links.enumerated() {
        let a = topology.nodes[link.a].id, b = topology.nodes[link.b].id
        ok(["-n", ns(a), "link", "add", "p\(i)", "type", "veth", "peer", "name", "p\(i)", "netns", ns(b)])
        for (end, address) in [(a, link.aAddress!), (b, link.bAddress!)] {
            ok(["-n", ns(end), "addr", "add", "\(address)/31", "dev", "p\(i)"])
            ok(["-n", ns(end), "link", "set", "p\(i)", "up"])
        }
    }
    // The export's commands, each router's block in its namespace.
    var router: String?
    var applied = 0
    for line in export.split(separator: "\n") {
        if line.hasPrefix("# on ") { router = String(line.dropFirst(5)); continue }
        guard line.hasPrefix("ip route replace "), let router else { continue }
        ok(["-n", ns(router)] + line.split(separator: "#")[0].split(separator: " ").dropFirst().map(String.init))
        applied += 1
    }
    #expect(applied == 3, "\(export)")
    // Replies to s1's loopback go back the way operators' IGP would send them.
    ok(["-n", ns("core"), "route", "add", "10.255.0.1/32", "via", "192.0.2.4"])
    ok(["-n", ns("a1"), "route", "add", "10.255.0.1/32", "via", "192.0.2.0"])
    ok(["-n", ns("a2"), "route", "add", "10.255.0.1/32", "via", "192.0.2.2"])
    // s1 spreads flows over all three next hops, as the plan's split says.
    var vias: Set<String> = []
    for port in 1000..<1064 {
        let r = Namespaces.run(["-n", ns("s1"), "route", "get", "10.20.0.1", "from", "10.255.0.1", "ipproto", "udp",
                                "sport", "\(port)", "dport", "53"])
        let words = r.output.split(separator: " ").map(String.init)
        if let via = words.firstIndex(of: "via") { vias.insert(words[via + 1]) }
    }
    #expect(vias == ["192.0.2.1", "192.0.2.9", "192.0.2.3"], "\(vias)")
    // And traffic crosses: s1 → a1 or a2 → core and back.
    ok(["netns", "exec", ns("s1"), "ping", "-c", "2", "-W", "2", "-I", "10.255.0.1", "10.20.0.1"])

    // With loopbacks as next hops (a node's `address` alone), Linux refuses every line.
    let (plainTopology, plainDocument) = try PointToPointNetwork.plan(PointToPointNetwork.loopbacksOnly)
    let plain = try PolicyExporter.export(plainDocument, as: .iproute, addresses: NextHopAddresses(topology: plainTopology))
    let line = try #require(plain.components(separatedBy: "# on s1\n")[1].split(separator: "\n").first { $0.hasPrefix("ip route replace ") })
    let refused = Namespaces.run(["-n", ns("s1")] + line.split(separator: "#")[0].split(separator: " ").dropFirst().map(String.init))
    #expect(refused.status != 0 && refused.output.contains("invalid gateway"), "\(refused.output)")
}

/// Without the topology, a transit router whose next hop is reached over a link no path starts
/// with takes the address the policy's first hops give that node over its other links, when they
/// all agree (its node address in a topology without links' addresses; the export before links
/// had addresses did the same), and the route says so. A node reached over links whose first hops
/// give different addresses has addresses per link: none is taken, and the route is a comment.
@Test func aTransitHopTakesTheAddressTheFirstHopsAgreeOn() throws {
    let ring = """
    bands:
      - { id: n78, lowMHz: 3400, highMHz: 3600, blockMHz: 10 }
    nodes:
      - { id: s1, address: 10.255.0.1 }
      - { id: s2, address: 10.255.0.2 }
      - { id: s3, address: 10.255.0.3 }
      - { id: a1, address: 10.255.0.11 }
      - { id: core, address: 10.255.0.20 }
    links:
      - { id: l12, a: s1, b: s2, capacity: 1G }
      - { id: l23, a: s2, b: s3, capacity: 1G }
      - { id: l31, a: s3, b: s1, capacity: 1G }
      - { id: l1a, a: s1, b: a1, capacity: 1G }
      - { id: l1a2, a: s1, b: a1, capacity: 1G }
      - { id: l3a, a: s3, b: a1, capacity: 1G }
      - { id: lac, a: a1, b: core, capacity: 10G }
    demands:
      - { id: d1, source: s1, destination: core, prefix: "10.20.0.0/24" }
      - { id: d2, source: s2, destination: core, prefix: "10.20.0.0/24" }
    """
    let zero = "sha256:" + String(repeating: "0", count: 64)
    let input = ForecastSet(forecasts: [Forecast(id: "d1", kind: .demand, point: 2e9, upper: 2.4e9, source: "t"),
                                        Forecast(id: "d2", kind: .demand, point: 1.2e9, upper: 1.5e9, source: "t")])
    func export(_ yaml: String) throws -> String {
        let document = try PolicyPlanner(topology: try Topology(yaml: yaml)).plan(input, provenance: Provenance(inputDigest: zero, topologyDigest: zero))
        return try PolicyExporter.export(document, as: .iproute)
    }
    let plain = try export(ring)
    // Said in the header (and so on stderr): with links' own addresses it would be another link's.
    #expect(plain.split(separator: "\n")[1] == "# warning: 1 next hop is the address paths reaching the router over another link give "
        + "(comments above the routes): right for a node address; if the topology gives links their own addresses, export with --topology",
            "\(plain)")
    let s3 = try #require(plain.components(separatedBy: "# on s3\n").dropFirst().first)
    #expect(s3.hasPrefix("# 10.20.0.0/24: a1's address over l3a is the one paths reaching it over l1a, l1a2 give (its node address unless "
        + "the topology gives links their own: then export --topology)\nip route replace 10.20.0.0/24 nexthop via 10.255.0.11 weight 1"), "\(plain)")
    // With links' own addresses the first hops into a1 disagree: nothing is taken for l3a.
    let numbered = ring.replacingOccurrences(of: "{ id: l1a, a: s1, b: a1, capacity: 1G }",
                                             with: "{ id: l1a, a: s1, b: a1, capacity: 1G, addresses: { a1: 192.0.2.7 } }")
        .replacingOccurrences(of: "{ id: l1a2, a: s1, b: a1, capacity: 1G }", with: "{ id: l1a2, a: s1, b: a1, capacity: 1G, addresses: { a1: 192.0.2.11 } }")
    let text = try export(numbered)
    #expect(text.contains("# on s3\n# 10.20.0.0/24: next hop a1 over l3a has no address in the policy"), "\(text)")
    #expect(!text.contains("nexthop via 10.255.0.11"), "\(text)")
    #expect(!text.contains("# warning:"), "\(text)")
    // With the topology, a hop it gives no address for is said to be the topology's gap (it read
    // "give the topology: export --topology" there too).
    let bare = numbered.replacingOccurrences(of: "{ id: a1, address: 10.255.0.11 }", with: "{ id: a1 }")
    let topology = try Topology(yaml: bare)
    let document = try PolicyPlanner(topology: topology).plan(input, provenance: Provenance(inputDigest: zero, topologyDigest: zero))
    let full = try PolicyExporter.export(document, as: .iproute, addresses: NextHopAddresses(topology: topology))
    #expect(full.contains("# on s3\n# 10.20.0.0/24: next hop a1 over l3a has no address in the topology (neither the node's nor its end of the link's); "
        + "not exported"), "\(full)")
}

/// A node address no route can use (a drafted topology records GTP-U ends as node addresses, a
/// loopback among them) is not exported as a next hop: `ip` would refuse the line.
@Test func aNextHopNoRouteCanUseIsNotExported() throws {
    let yaml = PointToPointNetwork.loopbacksOnly.replacingOccurrences(of: "{ id: a1, address: 10.255.0.11 }", with: "{ id: a1, address: 127.0.0.11 }")
    let (topology, document) = try PointToPointNetwork.plan(yaml)
    let text = try PolicyExporter.export(document, as: .iproute, addresses: NextHopAddresses(topology: topology))
    #expect(text.contains("# on s1\n# 10.20.0.0/24: next hop a1's address 127.0.0.11 is a loopback address, not a gateway a route can use; not exported"),
            "\(text)")
    #expect(!text.contains("127.0.0.11 weight"), "\(text)")
}
