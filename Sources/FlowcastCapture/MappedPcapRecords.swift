internal import CFlowcastShims
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// The records of a classic pcap file read in place from a read-only memory mapping.
///
/// Why by hand, beside libpcap: libpcap's offline reader copies every packet twice (the kernel
/// into the stdio buffer, then stdio into libpcap's own buffer) and makes a library call per
/// packet. On the 5M-packet benchmark those copies are a quarter of all CPU time. Mapping the
/// file hands the page cache's own pages to the decoder. libpcap still opens and validates the
/// file, and it stays the authority for anything unusual: this reader only walks records that
/// are plainly well formed (header and data inside the file, captured length within the file's
/// snapshot length) in host byte order and for link types libpcap passes through unchanged. At
/// the first record that is not, it stops and says where, and libpcap reads on from that offset
/// with its own checks and messages. A test compares both readers on every bundled capture.
///
/// A mapping faults if the file shrinks while it is read (SIGBUS). Replay reads finished captures;
/// `FLOWCAST_NO_MMAP=1` turns the mapping off for a file still being rotated or truncated.
struct MappedPcapRecords {
    let base: UnsafeRawPointer
    let size: Int
    let nanosecond: Bool
    let snapshot: Int

    /// Link types libpcap hands over without rewriting the record (it fixes up byte order of
    /// some pseudo-headers, e.g. USB and NFLOG, and those stay with libpcap).
    static let passThroughLinkTypes: Set<UInt32> = [0, 1, 9, 50, 101, 108, 113, 228, 229, 276]

    /// Maps `path` when the file qualifies; nil otherwise (libpcap then reads all of it).
    init?(path: String, format: CaptureFormat, linkType: LinkType?, snapshot: Int) {
        guard case let .pcap(nanosecond, bigEndian, _, _, _) = format, let linkType,
              bigEndian == (UInt32(1).bigEndian == 1), Self.passThroughLinkTypes.contains(linkType.rawValue),
              snapshot > 0, ProcessInfo.processInfo.environment["FLOWCAST_NO_MMAP"] == nil else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 24 else { return nil }
        let size = Int(st.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { return nil }
        // Sequential: the kernel reads ahead and maps pages around each fault in batches.
        _ = madvise(mapped, size, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(mapped)
        self.size = size
        self.nanosecond = nanosecond
        self.snapshot = snapshot
    }

    /// MADV_POPULATE_READ (Linux 5.14); older kernels answer EINVAL and fault pages in instead.
    static let populateRead: Int32 = 22

    private func advise(from start: Int, to stop: Int, _ advice: Int32) {
        let first = start & ~4095
        guard stop > first else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + first), stop - first, advice)
    }

    func unmap() {
        munmap(UnsafeMutableRawPointer(mutating: base), size)
    }

    /// Walks records from `offset` (24, just past the file header), calling `body` with each
    /// packet. Returns the offset of the first record it did not deliver: `size` at a clean end
    /// of file, otherwise where libpcap must take over. `number` counts delivered packets.
    @inline(__always)
    func forEach(from offset: Int, linkType: LinkType, number: inout Int,
                 _ body: (Packet) throws -> Void) rethrows -> Int {
        var at = offset
        let end = size
        // Pages behind the reader are dropped from the mapping as it goes (they stay in the page
        // cache), so resident memory stays a few MiB rather than the file's size; pages ahead are
        // mapped a chunk at a time in one call instead of one fault per 64 KiB.
        let chunk = 4 << 20
        var released = 0, populated = 0
        while end - at >= 16 {
            if at + chunk >= populated && populated < end {
                let upTo = min(end, max(populated, at) + 2 * chunk)
                advise(from: populated, to: upTo, Self.populateRead)
                populated = upTo
                let drop = (at & ~4095) - chunk
                if drop > released { advise(from: released, to: drop, MADV_DONTNEED); released = drop }
            }
            let h = base + at
            let seconds = h.loadUnaligned(as: Int32.self)
            let fraction = h.loadUnaligned(fromByteOffset: 4, as: Int32.self)
            let caplen = Int(h.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let len = h.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            guard caplen <= snapshot, caplen <= end - at - 16 else { return at }
            // The next record's header and the first bytes the decoder reads: they load while
            // this packet is decoded, instead of stalling the next iteration.
            let next = h + 16 + caplen
            flowcast_prefetch_read(next)
            flowcast_prefetch_read(next + 64)
            flowcast_prefetch_read(next + 128)
            number += 1
            // As libpcap 1.10 with nanosecond precision requested: signed 32-bit seconds, and
            // a microsecond fraction scaled by 1000 in 32-bit arithmetic.
            let nanos = nanosecond ? Int64(fraction) : Int64(fraction &* 1000)
            try body(Packet(number: number, seconds: Int64(seconds), fraction: nanos,
                            wireLength: clampedWireLength(len),
                            bytes: UnsafeRawBufferPointer(start: h + 16, count: caplen), linkType: linkType))
            at += 16 + caplen
        }
        return at
    }
}
