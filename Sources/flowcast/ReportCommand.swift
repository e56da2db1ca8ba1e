import FlowcastReview
import ArgumentParser
import FlowcastCore
import FlowcastPipeline
import FlowcastPolicy
import FlowcastTopology
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report of a replay run: load vs forecast, utilisation, spectrum, routing, policy changes.",
        discussion: """
            Reads RUN_DIR/windows.jsonl, flows.jsonl, summary.json and the plan intervals' policy-NNNN.json and \
            forecasts.jsonl (from --policies, else RUN_DIR/policies, else RUN_DIR). Missing files give "no data" sections.
            """)

    @Argument(help: "The run folder written by flowcast replay.") var runDir: String
    @Option(help: "Output HTML file.") var out: String
    @Option(help: "Folder of policy-NNNN.json and forecasts.jsonl (default RUN_DIR/policies, else RUN_DIR).") var policies: String?
    @Option(help: "Topology YAML, to chart the routing weights of the demands carrying each cell and to score the spectrum plans against a static split (with the cells' radio KPI logs).") var topology: String?

    @Option(help: ArgumentHelp("Most cells, most links and most demands drawn with their own charts (default \(RunReport.defaultChartedPerKind) of each). Past it the report charts the cells and links with the highest peak utilisation, then peak load, and the demands whose split moved most; the summary table lists every cell and link.", valueName: "N"))
    var charts = RunReport.defaultChartedPerKind
    @Option(help: ArgumentHelp("Most plan intervals whose changes are written out in the Diffs section (default \(RunReport.defaultDiffs)). Past it the report writes those that broke a constraint, then those that moved most, then those whose predicted utilisation changed on most links; the plan intervals table lists every interval.", valueName: "N"))
    var diffs = RunReport.defaultDiffs

    func validate() throws {
        guard charts >= 1 else { throw ValidationError("--charts is 1 or more, not \(charts).") }
        guard diffs >= 1 else { throw ValidationError("--diffs is 1 or more, not \(diffs).") }
    }

    func run() throws { _ = try write() }

    /// Writes the report; returns the run's scores (`flowcast demo` prints them).
    func write() throws -> RunScores {
        var cellDemands: [String: [String]] = [:]
        var loaded: Topology?
        if let topology {
            do {
                let t = try Topology(contentsOfFile: topology)
                loaded = t
                for d in t.demands {
                    for c in d.cells where t.cells.indices.contains(c) { cellDemands[t.cells[c].id, default: []].append(d.id) }
                }
            } catch {
                for problem in error.problems { printError("\(problem)") }
                throw ExitCode.failure
            }
        }
        do {
            let data = try RunData.load(runDirectory: URL(fileURLWithPath: runDir), policies: policies.map { URL(fileURLWithPath: $0) })
            var report = RunReport(run: data, cellDemands: cellDemands)
            report.maximumChartedPerKind = charts
            report.maximumDiffs = diffs
            report.scores = RunScores.compute(run: data, topology: loaded)
            if let topology, let bytes = FileManager.default.contents(atPath: topology) {
                report.scores?.topologySource = (topology, Provenance.digest(bytes))
            }
            try PolicyDocument.writeAtomically(Data(report.html().utf8), to: URL(fileURLWithPath: out))
            let cells = report.entities.filter { $0.kind == "cell" }.count, links = report.entities.count - cells
            let charted = cells > charts || links > charts ? " (charted at most \(charts) of each)" : ""
            let changed = report.changedIntervals.count
            let written = changed > diffs ? " (changes written for \(diffs) of the \(changed) intervals whose policy changed)" : ""
            print("\(out.visible): \(cells) cells, \(links) links\(charted), \(data.windowShape), \(data.policies.count) policies\(written)"
                  + (data.missing.isEmpty ? "" : "; not found: \(data.missing.joined(separator: ", "))"))
            for problem in data.problems { printError("flowcast report: warning: \(problem)") }
            if let note = data.sitePolicyNote { printError("flowcast report: warning: \(note)") }
            if let planned = report.plannedWithOtherTopologies, let topology {
                printError("flowcast report: warning: the policies were planned with another topology (\(planned.joined(separator: ", "))) "
                    + "than \(topology.visible) (\(report.scores?.topologySource?.digest ?? "?")): the spectrum scores use its cells, bands and logs")
            }
            return report.scores ?? RunScores()
        } catch {
            printError(CommandError.line("report", error, given: [runDir, out] + (policies.map { [$0] } ?? [])))
            throw ExitCode.failure
        }
    }
}
