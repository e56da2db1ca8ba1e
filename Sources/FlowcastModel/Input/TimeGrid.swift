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

    /// `rows[i]` holds one value per column (NaN when missing) at `times[i]`.
    init(times: [Double], rows: [[Double]], columnCount: Int, knownStep: Double? = nil,
         path: String) throws(SeriesInputError) {
        let order = times.indices.sorted { times[$0] < times[$1] }
        let sortedTimes = order.map { times[$0] }
        let step = knownStep ?? TimeGrid.estimateStep(sortedTimes)
        let start = sortedTimes.first ?? 0
        let count = sortedTimes.isEmpty ? 0
            : try TimeGrid.rowCount(times: sortedTimes, step: step, columns: columnCount,
                                    valuesRead: times.count * columnCount, path: path)
        // Sums and counts are kept for the occupied slots only (at most one per row); the dense
        // grid is allocated once, for the values. A grid of a million empty slots used to cost
        // three grids and a pass over every slot of every column.
        var occupied: [Int: Int] = [:]          // slot → index k of its sums and counts
        var occupiedSlots: [Int] = []
        var rowsAt: [Int] = []
        var sums: [Double] = []                  // k × columnCount + column
        var counts: [Int] = []
        for index in order {
            let slot = Int(((times[index] - start) / step).rounded())
            let k: Int
            if let existing = occupied[slot] {
                k = existing
            } else {
                k = rowsAt.count
                occupied[slot] = k
                occupiedSlots.append(slot)
                rowsAt.append(0)
                sums.append(contentsOf: repeatElement(0, count: columnCount))
                counts.append(contentsOf: repeatElement(0, count: columnCount))
            }
            rowsAt[k] += 1
            for column in 0..<columnCount {
                let value = rows[index][column]
                if !value.isNaN {
                    sums[k * columnCount + column] += value
                    counts[k * columnCount + column] += 1
                }
            }
        }
        var columns = Array(repeating: Array(repeating: Double.nan, count: count), count: columnCount)
        for (k, slot) in occupiedSlots.enumerated() {
            for column in 0..<columnCount where counts[k * columnCount + column] > 0 {
                columns[column][slot] = sums[k * columnCount + column] / Double(counts[k * columnCount + column])
            }
        }
        self.start = start
        self.step = step
        self.columns = columns
        self.duplicateRows = rowsAt.reduce(0) { $0 + $1 - 1 }
        self.outOfOrderRows = times.indices.dropFirst().count { times[$0] < times[$0 - 1] }
        self.gapRows = count - occupiedSlots.count
    }

    /// Rows of the grid from the first to the last of `sortedTimes` at `step`. A grid is
    /// refused when a time is not finite, or when it would hold more than
    /// `max(1,000,000, 100 × valuesRead)` cells (rows × columns): a grid that much emptier than
    /// its input comes from a timestamp far off, and would cost memory out of all proportion to
    /// the file (found by fuzzing: two windows 39 years apart made a 3.4 million-row grid).
    static func rowCount(times sortedTimes: [Double], step: Double, columns: Int, valuesRead: Int,
                         path: String) throws(SeriesInputError) -> Int {
        guard let start = sortedTimes.first, let last = sortedTimes.last else { return 0 }
        if let bad = sortedTimes.first(where: { !$0.isFinite }) {
            throw .badTimeGrid(path: path, reason: "time \(bad) is not a finite number")
        }
        let span = ((last - start) / step).rounded()
        let limit = max(1_000_000, 100 * valuesRead)
        guard step.isFinite, step > 0, span.isFinite, span < Double(limit),
              (Int(span) + 1).multipliedReportingOverflow(by: max(1, columns)).partialValue <= limit else {
            throw .badTimeGrid(path: path, reason:
                "times from \(start) to \(last) at a step of \(step) s make a grid of \(span + 1) rows "
                + "× \(columns) columns, more than the \(limit) cells allowed for \(valuesRead) values read")
        }
        return Int(span) + 1
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
