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

    // The model is kept here and handed to Cbc in one `Cbc_loadProblem` call at solve time:
    // Cbc_addRow appends to a column-ordered matrix and costs O(non-zeros) per row, which made a
    // 1 400-row routing LP spend most of its time being built.
    private var columnLower: [Double] = []
    private var columnUpper: [Double] = []
    private var objectiveCoefficients: [Double] = []
    private var integerColumns: [Int32] = []
    private var rowLower: [Double] = []
    private var rowUpper: [Double] = []
    /// Non-zeros as (row, column, value), in the order added.
    private var entries: [(row: Int32, column: Int32, value: Double)] = []

    /// Adds a column (variable) and returns its index.
    @discardableResult
    func addColumn(lower: Double = 0, upper: Double = .infinity, objective: Double = 0, integer: Bool = false) -> Int {
        columnLower.append(lower.isInfinite ? -Double.greatestFiniteMagnitude : lower)
        columnUpper.append(upper.isInfinite ? Double.greatestFiniteMagnitude : upper)
        objectiveCoefficients.append(objective)
        if integer { integerColumns.append(Int32(columnCount)); integerCount += 1 }
        columnCount += 1
        return columnCount - 1
    }

    /// Adds a row `Σ coefficient × column (sense) rhs`.
    func addRow(_ terms: [(column: Int, coefficient: Double)], _ sense: Sense, _ rhs: Double) {
        let row = Int32(rowCount)
        for t in terms { entries.append((row, Int32(t.column), t.coefficient)) }
        switch sense {
        case .lessOrEqual: rowLower.append(-Double.greatestFiniteMagnitude); rowUpper.append(rhs)
        case .greaterOrEqual: rowLower.append(rhs); rowUpper.append(Double.greatestFiniteMagnitude)
        case .equal: rowLower.append(rhs); rowUpper.append(rhs)
        }
        rowCount += 1
    }

    /// Pure LPs go to Clp directly (dual simplex from the slack basis, no presolve, no Cbc driver)
    /// when set; see `solveDirect`. Measured on the Abilene backtest's LPs: about 25 % less CPU than
    /// `Cbc_solve`. Warm-starting from the previous interval's basis was measured 3× slower: the
    /// matrix changes, so the old basis is neither primal nor dual feasible.
    var directLP = false

    /// The accumulated model as one compressed-sparse-column matrix.
    private func compressed() -> (start: [CoinBigIndex], index: [Int32], value: [Double]) {
        var start = [CoinBigIndex](repeating: 0, count: columnCount + 1)
        for e in entries { start[Int(e.column) + 1] += 1 }
        for c in 0..<columnCount { start[c + 1] += start[c] }
        var fill = start
        var index = [Int32](repeating: 0, count: entries.count)
        var value = [Double](repeating: 0, count: entries.count)
        for e in entries {
            let k = Int(fill[Int(e.column)])
            index[k] = e.row
            value[k] = e.value
            fill[Int(e.column)] += 1
        }
        return (start, index, value)
    }

    /// Hands the accumulated model to Cbc.
    private func load() {
        let (start, index, value) = compressed()
        Cbc_loadProblem(model, Int32(columnCount), Int32(rowCount), start, index, value,
                        columnLower, columnUpper, objectiveCoefficients, rowLower, rowUpper)
        for c in integerColumns { Cbc_setInteger(model, c) }
        Cbc_setObjSense(model, 1)
    }

    /// Solves within `timeLimit` seconds.
    /// - Throws: `SolverError` when no usable solution exists.
    func solve(timeLimit: Double) throws(SolverError) -> LinearSolution {
        if directLP, integerCount == 0 { return try solveDirect(timeLimit: timeLimit) }
        Self.solveLock.lock()
        defer { Self.solveLock.unlock() }
        load()
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

    /// A pure LP through Clp's dual simplex, by Clp's own C interface (`Clp_C_Interface.h`,
    /// linked through the CCbc module): `Cbc_solve` would run it through `CbcMain1` first.
    private func solveDirect(timeLimit: Double) throws(SolverError) -> LinearSolution {
        guard let m = Clp_newModel() else { throw .abandoned }
        defer { Clp_deleteModel(m) }
        Clp_setLogLevel(m, 0)
        let (start, index, value) = compressed()
        Clp_loadProblem(m, Int32(columnCount), Int32(rowCount), start, index, value,
                        columnLower, columnUpper, objectiveCoefficients, rowLower, rowUpper)
        Clp_setMaximumSeconds(m, timeLimit)
        _ = Clp_dual(m, 0)
        switch Clp_status(m) {
        case 0: break
        case 1: throw .infeasible
        case 2: throw .unbounded
        case 3: throw .timeLimitWithoutSolution(seconds: timeLimit)
        // Clp's 4 is "stopped due to errors": in practice numbers it cannot work with (a
        // capacity of 1e30 bit/s beside demands of 1e9 did this before topologies were bounded).
        case 4: throw .abandoned
        case let status: throw .unexpectedStatus(status: status, secondary: 0)
        }
        guard let solution = Clp_getColSolution(m) else { throw .abandoned }
        let objective = Clp_objectiveValue(m)
        return LinearSolution(values: Array(UnsafeBufferPointer(start: solution, count: columnCount)), objective: objective,
                              bound: objective, outcome: .optimal)
    }
}
