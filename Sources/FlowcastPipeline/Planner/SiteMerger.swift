internal import FlowcastCore
internal import FlowcastNATS
public import FlowcastAggregate
public import FlowcastTopology

/// One window of the whole network: every site's lines for it summed per cell and link.
public struct MergedWindow: Sendable {
    public var start: Int64
    public var duration: Int64
    /// Topology cells, other cells by id, topology links, other links by id.
    public var windows: [WindowSummary]
    /// Listed sites that had not closed this window when `--lateness` ran out.
    public var missingSites: [String]
}

/// What became of one message.
public enum IngestOutcome: String, Sendable, Codable {
    case windowLine, mark, end, heartbeat
    /// Already held, or for a window already planned: ignored (at-least-once delivery, a re-sent
    /// capture).
    case duplicate
    /// For a window planned without its site (after `--lateness`): ignored.
    case late
    /// A line or mark for a window the planner holds, or planned last, that differs from the one it
    /// has (other counts, a line the site's mark did not count, a mark counting other lines):
    /// ignored (the first is kept), counted in `conflicts` and said. Until 7 December 2026 counted
    /// `duplicate` in planner-summary.json's `messages`.
    case conflict
    /// A line for a window already planned with its site's lines, other than the newest such
    /// window (whose lines are kept to compare): ignored, and said. A copy re-sent after the
    /// stream's duplicate window, or another run's line (a trial run, a capture rotated inside a
    /// window, a rerun on another topology, a second tap with the site's name): which cannot be
    /// told. Until 7 December 2026 every such line was a silent duplicate (an audit).
    case afterPlanned
    /// From a site not in `--sites`: ignored.
    case unlistedSite
    /// Counted only (`ingest` returns `duplicate`): a message the server delivered again, its
    /// stream sequence already taken (a planner restarted before acknowledging it).
    case redelivered
    /// Not a Flowcast message of a version this planner reads.
    case garbage
    /// A line or mark of a window of another length than the planner's (`--window`): ignored, and
    /// its site's windows are planned without it.
    case otherWindowLength
    /// A line for a cell or link the topology does not name, nor learned from signalling (`ecgi:`,
    /// `ncgi:`): held only so its site's window can close (its mark counts it), never merged.
    case unknownID
    /// A line for a window far after the newest window any site has marked: dropped.
    case farAhead
}

/// Merges the window lines of many taps into network-wide windows, idempotently and in an order
/// that does not depend on the order messages arrive in: each line is keyed by (site, kind, id,
/// window start); a site's windows count as closed up to a time only when the chain of its window
/// marks (each naming the window before it) is unbroken and every mark's lines are in (a chain
/// waiting on a mark that never came goes on from the next mark once the window before it is
/// released). A window is released when every listed site has closed it or ended before it, or
/// `lateness` seconds after the first site closed it (on the clock the caller gives: the planner's
/// is the stream's), naming the sites that had not.
public struct SiteMerger: Codable, Sendable {
    struct Mark: Codable, Sendable { var duration: Int64; var previous: Int64?; var lines: Int }
    struct Site: Codable, Sendable {
        /// Marks not yet chained, by window start.
        var marks: [Int64: Mark] = [:]
        /// Start of the first and the last window of the unbroken chain.
        var chainFirst: Int64?
        var chainLast: Int64?
        /// The tap's end: its last window's start (nil inside: it closed none).
        var ended: Bool = false
        var endLastStart: Int64?
        var windowLines = 0
        /// Of `windowLines`, those never planned: their window was planned without the site (its
        /// mark did not come within --lateness) or dropped before the first plan
        /// (`pruneHeldLines`). nil in a state saved before 7 December 2026, and while none.
        var notPlanned: Int?
        var mode = "replay"
        /// Live taps: the largest (window end − when the stream stored its mark) seen, ns: the
        /// tap's clock against the server's, less the publishing delay (which only lowers it).
        var liveOffset: Int64?
        /// The offset (ns; negative: behind) the planner warned of, once per site (`checkLiveClock`, `checkReplayClocks`).
        var clockWarning: Int64?
        /// Start of the newest window it has marked (nil before its first mark).
        var newestMark: Int64?
        /// The chain's first window when it started from a mark whose `previous` was not read (the
        /// consumer delivers nothing before it: `streamCut`): windows before it are not closed by
        /// the site, whose lines of them are incomplete or gone.
        var cutFirst: Int64?
        /// Some message of the site was read (a line, a mark, its end, a heartbeat). nil in a state
        /// saved before 6 December 2026 (`wasRead` then looks at what the state holds of it).
        var heard: Bool? = false
        /// Nothing of the site was read, though the consumer skipped messages, has caught up with the
        /// stream and every other site has ended (`caughtUp`): its messages, its end included, were
        /// all before the cut. nil otherwise.
        var unread: Unread?
        /// The cells and links (`kind:id`) of which a line of the site merged into a released window
        /// had traffic (`release`): what it carries, for `carriers(of:)`. nil in a state saved before
        /// 6 December 2026 (what it carried before is then unknown; it is kept from then on).
        var carried: Set<String>?
        /// Windows the chain passed after they were planned without the site (--lateness), the
        /// newest 4,096: a line of one is `late`, not a `duplicate`. nil in a state saved before
        /// 7 December 2026.
        var passedReleased: [Int64]?
        /// The site's lines of the newest window released with lines of it, as they came (kept
        /// until a later window brings its lines): a line or mark for that window that differs
        /// from them is another run's (a trial stopped inside the window, a capture rotated in it),
        /// which the stream no longer drops since message ids carry the content, and is a conflict,
        /// not a re-sent copy. nil in a state saved before 7 December 2026.
        var lastReleased: HeldLines?
        /// Digests of the site's lines of every window planned with them, the newest
        /// `plannedDigestCapacity`: a line for an older planned window that has one is a copy
        /// (`duplicate`), one that has none is another run's (`afterPlanned`). nil in a state saved
        /// before 7 December 2026 (every such line was then `afterPlanned`, copies too).
        var plannedDigests: PlannedLineDigests? = PlannedLineDigests()
    }
    /// What the planner made of a site of which nothing was read (`caughtUp`).
    enum Unread: String, Codable, Sendable {
        /// Said; still waited for (no `--exit-when-done`): its windows wait `--lateness` as before.
        case said
        /// Taken as ended before the consumer's first message (`--exit-when-done`): windows are
        /// planned without it (named missing) without waiting for it.
        case ended
    }

