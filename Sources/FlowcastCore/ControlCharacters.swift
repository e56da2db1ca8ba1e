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

    /// A character that shows as nothing or as a plain space and so makes an id read as another:
    /// a format character other than the bidirectional ones (zero-width space U+200B, zero-width
    /// joiner and non-joiner, word joiner U+2060, byte order mark U+FEFF, soft hyphen U+00AD,
    /// Unicode category Cf), a space other than U+0020 (no-break space U+00A0, U+2000–200A,
    /// U+3000: category Zs), or a Hangul filler (U+115F, U+1160, U+3164, U+FFA0), which is a
    /// letter that draws nothing. `cell-1` with a zero-width space after `cell` printed in a diff
    /// exactly as `cell-1`, so "cell-1 lost 10 blocks, cell-1 gained 10" could hide a rename.
    /// Combining marks stay allowed: they draw, and accented letters need them.
    public var isInvisible: Bool {
        switch properties.generalCategory {
        case .format: return !isBidiControl
        case .spaceSeparator: return value != 0x20
        default: return value == 0x115F || value == 0x1160 || value == 0x3164 || value == 0xFFA0
        }
    }

    /// `U+202E`.
    public var codePoint: String { String(format: "U+%04X", value) }
}

extension StringProtocol {
    /// What makes this text unfit to print as one line a reviewer reads as written: the first
    /// control character, bidirectional formatting character or invisible character, described for an error message
    /// (`a control character (U+000A)`), or nil when there is none.
    public var unprintableCharacter: String? {
        guard let bad = unicodeScalars.first(where: { $0.isControlCharacter || $0.isBidiControl || $0.isInvisible }) else { return nil }
        if bad.isControlCharacter { return "a control character (\(bad.codePoint))" }
        if bad.isBidiControl { return "a bidirectional formatting character (\(bad.codePoint)), which reorders how the text around it reads" }
        return "an invisible character (\(bad.codePoint)), which makes the text read as other text"
    }
}

extension StringProtocol {
    /// The text with each control, bidirectional formatting and invisible character shown as its
    /// code point (`⟨U+000A⟩`, `⟨U+001B⟩`): for names nothing validates (a file or folder given on
    /// the command line) wherever they are printed. A capture named with a newline, or with
    /// ESC[2K and a carriage return, forged or erased lines of an error message or of
    /// `topology check`'s listing (`a⏎flowcast: all good`).
    public var visible: String { visible(keeping: []) }

    /// `visible`, leaving the given scalars as they are (a message of several lines keeps its
    /// line breaks).
    public func visible(keeping kept: Set<Unicode.Scalar>) -> String {
        func hidden(_ c: Unicode.Scalar) -> Bool { (c.isControlCharacter || c.isBidiControl || c.isInvisible) && !kept.contains(c) }
        guard unicodeScalars.contains(where: hidden) else { return String(self) }
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if hidden(scalar) { out.append(contentsOf: "⟨\(scalar.codePoint)⟩".unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }
}
