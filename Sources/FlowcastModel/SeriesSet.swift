/// One named series on a regular time grid; `NaN` marks a missing value.
public struct Series: Sendable, Equatable {
    /// The series' name, e.g. `od_0_1`, `cell:c1` or `B_2019.11.25_15.34.34:dl`.
    public var name: String
    /// One value per grid row; `Double.nan` where the source had no value.
    public var values: [Double]
    /// Exogenous covariates known at each row (e.g. a radio log's CQI, RSRP, SNR), one column per
    /// name in `covariateNames`, each with one value per row (`NaN` = missing). Empty for plain series.
    public var covariates: [[Double]]
    /// Names of the covariate columns.
    public var covariateNames: [String]

    public init(name: String, values: [Double], covariateNames: [String] = [], covariates: [[Double]] = []) {
        self.name = name
        self.values = values
        self.covariateNames = covariateNames
        self.covariates = covariates
    }

    /// The covariates of row `row` written into `out` in this series' column order (NaN where missing or absent).
    public func covariates(atRow row: Int, into out: inout [Double]) {
        for k in out.indices {
            out[k] = k < covariates.count && row < covariates[k].count ? covariates[k][row] : .nan
        }
    }

    /// This series' column of each name (nil where it has no such covariate).
    public func covariateColumns(for names: [String]) -> [Int?] {
        names.map { covariateNames.firstIndex(of: $0) }
    }

    /// The covariates of row `row` in the order `columns` gives (from `covariateColumns(for:)`).
    public func covariates(atRow row: Int, columns: [Int?], into out: inout [Double]) {
        for k in out.indices {
            if k < columns.count, let c = columns[k], row < covariates[c].count { out[k] = covariates[c][row] } else { out[k] = .nan }
        }
    }

    /// Rows whose value is present.
    public var observedCount: Int { values.reduce(0) { $1.isNaN ? $0 : $0 + 1 } }

    public static func == (lhs: Series, rhs: Series) -> Bool {
        guard lhs.name == rhs.name, lhs.values.count == rhs.values.count, lhs.covariateNames == rhs.covariateNames,
              lhs.covariates.map(\.count) == rhs.covariates.map(\.count) else { return false }
        for (a, b) in zip(lhs.values, rhs.values) where !(a == b || (a.isNaN && b.isNaN)) { return false }
        for (ca, cb) in zip(lhs.covariates, rhs.covariates) {
            for (a, b) in zip(ca, cb) where !(a == b || (a.isNaN && b.isNaN)) { return false }
        }
        return true
    }
}

/// What a reader did to put a file on a regular grid, so nothing is dropped silently.
public struct SeriesLoadReport: Sendable, Equatable {
    /// Data rows read from the file.
    public var rowsRead = 0
    /// Values that were missing (`-`, empty, `NaN`) in the file.
    public var missingValues = 0
    /// Rows that repeated an earlier grid time; they were averaged into that row.
    public var duplicateRows = 0
    /// Grid rows that no file row covered (gaps); their values are missing.
    public var gapRows = 0
    /// Rows earlier in time than the row before them in the file; the grid sorted them.
    public var outOfOrderRows = 0
    /// Rows more than a quarter step from their grid slot, put on the nearest one.
    public var offGridRows = 0
    /// Radio KPI values beside the target (RSRP, SNR, …) outside what the column can hold
    /// (`RadioLogReader.covariateColumns`); read as missing.
    public var covariatesOutOfRange = 0
    /// Columns skipped on purpose (e.g. Abilene self pairs `od_s_s`).
    public var skippedColumns: [String] = []
    /// The line number of the file's last line when it has no line end: a file cut short (a
    /// copy stopped, a disk filled) ends that way, and a cut inside a number leaves a smaller
    /// number that reads as well as any other; nil when the file ends with a line end.
    public var unterminatedLastLine: Int?

    public init() {}
}

/// A set of series sharing one time grid: one file's worth of history.
public struct SeriesSet: Sendable, Equatable {
    /// The file (or label) the set was read from; used in messages.
    public var source: String
    /// Seconds between grid rows, when the file has real timestamps.
    public var step: Double?
    /// Time of row 0 in seconds since 1970-01-01 (the file's clock, no time zone applied).
    public var startTime: Double?
    /// The series, all with `rowCount` values.
    public var series: [Series]
    /// How the file was regularised.
    public var report: SeriesLoadReport
    /// What was read from a radio KPI log (DL bitrate or spectral efficiency); nil for other files.
    public var radioTarget: RadioTarget?
    /// The values' unit where the format fixes it: "bytes/s" (windows.jsonl), "Mbit/s" (radio
    /// `dl`), "bit/s/Hz" (radio `se`); nil for CSV series, whose unit the file does not say.
    public var unit: String? {
        switch radioTarget {
        case .downlinkBitrate: "Mbit/s"
        case .spectralEfficiency: "bit/s/Hz"
        case nil: windowsFile ? "bytes/s" : nil
        }
    }
    /// Read from a windows.jsonl of `replay`/`live` (values in bytes per second).
    public var windowsFile = false

