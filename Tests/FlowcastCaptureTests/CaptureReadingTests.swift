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
        let url = Scratch.root.appendingPathComponent("flowcast-rt-\(UUID().uuidString)")
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

/// A capture written onto a full disk (a small tmpfs): the error is the disk's, and the file holds
/// whole packets only. An audit's `live --write` said "No such file or directory" (stdio's stale
/// errno) and left a record cut in half, which `inspect` reported as a truncated record.
@Suite("Capture writer on a full disk", .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
struct CaptureWriterFullDiskTests {
    @Test(arguments: [CaptureWriter.Format.pcap, .pcapng])
    func cutBackToWholePackets(format: CaptureWriter.Format) throws {
        let mountPoint = Scratch.root.appendingPathComponent("flowcast-writer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        let mount = try ChildProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=200k", "tmpfs", mountPoint])
        try mount.wait(timeout: 30)
        try #require(mount.terminationStatus == 0, "\(mount.stderr)")
        defer { if let u = try? ChildProcess("/bin/umount", [mountPoint]) { _ = try? u.wait(timeout: 30) } }
        let path = mountPoint + "/c.pcap"
        let writer = try CaptureWriter(path: path, format: format, linkType: .ethernet)
        let packet = (0..<1001).map { UInt8($0 & 0xFF) }
        var failure: (any Error)?
        var accepted = 0
        for i in 0..<10_000 {
            do {
                try packet.withUnsafeBytes { try writer.write($0, timestampNanoseconds: 1_700_000_000_000_000_000 + Int64(i) * 1000) }
                accepted += 1
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure, "200 KiB took 10 MB of packets")
        #expect("\(error)".contains("\(path): write failed: No space left on device (the file is cut back to its last whole packet"), "\(error)")
        // Every packet in the file is whole, and they are the first ones written.
        var read = 0
        try OfflineCapture(path: path).forEachPacket { p in
            #expect(p.bytes.count == 1001)
            read += 1
        }
        #expect(read > 0 && read <= accepted, "\(read) read of \(accepted) accepted")
    }
}