    public let sites: [String]
    var state: [String: Site]
    /// Lines not yet merged: window start → site → "kind:id" → line.
    var lines = HeldLines()
    /// End of the last released window.
    public internal(set) var releasedThrough: Int64?
    public internal(set) var duration: Int64?
    /// Whether the last `otherWindowLength` message's window lies within what was already planned,
    /// or closed by its site's marks (a tap rerun with another --window after its first run).
    public internal(set) var lastOtherLengthAlreadyPlanned = false
    /// Wall time (s) at which the first site closed each unreleased window.
    var firstClosedAt: [Int64: Double] = [:]
    var now: Double = 0
    public internal(set) var counts: [IngestOutcome: Int] = [:]
    /// Lines ignored because the topology names another site as the cell's or link's observer.
    public internal(set) var observerIgnored = 0
    /// Lines for the same key with different counts (the first one is kept).
    public private(set) var conflicts = 0
    /// Windows released without some site, and which.
    public internal(set) var windowsWithMissingSites = 0
    /// `kind:id` → the only site whose lines count for it (topology `observer:`). Not persisted:
    /// set from the topology on every start.
    public var observers: [String: String] = [:]
    /// Counts what `nextReady` changed (windows released, lateness clocks started), so the planner
    /// knows when a call with no new message must be journaled. Not persisted.
    public internal(set) var changes = 0
    /// What was wrong with the message `ingest` took last: why it is `garbage`, or, for a line that
    /// repeats a held line's key with other counts (a conflict, counted `conflict`), which line.
    /// nil otherwise. Not persisted.
    public private(set) var lastProblem: String?
    /// The message `ingest` took last was `afterPlanned` for a window whose planned lines are not
    /// kept (`plannedDigests`: older than those kept, or planned before a planner kept them): it
    /// may be a copy. Not persisted.
    public private(set) var lastCouldBeCopy = false
    /// Chains that went on past a window whose mark never came (`advance`), and held lines dropped
    /// (`pruneHeldLines`), and clock warnings (`checkLiveClock`, `checkReplayClocks`), for the log;
    /// the planner takes them (`takeGaps`). Not persisted.
    public internal(set) var gaps: [String] = []

    public mutating func takeGaps() -> [String] {
        defer { gaps = [] }
        return gaps
    }

