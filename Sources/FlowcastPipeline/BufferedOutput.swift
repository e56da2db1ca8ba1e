import FlowcastCore
internal import CFlowcastShims
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A byte buffer flushed to a file descriptor in large writes (stdout by default).
public final class BufferedOutput {
    public var buffer: [UInt8] = []
    let descriptor: Int32
    let threshold: Int

    public init(descriptor: Int32 = 1, threshold: Int = 1 << 16) {
        self.descriptor = descriptor
        self.threshold = threshold
        buffer.reserveCapacity(threshold + 4096)
    }

    /// Flushes when the buffer passes its threshold.
    public func flushIfNeeded() {
        if buffer.count >= threshold { flush() }
    }

    public func flush() {
        var written = 0
        buffer.withUnsafeBytes { raw in
            while written < raw.count && StandardOutput.failure(descriptor) == nil {
                let n = systemWrite(descriptor, raw.baseAddress! + written, raw.count - written)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    // A full disk, or EPIPE (the reader went away, SIGPIPE ignored): nothing more
                    // is written, and the run ends with the failure (`StandardOutput.finish`).
                    StandardOutput.failed(descriptor, n < 0 ? String(cString: strerror(errno)) : "nothing written")
                    break
                }
                written += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        flushIfNeeded()
    }

    deinit { if !buffer.isEmpty { flush() } }
}

/// The first failed write to standard output, whichever way it was written (`BufferedOutput`, or
/// `print` through C's stdio), so a command that lost output does not end with status 0.
public enum StandardOutput {
    nonisolated(unsafe) private static var firstFailure: String?

    static func failed(_ descriptor: Int32, _ reason: String) {
        if descriptor == 1 && firstFailure == nil { firstFailure = reason }
    }

    static func failure(_ descriptor: Int32) -> String? { descriptor == 1 ? firstFailure : nil }

    /// Flushes stdio's standard output; when it or any earlier write to it failed, says so on
    /// standard error and exits with status 2.
    public static func finish(command: String?) {
        let status = flowcast_stdout_status()
        if status > 0 { failed(1, String(cString: strerror(status))) } else if status < 0 { failed(1, "a write failed") }
        guard let reason = firstFailure else { return }
        printError("flowcast\(command.map { " " + $0 } ?? ""): cannot write standard output: \(reason); the output is incomplete")
        exit(2)
    }
}

@inline(__always) func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

/// Writes a line to standard error. Control, bidirectional and invisible characters other than
/// line breaks and tabs are shown as code points (`⟨U+001B⟩`): messages name files, filters and
/// URLs as given, and an escape sequence in one would rewrite the terminal.
public func printError(_ message: String) {
    let line = message.visible(keeping: ["\n", "\t"]) + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { systemWrite(2, $0.baseAddress!, $0.count - 1) }
}
