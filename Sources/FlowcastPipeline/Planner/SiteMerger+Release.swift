internal import FlowcastCore
internal import FlowcastNATS
internal import FlowcastAggregate

/// Releasing merged windows (`nextReady`) and watching the sites' clocks: the half of
/// `SiteMerger` that decides when a window is planned and with which sites' lines. (Split from
/// SiteMerger.swift, whose other half takes messages in: `ingest`, `advance`, `caughtUp`.)
extension SiteMerger {
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
            // A gap some site's chain has gone past (a tap that ended and started again later: it
            // closed none of the windows between) with another listed site silent: the gap's
            // windows were all there to close when this one's clock started, so the next one's
            // starts then too. Until 7 December 2026 each waited --lateness in turn from when it
            // reached the front (an audit: 7 windows of a gap took 14 s at --lateness 2s, and a
            // live tap back after 30 s left the planner over a minute behind).
            let next = start + d
            if firstClosedAt[next] == nil, sites.contains(where: { (state[$0]!.chainLast ?? Int64.min) > next }) {
                firstClosedAt[next] = seen
            }
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
        // A site planned without whose lines of the window came (not its mark): they are dropped
        // below, and counted as lines not planned (until 7 December 2026 windowLinesBySite counted
        // them as the site's lines, an audit).
        for (site, own) in held where !contributors.contains(site) { forgetUnplanned(own, of: site) }
        for site in contributors {
            if let own = held[site], !own.isEmpty {
                var kept = HeldLines()
                kept[start] = [site: own]
                state[site]!.lastReleased = kept
            }
            // Every window planned with the site, with no line of it too (so a line for it later is
            // not taken as one of a window planned without the site).
            var digests = state[site]!.plannedDigests ?? PlannedLineDigests(keptFrom: start)
            state[site]!.plannedDigests = nil  // out while it changes, so it is not copied
            digests.record((held[site] ?? [:]).values, start: start, capacity: plannedDigestCapacity)
            state[site]!.plannedDigests = digests
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
    mutating func checkLiveClock(_ site: String, end: Int64) {
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
    mutating func checkReplayClocks() {
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
                forgetUnplanned(keyed, of: site)
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
}
