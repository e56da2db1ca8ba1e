internal import FlowcastCore
internal import Foundation

/// Series that lack covariates the model was trained with. The model still forecasts them (a
/// missing covariate goes in as missing, i.e. 0), but outside the conditions it learnt, so the
/// commands that use a model say so instead of skewing forecasts silently.
extension ForecastModel {
    /// The model's covariates that `series` does not carry, in the model's order.
    public func absentCovariates(in series: Series) -> [String] {
        layout.covariates.filter { !series.covariateNames.contains($0) }
    }

    /// One line for the user when any series of `sets` lacks covariates the model was trained
    /// with; nil when none does (always nil for a model without covariates).
    public func covariateWarning(for sets: [SeriesSet]) -> String? {
        ModelInputCheck.covariateWarning(modelID: id, covariates: layout.covariates, sets: sets)
    }

    /// The warning for inputs that never carry covariates (windows from replay and live runs);
    /// nil for a model without covariates.
    public var covariateWarningForWindows: String? {
        layout.covariates.isEmpty ? nil : ModelInputCheck.covariateWarning(modelID: id, covariates: layout.covariates,
                                                                           subject: "traffic windows carry none of them")
    }
}

extension IntervalModel {
    /// As `ForecastModel.covariateWarning(for:)`: an interval model's covariates that the series
    /// lack go in as missing too. Until 8 December 2026 only next-row models were checked (an
    /// audit: an interval model with six radio covariates scored the scenario's cell logs, which
    /// have none, without a word).
    public func covariateWarning(for sets: [SeriesSet]) -> String? {
        ModelInputCheck.covariateWarning(modelID: id, covariates: covariates, sets: sets)
    }
}

/// Checks of a model against the series it is about to forecast, shared by both kinds of model.
public enum ModelInputCheck {
    public static func covariateWarning(modelID: String, covariates: [String], sets: [SeriesSet]) -> String? {
        guard !covariates.isEmpty else { return nil }
        var total = 0
        var lacking = 0
        var names: [String] = []
        for set in sets {
            for series in set.series {
                total += 1
                let absent = covariates.filter { !series.covariateNames.contains($0) }
                if absent.isEmpty { continue }
                lacking += 1
                for name in absent where !names.contains(name) { names.append(name) }
            }
        }
        guard lacking > 0 else { return nil }
        return covariateWarning(modelID: modelID, covariates: covariates, subject: "\(lacking) of \(total) series lack " + names.joined(separator: ", "))
    }

    static func covariateWarning(modelID: String, covariates: [String], subject: String) -> String {
        "warning: model \(modelID) was trained with covariates (\(covariates.joined(separator: ", "))); "
            + "\(subject): they go in as missing, so its forecasts are outside the conditions it was trained in "
            + "(train on these series, or with --no-covariates)"
    }

    /// One line when rows about to be scored from `from` on are rows the model was trained on: a
    /// file among its training sources (the same file by its resolved path) and the model trained
    /// on all its rows, or on rows past `from`. Its errors there measure memory, not forecasting
    /// (an audit: a model scored on its own training rows read 0.436 × recentMean, an honest one
    /// 0.864, with nothing said). A file of the same name elsewhere is another file: not matched.
    public static func trainingOverlapWarning(modelID: String, sources: [String], untilRow: Int?, sets: [SeriesSet], from: Int) -> String? {
        if let until = untilRow, until <= from { return nil }
        func resolved(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        // Named by the model's own path for it (a symbolic link scored names the file it was
        // trained on, a re-audit).
        var trained: [String: String] = [:]
        for source in sources { trained[resolved(source)] = trained[resolved(source)] ?? source }
        let overlapping = sets.compactMap { trained[resolved($0.source)] }
        guard let first = overlapping.first else { return nil }
        let rows = untilRow.map { "rows 0–\($0 - 1)" } ?? "all its rows"
        return "warning: model \(modelID) was trained on \(first) (\(rows))"
            + (overlapping.count > 1 ? " and \(overlapping.count - 1) more of these files" : "")
            + "; scored from row \(from), its errors there measure what it learnt of those rows, not how it forecasts rows it never saw "
            + "(train with --until \(from), or on other files)"
    }
}

/// Series on another time step than a model was trained on. The model still forecasts them, but
/// its seasons (rows per day) and time features are read at a scale it never saw: a 1 s 5G
/// model scored 5-minute Abilene rows, and an epoch-millisecond time column read as seconds,
/// without a word.
public enum StepCheck {
    /// One line naming the model, its step and the first file on another step (or on none: a
    /// bare row index), with how many more there are; nil when every set has the model's step or
    /// the model records none.
    public static func warning(modelID: String, trainedStep: Double?, sets: [SeriesSet]) -> String? {
        guard let trained = trainedStep, trained > 0 else { return nil }
        let other = sets.filter { set in set.step.map { abs($0 - trained) > 1e-6 * trained } ?? true }
        guard let first = other.first else { return nil }
        func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
        let what = first.step.map { "\(seconds($0)) s steps" } ?? "no time steps (no timestamp column)"
        return "warning: model \(modelID) was trained on \(seconds(trained)) s steps; \(first.source) has \(what)"
            + (other.count > 1 ? " (and \(other.count - 1) more file\(other.count == 2 ? "" : "s") not on \(seconds(trained)) s)" : "")
            + ": its seasons and time features are read at a scale it was not trained on (train on series of this step)"
    }
}

/// A model trained on radio KPI logs (`--target dl` or `se`) forecasts a radio quantity; on other
/// series (Abilene's traffic matrices) its forecasts are of the wrong thing altogether. An audit ran
/// a 5G spectral-efficiency model on Abilene: two warnings, then full figures, and the backtest
/// planned on them. `backtest --radio-scenario` already refused the converse.
public enum RadioModelCheck {
    /// The one-line refusal when the model at `path` names a radio target and no set of `sets` is
    /// a radio KPI log; nil otherwise.
    public static func problem(path: String, target: String?, sets: [SeriesSet]) -> String? {
        guard let target, !sets.isEmpty, !sets.contains(where: { $0.radioTarget != nil }) else { return nil }
        let what = target == RadioTarget.spectralEfficiency.rawValue ? "spectral efficiency" : "downlink throughput"
        return "\(path.visible): the model forecasts \(what) of radio KPI logs (--target \(target)), and "
            + (sets.count == 1 ? "\(sets[0].source.visible) is not one" : "none of the \(sets.count) series files is one")
            + "; train a model on these series (flowcast train --series …)"
    }
}
