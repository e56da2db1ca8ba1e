internal import Dispatch
internal import FlowcastCore
public import FlowcastAggregate
public import FlowcastCapture
internal import FlowcastPolicy
internal import FlowcastTopology
internal import Foundation
public import Logging

/// A live capture run as a daemon: opens the interface, binds the metrics listener, drops root,
/// handles signals, keeps libpcap's counters fresh and runs the pipeline (`runLive`) until a
/// signal stops it. The caller parses arguments, bootstraps logging and prints; everything a
/// run does in between is here.
public final class LiveService {
    public struct Configuration: Sendable {
        public var interface: String
        /// More interfaces read by the same run (`live -i A -i B`): their windows are added up
        /// and each flow line names its interface (docs/live.md).
        public var additionalInterfaces: [String] = []
        public var interfaces: [String] { [interface] + additionalInterfaces }
        public var topologyPath: String
        /// An absolute path; the run writes nowhere else.
        public var outputDirectory: String
        public var capture = LiveCapture.Options()
        public var aggregation = TrafficAggregator.Configuration()
        public var planEveryNanoseconds: Int64 = 60_000_000_000
        /// A model file from `flowcast train`; nil forecasts by persistence.
        public var modelPath: String?
        /// An interval model of spectral efficiency for the cells with radio KPI logs (`IntervalPlanner.Options`).
        public var efficiencyModelPath: String?
        /// Link utilisation under which routing stays on least-cost paths; 0 is pure min-max.
        public var targetUtilisation = PlanOptions().targetUtilisation
        /// Spectrum headroom and routing churn penalty: replay's and the planner's defaults, so a
        /// tap plans what the planner fed by it plans.
        public var headroom = 1.2
        public var churnPenalty = 0.01
        public var rotation: LiveRotation = .never
        /// For tests: seconds added to the clock hourly rotation reads (`LiveOptions`).
        public var rotationClockOffset: Double = 0
        public var captureFile: LiveCaptureFileOptions?
        /// HOST:PORT (or a bare PORT on 127.0.0.1) to serve Prometheus metrics on; nil serves none.
        public var metricsAddress: String?
        /// Drop root to this user once the capture is open and the metrics socket bound.
        public var user: String?
        /// Export every flow over IPFIX as well (docs/ipfix.md); records name the interface by
        /// its index (`observationPointId`).
        public var ipfix: IPFIXOptions?
        /// Publish windows (and flows, ends, heartbeats) to a planner over NATS (docs/scaleout.md).
        public var publisher: TapPublisher?
        /// How often libpcap's counters are read while the run goes on: the reading thread does
        /// not wake while the interface is idle, and would leave them stale.
        public var statisticsInterval: Duration = .milliseconds(250)
        /// Capture threads on the interface, joined in a PACKET_FANOUT group (docs/live.md); 1
        /// reads with one handle. Capture to file and IPFIX export need 1.
        public var captureThreads = 1
        /// How long a run may capture nothing before it says so, once per interface: a warning
        /// when the interface itself carried packets (a `--filter` that matches none of them), a
        /// notice when it carried none (docs/live.md).
        public var nothingCapturedAfter: Duration = .seconds(10)

        public init(interface: String, topologyPath: String, outputDirectory: String) {
            self.interface = interface; self.topologyPath = topologyPath; self.outputDirectory = outputDirectory
        }
    }

    /// Why a run did not start, or stopped on an error.
    public enum Failure: Error, CustomStringConvertible {
        case topology(any Error)
        case models(any Error)
        case capture(CaptureError)
        case outputDirectory(path: String, reason: String)
        case metricsAddress(address: String, reason: String)
        case privilegeDrop(user: String, reason: String)
        case run(any Error)

        public var description: String {
            switch self {
            case .topology(let error): "\(error)"
            case .models(let error): "\(error)"
            case .capture(let error): "\(error)"
            case let .outputDirectory(path, reason): "\(path): \(reason)"
            case let .metricsAddress(address, reason): "metrics address \(address): \(reason)"
            case let .privilegeDrop(user, reason): "dropping root to \(user): \(reason)"
            case .run(let error): "\(error)"
            }
        }
    }

