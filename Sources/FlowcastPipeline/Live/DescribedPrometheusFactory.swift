internal import CoreMetrics
internal import Prometheus

/// swift-metrics' factory over a swift-prometheus registry that keeps each metric's `# HELP` text.
///
/// swift-prometheus' own `PrometheusMetricsFactory` registers every metric with an empty help
/// text, and its registry refuses a second, different help text for the same name, so a scrape
/// would carry no `# HELP` lines. This factory looks the help text up by metric name, makes
/// counters and gauges itself, and leaves histograms (which Flowcast does not record) and every
/// `destroy` to swift-prometheus' factory over the same registry.
struct DescribedPrometheusFactory: MetricsFactory {
    let registry = PrometheusCollectorRegistry()
    let help: [String: String]
    private let plain: PrometheusMetricsFactory

    init(help: [String: String]) {
        self.help = help
        plain = PrometheusMetricsFactory(registry: registry)
    }

    /// The metric named `label` (the whole name: no namespace or unit to join) and its help text.
    private func describe(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? "")
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric made so far.
    func exposition() -> [UInt8] { registry.emitToBuffer() }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: describe(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: describe(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard !aggregate else { return plain.makeRecorder(label: label, dimensions: dimensions, aggregate: true) }
        return registry.makeGauge(descriptor: describe(label), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: describe(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        plain.makeTimer(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}
