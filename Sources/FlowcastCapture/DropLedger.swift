/// When a live capture's drop counters grew, so each window can be told how many packets were
/// dropped while it was open (windows.jsonl `droppedBeforeCapture`, docs/live.md).
///
/// libpcap's counters are cumulative and say nothing of when a packet was dropped; they are read
/// often (every 250 ms, at each window's close, at each metrics scrape), and each growth is kept
/// with the wall-clock time of the reading that saw it. A growth seen at time T is counted in the
/// window [s, e) with s ≤ T < e: every growth goes to exactly one window, at most one reading
/// interval late. Wall-clock time is the clock of live packets' timestamps (the kernel stamps
/// them with it), so a window's span in capture time is its span here. Readings that saw no
/// growth are not kept: a run without drops keeps nothing.
package struct DropLedger: Sendable {
    /// Readings that saw the total grow: (wall-clock ns, total), in reading order.
    private var growths: [(nanoseconds: Int64, total: UInt64)] = []
    private var latest: UInt64 = 0
    /// The total up to which drops were handed to windows.
    private var attributed: UInt64 = 0

    package init() {}

    /// A reading of the cumulative drop count at wall-clock time `nanoseconds`.
    package mutating func record(total: UInt64, at nanoseconds: Int64) {
        guard total > latest else { return }
        latest = total
        growths.append((nanoseconds, total))
    }

    /// The drops of the window [start, end): growth seen from `start` to before `end`, less any
    /// already handed to an earlier window (a window that overlaps one written before, as the
    /// first window after a topology reload can, gets nothing twice). Windows are taken in
    /// order; readings before `end` are forgotten.
    package mutating func take(start: Int64, end: Int64) -> UInt64 {
        func total(before t: Int64) -> UInt64 { growths.last { $0.nanoseconds < t }?.total ?? attributed }
        let upToEnd = max(total(before: end), attributed)
        let upToStart = max(total(before: start), attributed)
        attributed = upToEnd
        growths.removeAll { $0.nanoseconds < end }
        return upToEnd - upToStart
    }
}
