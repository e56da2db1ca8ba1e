import CCbc
#if canImport(Glibc)
import Glibc
#endif

/// Clp's own C interface (`Clp_C_Interface.h`), for pure LPs that are solved many times.
///
/// `Cbc_solve` runs every LP through `CbcMain1` (parameter set-up, Cbc's own preprocessing, then
/// Clp with presolve). The CCbc module exposes only Cbc's header, so the handful of Clp entry points used here are looked up in the already-loaded
/// `libClp` (a dependency of `libCbc`). `nil` when they cannot be found: callers fall back to Cbc.
struct ClpDirect: @unchecked Sendable {
    typealias Model = OpaquePointer
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

    static let shared: ClpDirect? = {
        guard let handle = dlopen("libClp.so.1", RTLD_NOW | RTLD_NOLOAD) ?? dlopen("libClp.so.1", RTLD_NOW)
                ?? dlopen("libClp.so", RTLD_NOW) else { return nil }
        func f<T>(_ name: String, _: T.Type) -> T? {
            guard let p = dlsym(handle, name) else { return nil }
            return unsafeBitCast(p, to: T.self)
        }
        guard let a = f("Clp_newModel", (@convention(c) () -> Model?).self),
              let b = f("Clp_deleteModel", (@convention(c) (Model?) -> Void).self),
              let c = f("Clp_loadProblem", (@convention(c) (Model?, Int32, Int32, UnsafePointer<CoinBigIndex>?, UnsafePointer<Int32>?,
                                                            UnsafePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Double>?,
                                                            UnsafePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Double>?) -> Void).self),
              let d = f("Clp_setLogLevel", (@convention(c) (Model?, Int32) -> Void).self),
              let e = f("Clp_setMaximumSeconds", (@convention(c) (Model?, Double) -> Void).self),
              let g = f("Clp_dual", (@convention(c) (Model?, Int32) -> Int32).self),
              let i = f("Clp_status", (@convention(c) (Model?) -> Int32).self),
              let j = f("Clp_objectiveValue", (@convention(c) (Model?) -> Double).self),
              let k = f("Clp_getColSolution", (@convention(c) (Model?) -> UnsafePointer<Double>?).self)
        else { return nil }
        return ClpDirect(newModel: a, deleteModel: b, loadProblem: c, setLogLevel: d, setMaximumSeconds: e, dual: g,
                         status: i, objectiveValue: j, colSolution: k)
    }()
}
