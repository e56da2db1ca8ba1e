import FlowcastCapture
import FlowcastDecode
import FlowcastTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `nats-server` with JetStream on a free loopback port and a temporary store; stopped (and
/// its store removed) by `stop()` or when released.
final class NATSServer: @unchecked Sendable {
    static var executable: String? {
        ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
    static var isAvailable: Bool { executable != nil }

    let port: Int
    let store: URL
    private var process: Process?
    var url: String { "nats://127.0.0.1:\(port)" }

    init() throws {
        port = try Self.freePort()
        store = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-nats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: store)
    }

    /// Starts the server (again, on the same port and store) and waits until it accepts connections.
    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable!)
        p.arguments = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        // Readiness, not a fixed pause: poll until the port accepts a TCP connection (≤ 10 s).
        for _ in 0..<500 {
            if Self.accepts(port: port) { return }
            usleep(20_000)
        }
        throw TestFailure("nats-server did not listen on port \(port)")
    }

    /// Stops the server (SIGTERM) and waits for it to exit.
    func stop() {
        guard let p = process else { return }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        process = nil
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw TestFailure("bind: \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// How a background process ended.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A `flowcast` process started in the background.
final class RunningFlowcast: @unchecked Sendable {
    let process = Process()
    private var out = Data(), err = Data()
    private let group = DispatchGroup()

    init(_ arguments: [String]) throws {
        process.executableURL = Fixtures.flowcastExecutable
        process.arguments = arguments
        process.currentDirectoryURL = Fixtures.repositoryRoot
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        try process.run()
        group.enter()
        DispatchQueue.global().async { self.out = o.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
        group.enter()
        DispatchQueue.global().async { self.err = e.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
    }

    /// Waits for the exit; after `timeout` seconds the process is killed and the result says so.
    func wait(timeout: Double = 120) -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        group.wait()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                           stderr: String(decoding: err, as: UTF8.self))
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }
}

enum Scenario {
    static let topology = "captures/demo/topology.yaml"
    static let demo = Fixtures.captures.appendingPathComponent("demo/demo.pcapng").path
    static let sites = ["a", "b", "c"]

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Splits a capture into one pcap per site, every packet in exactly one: by the sum of the
    /// outer IP addresses (symmetric, so both directions of a GTP-U tunnel or flow stay on one
    /// site; packets without IP go to the first site).
    static func split(_ path: String, into folder: URL, sites: [String] = sites) throws -> [String: String] {
        let capture = try OfflineCapture(path: path)
        let paths = Dictionary(uniqueKeysWithValues: sites.map { ($0, folder.appendingPathComponent("\($0).pcap").path) })
        let writers = try sites.map { try CaptureWriter(path: paths[$0]!, format: .pcap, linkType: capture.linkTypes[0]) }
        let decoder = PacketDecoder()
        try capture.forEachPacket { packet in
            let s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                   timestampNanoseconds: packet.timestampNanoseconds)
            var site = 0
            if let a = s.outerSource, let b = s.outerDestination {
                site = Int((a.low &+ b.low &+ a.high &+ b.high) % UInt64(sites.count))
            }
            try writers[site].write(packet.bytes, timestampNanoseconds: packet.timestampNanoseconds, wireLength: packet.wireLength)
        }
        for w in writers { try w.close() }
        return paths
    }

    /// The capture `times` times over, each copy `shift` seconds after the one before: a longer
    /// capture with the same traffic pattern (pcap, nanosecond timestamps).
    static func repeated(_ path: String, times: Int, shift: Int64 = 620, into folder: URL) throws -> String {
        let out = folder.appendingPathComponent("repeated.pcap").path
        let first = try OfflineCapture(path: path)
        let writer = try CaptureWriter(path: out, format: .pcap, linkType: first.linkTypes[0])
        for k in 0..<times {
            let capture = try OfflineCapture(path: path)
            try capture.forEachPacket { packet in
                try writer.write(packet.bytes, timestampNanoseconds: packet.timestampNanoseconds + Int64(k) * shift * 1_000_000_000,
                                 wireLength: packet.wireLength)
            }
        }
        try writer.close()
        return out
    }

    /// policy-NNNN.json files of a folder, each without its provenance.
    static func policies(in folder: URL) throws -> [String: NSDictionary] {
        var out: [String: NSDictionary] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix("policy-") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            object["provenance"] = nil
            out[name] = object as NSDictionary
        }
        return out
    }

    static func provenance(_ folder: URL, _ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["provenance"] as? [String: Any]) ?? [:]
    }

    static func summary(_ out: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: out.appendingPathComponent("planner-summary.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    static func replayArguments(_ capture: String, out: URL, extra: [String] = []) -> [String] {
        ["replay", capture, "--topology", topology, "--out", out.path, "--quiet"] + extra
    }

    static func plannerArguments(_ server: NATSServer, out: URL, sites: [String] = sites, extra: [String] = []) -> [String] {
        ["planner", "--nats", server.url, "--topology", topology, "--out", out.path, "--sites", sites.joined(separator: ","),
         "--plan-every", "60s"] + extra
    }

    /// The single-process reference: `replay --plan-every 60s` of the whole capture.
    static func singleReplayPolicies(_ capture: String = demo) throws -> URL {
        let out = try temporaryFolder("single")
        let run = try Fixtures.runFlowcast(replayArguments(capture, out: out, extra: ["--plan-every", "60s"]))
        guard run.status == 0 else { throw TestFailure("single replay failed: \(run.stderr)") }
        return out.appendingPathComponent("policies")
    }
}
