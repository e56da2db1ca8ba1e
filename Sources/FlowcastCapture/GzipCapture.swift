internal import CZlib
internal import Foundation

/// A capture compressed with gzip (`tcpdump -w - | gzip`, rotated captures kept compressed).
/// tshark reads one as the capture inside, and so does Flowcast: the file is inflated through
/// zlib's `inflate` (concatenated members in turn) into a temporary file that the readers then
/// map or buffer like any capture; the file is unlinked once they hold it open, so nothing
/// is left behind. Inflating first keeps the per-packet path unchanged (records read in place);
/// it costs the inflated size in the temporary folder (`TMPDIR`) while the capture is read.
///
/// A stream that ends early or is corrupt keeps what was inflated before the fault: those packets
/// are read, and the fault ends the read as a cut capture does, naming the file.
enum GzipCapture {
    static let magic: (UInt8, UInt8) = (0x1F, 0x8B)

    /// Whether the file at `path` starts with gzip's magic number.
    static func isCompressed(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 2), head.count == 2 else { return false }
        return head[head.startIndex] == magic.0 && head[head.startIndex + 1] == magic.1
    }

    /// Inflates `path` into a new temporary file, unlinked at once and held open by the result
    /// (`InflatedCapture`), with why the stream ended before its end when it did: everything
    /// inflated before the fault is in the file (zlib's `inflate` directly, not `gzread`, which
    /// drops a whole call's output at a corrupt byte). Concatenated members are read in turn;
    /// bytes after the last that are not another member end the read as a fault naming them
    /// (tshark reads them as more capture and calls the file damaged).
    /// `source`: where the compressed bytes are read from when not `path` itself (a pipe's
    /// spooled copy, `spool`); errors name `path`.
    static func inflate(path: String, from source: String? = nil) throws(CaptureError) -> InflatedCapture {
        try intoTemporaryFile(path: path, from: source ?? path, purpose: "inflate it into") { input, output, folder throws(CaptureError) in
            InflatedCapture(path: path, descriptor: output, fault: try inflate(input, into: output, path: path, folder: folder))
        }
    }

    /// Whether `path` is a pipe, a socket or a device (`/dev/stdin` from `tcpdump -w - |`): a
    /// stream read once, where the readers open a capture more than once (its magic number, then
    /// libpcap's check, then the read). Its first bytes went to the first open: such a capture was
    /// refused with a wrong magic number ("unknown magic number b2 a1 2 0").
    static func isStream(path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let kind = status.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFCHR || kind == S_IFSOCK
    }

    /// Copies a stream (`isStream`) to its end into a temporary file read as the capture, as a
    /// gzip file is inflated into one (same folder, same reserve of free space).
    static func spool(path: String) throws(CaptureError) -> InflatedCapture {
        try intoTemporaryFile(path: path, from: path, purpose: "copy the stream into") { input, output, folder throws(CaptureError) in
            let chunk = 1 << 18
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
            defer { buffer.deallocate() }
            var sink = TemporaryFileSink(output: output, path: path, folder: folder, purpose: "copy the stream into")
            while true {
                let n = read(input, buffer, chunk)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw .missingFile(path: path, reason: "reading the stream failed (\(String(cString: strerror(errno))))") }
                if n == 0 { break }
                try sink.write(buffer, count: n)
            }
            return InflatedCapture(path: path, descriptor: output, fault: nil, compressed: false)
        }
    }

    /// Opens `source`, makes a temporary file in `TMPDIR` (unlinked at once: nothing is left
    /// behind, even by a killed process; the descriptor keeps it until the last reader lets it
    /// go), and hands both to `fill`, which returns the capture holding the file open.
    private static func intoTemporaryFile(path: String, from source: String, purpose: String,
                                          _ fill: (Int32, Int32, String) throws(CaptureError) -> InflatedCapture) throws(CaptureError) -> InflatedCapture {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw .missingFile(path: path, reason: "cannot open for reading (\(String(cString: strerror(errno))))")
        }
        defer { close(input) }
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(folder)/flowcast-gunzip-XXXXXX".utf8CString)
        let output = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard output >= 0 else {
            throw .missingFile(path: path, reason: "cannot make a temporary file in \(folder) to \(purpose) (\(String(cString: strerror(errno))))")
        }
        _ = fcntl(output, F_SETFD, FD_CLOEXEC)  // not inherited by tools the run starts
        unlink(String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        do throws(CaptureError) {
            return try fill(input, output, folder)
        } catch {
            close(output)
            throw error
        }
    }

    /// How often (bytes inflated) the temporary folder's free space is checked.
    static let spaceCheckEvery = 64 << 20

    /// Why inflating must stop: the folder would keep less than a reserve free (1 GiB, or a
    /// twentieth of a smaller file system). A hostile or huge stream must not fill the machine's
    /// temporary folder; tshark, which inflates as it reads, needs no such room.
    static func spaceRunningOut(_ fd: Int32, folder: String) -> String? {
        var info = statvfs()
        guard fstatvfs(fd, &info) == 0 else { return nil }
        let free = Int(info.f_bavail) * Int(info.f_frsize), size = Int(info.f_blocks) * Int(info.f_frsize)
        let reserve = min(1 << 30, size / 20)
        guard free < reserve else { return nil }
        return "inflating it would leave less than \(reserve >> 20) MiB free in \(folder) "
            + "(set TMPDIR to a folder with room for the capture inside, or gunzip it first)"
    }

    private static func inflate(_ input: Int32, into output: Int32, path: String, folder: String) throws(CaptureError) -> String? {
        let chunk = 1 << 18
        let inBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        let outBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { inBuffer.deallocate(); outBuffer.deallocate() }
        var stream = z_stream()
        // 15 + 32: a 32 KiB window, gzip or zlib header detected.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt(path: path, packet: nil, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var memberEnded = false
        var sink = TemporaryFileSink(output: output, path: path, folder: folder, purpose: "inflate it into")
        while true {
            let n = read(input, inBuffer, chunk)
            if n < 0 { return "reading the compressed file failed (\(String(cString: strerror(errno))))" }
            if n == 0 { return memberEnded ? nil : "the gzip stream is cut short" }
            stream.next_in = inBuffer
            stream.avail_in = UInt32(n)
            // Until this input is used and the output stopped short of filling the buffer
            // (a full buffer may leave output inside zlib).
            while true {
                if memberEnded {
                    if stream.avail_in == 0 { break }
                    // Another member, or trailing bytes that are not one: read no further, and say
                    // so (they were ignored without a word; tshark calls such a file damaged).
                    guard stream.avail_in < 2 || (stream.next_in[0] == magic.0 && stream.next_in[1] == magic.1) else {
                        return "bytes after the end of the gzip stream are not another gzip member (not read)"
                    }
                    inflateReset(&stream)
                    memberEnded = false
                }
                stream.next_out = outBuffer
                stream.avail_out = UInt32(chunk)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                try sink.write(outBuffer, count: chunk - Int(stream.avail_out))
                switch status {
                case Z_OK: break
                case Z_BUF_ERROR: if stream.avail_in == 0 { break } else { continue }
                case Z_STREAM_END: memberEnded = true; continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    // Deflate finds damage late (its checksum only at the end): the bytes inflated
                    // before may be garbage already. An audit's replay of a stream damaged at its
                    // 200,000th byte read 8,300 packets of garbage before the check failed, and the
                    // message said everything before the packet it named was written.
                    return "the gzip stream is corrupt (\(message)), so what was inflated before this point may be damaged too"
                }
                if stream.avail_in == 0 && stream.avail_out != 0 { break }
            }
        }
    }
}

