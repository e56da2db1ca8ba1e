#if canImport(Glibc)
internal import Glibc
#endif

/// Allocations for the flow table's slab and slots: 2 MiB-aligned and advised for transparent
/// huge pages once they are that large, because a table of 10⁵–10⁶ flows is touched at random
/// and 4 KiB pages would add a TLB miss to every lookup. Freed with `free`.
enum LargeAllocation {
    /// Address space mapped without backing (MAP_NORESERVE): memory is committed page by page
    /// as it is first written, in 2 MiB pages where the kernel allows.
    struct Reservation {
        let mapping: UnsafeMutableRawPointer
        let length: Int
        let base: UnsafeMutableRawPointer
        func release() { munmap(mapping, length) }
    }

    static func reserve<T>(_: T.Type, count: Int) -> Reservation? {
        #if canImport(Glibc)
        let huge = 2 << 20
        let bytes = (max(1, count * MemoryLayout<T>.stride) + huge - 1) / huge * huge
        let length = bytes + huge  // room to align the start to a huge page
        guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              mapping != MAP_FAILED else { return nil }
        let aligned = (Int(bitPattern: mapping) + huge - 1) / huge * huge
        let base = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(base, bytes, MADV_HUGEPAGE)
        return Reservation(mapping: mapping, length: length, base: base)
        #else
        return nil
        #endif
    }

    static func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(1, count * MemoryLayout<T>.stride)
        let huge = 2 << 20
        var raw: UnsafeMutableRawPointer? = nil
        if bytes >= huge {
            let rounded = (bytes + huge - 1) / huge * huge
            if posix_memalign(&raw, huge, rounded) == 0, let raw {
                #if canImport(Glibc)
                _ = madvise(raw, rounded, MADV_HUGEPAGE)
                #endif
                return raw.bindMemory(to: T.self, capacity: count)
            }
        }
        guard posix_memalign(&raw, max(64, MemoryLayout<T>.alignment), bytes) == 0, let raw else {
            fatalError("flow table: out of memory allocating \(bytes) bytes")
        }
        return raw.bindMemory(to: T.self, capacity: count)
    }
}
