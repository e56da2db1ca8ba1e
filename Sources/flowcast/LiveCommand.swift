import ArgumentParser
import Dispatch
import FlowcastAggregate
import FlowcastCapture
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture from a network interface into windows, flows, policies and a summary, as replay does.",
        discussion: """
            Writes OUT/windows.jsonl as windows close, OUT/flows.jsonl as flows end, OUT/stats.jsonl \
            (libpcap's received / kernel-dropped / interface-dropped counters per window) and, on \
            SIGINT or SIGTERM, the open window, the open flows, a final policy and OUT/summary.json, \
            then exits 0; a second signal exits at once. SIGHUP reloads the topology (validated \
            first; on error the old one stays). Errors exit with status 2. See docs/live.md.
            """)

    @Option(name: [.customShort("i"), .long], help: "Interface to capture from.") var interface: String?
    @Option(help: "BPF capture filter (compiled by libpcap).") var filter: String?
    @Option(help: "Topology YAML (cells, links, match rules, demands).") var topology: String?
    @Option(help: "Window length (e.g. 10s, 500ms, 1m).") var window: DurationArgument = DurationArgument(argument: "10s")!
    @Option(help: "Plan a policy every DURATION of capture time.") var planEvery: DurationArgument = DurationArgument(argument: "60s")!
    @Option(help: "Output folder; Flowcast writes nowhere else.") var out: String?
    @Option(help: "Kernel capture buffer in MiB.") var bufferMb: Int = 64
    @Option(help: "Bytes kept of each packet.") var snaplen: Int32 = 262_144
    @Flag(help: "Do not put the interface into promiscuous mode.") var noPromisc = false
    @Option(help: "Drop root to this user once the capture is open (like tcpdump -Z).") var user: String?
    @Option(help: "Serve Prometheus metrics on HOST:PORT (a bare PORT binds 127.0.0.1).") var metrics: String?
    @Option(help: "Also save the packets to this pcapng file inside --out.") var write: String?
    @Option(help: "With --write: keep a ring of N files.") var ring: Int = 1
    @Option(help: "With --write: start the next ring file after M MiB (0: never).") var ringMb: Int = 0
    @Option(help: "Rotate output files: hour, or a size such as 100MB.") var rotate: String?
    @Option(help: "Log format: text or json.") var logFormat: String = "text"
    @Option(help: "Seconds without packets after which a flow ends (0: never).") var idleTimeout: Double = 60
    @Option(help: "Seconds after its first packet at which a flow is cut (0: never).") var activeTimeout: Double = 300
    @Option(help: "Most live flows; beyond it the least recently seen is evicted (counted).") var maxFlows: Int = 1 << 20
    @Option(help: "Model file from `flowcast train` (default: persistence).") var model: String?
    @Flag(help: "List the interfaces libpcap can capture from, and exit.") var listInterfaces = false
    @Flag(help: "Log warnings and errors only.") var quiet = false
    @OptionGroup(title: "Publishing to a planner") var publishing: PublishArguments

    func validate() throws {
        if listInterfaces { return }
        if interface == nil { throw ValidationError("missing -i/--interface") }
        if topology == nil { throw ValidationError("missing --topology") }
        if out == nil { throw ValidationError("missing --out") }
        if !["text", "json"].contains(logFormat) { throw ValidationError("--log-format must be text or json") }
        if bufferMb < 1 { throw ValidationError("--buffer-mb must be at least 1") }
        if snaplen < 64 { throw ValidationError("--snaplen must be at least 64") }
        if ring < 1 || ringMb < 0 { throw ValidationError("--ring must be at least 1 and --ring-mb zero or more") }
        if planEvery.nanoseconds < window.nanoseconds { throw ValidationError("--plan-every must be at least one --window") }
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
        let interface = interface!, topologyPath = topology!, out = Self.absolute(out!)
        func fail(_ message: String) -> ExitCode {
            printError("flowcast live: \(message)")
            return ExitCode(2)
        }
        let topo: Topology
        do { topo = try Topology(contentsOfFile: topologyPath) } catch { throw fail("\(error)") }

        var captureOptions = LiveCapture.Options()
        captureOptions.bufferMegabytes = bufferMb
        captureOptions.snapshotLength = snaplen
        captureOptions.promiscuous = !noPromisc
        captureOptions.filter = filter
        let capture: LiveCapture
        do { capture = try LiveCapture(interface: interface, options: captureOptions) } catch { throw fail("\(error)") }

        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw fail("\(out): cannot create the folder: \(error.localizedDescription)")
        }
        // Bind before dropping root, so a privileged port still works (as tcpdump opens first).
        var server: MetricsServer?
        if let metrics {
            do { server = try MetricsServer(address: metrics) } catch { throw fail("--metrics \(metrics): \(error)") }
        }
        if let user {
            do { try PrivilegeDrop.to(user: user, owning: out) } catch { throw fail("--user \(user): \(error)") }
        }

        let format = logFormat, level: Logger.Level = quiet ? .warning : .info
        LoggingSystem.bootstrap { label in
            var handler = StandardErrorLogHandler(label: label, json: format == "json")
            handler.logLevel = level
            return handler
        }
        let log = Logger(label: "flowcast.live")
        for warning in capture.warnings { log.warning("libpcap warning", metadata: ["interface": "\(interface)", "warning": "\(warning)"]) }

        // Connect before capturing: an unreachable NATS server is an error at start, not later.
        let publisher = try publishing.makePublisher(command: "live", out: out, mode: "live", heartbeatSeconds: 10)

        let control = LiveControl()
        let signals = SignalHandling(capture: capture, control: control, topologyPath: topologyPath, log: log)
        signals.install()
        server?.start(control: control)
        if let server { log.info("metrics", metadata: ["address": "\(server.boundAddress)"]) }
        log.info("capturing", metadata: ["interface": "\(interface)", "linkType": "\(capture.primaryLinkType)",
                                         "nanosecondTimestamps": "\(capture.nanosecondTimestamps)", "out": "\(out)"])

        let flows = FlowTable.Configuration(idleTimeout: Int64(idleTimeout * 1e9), activeTimeout: Int64(activeTimeout * 1e9),
                                            maximumFlows: maxFlows)
        let options = LiveOptions(
            topology: topo, outputDirectory: out,
            aggregation: .init(windowNanoseconds: window.nanoseconds, flows: flows),
            rotation: rotate.flatMap(Self.rotation) ?? .never,
            captureFile: write.map { LiveCaptureFileOptions(path: $0.hasPrefix("/") ? $0 : out + "/" + $0, files: ring, megabytes: ringMb) })
        let planEvery = planEvery.nanoseconds, model = model, windowLength = window.nanoseconds
        let result: ReplayResult
        do {
            result = try runLive(options, capture: capture, control: control, publisher: publisher, makePlanner: { topology, generation in
                let directory = generation == 0 ? out + "/policies" : out + "/policies/reload-\(generation)"
                // The digest is of the file as read now; a reload validated it a moment ago.
                let data = (try? Data(contentsOf: URL(fileURLWithPath: topologyPath))) ?? Data()
                let planner = try IntervalPlanner(
                    topology: topology, topologyData: data,
                    inputDescription: "live \(interface) window \(windowLength)ns",
                    options: .init(everyNanoseconds: planEvery, directory: directory, plan: PlanOptions(), modelPath: model))
                if generation == 0, let warning = planner.modelWarning { printError("flowcast live: \(warning)") }
                return planner
            }, log: { event in
                switch event {
                case let .windowClosed(start, lines, stats, packets):
                    log.info("window closed", metadata: [
                        "start": "\(Double(start) / 1e9)", "lines": "\(lines)", "packets": "\(packets)",
                        "received": "\(stats.received)", "kernelDrops": "\(stats.kernelDrops)", "interfaceDrops": "\(stats.interfaceDrops)"])
                case let .topologyReloaded(generation):
                    log.notice("topology reloaded", metadata: ["generation": "\(generation)", "file": "\(topologyPath)"])
                case let .policyWritten(count):
                    log.info("policy written", metadata: ["count": "\(count)"])
                case let .planFailed(reason):
                    log.error("plan failed", metadata: ["reason": "\(reason)"])
                case let .efficiencyUnavailable(problem):
                    log.warning("radio KPIs gave a cell no efficiency", metadata: ["problem": "\(problem)"])
                case let .rotated(segment):
                    log.info("output rotated", metadata: ["segment": "\(segment)"])
                }
            })
        } catch {
            log.error("stopped on error", metadata: ["error": "\(error)"])
            throw fail("\(error)")
        }
        server?.stop()
        publishing.finish(publisher, command: "live", quiet: quiet,
                          summary: ["packets": result.totals.packets, "windowLines": result.windowLines, "interface": interface])
        let s = control.snapshot
        log.notice("stopped", metadata: [
            "packets": "\(result.totals.packets)", "bytes": "\(result.totals.bytes)", "flows": "\(result.flowsWritten)",
            "windows": "\(result.totals.windows)", "received": "\(s.capture.received)",
            "kernelDrops": "\(s.capture.kernelDrops)", "interfaceDrops": "\(s.capture.interfaceDrops)"])
        if let error = result.captureError { throw fail("\(error) (everything before it was written)") }
    }
}

