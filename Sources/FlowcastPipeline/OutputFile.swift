internal import CFlowcastShims
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An output file written through a temporary name and renamed into place on `commit()`, so a
/// reader never sees half a file and a failed run leaves the previous file intact. Write errors
/// (a full disk) are kept and reported at `commit()` with the file's path.
final class OutputFile {
    let path: String
    let temporaryPath: String
    var buffer: [UInt8] = []
    private var descriptor: Int32
    private var failure: String?
    /// Bytes written so far, and how far disk write-back has been started.
    private(set) var written: Int64 = 0
    private var writebackStarted: Int64 = 0

    /// `resumingAt`: carry on an earlier run's temporary file from that length (a restarted
    /// planner), rather than starting it empty.
    init(directory: String, name: String, resumingAt length: Int64? = nil) throws {
        path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        temporaryPath = path + ".partial"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | (length == nil ? O_TRUNC : 0), 0o644)
        guard descriptor >= 0 else {
            throw ReplayError.output(path: temporaryPath, reason: String(cString: strerror(errno)))
        }
        if let length {
            guard ftruncate(descriptor, off_t(length)) == 0, lseek(descriptor, off_t(length), SEEK_SET) == off_t(length) else {
                throw ReplayError.output(path: temporaryPath, reason: String(cString: strerror(errno)))
            }
            written = length
            writebackStarted = length
        }
        buffer.reserveCapacity(1 << 17)
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    func flushIfNeeded() { if buffer.count >= 1 << 16 { flush() } }

    func flush() {
        guard failure == nil else { buffer.removeAll(keepingCapacity: true); return }
        var done = 0
        buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = write(descriptor, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                done += n
            }
        }
        written += Int64(done)
        buffer.removeAll(keepingCapacity: true)
        // Every 2 MiB, start writing the new bytes to disk in the background: the fsync in
        // `commit` then waits for the tail only, not for the whole file.
        if written - writebackStarted >= 2 << 20 {
            _ = flowcast_start_writeback(descriptor, writebackStarted, written - writebackStarted)
            writebackStarted = written
        }
    }

    /// Flushes and syncs the temporary file, so `written` bytes survive a crash.
    func sync() throws {
        flush()
        if failure == nil && fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        if let failure { throw ReplayError.output(path: temporaryPath, reason: failure) }
    }

    /// Flushes, syncs and renames the file into place.
    func commit() throws {
        flush()
        if failure == nil && fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        descriptor = -1
        if let failure {
            unlink(temporaryPath)
            throw ReplayError.output(path: path, reason: failure)
        }
        guard rename(temporaryPath, path) == 0 else {
            throw ReplayError.output(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
