import FlowcastCore

internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// An exclusive lock on a live run's output folder (`flock` on `OUT/.flowcast-live.lock`, which
/// holds the owner's pid), so a second run on the same folder is refused before it moves anything.
/// The kernel drops the lock when the process ends, however it ends, so a crashed tap never
/// leaves a stale one behind.
final class OutputFolderLock: @unchecked Sendable {
    struct Busy: Error, CustomStringConvertible {
        var path: String
        var owner: String?
        var description: String {
            "in use by another flowcast live" + (owner.map { " (pid \($0))" } ?? "")
                + " holding \(path.visible); give each run its own --out"
        }
    }
    struct Failed: Error, CustomStringConvertible {
        var path: String, reason: String
        var description: String { "cannot lock \(path.visible): \(reason)" }
    }

    static let fileName = ".flowcast-live.lock"
    private var fd: Int32

    init(_ folder: String) throws {
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
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
    }

    func release() {
        guard fd >= 0 else { return }
        close(fd)  // drops the lock
        fd = -1
    }

    deinit { release() }
}