/// SIGINT / SIGTERM / SIGHUP through dispatch sources: the handlers run on a queue, not in signal
/// context, so they may lock, allocate and log. The signals themselves are ignored (SIG_IGN) so
/// only the sources see them.
final class SignalHandling: @unchecked Sendable {
    let capture: LiveCapture
    let control: LiveControl
    let topologyPath: String
    let log: Logger
    private var sources: [any DispatchSourceSignal] = []
    private var stops = 0
    private let queue = DispatchQueue(label: "flowcast.signals")

    init(capture: LiveCapture, control: LiveControl, topologyPath: String, log: Logger) {
        self.capture = capture; self.control = control; self.topologyPath = topologyPath; self.log = log
    }

    func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                stops += 1
                if stops > 1 {
                    printError("flowcast live: second signal: exiting now")
                    _exit(128 + number)
                }
                log.notice("stopping: writing the open window, flows, final policy and summary",
                           metadata: ["signal": "\(number == SIGINT ? "SIGINT" : "SIGTERM")"])
                control.markStopping()
                capture.stop()
            }
            source.resume()
            sources.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { [self] in
            do {
                let topology = try Topology(contentsOfFile: topologyPath)
                control.reload(topology)
                log.notice("topology validated; reloading", metadata: ["file": "\(topologyPath)"])
            } catch {
                log.error("topology reload refused; keeping the current one",
                          metadata: ["file": "\(topologyPath)", "reason": "\(error)"])
            }
        }
        hup.resume()
        sources.append(hup)
    }
}

