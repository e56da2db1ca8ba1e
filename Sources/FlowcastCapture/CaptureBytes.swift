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
}

/// A regular file mapped read-only.
///
/// Why by hand, beside libpcap: libpcap's offline reader copies every packet twice (the kernel
/// into the stdio buffer, then stdio into libpcap's own buffer) and makes a library call per
/// packet; on the 5M-packet benchmark those copies were a quarter of all CPU time. A mapping
/// faults (SIGBUS) if the file shrinks while it is read: callers reading a file that is still
/// being written or rotated ask for `BufferedCaptureFile` instead.
struct MappedCaptureFile: CaptureBytes {
    let base: UnsafeRawPointer
    let size: Int
    private var pager: PagerCursor?

    /// Nil for pipes, empty files and failed mappings.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { return nil }
        // Sequential: the kernel reads ahead and maps pages around each fault in batches.
        _ = madvise(mapped, size, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(mapped)
        self.size = size
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

    func close() { munmap(UnsafeMutableRawPointer(mutating: base), size) }

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

    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.fd = fd
        capacity = Self.initialCapacity
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

    func close() {
        Glibc.close(fd)
        buffer.deallocate()
    }

    var readsInPlace: Bool { false }
}
