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
