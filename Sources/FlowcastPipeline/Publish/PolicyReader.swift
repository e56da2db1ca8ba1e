internal import FlowcastCore
public import FlowcastNATS
internal import FlowcastPolicy
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// `flowcast policies`: the policies a planner publishes on `flowcast.v1.policy`, rebuilt
/// (`PolicyReassembler`), checked against the policy schema and written as files.
public struct PolicyReaderOptions: Sendable {
    public var connection: NATSConnectionOptions
    /// Lines for the log while the reader starts (a server that does not answer in time is tried
    /// again, saying so); `PolicyReader.log` takes over once it has started.
    public var startLog: @Sendable (String) -> Void = { _ in }
    /// Where `policy-NNNN.json` and `policies-summary.json` go.
    public var directory: String
    /// Read the stream from this time (ns since the epoch) when the consumer is created.
    public var fromNanoseconds: Int64?
    /// A durable consumer (resumable: a second run reads what the first did not acknowledge), or
    /// nil for an ephemeral one that reads the stream from its start (or `fromNanoseconds`).
    public var durable: String?
    /// Read what the stream holds now, then return; otherwise follow until `shouldStop`.
    public var once: Bool
    /// Only the policies of the planner with this `--durable` (their message ids start
    /// `NAME|`); nil: the planner whose policies the folder holds (its last summary says), or
    /// else the first one read.
    public var planner: String?
    public var limits = PolicyReassembler<String>.Limits()

    public init(connection: NATSConnectionOptions, directory: String, fromNanoseconds: Int64?, durable: String?, once: Bool,
                planner: String? = nil) {
        self.connection = connection; self.directory = directory; self.fromNanoseconds = fromNanoseconds
        self.durable = durable; self.once = once; self.planner = planner
    }
}

public enum PolicyReaderError: Error, CustomStringConvertible {
    case output(path: String, reason: String)
    /// The folder holds another planner's policies.
    case otherPlanner(directory: String, holds: String, wanted: String)
    /// Another reader is pulling from the same durable consumer.
    case consumerInUse(durable: String, waiting: Int64)
    public var description: String {
        switch self {
        case let .output(path, reason): return "\(path.visible): \(reason)"
        case let .otherPlanner(directory, holds, wanted):
            return "\(directory) holds the policies of planner \(holds) (policies-summary.json), not \(wanted): use another --out for \(wanted)'s"
        case let .consumerInUse(durable, waiting):
            return "consumer \(durable) is being read by another reader (\(waiting) pull request\(waiting == 1 ? "" : "s") waiting): two readers on one "
                + "--durable share its messages, and a policy in parts split between them is lost; give each reader its own --durable"
        }
    }
}

/// DIR/policies-summary.json: what one run of the reader did.
public struct PolicyReaderSummary: Codable, Sendable, Equatable {
    public var formatVersion = 1
    /// Messages taken from the stream.
    public var messages = 0
    /// Whole, valid documents written to the folder (new, or different from the file there).
    public var written = 0
    /// Whole, valid documents the folder already held byte for byte (not written again).
    public var unchanged = 0
    /// Parts that came a second time (another stream message of a part held): ignored.
    public var duplicates = 0
    /// Later parts of a policy already counted bad (a part missing before them, say): ignored.
    public var skippedParts = 0
    /// Policies dropped (parts missing or out of order, a size or digest that does not match, too
    /// large, not a valid policy document), and messages refused for their headers or name.
    public var bad = 0
    /// Policies still in parts when the run ended (their messages are given back, unacknowledged).
    public var incomplete = 0
    /// The planner (its `--durable`) whose policies the folder holds; nil until one is read.
    public var planner: String?
    /// Policy messages of other planners: acknowledged and skipped (their files would overwrite
    /// this planner's; a reader with `--planner` and its own folder takes them).
    public var otherPlanners = 0
    /// Whole, valid documents not written because the folder holds that name from another planning
    /// run (another window); counted in `bad` too. nil in a summary written before 6 December 2026.
    public var otherRuns: Int? = 0
    /// The first problems (`policy-NNNN.json: what was wrong`), at most `problemsKept`.
    public var problems: [String] = []

    public static let problemsKept = 100
    /// Everything read was whole and valid.
    public var isClean: Bool { bad == 0 && incomplete == 0 }
}

public final class PolicyReader {
    public let options: PolicyReaderOptions
    let connection: NATSConnection
    let consumer: PullConsumer
    private var reassembler: PolicyReassembler<String>
    private var summary = PolicyReaderSummary()
    /// Lines for the log (standard error in the CLI).
    public var log: (String) -> Void = { _ in }
    public private(set) var streamDifferences: [String] = []
    /// The lock on the folder (`OutputFolderLock`), released when a run ends.
    private var folderLock: OutputFolderLock?

