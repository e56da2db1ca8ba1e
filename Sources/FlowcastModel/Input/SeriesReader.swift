public import Foundation
public import FlowcastCore

/// Options for reading series files.
public struct SeriesReadOptions: Sendable {
    /// What radio KPI logs yield.
    public var radioTarget: RadioTarget = .downlinkBitrate
    /// The CQI table radio logs report against.
    public var cqiTable: CQITable = .table1
    /// Keep Abilene self pairs (`od_s_s`), which the reference figures leave out.
    public var includeSelfPairs = false
    /// The file is a log a logger is still appending to (a cell's radio KPI log, read by the
    /// planner while it runs): a last line without its line end is half written and is not read.
    /// Otherwise such a line is read and `SeriesLoadReport.unterminatedLastLine` says so.
    public var growingLog = false

    public init(radioTarget: RadioTarget = .downlinkBitrate, cqiTable: CQITable = .table1, includeSelfPairs: Bool = false,
                growingLog: Bool = false) {
        self.radioTarget = radioTarget
        self.cqiTable = cqiTable
        self.includeSelfPairs = includeSelfPairs
        self.growingLog = growingLog
    }
}

/// Reads any supported series file, or every series file in a folder (each file its own history).
public enum SeriesReader {
    /// 2 GiB per file and 1 MiB per line (docs/limits.md). The largest series here is 4 MB
    /// (Abilene's traffic matrix, lines of 1.4 KB); 2 GiB is a day of 10 s windows.jsonl for
    /// some 800 cells, and reading holds the text about three times over (text, bytes, rows).
    /// A line of 1 MiB is a wide CSV of some 80,000 series.
    public static let fileBounds = InputBounds(what: "series file", maximumBytes: 2 << 30, maximumLineBytes: 1 << 20)

