internal import CoreMetrics
internal import FlowcastCapture
internal import Foundation

/// The live run's Prometheus metrics, recorded through swift-metrics (counters and gauges made
/// by a factory of their own, not the process-wide `MetricsSystem`, so a library never
/// bootstraps global state) and rendered by swift-prometheus.
///
/// A run keeps running totals (`LiveSnapshot`); `record` advances each counter to its total,
/// never back, so every counter is monotonic whatever order snapshots arrive in.
final class LiveMetrics: @unchecked Sendable {
    enum Kind: String { case counter, gauge }

    /// One metric: its name, Prometheus type and help text (docs/live.md lists the same).
    struct Definition {
        var name: String
        var kind: Kind
        var help: String
    }

    static let packets = Definition(name: "flowcast_packets_total", kind: .counter, help: "Packets aggregated.")
    static let bytes = Definition(name: "flowcast_bytes_total", kind: .counter, help: "Wire bytes aggregated.")
    static let received = Definition(name: "flowcast_received_total", kind: .counter, help: "Packets libpcap reports received.")
    static let kernelDrops = Definition(name: "flowcast_kernel_drops_total", kind: .counter,
                                        help: "Packets dropped by the kernel (buffer full).")
    static let interfaceDrops = Definition(name: "flowcast_interface_drops_total", kind: .counter,
                                           help: "Packets dropped by the interface.")
    static let decodeIssues = Definition(name: "flowcast_decode_issue_packets_total", kind: .counter,
                                         help: "Packets with a decode issue.")
    static let unmatched = Definition(name: "flowcast_unmatched_packets_total", kind: .counter, help: "Packets matching no cell.")
    static let liveFlows = Definition(name: "flowcast_live_flows", kind: .gauge, help: "Flows in the flow table.")
    static let flowsWritten = Definition(name: "flowcast_flows_written_total", kind: .counter, help: "Flows ended and written.")
    static let flowsEvicted = Definition(name: "flowcast_flows_evicted_total", kind: .counter,
                                         help: "Flows evicted by the memory bound.")
    static let windows = Definition(name: "flowcast_windows_total", kind: .counter, help: "Windows closed.")
    static let cellBytes = Definition(name: "flowcast_cell_bytes", kind: .counter, help: "Bytes per cell over closed windows.")
    static let policies = Definition(name: "flowcast_policies_total", kind: .counter, help: "Policies written.")
    static let planFailures = Definition(name: "flowcast_plan_failures_total", kind: .counter, help: "Plans that failed.")
    static let topologyReloads = Definition(name: "flowcast_topology_reloads_total", kind: .counter,
                                            help: "Topology reloads applied.")
    static let forecast = Definition(name: "flowcast_cell_forecast_bits_per_second", kind: .gauge,
                                     help: "Latest one-step-ahead forecast per cell (point).")
    static let forecastUpper = Definition(name: "flowcast_cell_forecast_upper_bits_per_second", kind: .gauge,
                                          help: "Latest forecast per cell, upper quantile (P90).")
    static let planSeconds = Definition(name: "flowcast_plan_seconds", kind: .gauge,
                                        help: "How long the latest plan took (forecasts, solves, writing).")
    static let lastPolicy = Definition(name: "flowcast_last_policy_timestamp_seconds", kind: .gauge,
                                       help: "When the latest policy was written.")
    static let endpointRefused = Definition(
        name: "flowcast_metrics_connections_refused_total", kind: .counter,
        help: "Metrics endpoint connections closed unserved, by reason: busy (over the connection bound), "
            + "oversized (request over the size bound), timeout (request or response not done in time).")

