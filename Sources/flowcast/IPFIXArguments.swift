import ArgumentParser
import FlowcastPipeline

/// `--ipfix` and its settings, shared by replay and live (docs/ipfix.md).
struct IPFIXArguments: ParsableArguments {
    @Option(name: .customLong("ipfix"),
            help: ArgumentHelp("Also export every flow over IPFIX to udp://HOST:PORT or tcp://HOST:PORT (repeatable).",
                               valueName: "url"))
    var collectors: [String] = []
    @Option(name: .customLong("ipfix-domain-id"), help: "IPFIX observationDomainId of this tap.")
    var domainID: UInt32 = 0
    @Option(name: .customLong("ipfix-template-interval"), help: "Seconds between IPFIX template refreshes on UDP.")
    var templateInterval: Double = 60
    @Option(name: .customLong("ipfix-mtu"), help: "Largest IPFIX message in bytes (path MTU less IP and UDP headers).")
    var mtu: Int = 1400

    func validate() throws {
        for c in collectors where IPFIXCollector(url: c) == nil {
            throw ValidationError("--ipfix \(c): expected udp://HOST:PORT or tcp://HOST:PORT")
        }
        if !(templateInterval > 0) { throw ValidationError("--ipfix-template-interval must be more than 0") }
        if !(512...65535).contains(mtu) { throw ValidationError("--ipfix-mtu must be 512 to 65535") }
    }

    /// The options, or nil without `--ipfix`.
    func options(observationPoint: UInt32, waitWhenFull: Bool) -> IPFIXOptions? {
        guard !collectors.isEmpty else { return nil }
        return IPFIXOptions(collectors: collectors.compactMap { IPFIXCollector(url: $0) }, observationDomain: domainID,
                            observationPoint: observationPoint, templateInterval: templateInterval,
                            maximumMessageSize: mtu, waitWhenFull: waitWhenFull)
    }

    /// One line per collector for the end of a run.
    static func report(_ statistics: [IPFIXCollectorStatistics]) -> [String] {
        statistics.map { s in
            "IPFIX \(s.collector): \(s.recordsSent) records in \(s.messagesSent) messages; "
                + "\(s.flowsDropped) flows dropped, \(s.recordsLost) records lost"
                + (s.lastError.map { " (last error: \($0))" } ?? "")
        }
    }
}
