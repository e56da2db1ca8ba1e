/// Reads wide CSV series: time columns (`t`, `start`, `time`, `timestamp`, `date`, `datetime`) then one column per
/// series, as in the Abilene `od_tm_public.csv` and `link_load_ospf_public.csv` files.
enum WideCSVReader {
    static let timeColumnNames: Set<String> = ["t", "start", "time", "timestamp", "date", "datetime"]

    static func isWide(_ header: [String]) -> Bool {
        header.contains { timeColumnNames.contains($0.lowercased()) } && header.count >= 2
    }

    static func read(_ csv: CSVText, path: String, includeSelfPairs: Bool) throws(SeriesInputError) -> SeriesSet {
        let header = csv.header
        let timeColumns = header.indices.filter { timeColumnNames.contains(header[$0].lowercased()) }
        var report = SeriesLoadReport()
        var valueColumns: [Int] = []
        for index in header.indices where !timeColumns.contains(index) {
            if !includeSelfPairs, isSelfPair(header[index]) {
                report.skippedColumns.append(header[index])
            } else {
                valueColumns.append(index)
            }
        }
        guard !valueColumns.isEmpty else { throw .unknownFormat(path: path, reason: "no value columns") }
        try csv.checkNames(ofColumns: timeColumns + valueColumns)
        // Time columns are named in any case: a value column named `T` beside `t` was read as a
        // second time column, and its values dropped without a word.
        for (i, a) in timeColumns.enumerated() {
            if let b = timeColumns[(i + 1)...].first(where: { header[$0].lowercased() == header[a].lowercased() }) {
                throw .badHeader(path: path, line: csv.headerLine, reason: "columns \(a + 1) and \(b + 1) ('\(header[a])' and '\(header[b])') "
                    + "are both the time column '\(header[a].lowercased())' (time column names are read in any case)")
            }
        }
        guard let first = csv.first else { throw .empty(path: path) }

        // Prefer a column of calendar timestamps; a bare index column (`t`) gives rows but no step.
        var clockColumn: Int?
        do {
            for index in timeColumns where index < first.fields.count {
                let text = first.fields[index].trimmingSpaces
                if Double(text) == nil, Timestamp.parse(text) != nil { clockColumn = index; break }
            }
            // Numbers in any time column but the bare index `t` are seconds since the epoch (an
            // epoch `start` column was read as no time at all, a series without steps: an audit).
            if clockColumn == nil {
                clockColumn = timeColumns.first {
                    header[$0].lowercased() != "t" && $0 < first.fields.count
                        && Double(first.fields[$0].trimmingSpaces) != nil
                }
            }
        }

        var times: [Double] = []
        var rows: [Double] = []  // row-major, valueColumns.count a row
        try csv.forEachLine { line throws(SeriesInputError) in
            guard line.fields.count == header.count else {
                throw .wrongFieldCount(path: path, line: line.number, expected: header.count, found: line.fields.count)
            }
            if let clockColumn {
                guard let time = Timestamp.parse(line.fields[clockColumn]) else {
                    throw .badTimestamp(path: path, line: line.number, text: String(line.fields[clockColumn]))
                }
                times.append(time)
            } else {
                times.append(Double(times.count))
            }
            for column in valueColumns {
                if let value = try CSVText.number(line.fields[column], path: path, line: line.number, column: header[column]) {
                    rows.append(value)
                } else {
                    rows.append(.nan)
                    report.missingValues += 1
                }
            }
        }
        report.rowsRead = times.count
        let grid = try TimeGrid(times: times, rows: rows, columnCount: valueColumns.count,
                                knownStep: clockColumn == nil ? 1 : nil, path: path, lineOfRow: csv.lineNumber(ofRecord:))
        report.duplicateRows = grid.duplicateRows
        report.offGridRows = grid.offGridRows
        report.gapRows = grid.gapRows
        report.outOfOrderRows = grid.outOfOrderRows
        let series = valueColumns.enumerated().map { Series(name: header[$0.element], values: grid.columns[$0.offset]) }
        return SeriesSet(source: path, step: clockColumn == nil ? nil : grid.step,
                         startTime: clockColumn == nil ? nil : grid.start, series: series, report: report)
    }

    /// Abilene names origin–destination columns `od_<s>_<d>`; `s == d` is traffic that enters and
    /// leaves at one PoP, loads no link, and is left out of the reference figures.
    static func isSelfPair(_ name: String) -> Bool {
        let parts = name.split(separator: "_")
        return parts.count == 3 && parts[0] == "od" && parts[1] == parts[2]
    }
}
