public import Foundation

/// The RFC 3339 times of policy and forecast windows (`provenance.window`), in UTC.
///
/// Whole seconds read as before (`2026-12-07T02:27:35Z`); a time inside a second carries its
/// fraction, to the nanosecond and without trailing zeros (`2026-12-07T02:27:35.4Z`). Until
/// 7 December 2026 every window was written in whole seconds, so a live run planning every
/// 400 ms wrote policies from 02:27:35 to 02:27:35, and a reader could not tell which windows a
/// policy was planned from. Readers take both forms.
public enum ISOTime {
    /// The time `nanoseconds` after the epoch.
    public static func string(nanoseconds: Int64) -> String {
        var (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if fraction < 0 { seconds -= 1; fraction += 1_000_000_000 }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let whole = formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
        guard fraction != 0, whole.hasSuffix("Z") else { return whole }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return whole.dropLast() + "." + digits + "Z"
    }

    /// The time `seconds` after the epoch, to the nanosecond.
    public static func string(seconds: Double) -> String {
        string(nanoseconds: Int64((seconds * 1e9).rounded()))
    }

    /// Seconds since the epoch of an RFC 3339 time with or without a fraction of a second; nil
    /// when it does not parse.
    public static func seconds(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        guard let dot = text.firstIndex(of: ".") else { return formatter.date(from: text)?.timeIntervalSince1970 }
        let digitsEnd = text[text.index(after: dot)...].firstIndex { !$0.isASCII || !$0.isNumber } ?? text.endIndex
        let digits = text[text.index(after: dot)..<digitsEnd]
        guard !digits.isEmpty, digits.count <= 9, let whole = formatter.date(from: String(text[..<dot] + text[digitsEnd...])),
              let fraction = Double("0." + digits) else { return nil }
        return whole.timeIntervalSince1970 + fraction
    }

    /// `seconds(text)` as a date.
    public static func date(_ text: String) -> Date? {
        seconds(text).map { Date(timeIntervalSince1970: $0) }
    }
}
