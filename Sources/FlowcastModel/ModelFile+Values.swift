internal import Foundation

/// The ranges of the numbers a model file holds, checked when it is read (docs/forecasting.md,
/// "Model files"). A model file is untrusted input: a corrupt one must be refused naming the
/// value's JSON path, not used to forecast nonsense.
extension ModelFile {
    /// The largest magnitude of a parameter in scale units (weights, tree leaves, head shifts,
    /// band and upper offsets, the layout's clips): a million times the series' own scale. The
    /// models trained here stay far below it (weights, leaves and offsets of the demo model and of
    /// models trained on Abilene and the demo windows are below 1; the clips are 20 and less).
    /// Tree thresholds need only be finite: they are only compared with a feature.
    public static let maximumScaleValue = 1e6
    /// The largest magnitude of a figure in the series' own units (an interval model's validation
    /// MAEs): 1e15, a load of 1 Pbit/s in bit/s, as for the loads of a forecasts file (the largest
    /// series here, Abilene's link loads, stay below 1e4 in their units; replay windows are bit/s).
    public static let maximumSeriesValue = 1e15
    /// The longest step or horizon, in seconds: 1e9 s, about 32 years.
    public static let maximumSeconds = 1e9

    /// The radio covariates' names: a model that uses one was trained on radio KPI logs.
    static let radioCovariates: Set<String> = ["cqi", "rsrp", "snr", "rsrq", "state", "speed"]

    /// The first value of a next-row model outside its range, as `$.path: must be …, found …`.
    static func problem(in model: ForecastModel) -> String? {
        let b = model.baselines
        var checks: [String?] = [Check.open01(model.quantile, "$.quantile")]
        checks.append(Check.scale(model.layout.clip, "$.layout.clip"))
        checks.append(Check.scale(model.layout.seasonClip, "$.layout.seasonClip"))
        checks.append(Check.scale(model.layout.seasonSlopeClip, "$.layout.seasonSlopeClip"))
        checks.append(Check.scale(model.pointWeights, "$.pointWeights"))
        checks.append(Check.scale(model.upperWeights, "$.upperWeights"))
        checks.append(Check.trees(model.pointTrees, "$.pointTrees"))
        checks.append(Check.trees(model.upperTrees, "$.upperTrees"))
        checks.append(Check.halfOpen01(b.ewmaAlpha, "$.baselines.ewmaAlpha"))
        checks.append(Check.halfOpen01(b.holtWintersAlpha, "$.baselines.holtWintersAlpha"))
        checks.append(Check.closed01(b.holtWintersBeta, "$.baselines.holtWintersBeta"))
        checks.append(Check.closed01(b.holtWintersGamma, "$.baselines.holtWintersGamma"))
        checks.append(Check.scale(b.ridgeWeights, "$.baselines.ridgeWeights"))
        // Training writes every baseline's band offset; a missing one read as 0 (no band: the
        // baselines' P90 coverage fell from 0.89 to 0.52 without a word).
        for method in ForecastMethod.allCases where method != .flowcast && b.upperOffsets[method.rawValue] == nil {
            checks.append("$.baselines.upperOffsets['\(method.rawValue)']: must be the method's band offset (scale units), found nothing")
        }
        for key in b.upperOffsets.keys.sorted() {
            let at = "$.baselines.upperOffsets['\(key)']"
            let names = ForecastMethod.allCases.map(\.rawValue).joined(separator: ", ")
            checks.append(ForecastMethod(rawValue: key) == nil ? "\(at): must be one of \(names), found '\(key)'"
                                                               : Check.scale(b.upperOffsets[key] ?? 0, at))
        }
        checks.append(Check.counts(model.training.series, model.training.samples, model.training.untilRow, "$.training"))
        checks.append(model.training.stepSeconds.flatMap { Check.seconds($0, "$.training.stepSeconds") })
        checks.append(model.training.radioTarget.flatMap { Check.target($0, "$.training.radioTarget") })
        return checks.lazy.compactMap { $0 }.first
    }