    enum CodingKeys: String, CodingKey {
        case sites, state, lines, releasedThrough, duration, firstClosedAt, counts, observerIgnored, conflicts, windowsWithMissingSites
        case seenOutsideTopology, droppedHeldLines, refusedLearnedCells, lastSequence, streamCut, unreadSince
    }
    /// The highest stream sequence taken (`ingest`'s `sequence`), and whether the consumer skipped
    /// any: its first message was not the stream's first (a `--from` time, or the stream's limits or
    /// maximum age removed the oldest messages) or a later one came after a gap (messages removed
    /// before the planner read them). The consumer takes every subject of the window stream, so
    /// with no skip every message published is delivered. nil in a state saved before 6 December 2026.
    private var lastSequence: UInt64?
    private var streamCut: Bool?
    /// The highest sequence the server had delivered to the consumer when this run started (set by
    /// the planner; not saved). A planner killed holding messages it had not journaled gets them
    /// again after the ack wait, after newer ones: the gap before the newer ones is theirs, not a
    /// cut. (Until 7 December 2026 it was taken as one: a restarted planner took a site's first
    /// mark as removed from the stream and planned its first windows without it, an audit.)
    var redeliveryThrough: UInt64 = 0
    /// When (the caller's clock, s) `caughtUp` first found every site read had ended while some
    /// listed site had sent nothing it read; nil while that does not hold.
    private var unreadSince: Double?
    var droppedHeldLines: Int?
    var refusedLearnedCells: Int?
    /// Lines of cells learned from signalling beyond `TopologyLimits.maximumCells` cells in all,
    /// not merged (a tap refuses cells beyond the same bound; each learned cell has a line in every
    /// later window, so without one a tap naming new cells without end grew every window).
    public var learnedCellLinesRefused: Int { refusedLearnedCells ?? 0 }
    /// The bound on cells in all (the topology's and learned ones); a test lowers it.
    var maximumCells = TopologyLimits.maximumCells
    /// Digests of planned lines kept per site (`PlannedLineDigests`); a test lowers it.
    var plannedDigestCapacity = PlannedLineDigests.defaultCapacity
    /// Held lines dropped because no window of theirs can be planned (`pruneHeldLines`).
    public var heldLinesDropped: Int { droppedHeldLines ?? 0 }
    /// How far after the newest window its site has marked a line may be: 7 days, the window
    /// stream's maximum age. A tap publishes a window's lines just before its mark, but a tap that
    /// spooled through an outage may send new windows' lines before the spooled marks; no mark the
    /// stream still holds is older than its age.
    static let horizon: Int64 = FlowcastSubjects.windowStream.maxAgeNanoseconds
    /// "cell:ID" and "link:ID" of the topology (`use`); nil (every id known) until it is set.
    private var knownIDs: Set<String>?
    /// True for an id a tap can send: the topology's, or a cell learned from signalling (named by
    /// its global identity, `ecgi:MCC-MNC-ECI` or `ncgi:…`, as `TrafficAggregator` names it).
    func isKnown(_ key: String) -> Bool {
        guard let knownIDs else { return true }
        return knownIDs.contains(key) || key.hasPrefix("cell:ecgi:") || key.hasPrefix("cell:ncgi:")
    }
    /// Cells and links not in the topology (learned from signalling) seen so far, as `kind:id`: as in
    /// a single replay, each has a line in every window after its first.
    var seenOutsideTopology: Set<String> = []

    /// `duration`: the window length (ns) of every tap (the planner's `--window`); nil takes the
    /// first mark's.
    public init(sites: [String], duration: Int64? = nil) {
        self.sites = sites
        self.duration = duration
        state = Dictionary(uniqueKeysWithValues: sites.map { ($0, Site()) })
    }

    /// Sets the window length of a merger restored from a state saved before any mark was read.
    public mutating func adoptDuration(_ d: Int64) {
        if duration == nil { duration = d }
    }

    /// True once every listed site has ended (or was taken as ended, nothing of it read: `caughtUp`)
    /// and every window up to the last one is released.
    public var isComplete: Bool {
        guard let releasedThrough else { return sites.allSatisfy { hasEnded($0, atOrBefore: Int64.min) } }
        return sites.allSatisfy { s in
            let st = state[s]!
            return st.unread == .ended || st.ended && (st.endLastStart.map { $0 < releasedThrough } ?? true)
        }
    }

    /// The site has published its end, naming a window at or before `start` (or none), or nothing of
    /// it was read and it was taken as ended (`caughtUp`).
    func hasEnded(_ site: String, atOrBefore start: Int64) -> Bool {
        let s = state[site]!
        return s.unread == .ended || s.ended && (s.endLastStart ?? Int64.min) <= start
    }

    /// Sites that have published their end.
    public var endedSites: [String] { sites.filter { state[$0]!.ended } }
    /// Sites of which nothing was read while every other site had ended (`caughtUp`).
    public var sitesNotRead: [String] { sites.filter { state[$0]!.unread != nil } }
    /// Drops a site's planned-line digests, as a state saved before 7 December 2026 has none (tests).
    mutating func forgetPlannedDigests(of site: String) { state[site]?.plannedDigests = nil }

    /// Lines of the site taken and planned with (or held for a window not planned yet).
    public func windowLines(of site: String) -> Int { (state[site]?.windowLines ?? 0) - notPlannedLines(of: site) }
    /// Lines of the site taken but never planned: their window was planned without the site.
    public func notPlannedLines(of site: String) -> Int { state[site]?.notPlanned ?? 0 }
    /// Counts `keyed` (a site's held lines, dropped unplanned) in its `notPlanned`: the known ones,
    /// which `windowLines` counted when they came.
    mutating func forgetUnplanned(_ keyed: [String: WindowSummary], of site: String) {
        let known = keyed.keys.reduce(0) { $0 + (isKnown($1) ? 1 : 0) }
        guard known > 0, state[site] != nil else { return }
        state[site]!.notPlanned = (state[site]!.notPlanned ?? 0) + known
    }
    /// Sites whose taps are live (their lateness is wall time in any case; see docs/scaleout.md).
    public func mode(of site: String) -> String { state[site]?.mode ?? "replay" }
    /// Sites whose windows were this far from the reference when the planner warned, in seconds
    /// (negative: behind); see `checkLiveClock` and `checkReplayClocks`.
    public var clockWarnings: [String: Int64] {
        var out: [String: Int64] = [:]
        for site in sites { if let w = state[site]!.clockWarning { out[site] = w / 1_000_000_000 } }
        return out
    }
    /// How far a site's windows may be from the reference before the planner warns (15 min).
    static let clockWarningNanoseconds: Int64 = 900_000_000_000

