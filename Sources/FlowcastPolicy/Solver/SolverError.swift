/// Why the solver did not return a usable solution.
public enum SolverError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Cbc proved the model has no feasible solution (`Cbc_isProvenInfeasible`).
    case infeasible
    /// The LP relaxation is unbounded (`Cbc_isContinuousUnbounded`).
    case unbounded
    /// The time limit passed before any feasible solution was found (`Cbc_isSecondsLimitReached`).
    case timeLimitWithoutSolution(seconds: Double)
    /// Cbc gave up, usually on numerical difficulties (`Cbc_isAbandoned`, status 2).
    case abandoned
    /// Any other status from `Cbc_status` / `Cbc_secondaryStatus`.
    case unexpectedStatus(status: Int32, secondary: Int32)

    public var description: String {
        switch self {
        case .infeasible: "the model is infeasible"
        case .unbounded: "the model is unbounded"
        case .timeLimitWithoutSolution(let s): "no feasible solution within the \(s) s time limit"
        case .abandoned: "the solver abandoned the model (numerical difficulties)"
        case let .unexpectedStatus(s, s2): "unexpected solver status \(s)/\(s2)"
        }
    }
}
