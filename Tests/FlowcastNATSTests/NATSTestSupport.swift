import FlowcastCore
import FlowcastCapture
import FlowcastDecode
import FlowcastTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
    let child: ChildProcess

    init(_ arguments: [String]) throws {
        child = try ChildProcess(flowcast: arguments)
    }

    /// Waits for the exit; after `timeout` seconds the process is killed and the result's
    /// stderr says so.
    func wait(timeout: Double = 120) -> ProcessResult {
        var note = ""
        do { try child.wait(timeout: timeout) } catch { note = "\n[test] \(error)" }
        return ProcessResult(status: child.terminationStatus, stdout: child.stdout, stderr: child.stderr + note)
    }

    func signal(_ number: Int32) { child.signal(number) }
}

enum Scenario {
    static let topology = "captures/demo/topology.yaml"
    static let demo = Fixtures.captures.appendingPathComponent("demo/demo.pcapng").path
    static let sites = ["a", "b", "c"]

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = Scratch.root.appendingPathComponent("flowcast-\(name)-\(UUID().uuidString)")
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

    /// The capture cut in two at `seconds` after its first packet (as a capture rotated there):
    /// the packets before and those from then on (pcap, nanosecond timestamps).
    static func cut(_ path: String, at seconds: Double, into folder: URL) throws -> (before: String, after: String) {
        let paths = (folder.appendingPathComponent("before.pcap").path, folder.appendingPathComponent("after.pcap").path)
        let capture = try OfflineCapture(path: path)
        let before = try CaptureWriter(path: paths.0, format: .pcap, linkType: capture.linkTypes[0])
        let after = try CaptureWriter(path: paths.1, format: .pcap, linkType: capture.linkTypes[0])
        var cut: Int64?
        try capture.forEachPacket { packet in
            if cut == nil { cut = packet.timestampNanoseconds + Int64(seconds * 1e9) }
            try (packet.timestampNanoseconds < cut! ? before : after)
                .write(packet.bytes, timestampNanoseconds: packet.timestampNanoseconds, wireLength: packet.wireLength)
        }
        try before.close()
        try after.close()
        return paths
    }

    /// The capture with every packet `seconds` later (earlier when negative), as a tap whose clock
    /// is that far off records it (pcap, nanosecond timestamps).
    static func shifted(_ path: String, by seconds: Int64, into folder: URL) throws -> String {
        let out = folder.appendingPathComponent("shifted-\(seconds).pcap").path
        let capture = try OfflineCapture(path: path)
        let writer = try CaptureWriter(path: out, format: .pcap, linkType: capture.linkTypes[0])
        try capture.forEachPacket { packet in
            try writer.write(packet.bytes, timestampNanoseconds: packet.timestampNanoseconds + seconds * 1_000_000_000,
                             wireLength: packet.wireLength)
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
    static func singleReplayPolicies(_ capture: String = demo, extra: [String] = []) throws -> URL {
        let out = try temporaryFolder("single")
        let run = try Fixtures.runFlowcast(replayArguments(capture, out: out, extra: ["--plan-every", "60s"] + extra))
        guard run.status == 0 else { throw TestFailure("single replay failed: \(run.stderr)") }
        return out.appendingPathComponent("policies")
    }
}
