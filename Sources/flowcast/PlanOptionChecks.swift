import ArgumentParser

/// The checks of the planning options that `plan`, `replay`, `live` and `planner` share: a NaN,
/// a negative churn penalty or a headroom under 1 would plan nonsense without a word.
enum PlanOptionChecks {
    static func validate(headroom: Double, churn: Double) throws {
        if !(headroom >= 1 && headroom <= 10) { throw ValidationError("--headroom must be 1 (none) to 10") }
        if !(churn >= 0 && churn <= 10) { throw ValidationError("--churn must be 0 (none) to 10") }
    }
}
