import ArgumentParser
import FlowcastModel
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
    @Option(help: "Forecast the row after the first ROW rows of --series.") var at: Int?
    @Option(help: "Model file (flowcast train) for --series.") var model: String?
    @Option(help: "The policy in force, for the churn penalty and least-change spectrum.") var current: String?
    @Option(help: "Headroom multiplier on required spectrum blocks.") var headroom: Double = 1.2
    @Option(help: "Churn penalty per unit of split weight moved (needs --current).") var churn: Double = 0
    @Option(help: "Candidate paths per demand when the topology gives none.") var paths: Int = 4
    @Option(help: "Solver time limit per solve, seconds.") var timeLimit: Double = 10
    @Option(help: "Output policy JSON file.") var out: String
    @Flag(help: "Print how long loading, path finding and planning took (standard error).") var timing = false

    func validate() throws {
        if (forecasts == nil) == (series == nil) {
            throw ValidationError("give exactly one of --forecasts FILE or --series FILE --at ROW --model M")
        }
        if series != nil && (at == nil || model == nil) { throw ValidationError("--series needs --at ROW and --model M") }
        if headroom < 1 { throw ValidationError("--headroom must be at least 1") }
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
                provenance = Provenance(inputDigest: Provenance.digest(try Data(contentsOf: url)),
                                        topologyDigest: Provenance.digest(topologyData), modelId: input.modelId,
                                        window: input.window, generator: "flowcast \(Flowcast.configuration.version)")
            } else {
                (input, provenance) = try forecastFromSeries(topologyData: topologyData)
            }
            // Cells with radio KPIs (topology kpiSource): their efficiency over the plan's window.
            let kpi = RadioKPIEfficiency.measure(topo, horizon: Self.seconds(of: input.window) ?? 60)
            for problem in kpi.problems { printError("warning: radio KPIs: \(problem)") }
            let given = Set((input.measuredEfficiencies ?? []).map(\.cell))
            let added = kpi.measured.filter { !given.contains($0.cell) }
            if !added.isEmpty { input.measuredEfficiencies = (input.measuredEfficiencies ?? []) + added }
            let currentPolicy = try current.map { try PolicyDocument(contentsOf: URL(fileURLWithPath: $0)) }
            let loaded = clock.now
            if timing {
                // Path finding alone, as the planner does it (it finds them again inside plan).
                let finder = PathFinder(topo)
                let t = clock.measure { for d in topo.demands where d.paths.isEmpty { _ = finder.paths(from: d.source, to: d.destination, k: paths) } }
                printError("timing: path finding for \(topo.demands.count) demands × up to \(paths) paths: \(milliseconds(t)) ms")
            }
            let planStart = clock.now
            let planner = PolicyPlanner(topology: topo, options: PlanOptions(
                headroom: headroom, churnPenalty: churn, pathsPerDemand: paths, timeLimit: timeLimit))
            let document = try planner.plan(input, provenance: provenance, current: currentPolicy)
            let planned = clock.now
            try document.write(to: URL(fileURLWithPath: out))
            if timing {
                printError("timing: load \(milliseconds(loaded - started)) ms, plan (paths + routing LP + spectrum) \(milliseconds(planned - planStart)) ms, write \(milliseconds(clock.now - planned)) ms")
            }
            print("\(out): max link utilisation \(document.routing.maxUtilisation), spectrum \(document.spectrum.method) (\(document.spectrum.status.rawValue))")
        } catch let error as ValidationError {
            throw error
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// The length of a plan window given as ISO 8601 times, in seconds.
    static func seconds(of window: PlanWindow?) -> Double? {
        guard let window else { return nil }
        let iso = ISO8601DateFormatter()
        guard let start = iso.date(from: window.start), let end = iso.date(from: window.end), end > start else { return nil }
        return end.timeIntervalSince(start)
    }

    /// Forecasts the row after `at` for every series named after a demand, cell or link, with
    /// FlowcastModel's public API (ModelFile, SeriesReader, ForecastModel).
    private func forecastFromSeries(topologyData: Data) throws -> (ForecastSet, Provenance) {
        let seriesURL = URL(fileURLWithPath: series!), modelURL = URL(fileURLWithPath: model!)
        let trained = try ModelFile.read(from: modelURL)
        let set = try SeriesReader.read(file: seriesURL)
        if let warning = trained.covariateWarning(for: [set]) { printError(warning) }
        guard let at, at > 0, at <= set.rowCount else {
            throw ValidationError("--at must be between 1 and \(set.rowCount) (rows in \(series!))")
        }
        var forecasts: [FlowcastPolicy.Forecast] = []
        for s in set.series {
            let kind: FlowcastPolicy.Forecast.Kind, id: String
            if s.name.hasPrefix("cell:") { kind = .cell; id = String(s.name.dropFirst(5)) }
            else if s.name.hasPrefix("link:") { kind = .link; id = String(s.name.dropFirst(5)) }
            else { kind = .demand; id = s.name }
            var state = trained.makeState(step: set.step)
            var last = 0.0
            for row in 0..<at {
                let v = s.values[row]
                last = v.isNaN ? last : v
                state.observe(last, at: set.time(ofRow: row))
            }
            let f = trained.forecast(state)
            forecasts.append(FlowcastPolicy.Forecast(id: id, kind: kind, point: max(0, f.point), upper: max(0, f.upper),
                                                     source: "model \(trained.id) at row \(at)"))
        }
        let window = set.time(ofRow: at).map { t in
            PlanWindow(start: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: t)),
                       end: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: t + (set.step ?? 0))))
        }
        let provenance = Provenance(
            inputDigest: Provenance.digest(try Data(contentsOf: seriesURL)), topologyDigest: Provenance.digest(topologyData),
            modelId: trained.id, modelDigest: Provenance.digest(try Data(contentsOf: modelURL)), window: window,
            generator: "flowcast \(Flowcast.configuration.version)")
        return (ForecastSet(forecasts: forecasts, modelId: trained.id, window: window), provenance)
    }
}

func milliseconds(_ d: Duration) -> String {
    String(format: "%.1f", Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