    /// The first value of an interval model outside its range, as `$.path: must be …, found …`.
    static func problem(in model: IntervalModel) -> String? {
        let heads = [("lower", model.lower), ("point", model.point), ("upper", model.upper)]
        for (name, head) in heads {
            let checks: [String?] = [Check.open01(head.tau, "$.\(name).tau"), Check.scale(head.weights, "$.\(name).weights"),
                                     Check.scale(head.shift, "$.\(name).shift"), Check.trees(head.trees, "$.\(name).trees")]
            if let problem = checks.lazy.compactMap({ $0 }).first { return problem }
        }
        if !(model.lower.tau < model.point.tau && model.point.tau < model.upper.tau) {
            return "$.upper.tau: the heads' quantiles must rise from lower to point to upper, "
                + "found \(model.lower.tau), \(model.point.tau), \(model.upper.tau)"
        }
        if let p = Check.seconds(model.horizonSeconds, "$.horizonSeconds") ?? Check.halfOpen01(model.ewmaAlpha, "$.ewmaAlpha") {
            return p
        }
        // Every baseline's band is read; a missing one would silently be no band at all.
        for method in IntervalMethod.allCases where method != .flowcast && model.bandOffsets[method.rawValue] == nil {
            return "$.bandOffsets['\(method.rawValue)']: must be [P10, P90] offsets, found nothing"
        }
        for key in model.bandOffsets.keys.sorted() {
            let at = "$.bandOffsets['\(key)']"
            guard let method = IntervalMethod(rawValue: key), method != .flowcast else {
                return "\(at): must be one of \(IntervalMethod.allCases.dropFirst().map(\.rawValue).joined(separator: ", ")), found '\(key)'"
            }
            let offsets = model.bandOffsets[key]!
            guard offsets.count == 2 else { return "\(at): must be 2 numbers (P10, P90 offsets), found \(offsets.count)" }
            if let p = Check.scale(offsets, at) { return p }
            if offsets[0] > offsets[1] { return "\(at)[0]: must be at most the P90 offset \(offsets[1]), found \(offsets[0])" }
        }
        let v = model.validation
        let validation: [String?] = [Check.series(v.flowcastMAE, "$.validation.flowcastMAE"),
                                     Check.series(v.recentMeanMAE, "$.validation.recentMeanMAE"),
                                     Check.count(v.series, "$.validation.series"), Check.count(v.origins, "$.validation.origins")]
        if let problem = validation.lazy.compactMap({ $0 }).first { return problem }
        if let target = model.target, let problem = Check.target(target, "$.target") { return problem }
        // Radio covariates come from radio KPI logs, whose models name what they forecast.
        if model.target == nil, let radio = model.covariates.first(where: radioCovariates.contains) {
            return "$.target: must be \"dl\" or \"se\" for a model of radio KPI logs (it uses their covariate '\(radio)'), found nothing"
        }
        return Check.counts(model.training.series, model.training.samples, model.training.untilRow, "$.training")
            ?? model.training.stepSeconds.flatMap { Check.seconds($0, "$.training.stepSeconds") }
    }