/// Writes whole buffers to a temporary capture file, checking the folder's free space every
/// `GzipCapture.spaceCheckEvery` bytes (one writer for inflating and for copying a stream).
struct TemporaryFileSink {
    let output: Int32, path: String, folder: String
    /// What the file is for, in its error: `inflate it into`, `copy the stream into`.
    let purpose: String
    private var total = 0, nextSpaceCheck = GzipCapture.spaceCheckEvery

    init(output: Int32, path: String, folder: String, purpose: String) {
        self.output = output; self.path = path; self.folder = folder; self.purpose = purpose
    }

    mutating func write(_ bytes: UnsafeMutablePointer<UInt8>, count: Int) throws(CaptureError) {
        var written = 0
        while written < count {
            let w = Glibc.write(output, bytes + written, count - written)
            guard w > 0 else {
                throw .missingFile(path: path, reason: "cannot \(purpose) \(folder) (\(String(cString: strerror(errno))))")
            }
            written += w
        }
        total += count
        if total >= nextSpaceCheck {
            nextSpaceCheck = total + GzipCapture.spaceCheckEvery
            if let reason = GzipCapture.spaceRunningOut(output, folder: folder) { throw .missingFile(path: path, reason: reason) }
        }
    }
}

/// A gzip capture inflated once, for as many reads as its holder makes: `replay` opens its
/// capture up to four times (the filter check, the pass that infers cells and links, the check
/// that it opens, the run), and inflated it each time before this. The inflated file has no name;
/// readers open it through `/proc/self/fd` while this object lives. Linux only, as the rest of
/// capture reading is.
public final class InflatedCapture: Sendable {
    /// The compressed file: what errors and summaries name.
    public let path: String
    /// A path that opens the inflated capture while this object lives.
    let source: String
    /// Why the compressed stream ended before its end, when it did.
    let fault: String?
    /// False for a stream copied as it was (`GzipCapture.spool`): not compressed.
    public let compressed: Bool
    private let descriptor: Int32

    init(path: String, descriptor: Int32, fault: String?, compressed: Bool = true) {
        self.path = path
        self.descriptor = descriptor
        self.fault = fault
        self.compressed = compressed
        source = "/proc/self/fd/\(descriptor)"
    }

    /// The capture at `path` inflated, when it is gzip-compressed, or copied, when it is a pipe or
    /// a device (`GzipCapture.isStream`), inflated too if compressed; nil for any other file (and
    /// for one that cannot be opened: opening it reports that).
    public static func ifCompressed(path: String) throws(CaptureError) -> InflatedCapture? {
        if GzipCapture.isStream(path: path) {
            let spooled = try GzipCapture.spool(path: path)
            guard GzipCapture.isCompressed(path: spooled.source) else { return spooled }
            return try GzipCapture.inflate(path: path, from: spooled.source)
        }
        return GzipCapture.isCompressed(path: path) ? try GzipCapture.inflate(path: path) : nil
    }

    deinit { close(descriptor) }
}
