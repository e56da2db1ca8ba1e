internal import Dispatch
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A reader's link to its mapping's pager: a large file gets a pager thread that maps pages
/// ahead of the reading loop and drops them behind it (they stay in the page cache, and resident
/// memory stays a few tens of MiB rather than the file's size). That kernel work is a fifth of
/// the reading thread's time on a 4 GB capture; the pager does it on the other core.
struct PagerCursor {
    let pager: MappingPager?
    var next = MappingPager.step

    init(base: UnsafeRawPointer, size: Int) {
        pager = size >= MappingPager.minimumSize ? MappingPager(base: base, size: size) : nil
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
