import Foundation

/// Puts timestamped rows on a regular grid: the step is the most common positive difference
/// between consecutive times, rows sharing a grid slot are averaged (and counted as duplicates),
/// and uncovered slots become missing values (and are counted as gap rows).
struct TimeGrid {
    var start: Double
    var step: Double
    var columns: [[Double]]
    var duplicateRows: Int
    var gapRows: Int
    /// Rows whose time is earlier than the row before them in the file: the grid puts them in
    /// time order, and the reader says how many it moved.
    var outOfOrderRows: Int
    /// Rows whose time is more than a quarter of a step from its grid slot (a row at 12:00:07 on
    /// a 10 s grid started at 12:00:00): put on the nearest slot, and counted so the reader can
    /// say so (they were snapped without a word).
    var offGridRows: Int

    /// `rows[i * columnCount + c]` holds column `c`'s value (NaN when missing) at `times[i]`: one
    /// flat array, where an array per row cost about 80 bytes a row more. `lineOfRow` gives the
    /// file line of `times[i]`, asked only to name the line of a time the grid refuses.
    init(times: [Double], rows: [Double], columnCount: Int, knownStep: Double? = nil,
         path: String, lineOfRow: (Int) -> Int? = { _ in nil }) throws(SeriesInputError) {
        let order = times.indices.sorted { times[$0] < times[$1] }
        let sortedTimes = order.map { times[$0] }
        let step = knownStep ?? TimeGrid.estimateStep(sortedTimes)
        let start = sortedTimes.first ?? 0
        let count = sortedTimes.isEmpty ? 0
            : try TimeGrid.rowCount(times: sortedTimes, step: step, columns: columnCount,
                                    valuesRead: times.count * columnCount, path: path,
                                    lineOf: { time in times.firstIndex { $0 == time || ($0.isNaN && time.isNaN) }.flatMap(lineOfRow) })
        // In time order the rows' slots never go back, so the rows sharing a slot are consecutive:
        // one slot's sums and counts are all that is kept besides the dense grid of values. Until
        // 6 December 2026 a dictionary and the sums and counts of every occupied slot were kept
        // too, about 150 bytes a row (1.5 GB for a 10-million-row radio log).
        var columns = Array(repeating: Array(repeating: Double.nan, count: count), count: columnCount)
        var sums = [Double](repeating: 0, count: columnCount), counts = [Int](repeating: 0, count: columnCount)
        var slot = -1, occupiedSlots = 0, duplicateRows = 0, offGridRows = 0
        func closeSlot() {
            guard slot >= 0 else { return }
            for column in 0..<columnCount where counts[column] > 0 {
                columns[column][slot] = sums[column] / Double(counts[column])
                sums[column] = 0
                counts[column] = 0
            }
        }
        for index in order {
            let position = (times[index] - start) / step
            let rowSlot = Int(position.rounded())
            if abs(position - Double(rowSlot)) > 0.25 { offGridRows += 1 }
            if rowSlot != slot {
                closeSlot()
                slot = rowSlot
                occupiedSlots += 1
            } else {
                duplicateRows += 1
            }
            for column in 0..<columnCount {
                let value = rows[index * columnCount + column]
                if !value.isNaN {
                    sums[column] += value
                    counts[column] += 1
                }
            }
        }
        closeSlot()
        self.start = start
        self.step = step
        self.columns = columns
        self.duplicateRows = duplicateRows
        self.offGridRows = offGridRows
        self.outOfOrderRows = times.indices.dropFirst().count { times[$0] < times[$0 - 1] }
        self.gapRows = count - occupiedSlots
    }

    /// Rows of the grid from the first to the last of `sortedTimes` at `step`. A grid is
    /// refused when a time is not finite, or when it would hold more than
    /// `max(1,000,000, 100 × valuesRead)` cells (rows × columns): a grid that much emptier than
    /// its input comes from a timestamp far off, and would cost memory out of all proportion to
    /// the file (found by fuzzing: two windows 391 days apart made a 3.4 million-row grid). The
    /// error names the time farther from the median, the one far off, and its line where
    /// `lineOf` knows it (a rescan, on this error path only).
    static func rowCount(times sortedTimes: [Double], step: Double, columns: Int, valuesRead: Int,
                         path: String, lineOf: (Double) -> Int? = { _ in nil }) throws(SeriesInputError) -> Int {
        guard let start = sortedTimes.first, let last = sortedTimes.last else { return 0 }
        if let bad = sortedTimes.first(where: { !$0.isFinite }) {
            throw .badTimeGrid(path: path, line: lineOf(bad), reason: "time \(bad) is not a finite number")
        }
        let span = ((last - start) / step).rounded()
        let limit = max(1_000_000, 100 * valuesRead)
        guard step.isFinite, step > 0, span.isFinite, span < Double(limit),
              (Int(span) + 1).multipliedReportingOverflow(by: max(1, columns)).partialValue <= limit else {
            let median = sortedTimes[sortedTimes.count / 2]
            let (far, other) = median - start > last - median ? (start, last) : (last, start)
            throw .badTimeGrid(path: path, line: lineOf(far), reason:
                "time \(describe(far)) is \(describe(duration: abs(median - far))) from the file's median time, "
                + "\(describe(median)): the grid from it to \(describe(other)) at a step of \(step) s would be \(String(format: "%.0f", span + 1)) rows "
                + "× \(columns) columns, more than the \(limit) cells allowed for \(valuesRead) values read")
        }
        return Int(span) + 1
    }

    /// A time as read, with its UTC date where it reads as one (1970 to 2200).
    static func describe(_ time: Double) -> String {
        let number = time == time.rounded() && abs(time) < 1e15 ? String(Int64(time)) : "\(time)"
        guard time >= 0, time < 7_258_118_400 else { return number }
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return number + String(format: " (%04d-%02d-%02d %02d:%02d:%02d UTC)", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                               Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// `46 years`, `3 days`, `5000 s`. Formatted as Double: a time of 1e300 is a duration no Int
    /// holds (converting it trapped; found by fuzzing, 6 December 2026).
    static func describe(duration: Double) -> String {
        let year = 365.25 * 86_400
        if duration >= 2 * year { return String(format: "%.0f years", (duration / year).rounded()) }
        if duration >= 2 * 86_400 { return String(format: "%.0f days", (duration / 86_400).rounded()) }
        return String(format: "%.0f s", duration.rounded())
    }

    static func estimateStep(_ sortedTimes: [Double]) -> Double {
        var histogram: [Double: Int] = [:]
        // Differences under half a millisecond round to 0, which is no step: skip them.
        for (a, b) in zip(sortedTimes, sortedTimes.dropFirst()) where ((b - a) * 1_000).rounded() > 0 {
            histogram[((b - a) * 1_000).rounded() / 1_000, default: 0] += 1
        }
        // Most common difference; ties go to the smaller step so no real row is merged away.
        return histogram.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 1
    }
}
