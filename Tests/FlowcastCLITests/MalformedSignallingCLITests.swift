import FlowcastTestSupport
import Foundation
import Testing

/// GTPv2-C messages with something wrong decide which cell a tunnel's traffic goes to all the
/// same (read as tshark reads them), so replay counts and says them: they were counted as sound
/// signalling, exit 0 and not a word (an audit: an ECGI of PLMN FFF learned as a cell).
@Suite struct MalformedSignallingCLITests {
    static func replay(_ capture: String) throws -> (stderr: String, cells: [String: Any]) {
        let out = Scratch.root.appendingPathComponent("flowcast-gtpv2-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Fixtures.runFlowcast(["replay", capture, "--out", out.path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        return (run.stderr, try #require(summary["cells"] as? [String: Any]))
    }

    @Test func malformedMessagesAreCountedAndSaid() throws {
        // Nine of its messages, from frame 13 (FFF, which tshark reads as MCC and MNC 1665), carry a
        // ULI whose PLMN has a digit over 9.
        let capture = "captures/synthetic/gtpv2-plmn-digits.pcap"
        let (stderr, cells) = try Self.replay(capture)
        let malformed = try #require(cells["malformedSignalling"] as? [String: Any])
        #expect(malformed["count"] as? Int == 9 && malformed["firstPacket"] as? Int == 13, "\(malformed)")
        #expect(malformed["firstProblem"] as? String == "a PLMN with a digit over 9 (ff ff ff)")
        #expect(stderr.contains("flowcast replay: warning: \(capture): 9 GTPv2-C messages were malformed, the first in packet 13 "
                                + "(a PLMN with a digit over 9 (ff ff ff)); what they held was learned all the same"), "\(stderr)")
        // What they held was learned: the signalling count includes them.
        #expect((cells["signallingMessages"] as? Int ?? 0) >= 9)
    }

    @Test func soundSignallingSaysNothing() throws {
        let (stderr, cells) = try Self.replay("captures/synthetic/gtpv2-grouped-ies.pcap")
        #expect(cells["malformedSignalling"] == nil, "\(cells)")
        #expect((cells["signallingMessages"] as? Int ?? 0) > 0)
        #expect(!stderr.contains("GTPv2-C message"), "\(stderr)")
    }
}
