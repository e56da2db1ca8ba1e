import FlowcastTestSupport
import Foundation
import Testing

/// tcpdump, where installed (.ci/run installs it).
enum Tcpdump {
    static let path: String? = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/usr/local/bin/tcpdump", "/usr/local/sbin/tcpdump"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static var missing: Bool { path == nil }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let child = try ChildProcess(try #require(path), arguments, stderr: .null)
        try child.wait(timeout: 120)
        return (child.terminationStatus, child.stdout)
    }

    /// Each packet tcpdump prints for `file` (and `filter`), as its timestamp and full hex dump:
    /// a packet starts at a line whose first word is a `-tt` timestamp, and its `-xx` lines follow.
    /// (Counting lines, as `| wc -l` does, would count the continuation lines some printers write.)
    static func packets(_ file: String, _ filter: String?) throws -> [String] {
        let run = try run(["-r", file, "-nn", "-S", "-tt", "-xx", "--time-stamp-precision=nano"] + (filter.map { [$0] } ?? []))
        #expect(run.status == 0)
        var packets: [String] = []
        for line in run.stdout.split(separator: "\n") {
            if line.hasPrefix("\t0x") {
                packets[packets.count - 1] += line.drop { $0 != ":" }
            } else if let word = line.split(separator: " ").first, word.contains("."), word.allSatisfy({ $0.isNumber || $0 == "." }) {
                packets.append(String(word))
            }
        }
        return packets
    }

    /// The 1-based numbers in `file` of the packets tcpdump prints for `filter`: its filtered
    /// packets found, in order, among all of them (timestamp and bytes identify a packet as far
    /// as a filter can tell packets apart).
    static func numbers(_ file: String, _ filter: String) throws -> [Int] {
        let all = try packets(file, nil), passed = try packets(file, filter)
        var numbers: [Int] = []
        var at = 0
        for packet in passed {
            while at < all.count && all[at] != packet { at += 1 }
            #expect(at < all.count, "tcpdump's filtered packet not among all of \(file)")
            at += 1
            numbers.append(at)
        }
        return numbers
    }

    /// `file`'s packets passing `filter`, written by tcpdump to a new pcap (nanosecond timestamps).
    static func write(_ file: String, _ filter: String) throws -> String {
        let out = Scratch.root.appendingPathComponent("flowcast-tcpdump-\(UUID().uuidString).pcap").path
        let run = try run(["-r", file, "--time-stamp-precision=nano", "-w", out, filter])
        #expect(run.status == 0)
        return out
    }
}

/// `--filter` on decode, inspect, flows and replay against tcpdump on the same real captures
/// and expressions (GTP-U, VLAN, IPv6, Linux cooked, pcapng with two interfaces, big-endian
/// nanosecond pcap).
@Suite("--filter against tcpdump", .disabled(if: Tcpdump.missing, "tcpdump is not installed (.ci/run installs it)"))
struct FilterCLITests {
    static let cases: [(String, String)] = [
        ("gtpv1-gn-gtpu-ipv4-inner-frag.pcap", "udp port 2152"),
        ("vlan-http.pcap", "vlan and tcp dst port 80"),
        ("vlan-qinq-8021q.pcap", "vlan"),
        ("ftp-ipv6.pcap", "ip6 and tcp src port 21"),
        ("sll-linux-cooked-capture.pcap", "tcp"),
        ("pcapng-multi-interface.pcapng", "host 1.1.1.1"),
        ("nsec-big-endian.pcap", "tcp[tcpflags] & tcp-fin != 0"),
        ("mixed-traffic-example.pcap", "host 10.0.0.6 and not net 212.199.202.0/24"),
    ]

    static func path(_ name: String) -> String { Fixtures.captures.appendingPathComponent("real/\(name)").path }

    /// The frame number of each decode TSV line.
    static func frames(_ tsv: String) -> [Int] {
        tsv.split(separator: "\n").compactMap { $0.split(separator: "\t").first.flatMap { Int($0) } }
    }

