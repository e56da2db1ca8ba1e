internal import FlowcastCore
internal import FlowcastPolicy
internal import FlowcastTopology
import Foundation

/// The Okabe–Ito palette: eight colours that stay distinct under the common colour blindnesses.
package enum Palette {
    package static let black = "#000000"
    package static let orange = "#E69F00"
    package static let skyBlue = "#56B4E9"
    package static let green = "#009E73"
    package static let yellow = "#F0E442"
    package static let blue = "#0072B2"
    package static let vermillion = "#D55E00"
    package static let purple = "#CC79A7"
    /// Series colours in the order they are handed out (yellow last: weak on white).
    package static let cycle = [blue, orange, green, purple, skyBlue, vermillion, black, yellow]
}

/// One inline SVG chart on the report's shared time axis: a plot area, gridlines, axis labels
/// and whatever marks are added. Pure string building; no script, no external references.
struct SVGChart {
    static let width = 560.0, height = 180.0
    static let left = 62.0, right = 26.0, top = 10.0, bottom = 26.0

    var kind: String
    var title: String
    var t0: Double
    var t1: Double
    var yMin: Double
    var yMax: Double
    var yLabel: (Double) -> String
    var yTicks: [Double]? = nil
    private var marks: [String] = []

    init(kind: String, title: String, t0: Double, t1: Double, yMin: Double = 0, yMax: Double, yTicks: [Double]? = nil,
         yLabel: @escaping (Double) -> String) {
        self.kind = kind
        self.title = title
        self.t0 = t0
        self.t1 = t1 > t0 ? t1 : t0 + 1
        self.yMin = yMin
        self.yMax = yMax > yMin ? yMax : yMin + 1
        self.yTicks = yTicks
        self.yLabel = yLabel
    }

    var plotWidth: Double { Self.width - Self.left - Self.right }
    var plotHeight: Double { Self.height - Self.top - Self.bottom }

    func x(_ t: Double) -> Double { Self.left + (t - t0) / (t1 - t0) * plotWidth }
    func y(_ v: Double) -> Double { Self.top + (1 - (min(max(v, yMin), yMax) - yMin) / (yMax - yMin)) * plotHeight }

    // MARK: Marks

    /// Past this many marks a line, step or band is reduced to what one pixel column can show (a
    /// day of 10 s windows is 8,640 per series in a plot 472 px wide: 1.8 MB of SVG per chart).
    var denseLimit: Int { Int(plotWidth) }

