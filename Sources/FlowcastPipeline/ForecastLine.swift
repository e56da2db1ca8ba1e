public import FlowcastCore
internal import FlowcastPolicy
internal import Foundation

/// One line of `forecasts.jsonl`: the one-step-ahead forecast made for one cell's or link's
/// window, its upper quantile, what happened and the persistence baseline. Owner:
/// FlowcastPipeline (`IntervalPlanner` writes it during replay and live runs; the report reads it).
///
/// Rates are bit/s, written with one decimal; `start` is seconds since the epoch. The lines carry
/// no `formatVersion` today; a line with one other than `ForecastLine.formatVersion` is refused.
public struct ForecastLine: Codable, Sendable, Equatable {
    public static let formatVersion = 1

    /// Window number in the run (0 is the first window; the first forecast is for window 1).
    public var interval: Int
    /// Window start, seconds since the epoch.
    public var start: Double
    public var kind: WindowLine.Kind
    public var id: String
    public var point: Double
    public var upper: Double
    public var actual: Double
    /// The last value observed before this window (the persistence forecast); absent for a series'
    /// first forecast, and in files written before the baseline was added.
    public var persistence: Double?
    /// True when the window's rate understates the load: it was cut short, or (live) packets were
    /// dropped before capture while it was open. Not scored, and not learned from.
    public var partial: Bool

    public init(interval: Int, start: Double, kind: WindowLine.Kind, id: String, point: Double, upper: Double,
                actual: Double, persistence: Double?, partial: Bool) {
        self.interval = interval; self.start = start; self.kind = kind; self.id = id; self.point = point
        self.upper = upper; self.actual = actual; self.persistence = persistence; self.partial = partial
    }

    /// The written order of the keys.
    enum CodingKeys: String, CodingKey {
        case formatVersion, interval, start, kind, id, point, upper, actual, persistence, partial
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.checkFormatVersion(.formatVersion, supported: Self.formatVersion)
        interval = try c.decode(Int.self, forKey: .interval)
        start = try c.decode(Double.self, forKey: .start)
        kind = try c.decode(WindowLine.Kind.self, forKey: .kind)
        id = try c.decode(String.self, forKey: .id)
        point = try c.decode(Double.self, forKey: .point)
        upper = try c.decode(Double.self, forKey: .upper)
        actual = try c.decode(Double.self, forKey: .actual)
        persistence = try c.decodeIfPresent(Double.self, forKey: .persistence)
        partial = try c.decode(Bool.self, forKey: .partial)
        // Rates are bounded as a forecasts file's are (1 Pbit/s) and times as windows' are: an
        // `actual` of 1.8e308 gave a chart `data-y-max="inf"` and drew it blank without a word.
        guard (0...WindowLine.maximumTime).contains(start) else {
            throw DecodingError.dataCorruptedError(forKey: .start, in: c, debugDescription: "not a capture time")
        }
        for (value, key) in [(point, CodingKeys.point), (upper, .upper), (actual, .actual), (persistence ?? 0, .persistence)]
        where !(abs(value) <= ForecastSet.maximumRate) {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "beyond 1e15 bit/s")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(interval, forKey: .interval); try c.encode(start, forKey: .start)
        try c.encode(kind, forKey: .kind); try c.encode(id, forKey: .id)
        try c.encode(point, forKey: .point); try c.encode(upper, forKey: .upper); try c.encode(actual, forKey: .actual)
        try c.encodeIfPresent(persistence, forKey: .persistence); try c.encode(partial, forKey: .partial)
    }

    /// Writes one line by hand: keys in the format's order, `start` exact from nanoseconds, rates
    /// with one decimal. Tests check it decodes through this type.
    static func appendJSON(interval: Int, startNanoseconds: Int64, kind: WindowLine.Kind, id: String, point: Double,
                           upper: Double, actual: Double, persistence: Double?, partial: Bool, to out: inout [UInt8]) {
        out.append(contentsOf: Array("{\"interval\":\(interval),\"start\":".utf8))
        out.appendSeconds(startNanoseconds)
        out.append(contentsOf: Array(",\"kind\":\"\(kind.rawValue)\",\"id\":".utf8))
        out.appendJSONString(id)
        let baseline = persistence.map { String(format: ",\"persistence\":%.1f", $0) } ?? ""
        out.append(contentsOf: Array(String(format: ",\"point\":%.1f,\"upper\":%.1f,\"actual\":%.1f%@,\"partial\":%@}\n",
                                            point, upper, actual, baseline, partial ? "true" : "false").utf8))
    }
}
