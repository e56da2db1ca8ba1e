import FlowcastCore

internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// An exclusive lock on a run's output folder (`flock` on `OUT/.flowcast.lock`, which holds the
/// owner's command and pid), so a second run on the same folder is refused before it moves
/// anything. `live` and `replay` (so `demo`) take it. The kernel drops the lock when the process
/// ends, however it ends, so a crashed run never leaves a stale one behind.
///
/// Until 7 December 2026 only `live` took it (as `.flowcast-live.lock`): a `replay` into a running
/// tap's folder removed the tap's windows and flows as "an interrupted run", and two replays into
/// one folder mixed their policies, each ending with status 0 or a misleading error (an audit).
public final class OutputFolderLock: @unchecked Sendable {
    public struct Busy: Error, CustomStringConvertible {
        public var path: String
        /// What the lock file says of its holder: "replay 1234", or a bare pid.
        public var owner: String?
        public var description: String {
            let parts = owner?.split(separator: " ") ?? []
            let holder = parts.count == 2 ? "another flowcast \(parts[0]) (pid \(parts[1]))"
                : "another flowcast run" + (owner.map { " (pid \($0))" } ?? "")
            return "in use by \(holder) holding \(path.visible); give each run its own --out"
        }
    }
    public struct Failed: Error, CustomStringConvertible {
        public var path: String, reason: String
        public var description: String { "cannot lock \(path.visible): \(reason)" }
    }

    public static let fileName = ".flowcast.lock"
    private var fd: Int32

    /// Locks `folder` (which must exist) for `command` ("live", "replay").
    public init(_ folder: String, command: String) throws {
        let path = folder + "/" + Self.fileName
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failed(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            if busy {
                let owner = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
                throw Busy(path: path, owner: owner.isEmpty ? nil : owner)
            }
            throw Failed(path: path, reason: reason)
        }
        let pid = Array("\(command) \(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    public func release() {
        guard fd >= 0 else { return }
        close(fd)  // drops the lock
        fd = -1
    }

    deinit { release() }
}
