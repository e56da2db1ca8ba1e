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
    /// From a site not in `--sites`: ignored.
    case unlistedSite
    /// Not a Flowcast message of a version this planner reads.
    case garbage
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
    private var state: [String: Site]
    /// Lines not yet merged: window start → site → "kind:id" → line.
    private var lines = HeldLines()
    /// End of the last released window.
    public private(set) var releasedThrough: Int64?
    public private(set) var duration: Int64?
    /// Wall time (s) at which the first site closed each unreleased window.
    private var firstClosedAt: [Int64: Double] = [:]
    private var now: Double = 0
    public private(set) var counts: [IngestOutcome: Int] = [:]
    /// Lines ignored because the topology names another site as the cell's or link's observer.
    public private(set) var observerIgnored = 0
    /// Lines for the same key with different counts (the first one is kept).
    public private(set) var conflicts = 0
    /// Windows released without some site, and which.
    public private(set) var windowsWithMissingSites = 0
    /// `kind:id` → the only site whose lines count for it (topology `observer:`). Not persisted:
    /// set from the topology on every start.
    public var observers: [String: String] = [:]
    /// Counts what `nextReady` changed (windows released, lateness clocks started), so the planner
    /// knows when a call with no new message must be journaled. Not persisted.
    public private(set) var changes = 0
    /// What was wrong with the message `ingest` took last: why it is `garbage`, or, for a line that
    /// repeats a held line's key with other counts (a conflict, counted `duplicate`), which line.
    /// nil otherwise. Not persisted.
    public private(set) var lastProblem: String?
    /// Chains that went on past a window whose mark never came (`advance`), and held lines dropped
    /// (`pruneHeldLines`), and clock warnings (`checkLiveClock`, `checkReplayClocks`), for the log;
    /// the planner takes them (`takeGaps`). Not persisted.
    public private(set) var gaps: [String] = []

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
    /// When (the caller's clock, s) `caughtUp` first found every site read had ended while some
    /// listed site had sent nothing it read; nil while that does not hold.
    private var unreadSince: Double?
    private var droppedHeldLines: Int?
    private var refusedLearnedCells: Int?
    /// Lines of cells learned from signalling beyond `TopologyLimits.maximumCells` cells in all,
    /// not merged (a tap refuses cells beyond the same bound; each learned cell has a line in every
    /// later window, so without one a tap naming new cells without end grew every window).
    public var learnedCellLinesRefused: Int { refusedLearnedCells ?? 0 }
    /// The bound on cells in all (the topology's and learned ones); a test lowers it.
    var maximumCells = TopologyLimits.maximumCells
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
    private var seenOutsideTopology: Set<String> = []

    public init(sites: [String]) {
        self.sites = sites
        state = Dictionary(uniqueKeysWithValues: sites.map { ($0, Site()) })
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
    private func hasEnded(_ site: String, atOrBefore start: Int64) -> Bool {
        let s = state[site]!
        return s.unread == .ended || s.ended && (s.endLastStart ?? Int64.min) <= start
    }

    /// Sites that have published their end.
    public var endedSites: [String] { sites.filter { state[$0]!.ended } }
    /// Sites of which nothing was read while every other site had ended (`caughtUp`).
    public var sitesNotRead: [String] { sites.filter { state[$0]!.unread != nil } }
    public func windowLines(of site: String) -> Int { state[site]?.windowLines ?? 0 }
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
        if let sequence {
            // A redelivery (or a stream created again after a server lost its store) is lower.
            if sequence > (lastSequence ?? 0) + 1 { streamCut = true }
            lastSequence = max(lastSequence ?? 0, sequence)
        }
        let outcome: IngestOutcome
        do { outcome = try classify(subject: subject, payload: payload) } catch {
            lastProblem = error.reason
            outcome = .garbage
        }
        counts[outcome, default: 0] += 1
        return outcome
    }

    private mutating func classify(subject: String, payload: [UInt8]) throws(BadMessage) -> IngestOutcome {
        guard let json = FlatJSON(payload) else { throw BadMessage("not one JSON object") }
        if subject.hasPrefix(FlowcastSubjects.prefix + ".win.") {
            let (site, w) = try WindowSummary.parsePublished(json)
            guard FlowcastSubjects.isWindow(subject, site: site, kind: w.kind, id: w.id) else {
                throw BadMessage("the subject is not the one of its site, kind and id (\(FlowcastSubjects.window(site: site, kind: w.kind, id: w.id)))")
            }
            guard state[site] != nil else { return .unlistedSite }
            heard(site)
            if let d = duration, d != w.durationNanoseconds { throw Self.otherDuration(w.durationNanoseconds, d) }
            try Self.onGrid(w.startNanoseconds, w.durationNanoseconds)
            if let last = state[site]!.chainLast, w.startNanoseconds <= last { return .duplicate }
            // Released without this site (after --lateness): too late to count.
            if let r = releasedThrough, w.startNanoseconds < r { return .late }
            if let newest = state[site]!.newestMark, w.startNanoseconds > newest + Self.horizon {
                lastProblem = "a line for the window at \(Self.seconds(w.startNanoseconds)), \(Self.span(w.startNanoseconds - newest)) "
                    + "after the newest window site \(site) has marked (\(Self.seconds(newest))); dropped"
                return .farAhead
            }
            let key = "\(w.kind.rawValue):\(w.id)"
            if let held = lines[w.startNanoseconds]?[site]?[key] {
                if held != w {
                    conflicts += 1
                    lastProblem = "a second line for \(key) in the window at \(Self.seconds(w.startNanoseconds)) with other counts (bytes \(w.bytesUp)/\(w.bytesDown), packets \(w.packetsUp)/\(w.packetsDown); the first, \(held.bytesUp)/\(held.bytesDown) and \(held.packetsUp)/\(held.packetsDown), is kept)"
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
            if let d = duration, d != mark.duration { throw Self.otherDuration(mark.duration, d) }
            try Self.onGrid(mark.start, mark.duration)
            if let p = mark.previous { try Self.onGrid(p, mark.duration, field: "previous") }
            if duration == nil { duration = mark.duration }
            if let last = state[mark.site]!.chainLast, mark.start <= last { return .duplicate }
            if state[mark.site]!.marks[mark.start] != nil { return .duplicate }
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

    static func otherDuration(_ got: Int64, _ stream: Int64) -> BadMessage {
        BadMessage("window length \(seconds(got)), not the \(seconds(stream)) of the stream's first mark")
    }

    /// Extends a site's chain over every mark whose window is complete.
    private mutating func advance(_ site: String) {
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
            s.marks[start] = nil
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

    // MARK: release

    /// `absent`: nothing of it was read and it was taken as ended (`caughtUp`): named missing, not waited for.
    private enum SiteState { case closed, finished, pending, absent }

    private func status(_ site: String, window start: Int64, duration d: Int64) -> SiteState {
        let s = state[site]!
        if s.unread == .ended { return .absent }
        // Before a chain started after a cut the site's lines are incomplete or gone: not closed.
        if let cut = s.cutFirst, start < cut { return .pending }
        if let last = s.chainLast, last >= start { return .closed }
        if s.ended {
            let reached = s.endLastStart.map { endLast in (s.chainLast ?? Int64.min) >= endLast } ?? true
            if reached && start > (s.endLastStart ?? Int64.min) { return .finished }
        }
        return .pending
    }

    /// The next window to plan, when it is ready (`now`: the caller's clock, s).
    public mutating func nextReady(now: Double, lateness: Double) -> MergedWindow? {
        guard let d = duration else { return nil }
        self.now = now
        let start: Int64
        if let r = releasedThrough {
            start = r
        } else {
            let firsts = sites.compactMap { state[$0]!.chainFirst }
            guard let first = firsts.min() else { return nil }
            start = first
            // Every site must have shown its first window (or ended without any) first: a site
            // whose first window is earlier may still be on its way.
            let unknown = sites.filter { state[$0]!.chainFirst == nil && !hasEnded($0, atOrBefore: Int64.min) }
            if !unknown.isEmpty {
                let seen = firstClosedAt[start] ?? now
                if firstClosedAt[start] == nil { firstClosedAt[start] = seen; changes += 1 }
                guard now - seen >= lateness else { return nil }
            }
        }
        var closed: [String] = [], pending: [String] = [], absent: [String] = []
        for site in sites {
            switch status(site, window: start, duration: d) {
            case .closed: closed.append(site)
            case .finished: break
            case .pending: pending.append(site)
            case .absent: absent.append(site)
            }
        }
        // Named missing, in the order of --sites.
        let missing = sites.filter { pending.contains($0) || absent.contains($0) }
        if closed.isEmpty {
            // Nobody has closed it: not yet, or everyone is done. Or every site still on it lost
            // its mark of this window (a single site's lost mark): then nobody ever will, but a
            // site's mark of a later window shows it went past. After --lateness the window is
            // planned without them, as a lost mark is among several sites (a single site stalled
            // the planner for good until 5 December 2026).
            let wentPast = pending.contains { site in state[site]!.marks.keys.contains { $0 > start } }
            guard wentPast else { return nil }
            let seen = firstClosedAt[start] ?? now
            if firstClosedAt[start] == nil { firstClosedAt[start] = seen; changes += 1 }
            guard now - seen >= lateness else { return nil }
            let w = release(start: start, duration: d, contributors: [], missing: missing)
            // A site that went past several windows it never closed (a tap that started again after
            // a crash): its later mark was there when this window's clock started, so the next
            // window's starts then too, instead of each window of the gap waiting --lateness in turn.
            let next = start + d
            if firstClosedAt[next] == nil, pending.contains(where: { site in
                status(site, window: next, duration: d) == .pending && state[site]!.marks.keys.contains { $0 > next }
            }) {
                firstClosedAt[next] = seen
            }
            return w
        }
        var waiting = !pending.isEmpty
        if !waiting && closed.contains(where: { site in lines[start]?[site]?.values.contains(where: \.partial) ?? false }) {
            // A partial line is its site's last window: whether the network's capture ends here too
            // is known once some site has gone past it or every site has ended.
            let continues = sites.contains { (state[$0]!.chainLast ?? Int64.min) > start }
            let allEnded = sites.allSatisfy { hasEnded($0, atOrBefore: start) }
            waiting = !continues && !allEnded
        }
        if waiting {
            let seen = firstClosedAt[start] ?? now
            if firstClosedAt[start] == nil { firstClosedAt[start] = seen; changes += 1 }
            guard now - seen >= lateness else { return nil }
        }
        return release(start: start, duration: d, contributors: closed, missing: missing)
    }

    private mutating func release(start: Int64, duration d: Int64, contributors: [String], missing: [String]) -> MergedWindow {
        changes += 1
        var merged: [String: WindowSummary] = [:]
        var anyPartial = false
        // A missing site that had begun its windows before this one (a lost mark, a tap that
        // crashed and started again) observed part of this window's traffic, which is not here: the
        // window understates the load of what that site carries, which is marked partial and neither
        // learned from nor scored (it was learned from as the lower load, as zero with a single
        // site). Not for a site that has shown no window yet (it may not have begun), nor for a cell
        // or link another site carries alone (`carriers(of:)`; until 6 December 2026 every cell and
        // link of the network was marked).
        let understating = missing.filter { site in state[site]!.chainFirst.map { $0 < start } ?? false }
        // Lines observed only from some time on (`observedFrom`: their tap began inside the window,
        // a restart), by cell or link: that time is kept below only for what their site carries.
        var observedFrom: [String: [(site: String, from: Int64)]] = [:]
        let held = lines[start] ?? [:]
        for site in contributors {
            // Taken out while it grows, so that inserting does not copy it.
            var carried = state[site]!.carried ?? []
            state[site]!.carried = nil
            defer { state[site]!.carried = carried }
            for (key, heldLine) in held[site] ?? [:] {
                if !isKnown(key) { continue }  // counted as unknownID when it came
                if let observer = observers[key], observer != site { observerIgnored += 1; continue }
                var line = heldLine
                if line.partial { anyPartial = true }
                if let from = line.observedFromNanoseconds {
                    observedFrom[key, default: []].append((site, from))
                    line.observedFromNanoseconds = nil
                }
                if line.bytesUp | line.bytesDown | line.packetsUp | line.packetsDown != 0 { carried.insert(key) }
                if merged[key] == nil {
                    var w = line
                    w.partial = false
                    merged[key] = w
                } else {
                    merged[key]!.add(line)
                }
            }
        }
        // A site's late start cuts only its own share: the latest time of the sites that carry the
        // cell or link (with traffic in this window or an earlier one), or of any, when none is
        // known to (its traffic may be in the part not observed).
        for (key, cuts) in observedFrom {
            let carriers = carriers(of: key)
            merged[key]?.observedFromNanoseconds = cuts.filter { carriers.isEmpty || carriers.contains($0.site) }.map(\.from).max()
        }
        func understated(_ key: String) -> Bool {
            guard !understating.isEmpty else { return false }
            let carriers = carriers(of: key)
            return carriers.isEmpty || understating.contains(where: carriers.contains)
        }
        // Partial only when the network's capture ends in it: every site ended at or before it.
        let networkEnds = sites.allSatisfy { hasEnded($0, atOrBefore: start) }
        let partial = anyPartial && networkEnds
        lines[start] = nil
        firstClosedAt[start] = nil
        let first = releasedThrough == nil
        releasedThrough = start + d
        if first {
            pruneHeldLines(duration: d)
            checkReplayClocks()
        }
        // A site waiting on a mark that never came goes on from its next mark once the window
        // before that one is released.
        for site in sites where !state[site]!.marks.isEmpty { advance(site) }
        if !missing.isEmpty { windowsWithMissingSites += 1 }
        var ordered: [WindowSummary] = []
        ordered.reserveCapacity(merged.count)
        func take(_ kind: WindowSummary.Kind, _ id: String) {
            var w = merged.removeValue(forKey: "\(kind.rawValue):\(id)")
                ?? WindowSummary(kind: kind, id: id, startNanoseconds: start, durationNanoseconds: d, partial: false)
            w.partial = partial || understated("\(kind.rawValue):\(id)")
            ordered.append(w)
        }
        let known = Set(topologyCells.map { "cell:\($0)" } + topologyLinks.map { "link:\($0)" })
        // Sorted: which cells are beyond the bound does not depend on a dictionary's order.
        let new = merged.keys.sorted().filter { !known.contains($0) && !seenOutsideTopology.contains($0) }
        // Cells so far, counted only when a window brings a new one.
        var cells = new.isEmpty ? 0 : topologyCells.count + seenOutsideTopology.count(where: { $0.hasPrefix("cell:") })
        for key in new {
            if key.hasPrefix("cell:") {
                guard cells < maximumCells else {
                    if refusedLearnedCells == nil {
                        gaps.append("warning: \(key), learned from signalling, is beyond \(maximumCells) cells in all; "
                            + "not merged (nor is any further new cell; planner-summary.json counts their lines)")
                    }
                    refusedLearnedCells = learnedCellLinesRefused + 1
                    merged[key] = nil
                    continue
                }
                cells += 1
            }
            seenOutsideTopology.insert(key)
        }
        for key in seenOutsideTopology where merged[key] == nil {
            let kind: WindowSummary.Kind = key.hasPrefix("cell:") ? .cell : .link
            merged[key] = WindowSummary(kind: kind, id: String(key.dropFirst(5)), startNanoseconds: start, durationNanoseconds: d, partial: false)
        }
        for cell in topologyCells { take(.cell, cell) }
        for id in merged.keys.filter({ $0.hasPrefix("cell:") }).map({ String($0.dropFirst(5)) }).sorted() { take(.cell, id) }
        for link in topologyLinks { take(.link, link) }
        for id in merged.keys.filter({ $0.hasPrefix("link:") }).map({ String($0.dropFirst(5)) }).sorted() { take(.link, id) }
        return MergedWindow(start: start, duration: d, windows: ordered, missingSites: missing)
    }

    /// The sites that carry a cell or link (`kind:id`): its `observer:`, or the sites a line of
    /// which had traffic for it in a released window (this one included, once merged). Empty when
    /// no site is known to.
    private func carriers(of key: String) -> [String] {
        if let observer = observers[key] { return [observer] }
        return sites.filter { state[$0]!.carried?.contains(key) ?? false }
    }

    // MARK: clocks

    /// A live tap publishes each window as it closes, so the end of its window and the time the
    /// stream stored the window's mark (the server's clock: the planner's reference for live taps)
    /// differ by the publishing delay; by hours only when the tap's clock is that far off (or its
    /// windows waited in its spool that long). The largest difference seen is the estimate: delays
    /// only lower it.
    private mutating func checkLiveClock(_ site: String, end: Int64) {
        let stored = Int64((now * 1e9).rounded())
        let offset = max(state[site]!.liveOffset ?? (end - stored), end - stored)
        state[site]!.liveOffset = offset
        guard state[site]!.clockWarning == nil, abs(offset) >= Self.clockWarningNanoseconds else { return }
        state[site]!.clockWarning = offset
        gaps.append("warning: site \(site)'s windows are \(Self.span(abs(offset))) \(offset < 0 ? "behind" : "ahead of") the stream's clock "
            + "(a window of its ending at \(IntervalPlanner.iso(end)) was stored by nats-server at \(IntervalPlanner.iso(stored)); "
            + "a live tap publishes a window as it closes) — is its clock wrong"
            + (offset < 0 ? ", or did its windows wait in its spool?" : "?"))
    }

    /// Replayed captures are of the past, so the stream's clock says nothing of them; but the
    /// captures of one run cover the same time, so each replay site's first window is compared with
    /// the other replay sites' (their median; with an even number of others, it must be off from
    /// both middle ones): once the first window is planned (every site has shown its first by then,
    /// or was waited for), and for a site whose first window comes later, as it comes. With two
    /// sites each is compared with the other, and both are named.
    private mutating func checkReplayClocks() {
        let firsts = sites.compactMap { site -> (String, Int64)? in
            guard state[site]!.mode != "live", let first = state[site]!.chainFirst else { return nil }
            return (site, first)
        }
        guard firsts.count >= 2 else { return }
        for (site, first) in firsts where state[site]!.clockWarning == nil {
            let others = firsts.filter { $0.0 != site }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            let middle = others.count % 2 == 1 ? [others[others.count / 2]] : [others[others.count / 2 - 1], others[others.count / 2]]
            let offsets = middle.map { first - $0.1 }
            guard offsets.allSatisfy({ abs($0) >= Self.clockWarningNanoseconds }),
                  offsets.allSatisfy({ $0 < 0 }) || offsets.allSatisfy({ $0 > 0 }) else { continue }
            let offset = offsets.min { abs($0) < abs($1) }!
            state[site]!.clockWarning = offset
            let theirs = others.map { "\($0.0)'s at \(IntervalPlanner.iso($0.1))" }.joined(separator: ", ")
            gaps.append("warning: site \(site)'s windows are \(Self.span(abs(offset))) \(offset < 0 ? "behind" : "ahead of") the other sites' "
                + "(its first window starts at \(IntervalPlanner.iso(first)), \(theirs); the captures of one run should cover the same time) "
                + "— is its clock wrong\(others.count == 1 ? ", or \(others[0].0)'s" : "")?")
        }
    }

    /// Drops held lines no window of theirs can be planned with: at the first release, those of
    /// windows before it (later lines of such windows are `late` as they come), and those far after
    /// the newest window their site has marked (later ones are `farAhead` as they come), both held
    /// since before their site had marked a window.
    private mutating func pruneHeldLines(duration d: Int64) {
        guard let released = releasedThrough else { return }
        var before = 0, ahead = 0
        for start in lines.starts {
            guard var held = lines[start] else { continue }
            for (site, keyed) in held {
                if start < released {
                    before += keyed.count
                } else if let newest = state[site]?.newestMark, start > newest + Self.horizon {
                    ahead += keyed.count
                } else {
                    continue
                }
                held[site] = nil
            }
            lines[start] = held.isEmpty ? nil : held
            if held.isEmpty { firstClosedAt[start] = nil }
        }
        guard before + ahead > 0 else { return }
        droppedHeldLines = heldLinesDropped + before + ahead
        var what: [String] = []
        if before > 0 { what.append("\(before) of windows before the first one planned (\(Self.seconds(released - d)))") }
        if ahead > 0 { what.append("\(ahead) of windows more than \(Self.span(Self.horizon)) after the newest window their site has marked") }
        gaps.append("dropped held lines no window of theirs can be planned with: " + what.joined(separator: ", and "))
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

/// How the planner's checkpoint (planner-state.json, under `--out`) holds a window it has not yet
/// merged: every counter as the aggregator keeps it and times in nanoseconds, so a restarted
/// planner resumes with exactly the values it saved. This is the checkpoint's private form; the
/// window's published form is `WindowLine` (windows.jsonl).
extension WindowSummary: Codable {
    enum CheckpointKeys: String, CodingKey {
        case kind, id, startNanoseconds, durationNanoseconds, partial, bytesUp, bytesDown, packetsUp, packetsDown
        case activeFlows, newFlows, retransmissions, zeroWindows, decodeIssues, sizeHistogram
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CheckpointKeys.self)
        self.init(kind: try c.decode(Kind.self, forKey: .kind), id: try c.decode(String.self, forKey: .id),
                  startNanoseconds: try c.decode(Int64.self, forKey: .startNanoseconds),
                  durationNanoseconds: try c.decode(Int64.self, forKey: .durationNanoseconds),
                  partial: try c.decode(Bool.self, forKey: .partial))
        bytesUp = try c.decode(UInt64.self, forKey: .bytesUp); bytesDown = try c.decode(UInt64.self, forKey: .bytesDown)
        packetsUp = try c.decode(UInt64.self, forKey: .packetsUp); packetsDown = try c.decode(UInt64.self, forKey: .packetsDown)
        activeFlows = try c.decode(UInt64.self, forKey: .activeFlows); newFlows = try c.decode(UInt64.self, forKey: .newFlows)
        retransmissions = try c.decode(UInt64.self, forKey: .retransmissions)
        zeroWindows = try c.decode(UInt64.self, forKey: .zeroWindows); decodeIssues = try c.decode(UInt64.self, forKey: .decodeIssues)
        let sizes = try c.decode([UInt64].self, forKey: .sizeHistogram)
        guard sizes.count == SizeHistogram.count else {
            throw DecodingError.dataCorruptedError(forKey: .sizeHistogram, in: c,
                                                   debugDescription: "expected \(SizeHistogram.count) size classes, found \(sizes.count)")
        }
        for (i, n) in sizes.enumerated() { sizeHistogram[i] = n }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CheckpointKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(id, forKey: .id)
        try c.encode(startNanoseconds, forKey: .startNanoseconds); try c.encode(durationNanoseconds, forKey: .durationNanoseconds)
        try c.encode(partial, forKey: .partial)
        try c.encode(bytesUp, forKey: .bytesUp); try c.encode(bytesDown, forKey: .bytesDown)
        try c.encode(packetsUp, forKey: .packetsUp); try c.encode(packetsDown, forKey: .packetsDown)
        try c.encode(activeFlows, forKey: .activeFlows); try c.encode(newFlows, forKey: .newFlows)
        try c.encode(retransmissions, forKey: .retransmissions); try c.encode(zeroWindows, forKey: .zeroWindows)
        try c.encode(decodeIssues, forKey: .decodeIssues)
        try c.encode((0..<SizeHistogram.count).map { sizeHistogram[$0] }, forKey: .sizeHistogram)
    }
}

/// The lines a `SiteMerger` holds (window start → site → "kind:id" → line). The checkpoint
/// saves them as one string, a line of text per held line:
/// "start<TAB>site<TAB>kind:id<TAB>duration partial bytesUp bytesDown packetsUp packetsDown
/// activeFlows newFlows retransmissions zeroWindows decodeIssues h0 … h6" (site and id with `%`,
/// tab and newline percent-escaped). With one site far behind, a checkpoint holds hundreds of
/// thousands of lines, and Foundation's JSONEncoder spent most of a save on each line's keyed
/// object: 26 % of the planner's CPU at 5,000 cells (tools/bench-planner.sh); the text is
/// written by hand because it is on that path. A checkpoint of the keyed form (a dictionary of
/// `WindowSummary` objects in `CheckpointKeys`, written before 2026-12-05) still reads.
struct HeldLines: Codable, Sendable {
    private var storage: [Int64: [String: [String: WindowSummary]]] = [:]

    init() {}

    /// The window starts it holds lines for.
    var starts: [Int64] { Array(storage.keys) }

    subscript(start: Int64) -> [String: [String: WindowSummary]]? {
        get { storage[start] }
        set { storage[start] = newValue }
    }

    subscript(start: Int64, default empty: [String: [String: WindowSummary]]) -> [String: [String: WindowSummary]] {
        get { storage[start, default: empty] }
        _modify { yield &storage[start, default: empty] }
    }

    func encode(to encoder: any Encoder) throws {
        var text: [UInt8] = []
        text.reserveCapacity(storage.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } * 96)
        // Sorted, so a checkpoint is the same bytes for the same state.
        for start in storage.keys.sorted() {
            let sites = storage[start]!
            for site in sites.keys.sorted() {
                let held = sites[site]!
                for key in held.keys.sorted() {
                    Self.append(held[key]!, start: start, site: site, key: key, to: &text)
                }
            }
        }
        var single = encoder.singleValueContainer()
        try single.encode(String(decoding: text, as: UTF8.self))
    }

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let text = try? single.decode(String.self) {
            for (n, row) in text.utf8.split(separator: UInt8(ascii: "\n")).enumerated() {
                guard let (start, site, key, w) = Self.line(row) else {
                    throw DecodingError.dataCorruptedError(in: single, debugDescription:
                        "held line \(n + 1): expected start, site, kind:id and \(11 + SizeHistogram.count) numbers (\(12 + SizeHistogram.count) with drops, \(13 + SizeHistogram.count) with the time a first window was observed from), found \"\(String(decoding: row.prefix(200), as: UTF8.self))\"")
                }
                storage[start, default: [:]][site, default: [:]][key] = w
            }
        } else {
            storage = try single.decode([Int64: [String: [String: WindowSummary]]].self)
        }
    }

    static func append(_ w: WindowSummary, start: Int64, site: String, key: String, to text: inout [UInt8]) {
        text.appendDecimal(Int(start))
        text.append(9)
        appendEscaped(site, to: &text)
        text.append(9)
        appendEscaped(key, to: &text)
        text.append(9)
        text.appendDecimal(Int(w.durationNanoseconds))
        text.append(contentsOf: w.partial ? [32, 49] : [32, 48])
        for v in [w.bytesUp, w.bytesDown, w.packetsUp, w.packetsDown, w.activeFlows, w.newFlows, w.retransmissions,
                  w.zeroWindows, w.decodeIssues] {
            text.append(32)
            text.appendDecimal(v)
        }
        for i in 0..<SizeHistogram.count {
            text.append(32)
            text.appendDecimal(w.sizeHistogram[i])
        }
        // Only when not zero, so a state without drops keeps its bytes (and older ones read); a
        // first window observed in part adds its time after the drops (0 then when none).
        if w.droppedBeforeCapture != 0 || w.observedFromNanoseconds != nil {
            text.append(32)
            text.appendDecimal(w.droppedBeforeCapture)
        }
        if let from = w.observedFromNanoseconds {
            text.append(32)
            text.appendDecimal(Int(from))
        }
        text.append(10)
    }

    static func appendEscaped(_ s: String, to text: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "%"): text.append(contentsOf: Array("%25".utf8))
            case 9: text.append(contentsOf: Array("%09".utf8))
            case 10: text.append(contentsOf: Array("%0A".utf8))
            default: text.append(b)
            }
        }
    }

    /// One held line of the checkpoint's text; nil when it is malformed.
    static func line(_ row: some Collection<UInt8>) -> (Int64, String, String, WindowSummary)? {
        let parts = row.split(separator: 9, omittingEmptySubsequences: false)
        guard parts.count == 4, let start = Int64(String(decoding: parts[0], as: UTF8.self)),
              let site = unescape(parts[1]), let key = unescape(parts[2]),
              let colon = key.firstIndex(of: ":"), let kind = WindowSummary.Kind(rawValue: String(key[..<colon])) else { return nil }
        let fields = parts[3].split(separator: 32, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard (11 + SizeHistogram.count)...(13 + SizeHistogram.count) ~= fields.count,
              let duration = Int64(fields[0]), duration > 0, let partial = UInt8(fields[1]), partial <= 1 else { return nil }
        let counters = fields.dropFirst(2).compactMap { UInt64($0) }
        guard counters.count == fields.count - 2 else { return nil }
        var w = WindowSummary(kind: kind, id: String(key[key.index(after: colon)...]), startNanoseconds: start,
                              durationNanoseconds: duration, partial: partial == 1)
        (w.bytesUp, w.bytesDown, w.packetsUp, w.packetsDown) = (counters[0], counters[1], counters[2], counters[3])
        (w.activeFlows, w.newFlows, w.retransmissions) = (counters[4], counters[5], counters[6])
        (w.zeroWindows, w.decodeIssues) = (counters[7], counters[8])
        for i in 0..<SizeHistogram.count { w.sizeHistogram[i] = counters[9 + i] }
        if counters.count >= 10 + SizeHistogram.count { w.droppedBeforeCapture = counters[9 + SizeHistogram.count] }
        if counters.count == 11 + SizeHistogram.count {
            guard let from = Int64(exactly: counters[10 + SizeHistogram.count]), from > start, from - start < duration else { return nil }
            w.observedFromNanoseconds = from
        }
        return (start, site, key, w)
    }

    /// Undoes `appendEscaped`; nil for a `%` not followed by one of its three escapes.
    static func unescape(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var it = bytes.makeIterator()
        while let b = it.next() {
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard let h = it.next(), let l = it.next() else { return nil }
            switch (h, l) {
            case (UInt8(ascii: "2"), UInt8(ascii: "5")): out.append(UInt8(ascii: "%"))
            case (UInt8(ascii: "0"), UInt8(ascii: "9")): out.append(9)
            case (UInt8(ascii: "0"), UInt8(ascii: "A")): out.append(10)
            default: return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