    public let configuration: Configuration
    let log: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        log = logger
    }

    /// Runs until SIGINT or SIGTERM (or a capture error, in the result), then writes the open
    /// window, the open flows, a final policy and summary.json.
    public func run() throws(Failure) -> ReplayResult {
        let c = configuration, out = c.outputDirectory
        let control = LiveControl()
        let signals = LiveSignals(control: control, topologyPath: c.topologyPath, log: log)
        signals.installReload()
        signals.installStop()
        defer { signals.uninstall() }
        let topology: Topology
        do { topology = try Topology(contentsOfFile: c.topologyPath) } catch { throw .topology(error) }
        // The models are read and checked before the capture opens, as the topology is: a wrong
        // file is one line and exit status 2, not an error after the interface is up.
        do {
            _ = try PlannerModels(modelPath: c.modelPath, efficiencyModelPath: c.efficiencyModelPath,
                                  interval: Double(c.planEveryNanoseconds) / 1e9)
        } catch { throw .models(error) }
        let captures: [LiveCapture]
        do {
            var opened: [LiveCapture] = []
            for interface in c.interfaces {
                opened += c.captureThreads > 1
                    ? try LiveCapture.fanout(interface: interface, options: c.capture, threads: c.captureThreads)
                    : [try LiveCapture(interface: interface, options: c.capture)]
            }
            captures = opened
        } catch { throw .capture(error) }
        let capture = captures[0]
        do { try OutputFolder.create(out) } catch { throw .outputDirectory(path: out, reason: "cannot create the folder: \(error.reason)") }
        // One run per folder: a second `live` on the same --out (a double start) would move the
        // running tap's files away under it. Held until this function returns.
        let lock: OutputFolderLock
        do { lock = try OutputFolderLock(out, command: "live") } catch { throw .outputDirectory(path: out, reason: "\(error)") }
        defer { lock.release() }
        // Bind before dropping root, so a privileged port still works (as tcpdump opens first),
        // and before an earlier run's files are moved: a run that cannot start moves nothing.
        var listener: MetricsListener?
        if let address = c.metricsAddress {
            do { listener = try MetricsListener(address: address) } catch {
                throw .metricsAddress(address: address, reason: error.description)
            }
        }
        // An earlier run's files (a tap restarted after a crash, or run again) move to
        // earlier-N/, so this run's folder holds this run only and nothing recorded is lost.
        do {
            if let previous = try PreviousRun.clear(out, keepingIn: PreviousRun.freeArchive(in: out)) {
                log.notice("earlier run found", metadata: ["folder": "\(out)", "found": "\(previous)"])
            }
        } catch {
            listener?.stop()
            throw .outputDirectory(path: out, reason: error.description)
        }
        if let user = c.user {
            do { try PrivilegeDrop.to(user: user, owning: out) } catch {
                listener?.stop()
                throw .privilegeDrop(user: user, reason: error.description)
            }
        }
        for interface in c.interfaces {
            for warning in Set(captures.filter { $0.interface == interface }.flatMap(\.warnings)).sorted() {
                log.warning("libpcap warning", metadata: ["interface": "\(interface)", "warning": "\(warning)"])
            }
        }

        signals.captureOpened(captures)
        let statistics = Self.refreshStatistics(of: captures, into: control, every: c.statisticsInterval, log: log)
        defer { statistics.cancel() }
        let nothingCaptured = Self.watchForNothingCaptured(on: captures, filter: c.capture.filter, after: c.nothingCapturedAfter, log: log)
        defer { nothingCaptured.cancel() }
        // libpcap's TPACKET_V3 read blocks until a block has a packet (the kernel does not retire
        // an empty block at the read timeout), so on a quiet interface the reader would never
        // come back to close windows by the wall clock, nor to rotate. Wake it once a second;
        // several capture threads are woken by their merging thread instead.
        let idleWake = captures.count == 1 ? Self.wakeEverySecond(captures[0]) : nil
        defer { idleWake?.cancel() }
        if let listener {
            let metrics = LiveMetrics()
            listener.start { refusals in
                metrics.recordEndpoint(refusals)
                return Self.scrape(metrics, control: control, captures: captures)
            }
            log.info("metrics", metadata: ["address": "\(listener.boundAddress)"])
        }
        defer { listener?.stop() }
        for interface in c.interfaces {
            let mine = captures.filter { $0.interface == interface }
            log.info("capturing", metadata: ["interface": "\(interface)", "linkType": "\(mine[0].primaryLinkType)",
                                             "nanosecondTimestamps": "\(mine[0].nanosecondTimestamps)", "out": "\(out)",
                                             "captureThreads": "\(mine.count)",
                                             "fanoutGroup": "\(mine[0].fanoutGroup.map { String($0) } ?? "none")"])
        }

        var options = LiveOptions(topology: topology, outputDirectory: out, aggregation: c.aggregation,
                                  rotation: c.rotation, captureFile: c.captureFile)
        options.ipfix = c.ipfix.map { var o = $0; o.observationPoint = if_nametoindex(c.interface); return o }
        options.rotationClockOffset = c.rotationClockOffset
        options.tagsInterfaces = c.interfaces.count > 1
        let result: ReplayResult
        do {
            result = captures.count > 1
                ? try runLiveParallel(options, captures: captures, control: control, publisher: configuration.publisher,
                                      makePlanner: makePlanner, log: logEvent)
                : try runLive(options, capture: capture, control: control, publisher: configuration.publisher,
                              makePlanner: makePlanner, log: logEvent)
        } catch {
            log.error("stopped on error", metadata: ["error": "\(error)"])
            throw .run(error)
        }
        let s = control.snapshot
        var stopped: Logger.Metadata = [
            "packets": "\(result.totals.packets)", "bytes": "\(result.totals.bytes)", "flows": "\(result.flowsWritten)",
            "windows": "\(result.totals.windows)", "received": "\(s.capture.received)",
            "kernelDrops": "\(s.capture.kernelDrops)", "interfaceDrops": "\(s.capture.interfaceDrops)",
            // Received into the kernel's ring but not read when the stop came: summary.json's count.
            "notRead": "\(result.notRead.map(String.init) ?? "")"]
        if result.packetsPerCaptureThread.count > 1 {
            stopped["packetsPerThread"] = "\(result.packetsPerCaptureThread.map(String.init).joined(separator: ","))"
        }
        stopped["flowsEvicted"] = "\(s.flowsEvicted)"
        log.notice("stopped", metadata: stopped)
        // Flows cut at the table's bound, said as replay says it (an audit: 273,502 evicted and not
        // a log line; only summary.json, stats.jsonl and the metrics counted them).
        if s.flowsEvicted > 0 {
            log.warning("flows evicted at the bound", metadata: [
                "flowsEvicted": "\(s.flowsEvicted)", "maximumFlows": "\(c.aggregation.flows.maximumFlows)",
                "hint": "each piece is its own line in flows.jsonl (\"end\":\"evicted\"); raise --max-flows"])
        }
        for e in result.ipfix {
            // A collector that missed flows is a warning, so `--quiet` still says it.
            log.log(level: e.lostSomething ? .warning : .notice, "IPFIX export", metadata: [
                "collector": "\(e.collector)", "records": "\(e.recordsSent)", "messages": "\(e.messagesSent)",
                "flowsDropped": "\(e.flowsDropped)", "recordsLost": "\(e.recordsLost)", "lastError": "\(e.lastError ?? "")"])
        }
        return result
    }

    /// The planner for the first topology (generation 0) and for each reloaded one.
    private func makePlanner(_ topology: Topology, _ generation: Int) throws -> IntervalPlanner? {
        let c = configuration
        let directory = c.outputDirectory + (generation == 0 ? "/policies" : "/policies/reload-\(generation)")
        // The digest is of the file as read now; a reload validated it a moment ago.
        let data = (try? Data(contentsOf: URL(fileURLWithPath: c.topologyPath))) ?? Data()
        var options = IntervalPlanner.Options(everyNanoseconds: c.planEveryNanoseconds, directory: directory,
                                              plan: PlanOptions(headroom: c.headroom, churnPenalty: c.churnPenalty,
                                                                targetUtilisation: c.targetUtilisation),
                                              modelPath: c.modelPath)
        options.efficiencyModelPath = c.efficiencyModelPath
        let planner = try IntervalPlanner(
            topology: topology, topologyData: data,
            inputDescription: "live \(c.interfaces.joined(separator: ",")) window \(c.aggregation.windowNanoseconds)ns",
            options: options)
        // A tap's forecasts.jsonl is a record like its windows: a run that fails (a full disk)
        // leaves it as .partial, as it leaves the others, rather than delete it.
        planner.keepsForecastsOnFailure()
        planner.generator = "flowcast live \(FlowcastVersion.current)"  // provenance: a live tap, not a replay of a file
        if generation == 0, let warning = planner.modelWarning {
            log.warning("\(warning.hasPrefix("warning: ") ? String(warning.dropFirst(9)) : warning)")
        }
        if generation == 0, let warning = planner.stepWarning(windowSeconds: Double(c.aggregation.windowNanoseconds) / 1e9) {
            log.warning("\(String(warning.dropFirst(9)))")
        }
        return planner
    }

    private func logEvent(_ event: LiveEvent) {
        switch event {
        case let .windowClosed(start, lines, stats, packets, dropped):
            // The window's own figure is its drops; the rest are the run's totals so far, and say
            // so ("packets=251" beside an empty window read as its count: an audit).
            log.info("window closed", metadata: [
                "start": "\(Double(start) / 1e9)", "lines": "\(lines)", "packetsSoFar": "\(packets)",
                "receivedSoFar": "\(stats.received)", "kernelDropsSoFar": "\(stats.kernelDrops)",
                "interfaceDropsSoFar": "\(stats.interfaceDrops)", "droppedBeforeCapture": "\(dropped)"])
        case let .topologyReloaded(generation):
            log.notice("topology reloaded", metadata: ["generation": "\(generation)", "file": "\(configuration.topologyPath)"])
        case let .policyWritten(count, file):
            log.info("policy written", metadata: ["count": "\(count)", "file": "\(file)"])
        case let .planFailed(reason):
            log.error("plan failed", metadata: ["reason": "\(reason)"])
        case let .efficiencyUnavailable(problem):
            log.warning("radio KPIs gave a cell no efficiency", metadata: ["problem": "\(problem)"])
        case let .rotated(segment):
            log.info("output rotated", metadata: ["segment": "\(segment)"])
        }
    }

    /// Makes the capture's blocked read return once a second (`LiveCapture.wake`), so the reader
    /// hands over an idle tick (docs/live.md).
    private static func wakeEverySecond(_ capture: LiveCapture) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "flowcast.capture-wake"))
        timer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(100))
        timer.setEventHandler { capture.wake() }
        timer.resume()
        return timer
    }

    /// Reads libpcap's counters every `interval` into the run's snapshot, on a queue of its own.
    /// Reads libpcap's counters every `interval`, and warns when the kernel or the interface has
    /// dropped packets since the last warning (at most one warning every 10 s): the windows those
    /// packets belonged to read low, and the planner cannot tell them from a quiet network.
    private static func refreshStatistics(of captures: [LiveCapture], into control: LiveControl,
                                          every interval: Duration, log: Logger) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "flowcast.capture-statistics"))
        let nanoseconds = Int(interval.components.seconds) * 1_000_000_000 + Int(interval.components.attoseconds / 1_000_000_000)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(max(1_000_000, nanoseconds)))
        /// What was last warned of; touched only on the timer's serial queue.
        final class Warned: @unchecked Sendable {
            var kernel: UInt64 = 0, interface: UInt64 = 0
            var at: UInt64?
        }
        let warned = Warned()
        timer.setEventHandler {
            let fresh = LiveCaptureStatistics.sum(captures.map { $0.refreshStatistics() })
            control.update { $0.capture = $0.capture.merged(with: fresh) }
            let now = DispatchTime.now().uptimeNanoseconds
            guard fresh.kernelDrops > warned.kernel || fresh.interfaceDrops > warned.interface,
                  warned.at.map({ now >= $0 + 10_000_000_000 }) ?? true else { return }
            log.warning("packets dropped before capture", metadata: [
                "kernelDrops": "\(fresh.kernelDrops)", "newKernelDrops": "\(fresh.kernelDrops - min(fresh.kernelDrops, warned.kernel))",
                "interfaceDrops": "\(fresh.interfaceDrops)", "received": "\(fresh.received)",
                "hint": "the windows of this time read low; a larger --buffer-mb or more --capture-threads may help"])
            warned.kernel = fresh.kernelDrops; warned.interface = fresh.interfaceDrops; warned.at = now
        }
        timer.resume()
        return timer
    }

    /// The packets an interface's own counters say it received and sent
    /// (/sys/class/net/IFACE/statistics/rx_packets + tx_packets; a capture sees both directions),
    /// or nil when they cannot be read.
    static func interfacePackets(_ interface: String) -> UInt64? {
        var sum: UInt64 = 0
        for counter in ["rx_packets", "tx_packets"] {
            guard let text = try? String(contentsOfFile: "/sys/class/net/\(interface)/statistics/\(counter)", encoding: .utf8),
                  let n = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
            sum += n
        }
        return sum
    }

    /// Every `after`, for each interface that has captured nothing yet (libpcap's `received`, which
    /// counts only what the filter passes, still 0), compares its own packet counters with those at
    /// the start: packets there mean the filter (or, without one, the capture) let none through,
    /// and one warning says so with the filter and the count; none means the interface is quiet,
    /// said once as a notice. Each interface is told of once, or not at all once it has captured
    /// something.
    private static func watchForNothingCaptured(on captures: [LiveCapture], filter: String?, after: Duration,
                                                log: Logger) -> any DispatchSourceTimer {
        let names = captures.interfaceNames
        /// Touched only on the timer's serial queue.
        final class Watch: @unchecked Sendable {
            var baseline: [String: UInt64] = [:]
            var settled: Set<String> = []
            var seconds: Int64 = 0
        }
        let watch = Watch()
        for name in names { watch.baseline[name] = interfacePackets(name) }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "flowcast.nothing-captured"))
        let nanoseconds = Int(after.components.seconds) * 1_000_000_000 + Int(after.components.attoseconds / 1_000_000_000)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(max(1_000_000, nanoseconds)))
        timer.setEventHandler {
            // Every interface told of: nothing more to do until the run cancels the timer.
            guard watch.settled.count < names.count else { return }
            watch.seconds += Int64(nanoseconds / 1_000_000_000)
            for name in names where !watch.settled.contains(name) {
                let received = captures.filter { $0.interface == name }.reduce(UInt64(0)) { $0 + $1.refreshStatistics().received }
                if received > 0 { watch.settled.insert(name); continue }
                let carried = interfacePackets(name).flatMap { now in watch.baseline[name].map { now &- min(now, $0) } }
                var metadata: Logger.Metadata = ["interface": "\(name)", "seconds": "\(watch.seconds)",
                                                 "filter": "\(filter ?? "none")",
                                                 "interfacePackets": "\(carried.map(String.init) ?? "unknown")"]
                if let carried, carried > 0 {
                    metadata["hint"] = filter != nil
                        ? "the interface carried packets but the capture filter matched none of them; check --filter"
                        : "the interface carried packets but none reached the capture"
                    log.warning("nothing captured", metadata: metadata)
                } else {
                    metadata["hint"] = carried == nil ? "the interface's own counters could not be read"
                        : "the interface itself carried no packet: is it the tap or mirror port?"
                    log.notice("nothing captured: the interface is quiet", metadata: metadata)
                }
                watch.settled.insert(name)
            }
        }
        timer.resume()
        return timer
    }

    /// One scrape: the run's totals, then libpcap's counters read after them, so `received` is
    /// never below the packets aggregated (every packet aggregated was received first).
    private static func scrape(_ metrics: LiveMetrics, control: LiveControl, captures: [LiveCapture]) -> [UInt8] {
        var s = control.snapshot
        let fresh = captures.map { $0.refreshStatistics() }
        s.capture = s.capture.merged(with: .sum(fresh))
        metrics.record(s)
        let names = captures.interfaceNames
        if names.count > 1 {
            metrics.record(interfaces: names.map { name in
                (name, LiveCaptureStatistics.sum(zip(captures, fresh).filter { $0.0.interface == name }.map(\.1)))
            })
        }
        return metrics.exposition()
    }
}

extension LiveCaptureStatistics {
    /// Each counter at the larger of the two: counters read at different moments never go back.
    func merged(with other: LiveCaptureStatistics) -> LiveCaptureStatistics {
        var m = self
        m.received = max(received, other.received)
        m.kernelDrops = max(kernelDrops, other.kernelDrops)
        m.interfaceDrops = max(interfaceDrops, other.interfaceDrops)
        return m
    }
}
