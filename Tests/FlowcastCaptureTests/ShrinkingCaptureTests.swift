import FlowcastTestSupport
import FlowcastCapture
internal import FlowcastCore
import Foundation
import Testing

/// A capture file cut while the in-place reader has it mapped: the vanished pages would raise
/// SIGBUS and kill the process. The reader must stop with the number of the first packet it
/// lost, having handed out only packets whose bytes were all still in the file.
@Suite("A capture file that shrinks while it is read")
struct ShrinkingCaptureTests {
    /// Packet `i`: 14 bytes of Ethernet header, then a fill no cut can imitate (never zero).
    static func packet(_ i: Int) -> [UInt8] {
        let length = 60 + (i &* 37) % 1400
        var bytes = [UInt8](repeating: UInt8(i % 250 + 1), count: length)
        bytes[12] = 0x08; bytes[13] = 0x00
        return bytes
    }

    /// Writes `count` packets; returns the file and the end offset of every record.
    func write(_ format: CaptureWriter.Format, count: Int) throws -> (URL, [Int]) {
        let url = Scratch.root.appendingPathComponent("flowcast-shrink-\(UUID().uuidString)")
        let writer = try CaptureWriter(path: url.path, format: format, linkType: .ethernet)
        var sizes: [Int] = []
        for i in 1...count {
            let bytes = Self.packet(i)
            try bytes.withUnsafeBytes { try writer.write($0, timestampNanoseconds: Int64(i) * 1000, wireLength: bytes.count) }
            // pcap: a 16-byte record header; pcapng: an Enhanced Packet Block, data padded to 4.
            sizes.append(format == .pcap ? 16 + bytes.count : 32 + (bytes.count + 3) / 4 * 4)
        }
        try writer.close()
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        var end = fileSize - sizes.reduce(0, +)  // the file header, or the section and interface blocks
        return (url, sizes.map { end += $0; return end })
    }

    /// Reads `url` mapped, cutting it to `cut` bytes while packet `at` is handed out.
    func readCutting(_ url: URL, to cut: Int, at: Int) throws -> (delivered: Int, error: String?) {
        let capture = try OfflineCapture(path: url.path)
        #expect(capture.readsInPlace)
        var delivered = 0
        do {
            try capture.forEachPacket { packet in
                delivered += 1
                #expect(packet.number == delivered)
                let expected = Self.packet(packet.number)
                #expect(packet.bytes.elementsEqual(expected), "packet \(packet.number) differs from what was written")
                if packet.number == at { #expect(truncate(url.path, off_t(cut)) == 0) }
            }
            return (delivered, nil)
        } catch {
            return (delivered, "\(error)")
        }
    }

    func check(_ format: CaptureWriter.Format, count: Int, cutAt fraction: Double, offset: Int) throws {
        let (url, ends) = try write(format, count: count)
        defer { try? FileManager.default.removeItem(at: url) }
        let cut = Int(Double(ends.last!) * fraction) + offset
        let intact = ends.filter { $0 <= cut }.count
        let (delivered, error) = try readCutting(url, to: cut, at: 10)
        #expect(delivered == intact, "\(format) cut at \(cut)")
        let message = try #require(error, "\(format) cut at \(cut): no error")
        #expect(message.contains("packet \(intact + 1):"), "\(message)")
        #expect(message.contains("shrank to \(cut) bytes"), "\(message)")
    }

    @Test("a small pcap cut in the middle of a record, mid-page, on a record boundary and in its last page",
          arguments: [(0.5, 7), (0.5, 0), (0.999, 1)])
    func smallPcap(fraction: Double, offset: Int) throws {
        try check(.pcap, count: 3000, cutAt: fraction, offset: offset)
    }

    @Test("a small pcapng cut in the middle of a block, mid-page and in its last page",
          arguments: [(0.5, 7), (0.999, 1)])
    func smallPcapng(fraction: Double, offset: Int) throws {
        try check(.pcapng, count: 3000, cutAt: fraction, offset: offset)
    }

    @Test("a capture large enough for the pager thread, which faults on pages ahead of the reader",
          arguments: [CaptureWriter.Format.pcap, .pcapng])
    func largeCapture(format: CaptureWriter.Format) throws {
        // 100,000 packets of 760 bytes on average: 78 MB, over the pager's 64 MB threshold.
        try check(format, count: 100_000, cutAt: 0.4, offset: 3)
    }

    @Test("a record cut exactly at a page boundary is reported, not read as zeros")
    func cutAtPageBoundary() throws {
        let (url, ends) = try write(.pcap, count: 3000)
        defer { try? FileManager.default.removeItem(at: url) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let cut = ends[1500] / page * page
        let intact = ends.filter { $0 <= cut }.count
        let (delivered, error) = try readCutting(url, to: cut, at: 10)
        #expect(delivered == intact)
        #expect(error?.contains("packet \(intact + 1):") == true, "\(error ?? "no error")")
    }

    @Test("a file that does not shrink reads whole")
    func untouchedFile() throws {
        let (url, ends) = try write(.pcap, count: 500)
        defer { try? FileManager.default.removeItem(at: url) }
        let (delivered, error) = try readCutting(url, to: ends.last!, at: 10)  // "cut" to its own size
        #expect(delivered == 500)
        #expect(error == nil)
    }
}
