/// Puts timestamped rows on a regular grid: the step is the most common positive difference
/// between consecutive times, rows sharing a grid slot are averaged (and counted as duplicates),
/// and uncovered slots become missing values (and are counted as gap rows).
struct TimeGrid {
    var start: Double
    var step: Double
    var columns: [[Double]]
    var duplicateRows: Int
    var gapRows: Int

    /// `rows[i]` holds one value per column (NaN when missing) at `times[i]`.
    init(times: [Double], rows: [[Double]], columnCount: Int, knownStep: Double? = nil) {
        let order = times.indices.sorted { times[$0] < times[$1] }
        let sortedTimes = order.map { times[$0] }
        let step = knownStep ?? TimeGrid.estimateStep(sortedTimes)
        let start = sortedTimes.first ?? 0
        let last = sortedTimes.last ?? 0
        let count = sortedTimes.isEmpty ? 0 : Int(((last - start) / step).rounded()) + 1
        var sums = Array(repeating: Array(repeating: 0.0, count: count), count: columnCount)
        var counts = Array(repeating: Array(repeating: 0, count: count), count: columnCount)
        var rowsInSlot = Array(repeating: 0, count: count)
        for index in order {
            let slot = Int(((times[index] - start) / step).rounded())
            rowsInSlot[slot] += 1
            for column in 0..<columnCount {
                let value = rows[index][column]
                if !value.isNaN {
                    sums[column][slot] += value
                    counts[column][slot] += 1
                }
            }
        }
        var columns = sums
        for column in 0..<columnCount {
            for slot in 0..<count {
                columns[column][slot] = counts[column][slot] > 0 ? sums[column][slot] / Double(counts[column][slot]) : .nan
            }
        }
        self.start = start
        self.step = step
        self.columns = columns
        self.duplicateRows = rowsInSlot.reduce(0) { $0 + max(0, $1 - 1) }
        self.gapRows = rowsInSlot.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
    }

    static func estimateStep(_ sortedTimes: [Double]) -> Double {
        var histogram: [Double: Int] = [:]
        for (a, b) in zip(sortedTimes, sortedTimes.dropFirst()) where b - a > 0 {
            histogram[((b - a) * 1_000).rounded() / 1_000, default: 0] += 1
        }
        // Most common difference; ties go to the smaller step so no real row is merged away.
        return histogram.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 1
    }
}
