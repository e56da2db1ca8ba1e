internal import FlowcastCore

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
        guard !layout.covariates.isEmpty else { return nil }
        var total = 0
        var lacking = 0
        var names: [String] = []
        for set in sets {
            for series in set.series {
                total += 1
                let absent = absentCovariates(in: series)
                if absent.isEmpty { continue }
                lacking += 1
                for name in absent where !names.contains(name) { names.append(name) }
            }
        }
        guard lacking > 0 else { return nil }
        return covariateWarning(subject: "\(lacking) of \(total) series lack " + names.joined(separator: ", "))
    }

    /// The warning for inputs that never carry covariates (windows from replay and live runs);
    /// nil for a model without covariates.
    public var covariateWarningForWindows: String? {
        layout.covariates.isEmpty ? nil : covariateWarning(subject: "traffic windows carry none of them")
    }

    private func covariateWarning(subject: String) -> String {
        "warning: model \(id) was trained with covariates (\(layout.covariates.joined(separator: ", "))); "
            + "\(subject): they go in as missing, so its forecasts are outside the conditions it was trained in "
            + "(train on these series, or with --no-covariates)"
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
