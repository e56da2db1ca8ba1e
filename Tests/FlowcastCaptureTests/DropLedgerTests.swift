import FlowcastCapture
import Testing

/// How a live run's drop counters are shared out among its windows (`DropLedger`): a growth is
/// counted once, in the window open at the wall-clock time of the reading that saw it, or in the
/// next window written when that one is not, or in the run's last window.
@Suite("Drop attribution to windows")
struct DropLedgerTests {
    static let second: Int64 = 1_000_000_000

    @Test("each growth goes to the window open when it was read; a window without growth gets 0")
    func growthGoesToItsWindow() {
        var ledger = DropLedger()
        // Readings every 250 ms through three 1-s windows starting at 100 s; drops grow at 100.5
        // (by 7) and at 102.25 (by 3); readings that saw no growth change nothing.
        let readings: [(Int64, UInt64)] = [(100_000, 0), (100_250, 0), (100_500, 7), (100_750, 7), (101_000, 7),
                                           (101_500, 7), (102_000, 7), (102_250, 10), (102_750, 10)]
        for (ms, total) in readings { ledger.record(total: total, at: ms * 1_000_000) }
        #expect(ledger.take(before: 101 * Self.second) == 7)
        #expect(ledger.take(before: 102 * Self.second) == 0)
        #expect(ledger.take(before: 103 * Self.second) == 3)
    }

    @Test("a growth read exactly at a window's end belongs to the next window")
    func boundaryReadingGoesToTheNextWindow() {
        var ledger = DropLedger()
        ledger.record(total: 5, at: 101 * Self.second)
        #expect(ledger.take(before: 101 * Self.second) == 0)
        #expect(ledger.take(before: 102 * Self.second) == 5)
    }

    @Test("a window taken before later readings arrive gets only the growth before its end; the rest waits for its window")
    func laterReadingsWait() {
        var ledger = DropLedger()
        ledger.record(total: 2, at: 100_400_000_000)
        // Window [100, 101) closes at 101.1, just after a reading at 101.05 that saw 4 more.
        ledger.record(total: 6, at: 101_050_000_000)
        #expect(ledger.take(before: 101 * Self.second) == 2)
        ledger.record(total: 6, at: 101_300_000_000)
        #expect(ledger.take(before: 102 * Self.second) == 4)
    }

    @Test("drops read before the first window or while windows that are never written were open go to the next window written")
    func dropsOutsideWrittenWindowsCarryForward() {
        var ledger = DropLedger()
        ledger.record(total: 9, at: 99 * Self.second)       // before capture time reached a window
        ledger.record(total: 12, at: 100_500_000_000)
        #expect(ledger.take(before: 101 * Self.second) == 12)
        ledger.record(total: 20, at: 105 * Self.second)     // in [105, 106), a window never written
        ledger.record(total: 21, at: 110_200_000_000)
        #expect(ledger.take(before: 111 * Self.second) == 9)
    }

    @Test("the run's last window takes every growth read so far, also after its end; nothing is left for a later take")
    func lastWindowTakesTheRest() {
        var ledger = DropLedger()
        ledger.record(total: 3, at: 100_200_000_000)
        // The run stops at 101.7: the window [101, 102) saw no packet and is never written, so the
        // window open since 100 s is the last, written at the stop after a reading at 101.7.
        ledger.record(total: 8, at: 101_600_000_000)
        ledger.record(total: 11, at: 101_700_000_000)
        #expect(ledger.take(before: nil) == 11)
        #expect(ledger.take(before: nil) == 0)
        #expect(ledger.take(before: 103 * Self.second) == 0)
    }

    @Test("a window overlapping one already taken (the first after a topology reload) gets nothing twice")
    func overlapCountsOnce() {
        var ledger = DropLedger()
        ledger.record(total: 4, at: 100_300_000_000)
        ledger.record(total: 6, at: 100_800_000_000)
        // The old topology's last window, cut short by the reload, then the new one's first window
        // with the same start.
        #expect(ledger.take(before: 101 * Self.second) == 6)
        #expect(ledger.take(before: 101 * Self.second) == 0)
        ledger.record(total: 7, at: 101_100_000_000)
        #expect(ledger.take(before: 102 * Self.second) == 1)
    }

    @Test("several sockets (capture threads): each counts its own drops, a window's drops are their sum")
    func socketsAddUp() {
        var a = DropLedger(), b = DropLedger()
        a.record(total: 3, at: 100_200_000_000); b.record(total: 10, at: 100_900_000_000)
        a.record(total: 4, at: 101_500_000_000)
        func window(_ start: Int64) -> UInt64 {
            a.take(before: (start + 1) * Self.second) + b.take(before: (start + 1) * Self.second)
        }
        #expect(window(100) == 13)
        #expect(window(101) == 1)
    }
}
