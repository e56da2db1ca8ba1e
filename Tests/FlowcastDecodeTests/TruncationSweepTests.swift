internal import FlowcastCore
import FlowcastCapture
import FlowcastDecode
import FlowcastTestSupport
import Foundation
import Testing

/// tcpdump's rule: a packet may be cut at any byte. Every prefix of every fixture packet must
/// decode without a trap, and a prefix that ends inside a header the full packet decodes must
/// report a truncation instead of inventing fields.
@Suite("Truncated packets")
struct TruncationSweepTests {
    static let captures = Fixtures.oracleCaptures().filter { !$0.expectsError }

    @Test("every prefix of every packet decodes without a trap", arguments: captures)
    func everyPrefix(_ capture: OracleCapture) throws {
        let decoder = PacketDecoder()
        var checked = 0
        let source = try OfflineCapture(path: capture.url.path)
        try source.forEachPacket { packet in
            let full = decoder.decode(packet.bytes, linkType: packet.linkType.rawValue,
                                      wireLength: packet.wireLength, timestampNanoseconds: 0)
            // Headers end well inside 600 bytes in every fixture; prefixes beyond that decode the
            // same headers as the whole packet, so the sweep stops there to stay fast.
            let upper = min(packet.bytes.count, 600)
            for length in 0...upper {
                let prefix = UnsafeRawBufferPointer(rebasing: packet.bytes[0..<length])
                let cut = decoder.decode(prefix, linkType: packet.linkType.rawValue,
                                         wireLength: packet.wireLength, timestampNanoseconds: 0)
                checked += 1
                // A TEID or an outer address that the whole packet lacks cannot appear in a prefix.
                if full.teid == nil { #expect(cut.teid == nil) }
                if full.outerSource == nil { #expect(cut.outerSource == nil) }
                if length < upper, cut != full, cut.issue == nil {
                    // A shorter prefix that decodes differently must say why.
                    let sameHeaders = cut.innerSource == full.innerSource && cut.sourcePort == full.sourcePort
                        && cut.ipProtocol == full.ipProtocol && cut.teid == full.teid && cut.vlan == full.vlan
                    #expect(sameHeaders || full.issue != nil,
                            "\(capture.name) packet \(packet.number) cut at \(length): fields lost without a decode issue")
                }
            }
        }
        // Nothing to sweep only where tshark lists no packet: none at all, or only records (pcapng
        // custom blocks: no time, no IP layer).
        #expect(checked > 0 || capture.expectedRows.allSatisfy { $0.count > 4 && $0[1].isEmpty && $0[4].isEmpty })
    }
}
