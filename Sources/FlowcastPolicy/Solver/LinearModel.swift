import CCbc
import Foundation

/// How a solve ended when it produced a solution.
public enum SolveOutcome: String, Sendable, Codable {
    /// Proven optimal.
    case optimal
    /// Stopped at the time limit with a feasible, possibly suboptimal, solution.
    case timeLimit = "time-limit"
}

/// A solution: column values, objective and the solver's best bound.
public struct LinearSolution: Sendable {
    public var values: [Double]
    public var objective: Double
    /// Best possible objective (equals `objective` when optimal).
    public var bound: Double
    public var outcome: SolveOutcome
}

/// A linear or mixed-integer model solved by COIN-OR Cbc (Clp for the LP parts).
///
/// This is the only type that touches Cbc's C interface: it owns the `Cbc_Model*`, turns status
/// codes into `SolverError`, and applies a time limit. Always minimises.
final class LinearModel {
    /// Row sense, as Cbc's `sense` character.
    enum Sense: UInt8 { case lessOrEqual = 76 /* L */, greaterOrEqual = 71 /* G */, equal = 69 /* E */ }

    private let model: UnsafeMutableRawPointer
    private(set) var columnCount = 0
    private(set) var rowCount = 0
    private(set) var integerCount = 0

    /// Cbc 2.10 runs `CbcMain1`, which keeps global state; one solve at a time per process.
    private static let solveLock = NSLock()

    init() {
        model = Cbc_newModel()!
        Cbc_setLogLevel(model, 0)
        Cbc_setObjSense(model, 1)
    }

    deinit { Cbc_deleteModel(model) }

    /// Adds a column (variable) and returns its index.
    @discardableResult
    func addColumn(lower: Double = 0, upper: Double = .infinity, objective: Double = 0, integer: Bool = false) -> Int {
        let upper = upper.isInfinite ? Double.greatestFiniteMagnitude : upper
        Cbc_addCol(model, "", lower, upper, objective, integer ? 1 : 0, 0, nil, nil)
        if integer { integerCount += 1 }
        columnCount += 1
        return columnCount - 1
    }

    /// Adds a row `Σ coefficient × column (sense) rhs`.
    func addRow(_ terms: [(column: Int, coefficient: Double)], _ sense: Sense, _ rhs: Double) {
        let columns = terms.map { Int32($0.column) }
        let coefficients = terms.map(\.coefficient)
        columns.withUnsafeBufferPointer { c in
            coefficients.withUnsafeBufferPointer { v in
                Cbc_addRow(model, "", Int32(terms.count), c.baseAddress, v.baseAddress, CChar(bitPattern: sense.rawValue), rhs)
            }
        }
        rowCount += 1
    }

    /// Solves within `timeLimit` seconds.
    /// - Throws: `SolverError` when no usable solution exists.
    func solve(timeLimit: Double) throws(SolverError) -> LinearSolution {
        Self.solveLock.lock()
        defer { Self.solveLock.unlock() }
        Cbc_setMaximumSeconds(model, timeLimit)
        Cbc_setParameter(model, "log", "0")
        Cbc_setParameter(model, "slog", "0")
        let status = Cbc_solve(model)
        let values: [Double]
        if integerCount > 0 {
            guard let best = Cbc_bestSolution(model) else {
                if Cbc_isProvenInfeasible(model) != 0 { throw .infeasible }
                if Cbc_isSecondsLimitReached(model) != 0 { throw .timeLimitWithoutSolution(seconds: timeLimit) }
                if Cbc_isContinuousUnbounded(model) != 0 { throw .unbounded }
                throw .unexpectedStatus(status: status, secondary: Cbc_secondaryStatus(model))
            }
            values = Array(UnsafeBufferPointer(start: best, count: columnCount))
        } else {
            if Cbc_isProvenInfeasible(model) != 0 { throw .infeasible }
            if Cbc_isContinuousUnbounded(model) != 0 { throw .unbounded }
            if Cbc_isAbandoned(model) != 0 { throw .abandoned }
            guard Cbc_isProvenOptimal(model) != 0, let solution = Cbc_getColSolution(model) else {
                if Cbc_isSecondsLimitReached(model) != 0 { throw .timeLimitWithoutSolution(seconds: timeLimit) }
                throw .unexpectedStatus(status: status, secondary: Cbc_secondaryStatus(model))
            }
            values = Array(UnsafeBufferPointer(start: solution, count: columnCount))
        }
        let optimal = Cbc_isProvenOptimal(model) != 0
        let objective = Cbc_getObjValue(model)
        return LinearSolution(values: values, objective: objective,
                              bound: optimal ? objective : Cbc_getBestPossibleObjValue(model),
                              outcome: optimal ? .optimal : .timeLimit)
    }
}
