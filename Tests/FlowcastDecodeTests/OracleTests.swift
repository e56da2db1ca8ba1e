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
        let capture = try OfflineCapture(path: path)
        try capture.forEachPacket { packet in
            let summary = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue, wireLength: packet.wireLength,
                                         seconds: packet.timestampSeconds, fraction: packet.timestampFraction)
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
}