    @Test("decode --filter prints tcpdump's packets, numbered as in the file, mapped or not", arguments: cases.indices)
    func decode(_ index: Int) throws {
        let (name, filter) = Self.cases[index]
        let path = Self.path(name)
        let expected = try Tcpdump.numbers(path, filter)
        #expect(!expected.isEmpty, "\(name) '\(filter)': tcpdump passes nothing, the case shows little")
        let all = try Fixtures.runFlowcast(["decode", path])
        let run = try Fixtures.runFlowcast(["decode", path, "--filter", filter])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.frames(run.stdout) == expected, "\(name) '\(filter)'")
        // The lines themselves are the unfiltered decode's lines for those frames.
        let lines = all.stdout.split(separator: "\n")
        #expect(run.stdout.split(separator: "\n") == expected.map { lines[$0 - 1] })
        let skipped = lines.count - expected.count
        #expect(run.stderr == "flowcast decode: filter '\(filter)': \(expected.count) packets passed, \(skipped) skipped\n")
        let buffered = try Fixtures.runFlowcast(["decode", path, "--filter", filter, "--no-mmap"])
        #expect(buffered.status == 0 && buffered.stdout == run.stdout && buffered.stderr == run.stderr)
    }

    @Test("inspect --filter counts tcpdump's packets and the ones skipped", arguments: cases.indices)
    func inspect(_ index: Int) throws {
        let (name, filter) = Self.cases[index]
        let path = Self.path(name)
        let passed = try Tcpdump.packets(path, filter).count
        let total = try Tcpdump.packets(path, nil).count
        let run = try Fixtures.runFlowcast(["inspect", "--json", path, "--filter", filter])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["packets"] as? Int == passed, "\(name) '\(filter)'")
        #expect(report["filteredPackets"] as? Int == total - passed)
        #expect(report["filter"] as? String == filter)
        let text = try Fixtures.runFlowcast(["inspect", path, "--filter", filter])
        #expect(text.stdout.contains("  filter: \(filter) (\(passed) of \(total) packets passed, \(total - passed) skipped)\n"))
        let buffered = try Fixtures.runFlowcast(["inspect", "--json", path, "--filter", filter, "--no-mmap"])
        #expect(buffered.stdout == run.stdout)
    }

    @Test("flows --filter lists the flows of tcpdump's filtered packets", arguments: cases.indices)
    func flows(_ index: Int) throws {
        let (name, filter) = Self.cases[index]
        let path = Self.path(name)
        let written = try Tcpdump.write(path, filter)
        defer { try? FileManager.default.removeItem(atPath: written) }
        let expected = try Fixtures.runFlowcast(["flows", written])
        let run = try Fixtures.runFlowcast(["flows", path, "--filter", filter])
        #expect(run.status == 0 && expected.status == 0, "\(run.stderr)")
        #expect(!run.stdout.isEmpty && run.stdout == expected.stdout, "\(name) '\(filter)'")
        #expect(run.stderr.hasPrefix("flowcast flows: filter '\(filter)': "))
        let buffered = try Fixtures.runFlowcast(["flows", path, "--filter", filter, "--no-mmap"])
        #expect(buffered.stdout == run.stdout)
    }

    @Test("replay --filter writes what a replay of tcpdump's filtered packets writes, and summary.json says what was skipped",
          arguments: cases.indices)
    func replay(_ index: Int) throws {
        let (name, filter) = Self.cases[index]
        let path = Self.path(name)
        let written = try Tcpdump.write(path, filter)
        let dir = Scratch.root.appendingPathComponent("flowcast-filter-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(atPath: written)
            try? FileManager.default.removeItem(at: dir)
        }
        let expected = try Fixtures.runFlowcast(["replay", written, "--out", dir.appendingPathComponent("tcpdump").path, "--quiet"])
        let run = try Fixtures.runFlowcast(["replay", path, "--filter", filter, "--out", dir.appendingPathComponent("filter").path])
        #expect(expected.status == 0 && run.status == 0, "\(run.stderr)")
        for file in ["windows.jsonl", "flows.jsonl"] {
            let mine = try Data(contentsOf: dir.appendingPathComponent("filter/\(file)"))
            let theirs = try Data(contentsOf: dir.appendingPathComponent("tcpdump/\(file)"))
            #expect(mine == theirs, "\(name) '\(filter)': \(file)")
        }
        let passed = try Tcpdump.packets(path, filter).count
        let total = try Tcpdump.packets(path, nil).count
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("filter/summary.json"))) as? [String: Any])
        let capture = try #require(summary["capture"] as? [String: Any])
        #expect(capture["packets"] as? Int == passed)
        #expect(capture["filter"] as? String == filter)
        #expect(capture["filteredPackets"] as? Int == total - passed)
        #expect((summary["totals"] as? [String: Any])?["packets"] as? Int == passed)
        #expect(run.stderr.contains("flowcast replay: filter '\(filter)': \(passed) packets passed, \(total - passed) skipped\n"))
        // Without a filter, summary.json has neither key.
        let unfiltered = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("tcpdump/summary.json"))) as? [String: Any])
        let plain = try #require(unfiltered["capture"] as? [String: Any])
        #expect(plain["filter"] == nil && plain["filteredPackets"] == nil)
    }
}

