/// Parses the timestamps series files use, into seconds since 1970-01-01 on the file's own clock.
///
/// Accepted: plain numbers (seconds), ISO-like `2004-03-01T00:05[:SS][Z]` and the G-NetTrack form
/// `2019.11.25_15.34.34`. No time zone is applied: calendar features read the clock as written.
enum Timestamp {
    static func parse<S: StringProtocol>(_ text: S) -> Double? {
        // Logs are ASCII: their bytes are read, not Characters. Asking each Character for its
        // numeric value was a third of a plan's time with many radio KPI logs (a replay with
        // 1,000 KPI-logged cells: 95 s, 37 s reading bytes).
        let bytes = text.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            let trimmed = text.trimmingSpaces
            guard !trimmed.isEmpty else { return nil }
            if let number = Double(trimmed), number.isFinite { return number }
            return parseCharacters(trimmed)
        }
        func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") }
        var start = bytes.startIndex
        while start < bytes.endIndex, isSpace(bytes[start]) { start = bytes.index(after: start) }
        var end = start, index = start  // just past the last byte that is not a space
        while index < bytes.endIndex {
            let next = bytes.index(after: index)
            if !isSpace(bytes[index]) { end = next }
            index = next
        }
        guard start < end else { return nil }
        let trimmed = text[start..<end]  // ASCII: every byte index is a Character boundary
        if let number = Double(trimmed), number.isFinite { return number }
        return parseASCII(trimmed.utf8)
    }

    /// `parse` on ASCII text, a byte at a time: the same fields, separators and results as
    /// `parseCharacters` (a test compares them), with no allocation unless there is a fraction.
    static func parseASCII<C: Collection>(_ bytes: C) -> Double? where C.Element == UInt8 {
        var fields = (0, 0, 0, 0, 0, 0), count = 0
        var fraction = 0.0
        var current = 0, digits = 0
        var index = bytes.startIndex
        func store(_ value: Int) -> Bool {
            switch count {
            case 0: fields.0 = value
            case 1: fields.1 = value
            case 2: fields.2 = value
            case 3: fields.3 = value
            case 4: fields.4 = value
            case 5: fields.5 = value
            default: return false  // a seventh field: not a timestamp, whatever follows
            }
            count += 1
            return true
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                guard digits < 9 else { return nil }
                current = current * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                if digits > 0 { guard store(current) else { return nil } }
                current = 0
                digits = 0
                if byte == UInt8(ascii: "."), count == 6 {
                    let rest = bytes[bytes.index(after: index)...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
                    fraction = Double("0." + String(decoding: rest, as: UTF8.self)) ?? 0
                    break
                }
                if byte == UInt8(ascii: "+") || (byte == UInt8(ascii: "-") && count >= 5) { break }
            }
            index = bytes.index(after: index)
        }
        if digits > 0 { guard store(current) else { return nil } }
        guard count >= 5 else { return nil }
        return civilSeconds(fields.0, fields.1, fields.2, fields.3, fields.4, count == 6 ? fields.5 : 0, fraction)
    }

    /// `parse` on any text, a Character at a time (a digit is an ASCII character with a numeric value).
    static func parseCharacters<S: StringProtocol>(_ trimmed: S) -> Double? {
        var fields: [Int] = []
        var fraction = 0.0
        var current = 0
        var digits = 0
        var index = trimmed.startIndex
        while index < trimmed.endIndex {
            let character = trimmed[index]
            if let digit = character.wholeNumberValue, character.isASCII {
                // No field of a date-time has ten digits; a longer run is not a timestamp (and
                // would overflow `current`: found by fuzzing, tools/fuzz/regressions/series).
                guard digits < 9 else { return nil }
                current = current * 10 + digit
                digits += 1
            } else {
                if digits > 0 { fields.append(current) }
                current = 0
                digits = 0
                if character == ".", fields.count == 6 {
                    // Fractional seconds after a full date-time.
                    let rest = trimmed[trimmed.index(after: index)...].prefix { $0.isNumber }
                    fraction = Double("0." + rest) ?? 0
                    break
                }
                if character == "+" || (character == "-" && fields.count >= 5) { break }  // zone offset: ignored
            }
            index = trimmed.index(after: index)
        }
        if digits > 0 { fields.append(current) }
        guard fields.count >= 5, fields.count <= 6 else { return nil }
        return civilSeconds(fields[0], fields[1], fields[2], fields[3], fields[4], fields.count == 6 ? fields[5] : 0, fraction)
    }

    /// Seconds since 1970-01-01 of a date-time whose fields are in range (the day within its month;
    /// second 60, a leap second, is the next minute's first), else nil: 31 February is not 3 March.
    static func civilSeconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int,
                             _ fraction: Double) -> Double? {
        guard year >= 1900, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24,
              minute < 60, second <= 60 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + fraction
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension StringProtocol {
    var trimmingSpaces: SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" || self[start] == "\r" { start = index(after: start) }
        while end > start {
            let before = index(before: end)
            guard self[before] == " " || self[before] == "\t" || self[before] == "\r" else { break }
            end = before
        }
        return self[start..<end]
    }
}
