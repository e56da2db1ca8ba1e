internal import CFlowcastShims
#if canImport(Glibc)
internal import Glibc
#endif

/// The bytes of a capture file as the readers see them: a window that reaches any offset.
///
/// Two sources, one contract, so each format has one reader (generic over its source, so no call
/// in the per-packet loop goes through an existential): `MappedCaptureFile` hands out the page
/// cache's own pages (a read-only mapping), `BufferedCaptureFile` copies through a buffer with
/// `pread` for a file that may shrink or be rotated while it is read (a mapping would fault).
protocol CaptureBytes {
    /// Up to `count` bytes from `offset`; fewer only where the file ends. Valid until the next call.
    mutating func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer
    /// The reader has reached `offset` and will not look before it again.
    mutating func reached(_ offset: Int)
    /// A hint that the bytes at `offset` are read next.
    func prefetch(_ offset: Int)
    /// The reader stops for now (helper threads end; the bytes stay readable).
    mutating func pause()
    /// Releases the file; no call may follow.
    func close()
    /// True when packets are views into the page cache rather than copies.
    var readsInPlace: Bool { get }
    /// False when the file has shrunk below `end` since it was opened, so that the bytes up to
    /// `end` are no longer the file's (a mapping then reads zeros where the file was cut).
    /// Called once per record with the record's end, before the record is handed out.
    mutating func holds(through end: Int) -> Bool
    /// The file's size now, when it is smaller than when it was opened; nil otherwise.
    func shrunkSize() -> Int?
}

extension CaptureBytes {
    /// The reason given when the file shrank below what a record needs.
    static func shrankReason(to size: Int) -> String {
        "the file shrank to \(size) bytes while it was being read (is it still being written or rotated? "
            + "such a file must be read without mapping it)"
    }
}

/// A regular file mapped read-only.
///
/// Why by hand, beside libpcap: libpcap's offline reader copies every packet twice (the kernel
/// into the stdio buffer, then stdio into libpcap's own buffer) and makes a library call per
/// packet; on the 5M-packet benchmark those copies were a quarter of all CPU time. A mapping
/// faults (SIGBUS) if the file shrinks while it is read: the mapping is watched
/// (`flowcast_mapping_watch`), vanished pages read as zeros, and `holds(through:)` tells the
/// reader, which stops with the packet number. Callers reading a file that is still being
/// written or rotated should ask for `BufferedCaptureFile`.
struct MappedCaptureFile: CaptureBytes {
    let base: UnsafeRawPointer
    let size: Int
    private var pager: PagerCursor?
    /// Kept open to learn the file's size again after a fault.
    private let fd: Int32
    /// Raised by the SIGBUS handler when a page of the mapping vanished (the file shrank under
    /// it); the handler maps zeros there so the faulting read completes.
    private let faulted: UnsafePointer<Int32>
    private let pageSize: Int
    /// Records ending at or before this offset are covered by the last probe (`holds`).
    private var probedThrough = 0

