import ArgumentParser
import FlowcastAggregate

/// The flow table's options, shared by flows, replay and live (each spelt them out, and live
/// checked none of the timeouts).
///
/// Numeric options that a negative value may be given to by mistake take the next argument
/// whatever it looks like (`parsing: .unconditional`, here and for -c, --top, --duration and
/// --from): `--idle-timeout -5` read "-5" as an option and said "Missing value", not what is
/// wrong with it.
struct FlowTableOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seconds without packets after which a flow ends (0: never).") var idleTimeout: Double = 60
    @Option(parsing: .unconditional, help: "Seconds after its first packet at which a flow is cut (0: never).") var activeTimeout: Double = 300
    @Option(parsing: .unconditional, help: "Most live flows; at the bound the longest-idle eighth (by a sample of idle times) is evicted (counted).")
    var maxFlows: Int = 1 << 20

    /// The longest timeout taken, in seconds (about 31 years): the table counts nanoseconds in an
    /// `Int64`, which a larger one would overflow (it trapped at 9.2e9 s).
    static let longestTimeout = 1e9

    func validate() throws {
        for (name, value) in [("--idle-timeout", idleTimeout), ("--active-timeout", activeTimeout)]
        where !(0...Self.longestTimeout).contains(value) {  // NaN is in no range
            throw ValidationError("\(name) must be 0 (never) to \(Int(Self.longestTimeout)) seconds")
        }
        if !(1...FlowTable.Configuration.largestMaximumFlows).contains(maxFlows) {
            throw ValidationError("--max-flows must be between 1 and \(FlowTable.Configuration.largestMaximumFlows)")
        }
    }

    var configuration: FlowTable.Configuration {
        FlowTable.Configuration(idleTimeout: Int64(idleTimeout * 1e9), activeTimeout: Int64(activeTimeout * 1e9), maximumFlows: maxFlows)
    }
}