/// Drops root like tcpdump -Z: supplementary groups, then group, then user; checks root cannot
/// be regained. The output folder is handed to the user first, the only place Flowcast writes.
enum PrivilegeDrop {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func to(user: String, owning directory: String) throws {
        guard let entry = getpwnam(user) else { throw Failure(description: "no such user") }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        guard chown(directory, uid, gid) == 0 else { throw Failure(description: "chown \(directory): \(String(cString: strerror(errno)))") }
        var groups = [gid]
        guard setgroups(1, &groups) == 0 else { throw Failure(description: "setgroups: \(String(cString: strerror(errno)))") }
        guard setgid(gid) == 0 else { throw Failure(description: "setgid: \(String(cString: strerror(errno)))") }
        guard setuid(uid) == 0 else { throw Failure(description: "setuid: \(String(cString: strerror(errno)))") }
        if uid != 0 && setuid(0) == 0 { throw Failure(description: "root could be regained after setuid") }
    }
}

/// A minimal HTTP/1.1 server for Prometheus scrapes: one GET at a time, `Connection: close`.
///
/// Hand-written on a POSIX socket on purpose: a scrape endpoint needs a dozen lines of HTTP,
/// and SwiftNIO (with its transitive packages) would multiply the package's build time for it.
final class MetricsServer: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }
    private let socket: Int32
    let boundAddress: String
    private var thread: Thread?
    private let lock = NSLock()
    private var stopped = false

    init(address: String) throws {
        var host = "127.0.0.1", portText = address
        if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon]); portText = String(address[address.index(after: colon)...])
            if host.isEmpty { host = "127.0.0.1" }
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText) else { throw Failure(description: "expected HOST:PORT") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { throw Failure(description: "not an IPv4 address: \(host)") }
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno)); close(fd)
            throw Failure(description: reason)
        }
        var actual = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        socket = fd
        boundAddress = "\(host):\(UInt16(bigEndian: actual.sin_port))"
    }

    func start(control: LiveControl) {
        let thread = Thread { [self] in
            while true {
                let client = accept(socket, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                serve(client, control.snapshot)
                close(client)
            }
        }
        thread.start()
        self.thread = thread
    }

    func stop() { shutdown(socket, Int32(SHUT_RDWR)); close(socket) }

    private func serve(_ client: Int32, _ s: LiveSnapshot) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 16_384 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            request += chunk[0..<n]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let response: String
        if line.count >= 2, line[0] == "GET", line[1] == "/metrics" || line[1].hasPrefix("/metrics?") || line[1] == "/" {
            let body = Self.exposition(s)
            response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        } else {
            let body = "not found: GET /metrics\n"
            response = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        }
        let bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
    }

    /// Prometheus text exposition format 0.0.4.
    static func exposition(_ s: LiveSnapshot) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        metric("flowcast_packets_total", "counter", "Packets aggregated.", [("", "\(s.packets)")])
        metric("flowcast_bytes_total", "counter", "Wire bytes aggregated.", [("", "\(s.bytes)")])
        metric("flowcast_received_total", "counter", "Packets libpcap reports received.", [("", "\(s.capture.received)")])
        metric("flowcast_kernel_drops_total", "counter", "Packets dropped by the kernel (buffer full).", [("", "\(s.capture.kernelDrops)")])
        metric("flowcast_interface_drops_total", "counter", "Packets dropped by the interface.", [("", "\(s.capture.interfaceDrops)")])
        metric("flowcast_decode_issue_packets_total", "counter", "Packets with a decode issue.", [("", "\(s.decodeIssues)")])
        metric("flowcast_unmatched_packets_total", "counter", "Packets matching no cell.", [("", "\(s.unmatchedPackets)")])
        metric("flowcast_live_flows", "gauge", "Flows in the flow table.", [("", "\(s.liveFlows)")])
        metric("flowcast_flows_written_total", "counter", "Flows ended and written.", [("", "\(s.flowsWritten)")])
        metric("flowcast_flows_evicted_total", "counter", "Flows evicted by the memory bound.", [("", "\(s.flowsEvicted)")])
        metric("flowcast_windows_total", "counter", "Windows closed.", [("", "\(s.windows)")])
        metric("flowcast_cell_bytes", "counter", "Bytes per cell over closed windows.",
               s.cellBytes.sorted { $0.key < $1.key }.map { ("{cell=\"\(escape($0.key))\"}", "\($0.value)") })
        metric("flowcast_policies_total", "counter", "Policies written.", [("", "\(s.policiesWritten)")])
        metric("flowcast_plan_failures_total", "counter", "Plans that failed.", [("", "\(s.planFailures)")])
        metric("flowcast_topology_reloads_total", "counter", "Topology reloads applied.", [("", "\(s.topologyReloads)")])
        let forecasts = s.cellForecasts.sorted { $0.key < $1.key }
        metric("flowcast_cell_forecast_bits_per_second", "gauge", "Latest one-step-ahead forecast per cell (point).",
               forecasts.map { ("{cell=\"\(escape($0.key))\"}", String(format: "%.0f", $0.value.point)) })
        metric("flowcast_cell_forecast_upper_bits_per_second", "gauge", "Latest forecast per cell, upper quantile (P90).",
               forecasts.map { ("{cell=\"\(escape($0.key))\"}", String(format: "%.0f", $0.value.upper)) })
        if let solve = s.lastSolveSeconds {
            metric("flowcast_plan_seconds", "gauge", "How long the latest plan took (forecasts, solves, writing).",
                   [("", String(format: "%.6f", solve))])
        }
        if let t = s.lastPolicySeconds {
            metric("flowcast_last_policy_timestamp_seconds", "gauge", "When the latest policy was written.", [("", String(format: "%.3f", t))])
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// swift-log handler writing one line per event to standard error: `text` for people, `json`
/// (one object per line: time, level, label, message, metadata) for log collectors.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    let json: Bool
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(label: String, json: Bool) { self.label = label; self.json = json }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        for (k, v) in event.metadata ?? [:] { all[k] = v }
        let time = Date()
        if json {
            var object: [String: Any] = ["time": ISO8601DateFormatter.string(from: time, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds]),
                                         "level": event.level.rawValue, "label": label, "message": event.message.description]
            for (k, v) in all { object[k] = "\(v)" }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                printError(String(decoding: data, as: UTF8.self))
            }
        } else {
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            printError("flowcast live: \(event.level): \(event.message)\(fields.isEmpty ? "" : " " + fields)")
        }
    }
}