    // MARK: ingest

    /// Takes one message from the window stream; `now` (the caller's clock, s) starts the lateness
    /// clock of the windows it lets a site close.
    /// `sequence`: the message's stream sequence, when known (a journal written before 2026-12-06
    /// holds none); it tells the merger whether the consumer skipped messages (`streamCut`).
    public mutating func ingest(subject: String, payload: [UInt8], now: Double, sequence: UInt64? = nil) -> IngestOutcome {
        self.now = now
        lastProblem = nil
        lastCouldBeCopy = false
        // A sequence already read: the server delivering a message again, not a new message.
        let redelivered = sequence.map { $0 <= (lastSequence ?? 0) } ?? false
        if let sequence {
            // A redelivery (or a stream created again after a server lost its store) is lower.
            if sequence > max(lastSequence ?? 0, redeliveryThrough) + 1 { streamCut = true }
            lastSequence = max(lastSequence ?? 0, sequence)
        }
        let outcome: IngestOutcome
        do { outcome = try classify(subject: subject, payload: payload, redelivered: redelivered) } catch {
            lastProblem = error.reason
            outcome = .garbage
        }
        // A message taken before (journaled, or in the state) that the server delivers again after
        // a restart is counted apart: as a duplicate it counted twice (a re-audit: 3,617 redelivered
        // messages raised `duplicate` by 6,841 where 3,224 were copies).
        counts[redelivered && outcome == .duplicate ? .redelivered : outcome, default: 0] += 1
        return outcome
    }

    /// A second line for a held cell or link with other counts than the first, which is kept:
    /// counted and said (the same words whether or not the site's mark has closed the window).
    /// Two lines for one site, window and cell or link that agree on every counter: the same line,
    /// or two runs' lines that differ only in how much of the window they observed (`partial`,
    /// `observedFrom`), both idle, which is no conflict (an end-to-end test of a capture rotated
    /// inside a window read "other counts (bytes 0/0, packets 0/0; the first, 0/0 and 0/0 …)").
    static func sameCounts(_ a: WindowSummary, _ b: WindowSummary) -> Bool {
        var a = a, b = b
        a.partial = false; b.partial = false
        a.observedFromNanoseconds = nil; b.observedFromNanoseconds = nil
        return a == b
    }

    /// `planned`: the window was planned already, with the first.
    private mutating func conflict(_ key: String, second w: WindowSummary, first: WindowSummary, planned: Bool = false) {
        conflicts += 1
        lastProblem = "a second line for \(key) in the window at \(Self.seconds(w.startNanoseconds)) with other counts "
            + "(bytes \(w.bytesUp)/\(w.bytesDown), packets \(w.packetsUp)/\(w.packetsDown); the first, "
            + "\(first.bytesUp)/\(first.bytesDown) and \(first.packetsUp)/\(first.packetsDown), is kept"
            + (planned ? ", and the window was planned with it)" : ")")
        // Two runs that each saw part of the window: one stopped inside it, the other began inside it.
        if first.partial || w.partial || first.observedFromNanoseconds != nil || w.observedFromNanoseconds != nil {
            lastProblem! += "; a line covers only part of the window: did two runs of the tap share it (a trial run stopped "
                + "inside it, or a capture rotated inside it)? Their parts are not summed"
        }
    }

