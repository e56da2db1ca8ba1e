/// CSV for the series formats, as RFC 4180 defines it: comma-separated fields, each optionally
/// in double quotes, inside which a comma, a line end and a doubled quote (`""`, one quote) are
/// data; records end at `\n` or `\r\n` outside quotes. Beyond the RFC, as spreadsheets and
/// scripts write: spaces around a field are dropped, blank lines are ignored, and a quote inside
/// an unquoted field is kept as a character. A quote left open at the end of the file is an error
/// naming the line where the field began. `Line.number` is the 1-based file line on which a
/// record begins. Hand-written: the one CSV package resolvable here is larger than this reader.
struct CSVText {
    struct Line {
        var number: Int
        var fields: [Substring]
    }

    /// The file's text; records after the header are parsed as `forEachLine` reaches them and not
    /// kept (every row held as an array of fields took about 1 KB a row: a million-row radio log
    /// needed 1 GB before training began).
    let text: String
    let path: String
    var header: [String]
    /// The file line the header is on (1 unless blank lines come first).
    var headerLine = 1
    /// The first record after the header, if there is one.
    var first: Line?

    init(text: String, path: String) throws(SeriesInputError) {
        var header: [String]?
        var headerLine = 1
        var first: Line?
        try CSVText.records(text, path: path) { number, fields in
            if header == nil {
                header = fields.map { String($0) }
                headerLine = number
                return true
            }
            first = Line(number: number, fields: fields)
            return false
        }
        guard let header else { throw .empty(path: path) }
        self.text = text
        self.path = path
        self.header = header
        self.headerLine = headerLine
        self.first = first
    }

    /// Refuses a header in which a column the reader takes has no name, or shares its name with
    /// another column: two columns named `od_1_2` would be two series of one name, whose
    /// forecasts and scores could not be told apart, and a second `Timestamp` would be ignored
    /// without a word. Columns the reader does not take may be unnamed or repeated (an exported
    /// index column often has no name). Columns are numbered from 1, as a spreadsheet counts them.
    func checkNames(ofColumns columns: [Int]) throws(SeriesInputError) {
        for column in columns.sorted() {
            let name = header[column]
            if name.isEmpty {
                throw .badHeader(path: path, line: headerLine, reason: "column \(column + 1) has no name")
            }
            if let other = header.indices.first(where: { $0 != column && header[$0] == name }) {
                let (a, b) = (min(column, other), max(column, other))
                throw .badHeader(path: path, line: headerLine, reason: "columns \(a + 1) and \(b + 1) are both named '\(name)'")
            }
        }
    }

    /// Calls `body` with each record after the header, in file order.
    func forEachLine(_ body: (Line) throws(SeriesInputError) -> Void) throws(SeriesInputError) {
        var pastHeader = false
        try CSVText.records(text, path: path) { number, fields throws(SeriesInputError) in
            if pastHeader { try body(Line(number: number, fields: fields)) }
            pastHeader = true
            return true
        }
    }

    /// The file line on which record `index` after the header (from 0) begins: a rescan, for
    /// naming the line in an error found after reading.
    func lineNumber(ofRecord index: Int) -> Int? {
        var seen = -1, found: Int?
        try? CSVText.records(text, path: path) { number, _ in
            if seen == index { found = number }
            seen += 1
            return found == nil
        }
        return found
    }

    /// Every record after the header, kept (for tests; the readers go through `forEachLine`).
    func allLines() throws(SeriesInputError) -> [Line] {
        var lines: [Line] = []
        try forEachLine { lines.append($0) }
        return lines
    }

