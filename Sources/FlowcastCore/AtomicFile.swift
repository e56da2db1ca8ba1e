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
    /// The final name, as given (messages name it).
    public let path: String
    /// Where the bytes go until `commit`: `NAME.partial` beside the file the name stands for
    /// (through symbolic links), or the name itself when it is not a regular file (`writesThrough`).
    public let temporaryPath: String
    /// The name is a device, a FIFO or a socket (`/dev/stdout`, a named pipe, `/dev/null`): bytes go
    /// straight to it, with nothing to rename or remove. Until 7 December 2026 `NAME.partial` was
    /// renamed over whatever the name was: `synth --out /dev/full` replaced the system's device
    /// with a regular file, a FIFO a reader waited on vanished, and a symbolic link became a copy
    /// (an audit).
    public let writesThrough: Bool
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
    ///
    /// The partial file is locked (`flock`) while it is written, so a second writer of the same
    /// file is refused, naming it, instead of both writing one `NAME.partial` and one of them
    /// committing the other's bytes (an audit: two `evaluate --forecasts` to one file).
    public init(path: String, resumingAt length: Int64? = nil) throws(AtomicFileError) {
        self.path = path
        keepsPartialFile = length != nil
        guard !path.isEmpty else { throw AtomicFileError(path: "\"\"", reason: "an empty name: give a file") }
        // What the name stands for: a regular file (or nothing yet) is replaced by renaming a
        // sibling of the file itself, so a symbolic link stays a link to the new file.
        var target = path
        var throughLink = stat()
        var linkInfo = stat()
        if length == nil, lstat(path, &linkInfo) == 0, linkInfo.st_mode & S_IFMT == S_IFLNK {
            guard stat(path, &throughLink) == 0 else {
                let loop = errno == ELOOP
                throw AtomicFileError(path: path, reason: loop ? "a loop of symbolic links" : "a symbolic link to a missing file (\(Self.lastError()))")
            }
            if throughLink.st_mode & S_IFMT == S_IFREG, let resolved = realpath(path, nil) {
                target = String(cString: resolved)
                free(resolved)
            }
        }
        var existing = stat()
        let exists = length == nil && stat(target, &existing) == 0
        let kind = existing.st_mode & S_IFMT
        if exists && kind == S_IFDIR { throw AtomicFileError(path: path, reason: "is a folder, not a file") }
        // A name under /dev or /proc is the process's own stream or a device even when it leads to
        // a regular file (`--out /dev/stdout > file`: renaming over the file would lose the bytes
        // from the shell's descriptor).
        writesThrough = exists && (kind != S_IFREG || path.hasPrefix("/dev/") || path.hasPrefix("/proc/"))
        if writesThrough {
            temporaryPath = path
            descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw AtomicFileError(path: path, reason: Self.lastError()) }
            return
        }
        temporaryPath = target + ".partial"
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
            try lockPartialFile()
        } else {
            descriptor = -1
            // Open, lock, and check that the file locked is still the one under the name: a writer
            // that held it may have renamed it into place (and unlocked it) in between.
            for _ in 0..<8 {
                descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                if descriptor < 0, errno == ENOENT || errno == ENOTDIR {
                    // The folder is what is missing: name it and the file asked for, not the
                    // temporary `.partial` the user never gave.
                    let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
                    throw AtomicFileError(path: path, reason: "cannot write it: its folder \(folder.isEmpty ? "/" : folder) does not exist or is not a folder")
                }
                guard descriptor >= 0 else {
                    throw AtomicFileError(path: path, reason: "\(Self.lastError()) (writing its temporary file \(Self.name(temporaryPath)))")
                }
                try lockPartialFile()
                var held = stat(), named = stat()
                if fstat(descriptor, &held) == 0, stat(temporaryPath, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                    break
                }
                close(descriptor)
                descriptor = -1
            }
            guard descriptor >= 0, ftruncate(descriptor, 0) == 0 else {
                let reason = descriptor >= 0 ? Self.lastError() : "its temporary file kept being replaced"
                if descriptor >= 0 { close(descriptor); descriptor = -1 }
                throw AtomicFileError(path: path, reason: reason)
            }
            // The file it replaces keeps its permissions (and, for root, its owner).
            if exists {
                _ = fchmod(descriptor, existing.st_mode & 0o7777)
                if getuid() == 0 { _ = fchown(descriptor, existing.st_uid, existing.st_gid) }
            }
        }
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

    /// Takes the partial file's lock, or throws naming the file when another writer holds it.
    private func lockPartialFile() throws(AtomicFileError) {
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = Self.lastError()
            close(descriptor)
            descriptor = -1
            throw AtomicFileError(path: path, reason: busy
                ? "another process is writing it (its temporary file \(Self.name(temporaryPath)) is locked); give each run its own file"
                : "cannot lock its temporary file \(Self.name(temporaryPath)): \(reason)")
        }
    }

    private static func name(_ path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// Syncs the partial file, so the `bytesWritten` bytes so far survive a crash; throws the
    /// first write failure, if any.
    public func sync() throws(AtomicFileError) {
        if failure == nil && descriptor >= 0 && !writesThrough && fsync(descriptor) != 0 { failure = Self.lastError() }
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
        if writesThrough {
            close(descriptor)
            descriptor = -1
            if let failure { throw AtomicFileError(path: path, reason: failure) }
            return
        }
        if failure == nil && fsync(descriptor) != 0 { failure = Self.lastError() }
        if let failure {
            // A record that failed to complete (a full disk) stays as .partial when it is one a
            // run keeps (`keepsPartialFile`): its bytes up to the failure are still the record.
            if !keepsPartialFile { unlink(temporaryPath) }
            close(descriptor)
            descriptor = -1
            throw AtomicFileError(path: keepsPartialFile ? temporaryPath : path, reason: failure)
        }
        // rename(2) replaces the target in one step on the same file system; the lock is held
        // until then, so no second writer truncates the file between its last byte and its rename.
        let final = String(temporaryPath.dropLast(".partial".count))
        guard rename(temporaryPath, final) == 0 else {
            let reason = Self.lastError()
            unlink(temporaryPath)
            close(descriptor)
            descriptor = -1
            throw AtomicFileError(path: path, reason: reason)
        }
        close(descriptor)
        descriptor = -1
    }

    /// Closes and removes the partial file; the final name is left as it was.
    public func discard() {
        guard descriptor >= 0 else { return }
        if !writesThrough { unlink(temporaryPath) }
        close(descriptor)
        descriptor = -1
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
