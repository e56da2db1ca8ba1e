import FlowcastTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The live metrics endpoint read as Prometheus reads it: scraped during and after a veth
/// replay, every scrape parsed by a real Prometheus parser (the `prometheus_client` Python
/// package's), in the serialized live suite.
extension LiveTests {
    /// A Python 3 that has `prometheus_client` (Debian's python3-prometheus-client installs it
    /// for /usr/bin/python3; `pip install prometheus_client` for whichever python3 is first on
    /// PATH), or nil.
    static let prometheusPython: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/bin/python3"] + path.split(separator: ":").map { "\($0)/python3" }
        return candidates.first { candidate in
            FileManager.default.isExecutableFile(atPath: candidate)
                && (try? run(candidate, ["-c", "import prometheus_client.parser"])) != nil
        }
    }()

    static let canScrapeAndParse = canReplay && prometheusPython != nil

    /// Every metric `flowcast live` serves and its type (docs/live.md lists the same 20).
    static let metricTypes: [String: String] = [
        "flowcast_packets_total": "counter", "flowcast_bytes_total": "counter", "flowcast_received_total": "counter",
        "flowcast_kernel_drops_total": "counter", "flowcast_interface_drops_total": "counter",
        "flowcast_decode_issue_packets_total": "counter", "flowcast_unmatched_packets_total": "counter",
        "flowcast_live_flows": "gauge", "flowcast_flows_written_total": "counter", "flowcast_flows_evicted_total": "counter",
        "flowcast_windows_total": "counter", "flowcast_cell_bytes": "counter", "flowcast_policies_total": "counter",
        "flowcast_plan_failures_total": "counter", "flowcast_topology_reloads_total": "counter",
        "flowcast_cell_forecast_bits_per_second": "gauge", "flowcast_cell_forecast_upper_bits_per_second": "gauge",
        "flowcast_plan_seconds": "gauge", "flowcast_last_policy_timestamp_seconds": "gauge",
        "flowcast_metrics_connections_refused_total": "counter",
    ]

    /// One parsed scrape: each sample (name and labels) with its family's type and its value.
    struct Scrape {
        var types: [String: String] = [:]
        var values: [String: Double] = [:]
        var names: Set<String> = []
        func value(_ name: String) -> Double { values[name] ?? -1 }
    }

    /// Parses every text with `prometheus_client.parser.text_string_to_metric_families`; a text
    /// it refuses fails the call with the parser's message.
    static func parsePrometheus(_ texts: [String]) throws -> [Scrape] {
        let input = Scratch.root.appendingPathComponent("fclive-scrapes-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: input) }
        try JSONSerialization.data(withJSONObject: texts).write(to: input)
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for i, text in enumerate(json.load(open(sys.argv[1]))):
                try:
                    families = list(text_string_to_metric_families(text))
                except Exception as e:
                    sys.exit(f"scrape {i} does not parse: {e!r}\\n{text}")
                out.append([[f.type, s.name, sorted(s.labels.items()), s.value] for f in families for s in f.samples])
            print(json.dumps(out))
            """
        let output = try run(prometheusPython!, ["-c", script, input.path])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[[Any]]])
        return parsed.map { samples in
            var scrape = Scrape()
            for sample in samples {
                let name = sample[1] as! String
                let labels = (sample[2] as! [[String]]).map { "\($0[0])=\($0[1])" }.joined(separator: ",")
                let key = labels.isEmpty ? name : "\(name){\(labels)}"
                scrape.types[key] = sample[0] as? String
                scrape.values[key] = (sample[3] as? Double) ?? (sample[3] as? Int).map(Double.init) ?? .nan
                scrape.names.insert(name)
            }
            return scrape
        }
    }

    /// Packets the kernel received on an interface (all of them reach the capture: nothing else
    /// is sent on the pair).
    static func receivedByInterface(_ name: String) throws -> Double {
        let text = try String(contentsOfFile: "/sys/class/net/\(name)/statistics/rx_packets", encoding: .utf8)
        return try #require(Double(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("metrics scraped during and after a replay parse as Prometheus text; counters never go back; received ≥ packets, also once the interface is idle",
          .enabled(if: canScrapeAndParse,
                   "needs root, ip, tcpreplay and a python3 with prometheus_client (Debian python3-prometheus-client, or pip install prometheus_client)"))
    func metricsParseAndAgreeDuringAndAfterTraffic() throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        // Short windows and plans, so two seconds of traffic close windows and write policies.
        let live = try LiveProcess(interface: pair.capture, out: out, extra: ["--window", "200ms", "--plan-every", "400ms"])
        live.expectMetricsUp()
        var texts: [String] = []
        func scrape() {
            if let text = Self.httpGet(port: live.port, path: "/metrics") { texts.append(text) }
        }

        // The demo capture at 20 000 packets/s (about two seconds), scraped all the while.
        let sent = DispatchSemaphore(value: 0)
        Thread {
            _ = try? pair.replay(Fixtures.repositoryRoot.appendingPathComponent("captures/demo/demo.pcapng").path,
                                 rate: ["--pps", "20000"])
            sent.signal()
        }.start()
        while sent.wait(timeout: .now() + .milliseconds(50)) == .timedOut { scrape() }
        let during = texts.count
        let stopped = Date()

        // Idle now: every packet the interface took is aggregated soon; a second after the
        // traffic stopped, libpcap's count must still be at least that.
        let carried = try Self.receivedByInterface(pair.capture)
        #expect(live.waitFor(15) { (live.metric("flowcast_packets_total") ?? 0) >= carried },
                "live aggregated \(live.metric("flowcast_packets_total") ?? -1) of \(carried) packets: \(live.stderr)")
        let wait = 1 - Date().timeIntervalSince(stopped)
        if wait > 0 { usleep(useconds_t(wait * 1e6)) }
        scrape()
        usleep(500_000)
        scrape()
        #expect(during >= 5, "only \(during) scrapes while the traffic ran")
        #expect(live.terminate() == 0, "\(live.stderr)")

        let scrapes = try Self.parsePrometheus(texts)
        for (i, s) in scrapes.enumerated() {
            #expect(s.value("flowcast_received_total") >= s.value("flowcast_packets_total"),
                    "scrape \(i): received \(s.value("flowcast_received_total")) < packets \(s.value("flowcast_packets_total"))")
        }
        for (i, (before, after)) in zip(scrapes, scrapes.dropFirst()).enumerated() {
            for (key, type) in before.types where type == "counter" {
                #expect(after.value(key) >= before.value(key), "\(key) went back between scrapes \(i) and \(i + 1)")
            }
        }
        let last = try #require(scrapes.last)
        // prometheus_client names every counter's samples NAME_total; the text names this one as served.
        let names = Set(last.names.map { $0 == "flowcast_cell_bytes_total" ? "flowcast_cell_bytes" : $0 })
        let expected = Set(Self.metricTypes.keys)
        #expect(names == expected, "missing \(expected.subtracting(names)), unexpected \(names.subtracting(expected))")
        let text = try #require(texts.last)
        for (name, type) in Self.metricTypes.sorted(by: { $0.key < $1.key }) {
            #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name) is not served as a \(type)")
            #expect(text.contains("# HELP \(name) "), "\(name) has no help text")
        }
        #expect(last.value("flowcast_packets_total") == carried)
        #expect(last.value("flowcast_received_total") == carried, "libpcap's count is stale once the interface is idle")
        #expect(last.value("flowcast_kernel_drops_total") == 0)
        #expect(last.types["flowcast_live_flows"] == "gauge")
        #expect(last.types["flowcast_packets_total"] == "counter")
    }
}