    private mutating func classify(subject: String, payload: [UInt8], redelivered: Bool) throws(BadMessage) -> IngestOutcome {
        guard let json = FlatJSON(payload) else { throw BadMessage("not one JSON object") }
        if subject.hasPrefix(FlowcastSubjects.prefix + ".win.") {
            let (site, w) = try WindowSummary.parsePublished(json)
            guard FlowcastSubjects.isWindow(subject, site: site, kind: w.kind, id: w.id) else {
                throw BadMessage("the subject is not the one of its site, kind and id (\(FlowcastSubjects.window(site: site, kind: w.kind, id: w.id)))")
            }
            guard state[site] != nil else { return .unlistedSite }
            heard(site)
            if let d = duration, d != w.durationNanoseconds {
                lastProblem = Self.otherDuration(w.durationNanoseconds, d).reason
                lastOtherLengthAlreadyPlanned = alreadyCovered(site, w.startNanoseconds, w.durationNanoseconds)
                return .otherWindowLength
            }
            try Self.onGrid(w.startNanoseconds, w.durationNanoseconds)
            // A window planned without this site that its chain has since passed (its mark came
            // before all its lines, as from a tap re-sending its spool): the line came too late.
            // Until 7 December 2026 such lines counted as duplicates, with no warning (an audit).
            if state[site]!.passedReleased?.contains(w.startNanoseconds) == true { return .late }
            if let last = state[site]!.chainLast, w.startNanoseconds <= last {
                // A window its site's mark closed and the planner still holds: a line it holds with
                // other counts, or one the mark did not count, is a conflict, not a re-sent copy.
                // (Until 7 December 2026 every such line was a silent duplicate: a forged mark and
                // line that came first replaced a site's whole window, an audit.)
                // Or one already planned: the site's lines of the newest window planned with them
                // are kept for that (a later run's share of the window its earlier run ended in).
                let planned = lines[w.startNanoseconds]?[site] == nil
                let kept = lines[w.startNanoseconds]?[site] ?? state[site]!.lastReleased?[w.startNanoseconds]?[site]
                // Planned, and its lines no longer kept: unless the stream delivers a message it
                // delivered before (a sequence already read: the ack wait ran out), it is a new
                // message for a planned window, whose copy or not cannot be told.
                if kept == nil, planned, let r = releasedThrough, w.startNanoseconds < r, !redelivered {
                    // The digests of the lines it was planned with tell a copy (the same capture
                    // replayed after the stream's duplicate window) from another run's line.
                    // Until 7 December 2026 every such line was afterPlanned, and an identical
                    // replay 15 min later exited 3.
                    let knowledge = state[site]!.plannedDigests?.knowledge(of: w.startNanoseconds) ?? .beforeKept
                    let line = "a line for \(w.kind.rawValue):\(w.id) in the window at \(Self.seconds(w.startNanoseconds)), which was planned "
                    switch knowledge {
                    case .covered:
                        if state[site]!.plannedDigests!.contains(w, start: w.startNanoseconds) { return .duplicate }
                        lastProblem = line + "with the site's lines already, none of them with these counts (bytes \(w.bytesUp)/\(w.bytesDown), "
                            + "packets \(w.packetsUp)/\(w.packetsDown)); not taken"
                    case .plannedWithout:
                        // No digest entry, though the digests reach back past it: planned without
                        // the site (it had not closed the window within --lateness, or began after
                        // it). Until an audit of 7 December 2026 such lines were afterPlanned.
                        return .late
                    case .dropped:
                        lastCouldBeCopy = true
                        lastProblem = line + "with the site's lines already; not taken (the window is older than the \(plannedDigestCapacity) "
                            + "planned lines the planner keeps of a site to tell a copy)"
                    case .beforeKept:
                        lastCouldBeCopy = true
                        lastProblem = line + "with the site's lines already; not taken (planned before this planner kept the digests of planned "
                            + "lines that tell a copy, 7 December 2026)"
                    }
                    return .afterPlanned
                }
                if let held = kept {
                    let key = "\(w.kind.rawValue):\(w.id)"
                    if let first = held[key] {
                        if !Self.sameCounts(first, w) {
                            conflict(key, second: w, first: first, planned: planned)
                            return .conflict
                        }
                    } else {
                        conflicts += 1
                        lastProblem = "a line for \(key) in the window at \(Self.seconds(w.startNanoseconds)), which the site's mark had closed "
                            + "with \(held.count) line\(held.count == 1 ? "" : "s") it did not count; not taken"
                            + (planned ? " (the window was planned without it)" : "")
                        return .conflict
                    }
                }
                return .duplicate
            }
            // Released without this site (after --lateness): too late to count.
            if let r = releasedThrough, w.startNanoseconds < r { return .late }
            if let newest = state[site]!.newestMark, w.startNanoseconds > newest + Self.horizon {
                lastProblem = "a line for the window at \(Self.seconds(w.startNanoseconds)), \(Self.span(w.startNanoseconds - newest)) "
                    + "after the newest window site \(site) has marked (\(Self.seconds(newest))); dropped"
                return .farAhead
            }
            let key = "\(w.kind.rawValue):\(w.id)"
            if let held = lines[w.startNanoseconds]?[site]?[key] {
                if !Self.sameCounts(held, w) {
                    conflict(key, second: w, first: held)
                    return .conflict
                }
                return .duplicate
            }
            lines[w.startNanoseconds, default: [:]][site, default: [:]][key] = w
            guard isKnown(key) else {
                // Held, since its site's mark counts it, but never merged: taken into the
                // network's windows it would stay in every later one (and be forecast) for the run.
                lastProblem = "a line for \(key), which the topology does not name (nor is it a cell learned from signalling, "
                    + "ecgi:… or ncgi:…; does the tap use another topology?); not merged"
                advance(site)
                return .unknownID
            }
            state[site]!.windowLines += 1
            advance(site)
            return .windowLine
        }
        guard subject.hasPrefix(FlowcastSubjects.prefix + ".tap.") else {
            throw BadMessage("not a \(FlowcastSubjects.prefix).win.… or \(FlowcastSubjects.prefix).tap.… subject")
        }
        func onItsSubject(_ site: String) throws(BadMessage) {
            guard subject == FlowcastSubjects.tap(site: site) else {
                throw BadMessage("the subject is not its site's (\(FlowcastSubjects.tap(site: site)))")
            }
        }
        switch json.string("type") {
        case "window":
            let mark = try TapMark(json)
            try onItsSubject(mark.site)
            guard state[mark.site] != nil else { return .unlistedSite }
            heard(mark.site)
            if let d = duration, d != mark.duration {
                lastProblem = Self.otherDuration(mark.duration, d).reason
                lastOtherLengthAlreadyPlanned = alreadyCovered(mark.site, mark.start, mark.duration)
                return .otherWindowLength
            }
            try Self.onGrid(mark.start, mark.duration)
            if let p = mark.previous { try Self.onGrid(p, mark.duration, field: "previous") }
            if duration == nil { duration = mark.duration }
            if let last = state[mark.site]!.chainLast, mark.start <= last {
                // A second mark for a window still held that counts other lines than the first did.
                let planned = lines[mark.start]?[mark.site] == nil
                if let held = lines[mark.start]?[mark.site] ?? state[mark.site]!.lastReleased?[mark.start]?[mark.site],
                   held.count != mark.lines {
                    conflicts += 1
                    lastProblem = "a second mark for the window at \(Self.seconds(mark.start)) counting \(mark.lines) line\(mark.lines == 1 ? "" : "s"), "
                        + "where the first closed it with \(held.count); the first is kept" + (planned ? " (the window was planned with it)" : "")
                    return .conflict
                }
                return .duplicate
            }
            if let first = state[mark.site]!.marks[mark.start] {
                if first.lines != mark.lines || first.previous != mark.previous {
                    conflicts += 1
                    lastProblem = "a second mark for the window at \(Self.seconds(mark.start)) counting \(mark.lines) line\(mark.lines == 1 ? "" : "s") "
                        + "(previous \(mark.previous.map(Self.seconds) ?? "null")), where the first counts \(first.lines) (previous "
                        + "\(first.previous.map(Self.seconds) ?? "null")); the first is kept"
                    return .conflict
                }
                return .duplicate
            }
            state[mark.site]!.newestMark = max(state[mark.site]!.newestMark ?? mark.start, mark.start)
            state[mark.site]!.marks[mark.start] = Mark(duration: mark.duration, previous: mark.previous, lines: mark.lines)
            state[mark.site]!.mode = mark.mode
            if mark.mode == "live" { checkLiveClock(mark.site, end: mark.start + mark.duration) }
            advance(mark.site)
            return .mark
        case "end":
            let end = try TapEnd(json)
            try onItsSubject(end.site)
            guard state[end.site] != nil else { return .unlistedSite }
            heard(end.site)
            if state[end.site]!.ended && state[end.site]!.endLastStart == end.lastStart { return .duplicate }
            // An end for windows before the chain's last is a re-sent earlier run's: the site went on.
            if let last = state[end.site]!.chainLast, let endLast = end.lastStart, endLast < last { return .duplicate }
            // So is an end that closed none once the site has windows: a run before them (or one
            // that added nothing); taking it would end the site, after every window, for good.
            if end.lastStart == nil && state[end.site]!.chainLast != nil { return .duplicate }
            state[end.site]!.ended = true
            state[end.site]!.endLastStart = end.lastStart
            return .end
        case "heartbeat":
            guard let site = json.string("site") else { throw BadMessage("no \"site\" string") }
            try onItsSubject(site)
            guard state[site] != nil else { return .unlistedSite }
            heard(site)
            return .heartbeat
        case let type?:
            throw BadMessage("type \"\(type.prefix(40))\" is not window, end or heartbeat")
        case nil:
            throw BadMessage("no \"type\" string")
        }
    }

