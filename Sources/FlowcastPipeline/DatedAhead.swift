/// Finds a packet dated far ahead of the packets around it: more than `jumpNanoseconds` after
/// every packet before it, while the next packet with a usable time goes back more than that
/// before it again. One such packet is a corrupt record (a clock that stepped and stepped back,
/// a bit flipped in the seconds), not a gap in the traffic: taken at its word it closed every
/// window up to its date, wrote hours of empty windows and planned policies on them, and put the
/// rest of the capture, counted late, in its one window (an audit: one packet of the demo capture
/// moved 17.5 h ahead gave 6,306 empty windows, 1,059 policies, and 30 % of the traffic in one
/// window, exit status 0). Such a packet takes the time of the packet before it, as a packet with
/// no usable time does (`DecodeStatistics.settle`), and is counted.
///
/// It takes one packet of lookahead: the reader holds back the batch that ends with a suspect
/// until the next packet with a usable time judges it. A jump the next packet confirms (a quiet
/// spell, then traffic again) is a gap, and stays one. So do two or more packets dated ahead
/// together, which look exactly like a gap from here: their late packets are said as before.
struct DatedAhead: Sendable {
    /// How far past every earlier packet a packet must be to be suspect, and how far before it the
    /// next must go back for it to be judged dated ahead: a minute, far beyond the reordering of
    /// interfaces or taps merged into one file (milliseconds to seconds).
    static let jumpNanoseconds: Int64 = 60_000_000_000

    /// The latest usable time judged so far.
    private(set) var latest: Int64?
    /// The packet under judgement: its time, and `latest` before it.
    private(set) var suspect: (time: Int64, before: Int64)?
    /// The first usable time, while it is judged (nothing before it to measure it by): the time,
    /// and the next usable time when that went back more than a minute before it. nil once judged.
    private(set) var first: (time: Int64, next: Int64?)?
    /// Whether a first usable time was seen.
    private var began = false

    enum Verdict: Equatable {
        /// Nothing held back was judged.
        case none
        /// The packet held back is dated ahead: give it this time (the latest before it).
        case datedAhead(Int64)
        /// The first packet with a usable time is dated ahead: the next two went back more than a
        /// minute before it. Give it this time (the next packet's).
        case firstDatedAhead(Int64)
    }

    /// Sees the next packet's usable time (in file order). Returns the verdict on the packet held
    /// back before it, if any; afterwards `holding` says whether this packet is held back, and
    /// `holdingFirst` whether the first is.
    ///
    /// The first packet has nothing before it, so two packets judge it: when the next one goes
    /// back more than a minute before it, either the first is dated ahead or the next is dated
    /// behind, and the one after tells which (until 7 December 2026 the first was never judged: a
    /// first record 17 h ahead counted the whole capture late in its one window).
    mutating func see(_ time: Int64) -> Verdict {
        if !began {
            began = true
            first = (time, nil)
            return .none
        }
        if let f = first {
            if f.next == nil {
                if time < f.time &- Self.jumpNanoseconds {
                    first = (f.time, time)
                    return .none
                }
                first = nil
                latest = f.time
                return see(time)
            }
            first = nil
            if time < f.time &- Self.jumpNanoseconds {
                // Two packets after it went back: the first is the odd one.
                latest = f.next!
                let verdict = Verdict.firstDatedAhead(f.next!)
                _ = see(time)
                return verdict
            }
            // The one after agrees with the first: the second was behind (late), not the first ahead.
            latest = f.time
            return see(time)
        }
        var verdict = Verdict.none
        if let s = suspect {
            suspect = nil
            if time < s.time &- Self.jumpNanoseconds {
                verdict = .datedAhead(s.before)  // `latest` stays as it was before the suspect
            } else {
                latest = s.time
            }
        }
        if let l = latest, time > l, time &- l > Self.jumpNanoseconds {
            suspect = (time, l)
        } else if latest.map({ time > $0 }) ?? true {
            latest = time
        }
        return verdict
    }

    /// Whether the last packet seen is held back, awaiting the next usable time.
    var holding: Bool { suspect != nil }
    /// Whether the first packet is held back, awaiting the next usable times.
    var holdingFirst: Bool { first != nil }

    /// Takes the held packet's time as it is (the end of the input, or a batch that cannot wait).
    /// The last packet is never judged, as nothing comes after it (a lone packet after a quiet
    /// spell may be real, its empty windows too), nor the first when fewer than two usable times
    /// came after it (one going back could as well be the one misdated: a late packet, counted).
    mutating func release() {
        if let s = suspect { latest = s.time; suspect = nil }
        if let f = first { latest = max(latest ?? f.time, f.time); first = nil }
    }
}
