import FlowcastTestSupport
import Foundation
import Testing

/// `flowcast topology infer` and `flowcast replay` without `--topology`, on real GTP captures
/// (and the demo, the one capture with both GTPv2-C signalling and GTP-U traffic).
@Suite("Topology inferred from a capture")
struct TopologyInferTests {
    /// Real captures with GTP-U G-PDUs, one with GTPv2-C signalling only, and the demo.
    static let captures = [
        "captures/real/gtpu-ipv4-inner-mixed.pcap", "captures/real/gtpv1-gn-gtpu-ipv4-inner-frag.pcap",
        "captures/real/gtpu-msgtype-0x32.pcap", "captures/real/gtpu-short-or-unknown-payload.pcap",
        "captures/real/gtpu-inner-ipv6.pcap", "captures/real/gtpv2c-messages.pcap", "captures/demo/demo.pcapng",
    ]

    func temporaryDirectory() -> String {
        let path = Scratch.root.appendingPathComponent("flowcast-infer-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// (kind, id) → (bytes up, bytes down), summed over windows.jsonl.
    func load(_ folder: String) throws -> [String: [UInt64]] {
        var totals: [String: [UInt64]] = [:]
        let text = try String(contentsOfFile: folder + "/windows.jsonl", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let w = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let key = "\(w["kind"]!) \(w["id"]!)"
            let up = (w["bytesUp"] as! NSNumber).uint64Value, down = (w["bytesDown"] as! NSNumber).uint64Value
            totals[key, default: [0, 0]][0] += up
            totals[key, default: [0, 0]][1] += down
        }
        return totals
    }

    /// The draft with every FILL-IN replaced by a plausible value (link ends: the first two nodes).
    func filled(_ draft: String) -> String {
        let nodes = draft.split(separator: "\n").filter { $0.hasPrefix("  - { id: ran-") || $0.hasPrefix("  - { id: upf-") }
            .map { $0.dropFirst("  - { id: ".count).prefix { $0 != "," } }
        let values = ["lowMHz": "3300", "highMHz": "3800", "blockMHz": "10", "peakSpectralEfficiency": "5.5",
                      "capacity": "10G", "a": nodes.first.map(String.init) ?? "", "b": nodes.dropFirst().first.map(String.init) ?? ""]
        var text = draft
        for (key, value) in values { text = text.replacingOccurrences(of: "\(key): FILL-IN", with: "\(key): \(value)") }
        return text
    }

    @Test("the unfilled draft fails `topology check` on its FILL IN lines; filled, it passes, and replays to the same per-cell (and per-link) bytes as a replay without a topology", arguments: captures)
    func draftRoundTrip(_ capture: String) throws {
        let dir = temporaryDirectory()
        let draft = dir + "/topology.yaml"
        let infer = try Fixtures.runFlowcast(["topology", "infer", capture, "--out", draft])
        #expect(infer.status == 0, "\(infer.stderr)")
        let text = try String(contentsOfFile: draft, encoding: .utf8)
        #expect(text.contains("FILL-IN"))

        // Unfilled: every problem points at a line carrying a FILL IN comment.
        let check = try Fixtures.runFlowcast(["topology", "check", draft])
        #expect(check.status == 1)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let problems = check.stdout.split(separator: "\n").dropLast()
        #expect(!problems.isEmpty)
        for problem in problems {
            let parts = problem.split(separator: ":", maxSplits: 2)
            guard parts.count == 3, let n = Int(parts[1]) else { Issue.record("not FILE:LINE: \(problem)"); continue }
            #expect(lines[n - 1].contains("# FILL IN"), "\(problem) → \(lines[n - 1])")
        }

        // Filled: check passes.
        try filled(text).write(toFile: draft, atomically: true, encoding: .utf8)
        let ok = try Fixtures.runFlowcast(["topology", "check", draft])
        #expect(ok.status == 0, "\(ok.stdout)")

        // Replays with the draft and without a topology agree cell by cell, link by link.
        let with = dir + "/with", without = dir + "/without"
        let r1 = try Fixtures.runFlowcast(["replay", capture, "--topology", draft, "--out", with, "--quiet"])
        let r2 = try Fixtures.runFlowcast(["replay", capture, "--out", without, "--quiet"])
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr)\(r2.stderr)")
        let a = try load(with), b = try load(without)
        #expect(!b.isEmpty)
        #expect(a == b)
    }

    /// Wire bytes of the packets between GTP-U endpoint pairs, from the tshark-derived decode
    /// (columns: frame, time, wire length, captured length, outer source, outer destination, …,
    /// TEID in column 12): the pairs that carried a TEID, and every packet between them
    /// (outer fragments included).
    func gtpPairBytes(_ capture: String) throws -> UInt64 {
        let tsv = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(capture + ".expected.tsv"), encoding: .utf8)
        let rows = tsv.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        func pair(_ r: [Substring]) -> String { [String(r[4]), String(r[5])].sorted().joined(separator: " ") }
        let pairs = Set(rows.filter { $0.count > 11 && !$0[11].isEmpty }.map(pair))
        return rows.filter { $0.count > 5 && pairs.contains(pair($0)) }.reduce(0) { $0 + UInt64($1[2])! }
    }