    /// Reads one file, choosing the format from its name and header.
    public static func read(file url: URL, options: SeriesReadOptions = SeriesReadOptions()) throws(SeriesInputError) -> SeriesSet {
        let path = url.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw .fileNotFound(path: path) }
        // A folder is there, just not a file: "no such file or folder" sent users looking for it.
        if isFolder.boolValue { throw .unreadable(path: path, reason: "is a folder, not a series file") }
        let bytes: [UInt8]
        do { bytes = try BoundedInput.read(path: path, bounds: fileBounds) } catch {
            if case .unreadable = error.problem { throw .unreadable(path: path, reason: "not UTF-8 text or not readable") }
            throw .beyondBound(error)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable(path: path, reason: "not UTF-8 text or not readable")
        }
        return try read(text: text, path: path, options: options)
    }

    /// Parses file contents already in memory; `path` names the source in messages.
    public static func read(text: String, path: String, options: SeriesReadOptions = SeriesReadOptions()) throws(SeriesInputError) -> SeriesSet {
        // A byte-order mark (spreadsheet exports write one) is not part of the first column's name.
        if text.first == "\u{FEFF}" { return try read(text: String(text.dropFirst()), path: path, options: options) }
        // The last line without a line end: half written in a growing log (left out), possibly
        // cut short in a finished file (read, and said).
        var cutLine: Int?
        if let last = text.utf8.last, last != UInt8(ascii: "\n") {
            if options.growingLog {
                guard let end = text.utf8.lastIndex(of: UInt8(ascii: "\n")) else {
                    throw .unknownFormat(path: path, reason: "line 1 is not finished (no line end yet)")
                }
                var copy = options
                copy.growingLog = false
                return try read(text: String(text[...end]), path: path, options: copy)
            }
            cutLine = text.utf8.count { $0 == UInt8(ascii: "\n") } + 1
        }
        var set = try parse(text: text, path: path, options: options)
        set.report.unterminatedLastLine = cutLine
        return set
    }

    private static func parse(text: String, path: String, options: SeriesReadOptions) throws(SeriesInputError) -> SeriesSet {        if path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") || text.first == "{" {
            var set = try WindowsReader.read(text: text, path: path)
            set.windowsFile = true
            return set
        }
        let csv = try CSVText(text: text, path: path)
        if RadioLogReader.isRadioLog(csv.header) {
            return try RadioLogReader.read(csv, path: path, target: options.radioTarget, cqiTable: options.cqiTable)
        }
        if LongCSVReader.isLong(csv.header) { return try LongCSVReader.read(csv, path: path) }
        if WideCSVReader.isWide(csv.header) {
            return try WideCSVReader.read(csv, path: path, includeSelfPairs: options.includeSelfPairs)
        }
        // A spreadsheet in a locale with a decimal comma exports with semicolons: one column.
        if let first = csv.header.first, csv.header.count == 1, first.contains(";") {
            throw .unknownFormat(path: path, reason: "line 1 has no commas but has semicolons: series files are comma-separated "
                + "(save as CSV with ',' between fields and '.' as the decimal point)")
        }
        throw .unknownFormat(path: path, reason: "line 1: no time column (\(WideCSVReader.timeColumnNames.sorted().joined(separator: ", "))) "
            + "or radio KPI header (Timestamp, CQI, DL_bitrate)")
    }

    /// Spectral efficiency comes only from radio KPI logs (their CQI): other files are read as they
    /// are, whatever the target. So `target` `.spectralEfficiency` with no radio log among `sets` is
    /// an error (`fatal`: the user would get bytes, not bit/s/Hz), and with some a warning.
    public static func targetProblem(_ target: RadioTarget, sets: [SeriesSet]) -> (fatal: Bool, message: String)? {
        // A radio KPI log without one value of the target (a 2G/3G-only log's CQI is '-' on every
        // row) was read as that many missing values, and with no other file training said only
        // "0 usable samples": the file is named.
        let silent = sets.filter { set in
            set.radioTarget != nil && set.series.allSatisfy { $0.values.allSatisfy(\.isNaN) }
        }.map(\.source)
        if !silent.isEmpty {
            let column = target == .spectralEfficiency ? "CQI" : "DL_bitrate"
            let what = "no \(column) value on any row (every one is '-' or empty)"
            if silent.count == sets.count {
                return (true, (silent.count == 1 ? "\(silent[0].visible): \(what)" : "none of the \(silent.count) radio KPI logs has a \(column) value")
                    + "; nothing to forecast --target \(target.rawValue) from")
            }
            let names = silent.prefix(3).map(\.visible).joined(separator: ", ") + (silent.count > 3 ? ", …" : "")
            return (false, "warning: --target \(target.rawValue): \(silent.count) of \(sets.count) radio KPI logs \(silent.count == 1 ? "has" : "have") \(what), "
                + "and add\(silent.count == 1 ? "s" : "") nothing (\(names))")
        }
        guard target == .spectralEfficiency else { return nil }
        let other = sets.filter { $0.radioTarget == nil }.map(\.source)
        if other.isEmpty { return nil }
        if other.count == sets.count {
            return (true, "--target se needs radio KPI logs (Timestamp, CQI and DL_bitrate columns); "
                + (sets.count == 1 ? "\(other[0].visible) is not one" : "none of the \(sets.count) files read is one"))
        }
        let names = other.prefix(3).map(\.visible).joined(separator: ", ") + (other.count > 3 ? ", …" : "")
        return (false, "warning: --target se: \(other.count) of \(sets.count) files are not radio KPI logs and are read "
            + "as they are (\(names))")
    }

    /// Reads each path: a file, or a folder searched recursively for `.csv`/`.jsonl` series files.
    /// Inside a folder, files that are not series at all (e.g. an index) are skipped and listed in
    /// `skipped`, each with why; a caller must say so (train and evaluate warn per file).
    public static func read(paths: [String], options: SeriesReadOptions = SeriesReadOptions()) throws(SeriesInputError)
        -> (sets: [SeriesSet], skipped: [(path: String, reason: String)]) {
        var sets: [SeriesSet] = []
        var skipped: [(path: String, reason: String)] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw .fileNotFound(path: path) }
            guard isFolder.boolValue else {
                sets.append(try read(file: URL(fileURLWithPath: path), options: options))
                continue
            }
            let root = URL(fileURLWithPath: path)
            let files = (FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
                .filter { ["csv", "jsonl", "ndjson"].contains($0.pathExtension.lowercased()) }
                .sorted { $0.path < $1.path }
            for file in files {
                do {
                    sets.append(try read(file: file, options: options))
                } catch {
                    if case .unknownFormat(_, let reason) = error { skipped.append((file.path, reason)) } else { throw error }
                }
            }
        }
        return (sets, skipped)
    }
}
