import FlowcastCapture
import FlowcastTestSupport
import Foundation
import Testing

@Suite("Capture files that cannot be read give typed errors")
struct CaptureErrorTests {
    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let url = Scratch.root.appendingPathComponent("flowcast-\(UUID().uuidString).pcap")
        try Data(bytes).write(to: url)
        return url.path
    }

    func open(_ path: String) -> CaptureError? {
        do { _ = try OfflineCapture(path: path); return nil } catch { return error }
    }

    @Test("a missing file") func missing() {
        guard case .missingFile? = open("/nonexistent/flowcast.pcap") else { Issue.record("expected missingFile"); return }
    }

    @Test("an empty file") func empty() throws {
        guard case .notACapture? = open(try temporaryFile([])) else { Issue.record("expected notACapture"); return }
    }

    @Test("a text file is not a capture") func text() throws {
        guard case .notACapture? = open(try temporaryFile(Array("hello, world\n".utf8))) else { Issue.record("expected notACapture"); return }
    }

    @Test("pcap version 1 is unsupported, as tshark says") func version() {
        let path = Fixtures.captures.appendingPathComponent("real/broken-pcap-invalid-version-1.pcap").path
        guard case .unsupportedVersion? = open(path) else { Issue.record("expected unsupportedVersion"); return }
    }

    @Test("pcapng section version 0.1 is unsupported") func pcapngVersion() {
        let path = Fixtures.captures.appendingPathComponent("real/broken-pcapng-invalid-version-1.pcapng").path
        guard case .unsupportedVersion? = open(path) else { Issue.record("expected unsupportedVersion"); return }
    }

    @Test("reserved link-type bits make a file corrupt") func reservedBits() {
        let path = Fixtures.captures.appendingPathComponent("real/broken-pcap-linktype-reserved-bits.pcap").path
        guard case .corrupt? = open(path) else { Issue.record("expected corrupt"); return }
    }

    @Test("a record cut short delivers the packets before it, then names the packet")
    func truncatedRecord() throws {
        let source = Fixtures.captures.appendingPathComponent("real/dhcp-flood.pcap")
        let bytes = [UInt8](try Data(contentsOf: source))
        let path = try temporaryFile(Array(bytes.prefix(bytes.count - 100)))
        let capture = try OfflineCapture(path: path)
        var delivered = 0
        do {
            try capture.forEachPacket { _ in delivered += 1 }
            Issue.record("expected a truncation error")
        } catch let error as CaptureError {
            guard case let .truncatedRecord(_, packet, _) = error else { Issue.record("got \(error)"); return }
            #expect(packet == delivered + 1)
            #expect(delivered == 499)
            #expect(error.description.contains(path))
        }
    }

    @Test("every prefix of a capture file opens or fails with a typed error, never a trap")
    func everyFilePrefix() throws {
        let source = Fixtures.captures.appendingPathComponent("real/pcapng-multi-interface.pcapng")
        let bytes = [UInt8](try Data(contentsOf: source))
        for length in stride(from: 0, through: bytes.count, by: 7) {
            let path = try temporaryFile(Array(bytes.prefix(length)))
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                let capture = try OfflineCapture(path: path)
                try capture.forEachPacket { _ in }
            } catch is CaptureError {
                // expected for most prefixes
            }
        }
    }
}
