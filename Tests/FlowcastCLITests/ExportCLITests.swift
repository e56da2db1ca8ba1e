import FlowcastTestSupport
import Foundation
import Testing

/// `flowcast export` on the demo's own policies and on a policy the RAN could not be told about.
@Suite("flowcast export")
struct ExportCLITests {
    @Test("every policy of the demo exports to A1 that the O-RAN schemas accept, and to NRCellDU",
          .enabled(if: ORANA1Schemas.available, "needs ../shared/schemas/oran-a1 (the published O-RAN A1 schemas); skipped"))
    func demoPoliciesExport() throws {
        let out = Scratch.root.appendingPathComponent("flowcast-demo-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Fixtures.runFlowcast(["demo", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let policies = try FileManager.default.contentsOfDirectory(atPath: out + "/policies")
            .filter { $0.hasPrefix("policy-") && $0.hasSuffix(".json") }.sorted()
        #expect(policies.count >= 10)
        var exports: [String] = []
        for policy in policies {
            let a1 = "\(out)/\(policy).a1.json"
            let export = try Fixtures.runFlowcast(["export", "\(out)/policies/\(policy)", "--to", "a1", "--out", a1])
            #expect(export.status == 0, "\(policy): \(export.stderr)")
            exports.append(a1)
            let nr = try Fixtures.runFlowcast(["export", "\(out)/policies/\(policy)", "--to", "nrcelldu"])
            #expect(nr.status == 0 && !nr.stdout.contains("additionalCarriers"), "\(policy): \(nr.stderr)")
        }
        let (count, problems) = try ORANA1Schemas.check(exports: exports)
        #expect(problems == [])
        #expect(count > 0, "no demo policy steers a hot cell, so nothing was validated")
    }

    /// A transit router whose next hop is no path's first hop (agg-1 → core on the demo) had no
    /// address in the policy, so its split was a comment and the router forwarded by its own route.
    /// `--topology` gives every router's address; another topology is refused.
    @Test("export --to iproute --topology routes every router on the way; another network's topology is refused")
    func iprouteWithTheTopology() throws {
        let bare = try Fixtures.runFlowcast(["export", "policies/examples/demo-policy.json", "--to", "iproute"])
        #expect(bare.status == 0 && bare.stdout.contains("# 10.20.0.0/24: all to core, where the prefix is"), "\(bare.stdout)")
        let full = try Fixtures.runFlowcast(["export", "policies/examples/demo-policy.json", "--to", "iproute", "--topology", "captures/demo/topology.yaml"])
        #expect(full.status == 0, "\(full.stderr)")
        let agg1 = full.stdout.components(separatedBy: "# on agg-1\n").dropFirst().first?.components(separatedBy: "\n").first
        #expect(agg1?.hasPrefix("ip route replace 10.20.0.0/24 nexthop via 10.255.0.20 weight 1  # ") == true, "\(full.stdout)")
        #expect(!full.stdout.contains("all to core"))
        let other = try Fixtures.runFlowcast(["export", "policies/examples/demo-policy.json", "--to", "iproute", "--topology", "captures/abilene/topology.yaml"])
        #expect(other.status == 1 && other.stderr.contains("captures/abilene/topology.yaml is not the topology policies/examples/demo-policy.json was planned on"),
                "\(other.stderr)")
        #expect(other.stdout.isEmpty)
        // One router's section alone (--router); a node neither the paths nor the topology has is a
        // usage error, and --router is for iproute only.
        let site2 = try Fixtures.runFlowcast(["export", "policies/examples/demo-policy.json", "--to", "iproute", "--topology", "captures/demo/topology.yaml",
                                              "--router", "site-2"])
        #expect(site2.status == 0 && site2.stdout.components(separatedBy: "# on ").count == 2, "\(site2.stdout)")
        #expect(site2.stdout.contains("# on site-2\nip route replace 10.20.0.0/24 nexthop via "), "\(site2.stdout)")
        let typo = try Fixtures.runFlowcast(["export", "policies/examples/demo-policy.json", "--to", "iproute", "--router", "site-22"])
        #expect(typo.status == 64 && typo.stderr.contains("--router site-22: no such node in policies/examples/demo-policy.json's paths"), "\(typo.stderr)")
        let a1 = try Fixtures.runFlowcast(["export", "policies/examples/demo-policy.json", "--to", "a1", "--router", "site-2"])
        #expect(a1.status == 64 && a1.stderr.contains("--router is for --to iproute"), "\(a1.stderr)")
    }

