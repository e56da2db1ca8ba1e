/// What to forecast from a radio KPI log.
public enum RadioTarget: String, Sendable, CaseIterable {
    /// Downlink bitrate in Mbit/s (the log's `DL_bitrate` is kbit/s).
    case downlinkBitrate = "dl"
    /// Spectral efficiency in bit/s/Hz from the logged CQI.
    case spectralEfficiency = "se"
}

/// Reads G-NetTrack-style radio KPI logs (the 5G traces): per-second rows with `Timestamp`,
/// `CQI`, `DL_bitrate`, …; `-` is missing. Rows are put on a one-second grid: repeated seconds
/// are averaged and missing seconds become missing values, both counted in the report.
enum RadioLogReader {
    /// Exogenous covariates read beside the target, when the log has the column: name, column,
    /// and a fixed affine map to a unit-ish range (the model's features are not rescaled per series).
    /// `State` is the download state: `D` (downloading) 1, `I` (idle) 0.
    /// `range`: the values a logger can write, generously (3GPP's reporting ranges are RSRP −156 to
    /// −31 dBm, RSRQ −43 to 20 dB, SINR −23 to 40 dB; the public traces hold RSRP −200, SNR −30,
    /// speeds to 89 km/h). A number outside it is missing, as `-` is, and counted: one RSRP of
    /// 1e300 trained another model without a word, and Android writes 2147483647 for "unknown".
    static let covariateColumns: [(name: String, column: String, offset: Double, divisor: Double, range: ClosedRange<Double>)] = [
        ("cqi", "CQI", 0, 15, 0...15), ("rsrp", "RSRP", 100, 20, -250...0), ("snr", "SNR", 0, 10, -50...60),
        ("rsrq", "RSRQ", 12, 5, -60...30), ("state", "State", 0, 1, 0...1), ("speed", "Speed", 0, 50, 0...1_000),
    ]

    /// A covariate's value, scaled; NaN when missing or not a value the column can hold
    /// (`outOfRange` then says so).
    static func covariate(_ field: Substring, offset: Double, divisor: Double, range: ClosedRange<Double>,
                          outOfRange: inout Bool) -> Double {
        switch field {
        case "D": return 1
        case "I": return 0
        default:
            guard let raw = Double(field), raw.isFinite else { return .nan }
            guard range.contains(raw) else { outOfRange = true; return .nan }
            return (raw + offset) / divisor
        }
    }

    static func isRadioLog(_ header: [String]) -> Bool {
        header.contains("Timestamp") && header.contains("DL_bitrate") && header.contains("CQI")
    }

    static func read(_ csv: CSVText, path: String, target: RadioTarget, cqiTable: CQITable) throws(SeriesInputError) -> SeriesSet {
        let header = csv.header
        guard let timeColumn = header.firstIndex(of: "Timestamp"),
              let valueColumn = header.firstIndex(of: target == .downlinkBitrate ? "DL_bitrate" : "CQI") else {
            throw .unknownFormat(path: path, reason: "radio log without Timestamp/DL_bitrate/CQI columns")
        }
        let covariates = covariateColumns.compactMap { c in header.firstIndex(of: c.column).map { (c, $0) } }
        try csv.checkNames(ofColumns: [timeColumn, valueColumn] + covariates.map(\.1))
        var report = SeriesLoadReport()
        var times: [Double] = []
        var rows: [Double] = []  // row-major: the target, then the covariates
        try csv.forEachLine { line throws(SeriesInputError) in
            guard line.fields.count == header.count else {
                throw .wrongFieldCount(path: path, line: line.number, expected: header.count, found: line.fields.count)
            }
            guard let time = Timestamp.parse(line.fields[timeColumn]) else {
                throw .badTimestamp(path: path, line: line.number, text: String(line.fields[timeColumn]))
            }
            let raw = try CSVText.number(line.fields[valueColumn], path: path, line: line.number, column: header[valueColumn])
            var value = Double.nan
            if let raw {
                switch target {
                case .downlinkBitrate:
                    // kbit/s. A negative rate or one beyond 1 Tbit/s is no cell's downlink: one such
                    // value skewed a model's training (as the spectrum backtest already refuses it).
                    guard raw >= 0, raw <= 1e9 else {
                        throw .outOfRange(path: path, line: line.number, column: "DL_bitrate", text: String(line.fields[valueColumn]),
                                          expected: "a downlink bitrate is 0 to 1,000,000,000 kbit/s")
                    }
                    value = raw / 1_000
                case .spectralEfficiency:
                    guard let efficiency = SpectralEfficiency.bitsPerSecondPerHertz(loggedCQI: raw, table: cqiTable) else {
                        throw .outOfRange(path: path, line: line.number, column: "CQI", text: String(line.fields[valueColumn]),
                                          expected: "a CQI is 0 to 15")
                    }
                    value = efficiency
                }
            } else {
                report.missingValues += 1
            }
            times.append(time)
            rows.append(value)
            for (c, column) in covariates {
                var outside = false
                rows.append(covariate(line.fields[column], offset: c.offset, divisor: c.divisor, range: c.range, outOfRange: &outside))
                if outside { report.covariatesOutOfRange += 1 }
            }
        }
        guard !times.isEmpty else { throw .empty(path: path) }
        report.rowsRead = times.count
        let grid = try TimeGrid(times: times, rows: rows, columnCount: 1 + covariates.count, knownStep: 1, path: path,
                                lineOfRow: csv.lineNumber(ofRecord:))
        report.duplicateRows = grid.duplicateRows
        report.offGridRows = grid.offGridRows
        report.gapRows = grid.gapRows
        report.outOfOrderRows = grid.outOfOrderRows
        let base = path.split(separator: "/").last.map { String($0) } ?? path
        let name = (base.hasSuffix(".csv") ? String(base.dropLast(4)) : base) + ":" + target.rawValue
        return SeriesSet(source: path, step: 1, startTime: grid.start,
                         series: [Series(name: name, values: grid.columns[0], covariateNames: covariates.map(\.0.name),
                                         covariates: Array(grid.columns.dropFirst()))],
                         report: report, radioTarget: target)
    }
}
