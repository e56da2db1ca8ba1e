/// Reads long CSV series: `time,series,value`, one row per observation, any order.
enum LongCSVReader {
    static func isLong(_ header: [String]) -> Bool {
        header.count >= 3 && header[0].lowercased() == "time" && header[1].lowercased() == "series"
            && header[2].lowercased() == "value"
    }

    static func read(_ csv: CSVText, path: String) throws(SeriesInputError) -> SeriesSet {
        var observations: [Observation] = []
        try csv.forEachLine { line throws(SeriesInputError) in
            guard line.fields.count >= 3 else {
                throw .wrongFieldCount(path: path, line: line.number, expected: 3, found: line.fields.count)
            }
            guard let time = Timestamp.parse(line.fields[0]) else {
                throw .badTimestamp(path: path, line: line.number, text: String(line.fields[0]))
            }
            let value = try CSVText.number(line.fields[2], path: path, line: line.number, column: "value")
            observations.append((time, String(line.fields[1].trimmingSpaces), value, line.number))
        }
        guard !observations.isEmpty else { throw .empty(path: path) }
        return try regularise(observations, source: path)
    }

    /// A time, a series, its value if it has one, and the file line it was read from.
    typealias Observation = (time: Double, series: String, value: Double?, line: Int)

    /// Shared by long CSV and windows.jsonl: one grid for all series (step from the union of
    /// times), duplicates per series averaged, uncovered slots missing; all of it counted.
    static func regularise(_ observations: [Observation], source: String,
                           absentIsZero: Bool = false, knownStep: Double? = nil) throws(SeriesInputError) -> SeriesSet {
        var report = SeriesLoadReport()
        report.rowsRead = observations.count
        let times = Array(Set(observations.map(\.time))).sorted()
        let step = knownStep.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? TimeGrid.estimateStep(times)
        let start = times.first ?? 0
        let seriesCount = Set(observations.map(\.series)).count
        let count = try TimeGrid.rowCount(times: times, step: step, columns: seriesCount,
                                          valuesRead: observations.count, path: source,
                                          lineOf: { time in observations.first { $0.time == time }?.line })
        // Only the slots that observations fall in are accumulated (sparse); the dense grid is
        // allocated once per series, for its values. A grid of a million empty slots used to
        // cost four arrays and a pass with three comparisons per slot.
        struct Slot { var sum = 0.0, values = 0, rows = 0 }
        var names: [String] = []
        var columnOf: [String: Int] = [:]
        var slots: [[Int: Slot]] = []
        for observation in observations {
            let column: Int
            if let existing = columnOf[observation.series] {
                column = existing
            } else {
                column = names.count
                columnOf[observation.series] = column
                names.append(observation.series)
                slots.append([:])
            }
            let position = (observation.time - start) / step
            let slot = Int(position.rounded())
            if abs(position - Double(slot)) > 0.25 { report.offGridRows += 1 }
            slots[column][slot, default: Slot()].rows += 1
            if let value = observation.value {
                slots[column][slot]!.sum += value
                slots[column][slot]!.values += 1
            } else {
                report.missingValues += 1
            }
        }
        var series: [Series] = []
        for column in names.indices {
            // A slot no row fell in is a gap (or 0 when absence means none); a slot whose rows
            // all lacked a value is missing, not a gap.
            var values = Array(repeating: absentIsZero ? 0 : Double.nan, count: count)
            if !absentIsZero { report.gapRows += count - slots[column].count }
            for (slot, accumulated) in slots[column] {
                values[slot] = accumulated.values > 0 ? accumulated.sum / Double(accumulated.values) : .nan
                report.duplicateRows += accumulated.rows - 1
            }
            series.append(Series(name: names[column], values: values))
        }
        return SeriesSet(source: source, step: step, startTime: start, series: series, report: report)
    }
}
