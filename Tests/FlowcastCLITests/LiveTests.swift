import FlowcastTestSupport
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `flowcast live` end to end: a veth pair whose far end sits in a fresh network namespace,
/// a real capture replayed into it with tcpreplay, the real executable on the near end.
/// Needs root, `ip`, `tcpreplay` and `tcprewrite` (Debian: iproute2, tcpreplay); skipped otherwise.
@Suite("flowcast live", .serialized)
struct LiveTests {
    static func tool(_ name: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin"] {
            let path = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
    static let isRoot = getuid() == 0
    static let canReplay = isRoot && tool("ip") != nil && tool("tcpreplay") != nil && tool("tcprewrite") != nil
    static let demoTopology = "captures/demo/topology.yaml"

    // MARK: helpers

    /// A veth pair: `capture` in this namespace (what flowcast reads), `feed` inside a new
    /// namespace (where tcpreplay writes). Removing the namespace removes both ends.
    final class VethPair: Sendable {
        let namespace: String, capture: String, feed: String
        init() throws {
            let tag = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
            namespace = "fclive-\(tag)"; capture = "fcl\(tag)a"; feed = "fcl\(tag)b"
            try run("ip", ["netns", "add", namespace])
            do {
                try run("ip", ["link", "add", capture, "mtu", "9000", "type", "veth", "peer", "name", feed, "mtu", "9000", "netns", namespace])
                // No addresses and no IPv6: the kernel then sends nothing of its own on the pair.
                _ = try? run("sysctl", ["-qw", "net.ipv6.conf.\(capture).disable_ipv6=1"])
                _ = try? run("ip", ["netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.\(feed).disable_ipv6=1"])
                try run("ip", ["link", "set", capture, "up"])
                try run("ip", ["netns", "exec", namespace, "ip", "link", "set", feed, "up"])
            } catch {
                cleanUp()
                throw error
            }
        }
        func cleanUp() {
            _ = try? LiveTests.run("ip", ["link", "del", capture])
            _ = try? LiveTests.run("ip", ["netns", "del", namespace])
        }
        deinit { cleanUp() }

        /// Replays `file` into the feed end from inside the namespace.
        func replay(_ file: String, rate: [String] = ["--topspeed"]) throws {
            try LiveTests.run("ip", ["netns", "exec", namespace, LiveTests.tool("tcpreplay")!, "-q"] + rate + ["-i", feed, file])
        }
    }

    struct CommandFailed: Error, CustomStringConvertible { var description: String }

    @discardableResult
    static func run(_ name: String, _ arguments: [String]) throws -> String {
        let child = try ChildProcess(tool(name) ?? name, arguments, stdout: .capture, stderr: .standardOutput)
        try child.wait(timeout: 300)
        let text = child.stdout
        guard child.terminationStatus == 0 else {
            throw CommandFailed(description: "\(name) \(arguments.joined(separator: " ")): status \(child.terminationStatus): \(text)")
        }
        return text
    }

    /// A running `flowcast live`, its stderr going to a file.
    final class LiveProcess {
        let process: ChildProcess
        let log: URL
        let port: UInt16
        /// `logPath`: where its standard error goes (default `OUT.log`; a test of a full disk keeps
        /// it off that disk, or the error line it looks for has no room).
        init(interface: String, out: String, topology: String = LiveTests.demoTopology, extra: [String] = [],
             logPath: String? = nil) throws {
            port = LiveTests.freePort()
            log = URL(fileURLWithPath: logPath ?? out + ".log")
            process = try ChildProcess(flowcast: ["live", "-i", interface, "--topology", topology, "--out", out,
                                                  "--metrics", "127.0.0.1:\(port)"] + extra,
                                       stdout: .file(log.path), stderr: .standardOutput)
        }
        var stderr: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        /// A metric from the live endpoint, or nil while it is not up.
        func metric(_ name: String) -> Double? {
            guard let text = LiveTests.httpGet(port: port, path: "/metrics") else { return nil }
            for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
                return Double(line.split(separator: " ").last ?? "")
            }
            return nil
        }
        /// Polls (there is nothing to wait on) until `condition` holds or `seconds` pass.
        func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                if !process.isRunning { return false }
                usleep(20_000)
            }
            return condition()
        }
        /// Waits up to 20 s for the metrics endpoint to serve `flowcast_packets_total` (the run is
        /// capturing); records an issue with the run's stderr at the caller when it never does.
        func expectMetricsUp(sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(waitFor(20) { metric("flowcast_packets_total") != nil }, "metrics never came up: \(stderr)",
                    sourceLocation: sourceLocation)
        }
        /// SIGTERM, and the exit status; a run still going 120 s later is killed and recorded as
        /// an issue at the caller (status -1).
        func terminate(sourceLocation: SourceLocation = #_sourceLocation) -> Int32 {
            do {
                try process.stop(SIGTERM, timeout: 120)
            } catch {
                Issue.record("live did not stop on SIGTERM: \(error)", sourceLocation: sourceLocation)
                return -1
            }
            return process.terminationStatus
        }
        /// Waits for the end (at most `seconds`, then killed and recorded as an issue at the caller).
        func waitForExit(_ seconds: Double = 120, sourceLocation: SourceLocation = #_sourceLocation) {
            do { try process.wait(timeout: seconds) } catch { Issue.record("\(error)", sourceLocation: sourceLocation) }
        }
    }

    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: addr.sin_port)
    }

    static func httpGet(port: UInt16, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        // A peer that never answers (a stuck run, or another test's listener that took the port)
        // costs at most 10 s, not the suite.
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200"), let body = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[body.upperBound...])
    }

    static func temporaryDirectory() -> String {
        Scratch.root.appendingPathComponent("flowcast-live-\(UUID().uuidString)").path
    }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    static func jsonLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// Bytes and packets per cell and link, summed over every window (live windows start at
    /// other times than replayed ones; their sums must not differ).
    static func windowTotals(_ out: String) throws -> [String: [Int]] {
        var totals: [String: [Int]] = [:]
        for w in try jsonLines(out + "/windows.jsonl") {
            let key = "\(w["kind"]!):\(w["id"]!)"
            var t = totals[key] ?? [0, 0]
            t[0] += (w["bytesUp"] as! Int) + (w["bytesDown"] as! Int)
            t[1] += (w["packetsUp"] as! Int) + (w["packetsDown"] as! Int)
            totals[key] = t
        }
        return totals
    }

    /// Every output is complete JSON, nothing is left half-written, and a final policy exists,
    /// unless no window of the run was complete (each partial, or the first observed from inside
    /// it, as a run of a few seconds in one window is): there is then nothing to forecast from, and the
    /// log says no policy was written (a policy of zero load everywhere was written until
    /// 5 December 2026).
    static func requireCompleteOutputs(_ out: String, stderr: String) throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: out)
        #expect(!files.contains { $0.hasSuffix(".partial") }, "half-written files left: \(files)")
        for name in ["windows.jsonl", "flows.jsonl", "stats.jsonl", "policies/forecasts.jsonl"] {
            _ = try jsonLines(out + "/" + name)
        }
        _ = try json(out + "/summary.json")
        let policies = files.filter { $0.hasPrefix("policies/policy-") && $0.hasSuffix(".json") }
        if policies.isEmpty {
            let windows = try jsonLines(out + "/windows.jsonl")
            // Not complete: cut short by the stop (partial), or observed from inside it (the first).
            #expect(windows.allSatisfy { $0["partial"] as? Bool == true || $0["observedFrom"] != nil }, "no final policy, with complete windows")
            #expect(stderr.contains("no complete window before it, so nothing to forecast from; no policy written"), "\(stderr)")
        }
        for p in policies { _ = try json(out + "/" + p) }
    }

    // MARK: tests

    @Test("live capture of a replayed capture counts what replay counts: packets, bytes, flows, window totals, on 1 and 2 capture threads",
          .enabled(if: canReplay, "needs root, ip, tcpreplay and tcprewrite"),
          arguments: ["captures/demo/demo.pcapng", "captures/real/gtpu-ipv4-inner-mixed.pcap"], [1, 2])
    func liveEqualsReplay(_ capture: String, captureThreads: Int) throws {
        // tcpreplay sends the captured bytes only; the demo capture keeps 128 bytes of each
        // packet, so pad every packet to its original length first (replay counts wire length).
        let input = Scratch.root.appendingPathComponent("fclive-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: input) }
        try Self.run("tcprewrite", ["--fixlen=pad", "-i", Fixtures.repositoryRoot.appendingPathComponent(capture).path, "-o", input])
        let timeouts = ["--idle-timeout", "0", "--active-timeout", "0"]
        let replayed = Self.temporaryDirectory()
        let r = try Fixtures.runFlowcast(["replay", input, "--topology", Self.demoTopology, "--out", replayed, "--quiet"] + timeouts)
        #expect(r.status == 0, "\(r.stderr)")
        let expected = try Self.json(replayed + "/summary.json")
        let expectedPackets = (expected["totals"] as! [String: Any])["packets"] as! Int

        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        // Two threads: a PACKET_FANOUT group whose windows are merged; the demo's handovers move
        // UE flows between tunnels, which must still stay on one thread (counted once).
        let startedAt = Date().timeIntervalSince1970
        let live = try LiveProcess(interface: pair.capture, out: out, extra: timeouts + ["--capture-threads", "\(captureThreads)"])
        live.expectMetricsUp()
        try pair.replay(input)
        let all = live.waitFor(30) { (live.metric("flowcast_packets_total") ?? 0) >= Double(expectedPackets) }
        #expect(all, "live saw \(live.metric("flowcast_packets_total") ?? -1) of \(expectedPackets) packets")
        #expect(live.metric("flowcast_kernel_drops_total") == 0)
        #expect(live.terminate() == 0, "\(live.stderr)")

        try Self.requireCompleteOutputs(out, stderr: live.stderr)
        if captureThreads > 1 && capture == "captures/demo/demo.pcapng" {
            // The fanout spreads the demo's many flows: every thread aggregated some of the packets (until
            // 5 December 2026 its program read the wrong offsets and all went to the first).
            let stop = live.stderr.split(separator: "\n").first { $0.contains("notice: stopped") }.map(String.init) ?? ""
            let perThread = stop.split(separator: " ").first { $0.hasPrefix("packetsPerThread=") }
                .map { $0.dropFirst("packetsPerThread=".count).split(separator: ",").compactMap { Int($0) } } ?? []
            #expect(perThread.count == captureThreads && perThread.allSatisfy { $0 > 0 }, "\(stop)")
            #expect(perThread.reduce(0, +) == expectedPackets, "\(stop)")
        }
        let got = try Self.json(out + "/summary.json")
        for key in ["totals", "unmatched"] {
            #expect(got[key] as? [String: Int] == expected[key] as? [String: Int], "\(key)")
        }
        let gotFlows = got["flows"] as! [String: Any], expectedFlows = expected["flows"] as! [String: Any]
        #expect(gotFlows["created"] as? Int == expectedFlows["created"] as? Int)
        #expect(gotFlows["written"] as? Int == expectedFlows["written"] as? Int)
        #expect(try Self.jsonLines(out + "/flows.jsonl").count == Self.jsonLines(replayed + "/flows.jsonl").count)
        #expect(try Self.windowTotals(out) == Self.windowTotals(replayed))
        // The capture opened inside the first window or before it: when inside, every line of that
        // window, and no other, says from when it was observed, between the start and the first packet.
        let lines = try Self.jsonLines(out + "/windows.jsonl")
        let firstStart = lines.map { $0["start"] as! Double }.min() ?? 0
        let firstTime = (got["capture"] as! [String: Any])["firstTime"] as! Double
        let marked = lines.filter { $0["observedFrom"] != nil }
        if marked.isEmpty {
            #expect(startedAt <= firstStart + 1, "a run that began \(startedAt - firstStart) s into its first window does not say so")
        } else {
            #expect(marked.count == lines.filter { $0["start"] as! Double == firstStart }.count, "\(marked.count) lines marked")
            for line in marked {
                let from = line["observedFrom"] as! Double
                #expect(line["start"] as! Double == firstStart && from > firstStart && from >= startedAt - 0.001 && from <= firstTime,
                        "observedFrom \(from): first window \(firstStart), started \(startedAt), first packet \(firstTime)")
            }
        }
        let libpcap = (got["capture"] as! [String: Any])["libpcap"] as! [String: Int]
        #expect(libpcap["received"] == expectedPackets && libpcap["kernelDrops"] == 0)
        // What signalling taught, and how it met the static rules, as replay counts it (the demo:
        // 99 TEIDs, and no conflict now that a cell without a global identity cannot conflict).
        let gotCells = got["cells"] as! [String: Any], expectedCells = expected["cells"] as! [String: Any]
        for key in ["learnedTEIDs", "staticRuleConflicts", "signallingConflicts", "matchedPackets"] {
            let (have, want) = (gotCells[key] as? Int, expectedCells[key] as? Int)
            if key == "staticRuleConflicts" && captureThreads > 1, let have, let want {
                // The documented race of several threads: a handover learned on another thread up
                // to one batch early or late, for packets a static rule places (docs/live.md).
                // Measured 4 and 49 of 42,789 on this machine (the more, the busier the machine),
                // and 541 (1.3 %) in a fresh-clone CI run with the other suites beside it (batches
                // grow under load): bounded at 3 %, not the 1 % and 0.1 % set before, which
                // loaded runs exceeded.
                #expect(abs(have - want) <= expectedPackets * 3 / 100, "cells.\(key): \(have) against replay's \(want)")
                continue
            }
            #expect(have != nil && have == want, "cells.\(key): \(String(describing: have)) against replay's \(String(describing: want))")
        }
    }

    /// The demo capture padded to wire length (tcpreplay sends captured bytes only), in a file the
    /// caller removes.
    static func paddedDemo() throws -> String {
        let input = Scratch.root.appendingPathComponent("fclive-\(UUID().uuidString).pcap").path
        try run("tcprewrite", ["--fixlen=pad", "-i", Fixtures.repositoryRoot.appendingPathComponent("captures/demo/demo.pcapng").path,
                               "-o", input])
        return input
    }

    @Test("a ring too small for a burst: the windows that lost packets carry droppedBeforeCapture, summing to libpcap's drops, and summary.json counts them; stopped at once after the burst, the last window takes the drops read after its end",
          .enabled(if: canReplay, "needs root, ip, tcpreplay and tcprewrite"),
          arguments: [(1, false), (2, false), (1, true), (2, true)])
    func dropsMarkTheirWindows(captureThreads: Int, stopAtOnce: Bool) throws {
        let input = try Self.paddedDemo()
        defer { try? FileManager.default.removeItem(atPath: input) }
        let pair = try VethPair()
        defer { pair.cleanUp() }
        var out = "", lastRun: LiveProcess? = nil, summary: [String: Any] = [:], libpcap: [String: Int] = [:], drops = 0
        // A loaded machine can read the burst as fast as it comes, and then nothing here tells a
        // window with drops: the run is made again (at most three times) until the ring overflows.
        for _ in 1...3 {
            out = Self.temporaryDirectory()
            // A 1 MiB ring per socket holds about a thousand of the demo's packets; tcpreplay at top
            // speed sends its 42,789 in about a tenth of a second, faster than a debug build reads.
            let run = try LiveProcess(interface: pair.capture, out: out,
                                      extra: ["--buffer-mb", "1", "--window", "1s", "--capture-threads", "\(captureThreads)"])
            run.expectMetricsUp()
            try pair.replay(input)
            #expect(run.waitFor(20) { (run.metric("flowcast_received_total") ?? 0) >= 42_789 }, "\(run.stderr)")
            // Quiet windows close by the wall clock a second after their end: waiting lets the burst's
            // window close, and the quiet ones after it, which take the drops read late. Stopped at
            // once, the burst's window is the last and takes every drop read until the stop.
            if !stopAtOnce { usleep(2_500_000) }
            #expect(run.terminate() == 0, "\(run.stderr)")
            lastRun = run
            summary = try Self.json(out + "/summary.json")
            libpcap = (summary["capture"] as! [String: Any])["libpcap"] as! [String: Int]
            drops = libpcap["kernelDrops"]! + libpcap["interfaceDrops"]!
            if drops > 0 { break }
        }
        try #require(drops > 0, "the 1 MiB ring did not overflow in three runs, so nothing here tells a window with drops: \(libpcap)")
        let live = try #require(lastRun)
        var perWindow: [Double: Set<Int>] = [:]
        for line in try Self.jsonLines(out + "/windows.jsonl") {
            perWindow[line["start"] as! Double, default: []].insert(line["droppedBeforeCapture"] as? Int ?? 0)
        }
        // Every line of a window carries the window's count (or none), never one per cell.
        #expect(perWindow.values.allSatisfy { $0.count == 1 }, "\(perWindow)")
        let marked = perWindow.filter { $0.value.first! > 0 }
        #expect(marked.values.reduce(0) { $0 + $1.first! } == drops, "windows with drops: \(marked), libpcap: \(libpcap)")
        // The burst lasts a tenth of a second and a drop is read at most 250 ms late: one window,
        // or two; on a loaded machine a slowed burst and a late reading may reach a third.
        #expect((1...3).contains(marked.count), "\(perWindow)")
        let windows = summary["windows"] as! [String: Any]
        #expect(windows["withDrops"] as? Int == marked.count, "\(windows)")
        // Nothing was left in the ring at the stop: received = dropped + read.
        let capture = summary["capture"] as! [String: Any]
        #expect(capture["notRead"] as? Int == libpcap["received"]! - libpcap["kernelDrops"]! - (capture["packets"] as! Int), "\(capture)")
        #expect(live.stderr.contains("notRead=\(capture["notRead"] as? Int ?? -1) "), "the stop line gives summary.json's notRead")
        // The stats line of the window holding the drops shows them by then.
        let stats = try Self.jsonLines(out + "/stats.jsonl")
        #expect(stats.contains { ($0["kernelDrops"] as! Int) + ($0["interfaceDrops"] as! Int) == drops })
    }

    /// A tap stopped while traffic still pours into its full ring: the drops its windows carry add
    /// up to summary.json's, which counts nothing after the stop. An audit's summary said 23,707
    /// drops where the windows held 2,875: packets that reached the ring while the run wrote its
    /// last files (the final policy) were counted as the run's kernel drops.
    @Test("stopped under load, the windows' drops add up to summary.json's",
          .enabled(if: canReplay, "needs root, ip and tcpreplay"), arguments: [1, 2])
    func stopUnderLoad(captureThreads: Int) throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        let live = try LiveProcess(interface: pair.capture, out: out,
                                   extra: ["--buffer-mb", "1", "--window", "1s", "--plan-every", "2s", "--capture-threads", "\(captureThreads)"])
        live.expectMetricsUp()
        // Twenty times the demo at top speed (855,780 packets, seconds): still flowing at the stop,
        // into a ring nobody reads any more.
        let sent = Mutex(false)
        Thread {
            _ = try? pair.replay(Fixtures.repositoryRoot.appendingPathComponent("captures/demo/demo.pcapng").path,
                                 rate: ["--topspeed", "--loop", "20"])
            sent.withLock { $0 = true }
        }.start()
        #expect(live.waitFor(20) { (live.metric("flowcast_received_total") ?? 0) >= 20_000 }, "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        try #require(!sent.withLock { $0 }, "the traffic ended before the stop, which this test does not judge")
        let summary = try Self.json(out + "/summary.json")
        let libpcap = (summary["capture"] as! [String: Any])["libpcap"] as! [String: Int]
        let summaryDrops = libpcap["kernelDrops"]! + libpcap["interfaceDrops"]!
        var perWindow: [Double: Int] = [:]
        for line in try Self.jsonLines(out + "/windows.jsonl") {
            perWindow[line["start"] as! Double] = line["droppedBeforeCapture"] as? Int ?? 0
        }
        #expect(perWindow.values.reduce(0, +) == summaryDrops, "windows \(perWindow), summary \(libpcap)")
        // received = read + dropped + left in the ring at the stop, all as of the stop.
        let capture = summary["capture"] as! [String: Any]
        #expect(capture["notRead"] as? Int == libpcap["received"]! - summaryDrops - (capture["packets"] as! Int), "\(capture)")
    }

    /// `--max-flows` bounds the run, not each capture thread (an audit: 18,920 live flows at
    /// `--max-flows 10000` on two threads), and evictions are logged as replay says them.
    @Test("--max-flows bounds the run's flows on two capture threads, and evictions are logged",
          .enabled(if: canReplay, "needs root, ip and tcpreplay"))
    func maxFlowsBoundsTheRun() throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        // The demo holds 195 flows, all still live at the end of a few seconds' replay.
        let live = try LiveProcess(interface: pair.capture, out: out, extra: ["--max-flows", "40", "--capture-threads", "2", "--window", "1s"])
        live.expectMetricsUp()
        let sent = Mutex(false)
        Thread {
            _ = try? pair.replay(Fixtures.repositoryRoot.appendingPathComponent("captures/demo/demo.pcapng").path, rate: ["--pps", "10000"])
            sent.withLock { $0 = true }
        }.start()
        var most = 0.0
        while !sent.withLock({ $0 }) {
            most = max(most, live.metric("flowcast_live_flows") ?? 0)
            usleep(20_000)
        }
        most = max(most, live.metric("flowcast_live_flows") ?? 0)
        #expect(most > 0 && most <= 40, "at most 40 live flows at once, seen \(most)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        let summary = try Self.json(out + "/summary.json")
        let evicted = (summary["flows"] as! [String: Any])["evicted"] as! Int
        #expect(evicted > 0)
        #expect(live.stderr.contains("flows evicted at the bound flowsEvicted=\(evicted) ") && live.stderr.contains(" maximumFlows=40"), "\(live.stderr)")
    }

    /// A tap on a quiet link: its windows run from its start, before any packet (zero load, not
    /// nothing), the first observed from the start; a flow idle past its timeout ends on the
    /// clock as `idle`, not at the stop as `end`. An audit found live writing nothing until the
    /// first packet, and a flow of a quiet interface left open until SIGINT. One HTTP exchange
    /// (vlan-http.pcap: one flow, 14 packets, 0.2 s) comes 2.5 s after the start.
    @Test("a quiet tap writes its windows from its start, before any packet, and ends idle flows on the clock",
          .enabled(if: canReplay, "needs root, ip, tcpreplay and tcprewrite"), arguments: [1, 2])
    func quietTap(captureThreads: Int) throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        let started = Date().timeIntervalSince1970
        let live = try LiveProcess(interface: pair.capture, out: out,
                                   extra: ["--window", "1s", "--capture-threads", String(captureThreads),
                                           "--idle-timeout", "1", "--active-timeout", "0"])
        live.expectMetricsUp()
        usleep(2_500_000)
        let sending = Date().timeIntervalSince1970
        try pair.replay(Fixtures.repositoryRoot.appendingPathComponent("captures/real/vlan-http.pcap").path)
        let sent = Date().timeIntervalSince1970
        // Idle 1 s, the clock's 1 s of grace, and a wake at least once a second: about 3 s.
        let flowsFile = out + "/flows.jsonl.partial"
        #expect(live.waitFor(15) { ((try? String(contentsOfFile: flowsFile, encoding: .utf8)) ?? "").contains("\"end\":\"idle\"") },
                "no flow ended idle before the stop: \(live.stderr)")
        let stopping = Date().timeIntervalSince1970
        #expect(live.terminate() == 0, "\(live.stderr)")
        let flows = try Self.jsonLines(out + "/flows.jsonl")
        #expect(flows.count == 1 && flows.allSatisfy { $0["end"] as? String == "idle" }, "\(flows)")
        #expect(flows.first?["packets_ab"] as? Int == 7 && flows.first?["packets_ba"] as? Int == 7, "\(flows)")
        // One line per cell and link per window; windows from the start's to the stop's, no gaps.
        let windows = try Self.jsonLines(out + "/windows.jsonl")
        let starts = Set(windows.map { $0["start"] as! Double }).sorted()
        #expect(starts.first.map { $0 <= started.rounded(.down) + 1 } == true, "first window \(starts.first ?? 0), started \(started), sending \(sending): \(live.stderr)")
        #expect(starts.last.map { $0 >= stopping.rounded(.down) - 2 } == true, "last window \(starts.last ?? 0), stopping \(stopping)")
        #expect(zip(starts, starts.dropFirst()).allSatisfy { $1 - $0 == 1 }, "gaps: \(starts)")
        let first = windows.filter { $0["start"] as! Double == starts[0] }
        #expect(first.allSatisfy { ($0["observedFrom"] as? Double).map { $0 > starts[0] && $0 < starts[0] + 1 } == true }, "\(first)")
        // Before the exchange was sent nothing was on the link: those windows are empty, and
        // every packet is in a window at or after it.
        func packets(_ w: [String: Any]) -> Int { (w["packetsUp"] as! Int) + (w["packetsDown"] as! Int) }
        let quiet = windows.filter { ($0["start"] as! Double) + 1 <= sending }
        #expect(quiet.count >= windows.count / starts.count, "no window closed before the exchange: \(starts), sending at \(sending)")
        #expect(quiet.allSatisfy { packets($0) == 0 }, "\(quiet.filter { packets($0) > 0 })")
        #expect(windows.filter { $0["kind"] as? String == "cell" }.reduce(0) { $0 + packets($1) } <= 14)
        #expect(sent > sending)
    }

    @Test("a --filter that matches none of the traffic is named once, with the packets the interface carried; a run that captured nothing has null times and notRead 0",
          .enabled(if: canReplay, "needs root, ip, tcpreplay and tcprewrite"))
    func filterMatchingNothingIsNamed() throws {
        let input = try Self.paddedDemo()
        defer { try? FileManager.default.removeItem(atPath: input) }
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        // No packet of the demo is TCP to or from port 1.
        let live = try LiveProcess(interface: pair.capture, out: out, extra: ["--filter", "tcp port 1", "--capture-threads", "1"])
        live.expectMetricsUp()
        try pair.replay(input)
        // The check comes 10 s after the start.
        #expect(live.waitFor(20) { live.stderr.contains("nothing captured") }, "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        let warnings = live.stderr.split(separator: "\n").filter { $0.contains("nothing captured") }
        #expect(warnings.count == 1, "\(warnings)")
        let warning = String(warnings.first ?? "")
        #expect(warning.hasPrefix("flowcast live: warning: nothing captured "), "\(warning)")
        // The capture end received every packet tcpreplay sent (the pair carries nothing else).
        for part in ["interface=\(pair.capture)", "filter=tcp port 1", "interfacePackets=42789", "seconds=10"] {
            #expect(warning.contains(part), "\(part) not in: \(warning)")
        }
        let capture = try Self.json(out + "/summary.json")["capture"] as! [String: Any]
        #expect(capture["packets"] as? Int == 0, "\(capture)")
        #expect(capture["firstTime"] is NSNull && capture["lastTime"] is NSNull, "\(capture)")
        #expect(capture["notRead"] as? Int == 0, "\(capture)")
    }

    /// Sends the demo capture through the pair at 20 000 packets/s (about two seconds) from a
    /// thread of its own, so the test can watch the live run meanwhile.
    /// tcpreplay sends the demo capture (42,789 packets) into the pair, at `pps` packets a second.
    static func feedDemo(_ pair: VethPair, pps: Int = 20_000) {
        Thread {
            _ = try? pair.replay(Fixtures.repositoryRoot.appendingPathComponent("captures/demo/demo.pcapng").path,
                                 rate: ["--pps", String(pps)])
        }.start()
    }

    /// A tap that stops running for 3 s under traffic (SIGSTOP: as a paused VM or a starved CPU)
    /// finds its ring full when it resumes. The read woken by the clock came back empty-handed
    /// and the clock closed the windows whose packets were still in the ring: an audit saw a
    /// window of 59,941 packets written as zero load, unmarked, and 125,436 packets counted late
    /// in the next. Now a read with packets waiting does not move the clock.
    @Test("a tap stalled for 3 s under traffic counts every packet in its own window: none late, no empty window in the traffic",
          .enabled(if: canReplay, "needs root, ip and tcpreplay"), arguments: [1, 2])
    func stalledTap(captureThreads: Int) throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        let live = try LiveProcess(interface: pair.capture, out: out,
                                   extra: ["--window", "1s", "--capture-threads", "\(captureThreads)", "--buffer-mb", "256"])
        live.expectMetricsUp()
        let pid = live.process.processIdentifier
        Thread {
            usleep(1_500_000)
            kill(pid, SIGSTOP)
            usleep(3_000_000)
            kill(pid, SIGCONT)
        }.start()
        // The demo's 42,789 packets at 8,000 a second: about 5.3 s, the stall in the middle.
        try pair.replay(Fixtures.repositoryRoot.appendingPathComponent("captures/demo/demo.pcapng").path, rate: ["--pps", "8000"])
        usleep(3_000_000)
        #expect(live.terminate() == 0, "\(live.stderr)")
        let summary = try Self.json(out + "/summary.json")
        let libpcap = (summary["capture"] as! [String: Any])["libpcap"] as! [String: Int]
        try #require(libpcap["kernelDrops"]! == 0, "the 256 MiB ring overflowed, which this test does not judge: \(libpcap)")
        // Before the fix: 16,048 late packets on one thread, 7,267 on two. (Two threads also
        // showed one late thread window now and then, stall or not, until the merge waited for
        // a thread that had not yet reported: `WindowMergerTests`.)
        let late = (summary["windows"] as! [String: Any])["latePackets"] as? Int ?? -1
        #expect(late == 0, "\(summary["windows"] ?? "")")
        var perWindow: [Double: Int] = [:]
        for line in try Self.jsonLines(out + "/windows.jsonl") {
            perWindow[line["start"] as! Double, default: 0] += (line["packetsUp"] as! Int) + (line["packetsDown"] as! Int)
        }
        let starts = perWindow.keys.sorted()
        let busy = starts.filter { perWindow[$0]! > 0 }
        let during = starts.filter { $0 >= busy.first! && $0 <= busy.last! }
        #expect(during.allSatisfy { perWindow[$0]! > 0 }, "\(starts.map { perWindow[$0]! })")
        #expect(during.count >= 5, "the traffic spans about six 1 s windows: \(starts.map { perWindow[$0]! })")
    }

    @Test("SIGTERM in the middle of a run leaves complete, valid JSON and a final policy",
          .enabled(if: canReplay, "needs root, ip and tcpreplay"))
    func sigtermMidRun() throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        let live = try LiveProcess(interface: pair.capture, out: out, extra: ["--window", "200ms", "--plan-every", "400ms"])
        live.expectMetricsUp()
        // About two seconds of traffic; stop while it is still arriving.
        Self.feedDemo(pair)
        #expect(live.waitFor(20) { (live.metric("flowcast_windows_total") ?? 0) >= 2 }, "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        try Self.requireCompleteOutputs(out, stderr: live.stderr)
        let summary = try Self.json(out + "/summary.json")
        #expect(((summary["totals"] as! [String: Any])["packets"] as! Int) > 0)
        // Each policy's input digest is sha256sum of the windows.jsonl lines it was planned from
        // (live hashes the bytes it writes; it formatted them a second time to hash until 7 December 2026).
        #expect(try PlanIntervalTilingTests.expectInputDigestsAreTheWindows(out) >= 2)
    }

    @Test("a cell whose radio KPI log is missing is logged as soon as a plan meets it, and planned at its peak",
          .enabled(if: canReplay, "needs root, ip and tcpreplay"))
    func missingRadioKPILogIsLoggedDuringTheRun() throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = Self.temporaryDirectory()
        let topology = out + "-topology.yaml"
        // The demo topology without its own radio KPI logs (relative to its folder, so absent here), and cell-3's missing.
        var demo = try String(contentsOfFile: Fixtures.repositoryRoot.path + "/" + Self.demoTopology, encoding: .utf8)
        for k in 1...6 { demo = demo.replacingOccurrences(of: ", kpiSource: radio-cell-\(k).csv, cqiTable: table1", with: "") }
        demo = demo.replacingOccurrences(of: "{ id: cell-3, band: n78, minBlocks: 2, maxBlocks: 18, peakSpectralEfficiency: 5.5",
                                         with: "{ id: cell-3, band: n78, minBlocks: 2, maxBlocks: 18, peakSpectralEfficiency: 5.5, kpiSource: no-such-log.csv")
        #expect(!demo.contains("radio-cell-") && demo.contains("kpiSource: no-such-log.csv"))
        try Data(demo.utf8).write(to: URL(fileURLWithPath: topology))
        let live = try LiveProcess(interface: pair.capture, out: out, topology: topology,
                                   extra: ["--window", "200ms", "--plan-every", "400ms"])
        live.expectMetricsUp()
        Self.feedDemo(pair)
        #expect(live.waitFor(20) { live.stderr.contains("radio KPIs gave a cell no efficiency") }, "\(live.stderr)")
        #expect(live.stderr.contains("no-such-log.csv: no such file or folder"))
        #expect(live.terminate() == 0, "\(live.stderr)")
        // Logged once, not again at the stop.
        #expect(live.stderr.components(separatedBy: "radio KPIs gave a cell no efficiency").count == 2, "\(live.stderr)")
        let policies = try FileManager.default.contentsOfDirectory(atPath: out + "/policies").filter { $0.hasPrefix("policy-") }.sorted()
        let last = try Self.json(out + "/policies/" + (try #require(policies.last)))
        let cells = try #require((last["spectrum"] as? [String: Any])?["cells"] as? [[String: Any]])
        let reason = try #require(cells.first { $0["id"] as? String == "cell-3" }?["reason"] as? String)
        #expect(reason.contains("at 5.50 bit/s/Hz (configured peak)"), "\(reason)")
    }

    @Test("--model with an interval model: each interval planned from its forecast, equal to plan --series on live's own windows",
          .enabled(if: canReplay, "needs root, ip and tcpreplay"))
    func intervalModel() throws {
        let folder = URL(fileURLWithPath: Self.temporaryDirectory())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // 200 ms windows and a 400 ms interval, so a couple of seconds of traffic make several plans.
        let models = try DemoIntervalModels(in: folder, horizon: "400ms", window: "200ms", efficiency: false)
        let id = try DemoIntervalModels.id(of: models.demand)
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let out = folder.appendingPathComponent("live").path
        let live = try LiveProcess(interface: pair.capture, out: out, extra: ["--window", "200ms", "--plan-every", "400ms", "--model", models.demand])
        #expect(live.waitFor(20) { live.metric("flowcast_packets_total") != nil }, "metrics never came up: \(live.stderr)")
        Self.feedDemo(pair)
        #expect(live.waitFor(30) { (live.metric("flowcast_windows_total") ?? 0) >= 12 }, "\(live.stderr)")
        #expect(live.terminate() == 0, "\(live.stderr)")
        // Policy n is planned after the first 2n windows: plan --series --at 2n on the same windows gives the same forecasts.
        let csv = folder.appendingPathComponent("live.csv").path
        try DemoIntervalModels.seriesCSV(windows: out + "/windows.jsonl", to: csv)
        let names = try FileManager.default.contentsOfDirectory(atPath: out + "/policies").filter { $0.hasPrefix("policy-") }.sorted()
        #expect(names.count >= 4)
        var compared = 0
        for (index, name) in names.dropLast().enumerated() {
            let policy = try policyForecasts(out + "/policies/" + name)
            let cells = policy.filter { $0.key.hasPrefix("cell:") }
            #expect(cells.count == 6)
            guard cells.values.allSatisfy({ $0.source.hasPrefix("model \(id): mean of the next 0.4 s, P10–P90 band") }) else {
                // Before the first forecast a series has no history: persistence, and the source says so.
                #expect(cells.values.allSatisfy { $0.source.contains("model \(id)") }, "\(name): \(cells.values.map(\.source))")
                continue
            }
            let plan = folder.appendingPathComponent("plan-\(index).json").path
            let run = try Fixtures.runFlowcast(["plan", "--topology", Self.demoTopology, "--series", csv, "--at", "\(2 * (index + 1))",
                                                "--model", models.demand, "--out", plan])
            #expect(run.status == 0, "\(run.stderr)")
            let expected = try policyForecasts(plan)
            for (key, f) in cells {
                let e = try #require(expected[key])
                #expect(e.point == f.point && e.upper == f.upper, "\(name) \(key): live \(f) vs plan --series \(e)")
            }
            compared += 1
        }
        #expect(compared >= 2)
        // A model for another interval is refused, exit status 2.
        let refused = try Fixtures.runFlowcast(["live", "-i", "lo", "--topology", Self.demoTopology, "--out", Self.temporaryDirectory(),
                                                "--window", "200ms", "--plan-every", "1s", "--model", models.demand])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("\(models.demand): the model forecasts the mean of the next 0.4 s, not of the next 1 s"), "\(refused.stderr)")
    }

    @Test("a second live on a running tap's --out is refused before it moves anything; the first finishes whole",
          .enabled(if: isRoot, "needs root"))
    func oneRunPerFolder() throws {
        let out = Self.temporaryDirectory()
        let first = try LiveProcess(interface: "lo", out: out, extra: ["--window", "200ms", "--capture-threads", "1"])
        first.expectMetricsUp()
        let second = try Fixtures.runFlowcast(["live", "-i", "lo", "--topology", Self.demoTopology, "--out", out])
        #expect(second.status == 2)
        #expect(second.stderr.contains("\(out): in use by another flowcast live (pid \(first.process.processIdentifier))"), "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/earlier-1"), "the refused run moved the running tap's files")
        #expect(first.terminate() == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/summary.json"))
        #expect(FileManager.default.fileExists(atPath: out + "/windows.jsonl"))
        // Once it has stopped, the folder is free again (the earlier run's files move aside).
        let again = try LiveProcess(interface: "lo", out: out, extra: ["--window", "200ms", "--capture-threads", "1"])
        again.expectMetricsUp()
        #expect(again.terminate() == 0, "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/earlier-1/summary.json"))
    }

    @Test("a policy that cannot be written stops the run, exit status 2, naming the file (as any write error does)",
          .enabled(if: isRoot, "needs root"))
    func policyWriteErrorStops() throws {
        let out = Self.temporaryDirectory()
        let live = try LiveProcess(interface: "lo", out: out, extra: ["--window", "500ms", "--plan-every", "2s", "--capture-threads", "1"])
        let first = out + "/policies/policy-0001.json"
        // Scrapes are traffic on lo: windows close and plans are made while the test polls.
        live.expectMetricsUp()
        #expect(live.waitFor(30) { _ = live.metric("flowcast_packets_total"); return FileManager.default.fileExists(atPath: first) },
                "no first policy: \(live.stderr)")
        // A folder where the next policy goes (the next after the newest: a run catching up on a
        // loaded machine may have written more than one by now).
        let written = try FileManager.default.contentsOfDirectory(atPath: out + "/policies")
            .compactMap { $0.hasPrefix("policy-") && $0.hasSuffix(".json") ? Int($0.dropFirst(7).prefix(4)) : nil }
        var blocked = ""
        for next in (written.max() ?? 1) + 1...(written.max() ?? 1) + 3 {
            let name = String(format: "policy-%04d.json", next)
            if (try? FileManager.default.createDirectory(atPath: out + "/policies/\(name)/x", withIntermediateDirectories: true)) != nil {
                blocked = name
                break
            }
        }
        try #require(!blocked.isEmpty, "could not put a folder where a next policy goes")
        // The run stops by itself (waitFor returns early once the process has ended).
        _ = live.waitFor(30) { _ = live.metric("flowcast_packets_total"); return false }
        if live.process.isRunning { live.process.signal(SIGKILL) }
        live.waitForExit()
        #expect(live.process.terminationStatus == 2, "\(live.stderr)")
        // The run's last word names the file.
        let last = live.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("flowcast live: ") && last.contains(blocked), "\(live.stderr)")
        // Said as the error the run stopped on (the log's "stopped on error" and the last line),
        // not also as a failed plan.
        #expect(!live.stderr.contains("plan failed"), "\(live.stderr)")
    }

    @Test("an --out under a file is named as such (replay and live), and with --log-format json live's last word is a JSON error line",
          .enabled(if: isRoot, "needs root"))
    func outUnderAFile() throws {
        let file = Self.temporaryDirectory() + "-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let replay = try Fixtures.runFlowcast(["replay", "captures/real/mixed-traffic-example.pcap", "--out", file + "/sub"])
        #expect(replay.status == 2)
        #expect(replay.stderr.contains("\(file)/sub: cannot create the folder: \(file) is a file, not a folder"), "\(replay.stderr)")
        let live = try Fixtures.runFlowcast(["live", "-i", "lo", "--topology", Self.demoTopology, "--out", file + "/sub", "--log-format", "json"])
        #expect(live.status == 2)
        let last = try #require(live.stderr.split(separator: "\n").last)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(live.stderr)")
        #expect(line["level"] as? String == "error")
        #expect((line["message"] as? String)?.hasSuffix("cannot create the folder: \(file) is a file, not a folder") == true, "\(line)")
        // A folder that takes no new folder (procfs): named, with mkdir's words. Foundation said
        // "The file doesn't exist." of /proc (an audit).
        let proc = try Fixtures.runFlowcast(["replay", "captures/real/mixed-traffic-example.pcap", "--out", "/proc/flowcast-\(UUID().uuidString)"])
        #expect(proc.status == 2)
        #expect(proc.stderr.contains("cannot create the folder: /proc does not take a new folder ("), "\(proc.stderr)")
    }

    @Test("a bad BPF filter is refused with libpcap's words and exit status 2", .enabled(if: isRoot, "needs root"))
    func badFilter() throws {
        let run = try Fixtures.runFlowcast(["live", "-i", "lo", "--filter", "tcp port", "--topology", Self.demoTopology,
                                            "--out", Self.temporaryDirectory()])
        #expect(run.status == 2)
        #expect(run.stderr.contains("bad capture filter 'tcp port'"), "\(run.stderr)")
        #expect(run.stderr.contains("syntax error"), "\(run.stderr)")
    }

    @Test("a missing interface is named, with exit status 2", .enabled(if: isRoot, "needs root"))
    func missingInterface() throws {
        let run = try Fixtures.runFlowcast(["live", "-i", "nosuchif9", "--topology", Self.demoTopology,
                                            "--out", Self.temporaryDirectory()])
        #expect(run.status == 2)
        #expect(run.stderr.contains("nosuchif9: no such interface"), "\(run.stderr)")
    }
}

