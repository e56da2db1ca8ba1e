import ArgumentParser
import FlowcastCore
import FlowcastPipeline
import FlowcastReview
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole loop on the bundled demo scenario: replay, forecast, plan every minute, report.",
        discussion: """
            Replays captures/demo/demo.pcapng (a synthetic, 1:1500-sampled backhaul tap; see \
            captures/demo/README.md) against captures/demo/topology.yaml (cells sized by their radio KPI \
            logs) with 10 s windows, forecasting with captures/demo/model.json and planning a policy every \
            60 s, then writes the HTML report, which scores the model against persistence and recentMean \
            and the spectrum plans against a static split. Review a change with \
            `flowcast diff OUT/policies/policy-0001.json OUT/policies/policy-0010.json`.
            """)

    @Option(help: "The scenario folder (holding demo.pcapng, topology.yaml, its radio KPI logs and model.json).") var scenario: String = "captures/demo"
    @Option(help: "Output folder.") var out: String = "out/demo"
    @Option(help: "Model file from `flowcast train` (default: the scenario's model.json).") var model: String?

    func run() throws {
        let files = DemoScenario(folder: scenario, model: model)
        if let problem = files.problem() {
            printError("flowcast demo: \(problem)")
            throw ExitCode(2)
        }
        let capture = files.capture, topology = files.topology
        var arguments = [capture, "--topology", topology, "--sampling", "1500", "--window", "10s",
                         "--plan-every", "60s", "--out", out]
        arguments += ["--model", files.model]
        try ReplayCommand.parse(arguments).run()
        let scores = try ReportCommand.parse([out, "--out", out + "/report.html", "--topology", topology]).write()
        for line in DemoCommand.headline(scores) { print(line) }
        print("""
            Next: open \(Self.shellWord(out + "/report.html")), or review what changed over the run:
              flowcast diff \(Self.shellWord(out + "/policies/policy-0001.json")) \(Self.shellWord(out + "/policies/policy-0010.json"))
            """)
    }

    /// A path as one word a shell reads back as the path (single-quoted when it holds anything but
    /// letters, digits and `/._-+,:@%`), with control characters shown as code points: the line is
    /// there to be copied, and `--out 'my run'` printed a command that diffed `my` and `run/…`.
    static func shellWord(_ path: String) -> String {
        let plain = path.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "/._-+,:@%".unicodeScalars.contains($0)) }
        let word = plain && !path.isEmpty ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
        return word.visible
    }

    /// The scores in a few lines for the terminal.
    static func headline(_ scores: RunScores) -> [String] {
        var lines: [String] = []
        for f in scores.forecasts where f.kind == "cell" {
            lines.append(String(format: "Forecasts (cells, %d windows): MAE %.3f × persistence, %.3f × recentMean (%@)",
                                f.count, f.forecastMAE / f.persistenceMAE, f.forecastMAE / f.recentMeanMAE, f.forecaster))
        }
        if let all = scores.spectrum.last, all.cell == "all" {
            lines.append(String(format: "Spectrum (%d cell windows): plans leave %.2f%% of demand unmet with %.1f blocks, "
                                + "the static split %.2f%% with %.0f", all.windows, all.plannedUnmetFraction * 100,
                                all.plannedBlocks, all.staticUnmetFraction * 100, all.staticBlocks))
        }
        return lines
    }
}