    /// The committed examples are what `export` writes now, with the topology as the README
    /// shows it: the iproute example was written without it and still left agg-1 and agg-2 as
    /// comments after `--topology` had routed them.
    @Test("policies/examples/ are exactly export's output for the demo policy and topology", arguments: ["a1", "iproute", "nrcelldu"])
    func examplesAreTheExportsOutput(_ target: String) throws {
        let example = "policies/examples/demo-policy.\(target).\(target == "iproute" ? "sh" : "json")"
        let run = try Fixtures.runFlowcast(["export", "policies/examples/demo-policy.json", "--to", target, "--topology", "captures/demo/topology.yaml"])
        #expect(run.status == 0, "\(run.stderr)")
        let committed = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(example), encoding: .utf8)
        #expect(run.stdout == committed, "\(example) differs from: flowcast export policies/examples/demo-policy.json --to \(target) --topology captures/demo/topology.yaml")
    }

    /// A copy of the policy at `source` (repository-relative) as JSON objects after `edit`, written to a
    /// temporary file (removed by the caller); its path.
    static func editedPolicy(_ source: String, _ edit: (inout [String: Any]) throws -> Void) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.repositoryRoot
            .appendingPathComponent(source))) as? [String: Any])
        try edit(&object)
        try routingLoads(&object)
        let path = Scratch.root.appendingPathComponent("flowcast-edited-\(UUID().uuidString).json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A policy's predicted link loads, their utilisations and `maxUtilisation` as its (edited)
    /// routing puts them, as a plan writes them: a read refuses a routing edit that leaves them
    /// describing the old routing. Per link, the busier direction (the node a path enters it
    /// from) of Σ P90 × weight; the document's `routedLinkLoads` computes the same.
    static func routingLoads(_ object: inout [String: Any]) throws {
        var routing = try #require(object["routing"] as? [String: Any])
        var predicted = try #require(object["predicted"] as? [String: Any])
        var links = try #require(predicted["links"] as? [[String: Any]])
        var loads: [String: [String: Double]] = [:]
        for demand in try #require(routing["demands"] as? [[String: Any]]) {
            let upper = try #require((demand["forecast"] as? [String: Any])?["upper"] as? Double)
            for path in try #require(demand["paths"] as? [[String: Any]]) {
                let nodes = try #require(path["nodes"] as? [String]), weight = try #require(path["weight"] as? Double)
                for (k, link) in try #require(path["links"] as? [String]).enumerated() where weight > 0 && k < nodes.count {
                    loads[link, default: [:]][nodes[k], default: 0] += upper * weight
                }
            }
        }
        var busiest = 0.0
        for i in links.indices {
            let id = try #require(links[i]["id"] as? String), capacity = try #require(links[i]["capacity"] as? Double)
            let load = loads[id]?.values.max() ?? 0
            links[i]["load"] = load.rounded()
            links[i]["utilisation"] = (load / capacity * 1e4).rounded() / 1e4
            busiest = max(busiest, load / capacity)
        }
        predicted["links"] = links
        object["predicted"] = predicted
        routing["maxUtilisation"] = (busiest * 1e4).rounded() / 1e4
        object["routing"] = routing
    }

    /// `edit` applied to the paths of demand `index` of a policy's JSON objects.
    static func editPaths(of index: Int, in object: inout [String: Any], _ edit: (inout [[String: Any]]) throws -> Void) throws {
        var routing = try #require(object["routing"] as? [String: Any])
        var demands = try #require(routing["demands"] as? [[String: Any]])
        var paths = try #require(demands[index]["paths"] as? [[String: Any]])
        try edit(&paths)
        demands[index]["paths"] = paths
        routing["demands"] = demands
        object["routing"] = routing
    }

    /// With the topology, a path whose link does not join its nodes there (a hand edit: the digest
    /// is the policy's) is refused at the path: it exported a next hop over a link that does not
    /// reach it (a verifier's finding).
    @Test func aPathWhoseLinkDoesNotJoinItsNodesIsRefusedWithTheTopology() throws {
        var links: [String] = []
        let path = try Self.editedPolicy("policies/examples/demo-policy.json") { object in
            let other = try #require((((object["routing"] as? [String: Any])?["demands"] as? [[String: Any]])?[1]["paths"] as? [[String: Any]])?
                .first?["links"] as? [String])
            try Self.editPaths(of: 0, in: &object) { paths in
                links = try #require(paths[0]["links"] as? [String])
                links[0] = try #require(other.first { $0 != links[0] })
                paths[0]["links"] = links
            }
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Fixtures.runFlowcast(["export", path, "--to", "iproute", "--topology", "captures/demo/topology.yaml"])
        #expect(run.status == 1 && run.stdout.isEmpty, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("\(path): $.routing.demands[0].paths[0]: link '\(links[0])' does not join"), "\(run.stderr)")
    }

    @Test("A1 export of a policy whose cells have no global identity fails naming the cell and the field")
    func a1ExportWithoutGlobalIdentity() throws {
        let path = try Self.editedPolicy("policies/examples/demo-policy.json") { object in
            var spectrum = try #require(object["spectrum"] as? [String: Any])
            spectrum["cells"] = (spectrum["cells"] as? [[String: Any]] ?? []).map { var c = $0; c["globalId"] = nil; return c }
            object["spectrum"] = spectrum
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Fixtures.runFlowcast(["export", path, "--to", "a1"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("cell 'cell-1' has no global identity; add 'globalId: ecgi:MCC-MNC-ECI'"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("a policy whose demand is not split whole is not exported: exit 1, the file and the demand named, nothing written")
    func partialSplitIsNotExported() throws {
        let path = try Self.editedPolicy("policies/baseline/demo.json") { object in
            try Self.editPaths(of: 0, in: &object) { paths in for i in paths.indices { paths[i]["weight"] = 1.0 } }
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        for format in ["iproute", "a1"] {
            let run = try Fixtures.runFlowcast(["export", path, "--to", format])
            #expect(run.status == 1 && run.stdout.isEmpty)
            #expect(run.stderr == "flowcast export: \(path): $.routing.demands[0].paths: the weights of 'd-cell-1' sum to 4.0, not 1; "
                    + "an exported split must carry the whole demand\n", "\(format): \(run.stderr)")
        }
    }
}