extension LiveTests {
    @Test("two interfaces in one run (-i A -i B): totals add up, each flow names its interface, drops are counted per interface",
          .enabled(if: canReplay, "needs root, ip, tcpreplay and tcprewrite"))
    func twoInterfaces() throws {
        let demo = "captures/demo/demo.pcapng", gtp = "captures/real/gtpu-ipv4-inner-mixed.pcap"
        let timeouts = ["--idle-timeout", "0", "--active-timeout", "0"]
        var expectedPackets: [String: Int] = [:], expectedFlows: [String: Int] = [:]
        for capture in [demo, gtp] {
            let out = Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = try Fixtures.runFlowcast(["replay", capture, "--topology", Self.demoTopology, "--out", out, "--quiet"] + timeouts)
            #expect(r.status == 0, "\(r.stderr)")
            expectedPackets[capture] = ((try Self.json(out + "/summary.json"))["totals"] as! [String: Any])["packets"] as? Int
            expectedFlows[capture] = try Self.jsonLines(out + "/flows.jsonl").count
        }
        let a = try VethPair(), b = try VethPair()
        defer { a.cleanUp(); b.cleanUp() }
        let out = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".log") }
        let live = try LiveProcess(interface: a.capture, out: out, extra: ["-i", b.capture] + timeouts)
        live.expectMetricsUp()
        try a.replay(Fixtures.repositoryRoot.appendingPathComponent(demo).path)
        try b.replay(Fixtures.repositoryRoot.appendingPathComponent(gtp).path)
        let total = expectedPackets[demo]! + expectedPackets[gtp]!
        #expect(live.waitFor(30) { (live.metric("flowcast_packets_total") ?? 0) >= Double(total) }, "\(live.stderr)")
        #expect(live.metric("flowcast_capture_received_total{interface=\"\(a.capture)\"}") == Double(expectedPackets[demo]!))
        #expect(live.metric("flowcast_capture_received_total{interface=\"\(b.capture)\"}") == Double(expectedPackets[gtp]!))
        #expect(live.terminate() == 0, "\(live.stderr)")

        let summary = try Self.json(out + "/summary.json")
        #expect((summary["totals"] as! [String: Any])["packets"] as? Int == total)
        let capture = summary["capture"] as! [String: Any]
        #expect(capture["interface"] as? String == "\(a.capture),\(b.capture)")
        let perInterface = try #require(capture["interfaces"] as? [[String: Any]])
        #expect(perInterface.map { $0["interface"] as? String } == [a.capture, b.capture])
        for (entry, file) in zip(perInterface, [demo, gtp]) {
            let libpcap = entry["libpcap"] as! [String: Int]
            #expect(libpcap["received"] == expectedPackets[file] && libpcap["kernelDrops"] == 0, "\(entry)")
        }
        let flows = try Self.jsonLines(out + "/flows.jsonl")
        #expect(flows.filter { $0["interface"] as? String == a.capture }.count == expectedFlows[demo])
        #expect(flows.filter { $0["interface"] as? String == b.capture }.count == expectedFlows[gtp])
        #expect(flows.allSatisfy { $0["interface"] != nil })
    }
}
