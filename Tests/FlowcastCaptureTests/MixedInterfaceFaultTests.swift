import FlowcastCapture
import FlowcastTestSupport
import Foundation
import Testing

/// Past the interface where libpcap would stop, Flowcast reads on under its own rules; a bad
/// packet block there is reported at its own packet number, after every packet before it.
@Suite("Faults in pcapng files with mixed interfaces")
struct MixedInterfaceFaultTests {
    /// Offsets of the enhanced packet blocks of a little-endian pcapng file.
    func packetBlocks(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = [], at = 0
        func le32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        while at + 12 <= bytes.count {
            if le32(at) == 6 { offsets.append(at) }
            at += le32(at + 4)
        }
        return offsets
    }

    @Test("a block naming an undescribed interface, or overrunning its block, stops at its packet",
          arguments: ["pcapng-example-comments.pcapng", "pcapng-many-interfaces.pcapng", "gtpv2c-messages.pcap"])
    func badPacketBlock(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.captures.appendingPathComponent("real/\(name)")))
        let blocks = packetBlocks(bytes)
        #expect(blocks.count > 4)
        for (index, at) in blocks.enumerated() where index % 3 == 1 || index == blocks.count - 1 {
            for field in [8, 20] {  // interface id, captured length
                var file = bytes
                file[at + field + 2] = 0x7F
                let url = Scratch.root.appendingPathComponent("flowcast-mixed-\(UUID().uuidString).pcapng")
                try Data(file).write(to: url)
                defer { try? FileManager.default.removeItem(at: url) }
                var delivered = 0
                do {
                    try OfflineCapture(path: url.path).forEachPacket { _ in delivered += 1 }
                    Issue.record("\(name) block \(index): no fault")
                } catch let error as CaptureError {
                    guard case let .corrupt(_, packet?, _) = error else { Issue.record("\(name) block \(index): \(error)"); continue }
                    #expect(delivered == index, "\(name) block \(index)")
                    #expect(packet == index + 1, "\(name) block \(index): \(error)")
                }
            }
        }
    }
}