    /// A run on several interfaces (`live -i A -i B`): libpcap's counters of each, labelled by
    /// interface (the unlabelled ones above are their sums). Served only by such runs.
    static let captureReceived = Definition(name: "flowcast_capture_received_total", kind: .counter,
                                            help: "Packets libpcap reports received, per interface.")
    static let captureKernelDrops = Definition(name: "flowcast_capture_kernel_drops_total", kind: .counter,
                                               help: "Packets dropped by the kernel (buffer full), per interface.")
    static let captureInterfaceDrops = Definition(name: "flowcast_capture_interface_drops_total", kind: .counter,
                                                  help: "Packets dropped by the interface, per interface.")
    static let perInterface = [captureReceived, captureKernelDrops, captureInterfaceDrops]

    /// IPFIX export (`--ipfix`), labelled by collector URL: served only by such runs.
    static let ipfixRecordsSent = Definition(name: "flowcast_ipfix_records_sent_total", kind: .counter,
                                             help: "IPFIX data records the kernel accepted for the collector.")
    static let ipfixRecordsLost = Definition(name: "flowcast_ipfix_records_lost_total", kind: .counter,
                                             help: "IPFIX data records in messages whose send failed.")
    static let ipfixFlowsDropped = Definition(name: "flowcast_ipfix_flows_dropped_total", kind: .counter,
                                              help: "Flows never sent to the collector (queue full or collector unreachable).")
    static let perCollector = [ipfixRecordsSent, ipfixRecordsLost, ipfixFlowsDropped]

    /// Every metric a live run serves. The per-cell ones appear with their first cell, the plan
    /// ones with the first plan.
    static let all: [Definition] = [
        packets, bytes, received, kernelDrops, interfaceDrops, decodeIssues, unmatched, liveFlows, flowsWritten,
        flowsEvicted, windows, cellBytes, policies, planFailures, topologyReloads, forecast, forecastUpper,
        planSeconds, lastPolicy, endpointRefused, captureReceived, captureKernelDrops, captureInterfaceDrops,
        ipfixRecordsSent, ipfixRecordsLost, ipfixFlowsDropped,
    ]

    /// A swift-metrics counter and the total it has been advanced to.
    private struct Total {
        let counter: Counter
        var value: UInt64 = 0

        mutating func advance(to total: UInt64) {
            guard total > value else { return }
            counter.increment(by: Int64(clamping: total - value))
            value = total
        }
    }