    /// Nil for pipes, empty files and failed mappings, and when 64 mappings are already watched.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { Glibc.close(fd); return nil }
        let size = Int(st.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { Glibc.close(fd); return nil }
        guard let faulted = flowcast_mapping_watch(mapped, UInt(size)) else {
            munmap(mapped, size)
            Glibc.close(fd)
            return nil
        }
        // Sequential: the kernel reads ahead and maps pages around each fault in batches.
        _ = madvise(mapped, size, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(mapped)
        self.size = size
        self.fd = fd
        self.faulted = faulted
        pageSize = sysconf(Int32(_SC_PAGESIZE))
    }

    /// Probes the page after the record's last byte, then reads the flag. A file cut at S
    /// faults on every page wholly past S; the page that holds S reads as zeros past S without
    /// a fault, so touching the record's own bytes would not tell. The page after the one that
    /// holds the record's last byte starts past the record, so if the file was cut inside the
    /// record, that page faults. One probe covers every record ending before the probed page,
    /// so it runs once per page of records (a probe per record, a miss to memory each, cost 30 %
    /// of `decode`), on the line the reader reaches a few packets later. Records in the file's
    /// last page have no page after them: those ask the file's size (a few hundred `fstat`
    /// calls at most). A cut racing the read (after a page's probe, before its records are
    /// decoded) can still let those few records be read as zeros; the next probe or the flag
    /// then stops the reader.
    @inline(__always)
    mutating func holds(through end: Int) -> Bool {
        if end > probedThrough {
            guard end <= size &- pageSize else { return end <= currentSize() }
            let probe = end - 1 + pageSize
            flowcast_touch(base + probe)
            probedThrough = probe & ~(pageSize - 1)
        }
        return flowcast_flag_raised(faulted) == 0 || end <= currentSize()
    }

    func shrunkSize() -> Int? {
        let now = currentSize()
        return now < size ? now : nil
    }

    @inline(never)
    private func currentSize() -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    @inline(__always)
    func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + offset, count: max(0, min(count, size - offset)))
    }

    @inline(__always)
    mutating func reached(_ offset: Int) {
        if pager == nil {
            guard size >= MappingPager.minimumSize else { return }
            pager = PagerCursor(base: base, size: size)
        }
        pager!.reached(offset)
    }

    @inline(__always)
    func prefetch(_ offset: Int) {
        if offset < size { flowcast_prefetch_record(base + offset) }
    }

    mutating func pause() {
        pager?.stop()
        pager = nil
    }

    func close() {
        flowcast_mapping_unwatch(faulted)
        munmap(UnsafeMutableRawPointer(mutating: base), size)
        Glibc.close(fd)
    }

    var readsInPlace: Bool { true }
}

/// A file read through a buffer with `pread`: what `--no-mmap`-style callers get (see
/// `OfflineCapture.init(path:mapFile:)`), and the source for anything that cannot be mapped.
/// The buffer grows only for a record larger than it; no packet allocates. A class, so that
/// every copy of a reader shares the one buffer it owns.
final class BufferedCaptureFile: CaptureBytes {
    private let fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// File offset of `buffer[0]`, and how many bytes from there are valid.
    private var start = 0, count = 0

    static let initialCapacity = 1 << 20
    static let minimumCapacity = 1 << 12

    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.fd = fd
        // A small file gets a buffer its size (it grows, as for any large record, if the file
        // does): a 1 MiB buffer for a 2 KB capture cost more than reading it.
        var st = stat()
        let size = fstat(fd, &st) == 0 ? Int(st.st_size) : Self.initialCapacity
        capacity = min(Self.initialCapacity, max(Self.minimumCapacity, size))
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    @inline(__always)
    func bytes(at offset: Int, count wanted: Int) -> UnsafeRawBufferPointer {
        if offset >= start, offset + wanted <= start + count {
            return UnsafeRawBufferPointer(start: buffer + (offset - start), count: wanted)
        }
        return refill(at: offset, count: wanted)
    }

    /// Moves the window to start at `offset` and reads until it holds `wanted` bytes or the
    /// file ends.
    @inline(never)
    private func refill(at offset: Int, count wanted: Int) -> UnsafeRawBufferPointer {
        if offset >= start, offset < start + count {
            let kept = start + count - offset
            buffer.copyMemory(from: buffer + (offset - start), byteCount: kept)
            count = kept
        } else {
            count = 0
        }
        start = offset
        if wanted > capacity {
            // Never more than the file holds: a corrupt length must not allocate gigabytes.
            var st = stat()
            let available = fstat(fd, &st) == 0 ? max(0, Int(st.st_size) - offset) : 0
            let size = min(wanted, max(available, capacity))
            if size > capacity {
                let larger = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
                larger.copyMemory(from: buffer, byteCount: count)
                buffer.deallocate()
                buffer = larger
                capacity = size
            }
        }
        while count < min(wanted, capacity) {
            let got = pread(fd, buffer + count, capacity - count, off_t(start + count))
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { break }
            count += got
        }
        return UnsafeRawBufferPointer(start: buffer, count: min(wanted, count))
    }

    func reached(_ offset: Int) {}
    func prefetch(_ offset: Int) {}
    func pause() {}
    /// `pread` sees a shrunk file as a shorter one: the readers report the cut record as they
    /// report any truncated file.
    func holds(through end: Int) -> Bool { true }
    func shrunkSize() -> Int? { nil }

    func close() {
        Glibc.close(fd)
        buffer.deallocate()
    }

    var readsInPlace: Bool { false }
}