    /// Notes that a message of `site` was read; a site said to be unread (`caughtUp`) is waited for
    /// again (a tap that was slow after all, or a later run of it).
    private mutating func heard(_ site: String) {
        state[site]!.heard = true
        guard state[site]!.unread != nil else { return }
        state[site]!.unread = nil
        gaps.append("warning: site \(site): a message of it was read after all; it is waited for again")
    }

    /// True when some message of the site was read (for a state saved before `heard` was kept:
    /// what the state holds of it).
    private func wasRead(_ site: String) -> Bool {
        let s = state[site]!
        if let heard = s.heard { return heard }
        return s.newestMark != nil || s.chainFirst != nil || s.ended || s.windowLines > 0 || !s.marks.isEmpty
            || lines.starts.contains { lines[$0]?[site] != nil }
    }

    /// The consumer has read every message the stream holds (none pending). When it skipped messages
    /// (`streamCut`: `--from`, or the stream's limits or maximum age removed the oldest) and every
    /// site some message of which was read has ended, a listed site of which nothing was read had
    /// all its messages, its end included, before the cut: its windows can only be planned without
    /// it. It is said once, and with `takeAsEnded` (`--exit-when-done`) it is taken as ended, so the
    /// planner finishes; a message of it read later makes it waited for again. A site merely slow
    /// is not taken: some message of it was read, or the consumer skipped nothing (a site that has
    /// sent nothing yet is waited for, as before), or some other site has not ended. Returns true
    /// when it changed the state.
    ///
    /// A site that has not started yet looks the same as one whose messages were all before the
    /// cut, so it is taken only once that has held for `lateness` seconds of `now` (the caller's
    /// clock, wall time once caught up): until a reviewer found it, a planner started with `--from`
    /// took a site that had not begun publishing as gone the moment it caught up, and exited.
    public mutating func caughtUp(takeAsEnded: Bool, now: Double, lateness: Double) -> Bool {
        let read = sites.filter(wasRead)
        guard streamCut == true, !read.isEmpty, read.allSatisfy({ state[$0]!.ended }), read.count < sites.count else {
            if unreadSince != nil { unreadSince = nil; changes += 1 }
            return false
        }
        guard let since = unreadSince else {
            unreadSince = now
            changes += 1
            return false
        }
        guard now - since >= lateness else { return false }
        var changed = false
        for site in sites where !read.contains(site) {
            let taken: Unread = takeAsEnded ? .ended : .said
            guard state[site]!.unread != taken else { continue }
            let before = state[site]!.unread
            state[site]!.unread = taken
            changed = true
            guard before == nil else { continue }
            gaps.append("warning: site \(site): nothing of it was read, and nothing came in --lateness (\(lateness == lateness.rounded() ? String(Int(lateness)) : String(lateness)) s) after every "
                + "other site had ended; the consumer skipped the stream's earlier messages (--from, or the stream's limits or maximum age "
                + "removed them), so its messages were all before them or it has not started; "
                + (takeAsEnded ? "it is taken as ended, and its windows are planned without it"
                               : "its windows are planned without it after --lateness, and it is waited for until its end is read"))
        }
        if changed { changes += 1 }
        return changed
    }

