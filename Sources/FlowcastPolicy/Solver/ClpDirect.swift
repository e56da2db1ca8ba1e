import CCbc

/// Clp's own C interface (`Clp_C_Interface.h`), for pure LPs that are solved many times.
///
/// `Cbc_solve` runs every LP through `CbcMain1` (parameter set-up, Cbc's own preprocessing, then
/// Clp with presolve); the backtest's many small LPs go to Clp's dual simplex directly instead.
struct ClpDirect: @unchecked Sendable {
    typealias Model = UnsafeMutableRawPointer  // Clp_Simplex is `void` in the C interface
    let newModel: @convention(c) () -> Model?
    let deleteModel: @convention(c) (Model?) -> Void
    let loadProblem: @convention(c) (Model?, Int32, Int32, UnsafePointer<CoinBigIndex>?, UnsafePointer<Int32>?,
                                     UnsafePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Double>?,
                                     UnsafePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Double>?) -> Void
    let setLogLevel: @convention(c) (Model?, Int32) -> Void
    let setMaximumSeconds: @convention(c) (Model?, Double) -> Void
    let dual: @convention(c) (Model?, Int32) -> Int32
    let status: @convention(c) (Model?) -> Int32
    let objectiveValue: @convention(c) (Model?) -> Double
    let colSolution: @convention(c) (Model?) -> UnsafePointer<Double>?

    /// Clp's entry points (linked through the CCbc module, which links libClp).
    static let shared: ClpDirect? = ClpDirect(
        newModel: { Clp_newModel() }, deleteModel: { Clp_deleteModel($0) },
        loadProblem: { Clp_loadProblem($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) },
        setLogLevel: { Clp_setLogLevel($0, $1) }, setMaximumSeconds: { Clp_setMaximumSeconds($0, $1) },
        dual: { Clp_dual($0, $1) }, status: { Clp_status($0) }, objectiveValue: { Clp_objectiveValue($0) },
        colSolution: { Clp_getColSolution($0) })
}
