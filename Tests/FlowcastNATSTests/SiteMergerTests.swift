import Foundation
import FlowcastCore
import FlowcastAggregate
@testable import FlowcastPipeline
import Testing

/// The planner's merge on its own: messages as taps publish them, in any order.
@Suite("SiteMerger")
struct SiteMergerTests {
    static func line(_ site: String, _ kind: String, _ id: String, start: Int, bytes: Int, partial: Bool = false,
                     observedFrom: Int? = nil) -> (String, [UInt8]) {
        let from = observedFrom.map { #","observedFrom":\#($0)"# } ?? ""
        let json = #"{"kind":"\#(kind)","id":"\#(id)","start":\#(start),"duration":10,"partial":\#(partial),"bytesUp":\#(bytes),"bytesDown":1,"packetsUp":1,"packetsDown":1,"activeFlows":1,"newFlows":0,"retransmissions":0,"zeroWindows":0,"decodeIssues":0,"sizeHistogram":[1,0,0,0,0,0,1]\#(from),"site":"\#(site)"}"#
        return ("flowcast.v1.win.\(site).\(kind).\(id)", Array(json.utf8))
    }
    static func mark(_ site: String, start: Int, previous: Int?, lines: Int) -> (String, [UInt8]) {
        let json = #"{"formatVersion":1,"type":"window","site":"\#(site)","mode":"replay","start":\#(start),"duration":10,"previous":\#(previous.map(String.init) ?? "null"),"lines":\#(lines)}"#
        return ("flowcast.v1.tap.\(site)", Array(json.utf8))
    }
    static func end(_ site: String, lastStart: Int?) -> (String, [UInt8]) {
        ("flowcast.v1.tap.\(site)", Array(#"{"formatVersion":1,"type":"end","site":"\#(site)","mode":"replay","lastStart":\#(lastStart.map(String.init) ?? "null"),"windows":3}"#.utf8))
    }

    /// Sites a and b over windows 100, 110, 120 (a ends after 110, its last window partial).
    static var messages: [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        for (k, start) in [100, 110].enumerated() {
            out.append(line("a", "cell", "c1", start: start, bytes: 10 + k, partial: start == 110))
            out.append(line("a", "link", "l1", start: start, bytes: 5, partial: start == 110))
            out.append(mark("a", start: start, previous: k == 0 ? nil : 100, lines: 2))
        }
        out.append(end("a", lastStart: 110))
        for (k, start) in [100, 110, 120].enumerated() {
            out.append(line("b", "cell", "c1", start: start, bytes: 100 + k, partial: start == 120))
            out.append(line("b", "cell", "c2", start: start, bytes: 7, partial: start == 120))
            out.append(mark("b", start: start, previous: k == 0 ? nil : start - 10, lines: 2))
        }
        out.append(end("b", lastStart: 120))
        return out
    }

    static func merge(_ messages: [(String, [UInt8])], observers: [String: String] = [:]) -> ([MergedWindow], SiteMerger) {
        var merger = SiteMerger(sites: ["a", "b"])
        merger.observers = observers
        var out: [MergedWindow] = []
        for (subject, payload) in messages {
            _ = merger.ingest(subject: subject, payload: payload, now: 0)
            while let w = merger.nextReady(now: 0, lateness: 30) { out.append(w) }
        }
        return (out, merger)
    }

    static func digest(_ windows: [MergedWindow]) -> [String] {
        windows.flatMap { w in w.windows.map { "\($0.startNanoseconds) \($0.kind.rawValue):\($0.id) \($0.bytesUp) \($0.partial) \($0.sizeHistogram[0])" } }
    }

    /// Until 7 December 2026 a line or mark for a window its site's chain had passed was a silent
    /// duplicate: a forged mark and line that came first replaced the site's whole window, and the
    /// tap's own lines went uncounted (an audit: all 10 policies differed, conflicts 0, exit 0).
    @Test("a forged mark and line that come before a site's own: its own lines and mark are conflicts, each named")
    func forgedWindowIsAConflict() {
        var messages = [Self.line("a", "cell", "c1", start: 100, bytes: 999_999), Self.mark("a", start: 100, previous: nil, lines: 1)]
        messages += Self.messages
        let (_, merger) = Self.merge(messages)
        // a's c1 with other counts, a's l1 its mark did not count, a's own mark counting 2 lines.
        #expect(merger.conflicts == 3)
        var said = SiteMerger(sites: ["a", "b"])
        var problems: [String] = []
        for (subject, payload) in messages {
            _ = said.ingest(subject: subject, payload: payload, now: 0)
            if let p = said.lastProblem { problems.append(p) }
        }
        #expect(problems.contains { $0.hasPrefix("a second line for cell:c1 in the window at ") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("a line for link:l1 in the window at ") && $0.contains("closed with 1 line it did not count") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("a second mark for the window at ") && $0.contains("counting 2 lines, where the first closed it with 1") }, "\(problems)")
        // The same messages twice (a re-sent spool past the stream's duplicate window) are no conflict.
        let (_, twice) = Self.merge(Self.messages + Self.messages)
        #expect(twice.conflicts == 0)
    }

    /// Lines its mark does not count that come before it were merged without a word (an audit: a
    /// line of 5 GB for a learned cell, conflicts 0, exit 0).
    @Test("a line the site's mark does not count, come before the mark: a conflict, named, and merged")
    func extraLineBeforeTheMark() {
        let stray = Self.line("a", "cell", "ecgi:00101-1", start: 100, bytes: 5_000_000_000)
        var merger = SiteMerger(sites: ["a", "b"])
        var problems: [String] = []
        var windows: [MergedWindow] = []
        for (subject, payload) in [stray] + Self.messages {
            _ = merger.ingest(subject: subject, payload: payload, now: 0)
            if let p = merger.lastProblem { problems.append(p) }
            while let w = merger.nextReady(now: 0, lateness: 30) { windows.append(w) }
        }
        #expect(merger.conflicts == 1)
        #expect(problems == ["its mark closed the window at 100 s counting 2 lines, but 3 came for it (a stray line, or another run's?); all are merged"],
                "\(problems)")
        #expect(windows.first?.windows.contains { $0.id == "ecgi:00101-1" } == true)
    }

    /// A tap's short trial run stopped inside window 110 and its real run began inside it: the
    /// stream dropped the real run's lines and mark of 110 as duplicates of the trial's (the same
    /// message ids) until 7 December 2026, so the planner planned the trial's part of the window
    /// and never knew (an audit). Ids now carry the content, so they reach the planner, which has
    /// planned the window with the trial's lines already (a single site): each is a conflict,
    /// named, and the real run's later windows go on from there.
    @Test("a later run's share of the window an earlier run ended in, after that window was planned: conflicts, named; later windows planned")
    func laterRunInTheWindowAnEarlierRunEndedIn() {
        var merger = SiteMerger(sites: ["a"])
        var problems: [String] = []
        var released: [MergedWindow] = []
        func take(_ messages: [(String, [UInt8])]) {
            for (subject, payload) in messages {
                _ = merger.ingest(subject: subject, payload: payload, now: 0)
                if let p = merger.lastProblem { problems.append(p) }
                while let w = merger.nextReady(now: 0, lateness: 30) { released.append(w) }
            }
        }
        // The trial: windows 100 and 110, the second partial (stopped inside it), and its end.
        take([Self.line("a", "cell", "c1", start: 100, bytes: 10), Self.line("a", "link", "l1", start: 100, bytes: 1),
              Self.mark("a", start: 100, previous: nil, lines: 2),
              Self.line("a", "cell", "c1", start: 110, bytes: 3, partial: true), Self.line("a", "link", "l1", start: 110, bytes: 1, partial: true),
              Self.mark("a", start: 110, previous: 100, lines: 2), Self.end("a", lastStart: 110)])
        #expect(released.map { $0.start / 1_000_000_000 } == [100, 110])
        #expect(problems.isEmpty && merger.conflicts == 0, "\(problems)")
        // The real run, begun at 115 s: its window 110 (the same link line: no conflict), a learned
        // cell the trial did not see, then 120.
        take([Self.line("a", "cell", "c1", start: 110, bytes: 40, observedFrom: 115),
              Self.line("a", "link", "l1", start: 110, bytes: 1, partial: true),
              Self.line("a", "cell", "ecgi:00101-7", start: 110, bytes: 5, observedFrom: 115),
              Self.mark("a", start: 110, previous: nil, lines: 3),
              Self.line("a", "cell", "c1", start: 120, bytes: 50), Self.line("a", "link", "l1", start: 120, bytes: 2),
              Self.mark("a", start: 120, previous: 110, lines: 2)])
        #expect(merger.conflicts == 3, "\(problems)")
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.first?.hasPrefix("a second line for cell:c1 in the window at 110 s with other counts (bytes 40/1") == true, "\(problems)")
        #expect(problems.first?.contains("is kept, and the window was planned with it); a line covers only part of the window: "
                                         + "did two runs of the tap share it (a trial run stopped inside it, or a capture rotated inside it)?") == true,
                "\(problems)")
        #expect(problems.dropFirst().first?.contains("a line for cell:ecgi:00101-7 in the window at 110 s, which the site's mark had closed with 2 lines it did not count; "
                                                     + "not taken (the window was planned without it)") == true, "\(problems)")
        #expect(problems.last == "a second mark for the window at 110 s counting 3 lines, where the first closed it with 2; the first is kept "
                + "(the window was planned with it)", "\(problems)")
        // The real run goes on: its window 120 is planned with its lines.
        #expect(released.map { $0.start / 1_000_000_000 } == [100, 110, 120])
        #expect(released.last?.windows.first { $0.id == "c1" }?.bytesUp == 50)
        // A copy of window 120 re-sent after it was planned (a spool, past the stream's duplicate
        // window) is the same as what was planned: no conflict.
        let before = merger.conflicts
        take([Self.line("a", "cell", "c1", start: 120, bytes: 50), Self.mark("a", start: 120, previous: 110, lines: 2)])
        #expect(merger.conflicts == before, "\(problems)")
    }

    /// Only the newest window planned with a site's lines keeps them to compare; a line for an
    /// older one was a silent duplicate, whatever its counts (an audit: a second tap with the
    /// same --site, 426 differing lines, conflicts 0, exit 0). It is `afterPlanned` now, unless the
    /// stream delivers a message it delivered before (a sequence already read).
    @Test("a line for a window planned with its site's lines, older than the newest: afterPlanned, said; a redelivery stays a duplicate")
    func lineForAnOlderPlannedWindow() {
        var merger = SiteMerger(sites: ["a", "b"])
        var sequence: UInt64 = 0
        for (subject, payload) in Self.messages {
            sequence += 1
            _ = merger.ingest(subject: subject, payload: payload, now: 0, sequence: sequence)
            while merger.nextReady(now: 0, lateness: 30) != nil {}
        }
        #expect(merger.releasedThrough == 130_000_000_000)
        let (subject, payload) = Self.line("a", "cell", "c1", start: 100, bytes: 77)
        #expect(merger.ingest(subject: subject, payload: payload, now: 0, sequence: sequence + 1) == .afterPlanned)
        #expect(merger.lastProblem == "a line for cell:c1 in the window at 100 s, which was planned with the site's lines already, "
            + "none of them with these counts (bytes 77/1, packets 1/1); not taken")
        // The same message delivered again (its sequence was read): a duplicate, unsaid.
        #expect(merger.ingest(subject: subject, payload: payload, now: 0, sequence: sequence + 1) == .duplicate)
        #expect(merger.lastProblem == nil)
        // a's newest planned window (110, a ended there) still compares: other counts are a conflict.
        let (s110, p110) = Self.line("a", "cell", "c1", start: 110, bytes: 1, partial: true)
        #expect(merger.ingest(subject: s110, payload: p110, now: 0, sequence: sequence + 2) == .conflict)
        #expect(merger.conflicts == 1 && merger.counts[.conflict] == 1)
        #expect(merger.counts[.afterPlanned] == 1)
    }

    /// A later line for a window planned without its site (the site began after it, or its mark did
    /// not come within --lateness) is late: the planned lines' digests have no entry for it. A
    /// window planned with the site but no line of it has an empty entry: a line for it then is
    /// not a copy. (An audit of 7 December 2026: such lines were afterPlanned, exit 3.)
    @Test("a line for a window planned without its site is late; for one planned with it and none of its lines, afterPlanned")
    func lineOfAWindowPlannedWithoutTheSite() {
        var merger = SiteMerger(sites: ["a", "b"])
        var sequence: UInt64 = 0, now = 100.0
        func take(_ message: (String, [UInt8])) -> IngestOutcome {
            sequence += 1
            defer { while merger.nextReady(now: now, lateness: 30) != nil {} }
            return merger.ingest(subject: message.0, payload: message.1, now: now, sequence: sequence)
        }
        // a: window 100, planned without b once --lateness (30 s) ran out; then a's 110 and 120,
        // and b from 110, closing it with no line, then 120.
        _ = take(Self.line("a", "cell", "c1", start: 100, bytes: 10))
        _ = take(Self.mark("a", start: 100, previous: nil, lines: 1))
        now = 131
        #expect(merger.nextReady(now: now, lateness: 30)?.missingSites == ["b"])
        for start in [110, 120] {
            _ = take(Self.line("a", "cell", "c1", start: start, bytes: 10))
            _ = take(Self.mark("a", start: start, previous: start == 100 ? nil : start - 10, lines: 1))
        }
        _ = take(Self.mark("b", start: 110, previous: nil, lines: 0))
        _ = take(Self.line("b", "cell", "c2", start: 120, bytes: 7))
        _ = take(Self.mark("b", start: 120, previous: 110, lines: 1))
        _ = take(Self.line("a", "cell", "c1", start: 130, bytes: 10))
        _ = take(Self.mark("a", start: 130, previous: 120, lines: 1))
        _ = take(Self.line("b", "cell", "c2", start: 130, bytes: 7))
        _ = take(Self.mark("b", start: 130, previous: 120, lines: 1))
        #expect(merger.releasedThrough == 140_000_000_000)
        // Window 100 was planned without b (b began at 110): a line of b's for it is late.
        #expect(take(Self.line("b", "cell", "c2", start: 100, bytes: 7)) == .late)
        // Window 110 was planned with b and no line of it: another run's line.
        #expect(take(Self.line("b", "cell", "c2", start: 110, bytes: 7)) == .afterPlanned)
        #expect(merger.lastProblem?.contains("none of them with these counts") == true, "\(merger.lastProblem ?? "")")
        #expect(merger.counts[.late] == 1 && merger.counts[.afterPlanned] == 1)
        // A state saved before the digests were kept: a line for an older planned window cannot be told.
        var old = merger
        old.forgetPlannedDigests(of: "a")
        #expect(old.ingest(subject: Self.line("a", "cell", "c1", start: 100, bytes: 10).0, payload: Self.line("a", "cell", "c1", start: 100, bytes: 10).1,
                           now: 100, sequence: sequence + 1) == .afterPlanned)
        #expect(old.lastCouldBeCopy && old.lastProblem?.contains("planned before this planner kept the digests") == true, "\(old.lastProblem ?? "")")
    }

    /// The oldest windows go first at the bound, through a checkpoint too (the order is the saved
    /// rows'), and a window recorded out of time order takes its place among them.
    @Test("planned-line digests drop the oldest windows first, across a checkpoint")
    func digestsDropTheOldestFirst() throws {
        func line(_ start: Int64) -> WindowSummary {
            var w = WindowSummary(kind: .cell, id: "c1", startNanoseconds: start, durationNanoseconds: 10, partial: false)
            w.bytesUp = UInt64(start)
            return w
        }
        var digests = PlannedLineDigests()
        for start in Int64(1)...6 { digests.record([line(start * 10)], start: start * 10, capacity: 4) }
        #expect(digests.knowledge(of: 20) == .dropped && digests.knowledge(of: 30) == .covered && digests.total == 4)
        digests = try JSONDecoder().decode(PlannedLineDigests.self, from: JSONEncoder().encode(digests))
        // Out of order (25, older than every window kept): kept, the oldest other (30) dropped; then
        // one more in order drops 25.
        digests.record([line(25)], start: 25, capacity: 4)
        #expect(digests.knowledge(of: 25) == .covered && digests.knowledge(of: 30) == .dropped && digests.knowledge(of: 40) == .covered)
        digests.record([line(70)], start: 70, capacity: 4)
        #expect(digests.knowledge(of: 25) == .dropped && digests.knowledge(of: 40) == .covered && digests.total == 4)
        #expect(digests.contains(line(70), start: 70) && !digests.contains(line(60), start: 70))
    }

    /// Until 7 December 2026 a copy was afterPlanned too: the same capture replayed to the planner
    /// after the stream's 15 min duplicate window exited 3 with every line of it said.
    @Test("a copy of a line planned in an older window (a new message: the stream stored it again) is a duplicate, after a restart too; beyond the digests kept it is afterPlanned, saying why")
    func copyOfAnOlderPlannedLine() throws {
        func planned(capacity: Int) -> (SiteMerger, UInt64) {
            var merger = SiteMerger(sites: ["a", "b"])
            merger.plannedDigestCapacity = capacity
            var sequence: UInt64 = 0
            for (subject, payload) in Self.messages {
                sequence += 1
                _ = merger.ingest(subject: subject, payload: payload, now: 0, sequence: sequence)
                while merger.nextReady(now: 0, lateness: 30) != nil {}
            }
            return (merger, sequence)
        }
        var (merger, sequence) = planned(capacity: PlannedLineDigests.defaultCapacity)
        // a's lines of window 100 as first sent, and the mark: new sequences, as a replay stored again.
        let copies = Array(Self.messages.prefix(3))
        for (k, (subject, payload)) in copies.enumerated() {
            #expect(merger.ingest(subject: subject, payload: payload, now: 0, sequence: sequence + 1 + UInt64(k)) == .duplicate)
            #expect(merger.lastProblem == nil)
        }
        sequence += UInt64(copies.count)
        // Through the checkpoint: the digests are saved with the state.
        merger = try JSONDecoder().decode(SiteMerger.self, from: JSONEncoder().encode(merger))
        let (subject, payload) = copies[0]
        #expect(merger.ingest(subject: subject, payload: payload, now: 0, sequence: sequence + 1) == .duplicate)
        // Same key, one count more: not a copy.
        let (s1, p1) = Self.line("a", "cell", "c1", start: 100, bytes: 11)
        #expect(merger.ingest(subject: s1, payload: p1, now: 0, sequence: sequence + 2) == .afterPlanned)
        #expect(merger.counts[.afterPlanned] == 1)
        #expect(merger.conflicts == 0)

        // Two digests kept: window 110's lines pushed window 100's out, so a copy of one cannot be told.
        var small = planned(capacity: 2).0
        #expect(small.ingest(subject: subject, payload: payload, now: 0, sequence: 100) == .afterPlanned)
        #expect(small.lastProblem == "a line for cell:c1 in the window at 100 s, which was planned with the site's lines already; not taken "
            + "(the window is older than the 2 planned lines the planner keeps of a site to tell a copy)")
    }

    @Test("a gap in a site's windows (it ended and started again later) with the other site silent: the gap's windows wait --lateness once, not each in turn")
    func gapWaitsOnce() {
        var merger = SiteMerger(sites: ["a", "b"])
        var messages: [(String, [UInt8])] = []
        for (k, start) in [100, 110, 120].enumerated() {
            messages.append(Self.line("a", "cell", "c1", start: start, bytes: 10))
            messages.append(Self.mark("a", start: start, previous: k == 0 ? nil : start - 10, lines: 1))
        }
        messages.append(Self.end("a", lastStart: 120))
        // The tap's next run, 80 s of capture later.
        for (k, start) in [200, 210].enumerated() {
            messages.append(Self.line("a", "cell", "c1", start: start, bytes: 20))
            messages.append(Self.mark("a", start: start, previous: k == 0 ? nil : start - 10, lines: 1))
        }
        for (subject, payload) in messages { _ = merger.ingest(subject: subject, payload: payload, now: 0) }
        var released: [Int64] = []
        while let w = merger.nextReady(now: 30, lateness: 30) { released.append(w.start / 1_000_000_000) }
        // Every window to a's newest is out at once, b (silent) missing from all: 100 to 210.
        #expect(released == Array(stride(from: 100, through: 210, by: 10)), "\(released)")
    }

    /// Until 7 December 2026 such a line counted as a duplicate, with no warning (an audit: a tap
    /// re-sending its spool after a restart had 24 lines so).
    @Test("a line of a window planned without its site, whose mark came before it, is late, not a duplicate")
    func lineAfterItsMarkOfAReleasedWindowIsLate() {
        var merger = SiteMerger(sites: ["a", "b"])
        for (subject, payload) in [Self.line("a", "cell", "c1", start: 100, bytes: 10), Self.mark("a", start: 100, previous: nil, lines: 1),
                                   Self.line("a", "cell", "c1", start: 110, bytes: 10), Self.mark("a", start: 110, previous: 100, lines: 1)] {
            _ = merger.ingest(subject: subject, payload: payload, now: 0)
        }
        // b says nothing in --lateness: window 100 is planned without it.
        #expect(merger.nextReady(now: 31, lateness: 30)?.start == 100_000_000_000)
        // Then b's mark of 100 (its chain passes it: planned already), and after it the line.
        let (markSubject, markPayload) = Self.mark("b", start: 100, previous: nil, lines: 1)
        #expect(merger.ingest(subject: markSubject, payload: markPayload, now: 40) == .mark)
        let (lineSubject, linePayload) = Self.line("b", "cell", "c1", start: 100, bytes: 7)
        #expect(merger.ingest(subject: lineSubject, payload: linePayload, now: 40) == .late)
        // A true duplicate (a line of a window b closed itself) is still one.
        for (subject, payload) in [Self.line("b", "cell", "c1", start: 110, bytes: 7), Self.mark("b", start: 110, previous: 100, lines: 1)] {
            _ = merger.ingest(subject: subject, payload: payload, now: 41)
        }
        _ = merger.nextReady(now: 41, lateness: 30)
        let (again, againPayload) = Self.line("b", "cell", "c1", start: 110, bytes: 7)
        #expect(merger.ingest(subject: again, payload: againPayload, now: 42) == .duplicate)
    }

    @Test("the order messages arrive in changes nothing")
    func orderIndependent() {
        let (inOrder, _) = Self.merge(Self.messages)
        #expect(inOrder.map(\.start) == [100_000_000_000, 110_000_000_000, 120_000_000_000])
        var generator = SplitMix(seed: 14)
        for _ in 0..<20 {
            let (shuffled, merger) = Self.merge(Self.messages.shuffled(using: &generator))
            #expect(Self.digest(shuffled) == Self.digest(inOrder))
            #expect(merger.isComplete)
        }
        let (reversed, _) = Self.merge(Self.messages.reversed())
        #expect(Self.digest(reversed) == Self.digest(inOrder))
    }

    @Test("lines are summed across sites; partial only where the network's capture ends")
    func sumsAndPartial() {
        let (windows, _) = Self.merge(Self.messages)
        let first = windows[0].windows.first { $0.id == "c1" }!
        #expect(first.bytesUp == 110)
        #expect(first.sizeHistogram[0] == 2)
        // a's last window (110) is partial for a, not for the network: b went on.
        #expect(windows[1].windows.allSatisfy { !$0.partial })
        #expect(windows[2].windows.allSatisfy { $0.partial })
        // Every id seen anywhere has a line in every window (zero where nobody saw it).
        #expect(windows[2].windows.map(\.id) == ["c1", "c2", "l1"])
        #expect(windows[2].windows.first { $0.id == "l1" }!.bytesUp == 0)
    }

    @Test("a checkpoint taken at any message resumes to the same windows, in the compact form and the keyed one")
    func checkpointResumes() throws {
        let messages = Self.messages
        let (whole, _) = Self.merge(messages)
        var heldSomewhere = 0
        // Lines with an id holding a colon and a space, and a large counter, round-trip too.
        for cut in 0...messages.count {
            var merger = SiteMerger(sites: ["a", "b"])
            var out: [MergedWindow] = []
            for (subject, payload) in messages[..<cut] {
                _ = merger.ingest(subject: subject, payload: payload, now: 0)
                while let w = merger.nextReady(now: 0, lateness: 30) { out.append(w) }
            }
            let saved = try JSONEncoder().encode(merger)
            let text = String(decoding: saved, as: UTF8.self)
            #expect(!text.contains("bytesUp"), "held lines are saved as numbers, not keyed objects")
            let keyed = try Self.keyedForm(text)
            // Held lines (not the sites' lastReleased, which keep the compact form in both).
            let held = (try JSONSerialization.jsonObject(with: saved) as? [String: Any])?["lines"] as? String ?? ""
            if held.contains("\tcell:c1\t") {
                heldSomewhere += 1
                #expect(String(decoding: keyed, as: UTF8.self).contains("bytesUp"))
            }
            for form in [saved, keyed] {
                var resumed = try JSONDecoder().decode(SiteMerger.self, from: form)
                var rest = out
                for (subject, payload) in messages[cut...] {
                    _ = resumed.ingest(subject: subject, payload: payload, now: 0)
                    while let w = resumed.nextReady(now: 0, lateness: 30) { rest.append(w) }
                }
                #expect(Self.digest(rest) == Self.digest(whole), "cut at \(cut)")
                #expect(rest.flatMap(\.windows) == whole.flatMap(\.windows), "cut at \(cut)")
            }
        }
        #expect(heldSomewhere > 3)
        var odd = try WindowSummary.parsePublished(FlatJSON(Array(#"{"kind":"cell","id":"x:\t%y\n","start":5,"duration":10,"partial":true,"bytesUp":9007199254740992,"bytesDown":1,"packetsUp":2,"packetsDown":3,"activeFlows":4,"newFlows":5,"retransmissions":6,"zeroWindows":7,"decodeIssues":8,"sizeHistogram":[1,2,3,4,5,6,7],"site":"s"}"#.utf8))!).window
        #expect(odd.id == "x:\t%y\n")
        odd.bytesUp = .max  // a sum over sites may reach it (`add` saturates)
        var text: [UInt8] = []
        HeldLines.append(odd, start: -5, site: "s%\t", key: "cell:" + odd.id, to: &text)
        #expect(text.filter { $0 == 10 }.count == 1 && text.last == 10)
        let back = try #require(HeldLines.line(text.dropLast()))
        #expect(back.0 == -5 && back.1 == "s%\t" && back.2 == "cell:" + odd.id && back.3.bytesUp == odd.bytesUp && back.3.sizeHistogram == odd.sizeHistogram)
        #expect(HeldLines.line(Array("5\ts\tcell:c1\t10000000000 1 1 2".utf8)) == nil)
        #expect(HeldLines.line(Array("5\ts\ttower:c1\t10 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1".utf8)) == nil)
        #expect(HeldLines.line(Array("5\ts%2\tcell:c1\t10 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1".utf8)) == nil)
        #expect(HeldLines.line(Array("5\ts\tcell:c1\t10 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1".utf8)) != nil)
    }

    /// The checkpoint as planners before the compact form wrote it: `lines` a dictionary of keyed
    /// objects (window start, then site → "kind:id" → line, as alternating array items).
    static func keyedForm(_ text: String) throws -> Data {
        var top = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let compact = try #require(top["lines"] as? String)
        var byStart: [Int64: [String: [String: Any]]] = [:]
        for row in compact.utf8.split(separator: 10) {
            let (start, site, key, w) = try #require(HeldLines.line(row))
            byStart[start, default: [:]][site, default: [:]][key] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(w))
        }
        top["lines"] = byStart.keys.sorted().flatMap { [NSNumber(value: $0), byStart[$0]!] as [Any] }
        return try JSONSerialization.data(withJSONObject: top)
    }

    /// The server delivering messages again (the same stream sequences) is a duplicate of each and
    /// changes nothing. Copies under new sequences (re-sent past the stream's duplicate window)
    /// change nothing either, and are duplicates too: those of windows planned before the newest
    /// are told by the planned lines' digests (until 7 December 2026 they were `afterPlanned`).
    @Test("a re-sent message is a duplicate and changes nothing")
    func duplicates() {
        let (once, _) = Self.merge(Self.messages)
        for newSequences in [false, true] {
            var merger = SiteMerger(sites: ["a", "b"])
            var twice: [MergedWindow] = []
            for (n, (subject, payload)) in (Self.messages + Self.messages).enumerated() {
                let sequence = UInt64(newSequences ? n + 1 : n % Self.messages.count + 1)
                _ = merger.ingest(subject: subject, payload: payload, now: 0, sequence: sequence)
                while let w = merger.nextReady(now: 0, lateness: 30) { twice.append(w) }
            }
            #expect(Self.digest(twice) == Self.digest(once))
            // Delivered again under sequences already taken: counted apart as `redelivered` (as
            // duplicates a restarted planner counted them twice, a re-audit); copies: duplicates.
            #expect(merger.counts[newSequences ? .duplicate : .redelivered] == Self.messages.count
                    && merger.counts[newSequences ? .redelivered : .duplicate] == nil && merger.counts[.afterPlanned] == nil, "\(merger.counts)")
            #expect(merger.conflicts == 0)
        }
    }

    @Test("a second line for a held key with other counts: a conflict, the first kept, and said which")
    func conflict() {
        var merger = SiteMerger(sites: ["a", "b"])
        let first = Self.line("a", "cell", "c1", start: 100, bytes: 10), other = Self.line("a", "cell", "c1", start: 100, bytes: 99)
        #expect(merger.ingest(subject: first.0, payload: first.1, now: 0) == .windowLine)
        #expect(merger.lastProblem == nil)
        #expect(merger.ingest(subject: first.0, payload: first.1, now: 0) == .duplicate)
        #expect(merger.lastProblem == nil)
        #expect(merger.ingest(subject: other.0, payload: other.1, now: 0) == .conflict)
        // Counted apart from the duplicates (until 7 December 2026 it was one of them).
        #expect(merger.conflicts == 1 && merger.counts[.conflict] == 1 && merger.counts[.duplicate] == 1)
        #expect(merger.lastProblem?.contains("cell:c1 in the window at 100 s") == true, "\(merger.lastProblem ?? "")")
        #expect(merger.lastProblem?.contains("bytes 99/1") == true && merger.lastProblem?.contains("10/1") == true)
    }

    @Test("observer: only that site's lines count for the cell")
    func observer() {
        let (windows, merger) = Self.merge(Self.messages, observers: ["cell:c1": "b"])
        #expect(windows[0].windows.first { $0.id == "c1" }!.bytesUp == 100)
        #expect(merger.observerIgnored == 2)
    }

    @Test("a site that has not closed a window holds it until lateness, then is named missing")
    func lateness() {
        var merger = SiteMerger(sites: ["a", "b"])
        for m in [Self.line("a", "cell", "c1", start: 100, bytes: 1), Self.mark("a", start: 100, previous: nil, lines: 1)] {
            _ = merger.ingest(subject: m.0, payload: m.1, now: 1000)
        }
        #expect(merger.nextReady(now: 1029, lateness: 30) == nil)
        let w = merger.nextReady(now: 1030, lateness: 30)
        #expect(w?.missingSites == ["b"])
        let late = Self.line("b", "cell", "c1", start: 100, bytes: 1)
        #expect(merger.ingest(subject: late.0, payload: late.1, now: 1031) == .late)
    }

    @Test("a tap run that closed no window (lastStart null) does not end its site for later runs")
    func endWithoutWindows() {
        let (reference, _) = Self.merge(Self.messages)
        let a = Self.messages.filter { $0.0.contains(".a") }, b = Self.messages.filter { $0.0.contains(".b") }
        // b's first window, then a's two windows and its end, then the rest of b: before b's
        // second mark, window 110 waits for b (lateness has not run out).
        let firstOfB = Array(b.prefix(3))
        let interleaved = [Self.end("b", lastStart: nil)] + firstOfB + a + Array(b.dropFirst(3))
        let (windows, merger) = Self.merge(interleaved)
        #expect(Self.digest(windows) == Self.digest(reference))
        #expect(merger.counts[.late] == nil)
        let missing = windows.flatMap(\.missingSites)
        #expect(missing.isEmpty)
        #expect(merger.endedSites == ["a", "b"] && merger.isComplete)
        // The same empty end re-sent while b's run goes on is an earlier run's: ignored.
        let resent = firstOfB + [Self.end("b", lastStart: nil)] + a + Array(b.dropFirst(3))
        let (again, other) = Self.merge(resent)
        #expect(Self.digest(again) == Self.digest(reference))
        #expect(other.counts[IngestOutcome.late] == nil)
        #expect(other.counts[IngestOutcome.duplicate] == 1)
    }

    @Test("a lost mark: the window waits --lateness and is planned without the site, which goes on from its next mark", arguments: [0, 1])
    func lostMark(lostIndex: Int) {
        // Sites a and b over windows 100 … 140; a's mark for window 100 + 10 * (1 + lostIndex) never comes.
        let lost = 110 + 10 * lostIndex
        var messages: [(String, [UInt8])] = []
        for start in stride(from: 100, through: 140, by: 10) {
            for site in ["a", "b"] {
                messages.append(Self.line(site, "cell", "c1", start: start, bytes: site == "a" ? 1 : 100))
                if !(site == "a" && start == lost) {
                    messages.append(Self.mark(site, start: start, previous: start == 100 ? nil : start - 10, lines: 1))
                }
            }
        }
        messages.append(Self.end("a", lastStart: 140))
        messages.append(Self.end("b", lastStart: 140))
        var merger = SiteMerger(sites: ["a", "b"])
        var out = Self.feed(&merger, messages)
        // Everything before the lost mark's window is planned; that one waits.
        #expect(out.map(\.start) == stride(from: 100, to: lost, by: 10).map { Int64($0) * 1_000_000_000 })
        while let w = merger.nextReady(now: 1030, lateness: 30) { out.append(w) }
        #expect(out.map(\.start) == stride(from: 100, through: 140, by: 10).map { Int64($0) * 1_000_000_000 })
        for w in out {
            let bytes = w.windows.first { $0.id == "c1" }?.bytesUp
            if w.start == Int64(lost) * 1_000_000_000 {
                #expect(w.missingSites == ["a"])
                #expect(bytes == 100)
            } else {
                #expect(w.missingSites.isEmpty, "window \(w.start)")
                #expect(bytes == 101, "window \(w.start)")
            }
        }
        #expect(merger.counts[.late] == nil)
        #expect(merger.isComplete)
        // a's line of the window planned without it was taken, never planned: counted apart
        // (windowLinesBySite counted it as planned until 7 December 2026).
        #expect(merger.windowLines(of: "a") == 4 && merger.notPlannedLines(of: "a") == 1)
        #expect(merger.windowLines(of: "b") == 5 && merger.notPlannedLines(of: "b") == 0)
        let gaps = merger.takeGaps()
        #expect(gaps.count == 1 && gaps[0].contains("site a: the mark of its window at \(lost) s had not come when that window was planned"), "\(gaps)")
    }

    /// With one site, no other site closes the window whose mark was lost, so its lateness never
    /// started and the planner waited for good; the site's next mark shows it went past.
    @Test("a single site's lost mark: the window is planned without it after --lateness, and the site goes on")
    func lostMarkOfTheOnlySite() {
        var messages: [(String, [UInt8])] = []
        for start in stride(from: 100, through: 140, by: 10) {
            messages.append(Self.line("a", "cell", "c1", start: start, bytes: 7))
            if start != 120 { messages.append(Self.mark("a", start: start, previous: start == 100 ? nil : start - 10, lines: 1)) }
        }
        messages.append(Self.end("a", lastStart: 140))
        var merger = SiteMerger(sites: ["a"])
        var out = Self.feed(&merger, messages)
        #expect(out.map(\.start) == [100, 110].map { Int64($0) * 1_000_000_000 })
        #expect(merger.nextReady(now: 1029, lateness: 30) == nil)
        while let w = merger.nextReady(now: 1030, lateness: 30) { out.append(w) }
        #expect(out.map(\.start) == stride(from: 100, through: 140, by: 10).map { Int64($0) * 1_000_000_000 })
        for w in out {
            let bytes = w.windows.first { $0.id == "c1" }?.bytesUp
            if w.start == 120_000_000_000 {
                #expect(w.missingSites == ["a"] && (bytes ?? 0) == 0)  // an empty window: none of its lines count
            } else {
                #expect(w.missingSites.isEmpty && bytes == 7, "window \(w.start)")
            }
        }
        #expect(merger.isComplete)
        let gaps = merger.takeGaps()
        #expect(gaps.count == 1 && gaps[0].contains("site a: the mark of its window at 120 s had not come"), "\(gaps)")
    }

    /// A live tap killed after window 110 and started again (same --site, no end sent) within
    /// --lateness: its first mark (previous null) for window 150 was taken as the next link of its
    /// chain, so windows 120 to 140, which it never closed, counted as closed by it and were planned
    /// as its zero traffic, learned, and no site was named missing. `endRead`: the tap that started
    /// again also ran to its end before the gap's --lateness passed (a replay does in seconds); the
    /// fourth scale-out audit found the gap taken as closed then, since the end, which is the new
    /// run's, made the restart look like a run after a clean end.
    @Test("a tap that started again without its end: the windows it never closed are planned without it, marked partial",
          arguments: [["a", "b"], ["a"]], [false, true])
    func restartedTapGap(sites: [String], endRead: Bool) {
        var messages: [(String, [UInt8])] = []
        for start in stride(from: 100, through: 170, by: 10) {
            for site in sites {
                let up = site == "a" && (120...140).contains(start)
                if up { continue }  // a is down
                messages.append(Self.line(site, "cell", "c1", start: start, bytes: site == "a" ? 1 : 100))
                let previous: Int? = start == 100 || (site == "a" && start == 150) ? nil : start - 10
                messages.append(Self.mark(site, start: start, previous: previous, lines: 1))
            }
        }
        if endRead { messages.append(Self.end("a", lastStart: 170)) }
        var merger = SiteMerger(sites: sites)
        var out = Self.feed(&merger, messages)
        // Windows 120 to 140 wait --lateness for a (once in all, also with a single site).
        #expect(out.map(\.start) == [100, 110].map { Int64($0) * 1_000_000_000 })
        #expect(merger.nextReady(now: 1029, lateness: 30) == nil)
        while let w = merger.nextReady(now: 1030, lateness: 30) { out.append(w) }
        #expect(out.map(\.start) == stride(from: 100, through: 170, by: 10).map { Int64($0) * 1_000_000_000 })
        let other: UInt64 = sites.count == 2 ? 100 : 0
        for w in out {
            let c1 = w.windows.first { $0.id == "c1" }
            if (120...140).contains(w.start / 1_000_000_000) {
                #expect(w.missingSites == ["a"], "window \(w.start)")
                #expect(c1?.bytesUp == other && c1?.partial == true, "window \(w.start): not learned as a's zero load")
            } else {
                #expect(w.missingSites.isEmpty, "window \(w.start)")
                #expect(c1?.bytesUp == 1 + other && c1?.partial == false, "window \(w.start)")
            }
        }
        #expect(merger.windowsWithMissingSites == 3)
        #expect(merger.counts[.late] == nil)
        let gaps = merger.takeGaps()
        #expect(gaps.count == 1 && gaps[0].contains("site a: its tap started again with the window at 150 s without having ended")
                && gaps[0].contains("from 120 s to 140 s"), "\(gaps)")
        // Started again right after its last window: no gap, nothing missing.
        var quick = SiteMerger(sites: ["a"])
        var planned: [MergedWindow] = []
        for m in [Self.line("a", "cell", "c1", start: 100, bytes: 1), Self.mark("a", start: 100, previous: nil, lines: 1),
                  Self.line("a", "cell", "c1", start: 110, bytes: 1), Self.mark("a", start: 110, previous: nil, lines: 1),
                  Self.line("a", "cell", "c1", start: 120, bytes: 1), Self.mark("a", start: 120, previous: 110, lines: 1)] {
            _ = quick.ingest(subject: m.0, payload: m.1, now: 1000)
            while let w = quick.nextReady(now: 1000, lateness: 30) { planned.append(w) }
        }
        #expect(planned.map(\.start) == [100, 110, 120].map { Int64($0) * 1_000_000_000 } && planned.allSatisfy(\.missingSites.isEmpty))
    }

    /// N6 of the third scale-out verification: every message of a site, its end included, was
    /// before what the consumer read; the planner waited for it for ever (--exit-when-done never
    /// exited). Only a site nothing of which was read, after a skip, once caught up and with every
    /// other site ended, is taken as ended; a site merely slow is not.
    @Test("nothing of a site was read after the consumer skipped messages: once caught up with every other site ended, said once and taken as ended; a slow site is not")
    func siteNothingOfWhichWasRead() {
        var messages: [(String, [UInt8])] = []
        for site in ["a", "b"] {
            for start in [100, 110, 120] {
                messages.append(Self.line(site, "cell", "c1", start: start, bytes: 1))
                messages.append(Self.mark(site, start: start, previous: start == 100 ? nil : start - 10, lines: 1))
            }
            messages.append(Self.end(site, lastStart: 120))
        }
        func merger(_ messages: [(String, [UInt8])], firstSequence: UInt64) -> (SiteMerger, [MergedWindow]) {
            var merger = SiteMerger(sites: ["a", "b", "c"])
            var out: [MergedWindow] = []
            for (n, (subject, payload)) in messages.enumerated() {
                _ = merger.ingest(subject: subject, payload: payload, now: 1000, sequence: firstSequence + UInt64(n))
                while let w = merger.nextReady(now: 1000, lateness: 30) { out.append(w) }
            }
            return (merger, out)
        }
        // The consumer skipped messages (its first is sequence 40): once --lateness (30 s) has passed
        // with nothing of c after every other site ended, c is taken as ended, said once. Not before:
        // a site that has not started yet looks the same (a reviewer found c taken at once).
        var (cut, out) = merger(messages, firstSequence: 40)
        #expect(out.isEmpty)
        let first = cut.caughtUp(takeAsEnded: true, now: 1000, lateness: 30), early = cut.caughtUp(takeAsEnded: true, now: 1029, lateness: 30)
        #expect(!first && !early && cut.sitesNotRead.isEmpty && cut.takeGaps().isEmpty)
        let taken = cut.caughtUp(takeAsEnded: true, now: 1030, lateness: 30), again = cut.caughtUp(takeAsEnded: true, now: 1031, lateness: 30)
        #expect(taken && !again)
        let gaps = cut.takeGaps()
        #expect(gaps == ["warning: site c: nothing of it was read, and nothing came in --lateness (30 s) after every other site had ended; "
                         + "the consumer skipped the stream's earlier messages (--from, or the stream's limits or maximum age removed them), "
                         + "so its messages were all before them or it has not started; it is taken as ended, and its windows are planned without it"],
                "\(gaps)")
        while let w = cut.nextReady(now: 1000, lateness: 30) { out.append(w) }
        #expect(out.map(\.start) == [100, 110, 120].map { Int64($0) * 1_000_000_000 } && out.allSatisfy { $0.missingSites == ["c"] })
        #expect(out.allSatisfy { $0.windows.allSatisfy { !$0.partial } }, "c never began: nothing of it understated")
        #expect(cut.isComplete && cut.sitesNotRead == ["c"] && cut.endedSites == ["a", "b"])
        // Without --exit-when-done it is said, and waited for as before.
        var said = merger(messages, firstSequence: 40).0
        _ = said.caughtUp(takeAsEnded: false, now: 1000, lateness: 30)
        let saidOnly = said.caughtUp(takeAsEnded: false, now: 1030, lateness: 30)
        #expect(saidOnly && said.sitesNotRead == ["c"] && said.takeGaps().count == 1)
        let waited = said.nextReady(now: 1000, lateness: 30)
        #expect(waited == nil && !said.isComplete)
        // A message of c after all: waited for again.
        _ = said.ingest(subject: "flowcast.v1.tap.c", payload: Array(#"{"formatVersion":1,"type":"heartbeat","site":"c","time":1.5}"#.utf8), now: 1000)
        let afterAll = said.caughtUp(takeAsEnded: true, now: 1100, lateness: 30)
        #expect(said.sitesNotRead.isEmpty && !afterAll)
        #expect(said.takeGaps() == ["warning: site c: a message of it was read after all; it is waited for again"])
        // Slow, not gone: the consumer skipped nothing (c has sent nothing yet), or b has not ended,
        // or a message of c was read.
        var whole = merger(messages, firstSequence: 1).0
        _ = whole.caughtUp(takeAsEnded: true, now: 1000, lateness: 30)
        let noSkip = whole.caughtUp(takeAsEnded: true, now: 2000, lateness: 30)
        #expect(!noSkip && !whole.isComplete)
        var bGoesOn = merger(messages.filter { $0.1 != Self.end("b", lastStart: 120).1 }, firstSequence: 40).0
        _ = bGoesOn.caughtUp(takeAsEnded: true, now: 1000, lateness: 30)
        let notEnded = bGoesOn.caughtUp(takeAsEnded: true, now: 2000, lateness: 30)
        #expect(!notEnded)
        var heardOf = merger(messages + [Self.line("c", "cell", "c1", start: 130, bytes: 1)], firstSequence: 40).0
        _ = heardOf.caughtUp(takeAsEnded: true, now: 1000, lateness: 30)
        let read = heardOf.caughtUp(takeAsEnded: true, now: 2000, lateness: 30)
        #expect(!read && heardOf.sitesNotRead.isEmpty)
    }

    /// A line as a tap publishes it, zero counters and all when `bytes` is 0 (a tap has a line for
    /// every topology cell and link in every window, the ones it sees no traffic of included), with
    /// `observedFrom` when given.
    static func tapLine(_ site: String, _ kind: String, _ id: String, start: Int, bytes: Int, observedFrom: Double? = nil) -> (String, [UInt8]) {
        let n = bytes == 0 ? 0 : 1
        let from = observedFrom.map { #","observedFrom":\#($0)"# } ?? ""
        let json = #"{"kind":"\#(kind)","id":"\#(id)","start":\#(start),"duration":10,"partial":false,"bytesUp":\#(bytes),"bytesDown":\#(n),"packetsUp":\#(n),"packetsDown":\#(n),"activeFlows":\#(n),"newFlows":0,"retransmissions":0,"zeroWindows":0,"decodeIssues":0,"sizeHistogram":[\#(n),0,0,0,0,0,0]\#(from),"site":"\#(site)"}"#
        return ("flowcast.v1.win.\(site).\(kind).\(id)", Array(json.utf8))
    }

    /// The second scale-out audit's finding 9: a live tap that started again publishes its first
    /// window with `observedFrom` on every topology cell and link, those it sees no traffic of
    /// included, and the merge kept the latest `observedFrom` of each line: every cell of the
    /// network, the other tap's too, was partial in that window (and in the windows it missed),
    /// neither learned nor scored anywhere.
    @Test("a restarted tap's observedFrom, and the windows it missed, make partial only what it carries: the other tap's cells are whole")
    func restartedTapCutsOnlyItsOwnCells() {
        // a carries c1 and l1, b carries c2, both carry c3; nobody carries c4. a is down from 120
        // to 140 and starts again at 150, observed from 153 s; in that window its c3 is quiet.
        let carried: [String: [String: Int]] = ["a": ["c1": 10, "c3": 20, "l1": 5], "b": ["c2": 100, "c3": 200]]
        let keys = [("cell", "c1"), ("cell", "c2"), ("cell", "c3"), ("cell", "c4"), ("link", "l1")]
        var messages: [(String, [UInt8])] = []
        for start in stride(from: 100, through: 170, by: 10) {
            for site in ["a", "b"] {
                if site == "a" && (120...140).contains(start) { continue }
                let restart = site == "a" && start == 150
                for (kind, id) in keys {
                    let bytes = restart && id == "c3" ? 0 : carried[site]![id] ?? 0
                    messages.append(Self.tapLine(site, kind, id, start: start, bytes: bytes, observedFrom: restart ? 153.5 : nil))
                }
                messages.append(Self.mark(site, start: start, previous: start == 100 || restart ? nil : start - 10, lines: keys.count))
            }
        }
        var merger = SiteMerger(sites: ["a", "b"])
        var out = Self.feed(&merger, messages)
        while let w = merger.nextReady(now: 1030, lateness: 30) { out.append(w) }
        #expect(out.map(\.start) == stride(from: 100, through: 170, by: 10).map { Int64($0) * 1_000_000_000 })
        for w in out {
            let second = w.start / 1_000_000_000
            let partial = Dictionary(uniqueKeysWithValues: w.windows.map { ($0.id, $0.partial) })
            let from = Dictionary(uniqueKeysWithValues: w.windows.map { ($0.id, $0.observedFromNanoseconds) })
            switch second {
            case 120...140:
                #expect(w.missingSites == ["a"])
                #expect(partial == ["c1": true, "c2": false, "c3": true, "c4": true, "l1": true], "window \(second): \(partial)")
            case 150:
                #expect(w.missingSites.isEmpty)
                // c2 is b's alone: whole, b's bytes; a's own cells (c3 by what it carried before) start at 153.5 s.
                #expect(from == ["c1": 153_500_000_000, "c2": nil, "c3": 153_500_000_000, "c4": 153_500_000_000, "l1": 153_500_000_000],
                        "window 150: \(from)")
                #expect(w.windows.first { $0.id == "c2" }?.bytesUp == 100)
                #expect(w.windows.allSatisfy { !$0.partial })
            default:
                #expect(partial.values.allSatisfy { !$0 } && from.values.allSatisfy { $0 == nil }, "window \(second)")
            }
        }
    }

    /// A planner whose consumer starts after the taps' first marks (`--from`, a stream limit with
    /// discard old, the 7-day maximum age): no site's first mark (previous null) is read, so no
    /// chain started, nothing was planned, and `--exit-when-done` never exited.
    @Test("the consumer skipped the sites' first marks: each site's chain starts at its earliest complete mark, and windows before it are planned without it")
    func firstMarksNotRead() {
        var messages: [(String, [UInt8])] = []
        // a's window 100 lost one of its two lines to the cut; b's came whole. Both name 90 before.
        messages.append(Self.line("a", "cell", "c1", start: 100, bytes: 1))
        messages.append(Self.mark("a", start: 100, previous: 90, lines: 2))
        for start in [100, 110, 120] {
            if start > 100 {
                messages.append(Self.line("a", "cell", "c1", start: start, bytes: 1))
                messages.append(Self.line("a", "link", "l1", start: start, bytes: 1))
                messages.append(Self.mark("a", start: start, previous: start - 10, lines: 2))
            }
            messages.append(Self.line("b", "cell", "c1", start: start, bytes: 100))
            messages.append(Self.mark("b", start: start, previous: start - 10, lines: 1))
        }
        messages += [Self.end("a", lastStart: 120), Self.end("b", lastStart: 120)]
        func run(firstSequence: UInt64) -> ([MergedWindow], SiteMerger) {
            var merger = SiteMerger(sites: ["a", "b"])
            var out: [MergedWindow] = []
            for (n, (subject, payload)) in messages.enumerated() {
                _ = merger.ingest(subject: subject, payload: payload, now: 1000, sequence: firstSequence + UInt64(n))
                while let w = merger.nextReady(now: 1000, lateness: 30) { out.append(w) }
            }
            while let w = merger.nextReady(now: 1030, lateness: 30) { out.append(w) }
            return (out, merger)
        }
        // From the stream's first message on (nothing skipped), a mark naming an unread one waits, as before.
        let (none, notCut) = run(firstSequence: 1)
        var waiting = notCut
        #expect(none.isEmpty && !waiting.isComplete && waiting.takeGaps().isEmpty)
        let (out, cut) = run(firstSequence: 500)
        var merger = cut
        #expect(out.map(\.start) == [100, 110, 120].map { Int64($0) * 1_000_000_000 })
        #expect(out.first?.missingSites == ["a"])
        #expect(out.first?.windows.first { $0.id == "c1" }?.bytesUp == 100)
        #expect(out.first?.windows.first { $0.id == "c1" }?.partial == false)
        for w in out.dropFirst() {
            #expect(w.missingSites.isEmpty && w.windows.first { $0.id == "c1" }?.bytesUp == 101, "window \(w.start)")
        }
        #expect(merger.isComplete)
        let gaps = merger.takeGaps()
        #expect(gaps.count == 2, "\(gaps.joined(separator: " | "))")
        #expect(gaps.contains { $0.hasPrefix("site a: the mark of its first window (previous null) was not read (the consumer started after it")
                && $0.contains("from the one at 110 s") }, "\(gaps)")
        #expect(gaps.contains { $0.hasPrefix("site b: the mark of its first window") && $0.contains("from the one at 100 s") }, "\(gaps)")
        // A gap in the sequences later on (messages removed before they were read) is a cut too.
        var later = SiteMerger(sites: ["b"])
        var sequence: UInt64 = 1
        for (subject, payload) in messages where subject.contains(".b") {
            _ = later.ingest(subject: subject, payload: payload, now: 1000, sequence: sequence)
            sequence += sequence == 1 ? 5 : 1
        }
        #expect(later.nextReady(now: 1000, lateness: 30)?.start == 100_000_000_000)
    }

    /// A tap refuses cells beyond `TopologyLimits.maximumCells`; the planner did not, and each
    /// learned cell has a line in every later window.
    @Test("cells learned beyond the bound are not merged, and their lines are counted")
    func learnedCellsBeyondTheBound() {
        var messages: [(String, [UInt8])] = []
        let ids = ["ecgi:001-01-1", "ecgi:001-01-2", "ecgi:001-01-3", "ecgi:001-01-4"]
        for (n, start) in [100, 110].enumerated() {
            // Window 100 names three cells, window 110 the fourth as well.
            let named = n == 0 ? Array(ids.prefix(3)) : ids
            for id in named { messages.append(Self.line("a", "cell", id, start: start, bytes: 5)) }
            messages.append(Self.mark("a", start: start, previous: n == 0 ? nil : 100, lines: named.count))
        }
        messages.append(Self.end("a", lastStart: 110))
        var merger = SiteMerger(sites: ["a"])
        merger.maximumCells = 2
        let out = Self.feed(&merger, messages)
        #expect(out.count == 2)
        for w in out { #expect(w.windows.map(\.id) == Array(ids.prefix(2)), "window \(w.start)") }
        #expect(merger.learnedCellLinesRefused == 3)  // ecgi:…-3 in both windows, ecgi:…-4 in the second
        let gaps = merger.takeGaps()
        #expect(gaps.count == 1 && gaps[0].contains("cell:ecgi:001-01-3, learned from signalling, is beyond 2 cells in all"), "\(gaps)")
    }

    /// Ingests `messages` in order at time 1000 and returns the windows released as it goes
    /// (lateness 30 s).
    static func feed(_ merger: inout SiteMerger, _ messages: [(String, [UInt8])]) -> [MergedWindow] {
        var out: [MergedWindow] = []
        for (subject, payload) in messages {
            _ = merger.ingest(subject: subject, payload: payload, now: 1000)
            while let w = merger.nextReady(now: 1000, lateness: 30) { out.append(w) }
        }
        return out
    }

    /// The windows a merger releases from `messages`, once per place the merger is saved to its
    /// checkpoint and read back (before message `cut`; after the last for `messages.count`).
    static func mergedThroughCheckpoints(_ messages: [(String, [UInt8])], sites: [String]) throws -> [(cut: Int, out: [MergedWindow])] {
        try (0...messages.count).map { cut in
            var merger = SiteMerger(sites: sites)
            var out: [MergedWindow] = []
            for (i, (subject, payload)) in messages.enumerated() {
                if i == cut { merger = try JSONDecoder().decode(SiteMerger.self, from: JSONEncoder().encode(merger)) }
                _ = merger.ingest(subject: subject, payload: payload, now: 1000)
                while let w = merger.nextReady(now: 1000, lateness: 30) { out.append(w) }
            }
            return (cut, out)
        }
    }

    /// A live tap's window that lost packets reads low: the merged window says so (the sum of
    /// the sites' drops), through a checkpoint too, so the planner treats it as live's own planner
    /// does (not learned from, not scored). Held lines without drops keep their checkpoint bytes.
    @Test("a site's drops before capture reach the merged window, through a checkpoint too")
    func dropsReachTheMergedWindow() throws {
        func dropped(_ m: (String, [UInt8]), _ n: Int) -> (String, [UInt8]) {
            (m.0, Array(m.1.dropLast()) + Array(#","droppedBeforeCapture":\#(n)}"#.utf8))
        }
        let messages = [
            dropped(Self.line("a", "cell", "c1", start: 100, bytes: 5), 7), Self.mark("a", start: 100, previous: nil, lines: 1),
            Self.line("b", "cell", "c1", start: 100, bytes: 9),
            Self.line("a", "cell", "c1", start: 110, bytes: 5), Self.mark("a", start: 110, previous: 100, lines: 1),
            Self.mark("b", start: 100, previous: nil, lines: 1),
            Self.line("b", "cell", "c1", start: 110, bytes: 9), Self.mark("b", start: 110, previous: 100, lines: 1),
            Self.end("a", lastStart: 110), Self.end("b", lastStart: 110),
        ]
        for (cut, out) in try Self.mergedThroughCheckpoints(messages, sites: ["a", "b"]) {
            #expect(out.map(\.start) == [100_000_000_000, 110_000_000_000], "cut at \(cut)")
            let lines = out.map { $0.windows.first { $0.id == "c1" } }
            #expect(lines.map { $0?.bytesUp } == [14, 14])
            #expect(lines.map { $0?.droppedBeforeCapture } == [7, 0], "cut at \(cut)")
        }
        // A held line without drops is written as before; one with them has one number more.
        var text: [UInt8] = []
        var w = WindowSummary(kind: .cell, id: "c1", startNanoseconds: 0, durationNanoseconds: 10, partial: false)
        HeldLines.append(w, start: 0, site: "a", key: "cell:c1", to: &text)
        w.droppedBeforeCapture = 7
        HeldLines.append(w, start: 0, site: "a", key: "cell:c1", to: &text)
        let rows = text.split(separator: 10)
        #expect(rows[1].count == rows[0].count + 2)
        #expect(HeldLines.line(rows[0])?.3.droppedBeforeCapture == 0 && HeldLines.line(rows[1])?.3.droppedBeforeCapture == 7)
    }

    /// A site that began inside the network's first window observed only part of it: the merged
    /// window says from when (the latest of the sites' times), through a checkpoint too, so the
    /// planner does not learn from it; a time outside the window refuses the line.
    @Test("a site's first window observed from inside it marks the merged window, through a checkpoint too")
    func observedFromReachesTheMergedWindow() throws {
        func observed(_ m: (String, [UInt8]), _ t: String) -> (String, [UInt8]) {
            (m.0, Array(m.1.dropLast()) + Array(#","observedFrom":\#(t)}"#.utf8))
        }
        let messages = [
            observed(Self.line("a", "cell", "c1", start: 100, bytes: 5), "103.25"), Self.mark("a", start: 100, previous: nil, lines: 1),
            observed(Self.line("b", "cell", "c1", start: 100, bytes: 9), "107.5"),
            Self.line("a", "cell", "c1", start: 110, bytes: 5), Self.mark("a", start: 110, previous: 100, lines: 1),
            Self.mark("b", start: 100, previous: nil, lines: 1),
            Self.line("b", "cell", "c1", start: 110, bytes: 9), Self.mark("b", start: 110, previous: 100, lines: 1),
            Self.end("a", lastStart: 110), Self.end("b", lastStart: 110),
        ]
        for (cut, out) in try Self.mergedThroughCheckpoints(messages, sites: ["a", "b"]) {
            let lines = out.map { $0.windows.first { $0.id == "c1" } }
            #expect(lines.map { $0?.bytesUp } == [14, 14], "cut at \(cut)")
            #expect(lines.map { $0?.observedFromNanoseconds } == [107_500_000_000, nil], "cut at \(cut)")
        }
        for bad in ["99.5", "110", "100"] {
            var merger = SiteMerger(sites: ["a"])
            let (subject, payload) = observed(Self.line("a", "cell", "c1", start: 100, bytes: 5), bad)
            #expect(merger.ingest(subject: subject, payload: payload, now: 1000) == .garbage, "observedFrom \(bad) in [100, 110)")
        }
        // A held line keeps the time after its drops (0 when none) and reads back.
        var text: [UInt8] = []
        var w = WindowSummary(kind: .cell, id: "c1", startNanoseconds: 0, durationNanoseconds: 10, partial: false)
        w.observedFromNanoseconds = 4
        HeldLines.append(w, start: 0, site: "a", key: "cell:c1", to: &text)
        let row = text.split(separator: 10)[0]
        #expect(HeldLines.line(row)?.3.observedFromNanoseconds == 4 && HeldLines.line(row)?.3.droppedBeforeCapture == 0)
    }

    static func liveMark(_ site: String, start: Int, previous: Int?) -> (String, [UInt8]) {
        let json = #"{"formatVersion":1,"type":"window","site":"\#(site)","mode":"live","start":\#(start),"duration":10,"previous":\#(previous.map(String.init) ?? "null"),"lines":0}"#
        return ("flowcast.v1.tap.\(site)", Array(json.utf8))
    }

    /// Sites over windows 20,000 … 20,030 s of their own clocks, each shifted by its offset (s).
    static func replaySites(_ offsets: [String: Int]) -> (SiteMerger, [String]) {
        var merger = SiteMerger(sites: offsets.keys.sorted())
        var log: [String] = []
        for (site, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            for start in stride(from: 20_000, through: 20_030, by: 10) {
                for m in [Self.line(site, "cell", "c1", start: start + offset, bytes: 1),
                          Self.mark(site, start: start + offset, previous: start == 20_000 ? nil : start + offset - 10, lines: 1)] {
                    _ = merger.ingest(subject: m.0, payload: m.1, now: 0)
                    log += merger.takeGaps()
                }
            }
        }
        while merger.nextReady(now: 0, lateness: 30) != nil { log += merger.takeGaps() }
        return (merger, log.filter { $0.hasPrefix("warning:") })
    }

    @Test("replayed captures: a site whose first window is hours from the other sites' is warned of once, with the offset; old captures that agree are not")
    func replayClockOffset() {
        // Captures of a day long past, all of the same time: nothing to say.
        let (agree, quiet) = Self.replaySites(["a": 0, "b": 10, "c": 0])
        #expect(quiet.isEmpty && agree.clockWarnings.isEmpty)
        // Three sites, b's clock 3 h behind: only b is named (the others agree with each other).
        let (three, warnings) = Self.replaySites(["a": 0, "b": -10_800, "c": 0])
        #expect(three.clockWarnings == ["b": -10_800])
        #expect(warnings == ["warning: site b's windows are 3 h 0 min behind the other sites' (its first window starts at "
                             + "1970-01-01T02:33:20Z, a's at 1970-01-01T05:33:20Z, c's at 1970-01-01T05:33:20Z; the captures of one "
                             + "run should cover the same time) — is its clock wrong?"], "\(warnings)")
        // Two sites: which clock is wrong cannot be told; each is named, beside the other.
        let (two, both) = Self.replaySites(["a": 0, "b": -10_800])
        #expect(two.clockWarnings == ["a": 10_800, "b": -10_800])
        #expect(both.count == 2 && both[1].hasSuffix("— is its clock wrong, or a's?"), "\(both)")
        // Less than 15 minutes apart: no warning.
        #expect(Self.replaySites(["a": 0, "b": -890]).0.clockWarnings.isEmpty)
    }

    @Test("live taps: windows hours from the stream's clock (when the server stored their marks) are warned of once per site")
    func liveClockOffset() {
        var merger = SiteMerger(sites: ["a", "b"])
        var warnings: [String] = []
        // Window ends against stored times: a on time (stored 0.5 s after the end), b 3 h behind.
        for start in stride(from: 100_000, through: 100_030, by: 10) {
            for (site, shift) in [("a", 0), ("b", -10_800)] {
                let m = Self.liveMark(site, start: start + shift, previous: start == 100_000 ? nil : start + shift - 10)
                _ = merger.ingest(subject: m.0, payload: m.1, now: Double(start) + 10.5)
                warnings += merger.takeGaps().filter { $0.hasPrefix("warning:") }
            }
        }
        #expect(merger.clockWarnings == ["b": -10_800])
        #expect(warnings == ["warning: site b's windows are 3 h 0 min behind the stream's clock (a window of its ending at 1970-01-02T00:46:50Z "
                             + "was stored by nats-server at 1970-01-02T03:46:50.5Z; a live tap publishes a window as it closes) — is its clock "
                             + "wrong, or did its windows wait in its spool?"], "\(warnings)")
    }

    @Test("a line far after its own site's newest mark is dropped (farAhead); another site's marks hours behind change nothing for it")
    func farAheadIsPerSite() {
        var merger = SiteMerger(sites: ["a", "b"])
        // b's marks (its clock 3 h behind) come first; a's first lines come before a's first mark.
        let b = Self.mark("b", start: 20_000 - 10_800, previous: nil, lines: 0)
        #expect(merger.ingest(subject: b.0, payload: b.1, now: 0) == .mark)
        let a = Self.line("a", "cell", "c1", start: 20_000, bytes: 1)
        #expect(merger.ingest(subject: a.0, payload: a.1, now: 0) == .windowLine)
        let aMark = Self.mark("a", start: 20_000, previous: nil, lines: 1)
        #expect(merger.ingest(subject: aMark.0, payload: aMark.1, now: 0) == .mark)
        // A week and a window after a's newest mark: dropped, with the reason.
        let far = Self.line("a", "cell", "c1", start: 20_000 + 7 * 86_400 + 10, bytes: 1)
        #expect(merger.ingest(subject: far.0, payload: far.1, now: 0) == .farAhead)
        #expect(merger.lastProblem == "a line for the window at 624810 s, 168 h 0 min after the newest window site a has marked (20000 s); dropped")
        let week = Self.line("a", "cell", "c1", start: 20_000 + 7 * 86_400, bytes: 1)
        #expect(merger.ingest(subject: week.0, payload: week.1, now: 0) == .windowLine)
    }

    @Test("garbage: not JSON, wrong subject for the payload, unknown type")
    func garbage() {
        var merger = SiteMerger(sites: ["a"])
        #expect(merger.ingest(subject: "flowcast.v1.win.a.cell.c1", payload: Array("nope".utf8), now: 0) == .garbage)
        let l = Self.line("a", "cell", "c1", start: 100, bytes: 1)
        #expect(merger.ingest(subject: "flowcast.v1.win.a.cell.c2", payload: l.1, now: 0) == .garbage)
        #expect(merger.ingest(subject: "flowcast.v1.tap.a", payload: Array(#"{"type":"other"}"#.utf8), now: 0) == .garbage)
        #expect(merger.ingest(subject: "flowcast.v1.win.z.cell.c1", payload: Self.line("z", "cell", "c1", start: 100, bytes: 1).1, now: 0) == .unlistedSite)
    }

    @Test("a number out of range is garbage with its reason, and the windows are the same",
          arguments: [
            (line: #"{"kind":"cell","id":"c1","start":100,"duration":10,"partial":false,"bytesUp":18446744073709551615,"bytesDown":1,"packetsUp":1,"packetsDown":1,"site":"a"}"#,
             subject: "flowcast.v1.win.a.cell.c1", reason: #""bytesUp" 18446744073709551615 is out of range"#),
            (line: #"{"formatVersion":1,"type":"window","site":"a","mode":"replay","start":130,"duration":10,"previous":120,"lines":18446744073709551615}"#,
             subject: "flowcast.v1.tap.a", reason: #""lines" 18446744073709551615 is out of range"#),
            (line: #"{"kind":"cell","id":"c1","start":100,"duration":10,"partial":false,"bytesUp":1.5,"bytesDown":1,"packetsUp":1,"packetsDown":1,"site":"a"}"#,
             subject: "flowcast.v1.win.a.cell.c1", reason: #""bytesUp" 1.5 is not written as a whole number"#),
            (line: #"{"formatVersion":1,"type":"window","site":"a","mode":"replay","start":130,"duration":10,"previous":120,"lines":1e3}"#,
             subject: "flowcast.v1.tap.a", reason: #""lines" 1e3 is not written as a whole number"#),
            (line: #"{"formatVersion":1,"type":"end","site":"a","mode":"replay","lastStart":130,"windows":9223372036854775808}"#,
             subject: "flowcast.v1.tap.a", reason: #""windows" 9223372036854775808 is out of range"#),
            (line: #"{"formatVersion":1,"type":"window","site":"b","mode":"replay","start":9223372035,"duration":10,"previous":120,"lines":0}"#,
             subject: "flowcast.v1.tap.b", reason: #""start" 9223372035 is out of range"#),
            (line: #"{"formatVersion":1,"type":"window","site":"b","mode":"replay","start":130,"duration":10,"previous":-5,"lines":0}"#,
             subject: "flowcast.v1.tap.b", reason: #""previous" -5 is out of range"#),
            (line: #"{"formatVersion":1,"type":"window","site":"b","mode":"replay","start":130,"duration":10,"previous":130,"lines":0}"#,
             subject: "flowcast.v1.tap.b", reason: #""previous" is not before "start""#),
            (line: #"{"kind":"cell","id":"c1","start":100,"duration":10,"partial":false,"bytesUp":1,"bytesDown":1,"packetsUp":1,"packetsDown":1,"sizeHistogram":[18446744073709551615],"site":"a"}"#,
             subject: "flowcast.v1.win.a.cell.c1", reason: #""sizeHistogram" item 1"#),
            (line: #"{"kind":"cell","id":"c1","start":105,"duration":10,"partial":false,"bytesUp":1,"bytesDown":1,"packetsUp":1,"packetsDown":1,"site":"a"}"#,
             subject: "flowcast.v1.win.a.cell.c1", reason: #""start" 105 s is not on the window grid"#),
            (line: #"{"formatVersion":1,"type":"window","site":"b","mode":"replay","start":125,"duration":10,"previous":120,"lines":0}"#,
             subject: "flowcast.v1.tap.b", reason: #""start" 125 s is not on the window grid"#),
            (line: #"{"formatVersion":1,"type":"window","site":"b","mode":"replay","start":130,"duration":10,"previous":115,"lines":0}"#,
             subject: "flowcast.v1.tap.b", reason: #""previous" 115 s is not on the window grid"#),
          ])
    func outOfRange(line: String, subject: String, reason: String) {
        let (reference, _) = Self.merge(Self.messages)
        for at in [0, 5, Self.messages.count] {
            var messages = Self.messages
            messages.insert((subject, Array(line.utf8)), at: at)
            var merger = SiteMerger(sites: ["a", "b"])
            var out: [MergedWindow] = []
            for (s, payload) in messages {
                let outcome = merger.ingest(subject: s, payload: payload, now: 0)
                if s == subject && payload == Array(line.utf8) {
                    #expect(outcome == .garbage)
                    #expect(merger.lastProblem?.contains(reason) == true, "\(merger.lastProblem ?? "no reason")")
                }
                while let w = merger.nextReady(now: 0, lateness: 30) { out.append(w) }
            }
            #expect(merger.counts[.garbage] == 1)
            #expect(Self.digest(out) == Self.digest(reference))
            #expect(out.flatMap(\.windows) == reference.flatMap(\.windows))
        }
    }

    @Test("sums over sites stop at the largest count instead of wrapping")
    func saturatingSums() {
        var w = WindowSummary(kind: .cell, id: "c", startNanoseconds: 0, durationNanoseconds: 10, partial: false)
        w.bytesUp = .max - 1
        var o = w
        o.bytesUp = 5
        o.sizeHistogram[0] = 3
        w.add(o)
        #expect(w.bytesUp == .max)
        #expect(w.sizeHistogram[0] == 3)
    }

    @Test("subject tokens: escaped, injective, never a wildcard or an extra token")
    func tokens() {
        #expect(FlowcastSubjects.token("cell-1") == "cell-1")
        #expect(FlowcastSubjects.token("ecgi:001-01-4660") == "ecgi:001-01-4660")
        #expect(FlowcastSubjects.token("a.b") == "a%2Eb")
        #expect(FlowcastSubjects.token("*>") == "%2A%3E")
        #expect(FlowcastSubjects.token("50%") == "50%25")
        #expect(FlowcastSubjects.token("") == "%")
        #expect(FlowcastSubjects.token("é") == "%C3%A9")
        #expect(FlowcastSubjects.window(site: "north 1", kind: .link, id: "l.1") == "flowcast.v1.win.north%201.link.l%2E1")
        // The log names a site as its tap was given it (an audit read "sites not in --sites: a%2Eb").
        for name in ["a.b", "north 1", "", "50%", "é", "*>", "cell-1"] {
            #expect(FlowcastSubjects.siteName(of: FlowcastSubjects.tap(site: name)) == name)
            #expect(FlowcastSubjects.siteName(of: FlowcastSubjects.window(site: name, kind: .cell, id: "x.y")) == name)
        }
        #expect(FlowcastSubjects.siteName(of: "flowcast.v1.tap.a%2") == nil && FlowcastSubjects.siteName(of: "other.subject") == nil)
    }
}

/// A seeded generator, so a failing shuffle can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
