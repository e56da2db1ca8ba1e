internal import CNats
#if canImport(Glibc)
internal import Glibc
#endif

/// The parts of a JetStream stream's configuration Flowcast sets (`jsStreamConfig`); everything
/// else keeps the server's default. Storage is always file, retention always by limits.
public struct StreamConfiguration: Sendable, Equatable {
    public var name: String
    public var subjects: [String]
    /// Messages older than this are removed (ns).
    public var maxAgeNanoseconds: Int64
    /// Most bytes kept; the oldest messages are removed first (-1: no limit).
    public var maxBytes: Int64
    /// How long a message id is remembered for duplicate detection (ns).
    public var duplicateWindowNanoseconds: Int64
    /// Most messages kept (-1: no limit), and most per subject (-1: no limit).
    public var maxMessages: Int64 = -1
    public var maxMessagesPerSubject: Int64 = -1
    /// At a limit, refuse new messages (JetStream's discard new) rather than remove the oldest.
    public var discardNew = false

    public init(name: String, subjects: [String], maxAgeNanoseconds: Int64, maxBytes: Int64 = -1,
                duplicateWindowNanoseconds: Int64) {
        self.name = name; self.subjects = subjects; self.maxAgeNanoseconds = maxAgeNanoseconds
        self.maxBytes = maxBytes; self.duplicateWindowNanoseconds = duplicateWindowNanoseconds
    }
}

/// What `ensureStream` found.
public enum StreamEnsureResult: Sendable, Equatable {
    case created
    /// The stream existed; it is used as it is. `differences` lists each setting that differs
    /// from the wanted configuration (`maxAge: 86400s on the server, 604800s wanted`).
    case existing(differences: [String])
}

extension NATSConnection {
    /// Creates the stream when it is missing (`js_AddStream`); an existing stream is left as it is
    /// and compared with `configuration` (`js_GetStreamInfo`). Taps that start together race to
    /// create it: the one that loses is told "subjects overlap with an existing stream" (or that
    /// the name is in use), finds the stream there, and uses it as the others do.
    public func ensureStream(_ configuration: StreamConfiguration) throws(NATSError) -> StreamEnsureResult {
        if let existing = try existingStream(configuration) { return existing }
        var code = jsErrCode(rawValue: 0)
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        let name = strdup(configuration.name)
        let subjects = configuration.subjects.map { UnsafePointer(strdup($0)) }
        defer {
            free(name)
            for s in subjects { free(UnsafeMutableRawPointer(mutating: s)) }
        }
        config.Name = UnsafePointer(name)
        config.Storage = js_FileStorage
        config.Retention = js_LimitsPolicy
        config.Discard = configuration.discardNew ? js_DiscardNew : js_DiscardOld
        config.MaxAge = configuration.maxAgeNanoseconds
        config.MaxBytes = configuration.maxBytes
        config.MaxMsgs = configuration.maxMessages
        config.MaxMsgsPerSubject = configuration.maxMessagesPerSubject
        config.Duplicates = configuration.duplicateWindowNanoseconds
        var added: UnsafeMutablePointer<jsStreamInfo>? = nil
        code = jsErrCode(rawValue: 0)
        let addStatus = subjects.withUnsafeBufferPointer { buffer -> natsStatus in
            config.Subjects = UnsafeMutablePointer(mutating: buffer.baseAddress)
            config.SubjectsLen = Int32(buffer.count)
            return js_AddStream(&added, jetStream, &config, nil, &code)
        }
        if let added { jsStreamInfo_Destroy(added) }
        if addStatus != NATS_OK, let existing = try? existingStream(configuration) { return existing }
        try check(addStatus, "add stream \(configuration.name)", jetStream: code)
        return .created
    }

    /// The stream as the server has it, compared with `configuration`, or nil when it has none.
    private func existingStream(_ configuration: StreamConfiguration) throws(NATSError) -> StreamEnsureResult? {
        var info: UnsafeMutablePointer<jsStreamInfo>? = nil
        var code = jsErrCode(rawValue: 0)
        let status = js_GetStreamInfo(&info, jetStream, configuration.name, nil, &code)
        if status == NATS_OK, let info {
            defer { jsStreamInfo_Destroy(info) }
            return .existing(differences: Self.differences(info.pointee.Config.pointee, configuration))
        }
        guard status == NATS_NOT_FOUND || code == JSStreamNotFoundErr else {
            throw NATSError("stream info \(configuration.name)", status, jetStream: code)
        }
        return nil
    }

    static func differences(_ have: jsStreamConfig, _ want: StreamConfiguration) -> [String] {
        var out: [String] = []
        var subjects: [String] = []
        if let list = have.Subjects {
            for i in 0..<Int(have.SubjectsLen) { if let s = list[i] { subjects.append(String(cString: s)) } }
        }
        if subjects.sorted() != want.subjects.sorted() {
            out.append("subjects: \(subjects.joined(separator: ",")) on the server, \(want.subjects.joined(separator: ",")) wanted")
        }
        func seconds(_ ns: Int64) -> String { "\(ns / 1_000_000_000)s" }
        if have.MaxAge != want.maxAgeNanoseconds {
            out.append("maxAge: \(seconds(have.MaxAge)) on the server, \(seconds(want.maxAgeNanoseconds)) wanted")
        }
        if have.Duplicates != want.duplicateWindowNanoseconds {
            out.append("duplicateWindow: \(seconds(have.Duplicates)) on the server, \(seconds(want.duplicateWindowNanoseconds)) wanted")
        }
        if have.MaxBytes != want.maxBytes { out.append("maxBytes: \(have.MaxBytes) on the server, \(want.maxBytes) wanted") }
        // The message limits and the discard policy too: a stream made by hand with max_msgs and
        // discard old removed the taps' first marks without a word, and with discard new it
        // refused windows later (until 6 December 2026 neither was logged).
        func limit(_ n: Int64) -> String { n <= 0 ? "no limit" : String(n) }
        if limit(have.MaxMsgs) != limit(want.maxMessages) {
            out.append("maxMsgs: \(limit(have.MaxMsgs)) on the server, \(limit(want.maxMessages)) wanted")
        }
        if limit(have.MaxMsgsPerSubject) != limit(want.maxMessagesPerSubject) {
            out.append("maxMsgsPerSubject: \(limit(have.MaxMsgsPerSubject)) on the server, \(limit(want.maxMessagesPerSubject)) wanted")
        }
        if (have.Discard == js_DiscardNew) != want.discardNew {
            func name(_ new: Bool) -> String { new ? "new (a full stream refuses messages)" : "old (a full stream removes its oldest)" }
            out.append("discard: \(name(have.Discard == js_DiscardNew)) on the server, \(name(want.discardNew)) wanted")
        }
        if have.Storage != js_FileStorage { out.append("storage: memory on the server, file wanted") }
        if have.Retention != js_LimitsPolicy { out.append("retention: not limits on the server, limits wanted") }
        return out
    }
}
