#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Why a file could not be written: its path and the operating system's own words.
public struct AtomicFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path.visible): \(reason)" }
}

/// A file written under a temporary sibling name (`NAME.partial`) and renamed into place by
/// `commit()`, so no reader ever sees half a file under the final name, and a failed or
/// killed writer leaves the previous file intact. The one way Flowcast writes its outputs:
/// runs, policies, models, reports and exports.
///
/// `write` keeps the first failure (a full disk, say) instead of throwing, so a streaming
/// writer can go on buffering; `commit` reports it with the path, removes the partial file and
/// throws. Dropping an uncommitted file removes its partial file, unless `keepsPartialFile` says a
/// saved state counts on it (a resumed file, or one the planner's checkpoint has recorded).
public final class AtomicFile {
    /// The final name.
    public let path: String
    /// Where the bytes go until `commit`.
    public let temporaryPath: String
    /// The open descriptor of the temporary file (for write-back hints), -1 once closed.
    public private(set) var descriptor: Int32
    /// Bytes handed to the file system so far.
    public private(set) var bytesWritten: Int64 = 0
    /// The first write failure, in the operating system's words.
    public private(set) var failure: String?
    /// Dropping the file uncommitted closes it and leaves the partial file where it is, because a
    /// saved state records its length (`init(resumingAt:)` sets it; the planner sets it when it
    /// checkpoints). A graceful stop of such a writer must not remove the bytes the state claims.
    public var keepsPartialFile: Bool

    /// Opens `path + ".partial"` empty or, with `resumingAt`, carries on an earlier writer's
    /// partial file from that length (a restarted planner picks up its own checkpointed bytes):
    /// bytes past it are cut; a partial file that is missing or shorter than `length` throws
    /// (its earlier bytes are gone, and writing on would leave a hole of zeros in their place).
    public init(path: String, resumingAt length: Int64? = nil) throws(AtomicFileError) {
        self.path = path
        temporaryPath = path + ".partial"
        keepsPartialFile = length != nil
        if let length {
            descriptor = open(temporaryPath, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw AtomicFileError(path: temporaryPath, reason: "\(Self.lastError()): the saved state says \(length) bytes were written to it")
            }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else {
                let reason = Self.lastError()
                close(descriptor)
                descriptor = -1
                throw AtomicFileError(path: temporaryPath, reason: reason)
            }
            guard Int64(info.st_size) >= length else {
                close(descriptor)
                descriptor = -1
                throw AtomicFileError(path: temporaryPath, reason: "holds \(info.st_size) bytes, but the saved state says \(length) were written to it (the file was cut or replaced)")
            }
        } else {
            descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC, 0o644)
            if descriptor < 0, errno == ENOENT || errno == ENOTDIR {
                // The folder is what is missing: name it and the file asked for, not the
                // temporary `.partial` the user never gave.
                let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
                throw AtomicFileError(path: path, reason: "cannot write it: its folder \(folder.isEmpty ? "/" : folder) does not exist or is not a folder")
            }
        }
        guard descriptor >= 0 else { throw AtomicFileError(path: temporaryPath, reason: Self.lastError()) }
        if let length {
            guard ftruncate(descriptor, off_t(length)) == 0, lseek(descriptor, off_t(length), SEEK_SET) == off_t(length) else {
                let reason = Self.lastError()
                close(descriptor)
                descriptor = -1
                throw AtomicFileError(path: temporaryPath, reason: reason)
            }
            bytesWritten = length
        }
    }

    /// Syncs the partial file, so the `bytesWritten` bytes so far survive a crash; throws the
    /// first write failure, if any.
    public func sync() throws(AtomicFileError) {
        if failure == nil && descriptor >= 0 && fsync(descriptor) != 0 { failure = Self.lastError() }
        if let failure { throw AtomicFileError(path: temporaryPath, reason: failure) }
    }

    deinit {
        if keepsPartialFile {
            if descriptor >= 0 { close(descriptor) }
        } else {
            discard()
        }
    }

    /// Appends bytes; after a failure, later writes are ignored (see `failure`).
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, descriptor >= 0, let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = systemWrite(descriptor, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = Self.lastError()
                return
            }
            done += n
        }
        bytesWritten += Int64(done)
    }

    public func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write($0) } }

    /// Syncs, closes and renames the file into place; on any failure removes the partial file
    /// and throws with the final path and the reason.
    public func commit() throws(AtomicFileError) {
        guard descriptor >= 0 else { throw AtomicFileError(path: path, reason: "already closed") }
        if failure == nil && fsync(descriptor) != 0 { failure = Self.lastError() }
        close(descriptor)
        descriptor = -1
        if let failure {
            // A record that failed to complete (a full disk) stays as .partial when it is one a
            // run keeps (`keepsPartialFile`): its bytes up to the failure are still the record.
            if !keepsPartialFile { unlink(temporaryPath) }
            throw AtomicFileError(path: keepsPartialFile ? temporaryPath : path, reason: failure)
        }
        // rename(2) replaces the target in one step on the same file system.
        guard rename(temporaryPath, path) == 0 else {
            let reason = Self.lastError()
            unlink(temporaryPath)
            throw AtomicFileError(path: path, reason: reason)
        }
    }

    /// Closes and removes the partial file; the final name is left as it was.
    public func discard() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporaryPath)
    }

    /// Writes a whole file at once, atomically.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(AtomicFileError) {
        let file = try AtomicFile(path: path)
        file.write(bytes)
        try file.commit()
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(AtomicFileError) {
        let file = try AtomicFile(path: path)
        file.write(bytes)
        try file.commit()
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
