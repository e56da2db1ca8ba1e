internal import FlowcastCore
import FlowcastCapture
import FlowcastTestSupport
import Foundation
import Testing

@Suite("Reading captures")
struct CaptureReadingTests {
    func real(_ name: String) -> String { Fixtures.captures.appendingPathComponent("real/\(name)").path }

    @Test("a pcapng whose interfaces differ in link type is read whole, each packet with its own link type")
    func mixedLinkTypes() throws {
        let capture = try OfflineCapture(path: real("pcapng-example-comments.pcapng"))
        var types = Set<UInt32>()
        var count = 0
        try capture.forEachPacket { packet in
            types.insert(packet.linkType.rawValue)
            count += 1
            #expect(packet.number == count)
        }
        #expect(count == 159)
        #expect(types == [1, 113])
    }

    @Test("a file whose extension says pcap but holds pcapng is read by its magic number")
    func lyingExtension() throws {
        let capture = try OfflineCapture(path: real("gtpv2c-messages.pcap"))
        #expect(capture.format == .pcapng)
        var count = 0
        try capture.forEachPacket { _ in count += 1 }
        #expect(count == 6)
    }

    @Test("nanosecond captures keep nanoseconds")
    func nanoseconds() throws {
        let capture = try OfflineCapture(path: real("nsec-little-endian.pcap"))
        var fractions: [Int64] = []
        try capture.forEachPacket { fractions.append($0.timestampFraction) }
        #expect(fractions.contains { $0 % 1000 != 0 })
    }

    @Test("a written pcap reads back byte for byte, with nanosecond timestamps")
    func pcapWriterRoundTrip() throws {
        try roundTrip(format: .pcap)
    }

    @Test("a written pcapng reads back byte for byte, with nanosecond timestamps")
    func pcapngWriterRoundTrip() throws {
        try roundTrip(format: .pcapng)
    }

    func roundTrip(format: CaptureWriter.Format) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flowcast-rt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        var originals: [([UInt8], Int64, Int)] = []
        let source = try OfflineCapture(path: real("vlan-qinq-8021q.pcap"))
        let writer = try CaptureWriter(path: url.path, format: format, linkType: .ethernet)
        try source.forEachPacket { packet in
            let ts = packet.timestampNanoseconds + 123  // exercise the nanosecond digits
            originals.append((packet.copyBytes(), ts, packet.wireLength))
            try writer.write(packet.bytes, timestampNanoseconds: ts, wireLength: packet.wireLength)
        }
        try writer.close()
        var index = 0
        try OfflineCapture(path: url.path).forEachPacket { packet in
            #expect(packet.copyBytes() == originals[index].0)
            #expect(packet.timestampNanoseconds == originals[index].1)
            #expect(packet.wireLength == originals[index].2)
            index += 1
        }
        #expect(index == originals.count)
    }
}
