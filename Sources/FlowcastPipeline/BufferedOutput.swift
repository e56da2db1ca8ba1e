import FlowcastCore
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
            while written < raw.count {
                let n = systemWrite(descriptor, raw.baseAddress! + written, raw.count - written)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    break  // EPIPE (reader went away): stop writing, as `head` expects
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