    /// One-line range checks; each returns `$.path: must be …, found …`, or nil when in range.
    enum Check {
        static func finite(_ v: Double, _ at: String) -> String? {
            v.isFinite ? nil : "\(at): must be a finite number, found \(v)"
        }
        static func open01(_ v: Double, _ at: String) -> String? {
            finite(v, at) ?? (v > 0 && v < 1 ? nil : "\(at): must be a quantile between 0 and 1 (both excluded), found \(v)")
        }
        static func halfOpen01(_ v: Double, _ at: String) -> String? {
            finite(v, at) ?? (v > 0 && v <= 1 ? nil : "\(at): must be a smoothing factor in (0, 1], found \(v)")
        }
        static func closed01(_ v: Double, _ at: String) -> String? {
            finite(v, at) ?? (v >= 0 && v <= 1 ? nil : "\(at): must be a smoothing factor in [0, 1], found \(v)")
        }
        static func scale(_ v: Double, _ at: String) -> String? {
            finite(v, at) ?? (abs(v) <= ModelFile.maximumScaleValue ? nil
                : "\(at): must be at most 1e6 in magnitude (scale units), found \(v)")
        }
        static func scale(_ values: [Double], _ at: String) -> String? {
            values.indices.lazy.compactMap { scale(values[$0], "\(at)[\($0)]") }.first
        }
        static func series(_ v: Double, _ at: String) -> String? {
            finite(v, at) ?? (v >= 0 && v <= ModelFile.maximumSeriesValue ? nil
                : "\(at): must be an error between 0 and 1e15 (the series' units), found \(v)")
        }
        static func seconds(_ v: Double, _ at: String) -> String? {
            finite(v, at) ?? (v > 0 && v <= ModelFile.maximumSeconds ? nil
                : "\(at): must be above 0 and at most 1e9 seconds, found \(v)")
        }
        static func count(_ n: Int, _ at: String) -> String? {
            n >= 0 ? nil : "\(at): must be 0 or more, found \(n)"
        }
        static func counts(_ series: Int, _ samples: Int, _ untilRow: Int?, _ at: String) -> String? {
            count(series, at + ".series") ?? count(samples, at + ".samples")
                ?? untilRow.flatMap { $0 >= 1 ? nil : "\(at).untilRow: must be at least 1, found \($0)" }
        }
        static func target(_ target: String, _ at: String) -> String? {
            RadioTarget(rawValue: target) != nil ? nil : "\(at): must be \"dl\" or \"se\", found \"\(target)\""
        }
        static func trees(_ trees: TreeEnsemble?, _ at: String) -> String? {
            guard let trees else { return nil }
            // A threshold is only compared with a feature: any finite one is harmless, and training
            // writes the largest finite Double for a split no row passes.
            let threshold = trees.thresholds.indices.lazy.compactMap { finite(trees.thresholds[$0], "\(at).thresholds[\($0)]") }.first
            return threshold ?? scale(trees.leaves, at + ".leaves")
        }
    }
}

/// Finds where a JSON document holds a number no `Double` can represent (`1e999`): JSONDecoder
/// refuses the whole document then, with no coding path.
enum UnrepresentableNumber {
    /// The JSON path and text of the first such number, or nil.
    static func find(in data: Data) -> (path: String, text: String)? {
        let bytes = [UInt8](data)
        var i = 0
        enum Frame { case object(key: String?), array(index: Int) }
        var stack: [Frame] = []
        func path() -> String {
            "$" + stack.map { frame -> String in
                switch frame {
                case .object(let key): key.map { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? ".\($0)" : "['\($0)']" } ?? ""
                case .array(let index): "[\(index)]"
                }
            }.joined()
        }
        func string() -> String {
            // bytes[i] is the opening quote; leaves i after the closing one.
            var out: [UInt8] = []
            i += 1
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") { i += 1 }
                if i < bytes.count { out.append(bytes[i]) }
                i += 1
            }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }
        var expectingKey = false
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"): stack.append(.object(key: nil)); expectingKey = true; i += 1
            case UInt8(ascii: "["): stack.append(.array(index: 0)); expectingKey = false; i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast(); i += 1
            case UInt8(ascii: ","):
                if case .array(let index)? = stack.last { stack[stack.count - 1] = .array(index: index + 1) } else { expectingKey = true }
                i += 1
            case UInt8(ascii: "\""):
                let text = string()
                if expectingKey, case .object? = stack.last { stack[stack.count - 1] = .object(key: text); expectingKey = false }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = i
                while i < bytes.count, "+-.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
                let text = String(decoding: bytes[start..<i], as: UTF8.self)
                if let value = Double(text), value.isFinite { continue }
                return (path(), text)
            default: i += 1
            }
        }
        return nil
    }
}
