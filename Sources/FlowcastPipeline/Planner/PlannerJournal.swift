internal import FlowcastCore
#if canImport(Glibc)
internal import Glibc
#endif

/// The planner's journal (OUT/planner-journal.bin): every batch taken from the stream since the
/// last full save of planner-state.json, appended as it is read, so saving before an
/// acknowledgement costs what came in rather than the whole state (which, with one site far
/// behind the others, holds every other site's lines of the windows it has not closed).
///
/// A batch is its messages (subject, payload, stored time, stream sequence) and the clock the planner released
/// windows with after ingesting them: `SiteMerger` and `IntervalPlanner` are deterministic, so a
/// restarted planner that loads the state and replays the journal's batches in order is where the
/// killed one was. The file starts with a magic and the generation of the state it follows; a
/// journal of another generation (the state was saved after it) is ignored. Each record carries
/// its length and a checksum, so a record torn by a kill is dropped: its messages were not
/// acknowledged, and the stream delivers them again.
final class PlannerJournal {
    struct Message {
        var subject: String
        var payload: [UInt8]
        /// When the stream stored it (s since the epoch): the message's lateness clock.
        var stored: Double
        /// Its sequence in the stream, for the log (0: unknown, as in a journal written before
        /// the sequence was kept).
        var sequence: UInt64 = 0
    }

    struct Batch {
        var clock: Double
        var messages: [Message]
    }

    /// Version 2 keeps each message's stream sequence; a version 1 journal (without it) is still
    /// read, and appended to in its own format until the next reset starts a version 2 one.
    static let magic: [UInt8] = Array("FCJRNL02".utf8)
    static let magicVersion1: [UInt8] = Array("FCJRNL01".utf8)

    let path: String
    private(set) var generation: UInt64
    private var descriptor: Int32 = -1
    /// Bytes in the file, the header included.
    private(set) var bytes: Int64 = 0
    private var buffer: [UInt8] = []
    /// Whether records carry stream sequences (version 2), as the open file's magic says.
    private var withSequences = true

    /// Opens the journal following state generation `generation`: `batches` are the complete
    /// records of a journal of that generation (empty for any other, or none); a torn tail is cut off.
    init(path: String, generation: UInt64) throws(AtomicFileError) {
        self.path = path
        self.generation = generation
        if let data = Self.read(path), data.count >= 16, [Self.magic, Self.magicVersion1].contains(Array(data[0..<8])),
           Self.uint64(data, at: 8) == generation {
            withSequences = Array(data[0..<8]) == Self.magic
            var offset = 16
            var found: [Batch] = []
            while let (batch, next) = Self.record(data, at: offset, withSequences: withSequences) {
                found.append(batch)
                offset = next
            }
            batches = found
            descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0, ftruncate(descriptor, off_t(offset)) == 0, lseek(descriptor, off_t(offset), SEEK_SET) == off_t(offset) else {
                throw AtomicFileError(path: path, reason: String(cString: strerror(errno)))
            }
            bytes = Int64(offset)
        } else {
            batches = []
            try reset(generation: generation)
        }
    }

    /// The batches found on opening, to replay (then dropped by the caller).
    var batches: [Batch]

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Starts an empty journal for state generation `generation` (after that state is saved).
    func reset(generation: UInt64) throws(AtomicFileError) {
        if descriptor >= 0 { close(descriptor); descriptor = -1 }
        var header = Self.magic
        Self.append(generation, to: &header)
        try AtomicFile.write(header, to: path)
        descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw AtomicFileError(path: path, reason: String(cString: strerror(errno))) }
        self.generation = generation
        withSequences = true
        bytes = Int64(header.count)
    }

    /// Appends one batch (written to the file at once; durable after `sync()`).
    func append(clock: Double, messages: some Collection<Message>) throws(AtomicFileError) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: [0, 0, 0, 0])  // body length, filled in below
        Self.append(clock.bitPattern, to: &buffer)
        Self.append(UInt32(messages.count), to: &buffer)
        for m in messages {
            Self.append(m.stored.bitPattern, to: &buffer)
            if withSequences { Self.append(m.sequence, to: &buffer) }
            var subject = m.subject
            subject.withUTF8 { s in
                Self.append(UInt32(s.count), to: &buffer)
                buffer.append(contentsOf: s)
            }
            Self.append(UInt32(m.payload.count), to: &buffer)
            buffer.append(contentsOf: m.payload)
        }
        let body = UInt32(buffer.count - 4)
        for k in 0..<4 { buffer[k] = UInt8(truncatingIfNeeded: body >> (8 * k)) }
        Self.append(Self.checksum(buffer[4...]), to: &buffer)
        let failure = buffer.withUnsafeBytes { raw -> String? in
            var done = 0
            while done < raw.count {
                let n = write(descriptor, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                done += n
            }
            return nil
        }
        if let failure { throw AtomicFileError(path: path, reason: failure) }
        bytes += Int64(buffer.count)
    }

    /// Makes every appended batch survive a crash.
    func sync() throws(AtomicFileError) {
        guard fsync(descriptor) == 0 else { throw AtomicFileError(path: path, reason: String(cString: strerror(errno))) }
    }

    // MARK: format

    private static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var data = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        let ok = data.withUnsafeMutableBytes { raw -> Bool in
            while done < raw.count {
                let n = Glibc.read(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
        return ok ? data : nil
    }

    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    private static func append(_ v: UInt32, to out: inout [UInt8]) {
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    private static func uint64(_ d: [UInt8], at o: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(d[o + k]) << (8 * k) }
        return v
    }

    private static func uint32(_ d: [UInt8], at o: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(d[o + k]) << (8 * k) }
        return v
    }

    /// FNV-1a, 32 bits: enough to tell a torn or partly written record from a whole one.
    private static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var h: UInt32 = 2_166_136_261
            for b in buffer { h = (h ^ UInt32(b)) &* 16_777_619 }
            return h
        }
    }

    /// The record at `offset` and the offset after it, or nil when it is missing, torn or corrupt.
    private static func record(_ d: [UInt8], at offset: Int, withSequences: Bool) -> (Batch, Int)? {
        guard offset + 4 <= d.count else { return nil }
        let length = Int(uint32(d, at: offset))
        let start = offset + 4, end = start + length
        guard length >= 12, end + 4 <= d.count, checksum(d[start..<end]) == uint32(d, at: end) else { return nil }
        var o = start
        let clock = Double(bitPattern: uint64(d, at: o)); o += 8
        let count = Int(uint32(d, at: o)); o += 4
        var messages: [Message] = []
        messages.reserveCapacity(count)
        let fixed = withSequences ? 20 : 12
        for _ in 0..<count {
            guard o + fixed <= end else { return nil }
            let stored = Double(bitPattern: uint64(d, at: o)); o += 8
            var sequence: UInt64 = 0
            if withSequences { sequence = uint64(d, at: o); o += 8 }
            let subjectLength = Int(uint32(d, at: o)); o += 4
            guard o + subjectLength + 4 <= end else { return nil }
            let subject = String(decoding: d[o..<(o + subjectLength)], as: UTF8.self); o += subjectLength
            let payloadLength = Int(uint32(d, at: o)); o += 4
            guard o + payloadLength <= end else { return nil }
            messages.append(Message(subject: subject, payload: Array(d[o..<(o + payloadLength)]), stored: stored, sequence: sequence))
            o += payloadLength
        }
        guard o == end else { return nil }
        return (Batch(clock: clock, messages: messages), end + 4)
    }
}
