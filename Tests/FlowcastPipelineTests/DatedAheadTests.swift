@testable import FlowcastPipeline
import Testing

/// `DatedAhead`: which packets count as dated ahead of the rest, on sequences of times.
@Suite struct DatedAheadTests {
    static let s: Int64 = 1_000_000_000

    /// The times each packet is counted at, as replay's reader patches them: a packet judged dated
    /// ahead takes the latest time before it.
    static func judged(_ times: [Int64]) -> (times: [Int64], ahead: [Int]) {
        var detector = DatedAhead(), out = times, ahead: [Int] = [], held: Int?, heldFirst: Int?
        for (i, t) in times.enumerated() {
            switch detector.see(t) {
            case .datedAhead(let time): if let h = held { out[h] = time; ahead.append(h) }
            case .firstDatedAhead(let time): if let h = heldFirst { out[h] = time; ahead.append(h) }
            case .none: break
            }
            held = detector.holding ? i : nil
            if !detector.holdingFirst { heldFirst = nil } else if heldFirst == nil { heldFirst = i }
        }
        detector.release()
        return (out, ahead)
    }

    @Test func aLonePacketAheadTakesTheTimeBeforeIt() {
        let r = Self.judged([0, 1 * Self.s, 63_072 * Self.s, 2 * Self.s, 3 * Self.s])
        #expect(r.ahead == [2])
        #expect(r.times == [0, 1 * Self.s, 1 * Self.s, 2 * Self.s, 3 * Self.s])
    }

    @Test func aGapTheNextPacketConfirmsStays() {
        // A quiet hour, then traffic again (slightly reordered: 2 s back, within the minute).
        let times = [0, 1 * Self.s, 3_600 * Self.s, 3_598 * Self.s, 3_601 * Self.s]
        #expect(Self.judged(times).ahead.isEmpty)
        #expect(Self.judged(times).times == times)
    }

    @Test func twoPacketsAheadTogetherLookLikeAGap() {
        let times = [0, 1 * Self.s, 9_000 * Self.s, 9_001 * Self.s, 2 * Self.s]
        #expect(Self.judged(times).ahead.isEmpty)
    }

    @Test func aJumpOfAMinuteOrLessIsNotJudged() {
        let times = [0, 1 * Self.s, 61 * Self.s, 2 * Self.s]
        #expect(Self.judged(times).ahead.isEmpty)
        // Just over a minute past the latest and back over a minute before it: judged.
        #expect(Self.judged([0, 1 * Self.s, 62 * Self.s, 0]).ahead == [2])
    }

    @Test func theLastPacketIsNeverJudged() {
        #expect(Self.judged([0, 1 * Self.s, 9_000 * Self.s]).ahead.isEmpty)
    }

    /// Until 7 December 2026 the first packet was never judged: a first record 17 h ahead counted
    /// the whole capture late in its one window.
    @Test func theFirstPacketIsJudgedByTheTwoAfterIt() {
        // The next two both go back more than a minute: the first is dated ahead, and takes the next's time.
        let r = Self.judged([63_072 * Self.s, 1 * Self.s, 2 * Self.s, 3 * Self.s])
        #expect(r.ahead == [0])
        #expect(r.times == [1 * Self.s, 1 * Self.s, 2 * Self.s, 3 * Self.s])
        // The one after the next agrees with the first: the next was behind (late), the first stands.
        #expect(Self.judged([9_000 * Self.s, 1 * Self.s, 9_001 * Self.s, 9_002 * Self.s]).ahead.isEmpty)
        // Only one packet after it: not judged.
        #expect(Self.judged([9_000 * Self.s, 1 * Self.s]).ahead.isEmpty)
        // Judged first, then a lone packet ahead later on is judged as before.
        #expect(Self.judged([9_000 * Self.s, 1 * Self.s, 2 * Self.s, 7_000 * Self.s, 3 * Self.s]).ahead == [0, 3])
        // A first packet within a minute of the next is not suspect.
        #expect(Self.judged([61 * Self.s, 1 * Self.s, 2 * Self.s]).ahead.isEmpty)
    }

    @Test func aPacketBehindIsNotAJump() {
        // Late packets (a merged capture) are the aggregator's to count, not this detector's.
        #expect(Self.judged([100 * Self.s, 101 * Self.s, 10 * Self.s, 102 * Self.s]).ahead.isEmpty)
        // After one judged ahead, the next jump is measured from the time before it.
        #expect(Self.judged([0, 9_000 * Self.s, 1 * Self.s, 8_000 * Self.s, 2 * Self.s]).ahead == [1, 3])
    }
}
