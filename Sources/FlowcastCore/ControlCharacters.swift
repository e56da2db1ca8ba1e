import Foundation

extension Unicode.Scalar {
    /// A C0 or C1 control, DEL, or the Unicode line or paragraph separator: what must not appear
    /// in an id or any text that is printed one per line (a newline or an escape sequence would
    /// forge lines of `flowcast diff` and the report). Policy documents and topologies refuse it.
    public var isControlCharacter: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
    }

    /// An explicit bidirectional formatting character: the Arabic letter mark, the left-to-right
    /// and right-to-left marks, embeddings, overrides and isolates (Unicode UAX #9). Invisible
    /// itself, it reorders what a terminal or a browser shows around it, so an id holding one can
    /// read as another id (`cell-1` followed by U+202E and `2-llec` displays as `cell-1cell-2`), the
    /// trick CVE-2021-42574 played on source code. Letters of right-to-left scripts are not these
    /// and stay allowed.
    public var isBidiControl: Bool {
        value == 0x061C || value == 0x200E || value == 0x200F
            || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
    }

    /// `U+202E`.
    public var codePoint: String { String(format: "U+%04X", value) }
}

extension StringProtocol {
    /// What makes this text unfit to print as one line a reviewer reads as written: the first
    /// control character or bidirectional formatting character, described for an error message
    /// (`a control character (U+000A)`), or nil when there is none.
    public var unprintableCharacter: String? {
        guard let bad = unicodeScalars.first(where: { $0.isControlCharacter || $0.isBidiControl }) else { return nil }
        return bad.isControlCharacter ? "a control character (\(bad.codePoint))"
            : "a bidirectional formatting character (\(bad.codePoint)), which reorders how the text around it reads"
    }
}
