internal import FlowcastCore
public import FlowcastNATS
public import FlowcastPolicy

/// `flowcast planner`: many taps' windows from NATS JetStream in, one network's policies out.
public struct NetworkPlannerOptions: Sendable {
    public var connection: NATSConnectionOptions
    /// Lines for the log while the planner starts (a server that does not answer in time is tried
    /// again, saying so); `NetworkPlanner.log` takes over once it has started.
    public var startLog: @Sendable (String) -> Void = { _ in }
    public var topologyPath: String
    public var outputDirectory: String
    /// Where policy-NNNN.json and forecasts.jsonl go (as `replay --policies`).
    public var policyDirectory: String
    public var sites: [String]
    public var everyNanoseconds: Int64
    /// Every tap's window length (`--window` of the taps and the planner; default 10 s). Until
    /// 7 December 2026 the planner took the length of the first mark it read, and every message of
    /// another length was garbage: one tap started with `--window 5s` (or one such mark, left in
    /// the stream by a trial run) decided which sites were planned, or stalled the planner.
    public var windowNanoseconds: Int64 = 10_000_000_000
    public var modelPath: String?
    /// An interval model of spectral efficiency for the cells with radio KPI logs (`IntervalPlanner.Options`).
    public var efficiencyModelPath: String?
    public var plan: PlanOptions
    /// Seconds after the first site closed a window before it is planned without the rest, on the
    /// stream's clock (when the server stored the messages; the wall clock once caught up).
    public var latenessSeconds: Double
    public var exitWhenDone: Bool
    /// With `exitWhenDone`: how long a finished planner reads on while the stream keeps receiving
    /// (`--catch-up-limit`), so a busy tap of a site not in `--sites` cannot keep it reading.
    public var catchUpLimitSeconds: Double = 30
    /// Read the stream from this time (ns since the epoch) when the durable consumer is created.
    public var fromNanoseconds: Int64?
    public var durable: String

    public init(connection: NATSConnectionOptions, topologyPath: String, outputDirectory: String, policyDirectory: String,
                sites: [String], everyNanoseconds: Int64, modelPath: String?, plan: PlanOptions, latenessSeconds: Double,
                exitWhenDone: Bool, fromNanoseconds: Int64?, durable: String) {
        self.connection = connection; self.topologyPath = topologyPath; self.outputDirectory = outputDirectory
        self.policyDirectory = policyDirectory; self.sites = sites; self.everyNanoseconds = everyNanoseconds
        self.modelPath = modelPath; self.plan = plan; self.latenessSeconds = latenessSeconds; self.exitWhenDone = exitWhenDone
        self.fromNanoseconds = fromNanoseconds; self.durable = durable
    }
}

public enum NetworkPlannerError: Error, CustomStringConvertible {
    case topology(String)
    case state(path: String, reason: String)
    case observer(cellOrLink: String, site: String)
    /// No state in `--out`, but the durable consumer has acknowledged messages already (another
    /// planner folder's, or one removed): this planner would never see them.
    case consumerInUse(durable: String, stream: String, acknowledgedThrough: UInt64, out: String)
    /// `--plan-every` is not a whole number of the taps' windows, known from their first mark;
    /// `startedOver`: the consumer removed with the run's files (`checkPlanInterval`).
    case planInterval(every: Int64, window: Int64, startedOver: String?)

    public var description: String {
        switch self {
        case let .topology(reason): return reason
        case let .state(path, reason): return "\(path.visible): \(reason)"
        case let .observer(what, site): return "\(what) has observer '\(site)', which is not in --sites"
        case let .consumerInUse(durable, stream, sequence, out):
            return "consumer \(durable) on stream \(stream) has already acknowledged messages (through stream sequence \(sequence)) "
                + "for a planner whose state is not in \(out) (no planner-state.json): this planner would read only what comes after "
                + "them and wait for their windows for ever. Give it a new --durable (with --from to start later than the stream's "
                + "first message), or delete the consumer (nats consumer rm \(stream) \(durable)) to plan the stream from its start"
        case let .planInterval(every, window, startedOver):
            return "--plan-every \(SiteMerger.seconds(every)) is not a whole number of the taps' \(SiteMerger.seconds(window)) windows "
                + "(their marks say so): plans would leave gaps between them. Nothing was planned; "
                + (startedOver.map { "consumer \($0) and this run's files are removed, so the same command with a --plan-every that is a "
                    + "multiple of \(SiteMerger.seconds(window)) starts over" }
                   ?? "run again with a --plan-every that is a multiple of \(SiteMerger.seconds(window)), another --out and another --durable")
        }
    }
}

