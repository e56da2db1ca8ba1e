/// Parses the timestamps series files use, into seconds since 1970-01-01 on the file's own clock.
///
/// Accepted: plain numbers (seconds), ISO-like `2004-03-01T00:05[:SS][Z]` and the G-NetTrack form
/// `2019.11.25_15.34.34`. No time zone is applied: calendar features read the clock as written.
enum Timestamp {
    static func parse<S: StringProtocol>(_ text: S) -> Double? {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else { return nil }
        if let number = Double(trimmed), number.isFinite { return number }
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
        let (year, month, day, hour, minute) = (fields[0], fields[1], fields[2], fields[3], fields[4])
        let second = fields.count == 6 ? fields[5] : 0
        guard year >= 1900, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
              second <= 60 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + fraction
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
