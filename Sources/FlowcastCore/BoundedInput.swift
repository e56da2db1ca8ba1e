#if canImport(Glibc)
internal import Glibc
private let systemRead = Glibc.read
#elseif canImport(Musl)
internal import Musl
private let systemRead = Musl.read
#elseif canImport(Darwin)
internal import Darwin
private let systemRead = Darwin.read
#endif

/// How much of a text input Flowcast reads into memory: the whole file, and one line of it.
/// docs/limits.md lists every input's bounds and why each value was chosen.
public struct InputBounds: Sendable, Equatable {
    /// What the file is, for messages ("topology file", "model file" …).
    public var what: String
    public var maximumBytes: Int
    /// Bytes in one line (without its line end); equal to `maximumBytes` for formats where a
    /// whole document may legitimately sit on one line (JSON).
    public var maximumLineBytes: Int

    public init(what: String, maximumBytes: Int, maximumLineBytes: Int) {
        self.what = what; self.maximumBytes = maximumBytes; self.maximumLineBytes = min(maximumLineBytes, maximumBytes)
    }
}

/// A text input that could not be read within its bounds (or at all); names the file and, for
/// an overlong line, the line.
public struct BoundedInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// The operating system's words.
        case unreadable(String)
        /// The file holds more than the bound (`bytes` is its size, or the bytes read before the
        /// bound was crossed for a file whose size is not known ahead, such as a pipe).
        case tooLarge(bytes: Int, limit: Int)
        /// Line `line` (1-based) is longer than the bound.
        case lineTooLong(line: Int, limit: Int)
    }

    public var path: String
    public var what: String
    public var problem: Problem

    public init(path: String, what: String, problem: Problem) { self.path = path; self.what = what; self.problem = problem }

    /// The 1-based line, or 0 when the problem concerns the whole file.
    public var line: Int { if case .lineTooLong(let line, _) = problem { return line }; return 0 }

    /// The message without the file and line (for callers that prefix them in their own form).
    public var reason: String {
        switch problem {
        case .unreadable(let reason): return "cannot read the \(what): \(reason)"
        case .tooLarge(let bytes, let limit):
            return "the \(what) is \(bytes) bytes, more than the bound of \(limit) bytes (docs/limits.md)"
        case .lineTooLong(_, let limit):
            return "line longer than \(limit) bytes, the bound for a line of a \(what) (docs/limits.md)"
        }
    }

    public var description: String { line > 0 ? "\(path.visible):\(line): \(reason)" : "\(path.visible): \(reason)" }
}

/// Reads text inputs whole, but never beyond their bounds: a regular file's size is checked
/// before a byte is read, and lines are measured as the bytes arrive, so a multi-gigabyte line
/// (or a pipe that never ends) stops with an error once the bound is crossed, having held at most
/// the bound in memory.
public enum BoundedInput {
    /// The file's bytes; throws when it is unreadable or beyond `bounds`.
    public static func read(path: String, bounds: InputBounds) throws(BoundedInputError) -> [UInt8] {
        func fail(_ problem: BoundedInputError.Problem) -> BoundedInputError {
            BoundedInputError(path: path, what: bounds.what, problem: problem)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail(.unreadable(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail(.unreadable(String(cString: strerror(errno)))) }
        if info.st_mode & S_IFMT == S_IFDIR { throw fail(.unreadable("is a folder")) }
        let regular = info.st_mode & S_IFMT == S_IFREG
        if regular && Int(info.st_size) > bounds.maximumBytes {
            throw fail(.tooLarge(bytes: Int(info.st_size), limit: bounds.maximumBytes))
        }
        var bytes: [UInt8] = []
        if regular { bytes.reserveCapacity(Int(info.st_size)) }
        // A regular file is read in chunks of its own size (plus one byte, so that the read that
        // finds its end is the second), up to 1 MiB: zeroing a 1 MiB chunk for a 2 KB policy
        // cost more than reading it.
        let chunkSize = regular ? min(1 << 20, max(4096, Int(info.st_size) + 1)) : 1 << 20
        var line = 1, lineLength = 0
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, chunkSize) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(.unreadable(String(cString: strerror(errno))))
            }
            if n == 0 { break }
            if bytes.count + n > bounds.maximumBytes {
                throw fail(.tooLarge(bytes: bytes.count + n, limit: bounds.maximumBytes))
            }
            // Line lengths, newline to newline (a `\r` before `\n` counts toward its line).
            let overlong: Bool = chunk.withUnsafeBytes { raw in
                let base = raw.baseAddress!
                var at = 0
                while at < n {
                    let found = memchr(base + at, 10, n - at)
                    let end = found.map { UnsafeRawPointer($0) - base } ?? n
                    lineLength += end - at
                    if lineLength > bounds.maximumLineBytes { return true }
                    if found == nil { break }
                    line += 1; lineLength = 0; at = end + 1
                }
                return false
            }
            if overlong { throw fail(.lineTooLong(line: line, limit: bounds.maximumLineBytes)) }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}