    private let factory = DescribedPrometheusFactory(help: Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.help) }))
    private let lock = NSLock()
    private var totals: [String: Total] = [:]
    private var cellTotals: [String: Total] = [:]
    /// `endpointRefused` by reason.
    private var refusedTotals: [String: Total] = [:]
    private var gauges: [String: Gauge] = [:]
    private var forecastGauges: [String: (point: Gauge, upper: Gauge)] = [:]

    init() {
        // Served from the first scrape on, at zero, so a scraper sees the run is up.
        for d in Self.all where d.kind == .counter && d.name != Self.cellBytes.name && d.name != Self.endpointRefused.name
            && !(Self.perInterface + Self.perCollector).contains(where: { $0.name == d.name }) {
            totals[d.name] = Total(counter: Counter(label: d.name, factory: factory))
        }
        for reason in ["busy", "oversized", "timeout"] {
            refusedTotals[reason] = Total(counter: Counter(label: Self.endpointRefused.name, dimensions: [("reason", reason)],
                                                           factory: factory))
        }
        gauge(Self.liveFlows).record(0)
    }

    private func gauge(_ d: Definition) -> Gauge {
        if let g = gauges[d.name] { return g }
        let g = Gauge(label: d.name, factory: factory)
        gauges[d.name] = g
        return g
    }

    /// Records a run's totals (counters only ever advance).
    func record(_ s: LiveSnapshot) {
        lock.lock(); defer { lock.unlock() }
        func advance(_ d: Definition, _ value: UInt64) { totals[d.name]?.advance(to: value) }
        func advance(_ d: Definition, _ value: Int) { advance(d, UInt64(max(0, value))) }
        advance(Self.packets, s.packets)
        advance(Self.bytes, s.bytes)
        advance(Self.received, s.capture.received)
        advance(Self.kernelDrops, s.capture.kernelDrops)
        advance(Self.interfaceDrops, s.capture.interfaceDrops)
        advance(Self.decodeIssues, s.decodeIssues)
        advance(Self.unmatched, s.unmatchedPackets)
        advance(Self.flowsWritten, s.flowsWritten)
        advance(Self.flowsEvicted, s.flowsEvicted)
        advance(Self.windows, s.windows)
        advance(Self.policies, s.policiesWritten)
        advance(Self.planFailures, s.planFailures)
        advance(Self.topologyReloads, s.topologyReloads)
        gauge(Self.liveFlows).record(s.liveFlows)
        for (cell, bytes) in s.cellBytes {
            var total = cellTotals[cell]
                ?? Total(counter: Counter(label: Self.cellBytes.name, dimensions: [("cell", cell)], factory: factory))
            total.advance(to: bytes)
            cellTotals[cell] = total
        }
        for (cell, f) in s.cellForecasts {
            let pair = forecastGauges[cell] ?? (
                Gauge(label: Self.forecast.name, dimensions: [("cell", cell)], factory: factory),
                Gauge(label: Self.forecastUpper.name, dimensions: [("cell", cell)], factory: factory))
            forecastGauges[cell] = pair
            // Whole bits per second, as before the move to swift-metrics.
            pair.point.record(f.point.rounded())
            pair.upper.record(f.upper.rounded())
        }
        // A reloaded topology's forecasts name only its own cells.
        for (cell, pair) in forecastGauges where s.cellForecasts[cell] == nil {
            pair.point.destroy(); pair.upper.destroy()
            forecastGauges[cell] = nil
        }
        for c in s.ipfix {
            for (d, value) in [(Self.ipfixRecordsSent, c.recordsSent), (Self.ipfixRecordsLost, c.recordsLost),
                               (Self.ipfixFlowsDropped, c.flowsDropped)] {
                advanceLabelled(d, label: "collector", c.collector, to: UInt64(max(0, value)))
            }
        }
        if let seconds = s.lastSolveSeconds { gauge(Self.planSeconds).record(seconds) }
        if let seconds = s.lastPolicySeconds { gauge(Self.lastPolicy).record(seconds) }
    }

    /// Counters labelled per interface or per collector, by name and label value.
    private var labelledTotals: [String: Total] = [:]

    /// Advances counter `d` with `label` = `value` to `total`, making it at its first use (the lock held).
    private func advanceLabelled(_ d: Definition, label: String, _ value: String, to total: UInt64) {
        let key = d.name + "\u{0}" + value
        var t = labelledTotals[key] ?? Total(counter: Counter(label: d.name, dimensions: [(label, value)], factory: factory))
        t.advance(to: total)
        labelledTotals[key] = t
    }

    /// Records each interface's libpcap counters, for a run on several (counters only ever advance).
    func record(interfaces: [(name: String, statistics: LiveCaptureStatistics)]) {
        lock.lock(); defer { lock.unlock() }
        for (name, s) in interfaces {
            for (d, value) in [(Self.captureReceived, s.received), (Self.captureKernelDrops, s.kernelDrops),
                               (Self.captureInterfaceDrops, s.interfaceDrops)] {
                advanceLabelled(d, label: "interface", name, to: value)
            }
        }
    }

    /// Records the metrics endpoint's refusals so far (counters only ever advance).
    func recordEndpoint(_ r: MetricsListener.Refusals) {
        lock.lock(); defer { lock.unlock() }
        refusedTotals["busy"]?.advance(to: r.busy)
        refusedTotals["oversized"]?.advance(to: r.oversized)
        refusedTotals["timeout"]?.advance(to: r.timedOut)
    }

    /// The Prometheus text exposition of what was recorded last.
    func exposition() -> [UInt8] { factory.exposition() }
}
