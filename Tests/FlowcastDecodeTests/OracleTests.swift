internal import FlowcastCore
import FlowcastCapture
import FlowcastDecode
import FlowcastTestSupport
import Foundation
import Testing

/// Decodes a capture the way `flowcast decode --format tsv` does, in-process.
func decodeTSV(_ path: String) -> (lines: [String], error: CaptureError?) {
    var lines: [String] = []
    var buffer: [UInt8] = []
    let decoder = PacketDecoder()
    do {
        let capture = try OfflineCapture(path: path, records: true)
        try capture.forEachPacket { packet in
            let summary = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                         seconds: packet.timestampSeconds, fraction: packet.timestampFraction,
                                         hasTimestamp: packet.hasTimestamp)
            buffer.removeAll(keepingCapacity: true)
            summary.appendTSV(number: packet.number, to: &buffer)
            lines.append(String(decoding: buffer.dropLast(), as: UTF8.self))
        }
        return (lines, nil)
    } catch let error as CaptureError {
        return (lines, error)
    } catch {
        Issue.record("unexpected error \(error)")
        return (lines, nil)
    }
}

@Suite("Decoding agrees with tshark, field by field")
struct OracleTests {
    static let captures = Fixtures.oracleCaptures()

    @Test("at least the bundled public captures are present")
    func bundledCapturesPresent() {
        #expect(Self.captures.filter { !$0.isShared }.count >= 88)
    }

    @Test("every field of every packet matches the tshark oracle", arguments: captures)
    func matchesOracle(_ capture: OracleCapture) {
        let (lines, error) = decodeTSV(capture.url.path)
        if capture.expectsError {
            #expect(error != nil, "tshark refuses \(capture.name); flowcast must report an error")
        } else {
            #expect(error == nil, "\(capture.name): \(String(describing: error))")
        }
        let problems = Fixtures.differences(expected: capture.expectedRows, actual: lines)
        #expect(problems.isEmpty, "\(capture.name):\n\(problems.joined(separator: "\n"))")
    }

    /// Where Flowcast refuses a record for a reason of tshark's own (libpcap reads on), it says
    /// what tshark says: the pseudo-headers wiretap checks, custom and simple packet blocks.
    @Test("refusals that follow tshark, not libpcap, use tshark's words and stop at the same packet")
    func tsharkRefusalsInItsWords() throws {
        let ours = ["pseudo-header", "sll_protocol", "of a CB is too small", "total block lengths"]
        var checked = 0
        for capture in Self.captures where capture.expectsError {
            let err = try String(contentsOfFile: capture.url.path + ".expected.err", encoding: .utf8)
            // tshark's reason is the last line, in parentheses after its reader's name.
            guard let last = err.split(separator: "\n").last, last.hasPrefix("("), last.hasSuffix(")"),
                  let colon = last.firstIndex(of: ":") else { continue }
            let reason = last[last.index(colon, offsetBy: 2)..<last.index(before: last.endIndex)]
            guard ours.contains(where: { reason.contains($0) }) else { continue }
            let (lines, error) = decodeTSV(capture.url.path)
            guard case let .corrupt(_, packet?, said)? = error else {
                Issue.record("\(capture.name): \(String(describing: error))")
                continue
            }
            #expect(said == String(reason), "\(capture.name)")
            #expect(packet == capture.expectedRows.count + 1 && lines.count == capture.expectedRows.count, "\(capture.name)")
            checked += 1
        }
        #expect(checked >= 12, "\(checked) captures checked")
    }
}

@Suite("ICMP type and code agree with tshark")
struct ICMPOracleTests {
    /// Bundled captures with a `NAME.icmp.tsv` from tools/tshark-icmp.py.
    static let captures = Fixtures.oracleCaptures().filter {
        !$0.isShared && FileManager.default.fileExists(atPath: $0.url.path + ".icmp.tsv")
    }

    @Test("the ICMP oracle covers ICMPv4 and ICMPv6, tunnelled ones and errors")
    func coverage() throws {
        #expect(Self.captures.count >= 10)
        var types: Set<String> = []
        for capture in Self.captures {
            let text = try String(contentsOfFile: capture.url.path + ".icmp.tsv", encoding: .utf8)
            for line in text.split(separator: "\n") { types.insert(String(line.split(separator: "\t")[1])) }
        }
        // Echo request and reply of both families, an ICMPv4 error and an ICMPv6 neighbour solicitation.
        #expect(types.isSuperset(of: ["0", "8", "3", "11", "128", "129", "135"]), "\(types.sorted())")
    }

    /// Every packet's `icmpTypeCode` against tshark: the listed packets have tshark's type and
    /// code (nil where tshark decoded none), every other packet has none.
    @Test("every packet's ICMP type and code matches tshark", arguments: captures)
    func matchesOracle(_ capture: OracleCapture) throws {
        var expected: [Int: (String, String)] = [:]
        let text = try String(contentsOfFile: capture.url.path + ".icmp.tsv", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t").map(String.init)
            expected[Int(f[0])!] = (f[1], f[2])
        }
        let decoder = PacketDecoder()
        var problems: [String] = []
        var checked = 0
        try OfflineCapture(path: capture.url.path).forEachPacket { packet in
            let s = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                   seconds: packet.timestampSeconds, fraction: packet.timestampFraction)
            let got = s.icmpTypeCode.map { ("\($0 >> 8)", "\($0 & 0xFF)") }
            switch expected[packet.number] {
            case ("?", "?")?: return
            case ("-", "-")?, nil:
                if let got { problems.append("frame \(packet.number): type \(got.0) code \(got.1), tshark none") }
            case let (type, code)?:
                checked += 1
                if got?.0 != type || got?.1 != code {
                    problems.append("frame \(packet.number): \(got.map { "type \($0.0) code \($0.1)" } ?? "none"), tshark type \(type) code \(code)")
                }
            }
        }
        #expect(checked > 0)
        #expect(problems.isEmpty, "\(capture.name):\n\(problems.prefix(20).joined(separator: "\n"))")
    }
}
