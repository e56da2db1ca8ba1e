import ArgumentParser
import FlowcastCore
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan routing splits and spectrum blocks from forecasts; write a policy document.")

    @Option(help: "Topology YAML file.") var topology: String
    @Option(help: "Forecasts JSON file ({\"forecasts\": [{id, kind, point, upper, spectralEfficiency?, source}]}).")
    var forecasts: String?
    @Option(help: "Series file (CSV) to forecast from with --model; columns named by demand id, cell:<id> or link:<id>.")
    var series: String?
    @Option(parsing: .unconditional, help: "Forecast the row after the first ROW rows of --series.") var at: Int?
    @Option(help: "Unit of the --series values: bit/s, kbit/s, Mbit/s or Gbit/s (the Abilene series are Mbit/s).")
    var unit: String = "bit/s"
    @Option(help: ArgumentHelp("Model file (flowcast train) for --series: a next-row model forecasts the row after the first ROW rows; "
        + "a model from `train --horizon D` the mean of the D seconds from there, and the plan is for that interval."))
    var model: String?
    @Option(help: ArgumentHelp("For cells with radio KPI logs: an efficiency model from `train --target se --horizon` the plan's window "
        + "(the interval model's horizon with --series); without one, the mean of the recent CQI reports."))
    var efficiencyModel: String?
    @Option(help: "The policy in force, for the churn penalty and least-change spectrum.") var current: String?
    @Option(parsing: .unconditional, help: "Headroom multiplier on required spectrum blocks.") var headroom: Double = 1.2
    @Option(parsing: .unconditional, help: ArgumentHelp("Churn penalty per unit of split weight moved from --current (default: 0.01 with --current, "
        + "as replay, live, the planner and backtest; none without)."))
    var churn: Double?
    @Option(parsing: .unconditional, help: "Candidate paths per demand when the topology gives none (1 to 64).") var paths: Int = 4
    @Option(parsing: .unconditional, help: "Keep every link at or under this utilisation, traffic on least-cost paths until it must move (0: pure min-max utilisation).") var targetUtilisation: Double = 0.7
    @Option(parsing: .unconditional, help: "Solver time limit per solve, seconds (default 10, and 10 more per 5,000 demands beyond 5,000).")
    var timeLimit: Double?
    @Option(help: "Output policy JSON file.") var out: String
    @Flag(help: "Print how long loading, path finding and planning took (standard error).") var timing = false

    /// The planners' default (replay, live, the planner, backtest) where there is a policy in
    /// force: `plan --current` priced moving traffic at 0 until 2026-12-06, so the same forecasts
    /// and current policy gave `plan` a plan that moved more than the planners'.
    var churnPenalty: Double { churn ?? (current == nil ? 0 : 0.01) }

    func validate() throws {
        if (forecasts == nil) == (series == nil) {
            throw ValidationError("give exactly one of --forecasts FILE or --series FILE --at ROW --model M")
        }
        if series != nil && (at == nil || model == nil) { throw ValidationError("--series needs --at ROW and --model M") }
        // With --forecasts they were ignored without a word, and the policy named no model.
        if series == nil && (at != nil || model != nil) { throw ValidationError("--at and --model are for --series (--forecasts gives the forecasts)") }
        if !(1...PathFinder.maximumPathsPerDemand).contains(paths) {
            throw ValidationError("--paths must be 1 to \(PathFinder.maximumPathsPerDemand)")
        }
        guard BacktestCommand.units[unit] != nil else { throw ValidationError("--unit must be one of bit/s, kbit/s, Mbit/s, Gbit/s") }
        if series == nil && unit != "bit/s" { throw ValidationError("--unit is the unit of --series") }
        if !(0...1).contains(targetUtilisation) { throw ValidationError("--target-utilisation must be 0 (pure min-max utilisation) to 1") }
        try PlanOptionChecks.validate(headroom: headroom, churn: churnPenalty)
        if let churn, churn != 0, current == nil { throw ValidationError("--churn needs --current (the policy whose weights moving costs)") }
        if let timeLimit, !(timeLimit > 0) { throw ValidationError("--time-limit must be more than zero") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let topo: Topology
        do { topo = try Topology(contentsOfFile: topology) } catch {
            for problem in error.problems { printError("\(problem)") }
            throw ExitCode.failure
        }
        do {
            let topologyData = try Data(contentsOf: URL(fileURLWithPath: topology))
            var input: ForecastSet
            var provenance: Provenance
            if let forecasts {
                let url = URL(fileURLWithPath: forecasts)
                input = try ForecastSet(contentsOf: url)
                if let problem = input.problem(for: topo) { throw PolicyError.badInput(path: forecasts, message: problem) }
                // A link's load is what the plan routes over it from the demands: a link forecast
                // is not an input of the plan, and was ignored without a word.
                let links = input.forecasts.filter { $0.kind == .link }.map(\.id)
                if !links.isEmpty {
                    printError("flowcast plan: warning: \(forecasts): \(links.count) link forecast\(links.count == 1 ? "" : "s") not used "
                        + "(\(links.prefix(5).joined(separator: ", "))\(links.count > 5 ? ", …" : "")): a plan puts on each link the demands it routes there")
                }
                provenance = Provenance(inputDigest: Provenance.digest(try Data(contentsOf: url)),
                                        topologyDigest: Provenance.digest(topologyData), modelId: input.modelId,
                                        window: input.window, generator: "flowcast \(Flowcast.configuration.version)")
            } else {
                do {
                    (input, provenance) = try SeriesForecasts.forecast(
                        seriesPath: series!, row: at!, modelPath: model!, topologyData: topologyData,
                        generator: "flowcast \(Flowcast.configuration.version)", unitScale: BacktestCommand.units[unit]!, warn: { printError($0) })
                } catch SeriesForecasts.Failure.rowOutOfRange(_, let rows, let path) {
                    // A usage error found in run(): ValidationError from here printed the top
                    // command's usage ("flowcast <subcommand>"), so the message goes out directly.
                    printError("Error: --at must be between 1 and \(rows) (rows in \(path))")
                    printError("Usage: flowcast plan --topology <topology> --series <series> --at <at> --model <model> --out <out>")
                    throw ExitCode.validationFailure
                }
                // No column for any demand or cell: refused as a forecasts file with none is (it
                // wrote a policy for no traffic, exit 0, with a warning naming the demands only).
                let known = Set(topo.demands.map { "demand " + $0.id } + topo.cells.map { "cell " + $0.id })
                if !known.isEmpty, !input.forecasts.contains(where: { known.contains($0.kind.rawValue + " " + $0.id) }) {
                    throw PolicyError.badInput(path: series!, message: "no column is named after any of the topology's \(topo.demands.count) demands "
                        + "and \(topo.cells.count) cells (the plan would be for no traffic); columns are demand ids, or cell:ID for a cell")
                }
            }
            // Cells with radio KPIs (topology kpiSource): their efficiency over the plan's window.
            for problem in try input.addRadioKPIEfficiencies(topo, efficiencyModelPath: efficiencyModel, beforeWindow: series != nil) { printError("warning: radio KPIs: \(problem)") }
            let currentPolicy = try current.map { try PolicyDocument(contentsOf: URL(fileURLWithPath: $0)) }
            if let current, let policy = currentPolicy {
                try checkCurrent(policy, path: current, topology: topo, topologyDigest: provenance.topologyDigest)
            }
            let loaded = clock.now
            let planner = PolicyPlanner(topology: topo, options: PlanOptions(
                headroom: headroom, churnPenalty: churnPenalty, pathsPerDemand: paths,
                timeLimit: timeLimit ?? PlanOptions.scaledTimeLimit(demands: topo.demands.count),
                targetUtilisation: targetUtilisation))
            let planStart = clock.now
            // Found once, here, and handed to the plan (so the timing line can show them alone).
            let candidates = planner.candidatePaths()
            let found = clock.now
            var parts: [String] = []
            let document = try planner.plan(input, provenance: provenance, current: currentPolicy, paths: candidates) { part, took in
                parts.append("\(part) \(milliseconds(took)) ms")
            }
            let planned = clock.now
            try document.write(to: URL(fileURLWithPath: out))
            // A demand or cell with no forecast is planned for no traffic: a series column missing
            // or misspelt wrote such a policy without a word (backtest warned of the same).
            for (kind, ids) in [("demand", document.routing.demands.filter(\.forecast.isNone).map(\.id)),
                                ("cell", document.spectrum.cells.filter(\.forecast.isNone).map(\.id))] where !ids.isEmpty {
                printError("flowcast plan: warning: \(ids.count) \(kind)\(ids.count == 1 ? "" : "s") with no forecast in \(forecasts ?? series ?? "the input"), "
                    + "planned for no traffic: \(ids.prefix(5).joined(separator: ", "))\(ids.count > 5 ? ", …" : "")")
            }
            // Links over capacity even in the best plan: the forecasts exceed what the network can
            // carry. It exited 0 with "max link utilisation 122.76" as the only sign (an audit).
            let over = document.predicted.links.filter { $0.utilisation > 1 }.sorted { $0.utilisation > $1.utilisation }
            if let worst = over.first {
                printError("flowcast plan: warning: \(over.count) link\(over.count == 1 ? "" : "s") over capacity in the plan (the least it allows): "
                    + "\(worst.id.visible) at " + String(format: "%.1f%%", worst.utilisation * 100)
                    + (over.count > 1 ? ", …" : "") + "; the forecasts exceed what the topology's links can carry")
            }
            if timing {
                printError("timing: path finding for \(topo.demands.count) demands × up to \(paths) paths: \(milliseconds(found - planStart)) ms")
                printError("timing: load \(milliseconds(loaded - started)) ms, plan (paths + routing LP + spectrum) \(milliseconds(planned - planStart)) ms (\(parts.joined(separator: ", "))), write \(milliseconds(clock.now - planned)) ms")
            }
            // A topology without cells has no spectrum plan to name ("exact-mip (optimal)" of nothing).
            let spectrum = document.spectrum.cells.isEmpty ? "no cells to allocate spectrum to"
                : "spectrum \(document.spectrum.method) (\(document.spectrum.status.rawValue))"
            print("\(out.visible): max link utilisation \(document.routing.maxUtilisation), \(spectrum)")
        } catch let error as ValidationError {
            throw error
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError(CommandError.line("plan", error, given: [topology, out] + [forecasts, series, current].compactMap { $0 }))
            throw ExitCode.failure
        }
    }
}

