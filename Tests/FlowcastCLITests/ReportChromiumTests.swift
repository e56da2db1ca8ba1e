import FlowcastTestSupport
import Foundation
import Testing

/// The report as a browser reads it: headless Chromium (Debian's `chromium`, which .ci/run
/// installs) parses the demo report, and what its DOM holds is checked against the policies the
/// report was made from, not against the HTML Flowcast wrote.
@Suite("The report in Chromium")
struct ReportChromiumTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The DOM Chromium builds from `file` (scripts would run; the report has none).
    static func renderedDOM(_ file: String) throws -> String {
        let child = try ChildProcess(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                                                 URL(fileURLWithPath: file).absoluteString], stderr: .null)
        try child.wait(timeout: 120)
        return child.stdout
    }

    @Test("every chart survives the browser's parse, and each plan interval row shows its policy at the policy's own time",
          .enabled(if: chromium != nil, "needs chromium (Debian: chromium)"))
    func demoReportRenders() throws {
        let out = Scratch.root.appendingPathComponent("flowcast-chromium-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let replay = try Fixtures.runFlowcast(["replay", "captures/demo/demo.pcapng", "--topology", "captures/demo/topology.yaml",
                                               "--out", out, "--plan-every", "60s", "--quiet"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let report = try Fixtures.runFlowcast(["report", out, "--out", out + "/report.html"])
        #expect(report.status == 0, "\(report.stderr)")
        let source = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        let dom = try Self.renderedDOM(out + "/report.html")
        #expect(dom.contains("<h2>Plan intervals</h2>"), "Chromium returned no report: \(dom.prefix(300))")
        // No chart lost or split by a markup error: as many <svg> elements as written.
        #expect(dom.components(separatedBy: "<svg").count == source.components(separatedBy: "<svg").count)

        // Each row's policy and window start, as the browser reads them, against the policy files.
        let policies = try FileManager.default.contentsOfDirectory(atPath: out + "/policies").filter { $0.hasPrefix("policy-") }.sorted()
        #expect(policies.count == 10)
        var starts: [String: String] = [:]
        for name in policies {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/policies/" + name))) as! [String: Any]
            let window = (json["provenance"] as! [String: Any])["window"] as! [String: String]
            // 2025-11-29T08:01:00Z → 2025-11-29 08:01:00 UTC, as the table writes it.
            starts[name] = window["start"]!.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
        }
        let row = try Regex(#"data-policy="([^"]+)"><td class="n">(\d+)</td><td[^>]*><code>[^<]*</code></td><td[^>]*>([^<]*)</td>"#)
        let rows = dom.matches(of: row).map { (String($0.output[1].substring!), Int($0.output[2].substring!)!, String($0.output[3].substring!)) }
        #expect(rows.count == policies.count, "\(rows.count) rows for \(policies.count) policies")
        for (i, r) in rows.enumerated() {
            #expect(r.1 == i + 1)
            #expect(starts[r.0] == r.2, "row \(r.1): \(r.0) shown at \(r.2), its own window starts \(starts[r.0] ?? "?")")
        }
        // In time order, as a reviewer reads down the table.
        #expect(rows.map(\.2) == rows.map(\.2).sorted())
    }
}