    /// A line through (time, value) points; a gap wherever `value` is nil. Past `denseLimit`
    /// points, each pixel column of each unbroken stretch keeps its first, lowest, highest and
    /// last point in time order (the line drawn is the same to the pixel: every extreme is kept).
    mutating func line(_ points: [(Double, Double?)], colour: String, width: Double = 2, dash: String? = nil) {
        let dense = points.count > denseLimit
        // A dash pattern laid along a line that zigzags within each pixel column shows almost
        // nothing of it (a day's forecast all but vanished): dense lines are drawn solid, as the
        // separate short segments they replaced were.
        let points = dense ? reduced(points) : points, dash = dense ? nil : dash
        var d = "", pen = false
        for (t, v) in points {
            guard let v else { pen = false; continue }
            d += "\(pen ? "L" : "M")\(f(x(t))) \(f(y(v)))"
            pen = true
        }
        guard !d.isEmpty else { return }
        marks.append("<path d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(f(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") stroke-linejoin=\"round\"/>")
    }

    /// Each pixel column's first, lowest, highest and last point of every unbroken stretch, in
    /// time order, with the stretches' gaps (nil) kept.
    func reduced(_ points: [(Double, Double?)]) -> [(Double, Double?)] {
        var out: [(Double, Double?)] = []
        out.reserveCapacity(4 * denseLimit + 16)
        var column: [(Double, Double)] = [], columnIndex = Int.min
        func flush() {
            guard let first = column.first, let last = column.last else { return }
            let low = column.min { $0.1 < $1.1 }!, high = column.max { $0.1 < $1.1 }!
            var kept = [first, low, high, last].sorted { $0.0 < $1.0 }
            kept = kept.enumerated().filter { i, p in i == 0 || p.0 != kept[i - 1].0 }.map(\.1)
            out.append(contentsOf: kept.map { ($0.0, Optional($0.1)) })
            column.removeAll(keepingCapacity: true)
        }
        for (t, v) in points {
            guard let v else {
                flush()
                out.append((t, nil))
                columnIndex = Int.min
                continue
            }
            let c = Int(x(t).rounded(.down))
            if c != columnIndex { flush(); columnIndex = c }
            column.append((t, v))
        }
        flush()
        return out
    }

    /// Horizontal steps: each (start, end, value) drawn flat over its span. Past `denseLimit`
    /// spans, one path through the spans' ends, reduced per pixel column as `line` is (broken
    /// where a span does not start at the previous one's end).
    mutating func steps(_ spans: [(Double, Double, Double)], colour: String, width: Double = 2, dash: String? = nil) {
        if spans.count > denseLimit {
            var points: [(Double, Double?)] = []
            var end: Double?
            for (a, b, v) in spans {
                if let e = end, abs(a - e) > 1e-6 { points.append((a, nil)) }
                points.append((a, v))
                points.append((b, v))
                end = b
            }
            line(points, colour: colour, width: width, dash: dash)
            return
        }
        for (a, b, v) in spans {
            marks.append("<line x1=\"\(f(x(a)))\" y1=\"\(f(y(v)))\" x2=\"\(f(x(b)))\" y2=\"\(f(y(v)))\" stroke=\"\(colour)\" stroke-width=\"\(f(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
        }
    }

    /// A shaded band between low and high over each span (the forecast's P90 band); a span whose
    /// high is not above its low has no band (drawing it at `rect`'s minimum height would show a
    /// band where there is none).
    mutating func band(_ spans: [(Double, Double, Double, Double)], colour: String, opacity: Double = 0.3) {
        if spans.count > denseLimit {
            // One rectangle per pixel column: from its spans' first start to last end, lowest low
            // to highest high (the band's outline; what it hides is narrower than a pixel).
            var merged: [(Double, Double, Double, Double)] = []
            var columnIndex = Int.min
            for (a, b, low, high) in spans where high > low {
                let c = Int(x(a).rounded(.down))
                if c == columnIndex, let m = merged.last {
                    merged[merged.count - 1] = (m.0, max(m.1, b), min(m.2, low), max(m.3, high))
                } else {
                    merged.append((a, b, low, high))
                    columnIndex = c
                }
            }
            for (a, b, low, high) in merged { rect(t0: a, t1: b, low: low, high: high, colour: colour, opacity: opacity) }
            return
        }
        for (a, b, low, high) in spans where high > low {
            rect(t0: a, t1: b, low: low, high: high, colour: colour, opacity: opacity)
        }
    }

    /// A filled rectangle in data coordinates, at least 0.5 px each way; a thinner one grows up
    /// from its low edge, never below it (below the 0 line, for a bar from 0).
    mutating func rect(t0 a: Double, t1 b: Double, low: Double, high: Double, colour: String, opacity: Double = 1,
                       tooltip: String? = nil) {
        let x0 = x(a), x1 = x(b), y1 = y(low), y0 = min(y(high), y1 - 0.5)
        let shape = "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(max(0.5, x1 - x0)))\" height=\"\(f(y1 - y0))\" fill=\"\(colour)\"\(opacity < 1 ? " fill-opacity=\"\(f(opacity))\"" : "")"
        marks.append(tooltip.map { shape + "><title>\(HTML.escape($0))</title></rect>" } ?? shape + "/>")
    }

    /// A horizontal reference line across the plot (e.g. 100 % utilisation).
    mutating func reference(_ v: Double, colour: String = Palette.black, label: String? = nil) {
        marks.append("<line x1=\"\(f(Self.left))\" y1=\"\(f(y(v)))\" x2=\"\(f(Self.width - Self.right))\" y2=\"\(f(y(v)))\" stroke=\"\(colour)\" stroke-width=\"1\" stroke-dasharray=\"2 3\"/>")
        if let label {
            // At the left end: plan steps start at the first policy, so the label stays clear of them.
            marks.append("<text x=\"\(f(Self.left + 3))\" y=\"\(f(y(v) - 3))\" text-anchor=\"start\" class=\"ref\">\(HTML.escape(label))</text>")
        }
    }

    /// A vertical marker at a plan interval's start, linking to that interval's policy diff when
    /// the report writes it out (`href`), else titled only.
    mutating func intervalMarker(at t: Double, href: String?, label: String) {
        let xx = f(x(t))
        let (open, close) = href.map { ("<a href=\"\(HTML.escape($0))\">", "</a>") } ?? ("<g>", "</g>")
        marks.append("\(open)<title>\(HTML.escape(label))</title><line x1=\"\(xx)\" y1=\"\(f(Self.top))\" x2=\"\(xx)\" y2=\"\(f(Self.top + plotHeight))\" class=\"marker\"/><path d=\"M\(xx) \(f(Self.top))l-4 -6h8z\" class=\"marker-head\"/>\(close)")
    }

    // MARK: Rendering

    func render() -> String {
        // data-* give the axes, so a test (or a tool) can read the drawn values back from the marks.
        var out = "<svg class=\"chart \(kind)\" viewBox=\"0 0 \(f(Self.width)) \(f(Self.height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\""
            + " data-t0=\"\(t0)\" data-t1=\"\(t1)\" data-y-min=\"\(yMin)\" data-y-max=\"\(yMax)\">"
        out += "<title>\(HTML.escape(title))</title>"
        let ticks = yTicks ?? Self.niceTicks(yMin, yMax)
        for v in ticks where v >= yMin && v <= yMax {
            out += "<line x1=\"\(f(Self.left))\" y1=\"\(f(y(v)))\" x2=\"\(f(Self.width - Self.right))\" y2=\"\(f(y(v)))\" class=\"grid\"/>"
            out += "<text x=\"\(f(Self.left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(HTML.escape(yLabel(v)))</text>"
        }
        for t in Self.timeTicks(t0, t1) {
            out += "<line x1=\"\(f(x(t)))\" y1=\"\(f(Self.top + plotHeight))\" x2=\"\(f(x(t)))\" y2=\"\(f(Self.top + plotHeight + 4))\" class=\"axis\"/>"
            out += "<text x=\"\(f(x(t)))\" y=\"\(f(Self.height - 8))\" text-anchor=\"middle\">\(Self.clock(t, span: t1 - t0))</text>"
        }
        out += "<rect x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" class=\"frame\"/>"
        out += marks.joined()
        return out + "</svg>"
    }

    private func f(_ v: Double) -> String { DiffFormat.trimmed(v, decimals: 1) }

    /// About five round values (1, 2 or 5 × 10^k apart) covering lo…hi.
    static func niceTicks(_ lo: Double, _ hi: Double, count: Double = 5) -> [Double] {
        let span = hi - lo
        guard span > 0, span.isFinite else { return [lo] }
        let raw = span / count, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var out: [Double] = [], v = ceil(lo / step) * step
        while v <= hi + step * 1e-9 { out.append(v); v += step }
        return out
    }

    /// Round times (10 s … 1 day apart) for the time axis, about six of them.
    static func timeTicks(_ t0: Double, _ t1: Double) -> [Double] {
        guard t0.isFinite, t1.isFinite, t1 >= t0 else { return [] }
        let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        // Beyond six days, whole days: the step was a day at most, so a span of years drew a tick
        // a day (20,000 for a window line at time 0 beside 2025's) and one of 1e20 s never ended.
        let step = steps.first { (t1 - t0) / $0 <= 6 } ?? ((t1 - t0) / 6 / 86400).rounded(.up) * 86400
        var out: [Double] = [], t = ceil(t0 / step) * step
        while t <= t1 && out.count < 16 { out.append(t); t += step }
        return out
    }

    /// `HH:MM` (UTC), with seconds when the span is short.
    static func clock(_ t: Double, span: Double) -> String {
        let s = Int((t.truncatingRemainder(dividingBy: 86400) + 86400).truncatingRemainder(dividingBy: 86400))
        let hm = String(format: "%02d:%02d", s / 3600, s % 3600 / 60)
        return span < 600 ? hm + String(format: ":%02d", s % 60) : hm
    }
}

/// HTML text helpers.
enum HTML {
    /// Text for HTML. A run folder's ids are not validated as a topology's are, so a
    /// bidirectional formatting character, which the browser would obey and so make one id read
    /// as another, or an invisible one (`isInvisible`: a zero-width space), is
    /// shown as its code point (`⟨U+202E⟩`) instead.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case _ where scalar.isBidiControl || scalar.isInvisible: out += "⟨\(scalar.codePoint)⟩"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A fragment id from a kind and an id (`cell-cell-1`).
    static func anchor(_ kind: String, _ id: String) -> String {
        kind + "-" + String(id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    /// `2026-01-05 18:00:00 UTC`.
    static func timestamp(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t)) + " UTC"
    }
}
