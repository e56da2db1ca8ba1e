import FlowcastCapture
@testable import FlowcastPipeline
import Foundation
import Testing

/// What the live metrics endpoint serves, from run snapshots (no capture, no root).
@Suite("Live metrics")
struct LiveMetricsRecordingTests {
    /// Sample lines of an exposition, `name{labels}` → value, and its `# TYPE` / `# HELP` lines.
    struct Exposition {
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]
        var help: [String: String] = [:]

        init(_ metrics: LiveMetrics) {
            for line in String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 3)
                if line.hasPrefix("# TYPE ") { types[String(parts[2])] = String(parts[3]) }
                else if line.hasPrefix("# HELP ") { help[String(parts[2])] = String(parts[3]) }
                else if let space = line.lastIndex(of: " ") {
                    samples[String(line[..<space])] = Double(line[line.index(after: space)...])
                }
            }
        }
    }

    @Test("a run serves every counter at zero from the start, each with its type and the help text it always had")
    func startsAtZero() {
        let e = Exposition(LiveMetrics())
        for d in LiveMetrics.all where d.kind == .counter && d.name != LiveMetrics.cellBytes.name
            && d.name != LiveMetrics.endpointRefused.name
            && !(LiveMetrics.perInterface + LiveMetrics.perCollector).contains(where: { $0.name == d.name }) {
            #expect(e.samples[d.name] == 0, "\(d.name)")
            #expect(e.types[d.name] == "counter", "\(d.name)")
        }
        #expect(e.samples["flowcast_live_flows"] == 0)
        #expect(e.types["flowcast_live_flows"] == "gauge")
        #expect(e.help["flowcast_received_total"] == "Packets libpcap reports received.")
        #expect(e.help["flowcast_kernel_drops_total"] == "Packets dropped by the kernel (buffer full).")
        for reason in ["busy", "oversized", "timeout"] {
            #expect(e.samples["flowcast_metrics_connections_refused_total{reason=\"\(reason)\"}"] == 0, "\(reason)")
        }
        #expect(LiveMetrics.all.count == 26)
    }

    @Test("IPFIX export counters per collector follow the run's statistics (served only with --ipfix)")
    func ipfixCounters() {
        let metrics = LiveMetrics()
        var s = LiveSnapshot()
        #expect(!String(decoding: metrics.exposition(), as: UTF8.self).contains("flowcast_ipfix"))
        var udp = IPFIXCollectorStatistics(collector: "udp://10.0.0.5:2055")
        udp.recordsSent = 1_200; udp.recordsLost = 11; udp.flowsDropped = 3
        var tcp = IPFIXCollectorStatistics(collector: "tcp://10.0.0.6:4739")
        tcp.recordsSent = 1_211
        s.ipfix = [udp, tcp]
        metrics.record(s)
        let e = Exposition(metrics)
        #expect(e.samples[#"flowcast_ipfix_records_sent_total{collector="udp://10.0.0.5:2055"}"#] == 1_200)
        #expect(e.samples[#"flowcast_ipfix_records_lost_total{collector="udp://10.0.0.5:2055"}"#] == 11)
        #expect(e.samples[#"flowcast_ipfix_flows_dropped_total{collector="udp://10.0.0.5:2055"}"#] == 3)
        #expect(e.samples[#"flowcast_ipfix_records_sent_total{collector="tcp://10.0.0.6:4739"}"#] == 1_211)
        #expect(e.samples[#"flowcast_ipfix_flows_dropped_total{collector="tcp://10.0.0.6:4739"}"#] == 0)
        #expect(e.types["flowcast_ipfix_records_lost_total"] == "counter")
    }

    @Test("counters follow the run's totals and never go back")
    func countersNeverGoBack() {
        let metrics = LiveMetrics()
        var s = LiveSnapshot()
        s.packets = 42_799; s.bytes = 9_000_000; s.capture.received = 42_800; s.planFailures = 2; s.liveFlows = 17
        metrics.record(s)
        var e = Exposition(metrics)
        #expect(e.samples["flowcast_packets_total"] == 42_799)
        #expect(e.samples["flowcast_received_total"] == 42_800)
        #expect(e.samples["flowcast_plan_failures_total"] == 2)
        #expect(e.samples["flowcast_live_flows"] == 17)
        s.packets = 10; s.capture.received = 1_466; s.planFailures = 0; s.liveFlows = 3
        metrics.record(s)
        e = Exposition(metrics)
        #expect(e.samples["flowcast_packets_total"] == 42_799)
        #expect(e.samples["flowcast_received_total"] == 42_800)
        #expect(e.samples["flowcast_plan_failures_total"] == 2)
        #expect(e.samples["flowcast_live_flows"] == 3, "a gauge goes where the run is")
    }

    @Test("per-cell metrics carry an escaped cell label; a reload that drops a cell drops its forecasts")
    func perCellMetrics() {
        let metrics = LiveMetrics()
        var s = LiveSnapshot()
        s.cellBytes = ["cell-1": 1_000, #"odd "cell""#: 5]
        s.cellForecasts = ["cell-1": (point: 1_234_567.4, upper: 2_000_000.6)]
        metrics.record(s)
        var e = Exposition(metrics)
        #expect(e.samples[#"flowcast_cell_bytes{cell="cell-1"}"#] == 1_000)
        #expect(e.samples[#"flowcast_cell_bytes{cell="odd \"cell\""}"#] == 5)
        #expect(e.types["flowcast_cell_bytes"] == "counter")
        #expect(e.samples[#"flowcast_cell_forecast_bits_per_second{cell="cell-1"}"#] == 1_234_567)
        #expect(e.samples[#"flowcast_cell_forecast_upper_bits_per_second{cell="cell-1"}"#] == 2_000_001)
        s.cellForecasts = [:]
        metrics.record(s)
        e = Exposition(metrics)
        #expect(e.samples[#"flowcast_cell_forecast_bits_per_second{cell="cell-1"}"#] == nil)
        #expect(e.samples[#"flowcast_cell_bytes{cell="cell-1"}"#] == 1_000)
    }

    @Test("the plan metrics appear with the first plan")
    func planMetricsAppearWithTheFirstPlan() {
        let metrics = LiveMetrics()
        var s = LiveSnapshot()
        metrics.record(s)
        #expect(Exposition(metrics).types["flowcast_plan_seconds"] == nil)
        s.policiesWritten = 1; s.lastSolveSeconds = 0.25; s.lastPolicySeconds = 1_764_800_000.5
        metrics.record(s)
        let e = Exposition(metrics)
        #expect(e.samples["flowcast_plan_seconds"] == 0.25)
        #expect(e.samples["flowcast_last_policy_timestamp_seconds"] == 1_764_800_000.5)
        #expect(e.types["flowcast_last_policy_timestamp_seconds"] == "gauge")
        #expect(e.samples["flowcast_policies_total"] == 1)
    }
}
