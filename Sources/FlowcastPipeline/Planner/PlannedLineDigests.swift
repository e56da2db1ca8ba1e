internal import FlowcastCore
internal import FlowcastAggregate

/// A site's planned lines, as 64-bit digests of their counts, by window: what the planner needs to
/// tell a copy of a planned line (the same capture replayed after the stream's duplicate window,
/// whose content-named message the stream stored again) from another run's line for the window
/// (`SiteMerger.classify`). Keeping the lines themselves would cost about 250 bytes each in the
/// checkpoint; a digest costs 8, and the newest `capacity` digests of the site are kept (oldest
/// windows go first), so a planner that runs for weeks stays bounded: a line for a window older
/// than those kept is still `afterPlanned`, and says why.
///
/// The digest folds in what `SiteMerger.sameCounts` compares (kind, id, start, duration and every
/// counter; not `partial` nor `observedFrom`): two lines with one digest are the same line with
/// odds of about 2⁻⁶⁴ per pair, and a window holds at most a few thousand lines of a site.
struct PlannedLineDigests: Codable, Sendable, Equatable {
    /// Window start → the digests of the site's lines planned in it, sorted.
    private(set) var windows: [Int64: [UInt64]] = [:]
    /// The starts of `windows`, oldest first (windows are planned in time order, so a start is
    /// appended): what is dropped first, without sorting every start at every plan once at the
    /// bound. Not saved: the checkpoint's rows are in this order.
    private var order: [Int64] = []
    /// Digests held, over every window.
    private(set) var total = 0
    /// Start of the newest window dropped to stay within the capacity (nil: none dropped).
    private(set) var droppedThrough: Int64?
    /// Start of the first window recorded, when the digests began in a state saved before they
    /// were kept (7 December 2026): what was planned before it is not known. nil otherwise.
    private(set) var keptFrom: Int64?

    init() {}

    /// Digests that begin with the window at `start`, in a state that kept none before.
    init(keptFrom start: Int64) { keptFrom = start }

    /// Windows kept at most, lines or not (a site's window planned with no line of it is kept as
    /// an empty entry, so a later line for it is told from one of a window planned without the
    /// site): 65,536, about a week of 10 s windows.
    static let maximumWindows = 65_536

    /// What is known of the window at `start`: planned with the site's lines (`covered`), or
    /// planned before the digests kept (`dropped`, `beforeKept`), or else not planned with the site.
    enum Knowledge { case covered, dropped, beforeKept, plannedWithout }
    func knowledge(of start: Int64) -> Knowledge {
        if windows[start] != nil { return .covered }
        if let d = droppedThrough, start <= d { return .dropped }
        if let k = keptFrom, start < k { return .beforeKept }
        return .plannedWithout
    }

    /// Digests kept per site: 131,072 (1 MiB; a day of 10 s windows at 15 lines a window).
    static let defaultCapacity = 131_072

