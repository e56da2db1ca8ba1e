public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one folder a test process writes its temporary files and folders under:
/// `$TMPDIR/flowcast-tests-<pid>`, removed when the process exits.
///
/// Until 7 December 2026 tests wrote straight into the system's temporary folder and many left
/// what they wrote there (output folders of replays, planners and JetStream stores): each run of
/// the suite left about 600 MB in /tmp. A test that cleans up after itself still should; what one
/// forgets, or what a failing test leaves, goes with the process. A folder of a test process that
/// no longer runs (one that crashed or was killed) is removed by the next process that starts.
public enum Scratch {
    public static let root: URL = {
        let base = FileManager.default.temporaryDirectory
        sweepAbandoned(in: base)
        let url = base.appendingPathComponent("\(prefix)\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    static let prefix = "flowcast-tests-"

    /// Folders of test processes that are gone.
    static func sweepAbandoned(in base: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(at: base.appendingPathComponent(name)) }
        }
    }
}
