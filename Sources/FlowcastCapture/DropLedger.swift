/// When a live capture's drop counters grew, so each window can be told how many packets were
/// dropped while it was open (windows.jsonl `droppedBeforeCapture`, docs/live.md).
///
/// libpcap's counters are cumulative and say nothing of when a packet was dropped; they are read
/// often (every 250 ms, at each window's close, at each metrics scrape), and each growth is kept
/// with the wall-clock time of the reading that saw it. A growth seen at time T is counted in the
/// first window written whose end is after T: the window open at T, at most one reading interval
/// late, or, when that window is never written (before the first window, a skipped gap, past the
/// bound on windows), the next one that is. The run's last window takes whatever is left, so every
/// growth read before it is written goes to exactly one window. Wall-clock time is the clock of
/// live packets' timestamps (the kernel stamps them with it), so a window's span in capture time
/// is its span here. Readings that saw no growth are not kept: a run without drops keeps nothing.
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

    /// The drops of a window that ends at `end`: growth read before `end` that no earlier window
    /// took (a window that overlaps one written before, as the first window after a topology
    /// reload can, gets nothing twice). With `end` nil (the run's last window), every growth read
    /// so far that no window took. Windows are taken in order; readings before `end` are
    /// forgotten.
    package mutating func take(before end: Int64?) -> UInt64 {
        let upToEnd: UInt64
        if let end {
            upToEnd = max(growths.last { $0.nanoseconds < end }?.total ?? attributed, attributed)
            growths.removeAll { $0.nanoseconds < end }
        } else {
            upToEnd = max(latest, attributed)
            growths.removeAll()
        }
        defer { attributed = upToEnd }
        return upToEnd - attributed
    }
}