    /// Creates the folder, connects (an unreachable server throws at once), makes sure the policy
    /// stream exists and creates or binds the consumer.
    public init(_ options: PolicyReaderOptions) throws {
        self.options = options
        reassembler = PolicyReassembler(limits: options.limits)
        do { try OutputFolder.create(options.directory) } catch {
            throw PolicyReaderError.output(path: options.directory, reason: "cannot create the folder: \(error.reason)")
        }
        // One reader per folder, as one planner or tap per folder: two wrote one
        // policies-summary.json, the last one winning (an audit). Held while the reader runs.
        do { folderLock = try OutputFolderLock(options.directory, command: "policies") } catch {
            throw PolicyReaderError.output(path: options.directory, reason: "\(error)")
        }
        // The planner whose policies the folder holds, as the last run's summary names it.
        // A summary that is there but unreadable is refused: read as none, the first planner read
        // was adopted and another planner's policies in the folder overwritten.
        struct Previous: Decodable { var planner: String? }
        let summaryPath = options.directory + "/policies-summary.json"
        var held: String?
        if FileManager.default.fileExists(atPath: summaryPath) {
            do {
                held = try JSONDecoder().decode(Previous.self, from: Data(contentsOf: URL(fileURLWithPath: summaryPath))).planner
            } catch {
                throw PolicyReaderError.output(path: summaryPath, reason: "cannot tell which planner's policies the folder holds "
                    + "(\(PolicyError.describe(decoding: error))): repair or remove the file, or use another --out")
            }
        }
        if let held, let wanted = options.planner, held != wanted {
            throw PolicyReaderError.otherPlanner(directory: options.directory, holds: held, wanted: wanted)
        }
        summary.planner = options.planner ?? held
        plannerChoice = options.planner != nil ? .option : held != nil ? .folder : .firstRead
        // A server that does not answer in time is tried again for up to natsStartPatience, as a tap does.
        let started = try retryingStartTimeouts(log: options.startLog) { () throws(NATSError) in
            let connection = try NATSConnection(options.connection)
            var differences: [String] = []
            if case let .existing(found) = try connection.ensureStream(FlowcastSubjects.policyStream) {
                differences = found.map { "stream \(FlowcastSubjects.policyStream.name): \($0)" }
            }
            let consumer = try PullConsumer(connection: connection, stream: FlowcastSubjects.policyStream.name, durable: options.durable,
                                            filterSubject: FlowcastSubjects.policy, startTimeNanoseconds: options.fromNanoseconds,
                                            ackWaitNanoseconds: 60_000_000_000)
            var waiting: Int64 = 0
            if options.durable != nil {
                waiting = try consumer.waitingPulls()
                // A reader that just stopped leaves its last request waiting until it expires (a
                // reader pulls for 500 ms): asked again after that, only a live reader's remains.
                if waiting > 0 { usleep(700_000); waiting = try consumer.waitingPulls() }
            }
            return (connection, differences, consumer, waiting)
        }
        (connection, consumer) = (started.0, started.2)
        streamDifferences = started.1
        // Two readers on one durable consumer share its messages: a policy in parts split between
        // them was dropped by one ("part 2/3 without part 1") and never completed by the other, for
        // good (the fifth scale-out audit). A reader that is pulling keeps a request waiting.
        if started.3 > 0, let durable = options.durable {
            throw PolicyReaderError.consumerInUse(durable: durable, waiting: started.3)
        }
    }

    /// The consumer's name (the server's for an ephemeral one).
    public var consumerName: String { consumer.durable }

    /// Reads until the stream is drained (`once`) or `shouldStop` says so; then gives back the
    /// messages of policies still in parts, writes the summary and returns it. Throws when a file
    /// cannot be written (nothing of that document is acknowledged) or, with `once`, when the
    /// stream cannot be read.
    public func run(shouldStop: () -> Bool) throws -> PolicyReaderSummary {
        defer { folderLock?.release(); folderLock = nil }
        var fetchFailureLogged = false
        while !shouldStop() {
            let batch: FetchedBatch
            do {
                // Small batches: a part can be max_payload (1 MiB by default), and a batch's
                // messages are held (in the client and copied out) until it is released.
                batch = try consumer.fetch(batch: 16, milliseconds: 500)
                fetchFailureLogged = false
            } catch {
                if options.once { throw error }
                if !fetchFailureLogged { log("NATS: \(error); retrying"); fetchFailureLogged = true }
                usleep(200_000)
                continue
            }
            if batch.messages.isEmpty {
                if options.once { break }
                continue
            }
            for (i, m) in batch.messages.enumerated() {
                summary.messages += 1
                if let name = Self.planner(ofMessageID: m.messageID) {
                    if summary.planner == nil { summary.planner = name }
                    if name != summary.planner {
                        summary.otherPlanners += 1
                        if otherPlannersLogged.insert(name).inserted {
                            log("skipped the policies of planner \(name): \(plannerChoice.reason(summary.planner!, directory: options.directory)); "
                                + "read them with --planner \(name) and another --out")
                        }
                        if let t = batch.replySubject(of: i), !t.isEmpty { try? connection.acknowledge(reply: t) }
                        continue
                    }
                }
                let outcome = reassembler.add(payload: m.payload, headers: batch.headers(of: i), messageID: m.messageID,
                                              sequence: m.streamSequence, token: batch.replySubject(of: i) ?? "")
                try settle(outcome)
            }
            let caughtUp = batch.messages.last.map { $0.pending == 0 } ?? true
            batch.releaseClientMessages()
            if options.once && caughtUp { break }
        }
        // Policies still in parts: counted, and their messages given back for the next reader.
        let (open, tokens) = reassembler.drainIncomplete()
        for problem in open {
            summary.incomplete += 1
            note(problem)
        }
        for t in tokens where !t.isEmpty { try? connection.acknowledge(reply: t, negative: true) }
        try? connection.flush(milliseconds: 2000)
        try writeSummary()
        return summary
    }