    static func digest(_ w: WindowSummary) -> UInt64 {
        // Each value folded in by SplitMix64's finaliser, a bijection of the state and the value:
        // lines that differ in one value never share a digest, and others about once in 2⁶⁴. Not
        // SHA-256: this runs for every line the planner plans (a million in the 5,000-cell
        // ingest benchmark), where a SHA-256 of the line's text cost microseconds each.
        @inline(__always) func fold(_ h: UInt64, _ v: UInt64) -> UInt64 {
            var z = (h ^ v) &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var h = fold(0, w.kind == .cell ? 1 : 2)
        var word: UInt64 = 0, n = 0
        for byte in w.id.utf8 {
            word = word << 8 | UInt64(byte)
            n += 1
            if n % 8 == 0 { h = fold(h, word); word = 0 }
        }
        h = fold(fold(h, word), UInt64(n))
        h = fold(fold(h, UInt64(bitPattern: w.startNanoseconds)), UInt64(bitPattern: w.durationNanoseconds))
        h = fold(fold(fold(fold(h, w.bytesUp), w.bytesDown), w.packetsUp), w.packetsDown)
        h = fold(fold(fold(fold(h, w.activeFlows), w.newFlows), w.retransmissions), w.zeroWindows)
        h = fold(fold(h, w.decodeIssues), w.droppedBeforeCapture)
        for i in 0..<SizeHistogram.count { h = fold(h, w.sizeHistogram[i]) }
        return h
    }

    /// Whether the window at `start` holds a planned line with `line`'s counts.
    func contains(_ line: WindowSummary, start: Int64) -> Bool {
        guard let digests = windows[start] else { return false }
        let d = Self.digest(line)
        // Binary search: a window of a large site holds thousands.
        var low = 0, high = digests.count
        while low < high {
            let mid = (low + high) / 2
            if digests[mid] < d { low = mid + 1 } else { high = mid }
        }
        return low < digests.count && digests[low] == d
    }

    /// Keeps the digests of the site's lines planned in the window at `start`, then drops the
    /// oldest windows while more than `capacity` digests are held.
    mutating func record<Lines: Collection>(_ lines: Lines, start: Int64, capacity: Int) where Lines.Element == WindowSummary {
        if let before = windows[start] {
            total -= before.count
        } else if let last = order.last, start < last {
            // Not in time order (not seen from the merger, which plans windows in turn): in place.
            var low = 0, high = order.count
            while low < high { let mid = (low + high) / 2; if order[mid] < start { low = mid + 1 } else { high = mid } }
            order.insert(start, at: low)
        } else {
            order.append(start)
        }
        let digests = lines.map(Self.digest).sorted()
        windows[start] = digests
        total += digests.count
        // The oldest go first, never the window just recorded (which may be among them when it
        // came out of order).
        var passed = 0, keptStart = false
        while (total > capacity || windows.count > Self.maximumWindows) && passed < order.count {
            let old = order[passed]
            passed += 1
            if old == start { keptStart = true; continue }
            total -= windows[old]!.count
            windows[old] = nil
            droppedThrough = max(droppedThrough ?? old, old)
        }
        if passed > 0 {
            order.removeFirst(passed)
            if keptStart { order.insert(start, at: 0) }
        }
    }

    // The checkpoint form: one string, a line per window, "start<TAB>hex digests" (16 hex digits
    // each, no separator), sorted by start, plus the drop mark. JSON numbers for 2⁶⁴-range digests
    // would be 20 characters and a key each; this is 16 and the same bytes for the same state.
    enum CodingKeys: String, CodingKey { case windows, droppedThrough, keptFrom }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var text = ""
        text.reserveCapacity(total * 16 + windows.count * 24)
        let hex = Array("0123456789abcdef".utf8)
        for start in order {
            var bytes = Array("\(start)\t".utf8)
            for d in windows[start]! {
                for shift in stride(from: 60, through: 0, by: -4) { bytes.append(hex[Int((d >> UInt64(shift)) & 0xf)]) }
            }
            bytes.append(UInt8(ascii: "\n"))
            text += String(decoding: bytes, as: UTF8.self)
        }
        try c.encode(text, forKey: .windows)
        try c.encodeIfPresent(droppedThrough, forKey: .droppedThrough)
        try c.encodeIfPresent(keptFrom, forKey: .keptFrom)
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        droppedThrough = try c.decodeIfPresent(Int64.self, forKey: .droppedThrough)
        keptFrom = try c.decodeIfPresent(Int64.self, forKey: .keptFrom)
        let text = try c.decode(String.self, forKey: .windows)
        for row in text.utf8.split(separator: UInt8(ascii: "\n")) {
            guard let tab = row.firstIndex(of: UInt8(ascii: "\t")),
                  let start = Int64(String(decoding: row[row.startIndex..<tab], as: UTF8.self)) else {
                throw DecodingError.dataCorruptedError(forKey: .windows, in: c, debugDescription: "a row without a window start")
            }
            let hexDigits = Array(row[row.index(after: tab)...])
            guard hexDigits.count % 16 == 0 else {
                throw DecodingError.dataCorruptedError(forKey: .windows, in: c, debugDescription: "digests of the window at \(start) are not 16 hex digits each")
            }
            var digests: [UInt64] = []
            digests.reserveCapacity(hexDigits.count / 16)
            for i in stride(from: 0, to: hexDigits.count, by: 16) {
                var d: UInt64 = 0
                for byte in hexDigits[i..<(i + 16)] {
                    let v: UInt8
                    switch byte {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): v = byte - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): v = byte - UInt8(ascii: "a") + 10
                    default: throw DecodingError.dataCorruptedError(forKey: .windows, in: c, debugDescription: "a digest of the window at \(start) is not hex")
                    }
                    d = d << 4 | UInt64(v)
                }
                digests.append(d)
            }
            // Sorted as saved; sorted again so a hand-edited state cannot break the search.
            windows[start] = digests.sorted()
            total += digests.count
        }
        order = windows.keys.sorted()
    }
}
