import ArgumentParser
import FlowcastAggregate
import FlowcastCapture
import FlowcastPipeline
import Foundation
import Logging

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture from a network interface into windows, flows, policies and a summary, as replay does.",
        discussion: """
            Writes OUT/windows.jsonl as windows close, OUT/flows.jsonl as flows end, OUT/stats.jsonl \
            (libpcap's received / kernel-dropped / interface-dropped counters per window) and, on \
            SIGINT or SIGTERM, the open window, the open flows, a final policy and OUT/summary.json, \
            then exits 0; a second signal exits at once. SIGHUP reloads the topology (validated \
            first; on error the old one stays). Errors exit with status 2, usage errors with 64; 3 \
            when --publish leaves messages the stream did not take (kept in OUT/publish-spool, see \
            docs/scaleout.md). See docs/live.md.
            """)

    @Option(name: [.customShort("i"), .long],
            help: "Interface to capture from; repeat for several (their windows add up, each flow names its interface).")
    var interface: [String] = []
    @Option(help: "BPF capture filter (compiled by libpcap).") var filter: String?
    // Checked in validate(), not by the parser, so that --list-interfaces needs neither: say so.
    @Option(help: "Topology YAML (cells, links, match rules, demands). Required (unlike replay, live infers none).") var topology: String?
    @Option(parsing: .unconditional, help: "Window length (e.g. 10s, 500ms, 1m; 1 ms to 366 days).") var window: DurationArgument = DurationArgument(argument: "10s")!
    @Option(parsing: .unconditional, help: "Plan a policy every DURATION of capture time (a whole number of windows).") var planEvery: DurationArgument = DurationArgument(argument: "60s")!
    @Option(help: "Output folder; Flowcast writes nowhere else. Required.") var out: String?
    @Option(parsing: .unconditional, help: "Kernel capture buffer in MiB.") var bufferMb: Int = 64
    @Option(parsing: .unconditional, help: ArgumentHelp("Capture threads, joined in a PACKET_FANOUT group that keeps each flow on one thread; each has its own kernel buffer and aggregates what it reads, and their windows are merged exactly. Default: the number of cores (\(ProcessInfo.processInfo.activeProcessorCount) here); 1 with --write, which needs one thread for now.", valueName: "n"))
    var captureThreads: Int?
    @Option(parsing: .unconditional, help: "Bytes kept of each packet.") var snaplen: Int32 = 262_144
    @Flag(help: "Do not put the interface into promiscuous mode.") var noPromisc = false
    @Option(help: "Drop root to this user once the capture is open (like tcpdump -Z).") var user: String?
    @Option(help: "Serve Prometheus metrics on HOST:PORT (a bare PORT binds 127.0.0.1).") var metrics: String?
    @Option(help: "Also save the packets to this pcapng file inside --out.") var write: String?
    @Option(parsing: .unconditional, help: "With --write: keep a ring of N files.") var ring: Int = 1
    @Option(parsing: .unconditional, help: "With --write: start the next ring file after M MiB (0: never).") var ringMb: Int = 0
    @Option(help: "Rotate output files: hour, or a size such as 100MB.") var rotate: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("For tests: seconds added to the clock that --rotate hour reads.", visibility: .hidden))
    var rotationClockOffset: Double = 0
    @Option(help: "Log format: text or json.") var logFormat: String = "text"
    @OptionGroup(title: "Flows") var flowTable: FlowTableOptions
    @OptionGroup var models: PlannerModelArguments
    @Option(parsing: .unconditional, help: "Headroom multiplier on required spectrum blocks.") var headroom: Double = 1.2
    @Option(parsing: .unconditional, help: "Churn penalty per unit of split weight moved from the previous policy.") var churn: Double = 0.01
    @Option(parsing: .unconditional, help: "Keep every link at or under this utilisation, traffic on least-cost paths until it must move (0: pure min-max utilisation).") var targetUtilisation: Double = 0.7
    @Flag(help: "List the interfaces libpcap can capture from, and exit.") var listInterfaces = false
    @Flag(help: "Log warnings and errors only.") var quiet = false
    @OptionGroup(title: "IPFIX export") var ipfix: IPFIXArguments
    @OptionGroup(title: "Publishing to a planner") var publishing: PublishArguments

    func validate() throws {
        try window.checkRange("--window"); try planEvery.checkRange("--plan-every")
        if listInterfaces { return }
        if interface.isEmpty { throw ValidationError("missing -i/--interface") }
        if Set(interface).count != interface.count { throw ValidationError("an interface is named twice with -i") }
        if interface.count > 1, write != nil {
            throw ValidationError("several interfaces cannot be combined with --write (yet)")
        }
        if topology == nil { throw ValidationError("missing --topology") }
        if out == nil { throw ValidationError("missing --out") }
        if !["text", "json"].contains(logFormat) { throw ValidationError("--log-format must be text or json") }
        if bufferMb < 1 { throw ValidationError("--buffer-mb must be at least 1") }
        if let captureThreads, captureThreads < 1 || captureThreads > 64 {
            throw ValidationError("--capture-threads must be from 1 to 64")
        }
        if let captureThreads, captureThreads > 1, write != nil {
            throw ValidationError("--capture-threads above 1 cannot be combined with --write (yet)")
        }
        if snaplen < 64 { throw ValidationError("--snaplen must be at least 64") }
        if ring < 1 || ringMb < 0 { throw ValidationError("--ring must be at least 1 and --ring-mb zero or more") }
        if write == nil && (ring != 1 || ringMb != 0) { throw ValidationError("--ring and --ring-mb need --write") }
        if planEvery.nanoseconds < window.nanoseconds || planEvery.nanoseconds % window.nanoseconds != 0 {
            // Policies tile time: an interval that is not whole windows would leave a gap between them.
            // Live always plans: name the interval, which may be the default the user never gave.
            let every = planEvery.defaultValueDescription + (planEvery.nanoseconds == 60_000_000_000 ? ", the default" : "")
            throw ValidationError("--plan-every (\(every)) must be a whole number of --window (\(window.defaultValueDescription) windows)")
        }
        if !(0...1).contains(targetUtilisation) { throw ValidationError("--target-utilisation must be 0 (pure min-max utilisation) to 1") }
        try PlanOptionChecks.validate(headroom: headroom, churn: churn)
        if let rotate, Self.rotation(rotate) == nil { throw ValidationError("--rotate must be 'hour' or a size like 100MB") }
        if let write, write.contains("..") || (write.hasPrefix("/") && !write.hasPrefix(Self.absolute(out!) + "/")) {
            throw ValidationError("--write must name a file inside --out")
        }
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func rotation(_ text: String) -> LiveRotation? {
        if text == "hour" { return .hourly }
        let units: [(String, Int)] = [("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, scale) in units where text.uppercased().hasSuffix(suffix) {
            guard let n = Int(text.dropLast(suffix.count)), n > 0 else { return nil }
            return .bytes(n * scale)
        }
        return Int(text).flatMap { $0 > 0 ? .bytes($0) : nil }
    }

    func run() throws {
        // A tap outlives whatever reads its log: when that reader goes away (`| logger`, a log
        // shipper that restarts), a write to the closed pipe must fail, not kill the capture
        // with SIGPIPE and leave every file unfinished.
        signal(SIGPIPE, SIG_IGN)
        // SIGHUP reloads the topology once the run is set up (LiveSignals); until then it must not
        // kill a tap that is still opening its capture and its folder.
        signal(SIGHUP, SIG_IGN)
        if listInterfaces {
            do {
                for i in try LiveCapture.listInterfaces() {
                    var flags: [String] = []
                    if i.isUp { flags.append("up") }
                    if i.isRunning { flags.append("running") }
                    if i.isLoopback { flags.append("loopback") }
                    print([i.name, flags.joined(separator: ","), i.addresses.joined(separator: " "), i.description ?? ""]
                        .filter { !$0.isEmpty }.joined(separator: "\t"))
                }
            } catch {
                printError("flowcast live: \(error)")
                throw ExitCode(2)
            }
            return
        }
        let format: StandardErrorLogHandler.Format = logFormat == "json" ? .json : .text, level: Logger.Level = quiet ? .warning : .info
        LoggingSystem.bootstrap { StandardErrorLogHandler(label: $0, format: format, prefix: "flowcast live", level: level) }
        // The error that ends the run: with --log-format json a JSON line at level error like every
        // other, so a log shipper sees why the tap stopped.
        func fail(_ message: String) -> ExitCode {
            if format == .json {
                Logger(label: "flowcast.live").error("\(message)")
            } else {
                printError("flowcast live: \(message)")
            }
            return ExitCode(2)
        }

        let out = Self.absolute(out!)
        var configuration = LiveService.Configuration(interface: interface[0], topologyPath: topology!, outputDirectory: out)
        configuration.additionalInterfaces = Array(interface.dropFirst())
        configuration.capture.bufferMegabytes = bufferMb
        configuration.captureThreads = captureThreads
            ?? (write != nil ? 1 : max(1, ProcessInfo.processInfo.activeProcessorCount))
        configuration.capture.snapshotLength = snaplen
        configuration.capture.promiscuous = !noPromisc
        configuration.capture.filter = filter
        configuration.aggregation = .init(
            windowNanoseconds: window.nanoseconds,
            flows: flowTable.configuration)
        configuration.planEveryNanoseconds = planEvery.nanoseconds
        configuration.modelPath = models.model
        configuration.efficiencyModelPath = models.efficiencyModel
        configuration.targetUtilisation = targetUtilisation
        configuration.headroom = headroom
        configuration.churnPenalty = churn
        configuration.rotation = rotate.flatMap(Self.rotation) ?? .never
        configuration.rotationClockOffset = rotationClockOffset
        configuration.captureFile = write.map {
            LiveCaptureFileOptions(path: $0.hasPrefix("/") ? $0 : out + "/" + $0, files: ring, megabytes: ringMb)
        }
        configuration.metricsAddress = metrics
        configuration.user = user
        // A capture never waits on a collector; the service names the interface (observationPointId).
        configuration.ipfix = ipfix.options(observationPoint: 0, waitWhenFull: false)
        // A collector name that does not resolve: said before anything starts. (It was found once
        // capture had begun: empty .partial files, the error twice, an earlier run moved aside.)
        do { try IPFIXCollector.checkResolvable(configuration.ipfix?.collectors ?? []) } catch { throw fail("\(error)") }

        // Connect before capturing: an unreachable NATS server is an error at start, not later.
        let publisher = try publishing.makePublisher(command: "live", out: out, mode: "live", heartbeatSeconds: 10)
        configuration.publisher = publisher
        let result: ReplayResult
        do {
            result = try LiveService(configuration: configuration, logger: Logger(label: "flowcast.live")).run()
        } catch {
            switch error {
            case .capture(let e) where LiveCapture.isMissingInterface(e):
                throw fail("\(e); flowcast live --list-interfaces lists the interfaces")
            case .capture(let e) where LiveCapture.isPermissionDenied(e):
                throw fail("\(e); e.g. setcap cap_net_raw,cap_net_admin+eip $(command -v flowcast)")
            case let .metricsAddress(address, reason): throw fail("--metrics \(address): \(reason)")
            case let .privilegeDrop(user, reason): throw fail("--user \(user): \(reason)")
            default: throw fail("\(error)")
            }
        }
        let unsent = publishing.finish(publisher, command: "live", quiet: quiet,
                          summary: TapEndSummary(packets: result.totals.packets, windowLines: result.windowLines, interface: interface.joined(separator: ",")),
                          summaryFile: out + "/summary.json")
        if let error = result.captureError { throw fail("\(error) (everything before it was written)") }
        if unsent { throw ExitCode(PublishArguments.unsentExitStatus) }
    }
}