    @Test("without a topology, the cells' windows hold exactly the bytes between GTP-U endpoints (tshark's count)",
          arguments: captures.filter { $0.hasPrefix("captures/real/") })
    func cellBytesMatchTshark(_ capture: String) throws {
        let out = temporaryDirectory()
        let run = try Fixtures.runFlowcast(["replay", capture, "--out", out])
        #expect(run.status == 0)
        #expect(run.stderr.contains("no --topology: inferred"))
        let cells = try load(out).filter { $0.key.hasPrefix("cell ") }
        #expect(!cells.isEmpty)
        let total = cells.values.reduce(UInt64(0)) { $0 + $1[0] + $1[1] }
        #expect(total == (try gtpPairBytes(capture)))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let inferred = try #require(summary["inferredTopology"] as? [String: Any])
        #expect((inferred["planning"] as? String)?.hasPrefix("skipped") == true)
        #expect(inferred["maximumCells"] as? Int == 4096)
        #expect(inferred["packetsOverLimit"] as? Int == 0)
    }

    @Test("the demo: six eNB cells carrying their signalled ECGIs, two UPFs, six VLAN links")
    func demoDraft() throws {
        let run = try Fixtures.runFlowcast(["topology", "infer", "captures/demo/demo.pcapng"])
        #expect(run.status == 0)
        for k in 1...6 {
            #expect(run.stdout.contains("{ gtpAddress: \"10.10.0.\(k)\", cell: \"10.10.0.\(k)\" }"))
            #expect(run.stdout.contains("{ vlan: \(100 + k), links: [\"vlan:\(100 + k)\"] }"))
        }
        #expect(run.stdout.contains("globalId: \"ecgi:001-01-65793\""))
        #expect(run.stdout.contains("{ id: upf-10.20.0.1, kind: core, address: \"10.20.0.1\" }"))
        #expect(run.stdout.contains("{ id: upf-10.20.0.2, kind: core, address: \"10.20.0.2\" }"))
        #expect(!run.stdout.contains("ran-10.20."))
    }

    @Test("a capture without GTP: infer says so, exits 1 and writes nothing; replay still gives its VLAN/MPLS links")
    func noGTP() throws {
        let dir = temporaryDirectory()
        let run = try Fixtures.runFlowcast(["topology", "infer", "captures/real/vlan-mpls-mixed.pcap", "--out", dir + "/t.yaml"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("no GTP-U traffic and no GTPv2-C cell identity"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/t.yaml"))
        let replay = try Fixtures.runFlowcast(["replay", "captures/real/vlan-mpls-mixed.pcap", "--out", dir + "/r", "--quiet"])
        #expect(replay.status == 0)
        let windows = try load(dir + "/r")
        #expect(Set(windows.keys) == ["link vlan:4093", "link mpls:29"])
    }

    /// The filter was accepted and ignored: the draft came from the whole capture, and a bad
    /// expression passed.
    @Test("infer reads only what --filter passes, counts what it skipped as decode does, and refuses a bad expression")
    func filter() throws {
        let whole = try Fixtures.runFlowcast(["topology", "infer", "captures/demo/demo.pcapng"])
        let run = try Fixtures.runFlowcast(["topology", "infer", "captures/demo/demo.pcapng", "--filter", "vlan 101"])
        #expect(run.status == 0, "\(run.stderr)")
        let decode = try Fixtures.runFlowcast(["decode", "captures/demo/demo.pcapng", "--filter", "vlan 101", "--format", "none"])
        let note = try #require(decode.stderr.split(separator: "\n").first { $0.contains("packets passed") })
        let counts = note.split(separator: ": ").last!  // "N packets passed, M skipped"
        #expect(run.stderr.contains("flowcast topology infer: filter 'vlan 101': \(counts)"), "\(run.stderr)")
        let passed = try #require(Int(counts.split(separator: " ")[0]))
        let skipped = try #require(Int(counts.split(separator: " ")[3]))
        #expect(passed > 0 && skipped > 0)
        #expect(run.stdout.contains("through the filter 'vlan 101' (\(skipped) packets skipped):\n# \(passed) packets,"), "\(run.stdout.prefix(400))")
        // Only VLAN 101's link is drafted, where the whole capture has more.
        let links = { (yaml: String) in yaml.split(separator: "\n").filter { $0.contains("{ id: \"vlan:") }.count }
        #expect(links(whole.stdout) > 1)
        #expect(run.stdout.contains("{ id: \"vlan:101\""))
        #expect(links(run.stdout) == 1, "\(run.stdout)")
        let bad = try Fixtures.runFlowcast(["topology", "infer", "captures/demo/demo.pcapng", "--filter", "garbage(("])
        #expect(bad.status == 2 && bad.stderr.contains("garbage(("), "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }
}
