// Shared by every fuzz target: timing of each input, a scratch file for readers that take a
// path, and seed export. Plain Glibc, so it costs nothing per input beyond two clock reads.
#if canImport(Glibc)
import Glibc
#endif

/// Runs inputs, keeping the slowest one's time; prints it at exit and saves inputs over the bound.
///
/// libFuzzer's own `-report_slow_units` counts whole seconds, too coarse for a 100 ms bound, so
/// each target times its inputs here (thread CPU time, which the other processes on a shared
/// machine do not inflate, and wall time). An input slower than `FLOWCAST_FUZZ_SLOW_MS`
/// (default 100) in CPU time is written to `FLOWCAST_FUZZ_SLOW_DIR` (default: not saved).
public enum Fuzz {
    nonisolated(unsafe) static var slowestCPU: Double = 0
    nonisolated(unsafe) static var slowestWall: Double = 0
    nonisolated(unsafe) static var slowestSize = 0
    nonisolated(unsafe) static var slowSaved = 0
    nonisolated(unsafe) static var registered = false
    nonisolated(unsafe) static var boundMilliseconds: Double = 100
    nonisolated(unsafe) static var slowDirectory: String?

    /// Times `body` on the input, records it, and returns libFuzzer's 0.
    public static func run(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> Int32 {
        if !registered { register() }
        let bytes = UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
        let cpu0 = clock(CLOCK_THREAD_CPUTIME_ID), wall0 = clock(CLOCK_MONOTONIC)
        body(bytes)
        let cpu = (clock(CLOCK_THREAD_CPUTIME_ID) - cpu0) * 1000, wall = (clock(CLOCK_MONOTONIC) - wall0) * 1000
        if cpu > slowestCPU { slowestCPU = cpu; slowestWall = wall; slowestSize = size }
        if cpu > boundMilliseconds, let slowDirectory {
            slowSaved += 1
            save(bytes, to: "\(slowDirectory)/slow-\(Int(cpu))ms-\(getpid())-\(slowSaved)")
        }
        return 0
    }

    /// The input as text, invalid UTF-8 repaired (readers take `String`).
    public static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    static func clock(_ id: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(id, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func register() {
        registered = true
        if let text = getenv("FLOWCAST_FUZZ_SLOW_MS"), let bound = Double(String(cString: text)) { boundMilliseconds = bound }
        if let text = getenv("FLOWCAST_FUZZ_SLOW_DIR") { slowDirectory = String(cString: text) }
        atexit {
            let cpu = (Fuzz.slowestCPU * 100).rounded() / 100, wall = (Fuzz.slowestWall * 100).rounded() / 100
            let line = "slowest unit: \(cpu) ms cpu (\(wall) ms wall, \(Fuzz.slowestSize) bytes); over \(Fuzz.boundMilliseconds) ms: \(Fuzz.slowSaved)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
    }

    /// Writes `bytes` to `path` (seeds, slow inputs).
    public static func save(_ bytes: UnsafeRawBufferPointer, to path: String) {
        guard let file = fopen(path, "wb") else { return }
        if bytes.count > 0 { fwrite(bytes.baseAddress, 1, bytes.count, file) }
        fclose(file)
    }

    /// The folder named by `FLOWCAST_FUZZ_MAKE_SEEDS`: when set, a target writes the seeds only it
    /// can make (packets split from captures, a trained model) there from `LLVMFuzzerInitialize`.
    public static var seedExportDirectory: String? {
        getenv("FLOWCAST_FUZZ_MAKE_SEEDS").map { String(cString: $0) }
    }
}

/// A file for readers that take a path, rewritten for each input: created in /dev/shm (memory,
/// no disk writes) and unlinked at once, then named through `/proc/self/fd`.
public final class ScratchFile {
    public let path: String
    let descriptor: Int32

    public init() {
        var template = Array("/dev/shm/flowcast-fuzz-XXXXXX".utf8CString)
        var fd = mkstemp(&template)
        if fd < 0 {
            template = Array("/tmp/flowcast-fuzz-XXXXXX".utf8CString)
            fd = mkstemp(&template)
        }
        precondition(fd >= 0, "cannot create a scratch file")
        unlink(template)
        descriptor = fd
        path = "/proc/self/fd/\(fd)"
    }

    /// Replaces the file's contents with `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        _ = ftruncate(descriptor, 0)
        var offset = 0
        while offset < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset, off_t(offset))
            precondition(n > 0, "cannot write the scratch file")
            offset += n
        }
    }
}
