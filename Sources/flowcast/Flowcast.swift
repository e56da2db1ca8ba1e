import ArgumentParser
import FlowcastCore

@main
struct Flowcast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowcast",
        abstract: "Turn telecom traffic into network decisions: capture, decode, aggregate, predict, decide, review.",
        version: FlowcastVersion.current,
        // Each subcommand lives in its own file under Sources/flowcast/.
        subcommands: [
            DecodeCommand.self,
            InspectCommand.self,
            FlowsCommand.self,
            ReplayCommand.self, LiveCommand.self, PlannerCommand.self, PoliciesCommand.self,
            SynthCommand.self,
            DemoCommand.self,
            TrainCommand.self, EvaluateCommand.self,
            TopologyCommand.self, PlanCommand.self, ExportCommand.self, BacktestCommand.self,
            DiffCommand.self, ReportCommand.self,
        ]
    )
}