extension PlanCommand {
    /// The policy in force must split each demand whole (its weights price churn) and be about
    /// this network: one from another topology was read without a word, its churn meaningless.
    /// A topology that was edited since (a link added) is ordinary, so another digest is a
    /// warning naming what does not match; nothing matching at all is an error.
    func checkCurrent(_ policy: PolicyDocument, path: String, topology: Topology, topologyDigest: String) throws {
        if let uneven = policy.demandWithPartialSplit() {
            throw PolicyError.badInput(path: path, message: "$.routing.demands[\(uneven.index)].paths: the weights of '\(uneven.id)' "
                + "sum to \(uneven.sum), not 1: --current must split each demand whole")
        }
        guard policy.provenance.topologyDigest != topologyDigest else { return }
        let demands = Set(topology.demands.map(\.id)), cells = Set(topology.cells.map(\.id))
        let foreignDemands = policy.routing.demands.filter { !demands.contains($0.id) }.count
        let foreignCells = policy.spectrum.cells.filter { !cells.contains($0.id) }.count
        let total = policy.routing.demands.count + policy.spectrum.cells.count
        if total > 0 && foreignDemands + foreignCells == total {
            throw PolicyError.badInput(path: path, message: "a policy for another network (topology \(policy.provenance.topologyDigest)): "
                + "none of its \(policy.routing.demands.count) demands and \(policy.spectrum.cells.count) cells is in \(self.topology)")
        }
        printError("warning: \(path) was planned for another version of the topology (\(policy.provenance.topologyDigest)); "
            + "\(foreignDemands) of its demands and \(foreignCells) of its cells are not in \(self.topology) and are ignored")
    }
}

func milliseconds(_ d: Duration) -> String {
    String(format: "%.1f", Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
}
