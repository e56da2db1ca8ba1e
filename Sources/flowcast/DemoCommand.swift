import ArgumentParser
import FlowcastPipeline
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole loop on the bundled demo scenario: replay, forecast, plan every minute, report.",
        discussion: """
            Replays captures/demo/demo.pcapng (a synthetic, 1:1500-sampled backhaul tap; see \
            captures/demo/README.md) against captures/demo/topology.yaml with 10 s windows and a \
            policy every 60 s, then writes the HTML report. Review a change with \
            `flowcast diff OUT/policies/policy-0001.json OUT/policies/policy-0010.json`.
            """)

    @Option(help: "The scenario folder (holding demo.pcapng and topology.yaml).") var scenario: String = "captures/demo"
    @Option(help: "Output folder.") var out: String = "out/demo"
    @Option(help: "Model file from `flowcast train` (default: persistence).") var model: String?

    func run() throws {
        let capture = scenario + "/demo.pcapng", topology = scenario + "/topology.yaml"
        for file in [capture, topology] where !FileManager.default.fileExists(atPath: file) {
            printError("flowcast demo: \(file) not found (run from the repository root, or pass --scenario)")
            throw ExitCode(2)
        }
        var arguments = [capture, "--topology", topology, "--sampling", "1500", "--window", "10s",
                         "--plan-every", "60s", "--out", out]
        if let model { arguments += ["--model", model] }
        try ReplayCommand.parse(arguments).run()
        try ReportCommand.parse([out, "--out", out + "/report.html", "--topology", topology]).run()
        print("""
            Next: open \(out)/report.html, or review what changed over the run:
              flowcast diff \(out)/policies/policy-0001.json \(out)/policies/policy-0010.json
            """)
    }
}