    private var otherPlannersLogged: Set<String> = []

    /// How the planner whose policies this run reads was chosen: the skip line says so.
    enum PlannerChoice {
        /// `--planner NAME`.
        case option
        /// The folder's `policies-summary.json` names it.
        case folder
        /// Neither: the first planner whose policy this run read.
        case firstRead

        func reason(_ planner: String, directory: String) -> String {
            switch self {
            case .option: return "this run reads only planner \(planner)'s (--planner \(planner))"
            case .folder: return "\(directory) holds planner \(planner)'s (its policies-summary.json says so)"
            case .firstRead: return "this run reads planner \(planner)'s, the first planner it read (one folder holds one planner's policies)"
            }
        }
    }

    private var plannerChoice = PlannerChoice.firstRead

    /// The planner's `--durable` in a policy message's id (`NAME|policy-NNNN.json|SHA256`, a
    /// part's `…|i/n`; earlier planners' without the digest: `PolicyMessageID`); nil for an id that
    /// names none (read as before).
    static func planner(ofMessageID id: String) -> String? {
        guard let planner = PolicyMessageID.parse(id).planner, !planner.isEmpty else { return nil }
        return planner
    }

    /// Writes the document, if any, counts what the outcome says, then acknowledges its messages.
    private func settle(_ outcome: PolicyReassembler<String>.Outcome) throws {
        for problem in outcome.problems {
            summary.bad += 1
            note(problem)
        }
        if outcome.duplicate != nil { summary.duplicates += 1 }
        if outcome.skipped != nil { summary.skippedParts += 1 }
        if let document = outcome.document { try write(name: document.name, bytes: document.bytes) }
        for t in outcome.tokens where !t.isEmpty { try? connection.acknowledge(reply: t) }
    }

    private func note(_ problem: PolicyReassembler<String>.Problem) {
        log(problem.description)
        if summary.problems.count < PolicyReaderSummary.problemsKept { summary.problems.append(problem.description) }
    }

    /// A whole document: read as `flowcast diff` and `export` read a policy (the policy schema,
    /// then decoding), then written atomically under its name (unless the folder holds the same
    /// bytes already).
    private func write(name: String, bytes: [UInt8]) throws {
        let data = Data(bytes)
        let document: PolicyDocument
        do { document = try PolicyDocument(jsonData: data, path: name) } catch {
            let what: String
            switch error {
            case let .schemaViolation(_, field, message): what = "\(field): \(message)"
            case let .badInput(_, message): what = message
            default: what = "\(error)"
            }
            summary.bad += 1
            note(.init(policy: name, reason: "not a policy document (\(what)); dropped"))
            return
        }
        let path = options.directory + "/" + name
        if let existing = FileManager.default.contents(atPath: path) {
            if existing == data {
                summary.unchanged += 1
                return
            }
            // A planner publishes one document per name (a restarted one plans an interval again
            // to the same bytes), so the folder's file planned for another window is another
            // planning run's: the planner started over with the same --durable (a new --out, its
            // consumer deleted). Replacing it mixed two runs in one folder, silently (an audit read
            // policy-0001–0005 of one run beside 0006–0010 of another). A file of the same window
            // that differs (edited by hand, cut short) is the planner's again.
            if let held = try? PolicyDocument(jsonData: existing, path: path), let heldWindow = held.provenance.window,
               let window = document.provenance.window, heldWindow != window {
                summary.bad += 1
                summary.otherRuns = (summary.otherRuns ?? 0) + 1
                note(.init(policy: name, reason: "planned for \(window.start) to \(window.end), but the folder's \(name) is of \(heldWindow.start) to "
                    + "\(heldWindow.end): another planning run of the same planner (started over with the same --durable?); not written "
                    + "(read that run into another --out, with --from its start)"))
                return
            }
        }
        do { try AtomicFile.write(bytes, to: path) } catch {
            throw PolicyReaderError.output(path: error.path, reason: error.reason)
        }
        summary.written += 1
    }

    private func writeSummary() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let path = options.directory + "/policies-summary.json"
        do {
            var data = try encoder.encode(summary)
            data.append(0x0A)
            try AtomicFile.write([UInt8](data), to: path)
        } catch let error as AtomicFileError {
            throw PolicyReaderError.output(path: error.path, reason: error.reason)
        } catch {
            throw PolicyReaderError.output(path: path, reason: "\(error)")
        }
    }
}