/// The planner's persistent state (OUT/planner-state.json), saved before messages are acknowledged.
struct NetworkPlannerState: Codable {
    static let formatVersion = 1
    var formatVersion = NetworkPlannerState.formatVersion
    var sites: [String]
    var everyNanoseconds: Int64
    var merger: SiteMerger
    var planner: IntervalPlannerCheckpoint?
    /// Per-series observations, kept only when a model forecasts (see `IntervalPlannerCheckpoint`).
    var historyValues: [String: [Double]] = [:]
    var historyTimes: [String: [Double]] = [:]
    var windowsPlanned = 0
    /// Policies handed to the stream, in order: the next to publish is `policiesPublished + 1`.
    /// Those the stream dropped as duplicates of another run's (`policiesAlreadyInStream`) count
    /// here too, and are not published.
    var policiesPublished = 0
    /// Policies the stream acknowledged as duplicates (the same planner, name and SHA-256 within
    /// its duplicate window) that no earlier run of this state had published: another run with the
    /// same `--durable` had. Not stored again; absent in older states.
    var policiesAlreadyInStream: [String]?
    /// The last interval is planned and forecasts.jsonl committed.
    var finished = false
    /// Read and written for older states; no longer used (each bad message is logged, up to a limit).
    var garbageSubjects: [String] = []
    /// Counts full saves; the journal (`PlannerJournal`) names the one it follows. Absent in a
    /// state saved before the journal existed.
    var generation: UInt64?
    /// The planning options and topology the state was planned with (option → value; the
    /// topology by its SHA-256), refused if a restart differs. Absent in older states.
    var settings: [String: String]?
}

/// OUT/planner-summary.json. Deterministic for a given input: no wall-clock times.
public struct NetworkPlannerSummary: Codable, Sendable {
    public var formatVersion = 1
    public var sites: [String]
    public var endedSites: [String]
    /// Window lines of each site planned with (or held for a window not planned yet).
    public var windowLinesBySite: [String: Int]
    /// Window lines of a site taken but never planned: their window was planned without the site
    /// (its mark did not come within --lateness) or could never be planned (`heldLinesDropped`).
    /// Only sites with some; absent when none. Until 7 December 2026 `windowLinesBySite` counted them.
    public var windowLinesNotPlannedBySite: [String: Int]?
    /// Messages by what became of them: windowLine, mark, end, heartbeat, duplicate, conflict, late, afterPlanned, unlistedSite,
    /// garbage, otherWindowLength, unknownID, farAhead.
    public var messages: [String: Int]
    public var observerIgnored: Int
    public var conflicts: Int
    /// Lines held since before any site had marked a window and dropped at the first plan: their
    /// windows could never be planned (before the first one, or far after the newest marked).
    public var heldLinesDropped: Int
    /// Lines of cells learned from signalling beyond `TopologyLimits.maximumCells` cells in all,
    /// not merged; absent when none.
    public var learnedCellLinesRefused: Int?
    /// Listed sites of which nothing was read (the consumer started after all their messages: `--from`,
    /// or the stream's limits or maximum age removed them) while every other site had ended; every
    /// window was planned without them. Absent when none.
    public var sitesNotRead: [String]?
    /// Sites whose windows were far from the reference (the stream's clock for live taps, the
    /// other sites' first windows for replayed captures), warned of once: site → offset in
    /// seconds when warned (negative: behind).
    public var clockWarnings: [String: Int64]
    public var windowsPlanned: Int
    public var windowsWithMissingSites: Int
    public var policies: Int
    /// Policies stored on `flowcast.v1.policy` (or held by it from an earlier run of this state).
    public var policiesPublished: Int
    /// Policies not stored because the stream already held the same document from another run
    /// with the same `--durable` (see `NetworkPlanner.publishPolicies`); absent when none.
    public var policiesAlreadyInStream: [String]?
    /// Policy file → sites it was planned without.
    public var policiesMissingSites: [String: [String]]
    public var finished: Bool
    public var planFailures: [String]
}
