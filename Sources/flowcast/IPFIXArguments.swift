import ArgumentParser
import FlowcastPipeline

/// `--ipfix` and its settings, shared by replay and live (docs/ipfix.md).
struct IPFIXArguments: ParsableArguments {
    @Option(name: .customLong("ipfix"),
            help: ArgumentHelp("Also export every flow over IPFIX to udp://HOST:PORT or tcp://HOST:PORT (repeatable).",
                               valueName: "url"))
    var collectors: [String] = []
    // Optional, so that one given without --ipfix is refused even at its default value (an
    // audit: `--ipfix-mtu 1400` alone was taken silently, compared against the default).
    @Option(name: .customLong("ipfix-domain-id"), parsing: .unconditional, help: "IPFIX observationDomainId of this tap (default 0).")
    var givenDomainID: UInt32?
    @Option(name: .customLong("ipfix-template-interval"), parsing: .unconditional, help: "Seconds between IPFIX template refreshes on UDP (default 60).")
    var givenTemplateInterval: Double?
    @Option(name: .customLong("ipfix-mtu"), parsing: .unconditional, help: "Largest IPFIX message in bytes (path MTU less IP and UDP headers; default 1400).")
    var givenMTU: Int?
    @Option(name: .customLong("ipfix-rate"), parsing: .unconditional,
            help: "Most IPFIX records a second to each UDP collector: 0 (as fast as flows end) or at least 1 (default 100000).")
    var givenRate: Double?
    var domainID: UInt32 { givenDomainID ?? 0 }
    var templateInterval: Double { givenTemplateInterval ?? 60 }
    var mtu: Int { givenMTU ?? 1400 }
    var rate: Double { givenRate ?? IPFIXOptions.defaultUDPRecordsPerSecond }

    func validate() throws {
        // Given without --ipfix they did nothing, silently (a help-line audit).
        let alone = [(givenDomainID != nil, "--ipfix-domain-id"), (givenTemplateInterval != nil, "--ipfix-template-interval"), (givenMTU != nil, "--ipfix-mtu"),
                     (givenRate != nil, "--ipfix-rate")]
            .filter(\.0).map(\.1)
        if collectors.isEmpty, let first = alone.first { throw ValidationError("\(first) needs --ipfix (it sets the IPFIX export)") }
        var seen: [String: String] = [:]
        for c in collectors {
            if let problem = IPFIXCollector.problem(url: c) { throw ValidationError("--ipfix \(c): \(problem)") }
            // The same collector twice got every flow twice (and counted sequence errors), silently.
            if let parsed = IPFIXCollector(url: c) {
                if let earlier = seen[parsed.description] {
                    throw ValidationError("--ipfix \(c): the same collector as --ipfix \(earlier); it would get every flow twice")
                }
                seen[parsed.description] = c
            }
        }
        if !(templateInterval > 0) { throw ValidationError("--ipfix-template-interval must be more than 0") }
        // Below one record a second a run could wait for hours on one message (1e-9 was taken).
        if !(rate == 0 || (rate >= 1 && rate.isFinite)) { throw ValidationError("--ipfix-rate must be 0 (unpaced) or at least 1 record a second") }
        if !(512...65535).contains(mtu) { throw ValidationError("--ipfix-mtu must be 512 to 65535") }
        // A UDP datagram over IPv4 carries at most 65,535 − 20 − 8 bytes; a larger message
        // would fail to send, every time.
        if mtu > Self.largestUDPMessage, let udp = collectors.first(where: { IPFIXCollector(url: $0)?.transport == .udp }) {
            throw ValidationError("--ipfix-mtu \(mtu) is more than a UDP datagram carries (\(Self.largestUDPMessage) bytes) for \(udp)")
        }
    }

    /// The options, or nil without `--ipfix`.
    static let largestUDPMessage = 65_507

    /// The options, or nil without `--ipfix`. `sampling`: N of a 1-in-N sampled tap.
    func options(observationPoint: UInt32, waitWhenFull: Bool, sampling: UInt64 = 1) -> IPFIXOptions? {
        guard !collectors.isEmpty else { return nil }
        return IPFIXOptions(collectors: collectors.compactMap { IPFIXCollector(url: $0) }, observationDomain: domainID,
                            observationPoint: observationPoint, templateInterval: templateInterval,
                            maximumMessageSize: mtu, waitWhenFull: waitWhenFull,
                            samplingInterval: UInt32(clamping: sampling), udpRecordsPerSecond: rate)
    }


    /// One line per collector for the end of a run.
    static func report(_ statistics: [IPFIXCollectorStatistics]) -> [String] {
        statistics.map { s in
            "IPFIX \(s.collector): \(s.recordsSent) records in \(s.messagesSent) messages; "
                + "\(s.flowsDropped) flows dropped, \(s.recordsLost) records lost"
                + (s.sessionsBroken.map { n in
                    "; \(n) session\(n == 1 ? "" : "s") broke under it (reset or closed by the collector, or the network)"
                        + ((s.recordsUnconfirmed ?? 0) > 0 ? ", \(s.recordsUnconfirmed!) records its host had acknowledged in \(n == 1 ? "it" : "them") may never have been read" : "")
                } ?? "")
                + (s.lastError.map { " (last error: \($0))" } ?? "")
        }
    }
}
