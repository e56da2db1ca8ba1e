public import FlowcastCore

/// Why a series file could not be read; every case names the file and, where it applies, the line.
public enum SeriesInputError: Error, Sendable, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case unknownFormat(path: String, reason: String)
    case wrongFieldCount(path: String, line: Int, expected: Int, found: Int)
    case badNumber(path: String, line: Int, column: String, text: String)
    /// A number outside what its column can hold (a CQI of 99); `expected` says what it can.
    case outOfRange(path: String, line: Int, column: String, text: String, expected: String)
    case badTimestamp(path: String, line: Int, text: String)
    case badJSON(path: String, line: Int, reason: String)
    /// A windows.jsonl line that is JSON but not a `WindowLine` (a missing field, a bad value, an
    /// unsupported `formatVersion`); names the file and line.
    case badLine(FormatReadError)
    case badTarget(path: String, reason: String)
    /// A header whose column names cannot be told apart (`CSVText.checkNames`).
    case badHeader(path: String, line: Int, reason: String)
    case unterminatedQuote(path: String, line: Int)
    /// The times cannot be put on one grid: one is not finite, or they span more grid rows
    /// than the bound of `TimeGrid.rowCount` (a timestamp far off, most likely).
    case badTimeGrid(path: String, line: Int?, reason: String)
    /// The file, or one of its lines, is beyond the bounds a series file is read within
    /// (`SeriesReader.fileBounds`, docs/limits.md); names the file and, for a line, the line.
    case beyondBound(BoundedInputError)

    public var description: String {
        switch self {
        case .fileNotFound(let path): "\(path.visible): no such file or folder"
        case .unreadable(let path, let reason): "\(path.visible): cannot read: \(reason)"
        case .empty(let path): "\(path.visible): no data rows"
        case .unknownFormat(let path, let reason): "\(path.visible): not a series file: \(reason)"
        case .wrongFieldCount(let path, let line, let expected, let found):
            "\(path.visible):\(line): expected \(expected) fields, found \(found)"
        case .badNumber(let path, let line, let column, let text):
            "\(path.visible):\(line): column '\(column)': '\(text)' is not a number"
        case .outOfRange(let path, let line, let column, let text, let expected):
            "\(path.visible):\(line): column '\(column)': \(text) is out of range (\(expected))"
        case .badTimestamp(let path, let line, let text):
            "\(path.visible):\(line): '\(text)' is not a timestamp"
        case .badJSON(let path, let line, let reason): "\(path.visible):\(line): bad JSON: \(reason)"
        case .badLine(let error): error.description
        case .badTarget(let path, let reason): "\(path.visible): \(reason)"
        case .badHeader(let path, let line, let reason): "\(path.visible):\(line): \(reason)"
        case .unterminatedQuote(let path, let line):
            "\(path.visible):\(line): a quoted field opened here is never closed"
        case .badTimeGrid(let path, let line, let reason): line.map { "\(path.visible):\($0): \(reason)" } ?? "\(path.visible): \(reason)"
        case .beyondBound(let error): error.description
        }
    }
}