@Suite("replay of a capture whose packets a filter all skips")
struct EmptyReplayTests {
    @Test("summary.json gives firstTime and lastTime as null, not a 1970 lastTime beside a null firstTime")
    func noPacketNoTimes() throws {
        let dir = Scratch.root.appendingPathComponent("flowcast-empty-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // No packet of the demo is TCP to or from port 1 (tcpdump passes none).
        let run = try Fixtures.runFlowcast(["replay", Fixtures.captures.appendingPathComponent("demo/demo.pcapng").path,
                                            "--topology", Fixtures.captures.appendingPathComponent("demo/topology.yaml").path,
                                            "--filter", "tcp port 1", "--out", dir.path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as? [String: Any])
        let capture = try #require(summary["capture"] as? [String: Any])
        #expect(capture["packets"] as? Int == 0 && capture["filteredPackets"] as? Int == 42_789, "\(capture)")
        #expect(capture.keys.contains("firstTime") && capture["firstTime"] is NSNull, "\(capture)")
        #expect(capture.keys.contains("lastTime") && capture["lastTime"] is NSNull, "\(capture)")
    }
}

/// A bad expression, on every command that reads a capture file: libpcap's message, exit 2,
/// nothing on standard output and no output folder.
@Suite("--filter refusals")
struct FilterRefusalTests {
    @Test("a bad expression gives libpcap's message and exit 2 before any output",
          arguments: [["decode"], ["inspect"], ["inspect", "--json"], ["flows"], ["replay"]])
    func badExpression(_ command: [String]) throws {
        let out = Scratch.root.appendingPathComponent("flowcast-bad-filter-\(UUID().uuidString)")
        let replayOut = command == ["replay"] ? ["--out", out.path] : []
        let run = try Fixtures.runFlowcast(command + ["captures/real/vlan-http.pcap", "--filter", "tcp port"] + replayOut)
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "flowcast \(command[0]): bad capture filter 'tcp port': can't parse filter expression: syntax error\n")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("an expression libpcap refuses for the file's link type is refused the same way")
    func refusedForLinkType() throws {
        let run = try Fixtures.runFlowcast(["decode", "captures/real/linktype-raw-ipv4.pcap", "--filter", "ether host 1:2:3:4:5:6"])
        #expect(run.status == 2 && run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("flowcast decode: bad capture filter 'ether host 1:2:3:4:5:6': ethernet addresses supported only on"))
    }

    @Test("every command that reads a capture file lists --filter in its help", arguments: ["decode", "inspect", "flows", "replay"])
    func help(_ command: String) throws {
        let run = try Fixtures.runFlowcast(["help", command])
        #expect(run.stdout.contains("--filter <expr>"))
    }
}
