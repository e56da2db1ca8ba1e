import FlowcastTestSupport
import Foundation
import Testing

/// Captures compressed with gzip (what `tcpdump -w - | gzip` and rotation scripts leave): read as
/// the capture inside, as tshark reads them, with nothing left in the temporary folder; a stream
/// cut short or corrupt keeps the packets before the fault and exits non-zero naming it.
@Suite("gzip-compressed captures")
struct GzipCLITests {
    /// A fresh folder for one test's files, and the TMPDIR of its flowcast runs.
    func folder() throws -> URL {
        let url = Scratch.root.appendingPathComponent("flowcast-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `gzip -c` of `bytes` (the system's gzip, not Flowcast's zlib code).
    func gzip(_ bytes: Data, in folder: URL, name: String) throws -> Data {
        let plain = folder.appendingPathComponent(name)
        try bytes.write(to: plain)
        let run = try ChildProcess.run("/bin/sh", ["-c", "gzip -c -n '\(plain.path)' > '\(plain.path).gz'"])
        #expect(run.status == 0, "\(run.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz"))
    }

    func decode(_ path: String, tmp: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        try ChildProcess.run(Fixtures.flowcastExecutable.path, ["decode", path, "--format", "tsv"],
                             currentDirectory: Fixtures.repositoryRoot.path, environment: ["TMPDIR": tmp.path])
    }

    /// Files in `tmp` other than the test's own inputs: the inflated copies, which must be gone.
    func leftovers(_ tmp: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix("flowcast-gunzip-") }
    }

    @Test("a compressed capture decodes to tshark's lines for the capture inside, and leaves no file behind",
          arguments: ["http-web-browsing.pcap", "pcapng-many-interfaces.pcapng", "nsec-big-endian.pcap",
                      "gtpu-inner-ipv6.pcap", "sll2-linux-cooked-v2.pcap", "time-negative-fraction.pcap"])
    func decodesAsThePlainCapture(_ name: String) throws {
        let tmp = try folder()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let real = Fixtures.captures.appendingPathComponent("real/\(name)")
        _ = try gzip(try Data(contentsOf: real), in: tmp, name: name)
        let run = try decode(tmp.path + "/\(name).gz", tmp: tmp)
        let expected = try String(contentsOf: URL(fileURLWithPath: real.path + ".expected.tsv"), encoding: .utf8)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == expected)
        #expect(try leftovers(tmp).isEmpty)
        let inspect = try ChildProcess.run(Fixtures.flowcastExecutable.path, ["inspect", tmp.path + "/\(name).gz"],
                                           environment: ["TMPDIR": tmp.path])
        #expect(inspect.stdout.contains("format: gzip-compressed "), "\(inspect.stdout)")
    }

