/// Minimal CSV splitting for the series formats: comma-separated, optional double quotes,
/// `\n` or `\r\n` line ends, blank lines ignored. Line numbers are 1-based file lines.
struct CSVText {
    struct Line {
        var number: Int
        var fields: [Substring]
    }

    var header: [String]
    var lines: [Line]

    init(text: String, path: String) throws(SeriesInputError) {
        var lines: [Line] = []
        var header: [String]?
        var number = 0
        for line in CSVText.lines(text) {
            number += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = CSVText.split(line)
            if header == nil {
                header = fields.map { String($0.trimmingSpaces) }
            } else {
                lines.append(Line(number: number, fields: fields))
            }
        }
        guard let header else { throw .empty(path: path) }
        self.header = header
        self.lines = lines
    }

    /// The file's lines, ending at `\n` or `\r\n`, without their line ends. A Swift `String` holds
    /// `\r\n` as one `Character`, so splitting on `"\n"` alone would keep a CRLF file (a Windows
    /// export) as a single line.
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.last == "\r" ? $0.dropLast() : $0 }
    }

    static func split(_ line: Substring) -> [Substring] {
        guard line.contains("\"") else { return line.split(separator: ",", omittingEmptySubsequences: false) }
        var fields: [Substring] = []
        var start = line.startIndex
        var inQuotes = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == "\"" { inQuotes.toggle() }
            if character == ",", !inQuotes {
                fields.append(unquote(line[start..<index]))
                start = line.index(after: index)
            }
            index = line.index(after: index)
        }
        fields.append(unquote(line[start..<line.endIndex]))
        return fields
    }

    private static func unquote(_ field: Substring) -> Substring {
        let trimmed = field.trimmingSpaces
        if trimmed.count >= 2, trimmed.first == "\"", trimmed.last == "\"" {
            return trimmed.dropFirst().dropLast()
        }
        return trimmed
    }

    /// A numeric cell: `nil` for a missing marker (`-`, empty, `NaN`, `NA`), throws for anything else.
    static func number(_ field: Substring, path: String, line: Int, column: String) throws(SeriesInputError) -> Double? {
        let text = field.trimmingSpaces
        if text.isEmpty || text == "-" || text == "NaN" || text == "nan" || text == "NA" || text == "null" { return nil }
        guard let value = Double(text), value.isFinite else {
            throw .badNumber(path: path, line: line, column: column, text: String(text))
        }
        return value
    }
}