    /// A window's time as the log says it: UTC like the planner's other lines
    /// (`2025-11-29T08:06:00Z`, where "1764403560 s" made a reader convert it), or seconds since
    /// the epoch for a time before 2001 or not on a whole second (a test's `150 s`).
    static func seconds(_ t: Int64) -> String {
        guard t % 1_000_000_000 == 0 else { return "\(Double(t) / 1e9) s" }
        return t >= 1_000_000_000 * 1_000_000_000 ? IntervalPlanner.iso(t) : "\(t / 1_000_000_000) s"
    }

    /// Taps start windows at multiples of their length since the epoch; a window that is not
    /// could never be planned (windows are released one length apart), so it is refused.
    static func onGrid(_ start: Int64, _ duration: Int64, field: String = "start") throws(BadMessage) {
        guard start % duration == 0 else {
            throw BadMessage("\"\(field)\" \(seconds(start)) is not on the window grid (a multiple of the \(seconds(duration)) window length since the epoch, as taps make them)")
        }
    }

    /// A span of time as the log says it: "3 h 0 min", "12 min 30 s", "40 s".
    static func span(_ ns: Int64) -> String {
        let s = ns / 1_000_000_000
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min" + (s % 60 == 0 ? "" : " \(s % 60) s") }
        return ns % 1_000_000_000 == 0 ? "\(s) s" : "\(Double(ns) / 1e9) s"
    }

    /// Whether a window of another length ends at or before the end of the last released window
    /// or of the last window the site's own marks (at the planner's length) have closed: that span
    /// is planned, or will be, with the site's lines.
    func alreadyCovered(_ site: String, _ start: Int64, _ length: Int64) -> Bool {
        var through = releasedThrough ?? .min
        if let d = duration, let last = state[site]?.chainLast, last <= .max - d { through = max(through, last + d) }
        let (end, overflow) = start.addingReportingOverflow(length)
        return !overflow && end <= through
    }

    static func otherDuration(_ got: Int64, _ stream: Int64) -> BadMessage {
        BadMessage("windows of \(seconds(got)), not the planner's \(seconds(stream)) (--window)")
    }