    /// Bytes after the last member that are not another member were ignored without a word; tshark
    /// reads them as more capture and calls the file damaged. Every packet before them is read, and
    /// the run ends with status 2 naming them.
    @Test("members concatenated read as one stream; bytes after the last member end the read, named")
    func membersAndTrailingBytes() throws {
        let tmp = try folder()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let real = Fixtures.captures.appendingPathComponent("real/http-web-browsing.pcap")
        let bytes = try Data(contentsOf: real)
        let half = bytes.count / 2
        let first = try gzip(bytes.prefix(half), in: tmp, name: "a"), second = try gzip(bytes.suffix(from: half), in: tmp, name: "b")
        let expected = try String(contentsOf: URL(fileURLWithPath: real.path + ".expected.tsv"), encoding: .utf8)
        let path = tmp.path + "/joined.pcap.gz"
        try (first + second).write(to: URL(fileURLWithPath: path))
        let joined = try decode(path, tmp: tmp)
        #expect(joined.status == 0 && joined.stdout == expected, "\(joined.stderr)")
        try (first + second + Data("not gzip".utf8)).write(to: URL(fileURLWithPath: path))
        let trailing = try decode(path, tmp: tmp)
        #expect(trailing.status == 2 && trailing.stdout == expected, "\(trailing.stderr)")
        #expect(trailing.stderr.contains("\(path): packet \(expected.split(separator: "\n").count + 1): truncated record: "
                                         + "bytes after the end of the gzip stream are not another gzip member (not read)"), "\(trailing.stderr)")
        #expect(try leftovers(tmp).isEmpty)
    }

    /// A capture read from a pipe (`tcpdump -w - | flowcast decode /dev/stdin`): its first bytes
    /// went to the check of its magic number, and it was refused as "unknown magic number b2 a1 2
    /// 0". It is copied to a temporary file first, inflated too when compressed, and read as the
    /// file would be, with nothing left behind.
    @Test("a capture from a pipe, plain or gzip-compressed, reads as the file does", arguments: [false, true])
    func aPipeReadsAsTheFile(_ compressed: Bool) throws {
        let tmp = try folder()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let real = Fixtures.captures.appendingPathComponent("real/http-web-browsing.pcap")
        let bytes = try Data(contentsOf: real)
        let source = tmp.path + "/source"
        try (compressed ? try gzip(bytes, in: tmp, name: "s") : bytes).write(to: URL(fileURLWithPath: source))
        let fifo = tmp.path + "/pipe"
        try #require(mkfifo(fifo, 0o600) == 0)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "cat \"$0\" > \"$1\"", source, fifo]
        try writer.run()
        let run = try decode(fifo, tmp: tmp)
        writer.waitUntilExit()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == (try String(contentsOf: URL(fileURLWithPath: real.path + ".expected.tsv"), encoding: .utf8)))
        #expect(try leftovers(tmp).isEmpty)
    }

    /// A stream that inflates to more than its temporary folder holds (a 32 MiB tmpfs, mounted by
    /// the test; CI runs as root): exit status 2 naming the folder, and nothing left in it.
    @Test("a capture that inflates past the room in TMPDIR stops with the folder named and leaves nothing",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func temporaryFolderFills() throws {
        let tmp = try folder()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let small = tmp.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mount = try ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", small.path])
        try #require(mount.status == 0, "mount: \(mount.stderr)")
        defer { _ = try? ChildProcess.run("/bin/umount", [small.path]) }
        // 60,000 records of 1,514 bytes: about 92 MB inflated, a few hundred kB compressed.
        var capture = Data()
        capture.append(contentsOf: [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8) + [0xFF, 0xFF, 0, 0, 1, 0, 0, 0])
        var record = Data([0xE8, 0x03, 0, 0, 0, 0, 0, 0, 0xEA, 0x05, 0, 0, 0xEA, 0x05, 0, 0])
        record.append(Data(count: 1514))
        for _ in 0..<60_000 { capture.append(record) }
        _ = try gzip(capture, in: tmp, name: "big.pcap")
        let run = try decode(tmp.path + "/big.pcap.gz", tmp: small)
        #expect(run.status == 2)
        #expect(run.stderr.contains("big.pcap.gz") && run.stderr.contains("cannot inflate it into \(small.path)")
                || run.stderr.contains("less than"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: small.path).isEmpty)
    }

    @Test("a stream cut short or corrupt: the packets before the fault, exit status 2, the file and the fault named")
    func cutAndCorrupt() throws {
        let tmp = try folder()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let real = Fixtures.captures.appendingPathComponent("real/http-web-browsing.pcap")
        let whole = try gzip(try Data(contentsOf: real), in: tmp, name: "w.pcap")
        let expected = try String(contentsOf: URL(fileURLWithPath: real.path + ".expected.tsv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var corrupt = whole
        for i in (whole.count / 2)..<(whole.count / 2 + 40) { corrupt[i] ^= 0x5A }
        // tshark 4.0 reads 10 packets of the cut file and 18 of the corrupt one, then stops.
        for (label, data, packets, fault) in [("cut", whole.prefix(whole.count / 2), 10, "the gzip stream is cut short"),
                                              ("corrupt", corrupt, 18, "the gzip stream is corrupt (incorrect data check), so what was "
                                                + "inflated before this point may be damaged too")] {
            let path = tmp.path + "/\(label).pcap.gz"
            try Data(data).write(to: URL(fileURLWithPath: path))
            let run = try decode(path, tmp: tmp)
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(run.status == 2, "\(label)")
            // The packets inflated before the damaged bytes are the capture's; the corrupt stream
            // inflates to other bytes after them until zlib's check fails at its end, as in tshark.
            #expect(lines.count == packets && Array(lines.prefix(10)) == Array(expected.prefix(10)), "\(label): \(lines.count) lines")
            #expect(run.stderr.contains(path) && run.stderr.contains("packet \(packets + 1)") && run.stderr.contains(fault),
                    "\(label): \(run.stderr)")
        }
        // Cut inside the first deflate block, before any byte of the capture came out: said as a
        // cut stream, not as "the file is empty" (an audit of hostile captures).
        for size in [12, 40] {
            let path = tmp.path + "/head-\(size).pcap.gz"
            try Data(whole.prefix(size)).write(to: URL(fileURLWithPath: path))
            let run = try decode(path, tmp: tmp)
            #expect(run.status == 2 && run.stdout.isEmpty, "\(size)")
            #expect(run.stderr == "flowcast decode: \(path): corrupt capture: the gzip stream is cut short before the capture's file header "
                    + "was whole (nothing was inflated)\n", "\(size): \(run.stderr)")
        }
        #expect(try leftovers(tmp).isEmpty)
    }

    /// Names of the files created in `folder` while `body` runs, from inotify (the inflated copies
    /// are unlinked at once, so a listing afterwards cannot count them).
    func filesCreated(in folder: URL, during body: () throws -> Void) throws -> [String] {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(fd >= 0, "inotify_init1: \(errno)")
        defer { close(fd) }
        try #require(inotify_add_watch(fd, folder.path, UInt32(IN_CREATE)) >= 0)
        try body()
        var names: [String] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            var at = 0
            while at + 16 <= n {
                let length = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self) })
                let name = buffer[(at + 16)..<(at + 16 + length)].prefix { $0 != 0 }
                names.append(String(decoding: name, as: UTF8.self))
                at += 16 + length
            }
        }
        return names
    }

    @Test("replay reads a compressed capture as the plain one, inflating it once for all its reads (filter check, inference, run)")
    func replayInflatesOnce() throws {
        let tmp = try folder()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let real = Fixtures.captures.appendingPathComponent("real/gtpu-inner-ipv6.pcap")
        _ = try gzip(try Data(contentsOf: real), in: tmp, name: "g.pcap")
        var outputs: [String: [String]] = [:]
        for input in ["g.pcap", "g.pcap.gz"] {
            let out = tmp.appendingPathComponent("out-\(input)")
            let created = try filesCreated(in: tmp) {
                let run = try ChildProcess.run(Fixtures.flowcastExecutable.path,
                                               ["replay", tmp.path + "/" + input, "--out", out.path, "--filter", "ip or ip6", "--quiet"],
                                               environment: ["TMPDIR": tmp.path])
                #expect(run.status == 0, "\(input): \(run.stderr)")
            }
            // Four reads of the file; before, each inflated it again.
            #expect(created.filter { $0.hasPrefix("flowcast-gunzip-") }.count == (input.hasSuffix(".gz") ? 1 : 0), "\(input): \(created)")
            outputs[input] = try ["windows.jsonl", "flows.jsonl"].map {
                try String(contentsOf: out.appendingPathComponent($0), encoding: .utf8)
            }
            let summary = try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8)
            #expect(summary.contains(input.hasSuffix(".gz") ? "\"gzip-compressed pcap" : "\"pcap"), "\(summary)")
        }
        #expect(outputs["g.pcap"]?.first?.isEmpty == false)
        #expect(outputs["g.pcap"] == outputs["g.pcap.gz"])
        #expect(try leftovers(tmp).isEmpty)
    }
}
