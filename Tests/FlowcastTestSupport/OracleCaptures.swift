public import Foundation

/// A real capture with its tshark-derived expected decode.
public struct OracleCapture: Sendable, CustomStringConvertible {
    public var url: URL
    /// Lines of `NAME.expected.tsv`, split into 13 fields each.
    public var expectedRows: [[Substring]]
    /// True when tshark refused (part of) the file: flowcast must fail too.
    public var expectsError: Bool
    /// True when the file is read from ../shared (copyleft; not bundled).
    public var isShared: Bool

    public var name: String { url.lastPathComponent }
    public var description: String { name }

    /// Synthetic pcapng files (tools/diff-pcapng.py) where the readers follow tshark, the decoding
    /// oracle, and libpcap 1.10 reads otherwise; the libpcap comparisons leave them out, the
    /// oracle tests check them.
    public static let libpcapDiffers: [String: String] = [
        "pcapng-byte-orders.pcapng": "libpcap refuses a second section in the other byte order; tshark reads it",
        "pcapng-big-endian-first.pcapng": "libpcap refuses a second section in the other byte order; tshark reads it",
        "pcapng-custom-blocks.pcapng": "tshark lists copyable custom blocks as records and numbers them; libpcap skips them",
        "pcapng-custom-block-too-short.pcapng": "tshark refuses a custom block without its enterprise number; libpcap skips it",
        "pcapng-custom-blocks-not-copyable.pcapng": "tshark lists custom blocks that may not be copied (0x40000BAD) as records and reads a section in the other byte order; libpcap skips the blocks and refuses the section",
        "pcapng-no-interface-packet.pcapng": "libpcap refuses a packet block before any interface at opening; tshark lists the custom block before it, then refuses it",
        "pcapng-custom-block-not-copyable-too-short.pcapng": "tshark refuses a custom block (0x40000BAD) without its enterprise number; libpcap skips it",
        "pcapng-simple-block-oversized.pcapng": "tshark checks a simple packet block's trailer where its snapshot length puts it; libpcap does not",
        "pcapng-enhanced-block-over-snaplen.pcapng": "tshark reads a packet longer than its interface's snapshot length whole; libpcap refuses the file there",
    ]

    /// Whether libpcap is expected to read this capture as the readers do (`libpcapDiffers`).
    public var readsAsLibpcap: Bool { Self.libpcapDiffers[name] == nil }
}

extension Fixtures {
    /// Every capture with an expected file: bundled real ones, bundled synthetic ones (made by
    /// tools/diff-decode-link.py and tools/diff-decode-tunnel.py to reach what the real ones do not, checked against tshark the same
    /// way), then ../shared ones not bundled.
    public static func oracleCaptures() -> [OracleCapture] {
        var seen = Set<String>()
        var result: [OracleCapture] = []
        var folders: [(URL, Bool)] = [(captures.appendingPathComponent("real"), false),
                                      (captures.appendingPathComponent("synthetic"), false)]
        if let shared { folders.append((shared.appendingPathComponent("captures/real"), true)) }
        for (folder, isShared) in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".expected.tsv") {
                let captureName = String(name.dropLast(".expected.tsv".count))
                guard seen.insert(captureName).inserted else { continue }
                let url = folder.appendingPathComponent(captureName)
                let expected = (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
                let rows = expected.split(separator: "\n", omittingEmptySubsequences: true)
                    .map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
                let err = FileManager.default.fileExists(atPath: url.path + ".expected.err")
                result.append(OracleCapture(url: url, expectedRows: rows, expectsError: err, isShared: isShared))
            }
        }
        return result
    }

    /// Compares produced TSV lines with expected rows; returns human-readable differences.
    /// A "?" expected field is not compared (tshark leaves it undecoded; see tools/tshark-expected.py).
    public static func differences(expected: [[Substring]], actual: [String], limit: Int = 20) -> [String] {
        var problems: [String] = []
        if expected.count != actual.count {
            problems.append("\(actual.count) packets decoded, \(expected.count) expected")
        }
        for (e, line) in zip(expected, actual) {
            let a = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard a.count == e.count else {
                problems.append("frame \(e.first ?? "?"): \(a.count) columns, \(e.count) expected")
                continue
            }
            for (column, (ev, av)) in zip(e, a).enumerated() where ev != "?" && ev != av {
                problems.append("frame \(e[0]) column \(column + 1): got '\(av)', expected '\(ev)'")
            }
            if problems.count >= limit { break }
        }
        return problems
    }
}
