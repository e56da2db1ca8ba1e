internal import CFlowcastShims
internal import Dispatch
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
    let mapping: FileMapping
    let nanosecond: Bool
    let snapshot: Int

    /// Link types libpcap hands over without rewriting the record (it fixes up byte order of
    /// some pseudo-headers, e.g. USB and NFLOG, and those stay with libpcap).
    static let passThroughLinkTypes: Set<UInt32> = [0, 1, 9, 50, 101, 108, 113, 228, 229, 276]

    /// Maps `path` when the file qualifies; nil otherwise (libpcap then reads all of it).
    init?(path: String, format: CaptureFormat, linkType: LinkType?, snapshot: Int) {
        guard case let .pcap(nanosecond, bigEndian, _, _, _) = format, let linkType,
              bigEndian == (UInt32(1).bigEndian == 1), Self.passThroughLinkTypes.contains(linkType.rawValue),
              snapshot > 0, let mapping = FileMapping(path: path, minimumSize: 25) else { return nil }
        self.mapping = mapping
        self.nanosecond = nanosecond
        self.snapshot = snapshot
    }

    /// Walks records from `offset` (24, just past the file header), calling `body` with each
    /// packet. Returns the offset of the first record it did not deliver: `size` at a clean end
    /// of file, otherwise where libpcap must take over. `number` counts delivered packets.
    @inline(__always)
    func forEach(from offset: Int, linkType: LinkType, number: inout Int,
                 _ body: (Packet) throws -> Void) rethrows -> Int {
        var at = offset
        let base = mapping.base, end = mapping.size
        var pager = PagerCursor(mapping)
        defer { pager.stop() }
        while end - at >= 16 {
            pager.reached(at)
            let h = base + at
            let seconds = h.loadUnaligned(as: Int32.self)
            let fraction = h.loadUnaligned(fromByteOffset: 4, as: Int32.self)
            let caplen = Int(h.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let len = h.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            guard caplen <= snapshot, caplen <= end - at - 16 else { return at }
            flowcast_prefetch_record(h + 16 + caplen)  // the next record, while this one is decoded
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

/// A regular file mapped read-only, for the in-place readers (nil for pipes, empty files, a
/// failed mapping, or `FLOWCAST_NO_MMAP` set).
struct FileMapping {
    let base: UnsafeRawPointer
    let size: Int

    init?(path: String, minimumSize: Int) {
        guard ProcessInfo.processInfo.environment["FLOWCAST_NO_MMAP"] == nil else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size >= minimumSize else { return nil }
        let size = Int(st.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { return nil }
        // Sequential: the kernel reads ahead and maps pages around each fault in batches.
        _ = madvise(mapped, size, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(mapped)
        self.size = size
    }

    func unmap() {
        munmap(UnsafeMutableRawPointer(mutating: base), size)
    }
}

/// A reader's link to its mapping's pager: a large file gets a pager thread that maps pages
/// ahead of the reading loop and drops them behind it (they stay in the page cache, and resident
/// memory stays a few tens of MiB rather than the file's size). That kernel work is a fifth of
/// the reading thread's time on a 4 GB capture; the pager does it on the other core.
struct PagerCursor {
    let pager: MappingPager?
    var next = MappingPager.step

    init(_ mapping: FileMapping) {
        pager = mapping.size >= MappingPager.minimumSize ? MappingPager(base: mapping.base, size: mapping.size) : nil
    }

    /// The reader is at `offset`; the pager hears of it every `MappingPager.step` bytes.
    @inline(__always) mutating func reached(_ offset: Int) {
        if offset >= next, let pager {
            pager.advance(to: offset)
            next = offset + MappingPager.step
        }
    }

    func stop() { pager?.stop() }
}

/// Maps a read-only file mapping's pages ahead of a sequential reader and unmaps them behind it,
/// on its own thread, so the reading thread spends its time on packets instead of page faults.
/// Dropped pages stay in the page cache; only the mapping's page tables come and go.
final class MappingPager: @unchecked Sendable {
    /// Files smaller than this are simply mapped whole.
    static let minimumSize = 64 << 20
    /// How often (bytes read) the reader reports its position.
    static let step = 4 << 20
    static let ahead = 32 << 20, behind = 8 << 20, chunk = 8 << 20
    /// MADV_POPULATE_READ (Linux 5.14); an older kernel answers EINVAL and the reader's own
    /// faults map the pages instead.
    static let populateRead: Int32 = 22

    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let lock = NSLock()
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var position = 0, stopping = false  // guarded by `lock`

    init(base: UnsafeRawPointer, size: Int) {
        self.base = UnsafeMutableRawPointer(mutating: base)
        self.size = size
        let thread = Thread { [self] in run() }
        thread.stackSize = 1 << 18
        thread.start()
    }

    /// The reader has reached `offset`: everything before it will not be read again.
    func advance(to offset: Int) {
        lock.lock(); position = offset; lock.unlock()
        wake.signal()
    }

    /// Stops the thread and waits for it (before the mapping goes away).
    func stop() {
        lock.lock(); stopping = true; lock.unlock()
        wake.signal()
        finished.wait()
    }

    private func run() {
        var populated = 0, released = 0
        while true {
            lock.lock()
            let at = position, stop = stopping
            lock.unlock()
            if stop { break }
            var worked = false
            let target = min(size, at + Self.ahead)
            if populated < target {
                let upTo = min(target, populated + Self.chunk)
                _ = madvise(base + populated, upTo - populated, Self.populateRead)
                populated = upTo
                worked = true
            }
            let drop = (at - Self.behind) & ~4095
            if drop >= released + Self.chunk {
                _ = madvise(base + released, drop - released, MADV_DONTNEED)
                released = drop
                worked = true
            }
            if !worked { wake.wait() }
        }
        finished.signal()
    }
}