    public init(source: String, step: Double?, startTime: Double?, series: [Series],
                report: SeriesLoadReport = SeriesLoadReport(), radioTarget: RadioTarget? = nil) {
        self.source = source
        self.step = step
        self.startTime = startTime
        self.series = series
        self.report = report
        self.radioTarget = radioTarget
    }

    /// Grid rows (the longest series).
    public var rowCount: Int { series.map(\.values.count).max() ?? 0 }

    /// Season lengths derived from the time step.
    public var seasonality: Seasonality { Seasonality(step: step) }

    /// A warning for a file whose last line has no line end, naming the file and line; nil for a
    /// file that ends with one (as every file a program finished writing does).
    public var cutWarning: String? {
        report.unterminatedLastLine.map {
            "warning: \(source):\($0): the last line has no line end, as when a file is cut short or still being written; "
                + "its values were read as they stand (check the last one)"
        }
    }

    /// Time of grid row `row`, when known.
    public func time(ofRow row: Int) -> Double? {
        guard let startTime, let step else { return nil }
        return startTime + Double(row) * step
    }
}

/// Daily and weekly season lengths in rows, derived from a series' time step (never hard coded:
/// 5-minute data gives 288 and 2016, hourly data 24 and 168).
public struct Seasonality: Sendable, Equatable, Codable {
    /// Rows per day, when the step divides a day into at least two rows.
    public var day: Int?
    /// Rows per week.
    public var week: Int?

    public init(day: Int?, week: Int?) {
        self.day = day
        self.week = week
    }

    public init(step: Double?) {
        guard let step, step > 0, step.isFinite else {
            self.init(day: nil, week: nil)
            return
        }
        let perDay = 86_400 / step
        let rounded = perDay.rounded()
        // Only a step that divides the day evenly has a season in whole rows.
        if rounded >= 2, abs(perDay - rounded) < 1e-6 * rounded {
            self.init(day: Int(rounded), week: Int(rounded) * 7)
        } else {
            self.init(day: nil, week: nil)
        }
    }
}

extension SeriesLoadReport {
    /// The reports of several files added up (skipped columns listed once each).
    public init(combining reports: [SeriesLoadReport]) {
        self.init()
        for report in reports {
            rowsRead += report.rowsRead
            missingValues += report.missingValues
            duplicateRows += report.duplicateRows
            gapRows += report.gapRows
            outOfOrderRows += report.outOfOrderRows
            offGridRows += report.offGridRows
            covariatesOutOfRange += report.covariatesOutOfRange
            for column in report.skippedColumns where !skippedColumns.contains(column) { skippedColumns.append(column) }
        }
    }

    /// One line for the user: what was read and what was regularised, e.g. `read 3 files, 1200
    /// rows: 14 missing values, 5 duplicate rows averaged, 9 gap rows (missing)`.
    public func summary(files: Int) -> String {
        var parts: [String] = []
        if missingValues > 0 { parts.append("\(missingValues) missing values") }
        if duplicateRows > 0 { parts.append("\(duplicateRows) duplicate rows averaged") }
        if gapRows > 0 { parts.append("\(gapRows) gap rows (missing)") }
        if offGridRows > 0 {
            parts.append("\(offGridRows) row\(offGridRows == 1 ? "" : "s") more than a quarter step off the time grid, put on the nearest step")
        }
        if outOfOrderRows > 0 { parts.append("\(outOfOrderRows) row\(outOfOrderRows == 1 ? "" : "s") out of time order, sorted") }
        if covariatesOutOfRange > 0 {
            parts.append("\(covariatesOutOfRange) radio KPI value\(covariatesOutOfRange == 1 ? "" : "s") beside the target out of range (missing)")
        }
        let head = "read \(files) file\(files == 1 ? "" : "s"), \(rowsRead) rows"
        return parts.isEmpty ? head : head + ": " + parts.joined(separator: ", ")
    }
}
