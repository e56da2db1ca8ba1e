internal import FlowcastCore
internal import FlowcastPolicy
internal import FlowcastTopology
import Foundation

/// Number formatting shared by the diff and report renderers; locale-independent so goldens are stable.
package enum DiffFormat {
    /// `75.6%` (utilisation 0.7556).
    package static func percent(_ x: Double) -> String { tenthsOfPercent(x) + "%" }

    /// What a cell without blocks for its load has instead of a utilisation: `no blocks for 60
    /// Mbit/s of demand` (see `CellLoad.loadWithoutBlocks`).
    package static func noBlocks(_ load: Double) -> String { "no blocks for \(rate(load)) of demand" }

    /// Signed percentage points: `+4.2 pp`, `-12.0 pp`.
    package static func points(_ delta: Double) -> String {
        let value = tenthsOfPercent(abs(delta))
        return (delta < 0 ? "-" : "+") + value + " pp"
    }

    /// The change between two shown percentages, in their shown tenths: `20.4% → 16.9%` is
    /// `-3.5 pp`, what a reviewer subtracts, where the unrounded values' difference read -3.4
    /// (an audit).
    package static func points(from old: Double, to new: Double) -> String {
        guard let a = tenths(old), let b = tenths(new) else { return points(new - old) }
        let d = b - a
        // A change that rounds away shows no sign: "+0.0 pp" beside a cell listed as quieter read
        // as a rise (an audit).
        return (d < 0 ? "-" : d > 0 ? "+" : "±") + "\(abs(d) / 10).\(abs(d) % 10) pp"
    }

    /// `x` as whole tenths of a percent, rounded as `tenthsOfPercent` shows it (nil beyond any
    /// real share).
    static func tenths(_ x: Double) -> Int64? {
        let scaled = (x * 10_000).rounded()
        guard scaled.isFinite, abs(scaled) < 1e15 else { return nil }
        let units = Int64(scaled)
        var tenths = units / 10
        let rest = units % 10
        if rest >= 5 { tenths += 1 } else if rest <= -5 { tenths -= 1 }
        return tenths
    }

    /// A share as a percentage with one decimal, rounded half away from zero from its integer count
    /// of 1e-4 units: policy values are four-decimal numbers, and `%.1f` of `x * 100` rounded their
    /// binary neighbours instead (0.2035 read "20.3%", 0.1855 "18.6%"), so one figure could show two
    /// ways between the diff, the report and a reviewer's arithmetic.
    static func tenthsOfPercent(_ x: Double) -> String {
        // Beyond any real share (a hand-edited document): the plain rendering.
        guard let tenths = tenths(x) else { return number(x * 100, decimals: 1) }
        return (tenths < 0 ? "-" : "") + "\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// Bit rate with a unit and three significant figures: `620 Mbit/s`, `2.6 Gbit/s`.
    package static func rate(_ bitsPerSecond: Double) -> String {
        let units: [(Double, String)] = [(1e12, "Tbit/s"), (1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")]
        // Beyond any real link (a hand-edited or hostile document): not a 300-digit number.
        if abs(bitsPerSecond) >= 1e18 || !bitsPerSecond.isFinite { return String(format: "%.3g", bitsPerSecond) + " bit/s" }
        for (scale, unit) in units where abs(bitsPerSecond) >= scale {
            return significant(bitsPerSecond / scale) + " " + unit
        }
        return significant(bitsPerSecond) + " bit/s"
    }

    /// MHz without a needless `.0`: `100 MHz`, `12.5 MHz`.
    package static func mhz(_ x: Double) -> String { trimmed(x, decimals: 3) + " MHz" }

    /// Signed MHz: `+20 MHz`, `-5 MHz`.
    package static func signedMHz(_ x: Double) -> String { (x < 0 ? "-" : "+") + mhz(abs(x)) }

    /// Fixed decimals, always with a `.` separator.
    package static func number(_ x: Double, decimals: Int) -> String {
        String(format: "%.\(decimals)f", x == 0 ? 0 : x)  // no "-0.0"
    }

    /// Up to `decimals` decimals, trailing zeros removed.
    package static func trimmed(_ x: Double, decimals: Int) -> String {
        var s = number(x, decimals: decimals)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// The shortest decimal that reads back as `x` (`0.3000001`, `0.05`, `1`): a threshold as it
    /// was applied. Four decimals printed 0.3000001 as "0.3", naming a threshold that hides less.
    package static func exact(_ x: Double) -> String {
        let s = x == 0 ? "0" : "\(x)"
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }

    /// Three significant figures, trailing zeros removed.
    package static func significant(_ x: Double) -> String {
        let magnitude = abs(x)
        let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2
        return trimmed(x, decimals: decimals)
    }

    /// Ascending block indices as runs: `[0,1,2,5,7,8]` → `0-2, 5, 7-8`; empty → `none`.
    package static func blockRanges(_ blocks: [Int]) -> String {
        let sorted = Array(Set(blocks)).sorted()
        guard var start = sorted.first else { return "none" }
        var runs: [String] = [], previous = start
        for b in sorted.dropFirst() {
            if b == previous + 1 { previous = b; continue }
            runs.append(start == previous ? "\(start)" : "\(start)-\(previous)")
            start = b
            previous = b
        }
        runs.append(start == previous ? "\(start)" : "\(start)-\(previous)")
        return runs.joined(separator: ", ")
    }

    /// `3 blocks` / `1 block`.
    package static func blocks(_ n: Int) -> String { "\(n) block\(abs(n) == 1 ? "" : "s")" }

    /// `s` as a Markdown code span: fenced by one backtick more than its longest run of them
    /// (padded when it starts or ends with one), its `|` escaped in a table cell (GFM splits cells
    /// on it even inside code). Ids come from policy files, which may hold any printable text.
    package static func markdownCode(_ s: String, inTable: Bool = false) -> String {
        var longest = 0, run = 0
        for c in s { if c == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = s.hasPrefix("`") || s.hasSuffix("`") ? " " : ""
        let body = inTable ? s.replacingOccurrences(of: "|", with: "\\|") : s
        return fence + pad + body + pad + fence
    }

    /// `s` as Markdown text: the characters that open inline Markdown or HTML, or end a table cell,
    /// backslash-escaped (CommonMark takes a backslash before any ASCII punctuation).
    package static func markdownText(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            if "\\`*_[]<&|~".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// `s` with each control character and bidirectional formatting character shown as its code
    /// point (`⟨U+000A⟩`, `⟨U+001B⟩`), as the report's HTML shows a bidi control: for a file or
    /// folder name, which nothing validates (ids are, when a document is read), printed where a
    /// reviewer reads lines. A name holding a newline, or ESC[1A ESC[2K, forged lines of the diff
    /// ("No changes. Plan: 0 cells reallocated") in the header and the folder listing.
    package static func visible(_ s: String) -> String { s.visible }

    /// A path as its links: `l-s2-agg1 > l-agg1-core`. A link id holding `>` or white space is
    /// quoted: an audit's link renamed `l-s2-s3 > l-s1-s2` read as a path through l-s1-s2.
    package static func path(_ links: [String]) -> String {
        links.map { id in id.contains { $0 == ">" || $0 == "\"" || $0.isWhitespace } ? "\"" + id.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : id }
            .joined(separator: " > ")
    }
}