    /// Calls `body` with each non-blank record and the file line it begins on, until it returns
    /// false. The text is read in place (its UTF-8 storage), not copied.
    static func records(_ text: String, path: String,
                        _ body: (Int, [Substring]) throws(SeriesInputError) -> Bool) throws(SeriesInputError) {
        var text = text
        var failure: SeriesInputError?
        text.withUTF8 { bytes in
            do throws(SeriesInputError) { try scan(bytes, path: path, body) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, path: String,
                             _ body: (Int, [Substring]) throws(SeriesInputError) -> Bool) throws(SeriesInputError) {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var at = 0, line = 1
        var fields: [Substring] = []
        var recordLine = 1, blank = true
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        func slice(_ range: Range<Int>) -> Substring { Substring(decoding: bytes[range], as: UTF8.self) }
        while at <= bytes.count {
            // One field, starting at `at`.
            var start = at
            while start < bytes.count, isSpace(bytes[start]) { start += 1 }
            var field: Substring
            var end: Int
            if start < bytes.count, bytes[start] == quote {
                blank = false
                let openedOn = line
                var value: [UInt8] = []
                var i = start + 1
                while true {
                    guard i < bytes.count else {
                        throw .unterminatedQuote(path: path, line: openedOn)
                    }
                    let b = bytes[i]
                    if b == quote {
                        if i + 1 < bytes.count, bytes[i + 1] == quote { value.append(quote); i += 2; continue }
                        i += 1
                        break
                    }
                    if b == lf { line += 1 }
                    value.append(b)
                    i += 1
                }
                // Anything between the closing quote and the separator is kept, as an unquoted tail.
                var tailEnd = i
                while tailEnd < bytes.count, bytes[tailEnd] != comma, bytes[tailEnd] != lf { tailEnd += 1 }
                var tail = tailEnd
                if tail > i, bytes[tail - 1] == cr, tail == bytes.count || bytes[tail] == lf { tail -= 1 }
                while tail > i, isSpace(bytes[tail - 1]) { tail -= 1 }
                value.append(contentsOf: bytes[i..<tail])
                field = Substring(decoding: value, as: UTF8.self)
                end = tailEnd
            } else {
                end = start
                while end < bytes.count, bytes[end] != comma, bytes[end] != lf { end += 1 }
                var stop = end
                if stop > start, bytes[stop - 1] == cr, stop == bytes.count || bytes[stop] == lf { stop -= 1 }
                while stop > start, isSpace(bytes[stop - 1]) { stop -= 1 }
                if stop > start { blank = false }
                field = slice(start..<stop)
            }
            fields.append(field)
            if end < bytes.count, bytes[end] == comma {
                blank = false
                at = end + 1
                continue
            }
            // End of record: a line end or the end of the text.
            if !blank, try !body(recordLine, fields) { return }
            fields.removeAll(keepingCapacity: true)
            blank = true
            if end >= bytes.count { break }
            line += 1
            recordLine = line
            at = end + 1
            if at == bytes.count { break }
        }
    }

    /// The file's lines, ending at `\n` or `\r\n`, without their line ends. A Swift `String` holds
    /// `\r\n` as one `Character`, so splitting on `"\n"` alone would keep a CRLF file (a Windows
    /// export) as a single line.
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.last == "\r" ? $0.dropLast() : $0 }
    }

    /// A numeric cell: `nil` for a missing marker (`-`, empty, `NaN`, `NA`), throws for anything else.
    static func number(_ field: Substring, path: String, line: Int, column: String) throws(SeriesInputError) -> Double? {
        let text = field.trimmingSpaces
        if text.isEmpty || text == "-" || text == "NaN" || text == "nan" || text == "NA" || text == "null" { return nil }
        // Swift's Double(_:) also reads hexadecimal ("0x10" as 16, "0x1p3" as 8), which no CSV
        // writer means: a spreadsheet's or logger's artefact, refused as any other non-number.
        guard let value = Double(text), value.isFinite, !text.utf8.contains(where: { $0 | 0x20 == UInt8(ascii: "x") }) else {
            throw .badNumber(path: path, line: line, column: column, text: String(text))
        }
        // One value of 1e160 or more in a series hung `train` (its square overflowed the ridge
        // fit's matrix, which then never factored) and wrote inf and nan into `evaluate`'s
        // forecasts: values are bounded as a model file's are (1e15: a Pbit/s in bit/s).
        guard abs(value) <= ModelFile.maximumSeriesValue else {
            throw .outOfRange(path: path, line: line, column: column, text: String(text),
                              expected: "a series value is at most 1e15 in magnitude, docs/limits.md")
        }
        return value
    }
}
