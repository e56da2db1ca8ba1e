public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process a test starts: `flowcast`, a collector, a server, a tool.
///
/// Written on `posix_spawn` and `waitpid` instead of Foundation's `Process`, for three reasons
/// that each hung or skewed the suite on a loaded 2-core machine:
/// - `Process` builds its list of descriptors to close before it spawns; a pipe another test
///   opens in between reaches the child, and whoever reads that pipe to its end waits for an
///   unrelated process to exit (for a server that lives until the suite ends: forever).
///   Here the child closes every descriptor from 3 up (`posix_spawn_file_actions_addclosefrom_np`).
/// - `Process` passes on the signal mask of the thread that starts it, and a test worker thread
///   may block SIGTERM (dispatch signal sources do so); the child then never sees the SIGTERM a
///   test sends. Here the child starts with an empty mask and default handlers.
/// - `Process.waitUntilExit` spins a run loop and waits without a bound. Every wait here has a
///   deadline; past it the child is killed and `wait` throws, naming the command and its output.
///
/// Output goes to files, not pipes: nothing can block on a full pipe, and nothing waits for an
/// end of file that another process holds back.
public final class ChildProcess: @unchecked Sendable {
    /// Where standard output or standard error goes.
    public enum Output: Sendable {
        /// A temporary file, read back by `stdout` / `stderr`, removed with the object.
        case capture
        /// The named file, created or truncated.
        case file(String)
        /// Standard error only: the same file as standard output.
        case standardOutput
        case null
    }

    /// How the child ended.
    public enum Termination: Sendable, Equatable {
        case exit(Int32)
        case signal(Int32)
    }

    /// The child did not end within the wait's deadline; it has been killed and reaped.
    public struct TimedOut: Error, CustomStringConvertible {
        public var description: String
    }

    public let processIdentifier: pid_t
    public let command: String
    private let stdoutPath: String?
    private let stderrPath: String?
    private let temporaryFiles: [String]
    private let lock = NSLock()
    private var ended: Termination?

    // glibc's posix_spawn extensions (2.29 and 2.34 on), which the Glibc module does not import.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
    private static let addChangeDirectory: AddChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChangeDirectory.self) }

    /// Starts `executable` with `arguments` (without argv[0]) in `currentDirectory`.
    public init(_ executable: String, _ arguments: [String], currentDirectory: String? = nil,
                stdout: Output = .capture, stderr: Output = .capture, environment: [String: String]? = nil) throws {
        command = ([executable] + arguments).joined(separator: " ")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var temporary: [String] = []
        func path(of output: Output) -> String? {
            switch output {
            case .capture:
                let p = Scratch.root.appendingPathComponent("flowcast-child-\(UUID().uuidString).log").path
                temporary.append(p)
                return p
            case .file(let p): return p
            case .standardOutput, .null: return nil
            }
        }
        let outPath = path(of: stdout), errPath = path(of: stderr)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if case .standardOutput = stderr {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, errPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        guard let closeFrom = Self.addCloseFrom, let changeDirectory = Self.addChangeDirectory else {
            throw POSIXError(.ENOSYS)
        }
        _ = closeFrom(&actions, 3)
        if let currentDirectory { _ = changeDirectory(&actions, currentDirectory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty); sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let status: Int32
        if let environment {
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for p in envp { free(p) } }
            status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        } else {
            status = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        }
        guard status == 0 else {
            for p in temporary { try? FileManager.default.removeItem(atPath: p) }
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL)
        }
        processIdentifier = child
        stdoutPath = outPath
        if case .standardOutput = stderr { stderrPath = outPath } else { stderrPath = errPath }
        temporaryFiles = temporary
    }

    /// Starts the `flowcast` under test in the repository root.
    public convenience init(flowcast arguments: [String], currentDirectory: URL? = nil,
                            stdout: Output = .capture, stderr: Output = .capture) throws {
        try self.init(Fixtures.flowcastExecutable.path, arguments, currentDirectory: (currentDirectory ?? Fixtures.repositoryRoot).path,
                      stdout: stdout, stderr: stderr)
    }

    deinit {
        if reap(blocking: false) == nil {
            kill(processIdentifier, SIGKILL)
            _ = reap(blocking: true)
        }
        for p in temporaryFiles { try? FileManager.default.removeItem(atPath: p) }
    }

    /// Reaps the child if it has ended (or, blocking, once it ends); nil while it runs.
    @discardableResult
    private func reap(blocking: Bool) -> Termination? {
        lock.lock(); defer { lock.unlock() }
        if let ended { return ended }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &status, blocking ? 0 : WNOHANG) } while result < 0 && errno == EINTR
        guard result == processIdentifier else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        let signalled = status & 0x7f
        ended = signalled == 0 ? .exit((status >> 8) & 0xff) : .signal(signalled)
        return ended
    }

    public var isRunning: Bool { reap(blocking: false) == nil }

    /// How it ended, or nil while it runs.
    public var termination: Termination? { reap(blocking: false) }

    /// The exit status, or 128 + N for signal N (as a shell reports it); -1 while it runs.
    public var terminationStatus: Int32 {
        switch termination {
        case .exit(let code): return code
        case .signal(let n): return 128 + n
        case nil: return -1
        }
    }

    public var wasKilledBySignal: Bool {
        if case .signal = termination { return true }
        return false
    }

    public func signal(_ number: Int32) {
        if isRunning { kill(processIdentifier, number) }
    }

    /// Waits for the end, at most `timeout` seconds; past that the child is killed (SIGKILL),
    /// reaped, and this throws, naming the command and the end of its output.
    @discardableResult
    public func wait(timeout: Double = 300) throws -> Termination {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: UInt32 = 1_000
        while Date() < deadline {
            if let ended = reap(blocking: false) { return ended }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        if let ended = reap(blocking: false) { return ended }
        kill(processIdentifier, SIGKILL)
        _ = reap(blocking: true)
        throw TimedOut(description: "\(command): still running after \(Int(timeout)) s; killed. Its output ends: "
                       + String(stderr.suffix(2000)))
    }

    /// SIGTERM (or `number`), then `wait(timeout:)`.
    @discardableResult
    public func stop(_ number: Int32 = SIGTERM, timeout: Double = 120) throws -> Termination {
        signal(number)
        return try wait(timeout: timeout)
    }

    /// Everything written to standard output so far ("" for `.null`).
    public var stdout: String { Self.read(stdoutPath) }
    /// Everything written to standard error so far ("" for `.null`).
    public var stderr: String { Self.read(stderrPath) }

    private static func read(_ path: String?) -> String {
        guard let path, let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a command to its end (at most `timeout` seconds) and returns its status and output.
    public static func run(_ executable: String, _ arguments: [String], currentDirectory: String? = nil,
                           environment: [String: String]? = nil, timeout: Double = 300) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(executable, arguments, currentDirectory: currentDirectory, environment: environment)
        try child.wait(timeout: timeout)
        return (child.terminationStatus, child.stdout, child.stderr)
    }
}
