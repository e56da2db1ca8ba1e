internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// One message on its way to NATS.
struct OutgoingMessage: Sendable {
    var subject: String
    var id: String
    var payload: [UInt8]
    var byteCount: Int { subject.utf8.count + id.utf8.count + payload.count + 12 }
}

/// Messages the server has not acknowledged, on disk under `DIR/publish-spool/` while it is
/// unreachable. New ones are appended to `active.spool`; to re-send, the file is renamed to
/// `sending.spool` and read back, and it is removed only once every message read from it was
/// acknowledged (or appended to `active.spool` again). A tap that dies leaves both files; the next
/// tap with the same `--out` re-sends them. Record: three little-endian UInt32 lengths (subject,
/// id, payload), then the bytes; a torn last record is ignored.
final class PublishSpool {
    let directory: String
    let limitBytes: Int64
    private var activePath: String { directory + "/active.spool" }
    private var sendingPath: String { directory + "/sending.spool" }
    private var descriptor: Int32 = -1
    private(set) var activeBytes: Int64 = 0
    private(set) var sendingBytes: Int64 = 0
    /// Messages of `sending.spool` not yet resolved (acknowledged or spooled again).
    var sendingOutstanding = 0
    private(set) var failure: String?
    /// Ids of the messages in `active.spool`: a message whose id is there already is not written
    /// again (ids carry the content, so it is the same message). Until 7 December 2026 a tap rerun
    /// while the stream refused its messages spooled each twice (the spooled copy re-sent and
    /// refused, and the same window published anew and refused), and each rerun added a copy: an
    /// audit's spool of 701 messages read 1,402, then 2,103 "not taken".
    private var activeIDs: Set<String> = []

    init(directory: String, limitBytes: Int64) throws {
        self.directory = directory
        self.limitBytes = limitBytes
        do { try OutputFolder.create(directory) } catch {
            throw ReplayError.output(path: directory, reason: "cannot create the spool folder: \(error.reason)")
        }
        activeBytes = Self.size(activePath)
        sendingBytes = Self.size(sendingPath)
        if activeBytes > 0, let data = FileManager.default.contents(atPath: activePath) {
            activeIDs = Set(Self.parse([UInt8](data)).map(\.id))
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : 0
    }

    var isEmpty: Bool { activeBytes == 0 && sendingBytes == 0 }
    var hasSendingFile: Bool { sendingBytes > 0 || access(sendingPath, F_OK) == 0 }

    /// Appends a message (nothing when `active.spool` holds its id already); false when the spool
    /// is full (the caller counts it dropped) or the disk fails.
    func append(_ m: OutgoingMessage) -> Bool {
        if activeIDs.contains(m.id) { return true }
        guard activeBytes + sendingBytes + Int64(m.byteCount) <= limitBytes else { return false }
        if descriptor < 0 {
            descriptor = open(activePath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard descriptor >= 0 else { failure = "\(activePath): \(String(cString: strerror(errno)))"; return false }
        }
        var record: [UInt8] = []
        record.reserveCapacity(m.byteCount)
        for n in [m.subject.utf8.count, m.id.utf8.count, m.payload.count] {
            let v = UInt32(n)
            record.append(UInt8(v & 0xFF)); record.append(UInt8((v >> 8) & 0xFF))
            record.append(UInt8((v >> 16) & 0xFF)); record.append(UInt8(v >> 24))
        }
        record.append(contentsOf: m.subject.utf8); record.append(contentsOf: m.id.utf8); record.append(contentsOf: m.payload)
        let ok = record.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = write(descriptor, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; return false }
                done += n
            }
            return true
        }
        guard ok else { failure = "\(activePath): \(String(cString: strerror(errno)))"; return false }
        activeBytes += Int64(record.count)
        activeIDs.insert(m.id)
        return true
    }

    /// Moves `active.spool` aside as `sending.spool` (when no earlier one is still being re-sent)
    /// and returns its messages; [] when there is nothing to re-send.
    func takeForResend() -> [OutgoingMessage] {
        guard sendingOutstanding == 0 else { return [] }
        if !hasSendingFile {
            guard activeBytes > 0 else { return [] }
            if descriptor >= 0 { close(descriptor); descriptor = -1 }
            guard rename(activePath, sendingPath) == 0 else { return [] }
            sendingBytes = activeBytes
            activeBytes = 0
            activeIDs = []
        }
        guard let data = FileManager.default.contents(atPath: sendingPath) else { return [] }
        let messages = Self.parse([UInt8](data))
        sendingOutstanding = messages.count
        if messages.isEmpty { finishedSending() }
        return messages
    }

    /// Every message of `sending.spool` is resolved: remove it.
    func finishedSending() {
        unlink(sendingPath)
        sendingBytes = 0
        sendingOutstanding = 0
    }

    static func parse(_ bytes: [UInt8]) -> [OutgoingMessage] {
        var out: [OutgoingMessage] = []
        var i = 0
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        while i + 12 <= bytes.count {
            let s = u32(i), d = u32(i + 4), p = u32(i + 8)
            let end = i + 12 + s + d + p
            guard end <= bytes.count else { break }
            let subject = String(decoding: bytes[(i + 12)..<(i + 12 + s)], as: UTF8.self)
            let id = String(decoding: bytes[(i + 12 + s)..<(i + 12 + s + d)], as: UTF8.self)
            out.append(OutgoingMessage(subject: subject, id: id, payload: Array(bytes[(i + 12 + s + d)..<end])))
            i = end
        }
        return out
    }
}