    /// Extends a site's chain over every mark whose window is complete.
    mutating func advance(_ site: String) {
        var s = state[site]!
        defer { state[site] = s }
        while true {
            var next: Int64? = nil
            if let last = s.chainLast, let d = duration, let m = s.marks[last + d], m.previous == last {
                next = last + d
            } else {
                // The first mark, a restarted tap's first mark, or an overlap: the earliest mark
                // that names no window after the chain's last as its predecessor. Or a mark after
                // a gap: its predecessor's mark never came (lost), but that window is released
                // already (without this site, after --lateness), so nothing is waited for.
                let floor = s.chainLast ?? Int64.min
                let released = releasedThrough ?? Int64.min
                next = s.marks.filter { start, m in
                    guard start > floor else { return false }
                    // A chain starting after the consumer skipped messages: a mark some of whose
                    // lines were skipped is never complete, and would block the marks after it.
                    if s.chainLast == nil, streamCut == true, start >= released, (lines[start]?[site]?.count ?? 0) < m.lines { return false }
                    if let p = m.previous, p < released { return true }
                    guard let last = s.chainLast else {
                        if m.previous == nil { return true }
                        // The site's first mark (previous null) may be among what the consumer skipped
                        // (`streamCut`); then no chain ever started, nothing was planned and the planner
                        // never exited. A tap publishes a window's lines, then its mark, in order, so by
                        // the time a mark is read the one before it was read unless it was skipped: the
                        // chain starts at the earliest mark whose lines are all in and whose
                        // predecessor's mark was not read, or was read without all its lines (some were
                        // before the cut).
                        guard streamCut == true, let p = m.previous else { return false }
                        return s.marks[p].map { (lines[p]?[site]?.count ?? 0) < $0.lines } ?? true
                    }
                    // A tap that started again (a crash, a restart) without its end: it closed none of
                    // the windows between its chain's last and its new first one, so they are held
                    // until they are released without it (--lateness), as for a lost mark; taken as
                    // the chain's next link, they counted as closed and were planned as empty.
                    if m.previous == nil, !Self.endedAtChain(s), let d = duration, start > last + d { return start - d < released }
                    return (m.previous ?? Int64.min) <= floor
                }.keys.min()
            }
            guard let start = next, let mark = s.marks[start] else { return }
            // A window released without this site needs no lines to pass: they would come too late.
            let released = releasedThrough.map { start < $0 } ?? false
            guard released || (lines[start]?[site]?.count ?? 0) >= mark.lines else { return }
            if !released, let siteLines = lines[start]?[site], siteLines.keys.count(where: isKnown) > mark.lines {
                // More lines to merge than its mark counts came before it (a stray or forged line,
                // another run's): which are the tap's cannot be told, so all are merged, and said.
                // Until 7 December 2026 they were merged without a word (an audit: a line of 5 GB
                // for a learned cell, conflicts 0, exit 0). Lines for ids the topology does not name
                // are left out of the count: they are never merged, and a tap may publish them.
                let held = siteLines.count
                conflicts += 1
                lastProblem = "its mark closed the window at \(Self.seconds(start)) counting \(mark.lines) line\(mark.lines == 1 ? "" : "s"), "
                    + "but \(held) came for it (a stray line, or another run's?); all are merged"
            }
            s.marks[start] = nil
            if released {
                var passed = s.passedReleased ?? []
                passed.append(start)
                if passed.count > 4096 { passed.removeFirst(passed.count - 4096) }
                s.passedReleased = passed
            }
            if let p = mark.previous, let last = s.chainLast, p > last {
                gaps.append("site \(site): the mark of its window at \(Self.seconds(p)) had not come when that window was planned "
                    + "(lost?); its windows go on from \(Self.seconds(start)) (the windows before were planned without it)")
            }
            if mark.previous == nil, !Self.endedAtChain(s), let last = s.chainLast, let d = duration, start > last + d {
                gaps.append("site \(site): its tap started again with the window at \(Self.seconds(start)) without having ended "
                    + "(a crash or restart?); it closed no window from \(Self.seconds(last + d)) to \(Self.seconds(start - d)), "
                    + "which were planned without it")
            }
            if !released && firstClosedAt[start] == nil { firstClosedAt[start] = now }
            if s.chainFirst == nil, let p = mark.previous {
                s.cutFirst = start
                s.marks = s.marks.filter { $0.key > start }
                let why = streamCut == true ? "the consumer started after it: --from, or the stream's limits or maximum age removed it" : "lost?"
                gaps.append("site \(site): the mark of its first window (previous null) was not read (\(why)); its windows start "
                    + "from the one at \(Self.seconds(start)) (whose mark names \(Self.seconds(p)) before it)")
            }
            if s.chainFirst == nil {
                s.chainFirst = start
                // A site whose first window comes after the first release: compared as it comes.
                if releasedThrough != nil { state[site] = s; checkReplayClocks(); s = state[site]! }
            }
            s.chainLast = start
            // A window after the site's end (after any window at all, for an end that closed none):
            // a later run of its tap, which the planner waits for again.
            if s.ended && (s.endLastStart.map { start > $0 } ?? true) { s.ended = false; s.endLastStart = nil }
        }
    }

    /// The site's end read closes its chain as it stands: the end names the chain's last window
    /// (or none, before any). Only then is a run whose first mark (previous null) comes after a gap
    /// a later run after a clean end, the gap windows finished. An end naming a later window is the
    /// new run's own: the tap started again without ending (a crash), and the gap is not closed by
    /// it. Until the fourth scale-out audit any end read counted, so a replay restarted within
    /// --lateness that ran to its end had the windows it never closed planned as its zero traffic.
    private static func endedAtChain(_ s: Site) -> Bool {
        guard s.ended else { return false }
        guard let endLast = s.endLastStart, let last = s.chainLast else { return s.chainLast == nil || s.endLastStart == nil }
        return endLast <= last
    }

    /// The topology's cells and links, in order: every merged window has a line for each.
    public var topologyCells: [String] = []
    public var topologyLinks: [String] = []

    /// Sets the topology's order and `observer:` fields (on every start; not persisted).
    public mutating func use(_ topology: Topology) {
        topologyCells = topology.cells.map(\.id)
        topologyLinks = topology.links.map(\.id)
        knownIDs = Set(topologyCells.map { "cell:\($0)" } + topologyLinks.map { "link:\($0)" })
        observers = [:]
        for c in topology.cells { if let o = c.observer { observers["cell:\(c.id)"] = o } }
        for l in topology.links { if let o = l.observer { observers["link:\(l.id)"] = o } }
    }
}
